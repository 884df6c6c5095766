"""Chart and table exports, opened and checked: images, SVG, HTML, PDF, CSV, XLSX and ODS."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser

import altair as alt
import openpyxl
import pandas as pd
import pypdf
import pytest
from PIL import Image

from workbench.disclosure.control import protect_table
from workbench.errors import ExportError
from workbench.publish.export.alt_text import describe_chart
from workbench.publish.export.chart_files import (
    chart_to_html,
    chart_to_pdf,
    chart_to_png,
    chart_to_svg,
)
from workbench.publish.export.csv_files import read_csv_export, table_metadata, table_to_csv
from workbench.publish.export.files import export_chart
from workbench.publish.export.meta import ChartMeta, TableMeta
from workbench.publish.export.spreadsheets import table_to_ods, table_to_xlsx
from workbench.safe_csv import escape_cell

META = ChartMeta(
    title="Receipts rose by 50% to 120 in June",
    subtitle="Court receipts per month, Kent",
    source="Source: Kent courts extract",
    notes=("Provisional figures.",),
    data_version="courts v3",
    created=datetime(2024, 7, 1, 9, 0),
)
DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture(scope="module")
def chart() -> alt.Chart:
    frame = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=6, freq="MS"),
            "receipts": [80, 75, 90, 60, 80, 120],
        }
    )
    return (
        alt.Chart(frame)
        .mark_line()
        .encode(x=alt.X("period:T", title="Month"), y=alt.Y("receipts:Q", title="Receipts"))
        .properties(width=300, height=200)
    )


class Links(HTMLParser):
    """Collects tags and every src/href of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def external_urls(page: str) -> list[str]:
    """src/href pointing at the network, in tags or in markup strings inside scripts."""
    parser = Links()
    parser.feed(page)
    inline = re.findall(r"<(?:script|link)[^>]*(?:src|href)\s*=\s*[\"']?(https?:)", page)
    return [u for u in parser.urls if re.match(r"(https?:)?//", u)] + inline


def test_png_scale_doubles_pixels_and_is_not_blank(chart: alt.Chart) -> None:
    one = Image.open(io.BytesIO(chart_to_png(chart, META, scale=1)))
    two = Image.open(io.BytesIO(chart_to_png(chart, META, scale=2)))
    assert two.size == (one.size[0] * 2, one.size[1] * 2)
    assert one.size[0] > 300 and one.size[1] > 200
    colours = one.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20  # lines, text and axes, not a blank canvas
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 200)
    assert dark > 500  # the title and labels drew (fonts registered)


def test_svg_parses_and_carries_all_meta(chart: alt.Chart) -> None:
    svg = chart_to_svg(chart, META)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = " ".join(t for t in root.itertext())
    for expected in (META.title, META.subtitle, META.source, "Provisional figures.", "courts v3"):
        assert expected in text
    assert "01 July 2024" in text or "1 July 2024" in text
    assert "Line chart of Receipts by Month" in svg  # generated alt text as aria-label


def test_alt_text_describes_type_axes_range_and_extremes(chart: alt.Chart) -> None:
    text = describe_chart(chart)
    assert text.startswith("Line chart of Receipts by Month")
    assert "January 2024 to June 2024" in text  # monthly data: months, not days
    assert "from 60" in text and "to 120" in text


def test_edited_alt_text_is_used(chart: alt.Chart) -> None:
    svg = chart_to_svg(chart, ChartMeta("T", alt_text="My own words about the chart"))
    assert "My own words about the chart" in svg


def test_html_is_standalone_and_offline(chart: alt.Chart) -> None:
    page = chart_to_html(chart, META)
    parser = Links()
    parser.feed(page)
    assert "script" in parser.tags and "figure" in parser.tags
    assert META.title in page and META.source in page
    assert external_urls(page) == []
    assert "vegaEmbed" in page and len(page) > 500_000  # the library is inlined


def test_pdf_has_one_page_with_the_title(chart: alt.Chart) -> None:
    reader = pypdf.PdfReader(io.BytesIO(chart_to_pdf(chart, META)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Receipts rose" in text and "Kent courts extract" in text


def test_unknown_format_and_bad_scale_are_user_errors(chart: alt.Chart) -> None:
    with pytest.raises(ExportError, match="Unknown chart format"):
        export_chart(chart, META, "gif")
    with pytest.raises(ExportError, match="scale"):
        chart_to_png(chart, META, scale=50)


# ------------------------------------------------------------------------------ tables
TABLE_META = TableMeta(
    "Cases by area and court",
    source="Source: journeys",
    notes=("Sample data.",),
    definitions=(("Case", "One journey from crime to outcome."),),
    data_version="journeys.linked 2024-07-01",
)


@pytest.fixture
def counts() -> pd.DataFrame:
    return pd.DataFrame(
        {"magistrates": [120, 4, 60], "Crown": [40, 30, 12]},
        index=pd.Index(["Kent", "Rutland", "London"], name="area"),
    )


def test_escape_cell() -> None:
    for value in DANGEROUS:
        assert escape_cell(value) == "'" + value
    assert escape_cell("Kent") == "Kent"
    assert escape_cell(-5) == -5


def test_csv_escapes_injection_and_states_disclosure(counts: pd.DataFrame) -> None:
    frame = pd.DataFrame({"name": DANGEROUS, "n": range(20, 26)})
    data = table_to_csv(frame, TABLE_META, protect=True)
    text = data.decode("utf-8")
    assert text.startswith("Name,Cases\r\n")  # the header first, in words: no comments, no BOM
    side = table_metadata(frame, TABLE_META, protect=True).decode("utf-8")
    assert side.startswith("Cases by area and court\r\n")
    assert "Disclosure control checked" in side and "[c] = confidential" in side
    back = read_csv_export(data)
    assert list(back["Name"]) == ["'" + v for v in DANGEROUS]
    for line in text.splitlines():
        assert not line.startswith(("=", "+", "-", "@"))


def test_suppressed_cells_stay_suppressed(counts: pd.DataFrame) -> None:
    protect = lambda t: protect_table(t)  # noqa: E731
    csv_back = read_csv_export(table_to_csv(counts, TABLE_META, protect))
    rutland = csv_back.set_index("Area").loc["Rutland"]
    assert rutland["Magistrates"] == "[c]"
    assert rutland["Crown"] == "[c]"  # secondary suppression
    assert "4" not in set(csv_back["Magistrates"])

    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(counts, TABLE_META, protect)))
    table = [[c.value for c in row] for row in book["Table_1"].iter_rows()]
    header = table[3]
    assert header == ["Area", "Magistrates", "Crown", "Total"]
    assert ["Rutland", "[c]", "[c]", 34] in table
    assert all(4 not in row for row in table[4:])

    ods = pd.read_excel(
        io.BytesIO(table_to_ods(counts, TABLE_META, protect)),
        engine="odf",
        sheet_name="Table_1",
        header=None,
    )
    rutland_row = ods[ods[0] == "Rutland"].iloc[0].tolist()
    assert rutland_row[1:3] == ["[c]", "[c]"]


def test_xlsx_accessible_layout(counts: pd.DataFrame) -> None:
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(counts, TABLE_META, protect_table)))
    assert book.sheetnames == ["Cover_sheet", "Contents", "Notes", "Table_1"]
    for sheet in book.worksheets:
        assert sheet.merged_cells.ranges == set() or not sheet.merged_cells.ranges
        assert sheet["A1"].value  # a title in A1
    cover = [r[0] for r in book["Cover_sheet"].iter_rows(values_only=True)]
    assert cover[0] == "Cases by area and court"
    assert "Source: journeys" in cover
    for heading in ("Period covered", "Statistical status", "Contact", "Methodology"):
        assert heading in cover
    assert any(str(c).startswith("Disclosure control applied") for c in cover)
    assert any("Case: One journey" in str(c) for c in cover)
    assert "journeys.linked 2024-07-01" in cover
    notes = list(book["Notes"].iter_rows(values_only=True))
    assert notes[2] == ("Note number", "Note text")
    assert notes[3][0] == "[note 1]" and "Disclosure control" in notes[3][1]
    assert "[note 1]" in book["Table_1"]["A1"].value
    rows = list(book["Table_1"].iter_rows(min_row=4, values_only=True))
    assert all(any(v is not None for v in row) for row in rows)  # no blank rows in the table
    assert rows[0] == ("Area", "Magistrates", "Crown", "Total")


def test_xlsx_and_ods_neutralise_formulas() -> None:
    frame = pd.DataFrame({"name": DANGEROUS, "n": range(20, 26)})
    meta = TableMeta("=cmd|'/C calc'!A0")
    book = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(frame, meta)))
    names = [r[0] for r in book["Table_1"].iter_rows(min_row=5, values_only=True)]
    assert names[:5] == ["'" + v for v in DANGEROUS[:5]]
    assert names[5].startswith("'")  # a carriage return reads back as _x000D_ in openpyxl
    assert book["Cover_sheet"]["A1"].value.startswith("'=")
    assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)
    ods = pd.read_excel(
        io.BytesIO(table_to_ods(frame, meta)), engine="odf", sheet_name=None, header=None
    )
    assert set(ods) == {"Cover_sheet", "Contents", "Notes", "Table_1"}
    names = list(ods["Table_1"][0][4:])
    assert names[:5] == ["'" + v for v in DANGEROUS[:5]]
    assert all(str(n).startswith("'") for n in names)
    assert ods["Contents"][1][4].startswith("'=")
    assert "No disclosure control" in " ".join(map(str, ods["Cover_sheet"][0]))
