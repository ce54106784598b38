"""Deliberately broken warehouses: each is the real DuckDB warehouse with ONE behaviour broken (see ``broken``)."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from broken import registry
from pydantic import ConfigDict
from stackhub import DatasetId, InvalidInput, NotFound, StackhubError, TableSchema
from stackhub.categories.warehouse import WriteMode, WriteResult
from stackhub.sql import table_sql
from stackhub_conformance.warehouse import WarehouseSuite
from stackhub_duckdb import plugin as duckdb_plugin
from stackhub_duckdb._config import DuckDBConfig
from stackhub_duckdb._warehouse import DuckDBWarehouse


class Harness(WarehouseSuite):
    """The suite with the fixtures the real DuckDB plugin needs; each broken warehouse subclasses it."""

    @pytest.fixture
    def component_config(self) -> dict[str, str]:
        return {"path": ":memory:"}

    @pytest.fixture
    def unreachable_config(self, tmp_path: Path) -> dict[str, object]:
        return {"path": str(tmp_path / "missing.duckdb"), "read_only": True}


BROKEN, broken = registry(duckdb_plugin)


def _tables(data: pa.Table | pa.RecordBatchReader) -> pa.Table:
    return data.read_all() if isinstance(data, pa.RecordBatchReader) else data


# -- the checks every component shares --------------------------------------------------------------------


@broken("test_descriptor_is_consistent", reason="'teleport'", capabilities=frozenset({"asof_join", "teleport"}))
class DeclaresUnknownCapability(DuckDBWarehouse):
    """Its descriptor declares a capability the warehouse category does not define."""


class LooseConfig(DuckDBConfig):
    """A config model that validates nothing."""

    model_config = ConfigDict(extra="allow", frozen=True)
    path: Any = ":memory:"
    read_only: Any = False
    threads: Any = None
    memory_limit: Any = None


@broken("test_invalid_config_raises_config_error", reason="validates nothing", config=f"{__name__}:LooseConfig")
class AcceptsAnyConfig(DuckDBWarehouse):
    """Its config model accepts any value for any field."""


@broken("test_health_returns_none_when_usable", reason="returned True")
class HealthReturnsStatus(DuckDBWarehouse):
    def health(self) -> None:
        super().health()
        return True  # type: ignore[return-value]


@broken("test_health_raises_unavailable_when_unreachable", reason="DID NOT RAISE")
class HealthSwallowsErrors(DuckDBWarehouse):
    def health(self) -> None:
        with contextlib.suppress(StackhubError):
            super().health()


@broken("test_close_twice_is_harmless", reason="already closed")
class CloseTwiceFails(DuckDBWarehouse):
    closed = False

    def close(self) -> None:
        if self.closed:
            raise RuntimeError("The connection is already closed.")
        self.closed = True
        super().close()


# -- query ------------------------------------------------------------------------------------------------


@broken(
    "test_query_transpiles_from_the_callers_dialect[postgres]",
    "test_query_transpiles_from_the_callers_dialect[tsql]",
    reason=r"to_char does not exist|does not parse as 'duckdb'",
)
class IgnoresDialect(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        return super().query(sql)


@broken("test_query_transpiles_from_the_callers_dialect[own]", reason="Only the engine's own dialect")
class RejectsNamedDialect(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        if dialect is not None:
            raise InvalidInput("Only the engine's own dialect is supported.")
        return super().query(sql)


@broken("test_query_returns_columns_and_rows_as_the_statement_defines", reason="got 499 rows, expected 500")
class DropsLastRow(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        result = super().query(sql, dialect=dialect)
        return result.slice(0, max(result.num_rows - 1, 0))


@broken("test_query_without_rows_keeps_its_columns", reason=r"got columns \[\]")
class EmptyResultLosesColumns(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        result = super().query(sql, dialect=dialect)
        return result if result.num_rows else pa.table({})


@broken(
    "test_query_raises_invalid_input_for_bad_sql[does_not_parse]",
    "test_query_raises_invalid_input_for_bad_sql[unknown_column]",
    reason="DID NOT RAISE.*InvalidInput|NotFound",
)
class InvalidSqlAsNotFound(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        try:
            return super().query(sql, dialect=dialect)
        except InvalidInput as exc:
            raise NotFound(exc.message) from None


@broken("test_query_raises_not_found_for_a_missing_table", reason="DID NOT RAISE")
class SwallowsMissingTable(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        try:
            return super().query(sql, dialect=dialect)
        except NotFound:
            return pa.table({})


# -- query_batches ----------------------------------------------------------------------------------------


@broken(
    "test_query_batches_hold_at_most_batch_size_rows[1-of-10]",
    "test_query_batches_hold_at_most_batch_size_rows[999-of-2500]",
    "test_query_batches_hold_at_most_batch_size_rows[default]",
    reason="exceed batch_size",
)
class IgnoresBatchSize(DuckDBWarehouse):
    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        return super().query_batches(sql, dialect=dialect, batch_size=1_000_000)


@broken("test_query_batches_together_equal_query[rows]", reason=r"differ from query\(sql\)")
class LosesLastBatch(DuckDBWarehouse):
    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        reader = super().query_batches(sql, dialect=dialect, batch_size=batch_size)
        return pa.RecordBatchReader.from_batches(reader.schema, list(reader)[:-1])


@broken("test_query_batches_together_equal_query[no_rows]", reason="schema")
class EmptyReaderWithoutSchema(DuckDBWarehouse):
    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        batches = list(super().query_batches(sql, dialect=dialect, batch_size=batch_size))
        schema = batches[0].schema if batches else pa.schema([])
        return pa.RecordBatchReader.from_batches(schema, batches)


@broken("test_query_batches_stream_before_the_whole_result_is_loaded", reason="loads the result")
class LoadsEverything(DuckDBWarehouse):
    def query_batches(self, sql: str, *, dialect: str | None = None, batch_size: int = 65_536) -> pa.RecordBatchReader:
        return self.query(sql, dialect=dialect).to_reader(max_chunksize=batch_size)


# -- write ------------------------------------------------------------------------------------------------


@broken(
    "test_write_round_trips_each_type[timestamp_utc]",
    reason=r"came back as timestamp\[us\], which does not keep every timestamp\[us, tz=UTC\]",
)
class DropsTimeZone(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        result = super().query(sql, dialect=dialect)
        naive = [
            pa.field(f.name, pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) and f.type.tz else f
            for f in result.schema
        ]
        return result.cast(pa.schema(naive))


@broken("test_write_round_trips_each_type[decimal128_18_4]", reason="double")
class DecimalsAsFloats(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        data = _tables(data)
        floats = [pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in data.schema]
        return super().write(table, data.cast(pa.schema(floats)), mode=mode)


@broken("test_write_stores_every_batch[reader]", "test_write_stores_every_batch[chunked_table]", reason="expected 2000")
class OnlyFirstBatch(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        batches = data.to_batches() if isinstance(data, pa.Table) else list(data)
        return super().write(table, pa.Table.from_batches(batches[:1], schema=data.schema), mode=mode)


@broken(
    "test_write_without_rows_creates_an_empty_table[table]",
    "test_write_without_rows_creates_an_empty_table[reader]",
    reason="did not create table",
)
class SkipsEmptyWrites(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        data = _tables(data)
        if data.num_rows == 0:
            return WriteResult(table=table, mode=mode, rows_written=0, dataset=self.dataset(table))
        return super().write(table, data, mode=mode)


@broken("test_write_returns_what_it_did", reason="rows_written=8")
class CountsTableRows(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        result = super().write(table, data, mode=mode)
        total = self.query(f"SELECT count(*) AS n FROM {table_sql(table, dialect=self.dialect)}")["n"][0].as_py()
        return result.model_copy(update={"rows_written": total})


@broken("test_create_raises_already_exists_and_keeps_the_table", reason="DID NOT RAISE")
class CreateReplaces(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        return super().write(table, data, mode="overwrite" if mode == "create" else mode)


@broken("test_append_adds_rows_to_the_existing_ones", reason="got 150 rows, expected 250")
class AppendReplaces(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode == "append":
            self.describe_table(table)  # still NotFound for a missing table
            mode = "overwrite"
        return super().write(table, data, mode=mode)


@broken("test_append_raises_not_found_for_a_missing_table", reason="DID NOT RAISE")
class AppendCreates(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode == "append" and table not in self.list_tables():
            mode = "create"
        return super().write(table, data, mode=mode)


@broken("test_append_rejects_mismatched_columns[missing_column]", reason="DID NOT RAISE")
class IgnoresSchemaMismatch(DuckDBWarehouse):
    """Appends data that lacks a column of the table, filling it with nulls."""

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode == "append":
            data = _tables(data)
            for name in self.describe_table(table).names:
                if name not in data.column_names:
                    data = data.append_column(name, pa.nulls(data.num_rows))
        return super().write(table, data, mode=mode)


@broken("test_overwrite_replaces_schema_and_rows", reason="columns .* differ from the table's")
class OverwriteKeepsSchema(DuckDBWarehouse):
    """Overwrites an existing table by deleting its rows and appending, so the old columns stay."""

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode == "overwrite" and table in self.list_tables():
            self.query(f"DELETE FROM {table_sql(table, dialect=self.dialect)}")
            mode = "append"
        return super().write(table, data, mode=mode)


@broken("test_overwrite_creates_a_missing_table", reason="NotFound: Cannot describe table")
class OverwriteNeedsTable(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if mode == "overwrite":
            self.describe_table(table)
        return super().write(table, data, mode=mode)


@broken(
    "test_write_is_atomic_when_the_data_fails[create]",
    "test_write_is_atomic_when_the_data_fails[append]",
    "test_write_is_atomic_when_the_data_fails[overwrite]",
    reason="A failed",
)
class NonAtomicWrite(DuckDBWarehouse):
    """Writes a stream batch by batch, each in its own transaction."""

    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        if isinstance(data, pa.Table):
            return super().write(table, data, mode=mode)
        rows = 0
        for batch in data:
            rows += (
                super().write(table, pa.Table.from_batches([batch]), mode=mode if rows == 0 else "append").rows_written
            )
        return WriteResult(table=table, mode=mode, rows_written=rows, dataset=self.dataset(table))


@broken(
    "test_write_rejects_an_unknown_mode[replace]",
    "test_write_rejects_an_unknown_mode[create_append]",
    reason="DID NOT RAISE",
)
class UnknownModeOverwrites(DuckDBWarehouse):
    def write(self, table: str, data: pa.Table | pa.RecordBatchReader, *, mode: WriteMode = "create") -> WriteResult:
        return super().write(table, data, mode=mode if mode in ("create", "append", "overwrite") else "overwrite")


# -- names that need quoting ------------------------------------------------------------------------------


@broken(
    "test_table_names_that_need_quoting[With Space]",
    "test_table_names_that_need_quoting[kebab-case]",
    "test_table_names_that_need_quoting[quote's]",
    reason=r"stackhub_ct_\w+ does not exist|does not parse",
)
class UnquotedDescribe(DuckDBWarehouse):
    def describe_table(self, table: str) -> TableSchema:
        return TableSchema.from_arrow(self.query(f"SELECT * FROM {table} LIMIT 0").schema)


@broken("test_table_names_that_need_quoting[MixedCase]", reason="not listed by its exact name")
class ListsLowercase(DuckDBWarehouse):
    def list_tables(self) -> list[str]:
        return sorted(name.lower() for name in super().list_tables())


@broken("test_column_names_that_need_quoting", reason="mixed case")
class LowercasesColumns(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        result = super().query(sql, dialect=dialect)
        return result.rename_columns([name.lower() for name in result.column_names])


# -- list, describe, drop ---------------------------------------------------------------------------------


@broken("test_list_tables_includes_every_written_table", reason="misses tables")
class CachedListing(DuckDBWarehouse):
    listing: list[str] | None = None

    def list_tables(self) -> list[str]:
        if self.listing is None:
            self.listing = super().list_tables()
        return self.listing


@broken("test_list_tables_is_sorted", reason="not sorted")
class UnsortedListing(DuckDBWarehouse):
    def list_tables(self) -> list[str]:
        return list(reversed(super().list_tables()))


@broken("test_describe_table_matches_query", reason=r"describe_table\(\) lists \[.bool., .date32.")
class DescribeSortsColumns(DuckDBWarehouse):
    def describe_table(self, table: str) -> TableSchema:
        return TableSchema(fields=tuple(sorted(super().describe_table(table).fields, key=lambda f: f.name)))


@broken("test_describe_table_raises_not_found", reason="DID NOT RAISE")
class DescribeMissingIsEmpty(DuckDBWarehouse):
    def describe_table(self, table: str) -> TableSchema:
        try:
            return super().describe_table(table)
        except NotFound:
            return TableSchema(fields=())


@broken("test_drop_table_removes_it_then_raises_not_found", reason="DID NOT RAISE")
class DropAlwaysIfExists(DuckDBWarehouse):
    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        super().drop_table(table, missing_ok=True)


@broken("test_drop_table_with_missing_ok_ignores_a_missing_table", reason="NotFound: Cannot drop table")
class DropIgnoresMissingOk(DuckDBWarehouse):
    def drop_table(self, table: str, *, missing_ok: bool = False) -> None:
        super().drop_table(table)


# -- dataset ----------------------------------------------------------------------------------------------


@broken("test_dataset_is_the_same_on_every_call", reason="changed between calls")
class RandomDataset(DuckDBWarehouse):
    def dataset(self, table: str) -> DatasetId:
        found = super().dataset(table)
        return DatasetId(namespace=found.namespace, name=f"{found.name}.{uuid.uuid4().hex}")


@broken("test_dataset_differs_between_tables", reason="share the dataset")
class DatasetIgnoresTable(DuckDBWarehouse):
    def dataset(self, table: str) -> DatasetId:
        found = super().dataset(table)
        return DatasetId(namespace=found.namespace, name=found.name.rpartition(".")[0])


# -- capabilities -----------------------------------------------------------------------------------------


@broken("test_asof_join_runs_natively", reason="The ASOF JOIN")
class AsofAsPlainJoin(DuckDBWarehouse):
    def query(self, sql: str, *, dialect: str | None = None) -> pa.Table:
        return super().query(sql.replace("ASOF JOIN", "JOIN"), dialect=dialect)


@broken("test_schema_qualified_tables", reason="not listed with its schema")
class ListsWithoutSchema(DuckDBWarehouse):
    def list_tables(self) -> list[str]:
        return sorted(name.rpartition(".")[2] for name in super().list_tables())


@broken("test_schema_qualified_tables_are_distinct_from_unqualified_ones", reason="share the dataset")
class DatasetIgnoresSchema(DuckDBWarehouse):
    def dataset(self, table: str) -> DatasetId:
        return super().dataset(table.rpartition(".")[2])


# -- not broken -------------------------------------------------------------------------------------------


class NeedsWarehouse(DuckDBWarehouse):
    """A correct warehouse that requires another one (config field ``warehouse``) and is usable only when that
    one is: for the suite's ``component_dependencies`` and ``unreachable_dependencies`` fixtures."""

    def health(self) -> None:
        self.dependencies["warehouse"].health()
        super().health()
