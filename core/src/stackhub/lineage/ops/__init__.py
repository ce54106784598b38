"""Per category, which interface operations emit lineage and how: ``OPERATIONS`` maps an operation to its
mapping function, ``NOT_EMITTING`` names the others with the reason. A meta-test holds every abstract
operation of every category interface (capability mixins included) to be in exactly one of them.

A new category adds a module here named after it, next to its module in ``stackhub.categories``.
"""

from __future__ import annotations

import importlib

from ..facts import Operation

__all__ = ["COMMON_NOT_EMITTING", "not_emitting", "operations"]

#: Operations of ``Component`` itself, the same in every category.
COMMON_NOT_EMITTING: dict[str, str] = {
    "health": "A liveness probe: it reads and writes no dataset.",
}


def operations(category: str) -> dict[str, Operation]:
    """The emitting operations of a category; none for a category without a module here."""
    try:
        module = importlib.import_module(f"{__name__}.{category}")
    except ModuleNotFoundError:
        return {}
    ops: dict[str, Operation] = module.OPERATIONS
    return ops


def not_emitting(category: str) -> dict[str, str]:
    module = importlib.import_module(f"{__name__}.{category}")
    reasons: dict[str, str] = module.NOT_EMITTING
    return {**COMMON_NOT_EMITTING, **reasons}
