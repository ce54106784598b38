"""Each suite against its deliberately broken plugins (``broken``, ``broken_<category>``): each must fail the
checks it breaks, for that reason; and every check of every suite must be failed by one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import broken_feature_stores
import broken_labeling
import broken_monitors
import broken_trackers
import broken_warehouses
import pytest
from broken import Broken
from stackhub_conformance._framework import ConformanceSuite, check_names
from stackhub_conformance.feature_store import FeatureStoreSuite
from stackhub_conformance.labeling import LabelingSuite
from stackhub_conformance.monitor import MonitorSuite
from stackhub_conformance.tracker import TrackerSuite
from stackhub_conformance.warehouse import WarehouseSuite

#: Category -> the module of its broken plugins (``broken``) and the suite they must fail.
CATEGORIES: dict[str, tuple[ModuleType, type[ConformanceSuite]]] = {
    "warehouse": (broken_warehouses, WarehouseSuite),
    "feature_store": (broken_feature_stores, FeatureStoreSuite),
    "monitor": (broken_monitors, MonitorSuite),
    "labeling": (broken_labeling, LabelingSuite),
    "tracker": (broken_trackers, TrackerSuite),
}
ALL_BROKEN = [(category, b) for category, (module, _) in CATEGORIES.items() for b in module.BROKEN]

SUITE = """\
from {module} import BROKEN, Harness

for _broken in BROKEN:
    name = f"Test_{{_broken.name}}"
    globals()[name] = type(name, (Harness,), {{"plugin": _broken.descriptor, "fails": _broken.fails}})
"""

# Each broken plugin runs only the checks it must fail: the real plugins' own runs show they pass unbroken.
CONFTEST = """\
def pytest_collection_modifyitems(config, items):
    keep = [i for i in items if i.name in i.cls.fails or i.originalname in i.cls.fails]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep
"""

_REPORTS: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.fixture
def reports(
    pytester: pytest.Pytester, run_pytest: Callable[..., pytest.RunResult]
) -> Callable[[str], dict[str, dict[str, Any]]]:
    """Category -> the report of each of its broken plugins, from one in-process run per category shared by the
    tests of this module."""

    def of(category: str) -> dict[str, dict[str, Any]]:
        if category not in _REPORTS:
            module = CATEGORIES[category][0].__name__
            pytester.makepyfile(**{f"test_{module}": SUITE.format(module=module)})
            pytester.makeconftest(CONFTEST)
            run_pytest("--conformance-report=reports/{plugin}.json")
            found = [json.loads(path.read_text()) for path in Path(pytester.path, "reports").glob("*.json")]
            _REPORTS[category] = {report["plugin"]["name"]: report for report in found}
        return _REPORTS[category]

    return of


@pytest.mark.parametrize(("category", "broken"), ALL_BROKEN, ids=lambda b: getattr(b, "name", b))
def test_broken_plugin_fails_its_checks(
    reports: Callable[[str], dict[str, dict[str, Any]]], category: str, broken: Broken
) -> None:
    report = reports(category)[broken.name]
    outcomes = {t["check"]: t for t in report["tests"] if t["outcome"] != "not_run"}
    assert sorted(outcomes) == sorted(broken.fails), "every named check ran"
    for check in broken.fails:
        test = outcomes[check]
        assert test["outcome"] == "failed", f"{check}: {test['outcome']} ({test['reason']})"
        assert re.search(broken.reason, test["reason"]), f"{check} failed for another reason: {test['reason']}"
    assert report["certified"] is False


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_check_is_failed_by_a_broken_plugin(category: str) -> None:
    def failed(brokens: list[Broken]) -> set[str]:
        return {check.partition("[")[0] for b in brokens for check in b.fails}

    module, suite = CATEGORIES[category]
    # The checks every suite inherits need a failing plugin in one category only.
    shared = check_names(ConformanceSuite) & failed([b for _, b in ALL_BROKEN])
    assert sorted(check_names(suite) - failed(module.BROKEN) - shared) == []
