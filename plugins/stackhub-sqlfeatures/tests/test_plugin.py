"""The package as a user meets it: entry point, light import, config, join strategy, health, the README."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlfeatures_support import build_store
from stackhub import CapabilityMissing, ConfigError, FeatureStore, Unavailable, Warehouse, open_stack
from stackhub_duckdb._config import DuckDBConfig
from stackhub_duckdb._warehouse import DuckDBWarehouse
from stackhub_sqlfeatures import plugin

README = Path(__file__).parents[1] / "README.md"


def test_entry_point_names_the_descriptor() -> None:
    (entry,) = importlib.metadata.entry_points(group="stackhub.plugins", name="sqlfeatures")
    assert entry.value == "stackhub_sqlfeatures:plugin"
    assert entry.load() is plugin
    assert (plugin.category, plugin.spec_version) == ("feature_store", "1.0")
    assert [(r.field, r.category, r.capabilities) for r in plugin.requires] == [("warehouse", "warehouse", frozenset())]


def test_importing_the_descriptor_loads_no_heavy_module() -> None:
    probe = (
        "import sys, stackhub_sqlfeatures; "
        "print(sorted(m for m in ('pyarrow', 'sqlglot', 'duckdb', 'pydantic') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, r"warehouse: Field required"),
        ({"warehouse": "w", "colour": "red"}, r"colour: Extra inputs are not permitted"),
        ({"warehouse": "w", "table_prefix": "my.schema"}, r"table_prefix: String should match pattern"),
        ({"warehouse": "w", "table_prefix": "x" * 21}, r"table_prefix: String should have at most 20 characters"),
        ({"warehouse": "w", "join": "hash"}, r"join: Input should be 'auto', 'asof' or 'window'"),
    ],
)
def test_bad_config_raises_config_error(config: dict[str, object], message: str, warehouse: Warehouse) -> None:
    with pytest.raises(ConfigError, match=message):
        plugin.create(config, dependencies={"warehouse": warehouse})


def test_a_missing_warehouse_dependency_raises_config_error() -> None:
    with pytest.raises(
        ConfigError,
        match=r"SQLFeatureStore needs a warehouse component as 'warehouse', but got nothing.*it is 'warehouse'",
    ):
        plugin.create({"warehouse": "warehouse"})


def test_auto_uses_asof_when_the_warehouse_declares_it(warehouse: Warehouse) -> None:
    assert "asof_join" in warehouse.capabilities
    assert build_store(warehouse).join == "asof"


def test_a_warehouse_built_without_its_descriptor_declares_nothing() -> None:
    # Capabilities are the descriptor's: a component built by hand has none, so auto takes the portable form.
    with DuckDBWarehouse(DuckDBConfig()) as bare:
        assert build_store(bare).join == "window"
        with pytest.raises(CapabilityMissing, match=r"declares none\. Set join to 'auto' or 'window'"):
            plugin.create({"warehouse": "w", "join": "asof"}, dependencies={"warehouse": bare})


def test_health_is_the_warehouses(
    make_store: object, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, store: FeatureStore
) -> None:
    assert store.health() is None

    def down() -> None:
        raise Unavailable("The warehouse is down.")

    monkeypatch.setattr(warehouse, "health", down)
    with pytest.raises(Unavailable, match="down"):
        store.health()


def test_closing_the_store_leaves_the_warehouse_open(store: FeatureStore, warehouse: Warehouse) -> None:
    store.close()
    store.close()
    assert warehouse.list_tables() == []


def test_readme_stack_and_snippet_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    stack_file = re.search(r"```yaml\n(.*?)```", text, re.S)
    snippet = re.search(r"```python\n(.*?)```", text, re.S)
    output = re.search(r"```text\n(.*?)```", text, re.S)
    assert stack_file
    assert snippet
    assert output
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stack.yaml").write_text(stack_file.group(1))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(snippet.group(1), {})
    assert printed.getvalue() == output.group(1)
    with open_stack("stack.yaml") as stack:
        assert isinstance(stack["features"], FeatureStore)
        assert [v.name for v in stack["features"].list_feature_views()] == ["driver_stats"]
