"""Checks of what a caller hands a labeling plugin (tasks, annotations, predictions as Arrow tables), shared so
that every labeling plugin refuses the same input with the same words. All in Arrow compute: no Python loop
touches a row. Not imported by the hub itself, only by the plugins that use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InvalidInput
from .labeling import LabelSchema

__all__ = [
    "SHOWN",
    "UTC_MICROS",
    "check_columns",
    "check_table",
    "keys",
    "label_type",
    "labels",
    "optional_text",
    "predictions",
    "repeated",
    "scores",
]

#: The type of every timestamp the labeling category returns.
UTC_MICROS = pa.timestamp("us", tz="UTC")
#: How many offending values an error message quotes.
SHOWN = 5


def label_type(schema: LabelSchema) -> pa.DataType:
    """A label's Arrow type: one string, or a list of them for a multiple-choice schema."""
    return pa.list_(pa.string()) if schema.choice == "multiple" else pa.string()


def check_table(data: object, *, what: str) -> pa.Table:
    """``data`` itself when it is a ``pyarrow.Table`` whose column names are distinct."""
    if not isinstance(data, pa.Table):
        raise InvalidInput(
            f"The {what} must be a pyarrow.Table, not {type(data).__name__}.",
            fix="Build one with pyarrow.table({...}), or read a stream with RecordBatchReader.read_all().",
        )
    names = data.column_names
    if len(set(names)) != len(names):
        repeated_names = sorted({n for n in names if names.count(n) > 1})
        raise InvalidInput(f"The {what} repeat column name(s) {repeated_names}.", fix="Give every column its own name.")
    return data


def check_columns(data: pa.Table, *, required: Sequence[str], optional: Sequence[str], what: str) -> None:
    """Exactly the named columns: a misspelt optional column (``annotater``) is an error, not silently dropped."""
    missing = [c for c in required if c not in data.column_names]
    unknown = [c for c in data.column_names if c not in (*required, *optional)]
    if missing or unknown:
        problems = [f"lack column(s) {missing}"] if missing else []
        problems += [f"have unknown column(s) {unknown}"] if unknown else []
        allowed = list(required) + [f"{c} (optional)" for c in optional]
        raise InvalidInput(f"The {what} {' and '.join(problems)}.", fix=f"Give exactly the columns {allowed}.")


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_list(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
    )


def keys(column: pa.ChunkedArray, *, what: str) -> pa.ChunkedArray:
    """Task keys as strings, the one type they are stored and compared as; integer ids are welcome."""
    if not (_is_text(column.type) or pa.types.is_integer(column.type)):
        raise InvalidInput(
            f"The {what} must be strings or integers, not {column.type}.",
            fix="Cast the key column to string, or pick another column as key.",
        )
    result = column.cast(pa.string())
    if result.null_count:
        raise InvalidInput(f"{result.null_count} {what}(s) are null.", fix="Give every row a key, or drop those rows.")
    return result


def repeated(values: pa.ChunkedArray) -> list[str]:
    """Up to ``SHOWN`` values that occur more than once; empty when all are distinct."""
    if pc.count_distinct(values).as_py() == len(values):
        return []
    counts = pc.value_counts(values)
    many: list[str] = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")[:SHOWN].to_pylist()
    return many


def labels(column: pa.ChunkedArray, schema: LabelSchema, *, project: str, what: str) -> pa.ChunkedArray:
    """Labels typed for the project's choice mode, every value one of the schema's labels."""
    t = column.type
    if schema.choice == "multiple" and not (_is_list(t) and _is_text(t.value_type)):
        raise InvalidInput(
            f"Project {project!r} is multiple choice, so each {what} label must be a list of strings, not {t}.",
            fix="Give a list per row, e.g. ['spam'] (an empty list means that no label applies).",
        )
    if schema.choice == "single" and not _is_text(t):
        raise InvalidInput(
            f"Project {project!r} is single choice, so each {what} label must be one string, not {t}.",
            fix="Give one string per row, or create the project with choice='multiple'.",
        )
    result = column.cast(label_type(schema))
    values = pc.list_flatten(result) if schema.choice == "multiple" else result
    nulls = result.null_count + (values.null_count if values is not result else 0)
    if nulls:
        raise InvalidInput(
            f"{nulls} {what} label(s) for project {project!r} are null.",
            fix="Give a label in every row, or drop the rows without one.",
        )
    unknown = pc.unique(values.filter(pc.invert(pc.is_in(values, value_set=pa.array(schema.labels, pa.string())))))
    if len(unknown):
        raise InvalidInput(
            f"{what.capitalize()} label(s) {unknown[:SHOWN].to_pylist()} are not in the schema of project {project!r},"
            f" whose labels are {list(schema.labels)}.",
            fix="Use only the schema's labels, or create a project whose schema has these labels.",
        )
    return result


def optional_text(data: pa.Table, column: str) -> pa.ChunkedArray:
    """A string column that may be absent (then all null) and may hold nulls."""
    if column not in data.column_names:
        return pa.chunked_array([pa.nulls(data.num_rows, pa.string())])
    if not _is_text(data[column].type):
        raise InvalidInput(f"Column {column!r} must hold strings, not {data[column].type}.", fix="Cast it to string.")
    return data[column].cast(pa.string())


def scores(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Prediction scores as float64 (NaN and infinities kept: a plugin whose tool cannot store them decides)."""
    t = column.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
        raise InvalidInput(f"Prediction scores must be numbers, not {t}.", fix="Give a float per row, e.g. 0.87.")
    return column.cast(pa.float64())


def predictions(
    data: object, schema: LabelSchema, *, project: str, model_version: object
) -> tuple[pa.Table, pa.ChunkedArray, pa.ChunkedArray, pa.ChunkedArray]:
    """The input of ``submit_predictions()`` checked: the table, and its keys (as strings), labels and scores
    (float64, NaN and infinities kept)."""
    if not isinstance(model_version, str) or not model_version:
        raise InvalidInput(
            f"model_version must be a non-empty string, not {model_version!r}.",
            fix="Name the model that made the predictions, e.g. 'sentiment-v3'.",
        )
    what = f"predictions for project {project!r}"
    table = check_table(data, what=what)
    check_columns(table, required=("key", "label", "score"), optional=(), what=what)
    return (
        table,
        keys(table["key"], what="prediction key"),
        labels(table["label"], schema, project=project, what="prediction"),
        scores(table["score"]),
    )
