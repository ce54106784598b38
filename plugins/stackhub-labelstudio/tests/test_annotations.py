"""Annotations and predictions as Label Studio keeps them: annotators are users, the bulk path leaves no
predictions behind, a failed call records nothing, skips are not labels."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from labelstudio_support import MULTIPLE, SINGLE, Fault, label_studio_tasks, name, tasks, with_faults
from stackhub import InvalidInput, NotFound, Unavailable
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer


@pytest.fixture
def project(labeling: LabelStudioLabeling) -> Iterator[str]:
    title = name("annotations")
    labeling.create_project(title, SINGLE)
    labeling.submit_tasks(title, tasks(10))
    yield title
    labeling.delete_project(title, missing_ok=True)


def _task_ids(server: LabelStudioServer, labeling: LabelStudioLabeling, project: str) -> dict[str, int]:
    found = label_studio_tasks(server, labeling.get_project(project).id)
    return {t["data"]["stackhub_key"]: int(t["id"]) for t in found}


def _annotations(server: LabelStudioServer, task: int) -> list[dict[str, Any]]:
    answer = server.api("GET", f"api/tasks/{task}/annotations/")
    assert isinstance(answer, list)
    return answer


def _predictions(server: LabelStudioServer, labeling: LabelStudioLabeling, project: str) -> list[dict[str, Any]]:
    answer = server.api("GET", f"api/predictions/?project={labeling.get_project(project).id}")
    assert isinstance(answer, list)
    return answer


def _user_ids(server: LabelStudioServer) -> dict[str, int]:
    users = server.api("GET", "api/users/")
    assert isinstance(users, list)
    return {u["username"] or u["email"]: int(u["id"]) for u in users}


def test_annotators_are_label_studio_users(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    alice = f"alice_{secrets.token_hex(3)}"
    labeler = f"lf keywords {secrets.token_hex(3)}"  # not a valid e-mail local part: one is derived
    data = pa.table(
        {
            "key": ["task-0", "task-1", "task-1", "task-2"],
            "label": ["positive", "negative", "neutral", "positive"],
            "annotator": [alice, labeler, None, server.username],
        }
    )
    assert labeling.annotate(project, data) == 4
    users = _user_ids(server)
    ids = _task_ids(server, labeling, project)
    me = users[server.username]
    assert {a["completed_by"] for a in _annotations(server, ids["task-0"])} == {users[alice]}
    assert sorted(a["completed_by"] for a in _annotations(server, ids["task-1"])) == sorted([users[labeler], me])
    assert [a["completed_by"] for a in _annotations(server, ids["task-2"])] == [me]
    exported = labeling.export_annotations(project)
    assert sorted(zip(exported["key"].to_pylist(), exported["annotator"].to_pylist(), strict=True)) == sorted(
        [
            ("task-0", alice),
            ("task-1", server.username),  # no annotator: the token's user
            ("task-1", labeler),
            ("task-2", server.username),
        ]
    )
    # The next call finds the users it made.
    assert labeling.annotate(project, pa.table({"key": ["task-3"], "label": ["neutral"], "annotator": [alice]})) == 1
    assert _user_ids(server)[alice] == users[alice]


def test_unknown_annotators_are_refused_when_they_may_not_be_created(
    labelstudio_config: dict[str, Any], project: str
) -> None:
    with plugin.create({**labelstudio_config, "create_annotators": False}) as component:
        assert isinstance(component, LabelStudioLabeling)
        data = pa.table({"key": ["task-0", "task-1"], "label": ["positive"] * 2, "annotator": [None, "nobody_xyz"]})
        with pytest.raises(InvalidInput, match=r"\['nobody_xyz'\] are not users .*create_annotators: true"):
            component.annotate(project, data)
        assert component.export_annotations(project).num_rows == 0


def test_annotate_leaves_no_predictions_behind(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    labeling.submit_predictions(
        project, pa.table({"key": ["task-5"], "label": ["neutral"], "score": [0.4]}), model_version="model-a"
    )
    transport = with_faults(labeling)
    assert (
        labeling.annotate(project, pa.table({"key": [f"task-{i}" for i in range(10)], "label": ["negative"] * 10}))
        == 10
    )
    assert transport.count(r"POST /api/tasks/\d+/annotations/") == 0, "own annotations went one by one"
    assert [p["model_version"] for p in _predictions(server, labeling, project)] == ["model-a"]
    versions = server.api("GET", f"api/projects/{labeling.get_project(project).id}/model-versions/")
    assert versions == {"model-a": 1}


DROP = r"DELETE /api/projects/\d+/model-versions/"


@pytest.mark.parametrize(
    "faults",
    [
        [(r"POST /api/projects/\d+/import/predictions", "after", 1)],
        [(r"POST /api/dm/actions", "after", 1)],
        # The clean-up is retried: it fails for good only when every attempt does (retries=2: three).
        [(DROP, "before", 1), (DROP, "before", 2), (DROP, "before", 3)],
        [(r"POST /api/tasks/\d+/annotations/", "after", 2)],
    ],
    ids=["predictions_lost", "conversion_lost", "cleanup_refused", "second_other_lost"],
)
def test_a_failed_annotate_records_nothing(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str, faults: list[tuple[str, str, int]]
) -> None:
    labeling.annotate(project, pa.table({"key": ["task-9"], "label": ["neutral"]}))
    data = pa.table(
        {
            "key": [f"task-{i}" for i in range(6)],
            "label": ["positive", "negative"] * 3,
            "annotator": [None, None, None, "bob_failing", "bob_failing", "bob_failing"],
        }
    )
    with_faults(labeling, *(Fault(pattern, when, nth) for pattern, when, nth in faults))
    with pytest.raises(Unavailable):
        labeling.annotate(project, data)
    exported = labeling.export_annotations(project)
    assert exported.select(["key", "label"]).to_pylist() == [{"key": "task-9", "label": "neutral"}]
    assert labeling.task_status(project).annotated == 1
    assert _predictions(server, labeling, project) == []


def test_skips_are_not_labels(labeling: LabelStudioLabeling, server: LabelStudioServer, project: str) -> None:
    task = _task_ids(server, labeling, project)["task-4"]
    server.api("POST", f"api/tasks/{task}/annotations/", {"result": [], "was_cancelled": True})
    assert labeling.export_annotations(project).num_rows == 0
    assert labeling.task_status(project).annotated == 0


def test_annotations_made_in_label_studio_are_exported(
    labeling: LabelStudioLabeling, server: LabelStudioServer
) -> None:
    title = name("ui_annotations")
    labeling.create_project(title, MULTIPLE)
    try:
        labeling.submit_tasks(title, tasks(2))
        task = _task_ids(server, labeling, title)["task-1"]
        # As the UI records it: a region id, and an empty choice when none applies.
        region = {"id": "Xy12Ab", "from_name": "label", "to_name": "input", "type": "choices"}
        server.api("POST", f"api/tasks/{task}/annotations/", {"result": [{**region, "value": {"choices": ["bug"]}}]})
        server.api("POST", f"api/tasks/{task}/annotations/", {"result": []})
        exported = labeling.export_annotations(title)
        assert exported.select(["key", "label", "annotator"]).to_pylist() == [
            {"key": "task-1", "label": ["bug"], "annotator": server.username},
            {"key": "task-1", "label": [], "annotator": server.username},
        ]
        assert exported["created_at"].null_count == 0
    finally:
        labeling.delete_project(title)


def test_predictions_are_pre_annotations_with_model_version_and_score(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    data = pa.table({"key": ["task-0", "task-1"], "label": ["positive", "neutral"], "score": [0.9, None]})
    assert labeling.submit_predictions(project, data, model_version="sentiment-v3") == 2
    found = sorted(_predictions(server, labeling, project), key=lambda p: p["task"])
    ids = _task_ids(server, labeling, project)
    assert [(p["task"], p["model_version"], p["score"]) for p in found] == [
        (ids["task-0"], "sentiment-v3", 0.9),
        (ids["task-1"], "sentiment-v3", None),
    ]
    assert [p["result"][0]["value"] for p in found] == [{"choices": ["positive"]}, {"choices": ["neutral"]}]
    assert labeling.export_annotations(project).num_rows == 0, "a prediction is not an annotation"
    with pytest.raises(InvalidInput, match="outside|not in the schema"):
        labeling.submit_predictions(
            project, pa.table({"key": ["task-0"], "label": ["sarcastic"], "score": [0.1]}), model_version="v"
        )
    with pytest.raises(InvalidInput, match="one-off"):
        labeling.submit_predictions(project, data, model_version="stackhub-annotate-x")
    with pytest.raises(NotFound):
        labeling.submit_predictions(
            project, pa.table({"key": ["task-99"], "label": ["neutral"], "score": [0.1]}), model_version="v"
        )
    assert len(_predictions(server, labeling, project)) == 2
