"""Every hook of ``stackhub.hooks.HubSpec`` has a test here and an entry in docs/extending.md."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from stackhub import hooks
from stackhub.cli import main

DOCS = Path(__file__).parents[2] / "docs" / "extending.md"


def hook_names() -> list[str]:
    return sorted(n for n in vars(hooks.HubSpec) if not n.startswith("_"))


def test_every_hook_is_documented_and_tested():
    docs = DOCS.read_text()
    tests = Path(__file__).read_text()
    for name in hook_names():
        assert f"`{name}" in docs, f"hook {name!r} is missing from docs/extending.md"
        assert f"def test_hook_{name}" in tests, f"hook {name!r} has no test_hook_{name}"


def test_hook_register_commands(monkeypatch, capsys, fake_plugins):
    module = types.ModuleType("stackhub_hello")

    @hooks.hookimpl
    def register_commands(subparsers):
        parser = subparsers.add_parser("hello", help="Say hello.")
        parser.add_argument("name")
        parser.set_defaults(func=lambda args: print(f"hello {args.name}") or 0)

    module.register_commands = register_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "stackhub_hello", module)
    (fake_plugins / "stackhub_fakes-9.9.9.dist-info" / "entry_points.txt").write_text(
        "[stackhub.hooks]\nhello = stackhub_hello\n"
    )
    assert main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"
    monkeypatch.setenv("STACKHUB_LOAD_PLUGINS", "")
    with pytest.raises(SystemExit):
        main(["hello", "world"])
