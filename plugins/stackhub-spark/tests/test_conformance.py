"""The warehouse conformance suite, run against real local Spark (local[2]) as any vendor runs it for their plugin."""

from __future__ import annotations

from typing import Any

import pytest
from stackhub import Warehouse
from stackhub_conformance.warehouse import WarehouseSuite


class TestSparkConformance(WarehouseSuite):
    plugin = "spark"

    @pytest.fixture
    def component_config(self, spark_owner: Warehouse, spark_config: dict[str, Any]) -> dict[str, Any]:
        return spark_config

    @pytest.fixture
    def unreachable_config(self, closed_port: int) -> dict[str, Any]:
        # A Spark Connect URL on a closed port: nothing answers there.
        return {"remote": f"sc://127.0.0.1:{closed_port}", "timeout": 5}
