"""stackhub: the interop layer for the ML stack.

Public names load on first use (PEP 562), so ``import stackhub`` and the CLI stay fast and never import
pyarrow, pydantic or any plugin's tool until a name that needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AlreadyExists": "stackhub.errors",
    "CapabilityMissing": "stackhub.errors",
    "Component": "stackhub.plugin",
    "ConfigError": "stackhub.errors",
    "Conflict": "stackhub.errors",
    "DatasetId": "stackhub.models",
    "FeatureStore": "stackhub.categories.feature_store",
    "InvalidInput": "stackhub.errors",
    "Labeling": "stackhub.categories.labeling",
    "Monitor": "stackhub.categories.monitor",
    "NotFound": "stackhub.errors",
    "PluginDescriptor": "stackhub.plugin",
    "PluginNotFound": "stackhub.errors",
    "Requirement": "stackhub.plugin",
    "SPEC_VERSION": "stackhub.plugin",
    "SchemaField": "stackhub.models",
    "SpecModel": "stackhub.models",
    "Stack": "stackhub.hub",
    "StackhubError": "stackhub.errors",
    "TableSchema": "stackhub.models",
    "Tracker": "stackhub.categories.tracker",
    "Unavailable": "stackhub.errors",
    "Warehouse": "stackhub.categories.warehouse",
    "open_stack": "stackhub.hub",
    "transpile": "stackhub.sql",
}

__all__ = [
    "SPEC_VERSION",
    "AlreadyExists",
    "CapabilityMissing",
    "Component",
    "ConfigError",
    "Conflict",
    "DatasetId",
    "FeatureStore",
    "InvalidInput",
    "Labeling",
    "Monitor",
    "NotFound",
    "PluginDescriptor",
    "PluginNotFound",
    "Requirement",
    "SchemaField",
    "SpecModel",
    "Stack",
    "StackhubError",
    "TableSchema",
    "Tracker",
    "Unavailable",
    "Warehouse",
    "open_stack",
    "transpile",
]

if TYPE_CHECKING:
    from .categories.feature_store import FeatureStore
    from .categories.labeling import Labeling
    from .categories.monitor import Monitor
    from .categories.tracker import Tracker
    from .categories.warehouse import Warehouse
    from .errors import (
        AlreadyExists,
        CapabilityMissing,
        ConfigError,
        Conflict,
        InvalidInput,
        NotFound,
        PluginNotFound,
        StackhubError,
        Unavailable,
    )
    from .hub import Stack, open_stack
    from .models import DatasetId, SchemaField, SpecModel, TableSchema
    from .plugin import SPEC_VERSION, Component, PluginDescriptor, Requirement
    from .sql import transpile


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stackhub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
