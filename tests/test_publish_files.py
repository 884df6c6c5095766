"""Every published file opened the way a user's program opens it, and checked against the
Analysis Function's guidance on releasing statistics in spreadsheets.

XLSX is read back with openpyxl, ODS with odfpy (cell value types, number styles, bold, frozen
header rows, column widths), the CSV with pandas and the csv module, and the story PDF with pypdf
(structure tree, language, title, figure alternative text, reading order).
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pypdf
import pytest
from odf import opendocument
from odf.config import ConfigItem, ConfigItemMapEntry
from odf.namespaces import CONFIGNS, FONS, OFFICENS, STYLENS, TABLENS
from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import P

from tests.story_fixtures import small_workspace
from workbench.access.auth import local_user
from workbench.analysis.measures.timeliness import INTERVALS
from workbench.browser import chromium_available
from workbench.publish.export.alt_text import describe_chart
from workbench.publish.export.csv_files import table_metadata, table_to_csv
from workbench.publish.export.disclosure import marked_protection
from workbench.publish.export.files import file_name
from workbench.publish.export.meta import CONTACT_ENV, DEFAULT_CONTACT, TableMeta
from workbench.publish.export.spreadsheets import table_to_ods, table_to_xlsx
from workbench.publish.stories.document import story_html
from workbench.publish.stories.document import story_pdf as print_story
from workbench.publish.stories.model import Block
from workbench.publish.stories.render import render_block
from workbench.publish.stories.sources import SOURCES, mark_span, series_headline
from workbench.publish.stories.store import load_story
from workbench.workspace import Workspace

ME = local_user()
TITLE = "Attrition of recorded crimes by the stage they reached, Kent"
LONG_LABEL = "Suspect identified after a later investigation"
# a table as the Analyse pages show it: rates as text, hidden cells "suppressed", gaps ""
VIEW = pd.DataFrame(
    {
        "Stage": ["Crime recorded", LONG_LABEL, "Charged or summonsed"],
        "Cases": [1212, "suppressed", 186],
        "Rate of previous": ["", "61.2%", "87.7%"],
        "Median days": [12.5, 30.25, None],
    }
)
META = TableMeta(
    TITLE,
    period="January 2024 to June 2024",
    notes=("Figures are provisional.",),
    data_version="journeys.linked, model m1",
    not_applicable=((0, "Rate of previous"),),
)


def protect(frame: pd.DataFrame) -> Any:
    """The hidden cells of the page's table, as the app's download menu passes them."""
    return marked_protection(frame)


# ------------------------------------------------------------------------------ XLSX
@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(table_to_xlsx(VIEW, META, protect)))


def table_cells(sheet: Any) -> list[list[Any]]:
    """The cells of a table sheet from its header row (row 4) on."""
    return [list(row) for row in sheet.iter_rows(min_row=4, max_col=len(VIEW.columns))]


def test_xlsx_numbers_are_numbers_with_formats(book: openpyxl.Workbook) -> None:
    header, *rows = table_cells(book["Table_1"])
    assert [c.value for c in header] == list(VIEW.columns)
    cases = [r[1] for r in rows]
    assert cases[0].value == 1212 and isinstance(cases[0].value, int)
    assert cases[0].data_type == "n" and cases[0].number_format == "#,##0"
    rates = [r[2] for r in rows]
    assert rates[1].data_type == "n" and rates[1].value == pytest.approx(0.612)
    assert rates[1].number_format == "0.0%"
    assert not any(isinstance(c.value, str) and c.value.endswith("%") for r in rows for c in r)
    days = rows[0][3]
    assert days.data_type == "n" and days.number_format == "#,##0.00"


def test_xlsx_symbols_fill_every_empty_cell(book: openpyxl.Workbook) -> None:
    rows = table_cells(book["Table_1"])[1:]
    values = [[c.value for c in r] for r in rows]
    assert values[1][1] == "[c]"  # hidden by disclosure control
    assert values[0][2] == "[z]"  # the first stage has no previous stage
    assert values[2][3] == "[x]"  # not available
    assert all(v not in (None, "") for row in values for v in row)
    for sheet in book.worksheets:
        assert not sheet.merged_cells.ranges
        for row in sheet.iter_rows(min_row=1):
            filled = [c.value for c in row]
            last = max((i for i, v in enumerate(filled) if v not in (None, "")), default=-1)
            assert all(v not in (None, "") for v in filled[: last + 1]), (sheet.title, filled)


def test_xlsx_headers_bold_frozen_and_columns_fit(book: openpyxl.Workbook) -> None:
    sheet = book["Table_1"]
    assert sheet["A1"].value.startswith(f"Table 1: {TITLE}")
    assert sheet["A1"].font.b and all(c.font.b for c in sheet[4])
    assert [c.value for c in sheet[1] if c.value is not None] == [sheet["A1"].value]
    assert sheet.freeze_panes == "A5"
    assert book["Notes"].freeze_panes == "A4" and book["Contents"].freeze_panes == "A4"
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["A"] >= len(LONG_LABEL)  # not "Suspect identifi"
    assert widths["C"] >= len("Rate of previous")
    assert widths["D"] >= len("Median days")


def test_xlsx_cover_sheet(book: openpyxl.Workbook, monkeypatch: pytest.MonkeyPatch) -> None:
    assert book.sheetnames == ["Cover_sheet", "Contents", "Notes", "Table_1"]
    cover = book["Cover_sheet"]
    cells = [row[0] for row in cover.iter_rows()]
    text = [c.value for c in cells]
    assert text[0] == TITLE and cells[0].font.b
    headings = {
        "Period covered": "January 2024 to June 2024",
        "Statistical status": "Management information",
        "Contact": DEFAULT_CONTACT,
        "Date produced": None,
        "Data version": "journeys.linked, model m1",
        "Disclosure control": "Disclosure control applied",
        "Symbols used": "[c] = confidential",
    }
    for heading, first_line in headings.items():
        at = text.index(heading)
        assert cells[at].font.b, heading
        if first_line:
            assert str(text[at + 1]).startswith(first_line), (heading, text[at + 1])
    source = text[text.index("Source") + 1]
    assert all(word in source for word in ("Police", "Crown Prosecution Service", "court"))
    assert "Workbench" not in source
    assert "linkage" in text[text.index("Methodology") + 1]
    symbols = text[text.index("Symbols used") + 1 : text.index("Symbols used") + 4]
    assert [s[:3] for s in symbols] == ["[c]", "[x]", "[z]"]
    # a long line wraps in a row tall enough for it: it does not run over the next heading
    width = cover.column_dimensions["A"].width
    for row, cell in enumerate(cells, start=1):
        lines = math.ceil(len(str(cell.value)) / (width - 2))
        if lines > 1:
            assert cover.row_dimensions[row].height >= 15 * lines - 1, cell.value
            assert cell.alignment.wrap_text
    note = book["Notes"]["B4"]
    lines = math.ceil(len(note.value) / (book["Notes"].column_dimensions["B"].width - 2))
    assert lines == 1 or book["Notes"].row_dimensions[4].height >= 15 * lines - 1
    assert note.alignment.wrap_text
    assert not book["Table_1"]["A2"].alignment.wrap_text  # runs on to the right, one line tall
    assert not book["Table_1"].row_dimensions[2].height
    notes = [r for r in book["Notes"].iter_rows(values_only=True)]
    assert notes[3][0] == "[note 1]" and "Disclosure control" in notes[3][1]
    assert notes[4] == ("[note 2]", "Figures are provisional.")
    monkeypatch.setenv(CONTACT_ENV, "Kent LCJB analysts, kent.lcjb@example.org")
    again = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(VIEW, META, protect)))
    column = [r[0] for r in again["Cover_sheet"].iter_rows(values_only=True)]
    assert column[column.index("Contact") + 1] == "Kent LCJB analysts, kent.lcjb@example.org"


# ------------------------------------------------------------------------------ ODS
@pytest.fixture(scope="module")
def ods() -> Any:
    return opendocument.load(io.BytesIO(table_to_ods(VIEW, META, protect)))


def _styles(doc: Any) -> dict[str, Any]:
    found = {}
    for holder in (doc.automaticstyles, doc.styles):
        for element in holder.childNodes:
            name = element.getAttrNS(STYLENS, "name")
            if name:
                found[name] = element
    return found


def _bold(doc: Any, cell: Any) -> bool:
    style = _styles(doc).get(cell.getAttrNS(TABLENS, "style-name") or "")
    if style is None:
        return False
    return any(
        p.qname[1] == "text-properties" and p.getAttrNS(FONS, "font-weight") == "bold"
        for p in style.childNodes
    )


def _text(cell: Any) -> str:
    return "".join(str(node) for p in cell.getElementsByType(P) for node in p.childNodes)


def _sheet(doc: Any, name: str) -> Any:
    return next(
        t for t in doc.spreadsheet.getElementsByType(Table) if t.getAttrNS(TABLENS, "name") == name
    )


def _rows(sheet: Any) -> list[list[Any]]:
    rows = []
    for row in sheet.getElementsByType(TableRow):
        rows.append(row.getElementsByType(TableCell))
    return rows


def test_ods_numbers_are_typed_and_styled(ods: Any) -> None:
    rows = _rows(_sheet(ods, "Table_1"))
    header, body = rows[3], rows[4:]
    assert [_text(c) for c in header] == list(VIEW.columns)
    cases = body[0][1]
    assert cases.getAttrNS(OFFICENS, "value-type") == "float"
    assert float(cases.getAttrNS(OFFICENS, "value")) == 1212
    rate = body[1][2]
    assert rate.getAttrNS(OFFICENS, "value-type") == "percentage"
    assert float(rate.getAttrNS(OFFICENS, "value")) == pytest.approx(0.612)
    assert _text(rate) == "61.2%"
    styles = _styles(ods)
    data = styles[
        styles[rate.getAttrNS(TABLENS, "style-name")].getAttrNS(STYLENS, "data-style-name")
    ]
    assert data.qname[1] == "percentage-style"
    grouping = styles[
        styles[cases.getAttrNS(TABLENS, "style-name")].getAttrNS(STYLENS, "data-style-name")
    ]
    assert grouping.qname[1] == "number-style"
    assert [_text(r[1]) for r in body] == ["1,212", "[c]", "186"]
    assert [_text(r[2]) for r in body] == ["[z]", "61.2%", "87.7%"]
    assert _text(body[2][3]) == "[x]"
    for row in body:
        assert all(_text(c) for c in row)


def test_ods_title_headers_widths_and_frozen_rows(ods: Any) -> None:
    sheet = _sheet(ods, "Table_1")
    rows = _rows(sheet)
    assert len(rows[0]) == 1 and _text(rows[0][0]).startswith(f"Table 1: {TITLE}")
    assert _bold(ods, rows[0][0]) and all(_bold(ods, c) for c in rows[3])
    header_rows = sheet.getElementsByType(TableHeaderRows)
    assert len(header_rows) == 1 and [_text(c) for c in _rows(header_rows[0])[0]] == list(
        VIEW.columns
    )
    styles = _styles(ods)
    columns = sheet.getElementsByType(TableColumn)
    widths = []
    for column in columns:
        props = styles[column.getAttrNS(TABLENS, "style-name")].childNodes[0]
        widths.append(float(props.getAttrNS(STYLENS, "column-width").removesuffix("cm")))
    # about 0.2 cm a character: the longest label fits
    assert widths[0] >= 0.2 * len(LONG_LABEL)
    assert widths[2] >= 0.2 * len("Rate of previous")
    settings = {}
    for entry in ods.settings.getElementsByType(ConfigItemMapEntry):
        name = entry.getAttrNS(CONFIGNS, "name")
        if name:
            settings[name] = {
                i.getAttrNS(CONFIGNS, "name"): str(i.childNodes[0])
                for i in entry.getElementsByType(ConfigItem)
            }
    assert settings["Table_1"]["VerticalSplitMode"] == "2"
    assert settings["Table_1"]["VerticalSplitPosition"] == "4"
    assert settings["Notes"]["VerticalSplitPosition"] == "3"
    assert "Cover_sheet" not in settings


def test_ods_cover_sheet(ods: Any) -> None:
    rows = _rows(_sheet(ods, "Cover_sheet"))
    text = [_text(r[0]) for r in rows]
    assert text[0] == TITLE
    for heading in (
        "Period covered",
        "Statistical status",
        "Source",
        "Methodology",
        "Contact",
        "Disclosure control",
        "Symbols used",
        "Notes",
    ):
        assert _bold(ods, rows[text.index(heading)][0]), heading
    assert text[text.index("Statistical status") + 1] == "Management information"
    assert text[text.index("Period covered") + 1] == "January 2024 to June 2024"
    assert all(len(r) == 1 for r in rows)  # one column: nothing sits beside a long line
    names = [t.getAttrNS(TABLENS, "name") for t in ods.spreadsheet.getElementsByType(Table)]
    assert names == ["Cover_sheet", "Contents", "Notes", "Table_1"]


# ------------------------------------------------------------------------------ CSV
def test_csv_header_first_and_read_by_pandas() -> None:
    data = table_to_csv(VIEW, META, protect)
    first = data.decode("utf-8").split("\r\n", 1)[0]
    assert first == "Stage,Cases,Rate of previous (%),Median days"
    assert next(csv.reader(io.StringIO(data.decode("utf-8")))) == first.split(",")
    frame = pd.read_csv(io.BytesIO(data))
    assert list(frame.columns) == first.split(",")
    assert frame["Stage"].tolist() == ["Crime recorded", LONG_LABEL, "Charged or summonsed"]
    assert frame["Cases"].tolist() == ["1212", "[c]", "186"]
    assert frame["Rate of previous (%)"].tolist() == ["[z]", "61.2", "87.7"]
    plain = pd.read_csv(io.BytesIO(table_to_csv(pd.DataFrame({"Cases": [12, 30]}), META)))
    assert plain["Cases"].dtype.kind == "i"  # numbers without symbols read as numbers


def test_csv_metadata_file_beside_it() -> None:
    side = table_metadata(VIEW, META, protect).decode("utf-8")
    for expected in (
        TITLE,
        "Period covered",
        "January 2024 to June 2024",
        "Management information",
        "Crown Prosecution Service",
        DEFAULT_CONTACT,
        "Disclosure control applied",
        "[c] = confidential",
        "[z] = not applicable",
        "Rate of previous (%): percentages",
        "[note 2] Figures are provisional.",
    ):
        assert expected in side, expected
    assert file_name(TITLE, "metadata").endswith(".metadata.txt")
    assert file_name(TITLE, "metadata").removesuffix(".metadata.txt") == file_name(
        TITLE, "csv"
    ).removesuffix(".csv")


# ------------------------------------------------------------------------------ stories
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("publish"))


@pytest.fixture
def ws(template: Path, tmp_path: Path):
    path = tmp_path / "ws.duckdb"
    shutil.copy(template, path)
    with Workspace(path) as workspace:
        yield workspace


def test_headlines_never_compare_hidden_or_empty_periods() -> None:
    months = pd.to_datetime(["2026-06-01", "2026-07-01", "2026-08-01"])
    blank = pd.DataFrame({"period": months, "receipts": [0, None, 0]})
    text = series_headline(blank, "receipts", "Receipts", "month")
    assert "unchanged" not in text and "too few cases to compare" in text
    assert "June 2026" not in text  # August is only compared with July
    empty = pd.DataFrame({"period": months, "receipts": [None, None, None]})
    assert "too few cases to compare" in series_headline(empty, "receipts", "Receipts", "month")
    zeros = pd.DataFrame({"period": months, "receipts": [3, 0, 0]})
    assert "unchanged" not in series_headline(zeros, "receipts", "Receipts", "month")
    groups = pd.DataFrame(
        {
            "period": list(months[1:]) * 2,
            "group": ["Kent", "Kent", "Cumbria", "Cumbria"],
            "receipts": [20, 25, 12, None],
        }
    )  # August's total would be Kent's alone
    assert "too few cases" in series_headline(groups, "receipts", "Receipts", "month")
    gap = pd.DataFrame({"period": months[[0, 2]], "receipts": [20, 25]})
    assert "rose" not in series_headline(gap, "receipts", "Receipts", "month")
    shown = pd.DataFrame({"period": months[1:], "receipts": [20, 25]})
    assert series_headline(shown, "receipts", "Receipts", "month") == (
        "Receipts rose by 25% to 25 in August 2026 (from 20 in July 2026)."
    )


def test_headlines_leave_out_periods_the_data_start_or_end_within() -> None:
    months = pd.to_datetime(["2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"])
    counts = pd.DataFrame({"period": months, "receipts": [30, 100, 110, 40]})
    # the data run from 10 June to 12 September: June and September hold part of a month each
    marked = mark_span(counts, "month", (date(2026, 6, 10), date(2026, 9, 12)))
    assert list(marked["status"]) == ["partial", "complete", "complete", "partial"]
    assert series_headline(marked, "receipts", "Receipts", "month") == (
        "Receipts rose by 10% to 110 in August 2026 (from 100 in July 2026). September 2026 is "
        "left out: the data end part-way through it."
    )
    # unmarked, the same counts read as a fall
    assert "fell by 64%" in series_headline(counts, "receipts", "Receipts", "month")
    whole = mark_span(counts, "month", (date(2026, 6, 1), date(2026, 9, 30)))
    assert set(whole["status"]) == {"complete"}
    assert "fell by 64% to 40 in September 2026" in series_headline(
        whole, "receipts", "Receipts", "month"
    )
    two = mark_span(counts.iloc[2:], "month", (date(2026, 8, 1), date(2026, 9, 12)))
    assert series_headline(two, "receipts", "Receipts", "month") == (
        "Receipts: not enough complete periods to compare. September 2026 is left out: the data "
        "end part-way through it."
    )
    chart = SOURCES["receipts"].chart(marked, {"stage": "first_hearing", "freq": "month"})
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "line", "point"]  # solid, dotted to the partial periods, hollow
    assert spec["layer"][2]["mark"]["filled"] is False
    text = describe_chart(chart, "Receipts rose")
    assert "Latest: 110 in August 2026" in text, text
    assert "drawn as hollow points" in text and "June 2026 (30), September 2026 (40)" in text


def test_block_subtitles_state_their_own_area_and_period(ws: Workspace) -> None:
    kent = render_block(
        ws, ME, Block("chart", "receipts", {"stage": "first_hearing", "areas": ["Kent"]})
    )
    assert kent.meta is not None
    assert "Kent" in kent.meta.subtitle and "all LCJB" not in kent.meta.subtitle
    assert "January 2024 to June 2024" in kent.meta.subtitle
    assert kent.meta.source.startswith("Source: police, CPS and court")  # not the tool's name
    every = render_block(ws, ME, Block("chart", "attrition_funnel", {}))
    assert every.meta is not None and "all LCJB areas" in every.meta.subtitle
    assert " 2024" in every.meta.subtitle.split("all LCJB areas")[1]
    table = render_block(ws, ME, Block("table", "timeliness", {"areas": ["Cumbria"]}))
    assert table.table_meta is not None and "Cumbria" in table.table_meta.title
    assert table.table_meta.period


def test_story_tables_read_like_a_publication(ws: Workspace) -> None:
    timeliness = render_block(ws, ME, Block("table", "timeliness", {}))
    assert timeliness.table is not None
    assert list(timeliness.table.columns) == [
        "Stage of the case",
        "Cases",
        "Median (days)",
        "25th percentile (days)",
        "75th percentile (days)",
        "90th percentile (days)",
        "Mean (days)",
    ]
    assert timeliness.table["Stage of the case"].tolist() == [v[2] for v in INTERVALS.values()]
    page = story_html(ws, ME, load_story(ws, ME, "demo"))
    funnel = render_block(ws, ME, Block("table", "attrition_funnel", {}))
    funnel_page = story_html(
        ws, ME, load_story(ws, ME, "demo").__class__("f", "Funnel", blocks=[funnel.block])
    )
    for raw in ("rate_of_previous", "rate_of_recorded", ">None<", ">0.877<", "interval"):
        assert raw not in funnel_page and raw not in page.split("<main>")[1], raw
    assert "Percentage of the previous stage" in funnel_page
    assert "87.7%" in funnel_page and "[z]" in funnel_page
    book = openpyxl.load_workbook(
        io.BytesIO(table_to_xlsx(funnel.table, funnel.table_meta, lambda _f: funnel.protected))
    )
    rate = next(c for c in book["Table_1"][6] if c.column == 3)
    assert rate.number_format == "0.0%" and isinstance(rate.value, float)


def _struct(node: Any, out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, dict):
        if "/S" in node:
            out.append((str(node["/S"]), str(node.get("/Alt") or "")))
        kids = node.get("/K")
        if kids is not None:
            for kid in kids if isinstance(kids, list) else [kids]:
                _struct(kid, out)
    elif isinstance(node, list):
        for kid in node:
            _struct(kid, out)
    return out


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")
def test_story_pdf_is_tagged_with_alt_text_in_story_order(ws: Workspace) -> None:
    story = load_story(ws, ME, "demo")
    reader = pypdf.PdfReader(io.BytesIO(print_story(ws, ME, story)))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).startswith("en")
    assert reader.metadata.title == "Courts in 2024"
    tags = _struct(root["/StructTreeRoot"], [])
    kinds = [k for k, _ in tags]
    figures = [alt for k, alt in tags if k == "/Figure"]
    assert len(figures) == 2 and all(figures), figures  # every figure has alternative text
    assert "Line chart" in figures[0] and "Bar chart" in figures[1]
    assert kinds.index("/H1") < kinds.index("/Figure") < kinds.index("/Table")
    text = " ".join(page.extract_text() for page in reader.pages)
    order = [
        "Courts in 2024",
        "Summary",
        "rose by 27%",
        "of recorded crimes",
        "Stage of",
    ]
    at = [text.find(t) for t in order]
    assert all(i >= 0 for i in at) and at == sorted(at), dict(zip(order, at, strict=True))


# ------------------------------------------------------------------------------ as pages give them
# a trend table as the Analyse pages give it: a rate column holding words where the value is
# withheld, and columns named as in the data
TREND = pd.DataFrame(
    {
        "Period": ["2018", "2019", "2020"],
        "Charge rate": ["withheld: fewer than 30 cases", "7.9%", "5.8%"],
        "Median days": ["withheld: fewer than 30 cases", 212.5, 219.5],
        "court_type": ["Crown", "Crown", "Crown"],
        "N": [9, 392, 361],
        "P90": [None, 56.8, 371.6],
    }
)
TREND_HEADER = ["Period", "Charge rate", "Median days", "Court type", "Cases", "90th percentile"]


def test_xlsx_numbers_stay_numbers_where_some_are_withheld() -> None:
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(TREND, TableMeta("Charge rate"))))
    sheet = book["Table_1"]
    header, *rows = [list(r) for r in sheet.iter_rows(min_row=4, max_col=len(TREND.columns))]
    assert [c.value for c in header] == TREND_HEADER  # names in words, not court_type or N
    rate = [r[1] for r in rows]
    assert rate[0].value == "[x]"
    assert all(c.data_type == "n" and c.number_format == "0.0%" for c in rate[1:])
    assert rate[1].value == pytest.approx(0.079)
    assert [r[2].value for r in rows] == ["[x]", 212.5, 219.5]
    assert [(r[0].value, r[0].number_format) for r in rows][:1] == [(2018, "0")]  # not 2,018
    notes = [r[1] for r in book["Notes"].iter_rows(min_row=4, values_only=True)]
    # one note for one reason, however many columns it applies to
    assert notes[1:] == [
        "[x] in the Charge rate and Median days columns means withheld: fewer than 30 cases."
    ]
    # numeric columns: header and symbols right-aligned over the numbers; text columns left
    assert header[1].alignment.horizontal == "right" and rate[0].alignment.horizontal == "right"
    assert header[3].alignment.horizontal in (None, "general", "left")
    # printed: the header row repeats on every page and the table fits the page's width
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0


def test_ods_numbers_stay_numbers_where_some_are_withheld() -> None:
    doc = opendocument.load(io.BytesIO(table_to_ods(TREND, TableMeta("Charge rate"))))
    rows = _rows(_sheet(doc, "Table_1"))
    assert [_text(c) for c in rows[3]] == TREND_HEADER
    rates = [r[1] for r in rows[4:]]
    assert _text(rates[0]) == "[x]"
    assert [c.getAttrNS(OFFICENS, "value-type") for c in rates[1:]] == ["percentage"] * 2
    days = [r[2] for r in rows[4:]]
    assert [c.getAttrNS(OFFICENS, "value-type") for c in days[1:]] == ["float"] * 2
    notes = [_text(r[1]) for r in _rows(_sheet(doc, "Notes"))[3:]]
    assert (
        "[x] in the Charge rate and Median days columns means withheld: fewer than 30 cases."
        in notes
    )


def test_a_column_withheld_throughout_is_marked_not_left_as_words() -> None:
    frame = TREND.assign(**{"Median days": ["withheld: fewer than 30 cases"] * 3})
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(frame, TableMeta("Median days"))))
    cells = [r[2].value for r in book["Table_1"].iter_rows(min_row=5, max_col=3)]
    assert cells == ["[x]"] * 3
    notes = [r[1] for r in book["Notes"].iter_rows(min_row=4, values_only=True)]
    assert (
        "[x] in the Charge rate and Median days columns means withheld: fewer than 30 cases."
        in notes
    )


def test_csv_of_withheld_values() -> None:
    frame = pd.read_csv(io.BytesIO(table_to_csv(TREND, TableMeta("Charge rate"))), dtype=str)
    assert list(frame.columns)[:3] == ["Period", "Charge rate (%)", "Median days"]
    assert frame["Charge rate (%)"].tolist() == ["[x]", "7.9", "5.8"]
    side = table_metadata(TREND, TableMeta("Charge rate")).decode("utf-8")
    assert "[x] in the Charge rate and Median days columns means withheld" in side


# ------------------------------------------------------------------------------ LibreOffice
@pytest.mark.parametrize("writer", [table_to_xlsx, table_to_ods], ids=["xlsx", "ods"])
def test_libreoffice_shows_every_cell_whole(tmp_path: Path, writer: Any) -> None:
    """Opened in LibreOffice Calc (headless, printed one page per sheet): every title, header
    and cell reads as written, numbers in their formats, and no column shows ``###``.

    LibreOffice is not installed in CI: this runs where ``soffice`` and ``pdftotext`` are.
    """
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip("LibreOffice (soffice) and pdftotext are not installed")
    import subprocess

    frame = pd.concat([VIEW, VIEW.assign(Cases=[123456789, "suppressed", 5])], ignore_index=True)
    source = tmp_path / f"table.{writer.__name__.rsplit('_', 1)[-1]}"
    source.write_bytes(writer(frame, META, protect))
    export = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            export,
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "table.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "###" not in text
    lines = text.splitlines()
    for shown in (f"Table 1: {TITLE}", *VIEW.columns, LONG_LABEL, "123,456,789", "61.2%"):
        assert any(shown in line for line in lines), shown
    table = "\n".join(lines[lines.index(next(x for x in lines if "Stage" in x)) :])
    for symbol in ("[c]", "[x]", "[z]"):
        assert symbol in table


def test_a_column_of_rates_and_days_keeps_each_as_a_number() -> None:
    """A dashboard's "Value" column holds rates and medians in days: each cell a number in its
    own format (never the whole column as text)."""
    mixed = pd.DataFrame(
        {
            "Measure": ["Charge rate", "Median days", "Charge rate"],
            "Value": ["8.6%", "212.5", "withheld: fewer than 30 cases"],
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(mixed, TableMeta("Dashboard"))))
    cells = [r[1] for r in book["Table_1"].iter_rows(min_row=5, max_col=2)]
    assert cells[0].data_type == "n" and cells[0].value == pytest.approx(0.086)
    assert cells[0].number_format == "0.0%"
    assert cells[1].data_type == "n" and cells[1].value == 212.5
    assert cells[1].number_format == "#,##0.0"
    assert cells[2].value == "[x]"
    doc = opendocument.load(io.BytesIO(table_to_ods(mixed, TableMeta("Dashboard"))))
    values = [r[1] for r in _rows(_sheet(doc, "Table_1"))[4:]]
    assert [c.getAttrNS(OFFICENS, "value-type") for c in values[:2]] == ["percentage", "float"]
    assert [_text(c) for c in values] == ["8.6%", "212.5", "[x]"]
    back = pd.read_csv(io.BytesIO(table_to_csv(mixed, TableMeta("Dashboard"))), dtype=str)
    assert back["Value"].tolist() == ["8.6%", "212.5", "[x]"]


def test_a_yearly_series_gives_years_not_the_first_of_january() -> None:
    yearly = pd.DataFrame(
        {"Period": pd.to_datetime(["2019-01-01", "2020-01-01"]), "Cases": [392, 361]}
    )
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(yearly, TableMeta("Cases by year"))))
    cells = [r[0] for r in book["Table_1"].iter_rows(min_row=5, max_col=1)]
    assert [(c.value, c.number_format) for c in cells] == [(2019, "0"), (2020, "0")]
    monthly = yearly.assign(Period=pd.to_datetime(["2019-01-01", "2019-02-01"]))
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(monthly, TableMeta("By month"))))
    assert book["Table_1"]["A5"].value == "2019-01-01"


def test_only_withheld_words_become_symbols() -> None:
    frame = pd.DataFrame({"Size": ["1", "2", "10+"], "Rate": ["5.0%", "-", "suppressed"]})
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(frame, TableMeta("Sizes"))))
    rows = [[c.value for c in r] for r in book["Table_1"].iter_rows(min_row=5, max_col=2)]
    assert [r[0] for r in rows] == ["1", "2", "10+"]  # "10+" is a value: the column stays text
    assert [r[1] for r in rows] == [pytest.approx(0.05), "[x]", "[x]"]
    notes = [r[1] for r in book["Notes"].iter_rows(min_row=4, values_only=True)]
    assert "[x] in the Rate column means suppressed." in notes
    assert not any("means '-" in str(n) or "means -" in str(n) for n in notes)


def test_views_mark_cells_that_do_not_apply(tmp_path: Path) -> None:
    """The funnel's first rate of the step before and a timeliness row's empty reason are
    published as [z] (not applicable), not [x] (not available)."""
    from workbench.analysis.measures.query import JourneyFilter
    from workbench.analysis.views.attrition import funnel_view
    from workbench.analysis.views.timeliness import timeliness_view

    with Workspace(small_workspace(tmp_path)) as ws:
        funnel = funnel_view(ws, JourneyFilter(), protect=False, minimum=1)
        summary = timeliness_view(ws, JourneyFilter(), protect=False, minimum=1)
    assert funnel.not_applicable == ((0, "Rate of previous"),)
    assert summary.not_applicable and all(c == "Withheld" for _, c in summary.not_applicable)
    assert "Stage" in summary.table.columns and "Label" not in summary.table.columns
    assert set(summary.table["Court type"]) <= {
        "Crown Court",
        "Magistrates' courts",
        "Not yet at court",
    }
    for view in (funnel, summary):
        meta = TableMeta("A view", not_applicable=view.not_applicable)
        sheet = openpyxl.load_workbook(
            io.BytesIO(table_to_xlsx(view.table, meta, protect))
        ).worksheets[-1]
        header = [c.value for c in next(sheet.iter_rows(min_row=4, max_row=4))]
        for row, column in view.not_applicable:
            cell = sheet.cell(row=5 + row, column=header.index(column) + 1)
            assert cell.value == "[z]", (column, row, cell.value)
