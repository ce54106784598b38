"""Checks of what a caller hands a feature store plugin (definitions to apply, ``"view:feature"`` references,
entity rows and pushed rows as Arrow tables, a materialization window), and the registered definitions those are
resolved against, shared so that every feature store plugin refuses the same input with the same words. No Python
loop touches a row. Not imported by the hub itself, only by the plugins that use it.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Self

import pyarrow as pa

from ..errors import InvalidInput, NotFound
from .feature_store import Entity, FeatureView
from .warehouse import Warehouse

__all__ = [
    "RESERVED",
    "Definitions",
    "FeatureRequest",
    "as_utc",
    "check_definitions",
    "check_materialize",
    "check_table",
    "pushed_timestamps",
    "require_columns",
    "source_types",
]

#: Names the plugins' own columns start with; user columns may not.
RESERVED = "__stackhub_"


def as_utc(value: datetime) -> datetime:
    """A naive datetime is read as UTC, as naive timestamps are everywhere in the feature store."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def check_table(value: object, name: str = "entity_rows") -> pa.Table:
    """``value`` itself when it is a ``pyarrow.Table`` without columns named like the plugin's own."""
    if not isinstance(value, pa.Table):
        raise InvalidInput(
            f"{name} must be a pyarrow Table, not {type(value).__name__}.",
            fix="Convert it first, e.g. pyarrow.Table.from_pandas(df) or pyarrow.table({...}).",
        )
    reserved = [column for column in value.column_names if column.startswith(RESERVED)]
    if reserved:
        raise InvalidInput(
            f"{name} has columns {reserved} whose names start with {RESERVED!r}, which the feature store "
            "reserves for its own columns.",
            fix="Rename them.",
        )
    return value


def require_columns(table: pa.Table, columns: Sequence[str], what: str, name: str = "entity_rows") -> None:
    """``InvalidInput`` naming the ``columns`` that ``table`` lacks, if any (``what`` says what they are)."""
    missing = [c for c in dict.fromkeys(columns) if c not in table.column_names]
    if missing:
        raise InvalidInput(
            f"{name} lacks {what}: {', '.join(repr(c) for c in missing)}.",
            fix=f"Add them; its columns are: {', '.join(repr(c) for c in table.column_names)}.",
        )


def check_materialize(start: object, end: object, feature_views: object) -> tuple[datetime, datetime]:
    """The arguments of ``materialize``, checked; returns the window ``[start, end)`` as naive UTC datetimes."""
    if not (isinstance(start, datetime) and isinstance(end, datetime)):
        raise InvalidInput("start and end must be datetimes.", fix="Pass e.g. datetime(2026, 1, 1, tzinfo=UTC).")
    if as_utc(start) > as_utc(end):
        raise InvalidInput(f"start ({start}) is after end ({end}).", fix="Swap them.")
    if isinstance(feature_views, str):
        raise InvalidInput("feature_views must be a list of view names.", fix=f"Pass [{feature_views!r}].")
    return as_utc(start), as_utc(end)


def pushed_timestamps(rows: pa.Table, view: FeatureView, keys: Sequence[str]) -> dict[str, pa.ChunkedArray]:
    """Check that pushed ``rows`` hold the view's join keys ``keys``, event timestamp and features, and return
    its timestamp columns by name: the event timestamps, then (for a view with one) the created timestamps, all
    null where ``rows`` lacks them."""
    features = [f.name for f in view.features]
    require_columns(rows, [*keys, view.timestamp_field, *features], "columns of the view", "rows")
    stamps = {view.timestamp_field: rows.column(view.timestamp_field)}
    created = view.created_timestamp_field
    if created is not None:
        given = created in rows.column_names
        stamps[created] = rows.column(created) if given else pa.chunked_array([pa.nulls(len(rows), pa.timestamp("us"))])
    for name, column in stamps.items():
        if not pa.types.is_timestamp(column.type):
            raise InvalidInput(f"Column {name!r} of rows is {column.type}, not a timestamp.", fix="Cast it.")
    return stamps


def check_definitions(entities: Sequence[Entity], views: Sequence[FeatureView]) -> None:
    """What ``apply`` can reject without looking at the registry or the warehouse."""
    for value, model in [*((e, Entity) for e in entities), *((v, FeatureView) for v in views)]:
        if not isinstance(value, model):
            raise InvalidInput(
                f"apply() takes {model.__name__} models, got {type(value).__name__}.",
                fix=f"Build it with stackhub.categories.feature_store.{model.__name__}(...).",
            )
    for what, names in (("entities", [e.name for e in entities]), ("feature views", [v.name for v in views])):
        repeated = _repeated(names)
        if repeated:
            raise InvalidInput(f"apply() got several {what} named {repeated}.", fix="Pass each definition once.")
    for entity in entities:
        _check_names(f"Entity {entity.name!r}", "join keys", entity.join_keys)
    for view in views:
        if ":" in view.name:
            raise InvalidInput(
                f"Feature view name {view.name!r} contains ':', which separates view and feature in references.",
                fix="Rename the view without ':'.",
            )
        if view.ttl is not None and view.ttl < timedelta(0):
            raise InvalidInput(f"Feature view {view.name!r} has a negative ttl ({view.ttl}).", fix="Use a ttl >= 0.")
        features = [f.name for f in view.features]
        repeated = _repeated(features)
        if repeated:
            raise InvalidInput(f"Feature view {view.name!r} lists features {repeated} twice.", fix="List each once.")
        _check_names(f"Feature view {view.name!r}", "features", features)


def source_types(warehouse: Warehouse, view: FeatureView, keys: Sequence[str]) -> dict[str, str]:
    """Check ``view`` (whose join keys are ``keys``) against its source table as it is now, and return the Arrow
    types, as ``describe_table`` names them, of the columns the view reads: keys, timestamps, then features.

    ``NotFound`` when the table does not exist; ``InvalidInput`` when it lacks a column the view names, or a
    timestamp column is not a timestamp.
    """
    try:
        schema = warehouse.describe_table(view.source)
    except NotFound:
        raise NotFound(
            f"Feature view {view.name!r} reads source table {view.source!r}, which does not exist in the warehouse.",
            fix="Write the table first, or correct the view's 'source'.",
        ) from None
    types = {f.name: f.type for f in schema.fields}
    roles = {key: "join key" for key in keys}
    roles[view.timestamp_field] = "timestamp_field"
    if view.created_timestamp_field is not None:
        roles[view.created_timestamp_field] = "created_timestamp_field"
    roles.update({f.name: "feature" for f in view.features if f.name not in roles})
    missing = [f"{role} {column!r}" for column, role in roles.items() if column not in types]
    if missing:
        raise InvalidInput(
            f"Feature view {view.name!r} names columns that its source table {view.source!r} lacks: "
            f"{', '.join(missing)}.",
            fix=f"The table's columns are: {', '.join(repr(c) for c in types)}.",
        )
    for column in (view.timestamp_field, view.created_timestamp_field):
        if column is not None and not types[column].startswith("timestamp"):
            raise InvalidInput(
                f"Column {column!r} of source table {view.source!r}, a timestamp of feature view {view.name!r}, "
                f"is {types[column]}, not a timestamp.",
                fix="Cast it to a timestamp in the source table (a view or a new table).",
            )
    return {column: types[column] for column in roles}


@dataclasses.dataclass(frozen=True)
class Definitions:
    """The registered entities and feature views, by name.

    A plugin that keeps more per definition subclasses it with more fields; ``merged`` keeps them.
    """

    entities: dict[str, Entity]
    views: dict[str, FeatureView]

    def join_keys(self, view: FeatureView) -> tuple[str, ...]:
        """The view's join keys: those of its entities, in order, each once."""
        return tuple(dict.fromkeys(key for name in view.entities for key in self.entities[name].join_keys))

    def view(self, name: str) -> FeatureView:
        found = self.views.get(name)
        if found is None:
            raise NotFound(f"Feature view {name!r} is not registered.", fix=_suggest(name, self.views, "apply() it"))
        return found

    def named(self, names: Sequence[str] | None) -> list[FeatureView]:
        """The views of ``names``, each once, in order; every registered view, sorted by name, for None."""
        wanted = sorted(self.views) if names is None else list(dict.fromkeys(names))
        return [self.view(name) for name in wanted]

    def resolve(self, features: Iterable[str]) -> list[tuple[FeatureView, str]]:
        """``"view:feature"`` references as (view, feature), in order; ``NotFound`` for unregistered ones."""
        resolved = []
        for reference in features:
            if not isinstance(reference, str) or ":" not in reference:
                raise InvalidInput(
                    f"Feature reference {reference!r} is not of the form 'view:feature'.",
                    fix="Name each feature as '<feature view>:<feature>', e.g. 'driver_stats:trips'.",
                )
            view_name, _, feature = reference.partition(":")
            view = self.view(view_name)
            names = [f.name for f in view.features]
            if feature not in names:
                raise NotFound(
                    f"Feature view {view_name!r} has no feature {feature!r}.",
                    fix=_suggest(feature, names, f"use one of {', '.join(repr(n) for n in names)}"),
                )
            resolved.append((view, feature))
        return resolved

    def merged(self, entities: Sequence[Entity], views: Sequence[FeatureView]) -> Self:
        """These definitions with ``entities`` and ``views`` applied over them, replacing those of the same names;
        ``InvalidInput`` when a view names an entity that is neither given nor registered."""
        merged = dataclasses.replace(
            self,
            entities={**self.entities, **{e.name: e for e in entities}},
            views={**self.views, **{v.name: v for v in views}},
        )
        for view in views:
            unknown = [name for name in view.entities if name not in merged.entities]
            if unknown:
                raise InvalidInput(
                    f"Feature view {view.name!r} names entities that are neither given nor registered: {unknown}.",
                    fix="Pass those entities to the same apply() call, or apply them first.",
                )
        return merged

    def changed(self, entities: Sequence[Entity]) -> set[str]:
        """The names of ``entities`` that are new or differ from the registered ones."""
        return {e.name for e in entities if self.entities.get(e.name) != e}

    def affected(self, entities: Sequence[Entity], views: Sequence[FeatureView]) -> list[FeatureView]:
        """The registered views, other than ``views``, that use an entity which applying ``entities`` changes:
        ``apply`` checks them again (their join keys may have changed)."""
        changed = self.changed(entities)
        given = {v.name for v in views}
        return [v for v in self.views.values() if v.name not in given and changed.intersection(v.entities)]


class FeatureRequest:
    """The features one call asks for, as ``"view:feature"`` references, resolved and grouped by view, with the
    names of their output columns checked.
    """

    def __init__(self, definitions: Definitions, features: Sequence[str], *, full_feature_names: bool) -> None:
        if isinstance(features, str) or not features:
            raise InvalidInput(
                "features must be a non-empty list of 'view:feature' references.",
                fix="Pass e.g. ['driver_stats:trips'].",
            )
        resolved = definitions.resolve(features)
        duplicates = _repeated(features)
        if duplicates:
            raise InvalidInput(f"Features {duplicates} are requested more than once.", fix="Request each once.")
        #: The references, in the order requested.
        self.references = [f"{view.name}:{feature}" for view, feature in resolved]
        #: The name of each feature's output column, in the order requested.
        self.outputs = [f"{view.name}__{feature}" if full_feature_names else feature for view, feature in resolved]
        clashing = _repeated(self.outputs)
        if clashing:
            raise InvalidInput(
                f"Features of different views would all be output as {clashing}.",
                fix="Pass full_feature_names=True to name them 'view__feature'.",
            )
        #: view name -> (view, join keys, [feature]), in order of first request.
        self.views: dict[str, tuple[FeatureView, tuple[str, ...], list[str]]] = {}
        for view, feature in resolved:
            self.views.setdefault(view.name, (view, definitions.join_keys(view), []))[2].append(feature)

    @property
    def keys(self) -> list[str]:
        """The join keys of every view requested, each once."""
        return list(dict.fromkeys(key for _, keys, _ in self.views.values() for key in keys))

    def check_entity_rows(self, entity_rows: pa.Table, timestamp_column: str | None = None) -> None:
        """``InvalidInput`` unless ``entity_rows`` holds every join key (and ``timestamp_column``, a timestamp,
        when given) and no column named like an output column."""
        if timestamp_column is None:
            require_columns(entity_rows, self.keys, "join keys")
        else:
            require_columns(entity_rows, [*self.keys, timestamp_column], "join keys or the timestamp column")
        clashing = [name for name in self.outputs if name in entity_rows.column_names]
        if clashing:
            raise InvalidInput(
                f"Features {clashing} would be output under the names of entity_rows columns.",
                fix="Pass full_feature_names=True, or rename those entity_rows columns.",
            )
        if timestamp_column is not None:
            stamps = entity_rows.column(timestamp_column)
            if not pa.types.is_timestamp(stamps.type):
                raise InvalidInput(
                    f"Column {timestamp_column!r} of entity_rows is {stamps.type}, not a timestamp.",
                    fix="Cast it to a timestamp (naive timestamps are read as UTC).",
                )

    def table(self, entity_rows: pa.Table, features: Sequence[pa.ChunkedArray | pa.Array]) -> pa.Table:
        """The caller's entity columns, untouched, followed by ``features`` (one column per reference, in the order
        requested) under their output names."""
        return pa.Table.from_arrays([*entity_rows.columns, *features], names=[*entity_rows.column_names, *self.outputs])


def _repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted."""
    return sorted(name for name, count in Counter(names).items() if count > 1)


def _check_names(owner: str, what: str, names: Sequence[str]) -> None:
    reserved = [n for n in names if n.startswith(RESERVED)]
    if reserved:
        raise InvalidInput(
            f"{owner} has {what} {reserved} starting with {RESERVED!r}, which the feature store reserves.",
            fix="Rename those columns in the source table.",
        )


def _suggest(name: str, known: Iterable[str], otherwise: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"Did you mean {close[0]!r}?" if close else f"Check the name, or {otherwise}."
