"""Column-role suggestion from names and values, and storing roles in the workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest

from workbench.errors import RoleError
from workbench.persons.role_suggest import suggest_roles, suggest_roles_for_dataset
from workbench.persons.roles import Role, load_roles, roles_confirmed, roles_table, save_roles
from workbench.workspace import Workspace

FIRST = ["John", "Mary", "David", "Sarah", "James", "Emma", "Paul", "Laura", "Peter", "Helen"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Green", "Hall", "Wood"]
DOBS_ISO = [f"19{60 + i}-0{1 + i % 9}-1{i}" for i in range(10)]
DOBS_UK = [f"1{i}/0{1 + i % 9}/19{70 + i}" for i in range(10)]
POSTCODES = [f"ME{i + 1} {i}XY" for i in range(10)]


@pytest.fixture
def ws() -> Iterator[Workspace]:
    workspace = Workspace(":memory:")
    with workspace.cursor() as cur:
        cur.execute(
            'CREATE TABLE data."people" AS SELECT * FROM (VALUES '
            "(1, 'John', 'Smith', DATE '1980-01-02', 'ME14 2XY'), "
            "(2, 'Mary', 'Jones', DATE '1975-05-06', 'CF10 1AA')) t(id, fname, lname, dob, pc)"
        )
    yield workspace
    workspace.close()


def as_map(suggestions) -> dict[str, Role]:
    return {s.column: s.role for s in suggestions}


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["given_name", "family_name", "birth_date", "zipcode"],
            [Role.FIRST_NAME, Role.SURNAME, Role.DOB, Role.POSTCODE],
        ),
        (
            ["fname", "lname", "dob", "gender", "postcode"],
            [Role.FIRST_NAME, Role.SURNAME, Role.DOB, Role.SEX, Role.POSTCODE],
        ),
        (
            ["forename", "surname", "date_of_birth", "sex"],
            [Role.FIRST_NAME, Role.SURNAME, Role.DOB, Role.SEX],
        ),
        (
            ["FirstName", "LastName", "DateOfBirth", "PostCode"],
            [Role.FIRST_NAME, Role.SURNAME, Role.DOB, Role.POSTCODE],
        ),
        (
            ["unique_id", "first_name", "surname", "dob", "city", "email"],
            [Role.RECORD_ID, Role.FIRST_NAME, Role.SURNAME, Role.DOB, Role.TOWN, Role.OTHER_ID],
        ),
    ],
)
def test_suggest_roles_from_names(columns: list[str], expected: list[Role]) -> None:
    suggestions = suggest_roles(columns)
    assert [s.column for s in suggestions] == columns
    assert [s.role for s in suggestions] == expected
    assert all(0 <= s.confidence <= 1 and s.reason for s in suggestions)


def test_suspect_columns_with_values() -> None:
    sample = pd.DataFrame(
        {
            "suspect_forename": FIRST,
            "suspect_surname": LAST,
            "suspect_dob": DOBS_ISO,
            "suspect_postcode": POSTCODES,
            "pnc_id": [f"20{10 + i}/000{1000 + i}A" for i in range(10)],
            "urn": [f"42AB{1000000 + i}23" for i in range(10)],
            "crime_ref": [f"CR{i:06d}" for i in range(10)],
            "offence_date": [f"2023-0{1 + i % 9}-0{1 + i % 9}" for i in range(10)],
        }
    )
    roles = as_map(suggest_roles(list(sample.columns), sample))
    assert roles == {
        "suspect_forename": Role.FIRST_NAME,
        "suspect_surname": Role.SURNAME,
        "suspect_dob": Role.DOB,
        "suspect_postcode": Role.POSTCODE,
        "pnc_id": Role.PNC_ID,
        "urn": Role.URN,
        "crime_ref": Role.RECORD_ID,
        "offence_date": Role.IGNORE,
    }


def test_defendant_columns_with_uk_dates() -> None:
    sample = pd.DataFrame(
        {
            "defendant_forename": FIRST,
            "defendant_surname": LAST,
            "defendant_dob": DOBS_UK,
            "defendant_postcode": POSTCODES,
            "hearing_date": [f"0{1 + i % 9}/03/2024" for i in range(10)],
            "outcome": ["Guilty"] * 5 + ["Dismissed"] * 5,
        }
    )
    roles = as_map(suggest_roles(list(sample.columns), sample))
    assert roles["defendant_forename"] is Role.FIRST_NAME
    assert roles["defendant_surname"] is Role.SURNAME
    assert roles["defendant_dob"] is Role.DOB
    assert roles["defendant_postcode"] is Role.POSTCODE
    assert roles["hearing_date"] is Role.IGNORE
    assert roles["outcome"] is Role.IGNORE


def test_splink_historical_figures_columns() -> None:
    sample = pd.DataFrame(
        {
            "unique_id": [str(i) for i in range(6)],
            "full_name": [
                "thomas herbert",
                "mary ann evans",
                "john wilson",
                "david lloyd",
                "sarah green",
                "james hall",
            ],
            "first_and_surname": [
                "thomas herbert",
                "mary evans",
                "john wilson",
                "david lloyd",
                "sarah green",
                "james hall",
            ],
            "first_name": ["thomas", "mary", "john", "david", "sarah", "james"],
            "surname": ["herbert", "evans", "wilson", "lloyd", "green", "hall"],
            "dob": ["1795-04-25", "1819-11-22", "1801-01-01", "1863-01-17", "1820-05-12", None],
            "birth_place": ["london", "nuneaton", "bristol", "manchester", None, "leeds"],
            "postcode_fake": ["tf10 8pr", "cv10 0aa", "bs1 4dj", "m1 1ae", "ls1 1ur", None],
            "gender": ["male", "female", "male", "male", "female", "male"],
            "occupation": ["poet", "novelist", "politician", "politician", None, "soldier"],
        }
    )
    roles = as_map(suggest_roles(list(sample.columns), sample))
    assert roles == {
        "unique_id": Role.RECORD_ID,
        "full_name": Role.FULL_NAME,
        "first_and_surname": Role.IGNORE,
        "first_name": Role.FIRST_NAME,
        "surname": Role.SURNAME,
        "dob": Role.DOB,
        "birth_place": Role.OTHER,
        "postcode_fake": Role.POSTCODE,
        "gender": Role.SEX,
        "occupation": Role.OTHER,
    }


def test_meaningless_column_names_are_decided_by_values() -> None:
    sample = pd.DataFrame(
        {
            "col1": [f"R{i:05d}" for i in range(10)],
            "col2": FIRST,
            "col3": LAST,
            "col4": DOBS_UK,
            "col5": POSTCODES,
            "col6": ["M", "F"] * 5,
            "col7": [f"{n.lower()}@example.org" for n in FIRST],
        }
    )
    suggestions = suggest_roles(list(sample.columns), sample)
    assert [s.role for s in suggestions] == [
        Role.RECORD_ID,
        Role.FIRST_NAME,
        Role.SURNAME,
        Role.DOB,
        Role.POSTCODE,
        Role.SEX,
        Role.OTHER_ID,
    ]
    dob = suggestions[3]
    assert "dates" in dob.reason
    assert dob.confidence > 0.5


def test_values_override_misleading_name_for_single_valued_role() -> None:
    sample = pd.DataFrame({"first_name": FIRST, "forename": FIRST})
    suggestions = suggest_roles(["first_name", "forename"], sample)
    assert [s.role for s in suggestions].count(Role.FIRST_NAME) == 1


def test_id_that_repeats_is_not_a_record_id() -> None:
    sample = pd.DataFrame({"case_number": ["A1", "A1", "A2", "A2"], "dob": DOBS_ISO[:4]})
    roles = as_map(suggest_roles(list(sample.columns), sample))
    assert roles["case_number"] is not Role.RECORD_ID


def test_suggest_roles_for_dataset_uses_values(ws: Workspace) -> None:
    roles = as_map(suggest_roles_for_dataset(ws, "people"))
    assert roles == {
        "id": Role.RECORD_ID,
        "fname": Role.FIRST_NAME,
        "lname": Role.SURNAME,
        "dob": Role.DOB,
        "pc": Role.POSTCODE,
    }


def test_save_and_load_roles_round_trip(ws: Workspace) -> None:
    suggestions = suggest_roles_for_dataset(ws, "people")
    save_roles(
        ws,
        "people",
        {s.column: s.role for s in suggestions},
        confirmed=False,
        suggestions=suggestions,
        actor="tester",
    )
    assert load_roles(ws, "people")["fname"] is Role.FIRST_NAME
    assert not roles_confirmed(ws, "people")

    save_roles(ws, "people", {"id": "record_id", "fname": Role.SURNAME, "lname": "first_name"})
    loaded = load_roles(ws, "people")
    assert loaded == {"id": Role.RECORD_ID, "fname": Role.SURNAME, "lname": Role.FIRST_NAME}
    assert list(loaded) == ["id", "fname", "lname"]
    assert roles_confirmed(ws, "people")

    table = roles_table(ws, "people")
    assert list(table.columns) == [
        "column",
        "role",
        "suggested_role",
        "confidence",
        "reason",
        "confirmed",
    ]
    fname = table.set_index("column").loc["fname"]
    assert fname["role"] == "surname"
    assert fname["suggested_role"] == "first_name"  # kept from the earlier suggestions
    assert fname["reason"]

    audit = ws.audit_log()
    saves = audit[audit["action"] == "roles.save"]
    assert len(saves) == 2
    assert json.loads(saves.iloc[-1]["detail"])["roles"]["fname"] == "first_name"


@pytest.mark.parametrize(
    ("roles", "needle"),
    [
        ({"fname": "wizard"}, "'wizard'"),
        ({"nickname": "first_name"}, "'nickname'"),
        ({"fname": "first_name", "lname": "first_name"}, "'first_name'"),
    ],
)
def test_invalid_roles_are_refused(ws: Workspace, roles: dict[str, str], needle: str) -> None:
    save_roles(ws, "people", {"fname": Role.FIRST_NAME})
    with pytest.raises(RoleError) as info:
        save_roles(ws, "people", roles)
    message = str(info.value)
    assert needle in message
    assert "postcode" in message  # the valid roles are listed
    assert load_roles(ws, "people") == {"fname": Role.FIRST_NAME}  # nothing written


def test_several_address_columns_are_allowed(ws: Workspace) -> None:
    save_roles(ws, "people", {"lname": Role.ADDRESS, "pc": Role.ADDRESS, "fname": "other"})
    assert load_roles(ws, "people")["pc"] is Role.ADDRESS


def test_names_of_things_and_case_attributes_are_not_person_fields() -> None:
    sample = pd.DataFrame(
        {
            "court_name": ["Maidstone Crown Court", "Leeds Magistrates Court"] * 50,
            "offence_group": ["violence against the person", "theft offences"] * 50,
            "finalisation_reason": ["conviction", "discontinued"] * 50,
            "defendant_name": ["JOHN SMITH", "MARY JONES"] * 50,
        }
    )
    roles = {s.column: s.role for s in suggest_roles(list(sample.columns), sample)}
    assert roles["court_name"] is Role.IGNORE
    assert roles["offence_group"] is Role.IGNORE
    assert roles["finalisation_reason"] is Role.IGNORE
    assert roles["defendant_name"] is Role.FULL_NAME


def test_multiword_values_alone_need_to_look_like_names() -> None:
    sample = pd.DataFrame({"col_a": ["violence against the person", "public order offences"] * 50})
    assert suggest_roles(["col_a"], sample)[0].role is not Role.FULL_NAME
    firsts = ["JOHN", "SARAH", "DAVID", "AMINA", "PETER", "MARY", "OLIVER", "GRACE", "IMRAN"]
    lasts = ["SMITH", "JONES", "BROWN", "KHAN", "TAYLOR", "WILSON", "DAVIES", "EVANS", "WALKER"]
    people = pd.DataFrame({"col_a": [f"{f} {s}" for f in firsts for s in lasts]})
    assert suggest_roles(["col_a"], people)[0].role is Role.FULL_NAME


def test_few_repeated_multiword_values_are_not_full_names() -> None:
    """A police force column ("West Yorkshire Police": "West" is also a surname) repeats a few
    values many times, as no column of people's names does."""
    forces = ["West Yorkshire Police", "West Midlands Police", "Greater Manchester Police"]
    sample = pd.DataFrame({"force": (forces * 2 + ["Kent Police", "Dyfed-Powys Police"]) * 125})
    roles = {s.column: s.role for s in suggest_roles(list(sample.columns), sample)}
    assert roles["force"] is not Role.FULL_NAME
