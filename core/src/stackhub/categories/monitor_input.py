"""Checks of what a caller asks a monitor's ``drift_report()`` for (columns, column types, methods, thresholds,
against the two datasets' Arrow schemas), and the spec's rules that turn the answer into a ``DriftReport``, shared
so that every monitor plugin refuses the same request with the same words and decides defaults and verdicts the
same way. Schemas and counts only: nothing here reads a row. Not imported by the hub itself, only by the plugins
that use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

import pyarrow as pa

from ..errors import InvalidInput
from .monitor import (
    DEFAULT_THRESHOLDS,
    DRIFT_SHARE_THRESHOLD,
    ColumnDrift,
    ColumnType,
    DriftReport,
    Method,
    default_method,
    is_drifted,
)

__all__ = [
    "METHOD_TYPES",
    "Decided",
    "Planned",
    "decide",
    "is_numeric",
    "plan",
    "report",
    "value_type",
]

_COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
_METHODS: tuple[str, ...] = get_args(Method)
#: The column types each method applies to (Evidently's ``allowed_feature_types``): KS and Wasserstein need an
#: order, chi-square needs categories.
METHOD_TYPES: dict[str, frozenset[str]] = {
    "ks": frozenset({"numerical"}),
    "wasserstein": frozenset({"numerical"}),
    "chisquare": frozenset({"categorical"}),
    "jensenshannon": frozenset({"numerical", "categorical"}),
    "psi": frozenset({"numerical", "categorical"}),
}


@dataclass(frozen=True)
class Planned:
    """One compared column as the request decides it, before any data is read; ``method`` or ``threshold`` None
    means the spec's default, known once the reference's compared values are counted (``decide``)."""

    name: str
    column_type: ColumnType
    method: Method | None
    threshold: float | None


@dataclass(frozen=True)
class Decided:
    """One compared column's test: the caller's method and threshold, or the spec's defaults."""

    name: str
    column_type: ColumnType
    method: Method
    threshold: float

    def drift(self, score: float) -> ColumnDrift:
        """The column's result for ``score``, flagged by the spec's rule (``is_drifted``)."""
        return ColumnDrift(
            column=self.name,
            column_type=self.column_type,
            method=self.method,
            score=score,
            threshold=self.threshold,
            drifted=is_drifted(self.method, score, self.threshold),
        )


def value_type(data_type: pa.DataType) -> pa.DataType:
    """The type of the values: a dictionary-encoded column counts as its values."""
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def is_numeric(data_type: pa.DataType) -> bool:
    """Integers, floats and decimals (dictionary-encoded or not): the Arrow types compared as numerical."""
    data_type = value_type(data_type)
    return bool(pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type))


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _names(
    reference: pa.Schema,
    current: pa.Schema,
    columns: Sequence[str] | None,
    options: Mapping[str, Mapping[str, object]],
) -> list[str]:
    """The compared column names: distinct, in both datasets once each, and every option naming only them."""
    if isinstance(columns, str):
        raise InvalidInput(
            f"columns is the string {columns!r}, not a list of column names.", fix=f"Pass [{columns!r}]."
        )
    names = list(reference.names if columns is None else columns)
    if not names:
        raise InvalidInput("There are no columns to compare.", fix="Name at least one column.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInput(f"Column {_quoted(repeated)} is requested more than once.", fix="Name each column once.")
    for dataset, schema in (("reference", reference), ("current", current)):
        missing = [n for n in names if n not in schema.names]
        if missing:
            raise InvalidInput(
                f"Column {_quoted(missing)} is missing from the {dataset} dataset.",
                fix=f"Its columns are: {_quoted(schema.names) or 'none'}.",
            )
        ambiguous = [n for n in names if schema.names.count(n) > 1]
        if ambiguous:
            raise InvalidInput(
                f"The {dataset} dataset has more than one column named {_quoted(ambiguous)}.",
                fix="Rename the duplicates before comparing.",
            )
    for option, given in options.items():
        unknown = [n for n in given if n not in names]
        if unknown:
            raise InvalidInput(
                f"{option} names column {_quoted(unknown)}, which the report does not compare.",
                fix=f"The compared columns are: {_quoted(names)}.",
            )
    return names


def plan(
    reference: pa.Schema,
    current: pa.Schema,
    columns: Sequence[str] | None,
    column_types: Mapping[str, ColumnType] | None,
    methods: Mapping[str, Method] | None,
    thresholds: Mapping[str, float] | None,
) -> list[Planned]:
    """The compared columns in order, each typed and with the caller's method and threshold, or InvalidInput.

    Columns default to every column of ``reference``, typed numerical when their reference type is numeric
    (``is_numeric``) and categorical otherwise, unless ``column_types`` says otherwise.
    """
    column_types, methods, thresholds = dict(column_types or {}), dict(methods or {}), dict(thresholds or {})
    options: dict[str, Mapping[str, object]] = {
        "column_types": column_types,
        "methods": methods,
        "thresholds": thresholds,
    }
    planned = []
    for name in _names(reference, current, columns, options):
        ref_type, cur_type = reference.field(name).type, current.field(name).type
        column_type = column_types.get(name, "numerical" if is_numeric(ref_type) else "categorical")
        if column_type not in _COLUMN_TYPES:
            raise InvalidInput(
                f"Column type {column_type!r} of {name!r} is not one of {', '.join(_COLUMN_TYPES)}.",
                fix="Use 'numerical' or 'categorical'.",
            )
        if column_type == "numerical" and not (is_numeric(ref_type) and is_numeric(cur_type)):
            raise InvalidInput(
                f"Column {name!r} cannot be numerical: it is {ref_type} in the reference and {cur_type} in the "
                "current dataset.",
                fix="Compare it as 'categorical', or cast it to a number first.",
            )
        method = methods.get(name)
        if method is not None and method not in _METHODS:
            raise InvalidInput(
                f"Unknown drift method {method!r} for {name!r}.", fix=f"Use one of {', '.join(_METHODS)}."
            )
        if method is not None and column_type not in METHOD_TYPES[method]:
            raise InvalidInput(
                f"Method {method!r} does not apply to the {column_type} column {name!r}.",
                fix=f"Use one of {', '.join(m for m in _METHODS if column_type in METHOD_TYPES[m])}.",
            )
        threshold = thresholds.get(name)
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold)
        ):
            raise InvalidInput(
                f"Threshold {threshold!r} for {name!r} is not a finite number.", fix="Pass a finite float, e.g. 0.05."
            )
        planned.append(
            Planned(
                name=name,
                column_type=column_type,
                method=method,
                threshold=None if threshold is None else float(threshold),
            )
        )
    return planned


def decide(planned: Planned, reference_values: int, current_values: int) -> Decided:
    """The column's test once its compared values (not null, and for floats finite) are counted in each dataset:
    the spec's ``default_method`` for the reference's count and ``DEFAULT_THRESHOLDS`` where the caller named none,
    or InvalidInput when a dataset has no value to compare."""
    for dataset, count in (("reference", reference_values), ("current", current_values)):
        if not count:
            raise InvalidInput(
                f"Column {planned.name!r} has no values to compare in the {dataset} dataset: every value is null, "
                "NaN or infinite.",
                fix="Leave the column out of the report (columns=...).",
            )
    method = planned.method or default_method(planned.column_type, reference_values)
    threshold = DEFAULT_THRESHOLDS[method] if planned.threshold is None else planned.threshold
    return Decided(name=planned.name, column_type=planned.column_type, method=method, threshold=threshold)


def report(columns: Sequence[ColumnDrift], *, reference_rows: int, current_rows: int) -> DriftReport:
    """The report of the compared columns: the share of drifted ones and the dataset's verdict (drifted when the
    share reaches ``DRIFT_SHARE_THRESHOLD``)."""
    share = sum(c.drifted for c in columns) / len(columns)
    return DriftReport(
        columns=tuple(columns),
        reference_rows=reference_rows,
        current_rows=current_rows,
        drift_share=share,
        share_threshold=DRIFT_SHARE_THRESHOLD,
        dataset_drifted=share >= DRIFT_SHARE_THRESHOLD,
    )
