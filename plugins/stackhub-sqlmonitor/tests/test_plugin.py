"""The package as a user meets it: entry point, light import, config, health, the README's stack."""

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
from stackhub import ConfigError, Monitor, Unavailable, Warehouse, open_stack
from stackhub_sqlmonitor import plugin

README = Path(__file__).parents[1] / "README.md"


def test_entry_point_names_the_descriptor() -> None:
    (entry,) = importlib.metadata.entry_points(group="stackhub.plugins", name="sqlmonitor")
    assert entry.value == "stackhub_sqlmonitor:plugin"
    assert entry.load() is plugin
    assert (plugin.category, plugin.spec_version) == ("monitor", "1.0")
    assert [(r.field, r.category) for r in plugin.requires] == [("warehouse", "warehouse")]


def test_importing_the_descriptor_loads_no_heavy_module() -> None:
    probe = "import sys, stackhub_sqlmonitor; print(sorted(m for m in ('pyarrow', 'sqlglot', 'scipy', 'numpy', 'duckdb') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize(
    ("config", "dependencies", "message"),
    [
        ({}, None, "warehouse: Field required"),
        ({"warehouse": "w", "colour": "red"}, None, "colour: Extra inputs are not permitted"),
        ({"warehouse": "w"}, None, "needs a warehouse component"),
    ],
)
def test_bad_config_raises_config_error(config: dict, dependencies: dict | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        plugin.create(config, dependencies=dependencies)


def test_health_is_the_warehouses(monitor: Monitor, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    assert monitor.health() is None

    def down() -> None:
        raise Unavailable("The warehouse is down.")

    monkeypatch.setattr(warehouse, "health", down)
    with pytest.raises(Unavailable, match="down"):
        monitor.health()


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
