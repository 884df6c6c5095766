"""Importing files: formats, encodings, delimiters, types, errors, all-or-nothing, lineage."""

from __future__ import annotations

import hashlib
import io
import json
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from workbench.data import catalogue, coltypes, decoding, headers, readers, writing
from workbench.data import delimited as delimited_text
from workbench.data.importer import import_file, read_file
from workbench.data.writing import import_frame
from workbench.errors import DataImportError, DatasetExistsError, InvalidValuesError

PEOPLE_ROWS = [
    ("1", "Ann", "Smith", "1990-01-02", "SW1A 1AA"),
    ("2", "Bob", "Jones", "1985-12-31", "M1 1AE"),
    ("3", "Chloé", "O'Neil", "2001-07-04", "B33 8TH"),
]
HEADER = ("id", "first_name", "surname", "dob", "postcode")


def delimited(sep: str, rows: list[tuple[str, ...]] = PEOPLE_ROWS) -> str:
    """Rows as delimited text with the standard header."""
    return "\n".join(sep.join(r) for r in [HEADER, *rows]) + "\n"


def assert_people(ws, name: str) -> None:
    """The imported people dataset has the right shape, types and values."""
    df = catalogue.preview(ws, name)
    assert list(df.columns) == list(HEADER)
    assert df["id"].tolist() == [1, 2, 3]
    assert df["first_name"].tolist() == ["Ann", "Bob", "Chloé"]
    assert df["surname"].tolist() == ["Smith", "Jones", "O'Neil"]
    types = dict(catalogue.column_dictionary(ws, name)[["name", "dtype"]].values)
    assert types == {
        "id": "BIGINT",
        "first_name": "VARCHAR",
        "surname": "VARCHAR",
        "dob": "DATE",
        "postcode": "VARCHAR",
    }
    dobs = ws.query(f"SELECT dob FROM {ws.dataset_table(name)} ORDER BY id")
    assert [r[0] for r in dobs] == [date(1990, 1, 2), date(1985, 12, 31), date(2001, 7, 4)]


# ----------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    ("filename", "payload"),
    [
        ("people.csv", delimited(",").encode("utf-8")),
        ("people.tsv", delimited("\t").encode("utf-8")),
        ("people.txt", delimited("\t").encode("utf-8")),
        ("people.csv", delimited(";").encode("utf-8")),
        ("people.csv", delimited("|").encode("utf-8")),
        ("people.csv", b"\xef\xbb\xbf" + delimited(",").encode("utf-8")),
        ("people.csv", delimited(",").encode("utf-16")),
        ("people.csv", delimited(",").replace("\n", "\r\n").encode("utf-8")),
    ],
    ids=["csv", "tsv", "txt-tab", "semicolon", "pipe", "utf8-bom", "utf16", "crlf"],
)
def test_delimited_round_trip(ws, filename: str, payload: bytes) -> None:
    info = import_file(ws, payload, filename=filename)
    assert info.name == "people"
    assert info.row_count == 3
    assert info.column_count == 5
    assert_people(ws, "people")


def test_bom_does_not_leak_into_first_header(ws) -> None:
    import_file(ws, b"\xef\xbb\xbf" + delimited(",").encode("utf-8"), filename="p.csv")
    first = catalogue.column_dictionary(ws, "p").iloc[0]
    assert first["name"] == "id"
    assert first["description"] is None or pd.isna(first["description"])


def test_cp1252_with_pound_and_accent(ws) -> None:
    text = "name,amount,note\nRené,£5,café\nZoë,£10,naïve\n"
    info = import_file(ws, text.encode("cp1252"), filename="fines.csv")
    df = catalogue.preview(ws, info.name)
    assert df["name"].tolist() == ["René", "Zoë"]
    assert df["amount"].tolist() == ["£5", "£10"]
    assert df["note"].tolist() == ["café", "naïve"]


def test_quoted_fields_with_delimiters_and_newlines(ws) -> None:
    text = 'id,address\n1,"1 High St, Leeds"\n2,"Flat 2\nThe Court"\n3,"say ""hi"""\n'
    import_file(ws, text.encode(), filename="addr.csv")
    df = catalogue.preview(ws, "addr")
    assert df["address"].tolist() == ["1 High St, Leeds", "Flat 2\nThe Court", 'say "hi"']


def test_parquet_round_trip(ws, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "ID": [1, 2, 3],
            "Name": ["Ann", "Bob", None],
            "Born": pd.to_datetime(["1990-01-02", "1985-12-31", "2001-07-04"]).date,
            "Score": [1.5, None, 3.0],
        }
    )
    path = tmp_path / "people.parquet"
    frame.to_parquet(path)
    info = import_file(ws, path)
    assert (info.source_format, info.row_count, info.column_count) == ("parquet", 3, 4)
    types = dict(catalogue.column_dictionary(ws, "people")[["name", "dtype"]].values)
    assert types == {"id": "BIGINT", "name": "VARCHAR", "born": "DATE", "score": "DOUBLE"}
    df = catalogue.preview(ws, "people")
    assert df["name"].tolist()[:2] == ["Ann", "Bob"]
    assert pd.isna(df["name"].iloc[2])


def test_xlsx_round_trip(ws) -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "first_name": ["Ann", "Bob", "Chloé"],
            "surname": ["Smith", "Jones", "O'Neil"],
            "dob": [datetime(1990, 1, 2), datetime(1985, 12, 31), datetime(2001, 7, 4)],
            "postcode": ["SW1A 1AA", "M1 1AE", "B33 8TH"],
        }
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        frame.to_excel(writer, sheet_name="People", index=False)
    data = buffer.getvalue()
    info = import_file(ws, data, filename="people.xlsx", sheet="People")
    assert info.source_format == "excel"
    assert_people(ws, "people")
    with pytest.raises(DataImportError, match="no sheet 'Missing'") as caught:
        read_file(data, filename="people.xlsx", sheet="Missing")
    assert "Notes, People" in str(caught.value)


def test_json_list_of_records(ws) -> None:
    records = [dict(zip(HEADER, row, strict=True)) for row in PEOPLE_ROWS]
    for record in records:
        record["id"] = int(record["id"])
    info = import_file(ws, json.dumps(records).encode(), filename="people.json")
    assert info.source_format == "json"
    assert_people(ws, "people")


def test_jsonl_records(ws) -> None:
    lines = [json.dumps(dict(zip(HEADER, row, strict=True))) for row in PEOPLE_ROWS]
    info = import_file(ws, ("\n".join(lines) + "\n\n").encode(), filename="people.jsonl")
    assert info.source_format == "jsonl"
    assert_people(ws, "people")


def test_json_nested_values_kept_as_json_text() -> None:
    data = json.dumps([{"id": 1, "tags": ["a", "b"]}, {"id": 2, "extra": {"k": 1}}]).encode()
    df = read_file(data, filename="n.json")
    assert list(df.columns) == ["id", "tags", "extra"]
    assert df["tags"].iloc[0] == '["a", "b"]'
    assert pd.isna(df["extra"].iloc[0])


def test_import_from_path_names_dataset_after_file(ws, tmp_path: Path) -> None:
    path = tmp_path / "Police Extract 2024.csv"
    path.write_text(delimited(","), encoding="utf-8")
    info = import_file(ws, path)
    assert info.name == "police_extract_2024"
    assert info.source_file == "Police Extract 2024.csv"
    assert_people(ws, info.name)
    info2 = import_file(ws, str(path), "by_str_path")
    assert info2.row_count == 3


# --------------------------------------------------------------- type inference


def test_type_inference() -> None:
    text = (
        "count,amount,flag,iso,uk,stamp,postcode,phone,urn,pnc,mixed_zero,big,maybe\n"
        "1,1.5,true,2024-01-31,31/01/2024,2024-01-31 09:30:00,SW1A 1AA,07700900123,"
        "01AB2345624,2001/0000012A,0123,123456789012345678901,NA\n"
        "-20,2,False,2023-12-01,01/12/2023,31/01/2024 10:15,M1 1AE,07700900124,"
        "42XY9876524,,456,2,7\n"
        ",,,,,,,,,,,,\n"
        "3,,yes,,,,,,,,,,\n"
    )
    df = read_file(text.encode(), filename="types.csv")
    assert str(df["count"].dtype) == "Int64"
    assert df["count"].tolist()[:2] == [1, -20]
    assert str(df["amount"].dtype) == "Float64"
    assert str(df["flag"].dtype) == "boolean"
    assert df["flag"].tolist()[:2] == [True, False]
    assert df["iso"].iloc[0] == date(2024, 1, 31)
    assert df["uk"].tolist()[:2] == [date(2024, 1, 31), date(2023, 12, 1)]
    assert str(df["stamp"].dtype).startswith("datetime64")
    assert df["stamp"].iloc[1] == pd.Timestamp(2024, 1, 31, 10, 15)
    for column in ("postcode", "phone", "urn", "pnc", "mixed_zero", "big"):
        assert pd.api.types.is_string_dtype(df[column]), column
    assert df["phone"].iloc[0] == "07700900123"
    assert df["mixed_zero"].tolist()[:2] == ["0123", "456"]
    assert str(df["maybe"].dtype) == "Int64"
    assert pd.isna(df["maybe"].iloc[0])
    assert len(df) == 3  # the all-blank row carries no data


def test_types_stored_in_workspace(ws) -> None:
    text = "n,d,uk,zip,ok\n1,2024-02-29,29/02/2024,01234,yes\n2,2024-03-01,01/03/2024,00001,no\n"
    import_file(ws, text.encode(), filename="t.csv")
    types = dict(catalogue.column_dictionary(ws, "t")[["name", "dtype"]].values)
    assert types == {"n": "BIGINT", "d": "DATE", "uk": "DATE", "zip": "VARCHAR", "ok": "BOOLEAN"}
    zips = ws.query(f"SELECT zip FROM {ws.dataset_table('t')} ORDER BY n")
    assert [r[0] for r in zips] == ["01234", "00001"]


def test_impossible_dates_stay_text() -> None:
    df = read_file(b"d\n31/02/2024\n01/01/2024\n", filename="d.csv")
    assert pd.api.types.is_string_dtype(df["d"])


def test_column_names_cleaned_and_originals_kept(ws) -> None:
    text = 'Name,,Name,a"b,  Date of Birth \n1,2,3,4,5\n'
    import_file(ws, text.encode(), filename="h.csv")
    cols = catalogue.column_dictionary(ws, "h")
    assert cols["name"].tolist() == ["name", "column_2", "name_2", "a_b", "date_of_birth"]
    descriptions = cols["description"].tolist()
    assert descriptions[1] == "Original header: (blank)"
    assert "'Name'" in descriptions[2]
    assert 'a"b' in descriptions[3]


def test_import_frame_keeps_quote_in_column_name_safely(ws) -> None:
    df = pd.DataFrame({'a"b': [1, 2], "x; DROP TABLE wb.datasets; --": ["p", "q"]})
    import_frame(ws, df, "odd")
    cols = catalogue.column_dictionary(ws, "odd")["name"].tolist()
    assert cols == ["a_b", "x_drop_table_wb_datasets"]
    assert catalogue.preview(ws, "odd")["a_b"].tolist() == [1, 2]
    assert ws.table_exists("wb", "datasets")


# ------------------------------------------------------------------ bad input


def expect_import_error(ws, snapshot, payload, filename, **kwargs) -> DataImportError:
    """Import must fail with DataImportError and leave the workspace exactly as it was."""
    before = snapshot()
    with pytest.raises(DataImportError) as caught:
        import_file(ws, payload, filename=filename, **kwargs)
    assert snapshot() == before
    return caught.value


def test_empty_file(ws, snapshot) -> None:
    error = expect_import_error(ws, snapshot, b"", "empty.csv")
    assert "empty" in str(error)
    error = expect_import_error(ws, snapshot, b"  \n\n", "blank.csv")
    assert "empty" in str(error)


def test_header_only(ws, snapshot) -> None:
    error = expect_import_error(ws, snapshot, b"id,name\n", "header.csv")
    assert "header but no rows" in str(error)
    assert error.problems[0].file == "header.csv"


def test_ragged_rows_named(ws, snapshot) -> None:
    text = "id,name,dob\n1,Ann,1990-01-01\n2,Bob\n3,Cy,1991-01-01,extra\n4,Di,1992-01-01\n"
    error = expect_import_error(ws, snapshot, text.encode(), "ragged.csv")
    rows = [p.row for p in error.problems if p.row is not None]
    assert rows == [3, 4]
    message = str(error)
    assert "row 3" in message and "row 4" in message
    assert "has 2 fields but the header has 3" in message
    assert "ragged.csv" in message


def test_trailing_empty_fields_are_not_ragged() -> None:
    df = read_file(b"a,b\n1,2,\n3,4\n", filename="t.csv")
    assert df["a"].tolist() == [1, 3]


@pytest.mark.parametrize(
    "payload",
    [
        bytes(range(256)) * 8,
        random.Random(7).randbytes(4096),
        b"\xff\xfe" + "id,name\n1,Ann\n".encode("utf-16-le")[:-1] + b"\x00\xd8",
    ],
    ids=["all-bytes", "random", "bad-utf16"],
)
def test_undecodable_bytes(ws, snapshot, payload: bytes) -> None:
    error = expect_import_error(ws, snapshot, payload, "binary.csv")
    assert "binary.csv" in str(error)
    assert "UTF" in str(error)


def test_unknown_extension(ws, snapshot) -> None:
    error = expect_import_error(ws, snapshot, b"id\n1\n", "people.docx")
    message = str(error)
    assert ".docx" in message
    for extension in (".csv", ".parquet", ".xlsx", ".json"):
        assert extension in message


def test_oversized_file(ws, snapshot, tmp_path: Path) -> None:
    payload = delimited(",").encode()
    error = expect_import_error(ws, snapshot, payload, "big.csv", max_bytes=10)
    message = str(error)
    assert f"{len(payload)} bytes" in message and "10 bytes" in message
    assert "WORKBENCH_MAX_IMPORT_MB" in message
    path = tmp_path / "big.csv"
    path.write_bytes(payload)
    with pytest.raises(DataImportError, match="WORKBENCH_MAX_IMPORT_MB"):
        import_file(ws, path, max_bytes=10)


def test_size_limit_from_environment(ws, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_MAX_IMPORT_MB", "0.00001")
    with pytest.raises(DataImportError, match="larger than the import limit"):
        import_file(ws, delimited(",").encode(), filename="p.csv")


def test_missing_path(ws, snapshot, tmp_path: Path) -> None:
    before = snapshot()
    with pytest.raises(DataImportError, match="does not exist"):
        import_file(ws, tmp_path / "nope.csv")
    assert snapshot() == before


def test_invalid_name_reported_with_file_problems(ws, snapshot) -> None:
    error = expect_import_error(ws, snapshot, b"a\n", "x.csv", name="Bad Name!")
    message = str(error)
    assert "'Bad Name!' is not a valid dataset name" in message
    assert "header but no rows" not in message or len(error.problems) == 2
    error = expect_import_error(ws, snapshot, b"a\n1\n", "x.csv", name='x"; DROP TABLE y; --')
    assert "not a valid dataset name" in str(error)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"id": 1}', "top level is a JSON object"),
        (b"[1, 2]", "not an object"),
        (b'[{"id": 1}, "x"]', "row 2"),
        (b"[]", "no records"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_json_not_records(ws, snapshot, payload: bytes, expected: str) -> None:
    error = expect_import_error(ws, snapshot, payload, "bad.json")
    assert expected in str(error)


def test_jsonl_bad_line_named(ws, snapshot) -> None:
    payload = b'{"id": 1}\n{oops\n[3]\n'
    error = expect_import_error(ws, snapshot, payload, "bad.jsonl")
    assert [p.row for p in error.problems] == [2, 3]


@pytest.mark.parametrize("filename", ["bad.parquet", "bad.xlsx"])
def test_unreadable_binary_formats(ws, snapshot, filename: str) -> None:
    error = expect_import_error(ws, snapshot, b"this is not that format at all", filename)
    assert "cannot be read" in str(error)


def test_excel_header_only(ws, snapshot) -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"id": [], "name": []}).to_excel(buffer, index=False)
    error = expect_import_error(ws, snapshot, buffer.getvalue(), "h.xlsx")
    assert "header but no rows" in str(error)


# -------------------------------------------------------------- name conflicts


def test_duplicate_name_refused(ws, snapshot) -> None:
    import_file(ws, delimited(",").encode(), filename="people.csv")
    before = snapshot()
    with pytest.raises(DatasetExistsError) as caught:
        import_file(ws, delimited(";").encode(), filename="people.csv")
    assert "another name" in str(caught.value) and "version" in str(caught.value)
    assert snapshot() == before


def test_versioning_creates_next_version(ws) -> None:
    first = import_file(ws, delimited(",").encode(), filename="people.csv")
    rows = [*PEOPLE_ROWS, ("4", "Dee", "Ray", "1970-01-01", "LS1 1AA")]
    second = import_file(
        ws, delimited(",", rows).encode(), filename="people.csv", on_conflict="version"
    )
    third = import_file(
        ws, delimited(",").encode(), "people_v2", filename="p.csv", on_conflict="version"
    )
    assert (first.name, first.version, first.previous_version) == ("people", 1, None)
    assert (second.name, second.version, second.previous_version) == ("people_v2", 2, "people")
    assert (third.name, third.version, third.previous_version) == ("people_v3", 3, "people_v2")
    assert catalogue.get_dataset(ws, "people").row_count == 3
    assert second.row_count == 4
    assert [d.name for d in catalogue.dataset_versions(ws, "people_v2")] == [
        "people",
        "people_v2",
        "people_v3",
    ]


# ---------------------------------------------------------------- all or nothing


def test_failure_after_table_created_leaves_nothing(ws, snapshot, monkeypatch) -> None:
    before = snapshot()
    created: list[bool] = []

    def fail(*args, **kwargs) -> None:
        created.append(ws.table_exists("data", "people") is False)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(ws, "audit", fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        import_file(ws, delimited(",").encode(), filename="people.csv")
    assert created == [True]  # the audit step was reached, inside the transaction
    assert snapshot() == before
    assert not ws.table_exists("data", "people")
    monkeypatch.undo()
    info = import_file(ws, delimited(",").encode(), filename="people.csv")
    assert info.name == "people"


def test_failure_writing_columns_leaves_nothing(ws, snapshot, monkeypatch) -> None:
    before = snapshot()

    def broken(original: str) -> str:
        raise ValueError("boom")

    monkeypatch.setattr(writing, "original_header_description", broken)
    with pytest.raises(ValueError, match="boom"):
        import_file(ws, b"Name\nAnn\n", filename="x.csv")
    assert snapshot() == before


# --------------------------------------------------------------------- lineage


def test_lineage_fields(ws, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_USER", "env_user")
    payload = delimited(",").encode()
    info = import_file(
        ws,
        payload,
        filename="People.CSV",
        title="People",
        source_system="police",
        owner="Data team",
        refresh_date="2024-03-31",
    )
    assert info.source_file == "People.CSV"
    assert info.source_sha256 == hashlib.sha256(payload).hexdigest()
    assert info.source_bytes == len(payload)
    assert info.source_format == "csv"
    assert info.imported_by == "env_user"
    assert info.refresh_date == date(2024, 3, 31)
    assert (info.title, info.source_system, info.owner) == ("People", "police", "Data team")
    assert info.imported_at is not None
    utc_now = datetime.now(UTC).replace(tzinfo=None)
    assert abs((utc_now - info.imported_at).total_seconds()) < 60
    other = import_file(ws, payload, "people_again", filename="p.csv", actor="alice")
    assert other.imported_by == "alice"
    audit = ws.audit_log()
    imports = audit[audit["action"] == "dataset.import"]
    assert set(imports["target"]) == {"people", "people_again"}
    detail = json.loads(imports[imports["target"] == "people"]["detail"].iloc[0])
    assert detail["source_sha256"] == info.source_sha256
    assert detail["rows"] == 3


def test_bad_refresh_date_rejected(ws, snapshot) -> None:
    error = expect_import_error(
        ws, snapshot, delimited(",").encode(), "p.csv", refresh_date="last Tuesday"
    )
    assert "refresh_date" in str(error)


def test_importer_writes_no_profiles_or_roles(ws) -> None:
    import_file(ws, delimited(",").encode(), filename="people.csv")
    assert ws.query("SELECT count(*) FROM wb.profiles")[0][0] == 0
    assert ws.query("SELECT count(*) FROM wb.column_roles")[0][0] == 0


def test_read_file_touches_no_workspace(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(delimited(","), encoding="utf-8")
    df = read_file(path)
    assert df.shape == (3, 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


# ------------------------------------------------ imports that never surprise


def test_numbers_with_a_leading_plus_stay_text(ws) -> None:
    """Phone numbers (+44...) and signed scores (+7) are kept as written, not parsed."""
    data = b"id,phone,score\n1,+447700900123,+7\n2,+447700900456,-3\n3,+447700900789,+12\n"
    import_file(ws, data, "calls", filename="calls.csv")
    df = catalogue.preview(ws, "calls")
    assert df["phone"].tolist() == ["+447700900123", "+447700900456", "+447700900789"]
    assert df["score"].tolist() == ["+7", "-3", "+12"]


def test_unclosed_quote_is_refused_with_its_row_and_column(ws, snapshot) -> None:
    """A quote that never closes would swallow the rest of the file into one value."""
    before = snapshot()
    data = b'id,name,town\n1,Ann,Leeds\n2,"Smith,York\n3,Jones,Hull\n4,Brown,Bath\n'
    with pytest.raises(DataImportError) as caught:
        import_file(ws, data, "people", filename="people.csv")
    assert "never closed" in caught.value.message
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "name")
    assert snapshot() == before


def test_quoted_values_over_several_lines_still_import(ws) -> None:
    """An address with a line break inside closed quotes is one value, not a refusal."""
    data = b'id,address\n1,"12 High St\nLeeds"\n2,"5 Low Rd, York"\n'
    import_file(ws, data, "addresses", filename="addresses.csv")
    assert catalogue.preview(ws, "addresses")["address"].tolist() == [
        "12 High St\nLeeds",
        "5 Low Rd, York",
    ]


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_json_is_refused(ws, snapshot, depth: int) -> None:
    """Nesting past the limit is refused in one line (not a recursion traceback)."""
    before = snapshot()
    text = '[{"id": 1, "x": ' + '{"a": ' * depth + "1" + "}" * depth + "}]"
    with pytest.raises(DataImportError) as caught:
        import_file(ws, text.encode(), "deep", filename="deep.json")
    assert f"more than {readers.MAX_JSON_DEPTH} levels deep" in caught.value.message
    assert snapshot() == before
    lines = "\n".join(['{"id": 1}', '{"id": 2, "x": ' + "[" * depth + "]" * depth + "}"])
    with pytest.raises(DataImportError) as caught:
        import_file(ws, lines.encode(), "deep", filename="deep.jsonl")
    assert caught.value.problems[0].row == 2


def test_shallow_nesting_imports_as_json_text(ws) -> None:
    """Records with a nested value well inside the limit import, the value as JSON text."""
    data = b'[{"id": 1, "x": {"a": [1, 2]}}, {"id": 2, "x": null}]'
    import_file(ws, data, "nested", filename="nested.json")
    assert catalogue.preview(ws, "nested")["x"].tolist()[0] == '{"a": [1, 2]}'


def test_mixed_encodings_are_refused_naming_both_rows(ws, snapshot) -> None:
    """UTF-8 rows beside Windows-1252 rows would garble one or the other."""
    before = snapshot()
    data = "id,name\n1,José\n".encode() + "2,Zoë\n".encode("cp1252")
    with pytest.raises(DataImportError) as caught:
        import_file(ws, data, "names", filename="names.csv")
    assert "mixes text encodings" in caught.value.message
    assert [p.row for p in caught.value.problems] == [2, 3]
    assert snapshot() == before
    import_file(ws, "id,name\n1,José\n2,Zoë\n".encode("cp1252"), "names", filename="names.csv")
    assert catalogue.preview(ws, "names")["name"].tolist() == ["José", "Zoë"]


def _dates_file() -> bytes:
    rows = [f"{i},2001-01-{i % 28 + 1:02d}" for i in range(1, 41)]
    rows[9] = "10,2001-02-30"
    rows[19] = "20,not known"
    return ("id,dob\n" + "\n".join(rows) + "\n").encode()


def test_invalid_dates_are_refused_with_counts_and_rows(ws, snapshot) -> None:
    """A date column with a few values that are not dates is named, not silently text."""
    before = snapshot()
    with pytest.raises(InvalidValuesError) as caught:
        import_file(ws, _dates_file(), "dates", filename="dates.csv")
    [problem] = caught.value.problems
    assert problem.column == "dob"
    assert "2 of 40 values are not dates" in problem.message
    assert "row 11 '2001-02-30'" in problem.message
    assert "row 21 'not known'" in problem.message
    assert snapshot() == before


def test_invalid_values_can_be_imported_as_missing_or_as_text(ws) -> None:
    """The analyst's choice is applied and written in the column dictionary."""
    import_file(ws, _dates_file(), "as_missing", filename="dates.csv", invalid="missing")
    df = catalogue.preview(ws, "as_missing", limit=100)
    assert df["dob"].isna().sum() == 2
    assert pd.Timestamp(df["dob"].dropna().iloc[0]).date() == date(2001, 1, 2)
    dictionary = catalogue.column_dictionary(ws, "as_missing").set_index("name")
    assert dictionary.loc["dob", "dtype"] == "DATE"
    assert "imported as missing" in dictionary.loc["dob", "description"]
    import_file(ws, _dates_file(), "as_text", filename="dates.csv", invalid="text")
    dictionary = catalogue.column_dictionary(ws, "as_text").set_index("name")
    assert dictionary.loc["dob", "dtype"] == "VARCHAR"
    assert "kept as text" in dictionary.loc["dob", "description"]


def test_words_in_a_number_column_are_invalid_but_codes_are_text(ws) -> None:
    """'unknown' among ages is an invalid number; leading zeros or '+' mark an identifier."""
    ages = "age\n" + "\n".join(str(20 + i) for i in range(30)) + "\nunknown\n"
    with pytest.raises(InvalidValuesError) as caught:
        import_file(ws, ages.encode(), "ages", filename="ages.csv")
    assert "1 of 31 values are not whole numbers" in caught.value.problems[0].message
    codes = "code\n" + "\n".join(str(100 + i) for i in range(30)) + "\n0042\n+7\n"
    import_file(ws, codes.encode(), "codes", filename="codes.csv")
    assert catalogue.preview(ws, "codes", limit=100)["code"].tolist()[-2:] == ["0042", "+7"]


def test_rows_gathered_in_chunks_keep_their_order_and_rows(ws, monkeypatch) -> None:
    """Rows move into Arrow columns a chunk at a time; order and file rows are kept."""
    monkeypatch.setattr(delimited_text, "CHUNK_ROWS", 3)
    body = [f"{i},name {i},2001-01-{i % 28 + 1:02d}" for i in range(1, 31)]
    body[24] = "25,name 25,31/02/2001"
    data = ("id,name,dob\n" + "\n\n".join(body) + "\n").encode()
    with pytest.raises(InvalidValuesError) as caught:
        import_file(ws, data, "chunks", filename="chunks.csv")
    assert "row 50 '31/02/2001'" in caught.value.problems[0].message
    import_file(ws, data, "chunks", filename="chunks.csv", invalid="missing")
    df = catalogue.preview(ws, "chunks", limit=100)
    assert df["id"].tolist() == list(range(1, 31))
    assert df["name"].tolist()[-1] == "name 30"


def test_a_file_wider_than_the_limit_is_refused(ws, snapshot, monkeypatch) -> None:
    """A transposed or malformed file with thousands of columns is refused at its header."""
    monkeypatch.setattr(headers, "MAX_IMPORT_COLUMNS", 50)
    before = snapshot()
    header = ",".join(f"c{i}" for i in range(51))
    with pytest.raises(DataImportError) as caught:
        import_file(ws, f"{header}\n{','.join('1' * 51)}\n".encode(), "w", filename="w.csv")
    assert "has 51 columns" in caught.value.message
    records = json.dumps([{f"c{i}": i for i in range(51)}]).encode()
    with pytest.raises(DataImportError, match="has 51 columns"):
        import_file(ws, records, "w", filename="w.json")
    assert snapshot() == before


# ------------------------------------------------------- streamed reading and typing


STREAM_PAYLOADS = {
    "utf8": delimited(",").encode("utf-8"),
    "utf8-bom-crlf": b"\xef\xbb\xbf" + delimited(",").replace("\n", "\r\n").encode("utf-8"),
    "utf16": delimited(";").encode("utf-16"),
    "utf16-be": b"\xfe\xff" + delimited(",").encode("utf-16-be"),
    "cp1252": "name,amount\nRené,£5\nZoë,€10\n".encode("cp1252"),
    "quoted-lines": b'id,address\n1,"Flat 2\r\nThe Court"\n2,"say ""hi"""\n',
    "old-mac": b"id,name\r1,Ann\r2,Bob\r",
    "unclosed": b'id,name,town\n1,Ann,Leeds\n2,"Smith,York\n3,Jones,Hull\n',
    "mixed": "id,name\n1,José\n".encode() + "2,Zoë\n".encode("cp1252"),
    "ragged": b"id,name\n1,Ann\n2\n",
}


def _outcome(payload: bytes) -> object:
    """What reading a payload gives: the columns, types and values, or the error and rows."""
    try:
        df = read_file(payload, filename="s.csv", invalid="missing")
    except DataImportError as exc:
        return (exc.message, [(p.message, p.row, p.column) for p in exc.problems])
    return [(c, str(df[c].dtype), df[c].astype(object).tolist()) for c in df.columns]


@pytest.mark.parametrize("payload", list(STREAM_PAYLOADS.values()), ids=list(STREAM_PAYLOADS))
def test_text_read_in_small_pieces_reads_the_same(monkeypatch, payload: bytes) -> None:
    """Pieces that split characters, line endings and quotes change nothing that is read."""
    whole = _outcome(payload)
    for size in (1, 2, 3, 7):
        monkeypatch.setattr(decoding, "READ_BYTES", size)
        assert _outcome(payload) == whole, size


def test_old_mac_line_endings_split_rows() -> None:
    df = read_file(b"id,name\r1,Ann\r2,Bob\r", filename="mac.csv")
    assert df["id"].tolist() == [1, 2]
    assert df["name"].tolist() == ["Ann", "Bob"]


def test_csv_path_is_streamed_and_its_lineage_recorded(ws, tmp_path: Path, monkeypatch) -> None:
    """A delimited file is read a piece at a time, never whole; its hash and size still match."""
    path = tmp_path / "people.csv"
    path.write_bytes(delimited(",").encode())

    def whole(self: Path) -> bytes:
        raise AssertionError("a delimited file was read whole")

    monkeypatch.setattr(Path, "read_bytes", whole)
    info = import_file(ws, path)
    monkeypatch.undo()
    assert info.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.source_bytes == path.stat().st_size
    assert_people(ws, "people")


def test_typing_ignores_case_and_padding_of_tokens(ws) -> None:
    """Missing-value words and yes/no in any case, padded values, decimals and timestamps."""
    text = (
        "n,flag,amount,seen,uk_seen\n"
        " 12 ,YES,1.5,2024-01-31T09:30:00Z,31/01/2024 09:30\n"
        "NULL,no,N/A,2024-02-01 10:00:00.5,01/02/2024 10:00:05\n"
        "7,True,2e3,none,-\n"
    )
    import_file(ws, text.encode(), "tokens", filename="tokens.csv")
    types = dict(catalogue.column_dictionary(ws, "tokens")[["name", "dtype"]].values)
    assert types == {
        "n": "BIGINT",
        "flag": "BOOLEAN",
        "amount": "DOUBLE",
        "seen": "TIMESTAMP",
        "uk_seen": "TIMESTAMP",
    }
    rows = ws.query(f"SELECT * FROM {ws.dataset_table('tokens')}")
    assert rows[0] == (
        12,
        True,
        1.5,
        datetime(2024, 1, 31, 9, 30),
        datetime(2024, 1, 31, 9, 30),
    )
    assert rows[1] == (
        None,
        False,
        None,
        datetime(2024, 2, 1, 10, 0, 0, 500000),
        datetime(2024, 2, 1, 10, 0, 5),
    )
    assert rows[2] == (7, True, 2000.0, None, None)


def test_near_typed_timestamps_and_decimals_imported_as_missing(ws) -> None:
    """Invalid values in timestamp and decimal columns are counted, named and made missing."""
    stamps = [f"2024-01-{i % 28 + 1:02d} 10:{i % 60:02d}" for i in range(30)]
    amounts = [f"{i}.5" for i in range(30)]
    stamps[4], amounts[7] = "2024-02-30 10:00", "about 3"
    text = "seen_at,amount\n" + "".join(f"{a},{b}\n" for a, b in zip(stamps, amounts, strict=True))
    with pytest.raises(InvalidValuesError) as caught:
        import_file(ws, text.encode(), "near", filename="near.csv")
    messages = {p.column: p.message for p in caught.value.problems}
    assert messages["seen_at"].startswith("1 of 30 values are not dates and times (row 6 ")
    assert messages["amount"] == "1 of 30 values are not numbers (row 9 'about 3')"
    import_file(ws, text.encode(), "near", filename="near.csv", invalid="missing")
    types = dict(catalogue.column_dictionary(ws, "near")[["name", "dtype"]].values)
    assert types == {"seen_at": "TIMESTAMP", "amount": "DOUBLE"}
    table = ws.dataset_table("near")
    nulls = ws.query(f"SELECT count(*) - count(seen_at), count(*) - count(amount) FROM {table}")
    assert nulls == [(1, 1)]


def test_infer_column_keeps_index_name_and_positions() -> None:
    raw = pd.Series(["2024-01-01"] * 20 + ["soon"], index=range(100, 121), name="due")
    typed, finding = coltypes.infer_column_checked(raw, "missing")
    assert typed.name == "due" and list(typed.index) == list(raw.index)
    assert str(typed.dtype) == "date32[day][pyarrow]"
    assert typed.isna().sum() == 1
    assert finding is not None and finding.examples == ((22, "soon"),)
    assert coltypes.infer_column(pd.Series([1, None, 3], dtype=object)).tolist() == [1, pd.NA, 3]


def test_json_near_typed_values_reported_by_record(ws) -> None:
    records = [{"id": i, "born": f"1990-01-{i % 28 + 1:02d}"} for i in range(1, 31)]
    records[11]["born"] = "unknown"
    with pytest.raises(InvalidValuesError) as caught:
        import_file(ws, json.dumps(records).encode(), "born", filename="born.json")
    assert "row 12 'unknown'" in caught.value.problems[0].message
