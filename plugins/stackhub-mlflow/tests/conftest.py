"""Fixtures: one real ``mlflow server`` per session on 127.0.0.1, one embedded SQLite store per session, and a
``tracker`` fixture that runs each test against both."""

from __future__ import annotations

import importlib.metadata
import uuid
from collections.abc import Iterator

import pytest
from stackhub_mlflow import plugin
from stackhub_mlflow._tracker import MlflowTracker
from stackhub_mlflow.testing import MlflowServer, free_port


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
