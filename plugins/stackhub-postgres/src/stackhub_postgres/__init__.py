"""stackhub-postgres: the descriptor only; the ADBC driver is imported by the component on first use."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="postgres",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_postgres._warehouse:PostgresWarehouse",
    config="stackhub_postgres._config:PostgresConfig",
    # No asof_join: PostgreSQL has no native ASOF JOIN.
    capabilities=frozenset({"schemas"}),
    tool="adbc-driver-postgresql",
    summary="A PostgreSQL server through ADBC's libpq driver: Arrow results streamed by COPY, bulk COPY writes.",
)
