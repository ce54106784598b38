"""pluggy hooks that extend the hub itself (not components: those are plugins, see ``discovery``).

A distribution registers an implementation module under the entry point group ``stackhub.hooks``; its
functions are decorated with :data:`hookimpl`. ``STACKHUB_LOAD_PLUGINS`` filters these by entry point name too.
"""

from __future__ import annotations

import argparse
from importlib import metadata
from typing import Any

import pluggy

from .discovery import allowed_plugins

__all__ = ["HOOK_GROUP", "hookimpl", "hookspec", "plugin_manager"]

HOOK_GROUP = "stackhub.hooks"
hookspec = pluggy.HookspecMarker("stackhub")
hookimpl = pluggy.HookimplMarker("stackhub")


class HubSpec:
    """The hooks of the hub."""

    @hookspec
    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        """Add subcommands to the ``stackhub`` CLI.

        Each added parser sets ``func`` with ``set_defaults(func=callable)``; the callable gets the parsed
        namespace and returns the exit code.
        """


def plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("stackhub")
    pm.add_hookspecs(HubSpec)
    if load_entry_points:
        allowed = allowed_plugins()
        for ep in metadata.entry_points(group=HOOK_GROUP):
            if allowed is not None and ep.name not in allowed:
                continue
            module: Any = ep.load()
            pm.register(module, name=ep.name)
    pm.check_pending()
    return pm
