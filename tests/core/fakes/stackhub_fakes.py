"""Throwaway plugins for core tests: descriptors, config models and components that only know how to be
built and health-checked, which is all that discovery, validation and stack opening use."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from stackhub import Component, PluginDescriptor, Requirement, Unavailable


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    port: int = 1
    delay: float = 0.0
    reachable: bool = True


class RefConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: str


class FakeWarehouse(Component):
    category: ClassVar[str] = "warehouse"
    closed: ClassVar[list[str]] = []

    def health(self) -> None:
        time.sleep(self.config.delay)
        if not self.config.reachable:
            raise Unavailable(f"Cannot connect to {self.config.url!r}.")

    def close(self) -> None:
        FakeWarehouse.closed.append(self.config.url)


class FakeFeatureStore(Component):
    category: ClassVar[str] = "feature_store"

    def __init__(self, config: RefConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.warehouse = self.dependency("warehouse", FakeWarehouse)

    def health(self) -> None:
        self.dependencies["warehouse"].health()


class LoopWarehouse(Component):
    """A warehouse that reads through another one: lets a stack form a reference cycle."""

    category: ClassVar[str] = "warehouse"

    def health(self) -> None:
        pass


warehouse = PluginDescriptor(
    name="fakewh",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_fakes:FakeWarehouse",
    config="stackhub_fakes:ServerConfig",
    capabilities=frozenset({"asof_join"}),
)
plain_warehouse = PluginDescriptor(
    name="plainwh",
    category="warehouse",
    spec_version="1",
    component="stackhub_fakes:FakeWarehouse",
    config="stackhub_fakes:ServerConfig",
)
feature_store = PluginDescriptor(
    name="fakefs",
    category="feature_store",
    spec_version="1.0",
    component="stackhub_fakes:FakeFeatureStore",
    config="stackhub_fakes:RefConfig",
    requires=(Requirement(field="warehouse", category="warehouse", capabilities=frozenset({"asof_join"})),),
)
future = PluginDescriptor(
    name="futurewh",
    category="warehouse",
    spec_version="2.0",
    component="stackhub_fakes:FakeWarehouse",
    config="stackhub_fakes:ServerConfig",
)
misnamed = PluginDescriptor(
    name="othername",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_fakes:FakeWarehouse",
    config="stackhub_fakes:ServerConfig",
)
loop = PluginDescriptor(
    name="loopwh",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_fakes:LoopWarehouse",
    config="stackhub_fakes:RefConfig",
    requires=(Requirement(field="warehouse", category="warehouse"),),
)
