"""The ``stackhub`` command. Imports stay inside the commands so that ``--help`` and ``plugins`` start fast
and never load pyarrow, pydantic or a plugin's tool."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

STARTER_STACK = """\
# The embedded default stack: everything runs in this process, nothing to start.
# Swap a component by changing its plugin and config; pipeline code stays the same.
stack: local
spec: "1"
components:
  warehouse:
    plugin: duckdb
    config:
      path: .stackhub/warehouse.duckdb
"""


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def cmd_plugins(args: argparse.Namespace) -> int:
    from .discovery import discover

    installed, broken = discover()
    if args.format == "json":
        out: dict[str, Any] = {
            "plugins": [
                {
                    "name": p.name,
                    "category": p.descriptor.category,
                    "distribution": p.distribution,
                    "version": p.version,
                    "spec_version": p.descriptor.spec_version,
                    "capabilities": sorted(p.descriptor.capabilities),
                }
                for p in sorted(installed.values(), key=lambda p: p.name)
            ],
            "broken": [{"name": b.name, "distribution": b.distribution, "error": b.error} for b in broken],
        }
        print(json.dumps(out, indent=2))
        return 0
    if not installed and not broken:
        print("No stackhub plugins are installed. Install one, e.g.: pip install stackhub-duckdb")
        return 0
    rows = [
        [
            p.name,
            p.descriptor.category,
            p.distribution,
            p.version,
            p.descriptor.spec_version,
            ", ".join(sorted(p.descriptor.capabilities)) or "-",
        ]
        for p in sorted(installed.values(), key=lambda p: p.name)
    ]
    if rows:
        print(_table(rows, ["NAME", "CATEGORY", "DISTRIBUTION", "VERSION", "SPEC", "CAPABILITIES"]))
    for b in broken:
        print(f"broken: plugin {b.name!r} from {b.distribution} failed to load: {b.error}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate

    report = validate(args.stack, offline=args.offline, timeout=args.timeout, require_certified=args.require_certified)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
        return report.exit_code
    model = report.parsed.model
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    title = f"Stack {model.stack!r} ({args.stack})" if model else f"Stack file {args.stack}"
    verdict = "valid" if not errors else f"INVALID: {len(errors)} error{'s' * (len(errors) != 1)}"
    if warnings:
        verdict += f", {len(warnings)} warning{'s' * (len(warnings) != 1)}"
    print(f"{title}: {verdict}")
    if report.components:
        rows = []
        for c in report.components.values():
            d = c.plugin.descriptor if c.plugin else None
            rows.append(
                [
                    c.name,
                    c.plugin_name,
                    d.category if d else "?",
                    c.plugin.version if c.plugin else "not installed",
                    "ok" if c.config is not None else ("-" if c.plugin is None else "invalid"),
                    "skipped (--offline)" if args.offline else c.live,
                    c.certified,
                ]
            )
        print()
        print(_table(rows, ["COMPONENT", "PLUGIN", "CATEGORY", "VERSION", "CONFIG", "LIVE", "CERTIFIED"]))
    for f in report.findings:
        print()
        scope = f" [{f.component}]" if f.component else ""
        print(f"{f.severity} {f.code} {f.location or ''}{scope}")
        print(f"  {f.message}")
        if f.fix:
            print(f"  fix: {f.fix}")
    return report.exit_code


def cmd_init(args: argparse.Namespace) -> int:
    from .errors import AlreadyExists

    target = Path(args.path)
    if target.exists() and not args.force:
        raise AlreadyExists(
            f"{str(target)!r} exists already.", fix="Choose another path or pass --force to overwrite it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_STACK, encoding="utf-8")
    print(f"Wrote {target}. Check it with: stackhub validate {target}")
    return 0


def cmd_specs(args: argparse.Namespace) -> int:
    from . import specs

    out = Path(args.out)
    if args.action == "check":
        stale = specs.stale(out)
        if stale:
            print(
                f"Specs in {out} differ from the models: {', '.join(stale)}. Run: stackhub specs generate --out {out}",
                file=sys.stderr,
            )
            return 1
        print(f"Specs in {out} match the models.")
        return 0
    for path in specs.generate(out):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser with the built-in commands and those that hub extensions register through pluggy."""
    from .hooks import plugin_manager

    parser = argparse.ArgumentParser(prog="stackhub", description="The interop layer for the ML stack.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("plugins", help="List installed plugins (imports no tool).")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("validate", help="Check a stack file: syntax, plugins, configs, references, live.")
    p.add_argument("stack", nargs="?", default="stack.yaml", help="The stack file (default: stack.yaml).")
    p.add_argument("--offline", action="store_true", help="Skip connecting to the components.")
    p.add_argument("--timeout", type=float, default=10.0, help="Seconds for all live checks (default: 10).")
    p.add_argument(
        "--require-certified",
        action="store_true",
        help="Fail when a plugin has no passing conformance report for its installed version.",
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("init", help="Write a starter stack file for the embedded default stack.")
    p.add_argument("path", nargs="?", default="stack.yaml")
    p.add_argument("--force", action="store_true", help="Overwrite an existing file.")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("specs", help="Generate or check the JSON Schemas of the spec.")
    p.add_argument("action", choices=["generate", "check"])
    p.add_argument("--out", default="specs/v1", help="Folder of the schema files (default: specs/v1).")
    p.set_defaults(func=cmd_specs)

    from .lineage.cli import add_parser as add_lineage_parser

    add_lineage_parser(sub)

    plugin_manager().hook.register_commands(subparsers=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .errors import StackhubError

    try:
        code: int = args.func(args)
        sys.stdout.flush()  # here, so that a closed pipe is met below and not at interpreter exit
    except StackhubError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.fix:
            print(f"fix: {exc.fix}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`stackhub plugins | head`): not an error of ours. Point stdout at /dev/null so
        # that the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it
    return code


if __name__ == "__main__":
    raise SystemExit(main())
