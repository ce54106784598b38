"""The suites keep the spec's promises honest: every MUST sentence of a category that has a suite is carried by
a check, every capability has a check gated on it, and every sentence a check carries is the spec's (or one of
the suite's own rules), word for word."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator

import pytest
import stackhub_conformance
from stackhub import categories
from stackhub.plugin import Component, load_dotted
from stackhub_conformance import RULES, SUITES, ConformanceSuite, must
from stackhub_conformance.warehouse import WarehouseSuite

CAPABILITY = "capability "


def sentences(doc: str | None) -> list[str]:
    """A docstring's sentences, whitespace-normalised; a sentence ends before a capital letter or a backtick."""
    text = " ".join((doc or "").split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`])", text) if s]


def operations(category: str) -> dict[str, list[str]]:
    """Operation -> the sentences of its docstring: the interface's abstract methods, those of each
    capability's mixin, and ``close``, which every component inherits."""
    return {name: sentences(doc) for name, doc in docstrings(category).items()}


def _is_run(part: list[str], whole: list[str]) -> bool:
    return any(whole[i : i + len(part)] == part for i in range(len(whole)))


def docstrings(category: str) -> dict[str, str]:
    """Operation -> its docstring, whitespace-normalised (see ``operations``)."""
    module = categories.load(category)
    classes = [categories.interface(category)]
    for text in categories.capabilities(category).values():
        mixin = re.search(r"\((Supports\w+)\)", text)
        if mixin is not None:
            classes.append(getattr(module, mixin[1]))
    found = {"close": inspect.getdoc(Component.close) or ""}
    for cls in classes:
        for name in cls.__abstractmethods__:
            found[name] = inspect.getdoc(getattr(cls, name)) or ""
    return {name: " ".join(doc.split()) for name, doc in found.items()}


def carried(suite: type[ConformanceSuite]) -> Iterator[tuple[str, str, str]]:
    """(check, operation, sentence) for every ``must`` mark of the suite's checks."""
    for name in sorted(dir(suite)):
        if name.startswith("test"):
            for mark in getattr(getattr(suite, name), "pytestmark", []):
                if mark.name == "stackhub_must":
                    yield name, mark.args[0], mark.args[1]


def suite_modules() -> list[str]:
    """Categories that have a module in the package (their suite)."""
    names = {m.name for m in pkgutil.iter_modules(stackhub_conformance.__path__)}
    return sorted(names & set(categories.CATEGORIES))


def test_every_suite_module_is_registered() -> None:
    assert suite_modules() == sorted(SUITES)
    for category, path in SUITES.items():
        suite = load_dotted(path)
        assert issubclass(suite, ConformanceSuite)
        assert suite.category == category


def uncovered(suite: type[ConformanceSuite], category: str) -> list[str]:
    """The category's MUST sentences that no check of ``suite`` carries."""
    covered = {(operation, sentence) for _, operation, sentence in carried(suite)}
    return [
        f"{operation}: {sentence}"
        for operation, texts in sorted(operations(category).items())
        for sentence in texts
        if "MUST" in sentence and (operation, sentence) not in covered
    ]


def foreign(suite: type[ConformanceSuite], category: str) -> list[str]:
    """Sentences ``suite`` carries that are neither whole sentences of the spec nor one of the suite's rules."""
    spec = docstrings(category)
    capabilities = categories.capabilities(category)
    rules = {" ".join(r.split()) for r in RULES.values()}
    wrong = []
    for check, operation, sentence in carried(suite):
        if operation.startswith(CAPABILITY):
            ok = sentence == " ".join(capabilities.get(operation.removeprefix(CAPABILITY), "").split())
        else:
            # Whole sentences of the docstring, one or several in a row.
            ok = _is_run(sentences(sentence), sentences(spec.get(operation))) or sentence in rules
        if not ok:
            wrong.append(f"{check}: {operation}: {sentence}")
    return wrong


@pytest.mark.parametrize("category", sorted(SUITES))
def test_every_must_sentence_has_a_check(category: str) -> None:
    suite = load_dotted(SUITES[category])
    assert uncovered(suite, category) == [], f"MUST sentences of {category} that no check of {suite.__name__} carries"


@pytest.mark.parametrize("category", sorted(SUITES))
def test_every_capability_has_a_check(category: str) -> None:
    suite = load_dotted(SUITES[category])
    gated = {
        mark.args[0]
        for name in dir(suite)
        if name.startswith("test")
        for mark in getattr(getattr(suite, name), "pytestmark", [])
        if mark.name == "stackhub_capability"
    }
    assert sorted(categories.capabilities(category)) == sorted(gated)


@pytest.mark.parametrize("category", sorted(SUITES))
def test_every_carried_sentence_is_the_specs(category: str) -> None:
    suite = load_dotted(SUITES[category])
    assert foreign(suite, category) == [], "sentences neither the spec's nor a rule of the suite (copy them verbatim)"


def test_the_meta_checks_catch_a_missing_and_a_made_up_sentence() -> None:
    class Incomplete(WarehouseSuite):
        test_drop_table_removes_it_then_raises_not_found = None
        test_drop_table_with_missing_ok_ignores_a_missing_table = None

        @must("drop_table", "MUST raise ``NotFound`` when the table does not exist")  # a sentence cut short
        def test_cut_short(self) -> None: ...

        @must("query", "Remove a table.")  # a sentence of another operation
        def test_misattributed(self) -> None: ...

    assert uncovered(Incomplete, "warehouse") == [
        "drop_table: MUST raise ``NotFound`` when the table does not exist, unless ``missing_ok`` is true."
    ]
    assert foreign(Incomplete, "warehouse") == [
        "test_cut_short: drop_table: MUST raise ``NotFound`` when the table does not exist",
        "test_misattributed: query: Remove a table.",
    ]


@pytest.mark.parametrize("category", sorted(SUITES))
def test_every_check_carries_a_sentence(category: str) -> None:
    suite = load_dotted(SUITES[category])
    checks = {name for name in dir(suite) if name.startswith("test")}
    assert sorted(checks - {check for check, _, _ in carried(suite)}) == []


def test_the_sentence_splitter_keeps_each_must_whole() -> None:
    doc = inspect.getdoc(load_dotted("stackhub.categories.warehouse:Warehouse.write"))
    assert "A write MUST be atomic: when it fails, the table MUST be left exactly as it was (or absent)." in sentences(
        doc
    )
    assert sentences("Finish a run. MUST set its status. ``x`` MUST be y (e.g. z).") == [
        "Finish a run.",
        "MUST set its status.",
        "``x`` MUST be y (e.g. z).",
    ]


def test_public_names_resolve() -> None:
    # Their order is ruff's (RUF022), checked by the lint environment.
    for module in (stackhub_conformance, *(importlib.import_module(p.partition(":")[0]) for p in SUITES.values())):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"
