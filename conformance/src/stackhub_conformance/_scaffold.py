"""``stackhub plugin new NAME --category CATEGORY``: a plugin package that installs, registers and runs the suite.

The component skeleton is generated from the category's interface, so it has every abstract method with its
signature and contract (the MUST sentences the suite checks), and a new category needs no template here.
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["render", "scaffold"]

_NAME = re.compile(r"[a-z][a-z0-9]*")
_WIDTH = 120


def _check(name: str, category: str) -> None:
    from stackhub import categories
    from stackhub.errors import InvalidInput

    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"Plugin name {name!r} is not valid.",
            fix="Use lowercase letters and digits, starting with a letter (e.g. 'mytool'): the name becomes the "
            "registry key, the distribution stackhub-<name> and the import stackhub_<name>.",
        )
    if category not in categories.CATEGORIES:
        close = difflib.get_close_matches(category, sorted(categories.CATEGORIES), n=1)
        raise InvalidInput(
            f"Unknown category {category!r}.",
            fix=f"Did you mean {close[0]!r}?"
            if close
            else f"Choose one of: {', '.join(sorted(categories.CATEGORIES))}.",
        )


def scaffold(name: str, category: str, directory: str | Path = ".") -> Path:
    """Write the package ``stackhub-<name>`` into ``directory`` and return its folder."""
    from stackhub.errors import AlreadyExists

    _check(name, category)
    root = Path(directory) / f"stackhub-{name}"
    if root.exists():
        raise AlreadyExists(
            f"{str(root)!r} exists already.", fix="Choose another name or --dir, or move the existing folder away."
        )
    for relative, text in render(name, category).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def render(name: str, category: str) -> dict[str, str]:
    """The files of the package, by path relative to its folder."""
    from stackhub import SPEC_VERSION, categories

    from . import SUITES

    _check(name, category)
    package = f"stackhub_{name}"
    interface = categories.interface(category)
    component = f"{name.capitalize()}{interface.__name__}"
    config = f"{name.capitalize()}Config"
    source, uses_arrow = _component(category, component, config)
    capabilities = ", ".join(sorted(categories.capabilities(category))) or "none"
    return {
        "pyproject.toml": _PYPROJECT.format(
            name=name,
            package=package,
            category=category,
            dependencies=", ".join(json.dumps(d) for d in ["stackhub>=0.1,<2", *(["pyarrow>=14"] * uses_arrow)]),
        ),
        f"src/{package}/__init__.py": _DESCRIPTOR.format(
            name=name,
            package=package,
            category=category,
            spec=SPEC_VERSION,
            component=component,
            config=config,
            capabilities=capabilities,
        ),
        f"src/{package}/_config.py": _CONFIG.format(name=name, category=category, config=config),
        f"src/{package}/_component.py": source,
        "tests/test_conformance.py": _tests(name, category, SUITES.get(category)),
        "tox.ini": _TOX.format(package=package),
    }


def _component(category: str, component: str, config: str) -> tuple[str, bool]:
    """The skeleton class with every abstract method of the category's interface; whether it uses pyarrow."""
    from stackhub import categories

    interface = categories.interface(category)
    module = categories.load(category)
    methods = _abstract_methods(interface)
    names = set(re.findall(r"\b[A-Za-z_]\w*", " ".join(_annotations(m) for m in methods)))
    imports = {"from collections.abc import Mapping", f"from stackhub import Component, {interface.__name__}"}
    imports |= _imports(names, module)
    class_vars = [n for n in getattr(interface, "__annotations__", {}) if n != "category" and n not in vars(interface)]
    if class_vars:
        imports.add("from typing import ClassVar")
    lines = ['"""The component. Import the tool\'s SDK here, never in __init__.py: listing plugins must stay light."""']
    lines += [
        "",
        "from __future__ import annotations",
        "",
        *_import_block(imports),
        "",
        f"from ._config import {config}",
    ]
    lines += ["", "", f"class {component}({interface.__name__}):"]
    lines.append(f'    """{interface.__doc__.strip().splitlines()[0] if interface.__doc__ else component}"""')
    for var in class_vars:
        lines += [
            "",
            f"    #: Required by {interface.__name__}: set it for your tool.",
            f'    {var}: ClassVar[str] = ""',
        ]
    lines += [
        "",
        f"    def __init__(self, config: {config}, *, dependencies: Mapping[str, Component] | None = None) -> None:",
        "        super().__init__(config, dependencies=dependencies)",
        f"        self.config: {config} = config",
    ]
    for method in methods:
        lines += ["", *_method(component, method)]
    return "\n".join(lines) + "\n", "pa" in names


def _abstract_methods(interface: type) -> list[Callable[..., Any]]:
    """Abstract methods in declaration order: the Component base's first, then the category's."""
    seen: list[Callable[..., Any]] = []
    for cls in reversed(interface.__mro__):
        seen += [f for n, f in vars(cls).items() if n in interface.__abstractmethods__ and callable(f)]  # type: ignore[attr-defined]
    return seen


def _annotations(method: Callable[..., Any]) -> str:
    """The annotation texts of a method's parameters and return value (strings in the interface modules)."""
    signature = inspect.signature(method)
    texts = [p.annotation for p in signature.parameters.values() if p.annotation is not inspect.Parameter.empty]
    return " ".join(str(t) for t in [*texts, signature.return_annotation])


def _literal(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _signature(method: Callable[..., Any]) -> tuple[list[str], str]:
    """The parameters and the return annotation as written in the interface (annotations are strings there)."""
    signature = inspect.signature(method)
    params: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        text = parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {_literal(parameter.default)}"
        params.append(text)
    returns = signature.return_annotation
    return params, str(returns) if returns is not inspect.Signature.empty else "None"


def _method(component: str, method: Callable[..., Any]) -> list[str]:
    """The method as ruff would format it: its signature, the interface's docstring, a NotImplementedError."""
    name = method.__name__
    params, returns = _signature(method)
    head = f"    def {name}({', '.join(params)}) -> {returns}:"
    if len(head) > _WIDTH:
        inline = f"        {', '.join(params)}"
        body = [inline] if len(inline) <= _WIDTH else [f"        {p}," for p in params]
        head = "\n".join([f"    def {name}(", *body, f"    ) -> {returns}:"])
    doc = inspect.getdoc(method) or name
    summary = doc.split(". ")[0].splitlines()[0].rstrip(".")
    message = f"{component}.{name}() is not implemented yet: {summary[0].lower()}{summary[1:]}, as its docstring says."
    docstring = doc.replace("\n", "\n        ").replace("\n        \n", "\n\n")
    lines = [head, f'        """{docstring}\n        """' if "\n" in doc else f'        """{doc}"""']
    one_line = f"        raise NotImplementedError({json.dumps(message)})"
    if len(one_line) <= _WIDTH:
        return [*lines, one_line]
    return [*lines, "        raise NotImplementedError(", *_string_lines(message, indent=12), "        )"]


def _string_lines(text: str, *, indent: int) -> list[str]:
    """``text`` as adjacent string literals that fit the line width."""
    width = _WIDTH - indent - 3  # two quotes and the space that joins a chunk to the next
    chunks: list[str] = []
    for word in text.split(" "):
        if chunks and len(chunks[-1]) + len(word) + 1 <= width:
            chunks[-1] += f" {word}"
        else:
            chunks.append(word)
    return [" " * indent + json.dumps(c + (" " if i < len(chunks) - 1 else "")) for i, c in enumerate(chunks)]


def _imports(names: set[str], module: Any) -> set[str]:
    """Import lines for the names the signatures use, from the most public place that has each."""
    import stackhub

    lines = set()
    for name in names:
        if hasattr(builtins, name) or name == "None":
            continue
        if name == "pa":  # imported only for type checkers in the interface modules
            lines.add("import pyarrow as pa")
        elif name in stackhub.__all__:
            lines.add(f"from stackhub import {name}")
        elif name in getattr(module, "__all__", ()):
            lines.add(f"from {module.__name__} import {name}")
        elif hasattr(module, name):
            lines.add(f"from {getattr(module, name).__module__} import {name}")
    return lines


def _import_block(lines: set[str]) -> list[str]:
    """The import lines as isort (ruff) orders them: standard library, then the rest; one line per module."""
    froms: dict[str, set[str]] = {}
    plain = set()
    for line in lines:
        if line.startswith("from "):
            source, _, names = line[5:].partition(" import ")
            froms.setdefault(source, set()).update(names.split(", "))
        else:
            plain.add(line)
    merged = sorted(plain) + [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(froms.items())]

    def stdlib(line: str) -> bool:
        return line.split()[1].split(".")[0] in sys.stdlib_module_names

    standard = [line for line in merged if stdlib(line)]
    return [*standard, *([""] if standard else []), *[line for line in merged if not stdlib(line)]]


def _tests(name: str, category: str, suite: str | None) -> str:
    if suite is None:
        base_module, base = "stackhub_conformance", "ConformanceSuite"
        note = (
            f"# This version of stackhub-conformance has no {category} suite yet: these are the checks every\n"
            "# component shares. Upgrade it for the full suite; a run without it is not certified.\n"
        )
    else:
        base_module, _, base = suite.partition(":")
        note = ""
    return _TESTS.format(name=name, cls=name.capitalize(), base_module=base_module, base=base, note=note)


_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "stackhub-{name}"
version = "0.1.0"
description = "stackhub {category} plugin for {name}."
requires-python = ">=3.11"
dependencies = [{dependencies}]

[project.optional-dependencies]
test = ["stackhub-conformance>=1.0,<2", "pytest>=8"]

[project.entry-points."stackhub.plugins"]
{name} = "{package}:plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]

[tool.pytest.ini_options]
addopts = ["-ra", "--strict-markers"]
xfail_strict = true
"""

_DESCRIPTOR = '''\
"""stackhub-{name}: the descriptor only. Listing plugins imports this module, so it imports no tool."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="{name}",
    category="{category}",
    spec_version="{spec}",
    component="{package}._component:{component}",
    config="{package}._config:{config}",
    # Optional capabilities of the category ({capabilities}); the suite checks those you declare.
    capabilities=frozenset(),
    # Checks the plugin does not meet yet, as {{"test_name": "why"}}; each turns into a strict expected failure.
    known_gaps={{}},
    # The distribution of the tool behind the plugin (e.g. "duckdb"); reports name its version.
    tool=None,
    summary="{name} as a stackhub {category}.",
)
'''

_CONFIG = '''\
"""The config of the {name} plugin: what a stack file's `config:` block holds for it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class {config}(BaseModel):
    """Add the fields your tool needs: a URL, a path, a token (as a ${{ENV}} reference in the stack file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
'''

_TESTS = '''\
"""The stackhub conformance suite against this plugin. Declare what the plugin does not meet in its descriptor's
known_gaps; never skip or edit checks here."""

import pytest
from {base_module} import {base}


{note}class Test{cls}Conformance({base}):
    plugin = "{name}"

    @pytest.fixture
    def component_config(self, tmp_path):
        # A usable component. The suite only creates uniquely named objects and removes them afterwards.
        return {{}}

    # Define unreachable_config too (a config whose tool cannot be reached): without it the health check is
    # skipped, and a run with a skip in core is not certified.
'''

_TOX = """\
[tox]
env_list = py311

[testenv]
description = the plugin's tests, with the conformance report shipped in the package
extras = test
commands = pytest tests --conformance-report={{toxinidir}}/src/{package}/conformance-report.json {{posargs}}
"""
