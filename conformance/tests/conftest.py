from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# In-process pytester runs drop the modules they imported when they end. Importing the plugin and the suite
# here keeps one copy of each class for the whole session; otherwise stackhub's lazily cached exports (e.g.
# DatasetId) could come from one run and the models that check them from the next.
import stackhub_conformance.warehouse  # noqa: F401
import stackhub_duckdb._warehouse  # noqa: F401

pytest_plugins = ["pytester"]

#: A vendor's test module for the real DuckDB plugin, as the README shows it. ``{plugin}`` is the class's
#: ``plugin`` value (a registry key or a descriptor expression), ``{extra}`` more class body.
DUCKDB_SUITE = """\
import pytest
from stackhub_conformance.warehouse import WarehouseSuite


class TestDuckDBConformance(WarehouseSuite):
    plugin = {plugin}

    @pytest.fixture
    def component_config(self, tmp_path):
        return {{"path": str(tmp_path / "conformance.duckdb")}}

    @pytest.fixture
    def unreachable_config(self, tmp_path):
        return {{"path": str(tmp_path / "missing.duckdb"), "read_only": True}}
{extra}"""

Run = Callable[..., tuple[pytest.RunResult, dict[str, Any]]]


@pytest.fixture
def run_pytest(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., pytest.RunResult]:
    """Run pytest in-process with this plugin only: other plugins of the environment stay out, so a run is
    hermetic and fast (each in-process run imports its plugins anew)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args: str) -> pytest.RunResult:
        # The plugin module is imported already (by this session), too late for pytest to rewrite its asserts.
        quiet = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
        return pytester.runpytest_inprocess(
            "-p", "stackhub_conformance.pytest_plugin", "-p", "no:cacheprovider", *quiet, *args
        )

    return run


@pytest.fixture
def run_duckdb_suite(pytester: pytest.Pytester, run_pytest: Callable[..., pytest.RunResult]) -> Run:
    """Write the vendor module (with ``plugin`` and ``extra`` filled in), run it with a JSON report, and return
    pytest's result and the report."""

    def run(
        plugin: str = '"duckdb"', *args: str, extra: str = "", prelude: str = ""
    ) -> tuple[pytest.RunResult, dict[str, Any]]:
        pytester.makepyfile(test_vendor=prelude + DUCKDB_SUITE.format(plugin=plugin, extra=extra))
        result = run_pytest("--conformance-report=report.json", *args)
        report = Path(pytester.path, "report.json")
        return result, json.loads(report.read_text()) if report.exists() else {}

    return run
