"""Spark-specific behaviour on the session's real local Spark; the spec's contract is covered by the conformance
suite (test_conformance.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from stackhub import ConfigError, Conflict, InvalidInput, NotFound, Unavailable, Warehouse
from stackhub_spark import _arrow, _session, plugin
from stackhub_spark._warehouse import HIDDEN_PREFIX, SparkWarehouse


def _name(label: str) -> str:
    return f"stackhub_test_{label}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def table(warehouse: Warehouse) -> Iterator[str]:
    name = _name("t")
    yield name
    warehouse.drop_table(name, missing_ok=True)


def _hidden_tables(warehouse: Warehouse) -> list[str]:
    assert isinstance(warehouse, SparkWarehouse)
    rows = warehouse._spark().sql("SHOW TABLES").collect()
    return [str(row[1]) for row in rows if str(row[1]).startswith(HIDDEN_PREFIX)]


# -- config ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"master": "local[2]", "remote": "sc://localhost:15002"},
            "set either 'master' (Spark in this process) or 'remote' (Spark Connect), not both",
        ),
        (
            {"remote": "sc://localhost", "warehouse_dir": "/tmp/w"},
            "warehouse_dir belong to the Spark Connect server's own settings, not to remote",
        ),
        ({"remote": "http://localhost:15002"}, "remote: String should match pattern"),
        ({"remote": "sc://localhost:port"}, "remote: Value error, 'sc://localhost:port' has no valid port"),
        ({"conf": {"spark.master": "local[1]"}}, "set 'spark.master' with the config field 'master', not in conf"),
        ({"database": "no such"}, "database: String should match pattern"),
        ({"mastr": "local"}, "mastr: Extra inputs are not permitted"),
    ],
)
def test_invalid_configs_say_what_is_wrong(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plugin.create(config)


def test_a_relative_warehouse_dir_is_fixed_when_the_component_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    component = plugin.create({"warehouse_dir": "data/wh"})
    monkeypatch.chdir("/")
    assert component.config.warehouse_dir == str(tmp_path / "data" / "wh")
    assert plugin.create({}).config.warehouse_dir == str(Path("/.stackhub/spark-warehouse"))


def test_dataset_names_follow_openlineage(tmp_path: Path) -> None:
    local = plugin.create({"warehouse_dir": str(tmp_path / "wh")})
    assert isinstance(local, Warehouse)
    assert local.dataset("orders").namespace == f"spark://local{tmp_path / 'wh'}"
    assert local.dataset("orders").name == "default.orders"
    assert local.dataset("analytics.orders").name == "analytics.orders"
    assert plugin.create({"database": "shop"}).dataset("orders").name == "shop.orders"  # type: ignore[attr-defined]
    cluster = plugin.create({"master": "spark://10.0.0.5:7077"})
    assert cluster.dataset("t").namespace == "spark://10.0.0.5:7077"  # type: ignore[attr-defined]
    remote = plugin.create({"remote": "sc://spark.example:443/;token=secret;use_ssl=true"})
    assert remote.dataset("t").namespace == "sc://spark.example:443"  # type: ignore[attr-defined]


def test_a_machine_without_java_is_told_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(_session.shutil, "which", lambda _name: None)
    with pytest.raises(Unavailable, match="no Java runtime found") as caught:
        _session._check_java()
    assert "apt-get install -y openjdk-17-jre-headless" in str(caught.value.fix)


def test_three_part_names_are_invalid_input(warehouse: Warehouse) -> None:
    with pytest.raises(InvalidInput, match="names a catalog; the Spark warehouse uses the session catalog only"):
        warehouse.describe_table("spark_catalog.default.t")


# -- one Spark per process ------------------------------------------------------------------------------------


def test_components_join_the_running_spark_and_only_its_starter_stops_it(
    spark_owner: Warehouse, spark_config: dict[str, Any]
) -> None:
    state = _session._classic
    assert state is not None
    assert state.started, "the session's first component started Spark"
    users = state.users
    with plugin.create(spark_config) as other:
        other.health()
        assert state.users == users + 1
        assert other._spark() is spark_owner._spark()  # type: ignore[attr-defined]  # same settings, same session
    assert state.users == users
    spark_owner.health()  # closing the other component left Spark running
    assert _session._classic is state


def test_a_config_that_does_not_describe_the_running_spark_is_a_config_error(spark_config: dict[str, Any]) -> None:
    config = {**spark_config, "master": "spark://127.0.0.1:7077", "conf": {"spark.driver.memory": "3g"}}
    with pytest.raises(ConfigError) as caught:
        plugin.create(config).health()
    assert "Spark already runs in this process, and not as the config describes" in caught.value.message
    assert "master is 'local[2]', the config asks for 'spark://127.0.0.1:7077'" in caught.value.message
    assert "spark.driver.memory is '1g' (fixed when Spark started), the config asks for '3g'" in caught.value.message


def test_another_database_gets_its_own_session(warehouse: Warehouse, spark_config: dict[str, Any]) -> None:
    database = _name("db")
    with plugin.create({**spark_config, "database": database}) as other:
        assert isinstance(other, Warehouse)
        other.write("numbers", pa.table({"n": [1, 2, 3]}))
        try:
            assert "numbers" in other.list_tables()
            assert f"{database}.numbers" in warehouse.list_tables()
            assert other.dataset("numbers").name == f"{database}.numbers"
            got = warehouse.query(f"SELECT SUM(n) AS s FROM `{database}`.numbers")
            assert got.column("s").to_pylist() == [6]
        finally:
            warehouse.query(f"DROP DATABASE `{database}` CASCADE")


# -- types ----------------------------------------------------------------------------------------------------


def test_timestamps_with_time_zones_come_back_in_utc(warehouse: Warehouse, table: str) -> None:
    result = warehouse.query("SELECT TIMESTAMP '2024-03-01 12:00:00+02:00' AS ts")
    assert str(result.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert result.column("ts")[0].as_py() == datetime(2024, 3, 1, 10, tzinfo=UTC)
    paris = pa.array([datetime(2024, 7, 1, 12, tzinfo=UTC)], pa.timestamp("us", "Europe/Paris"))
    warehouse.write(table, pa.table({"at": paris}))
    back = warehouse.query(f"SELECT at, CAST(at AS STRING) AS text FROM {table}")
    assert back.column("at").type == pa.timestamp("us", "UTC")
    assert back.column("at")[0].as_py() == datetime(2024, 7, 1, 12, tzinfo=UTC)
    assert back.column("text").to_pylist() == ["2024-07-01 12:00:00"]  # the session time zone is UTC


def test_types_spark_lacks_are_widened_without_loss(warehouse: Warehouse, table: str) -> None:
    data = pa.table(
        {
            "u8": pa.array([0, 255], pa.uint8()),
            "u16": pa.array([0, 65_535], pa.uint16()),
            "u32": pa.array([0, 2**32 - 1], pa.uint32()),
            "u64": pa.array([0, 2**64 - 1], pa.uint64()),
            "half": pa.array([1.5, -2.0], pa.float16()),
            "category": pa.array(["a", "b"]).dictionary_encode(),
            "long_text": pa.array(["x", "y"], pa.large_string()),
            "ms": pa.array([0, 1_500], pa.timestamp("ms")),
            "ns": pa.array([0, 2_000], pa.timestamp("ns", "UTC")),
        }
    )
    warehouse.write(table, data)
    got = warehouse.query(f"SELECT * FROM {table} ORDER BY u8")
    assert [str(f.type) for f in got.schema] == [
        "int16",
        "int32",
        "int64",
        "decimal128(20, 0)",
        "float",
        "string",
        "string",
        "timestamp[us]",
        "timestamp[us, tz=UTC]",
    ]
    assert got.column("u64").to_pylist()[1] == 2**64 - 1
    assert got.column("half").to_pylist() == [1.5, -2.0]
    assert got.column("category").to_pylist() == ["a", "b"]
    assert got.column("ms").cast(pa.timestamp("ms")).equals(data.column("ms"))
    assert got.column("ns").cast(pa.timestamp("ns", "UTC")).equals(data.column("ns"))


@pytest.mark.parametrize("rows", [3, 0], ids=["rows", "no_rows"])
def test_nested_types_round_trip(warehouse: Warehouse, table: str, rows: int) -> None:
    data = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
            "point": pa.array(
                [{"x": 1.0, "y": None}, None, {"x": 3.0, "y": 4.0}], pa.struct([("x", "f8"), ("y", "f8")])
            ),
            "scores": pa.array([[("a", 1)], None, []], pa.map_(pa.string(), pa.int64())),
            "at": pa.array([datetime(2024, 1, 1, tzinfo=UTC)] * 3, pa.timestamp("us", "UTC")),
        }
    ).slice(0, rows)
    warehouse.write(table, data)
    got = warehouse.query(f"SELECT * FROM {table} ORDER BY id")
    assert got.schema.names == data.schema.names
    assert got.cast(data.schema).equals(data)


def test_values_spark_cannot_hold_are_invalid_input_and_write_nothing(warehouse: Warehouse, table: str) -> None:
    nanos = pa.table({"at": pa.array([1], pa.timestamp("ns"))})  # 1 ns is no whole microsecond
    with pytest.raises(InvalidInput, match="the data cannot be stored as Spark types"):
        warehouse.write(table, nanos)
    interval = pa.table({"gap": pa.array([(1, 2, 3)], pa.month_day_nano_interval())})
    with pytest.raises(InvalidInput, match="Column 'gap' has Arrow type month_day_nano_interval, which Spark cannot"):
        warehouse.write(table, interval)
    assert table not in warehouse.list_tables()
    assert not _hidden_tables(warehouse)


# -- errors ---------------------------------------------------------------------------------------------------


def test_errors_while_the_query_runs_are_invalid_input(warehouse: Warehouse) -> None:
    statement = "SELECT CAST(label AS INT) AS n FROM VALUES ('1'), ('x') AS t(label)"
    with pytest.raises(InvalidInput, match=r"CAST_INVALID_INPUT"):
        warehouse.query(statement)
    reader = warehouse.query_batches(statement)  # the job runs when the reader is read
    with pytest.raises(InvalidInput, match=r"CAST_INVALID_INPUT"):
        reader.read_all()


def test_errors_name_spark_condition_and_the_fix(warehouse: Warehouse) -> None:
    with pytest.raises(NotFound) as missing:
        warehouse.query("SELECT * FROM no_such_table_here")
    assert missing.value.message.startswith("Query failed: [TABLE_OR_VIEW_NOT_FOUND] The table or view")
    assert missing.value.fix == "Check the name with list_tables()."
    with pytest.raises(InvalidInput, match=r"UNRESOLVED_COLUMN"):
        warehouse.query("SELECT no_such_column FROM VALUES (1) AS t(a)")
    with pytest.raises(InvalidInput, match=r"PARSE_SYNTAX_ERROR"):
        warehouse.query("SELECT 1 FROM VALUES (1) AS t(a) GROUP BY ALL ALL")  # sqlglot lets it pass, Spark does not


def test_a_folder_left_by_an_earlier_spark_conflicts_with_create_and_is_replaced_by_overwrite(
    warehouse: Warehouse, spark_config: dict[str, Any], table: str
) -> None:
    # An earlier process with the in-memory catalog wrote this table: its files are there, the catalog forgot it.
    root = Path(spark_config["warehouse_dir"])
    orphan = root / table
    orphan.mkdir(parents=True)
    (orphan / "part-0.parquet").write_bytes(b"left by another process")
    with pytest.raises(Conflict, match="LOCATION_ALREADY_EXISTS") as caught:
        warehouse.write(table, pa.table({"a": [1]}))
    assert "delete that folder, or set catalog: hive" in str(caught.value.fix)
    assert (orphan / "part-0.parquet").read_bytes() == b"left by another process"
    assert table not in warehouse.list_tables()
    assert not _hidden_tables(warehouse)

    warehouse.write(table, pa.table({"a": [1, 2]}), mode="overwrite")
    assert warehouse.query(f"SELECT a FROM {table} ORDER BY a").column("a").to_pylist() == [1, 2]
    assert not (orphan / "part-0.parquet").exists()
    assert not [p.name for p in root.iterdir() if p.name.startswith(HIDDEN_PREFIX)], "a set-aside folder remains"


# -- writes ---------------------------------------------------------------------------------------------------


class _Failed(Exception):
    pass


def _failing(data: pa.Table, after_rows: int) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        yield from data.slice(0, after_rows).to_batches(max_chunksize=100)
        raise _Failed("the source failed on purpose")

    return pa.RecordBatchReader.from_batches(data.schema, batches())


@pytest.mark.parametrize("mode", ["create", "append", "overwrite"])
def test_a_write_that_fails_after_chunks_were_staged_changes_nothing(
    warehouse: Warehouse, table: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of one batch: the first ones are staged in Spark before the source fails.
    monkeypatch.setattr(_arrow, "CHUNK_BYTES", 1)
    data = pa.table({"id": pa.arange(0, 1_000), "v": pa.arange(1_000, 2_000)})
    if mode != "create":
        warehouse.write(table, data.slice(0, 10))
    source = data if mode != "overwrite" else data.rename_columns(["id", "w"])
    with pytest.raises(_Failed):
        warehouse.write(table, _failing(source, 300), mode=mode)  # type: ignore[arg-type]
    if mode == "create":
        assert table not in warehouse.list_tables()
    else:
        assert warehouse.describe_table(table).names == ["id", "v"]
        assert warehouse.query(f"SELECT * FROM {table} ORDER BY id").equals(data.slice(0, 10))
    assert not _hidden_tables(warehouse), "the staging table was left behind"


def test_a_write_in_many_chunks_stores_them_all(
    warehouse: Warehouse, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_arrow, "CHUNK_BYTES", 1)
    data = pa.table({"id": pa.arange(0, 500)})
    reader = pa.RecordBatchReader.from_batches(data.schema, data.to_batches(max_chunksize=100))
    assert warehouse.write(table, reader).rows_written == 500
    assert warehouse.write(table, data.slice(0, 250), mode="append").rows_written == 250
    assert warehouse.query(f"SELECT COUNT(*) AS n, SUM(id) AS s FROM {table}").to_pylist() == [
        {"n": 750, "s": sum(range(500)) + sum(range(250))}
    ]


def test_overwrite_may_read_the_table_it_replaces(warehouse: Warehouse, table: str) -> None:
    warehouse.write(table, pa.table({"id": pa.arange(0, 100)}))
    doubled = warehouse.query_batches(f"SELECT id * 2 AS id FROM {table}", batch_size=10)
    warehouse.write(table, doubled, mode="overwrite")
    assert warehouse.query(f"SELECT SUM(id) AS s FROM {table}").column("s").to_pylist() == [2 * sum(range(100))]


def test_concurrent_queries_from_threads(warehouse: Warehouse, table: str) -> None:
    warehouse.write(table, pa.table({"n": pa.arange(0, 1000)}))
    results: list[int] = []

    def worker() -> None:
        results.append(warehouse.query(f"SELECT SUM(n) AS s FROM {table}").column("s")[0].as_py())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [499500] * 4


def test_query_batches_streams_partition_by_partition(warehouse: Warehouse, table: str) -> None:
    warehouse.write(table, pa.table({"id": pa.arange(0, 10_000)}))
    statement = f"SELECT id FROM {table} ORDER BY id DESC"  # a sort: several range partitions, in order
    reader = warehouse.query_batches(statement, batch_size=777)
    batches = list(reader)
    assert max(b.num_rows for b in batches) <= 777
    assert pa.Table.from_batches(batches, reader.schema).column("id").to_pylist() == list(range(9_999, -1, -1))


def test_query_batches_rejects_a_zero_batch_size(warehouse: Warehouse) -> None:
    with pytest.raises(InvalidInput, match="batch_size must be a whole number of at least 1, got 0."):
        warehouse.query_batches("SELECT 1", batch_size=0)


def test_write_rejects_non_arrow_data(warehouse: Warehouse) -> None:
    with pytest.raises(InvalidInput, match=r"write\(\) takes a pyarrow Table or RecordBatchReader, not dict."):
        warehouse.write("t", {"a": [1]})  # type: ignore[arg-type]
