"""The monitor conformance suite, run against this plugin on a real DuckDB warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stackhub import Component
from stackhub_conformance.monitor import MonitorSuite
from stackhub_duckdb import plugin as duckdb_plugin


class TestSQLMonitorConformance(MonitorSuite):
    plugin = "sqlmonitor"

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"warehouse": "warehouse"}

    @pytest.fixture
    def component_dependencies(self) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": ":memory:"}) as warehouse:
            yield {"warehouse": warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        # A read-only DuckDB file that does not exist: the warehouse cannot be opened.
        with duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}
