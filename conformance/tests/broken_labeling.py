"""Deliberately broken labeling queues: each is the real warehouse-native queue (sqllabels, on a real DuckDB
warehouse) with ONE behaviour broken (see ``broken``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from broken import registry
from stackhub import AlreadyExists, Component, InvalidInput, NotFound
from stackhub.categories import labeling_input
from stackhub.categories.labeling import LabelSchema, Project, SubmitResult, TaskStatus
from stackhub_conformance.labeling import LabelingSuite
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqllabels import _arrow
from stackhub_sqllabels import plugin as sqllabels_plugin
from stackhub_sqllabels._labeling import _KEY, _PROJECTS, SQLLabeling, _annotations_schema, _c, _q


class Harness(LabelingSuite):
    """The suite with the fixtures the real plugin needs (a DuckDB warehouse); each broken queue subclasses it."""

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"warehouse": "warehouse"}

    @pytest.fixture
    def component_dependencies(self) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": ":memory:"}) as warehouse:
            yield {"warehouse": warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}


BROKEN, broken = registry(sqllabels_plugin)


def _first_of_each(column: pa.ChunkedArray) -> list[int]:
    """The row numbers of the first occurrence of each value."""
    first: dict[Any, int] = {}
    for i, value in enumerate(column.to_pylist()):
        first.setdefault(value, i)
    return sorted(first.values())


# -- projects ---------------------------------------------------------------------------------------------


@broken(
    "test_create_project_then_get_it_by_name[single]",
    "test_create_project_then_get_it_by_name[multiple]",
    reason=r"get_project\('stackhub_ct_project_\w+'\) returned .*, create_project\(\)",
)
class CreateReturnsAnotherId(SQLLabeling):
    """create_project() returns a project whose id is not the one it stored."""

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        created = super().create_project(name, label_schema)
        return created.model_copy(update={"id": created.id[::-1]})


@broken("test_projects_of_different_names_are_distinct", reason="A second project took the first's schema")
class SchemaOfTheLatestProject(SQLLabeling):
    """get_project() returns every project with the schema of the project created last."""

    latest: LabelSchema | None = None

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        self.latest = label_schema
        return super().create_project(name, label_schema)

    def get_project(self, name: str) -> Project:
        found = super().get_project(name)
        return found if self.latest is None else found.model_copy(update={"label_schema": self.latest})


@broken("test_create_project_raises_already_exists", reason="DID NOT RAISE.*AlreadyExists")
class CreateReplacesProject(SQLLabeling):
    """create_project() of an existing name replaces that project."""

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        self.delete_project(name, missing_ok=True)
        return super().create_project(name, label_schema)


@broken("test_create_project_raises_already_exists", reason=r"A refused create_project\(\) changed the project\.")
class RefusedCreateResetsProject(SQLLabeling):
    """create_project() of an existing name re-creates the project empty, then raises AlreadyExists."""

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        if self._find(name) is None:
            return super().create_project(name, label_schema)
        self.delete_project(name)
        super().create_project(name, label_schema)
        raise AlreadyExists(f"Labeling project {name!r} exists already.")


@broken("test_get_project_raises_not_found", reason="DID NOT RAISE.*NotFound")
class GetCreatesMissingProject(SQLLabeling):
    """get_project() of a missing name creates a project with a default schema."""

    def get_project(self, name: str) -> Project:
        try:
            return super().get_project(name)
        except NotFound:
            return self.create_project(name, LabelSchema(input="text", labels=("unlabelled",)))


@broken(
    "test_delete_project_removes_it_with_its_tasks_and_annotations",
    reason=r"A project re-created after delete_project\(\) has 5 old tasks",
)
class DeleteOnlyHidesProject(SQLLabeling):
    """delete_project() only hides the project, and create_project() of its name brings back its tasks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden: dict[str, Project] = {}

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        found = self._find(name)
        if found is None:
            super().delete_project(name, missing_ok=missing_ok)
            return
        projects = self._projects()
        kept = projects.filter(pc.not_equal(projects["name"], name))
        self.warehouse.write(self._table("projects"), kept, mode="overwrite")
        self.hidden[name] = found

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        old = self.hidden.pop(name, None)
        if old is None:
            return super().create_project(name, label_schema)
        row = {"id": [old.id], "name": [name], "label_schema": [label_schema.model_dump_json()]}
        self._append(self._table("projects"), pa.table({**row, "created_at": _arrow.now(1)}, schema=_PROJECTS))
        return old.model_copy(update={"label_schema": label_schema})


@broken("test_delete_project_raises_not_found_unless_missing_ok", reason="DID NOT RAISE.*NotFound")
class DeleteAlwaysMissingOk(SQLLabeling):
    """delete_project() ignores a missing project even without missing_ok."""

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        super().delete_project(name, missing_ok=True)


@broken("test_delete_project_raises_not_found_unless_missing_ok", reason="DID NOT RAISE.*NotFound")
class MissingOkDeletesNothing(SQLLabeling):
    """delete_project() with missing_ok returns at once, without deleting a project that exists."""

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        if not missing_ok:
            super().delete_project(name)


# -- tasks ------------------------------------------------------------------------------------------------


@broken("test_submit_tasks_creates_one_task_per_row", reason="A first submit of 2,000 tasks returned created=1000")
class SubmitsOneBatch(SQLLabeling):
    """submit_tasks() stores the first 1,000 rows only."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        return super().submit_tasks(project, tasks.slice(0, 1_000), key=key)


@broken("test_submit_tasks_again_creates_no_task", reason="again returned created=300 existing=0")
class ResubmitCreatesDuplicates(SQLLabeling):
    """The lookup of known keys finds none, so a submit appends every row again (and annotate finds no task)."""

    def _absent(self, keys: pa.Array, project: Project) -> pa.Array:
        return keys


@broken("test_submit_tasks_creates_only_the_new_keys", reason="100 known keys returned created=200 existing=300")
class ExistingCountsTheProject(SQLLabeling):
    """submit_tasks() reports as ``existing`` the tasks the project had before, not the submitted keys it had."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        before = self.task_status(project).total
        result = super().submit_tasks(project, tasks, key=key)
        return SubmitResult(created=result.created, existing=before)


@broken(
    "test_submit_tasks_is_idempotent_by_the_named_key_column",
    reason="key='task_id' returned created=50 existing=0, then created=50 existing=0",
)
class CustomKeyNotDeduplicated(SQLLabeling):
    """submit_tasks() with a key column other than 'key' appends every row, known or not."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        stored = self.get_project(project)
        if key == "key" or self._schema(self._table(stored.id, "tasks")) is None:
            return super().submit_tasks(project, tasks, key=key)
        self._append(self._table(stored.id, "tasks"), tasks.add_column(0, _KEY, tasks[key].cast(pa.string())))
        return SubmitResult(created=tasks.num_rows, existing=0)


@broken("test_submit_tasks_raises_invalid_input[no_key_column]", reason="DID NOT RAISE.*InvalidInput")
class NumbersRowsWithoutKey(SQLLabeling):
    """submit_tasks() of tasks without the key column keys them by row number."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        if key not in tasks.column_names:
            tasks = tasks.append_column(key, pc.cast(pa.arange(0, tasks.num_rows), pa.string()))
        return super().submit_tasks(project, tasks, key=key)


@broken("test_submit_tasks_raises_invalid_input[no_input_column]", reason="DID NOT RAISE.*InvalidInput")
class InputColumnOptional(SQLLabeling):
    """submit_tasks() of tasks without the schema's input column stores them with an empty input."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        column = self.get_project(project).label_schema.input
        if column not in tasks.column_names:
            tasks = tasks.append_column(column, pa.nulls(tasks.num_rows, pa.string()))
        return super().submit_tasks(project, tasks, key=key)


@broken("test_submit_tasks_raises_invalid_input[repeated_key]", reason="DID NOT RAISE.*InvalidInput")
class KeepsFirstOfRepeatedKeys(SQLLabeling):
    """submit_tasks() drops the later rows of a repeated key instead of refusing the tasks."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        if key in tasks.column_names:
            tasks = tasks.take(_first_of_each(tasks[key]))
        return super().submit_tasks(project, tasks, key=key)


@broken("test_submit_tasks_raises_not_found_for_a_missing_project", reason="DID NOT RAISE.*NotFound")
class SubmitCreatesProject(SQLLabeling):
    """submit_tasks() to a missing project creates it, with the tasks' 'text' column as input."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        if self._find(project) is None:
            self.create_project(project, LabelSchema(input="text", labels=("unlabelled",)))
        return super().submit_tasks(project, tasks, key=key)


@broken(
    "test_a_rejected_submit_creates_no_task[no_input_column]",
    "test_a_rejected_submit_creates_no_task[repeated_key]",
    reason=r"A rejected submit_tasks\(\) created tasks",
)
class SubmitStoresWhatItCan(SQLLabeling):
    """A submit_tasks() it refuses still stores the rows it can (the first of each key, an empty input)."""

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        try:
            return super().submit_tasks(project, tasks, key=key)
        except InvalidInput:
            column = self.get_project(project).label_schema.input
            usable = tasks.take(_first_of_each(tasks[key])) if key in tasks.column_names else None
            if usable is not None and column not in usable.column_names:
                usable = usable.append_column(column, pa.nulls(usable.num_rows, pa.string()))
            if usable is not None:
                super().submit_tasks(project, usable, key=key)
            raise


# -- annotations ------------------------------------------------------------------------------------------


@broken(
    "test_annotate_records_what_export_returns[with_annotator]",
    "test_annotate_records_what_export_returns[without_annotator]",
    reason="The export differs from what was annotated",
)
class LosesLastAnnotation(SQLLabeling):
    """annotate() records all but the last row, and counts it."""

    def annotate(self, project: str, annotations: pa.Table) -> int:
        super().annotate(project, annotations.slice(0, max(annotations.num_rows - 1, 0)))
        return annotations.num_rows


@broken("test_annotate_records_what_export_returns[with_annotator]", reason="The annotators were lost")
class DropsAnnotator(SQLLabeling):
    """annotate() does not record the annotator."""

    def annotate(self, project: str, annotations: pa.Table) -> int:
        if "annotator" in annotations.column_names:
            annotations = annotations.drop_columns(["annotator"])
        return super().annotate(project, annotations)


@broken(
    "test_annotate_records_what_export_returns[with_annotator]",
    "test_annotate_records_what_export_returns[without_annotator]",
    "test_export_without_annotations_has_the_export_columns[single]",
    "test_export_without_annotations_has_the_export_columns[multiple]",
    reason=r"export_annotations\(\) has the columns \['annotation_id', 'annotator', 'created_at', 'key', 'label'\]",
)
class ExportSortsColumns(SQLLabeling):
    """export_annotations() returns its columns sorted by name."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        return exported.select(sorted(exported.column_names))


@broken(
    "test_export_without_annotations_has_the_export_columns[single]",
    "test_export_without_annotations_has_the_export_columns[multiple]",
    reason=r"export_annotations\(\) has the columns \[\]",
)
class EmptyExportWithoutColumns(SQLLabeling):
    """export_annotations() of a project without annotations returns a table without columns."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        return exported if exported.num_rows else pa.table({})


@broken(
    "test_a_task_annotated_twice_has_two_annotations",
    reason=r"Three annotations of one task came back as Counter\(\{\('task-1', 'positive'\): 1\}\)",
)
class LatestAnnotationPerTask(SQLLabeling):
    """export_annotations() returns only the latest annotation of each task."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        reversed_rows = exported.take(pa.array(range(exported.num_rows - 1, -1, -1), pa.int64()))
        latest = reversed_rows.take(_first_of_each(reversed_rows["key"]))
        return latest.take(pa.array(range(latest.num_rows - 1, -1, -1), pa.int64()))


@broken("test_export_returns_each_annotation_exactly_once", reason="3,000 annotations exported as 3002 rows")
class ExportPagesOverlap(SQLLabeling):
    """export_annotations() reads pages of 1,000 rows, each starting at the last row of the page before."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        starts = range(0, exported.num_rows, 1_000)
        pages = [exported.slice(max(start - 1, 0), 1_000 + (start > 0)) for start in starts]
        return pa.concat_tables(pages) if pages else exported


@broken("test_export_returns_each_annotation_exactly_once", reason="Annotation ids repeat")
class AnnotationIdsPerCall(SQLLabeling):
    """Annotation ids are unique within one annotate() call only: each call numbers its rows from 1 again."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        numbers = pc.replace_substring_regex(exported["annotation_id"], pattern="^[0-9a-f]+-", replacement="")
        return exported.set_column(1, "annotation_id", numbers)


@broken("test_single_choice_labels_are_strings", reason=r"A single-choice label is exported as list<")
class SingleLabelsAsLists(SQLLabeling):
    """export_annotations() returns a single-choice label as a list of one string."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        if self.get_project(project).label_schema.choice == "multiple":
            return exported
        labels = exported["label"].combine_chunks()
        lists = pa.ListArray.from_arrays(pa.arange(0, len(labels) + 1).cast(pa.int32()), labels)
        return exported.set_column(2, "label", lists)


@broken("test_multiple_choice_labels_are_lists_of_strings", reason="A multiple-choice label is exported as string")
class MultipleLabelsJoined(SQLLabeling):
    """export_annotations() returns the labels of a multiple-choice annotation as one comma-separated string."""

    def export_annotations(self, project: str) -> pa.Table:
        exported = super().export_annotations(project)
        if self.get_project(project).label_schema.choice == "single":
            return exported
        return exported.set_column(2, "label", pc.binary_join(exported["label"], ","))


@broken("test_multiple_choice_labels_are_lists_of_strings", reason="The lists of labels changed")
class SortsMultipleLabels(SQLLabeling):
    """annotate() stores the labels of a multiple-choice annotation sorted, as a set."""

    def annotate(self, project: str, annotations: pa.Table) -> int:
        if self.get_project(project).label_schema.choice == "multiple":
            labels = pa.array([sorted(v) for v in annotations["label"].to_pylist()], pa.list_(pa.string()))
            annotations = annotations.set_column(annotations.column_names.index("label"), "label", labels)
        return super().annotate(project, annotations)


@broken(
    "test_annotate_raises_invalid_input_for_a_label_outside_the_schema[single]",
    "test_annotate_raises_invalid_input_for_a_label_outside_the_schema[multiple]",
    reason="DID NOT RAISE.*InvalidInput",
)
class AcceptsAnyLabel(SQLLabeling):
    """annotate() records labels that are not in the project's schema."""

    def annotate(self, project: str, annotations: pa.Table) -> int:
        stored = self.get_project(project)
        keys = annotations["key"].cast(pa.string())
        self._require_tasks(keys, stored, what="annotation")
        n = annotations.num_rows
        labels = annotations["label"].cast(labeling_input.label_type(stored.label_schema))
        columns = [
            keys,
            _arrow.row_ids(n),
            labels,
            labeling_input.optional_text(annotations, "annotator"),
            _arrow.now(n),
        ]
        rows = pa.table(columns, schema=_annotations_schema(stored.label_schema))
        self.warehouse.write(self._table(stored.id, "annotations"), rows, mode="append")
        return n


@broken(
    "test_annotate_raises_not_found_for_a_key_that_is_not_a_task[unknown]",
    "test_annotate_raises_not_found_for_a_key_that_is_not_a_task[other_project]",
    "test_annotate_raises_not_found_for_a_key_that_is_not_a_task[no_tasks_yet]",
    reason="DID NOT RAISE.*NotFound",
)
class AnnotatesUnknownKeys(SQLLabeling):
    """annotate() records annotations without checking that their keys are tasks of the project."""

    def _require_tasks(self, keys: pa.ChunkedArray, project: Project, *, what: str) -> None:
        return None


@broken("test_annotate_raises_not_found_for_a_key_that_is_not_a_task[other_project]", reason="DID NOT RAISE.*NotFound")
class KeysOfAnyProject(SQLLabeling):
    """annotate() accepts a key that is a task of any project, not only of its own."""

    def _absent(self, keys: pa.Array, project: Project) -> pa.Array:
        projects = self._projects().to_pylist()
        for row in projects:
            if len(keys):
                other = Project(id=row["id"], name=row["name"], label_schema=project.label_schema)
                keys = super()._absent(keys, other)
        return keys


@broken("test_annotate_raises_not_found_for_a_key_that_is_not_a_task[no_tasks_yet]", reason="DID NOT RAISE.*NotFound")
class NoTasksAcceptsAnyKey(SQLLabeling):
    """annotate() of a project that has no tasks yet accepts any key (the missing tasks table finds none absent)."""

    def _absent(self, keys: pa.Array, project: Project) -> pa.Array:
        if self._schema(self._table(project.id, "tasks")) is None:
            return pa.array([], pa.string())
        return super()._absent(keys, project)


@broken(
    "test_a_rejected_annotate_records_nothing[label_outside]",
    "test_a_rejected_annotate_records_nothing[unknown_key]",
    reason=r"A rejected annotate\(\) recorded 4 annotations",
)
class AnnotatesInBatches(SQLLabeling):
    """annotate() records its rows in batches of 4, each checked and written on its own."""

    def annotate(self, project: str, annotations: pa.Table) -> int:
        return sum(
            super(AnnotatesInBatches, self).annotate(project, annotations.slice(start, 4))
            for start in range(0, annotations.num_rows, 4)
        )


# -- status -----------------------------------------------------------------------------------------------


@broken(
    "test_task_status_counts_a_task_as_annotated_once",
    reason=r"task_status\(\) says total=10 annotated=5 unannotated=5",
)
class StatusCountsAnnotations(SQLLabeling):
    """task_status() counts annotations, not the tasks that have one."""

    def task_status(self, project: str) -> TaskStatus:
        total = super().task_status(project).total
        annotated = min(self.export_annotations(project).num_rows, total)
        return TaskStatus(total=total, annotated=annotated, unannotated=total - annotated)


@broken("test_task_status_of_a_project_without_tasks_is_zero", reason=r"NotFound: .*stackhub_labels_\w+_tasks")
class StatusNeedsTasks(SQLLabeling):
    """task_status() of a project without tasks fails: it reads the tasks table, created by the first submit."""

    def task_status(self, project: str) -> TaskStatus:
        tasks = self._table(self.get_project(project).id, "tasks")
        self._query(f"SELECT count(*) AS n FROM {_q(tasks)}")
        return super().task_status(project)


# -- predictions ------------------------------------------------------------------------------------------


@broken(
    "test_submit_predictions_returns_the_number_attached[single]",
    "test_submit_predictions_returns_the_number_attached[multiple]",
    reason=r"submit_predictions\(\) of 5 rows by another model version returned 0",
)
class OnePredictionPerTask(SQLLabeling):
    """submit_predictions() drops the predictions for a task that has one already, even of another model version."""

    def submit_predictions(self, project: str, predictions: pa.Table, *, model_version: str) -> int:
        table = self._table(self.get_project(project).id, "predictions")
        known = self._query(f"SELECT {_c('key')} FROM {_q(table)}").column(0).combine_chunks()
        fresh = predictions.filter(pc.invert(pc.is_in(predictions["key"], value_set=known)))
        return super().submit_predictions(project, fresh, model_version=model_version) if fresh.num_rows else 0


@broken("test_submit_predictions_raises_not_found_for_a_key_that_is_not_a_task", reason="DID NOT RAISE.*NotFound")
class PredictsUnknownKeys(SQLLabeling):
    """submit_predictions() attaches predictions without checking that their keys are tasks of the project."""

    def _require_tasks(self, keys: pa.ChunkedArray, project: Project, *, what: str) -> None:
        if what != "prediction":
            super()._require_tasks(keys, project, what=what)
