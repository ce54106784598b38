import pytest
from stackhub import InvalidInput, transpile
from stackhub.sql import column_sql, from_source, table_sql


def test_transpiles_between_dialects():
    assert transpile("SELECT CAST(x AS TEXT) FROM t LIMIT 5", read="postgres", write="spark") == (
        "SELECT CAST(x AS STRING) FROM t LIMIT 5"
    )


def test_same_dialect_keeps_the_text():
    sql = "SELECT  1 -- kept as written"
    assert transpile(sql, read=None, write="duckdb") == sql


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT (1", "SQL does not parse as 'duckdb'"),
        ("SELECT 1; SELECT 2", "Expected exactly one SQL statement, got 2."),
        ("", "Expected exactly one SQL statement, got 0."),
    ],
)
def test_bad_sql_is_invalid_input(sql, message):
    with pytest.raises(InvalidInput, match=message):
        transpile(sql, read="duckdb", write="postgres")


def test_unknown_dialect():
    with pytest.raises(InvalidInput, match="Unknown SQL dialect 'nosuch'"):
        transpile("SELECT 1", read="nosuch", write="duckdb")


@pytest.mark.parametrize(
    ("name", "dialect", "expected"),
    [
        ("My Table", "duckdb", '"My Table"'),
        ("analytics.select", "postgres", '"analytics"."select"'),
        ("c.s.t", "spark", "`c`.`s`.`t`"),
    ],
)
def test_table_names_are_quoted_per_dialect(name, dialect, expected):
    assert table_sql(name, dialect=dialect) == expected


@pytest.mark.parametrize("name", ["", "a..b", "a.b.c.d", ".a"])
def test_bad_table_names(name):
    with pytest.raises(InvalidInput, match="is not 'table', 'schema.table' or 'catalog.schema.table'"):
        table_sql(name, dialect="duckdb")


def test_column_quoting_escapes_quotes():
    assert column_sql('we"ird', dialect="duckdb") == '"we""ird"'


@pytest.mark.parametrize(
    ("table", "dialect", "expected"),
    [
        ("events", "duckdb", 'SELECT * FROM "events"'),
        ("Sales.Order Lines", "spark", "SELECT * FROM `Sales`.`Order Lines`"),
        ("select a from t where a > 1", "duckdb", "SELECT * FROM (SELECT a FROM t WHERE a > 1) AS src"),
        (
            "WITH w AS (SELECT 1 AS a) SELECT a FROM w",
            "postgres",
            "SELECT * FROM (WITH w AS (SELECT 1 AS a) SELECT a FROM w) AS src",
        ),
    ],
)
def test_a_table_ref_reads_a_name_or_a_query(table, dialect, expected):
    from sqlglot import exp

    assert exp.select(exp.Star()).from_(from_source(table, dialect=dialect)).sql(dialect=dialect) == expected
