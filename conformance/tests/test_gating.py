"""Capabilities gate checks and declared gaps become strict expected failures, from the descriptor alone; a
class wired to the wrong plugin stops the run with the fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Run

PRELUDE = """\
import dataclasses
from stackhub_duckdb import plugin as duckdb_plugin
"""


def descriptor(**changes: str) -> str:
    """A Python expression for the DuckDB descriptor with ``changes`` (each given as Python source)."""
    return f"dataclasses.replace(duckdb_plugin, {', '.join(f'{k}={v}' for k, v in changes.items())})"


def test_undeclared_capabilities_are_skipped_and_declared_gaps_xfail(run_duckdb_suite: Run) -> None:
    plugin = descriptor(
        capabilities="frozenset()",
        component='"broken_warehouses:UnsortedListing"',
        known_gaps='{"test_list_tables_is_sorted": "the engine lists tables in creation order"}',
    )
    result, report = run_duckdb_suite(plugin, prelude=PRELUDE)
    assert result.ret == 0, result.stdout.str()
    assert list(report["levels"]) == ["core"], "undeclared capabilities are no level"
    core = report["levels"]["core"]
    assert (core["result"], core["xfailed"], core["skipped"], core["failed"]) == ("pass", 1, 0, 0)
    assert report["certified"] is True, report["problems"]
    outcomes = {t["check"]: (t["level"], t["outcome"], t["reason"]) for t in report["tests"]}
    assert outcomes["test_list_tables_is_sorted"] == (
        "core",
        "xfailed",
        "Known gap declared by plugin 'duckdb': the engine lists tables in creation order",
    )
    skipped = {check: v for check, v in outcomes.items() if v[1] == "skipped"}
    assert skipped == {
        "test_asof_join_runs_natively": (
            "asof_join",
            "skipped",
            "Plugin 'duckdb' does not declare capability 'asof_join'.",
        ),
        "test_schema_qualified_tables": (
            "schemas",
            "skipped",
            "Plugin 'duckdb' does not declare capability 'schemas'.",
        ),
        "test_schema_qualified_tables_are_distinct_from_unqualified_ones": (
            "schemas",
            "skipped",
            "Plugin 'duckdb' does not declare capability 'schemas'.",
        ),
    }


def test_a_declared_gap_that_passes_is_a_strict_xpass(run_duckdb_suite: Run) -> None:
    plugin = descriptor(known_gaps='{"test_list_tables_is_sorted": "unsorted"}')
    result, report = run_duckdb_suite(plugin, "-k", "list_tables_is_sorted", prelude=PRELUDE)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*XPASS(strict)*Known gap declared by plugin 'duckdb': unsorted*"])
    (test,) = [t for t in report["tests"] if t["outcome"] != "not_run"]
    assert (test["check"], test["outcome"]) == ("test_list_tables_is_sorted", "xpassed")
    assert report["levels"]["core"]["xpassed"] == 1
    assert report["certified"] is False


def test_a_gap_can_name_one_case_of_a_check(run_duckdb_suite: Run) -> None:
    plugin = descriptor(
        component='"broken_warehouses:DropsTimeZone"',
        known_gaps='{"test_write_round_trips_each_type[timestamp_utc]": "time zones are dropped"}',
    )
    result, report = run_duckdb_suite(plugin, "-k", "round_trips", prelude=PRELUDE)
    assert result.ret == 0, result.stdout.str()
    outcomes = {t["check"]: t["outcome"] for t in report["tests"] if t["outcome"] != "not_run"}
    assert outcomes.pop("test_write_round_trips_each_type[timestamp_utc]") == "xfailed"
    assert set(outcomes.values()) == {"passed"}


def test_a_gap_naming_no_check_stops_the_run(run_duckdb_suite: Run) -> None:
    plugin = descriptor(known_gaps='{"test_list_tables_sorted": "typo"}')
    result, report = run_duckdb_suite(plugin, prelude=PRELUDE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*Plugin 'duckdb': Known gap 'test_list_tables_sorted' names no check of TestDuckDBConformance."
            " Did you mean 'test_list_tables_is_sorted'?"
        ]
    )
    assert report == {}


def test_without_an_unreachable_config_the_health_check_skips_and_blocks_certification(
    run_duckdb_suite: Run, pytester: pytest.Pytester
) -> None:
    extra = """
    @pytest.fixture
    def unreachable_config(self):
        pytest.skip("pretend the vendor defined none")
"""
    pytester.makeconftest("")
    result, report = run_duckdb_suite('"duckdb"', "-k", "health", extra=extra)
    assert result.ret == 0
    (skipped,) = [t for t in report["tests"] if t["outcome"] == "skipped"]
    assert skipped["check"] == "test_health_raises_unavailable_when_unreachable"
    assert report["certified"] is False
    assert report["problems"][0].startswith("level 'core' did not pass: 1 passed, 1 skipped")

    # Pytest passes that run; with --conformance-strict (what CI uses) the uncertified plugin fails it.
    strict, _ = run_duckdb_suite('"duckdb"', "-k", "health", "--conformance-strict", extra=extra)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(["*plugin 'duckdb'*NOT CERTIFIED*"])


def test_a_missing_unreachable_config_fixture_says_how_to_define_it(
    pytester: pytest.Pytester, run_pytest: Callable[..., pytest.RunResult]
) -> None:
    pytester.makepyfile(
        test_vendor="""
        import pytest
        from stackhub_conformance.warehouse import WarehouseSuite

        class TestDuckDB(WarehouseSuite):
            plugin = "duckdb"

            @pytest.fixture
            def component_config(self):
                return {"path": ":memory:"}
        """
    )
    result = run_pytest("-rs", "-k", "unreachable")
    result.stdout.fnmatch_lines(["SKIPPED*No unreachable_config fixture: define one that returns a config*"])


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (
            '"postgres"',
            "*TestDuckDBConformance: Plugin 'postgres' is not installed. Install it with: pip install stackhub-postgres",
        ),
        ('"duckbd"', "*TestDuckDBConformance: Unknown plugin 'duckbd'. Did you mean 'duckdb'?"),
        ("None", "*TestDuckDBConformance names no plugin to test. Set plugin = 'name'*"),
        (
            descriptor(category='"tracker"'),
            "*Plugin 'duckdb' is a tracker plugin, but TestDuckDBConformance runs the warehouse suite.*",
        ),
    ],
    ids=["not_installed", "misspelt", "none", "wrong_category"],
)
def test_a_class_wired_to_the_wrong_plugin_stops_the_run(run_duckdb_suite: Run, plugin: str, message: str) -> None:
    result, _ = run_duckdb_suite(plugin, prelude=PRELUDE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_dependencies_reach_every_component_the_suite_builds(
    pytester: pytest.Pytester, run_pytest: Callable[..., pytest.RunResult]
) -> None:
    pytester.makepyfile(
        test_vendor="""
        import dataclasses
        import pytest
        from stackhub import Requirement
        from stackhub_duckdb import plugin as duckdb_plugin
        from stackhub_conformance.warehouse import WarehouseSuite

        class TestNeedsWarehouse(WarehouseSuite):
            plugin = dataclasses.replace(
                duckdb_plugin,
                component="broken_warehouses:NeedsWarehouse",
                requires=(Requirement("warehouse", "warehouse"),),
            )

            @pytest.fixture
            def component_config(self):
                return {"path": ":memory:"}

            @pytest.fixture
            def component_dependencies(self):
                with duckdb_plugin.create({"path": ":memory:"}) as warehouse:
                    yield {"warehouse": warehouse}

            @pytest.fixture
            def unreachable_dependencies(self, tmp_path):
                with duckdb_plugin.create({"path": str(tmp_path / "no.duckdb"), "read_only": True}) as warehouse:
                    yield {"warehouse": warehouse}
        """
    )
    result = run_pytest("-k", "health or close or config or dataset_is")
    result.assert_outcomes(passed=5, deselected=61)


def test_a_cleanup_that_fails_after_a_passing_check_is_an_error(run_duckdb_suite: Run) -> None:
    # Leaving tables behind on a shared server is a defect; after a failing check it would only hide the failure.
    plugin = descriptor(component='"broken_warehouses:DropIgnoresMissingOk"')
    result, report = run_duckdb_suite(plugin, "-k", "describe_table_raises_not_found", prelude=PRELUDE)
    result.assert_outcomes(passed=1, errors=1, deselected=65)
    (test,) = [t for t in report["tests"] if t["outcome"] != "not_run"]
    assert (test["outcome"], test["reason"].split(":")[0]) == ("error", "stackhub.errors.NotFound")
    assert report["levels"]["core"]["error"] == 1
