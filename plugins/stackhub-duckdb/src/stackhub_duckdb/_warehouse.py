"""The DuckDB warehouse. Arrow data is scanned by DuckDB in place (no per-row Python in or out)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from stackhub import (
    AlreadyExists,
    Component,
    DatasetId,
    InvalidInput,
    NotFound,
    StackhubError,
    TableSchema,
    Unavailable,
    Warehouse,
)
from stackhub.categories.warehouse import WriteMode, WriteResult
from stackhub.sql import table_sql, transpile

from ._config import DuckDBConfig

_WRITE_MODES = ("create", "append", "overwrite")
_SOURCE_NAMES = (f"__stackhub_source_{n}" for n in itertools.count())


def map_error(exc: duckdb.Error, context: str) -> StackhubError:
    """Translate a DuckDB error into the stackhub hierarchy, keeping DuckDB's first line as the reason."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    message = f"{context}: {reason}"
    if isinstance(exc, duckdb.CatalogException):
        if "does not exist" in reason:
            return NotFound(message, fix="Check the name with list_tables().")
        if "already exists" in reason:
            return AlreadyExists(message, fix="Use mode='overwrite' to replace it, or another name.")
    if isinstance(exc, duckdb.IOException):
        return Unavailable(message, fix="Check that the database file is readable and not locked by another process.")
    if isinstance(
        exc,
        duckdb.ParserException
        | duckdb.BinderException
        | duckdb.CatalogException
        | duckdb.ConversionException
        | duckdb.InvalidInputException
        | duckdb.ConstraintException
        | duckdb.TypeMismatchException,
    ):
        return InvalidInput(message, fix="Fix the statement or the data.")
    return StackhubError(message)


class DuckDBWarehouse(Warehouse):
    dialect: ClassVar[str] = "duckdb"

    def __init__(self, config: DuckDBConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: DuckDBConfig = config
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    # -- connection -------------------------------------------------------------------------------------

    @property
    def _in_memory(self) -> bool:
        return self.config.path == ":memory:"

    def _connect(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._connection is None:
                path = self.config.path
                if not self._in_memory:
                    file = Path(path)
                    if self.config.read_only and not file.exists():
                        raise Unavailable(
                            f"DuckDB file {path!r} does not exist.",
                            fix="Check 'path', or set read_only: false to create it.",
                        )
                    try:
                        file.parent.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise Unavailable(
                            f"Cannot create the folder of DuckDB file {path!r}: {exc.strerror}.",
                            fix="Choose a 'path' in a writable folder.",
                        ) from None
                settings: dict[str, Any] = {}
                if self.config.threads is not None:
                    settings["threads"] = self.config.threads
                if self.config.memory_limit is not None:
                    settings["memory_limit"] = self.config.memory_limit
                try:
                    self._connection = duckdb.connect(path, read_only=self.config.read_only, config=settings)
                    # Timestamps with a time zone come back in UTC whatever the machine's zone is.
                    self._connection.execute("SET GLOBAL TimeZone = 'UTC'")
                except duckdb.Error as exc:
                    raise Unavailable(
                        f"Cannot open DuckDB database {path!r}: {str(exc).splitlines()[0]}",
                        fix="Check 'path' and that no other process holds the file.",
                    ) from None
            return self._connection

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # A cursor is a separate connection to the same database: safe to use from another thread.
        return self._connect().cursor()

    def health(self) -> None:
        try:
            self._cursor().execute("SELECT 1").fetchall()
        except duckdb.Error as exc:
            raise map_error(exc, "DuckDB health check failed") from None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- reads ------------------------------------------------------------------------------------------

    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        statement = transpile(sql, read=dialect, write=self.dialect)
        try:
            relation = self._cursor().sql(statement)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise map_error(exc, "Query failed") from None

    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        if batch_size < 1:
            raise InvalidInput(f"batch_size must be at least 1, got {batch_size}.")
        statement = transpile(sql, read=dialect, write=self.dialect)
        cursor = self._cursor()
        try:
            relation = cursor.sql(statement)
            if relation is None:
                return pa.RecordBatchReader.from_batches(pa.schema([]), [])
            reader = relation.to_arrow_reader(batch_size)
        except duckdb.Error as exc:
            raise map_error(exc, "Query failed") from None

        def batches() -> Iterator[pa.RecordBatch]:
            # The cursor must outlive the reader: DuckDB streams the result from it batch by batch.
            with cursor:
                yield from reader

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def list_tables(self) -> list[str]:
        rows = (
            self._cursor()
            .execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_catalog = current_database() AND table_schema NOT IN ('information_schema', 'pg_catalog')"
            )
            .fetchall()
        )
        return sorted(name if schema == "main" else f"{schema}.{name}" for schema, name in rows)

    def describe_table(self, table: str) -> TableSchema:
        try:
            relation = self._cursor().sql(f"SELECT * FROM {table_sql(table, dialect=self.dialect)} LIMIT 0")
            return TableSchema.from_arrow(relation.to_arrow_table().schema)
        except duckdb.Error as exc:
            raise map_error(exc, f"Cannot describe table {table!r}") from None

    def dataset(self, table: str) -> DatasetId:
        location = "memory" if self._in_memory else str(Path(self.config.path).resolve())
        parts = table.split(".")
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else ("main", parts[-1])
        database = "memory" if self._in_memory else Path(self.config.path).stem
        return DatasetId(namespace=f"duckdb://{location}", name=f"{database}.{schema}.{name}")

    # -- writes -----------------------------------------------------------------------------------------

    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        if_exists = "IF EXISTS " if missing_ok else ""
        try:
            self._cursor().execute(f"DROP TABLE {if_exists}{table_sql(table, dialect=self.dialect)}")
        except duckdb.Error as exc:
            raise map_error(exc, f"Cannot drop table {table!r}") from None

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode not in _WRITE_MODES:
            raise InvalidInput(f"Unknown write mode {mode!r}.", fix=f"Use one of {', '.join(_WRITE_MODES)}.")
        if not isinstance(data, pa.Table | pa.RecordBatchReader):
            raise InvalidInput(f"write() takes a pyarrow Table or RecordBatchReader, not {type(data).__name__}.")
        target = table_sql(table, dialect=self.dialect)
        source = next(_SOURCE_NAMES)
        cursor = self._cursor()
        cursor.register(source, data)
        try:
            cursor.begin()
            try:
                if mode == "append":
                    self._check_append_columns(cursor, table, data.schema)
                    statement = f"INSERT INTO {target} BY NAME SELECT * FROM {source}"
                elif mode == "create":
                    statement = f"CREATE TABLE {target} AS SELECT * FROM {source}"
                else:
                    statement = f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}"
                row = cursor.execute(statement).fetchone()
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
        except duckdb.Error as exc:
            raise map_error(exc, f"Cannot write table {table!r} ({mode})") from None
        except pa.ArrowException as exc:
            raise InvalidInput(
                f"Cannot write table {table!r} ({mode}): the data failed while being read: {exc}."
            ) from None
        finally:
            cursor.unregister(source)
            cursor.close()
        return WriteResult(table=table, mode=mode, rows_written=int(row[0]) if row else 0, dataset=self.dataset(table))

    def _check_append_columns(self, cursor: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema) -> None:
        try:
            existing = cursor.sql(f"SELECT * FROM {table_sql(table, dialect=self.dialect)} LIMIT 0").columns
        except duckdb.CatalogException:
            raise NotFound(
                f"Cannot append to table {table!r}: it does not exist.",
                fix="Use mode='create' or 'overwrite' to create it.",
            ) from None
        if sorted(existing) != sorted(schema.names):
            raise InvalidInput(
                f"Cannot append to table {table!r}: the data's columns {sorted(schema.names)} differ from the table's {sorted(existing)}.",
                fix="Select the table's columns, or use mode='overwrite' to replace the table.",
            )
