"""The stack categories of spec v1. A new category is a new module here plus one line in ``CATEGORIES``."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["CATEGORIES", "capabilities", "interface", "load"]

#: Category name -> its module. Each module defines the interface, ``CAPABILITIES`` and ``MODELS``.
CATEGORIES: dict[str, str] = {
    "feature_store": "stackhub.categories.feature_store",
    "labeling": "stackhub.categories.labeling",
    "monitor": "stackhub.categories.monitor",
    "tracker": "stackhub.categories.tracker",
    "warehouse": "stackhub.categories.warehouse",
}

_INTERFACES = {
    "feature_store": "FeatureStore",
    "labeling": "Labeling",
    "monitor": "Monitor",
    "tracker": "Tracker",
    "warehouse": "Warehouse",
}


def load(category: str) -> ModuleType:
    return importlib.import_module(CATEGORIES[category])


def interface(category: str) -> type:
    cls: type = getattr(load(category), _INTERFACES[category])
    return cls


def capabilities(category: str) -> dict[str, str]:
    caps: dict[str, str] = load(category).CAPABILITIES
    return caps
