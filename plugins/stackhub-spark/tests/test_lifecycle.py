"""Who starts and stops Spark, shown in fresh processes (run by conftest.LifecycleRuns, see spark_process.py): a
component starts Spark only when none runs and stops only the Spark it started; an unreachable master is
Unavailable before any JVM starts; with the Hive catalog, tables outlive the process that wrote them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import LifecycleRuns


def test_spark_is_started_and_stopped_by_the_component_that_started_it(lifecycle: LifecycleRuns) -> None:
    written = lifecycle.results["write"]
    assert written["listed"] == ["persisted"]
    assert written["running_after_joined_close"] is True, "a component that joined Spark stopped it"
    assert written["running_after_starter_close"] is False, "the component that started Spark left it running"


def test_an_unreachable_master_is_unavailable_before_any_jvm_starts(lifecycle: LifecycleRuns) -> None:
    kind, message = lifecycle.results["write"]["unreachable"]
    assert kind == "Unavailable"
    # Refused by stackhub's own connection check, before Spark and its retries (3 x 20 s) ever start.
    assert message == f"The Spark master at 127.0.0.1:{lifecycle.closed_port} cannot be reached: Connection refused."
    assert lifecycle.results["write"]["jvm_after_unreachable"] is False


def test_the_users_own_spark_is_used_and_left_running(lifecycle: LifecycleRuns) -> None:
    read = lifecycle.results["read"]
    assert read["running_after_close"] is True, "a component stopped the user's own Spark session"
    assert read["users_session_works"] == 42
    assert read["users_case_sensitive"] == "false", "stackhub's settings leaked into the user's session"


def test_the_hive_catalog_keeps_tables_across_processes(lifecycle: LifecycleRuns) -> None:
    read = lifecycle.results["read"]
    assert read["listed"] == ["persisted"]
    assert read["rows"] == [{"id": 1, "Label": "a"}, {"id": 2, "Label": "b"}, {"id": 3, "Label": "c"}]
    metastore = Path(lifecycle.warehouse + "-metastore")
    assert (metastore / "metastore_db").is_dir()
    assert (metastore / "derby.log").exists(), "Derby's log went elsewhere than the metastore folder"
