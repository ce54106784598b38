"""The package around the component: descriptor, entry point, config, import cost, the embedded default."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stackhub import ConfigError, Unavailable
from stackhub.categories.tracker import SupportsModelRegistry, Tracker
from stackhub_mlflow import plugin
from stackhub_mlflow._tracker import MlflowTracker


def test_descriptor() -> None:
    assert (plugin.name, plugin.category, plugin.spec_version) == ("mlflow", "tracker", "1.0")
    assert plugin.capabilities == {"model_registry"}
    assert issubclass(plugin.load_component(), Tracker)
    assert issubclass(plugin.load_component(), SupportsModelRegistry)
    # The report prints the tool's version: the named distribution must be installed, at the pinned release.
    assert plugin.tool in ("mlflow", "mlflow-skinny")
    assert importlib.metadata.version(str(plugin.tool)) == "3.17.2"


def test_entry_point() -> None:
    (entry,) = [ep for ep in importlib.metadata.entry_points(group="stackhub.plugins") if ep.name == "mlflow"]
    assert entry.value == "stackhub_mlflow:plugin"
    assert entry.load() is plugin


def test_listing_the_plugin_does_not_import_mlflow() -> None:
    code = "import sys, stackhub_mlflow; print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'sqlalchemy')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_retries": 11}, "max_retries"),
        ({"token": "x"}, "token"),
        ({"tracking_uri": ""}, "tracking_uri"),
    ],
)
def test_bad_config_is_a_config_error(config: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        plugin.create(config)


def test_the_default_is_an_embedded_store_in_dot_stackhub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tracker = plugin.create({})
    assert isinstance(tracker, MlflowTracker)
    monkeypatch.chdir("/")  # relative paths were fixed when the component was built
    tracker.health()
    assert (tmp_path / ".stackhub" / "mlflow.db").is_file()
    run = tracker.start_run(tracker.create_experiment("demo").name)
    (tmp_path / "a.txt").write_text("a")
    tracker.log_artifact(run.id, tmp_path / "a.txt")
    assert (tmp_path / ".stackhub" / "mlartifacts" / run.id / "artifacts" / "a.txt").read_text() == "a"
    assert not (tmp_path / "mlruns").exists()
    assert not Path("/mlruns").exists()


@pytest.mark.parametrize("where", ["folder_as_file", "file_as_folder"])
def test_an_embedded_store_that_cannot_open_is_unavailable_at_once(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path if where == "folder_as_file" else tmp_path / "file" / "mlflow.db"
    started = time.monotonic()
    with pytest.raises(Unavailable, match="Cannot open the MLflow store"):
        plugin.create({"tracking_uri": f"sqlite:///{path}"}).health()
    assert time.monotonic() - started < 30  # MLflow itself would retry for about 100 s
