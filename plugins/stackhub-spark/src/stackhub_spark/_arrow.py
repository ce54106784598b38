"""Arrow across the Spark boundary, batch by batch, never row by row.

In: Arrow data is cut into chunks of bounded size (so neither Python nor the driver JVM holds a whole
``RecordBatchReader``), each handed to ``SparkSession.createDataFrame(pyarrow.Table, schema)``, which ships Arrow
IPC to the JVM.

Out, whole: ``DataFrame.toArrow()`` (one job; the partitions' Arrow batches come back in order).

Out, streamed: pyspark has no public Arrow iterator (``toLocalIterator`` yields Python rows). The documented
choice here, in classic mode, is Spark's own Arrow path, one partition at a time: ``Dataset.toArrowBatchRdd(
maxRecordsPerBatch, timeZone, ...)`` turns the query into an RDD of Arrow IPC record batches of at most
``batch_size`` rows, and ``PythonRDD.toLocalIteratorAndServe`` runs one job per partition, in partition order, only
when the reader has consumed the previous one, and sends that partition's batches over pyspark's authenticated
local socket. Python decodes each with ``pyarrow.ipc.read_record_batch``: nothing becomes rows. (RayDP and Kyuubi
read Spark's Arrow batches the same way.) Through Spark Connect the server does the same over gRPC
(``client.to_table_as_iterator``).

The unit of streaming is therefore the partition, as everywhere in Spark (``toLocalIterator``: "as much memory as
the largest partition"): a task's result reaches the driver whole. The reader holds one partition at a time, and
its first batch arrives once the first partition is computed; a result concentrated in one partition arrives whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from stackhub import InvalidInput

__all__ = ["CHUNK_BYTES", "arrow_schema", "chunks", "classic_batches", "connect_batches", "spark_schema", "writable"]

#: Upper bound of the Arrow data handed to Spark at once (the driver JVM holds one chunk while it is written).
CHUNK_BYTES = 64 * 1024 * 1024

_WIDER: dict[pa.DataType, pa.DataType] = {
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.decimal128(20, 0),
    pa.float16(): pa.float32(),
}


def _writable_type(data_type: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(data_type):
        return _writable_type(data_type.value_type)
    if data_type in _WIDER:
        # Spark has no unsigned integers nor half floats: the next signed type holds every value.
        return _WIDER[data_type]
    if pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type):
        return pa.string()
    if pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type):
        return pa.binary()
    if pa.types.is_timestamp(data_type) and data_type.unit != "us":
        # Spark keeps microseconds; seconds and milliseconds widen, nanoseconds must be whole microseconds (the
        # cast is checked, so a value that would lose digits fails the write instead of being truncated).
        return pa.timestamp("us", data_type.tz)
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return pa.list_(_writable_type(data_type.value_type))
    if pa.types.is_struct(data_type):
        return pa.struct([f.with_type(_writable_type(f.type)) for f in data_type])
    if pa.types.is_map(data_type):
        return pa.map_(_writable_type(data_type.key_type), _writable_type(data_type.item_type))
    return data_type


def writable(schema: pa.Schema) -> pa.Schema:
    """``schema`` with each type as Spark can store it, widened without loss where Spark lacks the type."""
    return pa.schema([pa.field(f.name, _writable_type(f.type), f.nullable) for f in schema])


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark ``StructType`` of a writable Arrow schema: naive timestamps stay naive (``TIMESTAMP_NTZ``)."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    fields = []
    for f in schema:
        try:
            fields.append(StructField(f.name, from_arrow_type(f.type, prefer_timestamp_ntz=True), f.nullable))
        except Exception as exc:  # pyspark raises its own TypeError flavours for each unsupported type
            raise InvalidInput(
                f"Column {f.name!r} has Arrow type {f.type}, which Spark cannot store: {str(exc).splitlines()[0]}",
                fix="Cast the column to a type Spark supports (numbers, decimal, string, binary, bool, date, "
                "timestamp, list, struct, map).",
            ) from None
    return StructType(fields)


def arrow_schema(struct: Any) -> pa.Schema:
    """The Arrow schema Spark's results come back in: what ``DataFrame.toArrow()`` gives, instants in UTC."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(struct, error_on_duplicated_field_names_in_struct=True, timezone="UTC")


def chunks(data: pa.Table | pa.RecordBatchReader, schema: pa.Schema, limit: int | None = None) -> Iterator[pa.Table]:
    """``data`` cast to ``schema``, as tables of about ``limit`` bytes each; always at least one (maybe empty),
    so that a write without rows still creates its table with its columns."""
    limit = CHUNK_BYTES if limit is None else limit
    batches = data.to_batches() if isinstance(data, pa.Table) else data
    pending: list[pa.RecordBatch] = []
    size = 0
    produced = False
    for batch in batches:
        if batch.num_rows == 0:
            continue
        if batch.schema != schema:
            batch = batch.cast(schema)  # checked: a value the Spark type cannot hold fails here
        pending.append(batch)
        size += batch.nbytes
        if size >= limit:
            yield pa.Table.from_batches(pending, schema)
            pending, size, produced = [], 0, True
    if pending:
        yield pa.Table.from_batches(pending, schema)
    elif not produced:
        yield schema.empty_table()  # one empty chunk per column: pyspark cannot convert columns of no chunk


def _sliced(batch: pa.RecordBatch, batch_size: int) -> Iterator[pa.RecordBatch]:
    for offset in range(0, batch.num_rows, batch_size):
        yield batch.slice(offset, batch_size)


def classic_batches(df: Any, schema: pa.Schema, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Stream a classic DataFrame's result as Arrow batches of at most ``batch_size`` rows (see the module doc)."""
    from pyspark.serializers import NoOpSerializer
    from pyspark.util import _local_iterator_from_socket

    session = df.sparkSession
    rdd = df._jdf.toArrowBatchRdd(batch_size, "UTC", True, False)
    python_rdd = session.sparkContext._jvm.org.apache.spark.api.python.PythonRDD
    served = python_rdd.toLocalIteratorAndServe(rdd, False)  # False: no partition is computed ahead of the reader
    # The JVM writes each batch as one IPC message without the schema; the schema is the one toArrow() gives.
    for payload in _local_iterator_from_socket(served, NoOpSerializer()):
        batch = pa.ipc.read_record_batch(pa.py_buffer(payload), schema)
        if batch.num_rows:
            yield from _sliced(batch, batch_size)


def connect_batches(df: Any, schema: pa.Schema, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Stream a Spark Connect DataFrame's result as Arrow batches of at most ``batch_size`` rows."""
    client = df.sparkSession.client
    plan = df._plan.to_proto(client)
    for item in client.to_table_as_iterator(plan, df._plan.observations):
        if not isinstance(item, pa.Table) or item.num_rows == 0:
            continue  # the leading StructType, or an empty partition
        for batch in item.cast(schema).to_batches():
            yield from _sliced(batch, batch_size)
