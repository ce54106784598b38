"""Opening a stack for use: the same offline checks as ``stackhub validate``, then the built components, whose
operations emit OpenLineage events (see ``stackhub.lineage``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import NotFound
from .plugin import Component
from .stack import StackFile, parse_stack
from .validate import build_components, check_offline

if TYPE_CHECKING:
    from .lineage.session import LineageSession, PipelineRun

__all__ = ["Stack", "open_stack"]


class Stack(Mapping[str, Component]):
    """The built components of a stack, by name. Close it (or use ``with``) to close them all and deliver
    their lineage."""

    def __init__(
        self,
        definition: StackFile,
        components: dict[str, Component],
        path: Path | None = None,
        *,
        lineage: LineageSession | None = None,
    ) -> None:
        self.definition = definition
        self.path = path
        self._components = components
        #: The stack's lineage session; None when lineage is off.
        self.lineage = lineage

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

    # Mapping's own membership test and get() expect KeyError; a missing name here raises NotFound instead.
    def __contains__(self, name: object) -> bool:
        return name in self._components

    def get(self, name: str, default: Any = None) -> Any:
        return self._components.get(name, default)

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

    def pipeline(self, name: str) -> AbstractContextManager[PipelineRun]:
        """A pipeline run: the operations made inside ``with stack.pipeline(name) as run:`` become its child
        runs, their jobs named ``<name>.<component>.<operation>``. Pipelines nest."""
        if self.lineage is None:
            from .lineage.session import detached_pipeline

            return detached_pipeline(name)
        return self.lineage.pipeline(name)

    def close(self) -> None:
        if self.lineage is not None:
            # Events are built while the components are still open: naming a dataset may need them.
            self.lineage.drain()
        for component in reversed(list(self._components.values())):
            component.close()
        if self.lineage is not None:
            self.lineage.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_stack(path: str | Path, *, env: Mapping[str, str] | None = None, lineage: bool = True) -> Stack:
    """Read and check a stack file, then build its components in dependency order.

    Their operations emit lineage as the file's ``lineage`` key says (default: the embedded store at
    ``.stackhub/lineage.db``); ``lineage=False`` turns it off whatever the file says.
    Raises ``ConfigError`` listing every problem (with ``file:line:column``) when the file does not validate.
    """
    parsed = parse_stack(path, env=env)
    states = check_offline(parsed)
    parsed.raise_for_findings()
    assert parsed.model is not None
    components: dict[str, Any] = build_components(states)
    session = None
    if lineage:
        from .lineage.session import start_session

        session = start_session(parsed.model, components)
    return Stack(parsed.model, components, Path(path), lineage=session)
