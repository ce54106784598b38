"""Data quality from Evidently's metrics (rows, missing, min, max, mean) and Arrow (distinct), against numpy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from stackhub import InvalidInput, Monitor, Warehouse
from stackhub.categories.monitor import TableRef


def profiled(rows: int = 1000) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Nulls in every column, NaN and infinities in the float column; and each column's present values."""
    rng = np.random.default_rng(7)
    floats = rng.normal(10.0, 3.0, rows)
    floats[::9], floats[4::97], floats[6::89] = np.nan, np.inf, -0.0
    values: dict[str, np.ndarray] = {
        "float": floats,
        "integer": rng.integers(-40, 40, rows),
        "text": rng.choice(["a", "b", "c", "d"], rows),
        "flag": rng.random(rows) < 0.5,
    }
    nulls = {name: (np.arange(rows) + i) % (5 + i) == 0 for i, name in enumerate(values)}
    table = pa.table({n: pa.array(v, mask=nulls[n]) for n, v in values.items()})
    present = {n: v[~(nulls[n] | (np.isnan(v) if v.dtype.kind == "f" else False))] for n, v in values.items()}
    return table, present


def test_quality_counts_and_summaries_equal_numpys(monitor: Monitor) -> None:
    table, present = profiled()
    report = monitor.quality_report(table)
    assert report.rows == 1000
    columns = {c.column: c for c in report.columns}
    assert list(columns) == table.column_names
    for name, values in present.items():
        got = columns[name]
        # np.unique counts -0.0 and 0.0 as one value, as SQL's COUNT(DISTINCT) does.
        assert (got.count, got.missing, got.distinct) == (len(values), 1000 - len(values), len(np.unique(values)))
        assert got.type == str(table.schema.field(name).type)
    for name in ("float", "integer"):
        values = present[name].astype(np.float64)
        got = columns[name]
        # Infinities are values: the float column's max is +inf, and so is its mean.
        assert (got.min, got.max) == (values.min(), values.max())
        assert got.mean == pytest.approx(values.mean(), rel=1e-12)
    assert columns["float"].max == float("inf")
    assert (columns["text"].min, columns["text"].max, columns["text"].mean) == (None, None, None)


def test_quality_of_other_arrow_types(monitor: Monitor) -> None:
    table = pa.table(
        {
            "dec": pa.array([Decimal("1.50"), None, Decimal("-2.25"), Decimal("1.50")], pa.decimal128(6, 2)),
            "dict": pa.array(["x", None, "y", "x"]).dictionary_encode(),
            "day": pa.array([date(2026, 1, 1), None, date(2026, 1, 2), None], pa.date32()),
            "f32": pa.array([1.5, float("nan"), None, 2.5], pa.float32()),
            "nothing": pa.array([None] * 4, pa.null()),
        }
    )
    columns = {c.column: c for c in monitor.quality_report(table).columns}
    assert (columns["dec"].count, columns["dec"].distinct, columns["dec"].min, columns["dec"].mean) == (
        3,
        2,
        -2.25,
        0.25,
    )
    assert (columns["dict"].count, columns["dict"].missing, columns["dict"].distinct) == (3, 1, 2)
    assert (columns["day"].count, columns["day"].distinct, columns["day"].mean) == (2, 2, None)
    assert (columns["f32"].count, columns["f32"].missing, columns["f32"].distinct, columns["f32"].mean) == (
        2,
        2,
        2,
        2.0,
    )
    assert (columns["nothing"].count, columns["nothing"].missing, columns["nothing"].distinct) == (0, 4, 0)


def test_quality_of_an_empty_table(monitor: Monitor) -> None:
    report = monitor.quality_report(pa.table({"a": pa.array([], pa.float64()), "b": pa.array([], pa.string())}))
    assert report.rows == 0
    assert [(c.column, c.count, c.missing, c.distinct, c.min) for c in report.columns] == [
        ("a", 0, 0, 0, None),
        ("b", 0, 0, 0, None),
    ]


def test_quality_of_a_warehouse_table_equals_its_arrow_table(monitor: Monitor, warehouse: Warehouse) -> None:
    table, _ = profiled(300)
    warehouse.write("profiled", table)
    assert monitor.quality_report(TableRef(warehouse, "profiled")) == monitor.quality_report(table)
    subset = monitor.quality_report(TableRef(warehouse, "SELECT text, flag FROM profiled"))
    assert [c.column for c in subset.columns] == ["text", "flag"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({}), "no columns"),
        (pa.table({"a": pa.array([[1], [2]])}), "'a' holds nested values"),
        (pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"]), "more than one column named 'a'"),
    ],
)
def test_quality_refusals_raise_invalid_input(monitor: Monitor, table: pa.Table, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        monitor.quality_report(table)
