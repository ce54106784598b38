"""The feature store conformance suite, run against this plugin on a real DuckDB warehouse, with each of Feast's
offline stores. One Feast repository and one warehouse serve every check of a class (the suite names everything it
creates uniquely), so Feast's registry grows over the run as it would in use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stackhub import Component
from stackhub_conformance.feature_store import FeatureStoreSuite
from stackhub_duckdb import plugin as duckdb_plugin


@pytest.fixture(scope="class")
def shared_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(f"feast-{request.cls.offline_store}")


@pytest.fixture(scope="class")
def shared_warehouse(shared_repo: Path) -> Iterator[Component]:
    with duckdb_plugin.create({"path": str(shared_repo / "warehouse.duckdb")}) as warehouse:
        yield warehouse


class TestFeastConformance(FeatureStoreSuite):
    plugin = "feast"
    offline_store = "file"

    @pytest.fixture
    def component_config(self, shared_repo: Path) -> dict[str, Any]:
        return {"warehouse": "warehouse", "repo_path": str(shared_repo / "feast"), "offline_store": self.offline_store}

    @pytest.fixture
    def component_dependencies(self, shared_warehouse: Component) -> dict[str, Component]:
        return {"warehouse": shared_warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        # A read-only DuckDB file that does not exist: the warehouse the sources live in cannot be opened.
        with duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}


class TestFeastDuckDBConformance(TestFeastConformance):
    offline_store = "duckdb"
