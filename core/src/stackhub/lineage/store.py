"""The embedded system of record: a sqlite file that ingests OpenLineage events, from the hub or any other
producer, and answers lineage questions.

The graph is kept per run, not per job: a dataset's upstream is the inputs of the runs that wrote it, not of
every run its job ever made, so one ``warehouse.write`` job writing many tables does not connect them all.
Time orders it too: going upstream from a run, only writes that ended before the run started count, and going
downstream, only reads that started after the write ended. Outputs of failed or aborted runs are not lineage.
Re-delivered events (same run, event type and time) are ignored, so at-least-once delivery is exactly-once here.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidInput, NotFound
from .sqlite import open_database

__all__ = ["Graph", "LineageStore", "Node", "parse_event"]

Direction = Literal["upstream", "downstream", "both"]
_TERMINAL = ("COMPLETE", "FAIL", "ABORT")
_EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
_INF = float("inf")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, run_id TEXT, event_type TEXT, event_time REAL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, job TEXT NOT NULL, state TEXT,
    started REAL, ended REAL, parent_run TEXT
);
CREATE INDEX IF NOT EXISTS runs_job ON runs (namespace, job);
CREATE TABLE IF NOT EXISTS io (
    run_id TEXT NOT NULL, direction TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (run_id, direction, namespace, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS io_dataset ON io (namespace, name, direction);
CREATE TABLE IF NOT EXISTS datasets (
    namespace TEXT NOT NULL, name TEXT NOT NULL, type TEXT, PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
    namespace TEXT NOT NULL, name TEXT NOT NULL, type TEXT, PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Node:
    """A dataset or a job, as Marquez names graph nodes: ``dataset:NAMESPACE:NAME`` / ``job:NAMESPACE:NAME``."""

    kind: Literal["dataset", "job"]
    namespace: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.namespace}:{self.name}"


@dataclass
class Graph:
    """A lineage graph around ``root``: nodes by id (with the dataset type, when known) and directed edges
    (dataset -> job for an input, job -> dataset for an output), as Marquez draws them: one node per job.

    ``run_edges`` keep the same edges per run (a run's id is ``<job id>#<run id>``), for views that must not
    mix up what different runs of one job read and wrote.
    """

    root: Node
    direction: Direction
    nodes: dict[str, Node] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)
    run_edges: set[tuple[str, str]] = field(default_factory=set)

    def add_edge(self, origin: Node, destination: Node, run_id: str) -> None:
        self.nodes.setdefault(origin.id, origin)
        self.nodes.setdefault(destination.id, destination)
        self.edges.add((origin.id, destination.id))
        run_of = {n.id: f"{n.id}#{run_id}" if n.kind == "job" else n.id for n in (origin, destination)}
        self.run_edges.add((run_of[origin.id], run_of[destination.id]))


@dataclass
class _Parsed:
    key: str
    run_id: str | None
    event_type: str | None
    time: float
    job: tuple[str, str] | None
    job_type: str | None
    parent_run: str | None
    inputs: list[tuple[str, str, str | None]]
    outputs: list[tuple[str, str, str | None]]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a JSON object.")
    return value


def _text(container: Mapping[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{where}.{key} must be a non-empty string.")
    return value


def _time(value: Any) -> float:
    if isinstance(value, str) and "T" in value.upper():
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            # Producers send any offset; one clock (UTC seconds) makes times comparable.
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    raise InvalidInput(f"eventTime must be an ISO 8601 date-time with a time, got {value!r}.")


def _datasets(event: Mapping[str, Any], key: str) -> list[tuple[str, str, str | None]]:
    items = event.get(key) or []
    if not isinstance(items, list):
        raise InvalidInput(f"{key} must be an array of datasets.")
    datasets = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        item = _object(item, where)
        facets = item.get("facets") or {}
        kind = facets.get("datasetType", {}).get("datasetType") if isinstance(facets, dict) else None
        datasets.append(
            (_text(item, "namespace", where), _text(item, "name", where), kind if isinstance(kind, str) else None)
        )
    return datasets


def parse_event(event: Any) -> _Parsed:
    """Check an OpenLineage event's structure (RunEvent, DatasetEvent or JobEvent) and pick out what the graph
    needs. Raises ``InvalidInput`` naming the first problem."""
    event = _object(event, "An OpenLineage event")
    for key in ("producer", "schemaURL"):
        _text(event, key, "event")
    moment = _time(event.get("eventTime"))
    inputs, outputs = _datasets(event, "inputs"), _datasets(event, "outputs")
    if "run" in event:
        run = _object(event["run"], "run")
        run_id = _text(run, "runId", "run")
        try:
            uuid.UUID(run_id)
        except ValueError:
            raise InvalidInput(f"run.runId must be a UUID, got {run_id!r}.") from None
        job = _object(event.get("job"), "job")
        event_type = event.get("eventType")
        if event_type is not None and event_type not in _EVENT_TYPES:
            raise InvalidInput(f"eventType must be one of {', '.join(_EVENT_TYPES)}, got {event_type!r}.")
        facets = run.get("facets") or {}
        parent = facets.get("parent", {}).get("run", {}).get("runId") if isinstance(facets, dict) else None
        job_facets = job.get("facets") or {}
        job_type = job_facets.get("jobType", {}).get("jobType") if isinstance(job_facets, dict) else None
        return _Parsed(
            key=f"{run_id}|{event_type}|{event['eventTime']}",
            run_id=run_id,
            event_type=event_type or "OTHER",
            time=moment,
            job=(_text(job, "namespace", "job"), _text(job, "name", "job")),
            job_type=job_type if isinstance(job_type, str) else None,
            parent_run=parent if isinstance(parent, str) else None,
            inputs=inputs,
            outputs=outputs,
        )
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    if "dataset" in event:
        dataset = _object(event["dataset"], "dataset")
        static: list[tuple[str, str, str | None]] = [
            (_text(dataset, "namespace", "dataset"), _text(dataset, "name", "dataset"), None)
        ]
        return _Parsed(digest, None, None, moment, None, None, None, static, [])
    if "job" in event:
        job = _object(event["job"], "job")
        # A JobEvent declares a job's datasets without a run: it is kept as a run of its own, outside time.
        job_key = (_text(job, "namespace", "job"), _text(job, "name", "job"))
        run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"job:{job_key[0]}:{job_key[1]}"))
        return _Parsed(digest, run_id, "JOB", moment, job_key, None, None, inputs, outputs)
    raise InvalidInput("An OpenLineage event needs 'run' (RunEvent), 'dataset' (DatasetEvent) or 'job' (JobEvent).")


class LineageStore:
    """The store in one sqlite file; safe to share between threads."""

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFound(
                f"There is no lineage store at {str(path)!r}.",
                fix="Open a stack and run operations (lineage goes to .stackhub/lineage.db by default), "
                "or name the store with --db PATH.",
            )
        self._lock = threading.RLock()
        self._conn = open_database(self.path, _SCHEMA)
        # Checkpoint the WAL every 64 MB instead of every 4 MB: ingest spends a quarter less time in fsync.
        self._conn.execute("PRAGMA wal_autocheckpoint=16384")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- ingest ----------------------------------------------------------------------------------------

    def ingest(self, event: str | Mapping[str, Any]) -> None:
        """Store one event; raises ``InvalidInput`` when it is not a valid OpenLineage event."""
        (error,) = self.ingest_many([event])
        if error is not None:
            raise InvalidInput(error, fix="Send events that validate against the OpenLineage spec.")

    def ingest_many(self, events: Sequence[str | Mapping[str, Any]]) -> list[str | None]:
        """Store a batch in one transaction. Returns, per event, None or why it was rejected."""
        results: list[str | None] = []
        rows_events, rows_runs, rows_io, rows_datasets, rows_jobs = [], [], [], {}, {}
        for raw in events:
            try:
                event = json.loads(raw) if isinstance(raw, str) else raw
                parsed = parse_event(event)
            except json.JSONDecodeError as exc:
                results.append(f"The event is not JSON: {exc}.")
                continue
            except InvalidInput as exc:
                results.append(exc.message)
                continue
            results.append(None)
            payload = raw if isinstance(raw, str) else json.dumps(raw)
            rows_events.append((parsed.key, parsed.run_id, parsed.event_type, parsed.time, payload))
            for namespace, name, kind in parsed.inputs + parsed.outputs:
                if kind is not None or (namespace, name) not in rows_datasets:
                    rows_datasets[(namespace, name)] = kind
            if parsed.run_id is None or parsed.job is None:
                continue
            started = parsed.time if parsed.event_type == "START" else None
            ended = parsed.time if parsed.event_type in _TERMINAL else None
            state = None if parsed.event_type in ("OTHER", "JOB") else parsed.event_type
            rows_runs.append((parsed.run_id, *parsed.job, state, started, ended, parsed.parent_run))
            if parsed.job_type is not None or parsed.job not in rows_jobs:
                rows_jobs[parsed.job] = parsed.job_type
            rows_io += [(parsed.run_id, "i", ns, name) for ns, name, _ in parsed.inputs]
            rows_io += [(parsed.run_id, "o", ns, name) for ns, name, _ in parsed.outputs]
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO events (key, run_id, event_type, event_time, payload) VALUES (?, ?, ?, ?, ?)",
                rows_events,
            )
            # A terminal state is never replaced by a START that arrives late; OTHER changes no state.
            conn.executemany(
                """INSERT INTO runs (run_id, namespace, job, state, started, ended, parent_run)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id) DO UPDATE SET
                  state = CASE WHEN excluded.state IS NULL THEN runs.state
                               WHEN runs.state IN ('COMPLETE', 'FAIL', 'ABORT')
                                    AND excluded.state NOT IN ('COMPLETE', 'FAIL', 'ABORT') THEN runs.state
                               ELSE excluded.state END,
                  started = coalesce(min(runs.started, excluded.started), runs.started, excluded.started),
                  ended = coalesce(max(runs.ended, excluded.ended), runs.ended, excluded.ended),
                  parent_run = coalesce(runs.parent_run, excluded.parent_run)""",
                rows_runs,
            )
            conn.executemany("INSERT OR IGNORE INTO io VALUES (?, ?, ?, ?)", rows_io)
            conn.executemany(
                "INSERT INTO datasets VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET type = coalesce(excluded.type, type)",
                [(ns, name, kind) for (ns, name), kind in rows_datasets.items()],
            )
            conn.executemany(
                "INSERT INTO jobs VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET type = coalesce(excluded.type, type)",
                [(ns, name, kind) for (ns, name), kind in rows_jobs.items()],
            )
        return results

    # -- queries ---------------------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def count_events(self) -> int:
        return int(self._rows("SELECT count(*) FROM events")[0][0])

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Stored events in arrival order, all or one run's."""
        if run_id is None:
            rows = self._rows("SELECT payload FROM events ORDER BY id")
        else:
            rows = self._rows("SELECT payload FROM events WHERE run_id = ? ORDER BY id", (run_id,))
        return [json.loads(payload) for (payload,) in rows]

    def resolve(self, text: str) -> Node:
        """The node ``text`` names: ``dataset:NAMESPACE:NAME``, ``job:NAMESPACE:NAME`` (namespaces and names may
        hold colons), or a dataset name, whole or its last part (``orders`` for ``db.main.orders``)."""
        for kind, table in (("dataset", "datasets"), ("job", "jobs")):
            prefix = f"{kind}:"
            if text.startswith(prefix):
                rest = text[len(prefix) :]
                splits = [i for i, ch in enumerate(rest) if ch == ":"]
                found = [
                    Node(kind, rest[:i], rest[i + 1 :])  # type: ignore[arg-type]
                    for i in splits
                    if self._rows(f"SELECT 1 FROM {table} WHERE namespace = ? AND name = ?", (rest[:i], rest[i + 1 :]))
                ]
                if len(found) == 1:
                    return found[0]
                if not found:
                    raise NotFound(f"The lineage store has no {kind} {text!r}.", fix=self._suggest(text))
                raise InvalidInput(
                    f"{text!r} names several {kind}s.", fix="Use 'stackhub lineage ... --format json' to see ids."
                )
        rows = self._rows("SELECT namespace, name FROM datasets WHERE name = ?", (text,))
        if not rows:
            rows = self._rows(
                "SELECT namespace, name FROM datasets WHERE substr(name, -length(?) - 1) IN ('.' || ?, '/' || ?)",
                (text, text, text),
            )
        if len(rows) == 1:
            return Node("dataset", rows[0][0], rows[0][1])
        if not rows:
            raise NotFound(f"The lineage store has no dataset named {text!r}.", fix=self._suggest(text))
        ids = ", ".join(sorted(Node("dataset", ns, name).id for ns, name in rows))
        raise InvalidInput(f"Dataset name {text!r} is ambiguous: {ids}.", fix="Pass one of these node ids instead.")

    def _suggest(self, text: str) -> str:
        nodes = [Node("dataset", ns, n) for ns, n in self._rows("SELECT namespace, name FROM datasets")]
        nodes += [Node("job", ns, n) for ns, n in self._rows("SELECT namespace, name FROM jobs")]
        # Match what the user most likely typed: a whole id, a name, or a name's last part.
        keys: dict[str, str] = {}
        for node in nodes:
            for key in (node.id, node.name, node.name.replace("/", ".").split(".")[-1]):
                keys.setdefault(key, node.id)
        wanted = text.split(":")[-1] if text.startswith(("dataset:", "job:")) else text
        close = difflib.get_close_matches(wanted, list(keys), n=1, cutoff=0.6)
        if close:
            return f"Did you mean {keys[close[0]]!r}?"
        return "Name a node as 'dataset:NAMESPACE:NAME' or 'job:NAMESPACE:NAME', or give a dataset's name."

    def lineage(self, node: Node | str, direction: Direction = "upstream", depth: int = 20) -> Graph:
        """The graph around ``node``, ``depth`` jobs deep in ``direction`` (both for ``both``)."""
        root = self.resolve(node) if isinstance(node, str) else node
        graph = Graph(root, direction, nodes={root.id: root})
        for way in ("upstream", "downstream") if direction == "both" else (direction,):
            self._walk(graph, root, way == "upstream", depth)
        for node_id, (kind,) in (
            (n.id, row)
            for n in graph.nodes.values()
            if n.kind == "dataset"
            for row in self._rows("SELECT type FROM datasets WHERE namespace = ? AND name = ?", (n.namespace, n.name))
        ):
            if kind:
                graph.types[node_id] = kind
        return graph

    def _walk(self, graph: Graph, root: Node, upstream: bool, depth: int) -> None:
        # frontier: dataset -> time bound (upstream: writers must have ended by then; downstream: readers must
        # have started since). A dataset is walked again only when a looser bound reaches it.
        frontier: dict[tuple[str, str], float] = {}
        best: dict[tuple[str, str], float] = {}
        if root.kind == "job":
            for run_id, started, ended, state in self._rows(
                "SELECT run_id, started, ended, state FROM runs WHERE namespace = ? AND job = ?",
                (root.namespace, root.name),
            ):
                self._hop(graph, root, run_id, started, ended, state, upstream, frontier)
            depth -= 1
        else:
            frontier[(root.namespace, root.name)] = _INF if upstream else -_INF
        for _ in range(depth):
            if not frontier:
                return
            best.update(frontier)
            current, frontier = frontier, {}
            for (namespace, name), bound in current.items():
                dataset = Node("dataset", namespace, name)
                if upstream:
                    runs = self._rows(
                        "SELECT r.run_id, r.namespace, r.job, r.started, r.ended, r.state FROM io JOIN runs r USING (run_id)"
                        " WHERE io.namespace = ? AND io.name = ? AND io.direction = 'o'"
                        " AND coalesce(r.state, '') NOT IN ('FAIL', 'ABORT') AND coalesce(r.ended, r.started, 0) <= ?",
                        (namespace, name, bound),
                    )
                else:
                    runs = self._rows(
                        "SELECT r.run_id, r.namespace, r.job, r.started, r.ended, r.state FROM io JOIN runs r USING (run_id)"
                        " WHERE io.namespace = ? AND io.name = ? AND io.direction = 'i'"
                        " AND coalesce(r.started, r.ended, 0) >= ?",
                        (namespace, name, bound),
                    )
                for run_id, job_ns, job_name, started, ended, state in runs:
                    job = Node("job", job_ns, job_name)
                    if upstream:
                        graph.add_edge(job, dataset, run_id)
                    else:
                        graph.add_edge(dataset, job, run_id)
                    self._hop(graph, job, run_id, started, ended, state, upstream, frontier)
            frontier = {
                k: b for k, b in frontier.items() if k not in best or (b > best[k] if upstream else b < best[k])
            }

    def _hop(
        self,
        graph: Graph,
        job: Node,
        run_id: str,
        started: float | None,
        ended: float | None,
        state: str | None,
        upstream: bool,
        frontier: dict[tuple[str, str], float],
    ) -> None:
        """From a run to the datasets on the far side, with the bound their own walk keeps."""
        if upstream:
            bound = started if started is not None else ended if ended is not None else _INF
            rows = self._rows("SELECT namespace, name FROM io WHERE run_id = ? AND direction = 'i'", (run_id,))
        else:
            if state in ("FAIL", "ABORT"):
                return
            bound = ended if ended is not None else started if started is not None else -_INF
            rows = self._rows("SELECT namespace, name FROM io WHERE run_id = ? AND direction = 'o'", (run_id,))
        for namespace, name in rows:
            dataset = Node("dataset", namespace, name)
            if upstream:
                graph.add_edge(dataset, job, run_id)
                frontier[(namespace, name)] = max(frontier.get((namespace, name), -_INF), bound)
            else:
                graph.add_edge(job, dataset, run_id)
                frontier[(namespace, name)] = min(frontier.get((namespace, name), _INF), bound)
