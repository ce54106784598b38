"""Lineage cost, measured in one run:

1. per-operation overhead of emission on a cheap DuckDB query (``SELECT count(*) ... WHERE``), median over
   many calls, with lineage off (``open_stack(..., lineage=False)``) and on (the default: spool + embedded
   store), interleaved in rounds so that machine noise hits both alike; plus the time closing the stack takes
   to deliver the backlog.
2. ingest rate of the embedded store: events per second through ``LineageStore.ingest_many`` in batches.

    python benchmarks/lineage_overhead.py [--calls 3000] [--events 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa
import stackhub
from _harness import Report, add_report_argument
from stackhub.lineage.store import LineageStore

STACK = """\
stack: bench
spec: "1"
components:
  warehouse: {plugin: duckdb, config: {path: .stackhub/bench.duckdb}}
lineage:
  transport: {type: store, path: .stackhub/lineage.db}
  flush_timeout: 120
"""
SQL = "SELECT count(*) AS n FROM orders WHERE amount > 10"


def timed_calls(warehouse: stackhub.Warehouse, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        warehouse.query(SQL)
        times.append(time.perf_counter() - start)
    return times


def overhead(folder: Path, calls: int, rounds: int, report: Report) -> None:
    stack_file = folder / "stack.yaml"
    stack_file.write_text(STACK)
    with stackhub.open_stack(stack_file, lineage=False) as stack:
        stack["warehouse"].write(
            "orders", pa.table({"id": range(1000), "amount": [float(i % 50) for i in range(1000)]}), mode="overwrite"
        )
    off: list[float] = []
    on: list[float] = []
    close_seconds = 0.0
    for _ in range(rounds):
        with stackhub.open_stack(stack_file, lineage=False) as stack:
            timed_calls(stack["warehouse"], 50)  # warm-up
            off += timed_calls(stack["warehouse"], calls // rounds)
        stack = stackhub.open_stack(stack_file)
        timed_calls(stack["warehouse"], 50)
        on += timed_calls(stack["warehouse"], calls // rounds)
        start = time.perf_counter()
        stack.close()
        close_seconds += time.perf_counter() - start
    store = LineageStore(folder / ".stackhub" / "lineage.db")
    events = store.count_events()
    store.close()
    off_median, on_median = statistics.median(off), statistics.median(on)
    report.note(
        f"A cheap DuckDB query through an opened stack, {len(on):,} calls with lineage (the embedded store) and "
        f"{len(off):,} without, in {rounds} interleaved rounds; closing the stacks delivered the backlog in "
        f"{close_seconds:.2f} s ({events:,} events in the store)."
    )
    report.table(
        ("", "median", "p90"),
        [
            ("without lineage", f"{off_median * 1e3:.3f} ms", f"{statistics.quantiles(off, n=10)[-1] * 1e3:.3f} ms"),
            ("with lineage", f"{on_median * 1e3:.3f} ms", f"{statistics.quantiles(on, n=10)[-1] * 1e3:.3f} ms"),
            ("overhead per operation", f"{(on_median - off_median) * 1e3:.3f} ms", ""),
        ],
    )


def ingest_rate(folder: Path, count: int, batch: int, report: Report) -> None:
    template = {
        "eventType": "COMPLETE",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "job": {"namespace": "bench", "name": "job"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders"}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.orders_daily"}],
    }
    payloads = []
    for i in range(count):
        event = {
            **template,
            "eventTime": f"2026-01-01T00:00:{i % 60:02d}.{i:06d}+00:00",
            "run": {"runId": str(uuid.uuid4())},
        }
        event["job"] = {"namespace": "bench", "name": f"job{i % 100}"}
        payloads.append(json.dumps(event))
    store = LineageStore(folder / "ingest.db", create=True)
    start = time.perf_counter()
    for offset in range(0, count, batch):
        store.ingest_many(payloads[offset : offset + batch])
    seconds = time.perf_counter() - start
    assert store.count_events() == count
    store.close()
    report.note(
        f"The embedded store ingests {count / seconds:,.0f} events/s ({count:,} events in batches of {batch:,}: "
        f"{seconds:.2f} s)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    add_report_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.calls, args.events = 300, 2_000
    report = Report("Lineage overhead", "python benchmarks/lineage_overhead.py")
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the stack file's relative paths land in the temporary folder
        overhead(Path(tmp), args.calls, args.rounds, report)
        ingest_rate(Path(tmp), args.events, args.batch, report)
    report.finish(args.report, smoke=args.smoke)


if __name__ == "__main__":
    main()
