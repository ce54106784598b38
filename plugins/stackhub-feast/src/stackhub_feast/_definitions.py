"""Hub definitions in the Feast registry, and the Feast objects built from them.

Each hub ``Entity`` becomes one Feast ``Entity`` per join key (Feast entities have exactly one); each hub
``FeatureView`` becomes a Feast ``FeatureView`` over a ``FileSource`` (its snapshot file, see ``_export``). Both
carry the hub definition as JSON in a tag, so the Feast registry is the only store of definitions and
``list_feature_views`` returns exactly what was applied, while Feast's own tools (``feast`` CLI, UI) see ordinary
Feast objects.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from feast import Entity as FeastEntity
from feast import FeatureView as FeastView
from feast import Field, FileSource
from feast.data_format import ParquetFormat
from feast.types import UnixTimestamp
from stackhub.categories import feature_store_input
from stackhub.categories.feature_store import Entity, FeatureView

from ._export import HIDDEN_TS, has_hidden_timestamp, source_path
from ._types import arrow_type, feast_type

__all__ = ["ENTITY_TAG", "KEY_TYPES_TAG", "VIEW_TAG", "Definitions", "feast_entities", "feast_view", "feature_types"]

#: Tags of the Feast objects that hold the hub definitions.
ENTITY_TAG = "stackhub.entity"
VIEW_TAG = "stackhub.feature_view"
#: The Arrow types of a view's join keys in its source when it was applied (for online lookups).
KEY_TYPES_TAG = "stackhub.key_types"


def feast_entity_name(entity: Entity, key: str) -> str:
    """The Feast entity of one join key of a hub entity: the hub name itself when it has one key."""
    return entity.name if len(entity.join_keys) == 1 else f"{entity.name}__{key}"


def feast_entities(entity: Entity, key_types: Mapping[str, pa.DataType] | None = None) -> list[FeastEntity]:
    """The Feast entities of a hub entity; with ``key_types`` (known once a view over a source uses it) typed."""
    made = []
    for key in entity.join_keys:
        known = (key_types or {}).get(key)
        value_type = None if known is None else feast_type(known, f"Join key {key!r}").to_value_type()
        with warnings.catch_warnings():
            # Feast warns that value_type will be mandatory; it infers it from the views that use the entity.
            warnings.simplefilter("ignore", DeprecationWarning)
            made.append(
                FeastEntity(
                    name=feast_entity_name(entity, key),
                    join_keys=[key],
                    description=entity.description,
                    tags={ENTITY_TAG: entity.model_dump_json()},
                    value_type=value_type,
                )
            )
    return made


def feature_types(view: FeatureView) -> dict[str, pa.DataType]:
    """Each feature's declared Arrow type; ``InvalidInput`` for a type the plugin cannot map onto Feast."""
    types = {}
    for feature in view.features:
        what = f"Feature {feature.name!r} of feature view {view.name!r}"
        types[feature.name] = arrow_type(feature.dtype, what)
        feast_type(types[feature.name], what)
    return types


def feast_view(
    view: FeatureView, entities: Sequence[Entity], key_types: dict[str, pa.DataType], repo: Path
) -> FeastView:
    """The Feast view of a hub view whose entities are ``entities`` and whose source keys have ``key_types``."""
    keys = list(key_types)
    schema = [Field(name=key, dtype=feast_type(key_types[key], f"Join key {key!r}")) for key in keys]
    schema += [Field(name=name, dtype=feast_type(t, name)) for name, t in feature_types(view).items()]
    if has_hidden_timestamp(view):
        schema.append(Field(name=HIDDEN_TS, dtype=UnixTimestamp))
    source = FileSource(
        name=f"{view.name}__source",
        path=str(source_path(repo, view.name)),
        file_format=ParquetFormat(),
        timestamp_field=view.timestamp_field,
        created_timestamp_column=view.created_timestamp_field or "",
        description=f"Snapshot of warehouse table {view.source!r}, written by stackhub before each read.",
    )
    # A view's Feast entities: one per join key, each key once (two hub entities may share a key).
    by_key = {
        key: (e, made)
        for e in reversed(entities)
        for key, made in zip(e.join_keys, feast_entities(e, key_types), strict=True)
    }
    return FeastView(
        name=view.name,
        entities=[made for key, (_, made) in by_key.items() if key in keys],
        # Feast reads a ttl of 0 as "no ttl"; a hub ttl of 0 is enforced by the plugin (see HIDDEN_TS).
        ttl=view.ttl if view.ttl else timedelta(0),
        schema=schema,
        source=source,
        online=True,
        description=view.description,
        tags={VIEW_TAG: view.model_dump_json(), KEY_TYPES_TAG: json.dumps({k: str(t) for k, t in key_types.items()})},
    )


@dataclass(frozen=True)
class Definitions(feature_store_input.Definitions):
    """The hub entities and feature views registered in the Feast project, by name, with the Arrow types of each
    view's join keys in its source when it was applied."""

    key_types: dict[str, dict[str, pa.DataType]]

    @classmethod
    def from_feast(cls, entities: Iterable[FeastEntity], views: Iterable[FeastView]) -> Definitions:
        hub_entities = {}
        for entity in entities:
            if ENTITY_TAG in entity.tags:
                parsed = Entity.model_validate_json(entity.tags[ENTITY_TAG])
                hub_entities[parsed.name] = parsed
        hub_views, key_types = {}, {}
        for view in views:
            if VIEW_TAG in view.tags:
                parsed_view = FeatureView.model_validate_json(view.tags[VIEW_TAG])
                hub_views[parsed_view.name] = parsed_view
                stored = json.loads(view.tags.get(KEY_TYPES_TAG, "{}"))
                key_types[parsed_view.name] = {k: arrow_type(t, f"Join key {k!r}") for k, t in stored.items()}
        return cls(hub_entities, hub_views, key_types)
