"""Deliberately broken monitors: each is the real warehouse-native monitor (sqlmonitor, on a real DuckDB
warehouse) with ONE behaviour broken (see ``broken``)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from broken import registry
from scipy import stats
from sqlglot import exp
from stackhub import Component, StackhubError
from stackhub.categories.monitor import (
    P_VALUE_METHODS,
    ColumnDrift,
    ColumnType,
    DriftReport,
    Method,
    QualityReport,
    SupportsHtmlReport,
    TableRef,
    default_method,
    is_drifted,
)
from stackhub_conformance.monitor import MonitorSuite
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqlmonitor import plugin as sqlmonitor_plugin
from stackhub_sqlmonitor._monitor import SQLMonitor, _Planned


class Harness(MonitorSuite):
    """The suite with the fixtures the real plugin needs (a DuckDB warehouse); each broken monitor subclasses it."""

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"warehouse": "warehouse"}

    @pytest.fixture
    def component_dependencies(self) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": ":memory:"}) as warehouse:
            yield {"warehouse": warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}


BROKEN, broken = registry(sqlmonitor_plugin)

Data = pa.Table | TableRef
Scores = dict[int, float]


def _reflagged(report: DriftReport, flag: Callable[[ColumnDrift], bool]) -> DriftReport:
    """The report with each column flagged by ``flag``, its share and dataset flag following."""
    columns = tuple(c.model_copy(update={"drifted": flag(c)}) for c in report.columns)
    share = sum(c.drifted for c in columns) / len(columns)
    return report.model_copy(
        update={"columns": columns, "drift_share": share, "dataset_drifted": share >= report.share_threshold}
    )


def _names(monitor: SQLMonitor, data: Data) -> list[str]:
    return monitor._schema(data, "data").names


# -- health -----------------------------------------------------------------------------------------------


# The monitor suite has its own version of this shared check (it builds the monitor on unreachable dependencies).
@broken("test_health_raises_unavailable_when_unreachable", reason="DID NOT RAISE.*Unavailable")
class HealthSwallowsErrors(SQLMonitor):
    """health() returns None even when its warehouse cannot be reached."""

    def health(self) -> None:
        with contextlib.suppress(StackhubError):
            super().health()


# -- columns, methods and thresholds ----------------------------------------------------------------------


@broken(
    "test_columns_default_to_the_references_typed_by_arrow",
    # The current dataset has one column more, which the reference lacks: the plugin rightly rejects its request.
    reason=r"InvalidInput: Column 'only_in_current' is missing from the reference dataset",
)
class ColumnsDefaultToTheCurrents(SQLMonitor):
    """Without ``columns``, the report compares the current dataset's columns, not the reference's."""

    def drift_report(
        self, reference: Data, current: Data, *, columns: Sequence[str] | None = None, **options: Any
    ) -> DriftReport:
        names = _names(self, current) if columns is None else columns
        return super().drift_report(reference, current, columns=names, **options)


@broken(
    "test_columns_default_to_the_references_typed_by_arrow",
    reason=r"The report compares \['float32', 'float64', 'int32', 'int64', 'string'\];",
)
class DropsBooleanColumns(SQLMonitor):
    """Without ``columns``, the report leaves out boolean columns."""

    def drift_report(
        self, reference: Data, current: Data, *, columns: Sequence[str] | None = None, **options: Any
    ) -> DriftReport:
        if columns is None:
            columns = [f.name for f in self._schema(reference, "reference") if not pa.types.is_boolean(f.type)]
        return super().drift_report(reference, current, columns=columns, **options)


@broken(
    "test_columns_default_to_the_references_typed_by_arrow",
    reason=r"column_types=\{'int64': 'categorical'\} left the column numerical",
)
class IgnoresColumnTypes(SQLMonitor):
    """``column_types`` is ignored: columns are always typed by their Arrow type."""

    def drift_report(
        self, reference: Data, current: Data, *, column_types: Mapping[str, ColumnType] | None = None, **options: Any
    ) -> DriftReport:
        return super().drift_report(reference, current, **options)


@broken(
    "test_methods_and_thresholds_apply_to_their_column_only",
    reason=r"\(method, threshold\) per column: got \{'a': \('wasserstein', 1\.0\), 'b': \('ks', 1\.0\), "
    r"'c': \('ks', 1\.0\)\}",
)
class OneThresholdForAllColumns(SQLMonitor):
    """The first threshold given applies to every column."""

    def drift_report(
        self, reference: Data, current: Data, *, thresholds: Mapping[str, float] | None = None, **options: Any
    ) -> DriftReport:
        if thresholds:
            first = next(iter(thresholds.values()))
            columns = options.get("columns") or _names(self, reference)
            thresholds = dict.fromkeys(columns, first)
        return super().drift_report(reference, current, thresholds=thresholds, **options)


@broken(
    "test_unconfigured_columns_get_the_default_method_and_threshold[1000-reference-rows]",
    reason=r"With 1000 reference rows, \(method, threshold\) per column: got \{'float': \('wasserstein', 0\.1\)",
)
class LargeDefaultsFromOneThousandRows(SQLMonitor):
    """The defaults for a large reference (Wasserstein, Jensen-Shannon) start at 1,000 reference rows, not above."""

    def drift_report(
        self, reference: Data, current: Data, *, methods: Mapping[str, Method] | None = None, **options: Any
    ) -> DriftReport:
        report = super().drift_report(reference, current, methods=methods, **options)
        chosen = dict(methods or {})
        for column in report.columns:
            chosen.setdefault(column.column, default_method(column.column_type, report.reference_rows + 1))
        return super().drift_report(reference, current, methods=chosen, **options)


# -- scores -----------------------------------------------------------------------------------------------


@broken(
    "test_score_equals_the_reference_statistic[ks-exact]",
    "test_score_equals_the_reference_statistic[ks-ties]",
    reason=r"ks score of \d+ reference and \d+ current (float|integer) values: got",
)
class KsAlwaysAsymptotic(SQLMonitor):
    """KS p-values are always asymptotic; scipy computes exact ones up to 10,000 values per sample."""

    def drift_report(self, reference: Data, current: Data, **options: Any) -> DriftReport:
        report = super().drift_report(reference, current, **options)

        def asymptotic(column: ColumnDrift) -> ColumnDrift:
            if column.method != "ks":
                return column
            ref, cur = (t.column(column.column).to_numpy() for t in (reference, current))  # type: ignore[union-attr]
            return column.model_copy(update={"score": float(stats.ks_2samp(ref, cur, method="asymp").pvalue)})

        rescored = report.model_copy(update={"columns": tuple(asymptotic(c) for c in report.columns)})
        return _reflagged(rescored, lambda c: is_drifted(c.method, c.score, c.threshold))


@broken(
    "test_score_equals_the_reference_statistic[wasserstein]",
    "test_score_equals_the_reference_statistic[wasserstein-ties]",
    reason=r"wasserstein score of \d+ reference and \d+ current (float|integer) values: got",
)
class WassersteinNormedBySampleStd(SQLMonitor):
    """The Wasserstein distance is normed by the sample standard deviation (ddof=1), not numpy's (ddof=0)."""

    def _ecdf_scores(
        self,
        ref: exp.Expr,
        cur: exp.Expr,
        plan: list[_Planned],
        methods: Mapping[int, Method],
        sizes: Mapping[int, tuple[int, int]],
        profile: Mapping[tuple[str, int], Any],
    ) -> Scores:
        scores = super()._ecdf_scores(ref, cur, plan, methods, sizes, profile)
        for index, score in scores.items():
            if methods[index] == "wasserstein":
                n = sizes[index][0]
                scores[index] = score * math.sqrt((n - 1) / n)
        return scores


@broken(
    "test_score_equals_the_reference_statistic[jensenshannon-categories]",
    "test_score_equals_the_reference_statistic[jensenshannon-binned]",
    "test_score_equals_the_reference_statistic[jensenshannon-values]",
    reason=r"jensenshannon score of \d+ reference and \d+ current (category|float|few) values: got",
)
class JensenShannonInBits(SQLMonitor):
    """The Jensen-Shannon distance is computed with base-2 logarithms, not natural ones."""

    def _frequency_scores(
        self,
        ref: exp.Expr,
        cur: exp.Expr,
        plan: list[_Planned],
        methods: Mapping[int, Method],
        sizes: Mapping[int, tuple[int, int]],
        profile: Mapping[tuple[str, int], Any],
    ) -> Scores:
        scores = super()._frequency_scores(ref, cur, plan, methods, sizes, profile)
        bits = 1 / math.sqrt(math.log(2))
        return {i: s * bits if methods[i] == "jensenshannon" else s for i, s in scores.items()}


@broken(
    "test_score_equals_the_reference_statistic[psi-categories]",
    "test_score_equals_the_reference_statistic[psi-binned]",
    "test_score_equals_the_reference_statistic[psi-values]",
    "test_score_equals_the_reference_statistic[psi-empty-bins]",
    reason=r"psi score of \d+ reference and \d+ current (category|float|few|outlier) values: got",
)
class PsiInLog10(SQLMonitor):
    """PSI is computed with base-10 logarithms, not natural ones."""

    def _frequency_scores(
        self,
        ref: exp.Expr,
        cur: exp.Expr,
        plan: list[_Planned],
        methods: Mapping[int, Method],
        sizes: Mapping[int, tuple[int, int]],
        profile: Mapping[tuple[str, int], Any],
    ) -> Scores:
        scores = super()._frequency_scores(ref, cur, plan, methods, sizes, profile)
        return {i: s / math.log(10) if methods[i] == "psi" else s for i, s in scores.items()}


# -- flags ------------------------------------------------------------------------------------------------

FLAG_IDS = [
    "ks-float",
    "chisquare-category",
    "wasserstein-float",
    "jensenshannon-category",
    "jensenshannon-float",
    "psi-category",
    "psi-float",
]


@broken(
    *(f"test_shifted_column_is_flagged[{case}]" for case in FLAG_IDS),
    reason=r"A clearly shifted \w+ column is not flagged by \w+",
)
class NeverFlags(SQLMonitor):
    """No column is ever flagged: the drift tests never fire."""

    def drift_report(self, reference: Data, current: Data, **options: Any) -> DriftReport:
        return _reflagged(super().drift_report(reference, current, **options), lambda _: False)


@broken(
    *(f"test_identically_distributed_column_is_not_flagged[{case}]" for case in FLAG_IDS),
    reason=r"twice over and shuffled, is flagged by \w+",
)
class AlwaysFlags(SQLMonitor):
    """Every column is flagged: the drift tests always fire."""

    def drift_report(self, reference: Data, current: Data, **options: Any) -> DriftReport:
        return _reflagged(super().drift_report(reference, current, **options), lambda _: True)


@broken(
    "test_default_tests_flag_shifts_and_not_identical_columns[small-reference]",
    "test_default_tests_flag_shifts_and_not_identical_columns[large-reference]",
    reason=r"Flags with the default tests at (500|2000) reference rows: got \{'float_shifted': False, 'float_same': True",
)
class ReversedThresholdDirection(SQLMonitor):
    """Every test flags the wrong side of its threshold: p-values at or above it, distances below it."""

    def drift_report(self, reference: Data, current: Data, **options: Any) -> DriftReport:
        def reversed_(c: ColumnDrift) -> bool:
            return c.score >= c.threshold if c.method in P_VALUE_METHODS else c.score < c.threshold

        return _reflagged(super().drift_report(reference, current, **options), reversed_)


@broken(
    "test_dataset_drifts_when_the_share_reaches_the_threshold[2]",
    reason=r"dataset_drifted is False with drift_share 0\.5 and share_threshold 0\.5",
)
class DatasetDriftsAboveTheShare(SQLMonitor):
    """The dataset drifts only when the share of drifted columns exceeds the threshold, not when it reaches it."""

    def drift_report(self, reference: Data, current: Data, **options: Any) -> DriftReport:
        report = super().drift_report(reference, current, **options)
        return report.model_copy(update={"dataset_drifted": report.drift_share > report.share_threshold})


# -- errors -----------------------------------------------------------------------------------------------


@broken(
    "test_missing_column_raises_invalid_input[reference]",
    "test_missing_column_raises_invalid_input[current]",
    "test_missing_column_raises_invalid_input[current-by-default]",
    reason="DID NOT RAISE",
)
class SkipsMissingColumns(SQLMonitor):
    """A requested column missing from either dataset is left out of the report, silently."""

    def drift_report(
        self, reference: Data, current: Data, *, columns: Sequence[str] | None = None, **options: Any
    ) -> DriftReport:
        present = set(_names(self, current))
        wanted = _names(self, reference) if columns is None else columns
        columns = [c for c in wanted if c in present and c in _names(self, reference)]
        return super().drift_report(reference, current, columns=columns, **options)


# -- quality ----------------------------------------------------------------------------------------------


@broken(
    "test_quality_counts_rows_missing_distinct_and_numeric_summaries",
    reason=r"Column 'float': mean of the present values is [\d.]+, got [\d.]+",
)
class MeanOverAllRows(SQLMonitor):
    """A column's mean is taken over every row, a missing value counting as 0."""

    def quality_report(self, data: Data) -> QualityReport:
        report = super().quality_report(data)

        def diluted(column: Any) -> Any:
            if column.mean is None:
                return column
            return column.model_copy(update={"mean": column.mean * column.count / report.rows})

        return report.model_copy(update={"columns": tuple(diluted(c) for c in report.columns)})


@broken(
    "test_quality_counts_null_and_nan_as_missing[nan]",
    "test_quality_counts_null_and_nan_as_missing[both]",
    # The missing count is the null count: NaN are not counted.
    reason=r"(\d+) nulls and \d+ NaN in \d+ rows: missing is \1,",
)
class NanIsNotMissing(SQLMonitor):
    """Only nulls count as missing; NaN count as present values."""

    def quality_report(self, data: Data) -> QualityReport:
        report = super().quality_report(data)

        def nulls_only(column: Any) -> Any:
            missing = data.column(column.column).null_count  # type: ignore[union-attr]
            return column.model_copy(update={"missing": missing, "count": report.rows - missing})

        return report.model_copy(update={"columns": tuple(nulls_only(c) for c in report.columns)})


# -- html_report ------------------------------------------------------------------------------------------


@broken(
    "test_save_html_writes_one_file",
    reason="The HTML page does not name the report's column",
    capabilities=frozenset({"html_report"}),
)
class HtmlWithoutColumns(SQLMonitor, SupportsHtmlReport):
    """Declares html_report; its page gives the dataset's verdict only, naming no column."""

    def save_html(self, report: DriftReport, path: str) -> str:
        drifted = sum(c.drifted for c in report.columns)
        verdict = f"{drifted} of {len(report.columns)} columns drifted"
        Path(path).write_text(f"<!doctype html><html><body><p>{verdict}.</p></body></html>", encoding="utf-8")
        return path
