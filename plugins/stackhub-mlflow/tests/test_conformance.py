"""The stackhub conformance suite for trackers, against the embedded store and against a real MLflow server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from stackhub_conformance.tracker import TrackerSuite

if TYPE_CHECKING:
    from stackhub_mlflow.testing import MlflowServer


class TestEmbeddedConformance(TrackerSuite):
    plugin = "mlflow"

    @pytest.fixture
    def component_config(self, embedded_store: dict[str, str]) -> dict[str, str]:
        return embedded_store

    @pytest.fixture
    def unreachable_config(self, tmp_path: Path) -> dict[str, str]:
        # The store's folder would have to be created inside a regular file: the database cannot be opened.
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("")
        return {"tracking_uri": f"sqlite:///{blocker}/mlflow.db"}


class TestServerConformance(TrackerSuite):
    plugin = "mlflow"

    @pytest.fixture
    def component_config(self, mlflow_server: MlflowServer) -> dict[str, object]:
        if not mlflow_server.running():
            mlflow_server.start()
        return {"tracking_uri": mlflow_server.url, "timeout": 10, "max_retries": 2}

    @pytest.fixture
    def unreachable_config(self, closed_port: int) -> dict[str, object]:
        return {"tracking_uri": f"http://127.0.0.1:{closed_port}", "timeout": 2, "max_retries": 0}
