"""Warehouse: SQL in, Arrow out; Arrow in, tables out.

Shaped after ADBC's DB-API extensions (``fetch_arrow_table``, ``fetch_record_batch``, ``adbc_ingest`` modes,
``adbc_get_table_schema``), DuckDB's Arrow export and pyspark's ``DataFrame.toArrow()``. SQL arrives in the
caller's dialect and the plugin transpiles it to its engine's with :func:`stackhub.sql.transpile`, which is how
SQL that core generates runs unchanged on every engine.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar, Literal

from ..models import DatasetId, SpecModel, TableSchema
from ..plugin import Component

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CAPABILITIES", "MODELS", "Warehouse", "WriteMode", "WriteResult"]

WriteMode = Literal["create", "append", "overwrite"]

CAPABILITIES: dict[str, str] = {
    "asof_join": "The engine runs ASOF JOIN natively (used for point-in-time joins).",
    "schemas": "Table names may be qualified with a schema ('analytics.orders').",
}


class WriteResult(SpecModel):
    """What a write did."""

    table: str
    mode: WriteMode
    rows_written: int
    dataset: DatasetId


class Warehouse(Component):
    """A SQL engine that stores tables."""

    category: ClassVar[str] = "warehouse"
    #: The sqlglot dialect of the engine, e.g. ``"duckdb"``, ``"postgres"``, ``"spark"``.
    dialect: ClassVar[str]

    @abc.abstractmethod
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        """Run one SQL statement and return its whole result.

        MUST transpile ``sql`` from ``dialect`` (default: the engine's own) to the engine's dialect.
        MUST return column names and row order exactly as the statement defines them.
        MUST raise ``InvalidInput`` for SQL that does not parse or refers to unknown columns.
        MUST raise ``NotFound`` when the statement refers to a table that does not exist.
        """

    @abc.abstractmethod
    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        """Run one SQL statement and stream its result.

        MUST return a reader whose batches hold at most ``batch_size`` rows and together equal ``query(sql)``.
        MUST NOT load the whole result in memory before the first batch is returned.
        """

    @abc.abstractmethod
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        """Store Arrow data as a table.

        ``create`` MUST raise ``AlreadyExists`` when the table exists.
        ``append`` MUST raise ``NotFound`` when the table does not exist, and ``InvalidInput`` when the data's
        columns do not match the table's.
        ``overwrite`` MUST replace the table's schema and rows, creating the table when it does not exist.
        A write MUST be atomic: when it fails, the table MUST be left exactly as it was (or absent).
        MUST raise ``InvalidInput`` for a mode outside create, append and overwrite.
        """

    @abc.abstractmethod
    def list_tables(self) -> list[str]:
        """Name every table the component can read, sorted. MUST include every table written through it."""

    @abc.abstractmethod
    def describe_table(self, table: str) -> TableSchema:
        """Return the table's columns with their Arrow types.

        MUST return the columns in table order with the types a ``query`` of the table returns.
        MUST raise ``NotFound`` when the table does not exist.
        """

    @abc.abstractmethod
    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        """Remove a table.

        MUST raise ``NotFound`` when the table does not exist, unless ``missing_ok`` is true.
        """

    @abc.abstractmethod
    def dataset(self, table: str) -> DatasetId:
        """Name ``table`` as OpenLineage does for this engine.

        MUST return the same identity for the same table on every call, and distinct ones for distinct tables.
        """


MODELS = (WriteResult,)
