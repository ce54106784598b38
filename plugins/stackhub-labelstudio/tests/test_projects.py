"""Projects as Label Studio keeps them: found by title, schema in the label config, made elsewhere too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from labelstudio_support import SINGLE, name, tasks
from stackhub import AlreadyExists, Conflict, InvalidInput, NotFound
from stackhub.categories.labeling import LabelSchema
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer


@pytest.fixture
def made_in_label_studio(server: LabelStudioServer) -> Iterator[list[int]]:
    """Ids of projects a test creates past the plugin (as a user would in the UI); deleted afterwards."""
    ids: list[int] = []
    yield ids
    for project in ids:
        server.api("DELETE", f"api/projects/{project}/")


def _create(server: LabelStudioServer, made: list[int], title: str, label_config: str) -> dict[str, Any]:
    project = server.api("POST", "api/projects/", {"title": title, "label_config": label_config})
    assert isinstance(project, dict)
    made.append(int(project["id"]))
    return project


def test_a_project_is_a_label_studio_project_with_the_schema_as_label_config(
    labeling: LabelStudioLabeling, server: LabelStudioServer
) -> None:
    title = name("config")
    project = labeling.create_project(title, SINGLE)
    try:
        stored = server.api("GET", f"api/projects/{project.id}/")
        assert isinstance(stored, dict)
        assert stored["title"] == title
        assert stored["expert_instruction"] == "Tone of the review."
        assert stored["show_instruction"] is True
        assert '<Choices name="label" toName="input" choice="single"' in stored["label_config"]
        assert '<Text name="input" value="$text" />' in stored["label_config"]
    finally:
        labeling.delete_project(title)


def test_titles_are_matched_exactly(labeling: LabelStudioLabeling) -> None:
    short = name("exact")
    longer = short + "_longer"  # Label Studio's title filter matches substrings: "short" finds both
    labeling.create_project(longer, SINGLE)
    try:
        with pytest.raises(NotFound, match="create_project"):
            labeling.get_project(short)
        labeling.create_project(short, SINGLE)
        assert labeling.get_project(short).name == short
        labeling.delete_project(short)
        assert labeling.get_project(longer).name == longer
    finally:
        labeling.delete_project(short, missing_ok=True)
        labeling.delete_project(longer)


def test_a_project_made_in_label_studio_is_used_with_its_own_tag_names(
    labeling: LabelStudioLabeling, server: LabelStudioServer, made_in_label_studio: list[int]
) -> None:
    title = name("ui_made")
    config = (
        '<View><Header value="How does it sound?"/><Text name="review" value="$text"/>'
        '<Choices name="sentiment" toName="review" choice="single-radio">'
        '<Choice value="Good" alias="good"/><Choice value="Bad" alias="bad"/></Choices></View>'
    )
    _create(server, made_in_label_studio, title, config)
    assert labeling.get_project(title).label_schema == LabelSchema(input="text", labels=("good", "bad"))
    labeling.submit_tasks(title, tasks(3))
    assert labeling.annotate(title, pa.table({"key": ["task-1"], "label": ["bad"]})) == 1
    exported = labeling.export_annotations(title)
    assert exported.select(["key", "label"]).to_pylist() == [{"key": "task-1", "label": "bad"}]
    (task,) = [t for t in server_tasks(server, made_in_label_studio[-1]) if t["data"]["stackhub_key"] == "task-1"]
    annotations = server.api("GET", f"api/tasks/{task['id']}/annotations/")
    assert isinstance(annotations, list)
    (region,) = annotations[0]["result"]
    assert (region["from_name"], region["to_name"], region["value"]) == ("sentiment", "review", {"choices": ["bad"]})


def server_tasks(server: LabelStudioServer, project: int) -> list[dict[str, Any]]:
    answer = server.api("GET", f"api/tasks/?project={project}&include=id,data&page_size=1000")
    assert isinstance(answer, dict)
    found: list[dict[str, Any]] = answer["tasks"]
    return found


def test_a_project_stackhub_cannot_read_is_refused_by_name_and_can_still_be_deleted(
    labeling: LabelStudioLabeling, server: LabelStudioServer, made_in_label_studio: list[int]
) -> None:
    title = name("boxes")
    config = (
        '<View><Image name="img" value="$image"/><RectangleLabels name="box" toName="img">'
        '<Label value="car"/></RectangleLabels></View>'
    )
    _create(server, made_in_label_studio, title, config)
    with pytest.raises(InvalidInput, match=r"cannot be used as a stackhub labeling project: .*0 <Choices> tags"):
        labeling.get_project(title)
    with pytest.raises(InvalidInput, match="0 <Choices> tags"):
        labeling.submit_tasks(title, tasks(1))
    labeling.delete_project(title)
    made_in_label_studio.clear()
    with pytest.raises(NotFound):
        labeling.get_project(title)


def test_two_projects_of_one_title_are_a_conflict(
    labeling: LabelStudioLabeling, server: LabelStudioServer, made_in_label_studio: list[int]
) -> None:
    title = name("twins")
    config = '<View><Text name="t" value="$text"/><Choices name="c" toName="t"><Choice value="x"/></Choices></View>'
    _create(server, made_in_label_studio, title, config)
    _create(server, made_in_label_studio, title, config)
    with pytest.raises(Conflict, match=r"2 projects .* are titled .*Rename all but one"):
        labeling.get_project(title)
    with pytest.raises(AlreadyExists):
        labeling.create_project(title, SINGLE)


@pytest.mark.parametrize(
    ("title", "schema", "message"),
    [
        ("ab", SINGLE, "3 to 50 characters"),
        ("x" * 51, SINGLE, "3 to 50 characters"),
        (None, SINGLE, "3 to 50 characters"),
        ("sh_ls_bad_input", LabelSchema(input="review text", labels=("a",)), "letters, digits and underscores"),
        ("sh_ls_bad_input", LabelSchema(input="meta.text", labels=("a",)), "letters, digits and underscores"),
    ],
    ids=["short", "long", "none", "space", "dot"],
)
def test_what_label_studio_cannot_hold_is_refused_before_anything_is_created(
    labeling: LabelStudioLabeling, title: Any, schema: LabelSchema, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        labeling.create_project(title, schema)
    if isinstance(title, str):
        with pytest.raises(NotFound):
            labeling.get_project(title)


def test_an_image_project_shows_the_url_column(labeling: LabelStudioLabeling, server: LabelStudioServer) -> None:
    title = name("images")
    schema = LabelSchema(input="photo", input_type="image_url", labels=("cat", "dog"))
    project = labeling.create_project(title, schema)
    try:
        stored = server.api("GET", f"api/projects/{project.id}/")
        assert isinstance(stored, dict)
        assert '<Image name="input" value="$photo" />' in stored["label_config"]
        assert labeling.get_project(title).label_schema == schema
        data = pa.table({"key": ["a"], "photo": ["http://127.0.0.1:9/cat.png"]})
        assert labeling.submit_tasks(title, data).created == 1
    finally:
        labeling.delete_project(title)
