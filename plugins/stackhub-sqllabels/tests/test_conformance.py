"""The labeling conformance suite, run against this plugin on a real DuckDB warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stackhub_duckdb
from stackhub import Component
from stackhub_conformance.labeling import LabelingSuite


class TestSQLLabelsConformance(LabelingSuite):
    plugin = "sqllabels"

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"warehouse": "warehouse"}

    @pytest.fixture
    def component_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        with stackhub_duckdb.plugin.create({"path": str(tmp_path / "labels.duckdb")}) as warehouse:
            yield {"warehouse": warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        # A read-only DuckDB file that does not exist: the warehouse cannot be opened.
        with stackhub_duckdb.plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}
