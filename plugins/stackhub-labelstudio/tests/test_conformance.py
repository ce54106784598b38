"""The stackhub conformance suite for labeling (core and ``predictions``), against a real Label Studio server."""

from __future__ import annotations

from typing import Any

import pytest
from stackhub_conformance.labeling import LabelingSuite


class TestLabelStudioConformance(LabelingSuite):
    plugin = "labelstudio"

    @pytest.fixture
    def component_config(self, labelstudio_config: dict[str, Any]) -> dict[str, Any]:
        return labelstudio_config

    @pytest.fixture
    def unreachable_config(self, closed_port: int) -> dict[str, Any]:
        return {"url": f"http://127.0.0.1:{closed_port}", "token": "0" * 40, "timeout": 2, "retries": 0}
