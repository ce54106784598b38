"""DuckDB-specific behaviour; the spec's contract is covered by the conformance suite (test_conformance.py)."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest
from stackhub import ConfigError, InvalidInput, Unavailable
from stackhub_duckdb import plugin


@pytest.fixture
def warehouse(tmp_path):
    component = plugin.create({"path": str(tmp_path / "db" / "w.duckdb"), "threads": 1})
    yield component
    component.close()


def test_creates_the_database_folder(tmp_path, warehouse):
    warehouse.health()
    assert (tmp_path / "db" / "w.duckdb").exists()


def test_read_only_needs_an_existing_file(tmp_path):
    component = plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True})
    with pytest.raises(Unavailable, match="DuckDB file '.*missing.duckdb' does not exist."):
        component.health()


def test_file_held_by_another_writer_is_unavailable(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(Unavailable, match="Cannot open DuckDB database"):
            plugin.create({"path": str(path)}).health()
    finally:
        holder.kill()
        holder.wait()


def test_unknown_config_field_is_a_config_error():
    with pytest.raises(ConfigError, match="Invalid config for plugin 'duckdb': paht: Extra inputs are not permitted"):
        plugin.create({"paht": "x.duckdb"})


def test_dataset_names_follow_openlineage(tmp_path, warehouse):
    dataset = warehouse.dataset("analytics.orders")
    assert dataset.namespace == f"duckdb://{tmp_path / 'db' / 'w.duckdb'}"
    assert dataset.name == "w.analytics.orders"
    assert warehouse.dataset("orders").name == "w.main.orders"
    assert plugin.create({}).dataset("t").namespace == "duckdb://memory"


def test_tz_aware_timestamps_come_back_in_utc(warehouse):
    result = warehouse.query("SELECT TIMESTAMPTZ '2024-03-01 12:00:00+02:00' AS ts")
    assert str(result.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert result.column("ts")[0].as_py().hour == 10


def test_concurrent_queries_from_threads(warehouse):
    warehouse.write("numbers", pa.table({"n": list(range(1000))}))
    results: list[int] = []

    def worker() -> None:
        results.append(warehouse.query("SELECT sum(n) AS s FROM numbers").column("s")[0].as_py())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [499500] * 8


def test_query_batches_rejects_a_zero_batch_size(warehouse):
    with pytest.raises(InvalidInput, match="batch_size must be at least 1, got 0."):
        warehouse.query_batches("SELECT 1", batch_size=0)


def test_write_rejects_non_arrow_data(warehouse):
    with pytest.raises(InvalidInput, match="write\\(\\) takes a pyarrow Table or RecordBatchReader, not dict."):
        warehouse.write("t", {"a": [1]})  # type: ignore[arg-type]
