"""stackhub-sqlfeatures: the descriptor only; the component, pyarrow and sqlglot load on first use."""

from stackhub import PluginDescriptor, Requirement

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="sqlfeatures",
    category="feature_store",
    spec_version="1.0",
    component="stackhub_sqlfeatures._store:SQLFeatureStore",
    config="stackhub_sqlfeatures._config:SQLFeaturesConfig",
    capabilities=frozenset({"push"}),
    requires=(Requirement(field="warehouse", category="warehouse"),),
    summary="A feature store kept as tables in the stack's warehouse; point-in-time joins run there in SQL.",
)
