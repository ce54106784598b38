"""Every tracker operation against the embedded SQLite store and a real MLflow server (the ``tracker`` fixture)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stackhub import AlreadyExists, Conflict, InvalidInput, NotFound
from stackhub.categories.tracker import Run
from stackhub_mlflow._tracker import MlflowTracker

UNKNOWN_RUN = "0" * 32


@pytest.fixture
def run_id(tracker: MlflowTracker, experiment: str) -> str:
    return tracker.start_run(experiment, run_name="r").id


# -- experiments and runs -------------------------------------------------------------------------------


def test_experiments_are_created_once_and_found_by_name(tracker: MlflowTracker) -> None:
    name = f"exp-{uuid.uuid4().hex}"
    created = tracker.create_experiment(name)
    assert tracker.get_experiment(name) == created
    with pytest.raises(AlreadyExists, match=name):
        tracker.create_experiment(name)
    with pytest.raises(NotFound, match="no experiment named 'missing-"):
        tracker.get_experiment(f"missing-{uuid.uuid4().hex}")


def test_a_run_starts_running_and_ends_with_status_and_time(tracker: MlflowTracker, experiment: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    run = tracker.start_run(experiment, run_name="first", tags={"team": "ml"})
    assert (run.status, run.name, run.tags, run.end_time) == ("RUNNING", "first", {"team": "ml"}, None)
    assert run.experiment_id == tracker.get_experiment(experiment).id
    assert run.start_time >= before
    tracker.end_run(run.id, "FAILED")
    ended = tracker.get_run(run.id)
    assert ended.status == "FAILED"
    assert ended.end_time is not None
    assert ended.end_time >= run.start_time


def test_unknown_runs_and_experiments_are_not_found(tracker: MlflowTracker) -> None:
    with pytest.raises(NotFound):
        tracker.start_run(f"missing-{uuid.uuid4().hex}")
    for call in (
        lambda: tracker.get_run(UNKNOWN_RUN),
        lambda: tracker.end_run(UNKNOWN_RUN),
        lambda: tracker.log_metrics(UNKNOWN_RUN, {"m": 1.0}),
        lambda: tracker.log_params(UNKNOWN_RUN, {"p": 1}),
        lambda: tracker.set_tags(UNKNOWN_RUN, {"t": "1"}),
        lambda: tracker.get_metric_history(UNKNOWN_RUN, "m"),
        lambda: tracker.list_artifacts(UNKNOWN_RUN),
    ):
        with pytest.raises(NotFound, match=UNKNOWN_RUN):
            call()


def test_a_run_cannot_end_as_running(tracker: MlflowTracker, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="FINISHED, FAILED, KILLED"):
        tracker.end_run(run_id, "RUNNING")


# -- params ---------------------------------------------------------------------------------------------


def test_params_are_stored_as_strings_and_immutable(tracker: MlflowTracker, run_id: str) -> None:
    tracker.log_params(run_id, {"lr": 0.1, "layers": 3, "shuffle": True, "name": "resnet"})
    tracker.log_params(run_id, {"lr": 0.1, "extra": "x"})  # the same value again is accepted
    with pytest.raises(Conflict, match=r"'lr' is '0.1', not '0.2'"):
        tracker.log_params(run_id, {"lr": 0.2})
    assert tracker.get_run(run_id).params == {
        "lr": "0.1",
        "layers": "3",
        "shuffle": "True",
        "name": "resnet",
        "extra": "x",
    }


def test_more_params_than_one_mlflow_request_takes(tracker: MlflowTracker, run_id: str) -> None:
    params = {f"p{i:03}": i for i in range(250)}  # MLflow takes 100 per request
    tracker.log_params(run_id, params)
    assert tracker.get_run(run_id).params == {k: str(v) for k, v in params.items()}


def test_a_bad_param_key_is_invalid_input_not_a_conflict(tracker: MlflowTracker, run_id: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        tracker.log_params(run_id, {"../escape": 1})
    assert not isinstance(raised.value, Conflict)


def test_a_param_longer_than_mlflow_stores_is_refused_not_truncated(tracker: MlflowTracker, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="6000 characters"):
        tracker.log_params(run_id, {"blob": "x" * 6001})
    assert "blob" not in tracker.get_run(run_id).params


# -- metrics --------------------------------------------------------------------------------------------


def test_metric_history_keeps_every_value_ordered_by_step_then_time(tracker: MlflowTracker, run_id: str) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tracker.log_metrics(run_id, {"loss": 0.3}, step=2, timestamp=t0)
    tracker.log_metrics(run_id, {"loss": 0.9}, step=0, timestamp=t0 + timedelta(seconds=3))
    tracker.log_metrics(run_id, {"loss": 0.5}, step=1, timestamp=t0 + timedelta(seconds=2))
    tracker.log_metrics(run_id, {"loss": 0.4}, step=1, timestamp=t0 + timedelta(seconds=1))
    tracker.log_metrics(run_id, {"loss": 0.6}, step=1, timestamp=t0 + timedelta(seconds=1))
    history = tracker.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 1, 1, 2]
    assert [m.value for m in history][::4] == [0.9, 0.3]
    assert {m.value for m in history[1:3]} == {0.4, 0.6}  # same step and time: either order
    assert history[3].value == 0.5
    assert history[0].timestamp == t0 + timedelta(seconds=3)
    assert {m.key for m in history} == {"loss"}
    assert tracker.get_run(run_id).metrics == {"loss": 0.3}  # the latest: highest step


def test_an_identical_point_logged_twice_is_stored_once(tracker: MlflowTracker, run_id: str) -> None:
    # MLflow's metrics table is keyed by (run, key, step, timestamp, value): an exact repeat is one row.
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(2):
        tracker.log_metrics(run_id, {"loss": 0.4}, step=1, timestamp=moment)
    assert [(m.step, m.value) for m in tracker.get_metric_history(run_id, "loss")] == [(1, 0.4)]


def test_more_metrics_than_one_mlflow_request_takes(tracker: MlflowTracker, run_id: str) -> None:
    metrics = {f"m{i:04}": float(i) for i in range(2500)}  # MLflow takes 1000 per request
    tracker.log_metrics(run_id, metrics, step=7)
    assert tracker.get_run(run_id).metrics == metrics
    assert [m.step for m in tracker.get_metric_history(run_id, "m2499")] == [7]


def test_metrics_must_be_numbers_at_integer_steps(tracker: MlflowTracker, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="numbers"):
        tracker.log_metrics(run_id, {"loss": "low"})  # type: ignore[dict-item]
    with pytest.raises(InvalidInput, match="step"):
        tracker.log_metrics(run_id, {"loss": 1.0}, step=1.5)  # type: ignore[arg-type]


def test_an_unlogged_metric_of_a_known_run_has_an_empty_history(tracker: MlflowTracker, run_id: str) -> None:
    assert tracker.get_metric_history(run_id, "never") == []


# -- tags -----------------------------------------------------------------------------------------------


def test_tags_are_overwritten(tracker: MlflowTracker, experiment: str) -> None:
    run = tracker.start_run(experiment, tags={"stage": "dev"})
    tracker.set_tags(run.id, {"stage": "prod", "owner": "ana"})
    tracker.set_tags(run.id, {f"t{i:03}": str(i) for i in range(150)})  # MLflow takes 100 per request
    tags = tracker.get_run(run.id).tags
    assert tags["stage"] == "prod"
    assert tags["owner"] == "ana"
    assert tags["t149"] == "149"
    assert len(tags) == 152


def test_a_tag_longer_than_mlflow_stores_is_refused(tracker: MlflowTracker, run_id: str) -> None:
    with pytest.raises(InvalidInput, match="8000 characters"):
        tracker.set_tags(run_id, {"note": "x" * 8001})


# -- artifacts ------------------------------------------------------------------------------------------


def test_artifacts_round_trip_byte_identical(tracker: MlflowTracker, run_id: str, tmp_path: Path) -> None:
    payload = os.urandom(300_000) + b"\x00\r\n\xff"
    model = tmp_path / "model.bin"
    model.write_bytes(payload)
    folder = tmp_path / "report"
    (folder / "plots").mkdir(parents=True)
    (folder / "summary.txt").write_text("accuracy: 0.93\n")
    (folder / "plots" / "roc.svg").write_bytes(b"<svg/>")

    assert tracker.log_artifact(run_id, model) == "model.bin"
    assert tracker.log_artifact(run_id, model, "checkpoints/epoch-1/") == "checkpoints/epoch-1/model.bin"
    assert tracker.log_artifact(run_id, folder, "docs") == "docs/report"
    assert tracker.list_artifacts(run_id) == [
        "checkpoints/epoch-1/model.bin",
        "docs/report/plots/roc.svg",
        "docs/report/summary.txt",
        "model.bin",
    ]
    got = tracker.download_artifact(run_id, "checkpoints/epoch-1/model.bin", tmp_path / "out")
    assert got.read_bytes() == payload
    tree = tracker.download_artifact(run_id, "docs/report", tmp_path / "out2")
    assert (tree / "plots" / "roc.svg").read_bytes() == b"<svg/>"
    assert (tree / "summary.txt").read_text() == "accuracy: 0.93\n"


def test_artifact_errors(tracker: MlflowTracker, run_id: str, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        tracker.log_artifact(run_id, tmp_path / "missing.txt")
    with pytest.raises(NotFound):
        tracker.download_artifact(run_id, "never/logged.txt", tmp_path)
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(InvalidInput, match=r"\.\."):
        tracker.log_artifact(run_id, tmp_path / "a.txt", "../outside")
    with pytest.raises(NotFound, match=UNKNOWN_RUN):
        tracker.log_artifact(UNKNOWN_RUN, tmp_path / "a.txt")
    assert tracker.list_artifacts(run_id) == []


# -- search ---------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(tracker: MlflowTracker, experiment: str) -> str:
    """Four runs: a..d with val.loss 0.4, 0.3, 0.2, 0.1 and alternating params, tags and statuses."""
    for i, name in enumerate("abcd"):
        run = tracker.start_run(experiment, run_name=name, tags={"team": "x and y" if i % 2 else "core"})
        tracker.log_params(run.id, {"model": "tree" if i < 2 else "linear", "depth": i})
        tracker.log_metrics(run.id, {"val.loss": [0.4, 0.3, 0.2, 0.1][i], "acc": 0.5})
        if i % 2:
            tracker.end_run(run.id)
    return experiment


def _names(runs: list[Run]) -> list[str | None]:
    return [run.name for run in runs]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("metrics.val.loss < 0.25", {"c", "d"}),
        ("metrics.val.loss <= 0.2", {"c", "d"}),
        ("metrics.val.loss > 0.3", {"a"}),
        ("metrics.val.loss >= 0.3", {"a", "b"}),
        ("metrics.acc = 0.5", {"a", "b", "c", "d"}),
        ("metrics.val.loss != 0.4", {"b", "c", "d"}),
        ("metrics.val.loss > -1e3", {"a", "b", "c", "d"}),
        ("params.model = 'tree'", {"a", "b"}),
        ("params.model != 'tree'", {"c", "d"}),
        ("tags.team = 'x and y'", {"b", "d"}),
        ("tags.team != 'x and y'", {"a", "c"}),
        ("attributes.status = 'FINISHED'", {"b", "d"}),
        ("attributes.status != 'FINISHED'", {"a", "c"}),
        ("attributes.run_name = 'c'", {"c"}),
        ("params.model = 'linear' AND metrics.val.loss < 0.15 and tags.team = 'x and y'", {"d"}),
        ("params.model = 'none'", set()),
        ("", {"a", "b", "c", "d"}),
    ],
)
def test_search_filters(tracker: MlflowTracker, searchable: str, query: str, expected: set[str]) -> None:
    assert set(_names(tracker.search_runs(searchable, filter=query))) == expected


def test_a_run_without_the_key_matches_no_comparison_on_it(tracker: MlflowTracker, searchable: str) -> None:
    bare = tracker.start_run(searchable, run_name="bare")
    for query in ("metrics.acc != 7", "params.model != 'x'", "tags.team != 'x'"):
        assert "bare" not in _names(tracker.search_runs(searchable, filter=query))
    assert tracker.search_runs(searchable, filter="attributes.run_name = 'bare'")[0].id == bare.id


def test_search_order_and_limit(tracker: MlflowTracker, searchable: str) -> None:
    assert _names(tracker.search_runs(searchable, order_by=["metrics.val.loss ASC"])) == ["d", "c", "b", "a"]
    assert _names(tracker.search_runs(searchable, order_by=["metrics.val.loss DESC"])) == ["a", "b", "c", "d"]
    by_model = tracker.search_runs(searchable, order_by=["params.model", "attributes.run_name DESC"])
    assert _names(by_model) == ["d", "c", "b", "a"]
    assert _names(tracker.search_runs(searchable, order_by=["attributes.start_time"], max_results=3)) == [
        "a",
        "b",
        "c",
    ]
    found = tracker.search_runs(searchable, filter="attributes.run_name = 'b'")
    assert found[0].params == {"model": "tree", "depth": "1"}
    assert found[0].metrics == {"val.loss": 0.3, "acc": 0.5}


@pytest.mark.parametrize(
    "query",
    [
        "metrics.val.loss < 0.5 or params.model = 'tree'",
        "params.model = tree",
        "params.depth = 1",
        "params.model > 'a'",
        "metrics.acc = '0.5'",
        "attributes.status = 'DONE'",
        "attributes.start_time = '1'",
        "metric.acc > 0",
        "metrics.acc LIKE 0.5",
        "metrics.acc > 0 and",
        "(metrics.acc > 0)",
        "params.model IN ('tree')",
    ],
)
def test_search_refuses_filters_outside_the_grammar(tracker: MlflowTracker, searchable: str, query: str) -> None:
    with pytest.raises(InvalidInput, match="Invalid search filter"):
        tracker.search_runs(searchable, filter=query)


def test_search_refuses_bad_order_and_limits(tracker: MlflowTracker, searchable: str) -> None:
    with pytest.raises(InvalidInput, match="order_by"):
        tracker.search_runs(searchable, order_by=["metrics.acc sideways"])
    with pytest.raises(InvalidInput, match="max_results"):
        tracker.search_runs(searchable, max_results=0)
    with pytest.raises(NotFound):
        tracker.search_runs(f"missing-{uuid.uuid4().hex}")


# -- model registry -------------------------------------------------------------------------------------


def test_model_versions_count_up_per_model(tracker: MlflowTracker, experiment: str, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"w")
    name = f"churn-{uuid.uuid4().hex[:8]}"
    other = f"fraud-{uuid.uuid4().hex[:8]}"
    runs = [tracker.start_run(experiment).id for _ in range(3)]
    for run in runs:
        tracker.log_artifact(run, tmp_path / "model")
    versions = [tracker.register_model(name, run, "model") for run in runs]
    assert [v.version for v in versions] == ["1", "2", "3"]
    assert [v.run_id for v in versions] == runs
    assert tracker.register_model(other, runs[0], "model/weights.bin").version == "1"
    assert tracker.get_model_version(name, "2") == versions[1]
    assert versions[1].source == f"runs:/{runs[1]}/model"


def test_model_registry_errors(tracker: MlflowTracker, run_id: str, tmp_path: Path) -> None:
    (tmp_path / "m.bin").write_bytes(b"m")
    tracker.log_artifact(run_id, tmp_path / "m.bin")
    name = f"m-{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotFound):
        tracker.get_model_version(name, "1")
    tracker.register_model(name, run_id, "m.bin")
    for version in ("2", "0", "latest"):
        with pytest.raises(NotFound):
            tracker.get_model_version(name, version)
    with pytest.raises(NotFound, match="no artifact 'nothing.bin'"):
        tracker.register_model(name, run_id, "nothing.bin")
    with pytest.raises(NotFound, match=UNKNOWN_RUN):
        tracker.register_model(name, UNKNOWN_RUN, "m.bin")
    assert tracker.get_model_version(name, "1").run_id == run_id


def test_health(tracker: MlflowTracker) -> None:
    tracker.health()
