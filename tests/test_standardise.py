"""Standardisation of person fields into canonical form, in DuckDB SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pandas as pd
import pytest

from workbench.errors import RoleError
from workbench.persons.roles import Role, save_roles
from workbench.persons.standardise import (
    create_standardised_table,
    standardise_dataset,
    standardise_sql,
)
from workbench.workspace import Workspace


@pytest.fixture
def ws() -> Iterator[Workspace]:
    workspace = Workspace(":memory:")
    yield workspace
    workspace.close()


def make(ws: Workspace, name: str, frame: pd.DataFrame) -> None:
    with ws.cursor() as cur:
        cur.register("frame_view", frame)
        cur.execute(f'CREATE TABLE data."{name}" AS SELECT * FROM frame_view')
        cur.unregister("frame_view")


def run(values: list, role: Role, dtype: str = "VARCHAR") -> list:
    """Standardise one column of values and return the canonical column."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (v {dtype})")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    sql, params = standardise_sql("SELECT * FROM t", {"v": dtype}, {"v": role}, "t")
    frame = con.execute(sql, params).df()
    column = role.value
    return [None if pd.isna(x) else x for x in frame[column]]


def test_dob_formats_parse_to_the_same_date() -> None:
    out = run(
        ["1985-03-04", "04/03/1985", "04-03-1985", "19850304", "4/3/85", " 1985-03-04 10:00:00 "],
        Role.DOB,
    )
    assert [pd.Timestamp(x).date() for x in out] == [date(1985, 3, 4)] * 6


def test_dob_placeholders_future_and_ancient_are_null() -> None:
    out = run(
        ["1900-01-01", "01/01/1970", "1901-01-01", "2999-01-01", "1850-05-05", "rubbish", None],
        Role.DOB,
    )
    assert out == [None] * 7


def test_dob_from_date_column_and_birth_year() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT DATE '1990-07-08' AS d UNION ALL SELECT DATE '1900-01-01'"
    )
    sql, params = standardise_sql("SELECT * FROM t", {"d": "DATE"}, {"d": Role.DOB}, "src")
    frame = con.execute(sql, params).df()
    assert frame["dob"].iloc[0] == pd.Timestamp("1990-07-08")
    assert pd.isna(frame["dob"].iloc[1])
    assert frame["birth_year"].tolist()[0] == 1990
    assert pd.isna(frame["birth_year"].iloc[1])
    assert frame["source_dataset"].tolist() == ["src", "src"]


def test_postcodes_are_canonical_and_placeholders_null() -> None:
    out = run(
        ["me142xy", " ME14 2XY ", "m1 1ae", "SW1A-1AA", "NF1 1NF", "nf11nf", "ZZ99 3VZ", "n/a", ""],
        Role.POSTCODE,
    )
    assert out == ["ME14 2XY", "ME14 2XY", "M1 1AE", "SW1A 1AA", None, None, None, None, None]


def test_names_are_cleaned() -> None:
    assert run(
        [
            "  mc donald ",
            "McDonald",
            "Mac Leod",
            "o'brien",
            "smith - jones",
            "NOT KNOWN",
            "-",
            "J.R.",
        ],
        Role.SURNAME,
    ) == ["MCDONALD", "MCDONALD", "MACLEOD", "O'BRIEN", "SMITH-JONES", None, None, "J R"]
    assert run(["  john  paul ", "Mac", "NOT ENTERED John"], Role.FIRST_NAME) == [
        "JOHN PAUL",
        "MAC",
        "JOHN",
    ]


def test_pnc_ids_are_canonical() -> None:
    assert run(["19/1234A", "2019/0001234A", " 98/55z ", "UNKNOWN", "odd-value"], Role.PNC_ID) == [
        "2019/0001234A",
        "2019/0001234A",
        "1998/0000055Z",
        None,
        "ODD-VALUE",
    ]


def test_sex_and_identifiers() -> None:
    assert run(["Male", "f", "1", "2", "X", None], Role.SEX) == ["M", "F", "M", "F", None, None]
    assert run(["42ab 1234567 23", "n/a"], Role.URN) == ["42AB123456723", None]


def test_full_name_is_split_when_no_name_parts(ws: Workspace) -> None:
    make(ws, "people", pd.DataFrame({"name": ["John Paul Smith", "mary mc donald", "Cher"]}))
    frame = standardise_dataset(ws, "people", {"name": Role.FULL_NAME})
    assert frame["first_name"].tolist()[:2] == ["JOHN", "MARY"]
    assert pd.isna(frame["first_name"].iloc[2])
    assert frame["surname"].tolist() == ["SMITH", "MCDONALD", "CHER"]
    assert frame["middle_names"].iloc[0] == "PAUL"
    assert frame["full_name"].tolist()[1] == "MARY MCDONALD"


def test_unique_id_from_row_number_or_record_id(ws: Workspace) -> None:
    make(ws, "people", pd.DataFrame({"ref": [10, 20, 30], "surname": ["a", "b", "c"]}))
    frame = standardise_dataset(ws, "people", {"surname": Role.SURNAME})
    assert frame["unique_id"].tolist() == ["1", "2", "3"]
    frame = standardise_dataset(ws, "people", {"surname": Role.SURNAME, "ref": Role.RECORD_ID})
    assert frame["unique_id"].tolist() == ["10", "20", "30"]
    assert list(frame.columns) == ["source_dataset", "unique_id", "surname"]


def test_address_other_and_ignored_columns(ws: Workspace) -> None:
    frame = pd.DataFrame(
        {
            "line1": ["1 high st", None],
            "line2": ["  flat 2 ", "NOT KNOWN"],
            "Email Address": ["a@b.org", "unknown"],
            "job": ["Baker", ""],
            "hearing": ["x", "y"],
            "surname": ["Smith", "Jones"],
        }
    )
    make(ws, "people", frame)
    roles = {
        "line1": Role.ADDRESS,
        "line2": Role.ADDRESS,
        "Email Address": Role.OTHER_ID,
        "job": Role.OTHER,
        "hearing": Role.IGNORE,
        "surname": Role.SURNAME,
    }
    out = standardise_dataset(ws, "people", roles)
    assert out["address"].iloc[0] == "1 HIGH ST, FLAT 2"
    assert pd.isna(out["address"].iloc[1])
    assert out["other_id_email_address"].iloc[0] == "A@B.ORG"
    assert pd.isna(out["other_id_email_address"].iloc[1])
    assert out["other_job"].iloc[0] == "Baker"
    assert pd.isna(out["other_job"].iloc[1])
    assert "hearing" not in out.columns


def test_injection_looking_column_names_are_safe(ws: Workspace) -> None:
    make(
        ws,
        "odd",
        pd.DataFrame({'a"b': ["mc donald"], "x; drop": ["01/02/1985"], "Robert'); --": ["x"]}),
    )
    roles = {'a"b': Role.SURNAME, "x; drop": Role.DOB, "Robert'); --": Role.OTHER}
    frame = standardise_dataset(ws, "odd", roles)
    assert frame["surname"].tolist() == ["MCDONALD"]
    assert frame["dob"].iloc[0] == pd.Timestamp("1985-02-01")
    assert frame["other_robert"].tolist() == ["x"]
    assert ws.table_exists("data", "odd")


def test_source_dataset_name_is_bound_not_pasted() -> None:
    sql, params = standardise_sql(
        "SELECT 'x' AS s", {"s": "VARCHAR"}, {"s": Role.SURNAME}, "o'hare; DROP TABLE t"
    )
    assert "o'hare" not in sql
    frame = duckdb.connect().execute(sql, params).df()
    assert frame["source_dataset"].tolist() == ["o'hare; DROP TABLE t"]


def test_uses_stored_roles_and_writes_table(ws: Workspace) -> None:
    make(ws, "people", pd.DataFrame({"fn": ["john", "x"], "dob": ["1980-01-02", "1900-01-01"]}))
    with pytest.raises(RoleError):
        standardise_dataset(ws, "people")  # nothing stored
    save_roles(ws, "people", {"fn": Role.FIRST_NAME, "dob": Role.DOB})
    assert create_standardised_table(ws, "people", "people std") == 2
    rows = ws.query('SELECT first_name, dob FROM std."people std" ORDER BY unique_id')
    assert rows == [("JOHN", date(1980, 1, 2)), ("X", None)]
    assert create_standardised_table(ws, "people", "people std") == 2  # replaces
    assert "dataset.standardise" in ws.audit_log()["action"].tolist()


def test_invalid_roles_are_refused(ws: Workspace) -> None:
    make(ws, "people", pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]}))
    with pytest.raises(RoleError, match="person role"):
        standardise_dataset(ws, "people", {"a": Role.OTHER, "b": Role.IGNORE})
    with pytest.raises(RoleError, match="only one column"):
        standardise_dataset(ws, "people", {"a": Role.DOB, "b": Role.DOB})
    with pytest.raises(RoleError, match="'zz'"):
        standardise_dataset(ws, "people", {"zz": Role.SURNAME})
