"""The warehouse suite: every MUST of ``stackhub.categories.warehouse.Warehouse``, proven on real data.

The suite writes its SQL in the Postgres dialect, with every identifier quoted, and transpiles it to the
engine's dialect itself; the plugin sees SQL in its own dialect except where a check is about transpiling.
Tables get unique names (``stackhub_ct_<label>_<random>``) and are dropped after each check.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from stackhub import AlreadyExists, InvalidInput, NotFound, StackhubError, TableSchema
from stackhub.categories.warehouse import CAPABILITIES, Warehouse, WriteMode, WriteResult
from stackhub.sql import column_sql, table_sql, transpile

from ._data import (
    TYPE_CASES,
    DataSourceFailed,
    accepts_type,
    all_types_table,
    failing_reader,
    numbered_table,
    typed_table,
)
from ._framework import Cleanup, ConformanceSuite, must, requires, unique_name
from ._rules import RULES

__all__ = ["Tables", "WarehouseSuite", "assert_table"]

# The spec's sentences, verbatim from the docstrings of ``Warehouse``.
TRANSPILE = "MUST transpile ``sql`` from ``dialect`` (default: the engine's own) to the engine's dialect."
COLUMNS_AND_ORDER = "MUST return column names and row order exactly as the statement defines them."
QUERY_INVALID = "MUST raise ``InvalidInput`` for SQL that does not parse or refers to unknown columns."
QUERY_NOT_FOUND = "MUST raise ``NotFound`` when the statement refers to a table that does not exist."
BATCHES = "MUST return a reader whose batches hold at most ``batch_size`` rows and together equal ``query(sql)``."
STREAMING = "MUST NOT load the whole result in memory before the first batch is returned."
CREATE_EXISTS = "``create`` MUST raise ``AlreadyExists`` when the table exists."
APPEND = (
    "``append`` MUST raise ``NotFound`` when the table does not exist, and ``InvalidInput`` when the data's columns "
    "do not match the table's."
)
OVERWRITE = "``overwrite`` MUST replace the table's schema and rows, creating the table when it does not exist."
ATOMIC = "A write MUST be atomic: when it fails, the table MUST be left exactly as it was (or absent)."
BAD_MODE = "MUST raise ``InvalidInput`` for a mode outside create, append and overwrite."
LISTED = "MUST include every table written through it."
SORTED = "Name every table the component can read, sorted."
DESCRIBE = "MUST return the columns in table order with the types a ``query`` of the table returns."
DESCRIBE_NOT_FOUND = "MUST raise ``NotFound`` when the table does not exist."
DROP = "MUST raise ``NotFound`` when the table does not exist, unless ``missing_ok`` is true."
DATASET = "MUST return the same identity for the same table on every call, and distinct ones for distinct tables."

#: What a failed write may raise: a stackhub error, or the caller's own data source error passed through.
WRITE_FAILURES = (StackhubError, DataSourceFailed, pa.ArrowException)
#: The dialect the suite writes its own SQL in.
SUITE_DIALECT = "postgres"


def q(name: str) -> str:
    """A table name (optionally schema-qualified) quoted in the suite's dialect."""
    return table_sql(name, dialect=SUITE_DIALECT)


def c(name: str) -> str:
    """A column name quoted in the suite's dialect."""
    return column_sql(name, dialect=SUITE_DIALECT)


def sql(warehouse: Warehouse, text: str) -> str:
    """The suite's SQL in the engine's own dialect."""
    return transpile(text, read=SUITE_DIALECT, write=warehouse.dialect)


def select_all(warehouse: Warehouse, table: str, *, order_by: str = "id") -> str:
    return sql(warehouse, f"SELECT * FROM {q(table)} ORDER BY {c(order_by)}")


def _first_difference(got: pa.ChunkedArray, want: pa.ChunkedArray) -> int:
    same = pc.or_(pc.and_(pc.is_null(got), pc.is_null(want)), pc.fill_null(pc.equal(got, want), False))
    return int(pc.index(same, False).as_py())


def assert_table(got: pa.Table, want: pa.Table, what: str) -> None:
    """``got`` has ``want``'s column names, types (or lossless widenings of them) and values, row by row."""
    assert got.column_names == want.column_names, (
        f"{what}: got columns {got.column_names}, expected {want.column_names}."
    )
    for field in want.schema:
        read = got.schema.field(field.name).type
        assert accepts_type(field.type, read), (
            f"{what}: column {field.name!r} came back as {read}, which does not keep every {field.type} value "
            "(a lossless widening would be accepted)."
        )
    assert got.num_rows == want.num_rows, f"{what}: got {got.num_rows} rows, expected {want.num_rows}."
    for field in want.schema:
        try:
            column = got.column(field.name).cast(field.type)
        except pa.ArrowInvalid as exc:  # a value the written type cannot hold, so not a value that was written
            pytest.fail(f"{what}: column {field.name!r} holds values no {field.type} holds: {exc}.")
        expected = want.column(field.name)
        if not column.equals(expected):
            row = _first_difference(column, expected)
            pytest.fail(
                f"{what}: column {field.name!r} differs first at row {row}: got {column[row].as_py()!r}, "
                f"expected {expected[row].as_py()!r}."
            )


def _snapshot(warehouse: Warehouse, table: str) -> tuple[TableSchema, pa.Table]:
    return warehouse.describe_table(table), warehouse.query(select_all(warehouse, table))


def _assert_unchanged(warehouse: Warehouse, table: str, before: tuple[TableSchema, pa.Table], what: str) -> None:
    schema, rows = _snapshot(warehouse, table)
    assert schema == before[0], f"{what} changed the table's columns from {before[0].names} to {schema.names}."
    assert rows.equals(before[1]), (
        f"{what} changed the table's rows ({before[1].num_rows} before, {rows.num_rows} after)."
    )


def _reader(table: pa.Table, *, batch_rows: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=batch_rows))


class Tables:
    """Unique table names for one check; every table is dropped after it, whether it was written or not."""

    def __init__(self, warehouse: Warehouse, cleanup: Cleanup) -> None:
        self._warehouse = warehouse
        self._cleanup = cleanup

    def new(self, label: str) -> str:
        return self.add(unique_name(label))

    def add(self, name: str) -> str:
        self._cleanup.add(lambda: self._warehouse.drop_table(name, missing_ok=True))
        return name


def _dialect_probe(source: str, engine: str, table: str) -> tuple[str, str, pa.Table]:
    """A statement in a foreign dialect that only runs correctly when transpiled: (dialect, SQL, result).

    T-SQL's ``TOP`` and ``[brackets]`` and Postgres's ``TO_CHAR`` are unknown to most engines; an engine that
    speaks the probe's dialect gets the MySQL probe instead, so the statement is always foreign to it.
    """
    ids = pa.array([4, 3], pa.int64())
    if source == engine:
        source = "mysql"
    if source == "tsql":
        days = pa.array([date(2024, 1, 5), date(2024, 1, 4)], pa.date32())
        return (
            "tsql",
            f"SELECT TOP 2 [id], [day] FROM {table_sql(table, dialect='tsql')} ORDER BY [id] DESC",
            (pa.table({"id": ids, "day": days})),
        )
    expected = pa.table({"id": ids, "day_text": ["2024/01/05", "2024/01/04"]})
    if source == "postgres":
        text = f'SELECT "id", TO_CHAR("day", \'YYYY/MM/DD\') AS "day_text" FROM {q(table)} ORDER BY "id" DESC LIMIT 2'
        return "postgres", text, expected
    mysql_table = table_sql(table, dialect="mysql")
    text = f"SELECT `id`, DATE_FORMAT(`day`, '%Y/%m/%d') AS `day_text` FROM {mysql_table} ORDER BY `id` DESC LIMIT 2"
    return "mysql", text, expected


class WarehouseSuite(ConformanceSuite):
    """Subclass it, set ``plugin`` and define a ``component_config`` fixture (see ``ConformanceSuite``)."""

    category: ClassVar[str | None] = "warehouse"

    @pytest.fixture
    def tables(self, component: Warehouse, cleanup: Cleanup) -> Tables:
        return Tables(component, cleanup)

    # -- query ------------------------------------------------------------------------------------------

    @must("query", TRANSPILE)
    @pytest.mark.parametrize("source", ["own", "postgres", "tsql"])
    def test_query_transpiles_from_the_callers_dialect(self, component: Warehouse, tables: Tables, source: str) -> None:
        name = tables.new("dialect")
        days = pa.array([date(2024, 1, d) for d in range(1, 6)], pa.date32())
        component.write(name, pa.table({"id": pa.arange(0, 5), "day": days}))
        if source == "own":
            dialect = component.dialect
            text = sql(component, f'SELECT "id", "day" FROM {q(name)} ORDER BY "id" DESC LIMIT 2')
            expected = pa.table({"id": pa.array([4, 3], pa.int64()), "day": days.take([4, 3])})
        else:
            dialect, text, expected = _dialect_probe(source, component.dialect, name)
        assert_table(component.query(text, dialect=dialect), expected, f"A {dialect} statement")

    @must("query", COLUMNS_AND_ORDER)
    def test_query_returns_columns_and_rows_as_the_statement_defines(
        self, component: Warehouse, tables: Tables
    ) -> None:
        name = tables.new("order")
        data = numbered_table(500)
        component.write(name, data)
        got = component.query(
            sql(
                component,
                f'SELECT "label" AS "Renamed Label", "id", "score" * 2 AS "doubled" FROM {q(name)} ORDER BY "score" DESC',
            )
        )
        ordered = data.sort_by([("score", "descending")])
        expected = pa.table(
            {
                "Renamed Label": ordered.column("label"),
                "id": ordered.column("id"),
                "doubled": pc.multiply(ordered.column("score"), 2.0),
            }
        )
        assert_table(got, expected, "SELECT with aliases and ORDER BY")

    @must("query", COLUMNS_AND_ORDER)
    def test_query_without_rows_keeps_its_columns(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("empty_result")
        data = numbered_table(10)
        component.write(name, data)
        got = component.query(sql(component, f'SELECT "label", "id" FROM {q(name)} WHERE "id" < 0'))
        assert_table(got, data.select(["label", "id"]).slice(0, 0), "A SELECT that matches no row")

    @must("query", QUERY_INVALID)
    @pytest.mark.parametrize("problem", ["does_not_parse", "unknown_column"])
    def test_query_raises_invalid_input_for_bad_sql(self, component: Warehouse, tables: Tables, problem: str) -> None:
        name = tables.new("bad_sql")
        component.write(name, numbered_table(3))
        statement = {
            "does_not_parse": f'SELECT * FROM {q(name)} WHERE ("id" = 1',
            "unknown_column": f'SELECT "no_such_column" FROM {q(name)}',
        }[problem]
        with pytest.raises(InvalidInput):
            component.query(statement, dialect=SUITE_DIALECT)

    @must("query", QUERY_NOT_FOUND)
    def test_query_raises_not_found_for_a_missing_table(self, component: Warehouse, tables: Tables) -> None:
        with pytest.raises(NotFound):
            component.query(select_all(component, tables.new("missing")))

    # -- query_batches ----------------------------------------------------------------------------------

    @must("query_batches", BATCHES)
    @pytest.mark.parametrize(
        ("rows", "batch_size"), [(10, 1), (2_500, 999), (70_000, None)], ids=["1-of-10", "999-of-2500", "default"]
    )
    def test_query_batches_hold_at_most_batch_size_rows(
        self, component: Warehouse, tables: Tables, rows: int, batch_size: int | None
    ) -> None:
        name = tables.new("batches")
        component.write(name, numbered_table(rows))
        options: dict[str, Any] = {} if batch_size is None else {"batch_size": batch_size}
        limit = batch_size or 65_536
        sizes = [batch.num_rows for batch in component.query_batches(select_all(component, name), **options)]
        assert sum(sizes) == rows, f"The batches hold {sum(sizes)} rows in all, expected {rows}."
        too_big = [size for size in sizes if size > limit]
        assert not too_big, f"Batches of {too_big[:5]} rows exceed batch_size={limit}."

    @must("query_batches", BATCHES)
    @pytest.mark.parametrize("rows", [3_000, 0], ids=["rows", "no_rows"])
    def test_query_batches_together_equal_query(self, component: Warehouse, tables: Tables, rows: int) -> None:
        name = tables.new("batches_equal")
        component.write(name, numbered_table(rows))
        statement = select_all(component, name)
        reader = component.query_batches(statement, batch_size=1_000)
        streamed = pa.Table.from_batches(list(reader), schema=reader.schema)
        whole = component.query(statement)
        assert streamed.schema == whole.schema, (
            f"The reader's schema {streamed.schema} differs from query's {whole.schema}."
        )
        assert streamed.equals(whole), "The batches together differ from query(sql)."

    @must("query_batches", STREAMING)
    def test_query_batches_stream_before_the_whole_result_is_loaded(self, component: Warehouse, tables: Tables) -> None:
        # A cross join makes a result (16M rows) far larger than its input; a reader that streams returns its
        # first batch long before the last, one that loads everything first spends nearly all the time up front.
        # The ratio, not a wall-clock limit, keeps the check fair to slow engines and busy machines.
        name = tables.new("stream")
        side = 4_000
        component.write(name, pa.table({"id": pa.arange(0, side)}))
        statement = sql(
            component, f'SELECT "a"."id" AS "x", "b"."id" AS "y" FROM {q(name)} AS "a" CROSS JOIN {q(name)} AS "b"'
        )
        ratios = []
        for _ in range(3):
            start = time.perf_counter()
            reader = component.query_batches(statement, batch_size=65_536)
            first = reader.read_next_batch()
            first_at = time.perf_counter() - start
            rows = first.num_rows + sum(batch.num_rows for batch in reader)
            total = time.perf_counter() - start
            assert rows == side * side, f"The reader returned {rows} rows, expected {side * side}."
            ratios.append(first_at / total)
            if first_at < total / 2:
                return
        pytest.fail(
            f"The first batch arrived only after {min(ratios):.0%} of the time the whole result took (best of 3): "
            "the reader loads the result before returning it."
        )

    # -- write ------------------------------------------------------------------------------------------

    @must("write", RULES["write_round_trip"])
    @pytest.mark.parametrize("case", sorted(TYPE_CASES))
    def test_write_round_trips_each_type(self, component: Warehouse, tables: Tables, case: str) -> None:
        name = tables.new(case)
        data = typed_table(case)
        component.write(name, data)
        assert_table(component.query(select_all(component, name)), data, f"A {TYPE_CASES[case].type} column")

    @must("write", RULES["write_round_trip"])
    @pytest.mark.parametrize("form", ["reader", "chunked_table"])
    def test_write_stores_every_batch(self, component: Warehouse, tables: Tables, form: str) -> None:
        name = tables.new(form)
        data = all_types_table(rows=2_000)
        batches = data.to_batches(max_chunksize=300)
        source = (
            pa.RecordBatchReader.from_batches(data.schema, batches)
            if form == "reader"
            else pa.Table.from_batches(batches)
        )
        component.write(name, source)
        assert_table(component.query(select_all(component, name)), data, f"Data written as a {form} of 7 batches")

    @must("write", RULES["write_round_trip"])
    @pytest.mark.parametrize("form", ["table", "reader"])
    def test_write_without_rows_creates_an_empty_table(self, component: Warehouse, tables: Tables, form: str) -> None:
        name = tables.new(f"empty_{form}")
        data = all_types_table().slice(0, 0)
        component.write(name, data if form == "table" else _reader(data, batch_rows=10))
        assert name in component.list_tables(), f"Writing no rows did not create table {name!r}."
        assert_table(component.query(select_all(component, name)), data, "A table written without rows")

    @must("write", RULES["write_result"])
    def test_write_returns_what_it_did(self, component: Warehouse, tables: Tables) -> None:
        name, streamed = tables.new("result"), tables.new("result_reader")
        data = numbered_table(10)
        writes: list[tuple[str, pa.Table | pa.RecordBatchReader, WriteMode, int]] = [
            (name, data.slice(0, 5), "create", 5),
            (name, data.slice(5, 3), "append", 3),
            (name, data.slice(8, 2), "overwrite", 2),
            (streamed, _reader(data, batch_rows=4), "create", 10),
        ]
        for table, source, mode, rows in writes:
            result = component.write(table, source, mode=mode)
            expected = WriteResult(table=table, mode=mode, rows_written=rows, dataset=component.dataset(table))
            assert result == expected, (
                f"write(mode={mode!r}) of {rows} rows returned {result!r}, expected {expected!r}."
            )

    @must("write", CREATE_EXISTS)
    def test_create_raises_already_exists_and_keeps_the_table(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("exists")
        component.write(name, numbered_table(10))
        before = _snapshot(component, name)
        with pytest.raises(AlreadyExists):
            component.write(name, numbered_table(3, seed=1), mode="create")
        _assert_unchanged(component, name, before, "A create on an existing table")

    @must("write", RULES["append"])
    def test_append_adds_rows_to_the_existing_ones(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("append")
        data = numbered_table(250)
        component.write(name, data.slice(0, 100))
        component.write(name, data.slice(100), mode="append")
        assert_table(component.query(select_all(component, name)), data, "100 rows, then 150 appended")

    @must("write", APPEND)
    def test_append_raises_not_found_for_a_missing_table(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("append_missing")
        with pytest.raises(NotFound):
            component.write(name, numbered_table(3), mode="append")
        assert name not in component.list_tables(), f"A failed append created table {name!r}."

    @must("write", APPEND)
    @must("write", ATOMIC)
    @pytest.mark.parametrize("mismatch", ["missing_column", "extra_column", "renamed_column", "incompatible_type"])
    def test_append_rejects_mismatched_columns(self, component: Warehouse, tables: Tables, mismatch: str) -> None:
        name = tables.new("append_mismatch")
        component.write(name, numbered_table(20))
        before = _snapshot(component, name)
        rows = numbered_table(5).set_column(0, "id", pa.arange(100, 105))
        data = {
            "missing_column": rows.drop_columns(["label"]),
            "extra_column": rows.append_column("extra", pa.arange(0, 5)),
            "renamed_column": rows.rename_columns(["id", "score", "title"]),
            "incompatible_type": rows.set_column(1, "score", pa.repeat("not a number", 5)),
        }[mismatch]
        with pytest.raises(InvalidInput):
            component.write(name, data, mode="append")
        _assert_unchanged(component, name, before, f"An append with a {mismatch.replace('_', ' ')}")

    @must("write", OVERWRITE)
    def test_overwrite_replaces_schema_and_rows(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("overwrite")
        component.write(name, numbered_table(50))
        data = typed_table("string", rows=12).rename_columns(["key", "text"])
        component.write(name, data, mode="overwrite")
        assert component.describe_table(name).names == ["key", "text"], "overwrite kept the old columns."
        assert_table(component.query(select_all(component, name, order_by="key")), data, "The overwritten table")

    @must("write", OVERWRITE)
    def test_overwrite_creates_a_missing_table(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("overwrite_missing")
        data = numbered_table(5)
        component.write(name, data, mode="overwrite")
        assert_table(component.query(select_all(component, name)), data, "A table created by overwrite")

    @must("write", ATOMIC)
    @pytest.mark.parametrize("mode", ["create", "append", "overwrite"])
    def test_write_is_atomic_when_the_data_fails(self, component: Warehouse, tables: Tables, mode: WriteMode) -> None:
        name = tables.new(f"atomic_{mode}")
        data = numbered_table(2_000)
        if mode != "create":
            component.write(name, data.slice(0, 100))
            before = _snapshot(component, name)
        source = {
            "create": data,
            "append": data.slice(100),
            # A new schema too: a half-done overwrite may have swapped the columns before the data failed.
            "overwrite": data.rename_columns(["id", "score_2", "label_2"]),
        }[mode]
        with pytest.raises(WRITE_FAILURES):
            component.write(name, failing_reader(source, batch_rows=1_000), mode=mode)
        if mode == "create":
            assert name not in component.list_tables(), f"A failed create left table {name!r} behind."
        else:
            _assert_unchanged(component, name, before, f"A failed {mode}")

    @must("write", BAD_MODE)
    @pytest.mark.parametrize("mode", ["replace", "create_append"])
    def test_write_rejects_an_unknown_mode(self, component: Warehouse, tables: Tables, mode: str) -> None:
        name, missing = tables.new("mode"), tables.new("mode_missing")
        component.write(name, numbered_table(5))
        before = _snapshot(component, name)
        for table in (name, missing):
            with pytest.raises(InvalidInput):
                component.write(table, numbered_table(3), mode=mode)  # type: ignore[arg-type]  # deliberately not a WriteMode
        _assert_unchanged(component, name, before, f"A write with mode {mode!r}")
        assert missing not in component.list_tables(), f"A write with mode {mode!r} created table {missing!r}."

    # -- names that need quoting ------------------------------------------------------------------------

    @must("list_tables", LISTED)
    @must("describe_table", DESCRIBE)
    @pytest.mark.parametrize("label", ["With Space", "MixedCase", "kebab-case", "quote's"])
    def test_table_names_that_need_quoting(self, component: Warehouse, tables: Tables, label: str) -> None:
        name = tables.new(label)
        data = numbered_table(30)
        component.write(name, data.slice(0, 20))
        component.write(name, data.slice(20), mode="append")
        assert name in component.list_tables(), f"Table {name!r} is not listed by its exact name."
        assert component.describe_table(name).names == data.column_names
        assert_table(component.query(select_all(component, name)), data, f"Table {name!r}")
        component.drop_table(name)
        assert name not in component.list_tables(), f"Table {name!r} is still listed after drop_table."

    @must("query", COLUMNS_AND_ORDER)
    @must("describe_table", DESCRIBE)
    def test_column_names_that_need_quoting(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("columns")
        ids = pa.arange(0, 6)
        data = pa.table(
            {
                "id": ids,
                "select": pc.binary_join_element_wise("s", pc.cast(ids, pa.string()), ""),
                "Mixed Case": pc.multiply(ids, 10),
                "with space": pc.greater(ids, 2),
                "dotted.name": pc.cast(ids, pa.float64()),
                "ünïcode": pc.binary_join_element_wise("ü", pc.cast(ids, pa.string()), ""),
            }
        )
        component.write(name, data.slice(0, 4))
        component.write(name, data.slice(4), mode="append")
        assert component.describe_table(name).names == data.column_names
        assert_table(component.query(select_all(component, name)), data, "Columns named with reserved words and spaces")
        picked = sql(component, f'SELECT "select", "Mixed Case", "dotted.name" FROM {q(name)} ORDER BY "id"')
        assert_table(component.query(picked), data.select(["select", "Mixed Case", "dotted.name"]), "A SELECT of them")

    # -- list, describe, drop ---------------------------------------------------------------------------

    @must("list_tables", LISTED)
    def test_list_tables_includes_every_written_table(self, component: Warehouse, tables: Tables) -> None:
        component.list_tables()  # a component that caches the listing must still see the tables written next
        written = {tables.new("listed_by_create"), tables.new("listed_by_overwrite"), tables.new("listed_by_reader")}
        for name in sorted(written):
            mode: WriteMode = "overwrite" if "overwrite" in name else "create"
            data = numbered_table(3)
            component.write(name, _reader(data, batch_rows=2) if "reader" in name else data, mode=mode)
        missing = sorted(written - set(component.list_tables()))
        assert not missing, f"list_tables() misses tables written through the component: {missing}."

    @must("list_tables", SORTED)
    def test_list_tables_is_sorted(self, component: Warehouse, tables: Tables) -> None:
        for label in ("sorted_b", "sorted_C", "sorted_a"):
            component.write(tables.new(label), numbered_table(2))
        listed = component.list_tables()
        assert listed == sorted(listed), f"list_tables() is not sorted: {listed}."

    @must("describe_table", DESCRIBE)
    def test_describe_table_matches_query(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("describe")
        data = all_types_table()
        data = data.select(list(reversed(data.column_names)))  # table order, not alphabetical order
        component.write(name, data)
        schema = component.describe_table(name)
        assert isinstance(schema, TableSchema), f"describe_table() returned a {type(schema).__name__}."
        queried = component.query(sql(component, f"SELECT * FROM {q(name)}")).schema
        assert schema.names == data.column_names, (
            f"describe_table() lists {schema.names}, the table has {data.column_names}."
        )
        described = {f.name: f.type for f in schema.fields}
        differing = {f.name: (described[f.name], str(f.type)) for f in queried if described[f.name] != str(f.type)}
        assert not differing, f"describe_table() types differ from query's (described, queried): {differing}."

    @must("describe_table", DESCRIBE_NOT_FOUND)
    def test_describe_table_raises_not_found(self, component: Warehouse, tables: Tables) -> None:
        with pytest.raises(NotFound):
            component.describe_table(tables.new("missing"))

    @must("drop_table", DROP)
    def test_drop_table_removes_it_then_raises_not_found(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("drop")
        component.write(name, numbered_table(3))
        component.drop_table(name)
        assert name not in component.list_tables(), f"Table {name!r} is still listed after drop_table."
        with pytest.raises(NotFound):
            component.query(select_all(component, name))
        with pytest.raises(NotFound):
            component.drop_table(name)

    @must("drop_table", DROP)
    def test_drop_table_with_missing_ok_ignores_a_missing_table(self, component: Warehouse, tables: Tables) -> None:
        name = tables.new("drop_missing")
        component.drop_table(name, missing_ok=True)
        component.write(name, numbered_table(3))
        component.drop_table(name, missing_ok=True)
        assert name not in component.list_tables(), "drop_table(missing_ok=True) did not drop an existing table."

    # -- dataset ----------------------------------------------------------------------------------------

    @must("dataset", DATASET)
    def test_dataset_is_the_same_on_every_call(
        self, component: Warehouse, tables: Tables, make_component: Any, component_config: Any
    ) -> None:
        name = tables.new("dataset")
        component.write(name, numbered_table(3))
        first = component.dataset(name)
        again = [component.dataset(name), make_component(component_config).dataset(name)]
        assert all(d == first for d in again), f"dataset({name!r}) changed between calls: {[first, *again]}."

    @must("dataset", DATASET)
    def test_dataset_differs_between_tables(self, component: Warehouse, tables: Tables) -> None:
        names = [tables.new("dataset_a"), tables.new("dataset_b")]
        for name in names:
            component.write(name, numbered_table(3))
        first, second = (component.dataset(name) for name in names)
        assert first != second, f"Tables {names} share the dataset {first}."

    # -- capabilities -----------------------------------------------------------------------------------

    @requires("asof_join")
    @must("capability asof_join", CAPABILITIES["asof_join"])
    def test_asof_join_runs_natively(self, component: Warehouse, tables: Tables) -> None:
        trades, quotes = tables.new("trades"), tables.new("quotes")
        at = [datetime(2024, 1, 1, 9, minute) for minute in (0, 5, 7, 9, 1, 59)]
        component.write(
            trades, pa.table({"id": pa.arange(0, 6), "sym": list("AABBBA"), "ts": pa.array(at, pa.timestamp("us"))})
        )
        quoted_at = [datetime(2024, 1, 1, 9, minute) for minute in (1, 5, 10, 2, 8)]
        component.write(
            quotes,
            pa.table(
                {
                    "sym": list("AAABB"),
                    "ts": pa.array(quoted_at, pa.timestamp("us")),
                    "price": [1.0, 5.0, 10.0, 2.0, 8.0],
                }
            ),
        )
        # Written in DuckDB's dialect, the one core generates ASOF joins in; the plugin transpiles it.
        statement = (
            f'SELECT "t"."id", "q"."price" FROM {q(trades)} AS "t" ASOF JOIN {q(quotes)} AS "q" '
            'ON "t"."sym" = "q"."sym" AND "t"."ts" >= "q"."ts" ORDER BY "t"."id"'
        )
        expected = pa.table({"id": pa.array([1, 2, 3, 5], pa.int64()), "price": [5.0, 2.0, 8.0, 10.0]})
        assert_table(component.query(statement, dialect="duckdb"), expected, "The ASOF JOIN")

    def _schema(self, component: Warehouse, cleanup: Cleanup) -> str:
        schema = unique_name("schema")
        component.query(sql(component, f"CREATE SCHEMA {c(schema)}"))
        cleanup.add(lambda: component.query(sql(component, f"DROP SCHEMA IF EXISTS {c(schema)} CASCADE")))
        return schema

    @requires("schemas")
    @must("capability schemas", CAPABILITIES["schemas"])
    def test_schema_qualified_tables(self, component: Warehouse, cleanup: Cleanup, tables: Tables) -> None:
        name = tables.add(f"{self._schema(component, cleanup)}.orders")
        data = numbered_table(20)
        component.write(name, data.slice(0, 10))
        component.write(name, data.slice(10), mode="append")
        assert name in component.list_tables(), f"Table {name!r} is not listed with its schema."
        assert component.describe_table(name).names == data.column_names
        assert_table(component.query(select_all(component, name)), data, f"Table {name!r}")
        component.drop_table(name)
        assert name not in component.list_tables(), f"Table {name!r} is still listed after drop_table."

    @requires("schemas")
    @must("capability schemas", CAPABILITIES["schemas"])
    def test_schema_qualified_tables_are_distinct_from_unqualified_ones(
        self, component: Warehouse, cleanup: Cleanup, tables: Tables
    ) -> None:
        plain = tables.new("orders")
        qualified = tables.add(f"{self._schema(component, cleanup)}.{plain}")
        data = numbered_table(20)
        component.write(plain, data.slice(0, 5))
        component.write(qualified, data.slice(5))
        assert_table(component.query(select_all(component, plain)), data.slice(0, 5), f"Table {plain!r}")
        assert_table(component.query(select_all(component, qualified)), data.slice(5), f"Table {qualified!r}")
        assert component.dataset(plain) != component.dataset(qualified), (
            f"Tables {plain!r} and {qualified!r} share the dataset {component.dataset(plain)}."
        )
