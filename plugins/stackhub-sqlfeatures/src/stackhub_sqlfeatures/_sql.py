"""The SQL the feature store runs, built as sqlglot expressions and generated for the warehouse's dialect.

Every identifier is quoted, so user names (spaces, reserved words, mixed case) are kept as written. Only portable
constructs appear: inner and left joins, ``ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...)`` in a subquery
(never ``QUALIFY``), ``CASE``, ``UNION ALL``, scalar subqueries and explicit ``NULLS LAST`` (which sqlglot drops
where it is the dialect's default). There is no interval or date arithmetic at all: the lower TTL bound of each
entity row is computed with Arrow before the upload and compared as a plain timestamp column, so nothing depends
on how sqlglot transpiles intervals.

The one exception to portability is ``ASOF LEFT JOIN``, which sqlglot passes through unchanged to dialects that
lack it. It is therefore generated in DuckDB's dialect, the one the ``asof_join`` warehouse capability is
defined in, and used only when the warehouse declares that capability; its plugin transpiles it.

Which row wins, in every statement: the latest event timestamp, then the latest created timestamp (a null one
is older than any), then the greatest feature values in the view's feature order (nulls last). The last rule
only decides between rows equal in both timestamps, which Feast resolves arbitrarily; here both join strategies
and ``materialize`` pick the same row every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlglot import exp
from stackhub.sql import table_sql

__all__ = [
    "ASOF_DIALECT",
    "FRESH",
    "ROW",
    "Source",
    "ViewJoin",
    "empty_online",
    "latest_per_key",
    "online_columns",
    "online_lookup",
    "point_in_time",
    "table",
    "timestamp_literal",
]

#: The dialect ASOF JOIN is written in: the one the warehouse capability ``asof_join`` is defined in.
ASOF_DIALECT = "duckdb"
#: Reserved column names; user columns may not start with ``__stackhub_``.
ROW = "__stackhub_row"
EVENT = "__stackhub_event_timestamp"
CREATED = "__stackhub_created_timestamp"
FRESH = "__stackhub_fresh"
_RANK = "__stackhub_rank"

Strategy = Literal["asof", "window"]


@dataclass(frozen=True)
class Source:
    """A view's source table as the SQL reads it."""

    table: str
    keys: tuple[str, ...]
    timestamp: str
    created: str | None
    features: tuple[str, ...]
    #: The features that break full ties (those of a type every engine can order), in the view's order.
    tiebreak: tuple[str, ...]


@dataclass(frozen=True)
class ViewJoin:
    """One view's part of a point-in-time join."""

    source: Source
    #: (feature, alias of its output column), in the requested order.
    wanted: tuple[tuple[str, str], ...]
    #: The uploaded entity timestamp column to compare with this view's timestamps (same time-zone flavor).
    entity_timestamp: str
    #: The uploaded column holding entity timestamp minus the view's ttl; None when the view has no ttl.
    lower_bound: str | None


def table(name: str) -> exp.Table:
    """A quoted table name, optionally qualified; ``InvalidInput`` for a malformed one."""
    table_sql(name, dialect=ASOF_DIALECT)  # raises InvalidInput with the rules a table name must follow
    name_part, *qualifiers = reversed(name.split("."))
    db, catalog = ([*qualifiers, None, None])[:2]
    return exp.table_(name_part, db=db, catalog=catalog, quoted=True)


def _col(name: str, alias: str | None = None) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)


def _as(expression: exp.Expr, alias: str) -> exp.Expr:
    return exp.alias_(expression, alias, quoted=True)


def _and(conditions: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*conditions) if len(conditions) > 1 else conditions[0]


def _desc(expression: exp.Expr) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=True, nulls_first=False)


def _scalar(expression: exp.Expr, entities: str) -> exp.Subquery:
    return exp.select(expression).from_(table(entities)).subquery()


def timestamp_literal(value: datetime, *, aware: bool) -> exp.Expr:
    """A timestamp constant for ``value``, a naive UTC datetime, typed with or without a time zone like the column
    it meets."""
    text = value.isoformat(sep=" ", timespec="microseconds")
    return exp.cast(exp.Literal.string(text + ("+00:00" if aware else "")), "TIMESTAMPTZ" if aware else "TIMESTAMP")


def _prefiltered(view: ViewJoin, entities: str, columns: Sequence[exp.Expr]) -> exp.Select:
    """The source rows any entity row could use: stamped in [min(lower bound), max(entity timestamp)]."""
    src = view.source
    stamp = _col(src.timestamp)
    conditions: list[exp.Expr] = [
        exp.LTE(this=stamp, expression=_scalar(exp.Max(this=_col(view.entity_timestamp)), entities))
    ]
    if view.lower_bound is not None:
        conditions.append(exp.GTE(this=stamp, expression=_scalar(exp.Min(this=_col(view.lower_bound)), entities)))
    return exp.select(*columns).from_(table(src.table)).where(_and(conditions))


def _order(timestamps: Sequence[str | None], tiebreak: Sequence[str], alias: str | None) -> list[exp.Ordered]:
    """Latest first: by each of ``timestamps`` (None: absent), then by the tie-breaking features."""
    return [_desc(_col(name, alias)) for name in (*timestamps, *tiebreak) if name is not None]


def _first(
    select: exp.Select, partition: Sequence[exp.Expr], order: Sequence[exp.Ordered], keep: Sequence[str]
) -> exp.Select:
    """The first row of each partition of ``select``, as its columns ``keep``."""
    ranked = select.select(
        _as(
            exp.Window(this=exp.RowNumber(), partition_by=list(partition), order=exp.Order(expressions=list(order))),
            _RANK,
        )
    )
    return (
        exp.select(*(_col(name, "r") for name in keep))
        .from_(ranked.subquery("r"))
        .where(exp.EQ(this=_col(_RANK, "r"), expression=exp.Literal.number(1)))
    )


def _view_source_columns(source: Source) -> list[str]:
    columns = [*source.keys, source.timestamp]
    if source.created is not None:
        columns.append(source.created)
    return [*dict.fromkeys([*columns, *source.features])]


def _window_view(view: ViewJoin, entities: str) -> exp.Select:
    """Per entity row, the one qualifying source row: join on keys and time range, rank, keep the first."""
    src = view.source
    feature_rows = _prefiltered(view, entities, [_col(c) for c in _view_source_columns(src)]).subquery("f")
    conditions: list[exp.Expr] = [exp.EQ(this=_col(k, "e"), expression=_col(k, "f")) for k in src.keys]
    conditions.append(exp.LTE(this=_col(src.timestamp, "f"), expression=_col(view.entity_timestamp, "e")))
    if view.lower_bound is not None:
        conditions.append(exp.GTE(this=_col(src.timestamp, "f"), expression=_col(view.lower_bound, "e")))
    candidates = (
        exp.select(_col(ROW, "e"), *(_as(_col(feature, "f"), alias) for feature, alias in view.wanted))
        .from_(table(entities).as_("e", quoted=True))
        .join(feature_rows, on=_and(conditions), join_type="inner")
    )
    return _first(
        candidates,
        [_col(ROW, "e")],
        _order((src.timestamp, src.created), src.tiebreak, "f"),
        [ROW, *(a for _, a in view.wanted)],
    )


def _asof_view(view: ViewJoin, entities: str) -> exp.Select:
    """Per entity row, the latest source row at or before its timestamp, by ASOF LEFT JOIN.

    ASOF JOIN picks any one row among those sharing the latest timestamp, so the source is first reduced to one
    row per key and timestamp, by the same order the window form ranks with. The ttl is checked after the join:
    when the latest row is too old, every other candidate is older still.
    """
    src = view.source
    columns = _view_source_columns(src)
    deduplicated = _first(
        _prefiltered(view, entities, [_col(c) for c in columns]),
        [*(_col(k) for k in src.keys), _col(src.timestamp)],
        _order((src.created,), src.tiebreak, None),
        columns,
    ).subquery("f")
    conditions: list[exp.Expr] = [exp.EQ(this=_col(k, "e"), expression=_col(k, "f")) for k in src.keys]
    conditions.append(exp.GTE(this=_col(view.entity_timestamp, "e"), expression=_col(src.timestamp, "f")))
    outputs: list[exp.Expr] = []
    for feature, alias in view.wanted:
        value: exp.Expr = _col(feature, "f")
        if view.lower_bound is not None:
            in_ttl = exp.GTE(this=_col(src.timestamp, "f"), expression=_col(view.lower_bound, "e"))
            value = exp.case().when(in_ttl, value)
        outputs.append(_as(value, alias))
    join = exp.Join(this=deduplicated, method="ASOF", side="LEFT", on=_and(conditions))
    return exp.select(_col(ROW, "e"), *outputs).from_(table(entities).as_("e", quoted=True)).join(join)


def point_in_time(entities: str, views: Sequence[ViewJoin], strategy: Strategy) -> exp.Select:
    """One statement: the uploaded entity rows' ``ROW`` and every wanted feature, one row per entity row, in order.

    Each view is solved in its own subquery keyed by ``ROW`` and joined back to the entity rows with a LEFT JOIN,
    so an entity row without a qualifying source row keeps its place with null features.
    """
    build = _asof_view if strategy == "asof" else _window_view
    select = exp.select(_col(ROW, "e")).from_(table(entities).as_("e", quoted=True))
    for index, view in enumerate(views):
        alias = f"v{index}"
        select = select.select(*(_col(a, alias) for _, a in view.wanted)).join(
            build(view, entities).subquery(alias),
            on=exp.EQ(this=_col(ROW, alias), expression=_col(ROW, "e")),
            join_type="left",
        )
    return select.order_by(_col(ROW, "e"))


def online_columns(source: Source) -> list[str]:
    created = [CREATED] if source.created is not None else []
    return [*source.keys, *source.features, EVENT, *created]


def empty_online(source: Source) -> exp.Select:
    """No rows, with the online table's columns typed like the source's."""
    columns = [*(_col(c) for c in (*source.keys, *source.features)), _as(_col(source.timestamp), EVENT)]
    if source.created is not None:
        columns.append(_as(_col(source.created), CREATED))
    return (
        exp.select(*columns)
        .from_(table(source.table))
        .where(exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0)))
    )


def latest_per_key(source: Source, online: str, fresh: exp.Expr | None) -> exp.Select:
    """The online table merged with the source rows that satisfy ``fresh`` (all when None): the latest row per
    entity key.

    ``FRESH`` is 1 for a row from the source and 0 for one already online; on a full tie the source's row wins,
    so re-materializing a window rewrites its rows. Rows with a null key are skipped: no lookup can find them.
    """
    keys_present = [exp.not_(exp.Is(this=_col(k), expression=exp.null())) for k in source.keys]
    new = [*(_col(c) for c in (*source.keys, *source.features)), _as(_col(source.timestamp), EVENT)]
    if source.created is not None:
        new.append(_as(_col(source.created), CREATED))
    new.append(_as(exp.Literal.number(1), FRESH))
    from_source = (
        exp.select(*new).from_(table(source.table)).where(_and([*([] if fresh is None else [fresh]), *keys_present]))
    )
    from_online = exp.select(*(_col(c) for c in online_columns(source)), _as(exp.Literal.number(0), FRESH)).from_(
        table(online)
    )
    columns = [*online_columns(source), FRESH]
    merged = exp.select(*(_col(c) for c in columns)).from_(
        exp.union(from_source, from_online, distinct=False).subquery("m")
    )
    created = CREATED if source.created is not None else None
    order = [*_order((EVENT, created), source.tiebreak, None), _desc(_col(FRESH))]
    return _first(merged, [_col(k) for k in source.keys], order, columns)


def online_lookup(entities: str, views: Sequence[tuple[Sequence[str], str, Sequence[tuple[str, str]]]]) -> exp.Select:
    """Per uploaded entity row, in order, the wanted features of each (join keys, online table, wanted) view.

    An online table holds one row per key, so the left joins keep exactly one row per entity row.
    """
    select = exp.select(_col(ROW, "e")).from_(table(entities).as_("e", quoted=True))
    for index, (keys, online, wanted) in enumerate(views):
        alias = f"o{index}"
        select = select.select(*(_as(_col(feature, alias), output) for feature, output in wanted)).join(
            table(online).as_(alias, quoted=True),
            on=_and([exp.EQ(this=_col(k, alias), expression=_col(k, "e")) for k in keys]),
            join_type="left",
        )
    return select.order_by(_col(ROW, "e"))
