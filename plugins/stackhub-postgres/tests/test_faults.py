"""Faults: the server dying in the middle of a write, a server that never answers, and the password's secrecy."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterator

import pyarrow as pa
import pytest
from stackhub import ConfigError, StackhubError, Unavailable
from stackhub_postgres import plugin
from stackhub_postgres._warehouse import PostgresWarehouse
from stackhub_postgres.testing import PostgresServer

BATCH_ROWS = 50_000
BATCHES = 40  # 2M rows: the server is stopped after the 5th batch, long before the last


def _write_that_kills_the_server(server: PostgresServer, mode: str, *, after: int = 5) -> pa.RecordBatchReader:
    """A big stream of batches that stops the server (as a crash, or a fast shutdown) once ``after`` batches went
    out: the write is then half-way through its COPY."""
    schema = pa.schema({"id": pa.int64(), "label": pa.string()})

    def batches() -> Iterator[pa.RecordBatch]:
        for i in range(BATCHES):
            if i == after:
                server.stop(mode)
            ids = pa.arange(i * BATCH_ROWS, (i + 1) * BATCH_ROWS)
            yield pa.record_batch([ids, pa.compute.cast(ids, pa.string())], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


@pytest.fixture
def name() -> str:
    return f"fault_{time.monotonic_ns()}"


@pytest.mark.parametrize(("mode", "stop"), [("create", "immediate"), ("overwrite", "fast"), ("append", "immediate")])
def test_server_stopped_mid_write_leaves_the_table_as_it_was(
    server: PostgresServer, pg_config: dict[str, object], name: str, mode: str, stop: str
) -> None:
    before = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "label": ["a", "b", "c"]})
    with plugin.create(pg_config) as warehouse:
        if mode != "create":
            warehouse.write(name, before)
        with pytest.raises(Unavailable) as raised:
            warehouse.write(name, _write_that_kills_the_server(server, stop), mode=mode)  # type: ignore[arg-type]
        assert "PostgreSQL server is running and reachable" in str(raised.value)
        assert not server.running()
        server.start()
        # The same component goes on after the restart: its pooled connections died with the server.
        tables = warehouse.list_tables()
        if mode == "create":
            assert name not in tables, f"A write cut off by a server {stop} stop left table {name!r} behind."
        else:
            after = warehouse.query(f'SELECT * FROM "{name}" ORDER BY id')
            assert after.equals(before), f"A {mode} cut off by a server {stop} stop changed the table."
            warehouse.drop_table(name)
        assert not [t for t in tables if "__stackhub" in t], "An overwrite's staging table survived the crash."


def test_server_stopped_mid_read_is_unavailable(server: PostgresServer, warehouse: PostgresWarehouse) -> None:
    reader = warehouse.query_batches("SELECT x FROM generate_series(1, 5000000) AS x", batch_size=1_000)
    reader.read_next_batch()
    server.stop("fast")
    try:
        with pytest.raises(Unavailable, match="terminating connection due to administrator command"):
            for _ in reader:
                pass
    finally:
        server.start()
    assert warehouse.query("SELECT 1 AS one").column("one").to_pylist() == [1]


def test_a_component_survives_a_server_restart(server: PostgresServer, warehouse: PostgresWarehouse) -> None:
    assert warehouse.query("SELECT 1 AS one").column("one").to_pylist() == [1]
    server.restart()
    assert warehouse.query("SELECT 2 AS two").column("two").to_pylist() == [2]
    warehouse.health()


def test_a_stopped_server_is_unavailable(server: PostgresServer, pg_config: dict[str, object]) -> None:
    with plugin.create(pg_config) as warehouse:
        warehouse.health()
        server.stop()
        try:
            with pytest.raises(Unavailable, match="Connection refused"):
                warehouse.health()
            with pytest.raises(Unavailable):
                warehouse.query("SELECT 1")
        finally:
            server.start()
        warehouse.health()


# -- an unreachable server ------------------------------------------------------------------------------

TIMEOUT = 2  # libpq's minimum


@pytest.mark.parametrize("operation", ["health", "query", "write"])
def test_a_silent_server_is_unavailable_within_connect_timeout(silent_port: int, operation: str) -> None:
    config = {"host": "127.0.0.1", "port": silent_port, "connect_timeout": TIMEOUT}
    with plugin.create(config) as warehouse:
        assert isinstance(warehouse, PostgresWarehouse)
        calls = {
            "health": warehouse.health,
            "query": lambda: warehouse.query("SELECT 1"),
            "write": lambda: warehouse.write("t", pa.table({"a": [1]})),
        }
        started = time.monotonic()
        with pytest.raises(Unavailable, match="timeout expired|did not answer within connect_timeout=2 s") as raised:
            calls[operation]()
        elapsed = time.monotonic() - started
    # A behaviour bound, not a benchmark: it gave up because of connect_timeout, and not much later than it.
    assert elapsed < 3 * TIMEOUT, f"{operation}() took {elapsed:.1f} s to give up, connect_timeout is {TIMEOUT} s."
    assert elapsed > TIMEOUT / 2, f"{operation}() gave up after {elapsed:.1f} s: {raised.value}"
    assert "connect_timeout" in (raised.value.fix or "")


def test_a_closed_port_is_unavailable_at_once(closed_port: int) -> None:
    with plugin.create({"host": "127.0.0.1", "port": closed_port, "connect_timeout": 10}) as warehouse:
        started = time.monotonic()
        with pytest.raises(Unavailable, match=f"PostgreSQL at 127.0.0.1:{closed_port}.*Connection refused"):
            warehouse.health()
        assert time.monotonic() - started < 5


def test_an_unknown_host_is_unavailable() -> None:
    with (
        plugin.create({"host": "no-such-host.invalid", "connect_timeout": 2}) as warehouse,
        pytest.raises(Unavailable, match="could not translate host name"),
    ):
        warehouse.health()


# -- the password ---------------------------------------------------------------------------------------

# Quotes, a backslash and a space: the connection string must escape them.
PASSWORD = "s3cr3t 'pa\\ss' w0rd"
ROLE = "stackhub_secret_role"


@pytest.fixture(scope="module")
def password_role(pg_server: PostgresServer) -> str:
    if not pg_server.running():
        pg_server.start()
    pg_server.add_password_role(ROLE, PASSWORD)
    return ROLE


def _all_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(getattr(exc, "fix", ""))


def test_the_right_password_connects(server: PostgresServer, password_role: str) -> None:
    with plugin.create(server.config(user=password_role, password=PASSWORD)) as warehouse:
        warehouse.health()
        assert warehouse.query("SELECT current_user AS u").column("u").to_pylist() == [password_role]


def test_a_wrong_password_is_a_config_error_that_does_not_show_it(server: PostgresServer, password_role: str) -> None:
    wrong = PASSWORD + "-wrong"
    with plugin.create(server.config(user=password_role, password=wrong)) as warehouse:
        with pytest.raises(ConfigError, match="password authentication failed") as raised:
            warehouse.health()
        assert wrong not in _all_text(raised.value)
        with pytest.raises(ConfigError) as raised:
            warehouse.query("SELECT 1")
        assert wrong not in _all_text(raised.value)


def test_the_password_is_never_printed(
    server: PostgresServer, closed_port: int, silent_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    configs = [
        server.config(password=PASSWORD),  # trust: it works, and is logged as it connects
        server.config(password=PASSWORD, database="no_such_db"),
        server.config(password=PASSWORD, port=closed_port),
        server.config(password=PASSWORD, port=silent_port, connect_timeout=2),
        server.config(password=PASSWORD, host="no-such-host.invalid", connect_timeout=2),
    ]
    texts: list[str] = []
    for config in configs:
        with plugin.create(config) as warehouse:
            texts += [repr(warehouse), str(warehouse), repr(warehouse.config), str(warehouse.config)]
            texts.append(warehouse.config.model_dump_json())
            calls = [warehouse.health, lambda w=warehouse: w.query("SELECT * FROM no_such_table")]
            for call in calls[:1] if config.get("connect_timeout") == 2 else calls:  # slow ones: health only
                try:
                    call()
                except StackhubError as exc:
                    texts.append(_all_text(exc))
    texts += [record.getMessage() for record in caplog.records]
    assert len(texts) > 25
    leaked = [text for text in texts if PASSWORD in text or "pa\\ss" in text]
    assert not leaked, f"The password appears in: {leaked[:3]}"
    with pytest.raises(ConfigError) as raised:
        plugin.create({"password": PASSWORD, "port": "not a port"})
    assert PASSWORD not in _all_text(raised.value)
