"""Deliberately broken feature stores: each is the real warehouse-native feature store (sqlfeatures, on a real
DuckDB warehouse) with ONE behaviour broken (see ``broken``)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from broken import registry
from stackhub import Component, InvalidInput, NotFound
from stackhub.categories.feature_store import Entity, FeatureView, MaterializeResult
from stackhub.categories.feature_store_input import Definitions
from stackhub.sql import table_sql
from stackhub_conformance.feature_store import FeatureStoreSuite
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqlfeatures import _sql
from stackhub_sqlfeatures import plugin as sqlfeatures_plugin
from stackhub_sqlfeatures._registry import Registry, SourceColumns, online_table, scratch_table
from stackhub_sqlfeatures._store import SQLFeatureStore


class Harness(FeatureStoreSuite):
    """The suite with the fixtures the real plugin needs (a DuckDB warehouse); each broken store subclasses it."""

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"warehouse": "warehouse"}

    @pytest.fixture
    def component_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": str(tmp_path / "features.duckdb")}) as warehouse:
            yield {"warehouse": warehouse}

    @pytest.fixture
    def unreachable_dependencies(self, tmp_path: Path) -> Iterator[dict[str, Component]]:
        with duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as warehouse:
            yield {"warehouse": warehouse}


BROKEN, broken = registry(sqlfeatures_plugin)

#: A microsecond, the resolution of the suite's timestamps.
TICK = timedelta(microseconds=1)


def _register_unchecked(store: SQLFeatureStore, entities: Sequence[Entity], views: Sequence[FeatureView]) -> None:
    """Save the definitions into the registry as given, with none of apply()'s checks."""
    current = store._registry.load()
    store._registry.save(
        Definitions(
            {**current.entities, **{e.name: e for e in entities}}, {**current.views, **{v.name: v for v in views}}
        )
    )


def _join_keys(store: SQLFeatureStore, features: Sequence[str]) -> list[str]:
    """The join keys of the views that ``features`` reference."""
    definitions = store._registry.load()
    views = [definitions.view(reference.partition(":")[0]) for reference in features]
    return list(dict.fromkeys(key for view in views for key in definitions.join_keys(view)))


def _restamped(entity_rows: pa.Table, column: str, change: Callable[[pa.ChunkedArray], pa.ChunkedArray]) -> pa.Table:
    index = entity_rows.column_names.index(column)
    return entity_rows.set_column(index, column, change(entity_rows.column(column)))


class _ReadAs:
    """The store's registry, with every view it loads changed by ``change``."""

    def __init__(self, registry: Registry, change: Callable[[FeatureView], FeatureView]) -> None:
        self.registry, self.change = registry, change

    def load(self) -> Definitions:
        found = self.registry.load()
        return Definitions(found.entities, {name: self.change(view) for name, view in found.views.items()})


@contextlib.contextmanager
def _views_read_as(store: SQLFeatureStore, change: Callable[[FeatureView], FeatureView]) -> Iterator[None]:
    registry = store._registry
    store._registry = _ReadAs(registry, change)  # type: ignore[assignment]
    try:
        yield
    finally:
        store._registry = registry


# -- apply and list_feature_views -------------------------------------------------------------------------


@broken(
    "test_apply_twice_changes_nothing",
    reason=r"Applying the same definitions again changed .*\{'trips': \[None, None\], 'rating': \[None, None\]\}\)",
)
class ReapplyEmptiesOnlineStore(SQLFeatureStore):
    """Every apply() recreates the online tables of the views it is given, empty."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        super().apply(entities, feature_views)
        definitions = self._registry.load()
        for view in feature_views:
            table = online_table(self.config.table_prefix, view, definitions.join_keys(view))
            self.warehouse.drop_table(table, missing_ok=True)


@broken(
    "test_apply_replaces_an_earlier_definition",
    # The listed view has both features and no ttl; the one applied last has only 'trips', and a ttl.
    reason=r"At index 0 diff: FeatureView\(.*Feature\(name='rating'.*ttl=None.*\) != FeatureView\(.*"
    r"features=\(Feature\(name='trips', dtype='int64'\),\), ttl=",
)
class ApplyKeepsEarlierDefinitions(SQLFeatureStore):
    """apply() registers a view only under a name not registered yet: a changed definition is ignored."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        registered = self._registry.load().views
        super().apply(entities, [v for v in feature_views if v.name not in registered])


@broken("test_apply_rejects_a_view_of_an_unknown_entity", reason="DID NOT RAISE")
class AcceptsUnknownEntities(SQLFeatureStore):
    """apply() registers a view whose entities are neither given nor registered."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        try:
            super().apply(entities, feature_views)
        except InvalidInput as exc:
            if "neither given nor registered" not in exc.message:
                raise
            _register_unchecked(self, entities, feature_views)


@broken("test_apply_accepts_an_entity_registered_earlier", reason="names entities not given in this call")
class ForgetsEarlierEntities(SQLFeatureStore):
    """apply() resolves a view's entities among those given in the same call only."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        given = {e.name for e in entities}
        for view in feature_views:
            unknown = [name for name in view.entities if name not in given]
            if unknown:
                raise InvalidInput(f"Feature view {view.name!r} names entities not given in this call: {unknown}.")
        super().apply(entities, feature_views)


@broken("test_apply_raises_not_found_for_a_missing_source", reason="DID NOT RAISE")
class AcceptsMissingSources(SQLFeatureStore):
    """apply() registers a view whose source table does not exist (it would fail on first read)."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        try:
            super().apply(entities, feature_views)
        except NotFound:
            _register_unchecked(self, entities, feature_views)


@broken(
    "test_apply_rejects_a_column_the_source_lacks[timestamp_field]",
    "test_apply_rejects_a_column_the_source_lacks[created_timestamp_field]",
    "test_apply_rejects_a_column_the_source_lacks[feature]",
    "test_apply_rejects_a_column_the_source_lacks[join_key]",
    reason="DID NOT RAISE",
)
class AcceptsMissingColumns(SQLFeatureStore):
    """apply() registers a view that names columns its source table lacks."""

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        try:
            super().apply(entities, feature_views)
        except InvalidInput as exc:
            if "lacks" not in exc.message:
                raise
            _register_unchecked(self, entities, feature_views)


@broken("test_list_feature_views_sorted_as_applied", reason="not sorted by name")
class UnsortedViewListing(SQLFeatureStore):
    """list_feature_views() returns the views in reverse order of their names."""

    def list_feature_views(self) -> list[FeatureView]:
        return list(reversed(super().list_feature_views()))


# -- get_historical_features ------------------------------------------------------------------------------


@broken(
    "test_training_set_has_one_row_per_entity_row_and_the_requested_columns",
    # Requested: first:rating, second:trips, first:trips; sorted, the first view's two features are side by side.
    reason=r"Columns: \[.*'(stackhub_ct_view_\w+)__rating', '\1__trips'",
)
class FeaturesSortedByName(SQLFeatureStore):
    """The feature columns of a training set come sorted by name, not in the order requested."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        result = super().get_historical_features(entity_rows, features, **options)
        return result.select([*entity_rows.column_names, *sorted(result.column_names[entity_rows.num_columns :])])


@broken(
    "test_duplicate_entity_rows_are_all_kept",
    # Driver 1 at minute 20 is asked for three times.
    reason=r"Rows \(driver, timestamp, trips\) of the training set: \{\(1, datetime\.datetime\(2026, 1, 1, 0, 20\), 100\): 1,",
)
class DeduplicatesEntityRows(SQLFeatureStore):
    """A training set has one row per distinct entity row: duplicates are merged."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        distinct = entity_rows.group_by(entity_rows.column_names, use_threads=False).aggregate([])
        return super().get_historical_features(distinct, features, **options)


@broken(
    "test_a_row_stamped_after_the_entity_timestamp_is_never_used",
    reason=r"\{'trips': \[999, 999, 200, 100, 999\]\} != \{'trips': \[200, 200, 100, None, 999\]\}",
)
class LeaksFutureRows(SQLFeatureStore):
    """Entity timestamps are rounded up to the minute, so a row stamped later in that minute is used."""

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        **options: Any,
    ) -> pa.Table:
        rounded = _restamped(entity_rows, timestamp_column, lambda t: pc.ceil_temporal(t, unit="minute"))
        result = super().get_historical_features(rounded, features, timestamp_column=timestamp_column, **options)
        return _restamped(result, timestamp_column, lambda _: entity_rows.column(timestamp_column))


@broken(
    "test_a_row_stamped_exactly_at_the_entity_timestamp_is_used",
    reason=r"\{'trips': \[100, None, None\]\} != \{'trips': \[200, 100, 300\]\}",
)
class ExcludesExactTimestamps(SQLFeatureStore):
    """Only rows stamped strictly before the entity timestamp qualify."""

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        **options: Any,
    ) -> pa.Table:
        earlier = _restamped(entity_rows, timestamp_column, lambda t: pc.subtract(t, pa.scalar(TICK)))
        result = super().get_historical_features(earlier, features, timestamp_column=timestamp_column, **options)
        return _restamped(result, timestamp_column, lambda _: entity_rows.column(timestamp_column))


@broken(
    "test_equal_event_timestamps_are_broken_by_the_latest_created_timestamp",
    reason=r"\{'trips': \[130, 230, 330\]\} != \{'trips': \[120, 210, 330\]\}",  # the largest value wins
)
class IgnoresCreatedTimestamps(SQLFeatureStore):
    """Rows of equal event timestamps are ranked by their feature values, never by the created timestamp."""

    def _source(self, view: FeatureView, keys: tuple[str, ...], columns: SourceColumns) -> _sql.Source:
        return dataclasses.replace(super()._source(view, keys, columns), created=None)


@broken(
    "test_rows_older_than_the_ttl_are_not_used[10-minutes]",
    "test_rows_older_than_the_ttl_are_not_used[zero]",
    reason=r"\{'trips': \[200, 200, 200, 100\]\} != \{'trips': \[(200|None), 200, None, (100|None)\]\}",
)
class IgnoresTtl(SQLFeatureStore):
    """Training sets use rows of any age: the views' ttl is ignored."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        with _views_read_as(self, lambda view: view.model_copy(update={"ttl": None})):
            return super().get_historical_features(entity_rows, features, **options)


@broken("test_entity_rows_without_a_qualifying_row_get_nulls", reason="An entity row was dropped or repeated")
class DropsEntityRowsWithoutFeatures(SQLFeatureStore):
    """A training set leaves out the entity rows for which no source row qualifies (an inner join)."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        result = super().get_historical_features(entity_rows, features, **options)
        found = [pc.is_valid(column) for column in result.columns[entity_rows.num_columns :]]
        return result.filter(functools.reduce(pc.or_, found))


@broken(
    # Not [1]: with a ttl of 0 and no created timestamps, at most one row qualifies, so there is none to skip to.
    "test_training_sets_equal_a_brute_force_reference[0]",
    "test_training_sets_equal_a_brute_force_reference[2]",
    "test_training_sets_equal_a_brute_force_reference[3]",
    # (entity row, got, expected): a value where the latest qualifying row holds null.
    reason=r"\(driver, minute\), got, expected; ttl=.*\), \d+, None\)",
)
class SkipsNullValues(SQLFeatureStore):
    """A feature's value is that of the latest qualifying row where it is not null (IGNORE NULLS)."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        definitions = self._registry.load()
        wanted: dict[str, list[str]] = {}
        for reference in features:
            view, _, feature = reference.partition(":")
            wanted.setdefault(view, []).append(feature)
        copies: dict[str, str] = {}
        try:
            for view, names in wanted.items():
                source = definitions.view(view).source
                rows = self.warehouse.query(f"SELECT * FROM {table_sql(source, dialect=self.warehouse.dialect)}")
                copies[view] = scratch_table(self.config.table_prefix)
                present = functools.reduce(pc.and_, [pc.is_valid(rows.column(name)) for name in names])
                self.warehouse.write(copies[view], rows.filter(present))
            with _views_read_as(self, lambda v: v.model_copy(update={"source": copies.get(v.name, v.source)})):
                return super().get_historical_features(entity_rows, features, **options)
        finally:
            for copy in copies.values():
                self.warehouse.drop_table(copy, missing_ok=True)


@broken(
    "test_the_timestamp_column_is_the_one_named",
    reason=r"\{'trips': \[200, None\]\} != \{'trips': \[100, 200\]\}",  # stamped at 99 and at 0
)
class IgnoresTimestampColumn(SQLFeatureStore):
    """Training sets are always stamped by the default column, whatever ``timestamp_column`` names."""

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        **options: Any,
    ) -> pa.Table:
        return super().get_historical_features(entity_rows, features, **options)


@broken(
    "test_historical_features_of_an_unknown_reference_raise_not_found[view]",
    "test_historical_features_of_an_unknown_reference_raise_not_found[feature]",
    reason="DID NOT RAISE",
)
class HistoricalSkipsUnknownFeatures(SQLFeatureStore):
    """A training set leaves out the features that are not registered."""

    def get_historical_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        known = {f"{v.name}:{f.name}" for v in self.list_feature_views() for f in v.features}
        return super().get_historical_features(entity_rows, [f for f in features if f in known], **options)


@broken(
    "test_entity_rows_without_a_join_key_or_timestamp_raise_invalid_input[join_key]",
    "test_entity_rows_without_a_join_key_or_timestamp_raise_invalid_input[timestamp_column]",
    "test_entity_rows_without_a_join_key_or_timestamp_raise_invalid_input[named_timestamp_column]",
    reason="DID NOT RAISE",
)
class MissingEntityColumnsAsNulls(SQLFeatureStore):
    """Entity rows that lack a join key or the timestamp column are read as nulls there (and get null features)."""

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        **options: Any,
    ) -> pa.Table:
        given = entity_rows.column_names
        types = {key: pa.int64() for key in _join_keys(self, features)} | {timestamp_column: pa.timestamp("us")}
        for name, type_ in types.items():
            if name not in given:
                entity_rows = entity_rows.append_column(name, pa.nulls(entity_rows.num_rows, type_))
        result = super().get_historical_features(entity_rows, features, timestamp_column=timestamp_column, **options)
        return result.drop_columns([name for name in types if name not in given])


# -- materialize and get_online_features ------------------------------------------------------------------


@broken(
    "test_materialize_loads_the_latest_row_stamped_in_the_window",
    reason=r"\{'trips': \[120, 230, None, 4\]\} != \{'trips': \[120, None, None, 4\]\}",
)
class MaterializeIncludesEnd(SQLFeatureStore):
    """materialize() loads rows stamped in ``[start, end]``: the end is included."""

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        return super().materialize(start, end + TICK, feature_views)


@broken(
    "test_materialize_again_serves_the_latest_materialized_value",
    reason=r"\{'trips': \[340, 140, None\]\} != \{'trips': \[340, 140, 210\]\}",
)
class MaterializeReplacesOnlineTable(SQLFeatureStore):
    """materialize() replaces a view's online values with the window's, losing keys not stamped in it."""

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        definitions = self._registry.load()
        for name in definitions.views if feature_views is None else feature_views:
            view = definitions.views.get(name)
            if view is not None:
                table = online_table(self.config.table_prefix, view, definitions.join_keys(view))
                self.warehouse.drop_table(table, missing_ok=True)
        return super().materialize(start, end, feature_views)


@broken("test_materialize_raises_not_found_for_an_unknown_view", reason="DID NOT RAISE")
class MaterializeSkipsUnknownViews(SQLFeatureStore):
    """materialize() skips the view names that are not registered."""

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        if feature_views is not None:
            feature_views = [name for name in feature_views if name in self._registry.load().views]
        return super().materialize(start, end, feature_views)


@broken("test_online_features_come_back_in_input_order", reason="Entity column 'note'")
class OnlineSortedByKey(SQLFeatureStore):
    """get_online_features() returns the rows sorted by join key, not in input order."""

    def get_online_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        result = super().get_online_features(entity_rows, features, **options)
        return result.sort_by([(key, "ascending") for key in _join_keys(self, features)])


@broken(
    "test_online_features_of_keys_never_materialized_are_null",
    reason=r"\{'trips': \[100, 200\]\} != \{'trips': \[None, None\]\}",
)
class OnlineReadsThroughToSource(SQLFeatureStore):
    """get_online_features() serves each key's latest source row, whether it was materialized or not."""

    def get_online_features(self, entity_rows: pa.Table, features: Sequence[str], **options: Any) -> pa.Table:
        now = pa.array([datetime(3000, 1, 1)] * entity_rows.num_rows, pa.timestamp("us"))
        stamped = entity_rows.append_column("stackhub_now", now)
        result = self.get_historical_features(stamped, features, timestamp_column="stackhub_now", **options)
        return result.drop_columns(["stackhub_now"])


@broken(
    "test_online_features_of_an_unknown_reference_raise_not_found[view]",
    "test_online_features_of_an_unknown_reference_raise_not_found[feature]",
    reason="DID NOT RAISE",
)
class OnlineUnknownFeaturesAsNulls(SQLFeatureStore):
    """get_online_features() returns nulls for features that are not registered."""

    def get_online_features(
        self, entity_rows: pa.Table, features: Sequence[str], *, full_feature_names: bool = False
    ) -> pa.Table:
        try:
            return super().get_online_features(entity_rows, features, full_feature_names=full_feature_names)
        except NotFound:
            names = [f.replace(":", "__") if full_feature_names else f.partition(":")[2] for f in features]
            nulls = [pa.nulls(entity_rows.num_rows)] * len(names)
            return pa.Table.from_arrays([*entity_rows.columns, *nulls], names=[*entity_rows.column_names, *names])


# -- push -------------------------------------------------------------------------------------------------


@broken(
    "test_a_pushed_newer_value_is_served", reason=r"\{'trips': \[100, 200, 333\]\} != \{'trips': \[111, 200, 333\]\}"
)
class PushNeverUpdates(SQLFeatureStore):
    """push() stores rows only for keys not online yet: a newer value of a stored key is dropped."""

    def push(self, feature_view: str, rows: pa.Table) -> int:
        definitions = self._registry.load()
        view = definitions.view(feature_view)
        keys = list(definitions.join_keys(view))
        stored = self.get_online_features(rows.select(keys), [f"{feature_view}:{view.features[0].name}"])
        return super().push(feature_view, rows.filter(pc.is_null(stored.column(len(keys)))))
