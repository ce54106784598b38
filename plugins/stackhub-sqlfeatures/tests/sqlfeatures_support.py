"""Test data helpers: timestamps as minutes after T0, the driver entity, its view and rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pyarrow as pa
from stackhub import DatasetId, TableSchema, Warehouse
from stackhub.categories.feature_store import Entity, Feature, FeatureView
from stackhub.categories.warehouse import WriteMode, WriteResult
from stackhub_sqlfeatures import plugin
from stackhub_sqlfeatures._store import SQLFeatureStore

T0 = datetime(2026, 1, 1)


def at(minutes: float) -> datetime:
    """A naive timestamp ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def stamps(minutes: list[float | None], tz: str | None = None) -> pa.Array:
    return pa.array([None if m is None else at(m) for m in minutes], pa.timestamp("us", tz))


DRIVER = Entity(name="driver", join_keys=("driver_id",))


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


#: A source row: (driver_id, event minute, created minute, trips, rating).
SourceRow = tuple[int | None, float | None, float | None, int | None, float | None]


def driver_rows(rows: Sequence[SourceRow]) -> pa.Table:
    """Source rows (driver_id, event minute, created minute, trips, rating)."""
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


def entity_rows(rows: list[tuple[int | None, float | None]], tz: str | None = None) -> pa.Table:
    """Entity rows (driver_id, minute), with a ``label`` column that tells them apart."""
    ids, minutes = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [])
    return pa.table(
        {
            "driver_id": pa.array(ids, pa.int64()),
            "event_timestamp": stamps(minutes, tz),
            "label": pa.array([f"row-{i}" for i in range(len(rows))], pa.string()),
        }
    )


def build_store(warehouse: Warehouse, **config: Any) -> SQLFeatureStore:
    """The plugin's component on ``warehouse``, built the way ``open_stack`` builds it."""
    component = plugin.create({"warehouse": "warehouse", **config}, dependencies={"warehouse": warehouse})
    assert isinstance(component, SQLFeatureStore)
    return component


class ForeignDialectWarehouse(Warehouse):
    """A DuckDB warehouse posing as an engine of another dialect, with no declared capabilities.

    The feature store writes its SQL in ``dialect`` and DuckDB reads it back through sqlglot, so the SQL generated
    for that dialect is proven by running it and comparing results, not by reading it. Every statement is kept.
    """

    dialect: ClassVar[str] = "postgres"

    def __init__(self, inner: Warehouse) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.statements: list[str] = []

    @classmethod
    def speaking(cls, dialect: str, inner: Warehouse) -> ForeignDialectWarehouse:
        posing: type[ForeignDialectWarehouse] = type(f"{dialect.capitalize()}Warehouse", (cls,), {"dialect": dialect})
        return posing(inner)

    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        self.statements.append(sql)
        return self.inner.query(sql, dialect=dialect or self.dialect)

    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        self.statements.append(sql)
        return self.inner.query_batches(sql, dialect=dialect or self.dialect, batch_size=batch_size)

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        return self.inner.write(table, data, mode=mode)

    def list_tables(self) -> list[str]:
        return self.inner.list_tables()

    def describe_table(self, table: str) -> TableSchema:
        return self.inner.describe_table(table)

    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        self.inner.drop_table(table, missing_ok=missing_ok)

    def dataset(self, table: str) -> DatasetId:
        return self.inner.dataset(table)

    def health(self) -> None:
        self.inner.health()
