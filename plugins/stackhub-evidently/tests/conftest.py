"""Fixtures: two real Evidently UI services on 127.0.0.1 for the session (an open one and one started with
--secret), a monitor without a workspace, and an in-memory DuckDB warehouse for TableRef inputs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stackhub import Warehouse
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_evidently import plugin
from stackhub_evidently._monitor import EvidentlyMonitor
from stackhub_evidently.testing import EvidentlyUI, free_port

SECRET = "stackhub-test-secret"


@pytest.fixture(scope="session")
def evidently_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EvidentlyUI]]:
    """Two real Evidently UI services, started side by side: an open one, and one started with --secret."""
    services = {
        "open": EvidentlyUI(tmp_path_factory.mktemp("evidently-ui")),
        "secured": EvidentlyUI(tmp_path_factory.mktemp("evidently-ui-secured"), secret=SECRET),
    }
    try:
        for service in services.values():
            service.launch()
        for service in services.values():
            service.wait()
    except (OSError, RuntimeError) as exc:  # a missing service is a failure, never a skip
        for service in services.values():
            service.stop()
        pytest.fail(f"These tests run against real Evidently UI services, which did not start: {exc}", pytrace=False)
    try:
        yield services
    finally:
        for service in services.values():
            service.stop()


@pytest.fixture
def evidently_ui(evidently_services: dict[str, EvidentlyUI]) -> EvidentlyUI:
    service = evidently_services["open"]
    if not service.running():
        service.start()
    return service


@pytest.fixture
def secured_ui(evidently_services: dict[str, EvidentlyUI]) -> EvidentlyUI:
    return evidently_services["secured"]


@pytest.fixture
def closed_port() -> int:
    """Nothing listens on a port that was free a moment ago: every connection is refused at once."""
    return free_port()


@pytest.fixture
def monitor() -> Iterator[EvidentlyMonitor]:
    """A monitor without a workspace: reports stay in the process."""
    component = plugin.create({})
    assert isinstance(component, EvidentlyMonitor)
    with component:
        yield component


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with duckdb_plugin.create({"path": ":memory:"}) as component:
        assert isinstance(component, Warehouse)
        yield component
