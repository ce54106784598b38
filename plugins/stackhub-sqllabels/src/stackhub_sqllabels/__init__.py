"""stackhub-sqllabels: the descriptor only; the component and pyarrow load on first use."""

from stackhub import PluginDescriptor, Requirement

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="sqllabels",
    category="labeling",
    spec_version="1.0",
    component="stackhub_sqllabels._labeling:SQLLabeling",
    config="stackhub_sqllabels._config:SQLLabelsConfig",
    capabilities=frozenset({"predictions"}),
    requires=(Requirement(field="warehouse", category="warehouse"),),
    summary="A labeling queue kept as tables in the stack's warehouse; annotate programmatically.",
)
