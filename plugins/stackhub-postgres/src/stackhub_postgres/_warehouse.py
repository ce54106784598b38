"""The PostgreSQL warehouse, through ADBC's libpq driver.

Reads run as ``COPY (query) TO STDOUT (FORMAT binary)`` and stream Arrow batches as the server sends them; writes
are ADBC bulk ingests (binary COPY FROM STDIN) inside one transaction, so a failed write changes nothing.
Connections are pooled per component; each one runs with ``TimeZone=UTC`` and ``search_path`` set to the
configured schema.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as pg_dbapi
import pyarrow as pa
from adbc_driver_manager.dbapi import Connection, Cursor
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
from stackhub.sql import column_sql, transpile

from ._arrow import (
    Feed,
    ResultConverter,
    append_schema,
    decimal_columns,
    ingest_schema,
    rebatch,
    unsupported_columns,
)
from ._config import PostgresConfig
from ._errors import connection_broken, map_error

__all__ = ["PostgresWarehouse"]

log = logging.getLogger("stackhub.postgres")

T = TypeVar("T")

_WRITE_MODES = ("create", "append", "overwrite")
_USE_COPY = "adbc.postgresql.use_copy"
_BATCH_HINT = "adbc.postgresql.batch_size_hint_bytes"
_TRANSACTION_STATUS = "adbc.postgresql.transaction_status"
#: Idle connections a component keeps open for its next operations.
_POOL_SIZE = 4
#: Errors the driver raises: its DB-API errors, and OSError from a result stream that broke half-way.
_DRIVER_ERRORS = (adbc_driver_manager.Error, OSError)

_LIST_TABLES = """
SELECT n.nspname AS schema_name, c.relname AS table_name
FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND n.nspname !~ '^pg_'
  AND n.nspname <> 'information_schema'
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
"""


def _ident(name: str) -> str:
    return column_sql(name, dialect="postgres")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _conninfo_value(value: object) -> str:
    text = str(value)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Pool:
    """Idle connections for reuse; a connection is lent to one operation (or one open reader) at a time."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def take(self) -> Connection | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def give_back(self, connection: Connection) -> bool:
        """Keep ``connection`` for reuse; False when the pool is full and the caller should close it."""
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(connection)
                return True
        return False

    def drain(self) -> list[Connection]:
        with self._lock:
            idle, self._idle = self._idle, []
        return idle


class _Lease:
    """A connection lent to one streaming reader; ``end`` pools it again after a complete read, and otherwise
    cancels the server's COPY and closes it. Ending twice is harmless."""

    def __init__(self, owner: PostgresWarehouse, connection: Connection, cursor: Cursor) -> None:
        self._owner = owner
        self._connection = connection
        self._cursor = cursor
        self._ended = False
        self._lock = threading.Lock()

    def end(self, *, finished: bool) -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        if not finished:  # abandoned or failed half-way: stop the server's work before dropping the connection
            with contextlib.suppress(Exception):
                self._cursor.adbc_cancel()
        with contextlib.suppress(Exception):
            self._cursor.close()
        if finished:
            self._owner._release(self._connection)
        else:
            self._owner._close_connection(self._connection)


class PostgresWarehouse(Warehouse):
    dialect: ClassVar[str] = "postgres"

    def __init__(self, config: PostgresConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: PostgresConfig = config
        # An empty password (e.g. an unset ${PGPASSWORD}) is none: libpq may then use ~/.pgpass.
        self._secret = (config.password.get_secret_value() if config.password is not None else None) or None
        self._pool = _Pool(_POOL_SIZE)

    def __repr__(self) -> str:
        c = self.config
        return f"PostgresWarehouse(postgres://{c.user}@{c.host}:{c.port}/{c.database}, schema={c.db_schema!r})"

    # -- connections ------------------------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"PostgreSQL at {self.config.host}:{self.config.port}"

    def _conninfo(self) -> str:
        c = self.config
        settings: dict[str, object] = {
            "host": c.host,
            "port": c.port,
            "dbname": c.database,
            "user": c.user,
            "connect_timeout": c.connect_timeout,
            "sslmode": c.sslmode,
            "application_name": "stackhub",
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        if self._secret is not None:
            settings["password"] = self._secret
        return " ".join(f"{key}={_conninfo_value(value)}" for key, value in settings.items())

    def _bounded(self, action: Callable[[], T], what: str) -> T:
        """Run ``action`` in a helper thread and give up after ``connect_timeout``: libpq's own timeout covers
        neither name resolution nor a host with several addresses, and a caller must never hang on either."""
        box: dict[str, Any] = {}
        finished = threading.Event()
        lock = threading.Lock()

        def run() -> None:
            outcome: tuple[str, Any]
            try:
                outcome = ("result", action())
            except BaseException as exc:
                outcome = ("error", exc)
            with lock:
                if box.get("abandoned"):  # the caller gave up: close what came too late
                    if isinstance(outcome[1], Connection):
                        self._close_connection(outcome[1])
                    return
                box[outcome[0]] = outcome[1]
            finished.set()

        threading.Thread(target=run, name="stackhub-postgres-connect", daemon=True).start()
        finished.wait(self.config.connect_timeout)
        with lock:
            if "result" not in box and "error" not in box:
                box["abandoned"] = True
                raise Unavailable(
                    f"{what}: {self._where} did not answer within connect_timeout={self.config.connect_timeout} s.",
                    fix="Check that the server is running and reachable at the configured host and port, or raise "
                    "connect_timeout.",
                )
        if "error" in box:
            error: BaseException = box["error"]
            if isinstance(error, _DRIVER_ERRORS):
                raise map_error(error, f"{what} ({self._where})", secret=self._secret) from None
            raise error
        value: T = box["result"]
        return value

    def _connect_now(self) -> Connection:
        """Open one connection (unbounded: callers bound it) and set up its session.

        Each connection has its own ADBC database (the driver's type catalogue, read as it connects: ~50 ms on
        loopback). Cloning connections from one database would save that, but would tie every connection's life to
        the first; pooling makes new connections rare anyway."""
        connection = pg_dbapi.connect(self._conninfo(), autocommit=True)
        try:
            self._setup(connection)
        except BaseException:
            self._close_connection(connection)
            raise
        return connection

    def _setup(self, connection: Connection) -> None:
        settings = [
            ("TimeZone", "UTC"),  # timestamps with a time zone are read, written and formatted in UTC
            ("search_path", _ident(self.config.db_schema)),
        ]
        if self.config.statement_timeout is not None:
            settings.append(("statement_timeout", str(max(1, round(self.config.statement_timeout * 1000)))))
        statement = "SELECT " + ", ".join(
            f"pg_catalog.set_config({_literal(name)}, {_literal(value)}, false)" for name, value in settings
        )
        with connection.cursor(adbc_stmt_kwargs={_USE_COPY: "false"}) as cursor:
            cursor.execute(statement)
            cursor.fetchall()

    def _open(self, what: str) -> Connection:
        connection = self._bounded(self._connect_now, what)
        log.debug("Opened a connection to postgres://%s@%s:%s/%s", *self._identity())
        return connection

    def _identity(self) -> tuple[str, str, int, str]:
        c = self.config
        return c.user, c.host, c.port, c.database

    def _acquire(self, what: str) -> tuple[Connection, bool]:
        """A connection for one operation, and whether it was reused from the pool."""
        idle = self._pool.take()
        if idle is not None:
            return idle, True
        return self._open(what), False

    def _release(self, connection: Connection) -> None:
        """Pool a connection again, if it is idle outside a transaction (libpq's own state: no round trip)."""
        try:
            idle = connection.adbc_connection.get_option(_TRANSACTION_STATUS) == "idle"
        except Exception:
            idle = False
        if not (idle and self._pool.give_back(connection)):
            self._close_connection(connection)

    @staticmethod
    def _close_connection(connection: Connection) -> None:
        with contextlib.suppress(Exception):
            connection.close()

    def _run(
        self,
        action: Callable[[Connection], T],
        what: str,
        *,
        retry: Callable[[], bool] = lambda: True,
        lend: bool = False,
    ) -> T:
        """Run ``action`` on a pooled connection and pool it again (unless ``lend``: then the caller keeps it and
        releases or closes it). A pooled connection that turns out to be broken (the server restarted since it was
        opened) is dropped, and the action runs once more on a new connection if ``retry()`` allows."""
        for attempt in (1, 2):
            connection, reused = self._acquire(what)
            try:
                result = action(connection)
            except _DRIVER_ERRORS as exc:
                broken = connection_broken(exc)
                if broken:
                    self._close_connection(connection)
                else:
                    self._release(connection)
                if broken and reused and attempt == 1 and retry():
                    log.debug("A pooled connection was broken (%s); retrying on a new one.", type(exc).__name__)
                    continue
                raise map_error(exc, what, secret=self._secret) from None
            except StackhubError:  # the action's own verdict (after its rollback): the connection is fine
                self._release(connection)
                raise
            except BaseException:
                self._close_connection(connection)
                raise
            if not lend:
                self._release(connection)
            return result
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def health(self) -> None:
        def probe() -> None:
            connection = self._connect_now()
            try:
                with connection.cursor(adbc_stmt_kwargs={_USE_COPY: "false"}) as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
            finally:
                self._close_connection(connection)

        self._bounded(probe, "PostgreSQL health check failed")

    def close(self) -> None:
        """Close the idle connections; a reader still open keeps its own until it ends."""
        for connection in self._pool.drain():
            self._close_connection(connection)

    # -- names ------------------------------------------------------------------------------------------

    def _split(self, table: str) -> tuple[str, str]:
        """(schema, table) of a name that is 'table', 'schema.table' or 'database.schema.table'."""
        parts = table.split(".")
        if not table or len(parts) > 3 or not all(parts):
            raise InvalidInput(
                f"Table name {table!r} is not 'table', 'schema.table' or 'database.schema.table'.",
                fix="Use non-empty name parts separated by single dots.",
            )
        if len(parts) == 3:
            if parts[0] != self.config.database:
                raise InvalidInput(
                    f"Table name {table!r} names database {parts[0]!r}, but the component is connected to "
                    f"{self.config.database!r}; PostgreSQL cannot reach another database's tables.",
                    fix="Use 'schema.table', or a component configured for that database.",
                )
            parts = parts[1:]
        if len(parts) == 1:
            return self.config.db_schema, parts[0]
        return parts[0], parts[1]

    def _quoted(self, schema: str, name: str) -> str:
        return f"{_ident(schema)}.{_ident(name)}"

    def _display(self, schema: str, name: str) -> str:
        return name if schema == self.config.db_schema else f"{schema}.{name}"

    def dataset(self, table: str) -> DatasetId:
        schema, name = self._split(table)
        c = self.config
        return DatasetId(namespace=f"postgres://{c.host}:{c.port}", name=f"{c.database}.{schema}.{name}")

    # -- reads ------------------------------------------------------------------------------------------

    def _statement(self, sql: str, dialect: str | None) -> tuple[str, bool]:
        """The statement in PostgreSQL's dialect, and whether it can be streamed by COPY (only a query can:
        SHOW, EXPLAIN, DDL or INSERT ... RETURNING run as plain statements)."""
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import SqlglotError

        statement = transpile(sql, read=dialect, write=self.dialect)
        try:
            tree = sqlglot.parse_one(statement, read=self.dialect)
        except SqlglotError:
            tree = None
        copy = isinstance(tree, exp.Query) and not tree.args.get("into")
        text = statement.strip().rstrip(";").rstrip()
        # The driver wraps a query as 'COPY (<query>) TO STDOUT': a trailing '-- comment' must not eat the ')'.
        return (text + "\n" if copy else text), copy

    @staticmethod
    def _statement_options(copy: bool, batch_size: int | None = None) -> dict[str, str]:
        options = {_USE_COPY: "true" if copy else "false"}
        if batch_size is not None:
            # The driver sizes its batches in bytes: aim near batch_size rows so the first one comes quickly.
            options[_BATCH_HINT] = str(max(1 << 16, min(1 << 24, batch_size * 64)))
        return options

    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        statement, copy = self._statement(sql, dialect)

        def run(connection: Connection) -> pa.Table:
            with connection.cursor(adbc_stmt_kwargs=self._statement_options(copy)) as cursor:
                cursor.execute(statement)
                return cursor.fetch_arrow_table()

        raw = self._run(run, "Query failed")
        converter = ResultConverter(raw.schema)
        try:
            return converter.table(raw)
        except ValueError as exc:
            raise InvalidInput(f"Query failed: {exc}.") from None

    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        if batch_size < 1:
            raise InvalidInput(f"batch_size must be at least 1, got {batch_size}.")
        statement, copy = self._statement(sql, dialect)
        opened: list[tuple[Connection, Cursor]] = []

        def start(connection: Connection) -> pa.RecordBatchReader:
            cursor = connection.cursor(adbc_stmt_kwargs=self._statement_options(copy, batch_size))
            try:
                cursor.execute(statement)
                reader = cursor.fetch_record_batch()
            except BaseException:
                cursor.close()
                raise
            opened.append((connection, cursor))
            return reader

        # The connection stays lent to the reader until it is exhausted or dropped, so _run must not pool it.
        raw = self._run(start, "Query failed", lend=True)
        connection, cursor = opened[-1]
        converter = ResultConverter(raw.schema)
        lease = _Lease(self, connection, cursor)

        def batches() -> Iterator[pa.RecordBatch]:
            finished = False
            try:
                yield from rebatch(self._stream(raw, converter), batch_size)
                finished = True
            finally:
                lease.end(finished=finished)

        stream = batches()
        # A reader dropped before its first batch never runs the generator's finally: end the lease then too.
        weakref.finalize(stream, lease.end, finished=False)
        return pa.RecordBatchReader.from_batches(converter.schema, stream)

    def _stream(self, raw: pa.RecordBatchReader, converter: ResultConverter) -> Iterator[pa.RecordBatch]:
        source = iter(raw)
        while True:
            try:
                batch = next(source)
            except StopIteration:
                return
            except _DRIVER_ERRORS as exc:
                raise map_error(exc, "Query failed while streaming its result", secret=self._secret) from None
            try:
                yield converter.batch(batch)
            except ValueError as exc:
                raise InvalidInput(f"Query failed: {exc}.") from None

    def list_tables(self) -> list[str]:
        def run(connection: Connection) -> list[tuple[str, str]]:
            with connection.cursor(adbc_stmt_kwargs={_USE_COPY: "false"}) as cursor:
                cursor.execute(_LIST_TABLES)
                return [(str(s), str(t)) for s, t in cursor.fetchall()]

        rows = self._run(run, "Cannot list tables")
        return sorted(self._display(schema, name) for schema, name in rows)

    def _raw_schema(self, cursor: Cursor, quoted: str) -> pa.Schema:
        """The driver's own schema of a table's columns (with the metadata that _arrow reads)."""
        cursor.execute(f"SELECT * FROM {quoted} LIMIT 0")
        schema: pa.Schema = cursor.fetch_arrow_table().schema
        return schema

    def describe_table(self, table: str) -> TableSchema:
        schema, name = self._split(table)
        quoted = self._quoted(schema, name)

        def run(connection: Connection) -> pa.Schema:
            with connection.cursor() as cursor:
                return self._raw_schema(cursor, quoted)

        raw = self._run(run, f"Cannot describe table {table!r}")
        return TableSchema.from_arrow(ResultConverter(raw).schema)

    # -- writes -----------------------------------------------------------------------------------------

    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        schema, name = self._split(table)
        if_exists = "IF EXISTS " if missing_ok else ""
        statement = f"DROP TABLE {if_exists}{self._quoted(schema, name)}"

        def run(connection: Connection) -> None:
            with connection.cursor(adbc_stmt_kwargs={_USE_COPY: "false"}) as cursor:
                cursor.execute(statement)

        self._run(run, f"Cannot drop table {table!r}")

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode not in _WRITE_MODES:
            raise InvalidInput(f"Unknown write mode {mode!r}.", fix=f"Use one of {', '.join(_WRITE_MODES)}.")
        if not isinstance(data, pa.Table | pa.RecordBatchReader):
            raise InvalidInput(f"write() takes a pyarrow Table or RecordBatchReader, not {type(data).__name__}.")
        schema, name = self._split(table)
        unsupported = unsupported_columns(data.schema)
        if unsupported:
            raise InvalidInput(
                f"Cannot write table {table!r}: PostgreSQL has no column type for {unsupported}.",
                fix="Flatten those columns, or store them as JSON text (e.g. with pyarrow.compute).",
            )
        names = data.schema.names
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInput(
                f"Cannot write table {table!r}: the data has duplicate column names {duplicates}.",
                fix="Rename the columns so that each name is used once.",
            )
        source: Iterable[pa.RecordBatch] = data.to_batches() if isinstance(data, pa.Table) else data
        feeds: list[Feed] = []

        def run(connection: Connection) -> int:
            adbc = connection.adbc_connection
            adbc.set_autocommit(False)  # one transaction: the table changes entirely or not at all
            try:
                with connection.cursor() as cursor:
                    rows = self._write(cursor, table, schema, name, data.schema, source, mode, feeds)
                adbc.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    adbc.rollback()
                raise
            finally:
                with contextlib.suppress(Exception):
                    adbc.set_autocommit(True)
            return rows

        what = f"Cannot write table {table!r} ({mode})"
        try:
            # A retry on a fresh connection is safe only while none of the caller's data has been read.
            rows = self._run(run, what, retry=lambda: not feeds or feeds[-1].batches == 0)
        except BaseException as exc:
            failed = feeds[-1].error if feeds else None
            if failed is None or not (exc is failed or isinstance(exc, StackhubError)):
                raise
            # The driver reports the data source's error as text: raise what the data source did instead.
            raise self._data_error(what, feeds[-1]) from failed
        return WriteResult(table=table, mode=mode, rows_written=rows, dataset=self.dataset(table))

    @staticmethod
    def _data_error(what: str, feed: Feed) -> BaseException:
        error = feed.error
        assert error is not None
        if not isinstance(error, Exception):
            return error  # KeyboardInterrupt and the like go through as they are
        if feed.failed_in == "conversion":
            return InvalidInput(
                f"{what}: batch {feed.batches} of the data does not fit the table's columns: {error}. "
                "Nothing was written.",
                fix="Cast the data to the table's column types (see describe_table()), or use mode='overwrite'.",
            )
        return InvalidInput(
            f"{what}: reading the data failed after {feed.batches} batch(es): {type(error).__name__}: {error}. "
            "Nothing was written.",
            fix="Fix the data source; the table is as it was before the write.",
        )

    def _write(
        self,
        cursor: Cursor,
        table: str,
        schema: str,
        name: str,
        data_schema: pa.Schema,
        source: Iterable[pa.RecordBatch],
        mode: WriteMode,
        feeds: list[Feed],
    ) -> int:
        target = self._quoted(schema, name)
        if mode == "append":
            try:
                existing = self._raw_schema(cursor, target)
            except adbc_driver_manager.Error as exc:
                if isinstance(map_error(exc, ""), NotFound):
                    raise NotFound(
                        f"Cannot append to table {table!r}: it does not exist.",
                        fix="Use mode='create' or 'overwrite' to create it.",
                    ) from None
                raise
            if sorted(existing.names) != sorted(data_schema.names):
                raise InvalidInput(
                    f"Cannot append to table {table!r}: the data's columns {sorted(data_schema.names)} differ from "
                    f"the table's {sorted(existing.names)}.",
                    fix="Select the table's columns, or use mode='overwrite' to replace the table.",
                )
            feeds.append(Feed(source, append_schema(existing, data_schema)))
            into = name
        else:
            wire = ingest_schema(data_schema)
            feeds.append(Feed(source, wire))
            into = name if mode == "create" else f"__stackhub_overwrite_{secrets.token_hex(6)}"
            self._create_table(cursor, schema, into, wire)
        feed = feeds[-1]
        cursor.adbc_ingest(into, feed.reader(), mode="append", db_schema_name=schema)
        if feed.error is not None:  # the driver may have stopped reading without an error of its own
            raise feed.error
        if mode == "overwrite":
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(f"ALTER TABLE {self._quoted(schema, into)} RENAME TO {_ident(name)}")
        return feed.rows

    def _create_table(self, cursor: Cursor, schema: str, name: str, wire: pa.Schema) -> None:
        """An empty table for ``wire``: the driver's column types, with decimals as NUMERIC(p, s)."""
        try:
            cursor.adbc_ingest(name, wire.empty_table(), mode="create", db_schema_name=schema)
        except adbc_driver_manager.Error as exc:
            if isinstance(map_error(exc, ""), AlreadyExists):
                display = self._display(schema, name)
                raise AlreadyExists(
                    f"Cannot create table {display!r}: it exists already.",
                    fix="Use mode='append' or 'overwrite', or another name.",
                ) from None
            raise
        decimals = decimal_columns(wire)
        if decimals:
            changes = ", ".join(f"ALTER COLUMN {_ident(c)} TYPE numeric({p}, {s})" for c, p, s in decimals)
            cursor.execute(f"ALTER TABLE {self._quoted(schema, name)} {changes}")
