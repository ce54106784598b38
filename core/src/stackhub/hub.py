"""Opening a stack for use: the same offline checks as ``stackhub validate``, then the built components."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import NotFound
from .plugin import Component
from .stack import StackFile, parse_stack
from .validate import build_components, check_offline

__all__ = ["Stack", "open_stack"]


class Stack(Mapping[str, Component]):
    """The built components of a stack, by name. Close it (or use ``with``) to close them all."""

    def __init__(self, definition: StackFile, components: dict[str, Component], path: Path | None = None) -> None:
        self.definition = definition
        self.path = path
        self._components = components

    @property
    def name(self) -> str:
        return self.definition.stack

    def __getitem__(self, name: str) -> Component:
        try:
            return self._components[name]
        except KeyError:
            raise NotFound(
                f"Stack {self.name!r} has no component {name!r}.",
                fix=f"Its components are: {', '.join(sorted(self._components))}.",
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._components)

    def __len__(self) -> int:
        return len(self._components)

    def by_category(self, category: str) -> Component:
        """The one component of ``category``; ``NotFound`` when there is none or more than one."""
        matches = [c for c in self._components.values() if c.category == category]
        if len(matches) != 1:
            raise NotFound(
                f"Stack {self.name!r} has {len(matches)} {category} components; expected exactly one.",
                fix="Refer to the component by its name instead.",
            )
        return matches[0]

    def close(self) -> None:
        for component in reversed(list(self._components.values())):
            component.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_stack(path: str | Path, *, env: Mapping[str, str] | None = None) -> Stack:
    """Read and check a stack file, then build its components in dependency order.

    Raises ``ConfigError`` listing every problem (with ``file:line:column``) when the file does not validate.
    """
    parsed = parse_stack(path, env=env)
    states = check_offline(parsed)
    parsed.raise_for_findings()
    assert parsed.model is not None
    components: dict[str, Any] = build_components(states)
    return Stack(parsed.model, components, Path(path))
