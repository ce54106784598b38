"""The monitor conformance suite, run against this plugin as a vendor runs it: every drift report also goes to a
real Evidently UI service started on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import pytest
from stackhub_conformance.monitor import MonitorSuite
from stackhub_evidently.testing import EvidentlyUI


class TestEvidentlyConformance(MonitorSuite):
    plugin = "evidently"

    @pytest.fixture
    def component_config(self, evidently_ui: EvidentlyUI) -> dict[str, object]:
        return {"workspace": evidently_ui.url, "project": "stackhub-conformance"}

    @pytest.fixture
    def unreachable_config(self, closed_port: int) -> dict[str, object]:
        # Nothing listens on the port: the Evidently UI service that would keep the runs cannot be reached.
        return {"workspace": f"http://127.0.0.1:{closed_port}", "timeout": 2}
