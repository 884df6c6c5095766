"""The catalogue: listing, searching, editing metadata, column dictionary, delete, versions."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from workbench.data import catalogue
from workbench.data.catalogue import (
    column_dictionary,
    dataset_versions,
    delete_dataset,
    get_dataset,
    list_datasets,
    preview,
    set_column_description,
    update_metadata,
)
from workbench.data.importer import import_file
from workbench.data.writing import import_frame
from workbench.errors import DatasetNotFoundError, ValidationError

POLICE_CSV = b"urn,forename,surname,dob\n01AB12345,Ann,Smith,1990-01-02\n02CD67890,Bob,Jones,\n"
COURTS_CSV = b"case_id,defendant_name,hearing_date\n1,Ann Smith,2024-05-01\n2,Bob Jones,\n"


@pytest.fixture
def two(ws):
    """A workspace holding a police and a courts dataset with some metadata."""
    import_file(
        ws,
        POLICE_CSV,
        filename="police.csv",
        title="Police custody records",
        source_system="police",
        owner="Kent Police analysts",
        refresh_date=date(2024, 3, 31),
    )
    import_file(
        ws,
        COURTS_CSV,
        filename="courts.csv",
        title="Magistrates listings",
        description="Hearings from the court listing system (100% of sittings)",
        source_system="courts",
        owner="HMCTS",
    )
    return ws


def names(infos: list[catalogue.DatasetInfo]) -> list[str]:
    """The names of catalogue entries."""
    return [info.name for info in infos]


def test_list_and_get(two) -> None:
    assert names(list_datasets(two)) == ["courts", "police"]
    info = get_dataset(two, "police")
    assert info.title == "Police custody records"
    assert info.label == "Police custody records"
    assert info.refresh_date == date(2024, 3, 31)
    assert (info.row_count, info.column_count, info.kind, info.is_sample) == (
        2,
        4,
        "source",
        False,
    )


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("custody", ["police"]),  # title
        ("LISTING SYSTEM", ["courts"]),  # description, any case
        ("hmcts", ["courts"]),  # owner
        ("courts", ["courts"]),  # name and source system
        ("defendant", ["courts"]),  # column name
        ("surname", ["police"]),  # column name
        ("", ["courts", "police"]),
        ("100%", ["courts"]),  # % is literal, not a wildcard
        ("%", ["courts"]),
        ("sur_ame", []),  # _ is literal, not a wildcard
        ("case_id", ["courts"]),
        ("no such thing", []),
    ],
)
def test_search(two, search: str, expected: list[str]) -> None:
    assert names(list_datasets(two, search=search)) == expected


def test_search_by_column_description(two) -> None:
    set_column_description(two, "police", "urn", "Unique reference number of the case")
    assert names(list_datasets(two, search="unique reference")) == ["police"]


def test_filters(two) -> None:
    assert names(list_datasets(two, source_system="POLICE")) == ["police"]
    assert names(list_datasets(two, kind="source")) == ["courts", "police"]
    assert names(list_datasets(two, kind="journey")) == []
    assert names(list_datasets(two, search="smith", source_system="courts")) == []


def test_injection_looking_search_is_harmless(two) -> None:
    for text in ("'; DROP TABLE x; --", "'; DROP TABLE data.police; --", "\\", "' OR 1=1 --"):
        assert list_datasets(two, search=text) == []
    assert two.table_exists("data", "police")
    assert names(list_datasets(two)) == ["courts", "police"]


def test_update_metadata_round_trip(two) -> None:
    before = get_dataset(two, "police")
    after = update_metadata(
        two,
        "police",
        actor="bea",
        title="  Custody 2024 ",
        description="Arrests; DROP TABLE wb.datasets; --",
        refresh_date="2024-04-30",
        owner="",
    )
    assert after.title == "Custody 2024"
    assert after.description == "Arrests; DROP TABLE wb.datasets; --"
    assert after.refresh_date == date(2024, 4, 30)
    assert after.owner is None
    assert after.source_system == "police"
    assert after.updated_at is not None and after.updated_at >= before.updated_at
    assert get_dataset(two, "police") == after
    assert names(list_datasets(two, search="custody 2024")) == ["police"]
    log = two.audit_log()
    entry = log[log["action"] == "dataset.update"].iloc[0]
    assert (entry["actor"], entry["target"]) == ("bea", "police")
    assert json.loads(entry["detail"])["title"]["to"] == "Custody 2024"
    again = update_metadata(two, "police", refresh_date=datetime(2025, 1, 2, 3, 4))
    assert again.refresh_date == date(2025, 1, 2)
    assert update_metadata(two, "police", refresh_date=None).refresh_date is None


def test_update_metadata_rejects_bad_fields(two) -> None:
    before = get_dataset(two, "police")
    with pytest.raises(ValidationError) as caught:
        update_metadata(two, "police", kind="hacked", row_count=0, refresh_date="31 Feb")
    message = str(caught.value)
    assert "'kind' cannot be edited" in message
    assert "'row_count' cannot be edited" in message
    assert "refresh_date" in message and "YYYY-MM-DD" in message
    with pytest.raises(ValidationError, match="must be text"):
        update_metadata(two, "police", title=42)
    assert get_dataset(two, "police") == before
    with pytest.raises(DatasetNotFoundError):
        update_metadata(two, "polic", title="x")


def test_column_dictionary_and_descriptions(two) -> None:
    cols = column_dictionary(two, "police")
    assert list(cols.columns) == ["position", "name", "dtype", "description", "role", "confirmed"]
    assert cols["name"].tolist() == ["urn", "forename", "surname", "dob"]
    assert cols["position"].tolist() == [1, 2, 3, 4]
    assert cols["dtype"].tolist() == ["VARCHAR", "VARCHAR", "VARCHAR", "DATE"]
    assert cols["role"].isna().all()
    set_column_description(two, "police", "dob", "Date of birth as recorded", actor="bea")
    cols = column_dictionary(two, "police").set_index("name")
    assert cols.loc["dob", "description"] == "Date of birth as recorded"
    set_column_description(two, "police", "dob", "")
    assert pd.isna(column_dictionary(two, "police").set_index("name").loc["dob", "description"])
    with pytest.raises(ValidationError, match="Did you mean 'surname'"):
        set_column_description(two, "police", "surnam", "x")


def test_column_dictionary_joins_roles(two) -> None:
    two.query(
        "INSERT INTO wb.column_roles (dataset, column_name, role, confirmed) VALUES (?, ?, ?, ?)",
        ["police", "surname", "surname", True],
    )
    cols = column_dictionary(two, "police").set_index("name")
    assert cols.loc["surname", "role"] == "surname"
    assert bool(cols.loc["surname", "confirmed"]) is True
    assert pd.isna(cols.loc["forename", "role"])


def test_preview(two) -> None:
    df = preview(two, "police")
    assert df["forename"].tolist() == ["Ann", "Bob"]
    assert len(preview(two, "police", limit=1)) == 1
    assert len(preview(two, "police", limit=0)) == 0


def test_not_found_suggests_close_names(two) -> None:
    with pytest.raises(DatasetNotFoundError) as caught:
        get_dataset(two, "polce")
    message = str(caught.value)
    assert "'polce'" in message
    assert "Did you mean 'police'" in message
    assert "courts" in message  # what exists
    with pytest.raises(DatasetNotFoundError):
        preview(two, "x'; DROP TABLE data.police; --")
    assert two.table_exists("data", "police")


def test_not_found_in_empty_workspace(ws) -> None:
    with pytest.raises(DatasetNotFoundError, match="no datasets yet"):
        get_dataset(ws, "anything")


def test_delete_removes_everything(two) -> None:
    two.query(
        "INSERT INTO wb.column_roles (dataset, column_name, role) VALUES (?, ?, ?)",
        ["police", "surname", "surname"],
    )
    two.query(
        "INSERT INTO wb.profiles (dataset, computed_at, profile) VALUES (?, now(), ?)",
        ["police", "{}"],
    )
    delete_dataset(two, "police", actor="bea")
    assert not two.table_exists("data", "police")
    # Every table that refers to datasets, including any added later: its owner must forget them.
    referring = [
        table
        for (table,) in two.query(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'wb' AND column_name = 'dataset'"
        )
    ]
    assert {"columns", "profiles", "column_roles"} <= set(referring)
    for table in referring:
        count = two.query(f"SELECT count(*) FROM wb.{table} WHERE dataset = ?", ["police"])
        assert count[0][0] == 0, table
    assert names(list_datasets(two)) == ["courts"]
    assert len(column_dictionary(two, "courts")) == 3  # the other dataset is untouched
    log = two.audit_log()
    assert log[log["action"] == "dataset.delete"]["target"].tolist() == ["police"]
    with pytest.raises(DatasetNotFoundError):
        delete_dataset(two, "police")


def test_delete_is_all_or_nothing(two, monkeypatch) -> None:
    def fail(*args, **kwargs) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(two, "audit", fail)
    with pytest.raises(RuntimeError):
        delete_dataset(two, "police")
    assert two.table_exists("data", "police")
    assert len(column_dictionary(two, "police")) == 4


def test_versions_chain_and_delete_relinks(ws) -> None:
    for _ in range(3):
        import_file(ws, POLICE_CSV, filename="police.csv", on_conflict="version")
    import_file(ws, COURTS_CSV, filename="police_extra.csv")
    chain = dataset_versions(ws, "police_v3")
    assert names(chain) == ["police", "police_v2", "police_v3"]
    assert [d.version for d in chain] == [1, 2, 3]
    assert names(dataset_versions(ws, "police")) == ["police", "police_v2", "police_v3"]
    assert names(dataset_versions(ws, "police_extra")) == ["police_extra"]
    delete_dataset(ws, "police_v2")
    assert get_dataset(ws, "police_v3").previous_version == "police"
    nxt = import_file(ws, POLICE_CSV, filename="police.csv", on_conflict="version")
    assert (nxt.name, nxt.version, nxt.previous_version) == ("police_v4", 4, "police_v3")


def test_import_frame_kind_and_sample(ws) -> None:
    df = pd.DataFrame({"Person ID": [1, 2], "Name": ["a", "b"]})
    info = import_frame(ws, df, "demo_people", kind="sample", is_sample=True, title="Demo")
    assert (info.kind, info.is_sample, info.source_format, info.title) == (
        "sample",
        True,
        "dataframe",
        "Demo",
    )
    assert names(list_datasets(ws, kind="sample")) == ["demo_people"]
    cols = column_dictionary(ws, "demo_people")
    assert cols["name"].tolist() == ["person_id", "name"]
    assert cols["description"].iloc[0] == "Original header: 'Person ID'"
