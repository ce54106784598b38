from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DuckDBConfig(BaseModel):
    """Config of the DuckDB warehouse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(default=":memory:", min_length=1, description="Database file, or ':memory:'.")
    read_only: bool = Field(default=False, description="Open the file read-only; it must exist.")
    threads: int | None = Field(default=None, ge=1, description="Worker threads (DuckDB's default: all cores).")
    memory_limit: str | None = Field(default=None, description="DuckDB memory limit, e.g. '4GB'.")
