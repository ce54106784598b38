"""The package as a user meets it: entry point, light import, health without a workspace, the README's stack."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from evidently.ui.workspace import Workspace
from stackhub import Monitor, open_stack
from stackhub.categories.monitor import SupportsHtmlReport
from stackhub_evidently import plugin

README = Path(__file__).parents[1] / "README.md"


def test_entry_point_names_the_descriptor() -> None:
    (entry,) = importlib.metadata.entry_points(group="stackhub.plugins", name="evidently")
    assert entry.value == "stackhub_evidently:plugin"
    assert entry.load() is plugin
    assert (plugin.category, plugin.spec_version, plugin.tool) == ("monitor", "1.0", "evidently")
    assert plugin.capabilities == {"html_report"}
    assert plugin.requires == ()
    assert plugin.known_gaps == {}


def test_importing_the_descriptor_loads_no_heavy_module() -> None:
    heavy = ("evidently", "pandas", "pyarrow", "numpy", "scipy", "sqlglot", "pydantic")
    probe = f"import sys, stackhub_evidently; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_building_a_monitor_and_its_health_do_not_load_evidently() -> None:
    # `stackhub validate` builds components and asks health() under a deadline; Evidently takes seconds to import.
    probe = (
        "import sys; from stackhub_evidently import plugin; plugin.create({'workspace': 'folder'}).health(); "
        "print(sorted(m for m in ('evidently', 'pandas') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_without_a_workspace_the_monitor_is_healthy() -> None:
    with plugin.create({}) as monitor:
        assert isinstance(monitor, Monitor)
        assert isinstance(monitor, SupportsHtmlReport)
        assert monitor.health() is None


def test_readme_stack_and_snippet_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    stack_file = re.search(r"```yaml\n(.*?)```", text, re.S)
    snippet = re.search(r"```python\n(.*?)```", text, re.S)
    assert stack_file
    assert snippet
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stack.yaml").write_text(stack_file.group(1))
    rng = np.random.default_rng(11)
    with open_stack("stack.yaml") as stack:
        assert isinstance(stack["monitor"], Monitor)
        stack["warehouse"].write("features_2026_10", pa.table({"x": rng.normal(size=2000)}))  # type: ignore[attr-defined]
        stack["warehouse"].write("features_2026_11", pa.table({"x": rng.normal(1.0, size=2000)}))  # type: ignore[attr-defined]

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(snippet.group(1), {})
    assert printed.getvalue().startswith("True [('x', 'wasserstein', ")
    assert "x" in (tmp_path / "drift.html").read_text(encoding="utf-8")
    workspace = Workspace(str(tmp_path / ".stackhub" / "evidently"))
    (project,) = workspace.search_project("churn-monitoring")
    assert len(workspace.list_runs(project.id)) == 1
