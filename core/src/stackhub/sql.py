"""SQL portability: every plugin transpiles with this one function, so dialect handling is the same
everywhere and sqlglot's errors become ``InvalidInput``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InvalidInput

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["column_sql", "from_source", "table_sql", "transpile"]


def transpile(sql: str, *, read: str | None, write: str) -> str:
    """Translate one SQL statement from dialect ``read`` (None: already ``write``) to dialect ``write``.

    Raises ``InvalidInput`` when the text is not exactly one statement that parses in ``read``.
    """
    import sqlglot  # imported on first use: the CLI's listing and validation never need it
    from sqlglot.errors import ParseError, TokenError

    source = read or write
    try:
        statements = [s for s in sqlglot.parse(sql, read=source) if s is not None]
    except (ParseError, TokenError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(
            f"SQL does not parse as {source!r}: {first_line}.", fix="Check the statement's syntax."
        ) from None
    except ValueError:
        raise InvalidInput(
            f"Unknown SQL dialect {source!r}.", fix="Use a sqlglot dialect name such as 'duckdb' or 'postgres'."
        ) from None
    if len(statements) != 1:
        raise InvalidInput(
            f"Expected exactly one SQL statement, got {len(statements)}.", fix="Send one statement per call."
        )
    if source == write:
        return sql
    return statements[0].sql(dialect=write)


def table_sql(table: str, *, dialect: str) -> str:
    """Quote a table name, optionally qualified as ``schema.table`` or ``catalog.schema.table``, for
    ``dialect``. Each part is quoted, so spaces, mixed case and reserved words are kept as written."""
    from sqlglot import exp

    parts = table.split(".")
    if not table or len(parts) > 3 or not all(parts):
        raise InvalidInput(
            f"Table name {table!r} is not 'table', 'schema.table' or 'catalog.schema.table'.",
            fix="Use non-empty name parts separated by single dots.",
        )
    name, db, catalog = ([*reversed(parts), None, None])[:3]
    return exp.table_(name, db=db, catalog=catalog, quoted=True).sql(dialect=dialect)


def column_sql(column: str, *, dialect: str) -> str:
    """Quote one column name for ``dialect``."""
    from sqlglot import exp

    return exp.to_identifier(column, quoted=True).sql(dialect=dialect)


def from_source(table: str, *, dialect: str) -> exp.Expr:
    """What a FROM clause reads for ``table`` as a ``TableRef`` holds it: a query (in ``dialect``) becomes a
    subquery aliased ``src``, anything else a quoted table name (``table_sql``)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        parsed = sqlglot.parse_one(table, read=dialect)
    except (ParseError, TokenError):
        parsed = None
    if isinstance(parsed, exp.Query):
        return parsed.subquery("src")
    return sqlglot.parse_one(table_sql(table, dialect=dialect), into=exp.Table, read=dialect)
