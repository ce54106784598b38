"""Fixtures: one real ``mlflow server`` per session on 127.0.0.1, one embedded SQLite store per session, and a
``tracker`` fixture that runs each test against both."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from stackhub_mlflow import plugin
from stackhub_mlflow._tracker import MlflowTracker

# A cold first start (fresh database, no bytecode yet) took 18 s on 2 cores; leave room for a loaded CI machine.
SERVER_START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MlflowServer:
    """``mlflow server`` with the lean settings for 2 cores: one worker, no job runner."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: list[float] = []

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend-store-uri",
            f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination",
            str(self.root / "artifacts"),
            "--workers",
            "1",
        ]
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        started = time.monotonic()
        with self.log.open("ab") as log:
            # Its own process group, so that stop() can end the worker it forks even if the parent dies first.
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        while time.monotonic() - started < SERVER_START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self.process.returncode}:\n{self._log_tail()}")
            if self.healthy():
                self.start_seconds.append(time.monotonic() - started)
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer /health within {SERVER_START_TIMEOUT} s:\n{self._log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(response.read().decode().strip() == "OK")
        except OSError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # The uvicorn worker is a child in the same group; make sure it let go of the port too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def _log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _server_missing_reason() -> str | None:
    try:
        importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        return "the mlflow server is not installed (mlflow-skinny has none): pip install 'stackhub-mlflow[server]'"
    return None


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    reason = _server_missing_reason()
    if reason:  # a missing server is a failure, never a skip: these tests exist to prove the HTTP path
        pytest.fail(f"these tests run against a real MLflow server, but {reason}.", pytrace=False)
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def closed_port() -> int:
    """Nothing listens on a port that was free a moment ago: every connection is refused at once."""
    return free_port()


@pytest.fixture(scope="session")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # One database per session: creating one runs MLflow's migrations, which takes seconds.
    root = tmp_path_factory.mktemp("mlflow-embedded")
    return {"tracking_uri": f"sqlite:///{root / 'mlflow.db'}", "artifact_location": str(root / "artifacts")}


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tracker_config(backend: str, request: pytest.FixtureRequest) -> dict[str, object]:
    if backend == "embedded":
        return dict(request.getfixturevalue("embedded_store"))
    server: MlflowServer = request.getfixturevalue("mlflow_server")
    if not server.running():  # a restart test that failed half-way must not fail every later test
        server.start()
    return {"tracking_uri": server.url, "timeout": 10, "max_retries": 2}


@pytest.fixture
def tracker(tracker_config: dict[str, object]) -> Iterator[MlflowTracker]:
    component = plugin.create(tracker_config)
    assert isinstance(component, MlflowTracker)
    with component:
        yield component


@pytest.fixture
def experiment(tracker: MlflowTracker, request: pytest.FixtureRequest) -> str:
    """A fresh experiment per test: both stores live for the whole session."""
    name = f"{request.node.name}-{uuid.uuid4().hex[:8]}"
    tracker.create_experiment(name)
    return name
