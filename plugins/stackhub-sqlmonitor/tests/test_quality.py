"""The quality report: counts, missing (null and NaN), distinct, and min/max/mean of numeric columns."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from stackhub import InvalidInput, Monitor, NotFound, Warehouse
from stackhub.categories.monitor import TableRef


@pytest.fixture
def table() -> pa.Table:
    rng = np.random.default_rng(7)
    x = rng.normal(size=1000)
    x[::10] = np.nan
    x[1] = np.inf
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(1000) % 25 == 0),
            "n": pa.array(rng.integers(0, 50, 1000), mask=np.arange(1000) % 3 == 0),
            "s": pa.array(rng.choice(["a", "b", "c"], 1000), mask=np.arange(1000) % 4 == 0),
            "all null": pa.array([None] * 1000, pa.int32()),
            "d": pa.array([str(i % 7) for i in range(1000)]).dictionary_encode(),
        }
    )


def expected_numeric(values: np.ndarray, nulls: np.ndarray) -> dict[str, float | int]:
    present = values[~nulls & ~np.isnan(values)]
    return {
        "count": len(present),
        "missing": len(values) - len(present),
        "distinct": len(np.unique(present)),
        "min": float(present.min()),
        "max": float(present.max()),
        "mean": float(present.mean()),
    }


@pytest.mark.parametrize("in_place", [False, True])
def test_quality_counts_null_and_nan_as_missing(
    monitor: Monitor, warehouse: Warehouse, table: pa.Table, in_place: bool
) -> None:
    if in_place:
        warehouse.write("profiled", table)
    report = monitor.quality_report(TableRef(warehouse, "profiled") if in_place else table)

    assert report.rows == 1000
    by_name = {c.column: c for c in report.columns}
    assert list(by_name) == table.column_names
    for name in ("x", "n"):
        column = table[name]
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        got = by_name[name]
        want = expected_numeric(values, column.is_null().to_numpy(zero_copy_only=False))
        assert (got.count, got.missing, got.distinct) == (want["count"], want["missing"], want["distinct"])
        assert (got.min, got.max) == (want["min"], want["max"])
        assert got.mean == pytest.approx(want["mean"], rel=1e-12, abs=0)
    assert by_name["x"].max == math.inf  # an infinity is a value, not a missing one
    assert by_name["x"].missing == 100 + 40 - 20  # NaN every 10th, null every 25th, both every 50th
    strings = by_name["s"]
    assert (strings.type, strings.count, strings.missing, strings.distinct) == ("string", 750, 250, 3)
    assert (strings.min, strings.max, strings.mean) == (None, None, None)
    empty = by_name["all null"]
    assert (empty.count, empty.missing, empty.distinct, empty.min, empty.mean) == (0, 1000, 0, None, None)
    assert (by_name["d"].count, by_name["d"].distinct) == (1000, 7)
    assert warehouse.list_tables() == (["profiled"] if in_place else [])


def test_quality_of_an_empty_table(monitor: Monitor) -> None:
    report = monitor.quality_report(pa.table({"x": pa.array([], pa.float64())}))
    assert report.rows == 0
    assert report.columns[0].model_dump() == {
        "column": "x",
        "type": "double",
        "count": 0,
        "missing": 0,
        "distinct": 0,
        "min": None,
        "max": None,
        "mean": None,
    }


def test_quality_of_a_missing_table_raises_not_found(monitor: Monitor, warehouse: Warehouse) -> None:
    with pytest.raises(NotFound):
        monitor.quality_report(TableRef(warehouse, "no_such_table"))


def test_quality_without_columns_raises_invalid_input(monitor: Monitor) -> None:
    with pytest.raises(InvalidInput, match="no columns"):
        monitor.quality_report(pa.table({}))
