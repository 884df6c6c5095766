"""Export a chart or a table in a named format: the file's bytes, MIME type and file name."""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.errors import ExportError
from workbench.publish.export.chart_files import (
    chart_to_html,
    chart_to_pdf,
    chart_to_png,
    chart_to_svg,
)
from workbench.publish.export.csv_files import table_metadata, table_to_csv
from workbench.publish.export.disclosure import ProtectArg
from workbench.publish.export.meta import ChartMeta, TableMeta
from workbench.publish.export.spreadsheets import table_to_ods, table_to_xlsx

CHART_FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "html")


TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "ods")


MIME: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "csv": "text/csv",
    "metadata": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


EXTENSIONS: dict[str, str] = {"metadata": "metadata.txt"}


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


def export_table(
    frame: pd.DataFrame, meta: TableMeta, fmt: str, protect: ProtectArg = None
) -> bytes:
    """Export a table in one of :data:`TABLE_FORMATS` (or its CSV's ``metadata`` file)."""
    if fmt == "csv":
        return table_to_csv(frame, meta, protect)
    if fmt == "metadata":
        return table_metadata(frame, meta, protect)
    if fmt == "xlsx":
        return table_to_xlsx(frame, meta, protect)
    if fmt == "ods":
        return table_to_ods(frame, meta, protect)
    raise ExportError(f"Unknown table format {fmt!r}.", hint=f"Use {', '.join(TABLE_FORMATS)}.")


def file_name(title: str, fmt: str) -> str:
    """A safe download file name from a title: ``victim-attrition-2024.xlsx``."""
    stem = "".join(ch.lower() if ch.isalnum() else "-" for ch in title).strip("-")
    stem = "-".join(part for part in stem.split("-") if part)[:60] or "export"
    return f"{stem}.{EXTENSIONS.get(fmt, fmt)}"
