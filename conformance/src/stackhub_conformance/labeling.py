"""The labeling suite: every MUST of ``stackhub.categories.labeling.Labeling`` (and of ``SupportsPredictions``),
proven through the interface alone.

Projects get unique names (``stackhub_ct_<label>_<random>``) and are deleted after each check. Task data and
labels are computed with pyarrow from a fixed seed, so a failure reproduces exactly. The interface has no read
of tasks or predictions, so those are checked through what it does return: ``SubmitResult``, ``task_status``,
``export_annotations`` and the counts ``annotate`` and ``submit_predictions`` return.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from stackhub import AlreadyExists, InvalidInput, NotFound
from stackhub.categories.labeling import (
    EXPORT_COLUMNS,
    Labeling,
    LabelSchema,
    Project,
    SubmitResult,
    SupportsPredictions,
    TaskStatus,
)
from stackhub.plugin import Component, PluginDescriptor

from ._data import SEED
from ._framework import Cleanup, ConformanceSuite, must, requires, target, unique_name

__all__ = ["LabelingSuite", "Projects"]

# The spec's sentences, verbatim from the docstrings of ``Labeling`` and ``SupportsPredictions``.
PROJECT_EXISTS = "MUST raise ``AlreadyExists`` when a project of that name exists."
PROJECT_BY_NAME = "Return a project by name."
PROJECT_MISSING = "MUST raise ``NotFound`` when there is none."
DELETE = "Delete a project with its tasks and annotations."
DELETE_MISSING = "MUST raise ``NotFound`` when there is none, unless ``missing_ok`` is true."
SUBMIT = "Add tasks, one per row; every column is kept as task data."
IDEMPOTENT = "MUST be idempotent by ``key``: a row whose key is already in the project MUST NOT create a task."
SUBMIT_INVALID = (
    "MUST raise ``InvalidInput`` when ``tasks`` lacks the key or the schema's input column, or repeats a key."
)
SUBMIT_NO_PROJECT = "MUST raise ``NotFound`` when the project does not exist."
ANNOTATE = (
    "Record annotations: columns ``key``, ``label`` (a string; a list of strings for multiple choice) and "
    "optionally ``annotator``. Returns the number recorded."
)
KEEP_EVERY = "MUST keep every annotation: a task annotated twice has two annotations."
LABEL_OUTSIDE = "MUST raise ``InvalidInput`` for a label outside the project's schema."
UNKNOWN_KEY = "MUST raise ``NotFound`` for a key that is not a task of the project."
EXPORT = "Return every annotation of the project, one row each, with the columns of ``EXPORT_COLUMNS``."
EXPORT_ONCE = "MUST return each annotation exactly once, with the key of its task."
EXPORT_TYPES = "``label`` MUST be a string for single choice and a list of strings for multiple choice."
ANNOTATED = "MUST count a task as annotated once it has at least one annotation."
PREDICTIONS = "Attach predictions (columns ``key``, ``label``, ``score``) to tasks. Returns the number attached."
# Not in the spec's words yet: proposed for the docstring of ``Labeling``. A check that holds a plugin to it is
# marked with it, so the report shows which checks rest on it.
REJECTED_CHANGES_NOTHING = "A call that raises MUST leave the project as it was."

SINGLE = LabelSchema(input="text", labels=("positive", "negative", "neutral"), instructions="Tone of the review.")
MULTIPLE = LabelSchema(input="text", labels=("billing", "bug", "feature", "praise"), choice="multiple")


def tasks_table(rows: int, *, start: int = 0, prefix: str = "task") -> pa.Table:
    """``key`` '<prefix>-<n>', the input column ``text`` and columns of other types, computed by pyarrow."""
    ids = pa.arange(start, start + rows)
    names = pc.cast(ids, pa.string())
    return pa.table(
        {
            "key": pc.binary_join_element_wise(f"{prefix}-", names, ""),
            "text": pc.binary_join_element_wise("review number ", names, " ünïcödé 🦆", ""),
            "stars": pc.cast(
                pc.add(pc.cast(pc.floor(pc.multiply(pc.random(rows, initializer=SEED), 5)), pa.int64()), 1), pa.int32()
            ),
            "score": pc.random(rows, initializer=SEED + 1),
        }
    )


def pick(labels: tuple[str, ...], rows: int, *, seed: int = SEED) -> pa.Array:
    """``rows`` labels drawn from ``labels`` with a fixed seed."""
    index = pc.cast(pc.floor(pc.multiply(pc.random(rows, initializer=seed), len(labels))), pa.int64())
    return pc.take(pa.array(labels, pa.string()), index)


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_text_list(t: pa.DataType) -> bool:
    lists = (
        pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t)
    )
    return bool(lists and _is_text(t.value_type))


def _rows(table: pa.Table, *columns: str) -> Counter[tuple[Any, ...]]:
    """The rows of ``columns`` as a multiset; lists become tuples so that they can be counted."""
    values = [table.column(c).to_pylist() for c in columns]
    return Counter(tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in zip(*values, strict=True))


@dataclass(frozen=True)
class _WithDependencies(PluginDescriptor):
    """A descriptor that builds its components with the vendor's ``component_dependencies``.

    The framework builds every component with ``descriptor.create(config)``; a labeling plugin may require
    other components (a warehouse-backed queue does), so this suite hands the framework a descriptor that
    passes them. It goes once ``ConformanceSuite`` itself takes a ``component_dependencies`` fixture.
    """

    dependencies: Mapping[str, Component] = field(default_factory=dict)

    def create(self, config: Any = None, *, dependencies: Mapping[str, Component] | None = None) -> Component:
        return super().create(config, dependencies=self.dependencies if dependencies is None else dependencies)


class Projects:
    """Unique project names for one check; every project is deleted after it, whether it was created or not."""

    def __init__(self, labeling: Labeling, cleanup: Cleanup) -> None:
        self._labeling = labeling
        self._cleanup = cleanup

    def name(self, label: str) -> str:
        name = unique_name(label)
        self._cleanup.add(lambda: self._labeling.delete_project(name, missing_ok=True))
        return name

    def new(self, label: str, schema: LabelSchema = SINGLE, *, tasks: int = 0) -> str:
        """A created project, with ``tasks`` tasks 'task-0', 'task-1', ... when asked."""
        name = self.name(label)
        self._labeling.create_project(name, schema)
        if tasks:
            self._labeling.submit_tasks(name, tasks_table(tasks))
        return name


class LabelingSuite(ConformanceSuite):
    """Subclass it, set ``plugin`` and define a ``component_config`` fixture (see ``ConformanceSuite``); a
    plugin that requires other components also defines ``component_dependencies`` (e.g. ``{"warehouse": ...}``).
    """

    category: ClassVar[str | None] = "labeling"

    @pytest.fixture
    def component_dependencies(self) -> Mapping[str, Component]:
        """The components the plugin requires, by config field; none unless the vendor defines them."""
        return {}

    @pytest.fixture
    def descriptor(
        self, request: pytest.FixtureRequest, component_dependencies: Mapping[str, Component]
    ) -> PluginDescriptor:
        found = target(request.config, type(self)).descriptor
        if not component_dependencies:
            return found
        values = {f.name: getattr(found, f.name) for f in fields(found)}
        return _WithDependencies(**values, dependencies=component_dependencies)

    @pytest.fixture
    def projects(self, component: Labeling, cleanup: Cleanup) -> Projects:
        return Projects(component, cleanup)

    def _status(self, component: Labeling, project: str) -> TaskStatus:
        status = component.task_status(project)
        assert isinstance(status, TaskStatus), f"task_status() returned a {type(status).__name__}."
        assert status.unannotated == status.total - status.annotated, f"task_status() does not add up: {status}."
        return status

    # -- projects ---------------------------------------------------------------------------------------

    @must("get_project", PROJECT_BY_NAME)
    @pytest.mark.parametrize("schema", [SINGLE, MULTIPLE], ids=["single", "multiple"])
    def test_create_project_then_get_it_by_name(
        self, component: Labeling, projects: Projects, schema: LabelSchema
    ) -> None:
        name = projects.name("project")
        created = component.create_project(name, schema)
        assert isinstance(created, Project), f"create_project() returned a {type(created).__name__}."
        assert created.name == name, f"create_project({name!r}) returned a project named {created.name!r}."
        assert created.label_schema == schema, f"The project's schema is {created.label_schema}, expected {schema}."
        found = component.get_project(name)
        assert found == created, f"get_project({name!r}) returned {found}, create_project() {created}."

    @must("get_project", PROJECT_BY_NAME)
    def test_projects_of_different_names_are_distinct(self, component: Labeling, projects: Projects) -> None:
        first, second = projects.new("first", SINGLE), projects.new("second", MULTIPLE)
        assert component.get_project(first).id != component.get_project(second).id, "Two projects share an id."
        assert component.get_project(second).label_schema == MULTIPLE, "A second project changed the first's schema."
        assert component.get_project(first).label_schema == SINGLE, "A second project took the first's schema."

    @must("create_project", PROJECT_EXISTS)
    def test_create_project_raises_already_exists(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("exists", SINGLE, tasks=3)
        before = component.get_project(name)
        with pytest.raises(AlreadyExists):
            component.create_project(name, MULTIPLE)
        assert component.get_project(name) == before, "A refused create_project() changed the project."
        assert self._status(component, name).total == 3, "A refused create_project() changed the project's tasks."

    @must("get_project", PROJECT_MISSING)
    def test_get_project_raises_not_found(self, component: Labeling) -> None:
        with pytest.raises(NotFound):
            component.get_project(unique_name("missing"))

    @must("delete_project", DELETE)
    def test_delete_project_removes_it_with_its_tasks_and_annotations(
        self, component: Labeling, projects: Projects
    ) -> None:
        name = projects.new("delete", tasks=5)
        kept = projects.new("kept", tasks=2)
        component.annotate(name, pa.table({"key": ["task-0"], "label": ["positive"]}))
        component.delete_project(name)
        with pytest.raises(NotFound):
            component.get_project(name)
        component.create_project(name, SINGLE)
        status = self._status(component, name)
        assert status.total == 0, f"A project re-created after delete_project() has {status.total} old tasks."
        exported = component.export_annotations(name)
        assert exported.num_rows == 0, f"A re-created project has {exported.num_rows} old annotations."
        assert self._status(component, kept).total == 2, "delete_project() removed tasks of another project."

    @must("delete_project", DELETE_MISSING)
    def test_delete_project_raises_not_found_unless_missing_ok(self, component: Labeling, projects: Projects) -> None:
        name = projects.name("delete_missing")
        with pytest.raises(NotFound):
            component.delete_project(name)
        component.delete_project(name, missing_ok=True)
        component.create_project(name, SINGLE)
        component.delete_project(name, missing_ok=True)
        with pytest.raises(NotFound):
            component.get_project(name)

    # -- tasks ------------------------------------------------------------------------------------------

    @must("submit_tasks", SUBMIT)
    def test_submit_tasks_creates_one_task_per_row(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("submit")
        result = component.submit_tasks(name, tasks_table(2_000))
        assert isinstance(result, SubmitResult), f"submit_tasks() returned a {type(result).__name__}."
        assert (result.created, result.existing) == (2_000, 0), f"A first submit of 2,000 tasks returned {result}."
        status = self._status(component, name)
        assert (status.total, status.annotated) == (2_000, 0), f"After submitting 2,000 tasks: {status}."

    @must("submit_tasks", IDEMPOTENT)
    def test_submit_tasks_again_creates_no_task(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("resubmit", tasks=300)
        result = component.submit_tasks(name, tasks_table(300))
        assert (result.created, result.existing) == (0, 300), f"Submitting the same 300 tasks again returned {result}."
        assert self._status(component, name).total == 300, "Submitting the same tasks again created tasks."

    @must("submit_tasks", IDEMPOTENT)
    def test_submit_tasks_creates_only_the_new_keys(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("overlap", tasks=300)
        # Rows 200..499: 100 keys are in the project, 200 are new; their data differs, their keys decide.
        overlap = tasks_table(300, start=200).set_column(1, "text", pa.repeat("changed text", 300))
        result = component.submit_tasks(name, overlap)
        assert (result.created, result.existing) == (200, 100), f"A submit with 100 known keys returned {result}."
        assert self._status(component, name).total == 500, "A partly known submit created the wrong number of tasks."

    @must("submit_tasks", IDEMPOTENT)
    def test_submit_tasks_is_idempotent_by_the_named_key_column(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("custom_key")
        data = tasks_table(50).rename_columns(["task_id", "text", "stars", "score"])
        first = component.submit_tasks(name, data, key="task_id")
        again = component.submit_tasks(name, data, key="task_id")
        assert (first.created, again.created, again.existing) == (50, 0, 50), (
            f"Submitting 50 tasks twice with key='task_id' returned {first}, then {again}."
        )
        recorded = component.annotate(name, pa.table({"key": ["task-7"], "label": ["neutral"]}))
        assert recorded == 1, "A task submitted with key='task_id' cannot be annotated by that key."

    @must("submit_tasks", SUBMIT_INVALID)
    @pytest.mark.parametrize("problem", ["no_key_column", "no_input_column", "repeated_key"])
    def test_submit_tasks_raises_invalid_input(self, component: Labeling, projects: Projects, problem: str) -> None:
        name = projects.new("invalid_tasks")
        data = tasks_table(10)
        bad = {
            "no_key_column": data.drop_columns(["key"]),
            "no_input_column": data.drop_columns(["text"]),
            "repeated_key": pa.concat_tables([data, data.slice(3, 1)]),
        }[problem]
        with pytest.raises(InvalidInput):
            component.submit_tasks(name, bad)

    @must("submit_tasks", SUBMIT_NO_PROJECT)
    def test_submit_tasks_raises_not_found_for_a_missing_project(self, component: Labeling) -> None:
        with pytest.raises(NotFound):
            component.submit_tasks(unique_name("missing"), tasks_table(3))

    @must("submit_tasks", REJECTED_CHANGES_NOTHING)
    @pytest.mark.parametrize("problem", ["no_input_column", "repeated_key"])
    def test_a_rejected_submit_creates_no_task(self, component: Labeling, projects: Projects, problem: str) -> None:
        name = projects.new("rejected_submit", tasks=10)
        # New, valid rows next to the one problem: none of them may be created.
        data = tasks_table(20, start=5)
        bad = (
            data.drop_columns(["text"]) if problem == "no_input_column" else pa.concat_tables([data, data.slice(0, 1)])
        )
        with pytest.raises(InvalidInput):
            component.submit_tasks(name, bad)
        assert self._status(component, name).total == 10, "A rejected submit_tasks() created tasks."

    # -- annotations ------------------------------------------------------------------------------------

    @must("annotate", ANNOTATE)
    @must("export_annotations", EXPORT)
    @pytest.mark.parametrize("annotator", [True, False], ids=["with_annotator", "without_annotator"])
    def test_annotate_records_what_export_returns(
        self, component: Labeling, projects: Projects, annotator: bool
    ) -> None:
        name = projects.new("annotate", tasks=100)
        data = pa.table({"key": tasks_table(40)["key"], "label": pick(SINGLE.labels, 40)})
        if annotator:
            data = data.append_column("annotator", pick(("alice", "lf_keywords"), 40, seed=SEED + 2))
        recorded = component.annotate(name, data)
        assert recorded == 40, f"annotate() of 40 rows returned {recorded}."
        exported = component.export_annotations(name)
        assert exported.column_names == list(EXPORT_COLUMNS), (
            f"export_annotations() has the columns {exported.column_names}, expected {list(EXPORT_COLUMNS)}."
        )
        assert _rows(exported, "key", "label") == _rows(data, "key", "label"), (
            "The export differs from what was annotated."
        )
        if annotator:
            assert _rows(exported, "key", "annotator") == _rows(data, "key", "annotator"), "The annotators were lost."

    @must("export_annotations", EXPORT)
    @pytest.mark.parametrize("schema", [SINGLE, MULTIPLE], ids=["single", "multiple"])
    def test_export_without_annotations_has_the_export_columns(
        self, component: Labeling, projects: Projects, schema: LabelSchema
    ) -> None:
        name = projects.new("empty_export", schema, tasks=3)
        exported = component.export_annotations(name)
        assert isinstance(exported, pa.Table), f"export_annotations() returned a {type(exported).__name__}."
        assert exported.num_rows == 0, f"A project without annotations exported {exported.num_rows} rows."
        assert exported.column_names == list(EXPORT_COLUMNS), (
            f"export_annotations() has the columns {exported.column_names}, expected {list(EXPORT_COLUMNS)}."
        )

    @must("annotate", KEEP_EVERY)
    def test_a_task_annotated_twice_has_two_annotations(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("twice", tasks=5)
        # Twice in one call, and again in a later call with the very same row.
        component.annotate(name, pa.table({"key": ["task-1", "task-1"], "label": ["positive", "negative"]}))
        component.annotate(name, pa.table({"key": ["task-1"], "label": ["positive"]}))
        exported = component.export_annotations(name)
        assert _rows(exported, "key", "label") == Counter({("task-1", "positive"): 2, ("task-1", "negative"): 1}), (
            f"Three annotations of one task came back as {_rows(exported, 'key', 'label')}."
        )

    @must("export_annotations", EXPORT_ONCE)
    def test_export_returns_each_annotation_exactly_once(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("exactly_once", tasks=2_000)
        keys = tasks_table(2_000)["key"]
        # Two calls, the second annotating half the tasks again: 3,000 annotations of 2,000 tasks.
        first = pa.table({"key": keys, "label": pick(SINGLE.labels, 2_000)})
        second = pa.table({"key": keys.slice(0, 1_000), "label": pick(SINGLE.labels, 1_000, seed=SEED + 3)})
        component.annotate(name, first)
        component.annotate(name, second)
        exported = component.export_annotations(name)
        assert exported.num_rows == 3_000, f"3,000 annotations exported as {exported.num_rows} rows."
        ids = exported["annotation_id"]
        assert ids.null_count == 0, f"{ids.null_count} exported annotations have no annotation_id."
        assert pc.count_distinct(ids).as_py() == 3_000, "Annotation ids repeat: an annotation is exported twice."
        expected = _rows(pa.concat_tables([first, second]), "key", "label")
        assert _rows(exported, "key", "label") == expected, "The export's (key, label) rows differ from the annotated."

    @must("export_annotations", EXPORT_TYPES)
    def test_single_choice_labels_are_strings(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("single_types", SINGLE, tasks=3)
        component.annotate(name, pa.table({"key": ["task-0", "task-2"], "label": ["neutral", "negative"]}))
        exported = component.export_annotations(name)
        label = exported.schema.field("label").type
        assert _is_text(label), f"A single-choice label is exported as {label}, expected a string."
        assert sorted(exported["label"].to_pylist()) == ["negative", "neutral"]

    @must("export_annotations", EXPORT_TYPES)
    def test_multiple_choice_labels_are_lists_of_strings(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("multiple_types", MULTIPLE, tasks=3)
        labels = [["bug", "billing"], ["praise"], ["feature", "bug", "praise"]]
        data = pa.table({"key": ["task-0", "task-1", "task-2"], "label": pa.array(labels, pa.list_(pa.string()))})
        assert component.annotate(name, data) == 3, "annotate() did not record 3 multiple-choice annotations."
        exported = component.export_annotations(name)
        label = exported.schema.field("label").type
        assert _is_text_list(label), f"A multiple-choice label is exported as {label}, expected a list of strings."
        assert _rows(exported, "key", "label") == _rows(data, "key", "label"), "The lists of labels changed."

    @must("annotate", LABEL_OUTSIDE)
    @pytest.mark.parametrize("choice", ["single", "multiple"])
    def test_annotate_raises_invalid_input_for_a_label_outside_the_schema(
        self, component: Labeling, projects: Projects, choice: str
    ) -> None:
        schema = SINGLE if choice == "single" else MULTIPLE
        name = projects.new(f"outside_{choice}", schema, tasks=3)
        labels: Any = ["positive", "sarcastic"] if choice == "single" else [["bug"], ["bug", "sarcastic"]]
        with pytest.raises(InvalidInput):
            component.annotate(name, pa.table({"key": ["task-0", "task-1"], "label": labels}))

    @must("annotate", UNKNOWN_KEY)
    @pytest.mark.parametrize("where", ["unknown", "other_project", "no_tasks_yet"])
    def test_annotate_raises_not_found_for_a_key_that_is_not_a_task(
        self, component: Labeling, projects: Projects, where: str
    ) -> None:
        name = projects.new("unknown_key", tasks=0 if where == "no_tasks_yet" else 3)
        key = "task-0" if where == "no_tasks_yet" else "task-99"
        if where == "other_project":
            other = projects.new("other")
            component.submit_tasks(other, tasks_table(100))
        with pytest.raises(NotFound):
            component.annotate(name, pa.table({"key": [key], "label": ["positive"]}))

    @must("annotate", REJECTED_CHANGES_NOTHING)
    @pytest.mark.parametrize("problem", ["label_outside", "unknown_key"])
    def test_a_rejected_annotate_records_nothing(self, component: Labeling, projects: Projects, problem: str) -> None:
        name = projects.new("rejected_annotate", tasks=10)
        component.annotate(name, pa.table({"key": ["task-0"], "label": ["positive"]}))
        # Nine valid rows around the one bad row: none of them may be recorded.
        keys = tasks_table(10)["key"].to_pylist()
        labels = ["negative"] * 10
        if problem == "label_outside":
            labels[5] = "sarcastic"
        else:
            keys[5] = "task-99"
        with pytest.raises((InvalidInput, NotFound)):
            component.annotate(name, pa.table({"key": keys, "label": labels}))
        exported = component.export_annotations(name)
        assert exported.num_rows == 1, f"A rejected annotate() recorded {exported.num_rows - 1} annotations."
        assert self._status(component, name).annotated == 1, "A rejected annotate() marked tasks as annotated."

    # -- status -----------------------------------------------------------------------------------------

    @must("task_status", ANNOTATED)
    def test_task_status_counts_a_task_as_annotated_once(self, component: Labeling, projects: Projects) -> None:
        name = projects.new("status", tasks=10)
        fresh = self._status(component, name)
        assert (fresh.total, fresh.annotated, fresh.unannotated) == (10, 0, 10), f"Before any annotation: {fresh}."
        component.annotate(name, pa.table({"key": ["task-1", "task-1", "task-4"], "label": ["positive"] * 3}))
        component.annotate(name, pa.table({"key": ["task-4", "task-9"], "label": ["negative"] * 2}))
        status = self._status(component, name)
        assert (status.total, status.annotated, status.unannotated) == (10, 3, 7), (
            f"3 of 10 tasks have annotations (one of them 2, one 3); task_status() says {status}."
        )

    @must("task_status", ANNOTATED)
    def test_task_status_of_a_project_without_tasks_is_zero(self, component: Labeling, projects: Projects) -> None:
        status = self._status(component, projects.new("no_tasks"))
        assert (status.total, status.annotated) == (0, 0), f"A project without tasks has the status {status}."

    # -- capabilities -----------------------------------------------------------------------------------

    @requires("predictions")
    @must("submit_predictions", PREDICTIONS)
    @pytest.mark.parametrize("schema", [SINGLE, MULTIPLE], ids=["single", "multiple"])
    def test_submit_predictions_returns_the_number_attached(
        self, component: Labeling, projects: Projects, schema: LabelSchema
    ) -> None:
        assert isinstance(component, SupportsPredictions), "The component declares 'predictions' but lacks its methods."
        name = projects.new("predictions", schema, tasks=50)
        keys = tasks_table(30)["key"]
        labels = pick(schema.labels, 30)
        if schema.choice == "multiple":
            labels = pa.ListArray.from_arrays(pa.arange(0, 31), labels)
        data = pa.table({"key": keys, "label": labels, "score": pc.random(30, initializer=SEED)})
        attached = component.submit_predictions(name, data, model_version="stackhub-ct-v1")
        assert attached == 30, f"submit_predictions() of 30 rows returned {attached}."
        again = component.submit_predictions(name, data.slice(0, 5), model_version="stackhub-ct-v2")
        assert again == 5, f"submit_predictions() of 5 rows by another model version returned {again}."

    @requires("predictions")
    @must("submit_predictions", UNKNOWN_KEY)
    def test_submit_predictions_raises_not_found_for_a_key_that_is_not_a_task(
        self, component: Labeling, projects: Projects
    ) -> None:
        assert isinstance(component, SupportsPredictions), "The component declares 'predictions' but lacks its methods."
        name = projects.new("prediction_key", tasks=3)
        data = pa.table({"key": ["task-0", "task-99"], "label": ["positive", "negative"], "score": [0.9, 0.2]})
        with pytest.raises(NotFound):
            component.submit_predictions(name, data, model_version="stackhub-ct-v1")
