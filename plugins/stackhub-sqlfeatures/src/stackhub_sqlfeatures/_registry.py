"""The registry: entity and feature view definitions kept as a table in the warehouse, next to the data.

One row per definition (``kind``, ``name``, ``definition`` as the model's JSON), so any SQL client can read what
is registered, and a copy of the warehouse carries its feature definitions with it. The table is rewritten whole
with ``write(mode="overwrite")``, which the warehouse spec makes atomic: a failed apply leaves it as it was.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp
from stackhub import NotFound, Warehouse
from stackhub.categories.feature_store import Entity, FeatureView
from stackhub.categories.feature_store_input import Definitions, source_types

from . import _sql

__all__ = ["Registry", "SourceColumns", "online_table", "scratch_table", "source_columns"]

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
    """The columns a view reads from its source table as it is now, checked by ``source_types``."""
    return SourceColumns(source_types(warehouse, view, keys))


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
