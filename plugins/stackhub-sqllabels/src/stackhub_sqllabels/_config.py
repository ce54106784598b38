from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SQLLabelsConfig(BaseModel):
    """Config of the warehouse-native labeling queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse: str = Field(min_length=1, description="Name of the warehouse component in the stack file.")
    # One plain identifier, never a schema qualifier; at most 30 characters so that the longest table name
    # (prefix + project id + "_annotations", 59 characters) fits PostgreSQL's 63-character identifiers.
    table_prefix: str = Field(
        default="stackhub_labels",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        max_length=30,
        description="Prefix of every table the plugin creates (letters, digits, underscores).",
    )
