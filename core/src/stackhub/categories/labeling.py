"""Labeling: projects with a label schema, tasks in as Arrow rows, annotations out as Arrow rows.

Shaped after Label Studio's REST API (projects with a label config, task import, annotations, predictions as
pre-annotations, exports that can hold several annotations per task). Tasks are identified by a caller-chosen
key so that a retried submit never duplicates a task.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from ..models import SpecModel
from ..plugin import Component

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CAPABILITIES",
    "EXPORT_COLUMNS",
    "MODELS",
    "LabelSchema",
    "Labeling",
    "Project",
    "SubmitResult",
    "SupportsPredictions",
    "TaskStatus",
]

CAPABILITIES: dict[str, str] = {
    "predictions": "Model predictions can be attached to tasks as pre-annotations (SupportsPredictions).",
}

#: Columns of ``export_annotations``, in order: task key, annotation id, label(s), annotator, creation time.
EXPORT_COLUMNS = ("key", "annotation_id", "label", "annotator", "created_at")


class LabelSchema(SpecModel):
    """What annotators see and choose: one input column and a fixed set of labels."""

    input: str = Field(description="The task column shown to annotators.")
    input_type: Literal["text", "image_url"] = "text"
    labels: tuple[str, ...] = Field(min_length=1)
    choice: Literal["single", "multiple"] = "single"
    instructions: str = ""


class Project(SpecModel):
    """A labeling project."""

    id: str
    name: str
    label_schema: LabelSchema


class SubmitResult(SpecModel):
    """What a submit did: tasks created, and tasks whose key was already in the project."""

    created: int
    existing: int


class TaskStatus(SpecModel):
    """Progress of a project."""

    total: int
    annotated: int
    unannotated: int


class Labeling(Component):
    """A labeling tool."""

    category: ClassVar[str] = "labeling"

    @abc.abstractmethod
    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        """Create a project. MUST raise ``AlreadyExists`` when a project of that name exists."""

    @abc.abstractmethod
    def get_project(self, name: str) -> Project:
        """Return a project by name. MUST raise ``NotFound`` when there is none."""

    @abc.abstractmethod
    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        """Delete a project with its tasks and annotations.

        MUST raise ``NotFound`` when there is none, unless ``missing_ok`` is true.
        """

    @abc.abstractmethod
    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        """Add tasks, one per row; every column is kept as task data.

        MUST be idempotent by ``key``: a row whose key is already in the project MUST NOT create a task.
        MUST raise ``InvalidInput`` when ``tasks`` lacks the key or the schema's input column, or repeats a key.
        MUST raise ``NotFound`` when the project does not exist.
        """

    @abc.abstractmethod
    def annotate(self, project: str, annotations: pa.Table) -> int:
        """Record annotations: columns ``key``, ``label`` (a string; a list of strings for multiple choice)
        and optionally ``annotator``. Returns the number recorded.

        MUST keep every annotation: a task annotated twice has two annotations.
        MUST raise ``InvalidInput`` for a label outside the project's schema.
        MUST raise ``NotFound`` for a key that is not a task of the project.
        """

    @abc.abstractmethod
    def export_annotations(self, project: str) -> pa.Table:
        """Return every annotation of the project, one row each, with the columns of ``EXPORT_COLUMNS``.

        MUST return each annotation exactly once, with the key of its task.
        ``label`` MUST be a string for single choice and a list of strings for multiple choice.
        """

    @abc.abstractmethod
    def task_status(self, project: str) -> TaskStatus:
        """Count the project's tasks. MUST count a task as annotated once it has at least one annotation."""


class SupportsPredictions(abc.ABC):
    """Capability ``predictions``: model predictions shown to annotators as pre-annotations."""

    @abc.abstractmethod
    def submit_predictions(self, project: str, predictions: pa.Table, *, model_version: str) -> int:
        """Attach predictions (columns ``key``, ``label``, ``score``) to tasks. Returns the number attached.

        MUST raise ``NotFound`` for a key that is not a task of the project.
        """


MODELS = (LabelSchema, Project, SubmitResult, TaskStatus)
