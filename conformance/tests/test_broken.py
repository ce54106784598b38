"""The suite against deliberately broken warehouses (``broken_warehouses``): each must fail the checks it
breaks, for that reason; and every check of the suite must be failed by one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from broken_warehouses import BROKEN, Broken
from stackhub_conformance._framework import check_names
from stackhub_conformance.warehouse import WarehouseSuite

SUITE = """\
import pytest
from broken_warehouses import BROKEN
from stackhub_conformance.warehouse import WarehouseSuite


class Broken(WarehouseSuite):
    @pytest.fixture
    def component_config(self):
        return {"path": ":memory:"}

    @pytest.fixture
    def unreachable_config(self, tmp_path):
        return {"path": str(tmp_path / "missing.duckdb"), "read_only": True}


for _broken in BROKEN:
    name = f"Test_{_broken.name}"
    globals()[name] = type(name, (Broken,), {"plugin": _broken.descriptor, "fails": _broken.fails})
"""

# Each broken warehouse runs only the checks it must fail: the real DuckDB run shows they pass unbroken.
CONFTEST = """\
def pytest_collection_modifyitems(config, items):
    keep = [i for i in items if i.name in i.cls.fails or i.originalname in i.cls.fails]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep
"""

_REPORTS: dict[str, dict[str, Any]] = {}


@pytest.fixture
def reports(pytester: pytest.Pytester, run_pytest: Callable[..., pytest.RunResult]) -> dict[str, dict[str, Any]]:
    """The report of every broken warehouse, from one in-process run shared by the tests of this module."""
    if not _REPORTS:
        pytester.makepyfile(test_broken_suite=SUITE)
        pytester.makeconftest(CONFTEST)
        run_pytest("--conformance-report=reports/{plugin}.json")
        for path in Path(pytester.path, "reports").glob("*.json"):
            report = json.loads(path.read_text())
            _REPORTS[report["plugin"]["name"]] = report
    return _REPORTS


@pytest.mark.parametrize("broken", BROKEN, ids=lambda b: b.name)
def test_broken_warehouse_fails_its_checks(reports: dict[str, dict[str, Any]], broken: Broken) -> None:
    report = reports[broken.name]
    outcomes = {t["check"]: t for t in report["tests"] if t["outcome"] != "not_run"}
    assert sorted(outcomes) == sorted(broken.fails), "every named check ran"
    for check in broken.fails:
        test = outcomes[check]
        assert test["outcome"] == "failed", f"{check}: {test['outcome']} ({test['reason']})"
        assert re.search(broken.reason, test["reason"]), f"{check} failed for another reason: {test['reason']}"
    assert report["certified"] is False


def test_every_check_is_failed_by_a_broken_warehouse() -> None:
    failed = {check.partition("[")[0] for broken in BROKEN for check in broken.fails}
    assert sorted(check_names(WarehouseSuite) - failed) == []
