"""The warehouse conformance suite (core and the schemas capability) against a real PostgreSQL server."""

from __future__ import annotations

import pytest
from stackhub_conformance.warehouse import WarehouseSuite


class TestPostgresConformance(WarehouseSuite):
    plugin = "postgres"

    @pytest.fixture
    def component_config(self, pg_config: dict[str, object]) -> dict[str, object]:
        return pg_config

    @pytest.fixture
    def unreachable_config(self, pg_config: dict[str, object], closed_port: int) -> dict[str, object]:
        return pg_config | {"port": closed_port, "connect_timeout": 2}
