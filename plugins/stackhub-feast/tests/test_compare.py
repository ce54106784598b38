"""Feast's training sets and online values against those of the warehouse-native feature store (sqlfeatures).

Both feature stores get the same sources in one DuckDB warehouse and the same definitions. Through this plugin,
Feast's results are identical to sqlfeatures' with either offline store. Feast called alone, on the same snapshot
and entity rows, differs from them in exactly the rows the plugin's bridges are for (see the README, "Semantics"),
and each of those tests names the rows and the reason.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from feast_support import DRIVER, FEATURES, at, driver_rows, driver_view, entity_rows, random_case
from stackhub import FeatureStore, Warehouse
from stackhub.categories.feature_store import FeatureView
from stackhub_feast._export import Bounds, export, source_path
from stackhub_feast._store import FeastFeatureStore
from stackhub_sqlfeatures import plugin as sqlfeatures_plugin

SEEDS = range(6)


@pytest.fixture
def sqlfeatures(warehouse: Warehouse) -> Iterator[FeatureStore]:
    with sqlfeatures_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse}) as store:
        assert isinstance(store, FeatureStore)
        yield store


def _load(warehouse: Warehouse, stores: list[FeatureStore], seed: int) -> tuple[dict[str, FeatureView], pa.Table]:
    entities, views, rows = random_case(seed)
    for view, source in views.values():
        warehouse.write(view.source, source, mode="overwrite")
    for store in stores:
        store.apply(entities, [view for view, _ in views.values()])
    return {name: view for name, (view, _) in views.items()}, rows


def _differing_rows(got: pa.Table, expected: pa.Table) -> list[dict[str, Any]]:
    return [
        {"row": i, "got": g, "expected": e}
        for i, (g, e) in enumerate(zip(got.to_pylist(), expected.to_pylist(), strict=True))
        if g != e
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_training_sets_equal_sqlfeatures(
    warehouse: Warehouse, sqlfeatures: FeatureStore, make_store: Callable[..., FeastFeatureStore], seed: int
) -> None:
    stores = {name: make_store(offline_store=name) for name in ("file", "duckdb")}
    views, rows = _load(warehouse, [sqlfeatures, *stores.values()], seed)
    full = seed % 2 == 0
    expected = sqlfeatures.get_historical_features(rows, FEATURES, full_feature_names=full)
    for name, store in stores.items():
        got = store.get_historical_features(rows, FEATURES, full_feature_names=full)
        assert got.schema == expected.schema, f"{name}: {got.schema} != {expected.schema}"
        assert got.equals(expected), f"{name}, ttl {views['driver_stats'].ttl}: {_differing_rows(got, expected)[:5]}"


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_online_values_equal_sqlfeatures(
    warehouse: Warehouse, sqlfeatures: FeatureStore, make_store: Callable[..., FeastFeatureStore], seed: int
) -> None:
    stores = {name: make_store(offline_store=name) for name in ("file", "duckdb")}
    _load(warehouse, [sqlfeatures, *stores.values()], seed)
    windows = sorted(random.Random(seed).sample(range(0, 160, 5), 3))
    lookup = pa.table(
        {"zone": pa.array(list("abcd") * 4), "driver_id": pa.array([*range(12), None, 3, 3, 11], pa.int64())}
    )
    # Windows in time order: Feast's online store keeps whatever it wrote last (see test_an_older_window_...).
    for start, end in ((windows[0], windows[1]), (windows[1], windows[2])):
        results = [s.materialize(at(start), at(end)) for s in [sqlfeatures, *stores.values()]]
        expected = sqlfeatures.get_online_features(lookup, FEATURES)
        for name, store in stores.items():
            got = store.get_online_features(lookup, FEATURES)
            assert got.equals(expected), f"{name}, [{start}, {end}): {_differing_rows(got, expected)[:5]}"
        # sqlfeatures counts keys whose value now comes from the window; Feast writes every key of the window.
        assert results[1].rows_written == results[2].rows_written >= results[0].rows_written


# -- Feast alone --------------------------------------------------------------------------------------------


def _feast_alone(store: FeastFeatureStore, view: FeatureView, rows: pa.Table) -> pa.Table:
    """Feast's training set for ``rows`` (all of them, as given), over a snapshot of the whole source: what a
    Feast user gets without the plugin's bridges."""
    path = source_path(store.repo, view.name)
    types = {f.name: pa.type_for_alias(f.dtype) for f in view.features}
    export(store.warehouse, view, ("driver_id",), types, path, Bounds(), latest_created_only=False)
    job = store.feast_store.get_historical_features(entity_df=rows.to_pandas(), features=[f"{view.name}:trips"])
    return job.to_arrow()


def _by_entity_row(table: pa.Table) -> Counter[tuple[Any, ...]]:
    """(driver, minute, trips) of each row, counted: Feast's row order and timestamp type are its own."""
    minutes = [
        (t.replace(tzinfo=None) - at(0)) / timedelta(minutes=1) for t in table.column("event_timestamp").to_pylist()
    ]
    values = [None if v is None or v != v else int(v) for v in table.column("trips").to_pylist()]  # NaN: null
    return Counter(zip(table.column("driver_id").to_pylist(), minutes, values, strict=True))


#: (driver, minute) entity rows: an exact hit, one past the ttl, one with an older row, one whose key has only a
#: later row, a duplicate, an unknown key.
ROWS = [(1, 25), (1, 35), (1, 5), (3, 5), (1, 25), (9, 5), (1, 20)]
#: How Feast alone differs from the spec on ROWS: (driver, minute) -> (rows Feast returns, its trips), and why.
DIFFERENCES: dict[tuple[str, str], dict[tuple[int, int], tuple[tuple[int, int | None], str]]] = {
    ("file", "ttl 10 minutes"): {
        (1, 25): ((1, 200), "Dask merges duplicate entity rows (same keys and timestamp) into one"),
        (1, 35): ((0, None), "Dask drops an entity row whose key has rows, none within the ttl"),
        (3, 5): ((0, None), "Dask drops an entity row whose key has only rows stamped after it"),
    },
    ("file", "ttl 0"): {
        (1, 25): ((1, 200), "merged duplicates; and Feast reads ttl 0 as no ttl, so the row at 20 is used"),
        (1, 35): ((1, 200), "Feast reads ttl 0 as no ttl: the row at 20 is used"),
        (1, 5): ((1, 100), "Feast reads ttl 0 as no ttl: the row at 0 is used"),
        (3, 5): ((0, None), "Dask drops an entity row whose key has only rows stamped after it"),
    },
    ("duckdb", "ttl 10 minutes"): {},
    ("duckdb", "ttl 0"): {
        (1, 25): ((2, 200), "Feast reads ttl 0 as no ttl: the row at 20 is used"),
        (1, 35): ((1, 200), "Feast reads ttl 0 as no ttl: the row at 20 is used"),
        (1, 5): ((1, 100), "Feast reads ttl 0 as no ttl: the row at 0 is used"),
    },
}


@pytest.mark.parametrize(("offline_store", "ttl"), sorted(DIFFERENCES), ids=" ".join)
def test_feast_alone_differs_exactly_where_the_plugin_bridges(
    warehouse: Warehouse,
    sqlfeatures: FeatureStore,
    make_store: Callable[..., FeastFeatureStore],
    offline_store: str,
    ttl: str,
) -> None:
    store = make_store(offline_store=offline_store)
    warehouse.write("driver_stats", driver_rows([(1, 0, 0, 100, 1.0), (1, 20, 20, 200, 2.0), (3, 50, 50, 300, 3.0)]))
    view = driver_view(ttl=timedelta(minutes=10) if ttl == "ttl 10 minutes" else timedelta(0))
    for feature_store in (sqlfeatures, store):
        feature_store.apply([DRIVER], [view])
    rows = entity_rows(ROWS)
    spec = sqlfeatures.get_historical_features(rows, ["driver_stats:trips"])
    assert store.get_historical_features(rows, ["driver_stats:trips"]).equals(spec), "The plugin differs from the spec."
    expected, alone = _by_entity_row(spec), _by_entity_row(_feast_alone(store, view, rows))
    differences = {}
    for driver, minute in dict.fromkeys(ROWS):
        want = [(count, trips) for (d, m, trips), count in expected.items() if (d, m) == (driver, minute)]
        got = [(count, trips) for (d, m, trips), count in alone.items() if (d, m) == (driver, minute)] or [(0, None)]
        assert len(want) == len(got) == 1, f"({driver}, {minute}): spec {want}, Feast {got}"
        if got != want:
            differences[(driver, minute)] = got[0]
    explained = DIFFERENCES[(offline_store, ttl)]
    assert differences == {row: outcome for row, (outcome, _) in explained.items()}, explained


def test_feast_alone_materializes_rows_stamped_at_the_end_of_the_window(
    warehouse: Warehouse, make_store: Callable[..., FeastFeatureStore]
) -> None:
    store = make_store()
    warehouse.write("driver_stats", driver_rows([(1, 10, 10, 100, 1.0), (1, 30, 30, 300, 3.0)]))
    view = driver_view()
    store.apply([DRIVER], [view])
    keys = pa.table({"driver_id": [1]})
    store.materialize(at(0), at(30))  # the spec's window is [start, end): the row at 30 is outside
    assert store.get_online_features(keys, ["driver_stats:trips"]).column("trips").to_pylist() == [100]
    export(
        warehouse,
        view,
        ("driver_id",),
        {"trips": pa.int64(), "rating": pa.float64()},
        source_path(store.repo, "driver_stats"),
        Bounds(),
    )
    store.feast_store.materialize(at(0), at(30), ["driver_stats"])  # Feast's window is [start, end]
    assert store.get_online_features(keys, ["driver_stats:trips"]).column("trips").to_pylist() == [300]


def test_an_older_window_materialized_later_overwrites_newer_values(
    warehouse: Warehouse, sqlfeatures: FeatureStore, make_store: Callable[..., FeastFeatureStore]
) -> None:
    # Not bridged (the spec does not decide it, see the README): Feast's online store keeps what it wrote last,
    # sqlfeatures the value with the latest event timestamp.
    store = make_store()
    warehouse.write("driver_stats", driver_rows([(1, 10, 10, 100, 1.0), (1, 30, 30, 300, 3.0), (2, 10, 10, 200, 2.0)]))
    for feature_store in (sqlfeatures, store):
        feature_store.apply([DRIVER], [driver_view()])
        feature_store.materialize(at(20), at(60))
        feature_store.materialize(at(0), at(20))
    keys = pa.table({"driver_id": [1, 2]})
    assert store.get_online_features(keys, ["driver_stats:trips"]).column("trips").to_pylist() == [100, 200]
    assert sqlfeatures.get_online_features(keys, ["driver_stats:trips"]).column("trips").to_pylist() == [300, 200]


@pytest.mark.parametrize("offline_store", ["file", "duckdb"])
def test_feast_alone_breaks_created_timestamp_ties_only_with_duckdb(
    warehouse: Warehouse, sqlfeatures: FeatureStore, make_store: Callable[..., FeastFeatureStore], offline_store: str
) -> None:
    # Five drivers, ten event times, 300 rows: about six rows per driver and time, told apart by created only.
    rng = random.Random("stackhub-feast:ties")
    created = rng.sample(range(2000), 300)
    source = [(rng.randrange(5), rng.randrange(0, 100, 10), created[i], rng.randrange(1000), 1.0) for i in range(300)]
    warehouse.write("driver_stats", driver_rows(source))
    store = make_store(offline_store=offline_store)
    view = driver_view()
    for feature_store in (sqlfeatures, store):
        feature_store.apply([DRIVER], [view])
    # Distinct entity rows between the event times (Feast merges duplicates, see above).
    rows = entity_rows(rng.sample([(driver, minute) for driver in range(5) for minute in range(5, 110, 10)], 40))
    rows = rows.append_column("request", pa.array(range(rows.num_rows)))
    spec = sqlfeatures.get_historical_features(rows, ["driver_stats:trips"])
    assert store.get_historical_features(rows, ["driver_stats:trips"]).equals(spec), "The plugin differs from the spec."
    alone = _feast_alone(store, view, rows)
    got = dict(zip(alone.column("request").to_pylist(), alone.column("trips").to_pylist(), strict=True))
    wrong = {}
    for request, driver, when, trips in zip(
        *(spec.column(c).to_pylist() for c in ("request", "driver_id", "event_timestamp", "trips")), strict=True
    ):
        if request not in got:
            assert trips is None, f"Feast dropped row {request}, which has a value"  # a key with only later rows
            continue
        if got[request] != trips:
            latest = max(event for d, event, *_ in source if d == driver and at(event) <= when)
            tied = {value for d, event, _, value, _ in source if d == driver and event == latest}
            assert len(tied) > 1, f"Row {request}: Feast {got[request]}, spec {trips}, and no tie"
            assert got[request] in tied, f"Row {request}: Feast {got[request]} is none of the tied values {tied}"
            wrong[request] = got[request]
    # Dask sorts by created and then by event timestamp, and its sort is not stable: any row of a tie may win.
    assert bool(wrong) == (offline_store == "file"), wrong
