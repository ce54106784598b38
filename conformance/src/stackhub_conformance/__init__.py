"""stackhub-conformance: the suite a vendor runs to certify a stackhub plugin.

Subclass a category's suite (``stackhub_conformance.warehouse.WarehouseSuite``), name the plugin and give it a
config; run pytest with ``--conformance-report=PATH`` for the JSON report ``stackhub validate`` reads. Or run
``stackhub conformance PLUGIN --config FILE`` without writing a test file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._framework import ConformanceSuite, must, requires
    from ._rules import RULES

__version__ = "1.0.0"

#: The spec version whose MUST sentences this suite checks. Suite X.Y.* checks spec X.Y.
SPEC_VERSION = "1.0"

#: Category -> its complete suite, as a dotted path (the suites import pyarrow; this package must not).
SUITES: dict[str, str] = {
    "feature_store": "stackhub_conformance.feature_store:FeatureStoreSuite",
    "labeling": "stackhub_conformance.labeling:LabelingSuite",
    "monitor": "stackhub_conformance.monitor:MonitorSuite",
    "tracker": "stackhub_conformance.tracker:TrackerSuite",
    "warehouse": "stackhub_conformance.warehouse:WarehouseSuite",
}

__all__ = ["RULES", "SPEC_VERSION", "SUITES", "ConformanceSuite", "__version__", "must", "requires"]

# Loaded on first use (PEP 562): the `stackhub` CLI imports this package for its commands and must not pay for
# pytest on every `stackhub --help`.
_EXPORTS = {"ConformanceSuite": "._framework", "must": "._framework", "requires": "._framework", "RULES": "._rules"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stackhub_conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
