from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feast_support import build_store
from stackhub import Warehouse
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_feast._store import FeastFeatureStore

OFFLINE_STORES = ["file", "duckdb"]


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with duckdb_plugin.create({"path": ":memory:"}) as component:
        assert isinstance(component, Warehouse)
        yield component


@pytest.fixture
def make_store(warehouse: Warehouse, tmp_path: Path) -> Iterator[Callable[..., FeastFeatureStore]]:
    """Build feature stores on the test warehouse, by default all in one repository; each is closed afterwards."""
    made: list[FeastFeatureStore] = []

    def make(**config: object) -> FeastFeatureStore:
        config.setdefault("repo_path", str(tmp_path / "feast"))
        made.append(build_store(warehouse, **config))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture(params=OFFLINE_STORES)
def store(request: pytest.FixtureRequest, make_store: Callable[..., FeastFeatureStore]) -> FeastFeatureStore:
    """The feature store with each of Feast's offline stores."""
    return make_store(offline_store=request.param)
