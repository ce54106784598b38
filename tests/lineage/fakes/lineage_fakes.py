"""Throwaway components for the categories whose real plugins are written elsewhere: small, in memory, and
enough to drive every emitting operation. The feature store reads through the stack's real DuckDB warehouse."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict
from stackhub import AlreadyExists, FeatureStore, Labeling, Monitor, NotFound, PluginDescriptor, Requirement, Tracker
from stackhub.categories.feature_store import Entity, FeatureView, MaterializeResult, SupportsPush
from stackhub.categories.labeling import LabelSchema, Project, SubmitResult, TaskStatus
from stackhub.categories.monitor import ColumnDrift, ColumnQuality, DriftReport, QualityReport, TableRef
from stackhub.categories.tracker import Experiment, Metric, ModelVersion, Run, SupportsModelRegistry
from stackhub.sql import column_sql, table_sql


class NoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: str


class FakeFeatureStore(FeatureStore, SupportsPush):
    """Point-in-time lookups in Python over rows read through the warehouse dependency (entity key: customer_id)."""

    def __init__(self, config: WarehouseRef, *, dependencies: Mapping[str, Any] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.views: dict[str, FeatureView] = {}
        self.online: dict[str, pa.Table] = {}

    @property
    def warehouse(self) -> Any:
        return self.dependencies["warehouse"]

    def health(self) -> None:
        self.warehouse.health()

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        for view in feature_views:
            self.warehouse.describe_table(view.source)  # NotFound for a missing source, as the contract says
            self.views[view.name] = view

    def list_feature_views(self) -> list[FeatureView]:
        return [self.views[name] for name in sorted(self.views)]

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pa.Table:
        result = entity_rows
        for ref in features:
            view_name, feature = ref.split(":")
            view = self.views[view_name]
            # Read through the warehouse: a nested call that must not emit lineage of its own.
            values = self.warehouse.query(
                f"SELECT customer_id, {column_sql(view.timestamp_field, dialect='duckdb')} AS ts, "
                f"{column_sql(feature, dialect='duckdb')} AS v FROM {table_sql(view.source, dialect='duckdb')}"
            )
            column = _asof(result, values, timestamp_column)
            result = result.append_column(f"{view_name}__{feature}" if full_feature_names else feature, column)
        return result

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        names = list(feature_views) if feature_views is not None else sorted(self.views)
        rows = 0
        for name in names:
            if name not in self.views:
                raise NotFound(f"Feature view {name!r} is not registered.")
            table = self.warehouse.query(f"SELECT * FROM {table_sql(self.views[name].source, dialect='duckdb')}")
            self.online[name] = table
            rows += table.num_rows
        return MaterializeResult(feature_views=tuple(names), start=start, end=end, rows_written=rows)

    def get_online_features(
        self, entity_rows: pa.Table, features: Sequence[str], *, full_feature_names: bool = False
    ) -> pa.Table:
        return entity_rows

    def push(self, feature_view: str, rows: pa.Table) -> int:
        self.online[feature_view] = rows
        return rows.num_rows


def _asof(entities: pa.Table, values: pa.Table, timestamp_column: str) -> pa.Array:
    out = []
    for key, ts in zip(entities["customer_id"].to_pylist(), entities[timestamp_column].to_pylist(), strict=True):
        best = None
        for k, t, v in zip(
            values["customer_id"].to_pylist(), values["ts"].to_pylist(), values["v"].to_pylist(), strict=True
        ):
            if k == key and t <= ts and (best is None or t >= best[0]):
                best = (t, v)
        out.append(None if best is None else best[1])
    return pa.array(out)


class FakeTracker(Tracker, SupportsModelRegistry):
    def __init__(self, config: NoConfig, *, dependencies: Mapping[str, Any] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.experiments: dict[str, Experiment] = {}
        self.runs: dict[str, Run] = {}
        self.history: dict[str, list[Metric]] = {}
        self.root = Path(tempfile.mkdtemp(prefix="fake-tracker-"))
        self.models: dict[str, list[ModelVersion]] = {}

    def health(self) -> None:
        pass

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def create_experiment(self, name: str) -> Experiment:
        if name in self.experiments:
            raise AlreadyExists(f"Experiment {name!r} exists.")
        self.experiments[name] = Experiment(id=str(len(self.experiments) + 1), name=name)
        return self.experiments[name]

    def get_experiment(self, name: str) -> Experiment:
        if name not in self.experiments:
            raise NotFound(f"No experiment {name!r}.")
        return self.experiments[name]

    def start_run(self, experiment: str, *, run_name: str | None = None, tags: Mapping[str, str] | None = None) -> Run:
        exp = self.get_experiment(experiment)
        run = Run(
            id=f"run{len(self.runs) + 1}",
            experiment_id=exp.id,
            name=run_name,
            status="RUNNING",
            start_time=datetime.now(UTC),
            tags=dict(tags or {}),
        )
        self.runs[run.id] = run
        return run

    def _run(self, run_id: str) -> Run:
        if run_id not in self.runs:
            raise NotFound(f"No run {run_id!r}.")
        return self.runs[run_id]

    def end_run(self, run_id: str, status: Any = "FINISHED") -> None:
        self.runs[run_id] = self._run(run_id).model_copy(update={"status": status, "end_time": datetime.now(UTC)})

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        run = self._run(run_id)
        self.runs[run_id] = run.model_copy(update={"params": {**run.params, **{k: str(v) for k, v in params.items()}}})

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], *, step: int = 0, timestamp: datetime | None = None
    ) -> None:
        run = self._run(run_id)
        for key, value in metrics.items():
            self.history.setdefault(f"{run_id}/{key}", []).append(
                Metric(key=key, value=value, step=step, timestamp=timestamp or datetime.now(UTC))
            )
        self.runs[run_id] = run.model_copy(update={"metrics": {**run.metrics, **metrics}})

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        run = self._run(run_id)
        self.runs[run_id] = run.model_copy(update={"tags": {**run.tags, **tags}})

    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = None) -> str:
        source = Path(local_path)
        if not source.exists():
            raise NotFound(f"No file {str(local_path)!r}.")
        target = self.root / run_id / (artifact_path or "") / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        return str(Path(artifact_path or "") / source.name)

    def list_artifacts(self, run_id: str) -> list[str]:
        base = self.root / run_id
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())

    def download_artifact(self, run_id: str, artifact_path: str, destination: str | Path) -> Path:
        source = self.root / run_id / artifact_path
        if not source.exists():
            raise NotFound(f"No artifact {artifact_path!r}.")
        target = Path(destination) / source.name
        shutil.copy(source, target)
        return target

    def get_run(self, run_id: str) -> Run:
        return self._run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return list(self.history.get(f"{run_id}/{key}", []))

    def search_runs(
        self, experiment: str, *, filter: str | None = None, order_by: Sequence[str] = (), max_results: int = 1000
    ) -> list[Run]:
        exp = self.get_experiment(experiment)
        return [r for r in self.runs.values() if r.experiment_id == exp.id][:max_results]

    def register_model(self, name: str, run_id: str, artifact_path: str) -> ModelVersion:
        versions = self.models.setdefault(name, [])
        versions.append(ModelVersion(name=name, version=str(len(versions) + 1), run_id=run_id, source=artifact_path))
        return versions[-1]

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        for v in self.models.get(name, []):
            if v.version == version:
                return v
        raise NotFound(f"No version {version!r} of model {name!r}.")


class FakeLabeling(Labeling):
    def __init__(self, config: NoConfig, *, dependencies: Mapping[str, Any] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.projects: dict[str, Project] = {}
        self.tasks: dict[str, dict[str, dict[str, Any]]] = {}
        self.annotations: dict[str, list[dict[str, Any]]] = {}

    def health(self) -> None:
        pass

    def create_project(self, name: str, label_schema: LabelSchema) -> Project:
        if name in self.projects:
            raise AlreadyExists(f"Project {name!r} exists.")
        self.projects[name] = Project(id=str(len(self.projects) + 1), name=name, label_schema=label_schema)
        self.tasks[name], self.annotations[name] = {}, []
        return self.projects[name]

    def get_project(self, name: str) -> Project:
        if name not in self.projects:
            raise NotFound(f"No project {name!r}.")
        return self.projects[name]

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        if name not in self.projects and not missing_ok:
            raise NotFound(f"No project {name!r}.")
        self.projects.pop(name, None)

    def submit_tasks(self, project: str, tasks: pa.Table, *, key: str = "key") -> SubmitResult:
        self.get_project(project)
        created = 0
        for row in tasks.to_pylist():
            if row[key] not in self.tasks[project]:
                self.tasks[project][row[key]] = row
                created += 1
        return SubmitResult(created=created, existing=tasks.num_rows - created)

    def annotate(self, project: str, annotations: pa.Table) -> int:
        schema = self.get_project(project).label_schema
        for row in annotations.to_pylist():
            if row["label"] not in schema.labels:
                from stackhub import InvalidInput

                raise InvalidInput(f"Label {row['label']!r} is not in the project's schema.")
            self.annotations[project].append({**row, "annotation_id": str(len(self.annotations[project]) + 1)})
        return annotations.num_rows

    def export_annotations(self, project: str) -> pa.Table:
        rows = self.annotations[project]
        return pa.table(
            {
                "key": [r["key"] for r in rows],
                "annotation_id": [r["annotation_id"] for r in rows],
                "label": [r["label"] for r in rows],
                "annotator": [r.get("annotator") for r in rows],
                "created_at": pa.array([datetime.now(UTC)] * len(rows), pa.timestamp("us", tz="UTC")),
            }
        )

    def task_status(self, project: str) -> TaskStatus:
        total = len(self.tasks[project])
        annotated = len({r["key"] for r in self.annotations[project]})
        return TaskStatus(total=total, annotated=annotated, unannotated=total - annotated)


class FakeMonitor(Monitor):
    """Mean shift in standard deviations as a 'psi' stand-in: a fake, not a statistic to trust."""

    def health(self) -> None:
        pass

    def _arrow(self, data: pa.Table | TableRef) -> pa.Table:
        return data.warehouse.query(f"SELECT * FROM {data.table}") if isinstance(data, TableRef) else data

    def drift_report(
        self,
        reference: Any,
        current: Any,
        *,
        columns: Any = None,
        column_types: Any = None,
        methods: Any = None,
        thresholds: Any = None,
    ) -> DriftReport:
        ref, cur = self._arrow(reference), self._arrow(current)
        drifts = []
        for name in columns or ref.column_names:
            r, c = pc.mean(ref[name]).as_py() or 0.0, pc.mean(cur[name]).as_py() or 0.0
            spread = pc.stddev(ref[name]).as_py() or 1.0
            score = abs(c - r) / spread
            drifts.append(
                ColumnDrift(
                    column=name, column_type="numerical", method="psi", score=score, threshold=0.1, drifted=score >= 0.1
                )
            )
        share = sum(d.drifted for d in drifts) / len(drifts)
        return DriftReport(
            columns=tuple(drifts),
            reference_rows=ref.num_rows,
            current_rows=cur.num_rows,
            drift_share=share,
            dataset_drifted=share >= 0.5,
        )

    def quality_report(self, data: Any) -> QualityReport:
        table = self._arrow(data)
        columns = tuple(
            ColumnQuality(
                column=name,
                type=str(table[name].type),
                count=table.num_rows,
                missing=table[name].null_count,
                distinct=len(pc.unique(table[name])),
                **(
                    {
                        "min": pc.min(table[name]).as_py(),
                        "max": pc.max(table[name]).as_py(),
                        "mean": pc.mean(table[name]).as_py(),
                    }
                    if pa.types.is_integer(table[name].type) or pa.types.is_floating(table[name].type)
                    else {}
                ),
            )
            for name in table.column_names
        )
        return QualityReport(rows=table.num_rows, columns=columns)


feature_store = PluginDescriptor(
    name="fakefs",
    category="feature_store",
    spec_version="1.0",
    component="lineage_fakes:FakeFeatureStore",
    config="lineage_fakes:WarehouseRef",
    capabilities=frozenset({"push"}),
    requires=(Requirement(field="warehouse", category="warehouse"),),
)
tracker = PluginDescriptor(
    name="faketracker",
    category="tracker",
    spec_version="1.0",
    component="lineage_fakes:FakeTracker",
    config="lineage_fakes:NoConfig",
    capabilities=frozenset({"model_registry"}),
)
labeling = PluginDescriptor(
    name="fakelabels",
    category="labeling",
    spec_version="1.0",
    component="lineage_fakes:FakeLabeling",
    config="lineage_fakes:NoConfig",
)
monitor = PluginDescriptor(
    name="fakemonitor",
    category="monitor",
    spec_version="1.0",
    component="lineage_fakes:FakeMonitor",
    config="lineage_fakes:NoConfig",
)
