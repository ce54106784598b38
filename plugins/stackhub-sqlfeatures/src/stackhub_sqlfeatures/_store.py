"""The warehouse-native feature store: registry, online store and point-in-time joins, all in the stack's warehouse.

Tables (``P`` is the configured prefix)::

    P_registry                 kind, name, definition (JSON): one row per entity and feature view
    P_online_<view>_<hash>     join keys, features, event and created timestamps: the latest row per key
    P_tmp_<random>             entity rows uploaded for one call (row number, keys, timestamps), then dropped

Only the ``Warehouse`` interface is used, so the plugin runs on any conforming warehouse. The entity rows cross
into the warehouse once, as Arrow, and every join, ranking and merge runs there as one SQL statement; what comes
back is one feature row per entity row, already in order, placed next to the caller's own entity columns.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp
from stackhub import (
    CapabilityMissing,
    Component,
    FeatureStore,
    InvalidInput,
    NotFound,
    StackhubError,
    Warehouse,
)
from stackhub.categories.feature_store import Entity, FeatureView, MaterializeResult, SupportsPush
from stackhub.categories.feature_store_input import (
    RESERVED,
    Definitions,
    FeatureRequest,
    check_definitions,
    check_materialize,
    check_table,
    pushed_timestamps,
)

from . import _sql
from ._config import SQLFeaturesConfig
from ._registry import Registry, SourceColumns, kind, online_table, scratch_table, source_columns


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded keys as plain values: what the source's key column holds."""
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _flavored(stamps: pa.ChunkedArray, *, aware: bool) -> pa.ChunkedArray:
    """Timestamps as UTC with or without a time zone, like the column they meet; naive ones are UTC already."""
    unit = "ns" if stamps.type.unit == "ns" else "us"
    return stamps.cast(pa.timestamp(unit, "UTC" if aware else None))


class _Retrieval(FeatureRequest):
    """A feature request with the SQL alias of each output column: positional, so no user name needs to survive
    as an alias."""

    def __init__(self, definitions: Definitions, features: Sequence[str], full_feature_names: bool) -> None:
        super().__init__(definitions, features, full_feature_names=full_feature_names)
        self.aliases = {reference: f"{RESERVED}f{index}" for index, reference in enumerate(self.references)}

    def wanted(self, view: str) -> tuple[tuple[str, str], ...]:
        """(feature, alias) of each feature requested of ``view``, in the order requested."""
        return tuple((feature, self.aliases[f"{view}:{feature}"]) for feature in self.views[view][2])

    def assemble(self, entity_rows: pa.Table, result: pa.Table) -> pa.Table:
        """The caller's entity columns, untouched, followed by the features in the order requested."""
        rows = result.column(_sql.ROW)
        in_order = pc.all(pc.equal(rows, pa.arange(0, len(rows))), min_count=0).as_py()
        if len(rows) != len(entity_rows) or rows.null_count or not in_order:
            raise StackhubError(
                f"The warehouse returned {len(rows)} rows out of order or out of number for {len(entity_rows)} "
                "entity rows, which the feature store's SQL rules out.",
                fix="Report it with the warehouse plugin's name and version: its query() changed the statement's result.",
            )
        return self.table(entity_rows, [result.column(alias) for alias in self.aliases.values()])


class SQLFeatureStore(FeatureStore, SupportsPush):
    category: ClassVar[str] = "feature_store"

    def __init__(self, config: SQLFeaturesConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: SQLFeaturesConfig = config
        self.warehouse = self.dependency("warehouse", Warehouse)
        self.join = self._join_strategy()
        self._registry = Registry(self.warehouse, config.table_prefix)

    def _join_strategy(self) -> _sql.Strategy:
        # Capabilities are declared data: the warehouse's descriptor, which open_stack and PluginDescriptor.create
        # attach to the component. A warehouse built by hand has none, and gets the portable form.
        native = "asof_join" in self.warehouse.capabilities
        if self.config.join == "auto":
            return "asof" if native else "window"
        if self.config.join == "asof" and not native:
            raise CapabilityMissing(
                f"join: 'asof' needs a warehouse that declares the 'asof_join' capability, and warehouse "
                f"{self.config.warehouse!r} declares {sorted(self.warehouse.capabilities) or 'none'}.",
                fix="Set join to 'auto' or 'window' for the portable window-function join.",
            )
        return self.config.join

    def health(self) -> None:
        self.warehouse.health()

    # -- registry -----------------------------------------------------------------------------------------

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        entities, feature_views = list(entities), list(feature_views)
        check_definitions(entities, feature_views)
        current = self._registry.load()
        merged = current.merged(entities, feature_views)
        # A view registered earlier is checked again when an entity it uses changes its join keys.
        affected = current.affected(entities, feature_views)
        sources = {view.name: self._check_source(view, merged) for view in [*feature_views, *affected]}
        if merged != current:
            self._registry.save(merged)
        # Online tables follow the definitions: those of the checked views exist, the outdated ones go.
        existing = set(self.warehouse.list_tables())
        for name, columns in sources.items():
            view = merged.views[name]
            table = online_table(self.config.table_prefix, view, merged.join_keys(view))
            if table not in existing:
                self._create_online(table, self._source(view, merged.join_keys(view), columns))
        for old in current.views.values():
            stale = online_table(self.config.table_prefix, old, current.join_keys(old))
            new = merged.views[old.name]
            if stale in existing and stale != online_table(self.config.table_prefix, new, merged.join_keys(new)):
                self.warehouse.drop_table(stale, missing_ok=True)

    def _check_source(self, view: FeatureView, definitions: Definitions) -> SourceColumns:
        keys = definitions.join_keys(view)
        clashing = [f.name for f in view.features if f.name in keys]
        if clashing:
            raise InvalidInput(
                f"Feature view {view.name!r} has features named like its join keys: {clashing}.",
                fix="A join key is returned with the entity rows already; drop it from the features.",
            )
        return source_columns(self.warehouse, view, keys)

    def list_feature_views(self) -> list[FeatureView]:
        return [view for _, view in sorted(self._registry.load().views.items())]

    # -- point-in-time training sets ----------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pa.Table:
        entity_rows = check_table(entity_rows)
        retrieval = _Retrieval(self._registry.load(), features, full_feature_names)
        retrieval.check_entity_rows(entity_rows, timestamp_column)
        stamps = entity_rows.column(timestamp_column)
        # Entity timestamps in both time-zone flavors the sources may have, at microsecond precision or finer, so
        # every comparison in SQL is between timestamps of the same kind and no engine applies its session zone.
        flavors = {aware: _flavored(stamps, aware=aware) for aware in (False, True)}
        upload: dict[str, pa.ChunkedArray | pa.Array] = {_sql.ROW: pa.arange(0, entity_rows.num_rows)}
        upload.update({key: _decoded(entity_rows.column(key)) for key in retrieval.keys})
        joins = []
        for index, (view, keys, _) in enumerate(retrieval.views.values()):
            columns = source_columns(self.warehouse, view, keys)
            self._check_key_types(view, keys, columns, upload)
            aware = columns.aware(view.timestamp_field)
            entity_timestamp = f"{RESERVED}ts_{'utc' if aware else 'naive'}"
            upload.setdefault(entity_timestamp, flavors[aware])
            lower_bound = None
            if view.ttl is not None:
                lower_bound = f"{RESERVED}lower_bound_{index}"
                upload[lower_bound] = _minus(flavors[aware], view.ttl, view.name)
            source = self._source(view, keys, columns)
            joins.append(_sql.ViewJoin(source, retrieval.wanted(view.name), entity_timestamp, lower_bound))
        with self._scratch(pa.table(upload)) as uploaded:
            statement = _sql.point_in_time(uploaded, joins, self.join)
            dialect = _sql.ASOF_DIALECT if self.join == "asof" else self.warehouse.dialect
            result = self.warehouse.query(statement.sql(dialect=dialect), dialect=dialect)
        return retrieval.assemble(entity_rows, result)

    def _check_key_types(
        self,
        view: FeatureView,
        keys: Sequence[str],
        columns: SourceColumns,
        upload: Mapping[str, pa.ChunkedArray | pa.Array],
        name: str = "entity_rows",
    ) -> None:
        for key in keys:
            given, stored = str(upload[key].type), columns.types[key]
            if kind(given) != kind(stored):
                raise InvalidInput(
                    f"Join key {key!r} is {given} in {name} but {stored} in source table {view.source!r} of "
                    f"feature view {view.name!r}, so no row could match.",
                    fix=f"Cast {name} column {key!r} to {stored}.",
                )

    def _source(self, view: FeatureView, keys: tuple[str, ...], columns: SourceColumns) -> _sql.Source:
        features = tuple(f.name for f in view.features)
        return _sql.Source(
            table=view.source,
            keys=keys,
            timestamp=view.timestamp_field,
            created=view.created_timestamp_field,
            features=features,
            tiebreak=tuple(f for f in features if columns.orderable(f)),
        )

    @contextlib.contextmanager
    def _scratch(self, data: pa.Table | pa.RecordBatchReader) -> Iterator[str]:
        """A uniquely named table holding ``data``, dropped afterwards, also when the call fails."""
        name = scratch_table(self.config.table_prefix)
        try:
            self.warehouse.write(name, data, mode="create")
            yield name
        finally:
            self.warehouse.drop_table(name, missing_ok=True)

    # -- online store -------------------------------------------------------------------------------------

    def _create_online(self, table: str, source: _sql.Source) -> None:
        dialect = self.warehouse.dialect
        empty = self.warehouse.query(_sql.empty_online(source).sql(dialect=dialect), dialect=dialect)
        self.warehouse.write(table, empty, mode="overwrite")

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        window_start, window_end = check_materialize(start, end, feature_views)
        definitions = self._registry.load()
        views = definitions.named(feature_views)
        written = sum(self._materialize(view, definitions, window_start, window_end) for view in views)
        names = tuple(view.name for view in views)
        return MaterializeResult(feature_views=names, start=start, end=end, rows_written=written)

    def _materialize(self, view: FeatureView, definitions: Definitions, start: datetime, end: datetime) -> int:
        """Merge the view's latest rows stamped in [start, end) into its online table; return how many it took."""
        keys = definitions.join_keys(view)
        columns = source_columns(self.warehouse, view, keys)
        source = self._source(view, keys, columns)
        aware = columns.aware(view.timestamp_field)
        stamp = exp.column(view.timestamp_field, quoted=True)
        in_window = exp.and_(
            exp.GTE(this=stamp, expression=_sql.timestamp_literal(start, aware=aware)),
            exp.LT(this=stamp, expression=_sql.timestamp_literal(end, aware=aware)),
        )
        return self._merge_online(online_table(self.config.table_prefix, view, keys), source, in_window)

    def _merge_online(self, online: str, source: _sql.Source, fresh: exp.Expr | None) -> int:
        """Merge the rows of ``source`` that satisfy ``fresh`` into the online table: the latest row per key
        wins. Return how many keys now hold a merged row."""
        if online not in self.warehouse.list_tables():
            self._create_online(online, source)
        dialect = self.warehouse.dialect
        merged = _sql.latest_per_key(source, online, fresh).sql(dialect=dialect)
        # Staged first: the online table is then never read while it is being replaced, which a warehouse need
        # not support. The final overwrite is atomic, so a failed merge leaves the online table as it was.
        with self._scratch(self.warehouse.query_batches(merged, dialect=dialect)) as staging:
            taken = exp.select(exp.func("COUNT", exp.Star())).from_(_sql.table(staging))
            taken = taken.where(exp.EQ(this=exp.column(_sql.FRESH, quoted=True), expression=exp.Literal.number(1)))
            count = self.warehouse.query(taken.sql(dialect=dialect), dialect=dialect).column(0)[0].as_py()
            columns = (exp.column(c, quoted=True) for c in _sql.online_columns(source))
            keep = exp.select(*columns).from_(_sql.table(staging)).sql(dialect=dialect)
            self.warehouse.write(online, self.warehouse.query_batches(keep, dialect=dialect), mode="overwrite")
        return int(count)

    def push(self, feature_view: str, rows: pa.Table) -> int:
        rows = check_table(rows, "rows")
        definitions = self._registry.load()
        view = definitions.view(feature_view)
        keys = definitions.join_keys(view)
        # A pushed row without a created timestamp (null) ranks below a stored one of the same event timestamp.
        stamps = pushed_timestamps(rows, view, keys)
        columns = source_columns(self.warehouse, view, keys)
        upload = {key: _decoded(rows.column(key)) for key in keys}
        self._check_key_types(view, keys, columns, upload, "rows")
        upload |= {feature.name: rows.column(feature.name) for feature in view.features}
        upload |= {name: _flavored(column, aware=columns.aware(name)) for name, column in stamps.items()}
        with self._scratch(pa.table(upload)) as pushed:
            source = dataclasses.replace(self._source(view, keys, columns), table=pushed)
            return self._merge_online(online_table(self.config.table_prefix, view, keys), source, None)

    def get_online_features(
        self, entity_rows: pa.Table, features: Sequence[str], *, full_feature_names: bool = False
    ) -> pa.Table:
        entity_rows = check_table(entity_rows)
        definitions = self._registry.load()
        retrieval = _Retrieval(definitions, features, full_feature_names)
        retrieval.check_entity_rows(entity_rows)
        upload = {_sql.ROW: pa.arange(0, entity_rows.num_rows)}
        upload.update({key: _decoded(entity_rows.column(key)) for key in retrieval.keys})
        lookups = [
            (keys, online_table(self.config.table_prefix, view, keys), retrieval.wanted(view.name))
            for view, keys, _ in retrieval.views.values()
        ]
        dialect = self.warehouse.dialect
        with self._scratch(pa.table(upload)) as uploaded:
            statement = _sql.online_lookup(uploaded, lookups).sql(dialect=dialect)
            try:
                result = self.warehouse.query(statement, dialect=dialect)
            except NotFound:
                # An online table is missing (dropped by hand, or its source changed since apply): create the
                # missing ones empty, so that their features are null until the next materialize, and retry.
                existing = set(self.warehouse.list_tables())
                for view, keys, _ in retrieval.views.values():
                    table = online_table(self.config.table_prefix, view, keys)
                    if table not in existing:
                        self._create_online(table, self._source(view, keys, source_columns(self.warehouse, view, keys)))
                result = self.warehouse.query(statement, dialect=dialect)
        return retrieval.assemble(entity_rows, result)


def _minus(stamps: pa.ChunkedArray, ttl: timedelta, view: str) -> pa.ChunkedArray:
    try:
        return pc.subtract_checked(stamps, pa.scalar(ttl, pa.duration(stamps.type.unit)))
    except pa.ArrowInvalid:
        raise InvalidInput(
            f"An entity timestamp minus the ttl of feature view {view!r} ({ttl}) is out of range.",
            fix="Check entity_rows for timestamps near the limits of the timestamp type.",
        ) from None
