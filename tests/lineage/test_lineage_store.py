"""The embedded system of record and its HTTP API: any producer's events in, lineage questions answered."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from lineage_support import run_cli
from stackhub import InvalidInput, NotFound
from stackhub.lineage.render import render
from stackhub.lineage.server import LineageServer
from stackhub.lineage.store import LineageStore

PG = "postgres://db:5432"


def event(
    job: str, inputs: list[str], outputs: list[str], *, at: int, event_type: str = "COMPLETE", run_id: str | None = None
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": f"2026-03-01T10:{at:02d}:00+01:00",
        "producer": "https://example.com/other-producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": job},
        "inputs": [{"namespace": PG, "name": n} for n in inputs],
        "outputs": [{"namespace": PG, "name": n} for n in outputs],
    }


@pytest.fixture
def store(workdir):  # type: ignore[no-untyped-def]
    store = LineageStore(workdir / "lineage.db", create=True)
    yield store
    store.close()


def names(store: LineageStore, node: str, direction: str = "upstream", depth: int = 20) -> set[str]:
    graph = store.lineage(node, direction, depth)  # type: ignore[arg-type]
    return {n.name for n in graph.nodes.values()}


def test_upstream_follows_runs_in_time_not_every_run_of_a_job(store):
    store.ingest_many(
        [
            json.dumps(event("copy", ["raw.a"], ["clean.a"], at=1)),
            json.dumps(event("copy", ["raw.b"], ["clean.b"], at=2)),
            json.dumps(event("report", ["clean.a"], ["report.a"], at=3)),
            # clean.a is rewritten from raw.c after the report read it: not the report's upstream.
            json.dumps(event("copy", ["raw.c"], ["clean.a"], at=4)),
        ]
    )
    assert names(store, "report.a") == {"report.a", "report", "clean.a", "copy", "raw.a"}
    assert names(store, "raw.c", "downstream") == {"raw.c", "copy", "clean.a"}
    assert names(store, "raw.a", "downstream") == {"raw.a", "copy", "clean.a", "report", "report.a"}
    assert names(store, "report.a", depth=1) == {"report.a", "report", "clean.a"}


def test_failed_runs_wrote_nothing_and_repeats_are_ignored(store):
    run_id = str(uuid.uuid4())
    start = event("load", ["raw.x"], ["table.x"], at=1, event_type="START", run_id=run_id)
    fail = event("load", ["raw.x"], [], at=2, event_type="FAIL", run_id=run_id)
    assert store.ingest_many([json.dumps(fail), json.dumps(start), json.dumps(start)]) == [None, None, None]
    assert store.count_events() == 2
    assert names(store, "table.x") == {"table.x"}
    assert "(no upstream lineage recorded)" in render(store.lineage("table.x"), "tree")


def test_invalid_events_are_rejected_with_the_reason(store):
    good = event("a", [], ["t"], at=1)
    cases = {
        "not json": "The event is not JSON: Expecting value: line 1 column 1 (char 0).",
        json.dumps(
            {**good, "eventTime": "yesterday"}
        ): "eventTime must be an ISO 8601 date-time with a time, got 'yesterday'.",
        json.dumps({**good, "run": {"runId": "42"}}): "run.runId must be a UUID, got '42'.",
        json.dumps(
            {**good, "eventType": "DONE"}
        ): "eventType must be one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER, got 'DONE'.",
        json.dumps({**good, "outputs": [{"name": "t"}]}): "outputs[0].namespace must be a non-empty string.",
        json.dumps({k: v for k, v in good.items() if k != "run"} | {"job": None}): "job must be a JSON object.",
    }
    assert store.ingest_many(list(cases)) == list(cases.values())
    with pytest.raises(InvalidInput, match="producer must be a non-empty string"):
        store.ingest({**good, "producer": ""})


def test_dataset_and_job_events_of_other_producers_join_the_graph(store):
    base = {
        "eventTime": "2026-03-01T10:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
    }
    store.ingest({**base, "dataset": {"namespace": PG, "name": "static.t"}})
    store.ingest(
        {
            **base,
            "job": {"namespace": "dbt", "name": "model.x"},
            "inputs": [{"namespace": PG, "name": "static.t"}],
            "outputs": [{"namespace": PG, "name": "model.x"}],
        }
    )
    graph = store.lineage("model.x")
    assert set(graph.nodes) == {f"dataset:{PG}:model.x", "job:dbt:model.x", f"dataset:{PG}:static.t"}
    assert store.resolve("dataset:postgres://db:5432:static.t").name == "static.t"
    assert store.resolve("job:dbt:model.x").kind == "job"


def test_node_names_resolve_or_say_what_to_type(store):
    store.ingest_many([json.dumps(event("copy", ["s.orders"], ["a.orders", "b.orders"], at=1))])
    assert store.resolve(f"dataset:{PG}:s.orders").name == "s.orders"
    assert store.resolve("s.orders").namespace == PG
    with pytest.raises(InvalidInput, match="Dataset name 'orders' is ambiguous: dataset:postgres://db:5432:a.orders, "):
        store.resolve("orders")
    with pytest.raises(NotFound, match="Did you mean 'dataset:postgres://db:5432:s.orders'"):
        store.resolve(f"dataset:{PG}:s.ordrs")


def post(url: str, body: bytes, token: str | None = None) -> tuple[int, dict[str, Any] | None]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server(store):  # type: ignore[no-untyped-def]
    servers = []

    def start(token: str | None = None) -> str:
        server = LineageServer(store, "127.0.0.1", 0, token)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/api/v1/lineage"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_api_takes_events_and_answers_graphs_like_marquez(server):
    url = server()
    assert post(url, json.dumps(event("copy", ["raw.a"], ["clean.a"], at=1)).encode()) == (201, None)
    status, body = post(url, b'{"eventTime": "2026-01-01T00:00:00Z"}')
    assert (status, body) == (400, {"error": "event.producer must be a non-empty string."})
    assert post(url, b"{not json")[0] == 400
    status, graph = get(f"{url}?nodeId=dataset:{PG}:clean.a")
    assert status == 200
    assert {n["id"] for n in graph["graph"]} == {f"dataset:{PG}:clean.a", "job:etl:copy", f"dataset:{PG}:raw.a"}
    assert get(f"{url}?nodeId=dataset:{PG}:nope")[0] == 404
    status, body = get(url)
    assert (status, body["error"]) == (
        400,
        "The query parameter 'nodeId' is required, e.g. nodeId=dataset:NAMESPACE:NAME.",
    )


def test_a_token_is_required_when_set(server):
    url = server(token="s3cret")
    data = json.dumps(event("copy", ["raw.a"], ["clean.a"], at=1)).encode()
    status, body = post(url, data)
    assert (status, body["error"]) == (401, "A bearer token is required: send 'Authorization: Bearer <token>'.")
    assert post(url, data, token="wrong")[0] == 401
    assert post(url, data, token="s3cret")[0] == 201
    assert get(f"{url}?nodeId=clean.a")[0] == 401
    assert get(f"{url}?nodeId=clean.a", token="s3cret")[0] == 200


def test_serving_beyond_localhost_without_a_token_is_refused(workdir):
    result = run_cli("lineage", "serve", "--host", "0.0.0.0", "--port", "0", cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: Refusing to serve lineage on '0.0.0.0' without a token: anyone who can reach it could write lineage.",
        "fix: Pass --token TOKEN (or set STACKHUB_LINEAGE_TOKEN), or bind to 127.0.0.1.",
    ]
