"""The feature store suite: every MUST of ``stackhub.categories.feature_store.FeatureStore`` (and of
``SupportsPush``), proven through the interface on small, hand-checked data and against a brute-force reference.

Source tables are written through the vendor's ``source_tables`` fixture (by default: into the warehouse the
plugin requires, from ``component_dependencies``). Entities, views and source tables get unique names
(``stackhub_ct_<label>_<random>``); sources are dropped after each check, while registered definitions and
online values stay, as the interface has no delete. Timestamps are naive microseconds (UTC) on a minute grid,
so exact ties are deliberate; the data only holds what the spec decides (no null keys or timestamps, no rows
equal in both timestamps), so a correct store has exactly one right answer for every check.

The spec does not promise the row order of a training set, so checks match its rows by an id column (or, for
exact duplicates, as a multiset); it does promise input order for online lookups, and that is checked as such.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

import pyarrow as pa
import pytest
from stackhub import InvalidInput, NotFound, Warehouse
from stackhub.categories.feature_store import (
    CAPABILITIES,
    Entity,
    Feature,
    FeatureStore,
    FeatureView,
    SupportsPush,
)

from ._data import SEED, accepts_type
from ._framework import Cleanup, ConformanceSuite, _dependencies, must, requires, unique_name

__all__ = ["Catalog", "FeatureStoreSuite", "SourceTables", "WarehouseSources", "reference_training_set"]

# The spec's sentences, verbatim from the docstrings of ``FeatureStore`` and ``SupportsPush``.
REGISTER = "Register entities and feature views, replacing earlier definitions of the same names."
IDEMPOTENT = "MUST be idempotent: applying the same definitions twice changes nothing."
UNKNOWN_ENTITY = "MUST raise ``InvalidInput`` when a feature view names an entity that is neither given nor registered."
MISSING_SOURCE = "MUST raise ``NotFound`` when a feature view's source table does not exist."
MISSING_COLUMN = "MUST raise ``InvalidInput`` when a feature view names a column its source table lacks."
LISTED = "Return every registered feature view, sorted by name, as it was applied."
SHAPE = (
    "MUST return exactly one row per entity row, duplicates included, with every entity row column followed by one "
    "column per requested feature, in the order requested."
)
POINT_IN_TIME = (
    "For each entity row and view, MUST use the source row with the latest event timestamp at or before the entity "
    "timestamp, and MUST NOT use a row stamped after it."
)
CREATED_TIES = "MUST break ties between equal event timestamps by the latest created timestamp, when the view has one."
TTL = "MUST NOT use a row older than the entity timestamp minus the view's ttl, when the view has one."
NULLS = "MUST return null features when no source row qualifies, keeping the entity row."
ENTITY_ROWS = "``entity_rows`` holds the join keys of the views' entities and ``timestamp_column``."
HISTORICAL_NOT_FOUND = "MUST raise ``NotFound`` for a feature reference whose view or feature is not registered."
HISTORICAL_INVALID = "MUST raise ``InvalidInput`` when ``entity_rows`` lacks a join key or the timestamp column."
WINDOW = "Load the latest value per entity key stamped in ``[start, end)`` into the online store."
MATERIALIZED = "MUST make ``get_online_features`` return, per entity key, the latest materialized value."
MATERIALIZE_NOT_FOUND = "MUST raise ``NotFound`` for an unknown feature view name."
ONLINE_ROWS = "MUST return one row per entity row, in input order: the entity columns, then one column per feature."
ONLINE_NULLS = "MUST return nulls for a key that was never materialized."
ONLINE_NOT_FOUND = "MUST raise ``NotFound`` for a feature reference whose view or feature is not registered."
PUSHED = "MUST make a pushed value visible to ``get_online_features`` when it is newer than the stored one."

#: Every timestamp of the suite is this moment plus a number of minutes.
T0 = datetime(2026, 1, 1)
#: The join key of the suite's driver entities, and the entity rows' timestamp column (the spec's default).
KEY = "driver_id"
TIMESTAMP = "event_timestamp"

#: A source row: (driver id, event minute, created minute, trips, rating).
Row = tuple[int, float, float, int | None, float | None]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _stamps(minutes: Sequence[float]) -> pa.Array:
    return pa.array([at(m) for m in minutes], pa.timestamp("us"))


def source_table(rows: Sequence[Row]) -> pa.Table:
    """Columns ``driver_id``, ``event_ts``, ``created_ts``, ``trips`` (int64) and ``rating`` (float64)."""
    ids, events, created, trips, rating = (list(c) for c in zip(*rows, strict=True))
    return pa.table(
        {
            KEY: pa.array(ids, pa.int64()),
            "event_ts": _stamps(events),
            "created_ts": _stamps(created),
            "trips": pa.array(trips, pa.int64()),
            "rating": pa.array(rating, pa.float64()),
        }
    )


def entity_table(rows: Sequence[tuple[int, float]]) -> pa.Table:
    """Entity rows (driver id, minute) with a ``request`` id that tells them apart and a ``note`` column."""
    ids = [driver for driver, _ in rows]
    return pa.table(
        {
            "request": pa.array(range(len(rows)), pa.int64()),
            KEY: pa.array(ids, pa.int64()),
            TIMESTAMP: _stamps([minute for _, minute in rows]),
            "note": pa.array([f"note {i} ünïcode" for i in range(len(rows))]),
        }
    )


class SourceTables(Protocol):
    """Where a feature store reads its sources: the vendor's ``source_tables`` fixture returns one."""

    def write(self, name: str, data: pa.Table) -> None:
        """Store ``data`` as source table ``name``, readable by the feature store under that name."""

    def drop(self, name: str) -> None:
        """Remove source table ``name``; a missing one is not an error."""


class WarehouseSources:
    """Source tables in a stackhub warehouse: the default for a feature store that requires one."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def write(self, name: str, data: pa.Table) -> None:
        self.warehouse.write(name, data, mode="overwrite")

    def drop(self, name: str) -> None:
        self.warehouse.drop_table(name, missing_ok=True)


class Catalog:
    """Unique entities, source tables and views for one check; the sources are dropped after it."""

    def __init__(self, store: FeatureStore, sources: SourceTables, cleanup: Cleanup) -> None:
        self.store = store
        self._sources = sources
        self._cleanup = cleanup
        self.driver = Entity(name=unique_name("driver"), join_keys=(KEY,))

    def source(self, rows: Sequence[Row]) -> str:
        """A new source table of ``rows`` (see ``source_table``); its name."""
        name = unique_name("source")
        self._cleanup.add(lambda: self._sources.drop(name))
        self._sources.write(name, source_table(rows))
        return name

    def view(
        self,
        source: str,
        *,
        ttl: timedelta | None = None,
        created: bool = True,
        name: str | None = None,
        features: Sequence[str] = ("trips", "rating"),
        **fields: Any,
    ) -> FeatureView:
        types = {"trips": "int64", "rating": "double"}
        return FeatureView(
            name=name or unique_name("view"),
            entities=(self.driver.name,),
            source=source,
            timestamp_field="event_ts",
            created_timestamp_field="created_ts" if created else None,
            features=tuple(Feature(name=f, dtype=types[f]) for f in features),
            ttl=ttl,
            **fields,
        )

    def define(self, rows: Sequence[Row], **options: Any) -> FeatureView:
        """Write a source of ``rows``, then apply the driver entity and a view over it."""
        view = self.view(self.source(rows), **options)
        self.store.apply([self.driver], [view])
        return view


def _by_request(table: pa.Table) -> pa.Table:
    return table.sort_by("request")


def _features(
    store: FeatureStore, rows: pa.Table, view: FeatureView, *names: str, **options: Any
) -> dict[str, list[Any]]:
    """The requested features of a training set, per feature, in the order of the entity rows' ``request``."""
    names = names or ("trips",)
    result = store.get_historical_features(rows, [f"{view.name}:{n}" for n in names], **options)
    assert result.num_rows == rows.num_rows, (
        f"The training set has {result.num_rows} rows for {rows.num_rows} entity rows."
    )
    ordered = _by_request(result)
    return {n: ordered.column(n).to_pylist() for n in names}


def _online(store: FeatureStore, view: FeatureView, ids: Sequence[int], *names: str) -> dict[str, list[Any]]:
    names = names or ("trips", "rating")
    rows = pa.table({KEY: pa.array(ids, pa.int64())})
    result = store.get_online_features(rows, [f"{view.name}:{n}" for n in names])
    assert result.num_rows == len(ids), f"get_online_features returned {result.num_rows} rows for {len(ids)} keys."
    return {n: result.column(n).to_pylist() for n in names}


def reference_training_set(view: FeatureView, source: pa.Table, rows: pa.Table) -> list[Any]:
    """``trips`` per entity row, by the spec's sentences, row by row (small data only)."""
    candidates = source.to_pylist()
    values = []
    for entity in rows.to_pylist():
        when = entity[TIMESTAMP]
        qualifying = [
            r
            for r in candidates
            if r[KEY] == entity[KEY]
            and r["event_ts"] <= when
            and (view.ttl is None or r["event_ts"] >= when - view.ttl)
        ]
        rank = (
            (lambda r: (r["event_ts"], r["created_ts"])) if view.created_timestamp_field else (lambda r: r["event_ts"])
        )
        values.append(max(qualifying, key=rank)["trips"] if qualifying else None)
    return values


def _random_case(seed: int) -> tuple[list[Row], list[tuple[int, float]], timedelta | None]:
    """Rows on a 5-minute grid (ties everywhere) with created minutes unique per row, so that no two rows are
    equal in both timestamps; entity rows on the grid and between it, some for unknown drivers."""
    rng = random.Random(f"{SEED}:feature_store:{seed}")
    count = 200
    created = rng.sample(range(count * 3), count)
    rows: list[Row] = [
        (rng.randrange(8), rng.randrange(0, 120, 5), created[i], rng.choice([rng.randrange(100), None]), 0.5)
        for i in range(count)
    ]
    entities = [(rng.randrange(10), rng.choice([rng.randrange(-10, 130, 5), rng.uniform(-10, 130)])) for _ in range(80)]
    return rows, entities, rng.choice([None, timedelta(0), timedelta(minutes=12), timedelta(minutes=40)])


class FeatureStoreSuite(ConformanceSuite):
    """Subclass it, set ``plugin`` and define a ``component_config`` fixture (see ``ConformanceSuite``).

    A feature store that requires a warehouse defines ``component_dependencies`` (``{"warehouse": ...}``); the
    suite then writes its source tables there. Any other defines ``source_tables``, returning a
    ``SourceTables`` that writes tables where its feature views' ``source`` names find them.
    """

    category: ClassVar[str | None] = "feature_store"

    @pytest.fixture
    def source_tables(self, request: pytest.FixtureRequest) -> SourceTables:
        warehouses = [c for c in (_dependencies(request) or {}).values() if isinstance(c, Warehouse)]
        if len(warehouses) != 1:
            pytest.fail(
                "The suite cannot tell where to write source tables: define a source_tables fixture that returns a "
                "stackhub_conformance.feature_store.SourceTables (WarehouseSources(warehouse) for a stackhub "
                "warehouse), or pass exactly one warehouse in component_dependencies."
            )
        return WarehouseSources(warehouses[0])

    @pytest.fixture
    def catalog(self, component: FeatureStore, source_tables: SourceTables, cleanup: Cleanup) -> Catalog:
        return Catalog(component, source_tables, cleanup)

    # -- apply and list_feature_views -------------------------------------------------------------------

    @must("apply", IDEMPOTENT)
    def test_apply_twice_changes_nothing(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (2, 20, 20, 200, 2.0)], ttl=timedelta(minutes=30))
        component.materialize(at(0), at(60), [view.name])
        rows = entity_table([(1, 15), (2, 25), (2, 55)])
        before = (
            [v for v in component.list_feature_views() if v.name == view.name],
            _features(component, rows, view, "trips", "rating"),
            _online(component, view, [1, 2]),
        )
        component.apply([catalog.driver], [view])
        component.apply([catalog.driver], [view])
        after = (
            [v for v in component.list_feature_views() if v.name == view.name],
            _features(component, rows, view, "trips", "rating"),
            _online(component, view, [1, 2]),
        )
        assert after == before, f"Applying the same definitions again changed (views, training set, online): {after}"
        assert before[0] == [view], f"list_feature_views() holds {before[0]}, applied {view}."

    @must("apply", REGISTER)
    def test_apply_replaces_an_earlier_definition(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 0, 0, 100, 1.0), (1, 50, 50, 150, 1.5)])
        replaced = view.model_copy(
            update={"features": (Feature(name="trips", dtype="int64"),), "ttl": timedelta(minutes=5)}
        )
        component.apply([], [replaced])
        assert [v for v in component.list_feature_views() if v.name == view.name] == [replaced]
        rows = entity_table([(1, 60), (1, 52)])
        assert _features(component, rows, view) == {"trips": [None, 150]}, "The replaced view's ttl is not in force."
        with pytest.raises(NotFound):
            component.get_historical_features(rows, [f"{view.name}:rating"])

    @must("apply", UNKNOWN_ENTITY)
    def test_apply_rejects_a_view_of_an_unknown_entity(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.view(catalog.source([(1, 0, 0, 1, 1.0)]))
        with pytest.raises(InvalidInput):
            component.apply([], [view])

    @must("apply", UNKNOWN_ENTITY)
    def test_apply_accepts_an_entity_registered_earlier(self, component: FeatureStore, catalog: Catalog) -> None:
        component.apply([catalog.driver], [])
        view = catalog.view(catalog.source([(1, 0, 0, 1, 1.0)]))
        component.apply([], [view])
        assert view in component.list_feature_views(), "A view of an entity registered earlier was not registered."

    @must("apply", MISSING_SOURCE)
    def test_apply_raises_not_found_for_a_missing_source(self, component: FeatureStore, catalog: Catalog) -> None:
        with pytest.raises(NotFound):
            component.apply([catalog.driver], [catalog.view(unique_name("missing"))])

    @must("apply", MISSING_COLUMN)
    @pytest.mark.parametrize("role", ["timestamp_field", "created_timestamp_field", "feature", "join_key"])
    def test_apply_rejects_a_column_the_source_lacks(
        self, component: FeatureStore, catalog: Catalog, role: str
    ) -> None:
        source = catalog.source([(1, 0, 0, 1, 1.0)])
        entities = [catalog.driver]
        if role == "join_key":
            car = Entity(name=unique_name("car"), join_keys=("car_id",))
            entities.append(car)
            view = catalog.view(source).model_copy(update={"entities": (catalog.driver.name, car.name)})
        elif role == "feature":
            view = catalog.view(source).model_copy(update={"features": (Feature(name="speed", dtype="double"),)})
        else:
            view = catalog.view(source).model_copy(update={role: "no_such_column"})
        with pytest.raises(InvalidInput):
            component.apply(entities, [view])

    @must("list_feature_views", LISTED)
    def test_list_feature_views_sorted_as_applied(self, component: FeatureStore, catalog: Catalog) -> None:
        source = catalog.source([(1, 0, 0, 1, 1.0)])
        prefix = unique_name("listed")
        views = [
            catalog.view(source, name=f"{prefix}_b", ttl=timedelta(hours=2), description="Trips ünïcode 🚕."),
            catalog.view(source, name=f"{prefix}_c", created=False, features=("rating",)),
            catalog.view(source, name=f"{prefix}_a"),
        ]
        component.apply([catalog.driver], views)
        listed = component.list_feature_views()
        assert all(isinstance(v, FeatureView) for v in listed), f"list_feature_views() returned {listed}."
        names = [v.name for v in listed]
        assert names == sorted(names), f"list_feature_views() is not sorted by name: {names}."
        ours = [v for v in listed if v.name.startswith(prefix)]
        assert ours == sorted(views, key=lambda v: v.name), f"The views come back as {ours}, applied as {views}."

    # -- get_historical_features ------------------------------------------------------------------------

    @must("get_historical_features", SHAPE)
    def test_training_set_has_one_row_per_entity_row_and_the_requested_columns(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        first = catalog.define([(1, 10, 10, 100, 1.0), (2, 10, 10, 200, 2.0)])
        second = catalog.view(catalog.source([(1, 5, 5, 7, 0.5)]), created=False)
        component.apply([], [second])
        rows = entity_table([(2, 20), (1, 20), (9, 20)])
        requested = [f"{first.name}:rating", f"{second.name}:trips", f"{first.name}:trips"]
        result = component.get_historical_features(rows, requested, full_feature_names=True)
        names = [f"{first.name}__rating", f"{second.name}__trips", f"{first.name}__trips"]
        assert result.column_names == [*rows.column_names, *names], f"Columns: {result.column_names}."
        ordered = _by_request(result)
        for field in rows.schema:
            assert accepts_type(field.type, result.schema.field(field.name).type), f"Entity column {field.name!r}."
            assert ordered.column(field.name).cast(field.type).equals(rows.column(field.name)), (
                f"Entity column {field.name!r} does not come back as given."
            )
        assert [ordered.column(n).to_pylist() for n in names] == [[2.0, 1.0, None], [None, 7, None], [200, 100, None]]
        short = component.get_historical_features(rows, [f"{first.name}:trips", f"{first.name}:rating"])
        assert short.column_names == [*rows.column_names, "trips", "rating"], f"Columns: {short.column_names}."

    @must("get_historical_features", SHAPE)
    def test_duplicate_entity_rows_are_all_kept(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (2, 10, 10, 200, 2.0)])
        rows = entity_table([(1, 20), (2, 20), (1, 20), (1, 20), (2, 5)]).drop_columns(["request", "note"])
        result = component.get_historical_features(rows, [f"{view.name}:trips"])
        got = Counter(zip(*(result.column(c).to_pylist() for c in [KEY, TIMESTAMP, "trips"]), strict=True))
        expected = Counter({(1, at(20), 100): 3, (2, at(20), 200): 1, (2, at(5), None): 1})
        assert got == expected, f"Rows (driver, timestamp, trips) of the training set: {dict(got)}."

    @must("get_historical_features", POINT_IN_TIME)
    def test_a_row_stamped_after_the_entity_timestamp_is_never_used(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        # The future row was created first and has the largest value: nothing about it may win.
        view = catalog.define([(1, 21, 0, 999, 9.0), (1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0)])
        rows = entity_table([(1, 20.5), (1, 20.999), (1, 19.5), (1, 9.999), (1, 21)])
        assert _features(component, rows, view) == {"trips": [200, 200, 100, None, 999]}

    @must("get_historical_features", POINT_IN_TIME)
    def test_a_row_stamped_exactly_at_the_entity_timestamp_is_used(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0), (2, 20, 20, 300, 3.0)])
        assert _features(component, entity_table([(1, 20), (1, 10), (2, 20)]), view) == {"trips": [200, 100, 300]}

    @must("get_historical_features", CREATED_TIES)
    def test_equal_event_timestamps_are_broken_by_the_latest_created_timestamp(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        # Per driver the latest-created row is stored first, in the middle and last, and holds the middle, the
        # smallest and the largest value: neither storage order nor the values themselves can decide.
        view = catalog.define(
            [
                (1, 10, 30, 120, 1.0), (1, 10, 20, 130, 1.0), (1, 10, 10, 110, 1.0),
                (2, 10, 10, 230, 1.0), (2, 10, 30, 210, 1.0), (2, 10, 20, 220, 1.0),
                (3, 10, 10, 310, 1.0), (3, 10, 20, 320, 1.0), (3, 10, 30, 330, 1.0),
                (3, 5, 99, 399, 1.0),
            ]
        )  # fmt: skip
        rows = entity_table([(1, 10), (2, 15), (3, 10)])
        assert _features(component, rows, view) == {"trips": [120, 210, 330]}

    @must("get_historical_features", TTL)
    @pytest.mark.parametrize(
        ("ttl", "expected"),
        [(timedelta(minutes=10), [200, 200, None, 100]), (timedelta(0), [None, 200, None, None])],
        ids=["10-minutes", "zero"],
    )
    def test_rows_older_than_the_ttl_are_not_used(
        self, component: FeatureStore, catalog: Catalog, ttl: timedelta, expected: list[int | None]
    ) -> None:
        view = catalog.define([(1, 0, 0, 100, 1.0), (1, 20, 20, 200, 2.0)], ttl=ttl)
        # At 30 the row at 20 is exactly ttl old (not older); at 30.001 it is past it, and the row at 0 more so.
        rows = entity_table([(1, 30), (1, 20), (1, 30.001), (1, 10)])
        assert _features(component, rows, view) == {"trips": expected}

    @must("get_historical_features", NULLS)
    def test_entity_rows_without_a_qualifying_row_get_nulls(self, component: FeatureStore, catalog: Catalog) -> None:
        # Driver 9 is unknown; driver 1 has only a row after the entity timestamp; driver 2 only one past the ttl.
        view = catalog.define(
            [(1, 50, 50, 100, 1.0), (2, 0, 0, 200, 2.0), (3, 0, 0, 300, 3.0)], ttl=timedelta(minutes=30)
        )
        rows = entity_table([(9, 40), (1, 40), (2, 40), (3, 30)])
        result = component.get_historical_features(rows, [f"{view.name}:trips", f"{view.name}:rating"])
        ordered = _by_request(result)
        assert ordered.column("request").to_pylist() == [0, 1, 2, 3], "An entity row was dropped or repeated."
        assert ordered.column("trips").to_pylist() == [None, None, None, 300]
        assert ordered.column("rating").to_pylist() == [None, None, None, 3.0]

    @must("get_historical_features", POINT_IN_TIME)
    @must("get_historical_features", CREATED_TIES)
    @must("get_historical_features", TTL)
    @must("get_historical_features", NULLS)
    @pytest.mark.parametrize("seed", range(4))
    def test_training_sets_equal_a_brute_force_reference(
        self, component: FeatureStore, catalog: Catalog, seed: int
    ) -> None:
        source_rows, entities, ttl = _random_case(seed)
        created = seed % 2 == 0
        if not created:
            # Without created timestamps the spec decides only between rows of distinct event timestamps.
            source_rows = list({(r[0], r[1]): r for r in source_rows}.values())
        view = catalog.define(source_rows, ttl=ttl, created=created)
        rows = entity_table(entities)
        expected = reference_training_set(view, source_table(source_rows), rows)
        got = _features(component, rows, view)["trips"]
        wrong = [(entities[i], got[i], expected[i]) for i in range(len(rows)) if got[i] != expected[i]]
        assert not wrong, f"(driver, minute), got, expected; ttl={ttl}: {wrong[:5]}"

    @must("get_historical_features", ENTITY_ROWS)
    def test_the_timestamp_column_is_the_one_named(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (1, 20, 20, 200, 2.0)])
        rows = entity_table([(1, 15), (1, 25)])
        # The default column holds other times: only the named one may decide.
        rows = rows.append_column("as_of", rows.column(TIMESTAMP)).set_column(2, TIMESTAMP, _stamps([99, 0]))
        assert _features(component, rows, view, timestamp_column="as_of") == {"trips": [100, 200]}

    @must("get_historical_features", HISTORICAL_NOT_FOUND)
    @pytest.mark.parametrize("missing", ["view", "feature"])
    def test_historical_features_of_an_unknown_reference_raise_not_found(
        self, component: FeatureStore, catalog: Catalog, missing: str
    ) -> None:
        view = catalog.define([(1, 0, 0, 1, 1.0)])
        reference = f"{unique_name('ghost')}:trips" if missing == "view" else f"{view.name}:no_such_feature"
        with pytest.raises(NotFound):
            component.get_historical_features(entity_table([(1, 5)]), [f"{view.name}:trips", reference])

    @must("get_historical_features", HISTORICAL_INVALID)
    @pytest.mark.parametrize("missing", ["join_key", "timestamp_column", "named_timestamp_column"])
    def test_entity_rows_without_a_join_key_or_timestamp_raise_invalid_input(
        self, component: FeatureStore, catalog: Catalog, missing: str
    ) -> None:
        view = catalog.define([(1, 0, 0, 1, 1.0)])
        rows = entity_table([(1, 5)])
        options: dict[str, Any] = {}
        if missing == "named_timestamp_column":
            options["timestamp_column"] = "as_of"  # the default column is there; the named one is not
        else:
            rows = rows.drop_columns([KEY if missing == "join_key" else TIMESTAMP])
        with pytest.raises(InvalidInput):
            component.get_historical_features(rows, [f"{view.name}:trips"], **options)

    # -- materialize and get_online_features ------------------------------------------------------------

    @must("materialize", WINDOW)
    def test_materialize_loads_the_latest_row_stamped_in_the_window(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        view = catalog.define(
            [
                (1, 10, 10, 110, 1.1),
                (1, 20, 20, 120, 1.2),
                (2, 30, 30, 230, 2.3),
                (3, 0, 0, 300, 3.0),
                (4, 29.999, 1, 4, 0.4),
            ]
        )
        component.materialize(at(10), at(30), [view.name])
        # start is inclusive, end exclusive: driver 2's row at 30 and driver 3's at 0 are outside.
        assert _online(component, view, [1, 2, 3, 4]) == {
            "trips": [120, None, None, 4],
            "rating": [1.2, None, None, 0.4],
        }

    @must("materialize", MATERIALIZED)
    def test_materialize_again_serves_the_latest_materialized_value(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        view = catalog.define(
            [(1, 10, 10, 110, 1.1), (2, 10, 10, 210, 2.1), (1, 40, 40, 140, 1.4), (3, 45, 45, 340, 3.4)]
        )
        component.materialize(at(0), at(30), [view.name])
        assert _online(component, view, [1, 2, 3], "trips") == {"trips": [110, 210, None]}
        component.materialize(at(30), at(60), [view.name])
        assert _online(component, view, [3, 1, 2], "trips") == {"trips": [340, 140, 210]}

    @must("materialize", MATERIALIZE_NOT_FOUND)
    def test_materialize_raises_not_found_for_an_unknown_view(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 0, 0, 1, 1.0)])
        with pytest.raises(NotFound):
            component.materialize(at(0), at(60), [view.name, unique_name("ghost")])

    @must("get_online_features", ONLINE_ROWS)
    def test_online_features_come_back_in_input_order(self, component: FeatureStore, catalog: Catalog) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (2, 10, 10, 200, 2.0), (3, 10, 10, 300, 3.0)])
        component.materialize(at(0), at(60), [view.name])
        rows = pa.table({"note": ["c", "a", "b", "a2", "x"], KEY: pa.array([3, 1, 2, 1, 9], pa.int64())})
        result = component.get_online_features(rows, [f"{view.name}:rating", f"{view.name}:trips"])
        assert result.column_names == ["note", KEY, "rating", "trips"], f"Columns: {result.column_names}."
        for name in rows.column_names:
            assert result.column(name).to_pylist() == rows.column(name).to_pylist(), f"Entity column {name!r}."
        assert result.column("trips").to_pylist() == [300, 100, 200, 100, None]
        assert result.column("rating").to_pylist() == [3.0, 1.0, 2.0, 1.0, None]
        named = component.get_online_features(rows, [f"{view.name}:trips"], full_feature_names=True)
        assert named.column_names == ["note", KEY, f"{view.name}__trips"], f"Columns: {named.column_names}."

    @must("get_online_features", ONLINE_NULLS)
    def test_online_features_of_keys_never_materialized_are_null(
        self, component: FeatureStore, catalog: Catalog
    ) -> None:
        view = catalog.define([(1, 10, 10, 100, 1.0), (2, 50, 50, 200, 2.0)])
        assert _online(component, view, [1, 2]) == {"trips": [None, None], "rating": [None, None]}
        component.materialize(at(0), at(30), [view.name])  # driver 2's only row is outside the window
        assert _online(component, view, [2, 1, 7]) == {"trips": [None, 100, None], "rating": [None, 1.0, None]}

    @must("get_online_features", ONLINE_NOT_FOUND)
    @pytest.mark.parametrize("missing", ["view", "feature"])
    def test_online_features_of_an_unknown_reference_raise_not_found(
        self, component: FeatureStore, catalog: Catalog, missing: str
    ) -> None:
        view = catalog.define([(1, 0, 0, 1, 1.0)])
        component.materialize(at(0), at(60), [view.name])
        reference = f"{unique_name('ghost')}:trips" if missing == "view" else f"{view.name}:no_such_feature"
        with pytest.raises(NotFound):
            component.get_online_features(pa.table({KEY: [1]}), [reference])

    # -- capabilities -----------------------------------------------------------------------------------

    @requires("push")
    @must("capability push", CAPABILITIES["push"])
    @must("push", PUSHED)
    def test_a_pushed_newer_value_is_served(self, component: FeatureStore, catalog: Catalog) -> None:
        assert isinstance(component, SupportsPush), "A plugin that declares 'push' must implement SupportsPush."
        view = catalog.define([(1, 10, 10, 100, 1.0), (2, 10, 10, 200, 2.0)])
        component.materialize(at(0), at(60), [view.name])
        component.push(view.name, source_table([(1, 20, 20, 111, 1.5), (3, 5, 5, 333, 3.5)]))
        assert _online(component, view, [1, 2, 3]) == {"trips": [111, 200, 333], "rating": [1.5, 2.0, 3.5]}
