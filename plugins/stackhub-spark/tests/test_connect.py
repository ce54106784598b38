"""Remote mode against a real Spark Connect server on 127.0.0.1 (started by the fixtures with pyspark's own
``SparkConnectServer``): the same contract as local Spark, checked with the conformance suite's data.

The conformance suite itself runs on local Spark (test_conformance.py). Through Spark Connect every check passes
but one: the server sends a query's result partition by partition, each computed whole before it is sent, so a
result held in one partition is not streamed (see the README)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from stackhub import AlreadyExists, InvalidInput, NotFound, Unavailable, Warehouse
from stackhub_conformance._data import all_types_table, numbered_table
from stackhub_conformance.warehouse import assert_table
from stackhub_spark import _arrow, _session, plugin
from stackhub_spark._warehouse import HIDDEN_PREFIX
from stackhub_spark.testing import SparkConnectServer


@pytest.fixture
def remote(remote_config: dict[str, Any]) -> Iterator[Warehouse]:
    component = plugin.create(remote_config)
    assert isinstance(component, Warehouse)
    with component:
        yield component


@pytest.fixture
def table(remote: Warehouse) -> Iterator[str]:
    name = f"stackhub_test_remote_{uuid.uuid4().hex[:8]}"
    yield name
    remote.drop_table(name, missing_ok=True)


def test_every_type_round_trips(remote: Warehouse, table: str) -> None:
    data = all_types_table(rows=60)
    result = remote.write(table, pa.RecordBatchReader.from_batches(data.schema, data.to_batches(max_chunksize=25)))
    assert result.rows_written == 60
    assert result.dataset.namespace == remote.config.remote_endpoint  # type: ignore[attr-defined]
    assert_table(remote.query(f"SELECT * FROM {table} ORDER BY id"), data, "Every type through Spark Connect")
    queried = remote.query(f"SELECT * FROM {table}").schema
    assert [(f.name, f.type) for f in remote.describe_table(table).fields] == [(f.name, str(f.type)) for f in queried]


def test_write_modes(remote: Warehouse, table: str) -> None:
    data = numbered_table(30)
    remote.write(table, data.slice(0, 10))
    with pytest.raises(AlreadyExists):
        remote.write(table, data, mode="create")
    remote.write(table, data.slice(10), mode="append")
    assert_table(remote.query(f"SELECT * FROM {table} ORDER BY id"), data, "create, then append")
    with pytest.raises(InvalidInput, match="differ from the table's"):
        remote.write(table, data.drop_columns(["label"]), mode="append")
    with pytest.raises(NotFound):
        remote.write(f"{table}_missing", data, mode="append")
    remote.write(table, pa.table({"other": ["x"]}), mode="overwrite")
    assert remote.query(f"SELECT * FROM {table}").to_pylist() == [{"other": "x"}]


class _Failed(Exception):
    pass


def test_a_failed_write_changes_nothing(remote: Warehouse, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_arrow, "CHUNK_BYTES", 1)  # several chunks reach the server before the source fails
    data = numbered_table(500)
    remote.write(table, data.slice(0, 10))

    def failing() -> Iterator[pa.RecordBatch]:
        yield from data.to_batches(max_chunksize=100)[:3]
        raise _Failed("on purpose")

    for mode in ("append", "overwrite"):
        with pytest.raises(_Failed):
            remote.write(table, pa.RecordBatchReader.from_batches(data.schema, failing()), mode=mode)  # type: ignore[arg-type]
        assert_table(remote.query(f"SELECT * FROM {table} ORDER BY id"), data.slice(0, 10), f"After a failed {mode}")
    hidden = [t for t in remote.list_tables() if t.startswith(HIDDEN_PREFIX)]
    assert not hidden
    shown = remote.query("SHOW TABLES").column("tableName").to_pylist()
    assert not [t for t in shown if t.startswith(HIDDEN_PREFIX)], "a staging table was left on the server"


def test_errors_are_mapped(remote: Warehouse) -> None:
    with pytest.raises(NotFound, match="TABLE_OR_VIEW_NOT_FOUND"):
        remote.query("SELECT * FROM no_such_table_anywhere")
    with pytest.raises(NotFound):
        remote.describe_table("no_such_table_anywhere")
    with pytest.raises(NotFound):
        remote.drop_table("no_such_table_anywhere")
    with pytest.raises(InvalidInput, match="UNRESOLVED_COLUMN"):
        remote.query("SELECT nope FROM VALUES (1) AS t(a)")
    with pytest.raises(InvalidInput, match="CAST_INVALID_INPUT"):
        remote.query("SELECT CAST(s AS INT) AS n FROM VALUES ('x') AS t(s)")
    with pytest.raises(InvalidInput, match="CAST_INVALID_INPUT"):
        remote.query_batches("SELECT CAST(s AS INT) AS n FROM VALUES ('x') AS t(s)").read_all()


def test_query_batches_equal_query(remote: Warehouse, table: str) -> None:
    remote.write(table, numbered_table(5_000))
    statement = f"SELECT * FROM {table} ORDER BY score DESC"  # a sort: range partitions, sent in order
    reader = remote.query_batches(statement, batch_size=700)
    batches = list(reader)
    assert max(b.num_rows for b in batches) <= 700
    assert pa.Table.from_batches(batches, reader.schema).equals(remote.query(statement))
    empty = remote.query_batches(f"SELECT id, label FROM {table} WHERE id < 0")
    assert empty.schema.names == ["id", "label"]
    assert empty.read_all().num_rows == 0


def test_schemas_are_spark_databases(remote: Warehouse) -> None:
    database = f"stackhub_test_db_{uuid.uuid4().hex[:8]}"
    remote.query(f"CREATE SCHEMA `{database}`")
    try:
        remote.write(f"{database}.orders", numbered_table(5))
        assert f"{database}.orders" in remote.list_tables()
        assert remote.dataset(f"{database}.orders").name == f"{database}.orders"
    finally:
        remote.query(f"DROP SCHEMA `{database}` CASCADE")


def test_components_share_a_session_released_by_the_last(
    remote_config: dict[str, Any], connect_server: SparkConnectServer
) -> None:
    first, second = plugin.create(remote_config), plugin.create(remote_config)
    first.health()
    second.health()
    session = first._spark()  # type: ignore[attr-defined]
    assert second._spark() is session  # type: ignore[attr-defined]
    first.close()
    assert not session.is_stopped
    second.health()
    second.close()
    assert session.is_stopped, "the last component did not release its Connect session"
    assert connect_server.running(), "closing a component stopped the server"
    with plugin.create(remote_config) as again:
        again.health()


def test_connect_does_not_switch_the_process_to_connect_mode(remote: Warehouse, warehouse: Warehouse) -> None:
    remote.health()
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ
    assert _session._classic is not None
    assert warehouse.query("SELECT 1 AS one").to_pylist() == [{"one": 1}], "local Spark broke next to a Connect one"


def test_a_closed_port_is_unavailable_at_once(closed_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught, plugin.create({"remote": f"sc://127.0.0.1:{closed_port}"}) as down:
        down.health()
    assert time.monotonic() - started < 30  # pyspark's own retries last 10 minutes
    assert caught.value.message == (
        f"The Spark Connect server at 127.0.0.1:{closed_port} cannot be reached: Connection refused."
    )
    assert caught.value.fix == "Start it (sbin/start-connect-server.sh) or fix 'remote'."


@pytest.mark.filterwarnings("ignore:.RETRIES_EXCEEDED.:UserWarning")  # pyspark's own note, before our Unavailable
def test_a_server_that_goes_away_is_unavailable_within_the_timeout(
    remote_config: dict[str, Any], connect_server: SparkConnectServer
) -> None:
    # Last in this module: it stops the session's server (a later user of the fixture restarts it).
    with plugin.create({**remote_config, "timeout": 4}) as component:
        assert isinstance(component, Warehouse)
        component.health()
        connect_server.stop()
        started = time.monotonic()
        with pytest.raises(Unavailable):
            component.query("SELECT 1 AS one")
        assert time.monotonic() - started < 30, "pyspark's default retries (10 minutes) were not bounded"
        with pytest.raises(Unavailable):
            component.health()
