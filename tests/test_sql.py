"""SQL helpers: identifier quoting, composing SQL from quoted parts, named steps."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from workbench.errors import SqlStepError, ValidationError, WorkbenchError
from workbench.sql import (
    Sql,
    SqlSteps,
    compose,
    int_literal,
    placeholders,
    qualified,
    quote_ident,
    run_step,
    shorten_sql,
)

ODD_NAMES = [
    "plain",
    "Mixed Case",
    'with "quotes"',
    "semi; DROP TABLE t; --",
    "ünïcödé £",
    "select",
    "a.b",
    "'single'",
    "{braces}",
]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("name", ODD_NAMES)
def test_quoted_names_round_trip_as_columns_and_tables(con, name: str) -> None:
    con.execute(compose("CREATE SCHEMA {s}", s=name))
    con.execute(compose("CREATE TABLE {t} ({c} INTEGER)", t=qualified(name, name), c=name))
    con.execute(compose("INSERT INTO {t} VALUES (7)", t=qualified(name, name)))
    cursor = con.execute(compose("SELECT {c} FROM {t}", c=name, t=qualified(name, name)))
    assert [d[0] for d in cursor.description] == [name]
    assert cursor.fetchall() == [(7,)]
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
    assert (name, name) in tables


def test_quote_ident_refuses_empty_and_nul() -> None:
    for bad in ("", "a\x00b"):
        with pytest.raises(ValidationError):
            quote_ident(bad)
    assert quote_ident('a"b') == '"a""b"'
    assert isinstance(quote_ident("a"), Sql)


def test_compose_quotes_plain_text_and_keeps_sql_parts() -> None:
    sql = compose(
        "SELECT {cols} FROM {t} WHERE x IN ({marks}) AND y = {'k': 1}['k']",
        cols=["a", 'b"c'],
        t=qualified("data", "police"),
        marks=placeholders(3),
    )
    assert sql == (
        'SELECT "a", "b""c" FROM "data"."police" WHERE x IN (?, ?, ?) AND y = {\'k\': 1}[\'k\']'
    )
    con = duckdb.connect()
    con.execute('CREATE SCHEMA data; CREATE TABLE data.police (a INT, "b""c" INT, x INT, y INT)')
    con.execute(sql, [1, 2, 3])
    con.close()
    nested = compose("SELECT count(*) FROM ({inner})", inner=sql)
    assert nested.endswith(f"({sql})")
    assert compose("SELECT * FROM {t}", t="x; DROP TABLE y") == 'SELECT * FROM "x; DROP TABLE y"'


def test_compose_refuses_missing_parts_and_non_identifiers() -> None:
    with pytest.raises(ValidationError, match="lacks parts for t"):
        compose("SELECT * FROM {t}")
    with pytest.raises(ValidationError):
        compose("SELECT * FROM {t}", t=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        compose("SELECT {cols} FROM x", cols=[])
    with pytest.raises(ValidationError):
        placeholders(0)


def test_int_literal_writes_integers_only(con) -> None:
    assert int_literal(3) == "3" and isinstance(int_literal(3), Sql)
    sql = compose("SELECT * FROM range(10) USING SAMPLE reservoir({n} ROWS)", n=int_literal(4))
    assert len(con.execute(sql).fetchall()) == 4
    for bad in ("4", 4.0, True, None):
        with pytest.raises(ValidationError):
            int_literal(bad)  # type: ignore[arg-type]


def test_a_failing_step_names_the_step_and_shows_its_sql(con) -> None:
    with pytest.raises(SqlStepError) as caught:
        run_step(
            con,
            "count the police records",
            "SELECT count(*)\n      FROM no_such_table   WHERE 1 = 1",
            hint="Import the police extract first.",
        )
    error = caught.value
    assert isinstance(error, WorkbenchError)
    assert isinstance(error.__cause__, duckdb.Error)
    assert error.step == "count the police records"
    assert error.sql == "SELECT count(*) FROM no_such_table WHERE 1 = 1"
    text = str(error)
    assert "count the police records" in text
    assert "SELECT count(*) FROM no_such_table WHERE 1 = 1" in text
    assert "no_such_table" in error.reason
    assert text.endswith("Import the police extract first.")


def test_long_sql_is_trimmed_in_the_message(con) -> None:
    columns = ", ".join(f"{i} AS c{i}" for i in range(200))
    with pytest.raises(SqlStepError) as caught:
        run_step(con, "wide", f"SELECT {columns} FROM missing_table")
    assert len(caught.value.sql) <= 240
    assert caught.value.sql.endswith("…")
    assert shorten_sql("a\n  b") == "a b"


def test_parameters_are_bound_so_an_injection_string_stays_a_value(con) -> None:
    con.execute("CREATE TABLE people (name VARCHAR)")
    con.execute("INSERT INTO people VALUES ('Ann'), ('Bob')")
    attack = "x' OR '1'='1"
    found = run_step(con, "find", "SELECT name FROM people WHERE name = ?", [attack]).fetchall()
    assert found == []
    run_step(con, "insert", "INSERT INTO people VALUES (?)", ["Robert'); DROP TABLE people; --"])
    rows = run_step(con, "all", "SELECT name FROM people ORDER BY name").fetchall()
    assert rows == [("Ann",), ("Bob",), ("Robert'); DROP TABLE people; --",)]


def test_steps_run_in_order_with_timings_and_stop_at_the_first_failure(con) -> None:
    steps = SqlSteps(con, prefix="demo: ", hint="Try again.")
    steps.run_all(
        [
            ("make", "CREATE TABLE t (x INTEGER)", None),
            ("fill", "INSERT INTO t SELECT range FROM range(?)", [5]),
        ]
    )
    assert steps.scalar("count", "SELECT count(*) FROM t") == 5
    assert list(steps.timings) == ["demo: make", "demo: fill", "demo: count"]
    with pytest.raises(SqlStepError, match="demo: break") as caught:
        steps.run_all([("break", "SELECT * FROM t WHERE y = 1", None), ("never", "SELECT 1", None)])
    assert caught.value.hint == "Try again."
    assert "demo: never" not in steps.timings


CONVERTED = [
    "workbench/analysis/journeys",
    "workbench/analysis/measures",
    "workbench/analysis/views",
    "workbench/forecast/model",
    "workbench/forecast/scenarios",
    "workbench/data/catalogue.py",
    "workbench/data/profile.py",
    "workbench/data/explore.py",
    "workbench/persons/expressions.py",
    "workbench/persons/role_suggest.py",
    "workbench/persons/roles.py",
    "workbench/persons/standardise.py",
    "workbench/persons/value_formats.py",
    "linkage/clusters/registry.py",
    "linkage/clusters/extract.py",
    "linkage/quality/health.py",
    "linkage/quality/pair_scorer.py",
    "linkage/quality/recall.py",
    "linkage/quality/redundancy.py",
    "linkage/model/blocking.py",
    "linkage/model/column_profile.py",
    "linkage/inputs.py",
    "linkage/data.py",
]


@pytest.mark.parametrize("path", CONVERTED)
def test_converted_modules_build_sql_without_suppressing_s608(path: str) -> None:
    target = Path(__file__).resolve().parent.parent / path
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert files, f"{path} holds no modules"
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert "noqa: S608" not in text, f"{file}: compose SQL with workbench.sql.compose instead"
