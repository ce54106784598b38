"""Arrow types between ADBC's PostgreSQL driver and stackhub, converted by column with pyarrow kernels.

Reading: the driver returns NUMERIC as an opaque string column that carries the column's type modifier in the
field metadata. A NUMERIC(p, s) becomes ``decimal128(p, s)`` (``decimal256`` past 38 digits); an unconstrained
NUMERIC (what ``sum``/``avg`` return) becomes ``float64``. Other opaque types (inet, money, ...) become their
storage type (string or binary). The driver's field metadata is dropped, so results are plain Arrow.

Writing: types PostgreSQL has no column type for are widened first (unsigned integers, float16, dictionaries,
nanosecond timestamps when no precision is lost); decimals get a NUMERIC(p, s) column; an append casts the data to
the table's own column types, by column name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Feed",
    "ResultConverter",
    "append_schema",
    "decimal_columns",
    "ingest_schema",
    "numeric_type",
    "rebatch",
    "unsupported_columns",
]

_TYPMOD = b"POSTGRESQL:typmod"
_TYPE = b"POSTGRESQL:type"
_OPAQUE = "arrow.opaque"
#: PostgreSQL's VARHDRSZ, which a NUMERIC type modifier is offset by.
_VARHDRSZ = 4


def numeric_type(typmod: int) -> pa.DataType:
    """The Arrow type of a NUMERIC column with type modifier ``typmod`` (-1: unconstrained)."""
    if typmod < _VARHDRSZ:
        return pa.float64()
    packed = typmod - _VARHDRSZ
    precision = (packed >> 16) & 0xFFFF
    scale = ((packed & 0x7FF) ^ 1024) - 1024  # PostgreSQL 15 allows scales from -1000 to 1000
    if not 0 <= scale <= precision:
        return pa.float64()
    if precision <= 38:
        return pa.decimal128(precision, scale)
    if precision <= 76:
        return pa.decimal256(precision, scale)
    return pa.string()  # more digits than any Arrow decimal: the exact text


def _is_extension(t: pa.DataType) -> bool:
    return isinstance(t, pa.BaseExtensionType)


def _is_opaque(field: pa.Field) -> bool:
    return _is_extension(field.type) and field.type.extension_name == _OPAQUE


def _pg_type(field: pa.Field) -> str:
    return str((field.metadata or {}).get(_TYPE, b"").decode())


def _read_type(field: pa.Field) -> pa.DataType:
    """What stackhub returns for a column the driver returned as ``field``."""
    if _is_opaque(field):
        if _pg_type(field) == "numeric":
            return numeric_type(int((field.metadata or {}).get(_TYPMOD, b"-1")))
        return field.type.storage_type
    return field.type


def _storage(array: pa.Array) -> pa.Array:
    return array.storage if isinstance(array, pa.ExtensionArray) else array


class ResultConverter:
    """Converts the driver's batches of one result to stackhub's types, column by column."""

    def __init__(self, schema: pa.Schema) -> None:
        self._source = schema
        self.schema = pa.schema([pa.field(f.name, _read_type(f), f.nullable) for f in schema])
        self._changed = [
            i for i, (raw, out) in enumerate(zip(schema, self.schema, strict=True)) if not raw.type.equals(out.type)
        ]

    def _column(self, column: pa.Array | pa.ChunkedArray, index: int) -> pa.Array | pa.ChunkedArray:
        if isinstance(column, pa.ChunkedArray):
            storage: pa.Array | pa.ChunkedArray = pa.chunked_array(
                [_storage(chunk) for chunk in column.chunks],
                type=self._source.field(index).type.storage_type,
            )
        else:
            storage = _storage(column)
        target = self.schema.field(index).type
        try:
            return pc.cast(storage, target)
        except pa.ArrowInvalid as exc:
            # NaN is a valid NUMERIC(p, s) value and no Arrow decimal holds it.
            raise ValueError(
                f"column {self.schema.field(index).name!r} holds a value no {target} holds ({exc}); cast it to "
                "float8 or text in the statement"
            ) from None

    def batch(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not self._changed and not batch.schema.metadata and not any(f.metadata for f in batch.schema):
            return batch
        columns = list(batch.columns)
        for index in self._changed:
            columns[index] = self._column(columns[index], index)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def table(self, table: pa.Table) -> pa.Table:
        columns = list(table.columns)
        for index in self._changed:
            columns[index] = self._column(columns[index], index)
        return pa.Table.from_arrays(columns, schema=self.schema)


def rebatch(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The same rows in batches of at most ``size`` rows (zero-copy slices); empty batches are dropped."""
    for batch in batches:
        for offset in range(0, batch.num_rows, size):
            yield batch.slice(offset, size)


def _is(types: object, predicate: str, t: pa.DataType) -> bool:
    """A type predicate that older pyarrow releases do not have yet (their data cannot be of that type)."""
    check = getattr(types, predicate, None)
    return bool(check(t)) if check is not None else False


def _ingest_type(t: pa.DataType) -> pa.DataType:
    """The type to send for data of type ``t``: the same, or a lossless widening PostgreSQL has a column for."""
    types = pa.types
    if types.is_dictionary(t):
        return _ingest_type(t.value_type)
    if types.is_uint8(t):
        return pa.int16()
    if types.is_uint16(t):
        return pa.int32()
    if types.is_uint32(t):
        return pa.int64()
    if types.is_uint64(t):
        return pa.decimal128(20, 0)
    if types.is_float16(t):
        return pa.float32()
    if types.is_timestamp(t) and t.unit != "us":
        return pa.timestamp("us", tz=t.tz)  # PostgreSQL keeps microseconds; a cast that would drop some fails
    if types.is_time(t) and t.unit != "us":
        return pa.time64("us")
    if types.is_date64(t):
        return pa.date32()
    if _is(types, "is_string_view", t) or types.is_large_string(t):
        return pa.large_string()
    if _is(types, "is_binary_view", t):
        return pa.large_binary()
    if types.is_list(t) or types.is_large_list(t):
        return pa.list_(_ingest_type(t.value_type))
    return t


def unsupported_columns(schema: pa.Schema) -> dict[str, str]:
    """Columns whose Arrow type no PostgreSQL column type holds (the driver cannot send them), with the type."""

    def unsupported(t: pa.DataType) -> bool:
        types = pa.types
        if types.is_dictionary(t):
            return unsupported(t.value_type)
        if types.is_list(t) or types.is_large_list(t) or types.is_fixed_size_list(t):
            return unsupported(t.value_type)
        return bool(types.is_struct(t) or types.is_map(t) or types.is_union(t))

    return {f.name: str(f.type) for f in schema if unsupported(f.type)}


def ingest_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with each type replaced by the one the driver can send into a column made for it."""
    return pa.schema([pa.field(f.name, _ingest_type(f.type), f.nullable) for f in schema])


def decimal_columns(schema: pa.Schema) -> list[tuple[str, int, int]]:
    """(name, precision, scale) of the decimal columns: the driver would create them as unconstrained NUMERIC."""
    return [(f.name, f.type.precision, f.type.scale) for f in schema if pa.types.is_decimal(f.type)]


def append_schema(table: pa.Schema, data: pa.Schema) -> pa.Schema:
    """The data's columns in the table's order, each with the type that the table's column takes.

    ``table`` is the driver's own schema of the table (with its metadata). An unconstrained NUMERIC or a type the
    driver returns as an extension (json, uuid, inet, ...) keeps the data's type, and the server decides.
    """
    fields = []
    for column in table:
        given = data.field(column.name).type
        if _is_opaque(column) and _pg_type(column) == "numeric":
            target = numeric_type(int((column.metadata or {}).get(_TYPMOD, b"-1")))
            if not pa.types.is_decimal(target):
                target = pa.decimal128(20, 0) if pa.types.is_integer(given) else _ingest_type(given)
        elif _is_extension(column.type):
            target = _ingest_type(given)
        else:
            target = column.type
        fields.append(pa.field(column.name, target))
    return pa.schema(fields)


@dataclass
class Feed:
    """The caller's data as the driver reads it: converted batch by batch to ``schema``. The driver reports an
    error raised while it reads only as text, so the first one is kept here, with where it was raised: in the
    caller's data ``source`` or in the ``conversion`` to the table's types."""

    source: Iterable[pa.RecordBatch]
    schema: pa.Schema
    error: BaseException | None = None
    failed_in: str = ""
    batches: int = 0
    rows: int = 0

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        batches = iter(self.source)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except BaseException as exc:
                self.error, self.failed_in = exc, "source"
                raise
            self.batches += 1
            try:
                converted = self._convert(batch)
            except BaseException as exc:
                self.error, self.failed_in = exc, "conversion"
                raise
            self.rows += converted.num_rows
            yield converted  # outside the try blocks: the driver closing the stream early is no data error

    def _convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if batch.schema.equals(self.schema):
            return batch
        columns = [pc.cast(batch.column(field.name), field.type) for field in self.schema]
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)
