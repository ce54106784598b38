"""stackhub-evidently: the descriptor only; Evidently, pandas and pyarrow load with the component."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="evidently",
    category="monitor",
    spec_version="1.0",
    component="stackhub_evidently._monitor:EvidentlyMonitor",
    config="stackhub_evidently._config:EvidentlyConfig",
    capabilities=frozenset({"html_report"}),
    tool="evidently",
    summary="Drift and data quality computed by Evidently 0.7; its HTML report; runs kept in an Evidently workspace.",
)
