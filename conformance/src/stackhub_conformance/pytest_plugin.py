"""The pytest side of the suite: markers, capability gating, declared gaps, levels and the JSON report.

Registered through the ``pytest11`` entry point, so it is loaded by every pytest run in an environment that has
stackhub-conformance installed; it does nothing unless a ``ConformanceSuite`` subclass is collected.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ._framework import CALL_REPORT, ConformanceSuite, Target, check_names, target, unknown_gaps
from ._report import CheckResult, build_report, level_summary, write_atomic

__all__ = ["ConformanceRecorder"]

_XPASS_STRICT = "[XPASS(strict)]"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stackhub-conformance")
    group.addoption(
        "--conformance-report",
        metavar="PATH",
        default=None,
        help="Write the stackhub conformance report (JSON) to PATH. With several plugins in one run, put "
        "'{plugin}' in PATH to get one report each.",
    )
    group.addoption(
        "--conformance-strict",
        action="store_true",
        default=False,
        help="Fail the run when a plugin is not certified (a skip in 'core' passes pytest but not the suite).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stackhub_must(sentence): the spec sentence a conformance check proves.")
    config.addinivalue_line("markers", "stackhub_capability(name): the optional capability a conformance check needs.")
    config.pluginmanager.register(ConformanceRecorder(config), "stackhub-conformance-recorder")


def _reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return str(report.wasxfail)
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr or "")
    return text if len(text) <= 2_000 else text[:2_000] + " [...]"


def _outcome(report: pytest.TestReport, previous: str) -> str:
    """The outcome of a check after one more phase of it."""
    if report.when == "setup":
        if report.failed:
            return "error"
        if report.skipped:
            return "xfailed" if hasattr(report, "wasxfail") else "skipped"
        return previous
    if report.when == "call":
        if report.passed:
            return "xpassed" if hasattr(report, "wasxfail") else "passed"
        if report.failed:
            return "xpassed" if str(report.longrepr).startswith(_XPASS_STRICT) else "failed"
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    # Teardown: a failing cleanup turns a pass into an error; a failed check stays failed.
    return "error" if report.failed and previous == "passed" else previous


def _suite_problem(found: Target, suites: set[type[ConformanceSuite]]) -> str | None:
    """Why the suite classes that ran do not certify the plugin, when they do not: not the complete suite."""
    from stackhub.plugin import load_dotted

    from . import SUITES, __version__

    category = found.descriptor.category
    if category not in SUITES:
        return (
            f"stackhub-conformance {__version__} has no {category} suite; only the checks every component shares ran."
        )
    complete = load_dotted(SUITES[category])
    partial = sorted(s.__qualname__ for s in suites if not issubclass(s, complete))
    if partial:
        return f"{', '.join(partial)} does not subclass the complete {category} suite ({SUITES[category]})."
    return None


class ConformanceRecorder:
    """Per-run state: which collected items are checks, of which plugin and level, and how they ended."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, CheckResult] = {}
        self.targets: dict[str, Target] = {}
        self.suites: dict[str, set[type[ConformanceSuite]]] = {}
        self.collected: dict[type[ConformanceSuite], set[str]] = {}
        #: Plugin -> where its report went (None: no --conformance-report) and the report.
        self.reports_made: dict[str, tuple[Path | None, dict[str, Any]]] = {}
        self.unwritten: list[str] = []

    # -- collection -------------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)  # before -k and --deselect, so that deselected checks are known too
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for item in items:
            suite = getattr(item, "cls", None)
            if not (isinstance(suite, type) and issubclass(suite, ConformanceSuite)):
                continue
            found = target(config, suite)
            if suite not in self.collected:
                problems = unknown_gaps(suite, found.descriptor.known_gaps)
                if problems:
                    raise pytest.UsageError(f"Plugin {found.name!r}: " + " ".join(problems))
                self.collected[suite] = set()
            self._gate(item, suite, found)
        self._check_report_path()

    def _gate(self, item: pytest.Item, suite: type[ConformanceSuite], found: Target) -> None:
        function = getattr(item, "originalname", item.name)
        capability = item.get_closest_marker("stackhub_capability")
        level = str(capability.args[0]) if capability is not None else "core"
        must = " ".join(f"{m.args[0]}: {m.args[1]}" for m in reversed(list(item.iter_markers("stackhub_must"))))
        descriptor = found.descriptor
        if level != "core" and level not in descriptor.capabilities:
            item.add_marker(pytest.mark.skip(reason=f"Plugin {found.name!r} does not declare capability {level!r}."))
        gap = descriptor.known_gaps.get(item.name, descriptor.known_gaps.get(function))
        if gap is not None:
            item.add_marker(
                pytest.mark.xfail(strict=True, reason=f"Known gap declared by plugin {found.name!r}: {gap}")
            )
        item.user_properties.extend([("plugin", found.name), ("level", level), ("must", must)])
        self.results[item.nodeid] = CheckResult(item.nodeid, item.name, function, level, must)
        self.targets[item.nodeid] = found
        self.suites.setdefault(found.name, set()).add(suite)
        self.collected[suite].add(function)

    def _check_report_path(self) -> None:
        path = self.config.getoption("conformance_report")
        plugins = sorted(self.suites)
        if path and len(plugins) > 1 and "{plugin}" not in path:
            raise pytest.UsageError(
                f"--conformance-report={path} would hold the results of several plugins ({', '.join(plugins)}). "
                "Put '{plugin}' in the path to write one report per plugin, or run them separately."
            )

    # -- running ----------------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        if call.when == "call":
            item.stash[CALL_REPORT] = report
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.results.get(report.nodeid)
        if result is None:
            return
        outcome = _outcome(report, result.outcome)
        if outcome != result.outcome:
            result.outcome = outcome
            result.reason = _reason(report) if outcome != "passed" else ""
        result.duration += report.duration

    # -- reporting --------------------------------------------------------------------------------------

    def reports(self) -> dict[str, dict[str, Any]]:
        """One report per plugin of the run."""
        out = {}
        for name, suites in sorted(self.suites.items()):
            results = [r for nodeid, r in self.results.items() if self.targets[nodeid].name == name]
            found = next(self.targets[r.nodeid] for r in results)
            missing = sorted({c for s in suites for c in check_names(s) - self.collected[s]})
            out[name] = build_report(
                found, results, missing_checks=missing, suite_problem=_suite_problem(found, suites)
            )
        return out

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.config.getoption("conformance_report")
        if not self.results:
            if path:
                self.unwritten.append(f"no conformance check was collected, so {path} was not written")
            return
        for name, report in self.reports().items():
            destination = Path(path.replace("{plugin}", name)) if path else None
            if destination is not None:
                write_atomic(destination, report)
            self.reports_made[name] = (destination, report)
        if self.config.getoption("conformance_strict") and not all(
            r["certified"] for _, r in self.reports_made.values()
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reports_made and not self.unwritten:
            return
        terminalreporter.section("stackhub conformance")
        for message in self.unwritten:
            terminalreporter.write_line(f"stackhub-conformance: {message}.")
        for name, (path, report) in self.reports_made.items():
            plugin = report["plugin"]
            verdict = "CERTIFIED" if report["certified"] else "NOT CERTIFIED"
            source = f"{plugin['distribution']} {plugin['version']}" if plugin["distribution"] else "no distribution"
            terminalreporter.write_line(f"plugin {name!r} ({source}), spec {report['spec_version']}: {verdict}")
            for level, counts in report["levels"].items():
                terminalreporter.write_line(f"  {level}: {counts['result']} ({level_summary(counts)})")
            for problem in report["problems"]:
                terminalreporter.write_line(f"  - {problem}")
            if path is not None:
                terminalreporter.write_line(f"  report: {path}")
