"""``stackhub lineage`` as a user runs it, in a fresh process, after a pipeline ran in this one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import stackhub
from lineage_support import run_cli, run_pipeline

HEAVY = ("openlineage", "pyarrow", "pydantic", "sqlglot", "duckdb")


@pytest.fixture
def ran(stack_file, workdir):  # type: ignore[no-untyped-def]
    with stackhub.open_stack(stack_file()) as stack:
        return run_pipeline(stack)


def test_what_data_trained_this_model(ran, workdir):
    result = run_cli("lineage", "upstream", "models/churn-gbm/1", cwd=workdir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "dataset models/churn-gbm/1 [stackhub://churn/tracker] MODEL"
    assert lines[1] == "└── job churn-training.tracker.register_model [churn]"
    text = result.stdout
    for dataset in (
        f"runs/{ran['tracker_run']}/artifacts/model",
        "training_sets/",
        "warehouse.main.churn_labels",
        "warehouse.main.customer_activity",
        "warehouse.main.customers",
        "warehouse.main.orders",
    ):
        assert f"dataset {dataset}" in text, dataset
    # What the model was not trained on stays out: the labels reviewed after training, the online store.
    assert "reviewed_labels" not in text
    assert "online/" not in text


def test_depth_limits_the_walk_and_json_is_marquez_shaped(ran, workdir):
    result = run_cli("lineage", "upstream", "models/churn-gbm/1", "--depth", "2", "--format", "json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    ids = {node["id"] for node in graph["graph"]}
    assert graph["root"] == "dataset:stackhub://churn/tracker:models/churn-gbm/1"
    # Two jobs deep: the version's registration, then the artifact's logging and what it read.
    assert "job:churn:churn-training.tracker.log_artifact" in ids
    assert any("training_sets/" in i for i in ids)
    assert "job:churn:churn-training.features.get_historical_features" not in ids
    (model,) = [n for n in graph["graph"] if n["id"] == graph["root"]]
    assert model["type"] == "DATASET"
    assert model["data"]["type"] == "MODEL"
    assert model["inEdges"] == [
        {"origin": "job:churn:churn-training.tracker.register_model", "destination": graph["root"]}
    ]


def test_downstream_by_full_node_id_whose_namespace_has_colons(ran, workdir):
    node = f"dataset:duckdb://{workdir.resolve()}/.stackhub/warehouse.duckdb:warehouse.main.orders"
    result = run_cli("lineage", "downstream", node, "--format", "mermaid", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n")
    assert "models/churn-gbm/1" in result.stdout
    dot = run_cli(
        "lineage", "downstream", "job:churn:churn-training.tracker.log_artifact", "--format", "dot", cwd=workdir
    )
    assert dot.returncode == 0, dot.stderr
    assert (
        '"job:churn:churn-training.tracker.log_artifact" -> '
        f'"dataset:stackhub://churn/tracker:runs/{ran["tracker_run"]}/artifacts/model";' in dot.stdout
    )


def test_user_mistakes_are_sentences_with_the_fix(ran, workdir):
    unknown = run_cli("lineage", "upstream", "ordrs", cwd=workdir)
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines() == [
        "error: The lineage store has no dataset named 'ordrs'.",
        f"fix: Did you mean 'dataset:duckdb://{workdir.resolve()}/.stackhub/warehouse.duckdb:warehouse.main.orders'?",
    ]
    ambiguous = run_cli("lineage", "upstream", "activity", cwd=workdir)
    assert ambiguous.returncode == 1
    assert (
        "error: Dataset name 'activity' is ambiguous: dataset:stackhub://churn/features:feature_views/activity, dataset:stackhub://churn/features:online/activity."
        in ambiguous.stderr
    )
    no_store = run_cli("lineage", "upstream", "orders", "--db", "nope.db", cwd=workdir)
    assert no_store.stderr.startswith("error: There is no lineage store at 'nope.db'.\nfix: ")
    for result in (unknown, ambiguous, no_store):
        assert "Traceback" not in result.stderr


def test_listing_and_help_import_neither_openlineage_nor_data_libraries():
    for argv in (["--help"], ["plugins"], ["lineage", "--help"]):
        probe = (
            "import sys\nfrom stackhub.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        assert out.strip().endswith("LOADED []"), (argv, out[-500:])
    out = subprocess.run(
        [sys.executable, "-c", f"import sys, stackhub; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_ingest_adds_another_producers_events(workdir):
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-03-01T10:00:00Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "3f5e83fa-3480-44ff-99c5-ff943904e5e8"},
        "job": {"namespace": "airflow", "name": "daily.orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.daily"}],
    }
    (workdir / "events.jsonl").write_text(json.dumps(event) + "\n" + '{"eventTime": "yesterday"}\n')
    result = run_cli("lineage", "ingest", "events.jsonl", cwd=workdir)
    assert result.returncode == 1
    assert "events.jsonl:2: event.producer must be a non-empty string." in result.stderr
    assert "Ingested 1 events" in result.stdout
    tree = run_cli("lineage", "upstream", "daily", cwd=workdir)
    assert tree.stdout.splitlines() == [
        "dataset shop.public.daily [postgres://db:5432]",
        "└── job daily.orders [airflow]",
        "    └── dataset shop.public.orders [postgres://db:5432]",
    ]
