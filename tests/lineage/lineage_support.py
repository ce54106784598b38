"""Helpers of the lineage tests: the stack of the repo's real plugins, the validator against the official schemas,
a whole pipeline, the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent
REPO = HERE.parents[1]
OFFICIAL = HERE / "openlineage-spec"
CUSTOM = REPO / "specs" / "v1" / "facets"

STACK = """\
stack: churn
spec: "1"
components:
  warehouse: {plugin: duckdb, config: {path: .stackhub/warehouse.duckdb}}
  features: {plugin: sqlfeatures, config: {warehouse: warehouse}}
  tracker: {plugin: mlflow, config: {tracking_uri: "sqlite:///.stackhub/mlflow.db", artifact_location: .stackhub/mlartifacts}}
  labels: {plugin: sqllabels, config: {warehouse: warehouse}}
  monitor: {plugin: sqlmonitor, config: {warehouse: warehouse}}
lineage:
  transport: [{type: store}, {type: file, path: .stackhub/events.jsonl}]
"""


def migrated_mlflow_store(folder: Path) -> Path:
    """An empty MLflow SQLite store in ``folder``, created (and migrated) by the MLflow plugin itself."""
    from stackhub_mlflow import plugin

    path = folder / "mlflow.db"
    tracker = plugin.create({"tracking_uri": f"sqlite:///{path}", "artifact_location": str(folder / "mlartifacts")})
    with tracker:
        tracker.health()
    return path


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- validation against the official schemas, offline ---------------------------------------------------


def _registry() -> Registry:
    resources = []
    for file in [OFFICIAL / "OpenLineage.json", *OFFICIAL.glob("facets/*.json"), *CUSTOM.glob("*.json")]:
        contents = json.loads(file.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
CORE_ID = json.loads((OFFICIAL / "OpenLineage.json").read_text())["$id"]


def _validator(url: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": url}, registry=REGISTRY, format_checker=FormatChecker())


def _facet_maps(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "run", event["run"].get("facets") or {}
    yield "job", event["job"].get("facets") or {}
    for side in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(side) or []):
            for kind in ("facets", "inputFacets", "outputFacets"):
                yield f"{side}[{index}].{kind}", dataset.get(kind) or {}


def validate_event(event: dict[str, Any]) -> list[str]:
    """Validate the event against the core spec's RunEvent, then each facet against the schema its
    ``_schemaURL`` names (official or stackhub's); return the facet schema URLs used."""
    errors = [e.message for e in _validator(f"{CORE_ID}#/$defs/RunEvent").iter_errors(event)]
    assert not errors, (event["job"]["name"], errors)
    used = []
    for where, facets in _facet_maps(event):
        for key, facet in facets.items():
            url = facet["_schemaURL"]
            document = REGISTRY.get_or_retrieve(url.split("#")[0]).value.contents
            assert key in document["properties"], f"{where}.{key}: {url} defines the key {list(document['properties'])}"
            errors = [e.message for e in _validator(url).iter_errors(facet)]
            assert not errors, (where, key, errors)
            used.append(url)
    return used


# -- a whole ML lifecycle through the hub --------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run_pipeline(stack: Any) -> dict[str, Any]:
    """Load data, derive a table in SQL, build a training set, train and register a model, label, monitor;
    one operation fails on purpose. Returns the ids the plugins gave: the MLflow run's, the model version."""
    from stackhub import NotFound
    from stackhub.categories.feature_store import Entity, Feature, FeatureView
    from stackhub.categories.labeling import LabelSchema

    warehouse, features, tracker = stack["warehouse"], stack["features"], stack["tracker"]
    labels, monitor = stack["labels"], stack["monitor"]
    customers = pa.table({"customer_id": [1, 2, 3], "signup_ts": [T0] * 3, "age": [30, 40, 50]})
    orders = pa.table(
        {
            "customer_id": [1, 1, 2, 3],
            "order_ts": [T0 + timedelta(days=d) for d in (1, 2, 3, 4)],
            "amount": [5.0, 7.0, 9.0, 1.0],
        }
    )
    with stack.pipeline("churn-training") as pipeline:
        warehouse.write("customers", customers, mode="overwrite")
        warehouse.write("orders", orders, mode="overwrite")
        activity = warehouse.query(
            "SELECT customer_id, max(order_ts) AS event_timestamp, count(*) AS orders_total FROM orders GROUP BY customer_id"
        )
        warehouse.write("customer_activity", activity, mode="overwrite")
        churn = warehouse.query(
            "WITH last AS (SELECT customer_id, max(order_ts) AS ts FROM orders GROUP BY customer_id) "
            "SELECT c.customer_id, TIMESTAMPTZ '2026-02-01 00:00:00+00' AS event_timestamp, (l.ts < TIMESTAMPTZ '2026-01-04 00:00:00+00') AS churned "
            "FROM customers c JOIN last l USING (customer_id)"
        )
        warehouse.write("churn_labels", churn, mode="overwrite")
        with contextlib.suppress(NotFound):
            warehouse.query("SELECT * FROM no_such_table")
        features.apply(
            [Entity(name="customer", join_keys=("customer_id",))],
            [
                FeatureView(
                    name="profile",
                    entities=("customer",),
                    source="customers",
                    timestamp_field="signup_ts",
                    features=(Feature(name="age", dtype="int64"),),
                ),
                FeatureView(
                    name="activity",
                    entities=("customer",),
                    source="customer_activity",
                    timestamp_field="event_timestamp",
                    features=(Feature(name="orders_total", dtype="int64"),),
                    ttl=timedelta(days=30),
                ),
            ],
        )
        entity_rows = warehouse.query(
            "SELECT customer_id, event_timestamp, churned FROM churn_labels ORDER BY customer_id"
        )
        training = features.get_historical_features(entity_rows, ["profile:age", "activity:orders_total"])
        tracker.create_experiment("churn")
        run = tracker.start_run("churn", run_name="gbm", tags={"team": "growth"})
        tracker.log_params(run.id, {"max_depth": 4, "learning_rate": 0.1})
        tracker.log_metrics(run.id, {"auc": 0.81}, step=10)
        tracker.set_tags(run.id, {"stage": "candidate"})
        with tempfile.TemporaryDirectory() as tmp:
            model_file = Path(tmp) / "model.pkl"
            model_file.write_bytes(b"a trained model")
            tracker.log_artifact(run.id, model_file, "model")
        version = tracker.register_model("churn-gbm", run.id, "model")
        tracker.end_run(run.id)
        features.materialize(T0, T0 + timedelta(days=10), ["activity"])
        labels.create_project("review", LabelSchema(input="text", labels=("churn", "stay")))
        tasks = pa.table({"key": ["1", "2"], "text": ["customer 1", "customer 2"]})
        labels.submit_tasks("review", tasks)
        labels.annotate(
            "review", pa.table({"key": ["1", "2"], "label": ["churn", "stay"], "annotator": ["ann", "ann"]})
        )
        exported = labels.export_annotations("review")
        warehouse.write("reviewed_labels", exported, mode="overwrite")
        # Later data whose ages moved away from the training set's: KS (p = 0.1 for 3 against 3 disjoint values)
        # flags age at the threshold 0.2; orders_total is the same and passes at the default 0.05.
        reference = training.select(["age", "orders_total"])
        current = reference.set_column(0, "age", pc.add(reference["age"], 100))
        monitor.drift_report(reference, current, thresholds={"age": 0.2})
        monitor.quality_report(training)
    return {"pipeline_run": pipeline.id, "tracker_run": run.id, "model_version": version.version}


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackhub.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
