"""Point-in-time training sets, case by case, with both join strategies (the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlfeatures_support import DRIVER, at, driver_view, entity_rows, stamps
from stackhub import FeatureStore, InvalidInput, NotFound, Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView

Drivers = Callable[..., FeatureView]


def trips(store: FeatureStore, rows: pa.Table, *features: str, **options: Any) -> list[Any]:
    result = store.get_historical_features(rows, list(features) or ["driver_stats:trips"], **options)
    values: list[Any] = result.column(result.num_columns - 1).to_pylist()
    return values


def test_a_value_stamped_after_the_entity_timestamp_never_leaks(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0), (1, 21, 1, 999, 9.0)])
    rows = entity_rows([(1, 20.5), (1, 19.999), (1, 9.99), (1, 1000)])
    assert trips(store, rows) == [200, 100, None, 999]


def test_a_row_stamped_exactly_at_the_entity_timestamp_is_used(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0)])
    assert trips(store, entity_rows([(1, 20), (1, 10)])) == [200, 100]


def test_equal_event_timestamps_are_broken_by_the_latest_created_timestamp(
    store: FeatureStore, drivers: Drivers
) -> None:
    # The latest-created row is written first and the null-created one last: file order must not matter.
    drivers([(1, 10, 30, 300, 3.0), (1, 10, 20, 200, 2.0), (1, 10, None, 999, 9.0), (2, 10, None, 5, 0.5)])
    assert trips(store, entity_rows([(1, 10), (1, 15), (2, 10)])) == [300, 300, 5]


def test_a_created_timestamp_does_not_override_a_later_event(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 99, 100, 1.0), (1, 20, 1, 200, 2.0)])
    assert trips(store, entity_rows([(1, 25)])) == [200]


def test_full_ties_give_the_same_row_on_every_call(store: FeatureStore, drivers: Drivers) -> None:
    # Equal in both timestamps: the greatest feature values win, whichever order the rows are stored in.
    drivers([(1, 10, 5, 100, 9.0), (1, 10, 5, 300, 1.0), (1, 10, 5, 200, 5.0)])
    result = store.get_historical_features(entity_rows([(1, 10)]), ["driver_stats:rating", "driver_stats:trips"])
    assert (result.column("trips").to_pylist(), result.column("rating").to_pylist()) == ([300], [1.0])


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        (timedelta(minutes=10), [200, 200, None, 100]),
        (timedelta(0), [None, 200, None, None]),
        (None, [200, 200, 200, 100]),
    ],
)
def test_ttl_excludes_rows_older_than_the_entity_timestamp_minus_ttl(
    store: FeatureStore, drivers: Drivers, ttl: timedelta | None, expected: list[int | None]
) -> None:
    drivers([(1, 0, 0, 100, 1.0), (1, 20, 20, 200, 2.0)], ttl=ttl)
    # 30 is exactly ttl after 20 (kept: not older by *more* than ttl); 30.001 is past it.
    assert trips(store, entity_rows([(1, 30), (1, 20), (1, 30.001), (1, 10)])) == expected


def test_ttl_does_not_fall_back_to_an_older_row(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 0, 0, 100, 1.0), (1, 5, 5, 150, 1.5)], ttl=timedelta(minutes=10))
    assert trips(store, entity_rows([(1, 16), (1, 14)])) == [None, 150]


def test_entity_rows_without_a_qualifying_row_are_kept_with_null_features(
    store: FeatureStore, drivers: Drivers
) -> None:
    # Driver 7 is unknown; driver 1 has only rows after the entity timestamp (Feast's Dask store drops such rows).
    drivers([(1, 50, 50, 100, 1.0), (None, 0, 0, 666, 6.0)])
    rows = entity_rows([(7, 60), (1, 10), (None, 60), (1, None), (1, 60)])
    result = store.get_historical_features(rows, ["driver_stats:trips", "driver_stats:rating"])
    assert result.column("label").to_pylist() == ["row-0", "row-1", "row-2", "row-3", "row-4"]
    assert result.column("trips").to_pylist() == [None, None, None, None, 100]
    assert result.column("rating").to_pylist() == [None, None, None, None, 1.0]


def test_duplicate_entity_rows_are_all_kept_in_input_order(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0), (2, 10, 10, 200, 2.0)])
    rows = entity_rows([(2, 20), (1, 20), (2, 20), (2, 20), (1, 5), (1, 20)])
    result = store.get_historical_features(rows, ["driver_stats:trips"])
    assert result.column("label").to_pylist() == [f"row-{i}" for i in range(6)]
    assert result.column("trips").to_pylist() == [200, 100, 200, 200, None, 100]


def test_output_is_every_entity_column_then_features_in_requested_order(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse
) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    warehouse.write("cities", pa.table({"driver_id": [1], "at": stamps([0]), "city": ["Oslo"]}))
    city = FeatureView(
        name="city",
        entities=("driver",),
        source="cities",
        timestamp_field="at",
        features=(Feature(name="city", dtype="string"),),
    )
    store.apply([], [city])
    rows = entity_rows([(1, 20)]).append_column("extra", pa.array([3.5]))
    result = store.get_historical_features(rows, ["driver_stats:rating", "city:city", "driver_stats:trips"])
    assert result.column_names == ["driver_id", "event_timestamp", "label", "extra", "rating", "city", "trips"]
    assert result.schema.field("city").type == pa.string()
    assert result.slice(0, 1).to_pylist() == [rows.to_pylist()[0] | {"rating": 1.0, "city": "Oslo", "trips": 100}]
    named = store.get_historical_features(rows, ["city:city", "driver_stats:trips"], full_feature_names=True)
    assert named.column_names[-2:] == ["city__city", "driver_stats__trips"]


def test_entity_columns_come_back_exactly_as_given(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    rows = pa.table(
        {
            "driver_id": pa.array([1, 1]).dictionary_encode(),
            "event_timestamp": pa.array([at(20), at(5)], pa.timestamp("ns", "Europe/Oslo")),
            "weights": pa.array([[1, 2], None], pa.list_(pa.int8())),
        }
    )
    result = store.get_historical_features(rows, ["driver_stats:trips"])
    assert result.select(rows.column_names).equals(rows)
    assert result.column("trips").to_pylist() == [100, None]


def test_views_with_composite_keys_and_several_entities(store: FeatureStore, warehouse: Warehouse) -> None:
    warehouse.write(
        "trips_by_zone",
        pa.table({"driver_id": [1, 1, 2], "zone": ["a", "b", "a"], "ts": stamps([0, 0, 0]), "n": [10, 20, 30]}),
    )
    zone = Entity(name="zone", join_keys=("zone",))
    view = FeatureView(
        name="zone_trips",
        entities=("driver", "zone"),
        source="trips_by_zone",
        timestamp_field="ts",
        features=(Feature(name="n", dtype="int64"),),
    )
    store.apply([DRIVER, zone], [view])
    rows = pa.table({"zone": ["b", "a", "a", "c"], "driver_id": [1, 1, 2, 1], "event_timestamp": stamps([1, 1, 1, 1])})
    assert store.get_historical_features(rows, ["zone_trips:n"]).column("n").to_pylist() == [20, 10, 30, None]


@pytest.mark.parametrize(("source_tz", "entity_tz"), [("UTC", None), (None, "UTC"), ("UTC", "America/New_York")])
def test_naive_timestamps_are_utc_against_aware_ones(
    store: FeatureStore, warehouse: Warehouse, source_tz: str | None, entity_tz: str | None
) -> None:
    source = pa.table({"driver_id": [1, 1], "event_ts": stamps([0, 60], source_tz), "trips": [1, 2]})
    warehouse.write("stats_tz", source)
    view = FeatureView(
        name="stats_tz",
        entities=("driver",),
        source="stats_tz",
        timestamp_field="event_ts",
        features=(Feature(name="trips", dtype="int64"),),
        ttl=timedelta(minutes=30),
    )
    store.apply([DRIVER], [view])
    # The same instants whatever zone each side is written in: 59.9 is past the ttl of the row at 0.
    rows = entity_rows([(1, 59.9), (1, 60), (1, 30), (1, 90.1)], entity_tz)
    assert trips(store, rows, "stats_tz:trips") == [None, 2, 1, None]


def test_no_entity_rows_give_an_empty_table_with_every_column(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    result = store.get_historical_features(entity_rows([]), ["driver_stats:trips"])
    assert result.num_rows == 0
    assert result.column_names == ["driver_id", "event_timestamp", "label", "trips"]


def test_the_uploaded_entity_table_is_dropped_also_on_failure(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    before = warehouse.list_tables()
    store.get_historical_features(entity_rows([(1, 20)]), ["driver_stats:trips"])
    assert warehouse.list_tables() == before

    def broken(sql: str, *, dialect: str | None = None) -> pa.Table:
        raise InvalidInput("The engine rejected the statement.")

    monkeypatch.setattr(warehouse, "query", broken)
    with pytest.raises(InvalidInput, match="rejected"):
        store.get_historical_features(entity_rows([(1, 20)]), ["driver_stats:trips"])
    assert warehouse.list_tables() == before


def test_the_timestamp_column_can_be_named(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    rows = entity_rows([(1, 20), (1, 0)]).rename_columns(["driver_id", "as_of", "label"])
    assert trips(store, rows, timestamp_column="as_of") == [100, None]


# -- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "error", "message"),
    [
        (["no_such_view:trips"], NotFound, r"Feature view 'no_such_view' is not registered"),
        (["driver_stat:trips"], NotFound, r"Did you mean 'driver_stats'\?"),
        (["driver_stats:trip"], NotFound, r"has no feature 'trip'. Did you mean 'trips'\?"),
        (["driver_stats"], InvalidInput, r"not of the form 'view:feature'"),
        ([], InvalidInput, r"non-empty list"),
        ("driver_stats:trips", InvalidInput, r"non-empty list"),
        (["driver_stats:trips", "driver_stats:trips"], InvalidInput, r"requested more than once"),
        (["driver_stats:label"], NotFound, r"has no feature 'label'"),
    ],
)
def test_bad_feature_references(
    store: FeatureStore, drivers: Drivers, features: Any, error: type[Exception], message: str
) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    with pytest.raises(error, match=message):
        store.get_historical_features(entity_rows([(1, 20)]), features)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            entity_rows([(1, 20)]).drop_columns(["driver_id"]),
            r"entity_rows lacks join keys or the timestamp column: 'driver_id'",
        ),
        (entity_rows([(1, 20)]).drop_columns(["event_timestamp"]), r"lacks .*'event_timestamp'"),
        (
            entity_rows([(1, 20)]).set_column(1, "event_timestamp", pa.array(["2026-01-01"])),
            r"is string, not a timestamp",
        ),
        (
            entity_rows([(1, 20)]).set_column(0, "driver_id", pa.array(["1"])),
            r"Join key 'driver_id' is string in entity_rows but int64",
        ),
        (entity_rows([(1, 20)]).append_column("__stackhub_row", pa.array([0])), r"reserves"),
        (entity_rows([(1, 20)]).append_column("trips", pa.array([0])), r"full_feature_names=True"),
        (entity_rows([(1, 20)]).to_pylist(), r"must be a pyarrow Table, not list"),
    ],
)
def test_bad_entity_rows_raise_invalid_input(store: FeatureStore, drivers: Drivers, rows: Any, message: str) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    with pytest.raises(InvalidInput, match=message):
        store.get_historical_features(rows, ["driver_stats:trips"])


def test_features_of_two_views_with_one_name_need_full_feature_names(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse
) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    store.apply([], [driver_view(name="driver_stats_copy")])
    with pytest.raises(InvalidInput, match=r"would all be output as \['trips'\]"):
        store.get_historical_features(entity_rows([(1, 20)]), ["driver_stats:trips", "driver_stats_copy:trips"])


def test_a_source_table_dropped_after_apply_raises_not_found(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse
) -> None:
    drivers([(1, 10, 10, 100, 1.0)])
    warehouse.drop_table("driver_stats")
    with pytest.raises(NotFound, match=r"reads source table 'driver_stats', which does not exist"):
        store.get_historical_features(entity_rows([(1, 20)]), ["driver_stats:trips"])
