"""What only a server does: be down, hang, restart. Timings are bounds, generous for a loaded CI machine."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator

import pytest
from labelstudio_support import name
from stackhub import NotFound, Unavailable
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections (the kernel's backlog does) and never answers a request."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def _component(port: int, **config: object) -> LabelStudioLabeling:
    component = plugin.create({"url": f"http://127.0.0.1:{port}", "token": TOKEN, **config})
    assert isinstance(component, LabelStudioLabeling)
    return component


def test_health_of_a_server_that_is_down_is_unavailable_at_once(closed_port: int) -> None:
    started = time.monotonic()
    with _component(closed_port, retries=5) as component, pytest.raises(Unavailable, match="cannot be reached"):
        component.health()
    assert time.monotonic() - started < 8  # refused, and health() does not retry (5 retries: over 15 s)


def test_operations_on_a_server_that_is_down_fail_within_the_retry_budget(closed_port: int) -> None:
    started = time.monotonic()
    with _component(closed_port, retries=2) as component, pytest.raises(Unavailable, match="raise timeout / retries"):
        component.get_project("anything")
    # Two retries of a refused connection, after 0.5 s and 1 s of back-off.
    assert 1.4 < time.monotonic() - started < 4


def test_a_server_that_never_answers_times_out(silent_port: int) -> None:
    started = time.monotonic()
    with _component(silent_port, timeout=1, retries=0) as component:
        with pytest.raises(Unavailable, match=r"no answer within 1 s"):
            component.health()
        with pytest.raises(Unavailable):
            component.task_status("anything")
    assert 1.8 < time.monotonic() - started < 6  # two calls, each waited out its 1 s timeout


def test_a_frozen_server_times_out_and_answers_again_once_thawed(
    labelstudio_config: dict[str, object], server: LabelStudioServer
) -> None:
    # The real server, stopped in its tracks (SIGSTOP): connections are still accepted by the kernel, but
    # nothing answers, as with a server stuck in a long request or a dead proxy behind a live port.
    with plugin.create({**labelstudio_config, "timeout": 1, "retries": 1}) as component:
        assert isinstance(component, LabelStudioLabeling)
        component.health()
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(
                Unavailable, match=f"Label Studio at {server.url} cannot be reached .no answer within 1 s"
            ):
                component.get_project("anything")
            # One retry after 0.5 s: two requests of 1 s each, not more.
            assert 2.4 < time.monotonic() - started < 5
        finally:
            os.killpg(server.process.pid, signal.SIGCONT)
        with pytest.raises(NotFound):
            component.get_project(name("after_thaw"))
