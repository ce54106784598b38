"""The Spark warehouse: SQL through ``SparkSession.sql``, Arrow in and out, managed tables in Spark's catalog.

Writes are atomic by staging: the data goes to a hidden table first (``stackhub__tmp_<hex>``, in the target's
database), chunk by chunk; only once all of it is there does the target change, by one ``ALTER TABLE ... RENAME``
(create), a rename swap (overwrite: target -> ``stackhub__old_<hex>``, staging -> target, drop the old one) or one
``INSERT`` job (append), which Spark's output committer publishes whole or not at all. A failure before that leaves
the target as it was and drops the staging table.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pyarrow as pa
from stackhub import (
    AlreadyExists,
    Component,
    ConfigError,
    Conflict,
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

from . import _arrow, _session
from ._config import SparkConfig
from ._errors import map_error

_WRITE_MODES = ("create", "append", "overwrite")
#: Prefix of the plugin's own hidden tables (staging, swap); list_tables never shows them.
HIDDEN_PREFIX = "stackhub__"


@contextlib.contextmanager
def _set_aside(folder: Path) -> Iterator[None]:
    """Move ``folder`` out of the way for the block; put it back if the block fails, delete it if it succeeds."""
    aside = folder.with_name(f"{HIDDEN_PREFIX}stale_{uuid.uuid4().hex}")
    folder.rename(aside)
    try:
        yield
    except BaseException:
        aside.rename(folder)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _quote(*parts: str) -> str:
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


class SparkWarehouse(Warehouse):
    dialect: ClassVar[str] = "spark"

    def __init__(self, config: SparkConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        if config.remote is None:
            # Relative paths are fixed when the component is built, not when Spark first starts.
            config = config.model_copy(update={"warehouse_dir": str(_session.warehouse_path(config))})
        super().__init__(config, dependencies=dependencies)
        self.config: SparkConfig = config
        self._lease: _session.Lease | None = None
        self._lock = threading.Lock()

    # -- session ----------------------------------------------------------------------------------------

    def _leased(self) -> _session.Lease:
        with self._lock:
            if self._lease is None:
                self._lease = _session.acquire(self.config)
            return self._lease

    def _spark(self) -> Any:
        return self._leased().session

    def health(self) -> None:
        outcome: dict[str, BaseException] = {}

        def probe() -> None:
            try:
                self._spark().sql("SELECT 1 AS ok").toArrow()
            except BaseException as exc:  # handed to the calling thread
                outcome["error"] = exc

        thread = threading.Thread(target=probe, name="stackhub-spark-health", daemon=True)
        thread.start()
        thread.join(self.config.timeout)
        where = self.config.remote_endpoint if self.config.remote else f"master {self.config.master or 'local[*]'!r}"
        if thread.is_alive():
            raise Unavailable(
                f"Spark ({where}) did not answer a health check within {self.config.timeout:g} s.",
                fix="Check that Spark is running and has executors, or raise 'timeout'.",
            )
        error = outcome.get("error")
        if error is None:
            return
        if isinstance(error, Unavailable | ConfigError):
            raise error
        mapped = map_error(error, f"Spark ({where}) failed a health check")
        raise Unavailable(mapped.message, fix=mapped.fix) from None

    def close(self) -> None:
        with self._lock:
            lease, self._lease = self._lease, None
        if lease is not None:
            lease.release()

    # -- names ------------------------------------------------------------------------------------------

    def _split(self, table: str) -> tuple[str, str]:
        """(database, table) of a table name; unqualified names live in the configured database."""
        table_sql(table, dialect=self.dialect)  # raises InvalidInput for a malformed name
        parts = table.split(".")
        if len(parts) == 3:
            raise InvalidInput(
                f"Table name {table!r} names a catalog; the Spark warehouse uses the session catalog only.",
                fix="Use 'table' or 'database.table'.",
            )
        return (parts[0], parts[1]) if len(parts) == 2 else (self.config.database, parts[0])

    def dataset(self, table: str) -> DatasetId:
        database, name = self._split(table)
        if self.config.remote is not None:
            namespace = self.config.remote_endpoint
        else:
            master = self.config.master or "local[*]"
            if _session.is_local_master(master):
                # A local Spark's tables are its warehouse folder: that is what tells two of them apart.
                namespace = f"spark://local{_session.warehouse_path(self.config).as_posix()}"
            else:
                namespace = master if "://" in master else f"spark://{master}"
        return DatasetId(namespace=namespace, name=f"{database}.{name}")

    # -- reads ------------------------------------------------------------------------------------------

    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        statement = transpile(sql, read=dialect, write=self.dialect)
        spark = self._spark()
        try:
            frame = spark.sql(statement)
            schema = _arrow.arrow_schema(frame.schema)
            result = frame.toArrow()
        except Exception as exc:
            raise map_error(exc, "Query failed") from None
        return result if result.schema == schema else result.cast(schema)

    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInput(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
        statement = transpile(sql, read=dialect, write=self.dialect)
        lease = self._leased()
        try:
            frame = lease.session.sql(statement)
            schema = _arrow.arrow_schema(frame.schema)
        except Exception as exc:
            raise map_error(exc, "Query failed") from None
        stream = _arrow.connect_batches if lease.remote else _arrow.classic_batches

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from stream(frame, schema, batch_size)
            except StackhubError:
                raise
            except Exception as exc:
                raise map_error(exc, "Query failed while its result was streamed") from None

        return pa.RecordBatchReader.from_batches(schema, batches())

    def list_tables(self) -> list[str]:
        spark = self._spark()
        names: list[str] = []
        try:
            databases = [str(row[0]) for row in spark.sql("SHOW DATABASES").collect()]
            for database in databases:
                for row in spark.sql(f"SHOW TABLES IN {_quote(database)}").collect():
                    name, temporary = str(row[1]), bool(row[2])
                    if temporary or name.startswith(HIDDEN_PREFIX):
                        continue
                    names.append(name if database == self.config.database else f"{database}.{name}")
        except Exception as exc:
            raise map_error(exc, "Cannot list the tables") from None
        return sorted(names)

    def describe_table(self, table: str) -> TableSchema:
        database, name = self._split(table)
        try:
            return TableSchema.from_arrow(_arrow.arrow_schema(self._spark().table(_quote(database, name)).schema))
        except Exception as exc:
            raise map_error(exc, f"Cannot describe table {table!r}") from None

    # -- writes -----------------------------------------------------------------------------------------

    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        database, name = self._split(table)
        if_exists = "IF EXISTS " if missing_ok else ""
        try:
            self._spark().sql(f"DROP TABLE {if_exists}{_quote(database, name)}")
        except Exception as exc:
            error = map_error(exc, f"Cannot drop table {table!r}")
            if missing_ok and isinstance(error, NotFound):
                return  # its database is gone too
            raise error from None

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode not in _WRITE_MODES:
            raise InvalidInput(f"Unknown write mode {mode!r}.", fix=f"Use one of {', '.join(_WRITE_MODES)}.")
        if not isinstance(data, pa.Table | pa.RecordBatchReader):
            raise InvalidInput(f"write() takes a pyarrow Table or RecordBatchReader, not {type(data).__name__}.")
        database, name = self._split(table)
        target = _quote(database, name)
        schema = _arrow.writable(data.schema)
        struct = _arrow.spark_schema(schema)
        spark = self._spark()
        context = f"Cannot write table {table!r} ({mode})"
        try:
            exists = bool(spark.catalog.tableExists(target))
        except Exception as exc:
            raise map_error(exc, context) from None
        if mode == "create" and exists:
            raise AlreadyExists(f"{context}: it exists already.", fix="Use mode='overwrite' to replace it.")
        if mode == "append":
            if not exists:
                raise NotFound(
                    f"Cannot append to table {table!r}: it does not exist.",
                    fix="Use mode='create' or 'overwrite' to create it.",
                )
            self._check_append_columns(spark, table, target, schema)

        pieces = _arrow.chunks(data, schema)
        staging = _quote(database, f"{HIDDEN_PREFIX}tmp_{uuid.uuid4().hex}")
        staged = False
        try:
            chunk = self._next(pieces, context)
            assert chunk is not None  # chunks() yields at least one table
            following = self._next(pieces, context)
            rows = chunk.num_rows
            if mode == "append" and following is None:
                # All the data in hand: one INSERT job, committed whole by Spark, needs no staging.
                self._insert(spark, target, schema.names, self._frame(spark, chunk, struct, context), context)
            else:
                staged = True
                self._stage(spark, staging, chunk, struct, context, first=True)
                while following is not None:
                    self._stage(spark, staging, following, struct, context, first=False)
                    rows += following.num_rows
                    following = self._next(pieces, context)
                if mode == "append":
                    self._insert(spark, target, schema.names, spark.table(staging), context)
                else:
                    try:
                        self._publish(spark, staging, target, database, replace=exists, context=context)
                    except Conflict:
                        # The table's folder holds files the catalog does not know: an earlier Spark process (with
                        # the in-memory catalog) wrote this table. Overwriting it is what the caller asked for.
                        stale = None if mode == "create" or exists else self._stale_folder(spark, database, name)
                        if stale is None:
                            raise
                        with _set_aside(stale):
                            self._publish(spark, staging, target, database, replace=False, context=context)
                    staged = False
        finally:
            if staged:
                with contextlib.suppress(Exception):  # best effort: the target is untouched either way
                    spark.sql(f"DROP TABLE IF EXISTS {staging}")
        return WriteResult(table=table, mode=mode, rows_written=rows, dataset=self.dataset(table))

    @staticmethod
    def _next(pieces: Iterator[pa.Table], context: str) -> pa.Table | None:
        """The next chunk of the caller's data; its own errors pass through, Arrow's say what is wrong."""
        try:
            return next(pieces, None)
        except pa.ArrowException as exc:
            raise InvalidInput(
                f"{context}: the data cannot be stored as Spark types: {exc}.",
                fix="Cast the columns first (e.g. nanosecond timestamps to whole microseconds).",
            ) from None

    @staticmethod
    def _frame(spark: Any, chunk: pa.Table, struct: Any, context: str) -> Any:
        try:
            return spark.createDataFrame(chunk, schema=struct)
        except Exception as exc:
            raise map_error(exc, context) from None

    def _stage(self, spark: Any, staging: str, chunk: pa.Table, struct: Any, context: str, *, first: bool) -> None:
        frame = self._frame(spark, chunk, struct, context)
        try:
            # The first chunk creates the table (CREATE TABLE AS SELECT), the others append to it. ("error", not
            # its alias "errorifexists", which pyspark's Connect writer rejects.)
            frame.write.mode("error" if first else "append").saveAsTable(staging)
        except Exception as exc:
            raise map_error(exc, context) from None

    @staticmethod
    def _insert(spark: Any, target: str, columns: list[str], frame: Any, context: str) -> None:
        view = f"stackhub_source_{uuid.uuid4().hex}"
        listed = ", ".join(_quote(c) for c in columns)
        try:
            frame.createOrReplaceTempView(view)
            try:
                spark.sql(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {_quote(view)}")
            finally:
                spark.catalog.dropTempView(view)
        except Exception as exc:
            raise map_error(exc, context) from None

    @staticmethod
    def _publish(spark: Any, staging: str, target: str, database: str, *, replace: bool, context: str) -> None:
        """Make the staged table the target, by renames only: the old target survives any failure."""
        try:
            if not replace:
                spark.sql(f"ALTER TABLE {staging} RENAME TO {target}")
                return
            old = _quote(database, f"{HIDDEN_PREFIX}old_{uuid.uuid4().hex}")
            spark.sql(f"ALTER TABLE {target} RENAME TO {old}")
            try:
                spark.sql(f"ALTER TABLE {staging} RENAME TO {target}")
            except Exception:
                spark.sql(f"ALTER TABLE {old} RENAME TO {target}")
                raise
        except Exception as exc:
            raise map_error(exc, context) from None
        with contextlib.suppress(Exception):  # the new table is in place; a leftover old copy stays hidden
            spark.sql(f"DROP TABLE IF EXISTS {old}")

    def _stale_folder(self, spark: Any, database: str, name: str) -> Path | None:
        """The local folder Spark would give managed table ``name``, when it exists (classic Spark only: a Connect
        server's files are not this process's to touch)."""
        if self._leased().remote:
            return None
        try:
            rows = spark.sql(f"DESCRIBE DATABASE {_quote(database)}").collect()
        except Exception:  # no location to check: keep the original error
            return None
        location = next((str(row[1]) for row in rows if str(row[0]).lower() == "location"), "")
        parts = urlsplit(location)
        if parts.scheme not in ("", "file"):
            return None
        folder = Path(unquote(parts.path)) / name
        return folder if folder.is_dir() else None

    def _check_append_columns(self, spark: Any, table: str, target: str, schema: pa.Schema) -> None:
        try:
            existing = list(spark.table(target).columns)
        except Exception as exc:
            raise map_error(exc, f"Cannot append to table {table!r}") from None
        if sorted(existing) != sorted(schema.names):
            raise InvalidInput(
                f"Cannot append to table {table!r}: the data's columns {sorted(schema.names)} differ from the "
                f"table's {sorted(existing)}.",
                fix="Select the table's columns, or use mode='overwrite' to replace the table.",
            )
