"""Run in a fresh Python process by test_lifecycle.py: what only a process without Spark can show (who starts and
stops Spark, an unreachable master, the Hive catalog across processes). Prints one JSON line of observations."""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow as pa
from stackhub import StackhubError, Warehouse
from stackhub_spark import plugin
from stackhub_spark.testing import LEAN_CONF


def _active() -> bool:
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def write(warehouse_dir: str, closed_port: int) -> dict[str, Any]:
    """An unreachable master, then a component that starts Spark (Hive catalog), writes, and stops Spark on close
    while another component that joined it closes first."""
    seen: dict[str, Any] = {}
    # A generous health timeout: this process runs at a low priority, and on a busy machine even the quick
    # refusal can take seconds; the message itself tells the quick refusal from Spark's own retries.
    unreachable = plugin.create({"master": f"spark://127.0.0.1:{closed_port}", "timeout": 120})
    try:
        unreachable.health()
    except StackhubError as exc:
        seen["unreachable"] = [type(exc).__name__, exc.message]
    seen["jvm_after_unreachable"] = _active()
    config = {"warehouse_dir": warehouse_dir, "catalog": "hive", "master": "local[1]", "conf": LEAN_CONF}
    first = plugin.create(config)
    assert isinstance(first, Warehouse)
    first.write("persisted", pa.table({"id": [1, 2, 3], "Label": ["a", "b", "c"]}))
    second = plugin.create(config)
    second.health()
    second.close()
    seen["running_after_joined_close"] = _active()
    seen["listed"] = first.list_tables()
    first.close()
    seen["running_after_starter_close"] = _active()
    return seen


def read(warehouse_dir: str) -> dict[str, Any]:
    """The user's own Spark session: a component uses it, sees the table written by another process, and leaves
    the session running when it closes."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[1]").appName("users-own")
    settings = {
        **LEAN_CONF,
        "spark.sql.warehouse.dir": warehouse_dir,
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={warehouse_dir}-metastore/metastore_db;create=true"
        ),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    seen: dict[str, Any] = {}
    component = plugin.create({"warehouse_dir": warehouse_dir, "catalog": "hive", "conf": LEAN_CONF})
    assert isinstance(component, Warehouse)
    seen["listed"] = component.list_tables()
    seen["rows"] = component.query("SELECT * FROM persisted ORDER BY id").to_pylist()
    component.close()
    seen["running_after_close"] = _active()
    seen["users_session_works"] = spark.sql("SELECT 41 + 1 AS x").collect()[0][0]
    seen["users_case_sensitive"] = spark.conf.get("spark.sql.caseSensitive")  # stackhub's own setting stays its own
    spark.stop()
    return seen


if __name__ == "__main__":
    step, *arguments = sys.argv[1:]
    result = write(arguments[0], int(arguments[1])) if step == "write" else read(arguments[0])
    print("RESULT " + json.dumps(result), flush=True)
