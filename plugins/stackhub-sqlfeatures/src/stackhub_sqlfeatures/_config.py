from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SQLFeaturesConfig(BaseModel):
    """Config of the warehouse-native feature store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse: str = Field(min_length=1, description="Name of the warehouse component in the stack file.")
    # One plain identifier, never a schema qualifier; at most 20 characters so that the longest table name
    # (prefix + "_online_" + 24-character view slug + "_" + 8 hex digits, 61 characters) fits PostgreSQL's 63.
    table_prefix: str = Field(
        default="stackhub_fs",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        max_length=20,
        description="Prefix of every table the plugin creates (letters, digits, underscores).",
    )
    join: Literal["auto", "asof", "window"] = Field(
        default="auto",
        description="Point-in-time join strategy: 'asof' (native ASOF JOIN), 'window' (portable ROW_NUMBER form) "
        "or 'auto' (asof when the warehouse declares the asof_join capability).",
    )
