"""Source tables, snapshotted from the warehouse into the Parquet files that Feast's ``FileSource`` reads.

Feast's offline stores read files, while a hub feature view's ``source`` is a table of the stack's warehouse. Before
each call that reads a source (a training set, a materialization), the plugin exports the rows that call can use
(a time range, computed in the warehouse) into the view's Parquet file, streaming Arrow batches from
``query_batches`` into a temporary file that replaces the old one atomically.

The file holds the view's join keys as the source stores them, its timestamps in UTC (naive ones are UTC), its
features in their declared types and, for a view with ``ttl=0``, a copy of the event timestamp (``HIDDEN_TS``).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp
from stackhub import InvalidInput, Warehouse
from stackhub.categories.feature_store import FeatureView
from stackhub.categories.feature_store_input import RESERVED, source_types
from stackhub.sql import table_sql

from ._types import arrow_type, feast_type, utc_timestamp

__all__ = [
    "HIDDEN_TS",
    "Bounds",
    "SourceColumns",
    "empty_snapshot",
    "export",
    "has_hidden_timestamp",
    "snapshot_schema",
    "source_columns",
    "source_path",
]

#: A copy of the event timestamp, kept as a feature of views with ttl=0 (see the README: ttl).
HIDDEN_TS = f"{RESERVED}event_ts"
_RANK = f"{RESERVED}rank"


def source_path(repo: Path, view: str) -> Path:
    """The Parquet file of a view's source snapshot: a readable slug plus a hash, so any view name is safe."""
    slug = re.sub(r"[^A-Za-z0-9_]", "_", view)[:40]
    digest = hashlib.sha256(view.encode()).hexdigest()[:10]
    return repo / "sources" / f"{slug}_{digest}.parquet"


@dataclass(frozen=True)
class SourceColumns:
    """The columns of a view's source table that the view reads, with their Arrow types as the warehouse has them."""

    types: dict[str, pa.DataType]

    def aware(self, column: str) -> bool:
        return getattr(self.types[column], "tz", None) is not None


def source_columns(warehouse: Warehouse, view: FeatureView, keys: Sequence[str]) -> SourceColumns:
    """The columns a view reads from its source table as it is now, checked by ``source_types``, and
    ``InvalidInput`` when a column has a type this plugin cannot read or a join key one Feast cannot hold."""
    where = f"of source table {view.source!r}"
    types = {
        column: arrow_type(name, f"Column {column!r} {where}")
        for column, name in source_types(warehouse, view, keys).items()
    }
    for key in keys:
        feast_type(types[key], f"Join key {key!r} {where}")
    return SourceColumns(types)


@dataclass(frozen=True)
class Bounds:
    """The event timestamps a call can use: ``[start, end]`` or ``[start, end)``, either side open when None.
    Bounds are naive UTC datetimes."""

    start: datetime | None = None
    end: datetime | None = None
    end_inclusive: bool = True


def _literal(value: datetime, *, aware: bool) -> exp.Expr:
    text = value.isoformat(sep=" ", timespec="microseconds")
    if aware:
        return exp.cast(exp.Literal.string(f"{text}+00:00"), exp.DataType.build("TIMESTAMPTZ"))
    return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))


def _statement(
    warehouse: Warehouse,
    view: FeatureView,
    keys: Sequence[str],
    columns: Sequence[str],
    aware: bool,
    bounds: Bounds,
    latest_created_only: bool,
) -> str:
    stamp = exp.column(view.timestamp_field, quoted=True)
    # A row without keys or event timestamp never qualifies; Feast would read a null integer key as a float.
    conditions: list[exp.Expr] = [
        exp.Not(this=exp.Is(this=exp.column(c, quoted=True), expression=exp.Null()))
        for c in (*keys, view.timestamp_field)
    ]
    if bounds.start is not None:
        conditions.append(exp.GTE(this=stamp, expression=_literal(bounds.start, aware=aware)))
    if bounds.end is not None:
        upper = exp.LTE if bounds.end_inclusive else exp.LT
        conditions.append(upper(this=stamp, expression=_literal(bounds.end, aware=aware)))
    dialect = warehouse.dialect
    selected = [exp.column(c, quoted=True) for c in columns]
    table = exp.maybe_parse(table_sql(view.source, dialect=dialect), into=exp.Table, dialect=dialect)
    if latest_created_only and view.created_timestamp_field is not None:
        # Per keys and event timestamp only the latest-created row (a null created timestamp loses).
        latest = exp.Order(
            expressions=[
                exp.Ordered(this=exp.column(view.created_timestamp_field, quoted=True), desc=True, nulls_first=False)
            ]
        )
        partition = [exp.column(c, quoted=True) for c in (*keys, view.timestamp_field)]
        rank = exp.Window(this=exp.RowNumber(), partition_by=partition, order=latest)
        inner = exp.select(*selected, exp.alias_(rank, _RANK, quoted=True)).from_(table)
        if conditions:
            inner = inner.where(exp.and_(*conditions))
        first = exp.EQ(this=exp.column(_RANK, quoted=True), expression=exp.Literal.number(1))
        outer = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(inner.subquery("ranked")).where(first)
        return outer.sql(dialect=dialect)
    select = exp.select(*selected).from_(table)
    if conditions:
        select = select.where(exp.and_(*conditions))
    return select.sql(dialect=dialect)


def snapshot_schema(
    view: FeatureView, keys: Sequence[str], columns: SourceColumns, features: Mapping[str, pa.DataType]
) -> tuple[list[str], pa.Schema]:
    """The source columns a snapshot reads, and the snapshot file's schema (see the module's docstring)."""
    stamps = [c for c in (view.timestamp_field, view.created_timestamp_field) if c is not None]
    names = list(dict.fromkeys([*keys, *stamps, *features]))
    target = {name: columns.types[name] for name in names}
    target.update({name: utc_timestamp(columns.types[name]) for name in stamps})
    target.update(features)
    if has_hidden_timestamp(view):
        target[HIDDEN_TS] = target[view.timestamp_field]
    return names, pa.schema(list(target.items()))


def has_hidden_timestamp(view: FeatureView) -> bool:
    """Whether the view carries ``HIDDEN_TS``: only a view with ``ttl=0`` needs it."""
    return view.ttl is not None and not view.ttl


def export(
    warehouse: Warehouse,
    view: FeatureView,
    keys: Sequence[str],
    features: Mapping[str, pa.DataType],
    path: Path,
    bounds: Bounds,
    *,
    latest_created_only: bool = False,
) -> None:
    """Write the view's source rows stamped within ``bounds`` to ``path``, atomically.

    ``features`` maps each feature column to its declared type, which the file holds. With
    ``latest_created_only``, rows that another row of the same keys and event timestamp outranks by its created
    timestamp are left out.
    """
    columns = source_columns(warehouse, view, keys)
    names, schema = snapshot_schema(view, keys, columns, features)
    aware = columns.aware(view.timestamp_field)
    statement = _statement(warehouse, view, keys, names, aware, bounds, latest_created_only)
    stamp = names.index(view.timestamp_field)
    read = [schema.field(i) for i in range(len(names))]

    def write(temporary: str) -> None:
        reader = warehouse.query_batches(statement, dialect=warehouse.dialect)
        with pq.ParquetWriter(temporary, schema) as writer:
            for batch in reader:
                arrays = [_cast(batch.column(i), field.type, field.name, view) for i, field in enumerate(read)]
                if len(schema) > len(names):
                    arrays.append(arrays[stamp])
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))

    _atomically(path, write)


def empty_snapshot(
    view: FeatureView, keys: Sequence[str], columns: SourceColumns, features: Mapping[str, pa.DataType], path: Path
) -> None:
    """A snapshot with the view's schema and no rows, written when the view is applied."""
    _, schema = snapshot_schema(view, keys, columns, features)
    _atomically(path, lambda temporary: pq.write_table(schema.empty_table(), temporary))


def _atomically(path: Path, write: Callable[[str], None]) -> None:
    """Run ``write`` on a temporary file next to ``path``, then rename it over ``path``; nothing is left on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = str(path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp"))
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _cast(column: pa.Array, to: pa.DataType, name: str, view: FeatureView) -> pa.Array:
    if column.type == to:
        return column
    try:
        return column.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(
            f"Column {name!r} of source table {view.source!r} ({column.type}) does not convert to the type feature "
            f"view {view.name!r} declares for it ({to}): {exc}.",
            fix="Declare the column's own type in the view's features, or fix the data.",
        ) from None
