"""Drift scores computed in DuckDB against Evidently's definitions on scipy, on the same seeded rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import sqlmonitor_reference as reference_stats
from stackhub import InvalidInput, Monitor, Warehouse
from stackhub.categories.monitor import DEFAULT_THRESHOLDS, DriftReport, TableRef, default_method
from stackhub_duckdb import plugin as duckdb_plugin

SEED = 20261126


def arrow(columns: dict[str, np.ndarray], nulls: dict[str, np.ndarray] | None = None) -> pa.Table:
    nulls = nulls or {}
    return pa.table({name: pa.array(values, mask=nulls.get(name)) for name, values in columns.items()})


def assert_scores(
    report: DriftReport,
    reference: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
) -> None:
    """Every column's score equals the reference statistic of its method within 1e-6 relative error."""
    for column in report.columns:
        expected = reference_stats.score(
            column.method,
            reference[column.column],
            current[column.column],
            numerical=column.column_type == "numerical",
        )
        assert column.score == pytest.approx(expected, rel=1e-6, abs=0), column


def assert_same_scores(report: DriftReport, expected: DriftReport) -> None:
    by_name = {c.column: c for c in expected.columns}
    for column in report.columns:
        assert column.method == by_name[column.column].method
        assert column.score == pytest.approx(by_name[column.column].score, rel=1e-9, abs=0)


def mixed(rng: np.random.Generator, rows: int, *, shift: float) -> dict[str, np.ndarray]:
    categories = np.array(["red", "green", "blue", "cyan", "plum"])
    weights = np.array([0.4, 0.25, 0.2, 0.1, 0.05]) + shift * np.array([-0.2, 0.0, 0.0, 0.1, 0.1])
    return {
        "float": rng.normal(loc=shift, scale=1.0 + shift, size=rows),
        "int": rng.integers(0, 60 + int(40 * shift), size=rows),  # many ties
        "colour": rng.choice(categories, size=rows, p=weights),
        "flag": rng.random(rows) < 0.3 + shift / 2,
    }


def test_small_reference_uses_ks_and_chisquare_with_scipy_scores(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED)
    reference, current = mixed(rng, 800, shift=0.0), mixed(rng, 650, shift=0.3)
    report = monitor.drift_report(arrow(reference), arrow(current))

    assert [(c.column, c.column_type, c.method) for c in report.columns] == [
        ("float", "numerical", "ks"),
        ("int", "numerical", "ks"),
        ("colour", "categorical", "chisquare"),
        ("flag", "categorical", "chisquare"),
    ]
    assert all(c.threshold == DEFAULT_THRESHOLDS[c.method] for c in report.columns)
    assert (report.reference_rows, report.current_rows) == (800, 650)
    assert_scores(report, reference, current)
    assert all(c.drifted for c in report.columns)


def test_large_reference_uses_wasserstein_and_jensenshannon_with_scipy_scores(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 1)
    reference, current = mixed(rng, 4000, shift=0.0), mixed(rng, 3000, shift=0.5)
    report = monitor.drift_report(arrow(reference), arrow(current))

    assert [c.method for c in report.columns] == ["wasserstein", "wasserstein", "jensenshannon", "jensenshannon"]
    assert_scores(report, reference, current)
    assert all(c.drifted for c in report.columns)


@pytest.mark.parametrize(
    ("n1", "n2"),
    [
        (1, 1),
        (300, 300),  # equal sizes: scipy's exact square method
        (997, 1000),  # coprime sizes
        (5, 9000),
        (10_000, 10_000),  # the largest sizes scipy's "auto" still computes exactly
        (12_000, 11_000),  # asymptotic
    ],
)
def test_ks_pvalue_equals_scipy_exact_and_asymptotic(monitor: Monitor, n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1 * 7 + n2)
    reference = {"x": rng.normal(size=n1)}
    current = {"x": rng.normal(loc=0.05, size=n2)}
    report = monitor.drift_report(arrow(reference), arrow(current), methods={"x": "ks"})
    assert_scores(report, reference, current)


def clusters(rng: np.random.Generator, rows: int, *, shift: float) -> np.ndarray:
    # Two far-apart clusters: the Sturges bins between them are empty in both datasets.
    far = rng.random(rows) < 0.3 + shift
    return np.where(far, rng.normal(100.0, 1.0, rows), rng.normal(0.0, 1.0, rows))


@pytest.mark.parametrize("method", ["psi", "jensenshannon"])
def test_binned_scores_equal_evidentlys(monitor: Monitor, method: str) -> None:
    rng = np.random.default_rng(SEED + 2)
    reference = {
        "float": rng.gamma(2.0, size=3000),
        "int": rng.integers(-500, 500, size=3000),
        "clusters": clusters(rng, 3000, shift=0.0),
        "few_values": rng.integers(0, 12, size=3000).astype(np.float64),  # <= 20 values: counted, not binned
        "colour": rng.choice(["a", "b", "c", "d"], size=3000, p=[0.5, 0.3, 0.2, 0.0]),
    }
    current = {
        "float": rng.gamma(3.0, size=2000),
        "int": rng.integers(-450, 600, size=2000),
        "clusters": clusters(rng, 2000, shift=0.2),
        "few_values": rng.integers(0, 14, size=2000).astype(np.float64),
        "colour": rng.choice(["a", "b", "c", "d"], size=2000, p=[0.3, 0.3, 0.3, 0.1]),
    }
    report = monitor.drift_report(arrow(reference), arrow(current), methods=dict.fromkeys(reference, method))

    assert {c.method for c in report.columns} == {method}
    assert_scores(report, reference, current)
    assert all(c.drifted for c in report.columns)


def with_missing(rng: np.random.Generator, rows: int, *, shift: float) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """A float column with NaN, infinities and nulls and a string column with nulls; and the values kept."""
    x = rng.normal(loc=shift, size=rows)
    x[::7], x[3::50], x[5::60] = np.nan, np.inf, -np.inf
    c = rng.choice(["u", "v", "w"], size=rows, p=[0.5 - shift, 0.3, 0.2 + shift])
    nulls = {"x": np.arange(rows) % 11 == 0, "c": np.arange(rows) % 13 == 0}
    return arrow({"x": x, "c": c}, nulls), {"x": x[~nulls["x"]], "c": c[~nulls["c"]]}


def test_psi_counts_bins_that_are_empty_in_both_datasets(monitor: Monitor) -> None:
    # One far outlier among 20,000 reference values: its bin's share is below 0.0001, so Evidently fills the
    # reference's empty bins with a millionth of it and the current's with 0.0001, and every bin empty in
    # both datasets adds to PSI.
    rng = np.random.default_rng(SEED + 10)
    reference = {"x": np.append(rng.normal(size=20_000), 60.0)}
    current = {"x": rng.normal(loc=0.1, size=2_000)}
    report = monitor.drift_report(arrow(reference), arrow(current), methods={"x": "psi"})
    assert_scores(report, reference, current)


def test_nulls_nan_and_infinities_are_dropped_before_testing(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 3)
    reference_table, reference = with_missing(rng, 600, shift=0.0)
    current_table, current = with_missing(rng, 500, shift=0.1)

    report = monitor.drift_report(reference_table, current_table)

    assert [c.method for c in report.columns] == ["ks", "chisquare"]
    assert_scores(report, reference, current)


@pytest.mark.parametrize(
    ("method", "rows"), [("ks", 500), ("chisquare", 500), ("wasserstein", 2000), ("jensenshannon", 2000), ("psi", 2000)]
)
def test_shift_is_flagged_and_identical_data_is_not(monitor: Monitor, method: str, rows: int) -> None:
    rng = np.random.default_rng(SEED + 4)
    if method == "chisquare":
        before = rng.choice(["a", "b", "c"], size=rows, p=[0.6, 0.3, 0.1])
        after = rng.choice(["a", "b", "c"], size=rows, p=[0.3, 0.3, 0.4])
    else:
        before, after = rng.normal(size=rows), rng.normal(loc=1.0, size=rows)
    baseline = arrow({"x": before})

    shifted = monitor.drift_report(baseline, arrow({"x": after}), methods={"x": method})
    same = monitor.drift_report(baseline, baseline, methods={"x": method})

    assert shifted.columns[0].drifted
    assert shifted.dataset_drifted
    assert not same.columns[0].drifted
    assert not same.dataset_drifted
    assert same.columns[0].score == (1.0 if method in ("ks", "chisquare") else 0.0)


def test_independent_samples_of_one_distribution_are_not_flagged(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 5)
    reference, current = mixed(rng, 5000, shift=0.0), mixed(rng, 5000, shift=0.0)
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert not any(c.drifted for c in report.columns)
    assert report.drift_share == 0.0


@pytest.mark.parametrize(("drifting", "columns", "dataset_drifted"), [(1, 2, True), (1, 3, False), (2, 3, True)])
def test_dataset_drifts_when_the_drifted_share_reaches_one_half(
    monitor: Monitor, drifting: int, columns: int, dataset_drifted: bool
) -> None:
    rng = np.random.default_rng(SEED + 6)
    reference = {f"c{i}": rng.normal(size=400) for i in range(columns)}
    current = {f"c{i}": rng.normal(loc=2.0 if i < drifting else 0.0, size=400) for i in range(columns)}
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert [c.drifted for c in report.columns] == [i < drifting for i in range(columns)]
    assert report.drift_share == drifting / columns
    assert report.dataset_drifted is dataset_drifted


def test_methods_thresholds_and_types_are_per_column(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 7)
    reference = {"a": rng.integers(0, 4, 600), "b": rng.normal(size=600), "c": rng.normal(size=600)}
    current = {"a": rng.integers(0, 4, 600), "b": rng.normal(size=600), "c": rng.normal(size=600)}
    report = monitor.drift_report(
        arrow(reference),
        arrow(current),
        columns=["c", "a"],
        column_types={"a": "categorical"},
        methods={"c": "wasserstein"},
        thresholds={"c": 0.0},
    )
    assert [(c.column, c.column_type, c.method, c.threshold) for c in report.columns] == [
        ("c", "numerical", "wasserstein", 0.0),
        ("a", "categorical", default_method("categorical", 600), DEFAULT_THRESHOLDS["chisquare"]),
    ]
    assert report.columns[0].drifted  # any distance reaches a threshold of 0
    assert_scores(report, reference, current)


def test_names_are_quoted_not_interpolated(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 8)
    names = ["my col", "Select", 'say "hi"', "drop table x; --"]
    reference = {n: rng.normal(size=300) for n in names}
    current = {n: rng.normal(size=300) for n in names}
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert [c.column for c in report.columns] == names
    assert_scores(report, reference, current)


def test_table_refs_are_read_in_place_or_streamed_from_another_warehouse(
    monitor: Monitor, warehouse: Warehouse
) -> None:
    rng = np.random.default_rng(SEED + 9)
    reference, current = mixed(rng, 700, shift=0.0), mixed(rng, 700, shift=0.2)
    expected = monitor.drift_report(arrow(reference), arrow(current))
    warehouse.write("reference_rows", arrow(reference))
    with duckdb_plugin.create({}) as other:
        assert isinstance(other, Warehouse)
        other.write("current_rows", arrow(current))
        in_place = monitor.drift_report(
            TableRef(warehouse, "reference_rows"), TableRef(other, "current_rows"), columns=["float", "colour"]
        )
        queried = monitor.drift_report(
            TableRef(warehouse, "SELECT * FROM reference_rows WHERE flag OR NOT flag"), arrow(current)
        )
        assert other.list_tables() == ["current_rows"]
    assert_same_scores(in_place, expected)
    assert_same_scores(queried, expected)
    assert warehouse.list_tables() == ["reference_rows"]


def test_missing_columns_raise_invalid_input(monitor: Monitor, warehouse: Warehouse) -> None:
    table = arrow({"a": np.arange(10.0), "b": np.arange(10.0)})
    with pytest.raises(InvalidInput, match="'b' is missing from the current dataset"):
        monitor.drift_report(table, table.select(["a"]))
    with pytest.raises(InvalidInput, match="'z' is missing from the reference dataset"):
        monitor.drift_report(table, table, columns=["a", "z"])
    warehouse.write("t", table)
    with pytest.raises(InvalidInput, match="'z' is missing from the reference"):
        monitor.drift_report(TableRef(warehouse, "t"), table, columns=["z"])
    assert warehouse.list_tables() == ["t"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": []}, "no columns"),
        ({"columns": "a"}, "is the string 'a'"),
        ({"columns": ["a", "a"]}, "more than once"),
        ({"methods": {"a": "t-test"}}, "Unknown drift method 't-test'"),
        ({"methods": {"s": "ks"}}, "'ks' does not apply to the categorical column 's'"),
        ({"methods": {"a": "chisquare"}}, "'chisquare' does not apply to the numerical column 'a'"),
        ({"column_types": {"s": "numerical"}}, "'s' cannot be numerical"),
        ({"column_types": {"a": "ordinal"}}, "Column type 'ordinal'"),
        ({"thresholds": {"nope": 0.1}}, "thresholds names column 'nope'"),
        ({"thresholds": {"a": float("nan")}}, "not a finite number"),
        ({"columns": ["empty"]}, "'empty' has no values to compare in the reference dataset"),
    ],
)
def test_bad_requests_raise_invalid_input(monitor: Monitor, warehouse: Warehouse, options: dict, message: str) -> None:
    table = pa.table(
        {"a": np.arange(10.0), "s": [str(i) for i in range(10)], "empty": pa.array([None] * 10, pa.float64())}
    )
    with pytest.raises(InvalidInput, match=message):
        monitor.drift_report(table, table, **options)
    assert warehouse.list_tables() == []


def test_other_inputs_raise_invalid_input(monitor: Monitor) -> None:
    table = arrow({"a": np.arange(10.0)})
    with pytest.raises(
        InvalidInput, match="reference data must be a pyarrow Table or a TableRef, not RecordBatchReader"
    ):
        monitor.drift_report(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), table)  # type: ignore[arg-type]


def test_scratch_tables_are_dropped_when_the_sql_fails(
    monitor: Monitor, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = arrow({"a": np.arange(10.0)})
    seen: list[list[str]] = []

    def failing_query(sql: str, *, dialect: str | None = None) -> pa.Table:
        seen.append(warehouse.list_tables())
        raise InvalidInput("The engine rejected the statement.")

    monkeypatch.setattr(warehouse, "query", failing_query)
    with pytest.raises(InvalidInput, match="rejected"):
        monitor.drift_report(table, table)
    monkeypatch.undo()

    assert len(seen[0]) == 2
    assert all(name.startswith("stackhub_sqlmonitor_") for name in seen[0])
    assert warehouse.list_tables() == []


def test_scratch_tables_are_dropped_when_a_write_fails(
    monitor: Monitor, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = arrow({"a": np.arange(10.0)})
    write = warehouse.write
    written: list[str] = []

    def second_write_fails(name: str, data: pa.Table, **kwargs: object) -> object:
        if written:
            raise InvalidInput("The engine rejected the data.")
        written.append(name)
        return write(name, data)

    monkeypatch.setattr(warehouse, "write", second_write_fails)
    with pytest.raises(InvalidInput, match="rejected the data"):
        monitor.drift_report(table, table)
    assert written
    assert warehouse.list_tables() == []
