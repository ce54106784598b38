"""The monitor suite: every MUST of ``stackhub.categories.monitor.Monitor`` (and of ``SupportsHtmlReport``),
proven on seeded data.

Reference statistics are computed here from the rows, with numpy and scipy, exactly as Evidently 0.7 defines
the tests that core's defaults follow:

- ``ks``: ``scipy.stats.ks_2samp(reference, current).pvalue`` (two-sided, ``method="auto"``).
- ``chisquare``: ``scipy.stats.chisquare(f_obs, f_exp).pvalue`` over the union of categories, ``f_obs`` the
  current counts, ``f_exp`` the reference counts times ``len(current) / len(reference)``.
- ``wasserstein``: ``scipy.stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001)``.
- ``jensenshannon``: ``scipy.spatial.distance.jensenshannon`` of the two share vectors (natural log).
- ``psi``: ``sum((r - c) * ln(r / c))`` over the share vectors, each side's empty bins set to 0.0001, or to a
  millionth of its smallest non-empty share when that share is at most 0.0001.

Share vectors (Evidently's ``get_binned_data``): a numerical column with more than 20 distinct reference values
is cut into ``np.histogram_bin_edges(concat(reference, current), bins="sturges")`` bins; any other column is
counted per value over the union of both datasets' values. The data has no missing values, so no check depends
on how a plugin treats them in drift. A plugin that requires other components (a monitor that computes in its
warehouse) defines ``component_dependencies``, and ``unreachable_dependencies`` for the health check.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial import distance
from stackhub import InvalidInput, Unavailable
from stackhub.categories.monitor import (
    DEFAULT_THRESHOLDS,
    DRIFT_SHARE_THRESHOLD,
    ColumnType,
    DriftReport,
    Method,
    Monitor,
    QualityReport,
    SupportsHtmlReport,
    default_method,
    is_drifted,
)
from stackhub.plugin import Component, PluginDescriptor

from ._data import SEED
from ._framework import HEALTH, ConformanceSuite, _optional_fixture, must, requires, target
from .labeling import _WithDependencies

__all__ = ["MonitorSuite", "reference_score"]

# The spec's sentences, verbatim from the docstrings of ``Monitor`` and ``SupportsHtmlReport``.
COLUMNS = (
    "Columns default to every column of ``reference``; numeric Arrow types are numerical, the others categorical, "
    "unless ``column_types`` says otherwise."
)
PER_COLUMN = "``methods`` and ``thresholds`` are per column."
DEFAULTS = "MUST use ``default_method`` and ``DEFAULT_THRESHOLDS`` for columns the caller does not configure."
FLAGGED = (
    "MUST flag a column whose distribution shifted beyond the threshold, and MUST NOT flag a column whose "
    "reference and current values are identically distributed."
)
SCORES = "MUST compute each score equal to the reference statistic (scipy's) within 1e-6 relative error."
DATASET = "MUST set ``dataset_drifted`` when ``drift_share`` >= ``share_threshold``."
MISSING_COLUMN = "MUST raise ``InvalidInput`` when a requested column is missing from either dataset."
QUALITY = "Count rows, missing and distinct values per column; min, max and mean for numeric columns."
MISSING_VALUES = "MUST count nulls (and NaN for floats) as missing."
HTML = "Write the report as one HTML file; return its path."

RELATIVE_ERROR = 1e-6
#: Evidently's cut-off: above this many distinct reference values a numerical column is binned for JS and PSI.
BINNED_MIN_DISTINCT = 20

#: Columns the drift checks draw, with their column type when ``column_types`` does not say otherwise.
KINDS: dict[str, ColumnType] = {
    "float": "numerical",
    "integer": "numerical",
    "category": "categorical",
    "flag": "categorical",
}
CATEGORIES = np.array(["north", "south", "east", "west", "centre"])


def _rng(label: str) -> np.random.Generator:
    """A generator per check and case: the same label always draws the same data."""
    return np.random.default_rng([SEED, zlib.crc32(label.encode())])


def draw(kind: str, rows: int, *, shifted: bool, rng: np.random.Generator) -> np.ndarray:
    """``rows`` values of ``kind``; ``shifted`` draws from a clearly different distribution."""
    if kind == "float":
        return rng.normal(1.5 if shifted else 0.0, 1.0, rows)
    if kind == "integer":  # many ties
        return rng.integers(20 if shifted else 0, 70, rows)
    if kind == "few":  # numerical with at most 20 values: counted per value, not binned
        return rng.integers(0, 15 if shifted else 12, rows).astype(np.float64)
    if kind == "category":
        weights = [0.1, 0.1, 0.2, 0.2, 0.4] if shifted else [0.4, 0.25, 0.2, 0.1, 0.05]
        return rng.choice(CATEGORIES, rows, p=weights)
    if kind == "flag":
        return rng.random(rows) < (0.7 if shifted else 0.3)
    if kind == "outlier":
        # One far value among many: its bin's share is at most 0.0001, so PSI fills the two sides' empty bins
        # differently and the bins empty in both datasets count.
        values = rng.normal(0.3 if shifted else 0.0, 1.0, rows)
        return values if shifted else np.append(values[:-1], 60.0)
    raise ValueError(f"No data of kind {kind!r}.")


def identically_distributed(values: np.ndarray, rng: np.random.Generator, *, times: int = 1) -> np.ndarray:
    """The same values ``times`` over, shuffled: another sample with exactly the same distribution."""
    return rng.permutation(np.concatenate([values] * times))


def _shares(reference: np.ndarray, current: np.ndarray, *, numerical: bool) -> tuple[np.ndarray, np.ndarray]:
    if numerical and len(np.unique(reference)) > BINNED_MIN_DISTINCT:
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        return np.histogram(reference, edges)[0] / len(reference), np.histogram(current, edges)[0] / len(current)
    keys = np.unique(np.concatenate([reference, current]))
    return (
        np.array([np.count_nonzero(reference == k) for k in keys]) / len(reference),
        np.array([np.count_nonzero(current == k) for k in keys]) / len(current),
    )


def _fill_empty(shares: np.ndarray) -> np.ndarray:
    smallest = shares[shares != 0].min()
    return np.where(shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, shares)


def reference_score(method: str, reference: np.ndarray, current: np.ndarray, *, numerical: bool) -> float:
    """The reference statistic of ``method`` for two samples without missing values (see the module docstring)."""
    if method == "ks":
        return float(stats.ks_2samp(reference, current).pvalue)
    if method == "chisquare":
        keys = np.unique(np.concatenate([reference, current]))
        observed = np.array([np.count_nonzero(current == k) for k in keys])
        expected = np.array([np.count_nonzero(reference == k) for k in keys]) * (len(current) / len(reference))
        return float(stats.chisquare(observed, expected).pvalue)
    if method == "wasserstein":
        return float(stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001))
    ref_shares, cur_shares = _shares(reference, current, numerical=numerical)
    if method == "jensenshannon":
        return float(distance.jensenshannon(ref_shares, cur_shares))
    if method == "psi":
        ref_shares, cur_shares = _fill_empty(ref_shares), _fill_empty(cur_shares)
        return float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))
    raise ValueError(f"No reference statistic for method {method!r}.")


def _table(columns: Mapping[str, np.ndarray]) -> pa.Table:
    return pa.table({name: pa.array(values) for name, values in columns.items()})


def _by_column(report: DriftReport) -> dict[str, Any]:
    assert isinstance(report, DriftReport), f"drift_report() returned a {type(report).__name__}."
    return {c.column: c for c in report.columns}


def _assert_consistent(report: DriftReport) -> None:
    """Each flag agrees with its score and threshold; the share and the dataset flag agree with the flags."""
    for column in report.columns:
        assert column.drifted == is_drifted(column.method, column.score, column.threshold), (
            f"Column {column.column!r}: drifted={column.drifted} for {column.method} score {column.score} and "
            f"threshold {column.threshold}; is_drifted() says {not column.drifted}."
        )
    share = sum(c.drifted for c in report.columns) / len(report.columns)
    assert report.drift_share == pytest.approx(share, rel=1e-12), (
        f"drift_share is {report.drift_share}, but {share:.4f} of the columns are flagged."
    )


# (case id, method, kind, reference rows, current rows)
SCORE_CASES: list[tuple[str, Method, str, int, int]] = [
    ("ks-exact", "ks", "float", 700, 650),
    ("ks-ties", "ks", "integer", 900, 800),
    ("ks-asymptotic", "ks", "float", 11_000, 10_500),
    ("chisquare", "chisquare", "category", 800, 600),
    ("chisquare-flag", "chisquare", "flag", 500, 700),
    ("wasserstein", "wasserstein", "float", 3_000, 2_500),
    ("wasserstein-ties", "wasserstein", "integer", 2_000, 2_200),
    ("jensenshannon-categories", "jensenshannon", "category", 3_000, 2_000),
    ("jensenshannon-binned", "jensenshannon", "float", 3_000, 2_000),
    ("jensenshannon-values", "jensenshannon", "few", 3_000, 2_000),
    ("psi-categories", "psi", "category", 3_000, 2_000),
    ("psi-binned", "psi", "float", 3_000, 2_000),
    ("psi-values", "psi", "few", 3_000, 2_000),
    ("psi-empty-bins", "psi", "outlier", 20_001, 2_000),
]
#: A method per column type and reference size, to flag a shift with (each is the default somewhere).
FLAG_CASES: list[tuple[Method, str, int]] = [
    ("ks", "float", 500),
    ("chisquare", "category", 500),
    ("wasserstein", "float", 2_000),
    ("jensenshannon", "category", 2_000),
    ("jensenshannon", "float", 2_000),
    ("psi", "category", 2_000),
    ("psi", "float", 2_000),
]


class MonitorSuite(ConformanceSuite):
    """Subclass it, set ``plugin`` and define a ``component_config`` fixture (see ``ConformanceSuite``); a
    plugin that requires other components also defines ``component_dependencies`` (e.g. ``{"warehouse": ...}``)
    and, for the health check, ``unreachable_dependencies`` (the same, unreachable).
    """

    category: ClassVar[str | None] = "monitor"

    @pytest.fixture
    def component_dependencies(self) -> Mapping[str, Component]:
        """The components the plugin requires, by config field; none unless the vendor defines them."""
        return {}

    @pytest.fixture
    def descriptor(
        self, request: pytest.FixtureRequest, component_dependencies: Mapping[str, Component]
    ) -> PluginDescriptor:
        found = target(request.config, type(self)).descriptor
        if not component_dependencies:
            return found
        values = {f.name: getattr(found, f.name) for f in fields(found)}
        return _WithDependencies(**values, dependencies=component_dependencies)

    @must("health", HEALTH)
    def test_health_raises_unavailable_when_unreachable(
        self, descriptor: PluginDescriptor, request: pytest.FixtureRequest, component_config: Mapping[str, Any]
    ) -> None:
        # A monitor may compute in a component it requires: unreachable then means that component is.
        config = _optional_fixture(request, "unreachable_config")
        dependencies = _optional_fixture(request, "unreachable_dependencies")
        if config is None and dependencies is None:
            pytest.skip(
                "No unreachable_config or unreachable_dependencies fixture: define one whose tool (or required "
                "component) cannot be reached. A run without this check is not certified."
            )
        with (
            pytest.raises(Unavailable),
            descriptor.create(component_config if config is None else config, dependencies=dependencies) as built,
        ):
            built.health()

    # -- columns and methods ----------------------------------------------------------------------------

    @must("drift_report", COLUMNS)
    def test_columns_default_to_the_references_typed_by_arrow(self, component: Monitor) -> None:
        rng = _rng("columns")
        numbers = {
            "int32": pa.array(rng.integers(0, 100, 300).astype(np.int32)),
            "int64": pa.array(rng.integers(0, 100, 300).astype(np.int64)),
            "float32": pa.array(rng.normal(size=300).astype(np.float32)),
            "float64": pa.array(rng.normal(size=300)),
        }
        others = {"string": pa.array(rng.choice(CATEGORIES, 300)), "bool": pa.array(rng.random(300) < 0.5)}
        reference = pa.table(numbers | others)
        current = reference.append_column("only_in_current", pa.array(np.arange(300)))

        columns = _by_column(component.drift_report(reference, current))
        assert set(columns) == set(reference.column_names), (
            f"The report compares {sorted(columns)}; by default it must compare the reference's columns "
            f"{sorted(reference.column_names)}."
        )
        wrong = {
            n: c.column_type
            for n, c in columns.items()
            if c.column_type != ("numerical" if n in numbers else "categorical")
        }
        assert not wrong, f"Columns typed against their Arrow types (numeric: numerical, others: categorical): {wrong}."

        overridden = _by_column(component.drift_report(reference, current, column_types={"int64": "categorical"}))
        assert overridden["int64"].column_type == "categorical", (
            f"column_types={{'int64': 'categorical'}} left the column {overridden['int64'].column_type}."
        )
        assert overridden["int64"].method == default_method("categorical", 300)

    @must("drift_report", PER_COLUMN)
    def test_methods_and_thresholds_apply_to_their_column_only(self, component: Monitor) -> None:
        rng = _rng("per-column")
        reference = _table({name: draw("float", 600, shifted=False, rng=rng) for name in ("a", "b", "c")})
        current = _table({name: draw("float", 600, shifted=False, rng=rng) for name in ("a", "b", "c")})
        report = component.drift_report(
            reference, current, methods={"a": "wasserstein"}, thresholds={"b": 1.0, "a": 0.0}
        )
        columns = _by_column(report)
        got = {n: (c.method, c.threshold) for n, c in columns.items()}
        small = default_method("numerical", 600)
        want = {"a": ("wasserstein", 0.0), "b": (small, 1.0), "c": (small, DEFAULT_THRESHOLDS[small])}
        assert got == want, f"(method, threshold) per column: got {got}, asked for {want}."
        assert columns["a"].drifted, "A distance is always >= a threshold of 0, so column 'a' must be flagged."
        assert columns["b"].drifted, (
            "A p-value is always < a threshold of 1.0 (unless it is 1), so 'b' must be flagged."
        )
        _assert_consistent(report)

    @must("drift_report", DEFAULTS)
    @pytest.mark.parametrize("rows", [1_000, 1_001], ids=["1000-reference-rows", "1001-reference-rows"])
    def test_unconfigured_columns_get_the_default_method_and_threshold(self, component: Monitor, rows: int) -> None:
        rng = _rng(f"defaults-{rows}")
        reference = _table({kind: draw(kind, rows, shifted=False, rng=rng) for kind in KINDS})
        current = _table({kind: draw(kind, 800, shifted=True, rng=rng) for kind in KINDS})
        report = component.drift_report(reference, current)
        got = {n: (c.method, c.threshold) for n, c in _by_column(report).items()}
        want = {}
        for kind, column_type in KINDS.items():
            method = default_method(column_type, rows)
            want[kind] = (method, DEFAULT_THRESHOLDS[method])
        assert got == want, f"With {rows} reference rows, (method, threshold) per column: got {got}, expected {want}."
        _assert_consistent(report)

    # -- scores -----------------------------------------------------------------------------------------

    @must("drift_report", SCORES)
    @pytest.mark.parametrize(
        ("method", "kind", "reference_rows", "current_rows"),
        [case[1:] for case in SCORE_CASES],
        ids=[case[0] for case in SCORE_CASES],
    )
    def test_score_equals_the_reference_statistic(
        self, component: Monitor, method: Method, kind: str, reference_rows: int, current_rows: int
    ) -> None:
        rng = _rng(f"score-{method}-{kind}")
        reference = draw(kind, reference_rows, shifted=False, rng=rng)
        current = draw(kind, current_rows, shifted=True, rng=rng)
        numerical = kind not in ("category", "flag")
        report = component.drift_report(_table({"x": reference}), _table({"x": current}), methods={"x": method})
        (column,) = report.columns
        expected = reference_score(method, reference, current, numerical=numerical)
        assert column.method == method, f"Asked for {method!r}, the report used {column.method!r}."
        assert column.score == pytest.approx(expected, rel=RELATIVE_ERROR, abs=0), (
            f"{method} score of {reference_rows} reference and {current_rows} current {kind} values: got "
            f"{column.score!r}, the reference statistic is {expected!r}."
        )

    # -- flags ------------------------------------------------------------------------------------------

    @must("drift_report", FLAGGED)
    @pytest.mark.parametrize(("method", "kind", "rows"), FLAG_CASES, ids=[f"{m}-{k}" for m, k, _ in FLAG_CASES])
    def test_shifted_column_is_flagged(self, component: Monitor, method: Method, kind: str, rows: int) -> None:
        rng = _rng(f"shifted-{method}-{kind}")
        reference, current = draw(kind, rows, shifted=False, rng=rng), draw(kind, rows, shifted=True, rng=rng)
        report = component.drift_report(_table({"x": reference}), _table({"x": current}), methods={"x": method})
        (column,) = report.columns
        assert column.drifted, (
            f"A clearly shifted {kind} column is not flagged by {method}: score {column.score}, threshold "
            f"{column.threshold}."
        )

    @must("drift_report", FLAGGED)
    @pytest.mark.parametrize(("method", "kind", "rows"), FLAG_CASES, ids=[f"{m}-{k}" for m, k, _ in FLAG_CASES])
    def test_identically_distributed_column_is_not_flagged(
        self, component: Monitor, method: Method, kind: str, rows: int
    ) -> None:
        rng = _rng(f"identical-{method}-{kind}")
        reference = draw(kind, rows, shifted=False, rng=rng)
        current = identically_distributed(reference, rng, times=2)
        report = component.drift_report(_table({"x": reference}), _table({"x": current}), methods={"x": method})
        (column,) = report.columns
        assert not column.drifted, (
            f"A {kind} column whose current values are the reference's, twice over and shuffled, is flagged by "
            f"{method}: score {column.score}, threshold {column.threshold}."
        )

    @must("drift_report", FLAGGED)
    @pytest.mark.parametrize("rows", [500, 2_000], ids=["small-reference", "large-reference"])
    def test_default_tests_flag_shifts_and_not_identical_columns(self, component: Monitor, rows: int) -> None:
        rng = _rng(f"default-flags-{rows}")
        reference, current = {}, {}
        for kind in KINDS:
            reference[f"{kind}_shifted"] = draw(kind, rows, shifted=False, rng=rng)
            current[f"{kind}_shifted"] = draw(kind, rows, shifted=True, rng=rng)
            reference[f"{kind}_same"] = draw(kind, rows, shifted=False, rng=rng)
            current[f"{kind}_same"] = identically_distributed(reference[f"{kind}_same"], rng)
        report = component.drift_report(_table(reference), _table(current))
        flags = {n: c.drifted for n, c in _by_column(report).items()}
        want = {name: name.endswith("_shifted") for name in reference}
        assert flags == want, f"Flags with the default tests at {rows} reference rows: got {flags}, expected {want}."

    @must("drift_report", DATASET)
    @pytest.mark.parametrize("shifted", [0, 1, 2, 3, 4])
    def test_dataset_drifts_when_the_share_reaches_the_threshold(self, component: Monitor, shifted: int) -> None:
        rng = _rng(f"dataset-{shifted}")
        names = [f"c{i}" for i in range(4)]
        reference = {n: draw("float", 400, shifted=False, rng=rng) for n in names}
        current = {
            n: draw("float", 400, shifted=True, rng=rng) if i < shifted else identically_distributed(reference[n], rng)
            for i, n in enumerate(names)
        }
        report = component.drift_report(_table(reference), _table(current))
        _assert_consistent(report)
        assert report.drift_share == shifted / 4, (
            f"{shifted} of 4 columns shifted, drift_share is {report.drift_share}."
        )
        assert report.share_threshold == DRIFT_SHARE_THRESHOLD, (
            f"share_threshold is {report.share_threshold}, the spec's is {DRIFT_SHARE_THRESHOLD}."
        )
        expected = report.drift_share >= report.share_threshold
        assert report.dataset_drifted is expected, (
            f"dataset_drifted is {report.dataset_drifted} with drift_share {report.drift_share} and share_threshold "
            f"{report.share_threshold}."
        )
        assert (report.reference_rows, report.current_rows) == (400, 400)

    # -- errors -----------------------------------------------------------------------------------------

    @must("drift_report", MISSING_COLUMN)
    @pytest.mark.parametrize("missing_from", ["reference", "current", "current-by-default"])
    def test_missing_column_raises_invalid_input(self, component: Monitor, missing_from: str) -> None:
        rng = _rng("missing-column")
        full = _table(
            {"a": draw("float", 50, shifted=False, rng=rng), "b": draw("category", 50, shifted=False, rng=rng)}
        )
        partial = full.select(["a"])
        reference, current, columns = {
            "reference": (partial, full, ["a", "b"]),
            "current": (full, partial, ["a", "b"]),
            "current-by-default": (full, partial, None),
        }[missing_from]
        with pytest.raises(InvalidInput):
            component.drift_report(reference, current, columns=columns)

    # -- quality ----------------------------------------------------------------------------------------

    @pytest.fixture
    def profiled(self) -> tuple[pa.Table, dict[str, np.ndarray]]:
        """A table with nulls in every column and NaN in the float column; and each column's present values."""
        rng = _rng("quality")
        rows = 1_000
        floats = rng.normal(10.0, 3.0, rows)
        floats[::9] = np.nan
        values: dict[str, np.ndarray] = {
            "float": floats,
            "integer": rng.integers(-40, 40, rows),
            "text": rng.choice(CATEGORIES, rows),
            "flag": rng.random(rows) < 0.5,
        }
        nulls = {name: (np.arange(rows) + i) % (5 + i) == 0 for i, name in enumerate(values)}
        table = pa.table({n: pa.array(v, mask=nulls[n]) for n, v in values.items()})
        present = {n: v[~(nulls[n] | (np.isnan(v) if v.dtype.kind == "f" else False))] for n, v in values.items()}
        return table, present

    @must("quality_report", QUALITY)
    def test_quality_counts_rows_missing_distinct_and_numeric_summaries(
        self, component: Monitor, profiled: tuple[pa.Table, dict[str, np.ndarray]]
    ) -> None:
        table, present = profiled
        report = component.quality_report(table)
        assert isinstance(report, QualityReport), f"quality_report() returned a {type(report).__name__}."
        assert report.rows == table.num_rows, f"rows is {report.rows}, the table has {table.num_rows}."
        columns = {c.column: c for c in report.columns}
        assert set(columns) == set(table.column_names), f"The report covers {sorted(columns)}."
        for name, values in present.items():
            got = columns[name]
            want = (len(values), table.num_rows - len(values), len(np.unique(values)))
            assert (got.count, got.missing, got.distinct) == want, (
                f"Column {name!r}: (count, missing, distinct) of the present values is {want}, got "
                f"{(got.count, got.missing, got.distinct)}."
            )
        for name in ("float", "integer"):
            got, values = columns[name], present[name].astype(np.float64)
            for statistic, expected in (("min", values.min()), ("max", values.max()), ("mean", values.mean())):
                assert getattr(got, statistic) == pytest.approx(float(expected), rel=1e-9), (
                    f"Column {name!r}: {statistic} of the present values is {expected}, got {getattr(got, statistic)}."
                )

    @must("quality_report", MISSING_VALUES)
    @pytest.mark.parametrize("missing", ["null", "nan", "both"])
    def test_quality_counts_null_and_nan_as_missing(self, component: Monitor, missing: str) -> None:
        values = _rng(f"nan-{missing}").normal(size=200)
        nan_rows = np.arange(200) % 4 == 0 if missing in ("nan", "both") else np.zeros(200, bool)
        null_rows = np.arange(200) % 5 == 0 if missing in ("null", "both") else np.zeros(200, bool)
        values[nan_rows] = np.nan
        report = component.quality_report(pa.table({"x": pa.array(values, mask=null_rows)}))
        (column,) = report.columns
        expected = int(np.count_nonzero(nan_rows | null_rows))
        assert column.missing == expected, (
            f"{int(null_rows.sum())} nulls and {int(nan_rows.sum())} NaN in {int(expected)} rows: missing is "
            f"{column.missing}, expected {expected}."
        )

    # -- html_report ------------------------------------------------------------------------------------

    @requires("html_report")
    @must("save_html", HTML)
    def test_save_html_writes_one_file(self, component: Monitor, tmp_path: Path) -> None:
        assert isinstance(component, SupportsHtmlReport), "The plugin declares html_report without SupportsHtmlReport."
        rng = _rng("html")
        report = component.drift_report(
            _table({"speed": draw("float", 300, shifted=False, rng=rng)}),
            _table({"speed": draw("float", 300, shifted=True, rng=rng)}),
        )
        path = component.save_html(report, str(tmp_path / "drift.html"))
        written = Path(path)
        assert written.is_file(), f"save_html() returned {path!r}, which is not a file."
        text = written.read_text(encoding="utf-8")
        assert "<html" in text.lower(), "The file save_html() wrote is not an HTML page."
        assert "speed" in text, "The HTML page does not name the report's column."
