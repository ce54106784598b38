"""What a plugin declares about itself, and the base class of every component.

A plugin's ``__init__.py`` holds one :class:`PluginDescriptor` and nothing heavy: the descriptor names its
component and config classes by dotted path, so listing and validating plugins never imports the tool
behind them. The entry point (group ``stackhub.plugins``) points at that descriptor::

    [project.entry-points."stackhub.plugins"]
    duckdb = "stackhub_duckdb:plugin"
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from types import TracebackType

    from pydantic import BaseModel

__all__ = ["SPEC_VERSION", "Component", "PluginDescriptor", "Requirement", "load_dotted"]

#: The spec version this core implements: MAJOR.MINOR. A plugin built for ``1.x`` works with a core of
#: spec ``1.y`` when ``x <= y``; a new major version is a breaking change of the interfaces.
SPEC_VERSION = "1.0"


def load_dotted(path: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module_name, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"Dotted path {path!r} must look like 'package.module:Name'.")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Requirement:
    """A component this plugin needs from the same stack.

    ``field`` is the config field whose value names the other component in the stack file; the referenced
    component must be of ``category`` and declare every capability in ``capabilities``.
    """

    field: str
    category: str
    capabilities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PluginDescriptor:
    """The light, import-free description of one plugin."""

    name: str
    category: str
    spec_version: str
    component: str
    config: str
    capabilities: frozenset[str] = frozenset()
    requires: tuple[Requirement, ...] = ()
    #: Conformance checks the plugin declares it does not meet, each with its reason. Strict: a declared
    #: gap whose check starts to pass is reported by the conformance suite.
    known_gaps: Mapping[str, str] = field(default_factory=dict)
    #: The distribution of the tool behind the plugin, whose version reports name (e.g. ``"duckdb"``).
    tool: str | None = None
    summary: str = ""

    def load_component(self) -> type[Component]:
        cls: type[Component] = load_dotted(self.component)
        return cls

    def load_config_model(self) -> type[BaseModel]:
        model: type[BaseModel] = load_dotted(self.config)
        return model

    def create(
        self,
        config: Mapping[str, Any] | BaseModel | None = None,
        *,
        dependencies: Mapping[str, Component] | None = None,
    ) -> Component:
        """Validate ``config`` with the plugin's model and build its component."""
        from pydantic import BaseModel, ValidationError

        from .errors import ConfigError

        model = self.load_config_model()
        if not isinstance(config, BaseModel):
            try:
                config = model.model_validate(dict(config or {}))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or '(config)'}: {err['msg']}" for err in exc.errors()
                )
                raise ConfigError(
                    f"Invalid config for plugin {self.name!r}: {problems}.",
                    fix=f"See the fields of {self.config!r}.",
                ) from None
        component = self.load_component()(config, dependencies=dependencies)
        component.descriptor = self
        return component


_Required = TypeVar("_Required", bound="Component")


class Component(abc.ABC):
    """Base of every category interface. A component is built from its validated config model and the
    components it requires; it is a context manager that closes what it opened."""

    #: The category this interface implements; set by each category's abstract class.
    category: ClassVar[str]
    #: The descriptor the component was built from (set by ``PluginDescriptor.create``).
    descriptor: PluginDescriptor | None = None

    def __init__(self, config: Any, *, dependencies: Mapping[str, Component] | None = None) -> None:
        self.config = config
        self.dependencies: Mapping[str, Component] = dict(dependencies or {})

    def dependency(self, field: str, kind: type[_Required]) -> _Required:
        """The component the hub wired in for config field ``field`` (a ``Requirement`` of the plugin), checked
        to be a ``kind``; ``ConfigError`` when it is missing or of another category."""
        found = self.dependencies.get(field)
        if not isinstance(found, kind):
            from .errors import ConfigError

            got = "nothing" if found is None else f"a {found.category} component"
            raise ConfigError(
                f"{type(self).__name__} needs a {kind.category} component as {field!r}, but got {got}.",
                fix=f"Set {field!r} to the name of a {kind.category} component in the stack file "
                f"(it is {getattr(self.config, field, None)!r}).",
            )
        return found

    @property
    def capabilities(self) -> frozenset[str]:
        """The optional capabilities its plugin declares; what other components may rely on."""
        return self.descriptor.capabilities if self.descriptor is not None else frozenset()

    @abc.abstractmethod
    def health(self) -> None:
        """Check that the tool behind the component answers.

        MUST return None when the tool is usable and raise ``Unavailable`` when it cannot be reached.
        """

    def close(self) -> None:  # noqa: B027 - closing is optional for components that hold nothing
        """Release connections and files. Calling it twice is harmless."""

    def __enter__(self) -> Component:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
