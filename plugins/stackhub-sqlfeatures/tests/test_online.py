"""materialize() and get_online_features(): the embedded online store, tables in the same warehouse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from sqlfeatures_support import DRIVER, T0, SourceRow, at, driver_rows, driver_view
from stackhub import FeatureStore, InvalidInput, NotFound, StackhubError, Warehouse
from stackhub.categories.feature_store import MaterializeResult
from stackhub_sqlfeatures._store import SQLFeatureStore

Drivers = Callable[..., object]
ROWS: list[SourceRow] = [(1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0), (2, 10, 10, 300, 3.0), (3, 50, 50, 400, 4.0)]


def lookup(store: FeatureStore, ids: list[int | None], *features: str) -> dict[str, list[object]]:
    rows = pa.table({"driver_id": pa.array(ids, pa.int64())})
    result: dict[str, list[object]] = store.get_online_features(
        rows, list(features) or ["driver_stats:trips", "driver_stats:rating"]
    ).to_pydict()
    return result


def test_materialize_loads_the_latest_value_per_key_stamped_in_the_window(
    store: FeatureStore, drivers: Drivers
) -> None:
    drivers(ROWS)
    result = store.materialize(at(0), at(50))  # end is exclusive: driver 3's row at 50 is not in it
    assert result == MaterializeResult(feature_views=("driver_stats",), start=at(0), end=at(50), rows_written=2)
    assert lookup(store, [3, 1, 2, 9, None, 1]) == {
        "driver_id": [3, 1, 2, 9, None, 1],
        "trips": [None, 200, 300, None, None, 200],
        "rating": [None, 2.0, 3.0, None, None, 2.0],
    }


def test_an_older_window_never_replaces_newer_values(store: FeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(15), at(60))
    result = store.materialize(at(0), at(15))  # start is inclusive: the rows at 10
    assert result.rows_written == 1  # driver 2's; driver 1 keeps its newer value from the first window
    assert lookup(store, [1, 2, 3])["trips"] == [200, 300, 400]


def test_materializing_again_keeps_the_values(store: FeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    assert store.materialize(at(0), at(60)).rows_written == 3
    assert store.materialize(at(60), at(120)).rows_written == 0
    assert lookup(store, [1, 2, 3])["trips"] == [200, 300, 400]


def test_newer_source_rows_reach_the_online_store_on_the_next_materialize(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse
) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    warehouse.write("driver_stats", driver_rows([(1, 70, 70, 700, 7.0)]), mode="append")
    store.materialize(at(60), at(120))
    assert lookup(store, [1, 2])["trips"] == [700, 300]


def test_created_timestamps_break_ties_when_materializing(store: FeatureStore, drivers: Drivers) -> None:
    drivers([(1, 10, 30, 300, 3.0), (1, 10, 20, 200, 2.0), (1, 10, None, 999, 9.0)])
    store.materialize(at(0), at(60))
    assert lookup(store, [1])["trips"] == [300]


def test_materialize_without_names_takes_every_view(store: FeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.apply([], [driver_view(name="copy")])
    assert store.materialize(at(0), at(60)).feature_views == ("copy", "driver_stats")
    got = lookup(store, [1], "copy:trips", "driver_stats:rating")
    assert got == {"driver_id": [1], "trips": [200], "rating": [2.0]}


def test_aware_window_bounds_against_an_aware_source(store: FeatureStore, warehouse: Warehouse) -> None:
    source = driver_rows(ROWS)
    warehouse.write(
        "driver_stats", source.set_column(1, "event_ts", source.column("event_ts").cast(pa.timestamp("us", "UTC")))
    )
    store.apply([DRIVER], [driver_view()])
    # 01:30 in Oslo is 00:30 UTC: the rows at minutes 10 and 20 are in the window, the one at 50 is not.
    store.materialize(T0.replace(tzinfo=UTC), datetime(2026, 1, 1, 1, 30, tzinfo=ZoneInfo("Europe/Oslo")))
    assert lookup(store, [1, 2, 3])["trips"] == [200, 300, None]


def test_online_rows_come_back_in_input_order_with_every_entity_column(store: FeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    rows = pa.table({"note": ["x", "y", "z"], "driver_id": pa.array([2, 1, 2]).dictionary_encode()})
    result = store.get_online_features(rows, ["driver_stats:rating", "driver_stats:trips"], full_feature_names=True)
    assert result.select(["note", "driver_id"]).equals(rows)
    assert result.column_names == ["note", "driver_id", "driver_stats__rating", "driver_stats__trips"]
    assert result.column("driver_stats__trips").to_pylist() == [300, 200, 300]


def test_a_view_never_materialized_gives_nulls_of_the_features_types(store: FeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    rows = pa.table({"driver_id": [1, 2]})
    result = store.get_online_features(rows, ["driver_stats:trips", "driver_stats:rating"])
    assert result.column("trips").to_pylist() == [None, None]
    assert (result.schema.field("trips").type, result.schema.field("rating").type) == (pa.int64(), pa.float64())


def test_an_online_table_dropped_by_hand_is_recreated_empty(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse
) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    (online,) = [t for t in warehouse.list_tables() if "_online_" in t]
    warehouse.drop_table(online)
    assert lookup(store, [1])["trips"] == [None]
    assert online in warehouse.list_tables()
    store.materialize(at(0), at(60))
    assert lookup(store, [1])["trips"] == [200]


def test_a_failed_materialize_leaves_the_online_store_as_it_was(
    store: FeatureStore, drivers: Drivers, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(15))
    tables = warehouse.list_tables()
    real_write = warehouse.write

    def failing_overwrite(table: str, data: object, *, mode: str = "create") -> object:
        if mode == "overwrite":
            raise StackhubError("The warehouse failed mid-write.")
        return real_write(table, data, mode=mode)  # type: ignore[arg-type]

    monkeypatch.setattr(warehouse, "write", failing_overwrite)
    with pytest.raises(StackhubError, match="mid-write"):
        store.materialize(at(15), at(60))
    monkeypatch.undo()
    assert warehouse.list_tables() == tables  # the staging table is gone
    assert lookup(store, [1, 3])["trips"] == [100, None]


# -- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((at(0), at(60), ["no_such_view"]), NotFound, r"Feature view 'no_such_view' is not registered"),
        ((at(0), at(60), ["driver_stats", "driver_stat"]), NotFound, r"Did you mean 'driver_stats'\?"),
        ((at(60), at(0)), InvalidInput, r"is after end"),
        ((at(0), at(60), "driver_stats"), InvalidInput, r"must be a list of view names"),
        (("2026-01-01", at(60)), InvalidInput, r"must be datetimes"),
    ],
)
def test_bad_materialize_arguments(
    store: FeatureStore,
    drivers: Drivers,
    warehouse: Warehouse,
    args: tuple[object, ...],
    error: type[Exception],
    message: str,
) -> None:
    drivers(ROWS)
    tables = warehouse.list_tables()
    with pytest.raises(error, match=message):
        store.materialize(*args)  # type: ignore[arg-type]
    assert warehouse.list_tables() == tables


@pytest.mark.parametrize(
    ("rows", "features", "error", "message"),
    [
        (pa.table({"driver_id": [1]}), ["driver_stats:speed"], NotFound, r"has no feature 'speed'"),
        (pa.table({"driver_id": [1]}), ["nowhere:trips"], NotFound, r"'nowhere' is not registered"),
        (pa.table({"driver": [1]}), ["driver_stats:trips"], InvalidInput, r"entity_rows lacks join keys: 'driver_id'"),
        (pa.table({"driver_id": [1], "trips": [0]}), ["driver_stats:trips"], InvalidInput, r"full_feature_names"),
        ({"driver_id": [1]}, ["driver_stats:trips"], InvalidInput, r"must be a pyarrow Table, not dict"),
    ],
)
def test_bad_online_lookups(
    store: FeatureStore, drivers: Drivers, rows: object, features: list[str], error: type[Exception], message: str
) -> None:
    drivers(ROWS)
    with pytest.raises(error, match=message):
        store.get_online_features(rows, features)


def test_materialize_reads_the_window_with_its_ttl_ignored(store: FeatureStore, drivers: Drivers) -> None:
    # The ttl bounds training rows relative to an entity timestamp; online values are the latest materialized.
    drivers(ROWS, ttl=timedelta(minutes=1))
    store.materialize(at(0), at(60))
    assert lookup(store, [1])["trips"] == [200]


# -- push --------------------------------------------------------------------------------------------------


def pushed(rows: list[SourceRow], *, created: bool = True) -> pa.Table:
    table = driver_rows(rows)
    return table if created else table.drop_columns(["created_ts"])


def test_a_pushed_newer_value_is_served_and_an_older_one_is_not(store: SQLFeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    assert store.push("driver_stats", pushed([(1, 30, 30, 111, 1.5), (2, 5, 5, 222, 2.5), (4, 0, 0, 444, 4.5)])) == 2
    assert lookup(store, [1, 2, 3, 4]) == {
        "driver_id": [1, 2, 3, 4],
        "trips": [111, 300, 400, 444],
        "rating": [1.5, 3.0, 4.0, 4.5],
    }


def test_push_before_any_materialize_and_latest_of_a_batch(store: SQLFeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    rows = pushed([(7, 10, 1, 1, 0.1), (7, 30, 1, 3, 0.3), (7, 20, 1, 2, 0.2), (None, 99, 1, 9, 0.9)])
    assert store.push("driver_stats", rows) == 1
    assert lookup(store, [7, 1])["trips"] == [3, None]


def test_push_ties_follow_the_created_timestamp(store: SQLFeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))  # driver 1: event 20, created 20
    assert store.push("driver_stats", pushed([(1, 20, 19, 7, 0.7)])) == 0
    assert store.push("driver_stats", pushed([(1, 20, 0, 8, 0.8)], created=False)) == 0
    assert store.push("driver_stats", pushed([(1, 20, 21, 9, 0.9)])) == 1
    assert lookup(store, [1])["trips"] == [9]


def test_push_of_aware_timestamps_to_a_naive_source(store: SQLFeatureStore, drivers: Drivers) -> None:
    drivers(ROWS)
    store.materialize(at(0), at(60))
    rows = pushed([(1, 19, 19, 5, 0.5), (1, 21, 21, 6, 0.6)])
    rows = rows.set_column(1, "event_ts", rows.column("event_ts").cast(pa.timestamp("ns", "Asia/Tokyo")))
    store.push("driver_stats", rows)
    assert lookup(store, [1])["trips"] == [6]


@pytest.mark.parametrize(
    ("view", "rows", "error", "message"),
    [
        ("nowhere", pushed([(1, 30, 30, 1, 1.0)]), NotFound, r"'nowhere' is not registered"),
        (
            "driver_stats",
            pushed([(1, 30, 30, 1, 1.0)]).drop_columns(["rating"]),
            InvalidInput,
            r"rows lacks columns of the view: 'rating'",
        ),
        ("driver_stats", pushed([(1, 30, 30, 1, 1.0)]).to_pydict(), InvalidInput, r"rows must be a pyarrow Table"),
        (
            "driver_stats",
            pushed([(1, 30, 30, 1, 1.0)]).set_column(1, "event_ts", pa.array(["x"])),
            InvalidInput,
            r"'event_ts' of rows is string",
        ),
        (
            "driver_stats",
            pushed([(1, 30, 30, 1, 1.0)]).set_column(0, "driver_id", pa.array(["1"])),
            InvalidInput,
            r"Join key 'driver_id' is string in rows",
        ),
    ],
)
def test_bad_pushes(
    store: SQLFeatureStore, drivers: Drivers, view: str, rows: object, error: type[Exception], message: str
) -> None:
    drivers(ROWS)
    with pytest.raises(error, match=message):
        store.push(view, rows)
