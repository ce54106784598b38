from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SQLMonitorConfig(BaseModel):
    """Config of the warehouse-native monitor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse: str = Field(min_length=1, description="Name of the stack's warehouse component that runs the SQL.")
