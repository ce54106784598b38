"""apply() and list_feature_views(): definitions kept in the warehouse, checked against their sources."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlfeatures_support import DRIVER, SourceRow, at, build_store, driver_rows, driver_view, entity_rows
from stackhub import FeatureStore, InvalidInput, NotFound, Warehouse
from stackhub.categories.feature_store import Entity, Feature
from stackhub_duckdb import plugin as duckdb_plugin

ROWS: list[SourceRow] = [(1, 10, 10, 100, 1.0)]


@pytest.fixture
def source(warehouse: Warehouse) -> str:
    warehouse.write("driver_stats", driver_rows(ROWS))
    return "driver_stats"


def snapshot(warehouse: Warehouse) -> dict[str, pa.Table]:
    return {name: warehouse.query(f'SELECT * FROM "{name}"') for name in warehouse.list_tables()}


def test_apply_then_list_returns_the_views_as_applied_sorted_by_name(
    store: FeatureStore, warehouse: Warehouse, source: str
) -> None:
    views = [
        driver_view(name="b_view", ttl=timedelta(hours=1, microseconds=5)),
        driver_view(name="a_view", created=False).model_copy(update={"description": "Trips ünïcode 🚕."}),
    ]
    store.apply([DRIVER], views)
    assert store.list_feature_views() == [views[1], views[0]]


def test_nothing_applied_lists_nothing(store: FeatureStore) -> None:
    assert store.list_feature_views() == []


def test_apply_is_idempotent(
    store: FeatureStore, warehouse: Warehouse, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.apply([DRIVER], [driver_view()])
    before = snapshot(warehouse)
    writes: list[str] = []
    monkeypatch.setattr(warehouse, "write", lambda table, *a, **k: writes.append(table))
    monkeypatch.setattr(warehouse, "drop_table", lambda table, **k: writes.append(table))
    store.apply([DRIVER], [driver_view()])
    store.apply([], [driver_view()])
    store.apply([DRIVER], [])
    assert writes == [], f"Applying the same definitions again wrote {writes}."
    monkeypatch.undo()
    after = snapshot(warehouse)
    assert after.keys() == before.keys()
    assert all(after[name].equals(before[name]) for name in before)


def test_apply_replaces_a_definition_and_its_online_values(
    store: FeatureStore, warehouse: Warehouse, source: str
) -> None:
    store.apply([DRIVER], [driver_view()])
    store.materialize(at(0), at(60))
    rows = pa.table({"driver_id": [1]})
    assert store.get_online_features(rows, ["driver_stats:trips"]).column("trips").to_pylist() == [100]
    tables = set(warehouse.list_tables())
    changed = driver_view().model_copy(update={"features": (Feature(name="trips", dtype="int64"),)})
    store.apply([], [changed])
    assert store.list_feature_views() == [changed]
    # Values materialized under the old definition are gone with its online table, not served under the new one.
    assert store.get_online_features(rows, ["driver_stats:trips"]).column("trips").to_pylist() == [None]
    assert len(set(warehouse.list_tables()) - tables) == 1
    assert len(tables - set(warehouse.list_tables())) == 1
    with pytest.raises(NotFound, match="has no feature 'rating'"):
        store.get_historical_features(entity_rows([(1, 20)]), ["driver_stats:rating"])


def test_a_description_change_keeps_the_online_values(store: FeatureStore, warehouse: Warehouse, source: str) -> None:
    store.apply([DRIVER], [driver_view()])
    tables = warehouse.list_tables()
    store.apply([], [driver_view().model_copy(update={"description": "Now documented.", "ttl": timedelta(1)})])
    assert warehouse.list_tables() == tables


def test_the_registry_travels_with_the_warehouse(tmp_path: Path) -> None:
    path = str(tmp_path / "features.duckdb")
    with duckdb_plugin.create({"path": path}) as warehouse:
        warehouse.write("driver_stats", driver_rows(ROWS))
        build_store(warehouse).apply([DRIVER], [driver_view()])
    with duckdb_plugin.create({"path": path}) as warehouse:
        assert build_store(warehouse).list_feature_views() == [driver_view()]
        assert build_store(warehouse, table_prefix="team_b").list_feature_views() == []


def test_a_view_may_use_an_entity_registered_earlier(store: FeatureStore, source: str) -> None:
    store.apply([DRIVER], [])
    store.apply([], [driver_view()])
    assert [v.name for v in store.list_feature_views()] == ["driver_stats"]


# -- errors ------------------------------------------------------------------------------------------------


def test_an_unknown_entity_raises_invalid_input(store: FeatureStore, source: str) -> None:
    with pytest.raises(InvalidInput, match=r"names entities that are neither given nor registered: \['driver'\]"):
        store.apply([], [driver_view()])
    assert store.list_feature_views() == []


def test_a_missing_source_raises_not_found_and_changes_nothing(
    store: FeatureStore, warehouse: Warehouse, source: str
) -> None:
    store.apply([DRIVER], [driver_view()])
    before = snapshot(warehouse)
    with pytest.raises(NotFound, match=r"reads source table 'nowhere', which does not exist"):
        store.apply([], [driver_view(name="other"), driver_view(name="broken", source="nowhere")])
    after = snapshot(warehouse)
    assert after.keys() == before.keys()
    assert all(after[n].equals(before[n]) for n in before)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"timestamp_field": "ts"}, r"lacks: timestamp_field 'ts'"),
        ({"created_timestamp_field": "created"}, r"lacks: created_timestamp_field 'created'"),
        ({"features": (Feature(name="speed", dtype="double"),)}, r"lacks: feature 'speed'"),
        ({"entities": ("driver", "car")}, r"lacks: join key 'car_id'"),
        ({"timestamp_field": "trips"}, r"'trips' .* is int64, not a timestamp"),
        ({"name": "driver:stats"}, r"contains ':'"),
        ({"ttl": timedelta(seconds=-1)}, r"negative ttl"),
        ({"features": (Feature(name="trips", dtype="int64"),) * 2}, r"lists features \['trips'\] twice"),
        ({"features": (Feature(name="driver_id", dtype="int64"),)}, r"features named like its join keys"),
        ({"features": (Feature(name="__stackhub_x", dtype="int64"),)}, r"reserves"),
    ],
)
def test_bad_views_raise_invalid_input(store: FeatureStore, source: str, update: dict[str, Any], message: str) -> None:
    view = driver_view().model_copy(update=update)
    with pytest.raises(InvalidInput, match=message):
        store.apply([DRIVER, Entity(name="car", join_keys=("car_id",))], [view])
    assert store.list_feature_views() == []


@pytest.mark.parametrize(
    ("entities", "views", "message"),
    [
        ([DRIVER, DRIVER], [], r"several entities named \['driver'\]"),
        ([DRIVER], [driver_view(), driver_view()], r"several feature views named \['driver_stats'\]"),
        ([DRIVER], [{"name": "driver_stats"}], r"takes FeatureView models, got dict"),
        ([Entity(name="e", join_keys=("__stackhub_row",))], [], r"reserves"),
    ],
)
def test_bad_apply_arguments_raise_invalid_input(
    store: FeatureStore, source: str, entities: list[Any], views: list[Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        store.apply(entities, views)


def test_changing_an_entitys_keys_checks_the_views_using_it(store: FeatureStore, source: str) -> None:
    store.apply([DRIVER], [driver_view()])
    with pytest.raises(InvalidInput, match=r"'driver_stats' names columns .* lacks: join key 'car_id'"):
        store.apply([Entity(name="driver", join_keys=("car_id",))], [])
    assert store.list_feature_views() == [driver_view()]


def test_the_same_registry_serves_every_store_on_the_warehouse(
    make_store: Callable[..., FeatureStore], source: str
) -> None:
    make_store(join="window").apply([DRIVER], [driver_view()])
    assert make_store(join="asof").list_feature_views() == [driver_view()]
