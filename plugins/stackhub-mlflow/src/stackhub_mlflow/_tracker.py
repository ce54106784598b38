"""The MLflow tracker, through ``MlflowClient``: the embedded SQLite store or a tracking server, same code."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)
from sqlalchemy.exc import SQLAlchemyError
from stackhub import Component, Conflict, InvalidInput, NotFound, Tracker, Unavailable
from stackhub.categories.tracker import Experiment, Metric, ModelVersion, Run, RunStatus, SupportsModelRegistry

from ._config import MlflowConfig
from ._errors import map_error, redact
from ._filter import to_mlflow_filter, to_mlflow_order_by
from ._http import http_settings, mlflow_http_env

__all__ = ["MlflowTracker"]

# MLflow announces at INFO each time it creates or migrates an embedded database; to a user of the hub that is
# noise in their own output, not news. Its warnings and errors still show.
logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)

T = TypeVar("T")

# Stores MLflow opens in-process through SQLAlchemy: the only ones whose artifacts ``artifact_location`` places.
_DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
_END_STATUSES = ("FINISHED", "FAILED", "KILLED")
# MLflow refuses larger pages (SEARCH_MAX_RESULTS_THRESHOLD).
_SEARCH_PAGE = 50_000
# Stored as the run's name already; listing it among the tags too would report one fact twice.
_RUN_NAME_TAG = "mlflow.runName"


def _absolute_sqlite(uri: str) -> str:
    """``sqlite:///rel/x.db`` -> ``sqlite:////cwd/rel/x.db``: the store stays put if the process changes folder."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri[len(prefix) :].startswith("/"):
        return prefix + str(Path(uri[len(prefix) :]).resolve())
    return uri


def _open_sqlite(path: Path) -> None:
    """Create the folder of a SQLite store and check that the file opens as a database.

    MLflow retries opening a database for about 100 s before it gives up, which for a local file only delays
    the error: a file that cannot be opened now will not open later.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA schema_version").fetchone()
    except (OSError, sqlite3.Error) as exc:
        reason = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise Unavailable(
            f"Cannot open the MLflow store {str(path)!r}: {reason}.",
            fix="Choose a 'tracking_uri' with a SQLite file in a writable folder.",
        ) from None


def _millis(moment: datetime | None) -> int:
    # A naive datetime is local time, as datetime.timestamp() reads it.
    return int((moment.timestamp() if moment is not None else time.time()) * 1000)


def _datetime(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _to_run(run: Any) -> Run:
    info, data = run.info, run.data
    return Run(
        id=info.run_id,
        experiment_id=info.experiment_id,
        name=info.run_name or None,
        status=info.status,
        start_time=_datetime(info.start_time),
        end_time=_datetime(info.end_time) if info.end_time else None,
        params=dict(data.params),
        metrics=dict(data.metrics),
        tags={k: v for k, v in data.tags.items() if k != _RUN_NAME_TAG},
    )


def _artifact_subpath(artifact_path: str | None) -> str | None:
    """Normalise a relative artifact folder; refuse one that would escape the run's artifact root."""
    if artifact_path is None or not artifact_path.strip("/"):
        return None
    path = PurePosixPath(artifact_path.strip("/"))
    if ".." in path.parts:
        raise InvalidInput(f"Artifact path {artifact_path!r} must stay inside the run's artifacts (no '..').")
    return str(path)


class MlflowTracker(Tracker, SupportsModelRegistry):
    def __init__(self, config: MlflowConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: MlflowConfig = config
        self._tracking_uri = _absolute_sqlite(config.tracking_uri)
        self._registry_uri = _absolute_sqlite(config.registry_uri) if config.registry_uri else self._tracking_uri
        scheme = self._tracking_uri.partition(":")[0].split("+")[0].lower()
        self._artifact_root = Path(config.artifact_location).resolve().as_uri() if scheme in _DATABASE_SCHEMES else None
        # The HTTP settings are process-wide while applied (see _http.py): apply them only where they matter.
        self._over_http = any(
            uri.lower().startswith(("http:", "https:")) for uri in (self._tracking_uri, self._registry_uri)
        )
        self._env = mlflow_http_env(config.timeout, config.max_retries)
        # health() is asked "does it answer now?": one attempt, bounded by the timeout.
        self._health_env = mlflow_http_env(config.timeout, 0)
        self._client: MlflowClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MlflowTracker(tracking_uri={redact(self._tracking_uri)!r})"

    # -- plumbing ---------------------------------------------------------------------------------------

    def _mlflow(self) -> MlflowClient:
        with self._lock:
            if self._client is None:
                for uri in {self._tracking_uri, self._registry_uri}:
                    if uri.startswith("sqlite:////"):
                        _open_sqlite(Path(uri[len("sqlite:///") :]))
                self._client = MlflowClient(tracking_uri=self._tracking_uri, registry_uri=self._registry_uri)
            return self._client

    @contextmanager
    def _calling(self, context: str, env: Mapping[str, str] | None = None) -> Iterator[MlflowClient]:
        """Run a block of MLflow calls with this tracker's HTTP settings; raise stackhub errors only."""
        with http_settings(env or self._env) if self._over_http else nullcontext():
            try:
                yield self._mlflow()
            except (MlflowException, SQLAlchemyError, OSError) as exc:  # requests' errors are OSErrors too
                raise map_error(exc, context, where=self._tracking_uri) from None

    def health(self) -> None:
        with self._calling("MLflow health check failed", self._health_env) as client:
            client.search_experiments(max_results=1)

    def close(self) -> None:
        with self._lock:
            self._client = None

    # -- experiments and runs ---------------------------------------------------------------------------

    def create_experiment(self, name: str) -> Experiment:
        with self._calling(f"Cannot create experiment {name!r}") as client:
            # On the embedded store every experiment gets the configured folder (runs have their own
            # subfolders); without it MLflow would use ./mlruns of whatever folder the process runs in.
            experiment_id = client.create_experiment(name, artifact_location=self._artifact_root)
        return Experiment(id=experiment_id, name=name)

    def get_experiment(self, name: str) -> Experiment:
        with self._calling(f"Cannot read experiment {name!r}") as client:
            found = client.get_experiment_by_name(name)
        if found is None or found.lifecycle_stage != "active":
            raise NotFound(f"There is no experiment named {name!r}.", fix="Create it with create_experiment().")
        return Experiment(id=found.experiment_id, name=found.name)

    def start_run(self, experiment: str, *, run_name: str | None = None, tags: Mapping[str, str] | None = None) -> Run:
        experiment_id = self.get_experiment(experiment).id
        checked = self._checked_tags(tags or {})
        with self._calling(f"Cannot start a run in experiment {experiment!r}") as client:
            return _to_run(client.create_run(experiment_id, run_name=run_name, tags=checked))

    def end_run(self, run_id: str, status: RunStatus = "FINISHED") -> None:
        if status not in _END_STATUSES:
            raise InvalidInput(f"A run ends as one of {', '.join(_END_STATUSES)}, not {status!r}.")
        with self._calling(f"Cannot end run {run_id!r}") as client:
            client.set_terminated(run_id, status=status)

    def get_run(self, run_id: str) -> Run:
        with self._calling(f"Cannot read run {run_id!r}") as client:
            return _to_run(client.get_run(run_id))

    # -- params, metrics, tags --------------------------------------------------------------------------

    def log_params(self, run_id: str, params: Mapping[str, str | int | float | bool]) -> None:
        values = {key: str(value) for key, value in params.items()}
        too_long = [key for key, value in values.items() if len(value) > MAX_PARAM_VAL_LENGTH]
        if too_long:
            # MLflow would store a silently truncated value; a param is what was logged or nothing.
            raise InvalidInput(
                f"Param(s) {', '.join(map(repr, too_long))} exceed MLflow's {MAX_PARAM_VAL_LENGTH} characters.",
                fix="Log a shorter value, or store the content as an artifact.",
            )
        # MLflow takes at most 100 params per request; a batch with a changed value fails as a whole, but
        # earlier chunks stay logged (params are write-once, so logging them again later is harmless).
        for chunk in _chunks([Param(k, v) for k, v in values.items()], MAX_PARAMS_TAGS_PER_BATCH):
            try:
                with self._calling(f"Cannot log params to run {run_id!r}") as client:
                    client.log_batch(run_id, params=chunk)
            except InvalidInput:
                self._raise_param_conflict(run_id, {p.key: p.value for p in chunk})
                raise

    def _raise_param_conflict(self, run_id: str, values: Mapping[str, str]) -> None:
        """Raise ``Conflict`` when the run holds a different value for any of ``values``.

        MLflow reports a changed param as INVALID_PARAMETER_VALUE, the code it also uses for a bad key; the
        stored values tell the two apart without depending on the wording of its message.
        """
        stored = self.get_run(run_id).params
        changed = [key for key, value in values.items() if key in stored and stored[key] != value]
        if changed:
            details = "; ".join(f"{k!r} is {stored[k][:60]!r}, not {values[k][:60]!r}" for k in changed)
            raise Conflict(
                f"Params of run {run_id!r} are immutable and were logged with other values: {details}.",
                fix="Log a new param name, or start a new run.",
            )

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], *, step: int = 0, timestamp: datetime | None = None
    ) -> None:
        if isinstance(step, bool) or not isinstance(step, int):
            raise InvalidInput(f"A metric step is an integer, not {step!r}.")
        millis = _millis(timestamp)
        try:
            entries = [MlflowMetric(key, float(value), millis, step) for key, value in metrics.items()]
        except (TypeError, ValueError):
            raise InvalidInput(f"Metric values must be numbers; got {dict(metrics)!r}.") from None
        for chunk in _chunks(entries, MAX_METRICS_PER_BATCH):
            with self._calling(f"Cannot log metrics to run {run_id!r}") as client:
                client.log_batch(run_id, metrics=chunk)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        entries = [RunTag(k, v) for k, v in self._checked_tags(tags).items()]
        for chunk in _chunks(entries, MAX_PARAMS_TAGS_PER_BATCH):
            with self._calling(f"Cannot set tags of run {run_id!r}") as client:
                client.log_batch(run_id, tags=chunk)

    @staticmethod
    def _checked_tags(tags: Mapping[str, str]) -> dict[str, str]:
        values = {key: str(value) for key, value in tags.items()}
        too_long = [key for key, value in values.items() if len(value) > MAX_TAG_VAL_LENGTH]
        if too_long:
            # As with params: MLflow would truncate silently, and the tag would not read back as set.
            raise InvalidInput(
                f"Tag(s) {', '.join(map(repr, too_long))} exceed MLflow's {MAX_TAG_VAL_LENGTH} characters.",
                fix="Set a shorter value, or store the content as an artifact.",
            )
        return values

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self._calling(f"Cannot read metric {key!r} of run {run_id!r}") as client:
            history = client.get_metric_history(run_id, key)
        if not history:
            # MLflow answers an unknown run with an empty history; only get_run tells the two apart.
            self.get_run(run_id)
        # MLflow returns values in storage order; sorted() is stable, so equal (step, time) keep it.
        ordered = sorted(history, key=lambda m: (m.step, m.timestamp))
        return [Metric(key=m.key, value=m.value, step=m.step, timestamp=_datetime(m.timestamp)) for m in ordered]

    # -- artifacts --------------------------------------------------------------------------------------

    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = None) -> str:
        source = Path(local_path)
        if not source.exists():
            raise NotFound(f"Cannot log artifact: {str(source)!r} does not exist.")
        folder = _artifact_subpath(artifact_path)
        source = source.resolve()  # "." and "dir/" get their real names, as files and folders do
        with self._calling(f"Cannot log artifact {source.name!r} to run {run_id!r}") as client:
            # A directory lands under folder/<its name>, as a file does: one rule for the returned path.
            client.log_artifact(run_id, str(source), folder)
        return str(PurePosixPath(folder or "") / source.name)

    def list_artifacts(self, run_id: str) -> list[str]:
        files: list[str] = []
        folders: list[str | None] = [None]
        with self._calling(f"Cannot list the artifacts of run {run_id!r}") as client:
            while folders:
                for info in client.list_artifacts(run_id, folders.pop()):
                    (folders if info.is_dir else files).append(info.path)
        return sorted(files)

    def download_artifact(self, run_id: str, artifact_path: str, destination: str | Path) -> Path:
        target = Path(destination)
        target.mkdir(parents=True, exist_ok=True)
        path = _artifact_subpath(artifact_path)
        if path is None:
            raise InvalidInput("Name the artifact to download; an empty path is the whole run.")
        with self._calling(f"Cannot download artifact {artifact_path!r} of run {run_id!r}") as client:
            return Path(client.download_artifacts(run_id, path, str(target)))

    # -- search -----------------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment: str,
        *,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
    ) -> list[Run]:
        if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
            raise InvalidInput(f"max_results must be a positive integer, not {max_results!r}.")
        mlflow_filter = to_mlflow_filter(filter)
        mlflow_order = to_mlflow_order_by(order_by)
        experiment_id = self.get_experiment(experiment).id
        runs: list[Run] = []
        token: str | None = None
        with self._calling(f"Cannot search the runs of experiment {experiment!r}") as client:
            while len(runs) < max_results:
                page = client.search_runs(
                    [experiment_id],
                    filter_string=mlflow_filter,
                    order_by=mlflow_order,
                    max_results=min(max_results - len(runs), _SEARCH_PAGE),
                    page_token=token,
                )
                runs.extend(_to_run(run) for run in page)
                token = page.token
                if not token:
                    break
        return runs

    # -- model registry ---------------------------------------------------------------------------------

    def register_model(self, name: str, run_id: str, artifact_path: str) -> ModelVersion:
        path = _artifact_subpath(artifact_path)
        if path is None:
            raise InvalidInput("Name the artifact to register; an empty path is the whole run.")
        parent = str(PurePosixPath(path).parent)
        with self._calling(f"Cannot register {artifact_path!r} of run {run_id!r} as model {name!r}") as client:
            # MLflow registers any source, even of a run that does not exist; a version must point at content.
            listed = {info.path for info in client.list_artifacts(run_id, None if parent == "." else parent)}
            if path not in listed:
                raise NotFound(f"Run {run_id!r} has no artifact {artifact_path!r} to register as model {name!r}.")
            try:
                client.create_registered_model(name)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # the first version creates the model
                    raise
            version = client.create_model_version(
                name, f"runs:/{run_id}/{path}", run_id=run_id, await_creation_for=self.config.timeout
            )
        return ModelVersion(name=version.name, version=str(version.version), run_id=run_id, source=version.source or "")

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        if not str(version).isdigit():
            # MLflow calls a non-numeric version invalid input; for the caller it is a version that does not exist.
            raise NotFound(f"Model {name!r} has no version {version!r}; versions are numbered 1, 2, 3, ...")
        with self._calling(f"Cannot read version {version!r} of model {name!r}") as client:
            found = client.get_model_version(name, str(version))
        return ModelVersion(
            name=found.name, version=str(found.version), run_id=found.run_id or "", source=found.source or ""
        )
