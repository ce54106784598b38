"""Labeling operations: a project holds three datasets (its tasks, annotations and predictions); tasks come
from the data they were submitted from, annotations from the tasks, and an export reads the annotations."""

from __future__ import annotations

from typing import Any

from ..facets import StackhubLabelingProjectDatasetFacet
from ..facts import Call, DatasetFacts, Facts, Input, Operation

__all__ = ["NOT_EMITTING", "OPERATIONS"]


def _project(
    call: Call, part: str, project: str, facet: StackhubLabelingProjectDatasetFacet | None = None, **facts: Any
) -> DatasetFacts:
    facet = facet or StackhubLabelingProjectDatasetFacet(project=project)
    return call.hub_dataset(f"projects/{project}/{part}", facets=(facet,), **facts)


def _create_project(call: Call) -> Facts:
    schema = call.args["label_schema"]
    facet = StackhubLabelingProjectDatasetFacet(
        project=call.args["name"],
        projectId=call.result.id if call.done else None,
        input=schema.input,
        inputType=schema.input_type,
        labels=list(schema.labels),
        choice=schema.choice,
    )
    return Facts("LABELING", outputs=[_project(call, "tasks", call.args["name"], facet, lifecycle="CREATE")])


def _delete_project(call: Call) -> Facts:
    name = call.args["name"]
    parts = ("tasks", "annotations", "predictions")
    return Facts("LABELING", outputs=[_project(call, part, name, lifecycle="DROP") for part in parts])


def _submit_tasks(call: Call) -> Facts:
    tasks = call.args["tasks"]
    rows = call.result.created if call.done else None
    output = _project(call, "tasks", call.args["project"], schema=tasks.schema, rows=rows)
    return Facts(
        "LABELING", inputs=call.context.sources_of(tasks), outputs=[output], parameters={"key": call.args["key"]}
    )


def _annotate(call: Call) -> Facts:
    project, annotations = call.args["project"], call.args["annotations"]
    inputs: list[Input] = [_project(call, "tasks", project), *call.context.sources_of(annotations)]
    rows = call.result if call.done else None
    output = _project(call, "annotations", project, schema=annotations.schema, rows=rows)
    return Facts("LABELING", inputs=inputs, outputs=[output])


def _export(call: Call) -> Facts:
    annotations = _project(call, "annotations", call.args["project"])
    if call.done:
        annotations = annotations.with_facts(schema=call.result.schema)
        call.context.remember(call.result, [annotations])
    return Facts("LABELING", inputs=[annotations])


def _submit_predictions(call: Call) -> Facts:
    predictions = call.args["predictions"]
    rows = call.result if call.done else None
    output = _project(call, "predictions", call.args["project"], schema=predictions.schema, rows=rows)
    return Facts(
        "LABELING",
        inputs=call.context.sources_of(predictions),
        outputs=[output],
        parameters={"model_version": call.args["model_version"]},
    )


OPERATIONS: dict[str, Operation] = {
    "create_project": Operation("LABELING", _create_project),
    "delete_project": Operation("LABELING", _delete_project),
    "submit_tasks": Operation("LABELING", _submit_tasks),
    "annotate": Operation("LABELING", _annotate),
    "export_annotations": Operation("LABELING", _export),
    "submit_predictions": Operation("LABELING", _submit_predictions),
}

NOT_EMITTING: dict[str, str] = {
    "get_project": "Reads project metadata, not a dataset.",
    "task_status": "Counts tasks; reads no dataset's content.",
}
