"""Tracker: experiments, runs, params, metrics with steps, tags, artifacts, run search.

Shaped after MLflow's tracking API (``create_experiment``, ``create_run``, ``log_batch``, ``update_run_info``,
``search_runs``, ``get_metric_history``): metrics are append-only histories, params are immutable, tags can be
overwritten. The search filter is the MLflow filter grammar's portable subset (see ``search_runs``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from ..models import SpecModel
from ..plugin import Component

__all__ = [
    "CAPABILITIES",
    "MODELS",
    "Experiment",
    "Metric",
    "ModelVersion",
    "Run",
    "RunStatus",
    "SupportsModelRegistry",
    "Tracker",
]

CAPABILITIES: dict[str, str] = {
    "model_registry": "Logged models can be registered as named, versioned models (SupportsModelRegistry).",
}

RunStatus = Literal["RUNNING", "FINISHED", "FAILED", "KILLED"]


class Experiment(SpecModel):
    id: str
    name: str


class Metric(SpecModel):
    key: str
    value: float
    step: int = 0
    timestamp: datetime


class Run(SpecModel):
    """A run as stored: params and tags as strings, metrics as their latest value."""

    id: str
    experiment_id: str
    name: str | None = None
    status: RunStatus
    start_time: datetime
    end_time: datetime | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class ModelVersion(SpecModel):
    name: str
    version: str
    run_id: str
    source: str


class Tracker(Component):
    """An experiment tracker."""

    category: ClassVar[str] = "tracker"

    @abc.abstractmethod
    def create_experiment(self, name: str) -> Experiment:
        """Create an experiment. MUST raise ``AlreadyExists`` when one of that name exists."""

    @abc.abstractmethod
    def get_experiment(self, name: str) -> Experiment:
        """Return an experiment by name. MUST raise ``NotFound`` when there is none."""

    @abc.abstractmethod
    def start_run(self, experiment: str, *, run_name: str | None = None, tags: Mapping[str, str] | None = None) -> Run:
        """Start a run in the named experiment, status ``RUNNING``.

        MUST raise ``NotFound`` when the experiment does not exist.
        """

    @abc.abstractmethod
    def end_run(self, run_id: str, status: RunStatus = "FINISHED") -> None:
        """Finish a run. MUST set its status and end time. MUST raise ``NotFound`` for an unknown run."""

    @abc.abstractmethod
    def log_params(self, run_id: str, params: Mapping[str, str | int | float | bool]) -> None:
        """Record params, stored as strings.

        MUST accept logging a param again with the same value.
        MUST raise ``Conflict`` when a param is logged again with a different value.
        """

    @abc.abstractmethod
    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], *, step: int = 0, timestamp: datetime | None = None
    ) -> None:
        """Append one value per metric at ``step``.

        MUST keep every logged value: metrics are append-only histories.
        MUST raise ``NotFound`` for an unknown run.
        """

    @abc.abstractmethod
    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Set tags. MUST overwrite a tag's earlier value."""

    @abc.abstractmethod
    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = None) -> str:
        """Store a file or directory with the run, under ``artifact_path``; return its artifact path.

        MUST make the stored content listable by ``list_artifacts`` and retrievable by ``download_artifact``.
        MUST raise ``NotFound`` when ``local_path`` does not exist.
        """

    @abc.abstractmethod
    def list_artifacts(self, run_id: str) -> list[str]:
        """Return the paths of every file stored with the run, relative to its artifact root, sorted."""

    @abc.abstractmethod
    def download_artifact(self, run_id: str, artifact_path: str, destination: str | Path) -> Path:
        """Copy a stored artifact into ``destination``; return the local path.

        MUST return content identical to what was logged. MUST raise ``NotFound`` for an unknown path.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Return a run with its params, latest metrics and tags. MUST raise ``NotFound`` for an unknown run."""

    @abc.abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every value logged for a metric, ordered by step, then timestamp."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment: str,
        *,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        max_results: int = 1000,
    ) -> list[Run]:
        """Find runs of an experiment.

        ``filter`` is a conjunction of comparisons joined by ``and``: ``metrics.K``, ``params.K``, ``tags.K``
        or ``attributes.status`` / ``attributes.run_name``, an operator (``= != < <= > >=`` for metrics;
        ``= !=`` for the others), and a number or a single-quoted string. ``order_by`` items are
        ``"metrics.K DESC"`` style.
        MUST return exactly the runs that satisfy every comparison, in the requested order.
        MUST raise ``InvalidInput`` for a filter outside that grammar.
        """


class SupportsModelRegistry(abc.ABC):
    """Capability ``model_registry``."""

    @abc.abstractmethod
    def register_model(self, name: str, run_id: str, artifact_path: str) -> ModelVersion:
        """Register a run's artifact as the next version of the named model (creating the model).

        MUST number versions 1, 2, 3, ... per model name.
        """

    @abc.abstractmethod
    def get_model_version(self, name: str, version: str) -> ModelVersion:
        """MUST raise ``NotFound`` for an unknown model or version."""


MODELS = (Experiment, Metric, ModelVersion, Run)
