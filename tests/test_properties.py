"""Properties that hold for any input: identifier quoting, disclosure control, dates, imports.

Each property runs a modest number of generated examples (no deadline: the machine is shared),
so the whole file stays well under a minute.
"""

from __future__ import annotations

import io
import itertools
import string
from collections.abc import Iterator
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.data.dates import DATE_FORMATS, parse_date_text
from workbench.data.importer import import_file
from workbench.disclosure.control import (
    DEFAULT_THRESHOLD,
    KEY_SPACE,
    perturb_counts,
    protect_frame,
    protect_table,
)
from workbench.errors import ValidationError
from workbench.sql import quote_ident
from workbench.workspace import Workspace

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Each import example writes a dataset to a workspace: fewer examples.
IMPORTS = settings(FAST, max_examples=25)
#: Any text a file or a form can hold (valid UTF-8), without NUL, which identifiers refuse.
CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x00")
ANY_TEXT = st.text(CHARACTERS, min_size=1, max_size=30)
COUNTS = st.integers(min_value=0, max_value=60)
KEYS = st.integers(min_value=0, max_value=KEY_SPACE - 1)


# ------------------------------------------------------------------ identifier quoting
@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory DuckDB connection for the quoting properties."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@FAST
@given(name=ANY_TEXT)
def test_any_name_round_trips_as_a_duckdb_column(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A column created under any quoted name is read back with exactly that name."""
    con.execute(f"CREATE OR REPLACE TABLE t ({quote_ident(name)} INTEGER)")
    con.execute(f"INSERT INTO t ({quote_ident(name)}) VALUES (7)")
    assert [d[0] for d in con.execute("SELECT * FROM t").description] == [name]
    assert con.execute(f"SELECT {quote_ident(name)} FROM t").fetchall() == [(7,)]


@FAST
@given(name=ANY_TEXT)
def test_any_name_round_trips_as_a_duckdb_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A table created under any quoted name is listed under exactly that name."""
    con.execute("CREATE SCHEMA IF NOT EXISTS names")
    con.execute(f"CREATE TABLE names.{quote_ident(name)} (x INTEGER)")
    try:
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'names'"
        ).fetchall()
        assert [r[0] for r in tables] == [name]
    finally:
        con.execute(f"DROP TABLE names.{quote_ident(name)}")


@pytest.mark.parametrize("bad", ["", "a\x00b"])
def test_quoting_refuses_empty_and_nul(bad: str) -> None:
    """The two names no quoting can make safe are refused."""
    with pytest.raises(ValidationError):
        quote_ident(bad)


# ------------------------------------------------------------------ disclosure control
def _shown_counts_are_zero_or_at_least(values: pd.Series, threshold: int) -> bool:
    shown = values.dropna().astype(int)
    return bool(((shown == 0) | (shown >= threshold)).all())


@FAST
@given(
    rows=st.lists(st.tuples(COUNTS, KEYS), min_size=1, max_size=25),
    threshold=st.integers(min_value=1, max_value=15),
)
def test_no_shown_count_is_under_the_threshold(rows: list[tuple[int, int]], threshold: int) -> None:
    """Perturbed or not, a count shown is zero or at least the threshold."""
    frame = pd.DataFrame(rows, columns=["n", "n__key"])
    keyed = protect_frame(frame, ["n"], threshold=threshold)
    assert _shown_counts_are_zero_or_at_least(keyed.table["n"], threshold)
    plain = protect_frame(frame[["n"]], ["n"], threshold=threshold)
    assert _shown_counts_are_zero_or_at_least(plain.table["n"], threshold)
    assert "n__key" not in keyed.table.columns


@FAST
@given(
    cells=st.lists(st.lists(COUNTS, min_size=2, max_size=4), min_size=2, max_size=4).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    )
)
def test_two_way_table_shows_no_small_cell(cells: list[list[int]]) -> None:
    """A two-way table with totals shows no cell from 1 to the threshold less one."""
    table = pd.DataFrame(cells, columns=[f"c{i}" for i in range(len(cells[0]))])
    result = protect_table(table)
    body = result.table.drop(index="Total", columns="Total")
    for column in body.columns:
        assert _shown_counts_are_zero_or_at_least(body[column], DEFAULT_THRESHOLD)


@FAST
@given(
    rows=st.lists(st.tuples(COUNTS, KEYS), min_size=1, max_size=25, unique_by=lambda r: r[1]),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_same_cells_give_the_same_adjusted_figure(rows: list[tuple[int, int]], seed: int) -> None:
    """A cell's adjusted count depends on its count and key only, not on the rest of the table.

    The same cells in another order, or a subset of them, are adjusted exactly as before.
    """
    frame = pd.DataFrame(rows, columns=["n", "n__key"])
    first = perturb_counts(frame["n"], frame["n__key"])
    order = np.random.default_rng(seed).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    again = perturb_counts(shuffled["n"], shuffled["n__key"])
    assert again.tolist() == first.iloc[order].tolist()
    part = shuffled.iloc[: max(1, len(shuffled) // 2)]
    assert perturb_counts(part["n"], part["n__key"]).tolist() == again.iloc[: len(part)].tolist()
    protected = protect_frame(frame, ["n"])
    repeated = protect_frame(frame.copy(), ["n"])
    assert protected.table["n"].equals(repeated.table["n"])
    zeros = frame["n"] == 0
    assert (first[zeros] == 0).all(), "zeros stay zero"


# ------------------------------------------------------------------ dates
DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
FOUR_DIGIT_YEAR_FORMATS = [f for f in DATE_FORMATS if "%y" not in f]


@FAST
@given(day=DATES, fmt=st.sampled_from(FOUR_DIGIT_YEAR_FORMATS))
def test_a_date_written_in_a_format_reads_back(day: date, fmt: str) -> None:
    """Any date written in a recognised four-digit-year format parses back to that date."""
    text = day.strftime(fmt) if fmt != "%Y-%m-%d" else day.isoformat()
    assert parse_date_text(text, fmt) == day


@FAST
@given(day=st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)))
def test_a_two_digit_year_reads_back_within_its_century_window(day: date) -> None:
    """Two-digit years read back to the same day and month, in Python's 1969-2068 window."""
    parsed = parse_date_text(day.strftime("%d/%m/%y"), "%d/%m/%y")
    assert parsed == day


@FAST
@given(text=st.text(max_size=20), fmt=st.sampled_from(DATE_FORMATS))
def test_parsing_never_raises(text: str, fmt: str) -> None:
    """Any text in any format gives a date or None, never an exception."""
    result = parse_date_text(text, fmt)
    assert result is None or isinstance(result, date)


# ------------------------------------------------------------------ importer round trip
#: Cell text: any printable or control character but NUL, after a letter so the column stays
#: text (a column of numbers or dates is typed on import, which another test covers).
CELLS = st.text(CHARACTERS, max_size=25).map(lambda s: "t" + s)
HEADERS = st.text(string.ascii_lowercase, min_size=1, max_size=8)


@pytest.fixture(scope="module")
def import_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace for the import round trips (each example imports a new dataset)."""
    workspace = Workspace(tmp_path_factory.mktemp("import") / "workspace.duckdb")
    yield workspace
    workspace.close()


_dataset_numbers = itertools.count()


@IMPORTS
@given(values=st.lists(CELLS, min_size=1, max_size=12), header=HEADERS)
def test_csv_written_by_pandas_imports_back_identically(
    import_ws: Workspace, values: list[str], header: str
) -> None:
    """Text cells (quotes, commas, line breaks, accents, spaces) import back exactly as written.

    The file is written with CRLF line ends, as Excel writes CSV, so pandas quotes a cell holding
    a carriage return (with its default LF line ends it leaves a lone CR unquoted, which any CSV
    reader takes as a line break).
    """
    column = header if header != "row" else "rowx"
    frame = pd.DataFrame({"row": range(len(values)), column: values})
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    name = f"roundtrip_{next(_dataset_numbers)}"
    info = import_file(import_ws, buffer.getvalue().encode("utf-8"), name, filename="r.csv")
    assert info.row_count == len(values)
    got = import_ws.query(
        f"SELECT {quote_ident(column)} FROM {import_ws.dataset_table(name)} "
        f"ORDER BY {quote_ident('row')}"
    )
    assert [r[0] for r in got] == values
