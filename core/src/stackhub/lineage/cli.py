"""``stackhub lineage``: query, serve, fill and flush the embedded system of record.

Building the parser imports nothing but argparse; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]

TOKEN_ENV = "STACKHUB_LINEAGE_TOKEN"


def _lineage_config(stack: str) -> tuple[str, Any]:
    """The stack's name and lineage config, read without building its components."""
    from ..stack import parse_stack
    from .config import LineageConfig

    parsed = parse_stack(stack)
    parsed.raise_for_findings()
    assert parsed.model is not None
    return parsed.model.stack, parsed.model.lineage or LineageConfig()


def _store_path(args: argparse.Namespace) -> str:
    """``--db``; else the store of ``--stack`` (or of ./stack.yaml when there is one); else the default."""
    from ..errors import ConfigError
    from .config import DEFAULT_STORE

    if args.db:
        return str(args.db)
    stack = args.stack or ("stack.yaml" if Path("stack.yaml").is_file() else None)
    if stack is None:
        return DEFAULT_STORE
    name, config = _lineage_config(stack)
    path: str | None = config.store_path
    if path is None:
        raise ConfigError(
            f"Stack {name!r} ({stack}) does not send lineage to the embedded store.",
            fix="Add '{type: store}' to its lineage transports, or name a store with --db PATH.",
        )
    return path


def cmd_graph(args: argparse.Namespace) -> int:
    from .render import render
    from .store import LineageStore

    if args.depth < 1:
        from ..errors import InvalidInput

        raise InvalidInput(f"--depth must be at least 1, got {args.depth}.")
    store = LineageStore(_store_path(args))
    try:
        print(render(store.lineage(args.node, args.command_name, args.depth), args.format))
    finally:
        store.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import LineageServer
    from .store import LineageStore

    path = _store_path(args)
    token = args.token or os.environ.get(TOKEN_ENV)
    store = LineageStore(path, create=True)
    server = LineageServer(store, args.host, args.port, token)
    port = server.server_address[1]
    print(f"Serving the OpenLineage API at http://{args.host}:{port}/api/v1/lineage (store: {path}).", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        store.close()
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from ..errors import NotFound
    from .store import LineageStore

    source = sys.stdin if args.file == "-" else None
    if source is None and not Path(args.file).is_file():
        raise NotFound(f"There is no file {args.file!r}.", fix="Name a JSON-lines file of OpenLineage events, or '-'.")
    lines = [line for line in (source or open(args.file, encoding="utf-8")) if line.strip()]  # noqa: SIM115
    store = LineageStore(_store_path(args), create=True)
    try:
        results = store.ingest_many(lines)
    finally:
        store.close()
    errors = [(number, error) for number, error in enumerate(results, start=1) if error]
    for number, error in errors:
        print(f"{args.file}:{number}: {error}", file=sys.stderr)
    print(f"Ingested {len(results) - len(errors)} events into {store.path}; rejected {len(errors)}.")
    return 1 if errors else 0


def cmd_flush(args: argparse.Namespace) -> int:
    from .spool import Spool

    name, config = _lineage_config(args.stack)
    if not Path(config.spool).exists():
        print(f"Nothing to deliver: stack {name!r} has no lineage spool at {config.spool}.")
        return 0
    spool = Spool.at(config.spool)
    destinations = spool.attach(config.transports, 0.0)
    try:
        spool.flush(destinations, args.timeout)
        waiting = {d: spool.pending([d]) for d in destinations}
        others = spool.pending() - sum(waiting.values())
    finally:
        spool.detach(destinations, 0.0)
    for destination, count in waiting.items():
        if count:
            reason = spool.last_error.get(destination, "delivery did not finish in time")
            print(f"{count} events are still spooled for {destination}: {reason}", file=sys.stderr)
    if others:
        print(f"{others} spooled events are for destinations that stack {name!r} no longer names.", file=sys.stderr)
    if any(waiting.values()):
        print("Run 'stackhub lineage flush' again once the destination is reachable.", file=sys.stderr)
        return 1
    print(f"Delivered every spooled lineage event of stack {name!r}.")
    return 0


def add_parser(subparsers: Any) -> None:
    """Add ``stackhub lineage`` and its commands."""
    from .render import FORMATS

    parser = subparsers.add_parser("lineage", help="Query, serve, fill and flush the lineage system of record.")
    sub = parser.add_subparsers(dest="lineage_command", metavar="COMMAND", required=True)

    def store_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="The store's sqlite file (default: the stack's, else .stackhub/lineage.db).")
        p.add_argument("--stack", help="Read the store's path from this stack file (default: ./stack.yaml if any).")

    for direction, what in (("upstream", "what NODE came from"), ("downstream", "what came from NODE")):
        p = sub.add_parser(direction, help=f"Print {what}.")
        p.add_argument("node", metavar="NODE", help="dataset:NAMESPACE:NAME, job:NAMESPACE:NAME, or a dataset name.")
        p.add_argument("--depth", type=int, default=20, help="How many jobs deep to go (default: 20).")
        p.add_argument("--format", choices=FORMATS, default="tree")
        store_options(p)
        p.set_defaults(func=cmd_graph, command_name=direction)

    p = sub.add_parser("serve", help="Serve the OpenLineage HTTP API (POST/GET /api/v1/lineage) over the store.")
    p.add_argument("--host", default="127.0.0.1", help="Address to bind (default: 127.0.0.1).")
    p.add_argument("--port", type=int, default=5000, help="Port (default: 5000; 0 picks a free one).")
    p.add_argument("--token", help=f"Require 'Authorization: Bearer TOKEN' (default: ${TOKEN_ENV}).")
    store_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ingest", help="Add OpenLineage events from a JSON-lines file (any producer's) to the store.")
    p.add_argument("file", help="The file, or '-' for standard input.")
    store_options(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("flush", help="Deliver the events a stack's spool still holds.")
    p.add_argument("stack", nargs="?", default="stack.yaml", help="The stack file (default: stack.yaml).")
    p.add_argument("--timeout", type=float, default=30.0, help="Seconds to keep trying (default: 30).")
    p.set_defaults(func=cmd_flush)
