"""Everything that touches Evidently (and pandas): imported on a monitor's first report, not when it is built.

``import evidently`` loads its UI service, LLM and SDK packages too (9 to 20 s on 2 busy cores), so building a
monitor and asking its ``health()`` stays fast, as ``stackhub validate`` expects of a live check.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.metrics import MaxValue, MeanValue, MinValue, MissingValueCount, RowCount
from evidently.presets import DataDriftPreset
from stackhub import InvalidInput

__all__ = ["RUN_NAME", "RUN_TAGS", "Snapshot", "drift", "html", "quality", "without_data"]

#: Tags and name of every Evidently run a monitor makes, so that they can be told apart in a workspace.
RUN_TAGS = ("stackhub",)
RUN_NAME = "stackhub drift report"

T = TypeVar("T")


def _pandas(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _call(doing: str, run: Callable[[], T]) -> T:
    """Call Evidently; its refusals of the data become InvalidInput."""
    try:
        with warnings.catch_warnings():
            # scipy warns about categories absent from the reference (chi-square then returns p = 0, as the
            # spec's reference statistic does); the number is the answer.
            warnings.simplefilter("ignore", RuntimeWarning)
            return run()
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(
            f"Evidently could not {doing}: {exc}.", fix="Check the columns' values and types, then retry."
        ) from None


def _kind(config: Mapping[str, Any]) -> str:
    """The metric's class name from its config type, e.g. 'evidently:metric_v2:ValueDrift' -> 'ValueDrift'."""
    return str(config.get("type", "")).rpartition(":")[2]


def _number(value: Any) -> float | None:
    number = float(value)
    return None if number != number else number  # NaN: no present value


def drift(
    reference: pa.Table,
    current: pa.Table,
    numerical: Sequence[str],
    categorical: Sequence[str],
    methods: Mapping[str, str],
    thresholds: Mapping[str, float],
    share_threshold: float,
) -> tuple[Snapshot, dict[str, float]]:
    """One data drift preset run over the columns, each with its explicit test and threshold; and each column's
    ValueDrift score, checked to come from the requested test."""
    names = list(methods)
    definition = DataDefinition(numerical_columns=list(numerical), categorical_columns=list(categorical))
    preset = DataDriftPreset(
        columns=names,
        per_column_method=dict(methods),
        per_column_threshold=dict(thresholds),
        drift_share=share_threshold,
    )
    snapshot = _call(
        "compare the datasets",
        lambda: Report([preset], include_tests=True, tags=list(RUN_TAGS)).run(
            Dataset.from_pandas(_pandas(current), data_definition=definition),
            Dataset.from_pandas(_pandas(reference), data_definition=definition),
            name=RUN_NAME,
        ),
    )
    scores: dict[str, float] = {}
    for result in snapshot.dict()["metrics"]:
        config = result.get("config", {})
        if _kind(config) != "ValueDrift" or config.get("column") not in methods:
            continue
        column = config["column"]
        if config.get("method") != methods[column]:
            raise RuntimeError(
                f"Evidently ran {config.get('method')!r} on column {column!r} instead of {methods[column]!r}."
            )
        scores[column] = float(result["value"])
    missing = [c for c in names if c not in scores]
    if missing:
        raise RuntimeError(f"Evidently's run has no drift score for column {', '.join(map(repr, missing))}.")
    return snapshot, scores


def quality(table: pa.Table, numeric: Sequence[str]) -> tuple[int, dict[str, int], dict[str, dict[str, float | None]]]:
    """Evidently's row count, missing values per column, and min, max and mean per numeric column."""
    metrics: list[Any] = [RowCount()]
    for name in table.column_names:
        metrics.append(MissingValueCount(column=name))
        if name in numeric:
            metrics += [MinValue(column=name), MaxValue(column=name), MeanValue(column=name)]
    definition = DataDefinition(
        numerical_columns=list(numeric), categorical_columns=[n for n in table.column_names if n not in numeric]
    )
    frame = _pandas(table)
    snapshot = _call(
        "profile the data",
        lambda: Report(metrics, tags=list(RUN_TAGS)).run(Dataset.from_pandas(frame, data_definition=definition)),
    )
    values: dict[tuple[str, str | None], Any] = {}
    for result in snapshot.dict()["metrics"]:
        config = result.get("config", {})
        values[_kind(config), config.get("column")] = result.get("value")
    missing = {name: int(values["MissingValueCount", name]["count"]) for name in table.column_names}
    stats = {
        name: {
            key: _number(values[metric, name])
            for key, metric in (("min", "MinValue"), ("max", "MaxValue"), ("mean", "MeanValue"))
        }
        for name in numeric
    }
    return int(values["RowCount", None]), missing, stats


def without_data(snapshot: Snapshot) -> Snapshot:
    """The run's results and widgets, without its context (which holds both datasets)."""
    return Snapshot.load_model(snapshot.to_snapshot_model())


def html(snapshot: Snapshot) -> str:
    """Evidently's standalone HTML page of the run (its scripts inlined)."""
    page: str = snapshot.get_html_str(as_iframe=False)
    return page
