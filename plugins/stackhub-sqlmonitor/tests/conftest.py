from __future__ import annotations

from collections.abc import Iterator

import pytest
from stackhub import Monitor, Warehouse
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqlmonitor import plugin


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with duckdb_plugin.create({"path": ":memory:"}) as component:
        assert isinstance(component, Warehouse)
        yield component


@pytest.fixture
def monitor(warehouse: Warehouse) -> Monitor:
    component = plugin.create({"warehouse": "warehouse"}, dependencies={"warehouse": warehouse})
    assert isinstance(component, Monitor)
    return component
