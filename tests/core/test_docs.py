"""Docs that cannot rot: every finding code is documented, and the docs' snippets run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from stackhub.stack import parse_stack

ROOT = Path(__file__).parents[2]
CORE = ROOT / "core" / "src" / "stackhub"


def test_every_finding_code_is_documented_and_every_documented_code_exists():
    used = set(re.findall(r'"(SH\d{3})"', "".join((CORE / f).read_text() for f in ("validate.py", "stack.py"))))
    documented = set(re.findall(r"^\| (SH\d{3}) \|", (ROOT / "docs" / "stack-file.md").read_text(), re.M))
    assert used == documented


def test_stack_file_example_parses_against_the_schema(tmp_path):
    (block,) = re.findall(r"```yaml\n(.*?)\n```", (ROOT / "docs" / "stack-file.md").read_text(), re.S)
    path = tmp_path / "stack.yaml"
    path.write_text(block)
    parsed = parse_stack(path, env={})
    assert parsed.findings == []
    assert parsed.model is not None
    assert parsed.model.components["warehouse"].config == {"path": ".stackhub/warehouse.duckdb"}


def test_plugin_guide_snippets_run():
    text = (ROOT / "docs" / "plugins.md").read_text()
    for snippet in re.findall(r"```python\n(.*?)\n```", text, re.S):
        exec(compile(snippet, "docs/plugins.md", "exec"), {})
    for block in re.findall(r"```toml\n(.*?)\n```", text, re.S):
        assert "stackhub.plugins" in block


def test_starter_stack_is_valid_yaml_with_the_duckdb_warehouse():
    from stackhub.cli import STARTER_STACK

    assert yaml.safe_load(STARTER_STACK)["components"]["warehouse"]["plugin"] == "duckdb"
