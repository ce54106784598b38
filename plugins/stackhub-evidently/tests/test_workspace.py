"""Drift reports stored as runs of an Evidently workspace: a real Evidently UI service, or a local folder."""

from __future__ import annotations

import contextlib
import http.server
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import SECRET
from evidently.ui.workspace import RemoteWorkspace, Workspace
from stackhub import ConfigError, Conflict, NotFound, Unavailable
from stackhub_evidently import plugin
from stackhub_evidently._engine import RUN_NAME
from stackhub_evidently._monitor import EvidentlyMonitor
from stackhub_evidently.testing import EvidentlyUI

RNG = np.random.default_rng(5)
REFERENCE = pa.table({"speed": RNG.normal(size=300), "colour": RNG.choice(["a", "b"], 300)})
CURRENT = pa.table({"speed": RNG.normal(1.0, size=300), "colour": RNG.choice(["a", "b"], 300)})


def unique(label: str) -> str:
    return f"stackhub-test-{label}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def monitor_on(config: Mapping[str, object]) -> Iterator[EvidentlyMonitor]:
    component = plugin.create(config)
    assert isinstance(component, EvidentlyMonitor)
    with component:
        yield component


def test_each_drift_report_is_a_run_of_the_project(evidently_ui: EvidentlyUI) -> None:
    project = unique("runs")
    with monitor_on({"workspace": evidently_ui.url, "project": project}) as monitor:
        monitor.health()
        monitor.drift_report(REFERENCE, CURRENT)
        first = monitor.last_run
        monitor.drift_report(REFERENCE, REFERENCE)
        second = monitor.last_run
        monitor.quality_report(CURRENT)  # not a run
    assert first is not None
    assert second is not None
    assert first.project_id == second.project_id
    assert first.url == f"{evidently_ui.url}/projects/{first.project_id}/reports/{first.run_id}"

    projects = [p for p in evidently_ui.get("/api/projects") if p["name"] == project]
    assert [p["id"] for p in projects] == [first.project_id]
    runs = evidently_ui.get(f"/api/projects/{first.project_id}/snapshots")
    assert sorted((r["id"], r["name"], r["tags"]) for r in runs) == sorted(
        (run, RUN_NAME, ["stackhub"]) for run in (first.run_id, second.run_id)
    )


def test_project_by_id_and_its_refusals(evidently_ui: EvidentlyUI) -> None:
    client = RemoteWorkspace(evidently_ui.url)
    created = client.create_project(unique("by-id"))
    with monitor_on({"workspace": evidently_ui.url, "project": str(created.id)}) as monitor:
        monitor.drift_report(REFERENCE, CURRENT)
        assert monitor.last_run is not None
        assert monitor.last_run.project_id == str(created.id)

    with (
        monitor_on({"workspace": evidently_ui.url, "project": str(uuid.uuid4())}) as monitor,
        pytest.raises(NotFound, match="has no project with id"),
    ):
        monitor.drift_report(REFERENCE, CURRENT)

    twice = unique("twice")
    client.create_project(twice)
    client.create_project(twice)
    with (
        monitor_on({"workspace": evidently_ui.url, "project": twice}) as monitor,
        pytest.raises(Conflict, match=f"2 projects .* are named '{twice}'"),
    ):
        monitor.drift_report(REFERENCE, CURRENT)


def test_a_secured_service_needs_its_secret(secured_ui: EvidentlyUI) -> None:
    project = unique("secured")
    for secret in (None, "wrong"):
        config = {"workspace": secured_ui.url, "project": project} | ({"secret": secret} if secret else {})
        with monitor_on(config) as monitor, pytest.raises(ConfigError, match="Set secret to the --secret"):
            monitor.drift_report(REFERENCE, CURRENT)
    with monitor_on({"workspace": secured_ui.url, "project": project, "secret": SECRET}) as monitor:
        monitor.drift_report(REFERENCE, CURRENT)
        assert monitor.last_run is not None


def test_an_unreachable_service_is_unavailable(closed_port: int) -> None:
    with monitor_on({"workspace": f"http://127.0.0.1:{closed_port}", "timeout": 2}) as monitor:
        with pytest.raises(Unavailable, match="cannot be reached"):
            monitor.health()
        with pytest.raises(Unavailable, match="cannot be reached to store the drift report"):
            monitor.drift_report(REFERENCE, CURRENT)


@pytest.fixture
def other_http_server() -> Iterator[str]:
    """An HTTP server that is not Evidently: every path answers 404, or JSON of another application."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/other/api/version":
                body = b'{"application": "something else"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_evidently_is_unavailable(other_http_server: str) -> None:
    with monitor_on({"workspace": other_http_server}) as monitor, pytest.raises(Unavailable, match="HTTP 404"):
        monitor.health()
    with (
        monitor_on({"workspace": f"{other_http_server}/other"}) as monitor,
        pytest.raises(Unavailable, match="is not an Evidently UI service"),
    ):
        monitor.health()


def test_a_local_workspace_folder_keeps_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with monitor_on({"workspace": "evidently/workspace", "project": "local"}) as monitor:
        monkeypatch.chdir("/")  # the relative path was fixed when the component was built
        monitor.health()
        monitor.drift_report(REFERENCE, CURRENT)
        assert monitor.last_run is not None
        assert monitor.last_run.url is None
        run = monitor.last_run
    workspace = Workspace(str(tmp_path / "evidently" / "workspace"))
    (project,) = workspace.search_project("local")
    assert [str(r) for r in workspace.list_runs(project.id)] == [run.run_id]


def test_a_local_workspace_that_cannot_be_made_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with monitor_on({"workspace": str(blocker / "workspace")}) as monitor:
        with pytest.raises(Unavailable, match="is not a folder"):
            monitor.health()
        with pytest.raises(Unavailable, match="is not a folder"):
            monitor.drift_report(REFERENCE, CURRENT)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"workspace": "ftp://host/ws"}, "neither an http"),
        ({"workspace": "folder", "secret": "s"}, "the workspace is a local folder"),
        ({"project": "a/b"}, "project: String should match pattern"),
        ({"timeout": 0}, "timeout: Input should be greater than 0"),
        ({"workspace": ""}, "workspace: String should have at least 1 character"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_config_raises_config_error(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        plugin.create(config)
