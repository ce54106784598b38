"""The conversions between Arrow and Label Studio's JSON, in Arrow compute (the input checks every labeling
plugin shares come from ``stackhub.categories.labeling_input``).

Label Studio speaks JSON, so rows do become Python objects on the way: ``to_pylist()`` going out and
``pa.array(json, type=...)`` coming in, both in C++. Everything in between (checks, key lookups, exploding
tasks into annotations, picking labels out of results) is Arrow compute on whole columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa
import pyarrow.compute as pc
from stackhub import NotFound
from stackhub.categories.labeling import EXPORT_COLUMNS, LabelSchema
from stackhub.categories.labeling_input import SHOWN, UTC_MICROS, label_type

__all__ = [
    "KEY_FIELD",
    "annotations_table",
    "empty_annotations",
    "finite_or_null",
    "listing",
    "lookup",
    "tagged_annotations",
    "tagged_predictions",
    "task_payloads",
]

#: The task data field that holds a task's key: what makes submit_tasks() idempotent.
KEY_FIELD = "stackhub_key"

_LISTING = pa.struct([("id", pa.int64()), ("data", pa.struct([(KEY_FIELD, pa.string())]))])
_CHOICES = pa.list_(pa.string())
_REGION = pa.struct([("from_name", pa.string()), ("type", pa.string()), ("value", pa.struct([("choices", _CHOICES)]))])
_ANNOTATION = pa.struct(
    [
        ("id", pa.int64()),
        ("completed_by", pa.int64()),
        ("created_at", pa.string()),
        ("was_cancelled", pa.bool_()),
        ("result", pa.list_(_REGION)),
    ]
)
_TAGGED = pa.struct([("id", pa.int64()), ("result", pa.list_(pa.struct([("id", pa.string())])))])
_EXPORTED_TASK = pa.struct(
    [("id", pa.int64()), ("data", pa.struct([(KEY_FIELD, pa.string())])), ("annotations", pa.list_(_ANNOTATION))]
)


def finite_or_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """JSON has no NaN or infinity: they become null (Label Studio would refuse the whole request)."""
    return pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))


# -- tasks out ------------------------------------------------------------------------------------------


def task_payloads(tasks: pa.Table, key_strings: pa.ChunkedArray) -> pa.Table:
    """One column ``data``: every column of ``tasks`` plus the key under ``KEY_FIELD``, ready for
    ``to_pylist()`` to give Label Studio's import format ``[{"data": {...}}, ...]``."""
    columns = [
        finite_or_null(tasks[name]) if pa.types.is_floating(tasks[name].type) else tasks[name]
        for name in tasks.column_names
        if name != KEY_FIELD
    ]
    names = [name for name in tasks.column_names if name != KEY_FIELD]
    data = pa.Table.from_arrays([*columns, key_strings], names=[*names, KEY_FIELD])
    return pa.table({"data": data.to_struct_array()})


# -- tasks and annotations in -------------------------------------------------------------------------


def listing(pages: Iterator[list[object]]) -> pa.Table:
    """Label Studio's task list pages (``include=id,data``) as a table ``id``, ``key``."""
    chunks = [pa.array(page, type=_LISTING) for page in pages]
    tasks = pa.chunked_array(chunks, type=_LISTING)
    return pa.table({"id": pc.struct_field(tasks, "id"), "key": pc.struct_field(tasks, ["data", KEY_FIELD])})


def lookup(tasks: pa.Table, wanted: pa.ChunkedArray, *, project: str, what: str) -> pa.ChunkedArray:
    """The task id of each key in ``wanted``; ``NotFound`` naming the keys that are not tasks of the project."""
    position = pc.index_in(wanted, value_set=tasks["key"].combine_chunks())
    if position.null_count:
        missing = pc.unique(wanted.filter(pc.is_null(position)))
        raise NotFound(
            f"{len(missing)} {what} key(s) are not tasks of project {project!r}: {missing[:SHOWN].to_pylist()}.",
            fix="Submit those tasks first with submit_tasks(), or drop the rows.",
        )
    ids: pa.ChunkedArray = pc.take(tasks["id"], position)
    return ids


def empty_annotations(schema: LabelSchema) -> pa.Table:
    return pa.Table.from_pylist([], schema=_export_schema(schema))


def _export_schema(schema: LabelSchema) -> pa.Schema:
    types = {"label": label_type(schema), "created_at": UTC_MICROS}
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])


def annotations_table(
    exported: list[object], *, schema: LabelSchema, control: str, users: Mapping[int, str]
) -> pa.Table:
    """Label Studio's JSON export, one row per annotation that was not a skip, ordered by annotation id.

    ``label`` comes from the annotation's region of the project's ``<Choices>`` control (``control``): its
    first choice for single choice (null when none was chosen), the list of choices for multiple choice.
    ``annotator`` is the user who completed it, by ``users`` (user id -> name).
    """
    tasks = pa.array(exported, type=_EXPORTED_TASK)
    if len(tasks) == 0:
        return empty_annotations(schema)
    nested = pc.struct_field(tasks, "annotations")
    annotations = pc.list_flatten(nested)
    task_of = pc.list_parent_indices(nested)
    keep = pc.invert(pc.fill_null(pc.struct_field(annotations, "was_cancelled"), False))
    annotations, task_of = annotations.filter(keep), task_of.filter(keep)
    if len(annotations) == 0:
        return empty_annotations(schema)

    # The first region of the control in each annotation's result: regions are exploded, those of other
    # controls dropped, and index_in finds each annotation's first remaining region.
    results = pc.struct_field(annotations, "result")
    regions = pc.list_flatten(results)
    region_of = pc.list_parent_indices(results)
    ours = pc.and_(
        pc.equal(pc.struct_field(regions, "from_name"), control), pc.equal(pc.struct_field(regions, "type"), "choices")
    )
    ours = pc.fill_null(ours, False)
    chosen = pc.struct_field(regions.filter(ours), ["value", "choices"])
    first = pc.index_in(pa.arange(0, len(annotations)), value_set=region_of.filter(ours).cast(pa.int64()))
    choices = pc.take(chosen, first)
    if schema.choice == "multiple":
        label: pa.Array = pc.coalesce(choices, pa.scalar([], _CHOICES))
    else:
        empty = pc.fill_null(pc.equal(pc.list_value_length(choices), 0), True)
        label = pc.list_element(pc.if_else(empty, pa.scalar(None, _CHOICES), choices), 0)

    completed_by = pc.struct_field(annotations, "completed_by")
    known = pa.array(list(users), pa.int64())
    names = pa.array(list(users.values()), pa.string())
    annotator = pc.take(names, pc.index_in(completed_by, value_set=known))
    ids = pc.struct_field(annotations, "id")
    table = pa.table(
        {
            "key": pc.take(pc.struct_field(tasks, ["data", KEY_FIELD]), task_of),
            "annotation_id": ids.cast(pa.string()),
            "label": label,
            "annotator": annotator,
            "created_at": pc.struct_field(annotations, "created_at").cast(UTC_MICROS),
        }
    )
    order = pc.sort_indices(ids)
    return table.take(order).cast(_export_schema(schema))


def _tagged(items: pa.Array, tag: str) -> list[int]:
    """Ids of the items (annotations or predictions) with a result region whose id is ``tag``."""
    results = pc.struct_field(items, "result")
    regions = pc.list_flatten(results)
    hit = pc.fill_null(pc.equal(pc.struct_field(regions, "id"), tag), False)
    owners = pc.unique(pc.list_parent_indices(results).filter(hit))
    found: list[int] = pc.take(pc.struct_field(items, "id"), owners).to_pylist()
    return found


def tagged_annotations(exported: list[object], tag: str) -> list[int]:
    """Ids of the exported annotations that a call tagged ``tag`` wrote (see ``LabelStudioLabeling.annotate``)."""
    tasks = pa.array(exported, type=pa.struct([("annotations", pa.list_(_TAGGED))]))
    return _tagged(pc.list_flatten(pc.struct_field(tasks, "annotations")), tag)


def tagged_predictions(listed: list[object], tag: str) -> list[int]:
    """Ids of the listed predictions that a call tagged ``tag`` wrote."""
    return _tagged(pa.array(listed, type=_TAGGED), tag)
