"""Fixtures: one real PostgreSQL 15 server per session on 127.0.0.1 (the machine's binaries, started as the
``postgres`` user), stopped and removed at the end."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from stackhub_postgres import plugin
from stackhub_postgres._warehouse import PostgresWarehouse
from stackhub_postgres.testing import PostgresServer, ServerMissing, free_port


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.create()
    except (
        ServerMissing
    ) as exc:  # a missing server is a failure, never a skip: these tests exist to prove the server path
        pytest.fail(f"these tests run against a real PostgreSQL server, but {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def server(pg_server: PostgresServer) -> PostgresServer:
    """The session's server, started again if a fault test stopped it and failed before restarting it."""
    if not pg_server.running():
        pg_server.start()
    return pg_server


@pytest.fixture
def pg_config(server: PostgresServer) -> dict[str, object]:
    return server.config(connect_timeout=5)


@pytest.fixture
def warehouse(pg_config: dict[str, object]) -> Iterator[PostgresWarehouse]:
    component = plugin.create(pg_config)
    assert isinstance(component, PostgresWarehouse)
    with component:
        yield component


@pytest.fixture
def closed_port() -> int:
    """Nothing listens on a port that was free a moment ago: every connection is refused at once."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and never says a word: a hung server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
