"""The warehouse-native feature store (sqlfeatures) and monitor (sqlmonitor) run unchanged on Spark: the same Arrow
data gives the same point-in-time training set, online features, drift and quality reports on Spark as on DuckDB.

Spark declares no ``asof_join``, so sqlfeatures' ``join: auto`` takes its portable window form there, while on
DuckDB it takes ASOF JOIN: the comparison checks the two strategies against each other too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from stackhub import FeatureStore, Monitor, Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub.categories.monitor import DriftReport, QualityReport, TableRef
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqlfeatures import plugin as features_plugin
from stackhub_sqlmonitor import plugin as monitor_plugin

SEED = 20_261_126
T0 = datetime(2026, 1, 1)
PREFIX = "stackhub_pt"


@pytest.fixture
def duckdb() -> Iterator[Warehouse]:
    with duckdb_plugin.create({"path": ":memory:"}) as component:
        assert isinstance(component, Warehouse)
        yield component


def _cleanup(warehouse: Warehouse, prefix: str) -> None:
    for table in warehouse.list_tables():
        if table.startswith(prefix):
            warehouse.drop_table(table, missing_ok=True)


def _stamps(minutes: np.ndarray, nulls: np.ndarray | None = None) -> pa.Array:
    """Naive timestamps ``minutes`` after T0, null where ``nulls`` is true."""
    start = int((T0 - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    return pa.array(start + minutes.astype("int64") * 60_000_000, pa.timestamp("us"), mask=nulls)


def _driver_source(rng: np.random.Generator, rows: int) -> pa.Table:
    # Few drivers and minutes, so many rows share an event timestamp and the created timestamp decides.
    return pa.table(
        {
            "driver_id": pa.array(rng.integers(0, 40, rows), pa.int64()),
            "event_ts": _stamps(rng.integers(0, 600, rows)),
            "created_ts": _stamps(rng.integers(0, 900, rows), nulls=rng.random(rows) < 0.1),
            "trips": pa.array(rng.integers(0, 500, rows), pa.int64()),
            "rating": pa.array(np.round(rng.uniform(1, 5, rows), 3), mask=rng.random(rows) < 0.05),
            "city": pa.array(rng.choice(["oslo", "lima", "pune"], rows)),
        }
    )


def _entity_rows(rng: np.random.Generator, rows: int) -> pa.Table:
    return pa.table(
        {
            "driver_id": pa.array(rng.integers(0, 45, rows), pa.int64()),  # some drivers have no rows
            "event_timestamp": _stamps(rng.integers(-30, 700, rows)),
            "label": pa.array(rng.random(rows) < 0.5),
        }
    )


DRIVER = Entity(name="driver", join_keys=("driver_id",))


def _views(source: str) -> list[FeatureView]:
    return [
        FeatureView(
            name=f"{PREFIX}_driver_stats",
            entities=("driver",),
            source=source,
            timestamp_field="event_ts",
            created_timestamp_field="created_ts",
            features=(Feature(name="trips", dtype="int64"), Feature(name="rating", dtype="double")),
            ttl=timedelta(hours=3),
        ),
        FeatureView(
            name=f"{PREFIX}_driver_city",
            entities=("driver",),
            source=source,
            timestamp_field="event_ts",
            features=(Feature(name="city", dtype="string"),),
        ),
    ]


def _features(store: FeatureStore, warehouse: Warehouse, source: pa.Table, entities: pa.Table) -> dict[str, pa.Table]:
    table = f"{PREFIX}_driver_source"
    warehouse.write(table, source, mode="overwrite")
    store.apply([DRIVER], _views(table))
    wanted = [f"{PREFIX}_driver_stats:trips", f"{PREFIX}_driver_stats:rating", f"{PREFIX}_driver_city:city"]
    training = store.get_historical_features(entities, wanted, full_feature_names=True)
    store.materialize(T0, T0 + timedelta(hours=8))
    online = store.get_online_features(entities.select(["driver_id"]), wanted)
    return {"training": training, "online": online}


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in table.column_names])


def test_point_in_time_training_set_and_online_features_match_duckdb(warehouse: Warehouse, duckdb: Warehouse) -> None:
    rng = np.random.default_rng(SEED)
    source, entities = _driver_source(rng, 1_500), _entity_rows(rng, 400)
    config = {"warehouse": "warehouse", "table_prefix": PREFIX}
    on_spark = features_plugin.create(config, dependencies={"warehouse": warehouse})
    on_duckdb = features_plugin.create(config, dependencies={"warehouse": duckdb})
    assert isinstance(on_spark, FeatureStore)
    assert isinstance(on_duckdb, FeatureStore)
    assert on_spark.join == "window", "join: auto must pick the window form on Spark, which has no ASOF JOIN"  # type: ignore[attr-defined]
    assert on_duckdb.join == "asof"  # type: ignore[attr-defined]
    try:
        spark_result = _features(on_spark, warehouse, source, entities)
        duckdb_result = _features(on_duckdb, duckdb, source, entities)
    finally:
        _cleanup(warehouse, PREFIX)
    for what in ("training", "online"):
        got, expected = spark_result[what], duckdb_result[what]
        assert got.schema == expected.schema, f"{what}: {got.schema} != {expected.schema}"
        assert got.num_rows == expected.num_rows == entities.num_rows
        assert _sorted(got).equals(_sorted(expected)), f"The {what} rows differ between Spark and DuckDB."
        assert got.equals(expected), f"The {what} rows come back in another order on Spark."
    training = spark_result["training"]
    assert training.column(f"{PREFIX}_driver_stats__trips").null_count > 0, "the ttl left some rows without features"
    assert training.column(f"{PREFIX}_driver_stats__trips").null_count < training.num_rows


def _monitor_data(rng: np.random.Generator, rows: int, shift: float) -> pa.Table:
    colours = np.array(["red", "green", "blue", "cyan", "plum"])
    weights = np.array([0.4, 0.25, 0.2, 0.1, 0.05]) + shift * np.array([-0.2, 0.0, 0.0, 0.1, 0.1])
    size = rows
    floats = rng.normal(loc=shift, scale=1.0 + shift, size=size)
    floats[:3] = [np.nan, np.inf, -np.inf]
    return pa.table(
        {
            "float": pa.array(floats, mask=rng.random(size) < 0.02),
            "int": pa.array(rng.integers(0, 60 + int(40 * shift), size=size), pa.int64()),
            "colour": pa.array(rng.choice(colours, size=size, p=weights)),
            "flag": pa.array(rng.random(size) < 0.3 + shift / 2),
            "amount": pa.array(np.round(rng.gamma(2.0, 10.0 + 10 * shift, size=size), 2)),
        }
    )


def _assert_same_report(got: DriftReport, expected: DriftReport) -> None:
    assert (got.reference_rows, got.current_rows) == (expected.reference_rows, expected.current_rows)
    assert [(c.column, c.column_type, c.method) for c in got.columns] == [
        (c.column, c.column_type, c.method) for c in expected.columns
    ]
    for mine, theirs in zip(got.columns, expected.columns, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-9, abs=1e-12), (mine, theirs)
        assert mine.drifted == theirs.drifted, (mine, theirs)
    assert got.drift_share == expected.drift_share
    assert got.dataset_drifted == expected.dataset_drifted


def _assert_same_quality(got: QualityReport, expected: QualityReport) -> None:
    """Equal counts; min, max and mean equal within floating tolerance (engines sum in different orders)."""
    assert got.rows == expected.rows
    for mine, theirs in zip(got.columns, expected.columns, strict=True):
        assert (mine.column, mine.type, mine.count, mine.missing, mine.distinct) == (
            theirs.column,
            theirs.type,
            theirs.count,
            theirs.missing,
            theirs.distinct,
        )
        for statistic in ("min", "max", "mean"):
            value, other = getattr(mine, statistic), getattr(theirs, statistic)
            assert (value is None) == (other is None), (mine, theirs)
            if value is not None:
                assert value == pytest.approx(other, rel=1e-12, nan_ok=True), (statistic, mine, theirs)


@pytest.mark.parametrize("rows", [800, 2_500], ids=["ks-chisquare", "wasserstein-jensenshannon"])
def test_drift_and_quality_reports_match_duckdb(warehouse: Warehouse, duckdb: Warehouse, rows: int) -> None:
    rng = np.random.default_rng(SEED + rows)
    reference, current = _monitor_data(rng, rows, 0.0), _monitor_data(rng, rows - 150, 0.3)
    on_spark = monitor_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse})
    on_duckdb = monitor_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": duckdb})
    assert isinstance(on_spark, Monitor)
    assert isinstance(on_duckdb, Monitor)
    _assert_same_report(on_spark.drift_report(reference, current), on_duckdb.drift_report(reference, current))
    methods = {"amount": "psi", "colour": "psi", "int": "jensenshannon"}
    _assert_same_report(
        on_spark.drift_report(reference, current, methods=methods),  # type: ignore[arg-type]
        on_duckdb.drift_report(reference, current, methods=methods),  # type: ignore[arg-type]
    )
    _assert_same_quality(on_spark.quality_report(current), on_duckdb.quality_report(current))


def test_drift_of_a_table_kept_in_spark_matches_duckdb(warehouse: Warehouse, duckdb: Warehouse) -> None:
    rng = np.random.default_rng(SEED)
    reference, current = _monitor_data(rng, 900, 0.0), _monitor_data(rng, 700, 0.5)
    table = f"{PREFIX}_reference"
    warehouse.write(table, reference, mode="overwrite")
    duckdb.write(table, reference, mode="overwrite")
    try:
        on_spark = monitor_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse})
        on_duckdb = monitor_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": duckdb})
        assert isinstance(on_spark, Monitor)
        assert isinstance(on_duckdb, Monitor)
        got = on_spark.drift_report(TableRef(warehouse, table), current)
        expected = on_duckdb.drift_report(TableRef(duckdb, table), current)
        _assert_same_report(got, expected)
        # A table of one warehouse compared in the other: streamed over as Arrow batches.
        _assert_same_report(on_duckdb.drift_report(TableRef(warehouse, table), current), expected)
    finally:
        warehouse.drop_table(table, missing_ok=True)
