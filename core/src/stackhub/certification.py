"""Reading conformance reports: is the installed version of a plugin certified for this spec?

A report is the JSON file ``stackhub-conformance`` writes. It is looked for, in order:
1. ``.stackhub/conformance/<plugin>-<version>.json`` next to the stack file (a user's own run, the default
   output of ``stackhub conformance``);
2. ``conformance-report.json`` inside the plugin's package (a vendor ships the report of its release).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from .discovery import InstalledPlugin
from .plugin import SPEC_VERSION

__all__ = ["PACKAGED_REPORT", "Certification", "certification", "report_path"]

PACKAGED_REPORT = "conformance-report.json"
Status = Literal["certified", "not certified", "no report", "stale report", "unreadable report"]


@dataclass(frozen=True)
class Certification:
    status: Status
    detail: str
    source: str | None = None


def report_path(stack_dir: Path, plugin: str, version: str) -> Path:
    return stack_dir / ".stackhub" / "conformance" / f"{plugin}-{version}.json"


def _packaged_report(plugin: InstalledPlugin) -> Path | None:
    package = plugin.descriptor.component.partition(":")[0].split(".")[0]
    try:
        candidate = resources.files(package) / PACKAGED_REPORT
    except (ModuleNotFoundError, TypeError):  # TypeError: a plain module, not a package, ships no data
        return None
    return Path(str(candidate)) if candidate.is_file() else None


def _judge(report: dict[str, Any], plugin: InstalledPlugin, source: str) -> Certification:
    about = report.get("plugin", {})
    if about.get("name") != plugin.name or about.get("version") != plugin.version:
        return Certification(
            "stale report",
            f"the report is for {about.get('name')!r} {about.get('version')}, not the installed {plugin.version}",
            source,
        )
    major = SPEC_VERSION.split(".")[0]
    if str(report.get("spec_version", "")).split(".")[0] != major:
        return Certification("stale report", f"the report is for spec {report.get('spec_version')}", source)
    if report.get("certified") is True:
        suite = report.get("suite", {}).get("version", "?")
        return Certification("certified", f"stackhub-conformance {suite}, spec {report['spec_version']}", source)
    failing = sorted(name for name, level in report.get("levels", {}).items() if level.get("result") != "pass")
    return Certification("not certified", f"levels not passed: {', '.join(failing) or 'none listed'}", source)


def certification(plugin: InstalledPlugin, stack_dir: Path) -> Certification:
    candidates = [report_path(stack_dir, plugin.name, plugin.version), _packaged_report(plugin)]
    for path in candidates:
        if path is None or not path.is_file():
            continue
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(report, dict):
                raise ValueError("the file is not a JSON object")
            return _judge(report, plugin, str(path))
        except (OSError, ValueError, AttributeError, KeyError) as exc:
            return Certification("unreadable report", f"{exc}", str(path))
    return Certification("no report", "no conformance report was found")
