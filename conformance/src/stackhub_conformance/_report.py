"""The JSON conformance report: one per plugin, read by ``stackhub validate`` (``stackhub.certification``).

Levels are ``core`` (every required check) and one per capability the plugin declares. A level passes when each
of its checks passed or failed as a declared gap (strict xfail); nothing skipped, deselected or erroring. A
plugin is certified when every level passes and every check of its category's full suite ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._framework import Target, distribution_version

__all__ = ["OUTCOMES", "CheckResult", "build_report", "level_summary", "write_atomic"]

#: Outcomes of a check, in the order summaries list them. ``not_run``: collected, then deselected (``-k``) or
#: never reached (the run stopped early).
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "error", "not_run")


@dataclass
class CheckResult:
    """One collected check of a suite class and what became of it."""

    nodeid: str
    check: str
    function: str
    level: str
    must: str
    outcome: str = "not_run"
    reason: str = ""
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "check": self.check,
            "level": self.level,
            "outcome": self.outcome,
            "reason": self.reason,
            "must": self.must,
            "duration": round(self.duration, 4),
        }


def _levels(target: Target, results: list[CheckResult]) -> dict[str, dict[str, Any]]:
    """Counts per level the plugin claims: core, then each declared capability the suite has checks for."""
    claimed = ["core", *sorted(target.descriptor.capabilities & {r.level for r in results})]
    levels: dict[str, dict[str, Any]] = {}
    for level in claimed:
        counts: dict[str, Any] = dict.fromkeys(OUTCOMES, 0)
        for result in results:
            if result.level == level:
                counts[result.outcome] += 1
        good = counts["passed"] + counts["xfailed"]
        counts["result"] = "pass" if good and good == sum(counts[o] for o in OUTCOMES) else "fail"
        levels[level] = counts
    return levels


def level_summary(counts: dict[str, Any]) -> str:
    return ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]) or "no checks"


def build_report(
    target: Target, results: list[CheckResult], *, missing_checks: list[str], suite_problem: str | None = None
) -> dict[str, Any]:
    """The report of one plugin. ``missing_checks``: checks of the suite that were never collected;
    ``suite_problem``: why the suite that ran is not its category's complete suite, when it is not."""
    from stackhub import SPEC_VERSION

    from . import SPEC_VERSION as SUITE_SPEC_VERSION

    descriptor = target.descriptor
    levels = _levels(target, results)
    problems = [
        f"level {name!r} did not pass: {level_summary(c)}." for name, c in levels.items() if c["result"] != "pass"
    ]
    if missing_checks:
        problems.append(f"checks not collected in this run: {', '.join(missing_checks)}.")
    if suite_problem:
        problems.append(suite_problem)
    return {
        "suite": {
            "name": "stackhub-conformance",
            "version": distribution_version("stackhub-conformance"),
            "spec_version": SUITE_SPEC_VERSION,
        },
        "spec_version": SPEC_VERSION,
        "plugin": {
            "name": descriptor.name,
            "distribution": target.distribution,
            "version": target.version,
            "category": descriptor.category,
            "spec_version": descriptor.spec_version,
            "capabilities": sorted(descriptor.capabilities),
            "known_gaps": dict(sorted(descriptor.known_gaps.items())),
        },
        "tool": {"name": descriptor.tool, "version": distribution_version(descriptor.tool)},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "stackhub": distribution_version("stackhub"),
            "pyarrow": distribution_version("pyarrow"),
            "pytest": distribution_version("pytest"),
        },
        "levels": levels,
        "certified": not problems,
        "problems": problems,
        "tests": [r.as_dict() for r in results],
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_atomic(path: Path, report: dict[str, Any]) -> None:
    """Write the report so that a reader never sees half of it: a temporary file, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
