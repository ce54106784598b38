"""Warehouse operations: SQL reads name the tables they read (sqlglot), writes the table they write."""

from __future__ import annotations

from typing import Any

from ..facts import Call, Facts, Operation

__all__ = ["NOT_EMITTING", "OPERATIONS"]

_LIFECYCLE: dict[str, Any] = {"create": "CREATE", "overwrite": "OVERWRITE"}


def _read(call: Call) -> Facts:
    warehouse: Any = call.component
    sql, dialect = call.args["sql"], call.args["dialect"]
    tables = call.sql_tables(sql, dialect, warehouse)
    if call.done:
        # A write of this very result (or reader) then names the tables it came from.
        call.context.remember(call.result, [tables])
    return Facts("QUERY", inputs=[tables], sql=(sql, tables.dialect), sql_outputs=tables)


def _write(call: Call) -> Facts:
    warehouse: Any = call.component
    data = call.args["data"]
    mode = call.args["mode"]
    output = call.table(warehouse, call.args["table"], schema=data.schema, lifecycle=_LIFECYCLE.get(mode))
    if call.done:
        written = call.result.dataset
        output = output.with_facts(namespace=written.namespace, name=written.name, rows=call.result.rows_written)
    return Facts("WRITE", inputs=call.context.sources_of(data), outputs=[output], parameters={"mode": str(mode)})


def _drop_table(call: Call) -> Facts:
    warehouse: Any = call.component
    return Facts("DROP", outputs=[call.table(warehouse, call.args["table"], lifecycle="DROP")])


OPERATIONS: dict[str, Operation] = {
    "query": Operation("QUERY", _read),
    "query_batches": Operation("QUERY", _read),
    "write": Operation("WRITE", _write),
    "drop_table": Operation("DROP", _drop_table),
}

NOT_EMITTING: dict[str, str] = {
    "list_tables": "Reads the catalog, not a dataset.",
    "describe_table": "Reads a table's schema, not its data; the schema facet comes with the reads and writes.",
    "dataset": "Names a table for lineage; lineage itself calls it.",
}
