from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import stackhub_duckdb
import stackhub_sqllabels
from sqllabels_support import SINGLE, build
from stackhub import ConfigError, Warehouse
from stackhub.discovery import discover
from stackhub_sqllabels._labeling import SQLLabeling

README = Path(__file__).parents[1] / "README.md"


def test_the_entry_point_names_the_descriptor() -> None:
    found, _ = discover()
    descriptor = found["sqllabels"].descriptor
    assert descriptor is stackhub_sqllabels.plugin
    assert descriptor.category == "labeling"
    assert [(r.field, r.category) for r in descriptor.requires] == [("warehouse", "warehouse")]


def test_importing_the_plugin_loads_neither_pyarrow_nor_the_component() -> None:
    code = (
        "import sys, stackhub_sqllabels; print(sorted({'pyarrow', 'stackhub_sqllabels._labeling'} & set(sys.modules)))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_the_readme_stack_and_snippet_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    (stack_file,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    (snippet,) = re.findall(r"```python\n(.*?)```", text, re.S)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stack.yaml").write_text(stack_file)
    namespace: dict[str, object] = {}
    exec(compile(snippet + "\nexported = labeling.export_annotations('reviews')", "README.md", "exec"), namespace)
    assert namespace["exported"].to_pylist()[0]["annotator"] == "lf_keywords"  # type: ignore[attr-defined]
    assert (tmp_path / ".stackhub" / "warehouse.duckdb").exists()


def test_health_asks_the_warehouse(labeling: SQLLabeling) -> None:
    assert labeling.health() is None


@pytest.mark.parametrize("prefix", ["", "1abc", "a.b", "a-b", "x" * 31])
def test_a_bad_table_prefix_is_a_config_error(warehouse: Warehouse, prefix: str) -> None:
    with pytest.raises(ConfigError, match="table_prefix"):
        build(warehouse, table_prefix=prefix)


def test_a_missing_warehouse_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs a warehouse component as 'warehouse', but got nothing"):
        build(None)


def test_a_component_of_another_category_is_a_config_error(labeling: SQLLabeling) -> None:
    with pytest.raises(ConfigError, match="but got a labeling component"):
        build(labeling)


def test_closing_leaves_the_warehouse_open_for_the_stack_to_close() -> None:
    with stackhub_duckdb.plugin.create({}) as warehouse:
        with build(warehouse) as labeling:
            labeling.create_project("reviews", SINGLE)
        # Closing an in-memory DuckDB would discard its tables.
        assert "stackhub_labels_projects" in warehouse.list_tables()
