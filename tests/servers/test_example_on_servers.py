"""The churn example runs unchanged on the stack file that puts its tracker on a real MLflow server, and gives
the same training set and drift verdicts as on the embedded stack."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stackhub
from stackhub_mlflow.testing import MlflowServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "churn"
sys.path.insert(0, str(EXAMPLE))
import pipeline  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    running = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def run_example(stack_file: str, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"CHURN_DATA": str(workdir), **env}.items():
            patch.setenv(key, value)
        return pipeline.run(EXAMPLE / stack_file, say=lambda _line: None)


def test_same_pipeline_same_results_on_the_mlflow_server(server: MlflowServer, tmp_path: Path) -> None:
    embedded = run_example("stack.yaml", tmp_path / "embedded", {})
    on_server = run_example("stack-servers.yaml", tmp_path / "servers", {"MLFLOW_TRACKING_URI": server.url})

    assert on_server["training"].equals(embedded["training"]), "identical point-in-time training sets"
    verdicts = {c.column: (c.method, c.drifted) for c in embedded["drift"].columns}
    assert {c.column: (c.method, c.drifted) for c in on_server["drift"].columns} == verdicts
    assert on_server["metrics"] == pytest.approx(embedded["metrics"]), "same data, same seeded model"

    # The run and the model are on the server, where anyone with its URL finds them.
    with stackhub.open_stack(
        EXAMPLE / "stack-servers.yaml", env={"MLFLOW_TRACKING_URI": server.url}, lineage=False
    ) as stack:
        tracker = stack["tracker"]
        assert tracker.get_run(on_server["run_id"]).status == "FINISHED"
        assert "model/model.pkl" in tracker.list_artifacts(on_server["run_id"])
        assert tracker.get_model_version("churn-gbm", on_server["model_version"]).run_id == on_server["run_id"]
