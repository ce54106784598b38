"""stackhub-duckdb: the descriptor only; DuckDB itself is imported by the component on first use."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="duckdb",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_duckdb._warehouse:DuckDBWarehouse",
    config="stackhub_duckdb._config:DuckDBConfig",
    capabilities=frozenset({"asof_join", "schemas"}),
    tool="duckdb",
    summary="DuckDB, embedded: a file or in-memory database in the process.",
)
