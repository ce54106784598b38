"""A whole ML lifecycle over the repo's real plugins (DuckDB, sqlfeatures, MLflow, sqllabels, sqlmonitor): every
event validates against the official OpenLineage schemas, and each operation says what it read and wrote."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
import stackhub
from lineage_support import read_events, run_pipeline, validate_event
from stackhub.lineage.facets import CUSTOM_FACETS

TERMINAL = {"COMPLETE", "FAIL", "ABORT"}


@pytest.fixture
def ran(stack_file) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with stackhub.open_stack(stack_file()) as stack:
        return run_pipeline(stack)


@pytest.fixture
def events(ran, workdir) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return read_events(workdir / ".stackhub" / "events.jsonl")


def completed(events: list[dict[str, Any]], job: str) -> list[dict[str, Any]]:
    return [e for e in events if e["job"]["name"] == f"churn-training.{job}" and e["eventType"] == "COMPLETE"]


def test_every_event_and_facet_validates_against_the_official_schemas(events):
    used = Counter(url.split("#")[0].split("/")[-1] for event in events for url in validate_event(event))
    standard = {
        "SchemaDatasetFacet.json",
        "DatasourceDatasetFacet.json",
        "SQLJobFacet.json",
        "OutputStatisticsOutputDatasetFacet.json",
        "DataQualityMetricsInputDatasetFacet.json",
        "DataQualityAssertionsDatasetFacet.json",
        "ExecutionParametersRunFacet.json",
        "DatasetTypeDatasetFacet.json",
        "DatasetVersionDatasetFacet.json",
        "ErrorMessageRunFacet.json",
        "ParentRunFacet.json",
        "JobTypeJobFacet.json",
        "LifecycleStateChangeDatasetFacet.json",
        "ProcessingEngineRunFacet.json",
    }
    custom = {f"{f.__name__}.json" for f in CUSTOM_FACETS}
    assert standard | custom <= set(used), sorted(standard | custom - set(used))


def test_each_run_has_one_start_and_one_terminal_event_with_one_run_id(events):
    by_run: dict[str, list[str]] = defaultdict(list)
    jobs: dict[str, set[str]] = defaultdict(set)
    for event in events:
        by_run[event["run"]["runId"]].append(event["eventType"])
        jobs[event["run"]["runId"]].add(event["job"]["name"])
    for run_id, types in by_run.items():
        assert types[0] == "START", (run_id, types)
        assert len(types) == 2, (run_id, types)
        assert types[1] in TERMINAL, (run_id, types)
        assert len(jobs[run_id]) == 1
    # 25 operations plus the pipeline itself, each its own run.
    assert len(by_run) == 26


def test_operations_are_children_of_the_pipeline_run_and_named_after_it(events):
    (pipeline_start,) = [e for e in events if e["job"]["name"] == "churn-training" and e["eventType"] == "START"]
    pipeline_run = pipeline_start["run"]["runId"]
    for event in events:
        assert event["job"]["namespace"] == "churn"
        if event["job"]["name"] == "churn-training":
            continue
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == pipeline_run
        assert (parent["job"]["namespace"], parent["job"]["name"]) == ("churn", "churn-training")
        assert parent["root"]["run"]["runId"] == pipeline_run
        component = event["run"]["facets"]["stackhub_component"]
        assert event["job"]["name"] == f"churn-training.{component['component']}.{component['operation']}"


def test_nested_calls_emit_nothing_of_their_own(events):
    # The feature store, the labeling queue and the monitor work through the warehouse: their registry, online,
    # project and scratch tables are written, read and dropped by calls that are part of their own operation.
    starts = Counter(e["job"]["name"] for e in events if e["eventType"] == "START")
    warehouse_jobs = {name: n for name, n in starts.items() if name.startswith("churn-training.warehouse.")}
    assert warehouse_jobs == {"churn-training.warehouse.query": 4, "churn-training.warehouse.write": 5}
    datasets = {d["name"] for e in events for side in ("inputs", "outputs") for d in e.get(side) or []}
    assert not [name for name in datasets if "stackhub_" in name]  # the plugins' tables: stackhub_fs_..., ...


def test_query_names_the_tables_its_sql_reads(events):
    activity, churn, _entity_rows = completed(events, "warehouse.query")
    assert activity["job"]["facets"]["sql"]["query"].startswith("SELECT customer_id, max(order_ts)")
    assert activity["job"]["facets"]["sql"]["dialect"] == "duckdb"
    assert [d["name"] for d in activity["inputs"]] == ["warehouse.main.orders"]
    # The CTE 'last' is not a table.
    assert sorted(d["name"] for d in churn["inputs"]) == ["warehouse.main.customers", "warehouse.main.orders"]
    assert activity["outputs"] == []


def test_write_names_its_table_rows_schema_and_the_data_it_came_from(events):
    writes = {e["outputs"][0]["name"]: e for e in completed(events, "warehouse.write")}
    activity = writes["warehouse.main.customer_activity"]
    (output,) = activity["outputs"]
    assert output["namespace"].startswith("duckdb:///")
    assert output["namespace"].endswith("/.stackhub/warehouse.duckdb")
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 3
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == [
        "customer_id",
        "event_timestamp",
        "orders_total",
    ]
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"
    # The written Arrow table is the very result of a query: its input is what that query read.
    assert [d["name"] for d in activity["inputs"]] == ["warehouse.main.orders"]
    assert writes["warehouse.main.customers"]["inputs"] == []
    assert activity["run"]["facets"]["executionParameters"]["parameters"] == [{"key": "mode", "value": "overwrite"}]
    assert activity["run"]["facets"]["processing_engine"]["name"] == "duckdb"


def test_a_failed_operation_emits_fail_with_its_error(events):
    (failed,) = [e for e in events if e["eventType"] == "FAIL"]
    assert failed["job"]["name"] == "churn-training.warehouse.query"
    error = failed["run"]["facets"]["errorMessage"]
    assert error["message"].startswith(
        "NotFound: Query failed: Catalog Error: Table with name no_such_table does not exist"
    )
    assert error["programmingLanguage"] == "python"
    assert "Traceback" in error["stackTrace"]
    assert failed["outputs"] == []
    (start,) = [e for e in events if e["run"]["runId"] == failed["run"]["runId"] and e["eventType"] == "START"]
    assert [d["name"] for d in start["inputs"]] == ["warehouse.main.no_such_table"]


def test_training_set_comes_from_the_views_sources_and_the_entity_rows(events):
    (event,) = completed(events, "features.get_historical_features")
    assert sorted(d["name"] for d in event["inputs"]) == [
        "warehouse.main.churn_labels",
        "warehouse.main.customer_activity",
        "warehouse.main.customers",
    ]
    (output,) = event["outputs"]
    assert output["namespace"] == "stackhub://churn/features"
    assert output["name"] == f"training_sets/{event['run']['runId']}"
    assert output["facets"]["stackhub_trainingSet"]["features"] == ["profile:age", "activity:orders_total"]
    assert output["facets"]["stackhub_trainingSet"]["entityRows"] == 3
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 3
    (apply,) = completed(events, "features.apply")
    views = {d["name"]: d["facets"]["stackhub_featureView"] for d in apply["outputs"]}
    assert views["feature_views/activity"]["ttlSeconds"] == 30 * 86400
    assert views["feature_views/activity"]["source"] == "customer_activity"


def test_model_artifacts_and_versions_are_models_trained_on_the_training_set(events, ran):
    (training,) = completed(events, "features.get_historical_features")
    (logged,) = completed(events, "tracker.log_artifact")
    assert [(d["namespace"], d["name"]) for d in logged["inputs"]] == [
        (o["namespace"], o["name"]) for o in training["outputs"]
    ]
    # Named by MLflow's run id and the folder the model was logged to, which register_model names too; and by
    # the file's logged path (what log_artifact returned), for a caller that registers that instead.
    artifact, logged_file = logged["outputs"]
    assert logged_file["name"].startswith(f"runs/{ran['tracker_run']}/artifacts/model/")
    assert artifact["namespace"] == "stackhub://churn/tracker"
    assert artifact["name"] == f"runs/{ran['tracker_run']}/artifacts/model"
    assert artifact["facets"]["datasetType"]["datasetType"] == "MODEL"
    (registered,) = completed(events, "tracker.register_model")
    assert [d["name"] for d in registered["inputs"]] == [artifact["name"]]
    (version,) = registered["outputs"]
    assert ran["model_version"] == "1"  # the registry's first version of the model
    assert version["name"] == "models/churn-gbm/1"
    assert version["facets"]["version"]["datasetVersion"] == "1"


def test_tracker_params_metrics_and_tags_are_run_facets(events, ran):
    (params,) = completed(events, "tracker.log_params")
    assert params["run"]["facets"]["executionParameters"]["parameters"] == [
        {"key": "max_depth", "value": "4"},
        {"key": "learning_rate", "value": "0.1"},
    ]
    (metrics,) = completed(events, "tracker.log_metrics")
    assert metrics["run"]["facets"]["stackhub_trackerRun"] == {
        **{k: metrics["run"]["facets"]["stackhub_trackerRun"][k] for k in ("_producer", "_schemaURL")},
        "runId": ran["tracker_run"],
        "metrics": {"auc": 0.81},
        "step": 10,
    }
    (started,) = completed(events, "tracker.start_run")
    run = started["run"]["facets"]["stackhub_trackerRun"]
    assert {k: run[k] for k in ("runId", "experiment", "runName", "status", "tags")} == {
        "runId": ran["tracker_run"],
        "experiment": "churn",
        "runName": "gbm",
        "status": "RUNNING",
        "tags": {"team": "growth"},
    }
    (ended,) = completed(events, "tracker.end_run")
    assert ended["run"]["facets"]["stackhub_trackerRun"]["status"] == "FINISHED"


def test_labels_flow_from_tasks_to_annotations_to_the_warehouse(events):
    (annotate,) = completed(events, "labels.annotate")
    assert [d["name"] for d in annotate["inputs"]] == ["projects/review/tasks"]
    assert annotate["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    (created,) = completed(events, "labels.create_project")
    assert created["outputs"][0]["facets"]["stackhub_labelingProject"]["labels"] == ["churn", "stay"]
    writes = {e["outputs"][0]["name"]: e for e in completed(events, "warehouse.write")}
    assert [d["name"] for d in writes["warehouse.main.reviewed_labels"]["inputs"]] == ["projects/review/annotations"]


def test_monitor_results_are_data_quality_facets_of_the_measured_inputs(events):
    (drift,) = completed(events, "monitor.drift_report")
    report = drift["run"]["facets"]["stackhub_driftReport"]
    assert [c["column"] for c in report["columns"]] == ["age", "orders_total"]
    assert (report["driftShare"], report["datasetDrifted"]) == (0.5, True)
    # Derived tables the hub never returned: this run's reference and current data.
    reference, current = drift["inputs"]
    assert reference["name"] == f"runs/{drift['run']['runId']}/reference"
    assert current["name"] == f"runs/{drift['run']['runId']}/current"
    assert "dataQualityAssertions" not in (reference.get("inputFacets") or {})
    # One assertion per column, passed = no drift; KS is a p-value, which passes at or above the threshold.
    assertions = current["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["column"], a["name"], a["success"], a["expected"], a["actual"]) for a in assertions] == [
        ("age", "ks", False, ">= 0.2", "0.1"),
        ("orders_total", "ks", True, ">= 0.05", "1"),
    ]
    (quality,) = completed(events, "monitor.quality_report")
    (measured,) = quality["inputs"]
    # quality_report got the training set itself, so the metrics land on that dataset.
    assert measured["name"].startswith("training_sets/")
    metrics = measured["inputFacets"]["dataQualityMetrics"]
    assert metrics["rowCount"] == 3
    age = metrics["columnMetrics"]["age"]
    assert {k: age[k] for k in ("nullCount", "distinctCount", "count", "min", "max")} == {
        "nullCount": 0,
        "distinctCount": 3,
        "count": 3.0,
        "min": 30.0,
        "max": 50.0,
    }
