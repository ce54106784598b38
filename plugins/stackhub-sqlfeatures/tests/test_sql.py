"""The generated SQL on engines of other dialects: transpiled without loss, and proven by running it.

A warehouse that speaks PostgreSQL or Spark SQL is stood in for by DuckDB reading that dialect back through
sqlglot, so every statement the feature store generates for it runs, and its result is compared with the
brute-force reference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pyarrow as pa
import pytest
import sqlfeatures_reference as reference
import sqlglot
from sqlfeatures_support import ForeignDialectWarehouse, at, build_store
from stackhub import CapabilityMissing, Warehouse
from stackhub.categories.feature_store import FeatureView
from stackhub_sqlfeatures import plugin
from test_reference import FEATURES, random_case

DIALECTS = ["postgres", "spark"]


@pytest.fixture(params=DIALECTS)
def foreign(request: pytest.FixtureRequest, warehouse: Warehouse) -> ForeignDialectWarehouse:
    return ForeignDialectWarehouse.speaking(request.param, warehouse)


@pytest.fixture
def sqlglot_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """What sqlglot logs while generating: it warns about every construct it cannot express in a dialect."""
    with caplog.at_level(logging.WARNING, logger="sqlglot"):
        yield caplog.records


def test_a_warehouse_without_asof_join_gets_the_window_form(foreign: ForeignDialectWarehouse) -> None:
    assert build_store(foreign).join == "window"
    with pytest.raises(CapabilityMissing, match=r"join: 'asof' needs a warehouse that declares the 'asof_join'"):
        plugin.create({"warehouse": "w", "join": "asof"}, dependencies={"warehouse": foreign})


@pytest.mark.parametrize("seed", range(3))
def test_every_statement_runs_in_the_dialect_and_matches_the_reference(
    foreign: ForeignDialectWarehouse, sqlglot_warnings: list[logging.LogRecord], seed: int
) -> None:
    store = build_store(foreign)
    entities, views, rows = random_case(seed)
    for view, _, source in views.values():
        foreign.write(view.source, source)
    store.apply(entities, [view for view, _, _ in views.values()])
    got = store.get_historical_features(rows, FEATURES)
    assert got.equals(reference.point_in_time(rows, views, FEATURES))

    view, keys, source = views["driver_stats"]
    store.materialize(at(20), at(150))
    latest = reference.latest_per_key(view, keys, source, at(20), at(150))
    lookup = pa.table({"driver_id": pa.array(range(14), pa.int64())})
    online = store.get_online_features(lookup, ["driver_stats:trips"]).column("trips").to_pylist()
    assert online == [latest.get((key,), {}).get("trips") for key in range(14)]

    assert not sqlglot_warnings, [r.getMessage() for r in sqlglot_warnings]
    for statement in foreign.statements:
        sqlglot.parse_one(statement, read=foreign.dialect)  # each is valid in the dialect it was written for
        assert "ASOF" not in statement.upper()
        assert "INTERVAL" not in statement.upper()


def test_aware_sources_materialize_in_every_dialect(foreign: ForeignDialectWarehouse) -> None:
    store = build_store(foreign)
    entities, views, _ = random_case(0)
    view, keys, source = views["driver_stats"]
    aware = source.set_column(1, "event_ts", source.column("event_ts").cast(pa.timestamp("us", "UTC")))
    foreign.write(view.source, aware)
    store.apply(entities, [view])
    store.materialize(at(20), at(150))
    latest = reference.latest_per_key(view, keys, source, at(20), at(150))
    online = store.get_online_features(pa.table({"driver_id": list(range(12))}), ["driver_stats:rating"])
    assert online.column("rating").to_pylist() == [latest.get((key,), {}).get("rating") for key in range(12)]


def test_view_names_become_safe_table_names(foreign: ForeignDialectWarehouse) -> None:
    store = build_store(foreign, table_prefix="fs")
    entities, views, _ = random_case(0)
    view, _, source = views["driver_stats"]
    foreign.write(view.source, source)
    odd: FeatureView = view.model_copy(update={"name": 'Driver "Stats"; DROP TABLE x -- 🚕' * 3})
    store.apply(entities, [odd])
    (online,) = [t for t in foreign.list_tables() if t.startswith("fs_online_")]
    assert online.replace("_", "").isalnum()
    assert len(online) <= 63
