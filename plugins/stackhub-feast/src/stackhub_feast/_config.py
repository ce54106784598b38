from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FeastConfig(BaseModel):
    """Config of the Feast feature store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse: str = Field(
        min_length=1, description="Name of the warehouse component in the stack file: where the views' sources live."
    )
    repo_path: str = Field(
        default=".stackhub/feast",
        min_length=1,
        description="The Feast repository's folder: registry, online store, exported sources. Relative paths are "
        "resolved against the working directory when the component is built.",
    )
    project: str = Field(
        default="stackhub",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_]*$",
        max_length=64,
        description="The Feast project (letters, digits and underscores, not starting with one).",
    )
    offline_store: Literal["file", "duckdb"] = Field(
        default="file",
        description="Feast's offline store that computes training sets and reads materialization windows: 'file' "
        "(Dask over Parquet) or 'duckdb' (ibis over DuckDB; needs the 'duckdb' extra).",
    )
    online_store: Literal["sqlite"] = Field(default="sqlite", description="Feast's online store.")
    online_store_path: str | None = Field(
        default=None,
        min_length=1,
        description="The SQLite file of the online store; default <repo_path>/online_store.db.",
    )
    registry_path: str | None = Field(
        default=None, min_length=1, description="The Feast registry file; default <repo_path>/registry.db."
    )
