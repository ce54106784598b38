"""The real DuckDB plugin, run the way its vendor runs the suite: certified, with no skip anywhere."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from conftest import DUCKDB_SUITE, Run


def test_real_duckdb_is_certified_with_zero_skips(pytester: pytest.Pytester) -> None:
    # As a vendor runs it: the plugin registers itself through its pytest11 entry point.
    pytester.makepyfile(test_vendor=DUCKDB_SUITE.format(plugin='"duckdb"', extra=""))
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--conformance-report=report.json", "--junitxml=junit.xml"
    )
    report = json.loads((pytester.path / "report.json").read_text())
    assert result.ret == 0, result.stdout.str()
    assert report["certified"] is True, report["problems"]
    assert sorted(report["levels"]) == ["asof_join", "core", "schemas"]
    for level in report["levels"].values():
        assert level["result"] == "pass"
        assert level["passed"] > 0
        assert level["passed"] == sum(v for k, v in level.items() if k != "result")
    assert len(report["tests"]) == result.parseoutcomes()["passed"]
    assert all(t["must"] for t in report["tests"])
    result.stdout.fnmatch_lines(["*plugin 'duckdb' (stackhub-duckdb *), spec *: CERTIFIED*"])
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    properties = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    expected = [{"plugin": "duckdb", "level": t["level"], "must": t["must"]} for t in report["tests"]]
    assert properties == expected, "JUnit carries each check's plugin, level and sentence, as the report does"


def test_checks_leave_nothing_behind_in_a_shared_database(run_duckdb_suite: Run, pytester: pytest.Pytester) -> None:
    shared = pytester.path / "shared.duckdb"
    extra = f"""
    @pytest.fixture
    def component_config(self):
        return {{"path": {str(shared)!r}}}
"""
    result, report = run_duckdb_suite('"duckdb"', "-k", "quoting or atomic or schema or mismatched", extra=extra)
    assert result.ret == 0, result.stdout.str()
    assert report["levels"]["core"]["passed"] >= 12
    with duckdb.connect(str(shared), read_only=True) as connection:
        left = connection.sql(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'stackhub_ct_%'"
            " UNION ALL SELECT table_name FROM information_schema.tables"
        ).fetchall()
    assert left == []


def test_same_config_file_twice_runs_twice_without_collisions(run_duckdb_suite: Run, pytester: pytest.Pytester) -> None:
    shared = Path(pytester.path, "twice.duckdb")
    extra = f"""
    @pytest.fixture
    def component_config(self):
        return {{"path": {str(shared)!r}}}
"""
    for _ in range(2):
        result, _report = run_duckdb_suite('"duckdb"', "-k", "list_tables or create_raises", extra=extra)
        assert result.ret == 0, result.stdout.str()


def test_the_guides_example_certifies_duckdb(pytester: pytest.Pytester) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "conformance.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)\n```", guide, re.S)
    command = re.search(r"```\n(pytest tests .*?)\n```", guide).group(1).split()
    pytester.makepyfile(test_conformance=example)
    result = pytester.runpytest_inprocess(*command[2:], "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert json.loads((pytester.path / "conformance-report.json").read_text())["certified"] is True
