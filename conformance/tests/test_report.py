"""The JSON report: its shape, how levels and certification are judged, and how it is written."""

from __future__ import annotations

import dataclasses
import json
import platform
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from stackhub import SPEC_VERSION
from stackhub_conformance import SUITES, ConformanceSuite
from stackhub_conformance._framework import Target
from stackhub_conformance._report import CheckResult, build_report, write_atomic
from stackhub_conformance.pytest_plugin import _suite_problem
from stackhub_conformance.warehouse import WarehouseSuite
from stackhub_duckdb import plugin as duckdb_plugin

RunPytest = Callable[..., pytest.RunResult]
TARGET = Target(duckdb_plugin, "stackhub-duckdb", "0.1.0")


def result(check: str, outcome: str = "passed", level: str = "core") -> CheckResult:
    return CheckResult(f"t.py::T::{check}", check, check.partition("[")[0], level, "x: MUST y.", outcome)


def certified(results: list[CheckResult], **options: object) -> tuple[bool, list[str]]:
    arguments = {"missing_checks": [], **options}
    report = build_report(TARGET, results, **arguments)  # type: ignore[arg-type]
    return report["certified"], report["problems"]


ALL_PASS = [
    result("test_a"),
    result("test_b"),
    result("test_asof", level="asof_join"),
    result("test_s", level="schemas"),
]


def test_every_level_passing_is_certified() -> None:
    assert certified(ALL_PASS) == (True, [])


@pytest.mark.parametrize("outcome", ["failed", "skipped", "error", "xpassed", "not_run"])
def test_anything_but_a_pass_in_core_blocks_certification(outcome: str) -> None:
    ok, problems = certified([*ALL_PASS, result("test_c", outcome)])
    assert not ok
    assert problems == [f"level 'core' did not pass: 2 passed, 1 {outcome}."]


def test_a_declared_gap_that_fails_as_expected_is_allowed() -> None:
    assert certified([*ALL_PASS, result("test_c", "xfailed")]) == (True, [])


def test_a_failing_declared_capability_blocks_certification() -> None:
    ok, problems = certified([*ALL_PASS, result("test_s2", "failed", level="schemas")])
    assert not ok
    assert problems == ["level 'schemas' did not pass: 1 passed, 1 failed."]


def test_undeclared_capabilities_are_no_level_and_do_not_count() -> None:
    target = Target(dataclasses.replace(duckdb_plugin, capabilities=frozenset({"schemas"})), None, None)
    results = [*ALL_PASS[:2], result("test_asof", "skipped", level="asof_join"), ALL_PASS[3]]
    report = build_report(target, results, missing_checks=[])
    assert sorted(report["levels"]) == ["core", "schemas"]
    assert report["certified"] is True


def test_an_incomplete_run_is_not_certified() -> None:
    assert certified(ALL_PASS, missing_checks=["test_z"]) == (False, ["checks not collected in this run: test_z."])
    assert certified(ALL_PASS, suite_problem="TestX does not subclass it.") == (False, ["TestX does not subclass it."])
    assert certified([]) == (False, ["level 'core' did not pass: no checks."])


def test_report_has_the_documented_shape() -> None:
    report = build_report(TARGET, ALL_PASS, missing_checks=[])
    assert list(report) == [
        "suite",
        "spec_version",
        "plugin",
        "tool",
        "environment",
        "levels",
        "certified",
        "problems",
        "tests",
        "created_at",
    ]
    assert report["suite"] == {
        "name": "stackhub-conformance",
        "version": metadata.version("stackhub-conformance"),
        "spec_version": "1.0",
    }
    assert report["spec_version"] == SPEC_VERSION
    assert report["plugin"] == {
        "name": "duckdb",
        "distribution": "stackhub-duckdb",
        "version": "0.1.0",
        "category": "warehouse",
        "spec_version": duckdb_plugin.spec_version,
        "capabilities": ["asof_join", "schemas"],
        "known_gaps": {},
    }
    assert report["tool"] == {"name": "duckdb", "version": metadata.version("duckdb")}
    assert report["environment"]["python"] == platform.python_version()
    assert report["environment"]["stackhub"] == metadata.version("stackhub")
    assert report["levels"]["core"] == {
        "passed": 2,
        "failed": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "error": 0,
        "not_run": 0,
        "result": "pass",
    }
    assert report["tests"][0] == {
        "nodeid": "t.py::T::test_a",
        "check": "test_a",
        "level": "core",
        "outcome": "passed",
        "reason": "",
        "must": "x: MUST y.",
        "duration": 0.0,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["created_at"])
    json.dumps(report)


def test_report_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "report.json"
    write_atomic(path, {"certified": True})
    with pytest.raises(TypeError):
        write_atomic(path, {"certified": object()})  # fails half-way through serialising
    assert json.loads(path.read_text()) == {"certified": True}, "a failed write must keep the previous report"
    assert [p.name for p in path.parent.iterdir()] == ["report.json"], "no temporary file is left behind"


def test_several_plugins_need_a_placeholder_in_the_report_path(
    pytester: pytest.Pytester, run_pytest: RunPytest
) -> None:
    pytester.makepyfile(
        test_two="""
        import dataclasses
        import pytest
        from stackhub_duckdb import plugin
        from stackhub_conformance.warehouse import WarehouseSuite

        class Config:
            @pytest.fixture
            def component_config(self):
                return {"path": ":memory:"}

        class TestOne(Config, WarehouseSuite):
            plugin = "duckdb"

        class TestTwo(Config, WarehouseSuite):
            plugin = dataclasses.replace(plugin, name="duckdb_two")
        """
    )
    result = run_pytest("--conformance-report=report.json", "-k", "health_returns")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*would hold the results of several plugins (duckdb, duckdb_two)*'{plugin}'*"])
    result = run_pytest("--conformance-report=out/{plugin}.json", "-k", "health_returns")
    assert sorted(p.name for p in (pytester.path / "out").iterdir()) == ["duckdb.json", "duckdb_two.json"]
    two = json.loads((pytester.path / "out" / "duckdb_two.json").read_text())
    assert [t["check"] for t in two["tests"] if t["outcome"] == "passed"] == ["test_health_returns_none_when_usable"]


def test_a_run_without_checks_writes_no_report(pytester: pytest.Pytester, run_pytest: RunPytest) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run_pytest("--conformance-report=report.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*no conformance check was collected, so report.json was not written*"])
    assert not (pytester.path / "report.json").exists()


def test_only_the_complete_suite_of_the_category_certifies(monkeypatch: pytest.MonkeyPatch) -> None:
    class TestShared(ConformanceSuite):
        plugin = "duckdb"

    class TestFull(WarehouseSuite):
        plugin = "duckdb"

    assert _suite_problem(TARGET, {TestFull}) is None
    assert _suite_problem(TARGET, {TestFull, TestShared}) == (
        "test_only_the_complete_suite_of_the_category_certifies.<locals>.TestShared does not subclass the complete "
        "warehouse suite (stackhub_conformance.warehouse:WarehouseSuite)."
    )
    monkeypatch.delitem(SUITES, "warehouse")
    assert _suite_problem(TARGET, {TestShared}) == (
        f"stackhub-conformance {metadata.version('stackhub-conformance')} has no warehouse suite; only the checks "
        "every component shares ran."
    )
