"""The churn example on the embedded stack: every stage leaves what it says in the real tools, and the
training set is point-in-time correct."""

from __future__ import annotations

import sys
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import stackhub
from conftest import REPO

EXAMPLE = REPO / "examples" / "churn"
sys.path.insert(0, str(EXAMPLE))
import pipeline  # noqa: E402


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the example in a fresh folder, then the stack reopened on what it left behind."""
    workdir = tmp_path_factory.mktemp("churn")
    env = {"CHURN_DATA": str(workdir / ".stackhub")}
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        summary = pipeline.run(EXAMPLE / "stack.yaml", say=lines.append)
    return {"summary": summary, "lines": lines, "env": env}


@pytest.fixture
def stack(outcome: dict[str, Any]) -> Any:
    with stackhub.open_stack(EXAMPLE / "stack.yaml", env=outcome["env"], lineage=False) as opened:
        yield opened


def test_progress_names_every_stage(outcome: dict[str, Any]) -> None:
    stages = [line for line in outcome["lines"] if line[:1].isdigit() and "/5 " in line[:5]]
    assert [s[:3] for s in stages] == ["1/5", "2/5", "3/5", "4/5", "5/5"]


def test_raw_and_derived_tables_are_in_the_warehouse(outcome: dict[str, Any], stack: Any) -> None:
    warehouse = stack["warehouse"]
    assert {"customers", "orders", "snapshots", "customer_activity", "churn_labels"} <= set(warehouse.list_tables())
    counts = warehouse.query("SELECT (SELECT count(*) FROM customers) AS c, (SELECT count(*) FROM orders) AS o")
    loaded = outcome["summary"]["loaded"]
    assert counts.to_pylist() == [{"c": loaded["customers"], "o": loaded["orders"]}]


def test_training_set_is_point_in_time_correct(outcome: dict[str, Any], stack: Any) -> None:
    training: pa.Table = outcome["summary"]["training"]
    labels = stack["warehouse"].query("SELECT count(*) AS n FROM churn_labels WHERE snapshot_day <= 140")
    assert training.num_rows == labels["n"][0].as_py(), "one row per entity row, none dropped or duplicated"
    # Activity snapshots are stamped exactly at the entity timestamps: the join must take the snapshot of that
    # very instant (ties included), never the next week's (a leak) nor the previous one.
    activity = stack["warehouse"].query(
        "SELECT customer_id, event_timestamp, orders_30d AS expected FROM customer_activity"
    )
    joined = training.select(["customer_id", "event_timestamp", "orders_30d"]).join(
        activity, ["customer_id", "event_timestamp"], join_type="left outer"
    )
    assert pc.all(pc.equal(joined["orders_30d"], joined["expected"])).as_py()
    # Profiles are older than every snapshot and have no TTL: never null.
    assert training["age"].null_count == 0


def test_model_is_tracked_and_registered(outcome: dict[str, Any], stack: Any) -> None:
    summary, tracker = outcome["summary"], stack["tracker"]
    run = tracker.get_run(summary["run_id"])
    assert run.status == "FINISHED"
    assert run.params["features"] == ",".join(pipeline.FEATURE_COLUMNS)
    history = tracker.get_metric_history(summary["run_id"], "valid_auc")
    steps = [m.step for m in history]
    assert steps == sorted(set(steps)), steps
    assert len(steps) >= 3, steps
    assert history[-1].value == pytest.approx(summary["metrics"]["valid_auc"])
    assert summary["metrics"]["valid_auc"] > 0.75, "the features carry signal: a broken join would not"
    assert "model/model.pkl" in tracker.list_artifacts(summary["run_id"])
    version = tracker.get_model_version("churn-gbm", summary["model_version"])
    assert version.run_id == summary["run_id"]


def test_least_confident_rows_are_labelled(outcome: dict[str, Any], stack: Any) -> None:
    labels = stack["labels"]
    exported = labels.export_annotations(pipeline.PROJECT)
    status = labels.task_status(pipeline.PROJECT)
    assert (status.total, status.annotated, exported.num_rows) == (pipeline.REVIEW_ROWS,) * 3
    assert set(exported["label"].to_pylist()) <= {"churn", "stay"}


def test_drift_flags_the_price_change_and_not_the_profile(outcome: dict[str, Any]) -> None:
    drifted = {c.column: c.drifted for c in outcome["summary"]["drift"].columns}
    # Prices rise after day 180 (examples/churn/data.py); ages and plans are fixed at sign-up.
    assert drifted["spend_30d"] is True
    assert (drifted["age"], drifted["is_pro"]) == (False, False)


def test_summary_ends_with_the_models_lineage_back_to_raw_tables(outcome: dict[str, Any]) -> None:
    tree = outcome["summary"]["lineage"]
    assert tree.startswith(f"dataset models/churn-gbm/{outcome['summary']['model_version']} ")
    for table in ("churn_labels", "customer_activity", "customers", "orders", "snapshots"):
        assert f"warehouse.main.{table} " in tree
