"""Finding plugins: entry points of group ``stackhub.plugins``, read without importing any tool.

``STACKHUB_LOAD_PLUGINS=a,b`` limits discovery to the named plugins; set but empty, it loads none (as in
datasette and llm). Names follow one rule: distribution ``stackhub-<name>``, import ``stackhub_<name>``,
registry key ``<name>``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from importlib import metadata

from .errors import PluginNotFound
from .plugin import PluginDescriptor

__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_PLUGINS",
    "InstalledPlugin",
    "PluginLoadError",
    "allowed_plugins",
    "discover",
    "resolve",
]

ENTRY_POINT_GROUP = "stackhub.plugins"

#: Plugins maintained with stackhub: name -> category. Used for install hints when one is not installed.
KNOWN_PLUGINS: dict[str, str] = {
    "duckdb": "warehouse",
    "evidently": "monitor",
    "feast": "feature_store",
    "labelstudio": "labeling",
    "mlflow": "tracker",
    "postgres": "warehouse",
    "spark": "warehouse",
    "sqlfeatures": "feature_store",
    "sqllabels": "labeling",
    "sqlmonitor": "monitor",
}


def distribution_name(plugin: str) -> str:
    return f"stackhub-{plugin}"


@dataclass(frozen=True)
class InstalledPlugin:
    """A discovered plugin: its descriptor and the distribution that provides it."""

    descriptor: PluginDescriptor
    distribution: str
    version: str

    @property
    def name(self) -> str:
        return self.descriptor.name


@dataclass(frozen=True)
class PluginLoadError:
    """An entry point that could not be loaded, kept so that listing and validation can report it."""

    name: str
    distribution: str
    error: str


def allowed_plugins() -> set[str] | None:
    """The names ``STACKHUB_LOAD_PLUGINS`` allows, or None when it is unset (all allowed)."""
    value = os.environ.get("STACKHUB_LOAD_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def discover() -> tuple[dict[str, InstalledPlugin], list[PluginLoadError]]:
    """Load every allowed plugin descriptor. A broken plugin is reported, never raised."""
    allowed = allowed_plugins()
    found: dict[str, InstalledPlugin] = {}
    broken: list[PluginLoadError] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        try:
            descriptor = ep.load()
            if not isinstance(descriptor, PluginDescriptor):
                raise TypeError(f"{ep.value!r} is a {type(descriptor).__name__}, not a PluginDescriptor")
            if descriptor.name != ep.name:
                raise ValueError(f"entry point {ep.name!r} names a descriptor called {descriptor.name!r}")
        except Exception as exc:  # a broken third-party plugin must not break the CLI
            broken.append(PluginLoadError(ep.name, dist_name, f"{type(exc).__name__}: {exc}"))
            continue
        found[ep.name] = InstalledPlugin(descriptor, dist_name, dist.version if dist is not None else "?")
    return found, broken


def resolve(name: str, installed: dict[str, InstalledPlugin]) -> InstalledPlugin:
    """Return the installed plugin called ``name`` or raise ``PluginNotFound`` naming the fix."""
    if name in installed:
        return installed[name]
    allowed = allowed_plugins()
    if allowed is not None and name not in allowed:
        raise PluginNotFound(
            f"Plugin {name!r} is excluded by STACKHUB_LOAD_PLUGINS={os.environ['STACKHUB_LOAD_PLUGINS']!r}.",
            fix=f"Add {name!r} to STACKHUB_LOAD_PLUGINS or unset it.",
        )
    if name in KNOWN_PLUGINS:
        raise PluginNotFound(
            f"Plugin {name!r} is not installed.",
            fix=f"Install it with: pip install {distribution_name(name)}",
        )
    candidates = sorted(set(installed) | set(KNOWN_PLUGINS))
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        raise PluginNotFound(f"Unknown plugin {name!r}.", fix=f"Did you mean {close[0]!r}?")
    raise PluginNotFound(
        f"Unknown plugin {name!r}.",
        fix=f"Installed plugins: {', '.join(sorted(installed)) or 'none'}; run 'stackhub plugins' to list them.",
    )
