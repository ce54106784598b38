"""PostgreSQL-specific behaviour; the spec's contract is covered by the conformance suite (test_conformance.py)."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from stackhub import AlreadyExists, ConfigError, Conflict, InvalidInput, NotFound, Unavailable
from stackhub_postgres import plugin
from stackhub_postgres._warehouse import PostgresWarehouse
from stackhub_postgres.testing import PostgresServer


@pytest.fixture
def schema(warehouse: PostgresWarehouse) -> Iterator[str]:
    name = f"sh_{time.monotonic_ns()}"
    warehouse.query(f'CREATE SCHEMA "{name}"')
    yield name
    warehouse.query(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def table(warehouse: PostgresWarehouse) -> Iterator[str]:
    name = f"t_{time.monotonic_ns()}"
    yield name
    warehouse.drop_table(name, missing_ok=True)


# -- config ---------------------------------------------------------------------------------------------


def test_unknown_config_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Invalid config for plugin 'postgres': hots: Extra inputs are not permitted"):
        plugin.create({"hots": "db.example"})


def test_connect_timeout_below_libpqs_minimum_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="connect_timeout: Input should be greater than or equal to 2"):
        plugin.create({"connect_timeout": 1})


def test_schema_is_the_stack_file_key() -> None:
    component = plugin.create({"schema": "analytics"})
    assert component.config.db_schema == "analytics"
    with pytest.raises(ConfigError, match="schema: String should match pattern"):
        plugin.create({"schema": "a.b"})


# -- names ----------------------------------------------------------------------------------------------


def test_dataset_names_follow_openlineage(pg_config: dict[str, object]) -> None:
    component = plugin.create(pg_config | {"schema": "analytics"})
    port = pg_config["port"]
    assert component.dataset("orders").namespace == f"postgres://127.0.0.1:{port}"
    assert component.dataset("orders").name == "postgres.analytics.orders"
    assert component.dataset("sales.orders").name == "postgres.sales.orders"
    assert component.dataset("postgres.sales.orders").name == "postgres.sales.orders"
    with pytest.raises(InvalidInput, match="names database 'other', but the component is connected to 'postgres'"):
        component.dataset("other.sales.orders")


def test_the_configured_schema_holds_unqualified_tables(
    server: PostgresServer, pg_config: dict[str, object], warehouse: PostgresWarehouse, schema: str
) -> None:
    with plugin.create(pg_config | {"schema": schema}) as scoped:
        scoped.write("events", pa.table({"id": [1, 2]}))
        # Unqualified names in SQL resolve in the configured schema only (search_path).
        assert scoped.query("SELECT count(*) AS n FROM events").column("n").to_pylist() == [2]
        assert "events" in scoped.list_tables()
        assert f"{schema}.events" in warehouse.list_tables()
        assert "events" not in warehouse.list_tables()
        assert server.psql(f'SELECT count(*) FROM "{schema}".events').strip() == "2"


def test_list_tables_includes_views_and_qualifies_other_schemas(
    warehouse: PostgresWarehouse, schema: str, table: str
) -> None:
    warehouse.write(f"{schema}.b", pa.table({"x": [1]}))
    warehouse.query(f'CREATE VIEW "{schema}"."a_view" AS SELECT * FROM "{schema}"."b"')
    warehouse.write(table, pa.table({"x": [1]}))
    listed = warehouse.list_tables()
    assert {f"{schema}.a_view", f"{schema}.b", table} <= set(listed)
    assert listed == sorted(listed)
    assert not [name for name in listed if name.startswith(("pg_", "information_schema"))]


# -- types ----------------------------------------------------------------------------------------------


def test_tz_aware_timestamps_come_back_in_utc(warehouse: PostgresWarehouse, table: str) -> None:
    result = warehouse.query("SELECT TIMESTAMPTZ '2024-03-01 12:00:00+02:00' AS ts, now()::text AS now_text")
    assert str(result.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert result.column("ts")[0].as_py().hour == 10
    assert result.column("now_text")[0].as_py().endswith("+00")  # the session's TimeZone is UTC
    paris = pa.array([datetime(2024, 6, 1, 12, tzinfo=UTC)], pa.timestamp("ms", tz="Europe/Paris"))
    warehouse.write(table, pa.table({"at": paris}))
    back = warehouse.query(f'SELECT "at", "at"::text AS t FROM "{table}"')
    assert back.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert back.column("at")[0].as_py() == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert back.column("t")[0].as_py() == "2024-06-01 12:00:00+00"


def test_numeric_columns_come_back_as_decimals(warehouse: PostgresWarehouse) -> None:
    result = warehouse.query(
        "SELECT 12.34::numeric(10, 2) AS money, 1.5::numeric(50, 3) AS wide, 5::numeric AS free, "
        "'NaN'::numeric AS not_a_number"
    )
    assert result.schema.field("money").type == pa.decimal128(10, 2)
    assert result.column("money")[0].as_py() == Decimal("12.34")
    assert result.schema.field("wide").type == pa.decimal256(50, 3)
    # An unconstrained NUMERIC (what sum() and avg() return) has no Arrow decimal type: float64.
    assert result.schema.field("free").type == pa.float64()
    assert result.column("free")[0].as_py() == 5.0
    assert str(result.column("not_a_number")[0].as_py()) == "nan"


def test_nan_in_a_constrained_numeric_is_invalid_input(warehouse: PostgresWarehouse) -> None:
    with pytest.raises(InvalidInput, match="holds a value no decimal128\\(10, 2\\) holds.*cast it to float8"):
        warehouse.query("SELECT 'NaN'::numeric(10, 2) AS n")


def test_types_postgres_lacks_are_widened_losslessly(warehouse: PostgresWarehouse, table: str) -> None:
    data = pa.table(
        {
            "u8": pa.array([255, 0], pa.uint8()),
            "u16": pa.array([65_535, 0], pa.uint16()),
            "u32": pa.array([2**32 - 1, 0], pa.uint32()),
            "u64": pa.array([2**64 - 1, 0], pa.uint64()),
            "half": pa.array([1.5, None], pa.float16()),
            "category": pa.array(["a", "b"]).dictionary_encode(),
            "nanos": pa.array([1_000, 2_000], pa.timestamp("ns")),
            "big_text": pa.array(["x", "y"], pa.large_string()),
        }
    )
    warehouse.write(table, data)
    back = warehouse.query(f'SELECT * FROM "{table}"')
    assert [str(t) for t in back.schema.types] == [
        "int16", "int32", "int64", "decimal128(20, 0)", "float", "string", "timestamp[us]", "string",
    ]  # fmt: skip
    assert back.column("u64").to_pylist() == [Decimal(2**64 - 1), Decimal(0)]
    assert back.column("category").to_pylist() == ["a", "b"]
    assert back.column("nanos").cast(pa.int64()).to_pylist() == [1, 2]


def test_nanoseconds_postgres_cannot_keep_are_refused(warehouse: PostgresWarehouse, table: str) -> None:
    with pytest.raises(InvalidInput, match="does not fit the table's columns"):
        warehouse.write(table, pa.table({"at": pa.array([1_500], pa.timestamp("ns"))}))
    assert table not in warehouse.list_tables()


def test_append_matches_columns_by_name_and_casts_to_the_tables_types(warehouse: PostgresWarehouse, table: str) -> None:
    warehouse.write(table, pa.table({"id": pa.array([1], pa.int64()), "amount": pa.array([Decimal("1.50")])}))
    later = pa.table({"amount": pa.array([2.25]), "id": pa.array([2], pa.int32())})  # other order and types
    assert warehouse.write(table, later, mode="append").rows_written == 1
    back = warehouse.query(f'SELECT * FROM "{table}" ORDER BY id')
    assert back.column_names == ["id", "amount"]
    assert back.column("amount").to_pylist() == [Decimal("1.50"), Decimal("2.25")]


def test_an_append_that_overflows_a_column_changes_nothing(warehouse: PostgresWarehouse, table: str) -> None:
    warehouse.write(table, pa.table({"small": pa.array([1], pa.int16())}))
    with pytest.raises(InvalidInput, match="does not fit the table's columns"):
        warehouse.write(table, pa.table({"small": pa.array([70_000], pa.int64())}), mode="append")
    assert warehouse.query(f'SELECT * FROM "{table}"').column("small").to_pylist() == [1]


# -- statements -----------------------------------------------------------------------------------------


def test_statements_that_copy_cannot_stream(warehouse: PostgresWarehouse, table: str) -> None:
    assert warehouse.query("SHOW TimeZone").column(0).to_pylist() == ["UTC"]
    warehouse.query(f'CREATE TABLE "{table}" (id int)')
    inserted = warehouse.query(f'INSERT INTO "{table}" VALUES (1), (2) RETURNING id')
    assert inserted.column("id").to_pylist() == [1, 2]
    assert warehouse.query(f'SELECT count(*) AS n FROM "{table}";').column("n").to_pylist() == [2]
    assert warehouse.query("SELECT 1 AS one -- a trailing comment").column("one").to_pylist() == [1]


def test_query_transpiles_from_duckdb(warehouse: PostgresWarehouse) -> None:
    result = warehouse.query("SELECT list_value(1, 2) AS xs, 7 // 2 AS half", dialect="duckdb")
    assert result.column("xs").to_pylist() == [[1, 2]]
    assert result.column("half").to_pylist() == [3]


def test_query_batches_rejects_a_zero_batch_size(warehouse: PostgresWarehouse) -> None:
    with pytest.raises(InvalidInput, match="batch_size must be at least 1, got 0."):
        warehouse.query_batches("SELECT 1", batch_size=0)


def test_an_abandoned_reader_stops_its_query(server: PostgresServer, warehouse: PostgresWarehouse) -> None:
    reader = warehouse.query_batches("SELECT x FROM generate_series(1, 50000000) AS x", batch_size=1_000)
    assert reader.read_next_batch().num_rows == 1_000
    reader.close()
    del reader  # what ends the stream: the reader's batch generator is closed when the reader goes away
    gc.collect()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        running = server.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series(1, 5000%'")
        if running.strip() == "1":  # only psql's own query matches
            break
        time.sleep(0.1)
    else:
        pytest.fail("The query of an abandoned reader still runs on the server.")
    assert warehouse.query("SELECT 2 AS two").column("two").to_pylist() == [2]


def test_a_reader_dropped_unread_lets_go_of_its_connection(
    server: PostgresServer, warehouse: PostgresWarehouse
) -> None:
    def connections() -> int:
        return int(server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stackhub'"))

    warehouse.query("SELECT 1")  # one pooled connection, which the reader borrows
    before = connections()
    reader = warehouse.query_batches("SELECT x FROM generate_series(1, 1000000) AS x")
    assert connections() == before
    del reader
    gc.collect()
    deadline = time.monotonic() + 10
    while connections() != before - 1:
        assert time.monotonic() < deadline, "A reader dropped before its first batch kept its connection open."
        time.sleep(0.1)
    assert warehouse.query("SELECT 4 AS four").column("four").to_pylist() == [4]


def test_an_error_half_way_through_a_stream_is_mapped(warehouse: PostgresWarehouse) -> None:
    reader = warehouse.query_batches("SELECT 1 / (x - 150000) AS v FROM generate_series(1, 200000) AS x", batch_size=10)
    with pytest.raises(InvalidInput, match="division by zero"):
        for _ in reader:
            pass
    assert warehouse.query("SELECT 3 AS three").column("three").to_pylist() == [3]


def test_concurrent_queries_from_threads(warehouse: PostgresWarehouse, table: str) -> None:
    warehouse.write(table, pa.table({"n": list(range(1000))}))
    results: list[int] = []

    def worker() -> None:
        results.append(warehouse.query(f'SELECT sum(n)::bigint AS s FROM "{table}"').column("s")[0].as_py())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [499500] * 8


# -- errors ---------------------------------------------------------------------------------------------


def test_server_errors_are_mapped_by_sqlstate(warehouse: PostgresWarehouse, table: str, schema: str) -> None:
    with pytest.raises(NotFound, match=r'relation "no_such_table" does not exist \(SQLSTATE 42P01\)'):
        warehouse.query("SELECT * FROM no_such_table")
    with pytest.raises(InvalidInput, match="SQLSTATE 22012"):
        warehouse.query("SELECT 1 / 0 AS x")
    warehouse.write(table, pa.table({"id": [1]}))
    with pytest.raises(InvalidInput, match=r'column "nope" does not exist \(SQLSTATE 42703\)'):
        warehouse.query(f'SELECT nope FROM "{table}"')
    with pytest.raises(AlreadyExists, match="exists already"):
        warehouse.write(table, pa.table({"id": [2]}))
    with pytest.raises(NotFound, match='schema "no_such_schema" does not exist'):
        warehouse.write("no_such_schema.t", pa.table({"id": [1]}))
    warehouse.query(f'CREATE VIEW "{schema}".v AS SELECT * FROM "{table}"')
    with pytest.raises(Conflict, match="SQLSTATE 2BP01"):
        warehouse.drop_table(table)
    with pytest.raises(Conflict, match="SQLSTATE 2BP01"):
        warehouse.write(table, pa.table({"id": [3]}), mode="overwrite")
    assert warehouse.query(f'SELECT id FROM "{table}"').column("id").to_pylist() == [1]


def test_statement_timeout_is_unavailable(pg_config: dict[str, object]) -> None:
    with plugin.create(pg_config | {"statement_timeout": 0.2}) as component:
        with pytest.raises(Unavailable, match="canceling statement due to statement timeout"):
            component.query("SELECT pg_sleep(5)")
        assert component.query("SELECT 1 AS ok").column("ok").to_pylist() == [1]


def test_an_unknown_database_is_a_config_error(pg_config: dict[str, object]) -> None:
    with (
        plugin.create(pg_config | {"database": "no_such_db"}) as component,
        pytest.raises(ConfigError, match='database "no_such_db" does not exist'),
    ):
        component.health()


def test_write_rejects_non_arrow_data(warehouse: PostgresWarehouse) -> None:
    with pytest.raises(InvalidInput, match="write\\(\\) takes a pyarrow Table or RecordBatchReader, not dict."):
        warehouse.write("t", {"a": [1]})  # type: ignore[arg-type]


def test_write_rejects_duplicate_column_names(warehouse: PostgresWarehouse, table: str) -> None:
    data = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    with pytest.raises(InvalidInput, match="duplicate column names \\['a'\\]"):
        warehouse.write(table, data)


def test_a_failing_data_source_is_named_and_changes_nothing(warehouse: PostgresWarehouse, table: str) -> None:
    schema = pa.schema({"id": pa.int64()})

    def batches() -> Iterator[pa.RecordBatch]:
        yield pa.record_batch({"id": [1, 2]}, schema=schema)
        raise ValueError("the upstream file is truncated")

    with pytest.raises(
        InvalidInput, match="reading the data failed after 1 batch\\(es\\): ValueError: the upstream file is truncated"
    ) as raised:
        warehouse.write(table, pa.RecordBatchReader.from_batches(schema, batches()))
    assert isinstance(raised.value.__cause__, ValueError)
    assert table not in warehouse.list_tables()


def test_overwrite_leaves_no_staging_table(warehouse: PostgresWarehouse, table: str) -> None:
    warehouse.write(table, pa.table({"a": [1]}))
    warehouse.write(table, pa.table({"b": ["x", "y"]}), mode="overwrite")
    assert not [name for name in warehouse.list_tables() if "__stackhub" in name]
    assert warehouse.query(f'SELECT * FROM "{table}"').column_names == ["b"]


def test_a_large_streamed_write(warehouse: PostgresWarehouse, table: str) -> None:
    batches = (pa.record_batch({"id": pa.arange(i * 100_000, (i + 1) * 100_000)}) for i in range(10))
    reader = pa.RecordBatchReader.from_batches(pa.schema({"id": pa.int64()}), batches)
    assert warehouse.write(table, reader).rows_written == 1_000_000
    total = warehouse.query(f'SELECT count(*) AS n, sum(id)::bigint AS s FROM "{table}"')
    assert total.to_pylist() == [{"n": 1_000_000, "s": 499_999_500_000}]
