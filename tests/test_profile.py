"""Quality profile: counts, placeholders, format problems, storage and display."""

from __future__ import annotations

from collections.abc import Iterator

import altair as alt
import pytest

from workbench.data.profile import (
    DatasetProfile,
    completeness_chart,
    load_profile,
    profile_dataset,
    profile_table,
    refresh_profile,
    store_profile,
)
from workbench.errors import DatasetNotFoundError
from workbench.persons.roles import Role, save_roles
from workbench.workspace import Workspace

CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def pnc(year: int, serial: int, good: bool = True) -> str:
    index = int(f"{year % 100:02d}{serial:07d}") % 23
    letter = CHECK_LETTERS[index if good else (index + 1) % 23]
    return f"{year}/{serial:07d}{letter}"


ROWS = [
    # first_name, surname, dob, postcode, pnc_id, born
    ("John", "Smith", "1980-01-02", "ME14 2XY", pnc(2001, 1234), "1980-01-02"),
    ("john", "Smith", "02/01/1980", "me14 2xy", pnc(2001, 1234), "1980-01-02"),
    ("NOT ENTERED", "Jones", "1900-01-01", "NF1 1NF", pnc(2010, 99), "1900-01-01"),
    ("Mary", "J0nes", "01/01/1900", "NOT A CODE", pnc(2010, 99, good=False), "1970-01-01"),
    (" Mary", "Brown", "2999-01-01", "12345", "ABC", None),
    (None, "Brown", "not a date", None, None, "1975-06-07"),
]


@pytest.fixture
def ws() -> Iterator[Workspace]:
    workspace = Workspace(":memory:")
    with workspace.cursor() as cur:
        cur.execute(
            'CREATE TABLE data."people" (first_name VARCHAR, surname VARCHAR, dob VARCHAR, '
            "postcode VARCHAR, pnc_id VARCHAR, born DATE)"
        )
        cur.executemany('INSERT INTO data."people" VALUES (?, ?, ?, ?, ?, ?)', ROWS)
    yield workspace
    workspace.close()


ROLES = {
    "first_name": Role.FIRST_NAME,
    "surname": Role.SURNAME,
    "dob": Role.DOB,
    "postcode": Role.POSTCODE,
    "pnc_id": Role.PNC_ID,
    "born": Role.OTHER,
}


def problems(profile: DatasetProfile, column: str) -> dict[str, int]:
    return {p.description: p.count for p in profile.column(column).format_problems}


def test_counts_and_top_values(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people", ROLES, top_n=2)
    assert profile.rows == 6
    first = profile.column("first_name")
    assert (first.rows, first.non_null, first.distinct) == (6, 5, 5)
    assert first.completeness == pytest.approx(5 / 6)
    surname = profile.column("surname")
    assert surname.top_values == [("Brown", 2), ("Smith", 2)]
    assert surname.mean_length == pytest.approx(5.0)
    born = profile.column("born")
    assert born.dtype == "DATE"
    assert (born.min_value, born.max_value) == ("1900-01-01", "1980-01-02")
    assert born.mean_length is None


def test_placeholders_are_counted(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people", ROLES)
    assert profile.column("first_name").placeholders == [("NOT ENTERED", 1)]
    assert profile.column("postcode").placeholders == [("NF1 1NF", 1)]
    assert sorted(profile.column("dob").placeholders) == [("01/01/1900", 1), ("1900-01-01", 1)]
    assert sorted(profile.column("born").placeholders) == [("1900-01-01", 1), ("1970-01-01", 1)]
    assert profile.column("surname").placeholders == []


def test_format_problems(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people", ROLES)
    assert problems(profile, "postcode")["not a UK postcode"] == 2
    bad = next(
        p for p in profile.column("postcode").format_problems if p.description.startswith("not")
    )
    assert set(bad.examples) == {"NOT A CODE", "12345"}
    pnc_problems = problems(profile, "pnc_id")
    assert pnc_problems["wrong PNC check letter"] == 1
    assert pnc_problems["not in PNC ID format (YYYY/NNNNNNNL)"] == 1
    dob = problems(profile, "dob")
    assert dob["not a recognisable date"] == 1
    assert dob["date of birth in the future"] == 1
    assert problems(profile, "surname")["contains digits"] == 1
    first = problems(profile, "first_name")
    assert first["leading or trailing spaces"] == 1
    assert first["case variants of the same value"] == 2  # John / john


def test_no_format_problems_on_clean_columns(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people", {"surname": Role.OTHER})
    assert problems(profile, "pnc_id") == {}
    assert "contains digits" not in problems(profile, "surname")


def test_roles_are_suggested_when_not_given(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people")
    assert "not a UK postcode" in problems(profile, "postcode")


def test_store_load_round_trip(ws: Workspace) -> None:
    assert load_profile(ws, "people") is None
    profile = profile_dataset(ws, "people", ROLES)
    store_profile(ws, profile)
    loaded = load_profile(ws, "people")
    assert loaded == profile
    store_profile(ws, profile)  # replaces, does not duplicate
    assert ws.query("SELECT count(*) FROM wb.profiles")[0][0] == 1


def test_refresh_uses_stored_roles(ws: Workspace) -> None:
    save_roles(ws, "people", {"surname": Role.OTHER, "postcode": Role.POSTCODE})
    profile = refresh_profile(ws, "people")
    assert "contains digits" not in problems(profile, "surname")
    assert load_profile(ws, "people") == profile


def test_unknown_dataset(ws: Workspace) -> None:
    with pytest.raises(DatasetNotFoundError):
        profile_dataset(ws, "nope")


def test_table_and_chart(ws: Workspace) -> None:
    profile = profile_dataset(ws, "people", ROLES)
    table = profile_table(profile)
    assert list(table.columns) == [
        "column",
        "type",
        "completeness %",
        "distinct",
        "top values",
        "placeholders",
        "format problems",
    ]
    row = table.set_index("column").loc["postcode"]
    assert row["completeness %"] == pytest.approx(83.3)
    assert "NF1 1NF (1)" in row["placeholders"]
    assert "not a UK postcode: 2" in row["format problems"]
    chart = completeness_chart(profile)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert "people" in str(spec["title"])
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "completeness"
    assert spec["encoding"]["tooltip"]


def test_injection_looking_column_names(ws: Workspace) -> None:
    with ws.cursor() as cur:
        cur.execute('CREATE TABLE data."odd" AS SELECT 1 AS "a""b", \'x\' AS "x; drop"')
    profile = profile_dataset(ws, "odd", {})
    assert [c.name for c in profile.columns] == ['a"b', "x; drop"]
    assert profile.column("x; drop").top_values == [("x", 1)]


def test_large_table_is_quick(ws: Workspace) -> None:
    with ws.cursor() as cur:
        cur.execute(
            'CREATE TABLE data."big" AS SELECT i AS id, '
            "CASE i % 3 WHEN 0 THEN 'JOHN' WHEN 1 THEN 'MARY' ELSE NULL END AS first_name, "
            "'ME' || (i % 20) || ' ' || (i % 9) || 'XY' AS postcode, "
            "DATE '1950-01-01' + CAST(i % 20000 AS INTEGER) AS dob FROM range(200000) t(i)"
        )
    profile = profile_dataset(ws, "big", {"postcode": Role.POSTCODE, "dob": Role.DOB})
    assert profile.column("first_name").completeness == pytest.approx(2 / 3, abs=1e-4)
    assert profile.column("id").distinct == 200000


def test_profile_is_bounded_in_columns_and_time(ws) -> None:
    """A wide dataset has its first columns profiled and the rest named with the reason."""
    import pandas as pd

    from workbench.data.profile import DatasetProfile, profile_dataset
    from workbench.data.writing import import_frame

    frame = pd.DataFrame({f"c{i}": range(5) for i in range(12)})
    import_frame(ws, frame, "wide")
    profile = profile_dataset(ws, "wide", roles={}, max_columns=5)
    assert [c.name for c in profile.columns] == [f"c{i}" for i in range(5)]
    assert profile.not_profiled == [f"c{i}" for i in range(5, 12)]
    assert "7 column(s) not profiled (the profile covers the first 5 columns)" in profile.note
    assert DatasetProfile.from_dict(profile.to_dict()).not_profiled == profile.not_profiled
    timed = profile_dataset(ws, "wide", roles={}, seconds=0.0)
    assert len(timed.columns) == 1
    assert "after 0 seconds" in timed.note
    assert profile_dataset(ws, "wide", roles={}).note == ""
