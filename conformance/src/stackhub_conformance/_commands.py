"""The CLI commands this distribution adds to ``stackhub`` (hook ``register_commands``).

Loaded by every ``stackhub`` invocation, so it imports nothing heavy: the commands import what they need.
"""

from __future__ import annotations

import argparse

from stackhub.hooks import hookimpl

__all__ = ["register_commands"]


@hookimpl
def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "conformance",
        help="Run the conformance suite against an installed plugin and write its report.",
        description="Run the conformance suite of the plugin's category against a component built from a config "
        "file, and write the JSON report that 'stackhub validate' reads. The exit code is pytest's.",
    )
    parser.add_argument("plugin", help="The plugin's registry key, e.g. duckdb.")
    parser.add_argument("--config", required=True, metavar="FILE", help="YAML or JSON file with the plugin's config.")
    parser.add_argument(
        "--unreachable-config",
        metavar="FILE",
        help="A config whose tool cannot be reached, for the health check (without it the run is not certified).",
    )
    parser.add_argument(
        "--stack",
        metavar="FILE",
        help="For a plugin that requires other components (e.g. a warehouse): the stack file that defines them.",
    )
    parser.add_argument(
        "--unreachable-stack",
        metavar="FILE",
        help="Like --stack, with components that cannot be reached, for the health check of such a plugin.",
    )
    parser.add_argument(
        "--report",
        metavar="PATH",
        help="Where to write the report (default: .stackhub/conformance/PLUGIN-VERSION.json).",
    )
    parser.add_argument("--junitxml", metavar="PATH", help="Also write JUnit XML, with each check's MUST sentence.")
    parser.add_argument(
        "-k", dest="keyword", metavar="EXPR", help="Run only matching checks (the run is not certified)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="List every check.")
    parser.set_defaults(func=_conformance)

    plugin = subparsers.add_parser("plugin", help="Create plugin packages.")
    actions = plugin.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser(
        "new",
        help="Create a plugin package: descriptor, config, component skeleton, conformance tests.",
        description="Create the folder stackhub-NAME with a plugin package that installs, registers its entry "
        "point and runs the conformance suite of its category.",
    )
    new.add_argument("name", help="The registry key: lowercase letters and digits, e.g. mytool.")
    new.add_argument("--category", required=True, help="The category the plugin implements, e.g. warehouse.")
    new.add_argument("--dir", default=".", help="The folder to create stackhub-NAME in (default: here).")
    new.set_defaults(func=_plugin_new)


def _conformance(args: argparse.Namespace) -> int:
    from ._runner import run_conformance

    return run_conformance(
        args.plugin,
        args.config,
        unreachable_config=args.unreachable_config,
        stack=args.stack,
        unreachable_stack=args.unreachable_stack,
        report=args.report,
        junitxml=args.junitxml,
        keyword=args.keyword,
        verbose=args.verbose,
    )


def _plugin_new(args: argparse.Namespace) -> int:
    from ._scaffold import scaffold

    root = scaffold(args.name, args.category, args.dir)
    print(f"Created {root}/ ({args.category} plugin {args.name!r}). Next:")
    print(f"  pip install -e {root}[test]")
    print(f"  pytest {root}/tests      # the conformance suite; implement the component until it passes")
    return 0
