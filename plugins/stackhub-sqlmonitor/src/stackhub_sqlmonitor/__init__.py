"""stackhub-sqlmonitor: the descriptor only; pyarrow, sqlglot and scipy load with the component."""

from stackhub import PluginDescriptor, Requirement

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="sqlmonitor",
    category="monitor",
    spec_version="1.0",
    component="stackhub_sqlmonitor._monitor:SQLMonitor",
    config="stackhub_sqlmonitor._config:SQLMonitorConfig",
    requires=(Requirement(field="warehouse", category="warehouse"),),
    tool="scipy",
    summary="Drift and data quality computed in the stack's warehouse with SQL; only summaries leave it.",
)
