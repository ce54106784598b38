from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlfeatures_support import DRIVER, build_store, driver_rows, driver_view
from stackhub import FeatureStore, Warehouse
from stackhub.categories.feature_store import FeatureView
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_sqlfeatures._store import SQLFeatureStore


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with duckdb_plugin.create({"path": ":memory:"}) as component:
        assert isinstance(component, Warehouse)
        yield component


@pytest.fixture
def make_store(warehouse: Warehouse) -> Callable[..., SQLFeatureStore]:
    """Build a feature store on the test warehouse with config overrides."""
    return functools.partial(build_store, warehouse)


@pytest.fixture(params=["asof", "window"])
def store(request: pytest.FixtureRequest, make_store: Callable[..., SQLFeatureStore]) -> SQLFeatureStore:
    """The feature store with each join strategy."""
    return make_store(join=request.param)


@pytest.fixture
def drivers(store: FeatureStore, warehouse: Warehouse) -> Callable[..., FeatureView]:
    """Write ``driver_stats`` rows and apply the driver entity and a view over them."""

    def make(rows: list[tuple[Any, ...]], **view_options: Any) -> FeatureView:
        view = driver_view(**view_options)
        warehouse.write(view.source, driver_rows(rows), mode="overwrite")
        store.apply([DRIVER], [view])
        return view

    return make
