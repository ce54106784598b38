"""stackhub-spark: the descriptor only; pyspark (and the JVM behind it) load with the component on first use."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

_NAME_RULE = (
    "Spark's session catalog accepts only letters, digits and underscores in table names "
    "(INVALID_SCHEMA_OR_RELATION_NAME, the Hive naming rule), whatever the quoting."
)

plugin = PluginDescriptor(
    name="spark",
    category="warehouse",
    spec_version="1.0",
    component="stackhub_spark._warehouse:SparkWarehouse",
    config="stackhub_spark._config:SparkConfig",
    capabilities=frozenset({"schemas"}),
    known_gaps={
        "test_table_names_that_need_quoting[With Space]": _NAME_RULE,
        "test_table_names_that_need_quoting[kebab-case]": _NAME_RULE,
        "test_table_names_that_need_quoting[quote's]": _NAME_RULE,
    },
    tool="pyspark",
    summary="Apache Spark: local, on a cluster master, or through Spark Connect; managed tables in its catalog.",
)
