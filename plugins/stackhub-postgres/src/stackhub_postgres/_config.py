from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class PostgresConfig(BaseModel):
    """Config of the PostgreSQL warehouse.

    The password is a secret: put ``password: ${PGPASSWORD}`` in the stack file, or leave it out and let libpq
    read ``PGPASSWORD`` or ``~/.pgpass`` itself. It is never printed in a repr, an error or a log.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="localhost", min_length=1, description="Server host name or IP address.")
    port: int = Field(default=5432, ge=1, le=65_535, description="Server port.")
    database: str = Field(default="postgres", min_length=1, description="Database to connect to.")
    user: str = Field(default="postgres", min_length=1, description="Role to connect as.")
    password: SecretStr | None = Field(
        default=None, description="The role's password; None lets libpq use PGPASSWORD or ~/.pgpass."
    )
    # 'schema' would shadow BaseModel.schema(): the attribute is db_schema, the stack file's key is 'schema'.
    db_schema: str = Field(
        default="public",
        alias="schema",
        min_length=1,
        pattern=r"^[^.]+$",
        description="Schema of unqualified table names, and the only schema unqualified names in SQL resolve in.",
    )
    # libpq takes whole seconds and treats 1 as 2.
    connect_timeout: int = Field(
        default=10,
        ge=2,
        le=3600,
        description="Seconds to wait for a connection; an unreachable server raises Unavailable within it.",
    )
    statement_timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds one statement may run before the server cancels it (None: the server's setting).",
    )
    sslmode: SslMode = Field(default="prefer", description="libpq's sslmode.")
