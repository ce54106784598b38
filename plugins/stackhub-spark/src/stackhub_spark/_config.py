from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Spark settings the config has its own fields for.
_OWN_FIELDS = {
    "spark.master": "master",
    "spark.remote": "remote",
    "spark.app.name": "app_name",
    "spark.sql.warehouse.dir": "warehouse_dir",
    "spark.sql.catalogImplementation": "catalog",
}
#: Port of a Spark Connect server when the URL names none (Spark's own default).
CONNECT_DEFAULT_PORT = 15002


class SparkConfig(BaseModel):
    """Config of the Spark warehouse: a local or cluster Spark started in this process (``master``), or a Spark
    Connect server (``remote``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str | None = Field(
        default=None,
        min_length=1,
        description="Spark master URL: 'local[*]' (the default), 'local[N]', 'spark://host:7077', 'yarn', 'k8s://...'.",
    )
    remote: str | None = Field(
        default=None,
        pattern=r"^sc://[^/]+",
        description="Spark Connect URL 'sc://host:port' (instead of master); needs stackhub-spark[connect].",
    )
    app_name: str = Field(default="stackhub", min_length=1, description="The Spark application name.")
    warehouse_dir: str | None = Field(
        default=None,
        min_length=1,
        description="Folder of managed tables (default '.stackhub/spark-warehouse'); not with remote.",
    )
    catalog: Literal["in-memory", "hive"] | None = Field(
        default=None,
        description="Spark's table catalog: 'in-memory' (the default; lives as long as Spark runs) or 'hive' "
        "(an embedded Derby metastore next to the warehouse: tables outlive the process); not with remote.",
    )
    database: str = Field(
        default="default",
        pattern=r"^\w+$",
        description="The Spark database that unqualified table names refer to; created when missing.",
    )
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Extra Spark settings, e.g. {'spark.sql.shuffle.partitions': 8}."
    )
    timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to reach a master or Connect server and for health() to answer.",
    )

    @field_validator("conf")
    @classmethod
    def _no_own_fields(cls, conf: dict[str, str | int | float | bool]) -> dict[str, str | int | float | bool]:
        for key in conf:
            if key in _OWN_FIELDS:
                raise ValueError(f"set {key!r} with the config field {_OWN_FIELDS[key]!r}, not in conf")
        return conf

    @field_validator("remote")
    @classmethod
    def _remote_port(cls, remote: str | None) -> str | None:
        if remote is not None:
            try:
                urlsplit(remote).port  # noqa: B018 - parsing it is the check
            except ValueError:
                raise ValueError(f"{remote!r} has no valid port: use sc://host:port") from None
        return remote

    @model_validator(mode="after")
    def _one_mode(self) -> SparkConfig:
        if self.master is not None and self.remote is not None:
            raise ValueError("set either 'master' (Spark in this process) or 'remote' (Spark Connect), not both")
        if self.remote is not None:
            given = [name for name in ("warehouse_dir", "catalog") if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"{' and '.join(given)} belong to the Spark Connect server's own settings, not to remote"
                )
        return self

    @property
    def spark_conf(self) -> dict[str, str]:
        """``conf`` as the strings Spark takes (booleans as 'true'/'false')."""
        return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in self.conf.items()}

    @property
    def remote_address(self) -> tuple[str, int]:
        """Host and port of the Spark Connect server."""
        assert self.remote is not None
        parts = urlsplit(self.remote)
        return parts.hostname or "localhost", parts.port or CONNECT_DEFAULT_PORT

    @property
    def remote_endpoint(self) -> str:
        """The Spark Connect URL without its parameters (tokens stay out of names and messages)."""
        host, port = self.remote_address
        return f"sc://{host}:{port}"
