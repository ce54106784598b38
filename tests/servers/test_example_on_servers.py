"""The churn example runs unchanged on the stack files whose parts are servers and engines, each started on
127.0.0.1 here, and gives the same training set, model metrics and drift verdicts as on the embedded stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import stackhub
from stackhub_labelstudio.testing import LabelStudioServer
from stackhub_mlflow.testing import MlflowServer, free_port
from stackhub_postgres.testing import PostgresServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "churn"
sys.path.insert(0, str(EXAMPLE))
import pipeline  # noqa: E402


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    running = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.create()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_example("stack.yaml", tmp_path_factory.mktemp("embedded"), {})


def run_example(stack_file: str, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"CHURN_DATA": str(workdir), **env}.items():
            patch.setenv(key, value)
        return pipeline.run(EXAMPLE / stack_file, say=lambda _line: None)


def assert_same_rows(found: pa.Table, expected: pa.Table) -> None:
    """Same schema and rows; floating-point aggregates to the last few bits only, since each engine sums in
    its own order."""
    assert found.schema == expected.schema
    for name in expected.column_names:
        if pa.types.is_floating(expected.schema.field(name).type):
            assert np.allclose(found[name].to_numpy(), expected[name].to_numpy(), rtol=1e-12, atol=0, equal_nan=True)
        else:
            assert found[name].equals(expected[name]), name


def assert_same_results(found: dict[str, Any], expected: dict[str, Any]) -> None:
    assert_same_rows(found["training"], expected["training"])
    verdicts = {c.column: (c.method, c.drifted) for c in expected["drift"].columns}
    assert {c.column: (c.method, c.drifted) for c in found["drift"].columns} == verdicts
    scores = {c.column: c.score for c in expected["drift"].columns}
    assert {c.column: c.score for c in found["drift"].columns} == pytest.approx(scores, rel=1e-9, abs=1e-12)
    # Same data and seed: the last-bit differences of the sums may move a split threshold, no more.
    assert found["metrics"] == pytest.approx(expected["metrics"], rel=1e-4), "same data, same seeded model"


def test_postgres_and_mlflow_server(
    postgres: PostgresServer, mlflow_server: MlflowServer, embedded: dict[str, Any], tmp_path: Path
) -> None:
    env = {"PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "MLFLOW_TRACKING_URI": mlflow_server.url}
    on_servers = run_example("stack-servers.yaml", tmp_path, env)
    assert_same_results(on_servers, embedded)

    # The tables are in PostgreSQL, the run and the model on the MLflow server, where anyone finds them.
    with stackhub.open_stack(EXAMPLE / "stack-servers.yaml", env=env, lineage=False) as stack:
        assert {"customers", "orders", "churn_labels"} <= set(stack["warehouse"].list_tables())
        tracker = stack["tracker"]
        assert tracker.get_run(on_servers["run_id"]).status == "FINISHED"
        assert "model/model.pkl" in tracker.list_artifacts(on_servers["run_id"])
        assert tracker.get_model_version("churn-gbm", on_servers["model_version"]).run_id == on_servers["run_id"]


def test_spark_and_evidently(embedded: dict[str, Any], tmp_path: Path) -> None:
    on_spark = run_example("stack-spark.yaml", tmp_path, {})
    # Evidently picks each column's test by the spec's default_method, as sqlmonitor does: same verdicts and
    # scores; the feature store and labeling queue computed inside Spark give the same training set.
    assert_same_results(on_spark, embedded)
    assert on_spark["labeling"]["annotations"] == embedded["labeling"]["annotations"]


@pytest.fixture(scope="module")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    server = LabelStudioServer(tmp_path_factory.mktemp("labelstudio"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_feast_and_label_studio(labelstudio: LabelStudioServer, embedded: dict[str, Any], tmp_path: Path) -> None:
    env = {"LABEL_STUDIO_URL": labelstudio.url, "LABEL_STUDIO_TOKEN": labelstudio.token}
    on_oss = run_example("stack-feast-labelstudio.yaml", tmp_path, env)
    # Feast's training set is the warehouse-native one: the plugin bridges every semantic difference.
    assert_same_results(on_oss, embedded)
    assert on_oss["labeling"]["submitted"] == pipeline.REVIEW_ROWS
    assert on_oss["labeling"]["annotations"] == embedded["labeling"]["annotations"]
    # The tasks and their annotations are in Label Studio, where a person reviews them.
    with stackhub.open_stack(EXAMPLE / "stack-feast-labelstudio.yaml", env=env, lineage=False) as stack:
        status = stack["labels"].task_status(pipeline.PROJECT)
        assert (status.total, status.annotated) == (pipeline.REVIEW_ROWS, pipeline.REVIEW_ROWS)


def test_validate_reports_each_unreachable_server(tmp_path: Path) -> None:
    closed = {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(free_port()),
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stackhub.cli",
            "validate",
            str(EXAMPLE / "stack-servers.yaml"),
            "--format",
            "json",
            "--timeout",
            "60",
        ],
        cwd=tmp_path,
        env={**os.environ, **closed},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr  # a valid file whose servers are down
    live = {f["component"]: f["message"] for f in json.loads(result.stdout)["findings"] if f["code"] == "SH601"}
    assert sorted(live) == ["features", "labels", "monitor", "tracker", "warehouse"], live
    assert f"PostgreSQL at 127.0.0.1:{closed['PGPORT']}" in live["warehouse"]
    assert f"{closed['MLFLOW_TRACKING_URI']} did not answer" in live["tracker"]
    for dependent in ("features", "labels", "monitor"):
        assert "its dependency 'warehouse' is not available" in live[dependent]
