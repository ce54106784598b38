"""Fixtures: one real local Spark per test session (started by the first component, stopped when it closes), a
real Spark Connect server on 127.0.0.1, and the fresh-process lifecycle runs.

Starting a JVM takes 10 to 20 s on 2 cores, so the Connect server and the lifecycle processes are launched in the
background when the session starts (only when a selected test needs them) and awaited by the tests that use them,
while the local Spark tests run. They run at a lower CPU priority (``BACKGROUND_NICENESS``), so that they use the
cores the local tests leave idle and do not skew the conformance suite's timing-based streaming check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stackhub import Warehouse
from stackhub_spark import plugin
from stackhub_spark.testing import LEAN_CONF, SparkConnectServer, free_port, java_problem

LIFECYCLE_SCRIPT = Path(__file__).with_name("spark_process.py")
BACKGROUND_NICENESS = 15
NICE = ["nice", "-n", str(BACKGROUND_NICENESS)] if shutil.which("nice") else []


class LifecycleRuns:
    """spark_process.py run in fresh processes, one after the other, in a background thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warehouse = str(root / "warehouse")
        self.closed_port = free_port()
        self.results: dict[str, dict[str, Any]] = {}
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._run_all, name="spark-lifecycle", daemon=True)

    def launch(self) -> None:
        self._thread.start()

    def _run_all(self) -> None:
        for step, arguments in (("write", [self.warehouse, str(self.closed_port)]), ("read", [self.warehouse])):
            done = subprocess.run(
                [*NICE, sys.executable, str(LIFECYCLE_SCRIPT), step, *arguments],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
                cwd=self.root,  # Derby's log of the user's own session lands here, not in the repository
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode != 0 or not lines:
                self.failure = f"spark_process.py {step} exited with {done.returncode}:\n{done.stderr[-4000:]}"
                return
            self.results[step] = json.loads(lines[-1].removeprefix("RESULT "))

    def wait(self) -> dict[str, dict[str, Any]]:
        self._thread.join(900)
        if self.failure or self._thread.is_alive():
            pytest.fail(self.failure or "the lifecycle processes did not finish within 900 s", pytrace=False)
        return self.results


@dataclass
class Background:
    server: SparkConnectServer | None = None
    lifecycle: LifecycleRuns | None = None
    problems: list[str] = field(default_factory=list)


def _selected(session: pytest.Session, module: str) -> bool:
    return any(Path(str(item.path)).name == module for item in session.items)


@pytest.fixture(scope="session")
def java() -> None:
    problem = java_problem()
    if problem:  # a missing Java is a failure, never a skip: these tests exist to prove the plugin on real Spark
        pytest.fail(f"these tests run real Spark, but {problem}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def background(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    started = Background()
    if java_problem() is None:  # otherwise the tests that need Java fail through the java fixture
        if _selected(request.session, "test_connect.py"):
            started.server = SparkConnectServer(tmp_path_factory.mktemp("spark-connect"), niceness=BACKGROUND_NICENESS)
            started.server.launch()
        if _selected(request.session, "test_lifecycle.py"):
            started.lifecycle = LifecycleRuns(tmp_path_factory.mktemp("spark-lifecycle"))
            started.lifecycle.launch()
    try:
        yield started
    finally:
        if started.server is not None:
            started.server.stop()


@pytest.fixture(scope="session")
def spark_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The config of every local component of the session: the same Spark, so they all share it."""
    root = tmp_path_factory.mktemp("spark")
    return {"master": "local[2]", "warehouse_dir": str(root / "warehouse"), "conf": dict(LEAN_CONF), "timeout": 300}


@pytest.fixture(scope="session")
def spark_owner(java: None, spark_config: dict[str, Any]) -> Iterator[Warehouse]:
    """The component that starts Spark (its first health check) and stops it at the end of the session; every
    other component built from ``spark_config`` meanwhile joins the running Spark and leaves it running."""
    component = plugin.create(spark_config)
    assert isinstance(component, Warehouse)
    component.health()
    try:
        yield component
    finally:
        component.close()


@pytest.fixture
def warehouse(spark_owner: Warehouse, spark_config: dict[str, Any]) -> Iterator[Warehouse]:
    component = plugin.create(spark_config)
    assert isinstance(component, Warehouse)
    with component:
        yield component


@pytest.fixture
def closed_port() -> int:
    """Nothing listens on a port that was free a moment ago: every connection is refused at once."""
    return free_port()


@pytest.fixture(scope="session")
def connect_server(java: None, background: Background) -> SparkConnectServer:
    if background.server is None:
        pytest.fail("the Spark Connect server was not launched: its tests were not selected at start", pytrace=False)
    background.server.wait()
    return background.server


@pytest.fixture
def remote_config(connect_server: SparkConnectServer) -> dict[str, Any]:
    if not connect_server.running():  # a test that stopped the server must not fail every later test
        connect_server.start()
    return {"remote": connect_server.url, "timeout": 120}


@pytest.fixture(scope="session")
def lifecycle(java: None, background: Background) -> LifecycleRuns:
    if background.lifecycle is None:
        pytest.fail("the lifecycle processes were not launched: their test was not selected at start", pytrace=False)
    background.lifecycle.wait()
    return background.lifecycle
