"""Schemas and helpers shared by the tests (a uniquely named module, not ``conftest``, so that imports of it
never collide with another distribution's tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pyarrow as pa
import stackhub_sqllabels
from stackhub import Component, DatasetId, InvalidInput, TableSchema, Warehouse
from stackhub.categories.labeling import LabelSchema
from stackhub.categories.warehouse import WriteMode, WriteResult
from stackhub_sqllabels._labeling import SQLLabeling

SINGLE = LabelSchema(input="text", labels=("pos", "neg", "neutral"))
MULTIPLE = LabelSchema(input="text", labels=("spam", "promo", "urgent"), choice="multiple")


def tables(warehouse: Warehouse) -> dict[str, int]:
    """Every table with its row count: what a failed call must leave unchanged."""
    return {t: warehouse.query(f'SELECT COUNT(*) AS n FROM "{t}"')["n"][0].as_py() for t in warehouse.list_tables()}


def stored(labeling: SQLLabeling, project: str, kind: str) -> pa.Table:
    """A project's table as the warehouse holds it."""
    name = f"{labeling.config.table_prefix}_{labeling.get_project(project).id}_{kind}"
    return labeling.warehouse.query(f'SELECT * FROM "{name}"')


class FailingWarehouse(Warehouse):
    """DuckDB, except that writes to tables whose name contains ``fail_on`` raise after the data is read:
    shows what a call leaves behind when its warehouse fails midway."""

    dialect: ClassVar[str] = "duckdb"

    def __init__(self, inner: Warehouse, fail_on: str) -> None:
        super().__init__(None)
        self.inner = inner
        self.fail_on = fail_on

    def health(self) -> None:
        self.inner.health()

    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        return self.inner.query(sql, dialect=dialect)

    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        return self.inner.query_batches(sql, dialect=dialect, batch_size=batch_size)

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if self.fail_on in table:
            raise InvalidInput(f"Injected failure writing {table!r}.")
        return self.inner.write(table, data, mode=mode)

    def list_tables(self) -> list[str]:
        return self.inner.list_tables()

    def describe_table(self, table: str) -> TableSchema:
        return self.inner.describe_table(table)

    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        self.inner.drop_table(table, missing_ok=missing_ok)

    def dataset(self, table: str) -> DatasetId:
        return self.inner.dataset(table)


def build(warehouse: Component | None, **config: str) -> SQLLabeling:
    dependencies: Mapping[str, Component] = {"warehouse": warehouse} if warehouse is not None else {}
    component = stackhub_sqllabels.plugin.create({"warehouse": "warehouse", **config}, dependencies=dependencies)
    assert isinstance(component, SQLLabeling)
    return component
