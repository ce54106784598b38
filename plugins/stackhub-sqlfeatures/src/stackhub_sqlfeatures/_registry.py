"""The registry: entity and feature view definitions kept as a table in the warehouse, next to the data.

One row per definition (``kind``, ``name``, ``definition`` as the model's JSON), so any SQL client can read what
is registered, and a copy of the warehouse carries its feature definitions with it. The table is rewritten whole
with ``write(mode="overwrite")``, which the warehouse spec makes atomic: a failed apply leaves it as it was.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp
from stackhub import InvalidInput, NotFound, Warehouse
from stackhub.categories.feature_store import Entity, FeatureView

from . import _sql

__all__ = ["Definitions", "Registry", "SourceColumns", "online_table", "scratch_table", "source_columns"]

_SCHEMA = pa.schema([("kind", pa.string()), ("name", pa.string()), ("definition", pa.string())])
#: Arrow type names (as ``describe_table`` prints them) whose values every SQL engine can order.
_ORDERABLE = re.compile(
    r"(u?int\d+|halffloat|float|double|decimal|(large_)?string|string_view|bool|timestamp|date|time|duration|(large_)?binary)\b"
)
_NUMBER = re.compile(r"(u?int\d+|halffloat|float|double|decimal\d*)\b")
_TEXT = re.compile(r"(large_)?string|string_view")


def scratch_table(prefix: str) -> str:
    """A table name no other call uses, for data the feature store uploads and drops again."""
    return f"{prefix}_tmp_{secrets.token_hex(6)}"


def online_table(prefix: str, view: FeatureView, keys: Sequence[str]) -> str:
    """The online table of a view's current definition.

    The name ends in a fingerprint of what the table's layout and contents depend on (source, keys, timestamps,
    features), so a changed definition never reads values materialized for the old one: its table is new and
    empty. The slug of the view's name keeps the table recognisable in the warehouse.
    """
    layout = view.model_dump_json(exclude={"description", "ttl"}) + repr(tuple(keys))
    fingerprint = hashlib.sha256(layout.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9_]", "_", view.name.lower())[:24]
    return f"{prefix}_online_{slug}_{fingerprint}"


def kind(arrow_type: str) -> str:
    """What a join compares: numbers with numbers, text with text, anything else only with its own type."""
    if _NUMBER.match(arrow_type):
        return "number"
    if _TEXT.fullmatch(arrow_type):
        return "string"
    return arrow_type


@dataclass(frozen=True)
class SourceColumns:
    """The columns of a view's source table that the feature store reads, with their Arrow types."""

    types: dict[str, str]

    def aware(self, column: str) -> bool:
        """Whether a timestamp column carries a time zone (compared with UTC-aware entity timestamps)."""
        return "tz=" in self.types[column]

    def orderable(self, column: str) -> bool:
        return bool(_ORDERABLE.match(self.types[column]))


def source_columns(warehouse: Warehouse, view: FeatureView, keys: Sequence[str]) -> SourceColumns:
    """Check a view against its source table as it is now, and return the types of the columns it reads.

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
    named = {key: "join key" for key in keys}
    named[view.timestamp_field] = "timestamp_field"
    if view.created_timestamp_field is not None:
        named[view.created_timestamp_field] = "created_timestamp_field"
    named.update({f.name: "feature" for f in view.features if f.name not in named})
    missing = [f"{role} {column!r}" for column, role in named.items() if column not in types]
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
    return SourceColumns({column: types[column] for column in named})


@dataclass(frozen=True)
class Definitions:
    """The registered entities and feature views, by name."""

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


def _suggest(name: str, known: Iterable[str], otherwise: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"Did you mean {close[0]!r}?" if close else f"Check the name, or {otherwise}."


class Registry:
    """Reads and writes the registry table ``<prefix>_registry``."""

    def __init__(self, warehouse: Warehouse, prefix: str) -> None:
        self._warehouse = warehouse
        self.table = f"{prefix}_registry"

    def load(self) -> Definitions:
        statement = (
            exp.select("kind", "name", "definition")
            .from_(_sql.table(self.table))
            .sql(dialect=self._warehouse.dialect, identify=True)
        )
        try:
            rows = self._warehouse.query(statement, dialect=self._warehouse.dialect).to_pydict()
        except NotFound:
            return Definitions({}, {})  # nothing applied yet
        entities, views = {}, {}
        for kind_, name, definition in zip(rows["kind"], rows["name"], rows["definition"], strict=True):
            if kind_ == "entity":
                entities[name] = Entity.model_validate_json(definition)
            else:
                views[name] = FeatureView.model_validate_json(definition)
        return Definitions(entities, views)

    def save(self, definitions: Definitions) -> None:
        rows = [("entity", e.name, e.model_dump_json()) for e in definitions.entities.values()]
        rows += [("feature_view", v.name, v.model_dump_json()) for v in definitions.views.values()]
        rows.sort()
        columns = list(zip(*rows, strict=True)) if rows else [(), (), ()]
        self._warehouse.write(self.table, pa.table(columns, schema=_SCHEMA), mode="overwrite")
