"""Tables as accessible statistical spreadsheets: XLSX and ODS.

They follow the Analysis Function's guidance on releasing statistics in spreadsheets, ODS
first: a cover sheet (title, period covered, statistical status, source systems, methodology,
contact, disclosure method and symbols), a contents sheet, a notes sheet, and one table per sheet
with a plain-language title in A1, the column headers in one bold, frozen row, columns fitted to
their contents, no blank rows, blank cells or merged cells. Notes are referred to as
``[note 1]``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.publish.export.disclosure import ProtectArg
from workbench.publish.export.meta import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOLS,
    TableMeta,
    all_notes,
    cover_sections,
    publish_contact,
    source_line,
)
from workbench.publish.export.tables import cell_format, is_number, show_value, typed_table
from workbench.safe_csv import escape_cell

COVER_WIDTH = 100


PORTRAIT_CHARACTERS = 110  # columns wider than this (in characters) print landscape


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name and rows (the first row is the sheet's title).

    Attributes:
        name: The worksheet's name.
        rows: The cells, row by row; the first row holds the title alone.
        header_row: The index of the column header row (frozen), if the sheet is a table.
        widths: Column widths in characters.
        formats: Number formats of the table's columns (``#,##0``, ``0.0%``, ``@``).
        headings: Rows (other than the title) written bold: the cover sheet's headings.
        wrap: Whether long text wraps in rows tall enough for it (cover and notes); elsewhere
            the lines above the table run on into the empty cells to their right.
    """

    name: str
    rows: list[list[Any]]
    header_row: int | None = None
    widths: Sequence[int] = ()
    formats: Sequence[str] = ()
    headings: frozenset[int] = frozenset()
    wrap: bool = False


def _fit_widths(rows: list[list[str]], low: int = 8, high: int = 60) -> list[int]:
    """Column widths in characters that fit every cell (between ``low`` and ``high``)."""
    count = max((len(r) for r in rows), default=0)
    return [
        max(low, min(high, max((len(r[j]) for r in rows if j < len(r)), default=0) + 3))
        for j in range(count)
    ]


def workbook_sheets(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> list[Sheet]:
    """The sheets of an accessible statistical workbook: cover, contents, notes and the table.

    Built to the Analysis Function's guidance on releasing statistics in spreadsheets: one table
    per sheet starting in A1 with a plain-language title, no merged cells, no blank cells
    (``[c]``, ``[x]`` or ``[z]`` instead), numbers stored as numbers with number formats, bold
    frozen column headers, columns wide enough for their contents.

    Args:
        frame: The table.
        meta: Title, source, notes, definitions, period, status, contact and methodology.
        protect: Disclosure control to apply first (see
            :func:`~workbench.publish.export.disclosure.apply_protection`).

    Returns:
        ``Cover_sheet``, ``Contents``, ``Notes`` and ``Table_1``, each starting with a title in A1.
    """
    table = typed_table(frame, meta, protect)
    meta = table.meta
    notes = all_notes(meta)
    refs = " ".join(f"[note {i}]" for i in range(1, len(notes) + 1))
    cover: list[list[Any]] = [
        [meta.title],
        ["This spreadsheet contains one table, with its notes and definitions."],
    ]
    headings = set()
    for heading, lines in cover_sections(meta, frame):
        headings.add(len(cover))
        cover += [[heading], *[[line] for line in lines]]
    headings.add(len(cover))
    cover += [["Notes"], ["Notes are listed on the Notes worksheet and referred to as [note 1]."]]
    contents = [
        ["Contents"],
        ["This worksheet contains one table."],
        ["Worksheet", "Table title"],
        ["Notes", "Notes"],
        ["Table_1", meta.title],
    ]
    notes_sheet = [
        ["Notes"],
        ["This worksheet contains one table."],
        ["Note number", "Note text"],
        *[[f"[note {i}]", text] for i, text in enumerate(notes, start=1)],
    ]
    table_sheet = [
        [f"Table 1: {meta.title} {refs}".strip()],
        [
            "This worksheet contains one table. Some cells refer to notes which can be found "
            f"on the Notes worksheet. {SUPPRESSED} marks hidden values, {NOT_AVAILABLE} values "
            f"not available and {NOT_APPLICABLE} values that do not apply."
        ],
        [source_line(meta)],
        table.header,
        *table.rows,
    ]
    shown = [table.header] + [
        [table.shown(i, j) for j in range(len(table.header))] for i in range(len(table.rows))
    ]

    def safe(rows: list[list[Any]]) -> list[list[Any]]:
        return [[escape_cell(c) for c in r] for r in rows]

    def text(rows: list[list[Any]]) -> list[list[str]]:
        return [[str(c) for c in r] for r in rows]

    return [
        Sheet(
            "Cover_sheet",
            safe(cover),
            None,
            [COVER_WIDTH],
            headings=frozenset(headings),
            wrap=True,
        ),
        Sheet("Contents", safe(contents), 2, _fit_widths(text(contents[2:]))),
        Sheet("Notes", safe(notes_sheet), 2, [14, COVER_WIDTH], wrap=True),
        Sheet("Table_1", safe(table_sheet), 3, _fit_widths(shown), table.formats),
    ]


def _lines_needed(value: Any, width: int) -> int:
    """How many lines a wrapped text cell of ``width`` characters needs."""
    text = str(value)
    return max(1, -(-len(text) // max(width - 2, 10)))


def _wraps(sheet: Sheet, row: list[Any]) -> bool:
    """Whether a row's text wraps: on a wrapping sheet, rows filling every column (a line of
    text alone above a wider table runs on to the right instead)."""
    return sheet.wrap and len(row) == len(sheet.widths)


def _row_lines(sheet: Sheet, r: int, row: list[Any]) -> int:
    """How many lines tall a row of a wrapping sheet must be (1 for titles and headers)."""
    if not _wraps(sheet, row) or r == 0 or r == sheet.header_row or r in sheet.headings:
        return 1
    return max(
        (_lines_needed(v, sheet.widths[c]) for c, v in enumerate(row) if c < len(sheet.widths)),
        default=1,
    )


def table_to_xlsx(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An XLSX workbook in the accessible statistical layout (see :func:`workbook_sheets`)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    title = book.add_format({"bold": True, "font_size": 15})
    heading = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    numbers: dict[str, Any] = {}

    def number(fmt: str) -> Any:
        if fmt not in numbers:
            numbers[fmt] = book.add_format({"num_format": fmt, "align": "right"})
        return numbers[fmt]

    symbol = book.add_format({"align": "right"})
    heading_right = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    heading_right.set_align("right")
    for sheet in workbook_sheets(frame, meta, protect):
        ws = book.add_worksheet(sheet.name)
        numeric = [f != "@" for f in sheet.formats]
        for col, width in enumerate(sheet.widths):
            ws.set_column(col, col, width)
        for r, row in enumerate(sheet.rows):
            in_table = sheet.header_row is not None and r > sheet.header_row
            if r == 0:
                ws.set_row(r, 21)
            elif (lines := _row_lines(sheet, r, row)) > 1:
                ws.set_row(r, 15 * lines)
            for c, value in enumerate(row):
                if r == 0:
                    fmt = title
                elif r == sheet.header_row and c < len(numeric) and numeric[c]:
                    fmt = heading_right
                elif r == sheet.header_row or r in sheet.headings:
                    fmt = heading
                elif in_table and sheet.formats and c < len(sheet.formats):
                    fmt = number(cell_format(value, sheet.formats[c])) if is_number(value) else None
                    if value in SYMBOLS and numeric[c]:
                        fmt = symbol
                else:
                    fmt = wrap if _wraps(sheet, row) else None
                if is_number(value):
                    ws.write_number(r, c, value, fmt)
                else:
                    ws.write_string(r, c, str(value), fmt)
        if sheet.header_row is not None:
            ws.freeze_panes(sheet.header_row + 1, 0)
            ws.repeat_rows(sheet.header_row)
        if sum(sheet.widths) > PORTRAIT_CHARACTERS:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)  # printed: as wide as one page, as many pages long as needed
    book.set_properties(
        {"title": meta.title, "comments": meta.disclosure_note, "author": publish_contact()}
    )
    book.close()
    return buf.getvalue()


def _ods_number_style(name: str, fmt: str) -> Any:
    """An ODF number or percentage data style for a spreadsheet format code."""
    from odf.number import Number, NumberStyle, PercentageStyle, Text

    places = fmt.split(".", 1)[1].count("0") if "." in fmt else 0
    if fmt.endswith("%"):
        style = PercentageStyle(name=name)
        style.addElement(Number(decimalplaces=places, minintegerdigits=1))
        style.addElement(Text(text="%"))
        return style
    style = NumberStyle(name=name)
    style.addElement(Number(decimalplaces=places, minintegerdigits=1, grouping="," in fmt))
    return style


def _ods_settings(doc: Any, frozen: dict[str, int]) -> None:
    """Freeze the header rows of each named sheet (LibreOffice's view settings)."""
    from odf.config import (
        ConfigItem,
        ConfigItemMapEntry,
        ConfigItemMapIndexed,
        ConfigItemMapNamed,
        ConfigItemSet,
    )

    view_settings = ConfigItemSet(name="ooo:view-settings")
    views = ConfigItemMapIndexed(name="Views")
    view = ConfigItemMapEntry()
    view.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    tables = ConfigItemMapNamed(name="Tables")
    for name, rows in frozen.items():
        entry = ConfigItemMapEntry(name=name)
        for key, kind, value in (
            ("HorizontalSplitMode", "short", 0),
            ("VerticalSplitMode", "short", 2),
            ("HorizontalSplitPosition", "int", 0),
            ("VerticalSplitPosition", "int", rows),
            ("ActiveSplitRange", "short", 2),
            ("PositionLeft", "int", 0),
            ("PositionRight", "int", 0),
            ("PositionTop", "int", 0),
            ("PositionBottom", "int", rows),
        ):
            entry.addElement(ConfigItem(name=key, type=kind, text=str(value)))
        tables.addElement(entry)
    view.addElement(tables)
    views.addElement(view)
    view_settings.addElement(views)
    doc.settings.addElement(view_settings)


def table_to_ods(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An OpenDocument spreadsheet with the same sheets, types and formats as the XLSX.

    Column widths fit the contents, headings are bold, the table's column headers are marked
    as header rows (``table:table-header-rows``) and frozen, numbers are stored as floats or
    percentages with number styles, and long cover-sheet lines wrap in rows tall enough.
    """
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableRowProperties,
        TextProperties,
    )
    from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    title = Style(name="Title", family="table-cell")
    title.addElement(TextProperties(fontweight="bold", fontsize="15pt"))
    bold = Style(name="Heading", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    bold.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    wrap = Style(name="Wrapped", family="table-cell")
    wrap.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    right = Style(name="Symbol", family="table-cell")
    right.addElement(ParagraphProperties(textalign="end"))
    bold_right = Style(name="HeadingNumber", family="table-cell")
    bold_right.addElement(TextProperties(fontweight="bold"))
    bold_right.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    bold_right.addElement(ParagraphProperties(textalign="end"))
    for style in (title, bold, wrap, right, bold_right):
        doc.automaticstyles.addElement(style)
    cell_styles: dict[str, Any] = {}
    col_styles: dict[int, Any] = {}
    row_styles: dict[int, Any] = {}

    def number_style(fmt: str) -> Any:
        if fmt not in cell_styles:
            data = _ods_number_style(f"N{len(cell_styles)}", fmt)
            doc.automaticstyles.addElement(data)
            style = Style(name=f"Num{len(cell_styles)}", family="table-cell", datastylename=data)
            doc.automaticstyles.addElement(style)
            cell_styles[fmt] = style
        return cell_styles[fmt]

    def column_style(width: int) -> Any:
        if width not in col_styles:
            style = Style(name=f"Col{width}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(style)
            col_styles[width] = style
        return col_styles[width]

    def row_style(lines: int) -> Any:
        if lines not in row_styles:
            style = Style(name=f"Row{lines}", family="table-row")
            style.addElement(
                TableRowProperties(rowheight=f"{0.53 * lines:.2f}cm", useoptimalrowheight=False)
            )
            doc.automaticstyles.addElement(style)
            row_styles[lines] = style
        return row_styles[lines]

    frozen: dict[str, int] = {}
    for sheet in workbook_sheets(frame, meta, protect):
        table = Table(name=sheet.name)
        for width in sheet.widths:
            table.addElement(TableColumn(stylename=column_style(width)))
        header_rows = None
        numeric = [f != "@" for f in sheet.formats]
        for r, row in enumerate(sheet.rows):
            in_table = sheet.header_row is not None and r > sheet.header_row
            lines = _row_lines(sheet, r, row)
            tr = TableRow(stylename=row_style(lines)) if lines > 1 else TableRow()
            for c, value in enumerate(row):
                style = None
                if r == 0:
                    style = title
                elif r == sheet.header_row and c < len(numeric) and numeric[c]:
                    style = bold_right
                elif r == sheet.header_row or r in sheet.headings:
                    style = bold
                elif in_table and value in SYMBOLS and c < len(numeric) and numeric[c]:
                    style = right
                elif _wraps(sheet, row):
                    style = wrap
                if is_number(value):
                    fmt = sheet.formats[c] if in_table and c < len(sheet.formats) else "0"
                    fmt = cell_format(value, fmt)
                    kind = "percentage" if fmt.endswith("%") else "float"
                    shown = show_value(value, "percent" if kind == "percentage" else "", fmt)
                    cell = TableCell(valuetype=kind, value=value, stylename=number_style(fmt))
                    cell.addElement(P(text=shown))
                else:
                    attrs = {"stylename": style} if style is not None else {}
                    cell = TableCell(valuetype="string", **attrs)
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            if r == sheet.header_row:
                header_rows = TableHeaderRows()
                header_rows.addElement(tr)
                table.addElement(header_rows)
            else:
                table.addElement(tr)
        if sheet.header_row is not None:
            frozen[sheet.name] = sheet.header_row + 1
        doc.spreadsheet.addElement(table)
    _ods_settings(doc, frozen)
    from odf.dc import Title

    doc.meta.addElement(Title(text=meta.title))
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()
