"""Both SQL strategies against the brute-force reference, on seeded random data full of edge cases.

Timestamps sit on a coarse grid, so exact ties between entity and source rows, and between source rows, are
common; created timestamps repeat and are sometimes null; feature values repeat, so full ties occur; keys and
timestamps are sometimes null; entity rows repeat, name unknown keys, or sit before or after all the data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
import sqlfeatures_reference as reference
from sqlfeatures_support import DRIVER, at
from stackhub import FeatureStore, Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView

ZONE = Entity(name="zone", join_keys=("zone",))
SEEDS = range(12)


def _maybe(rng: random.Random, value: Any, null_share: float) -> Any:
    return None if rng.random() < null_share else value


def random_case(seed: int) -> tuple[list[Entity], dict[str, tuple[FeatureView, tuple[str, ...], pa.Table]], pa.Table]:
    """Two views (one keyed by driver with created timestamps, one by driver and zone) and entity rows."""
    rng = random.Random(seed)

    def minute() -> int:
        return rng.randrange(0, 200, 5)  # a grid of 40 points: ties everywhere

    driver_rows = 250
    drivers = pa.table(
        {
            "driver_id": pa.array([_maybe(rng, rng.randrange(12), 0.03) for _ in range(driver_rows)], pa.int64()),
            "event_ts": pa.array([_maybe(rng, at(minute()), 0.03) for _ in range(driver_rows)], pa.timestamp("us")),
            "created_ts": pa.array(
                [_maybe(rng, at(rng.randrange(4)), 0.2) for _ in range(driver_rows)], pa.timestamp("us")
            ),
            "trips": pa.array([_maybe(rng, rng.randrange(4), 0.1) for _ in range(driver_rows)], pa.int64()),
            "rating": pa.array([_maybe(rng, rng.randrange(4) / 2, 0.1) for _ in range(driver_rows)], pa.float64()),
        }
    )
    driver_view = FeatureView(
        name="driver_stats",
        entities=("driver",),
        source="driver_stats",
        timestamp_field="event_ts",
        created_timestamp_field="created_ts" if rng.random() < 0.7 else None,
        features=(Feature(name="trips", dtype="int64"), Feature(name="rating", dtype="double")),
        ttl=rng.choice([None, timedelta(0), timedelta(minutes=15), timedelta(minutes=60)]),
    )
    zone_rows = 150
    zones = pa.table(
        {
            "zone": pa.array([_maybe(rng, rng.choice("abc"), 0.03) for _ in range(zone_rows)], pa.string()),
            "driver_id": pa.array([rng.randrange(12) for _ in range(zone_rows)], pa.int64()),
            "at": pa.array([at(minute()) for _ in range(zone_rows)], pa.timestamp("us")),
            "demand": pa.array([_maybe(rng, rng.choice(["low", "mid", "high"]), 0.1) for _ in range(zone_rows)]),
        }
    )
    zone_view = FeatureView(
        name="zone_demand",
        entities=("zone", "driver"),
        source="zone_demand",
        timestamp_field="at",
        features=(Feature(name="demand", dtype="string"),),
        ttl=rng.choice([None, timedelta(minutes=5), timedelta(minutes=40)]),
    )
    count = 120
    entity_minutes = [rng.choice([minute(), minute() + 2.5, -10, 500]) for _ in range(count)]
    entities = pa.table(
        {
            "driver_id": pa.array([_maybe(rng, rng.randrange(-1, 15), 0.03) for _ in range(count)], pa.int64()),
            "zone": pa.array([rng.choice("abcd") for _ in range(count)]),
            "event_timestamp": pa.array([_maybe(rng, at(m), 0.03) for m in entity_minutes], pa.timestamp("us")),
        }
    )
    repeated = pa.array([rng.randrange(count) for _ in range(30)])
    entities = pa.concat_tables([entities, entities.take(repeated)])
    entities = entities.take(pa.array(rng.sample(range(entities.num_rows), entities.num_rows)))
    entities = entities.append_column("position", pa.array(range(entities.num_rows)))
    views = {
        "driver_stats": (driver_view, ("driver_id",), drivers),
        "zone_demand": (zone_view, ("zone", "driver_id"), zones),
    }
    return [DRIVER, ZONE], views, entities


FEATURES = ["zone_demand:demand", "driver_stats:trips", "driver_stats:rating"]


def _load(store: FeatureStore, warehouse: Warehouse, seed: int) -> tuple[dict[str, Any], pa.Table]:
    entities, views, rows = random_case(seed)
    for view, _, source in views.values():
        warehouse.write(view.source, source, mode="overwrite")
    store.apply(entities, [view for view, _, _ in views.values()])
    return views, rows


@pytest.mark.parametrize("seed", SEEDS)
def test_training_sets_equal_the_reference(store: FeatureStore, warehouse: Warehouse, seed: int) -> None:
    views, rows = _load(store, warehouse, seed)
    expected = reference.point_in_time(rows, views, FEATURES)
    got = store.get_historical_features(rows, FEATURES)
    assert got.schema == expected.schema
    mismatched = [name for name in expected.column_names if not got.column(name).equals(expected.column(name))]
    assert not mismatched, f"seed {seed}: columns {mismatched} differ from the reference"


@pytest.mark.parametrize("seed", SEEDS)
def test_materialized_values_equal_the_reference(store: FeatureStore, warehouse: Warehouse, seed: int) -> None:
    views, _ = _load(store, warehouse, seed)
    view, keys, source = views["driver_stats"]
    rng = random.Random(seed)
    windows = sorted(rng.sample(range(-20, 220, 5), 3))
    # Two windows, the later one first: values from the earlier window never replace newer ones.
    store.materialize(at(windows[1]), at(windows[2]), ["driver_stats"])
    store.materialize(at(windows[0]), at(windows[1]), ["driver_stats"])
    latest = reference.latest_per_key(view, keys, source, at(windows[0]), at(windows[2]))
    lookup = pa.table({"driver_id": pa.array([*range(-1, 13), None, 3], pa.int64())})
    got = store.get_online_features(lookup, ["driver_stats:trips", "driver_stats:rating"])
    for feature in ("trips", "rating"):
        expected = [latest.get((key,), {}).get(feature) for key in lookup.column("driver_id").to_pylist()]
        assert got.column(feature).to_pylist() == expected, f"seed {seed}: online {feature!r} differs"


def test_the_cases_hold_what_they_are_meant_to(warehouse: Warehouse, make_store: Callable[..., FeatureStore]) -> None:
    # The edge cases must actually occur, or the comparisons above prove less than they claim.
    found: dict[str, int] = dict.fromkeys(["full ties", "exact hits", "ttl cuts", "unknown keys", "null features"], 0)
    for seed in SEEDS:
        _, views, rows = random_case(seed)
        view, _keys, source = views["driver_stats"]
        stamps = source.column("event_ts").to_pylist()
        pairs = list(
            zip(source.column("driver_id").to_pylist(), stamps, source.column("created_ts").to_pylist(), strict=True)
        )
        found["full ties"] += len(pairs) - len(set(pairs))
        found["exact hits"] += len(set(rows.column("event_timestamp").to_pylist()) & set(stamps))
        found["ttl cuts"] += view.ttl is not None
        found["unknown keys"] += sum(1 for k in rows.column("driver_id").to_pylist() if k is not None and k >= 12)
        expected = reference.point_in_time(rows, views, FEATURES)
        found["null features"] += expected.column("trips").null_count
    assert all(found.values()), found
