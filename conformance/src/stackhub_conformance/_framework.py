"""The fixture contract every suite shares, and the markers that tie a check to the spec.

A vendor subclasses its category's suite and names its plugin; the suite builds the component from the
vendor's config, gates optional checks on the descriptor's capabilities and turns declared gaps into strict
xfails (see ``pytest_plugin``)::

    class TestDuckDBConformance(WarehouseSuite):
        plugin = "duckdb"

        @pytest.fixture
        def component_config(self, tmp_path):
            return {"path": str(tmp_path / "conformance.duckdb")}

Fixtures the vendor provides, in the class or in a ``conftest.py``:

- ``component_config`` (required): the config of a usable component. The suite only creates objects with
  unique names and removes them afterwards, so it may point at a shared server.
- ``unreachable_config``: a config whose tool cannot be reached (a closed port, a missing read-only file).
  Without it the health check skips, and a run with a skip in core is not certified.
- ``invalid_config``: a config the plugin's model rejects; by default one is derived from the model.
- ``component_dependencies``: for a plugin that requires other components (``PluginDescriptor.requires``), those
  components by config field, e.g. ``{"warehouse": duckdb_plugin.create(...)}``; the vendor closes them.
- ``unreachable_dependencies``: dependencies that cannot be reached, for the health check of such a plugin.
"""

from __future__ import annotations

import difflib
import re
import secrets
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, ClassVar

import pytest
from stackhub import categories
from stackhub.discovery import discover, resolve
from stackhub.errors import ConfigError, StackhubError, Unavailable
from stackhub.plugin import SPEC_VERSION, Component, PluginDescriptor

from ._rules import RULES

__all__ = [
    "CALL_REPORT",
    "Cleanup",
    "CleanupWarning",
    "ConformanceSuite",
    "Target",
    "check_names",
    "descriptor_problems",
    "distribution_version",
    "must",
    "requires",
    "target",
    "unique_name",
    "unknown_gaps",
]

#: The health sentence of ``Component``; every category inherits it.
HEALTH = "MUST return None when the tool is usable and raise ``Unavailable`` when it cannot be reached."
#: Prefix of every object the suite creates, so that an operator can find leftovers of an interrupted run.
NAME_PREFIX = "stackhub_ct_"

#: The call-phase report of a check, kept so that cleanup knows whether the check itself failed.
CALL_REPORT = pytest.StashKey[pytest.TestReport]()
_TARGETS = pytest.StashKey[dict[type, "Target"]]()


def must(operation: str, sentence: str) -> pytest.MarkDecorator:
    """Mark a check with the spec sentence it proves and the operation (or rule) the sentence belongs to; the
    report and the JUnit properties carry both. Copy the sentence verbatim: a meta-test matches it."""
    return pytest.mark.stackhub_must(operation, " ".join(sentence.split()))


def requires(capability: str) -> pytest.MarkDecorator:
    """Mark a check as part of an optional capability: it runs only for plugins that declare it."""
    return pytest.mark.stackhub_capability(capability)


def unique_name(label: str) -> str:
    """A name no other run uses: concurrent runs against one server never collide."""
    return f"{NAME_PREFIX}{label}_{secrets.token_hex(4)}"


class CleanupWarning(UserWarning):
    """Removing what a failed check created failed too."""


class Cleanup:
    """Undo actions for what a check created, run last first after the check, whether it passed or not."""

    def __init__(self) -> None:
        self._actions: list[Callable[[], object]] = []

    def add(self, action: Callable[[], object]) -> None:
        self._actions.append(action)

    def run(self, node: pytest.Item) -> None:
        errors: list[Exception] = []
        for action in reversed(self._actions):
            try:
                action()
            except Exception as exc:  # every action runs, whatever an earlier one did
                errors.append(exc)
        if not errors:
            return
        call = node.stash.get(CALL_REPORT, None)
        if call is not None and call.failed:
            # The check's own failure is the one to read; a second error on the same check would hide it.
            warnings.warn(CleanupWarning(f"Cleanup after {node.name} failed too: {errors[0]!r}."), stacklevel=1)
            return
        raise errors[0]


@dataclass(frozen=True)
class Target:
    """The plugin a suite class runs against, with the distribution that provides it."""

    descriptor: PluginDescriptor
    distribution: str | None
    version: str | None

    @property
    def name(self) -> str:
        return self.descriptor.name


def target(config: pytest.Config, suite: type[ConformanceSuite]) -> Target:
    """Resolve (once per run) the plugin that ``suite`` names, or stop the run saying how to fix the class."""
    cache = config.stash.setdefault(_TARGETS, {})
    if suite not in cache:
        cache[suite] = _resolve(suite)
    return cache[suite]


def _resolve(suite: type[ConformanceSuite]) -> Target:
    plugin = suite.plugin
    if isinstance(plugin, PluginDescriptor):
        distribution = _distribution_of(plugin)
        found = Target(plugin, distribution, distribution_version(distribution))
    elif isinstance(plugin, str) and plugin:
        installed, broken = discover()
        failed = next((b for b in broken if b.name == plugin), None)
        if failed is not None:
            raise pytest.UsageError(
                f"{suite.__qualname__}: plugin {plugin!r} from {failed.distribution} failed to load: {failed.error}. "
                "Fix the plugin's descriptor or its entry point."
            )
        try:
            installed_plugin = resolve(plugin, installed)
        except StackhubError as exc:
            raise pytest.UsageError(f"{suite.__qualname__}: {exc}") from None
        found = Target(installed_plugin.descriptor, installed_plugin.distribution, installed_plugin.version)
    else:
        raise pytest.UsageError(
            f"{suite.__qualname__} names no plugin to test. Set plugin = 'name' (its registry key) or "
            "plugin = PluginDescriptor(...) in the class."
        )
    category = found.descriptor.category
    if suite.category is not None and category != suite.category:
        raise pytest.UsageError(
            f"Plugin {found.name!r} is a {category} plugin, but {suite.__qualname__} runs the {suite.category} "
            f"suite. Subclass the {category} suite instead."
        )
    return found


def _distribution_of(descriptor: PluginDescriptor) -> str | None:
    package = descriptor.component.partition(":")[0].split(".")[0]
    names = metadata.packages_distributions().get(package, [])
    return names[0] if names else None


def distribution_version(distribution: str | None) -> str | None:
    if distribution is None:
        return None
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _optional_fixture(request: pytest.FixtureRequest, name: str) -> Any:
    """The value of a fixture the vendor may define, or None when it defines none."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError as exc:
        if exc.argname != name:  # the vendor's fixture exists but asks for one that does not
            raise
        return None


def _dependencies(
    request: pytest.FixtureRequest, name: str = "component_dependencies"
) -> Mapping[str, Component] | None:
    """The vendor's dependencies fixture ``name``, or None (no dependencies) when it defines none."""
    return _optional_fixture(request, name) or None


def descriptor_problems(descriptor: PluginDescriptor) -> list[str]:
    """What is inconsistent in a descriptor, each as a sentence; empty when nothing is."""
    problems: list[str] = []
    core_major, core_minor = (int(p) for p in SPEC_VERSION.split("."))
    match = re.fullmatch(r"(\d+)\.(\d+)", descriptor.spec_version)
    if match is None or int(match[1]) != core_major or int(match[2]) > core_minor:
        problems.append(
            f"spec_version {descriptor.spec_version!r} is not supported by this core (spec {SPEC_VERSION}): "
            f"declare '{core_major}.x' with x at most {core_minor}."
        )
    defined = categories.capabilities(descriptor.category)
    unknown = sorted(descriptor.capabilities - set(defined))
    if unknown:
        problems.append(
            f"capabilities {unknown} are not defined by category {descriptor.category!r}, which defines "
            f"{sorted(defined)}."
        )
    try:
        component: object = descriptor.load_component()
    except Exception as exc:  # any import problem of a third-party module is the finding itself
        problems.append(f"component {descriptor.component!r} does not load: {type(exc).__name__}: {exc}.")
    else:
        interface = categories.interface(descriptor.category)
        module = categories.load(descriptor.category)
        required = [interface]
        for capability in sorted(descriptor.capabilities & set(defined)):
            mixin = re.search(r"\((Supports\w+)\)", defined[capability])
            if mixin is not None:
                required.append(getattr(module, mixin[1]))
        for cls in required:
            if not (isinstance(component, type) and issubclass(component, cls)):
                problems.append(
                    f"component {descriptor.component!r} does not subclass {cls.__module__}.{cls.__name__}."
                )
    try:
        model: object = descriptor.load_config_model()  # a third-party path may name anything
    except Exception as exc:  # as above: the import error is what the vendor needs to see
        problems.append(f"config model {descriptor.config!r} does not load: {type(exc).__name__}: {exc}.")
    else:
        from pydantic import BaseModel

        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            problems.append(f"config model {descriptor.config!r} is not a pydantic model.")
    for check, reason in descriptor.known_gaps.items():
        if not (isinstance(reason, str) and reason.strip()):
            problems.append(f"known gap {check!r} gives no reason: say why the plugin does not meet that check.")
    return problems


def check_names(suite: type[ConformanceSuite]) -> set[str]:
    """The names of the checks a suite class defines (its test methods)."""
    return {name for name in dir(suite) if name.startswith("test") and callable(getattr(suite, name))}


def unknown_gaps(suite: type[ConformanceSuite], gaps: Mapping[str, str]) -> list[str]:
    """Sentences for declared gaps that name no check of the suite (a typo, or a check that was renamed)."""
    names = check_names(suite)
    problems = []
    for gap in sorted(gaps):
        if gap.partition("[")[0] in names:
            continue
        close = difflib.get_close_matches(gap, sorted(names), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        problems.append(f"Known gap {gap!r} names no check of {suite.__qualname__}.{hint}")
    return problems


class _NotAValue:
    """A value no config field accepts, so the derived invalid config is rejected by any typed model."""

    def __repr__(self) -> str:
        return "<not a value>"


class ConformanceSuite:
    """The checks every component shares: descriptor, config errors, health and close.

    Category suites subclass it and set ``category``; a vendor subclasses a category suite and sets ``plugin``.
    """

    #: The category whose interface the suite checks; None only for this base of every suite.
    category: ClassVar[str | None] = None
    #: The plugin under test: its registry key, or its descriptor (e.g. a plugin that is not installed).
    plugin: ClassVar[str | PluginDescriptor | None] = None

    @pytest.fixture
    def descriptor(self, request: pytest.FixtureRequest) -> PluginDescriptor:
        return target(request.config, type(self)).descriptor

    @pytest.fixture
    def component(
        self, descriptor: PluginDescriptor, component_config: Mapping[str, Any], request: pytest.FixtureRequest
    ) -> Iterator[Component]:
        """The component under test, built from the vendor's config (and dependencies) and always closed."""
        built = descriptor.create(component_config, dependencies=_dependencies(request))
        try:
            yield built
        finally:
            built.close()

    @pytest.fixture
    def make_component(
        self, descriptor: PluginDescriptor, request: pytest.FixtureRequest
    ) -> Iterator[Callable[[Mapping[str, Any]], Component]]:
        """Build more components (e.g. a second one on the same config); each is closed after the check."""
        made: list[Component] = []
        dependencies = _dependencies(request)

        def make(config: Mapping[str, Any]) -> Component:
            made.append(descriptor.create(config, dependencies=dependencies))
            return made[-1]

        yield make
        for built in reversed(made):
            built.close()

    @pytest.fixture
    def cleanup(self, request: pytest.FixtureRequest, component: Component) -> Iterator[Cleanup]:
        """Undo actions, run after the check and before the component closes."""
        actions = Cleanup()
        yield actions
        actions.run(request.node)

    @must("descriptor", RULES["descriptor"])
    def test_descriptor_is_consistent(self, descriptor: PluginDescriptor) -> None:
        problems = descriptor_problems(descriptor)
        assert not problems, f"The descriptor of plugin {descriptor.name!r} is inconsistent:\n- " + "\n- ".join(
            problems
        )

    @must("config", RULES["config"])
    def test_invalid_config_raises_config_error(
        self, descriptor: PluginDescriptor, request: pytest.FixtureRequest
    ) -> None:
        from pydantic import ValidationError

        model = descriptor.load_config_model()
        config = _optional_fixture(request, "invalid_config")
        if config is None:
            config = {name: _NotAValue() for name in model.model_fields} | {"stackhub_ct_not_a_field": _NotAValue()}
        try:
            model.model_validate(dict(config))
        except ValidationError:
            pass
        else:
            pytest.fail(
                f"The config model {descriptor.config!r} accepts {dict(config)!r}, so it validates nothing. Type its "
                "fields and set extra='forbid', or define an invalid_config fixture with a config it rejects."
            )
        with pytest.raises(ConfigError):
            descriptor.create(config, dependencies=_dependencies(request))

    @must("health", HEALTH)
    def test_health_returns_none_when_usable(self, component: Component) -> None:
        result = component.health()
        assert result is None, f"health() returned {result!r} for a usable tool; it must return None."

    @must("health", HEALTH)
    def test_health_raises_unavailable_when_unreachable(
        self, descriptor: PluginDescriptor, request: pytest.FixtureRequest
    ) -> None:
        config = _optional_fixture(request, "unreachable_config")
        dependencies = _dependencies(request, "unreachable_dependencies")
        if config is None and dependencies is None:
            pytest.skip(
                "No unreachable_config fixture: define one that returns a config whose tool cannot be reached "
                "(a closed port, a missing read-only file), or unreachable_dependencies for a plugin whose required "
                "components are what it reaches. A run without this check is not certified."
            )
        if config is None:
            config = request.getfixturevalue("component_config")
        if dependencies is None:
            dependencies = _dependencies(request)
        with pytest.raises(Unavailable), descriptor.create(config, dependencies=dependencies) as unreachable:
            unreachable.health()

    @must("close", "Calling it twice is harmless.")
    def test_close_twice_is_harmless(
        self, descriptor: PluginDescriptor, component_config: Mapping[str, Any], request: pytest.FixtureRequest
    ) -> None:
        built = descriptor.create(component_config, dependencies=_dependencies(request))
        built.health()  # opens whatever a lazy component opens on first use
        built.close()
        built.close()
