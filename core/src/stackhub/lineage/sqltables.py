"""The tables a SQL statement reads and writes, found with sqlglot (on the lineage thread, cached by text)."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["tables_read", "tables_written"]


@lru_cache(maxsize=1024)
def _tables(sql: str, dialect: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statement = sqlglot.parse_one(sql, read=dialect)
    except (SqlglotError, ValueError):
        # The warehouse rejects such SQL itself; lineage then has no tables to name.
        return (), ()
    ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    written: list[exp.Table] = []
    if isinstance(statement, exp.Insert | exp.Create | exp.Update | exp.Delete | exp.Merge):
        target = statement.this
        if isinstance(target, exp.Schema):  # CREATE TABLE t (columns ...) AS ...
            target = target.this
        if isinstance(target, exp.Table):
            written.append(target)
    read: list[str] = []
    for table in statement.find_all(exp.Table):
        # Table functions (read_parquet(...)) have no name to give; CTEs are not tables.
        if not isinstance(table.this, exp.Identifier) or any(table is w for w in written):
            continue
        if not table.db and table.name in ctes:
            continue
        read.append(_name(table))
    return tuple(dict.fromkeys(read)), tuple(dict.fromkeys(_name(t) for t in written))


def _name(table: object) -> str:
    from sqlglot import exp

    assert isinstance(table, exp.Table)
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def tables_read(sql: str, dialect: str) -> list[str]:
    """Tables the statement reads, qualified as written (``orders``, ``analytics.orders``), in order."""
    return list(_tables(sql, dialect)[0])


def tables_written(sql: str, dialect: str) -> list[str]:
    """The table an INSERT, CREATE, UPDATE, DELETE or MERGE writes; none for a query."""
    return list(_tables(sql, dialect)[1])
