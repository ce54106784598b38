"""The pushed-down SQL is portable: only standard functions, and it generates for PostgreSQL and Spark."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from stackhub import Monitor, Warehouse
from stackhub.categories.monitor import TableRef

# Standard SQL that every engine the warehouse category targets has under these names (sqlglot counts CASE
# and AND among its functions).
PORTABLE = {
    exp.Count,
    exp.Sum,
    exp.Min,
    exp.Max,
    exp.Avg,
    exp.StddevPop,
    exp.Abs,
    exp.Lead,
    exp.Cast,
    exp.Case,
    exp.If,
    exp.And,
}


@pytest.fixture
def statements(monitor: Monitor, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement of a drift report that uses each method and of a quality report, as DuckDB ran them."""
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "ks": rng.normal(size=500),
            "wasserstein": rng.normal(size=500),
            "chi": rng.choice(["a", "b"], size=500),
            "js binned": rng.normal(size=500),
            "psi counted": rng.integers(0, 5, size=500),
            "js categories": rng.choice(["a", "b"], size=500),
        }
    )
    warehouse.write("source", table)
    seen: list[str] = []
    query = warehouse.query

    def recording_query(sql: str, *, dialect: str | None = None) -> pa.Table:
        seen.append(sql)
        return query(sql, dialect=dialect)

    monkeypatch.setattr(warehouse, "query", recording_query)
    methods = {
        "wasserstein": "wasserstein",
        "js binned": "jensenshannon",
        "psi counted": "psi",
        "js categories": "jensenshannon",
    }
    monitor.drift_report(TableRef(warehouse, "SELECT * FROM source"), table, methods=methods)  # type: ignore[arg-type]
    monitor.quality_report(TableRef(warehouse, "source"))
    return seen


def test_statements_use_only_portable_functions(statements: list[str]) -> None:
    assert len(statements) == 6  # for each report a schema lookup; profile, ECDF and frequencies; quality
    for sql in statements:
        used = {type(node) for node in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Func)}
        assert used <= PORTABLE, sql


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
def test_statements_generate_for_other_engines(statements: list[str], dialect: str) -> None:
    for sql in statements:
        (generated,) = sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)
        sqlglot.parse_one(generated, read=dialect)
