"""The plugin's own behaviour around Feast: definitions in the registry, snapshots, bridges, errors, files."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import feast
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig
from feast_support import DRIVER, at, build_store, driver_rows, driver_view, entity_rows, stamps
from stackhub import ConfigError, InvalidInput, NotFound, Unavailable, Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_feast import plugin
from stackhub_feast._export import HIDDEN_TS, source_path
from stackhub_feast._store import FeastFeatureStore

ROWS = [(1, 0, 0, 100, 1.0), (1, 20, 20, 200, 2.0), (2, 10, 5, 210, 2.1), (2, 10, 15, 220, 2.2), (3, 50, 50, 300, 3.0)]


@pytest.fixture
def source(warehouse: Warehouse) -> str:
    warehouse.write("driver_stats", driver_rows(ROWS))
    return "driver_stats"


def trips(store: FeastFeatureStore, rows: pa.Table, **options: Any) -> list[Any]:
    return store.get_historical_features(rows, ["driver_stats:trips"], **options).column("trips").to_pylist()


# -- definitions ----------------------------------------------------------------------------------------------


def test_definitions_are_ordinary_feast_objects(make_store: Callable[..., FeastFeatureStore], source: str) -> None:
    store = make_store()
    views = [driver_view(ttl=timedelta(minutes=30)), driver_view(name="exact", ttl=timedelta(0), created=False)]
    store.apply([DRIVER.model_copy(update={"description": "A driver 🚕."})], views)
    # Feast alone, with its own registry store, reads what the plugin applied.
    config = feast.RepoConfig(
        project="stackhub",
        registry=str(store.registry_path),
        provider="local",
        online_store=SqliteOnlineStoreConfig(path=str(store.online_path)),
        entity_key_serialization_version=3,
    )
    plain = feast.FeatureStore(config=config)
    by_name = {view.name: view for view in plain.list_feature_views()}
    assert sorted(by_name) == ["driver_stats", "exact"]
    stats = by_name["driver_stats"]
    assert stats.ttl == timedelta(minutes=30)
    assert stats.entities == ["driver"]
    assert [f.name for f in stats.features] == ["trips", "rating"]
    assert stats.batch_source.path == str(source_path(store.repo, "driver_stats"))
    assert stats.batch_source.created_timestamp_column == "created_ts"
    # ttl 0 is Feast's "no ttl": the view carries the copy of its event timestamp that the plugin checks instead.
    assert by_name["exact"].ttl == timedelta(0)
    assert [f.name for f in by_name["exact"].features] == ["trips", "rating", HIDDEN_TS]
    assert plain.get_entity("driver").join_key == "driver_id"
    assert plain.get_entity("driver").description == "A driver 🚕."
    # ... while the hub sees its own definitions, as applied, from any component on the repository.
    assert make_store().list_feature_views() == sorted(views, key=lambda v: v.name)


def test_applying_the_same_definitions_again_writes_nothing(
    make_store: Callable[..., FeastFeatureStore], source: str
) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    before = store.registry_path.read_bytes(), store.registry_path.stat().st_mtime_ns
    store.apply([DRIVER], [driver_view()])
    store.apply([], [driver_view()])
    store.apply([DRIVER], [])
    assert (store.registry_path.read_bytes(), store.registry_path.stat().st_mtime_ns) == before


def test_an_entity_with_two_join_keys(warehouse: Warehouse, make_store: Callable[..., FeastFeatureStore]) -> None:
    trip = Entity(name="trip", join_keys=("driver_id", "zone"))
    warehouse.write(
        "trips",
        pa.table({"driver_id": [1, 1, 2], "zone": ["a", "b", "a"], "ts": stamps([0, 0, 0]), "fare": [1.5, 2.5, 3.5]}),
    )
    view = FeatureView(
        name="fares",
        entities=("trip",),
        source="trips",
        timestamp_field="ts",
        features=(Feature(name="fare", dtype="double"),),
    )
    store = make_store()
    store.apply([trip], [view])
    rows = pa.table({"driver_id": [1, 1, 2, 2], "zone": ["b", "a", "a", "b"], "event_timestamp": stamps([5] * 4)})
    assert store.get_historical_features(rows, ["fares:fare"]).column("fare").to_pylist() == [2.5, 1.5, 3.5, None]
    store.materialize(at(0), at(10))
    assert store.get_online_features(rows.drop_columns("event_timestamp"), ["fares:fare"]).column(
        "fare"
    ).to_pylist() == [
        2.5,
        1.5,
        3.5,
        None,
    ]
    assert {e.name for e in store.feast_store.list_entities()} >= {"trip__driver_id", "trip__zone"}


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (
            {"timestamp_field": "rating", "features": (Feature(name="trips", dtype="int64"),)},
            r"'rating' .* is double, not a timestamp",
        ),
        ({"name": "driver:stats"}, r"contains ':'"),
        ({"ttl": timedelta(seconds=-1)}, r"negative ttl"),
        ({"features": (Feature(name="trips", dtype="int64"),) * 2}, r"lists features \['trips'\] twice"),
        ({"features": (Feature(name="driver_id", dtype="int64"),)}, r"named like its join keys or timestamp"),
        ({"features": (Feature(name="created_ts", dtype="timestamp[us]"),)}, r"named like its join keys or timestamp"),
        ({"features": (Feature(name="__stackhub_x", dtype="int64"),)}, r"reserves"),
        (
            {"features": (Feature(name="trips", dtype="list<item: int64>"),)},
            r"not an Arrow type name this plugin reads",
        ),
        ({"features": (Feature(name="trips", dtype="date32"),)}, r"has no lossless Feast type"),
        ({"name": ""}, r"feature views with an empty name"),
        ({"source": "nowhere"}, r"reads source table 'nowhere', which does not exist"),
    ],
)
def test_bad_views_are_refused_and_nothing_is_registered(
    make_store: Callable[..., FeastFeatureStore], source: str, update: dict[str, Any], message: str
) -> None:
    store = make_store()
    error = NotFound if "source" in update else InvalidInput
    with pytest.raises(error, match=message):
        store.apply([DRIVER], [driver_view(), driver_view(name="bad").model_copy(update=update)])
    assert store.list_feature_views() == []
    assert not store.registry_path.exists() or store.feast_store.list_feature_views() == []


def test_a_join_key_named_like_feasts_timestamp_column_is_refused(make_store: Callable[..., FeastFeatureStore]) -> None:
    with pytest.raises(InvalidInput, match="the column Feast reads entity timestamps from"):
        make_store().apply([Entity(name="e", join_keys=("event_timestamp",))], [])


def test_a_failed_registry_write_leaves_the_registry_as_it_was(
    make_store: Callable[..., FeastFeatureStore], source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    before = store.registry_path.read_bytes()

    def fail(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(Unavailable, match="No space left on device"):
        store.apply([], [driver_view(name="other")])
    monkeypatch.undo()
    assert store.registry_path.read_bytes() == before
    assert [p.name for p in store.registry_path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert [v.name for v in make_store().list_feature_views()] == ["driver_stats"]


# -- training sets --------------------------------------------------------------------------------------------


def test_entity_rows_come_back_as_given(store: FeastFeatureStore, source: str) -> None:
    store.apply([DRIVER], [driver_view()])
    rows = pa.table(
        {
            "driver_id": pa.array([3, 1, None, 2, 1], pa.int64()).dictionary_encode(),
            "event_timestamp": pa.array([at(60), at(25), at(25), None, at(25)], pa.timestamp("ns", "Europe/Paris")),
            "label": pa.array(["a", "b", "c", "d", "e"], pa.large_string()),
        }
    )
    result = store.get_historical_features(rows, ["driver_stats:rating", "driver_stats:trips"])
    assert result.column_names == ["driver_id", "event_timestamp", "label", "rating", "trips"]
    assert result.select(rows.column_names).equals(rows)
    assert result.schema.field("trips").type == pa.int64()
    # Null keys and timestamps give nulls; aware timestamps are compared in UTC.
    assert result.column("trips").to_pylist() == [300, 200, None, None, 200]


def test_an_entity_row_table_without_rows(store: FeastFeatureStore, source: str) -> None:
    store.apply([DRIVER], [driver_view()])
    result = store.get_historical_features(entity_rows([]), ["driver_stats:trips"], full_feature_names=True)
    assert result.num_rows == 0
    assert result.schema.field("driver_stats__trips").type == pa.int64()


def test_a_snapshot_holds_only_the_rows_a_call_can_use(store: FeastFeatureStore, source: str) -> None:
    store.apply([DRIVER], [driver_view(ttl=timedelta(minutes=5))])
    assert trips(store, entity_rows([(2, 12), (2, 14)])) == [220, 220]
    snapshot = pq.read_table(source_path(store.repo, "driver_stats"))
    # Only rows stamped in [12 - 5, 14]; for the 'file' store only the latest-created row of the tie at 10.
    expected = [(2, 220)] if store.config.offline_store == "file" else [(2, 210), (2, 220)]
    assert (
        sorted(zip(snapshot.column("driver_id").to_pylist(), snapshot.column("trips").to_pylist(), strict=True))
        == expected
    )
    assert snapshot.schema.field("event_ts").type == pa.timestamp("us", "UTC")


def test_a_source_stamped_in_event_timestamp_with_a_time_zone(store: FeastFeatureStore, warehouse: Warehouse) -> None:
    # Feast's own name for the entity timestamp, on the source side, and timestamps with a zone.
    warehouse.write(
        "stats",
        pa.table(
            {
                "driver_id": [1, 1, 2],
                "event_timestamp": stamps([0, 20, 10], tz="Asia/Tokyo"),
                "trips": [100, 200, 210],
            }
        ),
    )
    view = FeatureView(
        name="stats",
        entities=("driver",),
        source="stats",
        timestamp_field="event_timestamp",
        features=(Feature(name="trips", dtype="int64"),),
        ttl=timedelta(minutes=15),
    )
    store.apply([DRIVER], [view])
    rows = entity_rows([(1, 14), (1, 20), (1, 40), (2, 25), (2, 26)])
    assert store.get_historical_features(rows, ["stats:trips"]).column("trips").to_pylist() == [
        100,
        200,
        None,
        210,
        None,
    ]
    store.materialize(at(0), at(15))
    online = store.get_online_features(pa.table({"driver_id": [1, 2]}), ["stats:trips"])
    assert online.column("trips").to_pylist() == [100, 210]


def test_join_keys_of_another_kind_are_refused(make_store: Callable[..., FeastFeatureStore], source: str) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    rows = entity_rows([(1, 5)]).set_column(1, "driver_id", pa.array(["one"]))
    with pytest.raises(InvalidInput, match=r"Join key 'driver_id' of entity_rows \(string\) does not convert to int64"):
        store.get_historical_features(rows, ["driver_stats:trips"])
    with pytest.raises(InvalidInput, match="not a timestamp"):
        store.get_historical_features(entity_rows([(1, 5)]), ["driver_stats:trips"], timestamp_column="label")
    with pytest.raises(InvalidInput, match="must be a pyarrow Table"):
        store.get_historical_features(entity_rows([(1, 5)]).to_pandas(), ["driver_stats:trips"])  # type: ignore[arg-type]


def test_a_source_that_changed_after_apply_is_read_as_it_is_now(
    make_store: Callable[..., FeastFeatureStore], warehouse: Warehouse, source: str
) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    assert trips(store, entity_rows([(1, 25)])) == [200]
    warehouse.write("driver_stats", driver_rows([*ROWS, (1, 24, 24, 240, 2.4)]), mode="overwrite")
    assert trips(store, entity_rows([(1, 25)])) == [240]
    warehouse.drop_table("driver_stats")
    with pytest.raises(NotFound, match="reads source table 'driver_stats', which does not exist"):
        trips(store, entity_rows([(1, 25)]))


# -- online store ---------------------------------------------------------------------------------------------


def test_materialize_counts_keys_and_prints_nothing(
    make_store: Callable[..., FeastFeatureStore], source: str, capfd: pytest.CaptureFixture[str]
) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view(), driver_view(name="again")])
    result = store.materialize(at(0), at(50).replace(tzinfo=UTC), ["driver_stats"])
    assert (result.feature_views, result.rows_written) == (("driver_stats",), 2)
    assert store.materialize(at(100), at(200)).rows_written == 0  # an empty window: Feast is not called
    assert capfd.readouterr() == ("", "")
    # The tie at 10 is broken by the created timestamp online too.
    online = store.get_online_features(
        pa.table({"driver_id": [2, 1, 3]}), ["driver_stats:trips", "driver_stats:rating"]
    )
    assert online.to_pydict() == {"driver_id": [2, 1, 3], "trips": [220, 200, None], "rating": [2.2, 2.0, None]}


def test_materialize_checks_its_arguments_first(make_store: Callable[..., FeastFeatureStore], source: str) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    with pytest.raises(InvalidInput, match="is after end"):
        store.materialize(at(10), at(0))
    with pytest.raises(NotFound, match="'ghost' is not registered"):
        store.materialize(at(0), at(60), ["driver_stats", "ghost"])
    assert store.get_online_features(pa.table({"driver_id": [1]}), ["driver_stats:trips"]).column(
        "trips"
    ).to_pylist() == [None]


def test_push_writes_the_latest_row_per_key(make_store: Callable[..., FeastFeatureStore], source: str) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view(ttl=timedelta(0))])
    pushed = pa.table(
        {
            "driver_id": pa.array([1, 1, 2, None], pa.int64()),
            "event_ts": stamps([30, 20, 5, 40]),
            "trips": pa.array([130, 120, 25, 999], pa.int32()),
            "rating": [1.3, 1.2, 0.25, 9.9],
        }
    )
    assert store.push("driver_stats", pushed) == 2
    online = store.get_online_features(pa.table({"driver_id": [1, 2]}), ["driver_stats:trips"])
    assert online.column("trips").to_pylist() == [130, 25]
    with pytest.raises(InvalidInput, match="rows lacks columns of the view: 'rating'"):
        store.push("driver_stats", pushed.drop_columns("rating"))
    with pytest.raises(NotFound):
        store.push("ghost", pushed)


# -- config, health, files ------------------------------------------------------------------------------------


def test_config_errors(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="project"):
        plugin.create({"warehouse": "w", "project": "_hidden"}, dependencies={"warehouse": warehouse})
    with pytest.raises(ConfigError, match="needs a warehouse component"):
        plugin.create({"warehouse": "w"}, dependencies={})
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ibis" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'stackhub-feast\[duckdb\]'"):
        plugin.create({"warehouse": "w", "offline_store": "duckdb"}, dependencies={"warehouse": warehouse})


def test_health_of_an_unusable_repository(warehouse: Warehouse, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with (
        build_store(warehouse, repo_path=str(blocker / "feast")) as store,
        pytest.raises(Unavailable, match="Cannot create"),
    ):
        store.health()
    with (
        duckdb_plugin.create({"path": str(tmp_path / "missing.duckdb"), "read_only": True}) as down,
        build_store(down, repo_path=str(tmp_path / "feast")) as store,
        pytest.raises(Unavailable, match="does not exist"),
    ):
        store.health()


def test_health_of_a_damaged_registry(make_store: Callable[..., FeastFeatureStore], source: str) -> None:
    store = make_store()
    store.apply([DRIVER], [driver_view()])
    store.registry_path.write_bytes(b"\xff not a registry")
    with pytest.raises(Unavailable, match="is not a registry Feast can read"):
        make_store().health()


def test_relative_paths_are_fixed_when_the_component_is_built(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    monkeypatch.chdir(tmp_path)
    store = build_store(warehouse, online_store_path="online/features.db")
    monkeypatch.chdir("/")
    store.apply([DRIVER], [driver_view()])
    store.materialize(at(0), at(60))
    store.close()
    store.close()
    assert store.repo == tmp_path / ".stackhub" / "feast"
    assert (tmp_path / "online" / "features.db").exists()
    assert (store.repo / "registry.db").exists()
