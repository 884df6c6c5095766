"""Publish charts and tables: PNG, SVG, PDF and offline HTML charts; CSV, XLSX and ODS tables.

Charts are rendered by vl-convert with no network access. Every exported chart carries its
headline title, a statistical subtitle, the source line, any notes, and the date and data version
(:class:`ChartMeta`); its alt text, generated from the data by :func:`describe_chart` and editable,
is the chart's ``description`` (the ``aria-label`` of the SVG) and is printed beneath HTML charts.

Tables follow the accessible layout UK government statistics use for published spreadsheets: a
cover sheet, a contents sheet, a notes sheet, and one table per sheet with a title in A1, a
description line, the column headers in one row and no blank rows or merged cells; notes are
referred to as ``[note 1]``; hidden (suppressed) values are shown as ``[c]`` and values not
available as ``[x]``.

Disclosure control: pass ``protect`` (a function returning a
:class:`~workbench.disclosure.Protected`, or True for primary suppression of every integer
column) and it is applied before anything is written. The export states what was done: on the
cover sheet and as note 1 of a spreadsheet, and in the ``#`` comment lines at the top of a CSV
(read such a CSV with ``pandas.read_csv(path, comment=None, skiprows=<number of # lines>)`` or
:func:`read_csv_export`).

Formula injection: any text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading apostrophe, in every format including CSV.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from workbench.charts import SOURCE_NOTE
from workbench.disclosure import Protected, protect_frame
from workbench.errors import ExportError
from workbench.safe_csv import escape_cell

if TYPE_CHECKING:
    from workbench.workspace import Workspace

log = logging.getLogger(__name__)

FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts",)
SUPPRESSED = "[c]"
EXPORT_WIDTH = 720
NOT_AVAILABLE = "[x]"
CHART_FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "html")
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "ods")
MIME: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

ProtectArg = Callable[[pd.DataFrame], Protected] | bool | None


# ------------------------------------------------------------------------------ metadata
@dataclass(frozen=True)
class ChartMeta:
    """What every published chart says about itself.

    Attributes:
        title: The headline: what the chart shows, in plain words.
        subtitle: The statistical description (measure, unit, coverage, period).
        source: The source line.
        notes: Further notes, each printed on its own line.
        alt_text: Text for readers who cannot see the chart; generated when empty.
        data_version: Which data it was drawn from (dataset version or journey build).
        created: When it was drawn.
    """

    title: str
    subtitle: str = ""
    source: str = SOURCE_NOTE
    notes: tuple[str, ...] = ()
    alt_text: str = ""
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    def footer(self) -> str:
        """The date and data version line."""
        made = f"Produced {self.created:%d %B %Y}"
        return f"{made}; data version: {self.data_version}" if self.data_version else made

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the date as ISO text)."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "source": self.source,
            "notes": list(self.notes),
            "alt_text": self.alt_text,
            "data_version": self.data_version,
            "created": self.created.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartMeta:
        """Rebuild from :meth:`to_dict` output; unknown keys are ignored."""
        created = data.get("created")
        return cls(
            title=str(data.get("title", "")),
            subtitle=str(data.get("subtitle", "")),
            source=str(data.get("source") or SOURCE_NOTE),
            notes=tuple(data.get("notes") or ()),
            alt_text=str(data.get("alt_text", "")),
            data_version=str(data.get("data_version", "")),
            created=datetime.fromisoformat(created) if created else datetime.now(),
        )


@dataclass(frozen=True)
class TableMeta:
    """What every published table says about itself (its cover sheet).

    Attributes:
        title: The table's title.
        source: The source line.
        notes: Notes, referred to as ``[note 1]``, ``[note 2]``, … in order.
        definitions: Term -> definition, for the cover sheet.
        data_version: Which data it was computed from.
        created: When it was produced.
        disclosure_note: What disclosure control did; filled in by the export.
    """

    title: str
    source: str = SOURCE_NOTE
    notes: tuple[str, ...] = ()
    definitions: tuple[tuple[str, str], ...] = ()
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    disclosure_note: str = ""


# ------------------------------------------------------------------------------ charts
@functools.cache
def _register_fonts() -> None:
    import vl_convert as vlc

    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)


def _chart_frame(chart: alt.TopLevelMixin) -> pd.DataFrame | None:
    """The DataFrame of a chart, or of its first layer holding one."""
    data = getattr(chart, "data", alt.Undefined)
    if isinstance(data, pd.DataFrame):
        return data
    for child in getattr(chart, "layer", None) or []:
        found = _chart_frame(child)
        if found is not None:
            return found
    return None


def _encoding(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The mark type and encoding of a single or the first layer of a layered spec."""
    if "layer" in spec:
        return _encoding(spec["layer"][0])
    mark = spec.get("mark", "chart")
    mark = mark.get("type", "chart") if isinstance(mark, dict) else mark
    return str(mark), spec.get("encoding", {})


MARK_WORDS = {
    "line": "Line chart",
    "bar": "Bar chart",
    "area": "Area chart",
    "point": "Scatter plot",
    "circle": "Scatter plot",
    "rect": "Heat map",
    "arc": "Pie chart",
}


def _fmt(value: Any) -> str:
    if isinstance(value, pd.Timestamp | datetime):
        return f"{pd.Timestamp(value):%d %B %Y}".lstrip("0")
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return f"{pd.Timestamp(value):%d %B %Y}".lstrip("0")
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def describe_chart(chart: alt.TopLevelMixin, title: str | None = None) -> str:
    """Alt text generated from a chart and its data: type, axes, range and extremes.

    Args:
        chart: An Altair chart whose data is a DataFrame (or a layer chart whose first layer is).
        title: The headline, to start the description with.

    Returns:
        A few plain sentences, for example "Line chart of Records by Month, one line per group
        (Kent, London). Month runs from 1 January 2024 to 1 December 2024. Records range from
        3 to 120; the highest is 120 (London, 1 March 2024)."
    """
    spec = chart.to_dict(validate=False)
    mark, enc = _encoding(spec)
    kind = MARK_WORDS.get(mark, f"{mark.capitalize()} chart")
    frame = _chart_frame(chart)
    x, y = enc.get("x", {}), enc.get("y", {})
    colour = enc.get("color", {})
    if y.get("type") in ("nominal", "ordinal") and x.get("type") == "quantitative":
        x, y = y, x  # horizontal bars: describe the categories against the values
    xf, yf, cf = x.get("field"), y.get("field"), colour.get("field")
    x_title = x.get("title") or xf or "x"
    y_title = y.get("title") or yf or "y"
    parts = [f"{title.rstrip('.')}." if title else ""]
    text = f"{kind} of {y_title} by {x_title}"
    if frame is not None and cf and cf in frame:
        groups = [str(g) for g in pd.unique(frame[cf].dropna())]
        shown = ", ".join(groups[:6]) + (", …" if len(groups) > 6 else "")
        text += f", {len(groups)} series ({shown})"
    parts.append(text + ".")
    if frame is None or not len(frame) or xf not in frame or yf not in frame:
        return " ".join(p for p in parts if p).strip()
    if x.get("type") in ("temporal", "quantitative"):
        xs = frame[xf].dropna()
        if len(xs):
            parts.append(f"{x_title} runs from {_fmt(xs.min())} to {_fmt(xs.max())}.")
    else:
        cats = [str(c) for c in pd.unique(frame[xf].dropna())]
        parts.append(f"{len(cats)} categories of {x_title}: {', '.join(cats[:8])}.")
    ys = pd.to_numeric(frame[yf], errors="coerce")
    if ys.notna().any():
        top, low = frame.loc[ys.idxmax()], frame.loc[ys.idxmin()]

        def where(row: pd.Series) -> str:
            bits = [str(row[cf])] if cf and cf in frame else []
            return ", ".join([*bits, _fmt(row[xf])])

        parts.append(
            f"{y_title} ranges from {_fmt(ys.min())} ({where(low)}) to "
            f"{_fmt(ys.max())} ({where(top)})."
        )
    hidden = int(ys.isna().sum())
    if hidden:
        parts.append(f"{hidden} values are hidden or missing.")
    return " ".join(p for p in parts if p).strip()


def finish_chart(chart: alt.TopLevelMixin, meta: ChartMeta) -> alt.TopLevelMixin:
    """Put the headline, subtitle, source, notes, date, data version and alt text on a chart.

    Args:
        chart: Any Altair chart; its own title is replaced.
        meta: What to print on it. Empty alt text is generated from the data.

    Returns:
        A new chart, ready to render.
    """
    alt_text = meta.alt_text or describe_chart(chart, meta.title)
    lines = [meta.subtitle] if meta.subtitle else []
    lines += [meta.source, *meta.notes, meta.footer()]
    return chart.properties(
        title=alt.TitleParams(
            text=meta.title,
            subtitle=lines,
            anchor="start",
            fontSize=16,
            subtitleColor="#505a5f",
            subtitleFontSize=12,
        ),
        description=alt_text,
    )


def chart_spec(chart: alt.TopLevelMixin, meta: ChartMeta) -> dict[str, Any]:
    """The Vega-Lite spec of a finished chart (data inlined).

    A chart that fills its container on the page (``width="container"``) has no width of its
    own in a file, so it is given :data:`EXPORT_WIDTH` pixels.
    """
    try:
        spec = finish_chart(chart, meta).to_dict()
    except Exception as exc:  # altair validation or data transformer limits
        raise ExportError(f"The chart cannot be exported: {exc}") from exc
    for part in [spec, *spec.get("layer", [])]:
        if part.get("width") == "container":
            part["width"] = EXPORT_WIDTH
    return spec


def _convert(kind: str, spec: dict[str, Any], **kwargs: Any) -> Any:
    import vl_convert as vlc

    _register_fonts()
    func = getattr(vlc, f"vegalite_to_{kind}")
    try:
        return func(spec, allowed_base_urls=[], **kwargs)
    except Exception as exc:  # vl-convert raises plain ValueErrors
        raise ExportError(f"The chart could not be rendered as {kind.upper()}: {exc}") from exc


def chart_to_svg(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """Render a chart as SVG text, offline, labelled with its title and alt text for readers."""
    spec = chart_spec(chart, meta)
    svg = _convert("svg", spec)
    alt_text = html.escape(str(spec.get("description", "")), quote=True)
    head, sep, rest = svg.partition(">")
    if not head.startswith("<svg") or not sep:
        return svg
    return (
        f'{head} role="img" aria-label="{alt_text}">'
        f"<title>{html.escape(meta.title)}</title><desc>{alt_text}</desc>{rest}"
    )


def chart_to_png(chart: alt.TopLevelMixin, meta: ChartMeta, scale: float = 1.0) -> bytes:
    """Render a chart as PNG, offline; ``scale`` 2 doubles the width and height in pixels."""
    if not 0.25 <= scale <= 8:
        raise ExportError(f"A PNG scale of {scale} is out of range.", hint="Use 0.25 to 8.")
    return _convert("png", chart_spec(chart, meta), scale=scale)


def chart_to_pdf(chart: alt.TopLevelMixin, meta: ChartMeta) -> bytes:
    """Render a chart as a one-page PDF (vector), offline."""
    return _convert("pdf", chart_spec(chart, meta))


@functools.cache
def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed libraries as one script (about 0.9 MB), cached."""
    import vl_convert as vlc

    return vlc.javascript_bundle().replace("</script", "<\\/script")


PAGE_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #0b0c0c; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption, .meta { color: #505a5f; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f2f1; } td:first-child, th:first-child { text-align: left; }
.chart svg { max-width: 100%; height: auto; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
"""


def embed_script(element_id: str, spec: dict[str, Any]) -> str:
    """A script tag drawing ``spec`` into the element with the id (needs :func:`vega_bundle`)."""
    payload = json.dumps(spec).replace("</", "<\\/")
    return (
        f"<script>vegaEmbed({json.dumps('#' + element_id)}, {payload}, "
        '{"renderer": "svg", "actions": false});</script>'
    )


def chart_to_html(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """A standalone HTML page drawing the chart interactively, with Vega inlined (no CDN)."""
    spec = chart_spec(chart, meta)
    alt_text = spec.get("description", "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(meta.title)}</title><style>{PAGE_CSS}</style>"
        f"<script>{vega_bundle()}</script></head><body>"
        f'<figure><div id="chart" class="chart" role="img" aria-label="{html.escape(alt_text)}">'
        f"</div><figcaption><p>{html.escape(meta.source)}</p>"
        + "".join(f"<p>{html.escape(n)}</p>" for n in meta.notes)
        + f"<p>{html.escape(meta.footer())}</p>"
        f"<details><summary>Description of the chart</summary><p>{html.escape(alt_text)}</p>"
        f"</details></figcaption></figure>{embed_script('chart', spec)}</body></html>\n"
    )


def export_chart(chart: alt.TopLevelMixin, meta: ChartMeta, fmt: str, scale: float = 1.0) -> bytes:
    """Export a chart in one of :data:`CHART_FORMATS` and return the file's bytes."""
    if fmt == "png":
        return chart_to_png(chart, meta, scale)
    if fmt == "svg":
        return chart_to_svg(chart, meta).encode("utf-8")
    if fmt == "pdf":
        return chart_to_pdf(chart, meta)
    if fmt == "html":
        return chart_to_html(chart, meta).encode("utf-8")
    raise ExportError(f"Unknown chart format {fmt!r}.", hint=f"Use {', '.join(CHART_FORMATS)}.")


# ------------------------------------------------------------------------------ tables
def apply_protection(frame: pd.DataFrame, protect: ProtectArg) -> Protected | None:
    """Apply disclosure control as asked; None when ``protect`` is falsy.

    Args:
        frame: The aggregate table.
        protect: A function returning a :class:`Protected`, or True for primary suppression
            of every integer column with the default threshold.
    """
    if not protect:
        return None
    if protect is True:
        counts = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
        return protect_frame(frame, counts=counts)
    return protect(frame)


def _cell(value: Any) -> Any:
    """One cell's value for a file: text escaped, missing as [x], dates as ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NOT_AVAILABLE
    if isinstance(value, pd.Timestamp | datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape_cell(value)


def prepare_table(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> tuple[list[str], list[list[Any]], TableMeta]:
    """The header, the rows of cells (escaped, suppressed as ``[c]``) and the completed meta."""
    result = apply_protection(frame, protect)
    table = result.table if result is not None else frame
    if result is not None:
        meta = replace(meta, disclosure_note=result.note)
    elif not meta.disclosure_note:
        meta = replace(meta, disclosure_note="No disclosure control was applied by this export.")
    mask = (
        result.hidden.reindex(columns=table.columns, fill_value=False)
        .fillna(False)
        .to_numpy(dtype=bool)
        if result is not None
        else None
    )
    if not isinstance(table.index, pd.RangeIndex):
        extra = table.index.nlevels
        if extra == frame.index.nlevels and not any(table.index.names):
            table = table.rename_axis(frame.index.names)
        table = table.reset_index()
        if mask is not None:
            mask = pd.concat(
                [
                    pd.DataFrame(False, index=range(len(mask)), columns=range(extra)),
                    pd.DataFrame(mask),
                ],
                axis=1,
            ).to_numpy(dtype=bool)
    header = [str(escape_cell(str(c))) for c in table.columns]
    rows = [
        [
            SUPPRESSED if mask is not None and mask[i, j] else _cell(value)
            for j, value in enumerate(record)
        ]
        for i, record in enumerate(table.itertuples(index=False, name=None))
    ]
    return header, rows, meta


def _all_notes(meta: TableMeta) -> list[str]:
    return [meta.disclosure_note, *meta.notes]


def table_to_csv(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """A CSV file: ``#`` comment lines (title, source, disclosure, notes), then the table.

    Suppressed cells read ``[c]``, missing ones ``[x]``. UTF-8 with a byte-order mark so that
    spreadsheet programs read accents correctly.
    """
    header, rows, meta = prepare_table(frame, meta, protect)
    buf = io.StringIO()
    for line in _csv_comments(meta):
        buf.write(f"# {line}\r\n")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_comments(meta: TableMeta) -> list[str]:
    lines = [meta.title, meta.source, f"Produced {meta.created:%d %B %Y}"]
    if meta.data_version:
        lines.append(f"Data version: {meta.data_version}")
    lines += [f"[note {i}] {n}" for i, n in enumerate(_all_notes(meta), start=1)]
    lines.append(
        f"{SUPPRESSED} = hidden to protect confidentiality; {NOT_AVAILABLE} = not available"
    )
    return [" ".join(str(escape_cell(line)).split()) for line in lines]


def read_csv_export(data: bytes | str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`table_to_csv` back, skipping its ``#`` comment lines."""
    text = Path(data).read_bytes() if isinstance(data, Path) else data
    text = text.decode("utf-8-sig") if isinstance(text, bytes) else text.lstrip("\ufeff")
    lines = text.split("\r\n")
    skip = next((i for i, line in enumerate(lines) if not line.startswith("# ")), len(lines))
    body = "\r\n".join(lines[skip:])
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name and rows (the first row is the sheet's title)."""

    name: str
    rows: list[list[Any]]
    header_row: int | None = None
    widths: Sequence[int] = ()


def workbook_sheets(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> list[Sheet]:
    """The sheets of an accessible statistical workbook: cover, contents, notes and the table.

    Args:
        frame: The table.
        meta: Title, source, notes and definitions.
        protect: Disclosure control to apply first (see :func:`apply_protection`).

    Returns:
        ``Cover_sheet``, ``Contents``, ``Notes`` and ``Table_1``, each starting with a title in A1.
    """
    header, rows, meta = prepare_table(frame, meta, protect)
    notes = _all_notes(meta)
    refs = " ".join(f"[note {i}]" for i in range(1, len(notes) + 1))
    cover: list[list[Any]] = [
        [meta.title],
        ["This spreadsheet contains one table, with its notes and definitions."],
        ["Source"],
        [meta.source],
        ["Date produced"],
        [f"{meta.created:%d %B %Y}"],
    ]
    if meta.data_version:
        cover += [["Data version"], [meta.data_version]]
    cover += [["Disclosure control"], [meta.disclosure_note]]
    cover += [
        ["Symbols used"],
        [f"{SUPPRESSED} = value hidden to protect confidentiality (disclosure control)"],
        [f"{NOT_AVAILABLE} = not available"],
    ]
    if meta.definitions:
        cover.append(["Definitions"])
        cover += [[f"{term}: {text}"] for term, text in meta.definitions]
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
            f"on the Notes worksheet. {SUPPRESSED} marks hidden values."
        ],
        [meta.source if meta.source.lower().startswith("source") else f"Source: {meta.source}"],
        header,
        *rows,
    ]
    widths = [max(12, min(50, len(str(h)) + 4)) for h in header]

    def safe(rows: list[list[Any]]) -> list[list[Any]]:
        return [[escape_cell(c) for c in r] for r in rows]

    return [
        Sheet("Cover_sheet", safe(cover), None, [100]),
        Sheet("Contents", safe(contents), 2, [16, 80]),
        Sheet("Notes", safe(notes_sheet), 2, [14, 100]),
        Sheet("Table_1", safe(table_sheet), 3, widths),
    ]


def table_to_xlsx(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An XLSX workbook in the accessible statistical layout (see :func:`workbook_sheets`)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    title = book.add_format({"bold": True, "font_size": 15})
    heading = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for sheet in workbook_sheets(frame, meta, protect):
        ws = book.add_worksheet(sheet.name)
        for col, width in enumerate(sheet.widths):
            ws.set_column(col, col, width, wrap if sheet.name == "Cover_sheet" else None)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                fmt = title if r == 0 else heading if r == sheet.header_row else None
                if sheet.name == "Cover_sheet" and r > 0 and value in _COVER_HEADINGS:
                    fmt = heading
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value, fmt)
                else:
                    ws.write_string(r, c, str(value), fmt)
        if sheet.header_row is not None:
            ws.freeze_panes(sheet.header_row + 1, 0)
    book.set_properties({"title": meta.title, "comments": meta.disclosure_note})
    book.close()
    return buf.getvalue()


_COVER_HEADINGS = {
    "Source",
    "Date produced",
    "Data version",
    "Disclosure control",
    "Symbols used",
    "Definitions",
    "Notes",
}


def table_to_ods(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An OpenDocument spreadsheet with the same sheets as :func:`table_to_xlsx`."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as writer:
        for sheet in workbook_sheets(frame, meta, protect):
            width = max(len(r) for r in sheet.rows)
            grid = pd.DataFrame([[*r, *([None] * (width - len(r)))] for r in sheet.rows])
            grid.to_excel(writer, sheet_name=sheet.name, header=False, index=False)
    return buf.getvalue()


def export_table(
    frame: pd.DataFrame, meta: TableMeta, fmt: str, protect: ProtectArg = None
) -> bytes:
    """Export a table in one of :data:`TABLE_FORMATS` and return the file's bytes."""
    if fmt == "csv":
        return table_to_csv(frame, meta, protect)
    if fmt == "xlsx":
        return table_to_xlsx(frame, meta, protect)
    if fmt == "ods":
        return table_to_ods(frame, meta, protect)
    raise ExportError(f"Unknown table format {fmt!r}.", hint=f"Use {', '.join(TABLE_FORMATS)}.")


def file_name(title: str, fmt: str) -> str:
    """A safe download file name from a title: ``victim-attrition-2024.xlsx``."""
    stem = "".join(ch.lower() if ch.isalnum() else "-" for ch in title).strip("-")
    stem = "-".join(part for part in stem.split("-") if part)[:60] or "export"
    return f"{stem}.{fmt}"


# ------------------------------------------------------------------------------ app helpers
def meta_from_chart(
    chart: alt.TopLevelMixin, data_version: str = "", notes: Sequence[str] = ()
) -> ChartMeta:
    """The :class:`ChartMeta` of a chart drawn with :func:`workbench.charts.titled`.

    Args:
        chart: A chart whose title holds the headline and whose subtitle lines are the
            statistical subtitle and the source line.
        data_version: Which data it was drawn from.
        notes: Further notes (for example, what disclosure control did).
    """
    title = chart.to_dict(validate=False).get("title", "")
    if isinstance(title, dict):
        text, lines = title.get("text", ""), title.get("subtitle", [])
    else:
        text, lines = title, []
    lines = [lines] if isinstance(lines, str) else list(lines)
    text = " ".join(text) if isinstance(text, list) else str(text)
    return ChartMeta(
        title=text or "Chart",
        subtitle=str(lines[0]) if lines else "",
        source=str(lines[1]) if len(lines) > 1 else SOURCE_NOTE,
        notes=tuple(n for n in notes if n),
        data_version=data_version,
    )


def marked_protection(
    frame: pd.DataFrame, marker: str = "suppressed", threshold: int = 10
) -> Protected:
    """A table already disclosure-controlled, its hidden cells written as ``marker``.

    The analysis pages show leaders tables whose hidden values read ``suppressed``; this turns
    them back into a :class:`Protected` so the export writes them as ``[c]`` and states that
    disclosure control was applied.

    Args:
        frame: The table as shown.
        marker: The text of a hidden cell.
        threshold: The threshold the table was protected with.
    """
    hidden = frame.apply(lambda col: col.astype("string").fillna("") == marker)
    hidden = hidden.astype(bool)
    table = frame.mask(hidden)
    count = int(hidden.to_numpy().sum())
    return Protected(table, hidden, count, 0, 0, threshold)


def journey_version(ws: Workspace, table: str = "linked") -> str:
    """The data version of a journey table: its model, threshold and build time.

    Args:
        ws: The workspace.
        table: The journey table's name.
    """
    rows = ws.query(
        "SELECT model_id, threshold, built_at FROM wb.journey_builds WHERE name = ?", [table]
    )
    if not rows:
        return f"journeys.{table}"
    model, threshold, built = rows[0]
    parts = [f"journeys.{table}", f"model {model}" if model else ""]
    parts.append(f"threshold {float(threshold):.3f}" if threshold is not None else "")
    parts.append(f"built {built:%Y-%m-%d %H:%M}" if built else "")
    return ", ".join(p for p in parts if p)


def dataset_version(ws: Workspace, name: str) -> str:
    """The data version of a dataset: its version number and refresh time (or file hash).

    Args:
        ws: The workspace.
        name: The dataset's name.
    """
    rows = ws.query(
        "SELECT version, coalesce(updated_at, imported_at), source_sha256 FROM wb.datasets "
        "WHERE name = ?",
        [name],
    )
    if not rows:
        return name
    version, when, sha = rows[0]
    stamp = f", refreshed {when:%Y-%m-%d %H:%M}" if when else ""
    digest = f", sha256 {sha[:12]}" if sha else ""
    return f"{name} v{version}{stamp}{digest}"


def chart_rows(chart: alt.TopLevelMixin) -> int:
    """How many rows of data a chart is drawn from (0 when its data is not a DataFrame)."""
    frame = _chart_frame(chart)
    return len(frame) if frame is not None else 0
