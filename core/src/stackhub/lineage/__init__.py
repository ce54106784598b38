"""Lineage: every operation of an opened stack becomes OpenLineage RunEvents, kept in an embedded system of record.

    config.py       the stack file's ``lineage`` key (pydantic; read by ``stackhub.stack``)
    facets.py       the ``stackhub_*`` custom facets (pydantic; their JSON Schemas are published under specs/)
    facts.py        what an operation read and wrote, as plain data (the mapping functions' output)
    ops/            one module per category: operation -> mapping function, and what does not emit (with why)
    session.py      wraps the components of a stack, pipelines (parent runs), the emission hot path
    events.py       facts -> openlineage-python RunEvents (runs on the lineage thread)
    sqltables.py    the tables a SQL statement reads and writes (sqlglot)
    sqlite.py       opening the spool's and the store's sqlite files
    spool.py        the durable sqlite spool and the background sender with retry and backoff
    destinations.py where spooled events go: the embedded store, or openlineage-python's file/console/http
    store.py        the embedded system of record: ingest OpenLineage events, answer upstream/downstream
    render.py       lineage graphs as a tree, JSON, Graphviz dot or Mermaid
    server.py       the OpenLineage HTTP API (``POST``/``GET /api/v1/lineage``) over the store
    cli.py          ``stackhub lineage ...``

This package imports nothing heavy: ``stackhub.stack`` imports ``config`` from it, and the CLI builds its parser
from ``cli``; openlineage-python, sqlglot and pyarrow load only when a stack with lineage is opened or a lineage
command runs.
"""

from __future__ import annotations

__all__: list[str] = []
