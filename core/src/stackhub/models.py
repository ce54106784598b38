"""Metadata models shared by every category: dataset identity and schemas.

Dataset identity follows the OpenLineage naming conventions (namespace + name), so what a plugin reports can
be emitted as lineage unchanged: DuckDB ``duckdb:///abs/path.duckdb`` + ``main.orders``, PostgreSQL
``postgres://host:port`` + ``db.schema.table``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DatasetId", "SchemaField", "SpecModel", "TableSchema"]


class SpecModel(BaseModel):
    """Base of every published spec model: unknown fields are an error, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetId(SpecModel):
    """A dataset's identity as OpenLineage names it."""

    namespace: str = Field(description="Where the dataset lives, e.g. 'postgres://db.example:5432'.")
    name: str = Field(description="The dataset within the namespace, e.g. 'shop.public.orders'.")

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class SchemaField(SpecModel):
    """One column: its name, its Arrow type (as Arrow prints it, e.g. 'int64', 'timestamp[us, tz=UTC]')."""

    name: str
    type: str
    nullable: bool = True


class TableSchema(SpecModel):
    """The columns of a table, in order."""

    fields: tuple[SchemaField, ...]

    @classmethod
    def from_arrow(cls, schema: pa.Schema) -> TableSchema:
        return cls(fields=tuple(SchemaField(name=f.name, type=str(f.type), nullable=f.nullable) for f in schema))

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]
