"""The harness for deliberately broken plugins: each is a real plugin with ONE behaviour broken.

A ``broken_<category>.py`` module holds a ``BROKEN`` list filled with ``@broken(...)`` on subclasses of the real
component, and a ``Harness``: the category's suite with the fixtures the real plugin needs. ``test_broken.py``
runs the suite against every broken plugin and requires the named checks to fail, each with a reason that shows
it failed for that behaviour (CSI sanity is checked the same way, against a mock driver with injected faults).
Every check of every suite is in some ``fails``: a check that no broken implementation fails cannot fail.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stackhub import Component, PluginDescriptor


@dataclass(frozen=True)
class Broken:
    """A broken component, the checks it must fail, and a pattern (``re.search``) each failure's reason matches.

    ``base`` is the real plugin it breaks; ``changes`` replace fields of its descriptor (a wrong config model,
    an undeclared capability).
    """

    component: type[Component]
    fails: tuple[str, ...]
    reason: str
    base: PluginDescriptor
    changes: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return "broken_" + "".join(f"_{c.lower()}" if c.isupper() else c for c in self.component.__name__).lstrip("_")

    @property
    def descriptor(self) -> PluginDescriptor:
        return dataclasses.replace(
            self.base,
            name=self.name,
            component=f"{self.component.__module__}:{self.component.__name__}",
            **dict(self.changes),
        )


def registry(base: PluginDescriptor) -> tuple[list[Broken], Callable[..., Callable[[type[Any]], type[Any]]]]:
    """A list of broken variants of ``base`` and the ``@broken(*fails, reason=..., **descriptor_changes)``
    decorator that fills it."""
    found: list[Broken] = []

    def broken(*fails: str, reason: str, **changes: Any) -> Callable[[type[Any]], type[Any]]:
        def register(cls: type[Any]) -> type[Any]:
            found.append(Broken(cls, fails, reason, base, tuple(changes.items())))
            return cls

        return register

    return found, broken
