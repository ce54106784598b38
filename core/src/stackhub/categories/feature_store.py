"""Feature store: entities and feature views over warehouse tables, point-in-time training sets, online lookup.

Shaped after Feast (``Entity``, ``FeatureView`` with ``ttl`` and ``created_timestamp_column``,
``get_historical_features(entity_df, features)``, ``materialize``, ``get_online_features``), with the
point-in-time semantics pinned down where Feast's own stores disagree with each other.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from ..models import SpecModel
from ..plugin import Component

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CAPABILITIES",
    "MODELS",
    "Entity",
    "Feature",
    "FeatureStore",
    "FeatureView",
    "MaterializeResult",
    "SupportsPush",
]

CAPABILITIES: dict[str, str] = {
    "push": "Feature rows can be written straight to the online store (SupportsPush).",
}


class Entity(SpecModel):
    """A thing features describe (a customer), identified by its join keys."""

    name: str
    join_keys: tuple[str, ...] = Field(min_length=1)
    description: str = ""


class Feature(SpecModel):
    """One feature column of a view's source table, with its Arrow type."""

    name: str
    dtype: str = Field(description="Arrow type as Arrow prints it, e.g. 'double', 'int64', 'string'.")


class FeatureView(SpecModel):
    """Features read from one source table, stamped by an event timestamp."""

    name: str
    entities: tuple[str, ...] = Field(min_length=1)
    source: str = Field(description="The source table, in the warehouse the feature store is configured with.")
    timestamp_field: str
    created_timestamp_field: str | None = Field(
        default=None, description="Breaks ties between rows with equal event timestamps: the latest wins."
    )
    features: tuple[Feature, ...] = Field(min_length=1)
    ttl: timedelta | None = Field(
        default=None, description="A row older than the entity timestamp by more than ttl is not used."
    )
    description: str = ""


class MaterializeResult(SpecModel):
    """What a materialization wrote to the online store."""

    feature_views: tuple[str, ...]
    start: datetime
    end: datetime
    rows_written: int


class FeatureStore(Component):
    """Registered features, served point-in-time correct for training and latest-value for inference.

    A feature is named ``"view:feature"``. Output columns are named after the feature, or
    ``"view__feature"`` with ``full_feature_names=True``.
    """

    category: ClassVar[str] = "feature_store"

    @abc.abstractmethod
    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        """Register entities and feature views, replacing earlier definitions of the same names.

        MUST be idempotent: applying the same definitions twice changes nothing.
        MUST raise ``InvalidInput`` when a feature view names an entity that is neither given nor registered.
        MUST raise ``NotFound`` when a feature view's source table does not exist.
        MUST raise ``InvalidInput`` when a feature view names a column its source table lacks.
        """

    @abc.abstractmethod
    def list_feature_views(self) -> list[FeatureView]:
        """Return every registered feature view, sorted by name, as it was applied."""

    @abc.abstractmethod
    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pa.Table:
        """Build a point-in-time-correct training set.

        ``entity_rows`` holds the join keys of the views' entities and ``timestamp_column``.
        MUST return exactly one row per entity row, duplicates included, with every entity row column
        followed by one column per requested feature, in the order requested.
        For each entity row and view, MUST use the source row with the latest event timestamp at or before
        the entity timestamp, and MUST NOT use a row stamped after it.
        MUST break ties between equal event timestamps by the latest created timestamp, when the view has one.
        MUST NOT use a row older than the entity timestamp minus the view's ttl, when the view has one.
        MUST return null features when no source row qualifies, keeping the entity row.
        MUST raise ``NotFound`` for a feature reference whose view or feature is not registered.
        MUST raise ``InvalidInput`` when ``entity_rows`` lacks a join key or the timestamp column.
        """

    @abc.abstractmethod
    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        """Load the latest value per entity key stamped in ``[start, end)`` into the online store.

        MUST make ``get_online_features`` return, per entity key, the latest materialized value.
        MUST raise ``NotFound`` for an unknown feature view name.
        """

    @abc.abstractmethod
    def get_online_features(
        self, entity_rows: pa.Table, features: Sequence[str], *, full_feature_names: bool = False
    ) -> pa.Table:
        """Look up the latest materialized feature values for entity keys.

        MUST return one row per entity row, in input order: the entity columns, then one column per feature.
        MUST return nulls for a key that was never materialized.
        MUST raise ``NotFound`` for a feature reference whose view or feature is not registered.
        """


class SupportsPush(abc.ABC):
    """Capability ``push``: write feature rows straight to the online store."""

    @abc.abstractmethod
    def push(self, feature_view: str, rows: pa.Table) -> int:
        """Write rows (the view's entity keys, timestamp and features) to the online store.

        MUST make a pushed value visible to ``get_online_features`` when it is newer than the stored one.
        """


MODELS = (Entity, Feature, FeatureView, MaterializeResult)
