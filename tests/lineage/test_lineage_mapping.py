"""The per-category mapping tables keep their promise, and lineage never breaks the operation it describes."""

from __future__ import annotations

import abc
import gc
import inspect
import weakref

import pyarrow as pa
import pytest
import stackhub
from lineage_support import read_events, run_cli
from stackhub import categories
from stackhub.lineage import ops
from stackhub.lineage.sqltables import tables_read, tables_written

WAREHOUSE_ONLY = """\
stack: small
spec: "1"
components:
  warehouse: {plugin: duckdb, config: {path: .stackhub/w.duckdb}}
lineage:
  transport: {type: file, path: .stackhub/events.jsonl}
"""


def abstract_operations(category: str) -> set[str]:
    """Every abstract method of the category's interface and of its capability mixins."""
    module = categories.load(category)
    interfaces = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, abc.ABC) and obj.__module__ == module.__name__
    ]
    names = {name for cls in interfaces for name in getattr(cls, "__abstractmethods__", ())}
    return names | set(stackhub.Component.__abstractmethods__)


@pytest.mark.parametrize("category", sorted(categories.CATEGORIES))
def test_every_operation_either_emits_or_says_why_not(category):
    emitting, silent = set(ops.operations(category)), set(ops.not_emitting(category))
    assert not emitting & silent
    assert emitting | silent == abstract_operations(category)
    for name, reason in ops.not_emitting(category).items():
        assert reason.endswith("."), name
        assert len(reason) > 20, name


def test_every_category_has_a_mapping_module():
    for category in categories.CATEGORIES:
        assert ops.operations(category), category


@pytest.mark.parametrize(
    ("sql", "read", "written"),
    [
        ("SELECT * FROM orders o JOIN analytics.customers c USING (id)", ["orders", "analytics.customers"], []),
        ("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", ["orders"], []),
        ("INSERT INTO daily SELECT * FROM orders", ["orders"], ["daily"]),
        ("CREATE TABLE t AS SELECT * FROM s", ["s"], ["t"]),
        ("SELECT * FROM read_parquet('x.parquet')", [], []),
        ("SELECT 1", [], []),
        ("SELEC nonsense FROM", [], []),
    ],
)
def test_tables_a_statement_reads_and_writes(sql, read, written):
    assert sorted(tables_read(sql, "duckdb")) == sorted(read)
    assert tables_written(sql, "duckdb") == written


def test_sql_that_writes_a_table_names_it_as_output(stack_file, workdir):
    with stackhub.open_stack(stack_file(WAREHOUSE_ONLY)) as stack:
        stack["warehouse"].write("s", pa.table({"a": [1]}))
        stack["warehouse"].query("CREATE TABLE t AS SELECT a FROM s")
    events = read_events(workdir / ".stackhub" / "events.jsonl")
    (complete,) = [e for e in events if e["job"]["name"] == "warehouse.query" and e["eventType"] == "COMPLETE"]
    assert [d["name"] for d in complete["inputs"]] == ["w.main.s"]
    assert [d["name"] for d in complete["outputs"]] == ["w.main.t"]


def test_lineage_keeps_no_result_alive(stack_file):
    """What an operation returned is the caller's: once the caller drops it, lineage must not hold it (a query
    result is remembered, weakly, so that writing it later names the tables it came from)."""
    with stackhub.open_stack(stack_file(WAREHOUSE_ONLY)) as stack:
        stack["warehouse"].write("s", pa.table({"a": [1, 2]}))
        result = stack["warehouse"].query("SELECT a FROM s")
        stack["warehouse"].write("copy", result)  # the remembered sources are used, then the result dropped
        alive = weakref.ref(result)
        del result
        gc.collect()
        assert alive() is None


def test_a_failing_mapping_becomes_an_extraction_error_and_the_operation_still_works(stack_file, workdir, monkeypatch):
    def broken(call):  # type: ignore[no-untyped-def]
        raise RuntimeError("mapping bug")

    monkeypatch.setitem(ops.warehouse.OPERATIONS, "query", ops.warehouse.OPERATIONS["query"].__class__("QUERY", broken))
    with stackhub.open_stack(stack_file(WAREHOUSE_ONLY)) as stack:
        assert stack["warehouse"].query("SELECT 42 AS answer").to_pylist() == [{"answer": 42}]
    events = read_events(workdir / ".stackhub" / "events.jsonl")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    error = events[1]["run"]["facets"]["extractionError"]
    assert error["errors"][0]["errorMessage"] == "RuntimeError: mapping bug"
    assert error["failedTasks"] == 1


def test_a_broken_spool_never_breaks_the_operation(stack_file, monkeypatch, caplog):
    with stackhub.open_stack(stack_file(WAREHOUSE_ONLY)) as stack:

        def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise OSError("disk full")

        monkeypatch.setattr(stack.lineage.spool, "submit", refuse)
        assert stack["warehouse"].query("SELECT 1 AS one").to_pylist() == [{"one": 1}]
        with pytest.raises(stackhub.NotFound):
            stack["warehouse"].query("SELECT * FROM missing")
    assert "Could not emit the lineage of warehouse.query" in caplog.text


def test_operations_outside_a_pipeline_are_jobs_of_their_own(stack_file, workdir):
    with stackhub.open_stack(
        stack_file(WAREHOUSE_ONLY.replace("lineage:\n", "lineage:\n  namespace: analytics\n"))
    ) as stack:
        stack["warehouse"].query("SELECT 1 AS one")
        with stack.pipeline("outer") as outer, stack.pipeline("inner") as inner:
            stack["warehouse"].query("SELECT 2 AS two")
    events = read_events(workdir / ".stackhub" / "events.jsonl")
    names = [e["job"]["name"] for e in events if e["eventType"] == "START"]
    assert names == ["warehouse.query", "outer", "outer.inner", "outer.inner.warehouse.query"]
    assert {e["job"]["namespace"] for e in events} == {"analytics"}
    assert "parent" not in events[0]["run"]["facets"]
    (nested,) = [e for e in events if e["job"]["name"] == "outer.inner.warehouse.query" and e["eventType"] == "START"]
    assert nested["run"]["facets"]["parent"]["run"]["runId"] == inner.id
    assert nested["run"]["facets"]["parent"]["root"]["run"]["runId"] == outer.id


def test_a_pipeline_that_raises_fails_with_the_error(stack_file, workdir):
    with (
        stackhub.open_stack(stack_file(WAREHOUSE_ONLY)) as stack,
        pytest.raises(ValueError, match="boom"),
        stack.pipeline("doomed"),
    ):
        raise ValueError("boom")
    (failed,) = [e for e in read_events(workdir / ".stackhub" / "events.jsonl") if e["eventType"] == "FAIL"]
    assert failed["job"]["name"] == "doomed"
    assert failed["run"]["facets"]["errorMessage"]["message"] == "ValueError: boom"


def test_trained_on_declares_a_models_data_and_refuses_data_of_unknown_origin(stack_file, workdir):
    with stackhub.open_stack(stack_file()) as stack, stack.pipeline("train") as run:
        warehouse = stack["warehouse"]
        warehouse.write("samples", pa.table({"x": [1.0, 2.0]}))
        samples = warehouse.query("SELECT x FROM samples")
        with pytest.raises(stackhub.InvalidInput, match="Pipeline 'train' cannot tell where this Table came from."):
            run.trained_on(pa.table({"x": [1.0]}))
        run.trained_on(samples)
        tracker = stack["tracker"]
        tracker.create_experiment("e")
        tracker_run = tracker.start_run("e")
        (workdir / "m.bin").write_bytes(b"model")
        tracker.log_artifact(tracker_run.id, workdir / "m.bin")
    events = read_events(workdir / ".stackhub" / "events.jsonl")
    (logged,) = [e for e in events if e["job"]["name"] == "train.tracker.log_artifact" and e["eventType"] == "COMPLETE"]
    assert [d["name"] for d in logged["inputs"]] == ["warehouse.main.samples"]
    assert [d["name"] for d in logged["outputs"]] == [f"runs/{tracker_run.id}/artifacts/m.bin"]


def test_a_model_registered_by_its_logged_file_path_keeps_its_lineage(stack_file, workdir):
    with stackhub.open_stack(stack_file()) as stack, stack.pipeline("train") as run:
        warehouse = stack["warehouse"]
        warehouse.write("samples", pa.table({"x": [1.0, 2.0]}))
        run.trained_on(warehouse.query("SELECT x FROM samples"))
        tracker = stack["tracker"]
        tracker.create_experiment("e")
        tracker_run = tracker.start_run("e")
        (workdir / "m.bin").write_bytes(b"model")
        logged = tracker.log_artifact(tracker_run.id, workdir / "m.bin", "model")
        assert logged == "model/m.bin"
        version = tracker.register_model("m", tracker_run.id, logged)
    graph = run_cli("lineage", "upstream", f"models/m/{version.version}", "--format", "json", cwd=workdir)
    assert graph.returncode == 0, graph.stderr
    assert "warehouse.main.samples" in graph.stdout


def test_lineage_off_wraps_nothing(stack_file, workdir):
    path = stack_file(WAREHOUSE_ONLY.replace("lineage:\n", "lineage:\n  enabled: false\n"))
    with stackhub.open_stack(path) as stack:
        assert stack.lineage is None
        assert "query" not in vars(stack["warehouse"])
        with stack.pipeline("p") as run:
            stack["warehouse"].query("SELECT 1")
            run.trained_on(pa.table({"x": [1]}))
    with stackhub.open_stack(stack_file(WAREHOUSE_ONLY), lineage=False) as stack:
        assert stack.lineage is None
    assert not (workdir / ".stackhub" / "events.jsonl").exists()


def test_default_lineage_goes_to_the_embedded_store_only_once_something_runs(stack_file, workdir):
    path = stack_file(WAREHOUSE_ONLY.split("lineage:")[0])
    with stackhub.open_stack(path) as stack:
        assert stack["warehouse"].query.__wrapped__  # wrapped by lineage
        assert not (workdir / ".stackhub" / "lineage-spool.db").exists()
        stack["warehouse"].query("SELECT 1")
    from stackhub.lineage.store import LineageStore

    store = LineageStore(workdir / ".stackhub" / "lineage.db")
    assert [e["eventType"] for e in store.events()] == ["START", "COMPLETE"]
    store.close()


def test_a_bad_lineage_key_is_a_finding_with_its_location(stack_file):
    from stackhub.stack import parse_stack

    path = stack_file(WAREHOUSE_ONLY.replace("{type: file, path: .stackhub/events.jsonl}", "{type: kafka, topic: x}"))
    parsed = parse_stack(path)
    (finding,) = parsed.findings
    assert finding.code == "SH103"
    assert finding.location == f"{path}:6:14"
    assert "lineage.transport" in finding.message
    assert "'kafka'" in finding.message
