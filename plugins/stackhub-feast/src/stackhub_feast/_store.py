"""The Feast feature store: a Feast repository driven from the hub's definitions, over the stack's warehouse.

Feast keeps the registry (a protobuf file), the online store (SQLite) and computes training sets and
materializations with its offline store ('file': Dask, or 'duckdb': ibis) over Parquet snapshots of the
warehouse's source tables that the plugin writes before each read (``_export``). Where Feast's semantics differ
from the spec, the plugin bridges them around the Feast calls (see the README, "Semantics"):

- entity rows go to Feast deduplicated and keyed by a row id, one view per call, and come back joined onto the
  caller's rows with Arrow, so Feast's 'file' store can neither merge duplicate entity rows nor drop one whose
  key has only rows outside the ttl or after its timestamp;
- a view with ``ttl=0`` (Feast: no ttl) carries a copy of its event timestamp, and a feature row is kept only
  when that copy equals the entity timestamp;
- a materialization's snapshot holds exactly the rows stamped in ``[start, end)`` (Feast's window includes
  ``end``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import feast
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from feast.infra.offline_stores.dask import DaskOfflineStoreConfig
from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig
from feast.repo_config import RegistryConfig, RepoConfig
from stackhub import Component, ConfigError, InvalidInput, StackhubError, Unavailable, Warehouse
from stackhub.categories.feature_store import Entity, FeatureStore, FeatureView, MaterializeResult, SupportsPush
from stackhub.categories.feature_store_input import (
    RESERVED,
    FeatureRequest,
    as_utc,
    check_definitions,
    check_materialize,
    check_table,
    pushed_timestamps,
)

from ._config import FeastConfig
from ._definitions import Definitions, feast_entities, feast_view, feature_types
from ._errors import feast_errors
from ._export import HIDDEN_TS, Bounds, empty_snapshot, export, has_hidden_timestamp, source_columns, source_path
from ._types import utc_timestamp

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # not POSIX: the lock below holds between threads of one process only
    fcntl = None

__all__ = ["FeastFeatureStore"]

#: The row id of entity rows inside the plugin, and the entity timestamp column Feast reads.
_ROW = f"{RESERVED}row"
_ID = f"{RESERVED}id"
_FEAST_TS = "event_timestamp"
#: The registry store Feast loads by dotted path: Feast's file store, written atomically.
_REGISTRY_STORE = "stackhub_feast._registry_store.AtomicFileRegistryStore"


def _column_as(column: pa.ChunkedArray, to: pa.DataType, what: str, fix: str) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if column.type == to:
        return column
    try:
        return column.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidInput(f"{what} ({column.type}) does not convert to {to}: {exc}.", fix=fix) from None


def _valid(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The rows of ``table`` with a value in each of ``columns``: Feast cannot look up a null key or timestamp."""
    mask = None
    for column in columns:
        present = pc.is_valid(table.column(column))
        mask = present if mask is None else pc.and_(mask, present)
    return table if mask is None else table.filter(mask)


def _joined_back(rows: int, found: pa.Table) -> pa.Table:
    """One row per entity row (``_ROW`` 0..rows-1, in order) with the columns of ``found``; nulls where it has none."""
    ordered = pa.table({_ROW: pa.arange(0, rows)}).join(found, keys=_ROW, join_type="left outer").sort_by(_ROW)
    if ordered.num_rows != rows:
        raise StackhubError(
            f"Feast returned several feature rows for one entity row ({ordered.num_rows} rows for {rows}).",
            fix="Report it with the Feast version and offline store: each entity row goes to Feast once.",
        )
    return ordered


class _Retrieval(FeatureRequest):
    """A feature request with the type each requested feature's view declares for it."""

    def __init__(self, definitions: Definitions, features: Sequence[str], full_feature_names: bool) -> None:
        super().__init__(definitions, features, full_feature_names=full_feature_names)
        #: "view:feature" -> the Arrow type its view declares.
        self.types: dict[str, pa.DataType] = {}
        for name, (view, _, requested) in self.views.items():
            declared = feature_types(view)
            self.types.update({f"{name}:{feature}": declared[feature] for feature in requested})

    def assemble(self, entity_rows: pa.Table, values: Mapping[str, pa.ChunkedArray]) -> pa.Table:
        """The caller's entity columns, untouched, followed by the features in the order requested, each in the
        type its view declares."""
        return self.table(entity_rows, [values[reference].cast(self.types[reference]) for reference in self.references])


class FeastFeatureStore(FeatureStore, SupportsPush):
    category: ClassVar[str] = "feature_store"

    def __init__(self, config: FeastConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: FeastConfig = config
        warehouse = self.dependency("warehouse", Warehouse)
        if config.offline_store == "duckdb" and importlib.util.find_spec("ibis") is None:
            raise ConfigError(
                "offline_store: duckdb needs Feast's DuckDB offline store, whose ibis-framework is not installed.",
                fix="pip install 'stackhub-feast[duckdb]', or set offline_store: file.",
            )
        self.warehouse = warehouse
        self.repo = Path(config.repo_path).resolve()
        self.registry_path = Path(config.registry_path).resolve() if config.registry_path else self.repo / "registry.db"
        self.online_path = (
            Path(config.online_store_path).resolve() if config.online_store_path else self.repo / "online_store.db"
        )
        self._store: feast.FeatureStore | None = None
        self._lock = threading.RLock()

    # -- Feast ------------------------------------------------------------------------------------------------

    def _repo_config(self) -> RepoConfig:
        offline: Any
        if self.config.offline_store == "duckdb":
            from feast.infra.offline_stores.duckdb import DuckDBOfflineStoreConfig

            offline = DuckDBOfflineStoreConfig()
        else:
            offline = DaskOfflineStoreConfig(type="file")
        return RepoConfig(
            project=self.config.project,
            provider="local",
            registry=RegistryConfig(
                registry_type="file",
                registry_store_type=_REGISTRY_STORE,
                path=str(self.registry_path),
                cache_ttl_seconds=60,
            ),
            online_store=SqliteOnlineStoreConfig(path=str(self.online_path)),
            offline_store=offline,
            repo_path=self.repo,
            entity_key_serialization_version=3,
        )

    def _feast(self) -> feast.FeatureStore:
        """The Feast store of the repository, created (with its folder) on first use."""
        with self._lock:
            if self._store is None:
                for folder in {self.repo, self.registry_path.parent, self.online_path.parent}:
                    try:
                        folder.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise Unavailable(
                            f"Cannot create the Feast repository folder {str(folder)!r}: {exc.strerror}.",
                            fix="Choose a 'repo_path' (or registry_path, online_store_path) in a writable folder.",
                        ) from None
                with feast_errors("Opening the Feast repository", str(self.repo)):
                    self._store = feast.FeatureStore(repo_path=str(self.repo), config=self._repo_config())
            return self._store

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[feast.FeatureStore]:
        """Hold the repository for one operation that writes snapshots or the registry.

        Snapshots are shared files (one per view), so a call exports its rows and runs Feast on them while no other
        call, in this process or another, can replace them; Feast's registry has no locking of its own either.
        """
        store = self._feast()
        with self._lock:
            if fcntl is None:
                yield store
                return
            try:
                handle = open(self.repo / ".stackhub.lock", "a+b")  # noqa: SIM115 - held across the yield
            except OSError as exc:
                raise Unavailable(
                    f"Cannot open the lock file of Feast repository {str(self.repo)!r}: {exc.strerror}.",
                    fix="Check that the folder is writable.",
                ) from None
            with handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield store
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @property
    def feast_store(self) -> feast.FeatureStore:
        """Feast's own ``FeatureStore`` of the repository, for what the hub's interface does not cover.

        Its views read the snapshot files, which only this component's calls refresh: a training set or
        materialization through it reads whatever the last call of this component exported.
        """
        return self._feast()

    def _export(self, view: FeatureView, keys: Sequence[str], bounds: Bounds) -> None:
        """Snapshot the view's source rows within ``bounds`` for the next Feast call.

        Feast's 'file' store breaks ties of equal event timestamps by two successive sorts (created, then event
        timestamp) that Dask does not keep stable, so it may take any row of a tie: for it, the snapshot holds only
        the latest-created row of each keys and event timestamp, computed in the warehouse.
        """
        path = source_path(self.repo, view.name)
        file_store = self.config.offline_store == "file"
        export(self.warehouse, view, keys, feature_types(view), path, bounds, latest_created_only=file_store)

    def _definitions(self) -> Definitions:
        store = self._feast()
        with feast_errors("Reading the Feast registry", str(self.registry_path)):
            return Definitions.from_feast(store.list_entities(), store.list_feature_views())

    def health(self) -> None:
        self.warehouse.health()
        self._feast()
        if not os.access(self.repo, os.W_OK):
            raise Unavailable(
                f"The Feast repository folder {str(self.repo)!r} is not writable.", fix="Fix its permissions."
            )
        self._definitions()

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        # Feast keeps the online store's SQLite connection open for the life of its provider and offers no close
        # for it: release it here rather than leave the file open until garbage collection.
        online = getattr(getattr(store, "_provider", None), "_online_store", None)
        connection = getattr(online, "_conn", None)
        if connection is not None:
            connection.close()
            online._conn = None  # type: ignore[union-attr]

    # -- registry ---------------------------------------------------------------------------------------------

    def apply(self, entities: Sequence[Entity], feature_views: Sequence[FeatureView]) -> None:
        entities, feature_views = list(entities), list(feature_views)
        check_definitions(entities, feature_views)
        _check_feast_names(entities, feature_views)
        with self._exclusive() as store:
            current = self._definitions()
            merged = current.merged(entities, feature_views)
            # A view registered earlier is checked and rebuilt when an entity it uses changes its join keys.
            affected = current.affected(entities, feature_views)
            changed = current.changed(entities)
            checked = []
            for view in [*feature_views, *affected]:
                keys = merged.join_keys(view)
                _check_view_columns(view, keys)
                columns = source_columns(self.warehouse, view, keys)
                key_types = {key: columns.types[key] for key in keys}
                features = feature_types(view)
                checked.append((view, keys, columns, key_types, features))
            # Feast objects by name: an entity once, typed when a view tells its keys' types.
            updates: dict[str, Any] = {
                f"entity {f.name}": f for e in entities if e.name in changed for f in feast_entities(e)
            }
            for view, keys, columns, key_types, features in checked:
                if current.views.get(view.name) == view and current.key_types.get(view.name) == key_types:
                    continue  # unchanged: applying it again would change nothing
                view_entities = [merged.entities[name] for name in view.entities]
                updates.update({f"entity {f.name}": f for e in view_entities for f in feast_entities(e, key_types)})
                updates[f"view {view.name}"] = feast_view(view, view_entities, key_types, self.repo)
                empty_snapshot(view, keys, columns, features, source_path(self.repo, view.name))
            if not updates:
                return
            with feast_errors("Feast apply", str(self.repo)):
                store.apply(list(updates.values()))

    def list_feature_views(self) -> list[FeatureView]:
        return [view for _, view in sorted(self._definitions().views.items())]

    # -- point-in-time training sets --------------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_rows: pa.Table,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_timestamp",
        full_feature_names: bool = False,
    ) -> pa.Table:
        entity_rows = check_table(entity_rows)
        definitions = self._definitions()
        retrieval = _Retrieval(definitions, features, full_feature_names)
        retrieval.check_entity_rows(entity_rows, timestamp_column)
        stamps = entity_rows.column(timestamp_column)
        # Feast compares in UTC at nanoseconds; naive timestamps are UTC already, so the cast only labels them.
        utc = _column_as(
            stamps,
            pa.timestamp("ns", "UTC"),
            f"Column {timestamp_column!r} of entity_rows",
            "Use timestamps within the years 1678-2261, which Feast's nanosecond timestamps can hold.",
        )
        values: dict[str, pa.ChunkedArray] = {}
        with self._exclusive() as store:
            for view, keys, wanted in retrieval.views.values():
                found = self._historical(store, definitions, view, keys, wanted, entity_rows, utc)
                values.update({f"{view.name}:{feature}": found.column(feature) for feature in wanted})
        return retrieval.assemble(entity_rows, values)

    def _historical(
        self,
        store: feast.FeatureStore,
        definitions: Definitions,
        view: FeatureView,
        keys: Sequence[str],
        wanted: Sequence[str],
        entity_rows: pa.Table,
        stamps: pa.ChunkedArray,
    ) -> pa.Table:
        """``wanted`` features of ``view`` for every entity row, in order (``_ROW`` 0..n-1)."""
        key_types = definitions.key_types[view.name]
        columns: dict[str, pa.ChunkedArray | pa.Array] = {_ROW: pa.arange(0, entity_rows.num_rows)}
        for key in keys:
            columns[key] = _column_as(
                entity_rows.column(key),
                key_types[key],
                f"Join key {key!r} of entity_rows",
                f"Cast it to {key_types[key]}, its type in source table {view.source!r} of feature view {view.name!r}.",
            )
        columns[_FEAST_TS] = stamps
        rows = _valid(pa.table(columns), [*keys, _FEAST_TS])
        # Each distinct (keys, timestamp) goes to Feast once, under the id of its first row; every row gets it back.
        distinct = rows.group_by([*keys, _FEAST_TS], use_threads=False).aggregate([(_ROW, "min")])
        distinct = distinct.rename_columns([*keys, _FEAST_TS, _ID])
        empty = pa.table({_ROW: pa.array([], pa.int64()), **{f: pa.array([], feature_types(view)[f]) for f in wanted}})
        if distinct.num_rows == 0:
            return _joined_back(entity_rows.num_rows, empty)
        # The rows any entity row could use; Feast applies the exact bounds per entity row. Microseconds, rounded
        # outwards, so that a nanosecond entity timestamp never cuts off a row it may use.
        span = pc.min_max(distinct.column(_FEAST_TS).cast(pa.timestamp("us", "UTC"), safe=False))
        lowest, highest = as_utc(span["min"].as_py()), as_utc(span["max"].as_py()) + timedelta(microseconds=1)
        bounds = Bounds(start=None if view.ttl is None else lowest - view.ttl, end=highest, end_inclusive=True)
        self._export(view, keys, bounds)
        if pq.read_metadata(source_path(self.repo, view.name)).num_rows == 0:
            return _joined_back(entity_rows.num_rows, empty)  # nothing any entity row could use
        requested = [*wanted, HIDDEN_TS] if has_hidden_timestamp(view) else list(wanted)
        with feast_errors(f"Feast get_historical_features of view {view.name!r}", str(self.repo)):
            job = store.get_historical_features(
                entity_df=distinct.to_pandas(),
                features=[f"{view.name}:{feature}" for feature in requested],
                full_feature_names=True,  # no feature name can meet the entity columns
            )
            result = job.to_arrow()
        fetched = {_ID: result.column(_ID)}
        keep = None
        if has_hidden_timestamp(view):
            # ttl=0: only a row stamped exactly at the entity timestamp qualifies.
            used = result.column(f"{view.name}__{HIDDEN_TS}").cast(pa.timestamp("ns", "UTC"))
            keep = pc.fill_null(pc.equal(used, result.column(_FEAST_TS).cast(pa.timestamp("ns", "UTC"))), False)
        for feature in wanted:
            column = result.column(f"{view.name}__{feature}")
            if keep is not None:
                column = pc.if_else(keep, column, pa.nulls(len(column), column.type))
            fetched[feature] = column
        by_row = rows.select([*keys, _FEAST_TS, _ROW]).join(distinct, keys=[*keys, _FEAST_TS], join_type="inner")
        found = by_row.select([_ROW, _ID]).join(pa.table(fetched), keys=_ID, join_type="left outer").drop_columns(_ID)
        return _joined_back(entity_rows.num_rows, found)

    # -- online store -----------------------------------------------------------------------------------------

    def materialize(
        self, start: datetime, end: datetime, feature_views: Sequence[str] | None = None
    ) -> MaterializeResult:
        window_start, window_end = check_materialize(start, end, feature_views)
        definitions = self._definitions()
        views = definitions.named(feature_views)
        window = Bounds(start=window_start, end=window_end, end_inclusive=False)
        written = 0
        with self._exclusive() as store:
            for view in views:
                keys = definitions.join_keys(view)
                path = source_path(self.repo, view.name)
                # Only rows stamped in [start, end): Feast's own window would include rows stamped at end.
                self._export(view, keys, window)
                loaded = pq.read_table(path, columns=list(keys))
                if loaded.num_rows == 0:
                    continue
                with (
                    feast_errors(f"Feast materialize of view {view.name!r}", str(self.repo)),
                    _quiet(),
                ):
                    store.materialize(window_start.replace(tzinfo=UTC), window_end.replace(tzinfo=UTC), [view.name])
                written += loaded.group_by(list(keys)).aggregate([]).num_rows
        names = tuple(view.name for view in views)
        return MaterializeResult(feature_views=names, start=start, end=end, rows_written=written)

    def get_online_features(
        self, entity_rows: pa.Table, features: Sequence[str], *, full_feature_names: bool = False
    ) -> pa.Table:
        entity_rows = check_table(entity_rows)
        definitions = self._definitions()
        retrieval = _Retrieval(definitions, features, full_feature_names)
        retrieval.check_entity_rows(entity_rows)
        key_types: dict[str, pa.DataType] = {}
        for view, keys, _ in retrieval.views.values():
            key_types.update({key: definitions.key_types[view.name][key] for key in keys})
        columns: dict[str, pa.ChunkedArray | pa.Array] = {_ROW: pa.arange(0, entity_rows.num_rows)}
        for key, key_type in key_types.items():
            columns[key] = _column_as(
                entity_rows.column(key), key_type, f"Join key {key!r} of entity_rows", f"Cast it to {key_type}."
            )
        rows = _valid(pa.table(columns), list(key_types))
        fetched: dict[str, Any] = {_ROW: rows.column(_ROW)}
        if rows.num_rows:
            store = self._feast()
            # Feast takes entity keys as Python values; it converts them to protobuf values one by one anyway.
            lookup = {key: rows.column(key).to_pylist() for key in key_types}
            with feast_errors("Feast get_online_features", str(self.repo)):
                response = store.get_online_features(
                    features=retrieval.references, entity_rows=lookup, full_feature_names=True
                ).to_arrow()
            for reference in retrieval.references:
                fetched[reference] = response.column(reference.replace(":", "__", 1)).cast(retrieval.types[reference])
        else:
            fetched.update({reference: pa.array([], retrieval.types[reference]) for reference in retrieval.references})
        found = _joined_back(entity_rows.num_rows, pa.table(fetched))
        return retrieval.assemble(entity_rows, {r: found.column(r) for r in retrieval.references})

    def push(self, feature_view: str, rows: pa.Table) -> int:
        rows = check_table(rows, "rows")
        definitions = self._definitions()
        view = definitions.view(feature_view)
        keys = definitions.join_keys(view)
        types = feature_types(view)
        stamps = pushed_timestamps(rows, view, keys)
        columns: dict[str, pa.ChunkedArray] = {}
        for key in keys:
            key_type = definitions.key_types[view.name][key]
            columns[key] = _column_as(
                rows.column(key), key_type, f"Join key {key!r} of rows", f"Cast it to {key_type}."
            )
        for name, column in stamps.items():
            columns[name] = column.cast(utc_timestamp(column.type))
        if view.created_timestamp_field is not None:
            # Feast's online store cannot store a null created timestamp: a row pushed without one was created now.
            created = columns[view.created_timestamp_field]
            columns[view.created_timestamp_field] = pc.fill_null(created, pa.scalar(datetime.now(UTC), created.type))
        for name, feature_type in types.items():
            columns[name] = _column_as(
                rows.column(name), feature_type, f"Column {name!r} of rows", f"Cast it to {feature_type}."
            )
        if has_hidden_timestamp(view):
            columns[HIDDEN_TS] = columns[view.timestamp_field]
        table = _valid(pa.table(columns), [*keys, view.timestamp_field])
        latest = _latest_per_key(table, keys, list(stamps))
        if latest.num_rows == 0:
            return 0
        with (
            self._exclusive() as store,
            feast_errors(f"Feast write_to_online_store of view {view.name!r}", str(self.repo)),
        ):
            store.write_to_online_store(view.name, df=latest.to_pandas())
        return int(latest.num_rows)


def _latest_per_key(table: pa.Table, keys: Sequence[str], stamps: Sequence[str]) -> pa.Table:
    """One row per key: the one with the latest timestamps (Feast would keep whichever row it wrote last)."""
    ordered = table.sort_by([(name, "ascending") for name in stamps])
    numbered = ordered.append_column(_ROW, pa.arange(0, ordered.num_rows))
    last = numbered.group_by(list(keys), use_threads=False).aggregate([(_ROW, "max")])
    return ordered.take(last.column(f"{_ROW}_max"))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Feast's materialize prints its progress (a banner, a progress bar) to stdout and stderr; a library keeps
    them for itself."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _check_feast_names(entities: Sequence[Entity], views: Sequence[FeatureView]) -> None:
    """The names Feast cannot take, beyond what every feature store refuses (``check_definitions``)."""
    for what, names in (("entities", [e.name for e in entities]), ("feature views", [v.name for v in views])):
        if "" in names:
            raise InvalidInput(f"apply() got {what} with an empty name, which Feast cannot register.", fix="Name them.")
    for entity in entities:
        if _FEAST_TS in entity.join_keys:
            raise InvalidInput(
                f"Entity {entity.name!r} has a join key named {_FEAST_TS!r}, the column Feast reads entity "
                "timestamps from.",
                fix="Rename the key column in the source table.",
            )


def _check_view_columns(view: FeatureView, keys: Sequence[str]) -> None:
    roles = set(keys) | {view.timestamp_field, view.created_timestamp_field}
    clashing = [f.name for f in view.features if f.name in roles]
    if clashing:
        raise InvalidInput(
            f"Feature view {view.name!r} has features named like its join keys or timestamp columns: {clashing}.",
            fix="A join key comes back with the entity rows already; drop it from the features, or copy the column "
            "under another name in the source table.",
        )
