"""The input checks every feature store plugin shares (stackhub.categories.feature_store_input), without a
warehouse: the plugins' own tests run them through real feature stores."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest
from stackhub import InvalidInput, NotFound, TableSchema
from stackhub.categories import feature_store_input
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub.categories.feature_store_input import Definitions, FeatureRequest

DRIVER = Entity(name="driver", join_keys=("driver_id",))
ZONE = Entity(name="zone", join_keys=("zone", "driver_id"))


def view(name: str = "driver_stats", entities: tuple[str, ...] = ("driver",), **update: Any) -> FeatureView:
    made = FeatureView(
        name=name,
        entities=entities,
        source=name,
        timestamp_field="event_ts",
        created_timestamp_field="created_ts",
        features=(Feature(name="trips", dtype="int64"), Feature(name="rating", dtype="double")),
    )
    return made.model_copy(update=update)


DEFINITIONS = Definitions(
    {"driver": DRIVER, "zone": ZONE},
    {"driver_stats": view(), "zone_stats": view("zone_stats", ("zone", "driver"))},
)


def test_join_keys_are_those_of_the_views_entities_each_once() -> None:
    assert DEFINITIONS.join_keys(DEFINITIONS.view("zone_stats")) == ("zone", "driver_id")


def test_unknown_references_name_the_known_ones() -> None:
    # The plugins' tests cover the other refusals of references, through the feature stores.
    with pytest.raises(NotFound, match=r"has no feature 'speed'\. Check the name, or use one of 'trips', 'rating'\.$"):
        FeatureRequest(DEFINITIONS, ["driver_stats:speed"], full_feature_names=False)
    with pytest.raises(NotFound, match=r"'driver_stat' is not registered\. Did you mean 'driver_stats'\?$"):
        FeatureRequest(DEFINITIONS, ["driver_stat:trips"], full_feature_names=False)


def test_a_request_groups_features_by_view_in_the_order_requested() -> None:
    features = ["zone_stats:rating", "driver_stats:trips", "zone_stats:trips"]
    request = FeatureRequest(DEFINITIONS, features, full_feature_names=True)
    assert request.references == features
    assert request.outputs == ["zone_stats__rating", "driver_stats__trips", "zone_stats__trips"]
    assert [(v.name, keys, wanted) for v, keys, wanted in request.views.values()] == [
        ("zone_stats", ("zone", "driver_id"), ["rating", "trips"]),
        ("driver_stats", ("driver_id",), ["trips"]),
    ]
    assert request.keys == ["zone", "driver_id"]
    rows = pa.table({"zone": ["a"], "driver_id": [1]})
    request.check_entity_rows(rows)
    columns = [pa.array([0.5]), pa.array([1]), pa.array([2])]
    assert request.table(rows, columns).column_names == ["zone", "driver_id", *request.outputs]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (pa.table({"driver": [1]}), r"entity_rows lacks join keys or the timestamp column: 'driver_id', 'ts'\."),
        (pa.table({"driver_id": [1], "ts": ["x"]}), r"Column 'ts' of entity_rows is string, not a timestamp"),
        (
            pa.table({"driver_id": [1], "ts": [datetime(2026, 1, 1)], "trips": [0]}),
            r"Features \['trips'\] would be output under the names of entity_rows columns",
        ),
    ],
)
def test_bad_entity_rows(rows: pa.Table, message: str) -> None:
    request = FeatureRequest(DEFINITIONS, ["driver_stats:trips"], full_feature_names=False)
    with pytest.raises(InvalidInput, match=message):
        request.check_entity_rows(rows, "ts")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"driver_id": [1]}, r"^entity_rows must be a pyarrow Table, not dict\."),
        (pa.table({"__stackhub_row": [1]}), r"\['__stackhub_row'\] .* reserves for its own columns\."),
    ],
)
def test_check_table(value: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        feature_store_input.check_table(value)


def test_merged_applies_over_the_registered_and_keeps_a_subclass_fields() -> None:
    @dataclasses.dataclass(frozen=True)
    class Typed(Definitions):
        extra: str

    registered = Typed({"driver": DRIVER}, {"driver_stats": view()}, "kept")
    changed = view(ttl=timedelta(minutes=1))
    merged = registered.merged([ZONE], [changed])
    assert merged == Typed({"driver": DRIVER, "zone": ZONE}, {"driver_stats": changed}, "kept")
    with pytest.raises(InvalidInput, match=r"'other' names entities that are neither given nor registered: \['car'\]"):
        registered.merged([], [view("other", ("car",))])


def test_affected_are_the_other_views_of_a_changed_entity() -> None:
    moved = Entity(name="driver", join_keys=("car_id",))
    assert [v.name for v in DEFINITIONS.affected([moved], [view()])] == ["zone_stats"]
    assert DEFINITIONS.affected([DRIVER], []) == []  # unchanged
    new = Entity(name="car", join_keys=("car_id",))
    assert DEFINITIONS.changed([DRIVER, new]) == {"car"}
    assert DEFINITIONS.changed([moved]) == {"driver"}


def test_named_views() -> None:
    assert [v.name for v in DEFINITIONS.named(None)] == ["driver_stats", "zone_stats"]
    assert [v.name for v in DEFINITIONS.named(["zone_stats", "driver_stats", "zone_stats"])] == [
        "zone_stats",
        "driver_stats",
    ]
    with pytest.raises(NotFound, match="'ghost' is not registered"):
        DEFINITIONS.named(["ghost"])


def test_check_materialize_returns_the_window_as_naive_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    start, end = feature_store_input.check_materialize(
        datetime(2026, 1, 1, 9, tzinfo=tokyo), datetime(2026, 1, 2), None
    )
    assert (start, end) == (datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(InvalidInput, match="is after end"):
        feature_store_input.check_materialize(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1), None)
    with pytest.raises(InvalidInput, match="must be datetimes"):
        feature_store_input.check_materialize("2026-01-01", datetime(2026, 1, 1), None)
    with pytest.raises(InvalidInput, match=r"must be a list of view names\. Pass \['v'\]"):
        feature_store_input.check_materialize(datetime(2026, 1, 1), datetime(2026, 1, 1), "v")


def test_pushed_timestamps() -> None:
    rows = pa.table({"driver_id": [1], "event_ts": [datetime(2026, 1, 1)], "trips": [1], "rating": [1.0]})
    stamps = feature_store_input.pushed_timestamps(rows, view(), ("driver_id",))
    assert list(stamps) == ["event_ts", "created_ts"]
    assert stamps["created_ts"].null_count == 1
    assert pa.types.is_timestamp(stamps["created_ts"].type)
    with pytest.raises(InvalidInput, match=r"^rows lacks columns of the view: 'rating'\."):
        feature_store_input.pushed_timestamps(rows.drop_columns(["rating"]), view(), ("driver_id",))
    with pytest.raises(InvalidInput, match=r"Column 'event_ts' of rows is string, not a timestamp"):
        feature_store_input.pushed_timestamps(rows.set_column(1, "event_ts", pa.array(["x"])), view(), ("driver_id",))


class _Described:
    """Just enough of a warehouse for source_types: one table, or none."""

    def __init__(self, schema: pa.Schema | None) -> None:
        self.schema = schema

    def describe_table(self, table: str) -> TableSchema:
        if self.schema is None:
            raise NotFound(f"Table {table!r} does not exist.")
        return TableSchema.from_arrow(self.schema)


SOURCE = pa.schema(
    {
        "rating": pa.float64(),
        "driver_id": pa.int64(),
        "event_ts": pa.timestamp("us", "UTC"),
        "created_ts": pa.timestamp("us"),
        "trips": pa.int64(),
        "other": pa.string(),
    }
)


def test_source_types_of_the_columns_a_view_reads() -> None:
    types = feature_store_input.source_types(_Described(SOURCE), view(), ("driver_id",))  # type: ignore[arg-type]
    assert types == {
        "driver_id": "int64",
        "event_ts": "timestamp[us, tz=UTC]",
        "created_ts": "timestamp[us]",
        "trips": "int64",
        "rating": "double",
    }


@pytest.mark.parametrize(
    ("schema", "error", "message"),
    [
        (None, NotFound, r"reads source table 'driver_stats', which does not exist in the warehouse"),
        (SOURCE.remove(SOURCE.get_field_index("trips")), InvalidInput, r"lacks: feature 'trips'\."),
        (SOURCE.set(2, pa.field("event_ts", pa.int64())), InvalidInput, r"'event_ts' .* is int64, not a timestamp"),
    ],
)
def test_bad_sources(schema: pa.Schema | None, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        feature_store_input.source_types(_Described(schema), view(), ("driver_id",))  # type: ignore[arg-type]
