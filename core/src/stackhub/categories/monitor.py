"""Monitor: drift between a reference and a current dataset, and data quality.

The default tests follow Evidently 0.7's data drift preset, so results are comparable across plugins:
with at most 1,000 reference rows, Kolmogorov-Smirnov for numerical columns and chi-square for categorical ones
(drift when p < 0.05); above that, normed Wasserstein distance for numerical and Jensen-Shannon distance for
categorical columns (drift when the distance >= 0.1). PSI is available (drift when >= 0.1), never a default.
The dataset drifts when the share of drifted columns is at least 0.5.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from ..models import SpecModel
from ..plugin import Component

if TYPE_CHECKING:
    import pyarrow as pa

    from .warehouse import Warehouse

__all__ = [
    "CAPABILITIES",
    "DEFAULT_THRESHOLDS",
    "DRIFT_SHARE_THRESHOLD",
    "MODELS",
    "ColumnDrift",
    "ColumnQuality",
    "ColumnType",
    "DriftReport",
    "Method",
    "Monitor",
    "QualityReport",
    "SupportsHtmlReport",
    "TableRef",
    "default_method",
]

CAPABILITIES: dict[str, str] = {
    "html_report": "A drift report can be saved as a self-contained HTML page (SupportsHtmlReport).",
}

ColumnType = Literal["numerical", "categorical"]
Method = Literal["ks", "chisquare", "wasserstein", "jensenshannon", "psi"]

#: Methods whose score is a p-value: drift when score < threshold. The others are distances: drift when >=.
P_VALUE_METHODS: frozenset[str] = frozenset({"ks", "chisquare"})
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chisquare": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
DRIFT_SHARE_THRESHOLD = 0.5
SMALL_REFERENCE_ROWS = 1_000


def default_method(column_type: ColumnType, reference_rows: int) -> Method:
    """The test a column gets when the caller names none (Evidently's defaults)."""
    if reference_rows <= SMALL_REFERENCE_ROWS:
        return "ks" if column_type == "numerical" else "chisquare"
    return "wasserstein" if column_type == "numerical" else "jensenshannon"


def is_drifted(method: str, score: float, threshold: float) -> bool:
    return score < threshold if method in P_VALUE_METHODS else score >= threshold


@dataclass(frozen=True)
class TableRef:
    """A table (or a SQL query) that stays in its warehouse; monitors that compute in the warehouse read it
    there, the others fetch it as Arrow."""

    warehouse: Warehouse
    table: str


class ColumnDrift(SpecModel):
    column: str
    column_type: ColumnType
    method: Method
    score: float
    threshold: float
    drifted: bool


class DriftReport(SpecModel):
    columns: tuple[ColumnDrift, ...]
    reference_rows: int
    current_rows: int
    drift_share: float
    share_threshold: float = DRIFT_SHARE_THRESHOLD
    dataset_drifted: bool


class ColumnQuality(SpecModel):
    column: str
    type: str
    count: int
    missing: int
    distinct: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None


class QualityReport(SpecModel):
    rows: int
    columns: tuple[ColumnQuality, ...]


class Monitor(Component):
    """A data monitor."""

    category: ClassVar[str] = "monitor"

    @abc.abstractmethod
    def drift_report(
        self,
        reference: pa.Table | TableRef,
        current: pa.Table | TableRef,
        *,
        columns: Sequence[str] | None = None,
        column_types: Mapping[str, ColumnType] | None = None,
        methods: Mapping[str, Method] | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> DriftReport:
        """Compare each column of ``current`` with ``reference``.

        Columns default to every column of ``reference``; numeric Arrow types are numerical, the others
        categorical, unless ``column_types`` says otherwise. ``methods`` and ``thresholds`` are per column.
        MUST use ``default_method`` and ``DEFAULT_THRESHOLDS`` for columns the caller does not configure.
        MUST flag a column whose distribution shifted beyond the threshold, and MUST NOT flag a column whose
        reference and current values are identically distributed.
        MUST compute each score equal to the reference statistic (scipy's) within 1e-6 relative error.
        MUST set ``dataset_drifted`` when ``drift_share`` >= ``share_threshold``.
        MUST raise ``InvalidInput`` when a requested column is missing from either dataset.
        """

    @abc.abstractmethod
    def quality_report(self, data: pa.Table | TableRef) -> QualityReport:
        """Count rows, missing and distinct values per column; min, max and mean for numeric columns.

        MUST count nulls (and NaN for floats) as missing.
        """


class SupportsHtmlReport(abc.ABC):
    """Capability ``html_report``."""

    @abc.abstractmethod
    def save_html(self, report: DriftReport, path: str) -> str:
        """Write the report as one HTML file; return its path."""


MODELS = (ColumnDrift, ColumnQuality, DriftReport, QualityReport)
