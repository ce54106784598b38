"""What only a server does: be unreachable, hang, restart. Timings are bounds, generous for a loaded CI machine."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from stackhub import Unavailable
from stackhub_mlflow import plugin
from stackhub_mlflow._tracker import MlflowTracker

if TYPE_CHECKING:
    from stackhub_mlflow.testing import MlflowServer


@pytest.fixture
def closed_port_tracker(closed_port: int) -> MlflowTracker:
    component = plugin.create({"tracking_uri": f"http://127.0.0.1:{closed_port}", "timeout": 2, "max_retries": 1})
    assert isinstance(component, MlflowTracker)
    return component


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections (the kernel's backlog does) and never answers a request."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def test_health_of_an_unreachable_server_is_unavailable_at_once(closed_port_tracker: MlflowTracker) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match="did not answer"):
        closed_port_tracker.health()
    assert time.monotonic() - started < 8  # refused, and health() does not retry


def test_operations_on_an_unreachable_server_fail_within_the_retry_budget(closed_port_tracker: MlflowTracker) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match="raise 'timeout' / 'max_retries'"):
        closed_port_tracker.create_experiment("never")
    # One retry, after 0 s of back-off, of a refused connection.
    assert time.monotonic() - started < 3


def test_a_server_that_never_answers_times_out(silent_port: int) -> None:
    component = plugin.create({"tracking_uri": f"http://127.0.0.1:{silent_port}", "timeout": 1, "max_retries": 0})
    assert isinstance(component, MlflowTracker)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="did not answer"):
        component.health()
    with pytest.raises(Unavailable):
        component.get_experiment("anything")
    assert 1.8 < time.monotonic() - started < 6  # two calls, each waited out its 1 s timeout


def test_messages_never_show_a_password_from_the_uri(closed_port: int) -> None:
    component = plugin.create({"tracking_uri": f"http://alice:s3cret@127.0.0.1:{closed_port}", "max_retries": 0})
    with pytest.raises(Unavailable) as raised:
        component.health()
    assert "s3cret" not in str(raised.value)
    assert "http://***@127.0.0.1" in str(raised.value)
    assert "s3cret" not in repr(component)


def test_the_timeout_settings_do_not_leak_into_the_process(
    closed_port_tracker: MlflowTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "77")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    with pytest.raises(Unavailable):
        closed_port_tracker.health()
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "77"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ


def test_a_server_restart_mid_run_loses_nothing(mlflow_server: MlflowServer, tmp_path: Path) -> None:
    tracker = plugin.create({"tracking_uri": mlflow_server.url, "timeout": 5, "max_retries": 0})
    assert isinstance(tracker, MlflowTracker)
    experiment = f"restart-{time.time_ns()}"
    tracker.create_experiment(experiment)
    run = tracker.start_run(experiment, run_name="long")
    tracker.log_params(run.id, {"lr": 0.01})
    tracker.log_metrics(run.id, {"loss": 1.0}, step=0)
    (tmp_path / "before.txt").write_text("before")
    tracker.log_artifact(run.id, tmp_path / "before.txt")

    mlflow_server.stop()
    with pytest.raises(Unavailable):
        tracker.log_metrics(run.id, {"loss": 0.9}, step=1)
    mlflow_server.start()

    tracker.log_metrics(run.id, {"loss": 0.5}, step=1)
    tracker.log_params(run.id, {"lr": 0.01, "epochs": 3})
    (tmp_path / "after.txt").write_text("after")
    tracker.log_artifact(run.id, tmp_path / "after.txt")
    tracker.end_run(run.id)

    stored = tracker.get_run(run.id)
    assert (stored.status, stored.params) == ("FINISHED", {"lr": "0.01", "epochs": "3"})
    assert [(m.step, m.value) for m in tracker.get_metric_history(run.id, "loss")] == [(0, 1.0), (1, 0.5)]
    assert tracker.list_artifacts(run.id) == ["after.txt", "before.txt"]
    assert tracker.download_artifact(run.id, "before.txt", tmp_path / "out").read_text() == "before"
