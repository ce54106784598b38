"""stackhub-feast: the descriptor only; Feast (an 8-second import) loads with the component on first use."""

from stackhub import PluginDescriptor, Requirement

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="feast",
    category="feature_store",
    spec_version="1.0",
    component="stackhub_feast._store:FeastFeatureStore",
    config="stackhub_feast._config:FeastConfig",
    capabilities=frozenset({"push"}),
    requires=(Requirement(field="warehouse", category="warehouse"),),
    tool="feast",
    summary="Feast: a Feast repository (registry, offline and online store) over sources exported from the warehouse.",
)
