"""The warehouse conformance suite, run against real DuckDB as any vendor runs it for their plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
from stackhub_conformance.warehouse import WarehouseSuite


class TestDuckDBConformance(WarehouseSuite):
    plugin = "duckdb"

    @pytest.fixture
    def component_config(self, tmp_path: Path) -> dict[str, str]:
        return {"path": str(tmp_path / "conformance.duckdb")}

    @pytest.fixture
    def unreachable_config(self, tmp_path: Path) -> dict[str, object]:
        # A read-only database file that does not exist cannot be opened.
        return {"path": str(tmp_path / "missing.duckdb"), "read_only": True}
