"""Test data: timestamps as minutes after T0, the driver entity and views, and seeded random cases."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from stackhub import Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub_feast import plugin
from stackhub_feast._store import FeastFeatureStore

T0 = datetime(2026, 1, 1)
DRIVER = Entity(name="driver", join_keys=("driver_id",))
ZONE = Entity(name="zone", join_keys=("zone",))


def at(minutes: float) -> datetime:
    """A naive timestamp ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def stamps(minutes: Sequence[float | None], tz: str | None = None) -> pa.Array:
    return pa.array([None if m is None else at(m) for m in minutes], pa.timestamp("us", tz))


#: A source row: (driver_id, event minute, created minute, trips, rating).
SourceRow = tuple[int | None, float | None, float | None, int | None, float | None]


def driver_rows(rows: Sequence[SourceRow]) -> pa.Table:
    ids, events, created, trips, rating = (list(c) for c in zip(*rows, strict=True))
    return pa.table(
        {
            "driver_id": pa.array(ids, pa.int64()),
            "event_ts": stamps(events),
            "created_ts": stamps(created),
            "trips": pa.array(trips, pa.int64()),
            "rating": pa.array(rating, pa.float64()),
        }
    )


def driver_view(
    *, ttl: timedelta | None = None, created: bool = True, name: str = "driver_stats", source: str = "driver_stats"
) -> FeatureView:
    return FeatureView(
        name=name,
        entities=("driver",),
        source=source,
        timestamp_field="event_ts",
        created_timestamp_field="created_ts" if created else None,
        features=(Feature(name="trips", dtype="int64"), Feature(name="rating", dtype="double")),
        ttl=ttl,
    )


def entity_rows(rows: Sequence[tuple[int | None, float | None]], tz: str | None = None) -> pa.Table:
    """Entity rows (driver_id, minute) with a ``label`` that tells them apart."""
    ids, minutes = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [])
    return pa.table(
        {
            "label": pa.array([f"row-{i}" for i in range(len(rows))]),
            "driver_id": pa.array(ids, pa.int64()),
            "event_timestamp": stamps(minutes, tz),
        }
    )


def build_store(warehouse: Warehouse, **config: Any) -> FeastFeatureStore:
    """The plugin's component on ``warehouse``, built the way ``open_stack`` builds it."""
    component = plugin.create({"warehouse": "warehouse", **config}, dependencies={"warehouse": warehouse})
    assert isinstance(component, FeastFeatureStore)
    return component


#: The features every random case requests, from both of its views.
FEATURES = ["driver_stats:trips", "zone_demand:demand", "driver_stats:rating"]


def random_case(seed: int) -> tuple[list[Entity], dict[str, tuple[FeatureView, pa.Table]], pa.Table]:
    """Two views (drivers with created timestamps; zone and driver without) and entity rows full of edge cases.

    Event timestamps sit on a 5-minute grid, so ties between source rows and exact hits of entity timestamps are
    common. Created timestamps are unique, so no two rows are equal in both timestamps (the spec leaves that
    order open). Entity rows repeat, name unknown keys, sit before or after all the data, or have null keys.
    """
    rng = random.Random(f"stackhub-feast:{seed}")

    def minute() -> int:
        return rng.randrange(0, 150, 5)

    count = 200
    created = rng.sample(range(1000), count)
    drivers = driver_rows(
        [
            (rng.randrange(10), minute(), created[i], rng.choice([rng.randrange(50), None]), rng.randrange(8) / 4)
            for i in range(count)
        ]
    )
    driver = driver_view(ttl=rng.choice([None, timedelta(0), timedelta(minutes=12), timedelta(minutes=40)]))
    # Unique (zone, driver, at): without created timestamps the spec decides only between distinct event times.
    cells = {(rng.choice("abc"), rng.randrange(10), minute()) for _ in range(120)}
    zone_cells = sorted(cells)
    zones = pa.table(
        {
            "zone": pa.array([z for z, _, _ in zone_cells]),
            "driver_id": pa.array([d for _, d, _ in zone_cells], pa.int64()),
            "at": stamps([m for _, _, m in zone_cells]),
            "demand": pa.array([rng.choice(["low", "mid", "high", None]) for _ in zone_cells]),
        }
    )
    zone = FeatureView(
        name="zone_demand",
        entities=("zone", "driver"),
        source="zone_demand",
        timestamp_field="at",
        features=(Feature(name="demand", dtype="string"),),
        ttl=rng.choice([None, timedelta(minutes=5), timedelta(minutes=30)]),
    )
    rows = 100
    minutes = [rng.choice([minute(), minute() + 2.5, rng.uniform(-10, 160), -10, 500]) for _ in range(rows)]
    ids = [rng.choice([rng.randrange(12), None]) if rng.random() < 0.05 else rng.randrange(12) for _ in range(rows)]
    entities = pa.table(
        {
            "label": pa.array([f"row-{i}" for i in range(rows)]),
            "driver_id": pa.array(ids, pa.int64()),
            "zone": pa.array([rng.choice("abcd") for _ in range(rows)]),
            "event_timestamp": stamps(minutes),
        }
    )
    # Exact duplicates of some entity rows, labels included.
    entities = pa.concat_tables([entities, entities.take(sorted(rng.sample(range(rows), 10)))])
    return [DRIVER, ZONE], {"driver_stats": (driver, drivers), "zone_demand": (zone, zones)}, entities
