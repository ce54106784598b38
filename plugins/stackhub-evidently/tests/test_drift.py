"""Drift computed by Evidently against scipy's reference statistics and the warehouse-native monitor's scores,
on the same seeded rows; flags, defaults, inputs and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pytest
from stackhub import InvalidInput, Monitor, NotFound, Warehouse
from stackhub.categories.monitor import DEFAULT_THRESHOLDS, DriftReport, Method, TableRef, default_method
from stackhub_conformance.monitor import reference_score
from stackhub_sqlmonitor import plugin as sqlmonitor_plugin

SEED = 20261127
METHODS: tuple[Method, ...] = ("ks", "chisquare", "wasserstein", "jensenshannon", "psi")


def arrow(columns: dict[str, np.ndarray], nulls: dict[str, np.ndarray] | None = None) -> pa.Table:
    nulls = nulls or {}
    return pa.table({name: pa.array(values, mask=nulls.get(name)) for name, values in columns.items()})


def kept(values: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """The values a drift test compares: no nulls, and for floats no NaN or infinity (Evidently's cleaning)."""
    if null is not None:
        values = values[~null]
    return values[np.isfinite(values)] if values.dtype.kind == "f" else values


def assert_scipy_scores(report: DriftReport, reference: dict[str, np.ndarray], current: dict[str, np.ndarray]) -> None:
    """Every score is the spec's reference statistic (scipy on the cleaned values) within 1e-6 relative error."""
    for column in report.columns:
        expected = reference_score(
            column.method,
            reference[column.column],
            current[column.column],
            numerical=column.column_type == "numerical",
        )
        assert column.score == pytest.approx(expected, rel=1e-6, abs=0), column


def mixed(rng: np.random.Generator, rows: int, *, shift: float) -> dict[str, np.ndarray]:
    colours = np.array(["red", "green", "blue", "cyan", "plum"])
    weights = np.array([0.4, 0.25, 0.2, 0.1, 0.05]) + shift * np.array([-0.2, 0.0, 0.0, 0.1, 0.1])
    return {
        "float": rng.normal(loc=shift, scale=1.0 + shift, size=rows),
        "int": rng.integers(0, 60 + int(40 * shift), size=rows),  # many ties
        "few": rng.integers(0, 12 + int(4 * shift), size=rows).astype(np.float64),  # <= 20 values: counted, not binned
        "colour": rng.choice(colours, size=rows, p=weights),
        "flag": rng.random(rows) < 0.3 + shift / 2,
    }


NUMERICAL = ("float", "int", "few")


def applicable(method: str) -> list[str]:
    if method in ("ks", "wasserstein"):
        return list(NUMERICAL)
    if method == "chisquare":
        return ["colour", "flag"]
    return [*NUMERICAL, "colour", "flag"]


@pytest.fixture
def sqlmonitor(warehouse: Warehouse) -> Iterator[Monitor]:
    with sqlmonitor_plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse}) as component:
        assert isinstance(component, Monitor)
        yield component


# -- scores -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "current_rows"), [(800, 650), (4000, 3000)], ids=["small", "large"])
@pytest.mark.parametrize("method", METHODS)
def test_scores_equal_scipy_and_the_warehouse_native_monitor(
    monitor: Monitor, sqlmonitor: Monitor, method: Method, rows: int, current_rows: int
) -> None:
    rng = np.random.default_rng([SEED, rows, METHODS.index(method)])
    reference, current = mixed(rng, rows, shift=0.0), mixed(rng, current_rows, shift=0.3)
    names = applicable(method)
    options: dict[str, Any] = {"columns": names, "methods": dict.fromkeys(names, method)}

    report = monitor.drift_report(arrow(reference), arrow(current), **options)
    in_sql = sqlmonitor.drift_report(arrow(reference), arrow(current), **options)

    assert [c.method for c in report.columns] == [method] * len(names)
    assert_scipy_scores(report, reference, current)
    for mine, theirs in zip(report.columns, in_sql.columns, strict=True):
        assert (mine.column, mine.column_type, mine.method, mine.threshold) == (
            theirs.column,
            theirs.column_type,
            theirs.method,
            theirs.threshold,
        )
        assert mine.score == pytest.approx(theirs.score, rel=1e-9, abs=1e-300), mine.column
        assert mine.drifted == theirs.drifted
    assert (report.drift_share, report.dataset_drifted) == (in_sql.drift_share, in_sql.dataset_drifted)


def test_default_tests_are_cores_and_match_the_warehouse_native_monitor(monitor: Monitor, sqlmonitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 1)
    for rows, small in ((900, True), (1500, False)):
        reference, current = mixed(rng, rows, shift=0.0), mixed(rng, rows, shift=0.2)
        report = monitor.drift_report(arrow(reference), arrow(current))
        in_sql = sqlmonitor.drift_report(arrow(reference), arrow(current))
        numerical, categorical = ("ks", "chisquare") if small else ("wasserstein", "jensenshannon")
        assert [c.method for c in report.columns] == [numerical] * 3 + [categorical] * 2
        assert all(c.threshold == DEFAULT_THRESHOLDS[c.method] for c in report.columns)
        assert_scipy_scores(report, reference, current)
        assert [c.score for c in report.columns] == pytest.approx([c.score for c in in_sql.columns], rel=1e-9)


def test_few_valued_columns_get_cores_default_not_evidentlys(monitor: Monitor) -> None:
    # Evidently alone would pick a Z-test for two values and chi-square for up to five; core says KS / chi-square
    # at <= 1,000 reference rows and Wasserstein / Jensen-Shannon above, whatever the number of values.
    rng = np.random.default_rng(SEED + 2)
    for rows in (500, 3000):
        reference = {
            "binary": rng.integers(0, 2, rows),
            "three": rng.integers(0, 3, rows),
            "flag": rng.random(rows) < 0.5,
        }
        current = {
            "binary": rng.integers(0, 2, rows),
            "three": rng.integers(0, 3, rows),
            "flag": rng.random(rows) < 0.6,
        }
        report = monitor.drift_report(arrow(reference), arrow(current))
        assert [c.method for c in report.columns] == [
            default_method("numerical", rows),
            default_method("numerical", rows),
            default_method("categorical", rows),
        ]
        assert_scipy_scores(report, reference, current)


def test_psi_counts_bins_that_are_empty_in_both_datasets(monitor: Monitor, sqlmonitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 3)
    reference = {"x": np.append(rng.normal(size=20_000), 60.0)}
    current = {"x": rng.normal(loc=0.1, size=2_000)}
    report = monitor.drift_report(arrow(reference), arrow(current), methods={"x": "psi"})
    assert_scipy_scores(report, reference, current)
    in_sql = sqlmonitor.drift_report(arrow(reference), arrow(current), methods={"x": "psi"})
    assert report.columns[0].score == pytest.approx(in_sql.columns[0].score, rel=1e-9)


@pytest.mark.parametrize(("n1", "n2"), [(10_000, 10_000), (12_000, 11_000)], ids=["exact", "asymptotic"])
def test_ks_pvalue_at_scipys_exact_limit_and_above(monitor: Monitor, n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1 + n2)
    reference, current = {"x": rng.normal(size=n1)}, {"x": rng.normal(loc=0.03, size=n2)}
    report = monitor.drift_report(arrow(reference), arrow(current), methods={"x": "ks"})
    assert_scipy_scores(report, reference, current)


def test_nulls_nan_and_infinities_are_dropped_before_testing(monitor: Monitor, sqlmonitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 4)

    def draw(rows: int, shift: float) -> tuple[pa.Table, dict[str, np.ndarray]]:
        x = rng.normal(loc=shift, size=rows)
        x[::7], x[3::50], x[5::60] = np.nan, np.inf, -np.inf
        n = rng.integers(0, 50, size=rows)
        c = rng.choice(["u", "v", "w"], size=rows, p=[0.5 - shift, 0.3, 0.2 + shift])
        nulls = {"x": np.arange(rows) % 11 == 0, "n": np.arange(rows) % 9 == 0, "c": np.arange(rows) % 10 == 0}
        table = arrow({"x": x, "n": n, "c": c}, nulls)
        return table, {"x": kept(x, nulls["x"]), "n": kept(n, nulls["n"]), "c": kept(c, nulls["c"])}

    # 1,100 rows, of which at most 1,000 values survive in each column: the default is KS / chi-square, as in Evidently.
    reference_table, reference = draw(1100, 0.0)
    current_table, current = draw(900, 0.1)
    assert max(len(v) for v in reference.values()) <= 1000 < reference_table.num_rows

    report = monitor.drift_report(reference_table, current_table)
    assert [c.method for c in report.columns] == ["ks", "ks", "chisquare"]
    assert (report.reference_rows, report.current_rows) == (1100, 900)
    assert_scipy_scores(report, reference, current)
    in_sql = sqlmonitor.drift_report(reference_table, current_table)
    assert [c.score for c in report.columns] == pytest.approx([c.score for c in in_sql.columns], rel=1e-9)

    for method in cast(tuple[Method, ...], ("wasserstein", "jensenshannon", "psi")):
        other = monitor.drift_report(
            reference_table, current_table, columns=["x", "n"], methods={"x": method, "n": method}
        )
        assert_scipy_scores(other, reference, current)


def test_arrow_types_reach_evidently_as_their_values(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 5)

    def draw(rows: int, shift: float) -> dict[str, np.ndarray]:
        return {
            "f32": rng.normal(shift, size=rows).astype(np.float32),
            "i8": rng.integers(0, 100, rows).astype(np.int8),
            "u64": rng.integers(0, 100, rows).astype(np.uint64),
            "dec": np.round(rng.normal(shift, size=rows), 2),
            "dict": rng.choice(["a", "b", "c"], size=rows, p=[0.5, 0.3 + shift, 0.2 - shift]),
            "day": rng.integers(0, 20, rows),
        }

    def table(values: dict[str, np.ndarray]) -> pa.Table:
        return pa.table(
            {
                "f32": pa.array(values["f32"]),
                "i8": pa.array(values["i8"]),
                "u64": pa.array(values["u64"]),
                "dec": pa.array([Decimal(f"{v:.2f}") for v in values["dec"]], pa.decimal128(10, 2)),
                "dict": pa.array(values["dict"]).dictionary_encode(),
                "day": pa.array(values["day"].astype("datetime64[D]")),
            }
        )

    reference, current = draw(700, 0.0), draw(600, 0.1)
    report = monitor.drift_report(table(reference), table(current))
    got = {c.column: (c.column_type, c.method) for c in report.columns}
    assert got == {
        "f32": ("numerical", "ks"),
        "i8": ("numerical", "ks"),
        "u64": ("numerical", "ks"),
        "dec": ("numerical", "ks"),
        "dict": ("categorical", "chisquare"),
        "day": ("categorical", "chisquare"),
    }
    # Numerical values are compared as float64 (integers as integers), as the warehouse-native monitor does.
    expected = {**reference, "f32": reference["f32"].astype(np.float64)}
    observed = {**current, "f32": current["f32"].astype(np.float64)}
    assert_scipy_scores(report, expected, observed)


def test_names_are_kept_as_written(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 6)
    names = ["my col", "Select", 'say "hi"', "target", "prediction", "a.b"]
    reference = {n: rng.normal(size=300) for n in names}
    current = {n: rng.normal(size=300) for n in names}
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert [c.column for c in report.columns] == names
    assert_scipy_scores(report, reference, current)


# -- flags --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "rows"), [("ks", 500), ("chisquare", 500), ("wasserstein", 2000), ("jensenshannon", 2000), ("psi", 2000)]
)
def test_known_shift_is_flagged_and_identical_data_is_not(monitor: Monitor, method: Method, rows: int) -> None:
    rng = np.random.default_rng(SEED + 7)
    if method == "chisquare":
        before = rng.choice(["a", "b", "c"], size=rows, p=[0.6, 0.3, 0.1])
        after = rng.choice(["a", "b", "c"], size=rows, p=[0.3, 0.3, 0.4])
    else:
        before, after = rng.normal(size=rows), rng.normal(loc=1.0, size=rows)
    baseline = arrow({"x": before})

    shifted = monitor.drift_report(baseline, arrow({"x": after}), methods={"x": method})
    same = monitor.drift_report(baseline, baseline, methods={"x": method})
    shuffled = monitor.drift_report(
        baseline, arrow({"x": rng.permutation(np.concatenate([before] * 3))}), methods={"x": method}
    )

    assert shifted.columns[0].drifted
    assert shifted.dataset_drifted
    assert not same.columns[0].drifted
    assert not same.dataset_drifted
    assert same.columns[0].score == (1.0 if method in ("ks", "chisquare") else 0.0)
    assert not shuffled.columns[0].drifted


def test_independent_samples_of_one_distribution_are_not_flagged(monitor: Monitor) -> None:
    rng = np.random.default_rng(SEED + 8)
    reference, current = mixed(rng, 5000, shift=0.0), mixed(rng, 5000, shift=0.0)
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert not any(c.drifted for c in report.columns)
    assert (report.drift_share, report.dataset_drifted) == (0.0, False)


@pytest.mark.parametrize(("drifting", "columns", "dataset_drifted"), [(1, 2, True), (1, 3, False), (2, 3, True)])
def test_dataset_drifts_when_the_drifted_share_reaches_one_half(
    monitor: Monitor, drifting: int, columns: int, dataset_drifted: bool
) -> None:
    rng = np.random.default_rng(SEED + 9)
    reference = {f"c{i}": rng.normal(size=400) for i in range(columns)}
    current = {f"c{i}": rng.normal(loc=2.0 if i < drifting else 0.0, size=400) for i in range(columns)}
    report = monitor.drift_report(arrow(reference), arrow(current))
    assert [c.drifted for c in report.columns] == [i < drifting for i in range(columns)]
    assert report.drift_share == drifting / columns
    assert report.dataset_drifted is dataset_drifted


def test_a_p_value_at_the_threshold_is_not_drift(monitor: Monitor) -> None:
    # Evidently's KS flags p <= threshold; the spec's is_drifted() flags p < threshold, and the report follows it.
    table = arrow({"x": np.arange(50.0)})
    report = monitor.drift_report(table, table, methods={"x": "ks"}, thresholds={"x": 1.0})
    assert (report.columns[0].score, report.columns[0].drifted) == (1.0, False)


# -- inputs -------------------------------------------------------------------------------------------------


def test_table_refs_are_read_through_their_warehouse(monitor: Monitor, warehouse: Warehouse) -> None:
    rng = np.random.default_rng(SEED + 10)
    reference, current = mixed(rng, 700, shift=0.0), mixed(rng, 700, shift=0.2)
    expected = monitor.drift_report(arrow(reference), arrow(current))
    warehouse.write("reference_rows", arrow(reference))
    warehouse.write("current rows", arrow(current))

    named = monitor.drift_report(TableRef(warehouse, "reference_rows"), TableRef(warehouse, "current rows"))
    queried = monitor.drift_report(
        TableRef(warehouse, "SELECT * FROM reference_rows WHERE flag OR NOT flag"),
        arrow(current),
        columns=["float", "colour"],
    )
    assert named.columns == expected.columns
    assert queried.columns == tuple(c for c in expected.columns if c.column in ("float", "colour"))
    assert sorted(warehouse.list_tables()) == ["current rows", "reference_rows"]  # nothing written


def test_a_missing_warehouse_table_is_not_found(monitor: Monitor, warehouse: Warehouse) -> None:
    table = arrow({"a": np.arange(10.0)})
    with pytest.raises(NotFound):
        monitor.drift_report(TableRef(warehouse, "no_such_table"), table)


def test_missing_columns_raise_invalid_input(monitor: Monitor, warehouse: Warehouse) -> None:
    table = arrow({"a": np.arange(10.0), "b": np.arange(10.0)})
    with pytest.raises(InvalidInput, match="'b' is missing from the current dataset"):
        monitor.drift_report(table, table.select(["a"]))
    with pytest.raises(InvalidInput, match="'z' is missing from the reference dataset"):
        monitor.drift_report(table, table, columns=["a", "z"])
    warehouse.write("t", table)
    with pytest.raises(InvalidInput, match="'z' is missing from the reference"):
        monitor.drift_report(TableRef(warehouse, "t"), table, columns=["z"])


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
        ({"columns": ["nested"]}, "'nested' holds list<item: int64> values"),
    ],
)
def test_bad_requests_raise_invalid_input(monitor: Monitor, options: dict[str, Any], message: str) -> None:
    table = pa.table(
        {
            "a": np.arange(10.0),
            "s": [str(i) for i in range(10)],
            "empty": pa.array([np.nan] * 5 + [None] * 5, pa.float64()),
            "nested": pa.array([[i] for i in range(10)]),
        }
    )
    with pytest.raises(InvalidInput, match=message):
        monitor.drift_report(table, table, **options)


def test_other_inputs_raise_invalid_input(monitor: Monitor) -> None:
    table = arrow({"a": np.arange(10.0)})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    with pytest.raises(InvalidInput, match="reference dataset is a RecordBatchReader"):
        monitor.drift_report(reader, table)
