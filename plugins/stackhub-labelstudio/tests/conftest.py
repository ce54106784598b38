"""Fixtures: one real Label Studio server per test session on 127.0.0.1, and components talking to it."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from typing import Any

import pytest
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer, free_port

_STARTS: list[str] = []


@pytest.fixture(scope="session")
def labelstudio_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LabelStudioServer]:
    try:
        importlib.metadata.version("label-studio")
    except importlib.metadata.PackageNotFoundError:  # a missing server is a failure, never a skip
        pytest.fail(
            "these tests run against a real Label Studio server, but it is not installed: "
            "pip install 'stackhub-labelstudio[server]'.",
            pytrace=False,
        )
    cache = request.config.cache
    server = LabelStudioServer(
        tmp_path_factory.mktemp("labelstudio"), snapshots=cache.mkdir("labelstudio") if cache is not None else None
    )
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"the Label Studio server did not start: {exc}", pytrace=False)
    _STARTS.append(f"{server.start_seconds[-1]:.1f} s ({'fresh database' if server.cold else 'from a snapshot'})")
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _STARTS:
        terminalreporter.write_line(f"Label Studio server start: {', '.join(_STARTS)}")


@pytest.fixture
def server(labelstudio_server: LabelStudioServer) -> LabelStudioServer:
    if not labelstudio_server.running():  # a test that stopped it must not fail every later test
        labelstudio_server.start()
    return labelstudio_server


@pytest.fixture
def labelstudio_config(server: LabelStudioServer) -> dict[str, Any]:
    return {"url": server.url, "token": server.token, "timeout": 60, "retries": 2}


@pytest.fixture
def closed_port() -> int:
    """Nothing listens on a port that was free a moment ago: every connection is refused at once."""
    return free_port()


@pytest.fixture
def labeling(labelstudio_config: dict[str, Any]) -> Iterator[LabelStudioLabeling]:
    component = plugin.create(labelstudio_config)
    assert isinstance(component, LabelStudioLabeling)
    with component:
        yield component
