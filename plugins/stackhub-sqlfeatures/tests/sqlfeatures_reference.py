"""A brute-force point-in-time join in plain Python: the spec's sentences, row by row, for small test data.

It shares no code with the plugin. Each entity row scans every source row of the view, keeps those with equal
keys (a null key matches nothing), stamped at or before the entity timestamp and, with a ttl, not older than the
entity timestamp minus the ttl, and takes the greatest by (event timestamp, created timestamp, then the view's
features in order), a null being smaller than any value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from stackhub.categories.feature_store import FeatureView


def _utc(value: datetime) -> datetime:
    """Naive timestamps are UTC, as in the feature store."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _rank(row: dict[str, Any], view: FeatureView) -> tuple[tuple[int, Any], ...]:
    columns = [view.timestamp_field]
    if view.created_timestamp_field is not None:
        columns.append(view.created_timestamp_field)
    columns += [f.name for f in view.features]
    return tuple(
        (0, 0) if row[c] is None else (1, _utc(row[c]) if isinstance(row[c], datetime) else row[c]) for c in columns
    )


def latest_row(
    view: FeatureView, keys: Sequence[str], source: list[dict[str, Any]], entity: dict[str, Any], timestamp_column: str
) -> dict[str, Any] | None:
    """The source row the spec says the entity row gets, or None."""
    if entity[timestamp_column] is None or any(entity[k] is None for k in keys):
        return None
    at = _utc(entity[timestamp_column])
    best = None
    for row in source:
        if row[view.timestamp_field] is None or any(row[k] != entity[k] for k in keys):
            continue
        stamp = _utc(row[view.timestamp_field])
        if stamp > at:
            continue
        if view.ttl is not None and stamp < at - view.ttl:
            continue
        if best is None or _rank(row, view) > _rank(best, view):
            best = row
    return best


def point_in_time(
    entity_rows: pa.Table,
    views: Mapping[str, tuple[FeatureView, Sequence[str], pa.Table]],
    features: Sequence[str],
    *,
    timestamp_column: str = "event_timestamp",
    full_feature_names: bool = False,
) -> pa.Table:
    """The expected training set: the entity columns, then one column per feature reference."""
    entities = entity_rows.to_pylist()
    columns = {name: entity_rows.column(name) for name in entity_rows.column_names}
    for reference in features:
        view_name, _, feature = reference.partition(":")
        view, keys, source = views[view_name]
        rows = source.to_pylist()
        values = []
        for entity in entities:
            found = latest_row(view, keys, rows, entity, timestamp_column)
            values.append(None if found is None else found[feature])
        name = f"{view_name}__{feature}" if full_feature_names else feature
        columns[name] = pa.array(values, type=source.schema.field(feature).type)
    return pa.table(columns)


def latest_per_key(
    view: FeatureView, keys: Sequence[str], source: pa.Table, start: datetime, end: datetime
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """What materialize() of [start, end) loads: per key, the greatest row stamped in the window."""
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in source.to_pylist():
        key = tuple(row[k] for k in keys)
        if row[view.timestamp_field] is None or None in key:
            continue
        if not _utc(start) <= _utc(row[view.timestamp_field]) < _utc(end):
            continue
        if key not in latest or _rank(row, view) > _rank(latest[key], view):
            latest[key] = row
    return latest
