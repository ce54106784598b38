"""The embedded default stack with the real plugins installed: what a new user runs first."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pyarrow", "duckdb", "mlflow", "feast", "evidently", "sqlglot", "pandas")


def test_listing_and_help_import_no_tool():
    """``stackhub plugins`` and ``--help`` read descriptors only: no tool, no Arrow, no SQL parser."""
    for argv in (["plugins"], ["--help"]):
        probe = (
            "import sys\nfrom stackhub.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        assert out.strip().endswith("LOADED []"), out


def test_plugins_lists_duckdb(cli):
    result = cli("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert plugins["duckdb"]["category"] == "warehouse"
    assert plugins["duckdb"]["distribution"] == "stackhub-duckdb"


def test_init_then_validate_the_embedded_stack(cli, tmp_path):
    assert cli("init").returncode == 0
    result = cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stack 'local' (stack.yaml): valid" in result.stdout
    assert (tmp_path / ".stackhub" / "warehouse.duckdb").exists()


def test_unreachable_duckdb_path_is_reported_with_exit_code_3(cli, tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        'stack: s\nspec: "1"\ncomponents:\n  warehouse: {plugin: duckdb, config: {path: blocker/w.duckdb}}\n'
    )
    result = cli("validate", "--format", "json")
    assert result.returncode == 3, result.stdout
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert finding["code"] == "SH601"
    assert "Cannot create the folder of DuckDB file 'blocker/w.duckdb'" in finding["message"]


def test_bad_duckdb_config_names_the_field(cli, tmp_path):
    (tmp_path / "stack.yaml").write_text(
        'stack: s\nspec: "1"\ncomponents:\n  warehouse:\n    plugin: duckdb\n    config: {path: w.duckdb, threads: 0}\n'
    )
    result = cli("validate")
    assert result.returncode == 1
    assert "stack.yaml:6:39 [warehouse]" in result.stdout
    assert "threads: Input should be greater than or equal to 1." in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
