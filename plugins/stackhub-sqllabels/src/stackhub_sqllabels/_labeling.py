"""The warehouse-native labeling queue: every project is a few tables in the configured warehouse.

Tables (``P`` is the configured prefix, ``ID`` a project's id)::

    P_projects          id, name, label_schema (JSON), created_at: one row per project
    P_ID_tasks          _stackhub_key, then every column as submitted (created by the project's first submit)
    P_ID_annotations    key, annotation_id, label, annotator, created_at (the export's columns)
    P_ID_predictions    key, prediction_id, label, score, model_version, created_at

Tables per project, not shared ones: task columns keep the Arrow types they were submitted with (queryable and
joinable like any other table, no JSON round trip), ``label`` is typed by the project's choice mode, and
deleting a project drops tables instead of rewriting everyone's rows. Tables are named by id, not by name, so a
project re-created under an old name never sees its predecessor's leftovers.

The warehouse interface has no DELETE and no INSERT ... SELECT, so every operation checks its input with Arrow
compute, checks keys with one SQL join against a throwaway staging table, then makes a single write: a call
that fails has changed nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from stackhub import AlreadyExists, Component, InvalidInput, Labeling, NotFound, Warehouse
from stackhub.categories import labeling_input
from stackhub.categories.labeling import (
    EXPORT_COLUMNS,
    LabelSchema,
    Project,
    SubmitResult,
    SupportsPredictions,
    TaskStatus,
)
from stackhub.sql import column_sql, table_sql

from . import _arrow
from ._config import SQLLabelsConfig

#: The dialect the plugin's SQL is written in; the warehouse transpiles it to its own.
_SQL = "postgres"
#: The task key as a string, next to the submitted columns (which keep the key column with its own type).
_KEY = "_stackhub_key"
_PROJECTS = pa.schema(
    [
        ("id", pa.string()),
        ("name", pa.string()),
        ("label_schema", pa.string()),
        ("created_at", labeling_input.UTC_MICROS),
    ]
)


def _annotations_schema(schema: LabelSchema) -> pa.Schema:
    types = {"label": labeling_input.label_type(schema), "created_at": labeling_input.UTC_MICROS}
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])


def _predictions_schema(schema: LabelSchema) -> pa.Schema:
    return pa.schema(
        [
            ("key", pa.string()),
            ("prediction_id", pa.string()),
            ("label", labeling_input.label_type(schema)),
            ("score", pa.float64()),
            ("model_version", pa.string()),
            ("created_at", labeling_input.UTC_MICROS),
        ]
    )


def _q(name: str) -> str:
    return table_sql(name, dialect=_SQL)


def _c(name: str) -> str:
    return column_sql(name, dialect=_SQL)


class SQLLabeling(Labeling, SupportsPredictions):
    category: ClassVar[str] = "labeling"

    def __init__(self, config: SQLLabelsConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: SQLLabelsConfig = config
        self.warehouse: Warehouse = self.dependency("warehouse", Warehouse)

    def health(self) -> None:
        self.warehouse.health()

    # -- tables and SQL ---------------------------------------------------------------------------------

    def _table(self, *parts: str) -> str:
        return "_".join((self.config.table_prefix, *parts))

    def _query(self, sql: str) -> pa.Table:
        return self.warehouse.query(sql, dialect=_SQL)

    def _schema(self, table: str) -> pa.Schema | None:
        """The table's Arrow schema as the warehouse returns it, or None when there is no such table."""
        try:
            return self._query(f"SELECT * FROM {_q(table)} LIMIT 0").schema
        except NotFound:
            return None

    def _append(self, table: str, data: pa.Table) -> None:
        try:
            self.warehouse.write(table, data, mode="append")
        except NotFound:
            try:
                self.warehouse.write(table, data, mode="create")
            except AlreadyExists:  # another process created it between our two writes
                self.warehouse.write(table, data, mode="append")

    def _absent(self, keys: pa.Array, project: Project) -> pa.Array:
        """The keys that are not tasks of the project, found by an anti-join in the warehouse."""
        staging = self._table("staging", uuid.uuid4().hex[:16])
        self.warehouse.write(staging, pa.table({"key": keys}), mode="create")
        try:
            result = self._query(
                f"SELECT s.{_c('key')} FROM {_q(staging)} AS s WHERE NOT EXISTS"
                f" (SELECT 1 FROM {_q(self._table(project.id, 'tasks'))} AS t WHERE t.{_c(_KEY)} = s.{_c('key')})"
            )
        except NotFound:  # the project's first submit creates its tasks table: until then no key is a task
            return keys
        finally:
            self.warehouse.drop_table(staging, missing_ok=True)
        return result.column(0).cast(pa.string()).combine_chunks()

    def _require_tasks(self, keys: pa.ChunkedArray, project: Project, *, what: str) -> None:
        missing = self._absent(pc.unique(keys), project)
        if len(missing):
            raise NotFound(
                f"{len(missing)} {what} key(s) are not tasks of project {project.name!r},"
                f" e.g. {missing[: labeling_input.SHOWN].to_pylist()}.",
                fix="Submit those tasks with submit_tasks() first, or correct the keys.",
            )

    # -- projects ---------------------------------------------------------------------------------------

    def _projects(self) -> pa.Table:
        try:
            rows = self._query(f"SELECT * FROM {_q(self._table('projects'))}")
        except NotFound:  # created by the first create_project
            return _PROJECTS.empty_table()
        return rows.select(_PROJECTS.names).cast(_PROJECTS)

    def _find(self, name: str) -> Project | None:
        projects = self._projects()
        match = projects.filter(pc.equal(projects["name"], name))
        if match.num_rows == 0:
            return None
        row = match.slice(0, 1).to_pylist()[0]
        return Project(id=row["id"], name=name, label_schema=LabelSchema.model_validate_json(row["label_schema"]))

    def _project(self, name: str) -> Project:
        project = self._find(name)
        if project is None:
            raise NotFound(
                f"Labeling project {name!r} does not exist.",
                fix="Create it with create_project(), or check the name.",
            )
        return project

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"A project name must be a non-empty string, not {name!r}.", fix="Pass a name.")
        if not isinstance(label_schema, LabelSchema):
            raise InvalidInput(
                f"label_schema must be a LabelSchema, not {type(label_schema).__name__}.",
                fix="Build it with stackhub.categories.labeling.LabelSchema(input=..., labels=(...)).",
            )
        if self._find(name) is not None:
            raise AlreadyExists(
                f"Labeling project {name!r} exists already.",
                fix=f"Choose another name, or delete_project({name!r}) first.",
            )
        project = Project(id=uuid.uuid4().hex[:16], name=name, label_schema=label_schema)
        # The project row is written last, so that a project is visible only once its tables exist.
        created: list[str] = []
        try:
            for kind, schema in (
                ("annotations", _annotations_schema(label_schema)),
                ("predictions", _predictions_schema(label_schema)),
            ):
                self.warehouse.write(self._table(project.id, kind), schema.empty_table(), mode="create")
                created.append(self._table(project.id, kind))
            row = pa.table(
                {
                    "id": [project.id],
                    "name": [name],
                    "label_schema": [label_schema.model_dump_json()],
                    "created_at": _arrow.now(1),
                },
                schema=_PROJECTS,
            )
            self._append(self._table("projects"), row)
        except BaseException:
            for table in created:
                self.warehouse.drop_table(table, missing_ok=True)
            raise
        return project

    def get_project(self, name: str) -> Project:
        return self._project(name)

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        projects = self._projects()
        match = pc.equal(projects["name"], name)
        doomed = projects.filter(match)
        if doomed.num_rows == 0:
            if missing_ok:
                return
            raise NotFound(f"Labeling project {name!r} does not exist.", fix="Check the name, or pass missing_ok=True.")
        # The project row goes first: if a drop below fails, what is left is unreachable, never a project
        # that is missing some of its tables.
        self.warehouse.write(self._table("projects"), projects.filter(pc.invert(match)), mode="overwrite")
        project_id = doomed["id"][0].as_py()
        for kind in ("tasks", "annotations", "predictions"):
            self.warehouse.drop_table(self._table(project_id, kind), missing_ok=True)

    # -- tasks ------------------------------------------------------------------------------------------

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        stored = self._project(project)
        tasks = labeling_input.check_table(tasks, what=f"tasks for project {project!r}")
        missing = [c for c in dict.fromkeys((key, stored.label_schema.input)) if c not in tasks.column_names]
        if missing:
            raise InvalidInput(
                f"The tasks for project {project!r} lack column(s) {missing}: the key column is {key!r} and the"
                f" schema's input column is {stored.label_schema.input!r}.",
                fix="Add the column(s), or pass key= naming the column that identifies each task.",
            )
        if _KEY in tasks.column_names:
            raise InvalidInput(f"Column name {_KEY!r} is reserved for the task key.", fix="Rename that column.")
        keys = labeling_input.keys(tasks[key], what=f"task key {key!r}")
        duplicates = labeling_input.repeated(keys)
        if duplicates:
            raise InvalidInput(
                f"The tasks for project {project!r} repeat key(s) {duplicates}.",
                fix="Submit each key once per call, e.g. keep the last row per key.",
            )
        if tasks.num_rows == 0:
            return SubmitResult(created=0, existing=0)
        rows = tasks.add_column(0, _KEY, keys)
        table = self._table(stored.id, "tasks")
        schema = self._schema(table)
        if schema is None:
            try:
                self.warehouse.write(table, rows, mode="create")
            except AlreadyExists:  # a concurrent first submit won: go again as a later submit
                return self.submit_tasks(project, tasks, key=key)
            return SubmitResult(created=rows.num_rows, existing=0)
        rows = self._conform(rows, schema, project)
        fresh = rows.filter(pc.is_in(rows[_KEY], value_set=self._absent(keys.combine_chunks(), stored)))
        if fresh.num_rows:
            self.warehouse.write(table, fresh, mode="append")
        return SubmitResult(created=fresh.num_rows, existing=rows.num_rows - fresh.num_rows)

    @staticmethod
    def _conform(rows: pa.Table, schema: pa.Schema, project: str) -> pa.Table:
        """The rows with the columns and types of the project's tasks table, or ``InvalidInput``."""
        if sorted(rows.column_names) != sorted(schema.names):
            kept = sorted(set(schema.names) - {_KEY})
            given = sorted(set(rows.column_names) - {_KEY})
            raise InvalidInput(
                f"Project {project!r} keeps tasks with the columns {kept}, but these tasks have {given}.",
                fix="Submit the same columns as the project's first submit, or create another project.",
            )
        try:
            return rows.select(schema.names).cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            reason = str(exc).splitlines()[0].rstrip(".")
            raise InvalidInput(
                f"The tasks for project {project!r} do not fit the column types of its earlier tasks: {reason}.",
                fix="Submit each column with the type it had in the project's first submit.",
            ) from None

    def task_status(self, project: str) -> TaskStatus:
        stored = self._project(project)
        tasks = self._table(stored.id, "tasks")
        if self._schema(tasks) is None:
            return TaskStatus(total=0, annotated=0, unannotated=0)
        # DISTINCT, because two processes submitting the same new key at the same moment can both insert it:
        # the warehouse interface has no unique constraint to stop them.
        counts = self._query(
            f"SELECT (SELECT COUNT(DISTINCT {_c(_KEY)}) FROM {_q(tasks)}) AS total,"
            f" (SELECT COUNT(DISTINCT {_c('key')}) FROM {_q(self._table(stored.id, 'annotations'))}) AS annotated"
        )
        total, annotated = (int(counts[name][0].as_py()) for name in ("total", "annotated"))
        return TaskStatus(total=total, annotated=annotated, unannotated=total - annotated)

    # -- annotations and predictions --------------------------------------------------------------------

    def annotate(self, project: str, annotations: pa.Table) -> int:
        stored = self._project(project)
        what = f"annotations for project {project!r}"
        annotations = labeling_input.check_table(annotations, what=what)
        labeling_input.check_columns(annotations, required=("key", "label"), optional=("annotator",), what=what)
        keys = labeling_input.keys(annotations["key"], what="annotation key")
        labels = labeling_input.labels(annotations["label"], stored.label_schema, project=project, what="annotation")
        annotators = labeling_input.optional_text(annotations, "annotator")
        if annotations.num_rows == 0:
            return 0
        self._require_tasks(keys, stored, what="annotation")
        n: int = annotations.num_rows
        rows = pa.table(
            [keys, _arrow.row_ids(n), labels, annotators, _arrow.now(n)],
            schema=_annotations_schema(stored.label_schema),
        )
        self.warehouse.write(self._table(stored.id, "annotations"), rows, mode="append")
        return n

    def export_annotations(self, project: str) -> pa.Table:
        stored = self._project(project)
        columns = ", ".join(_c(name) for name in EXPORT_COLUMNS)
        rows = self._query(
            f"SELECT {columns} FROM {_q(self._table(stored.id, 'annotations'))}"
            f" ORDER BY {_c('created_at')}, {_c('annotation_id')}"
        )
        # The warehouse may name types its own way (list<l: string>, tz=Etc/UTC); the export's are fixed.
        return rows.cast(_annotations_schema(stored.label_schema))

    def submit_predictions(self, project: str, predictions: pa.Table, *, model_version: str) -> int:
        stored = self._project(project)
        predictions, keys, labels, scores = labeling_input.predictions(
            predictions, stored.label_schema, project=project, model_version=model_version
        )
        if predictions.num_rows == 0:
            return 0
        self._require_tasks(keys, stored, what="prediction")
        n: int = predictions.num_rows
        rows = pa.table(
            [keys, _arrow.row_ids(n), labels, scores, pa.repeat(model_version, n), _arrow.now(n)],
            schema=_predictions_schema(stored.label_schema),
        )
        self.warehouse.write(self._table(stored.id, "predictions"), rows, mode="append")
        return n
