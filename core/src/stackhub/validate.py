"""``stackhub validate``: check a stack in layers and report every finding at once.

Layers, in order, each with its code range:
  SH1xx file       syntax, schema, environment variables (``stack``)
  SH2xx plugin     installed, known, loadable
  SH3xx config     the component config against the plugin's own pydantic model
  SH4xx spec       spec versions of the stack and of each plugin against this core
  SH5xx references components that need another component (a feature store's warehouse)
  SH6xx live       build each component and call ``health()``, concurrently, within a timeout
  SH7xx conformance a conformance report certifies the installed plugin version (``certification``)
A later layer skips a component that an earlier layer failed, so one mistake gives one finding.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .discovery import InstalledPlugin, discover, resolve
from .errors import PluginNotFound, StackhubError
from .plugin import SPEC_VERSION, Component
from .stack import Finding, ParsedStack, parse_stack

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_UNREACHABLE", "ComponentState", "Report", "check_offline", "validate"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREACHABLE = 3


@dataclass
class ComponentState:
    """What validation learned about one component."""

    name: str
    plugin_name: str
    plugin: InstalledPlugin | None = None
    config: Any = None
    live: str = "not checked"
    certified: str = "not checked"

    def as_dict(self) -> dict[str, Any]:
        d = self.plugin.descriptor if self.plugin else None
        return {
            "name": self.name,
            "plugin": self.plugin_name,
            "category": d.category if d else None,
            "distribution": self.plugin.distribution if self.plugin else None,
            "version": self.plugin.version if self.plugin else None,
            "spec_version": d.spec_version if d else None,
            "config_valid": self.config is not None,
            "live": self.live,
            "certified": self.certified,
        }


@dataclass
class Report:
    parsed: ParsedStack
    components: dict[str, ComponentState] = field(default_factory=dict)
    offline: bool = False

    @property
    def findings(self) -> list[Finding]:
        return self.parsed.findings

    @property
    def exit_code(self) -> int:
        errors = [f for f in self.findings if f.severity == "error"]
        if not errors:
            return EXIT_OK
        if all(f.layer == "live" for f in errors):
            return EXIT_UNREACHABLE
        return EXIT_INVALID

    def as_dict(self) -> dict[str, Any]:
        model = self.parsed.model
        return {
            "stack": model.stack if model else None,
            "file": str(self.parsed.path),
            "valid": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "offline": self.offline,
            "components": [c.as_dict() for c in self.components.values()],
            "findings": [f.as_dict() for f in self.findings],
        }


def _spec_major_minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0


def _config_findings(state: ComponentState, raw: dict[str, Any], parsed: ParsedStack) -> None:
    from pydantic import ValidationError

    assert state.plugin is not None
    descriptor = state.plugin.descriptor
    base = ("components", state.name, "config")
    try:
        model = descriptor.load_config_model()
    except Exception as exc:
        parsed.findings.append(
            Finding(
                "SH302",
                "config",
                f"Plugin {descriptor.name!r} has a broken config model {descriptor.config!r}: {exc}.",
                f"Reinstall or upgrade {state.plugin.distribution}.",
                parsed.where(base),
                state.name,
            )
        )
        return
    try:
        state.config = model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            dotted = ".".join(str(p) for p in loc) or "config"
            fix = (
                f"Remove {loc[-1]!r}."
                if err["type"] == "extra_forbidden"
                else f"Set {dotted!r} as the {descriptor.name!r} plugin documents."
            )
            parsed.findings.append(
                Finding(
                    "SH301",
                    "config",
                    f"Config of {state.name!r} ({descriptor.name}): {dotted}: {err['msg']}.",
                    fix,
                    parsed.where((*base, *loc)),
                    state.name,
                )
            )


def check_offline(
    parsed: ParsedStack, installed: dict[str, InstalledPlugin] | None = None
) -> dict[str, ComponentState]:
    """Run the plugin, config, spec and reference layers; findings go to ``parsed.findings``."""
    states: dict[str, ComponentState] = {}
    model = parsed.model
    if model is None:
        return states
    if installed is None:
        installed, broken = discover()
        broken_by_name = {b.name: b for b in broken}
    else:
        broken_by_name = {}
    stack_spec = _spec_major_minor(model.spec)
    core_major, core_minor = _spec_major_minor(SPEC_VERSION) or (0, 0)
    if stack_spec is None or stack_spec[0] != core_major:
        parsed.findings.append(
            Finding(
                "SH401",
                "spec",
                f"The stack is written for spec {model.spec!r}; this stackhub implements spec {SPEC_VERSION}.",
                f'Set spec: "{core_major}" or install a stackhub release for spec {model.spec}.',
                parsed.where(("spec",)),
            )
        )
    # Findings from the file layer (e.g. an unset variable) already cover the component: config is skipped.
    failed = {f.component for f in parsed.findings if f.component}
    for name, spec in model.components.items():
        state = states[name] = ComponentState(name=name, plugin_name=spec.plugin)
        where = parsed.where(("components", name, "plugin"))
        if spec.plugin in broken_by_name:
            b = broken_by_name[spec.plugin]
            parsed.findings.append(
                Finding(
                    "SH203",
                    "plugin",
                    f"Plugin {spec.plugin!r} from {b.distribution} failed to load: {b.error}.",
                    f"Reinstall or upgrade {b.distribution}.",
                    where,
                    name,
                )
            )
            continue
        try:
            state.plugin = resolve(spec.plugin, installed)
        except PluginNotFound as exc:
            code = "SH201" if "not installed" in exc.message or "excluded" in exc.message else "SH202"
            parsed.findings.append(Finding(code, "plugin", exc.message, exc.fix, where, name))
            continue
        d = state.plugin.descriptor
        plugin_spec = _spec_major_minor(d.spec_version)
        if plugin_spec is None or plugin_spec[0] != core_major or plugin_spec[1] > core_minor:
            parsed.findings.append(
                Finding(
                    "SH402",
                    "spec",
                    f"Plugin {d.name!r} {state.plugin.version} implements spec {d.spec_version}; this stackhub implements spec {SPEC_VERSION}.",
                    f"Install a version of {state.plugin.distribution} built for spec {core_major}.x, or upgrade stackhub.",
                    where,
                    name,
                )
            )
            continue
        if name not in failed:
            _config_findings(state, spec.config, parsed)
    _reference_findings(parsed, states)
    return states


def _reference_findings(parsed: ParsedStack, states: dict[str, ComponentState]) -> None:
    for state in states.values():
        if state.plugin is None or state.config is None:
            continue
        for req in state.plugin.descriptor.requires:
            target = getattr(state.config, req.field, None)
            where = parsed.where(("components", state.name, "config", req.field))
            if not isinstance(target, str) or target not in states:
                parsed.findings.append(
                    Finding(
                        "SH501",
                        "references",
                        f"Component {state.name!r} needs a {req.category} component named by config field {req.field!r}, but the stack has no component {target!r}.",
                        f"Set {req.field!r} to one of: {', '.join(sorted(states))}.",
                        where,
                        state.name,
                    )
                )
                continue
            other = states[target].plugin
            if other is None:
                continue  # its own finding explains it
            if other.descriptor.category != req.category:
                parsed.findings.append(
                    Finding(
                        "SH502",
                        "references",
                        f"Component {state.name!r} needs a {req.category}, but {target!r} is a {other.descriptor.category} ({other.name}).",
                        f"Point {req.field!r} at a {req.category} component.",
                        where,
                        state.name,
                    )
                )
                continue
            missing = sorted(req.capabilities - other.descriptor.capabilities)
            if missing:
                parsed.findings.append(
                    Finding(
                        "SH503",
                        "references",
                        f"Component {state.name!r} needs capabilities {missing} of {target!r}, which plugin {other.name!r} does not declare.",
                        f"Use a {req.category} plugin that declares {missing}.",
                        where,
                        state.name,
                    )
                )
    _cycle_findings(parsed, states)


def dependency_order(states: dict[str, ComponentState]) -> list[str] | None:
    """Component names with every dependency before its dependents; None when there is a cycle."""
    order: list[str] = []
    marks: dict[str, str] = {}

    def visit(name: str) -> bool:
        if marks.get(name) == "done":
            return True
        if marks.get(name) == "active":
            return False
        marks[name] = "active"
        for dep in _dependencies(states[name], states).values():
            if dep in states and not visit(dep):
                return False
        marks[name] = "done"
        order.append(name)
        return True

    return order if all(visit(n) for n in states) else None


def _dependencies(state: ComponentState, states: dict[str, ComponentState]) -> dict[str, str]:
    """Config field -> name of the component it references, for references to a component of the
    required category (the others are findings already, not edges)."""
    if state.plugin is None or state.config is None:
        return {}
    edges: dict[str, str] = {}
    for req in state.plugin.descriptor.requires:
        target = getattr(state.config, req.field, None)
        other = states[target].plugin if isinstance(target, str) and target in states else None
        if isinstance(target, str) and other is not None and other.descriptor.category == req.category:
            edges[req.field] = target
    return edges


def _cycle_findings(parsed: ParsedStack, states: dict[str, ComponentState]) -> None:
    if dependency_order(states) is None:
        parsed.findings.append(
            Finding(
                "SH504",
                "references",
                "Components reference each other in a cycle.",
                "Break the cycle: a component cannot depend on itself, directly or through others.",
                parsed.where(("components",)),
            )
        )


def build_components(states: dict[str, ComponentState]) -> dict[str, Component]:
    """Build every component in dependency order; close what was built if one fails."""
    built: dict[str, Component] = {}
    try:
        for name in dependency_order(states) or []:
            state = states[name]
            assert state.plugin is not None
            deps = {f: built[target] for f, target in _dependencies(state, states).items()}
            built[name] = state.plugin.descriptor.create(state.config, dependencies=deps)
    except BaseException:
        for component in reversed(list(built.values())):
            component.close()
        raise
    return built


def _check_live(parsed: ParsedStack, states: dict[str, ComponentState], timeout: float) -> None:
    """Build and health-check each component in its own thread; a dependency is built by its own thread."""
    order = dependency_order(states) or []
    built: dict[str, Component] = {}
    done = {name: threading.Event() for name in order}
    problems: dict[str, str] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + timeout

    def check(name: str) -> None:
        state = states[name]
        try:
            deps: dict[str, Component] = {}
            for fld, target in _dependencies(state, states).items():
                done[target].wait(max(0.0, deadline - time.monotonic()))
                if target not in built:
                    problems[name] = f"skipped: its dependency {target!r} is not available"
                    return
                deps[fld] = built[target]
            assert state.plugin is not None
            component = state.plugin.descriptor.create(state.config, dependencies=deps)
            component.health()
            with lock:
                built[name] = component
        except StackhubError as exc:
            problems[name] = str(exc)
        except Exception as exc:  # a plugin bug must be reported, not crash validation
            problems[name] = f"{type(exc).__name__}: {exc}"
        finally:
            done[name].set()

    threads = [threading.Thread(target=check, args=(n,), daemon=True, name=f"live-{n}") for n in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    for name in order:
        where = parsed.where(("components", name))
        if not done[name].is_set():
            states[name].live = "timed out"
            parsed.findings.append(
                Finding(
                    "SH602",
                    "live",
                    f"Component {name!r} did not answer within {timeout:g} s.",
                    "Check that its server is running and reachable, or raise --timeout.",
                    where,
                    name,
                )
            )
        elif name in problems:
            states[name].live = "unreachable"
            parsed.findings.append(
                Finding(
                    "SH601",
                    "live",
                    f"Component {name!r} is not usable: {problems[name]}",
                    "Start the service or fix its connection settings; use --offline to skip live checks.",
                    where,
                    name,
                )
            )
        else:
            states[name].live = "ok"
    for component in built.values():
        # Closing after a check must never hide the check's result.
        with contextlib.suppress(Exception):
            component.close()


_CERTIFICATION_CODES = {
    "no report": ("SH701", "Run 'stackhub conformance {plugin} --config FILE', or ask the vendor for its report."),
    "not certified": (
        "SH702",
        "Use a plugin version whose conformance run passes, or report the failures to its vendor.",
    ),
    "stale report": ("SH703", "Run the conformance suite again for the installed version."),
    "unreadable report": ("SH704", "Write the report again with 'stackhub conformance'."),
}


def _certification_findings(parsed: ParsedStack, states: dict[str, ComponentState], required: bool) -> None:
    from .certification import certification

    for state in states.values():
        if state.plugin is None:
            continue
        result = certification(state.plugin, parsed.path.resolve().parent)
        state.certified = result.status
        if result.status == "certified":
            continue
        code, fix = _CERTIFICATION_CODES[result.status]
        message = f"Plugin {state.plugin.name!r} {state.plugin.version} is not certified: {result.detail}."
        if result.source:
            message += f" (report: {result.source})"
        parsed.findings.append(
            Finding(
                code,
                "conformance",
                message,
                fix.format(plugin=state.plugin.name),
                parsed.where(("components", state.name, "plugin")),
                state.name,
                "error" if required else "warning",
            )
        )


def validate(
    path: str | Path, *, offline: bool = False, timeout: float = 10.0, require_certified: bool = False
) -> Report:
    """Run every layer. Missing certification is a warning, or an error with ``require_certified``."""
    parsed = parse_stack(path)
    report = Report(parsed=parsed, offline=offline)
    report.components = check_offline(parsed)
    _certification_findings(parsed, report.components, require_certified)
    if not offline and parsed.ok:
        _check_live(parsed, report.components, timeout)
    return report
