"""The Label Studio labeling component: ``stackhub.categories.labeling`` over Label Studio's REST API.

How the spec maps onto Label Studio:

- a project is a Label Studio project found by its title; its ``LabelSchema`` is its label config (one
  ``<Choices>`` over one ``<Text>``/``<Image>`` tag) plus its ``expert_instruction``;
- a task keeps every column as task data, plus its key under ``data.stackhub_key``: a submit lists the keys the
  project has and imports only the rows whose key is new, so a retried submit never duplicates a task;
- an annotation is a Label Studio annotation whose ``completed_by`` is the annotator (a Label Studio user);
- a prediction is a Label Studio prediction with its ``model_version``: a pre-annotation annotators see.

Label Studio has no API that creates many annotations at once, but it converts predictions into annotations in
bulk (the data manager's "Create Annotations From Predictions" action). ``annotate()`` uses that for the rows
of the token's own user: it imports them as predictions of a one-off model version, converts those, then
deletes the one-off predictions; rows of other annotators are posted one by one with their ``completed_by``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from stackhub import (
    AlreadyExists,
    Component,
    Conflict,
    InvalidInput,
    NotFound,
    StackhubError,
)
from stackhub.categories import labeling_input
from stackhub.categories.labeling import Labeling, LabelSchema, Project, SubmitResult, SupportsPredictions, TaskStatus

from . import _arrow
from ._config import LabelStudioConfig
from ._http import LabelStudioHTTP, encode_json
from ._labelconfig import INPUT_NAME, LabelConfig, build_label_config, parse_label_config

__all__ = ["LabelStudioLabeling"]

#: Label Studio's limits on a project title (PROJECT_TITLE_MIN_LEN / _MAX_LEN).
TITLE_LENGTH = (3, 50)
#: Tasks per page when listing a project's keys.
PAGE = 1000
#: The model version of the one-off predictions that annotate() converts: this prefix and a random suffix.
ANNOTATE_VERSION = "stackhub-annotate-"
#: Domain of the e-mail address given to an annotator user created for a name that is not an address.
ANNOTATOR_DOMAIN = "stackhub.invalid"
_CREATED = re.compile(r"Created (\d+) annotations")


@dataclass(frozen=True)
class _Stored:
    """A project as Label Studio has it."""

    id: int
    name: str
    config: LabelConfig
    schema: LabelSchema

    @property
    def project(self) -> Project:
        return Project(id=str(self.id), name=self.name, label_schema=self.schema)


class LabelStudioLabeling(Labeling, SupportsPredictions):
    category: ClassVar[str] = "labeling"

    def __init__(self, config: LabelStudioConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: LabelStudioConfig = config
        self.http = LabelStudioHTTP(config)
        self._me: dict[str, Any] | None = None
        self._users: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"LabelStudioLabeling(url={self.config.url!r})"

    def health(self) -> None:
        self._me = self.http.request(
            "GET", "api/current-user/whoami", what="Label Studio health check failed", retries=0
        ).json()

    def close(self) -> None:
        self.http.close()

    # -- projects ---------------------------------------------------------------------------------------

    def _matches(self, name: str) -> list[dict[str, Any]]:
        """The projects titled exactly ``name`` (Label Studio's title filter matches substrings)."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.http.request(
                "GET",
                "api/projects/",
                what=f"Cannot look up project {name!r}",
                params={
                    "title": name,
                    "page": page,
                    "page_size": 100,
                    "include": "id,title,label_config,expert_instruction",
                },
            ).json()
            found += [p for p in body["results"] if p.get("title") == name]
            if not body.get("next"):
                return found
            page += 1

    def _match(self, name: str) -> dict[str, Any]:
        """The one project titled ``name``: ``NotFound`` for none, ``Conflict`` for several."""
        matches = self._matches(name)
        if not matches:
            raise NotFound(
                f"There is no project named {name!r} in Label Studio at {self.config.url}.",
                fix="Create it with create_project().",
            )
        if len(matches) > 1:
            ids = sorted(p["id"] for p in matches)
            raise Conflict(
                f"{len(matches)} projects of Label Studio at {self.config.url} are titled {name!r} (ids {ids}).",
                fix="Rename all but one of them in Label Studio: stackhub finds projects by title.",
            )
        return matches[0]

    def _project(self, name: str) -> _Stored:
        found = self._match(name)
        try:
            config = parse_label_config(found.get("label_config") or "")
        except ValueError as exc:
            raise InvalidInput(
                f"Project {name!r} (id {found['id']}) cannot be used as a stackhub labeling project: {exc}.",
                fix="Use a project whose label config has one <Choices> over one <Text> or <Image> tag, e.g. one "
                "made by create_project().",
            ) from None
        schema = config.schema(found.get("expert_instruction") or "")
        return _Stored(id=int(found["id"]), name=name, config=config, schema=schema)

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        if not isinstance(name, str) or not TITLE_LENGTH[0] <= len(name) <= TITLE_LENGTH[1]:
            raise InvalidInput(
                f"Label Studio project names have {TITLE_LENGTH[0]} to {TITLE_LENGTH[1]} characters; {name!r} has "
                f"{len(name) if isinstance(name, str) else 'none'}.",
                fix="Choose a shorter (or longer) name.",
            )
        schema = LabelSchema.model_validate(label_schema)
        if not INPUT_NAME.match(schema.input):
            raise InvalidInput(
                f"The input column {schema.input!r} cannot be shown by Label Studio, which reads task fields as "
                "$name with letters, digits and underscores only.",
                fix="Rename the column (e.g. with Table.rename_columns) to letters, digits and underscores.",
            )
        if self._matches(name):
            raise AlreadyExists(
                f"A project named {name!r} exists in Label Studio at {self.config.url}.",
                fix="Choose another name, or delete it with delete_project().",
            )
        created = self.http.request(
            "POST",
            "api/projects/",
            what=f"Cannot create project {name!r}",
            body={
                "title": name,
                "label_config": build_label_config(schema),
                "expert_instruction": schema.instructions,
                "show_instruction": bool(schema.instructions),
            },
        ).json()
        return Project(id=str(created["id"]), name=name, label_schema=schema)

    def get_project(self, name: str) -> Project:
        return self._project(name).project

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        # Any project of that title, also one whose label config stackhub cannot read.
        try:
            found = self._match(name)
        except NotFound:
            if missing_ok:
                return
            raise
        try:
            self.http.request("DELETE", f"api/projects/{found['id']}/", what=f"Cannot delete project {name!r}")
        except NotFound:  # deleted meanwhile by someone else
            if not missing_ok:
                raise

    # -- tasks ------------------------------------------------------------------------------------------

    def _listing(self, stored: _Stored) -> pa.Table:
        """Every task of the project as ``id``, ``key``, in id order, a page of ``PAGE`` tasks per request."""

        def pages() -> Iterator[list[object]]:
            page, seen, total = 1, 0, None
            while total is None or seen < total:
                body = self.http.request(
                    "GET",
                    "api/tasks/",
                    what=f"Cannot list the tasks of project {stored.name!r}",
                    params={
                        "project": stored.id,
                        "page": page,
                        "page_size": PAGE,
                        "include": "id,data",
                        "resolve_uri": "false",
                        "query": json.dumps({"ordering": ["tasks:id"]}),
                    },
                ).json()
                total = int(body["total"])
                tasks: list[object] = body["tasks"]
                if not tasks:
                    return
                seen += len(tasks)
                page += 1
                yield tasks

        try:
            return _arrow.listing(pages())
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise Conflict(
                f"Tasks of project {stored.name!r} hold a '{_arrow.KEY_FIELD}' that is not a string ({exc}).",
                fix=f"'{_arrow.KEY_FIELD}' is stackhub's task key: do not set it outside submit_tasks().",
            ) from None

    def _count(self, stored: _Stored, *filters: dict[str, Any]) -> int:
        query: dict[str, Any] = {"filters": {"conjunction": "and", "items": list(filters)}} if filters else {}
        body = self.http.request(
            "GET",
            "api/tasks/",
            what=f"Cannot count the tasks of project {stored.name!r}",
            params={"project": stored.id, "page_size": 1, "include": "id", "query": json.dumps(query)},
        ).json()
        return int(body["total"])

    def _chunks(self, rows: pa.Table, *, what: str) -> list[bytes]:
        """``rows`` as JSON request bodies of at most ``chunk_size`` rows and ``max_request_mb``, all encoded
        before the first is sent: data that JSON cannot carry fails before anything is written."""
        limit = int(self.config.max_request_mb * 1_000_000)
        bodies: list[bytes] = []

        def encode(offset: int, length: int) -> None:
            try:
                body = encode_json(rows.slice(offset, length).to_pylist())
            except (TypeError, ValueError) as exc:
                raise InvalidInput(
                    f"The {what} cannot be sent to Label Studio as JSON: {exc}.",
                    fix="Cast such columns to strings or numbers first (NaN inside lists or structs included).",
                ) from None
            if len(body) <= limit:
                bodies.append(body)
            elif length == 1:
                raise InvalidInput(
                    f"Row {offset} of the {what} is {len(body) / 1e6:.1f} MB of JSON, over max_request_mb "
                    f"({self.config.max_request_mb:g}).",
                    fix="Raise max_request_mb (Label Studio accepts up to its DATA_UPLOAD_MAX_MEMORY_SIZE), or "
                    "store large content elsewhere and give its URL.",
                )
            else:
                encode(offset, length // 2)
                encode(offset + length // 2, length - length // 2)

        for start in range(0, rows.num_rows, self.config.chunk_size):
            encode(start, min(self.config.chunk_size, rows.num_rows - start))
        return bodies

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        stored = self._project(project)
        what = f"tasks for project {project!r}"
        tasks = labeling_input.check_table(tasks, what=what)
        missing = [c for c in (key, stored.schema.input) if c not in tasks.column_names]
        if missing:
            raise InvalidInput(
                f"The {what} lack column(s) {missing}: {key!r} is the key, {stored.schema.input!r} the input "
                "annotators see.",
                fix=f"Add the column(s), or name the key column with key=...; the columns are {tasks.column_names}.",
            )
        if _arrow.KEY_FIELD in tasks.column_names and key != _arrow.KEY_FIELD:
            raise InvalidInput(
                f"The {what} have a column {_arrow.KEY_FIELD!r}, the task data field where stackhub keeps the key.",
                fix=f"Rename that column, or use it as the key (key={_arrow.KEY_FIELD!r}).",
            )
        key_strings = labeling_input.keys(tasks[key], what="task key")
        repeated = labeling_input.repeated(key_strings)
        if repeated:
            raise InvalidInput(
                f"The {what} repeat key(s) {repeated} in column {key!r}.", fix="Give every task its own key."
            )
        if tasks.num_rows == 0:
            return SubmitResult(created=0, existing=0)
        known = self._listing(stored)
        new = pc.invert(pc.is_in(key_strings, value_set=known["key"].combine_chunks()))
        new_tasks, new_keys = tasks.filter(new), key_strings.filter(new)
        existing = tasks.num_rows - new_tasks.num_rows
        if new_tasks.num_rows == 0:
            return SubmitResult(created=0, existing=existing)
        bodies = self._chunks(_arrow.task_payloads(new_tasks, new_keys), what=what)
        created: list[int] = []
        try:
            for body in bodies:
                created += self._import(stored, body)
        except StackhubError as exc:
            raise self._undo_import(stored, created, new_keys, exc) from None
        return SubmitResult(created=new_tasks.num_rows, existing=existing)

    def _import(self, stored: _Stored, body: bytes) -> list[int]:
        """One import request; the ids of the tasks it created. Label Studio Enterprise imports in the
        background and answers with an import id, which is then polled until done."""
        what = f"Cannot import tasks into project {stored.name!r}"
        answer = self.http.request(
            "POST", f"api/projects/{stored.id}/import", what=what, params={"return_task_ids": "true"}, content=body
        ).json()
        if "import" in answer and "task_ids" not in answer:
            deadline = time.monotonic() + 10 * self.config.timeout
            while True:
                answer = self.http.request(
                    "GET", f"api/projects/{stored.id}/imports/{answer['import']}/", what=what
                ).json()
                if answer.get("status") == "completed":
                    break
                if answer.get("status") == "failed" or time.monotonic() > deadline:
                    raise StackhubError(
                        f"{what}: the background import ended {answer.get('status')!r}: "
                        f"{answer.get('error') or 'no error given'}."
                    )
                time.sleep(0.5)
        created: list[int] = answer.get("task_ids") or []
        return created

    def _undo_import(
        self, stored: _Stored, created: list[int], new_keys: pa.ChunkedArray, error: StackhubError
    ) -> StackhubError:
        """Delete what a failed submit created: the tasks the server said it made, and any task with one of
        the submit's new keys (a request that timed out may have been done). Returns the error to raise."""
        try:
            listed = self._listing(stored)
            ours = listed["id"].filter(pc.is_in(listed["key"], value_set=new_keys.combine_chunks()))
            ids = sorted(set(created) | set(ours.to_pylist()))
            if ids:
                self._delete_tasks(stored, ids)
        except StackhubError:
            error.message += (
                " Some tasks of this submit may have been created; submitting the same tasks again is safe: "
                "tasks are idempotent by key."
            )
        return error

    def _delete_tasks(self, stored: _Stored, ids: list[int]) -> None:
        self.http.request(
            "POST",
            "api/dm/actions",
            what=f"Cannot delete tasks of project {stored.name!r}",
            params={"id": "delete_tasks", "project": stored.id},
            body={"selectedItems": {"all": False, "included": ids}},
        )

    def task_status(self, project: str) -> TaskStatus:
        stored = self._project(project)
        total = self._count(stored)
        # total_annotations counts the annotations that are not skips, as the spec counts them.
        annotated = self._count(
            stored, {"filter": "filter:tasks:total_annotations", "operator": "greater", "type": "Number", "value": 0}
        )
        return TaskStatus(total=total, annotated=annotated, unannotated=total - annotated)

    # -- annotations ------------------------------------------------------------------------------------

    def _whoami(self) -> dict[str, Any]:
        if self._me is None:
            self._me = self.http.request(
                "GET", "api/current-user/whoami", what="Cannot read the token's Label Studio user"
            ).json()
        return self._me

    @staticmethod
    def _name(user: Mapping[str, Any]) -> str:
        """How an annotator is named: the user's username, or the e-mail address when it has none."""
        return str(user.get("username") or user.get("email") or f"user {user.get('id')}")

    def _all(self, path: str, *, what: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a list endpoint: a plain JSON list, or DRF pages (``results`` and ``next``)."""
        items: list[Any] = []
        query = dict(params or {})
        page = 1
        while True:
            body = self.http.request("GET", path, what=what, params={**query, "page": page} if page > 1 else query)
            answer = body.json()
            if isinstance(answer, list):
                return items + answer
            items += answer.get("results") or []
            if not answer.get("next"):
                return items
            page += 1

    def _load_users(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = self._all("api/users/", what="Cannot list the users of Label Studio")
        self._users = {int(u["id"]): self._name(u) for u in users}
        return users

    def _annotator_ids(self, names: list[str]) -> dict[str, int]:
        """The Label Studio user of each annotator name (username, else e-mail), created when missing and
        ``create_annotators`` allows it."""
        if not names:
            return {}
        users = self._load_users()
        by_name: dict[str, int] = {}
        for user in sorted(users, key=lambda u: int(u["id"])):  # the oldest user wins a shared username
            for field in ("email", "username"):
                if user.get(field):
                    by_name.setdefault(str(user[field]), int(user["id"]))
        missing = [n for n in names if n not in by_name]
        if missing and not self.config.create_annotators:
            raise InvalidInput(
                f"Annotator(s) {missing[: labeling_input.SHOWN]} are not users of Label Studio at {self.config.url}.",
                fix="Add them as users in Label Studio, or set create_annotators: true in the component's config.",
            )
        for name in missing:
            user = self.http.request(
                "POST",
                "api/users/",
                what=f"Cannot create the Label Studio user for annotator {name!r}",
                body={"username": name, "email": _annotator_email(name), "first_name": name[:256]},
            ).json()
            by_name[name] = int(user["id"])
            self._users[int(user["id"])] = self._name(user)
        return {n: by_name[n] for n in names}

    @staticmethod
    def _results(stored: _Stored, labels: pa.ChunkedArray, region: str) -> pa.Array:
        """One Label Studio result per row: a list of one ``choices`` region of the project's control."""
        values = labels.combine_chunks()
        n = len(values)
        if stored.schema.choice == "single":
            values = pa.ListArray.from_arrays(pa.arange(0, n + 1).cast(pa.int32()), values)
        regions = pa.StructArray.from_arrays(
            [
                pa.repeat(region, n),
                pa.repeat(stored.config.control, n),
                pa.repeat(stored.config.object, n),
                pa.repeat("choices", n),
                pa.StructArray.from_arrays([values], names=["choices"]),
            ],
            names=["id", "from_name", "to_name", "type", "value"],
        )
        return pa.ListArray.from_arrays(pa.arange(0, n + 1).cast(pa.int32()), regions)

    def annotate(self, project: str, annotations: pa.Table) -> int:
        stored = self._project(project)
        what = f"annotations for project {project!r}"
        data = labeling_input.check_table(annotations, what=what)
        labeling_input.check_columns(data, required=("key", "label"), optional=("annotator",), what=what)
        key_strings = labeling_input.keys(data["key"], what="annotation key")
        labels = labeling_input.labels(data["label"], stored.schema, project=project, what="annotation")
        annotators = labeling_input.optional_text(data, "annotator")
        if data.num_rows == 0:
            return 0
        task_ids = _arrow.lookup(self._listing(stored), key_strings, project=project, what="annotation")
        me = self._whoami()
        own_names = pa.array([v for v in (me.get("username"), me.get("email")) if v], pa.string())
        own = pc.fill_null(pc.or_kleene(pc.is_null(annotators), pc.is_in(annotators, value_set=own_names)), True)
        others = pc.invert(own)
        user_ids = self._annotator_ids(pc.unique(annotators.filter(others)).to_pylist())

        # Every region this call writes carries its id: what finds them again if the call fails half-way.
        tag = f"stackhub-{uuid.uuid4().hex[:12]}"
        results = self._results(stored, labels, tag)
        posted: list[int] = []
        try:
            self._annotate_own(stored, task_ids.filter(own), results.filter(own.combine_chunks()), tag)
            other_rows = pa.table(
                {
                    "task": task_ids.filter(others),
                    "result": results.filter(others.combine_chunks()),
                    "annotator": annotators.filter(others),
                }
            ).to_pylist()
            for row in other_rows:  # Label Studio creates another user's annotation one request at a time
                created = self.http.request(
                    "POST",
                    f"api/tasks/{row['task']}/annotations/",
                    what=f"Cannot record an annotation in project {project!r}",
                    body={"result": row["result"], "completed_by": user_ids[row["annotator"]]},
                ).json()
                posted.append(int(created["id"]))
        except StackhubError as exc:
            raise self._undo_annotate(stored, tag, posted, exc) from None
        recorded: int = data.num_rows
        return recorded

    def _annotate_own(self, stored: _Stored, task_ids: pa.ChunkedArray, results: pa.Array, tag: str) -> None:
        """Annotations by the token's user, in bulk: one-off predictions (model version ``tag``) converted by
        Label Studio's predictions-to-annotations action, then deleted."""
        n = len(task_ids)
        if n == 0:
            return
        version = ANNOTATE_VERSION + tag
        rows = pa.table({"task": task_ids, "result": results, "model_version": pa.repeat(version, n)})
        for body in self._chunks(rows, what=f"annotations for project {stored.name!r}"):
            self.http.request(
                "POST",
                f"api/projects/{stored.id}/import/predictions",
                what=f"Cannot record annotations in project {stored.name!r}",
                content=body,
            )
        answer = self.http.request(
            "POST",
            "api/dm/actions",
            what=f"Cannot record annotations in project {stored.name!r}",
            params={"id": "predictions_to_annotations", "project": stored.id},
            body={
                "model_version": version,
                "selectedItems": {"all": False, "included": pc.unique(task_ids).to_pylist()},
            },
        ).json()
        done = _CREATED.search(str(answer.get("detail", "")))
        self._drop_version(stored, version)
        if done is None or int(done.group(1)) != n:
            raise StackhubError(
                f"Label Studio recorded {done.group(1) if done else 'an unknown number of'} of {n} annotations in "
                f"project {stored.name!r}: {answer}."
            )

    def _drop_version(self, stored: _Stored, version: str) -> None:
        self.http.request(
            "DELETE",
            f"api/projects/{stored.id}/model-versions/",
            what=f"Cannot delete the one-off predictions {version!r} of project {stored.name!r}",
            body={"model_version": version},
        )

    def _undo_annotate(self, stored: _Stored, tag: str, posted: list[int], error: StackhubError) -> StackhubError:
        """Delete what a failed annotate() recorded: its one-off predictions, and every annotation with a
        region of this call (``tag``). Returns the error to raise."""
        try:
            self._drop_version(stored, ANNOTATE_VERSION + tag)
            exported = self._export(stored)
            ids = set(posted) | set(_arrow.tagged_annotations(exported, tag))
            for annotation in sorted(ids):
                with contextlib.suppress(NotFound):
                    self.http.request(
                        "DELETE", f"api/annotations/{annotation}/", what=f"Cannot delete annotation {annotation}"
                    )
        except StackhubError:
            error.message += (
                f" Some annotations of this call may have been recorded: their result region id is {tag!r}."
            )
        return error

    def _export(self, stored: _Stored) -> list[object]:
        # Only the tasks that have annotations: download_all_tasks=false is the export's default.
        exported: list[object] = self.http.request(
            "GET",
            f"api/projects/{stored.id}/export",
            what=f"Cannot export the annotations of project {stored.name!r}",
            params={"exportType": "JSON", "download_all_tasks": "false"},
            timeout=max(self.config.timeout, 120.0),
        ).json()
        return exported

    def export_annotations(self, project: str) -> pa.Table:
        stored = self._project(project)
        exported = self._export(stored)
        table = _arrow.annotations_table(
            exported, schema=stored.schema, control=stored.config.control, users=self._users
        )
        if table["annotator"].null_count:  # annotators this component has not seen yet
            self._load_users()
            table = _arrow.annotations_table(
                exported, schema=stored.schema, control=stored.config.control, users=self._users
            )
        return table

    # -- predictions ------------------------------------------------------------------------------------

    def submit_predictions(self, project: str, predictions: pa.Table, *, model_version: str) -> int:
        stored = self._project(project)
        data, key_strings, labels, scores = labeling_input.predictions(
            predictions, stored.schema, project=project, model_version=model_version
        )
        if model_version.startswith(ANNOTATE_VERSION):
            raise InvalidInput(
                f"Model versions starting with {ANNOTATE_VERSION!r} are the one-off ones of annotate().",
                fix="Choose another model_version.",
            )
        what = f"predictions for project {project!r}"
        scores = _arrow.finite_or_null(scores)
        if data.num_rows == 0:
            return 0
        task_ids = _arrow.lookup(self._listing(stored), key_strings, project=project, what="prediction")
        tag = f"stackhub-{uuid.uuid4().hex[:12]}"
        rows = pa.table(
            {
                "task": task_ids,
                "result": self._results(stored, labels, tag),
                "score": scores,
                "model_version": pa.repeat(model_version, data.num_rows),
            }
        )
        attached = 0
        try:
            for body in self._chunks(rows, what=what):
                attached += int(
                    self.http.request(
                        "POST",
                        f"api/projects/{stored.id}/import/predictions",
                        what=f"Cannot attach predictions to project {project!r}",
                        content=body,
                    ).json()["created"]
                )
        except StackhubError as exc:
            raise self._undo_predictions(stored, tag, exc) from None
        return attached

    def _undo_predictions(self, stored: _Stored, tag: str, error: StackhubError) -> StackhubError:
        try:
            listed = self._all(
                "api/predictions/",
                what=f"Cannot list the predictions of project {stored.name!r}",
                params={"project": stored.id},
            )
            for prediction in _arrow.tagged_predictions(listed, tag):
                with contextlib.suppress(NotFound):
                    self.http.request(
                        "DELETE", f"api/predictions/{prediction}/", what=f"Cannot delete prediction {prediction}"
                    )
        except StackhubError:
            error.message += f" Some predictions of this call may have been attached: their region id is {tag!r}."
        return error


def _annotator_email(name: str) -> str:
    """An e-mail address for a new annotator user: the name itself when it is one, else one derived from it."""
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", name):
        return name
    local = re.sub(r"[^A-Za-z0-9._+-]+", "-", name).strip(".-")[:40] or "annotator"
    if local != name:  # keep distinct names distinct after the clean-up
        local += "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{local}@{ANNOTATOR_DOMAIN}"
