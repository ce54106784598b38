"""Delivery to a real HTTP receiver on 127.0.0.1 that goes away and comes back: operations never wait on it,
and every event arrives exactly once, from this process or the next one."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stackhub
from lineage_support import run_cli
from stackhub.testing import free_port


class Receiver:
    """An OpenLineage HTTP endpoint that records what it receives; ``status`` is what it answers."""

    def __init__(self, port: int = 0, status: int = 201) -> None:
        self.events: list[dict[str, Any]] = []
        self.status = status
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.path == "/api/v1/lineage"
                if receiver.status < 300:
                    receiver.events.append(json.loads(body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def keys(self) -> Counter[tuple[str, str]]:
        return Counter((e["run"]["runId"], e["eventType"]) for e in self.events)


def http_stack(stack_file, port: int, flush_timeout: float) -> Any:  # type: ignore[no-untyped-def]
    return stack_file(
        'stack: s\nspec: "1"\ncomponents:\n  warehouse: {plugin: duckdb, config: {path: .stackhub/w.duckdb}}\n'
        f"lineage:\n  transport: {{type: http, url: 'http://127.0.0.1:{port}'}}\n  flush_timeout: {flush_timeout}\n"
    )


def wait_for(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def pending(workdir) -> int:  # type: ignore[no-untyped-def]
    with sqlite3.connect(workdir / ".stackhub" / "lineage-spool.db") as conn:
        return int(conn.execute("SELECT count(*) FROM pending").fetchone()[0])


def test_receiver_down_mid_run_loses_nothing_and_duplicates_nothing(stack_file, workdir):
    receiver = Receiver().start()
    with stackhub.open_stack(http_stack(stack_file, receiver.port, 30)) as stack:
        warehouse = stack["warehouse"]
        for i in range(5):
            warehouse.query(f"SELECT {i} AS up")
        wait_for(lambda: len(receiver.events) == 10)
        receiver.stop()
        slowest = 0.0
        for i in range(5):
            start = time.perf_counter()
            warehouse.query(f"SELECT {i} AS down")
            slowest = max(slowest, time.perf_counter() - start)
        assert slowest < 0.5, "an operation waited on the unreachable backend"
        wait_for(lambda: pending(workdir) == 10)
        time.sleep(0.5)  # the sender retries with backoff meanwhile
        receiver.start()
        for i in range(5):
            warehouse.query(f"SELECT {i} AS back")
    keys = receiver.keys()
    assert len(keys) == 30
    assert set(keys.values()) == {1}
    assert Counter(event_type for _, event_type in keys) == {"START": 15, "COMPLETE": 15}
    assert pending(workdir) == 0
    receiver.stop()


def test_the_next_process_or_flush_delivers_what_one_process_left(stack_file, workdir):
    port = free_port()
    path = http_stack(stack_file, port, 0.2)
    with stackhub.open_stack(path) as stack:
        stack["warehouse"].query("SELECT 1 AS first_process")
    assert pending(workdir) == 2
    receiver = Receiver(port).start()
    try:
        # The next process that opens the stack delivers the leftovers, even if it runs nothing.
        code = "import stackhub\nwith stackhub.open_stack('stack.yaml'):\n    pass\n"
        subprocess.run([sys.executable, "-c", code], cwd=workdir, check=True, timeout=60)
        assert len(receiver.events) == 2
        receiver.stop()
        with stackhub.open_stack(path) as stack:
            stack["warehouse"].query("SELECT 2 AS second_process")
        assert pending(workdir) == 2
        down = run_cli("lineage", "flush", "--timeout", "0.5", cwd=workdir)
        assert down.returncode == 1
        assert "2 events are still spooled for http:http://127.0.0.1:" in down.stderr
        assert "Traceback" not in down.stderr
        receiver.start()
        up = run_cli("lineage", "flush", cwd=workdir)
        assert up.returncode == 0, up.stderr
        assert up.stdout == "Delivered every spooled lineage event of stack 's'.\n"
    finally:
        receiver.stop()
    keys = receiver.keys()
    assert len(keys) == 4
    assert set(keys.values()) == {1}


def test_events_a_backend_rejects_are_set_aside_not_retried_forever(stack_file, workdir, caplog):
    receiver = Receiver(status=400).start()
    with stackhub.open_stack(http_stack(stack_file, receiver.port, 10)) as stack:
        stack["warehouse"].query("SELECT 1 AS rejected")
    receiver.stop()
    assert pending(workdir) == 0
    with sqlite3.connect(workdir / ".stackhub" / "lineage-spool.db") as conn:
        errors = [row[0] for row in conn.execute("SELECT error FROM dead")]
    assert len(errors) == 2
    assert errors[0].startswith(f"http:http://127.0.0.1:{receiver.port}/api/v1/lineage answered HTTP 400")
    assert "rejected an event; it is kept in the spool's 'dead' table" in caplog.text


def test_console_and_file_transports_get_every_event_too(stack_file, workdir, capfd):
    path = stack_file(
        'stack: s\nspec: "1"\ncomponents:\n  warehouse: {plugin: duckdb, config: {path: .stackhub/w.duckdb}}\n'
        "lineage:\n  transport: [{type: console}, {type: file, path: out/events.jsonl}]\n"
    )
    with stackhub.open_stack(path) as stack:
        stack["warehouse"].query("SELECT 1 AS one")
    printed = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    written = [json.loads(line) for line in (workdir / "out" / "events.jsonl").read_text().splitlines()]
    assert [e["eventType"] for e in printed] == ["START", "COMPLETE"]
    assert printed == written


def test_a_process_that_never_closes_its_stack_still_delivers_at_exit(stack_file, workdir):
    stack_file('stack: s\nspec: "1"\ncomponents:\n  warehouse: {plugin: duckdb, config: {path: .stackhub/w.duckdb}}\n')
    code = "import stackhub\nstack = stackhub.open_stack('stack.yaml')\nstack['warehouse'].query('SELECT 1 AS left_open')\n"
    subprocess.run([sys.executable, "-c", code], cwd=workdir, check=True, timeout=60)
    from stackhub.lineage.store import LineageStore

    store = LineageStore(workdir / ".stackhub" / "lineage.db")
    assert [e["eventType"] for e in store.events()] == ["START", "COMPLETE"]
    store.close()
