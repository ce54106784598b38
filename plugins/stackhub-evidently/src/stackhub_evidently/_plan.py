"""What a drift report compares, decided from the two Arrow schemas before any data is read.

Nothing here imports Evidently: the checks are the spec's (``stackhub.categories.monitor``), and every refusal is
an ``InvalidInput`` that names the column and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

import pyarrow as pa
from stackhub import InvalidInput
from stackhub.categories.monitor import ColumnType, Method

__all__ = ["METHOD_TYPES", "Planned", "is_nested", "is_numeric", "plan", "value_type"]

COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
METHODS: tuple[str, ...] = get_args(Method)
#: The column types Evidently's stattests accept (their ``allowed_feature_types``).
METHOD_TYPES: dict[str, frozenset[str]] = {
    "ks": frozenset({"numerical"}),
    "wasserstein": frozenset({"numerical"}),
    "chisquare": frozenset({"categorical"}),
    "jensenshannon": frozenset({"numerical", "categorical"}),
    "psi": frozenset({"numerical", "categorical"}),
}


@dataclass(frozen=True)
class Planned:
    """One compared column; ``method`` None means the default for its reference size, known once it is read."""

    name: str
    column_type: ColumnType
    method: Method | None
    threshold: float | None


def value_type(data_type: pa.DataType) -> pa.DataType:
    """The type of the values: a dictionary-encoded column counts as its values."""
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def is_numeric(data_type: pa.DataType) -> bool:
    data_type = value_type(data_type)
    return bool(pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type))


def is_nested(data_type: pa.DataType) -> bool:
    """Lists, structs, maps and unions: values Evidently (pandas) cannot count, since they do not hash."""
    return bool(pa.types.is_nested(value_type(data_type)))


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def plan(
    reference: pa.Schema,
    current: pa.Schema,
    columns: Sequence[str] | None,
    column_types: Mapping[str, ColumnType],
    methods: Mapping[str, Method],
    thresholds: Mapping[str, float],
) -> list[Planned]:
    """The compared columns in order, each typed and with the caller's method and threshold, or InvalidInput."""
    if isinstance(columns, str):
        raise InvalidInput(f"columns is the string {columns!r}, not a list of names.", fix=f"Pass [{columns!r}].")
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
    for option, given in (("column_types", column_types), ("methods", methods), ("thresholds", thresholds)):
        unknown = [n for n in given if n not in names]
        if unknown:
            raise InvalidInput(
                f"{option} names column {_quoted(unknown)}, which the report does not compare.",
                fix=f"The compared columns are: {_quoted(names)}.",
            )

    planned = []
    for name in names:
        ref_type, cur_type = reference.field(name).type, current.field(name).type
        for dataset, data_type in (("reference", ref_type), ("current", cur_type)):
            if is_nested(data_type):
                raise InvalidInput(
                    f"Column {name!r} holds {data_type} values in the {dataset} dataset, which a drift test cannot "
                    "count: Evidently compares values that hash (numbers, strings, booleans, dates).",
                    fix="Leave the column out (columns=...), or flatten it into scalar columns first.",
                )
        column_type = column_types.get(name, "numerical" if is_numeric(ref_type) else "categorical")
        if column_type not in COLUMN_TYPES:
            raise InvalidInput(
                f"Column type {column_type!r} of {name!r} is not one of {', '.join(COLUMN_TYPES)}.",
                fix="Use 'numerical' or 'categorical'.",
            )
        if column_type == "numerical" and not (is_numeric(ref_type) and is_numeric(cur_type)):
            raise InvalidInput(
                f"Column {name!r} cannot be numerical: it is {ref_type} in the reference and {cur_type} in the "
                "current dataset.",
                fix="Compare it as 'categorical', or cast it to a number first.",
            )
        method = methods.get(name)
        if method is not None and method not in METHODS:
            raise InvalidInput(
                f"Unknown drift method {method!r} for {name!r}.", fix=f"Use one of {', '.join(METHODS)}."
            )
        if method is not None and column_type not in METHOD_TYPES[method]:
            raise InvalidInput(
                f"Method {method!r} does not apply to the {column_type} column {name!r}.",
                fix=f"Use one of {', '.join(m for m in METHODS if column_type in METHOD_TYPES[m])}.",
            )
        threshold = thresholds.get(name)
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold)
        ):
            raise InvalidInput(f"Threshold {threshold!r} for {name!r} is not a finite number.", fix="Pass a float.")
        planned.append(
            Planned(
                name=name,
                column_type=column_type,
                method=method,
                threshold=None if threshold is None else float(threshold),
            )
        )
    return planned
