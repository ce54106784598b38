"""The commands this distribution adds to ``stackhub``: ``conformance`` and ``plugin new``."""

from __future__ import annotations

import configparser
import inspect
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import import_module, metadata
from pathlib import Path

import pytest
import stackhub_conformance
from stackhub import categories
from stackhub.cli import main
from stackhub_conformance._scaffold import scaffold


def test_conformance_command_writes_a_certified_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("duckdb.yaml").write_text("path: conformance.duckdb\n")
    Path("unreachable.json").write_text(json.dumps({"path": "missing/none.duckdb", "read_only": True}))
    code = main(
        [
            "conformance",
            "duckdb",
            "--config",
            "duckdb.yaml",
            "--unreachable-config",
            "unreachable.json",
            "--junitxml",
            "j.xml",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    report_path = Path(".stackhub", "conformance", f"duckdb-{metadata.version('stackhub-duckdb')}.json")
    report = json.loads(report_path.read_text())
    assert report["certified"] is True, report["problems"]
    assert report["plugin"]["name"] == "duckdb"
    assert Path("j.xml").is_file()
    assert "CERTIFIED" in out


def test_conformance_command_builds_required_components_from_a_stack_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("monitor.yaml").write_text("warehouse: wh\n")
    stack = 'stack: s\nspec: "1"\ncomponents:\n  wh: {plugin: duckdb, config: {path: %s}}\n'
    Path("stack.yaml").write_text(stack % "wh.duckdb")
    Path("down.yaml").write_text(
        'stack: s\nspec: "1"\ncomponents:\n  wh: {plugin: duckdb, config: {path: missing/x.duckdb, read_only: true}}\n'
    )
    args = ["conformance", "sqlmonitor", "--config", "monitor.yaml", "--stack", "stack.yaml", "--report", "r.json"]
    assert main([*args, "--unreachable-stack", "down.yaml"]) == 0, capsys.readouterr().out
    assert json.loads(Path("r.json").read_text())["certified"] is True

    Path("monitor.yaml").write_text("warehouse: nowhere\n")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "config field 'warehouse' ('nowhere'), but stack file 'stack.yaml' has no component of that name" in err
    assert "Name one of its components in 'warehouse': wh" in err


def test_conformance_command_exit_code_is_pytests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("duckdb.json").write_text('{"path": ":memory:"}')
    assert main(["conformance", "duckdb", "--config", "duckdb.json", "-k", "health", "--report", "r.json"]) == 0
    report = json.loads(Path("r.json").read_text())
    assert report["certified"] is False, "a run without the unreachable config and with -k is not certified"
    assert main(["conformance", "duckdb", "--config", "duckdb.json", "-k", "no_check_has_this_name"]) == 5


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("missing.yaml", "error: Cannot read config file 'missing.yaml': No such file or directory."),
        ("list.yaml", "error: Config file 'list.yaml' holds a list, not a mapping of config fields."),
        ("broken.json", "error: Config file 'broken.json' does not parse: Expecting value: line 1 column 1 (char 0)."),
        (
            "wrong.yaml",
            "error: Invalid config for plugin 'duckdb': threads: Input should be greater than or equal to 1.",
        ),
    ],
)
def test_conformance_command_explains_a_bad_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("list.yaml").write_text("- path\n")
    Path("broken.json").write_text("path: x")
    Path("wrong.yaml").write_text("threads: 0\n")
    assert main(["conformance", "duckdb", "--config", config]) == 1
    assert capsys.readouterr().err.splitlines()[0] == message


def test_conformance_command_names_the_fix_for_a_plugin_it_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text("path: ':memory:'\n")
    assert main(["conformance", "duckbd", "--config", "c.yaml"]) == 1
    assert capsys.readouterr().err == "error: Unknown plugin 'duckbd'.\nfix: Did you mean 'duckdb'?\n"
    monkeypatch.delitem(stackhub_conformance.SUITES, "warehouse")
    assert main(["conformance", "duckdb", "--config", "c.yaml"]) == 1
    err = capsys.readouterr().err
    assert "has no suite for category 'warehouse' yet, so plugin 'duckdb' cannot be certified with it." in err
    assert "fix: Upgrade stackhub-conformance" in err


# -- plugin new -------------------------------------------------------------------------------------------


def test_plugin_new_writes_the_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugin", "new", "mytool", "--category", "warehouse", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "stackhub-mytool"
    assert capsys.readouterr().out.startswith(f"Created {root}/ (warehouse plugin 'mytool'). Next:")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "pyproject.toml",
        "src/stackhub_mytool/__init__.py",
        "src/stackhub_mytool/_component.py",
        "src/stackhub_mytool/_config.py",
        "tests/test_conformance.py",
        "tox.ini",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "stackhub-mytool"
    assert project["project"]["entry-points"]["stackhub.plugins"] == {"mytool": "stackhub_mytool:plugin"}
    tox = configparser.ConfigParser()
    tox.read(root / "tox.ini")
    assert "conformance-report" in tox["testenv"]["commands"]
    assert "class TestMytoolConformance(WarehouseSuite):" in (root / "tests/test_conformance.py").read_text()


@pytest.mark.parametrize("category", sorted(categories.CATEGORIES))
def test_plugin_new_skeleton_has_every_abstract_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, category: str
) -> None:
    name = f"t{category.replace('_', '')}"
    root = scaffold(name, category, tmp_path)
    monkeypatch.syspath_prepend(str(root / "src"))
    descriptor = import_module(f"stackhub_{name}").plugin
    assert (descriptor.name, descriptor.category) == (name, category)
    component = descriptor.load_component()
    interface = categories.interface(category)
    assert issubclass(component, interface)
    assert not inspect.isabstract(component)
    for method in interface.__abstractmethods__:
        signature = inspect.signature(getattr(interface, method))
        assert inspect.signature(getattr(component, method)) == signature
        required = [
            p for p in signature.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
        ]
        with pytest.raises(NotImplementedError, match=rf"^{component.__name__}\.{method}\(\) is not implemented yet: "):
            getattr(component, method)(*[None] * len(required))
    for source in root.rglob("*.py"):
        compile(source.read_text(), str(source), "exec")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["My-Tool", "--category", "warehouse"], "error: Plugin name 'My-Tool' is not valid."),
        (["mytool", "--category", "warehuose"], "error: Unknown category 'warehuose'.\nfix: Did you mean 'warehouse'?"),
        (["mytool", "--category", "zzz"], "fix: Choose one of: feature_store, labeling, monitor, tracker, warehouse."),
        (["existing", "--category", "warehouse"], "error: 'stackhub-existing' exists already."),
    ],
)
def test_plugin_new_refuses_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("stackhub-existing").mkdir()
    assert main(["plugin", "new", *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "fix: " in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stackhub-existing"]


def test_the_suite_runs_on_a_new_plugin_and_reports_what_to_implement(
    tmp_path: Path,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    run_pytest: Callable[..., pytest.RunResult],
) -> None:
    root = scaffold("mytool", "warehouse", tmp_path)
    # "Install" it: its src on the path and a dist-info with the entry points its pyproject declares.
    entry_points = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"]
    info = tmp_path / "site" / "stackhub_mytool-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stackhub-mytool\nVersion: 0.1.0\n")
    lines = [f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines))
    (dist,) = metadata.distributions(path=[str(info.parent)])
    monkeypatch.syspath_prepend(str(root / "src"))
    monkeypatch.setattr("stackhub.discovery.metadata.entry_points", lambda **s: dist.entry_points.select(**s))
    pytester.makepyfile(test_conformance=(root / "tests" / "test_conformance.py").read_text())

    result = run_pytest("--conformance-report=report.json")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["plugin"]["distribution"] == "stackhub-mytool"
    outcomes = {t["check"]: (t["outcome"], t["reason"]) for t in report["tests"]}
    assert outcomes.pop("test_descriptor_is_consistent")[0] == "passed"
    assert outcomes.pop("test_invalid_config_raises_config_error")[0] == "passed"
    assert outcomes.pop("test_health_raises_unavailable_when_unreachable")[0] == "skipped"
    assert {o for o, _ in outcomes.values()} == {"skipped", "failed"}, "failures, never errors from the suite itself"
    failed = [reason for outcome, reason in outcomes.values() if outcome == "failed"]
    assert all(r.startswith("NotImplementedError: MytoolWarehouse.") for r in failed), failed
    assert report["certified"] is False


def test_the_commands_cost_stackhub_help_no_pytest_and_no_pyarrow() -> None:
    code = "import sys; from stackhub.cli import build_parser; build_parser(); print(sorted({'pytest', 'pyarrow'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
