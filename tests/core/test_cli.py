"""The CLI as a user meets it: output text, exit codes, and no traceback for a user mistake."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from stackhub.cli import STARTER_STACK, main

pytestmark = pytest.mark.usefixtures("fake_plugins")

GOOD = 'stack: demo\nspec: "1"\ncomponents:\n  warehouse: {plugin: fakewh, config: {url: "http://127.0.0.1:1"}}\n'


def test_plugins_table(capsys):
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "CATEGORY", "DISTRIBUTION", "VERSION", "SPEC", "CAPABILITIES"]
    assert lines[2].split() == ["fakewh", "warehouse", "stackhub-fakes", "9.9.9", "1.0", "asof_join"]
    assert "broken: plugin 'brokenwh' from stackhub-fakes failed to load: ModuleNotFoundError" in err


def test_plugins_json(capsys):
    assert main(["plugins", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["plugins"]] == ["fakefs", "fakewh", "futurewh", "loopwh", "plainwh"]
    assert {b["name"] for b in data["broken"]} == {"brokenwh", "othername2"}


def test_plugins_none_installed(capsys, monkeypatch):
    monkeypatch.setenv("STACKHUB_LOAD_PLUGINS", "")
    assert main(["plugins"]) == 0
    assert (
        capsys.readouterr().out == "No stackhub plugins are installed. Install one, e.g.: pip install stackhub-duckdb\n"
    )


def test_reader_gone_is_not_a_traceback():
    """`stackhub plugins | head -1`: the pipe closes before the output is written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stackhub.cli", "plugins"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # type: ignore[union-attr]
    stderr = process.stderr.read()  # type: ignore[union-attr]
    assert (process.wait(timeout=60), stderr) == (141, "")


def test_validate_good_stack(capsys, write_stack):
    assert main(["validate", str(write_stack(GOOD))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("stack.yaml): valid, 1 warning")
    assert out[2].split() == ["COMPONENT", "PLUGIN", "CATEGORY", "VERSION", "CONFIG", "LIVE", "CERTIFIED"]
    assert out[3].split() == ["warehouse", "fakewh", "warehouse", "9.9.9", "ok", "ok", "no", "report"]
    assert out[5].startswith("warning SH701")


def test_validate_broken_stack_prints_findings_with_fixes(capsys, write_stack):
    path = write_stack(GOOD.replace("fakewh", "duckbd"))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "INVALID: 1 error" in out
    assert f"error SH202 {path}:4:23 [warehouse]\n  Unknown plugin 'duckbd'.\n  fix: Did you mean 'duckdb'?" in out


def test_validate_malformed_yaml_has_no_traceback(capsys, write_stack):
    path = write_stack("stack: [unclosed\n")
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert f"error SH102 {path}:2:1" in out


def test_validate_unreachable_exit_code_and_json(capsys, write_stack):
    path = write_stack(GOOD.replace('url: "http', 'reachable: false, url: "http'))
    assert main(["validate", str(path), "--format", "json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 3
    assert [f["code"] for f in data["findings"] if f["severity"] == "error"] == ["SH601"]


def test_validate_offline_says_live_was_skipped(capsys, write_stack):
    assert main(["validate", str(write_stack(GOOD)), "--offline"]) == 0
    assert "skipped (--offline)" in capsys.readouterr().out


def test_init_writes_starter_and_refuses_to_overwrite(capsys, tmp_path):
    target = tmp_path / "stack.yaml"
    assert main(["init", str(target)]) == 0
    assert target.read_text() == STARTER_STACK
    assert main(["init", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {str(target)!r} exists already.\nfix: Choose another path or pass --force to overwrite it.\n"
    assert main(["init", str(target), "--force"]) == 0


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: stackhub" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
