"""Download controls for any chart or table of the app, built only when clicked and audit-logged.

The Analyse pages put :func:`download_menu` (a compact "Download" popover holding the chart's
PNG, SVG, PDF and HTML buttons and the table's CSV, XLSX and ODS buttons, with the CSV's
metadata file) under each chart and
table; the Stories page uses :func:`chart_downloads` and :func:`table_downloads`. The files carry
the title, subtitle, source, notes, date and data version; the alt text is generated from the
data and can be edited before downloading; disclosure control runs before a table is written
when ``protect`` is given, and the file says so.

Every download is written to the audit log (``export.download``: who, what, when, which data
version) by the button's data callable, which Streamlit runs when the button is clicked. The
actor and the workspace are captured when the button is drawn, because the callable runs outside
the script run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from workbench.config import current_user
from workbench.publish.export.alt_text import chart_rows, describe_chart
from workbench.publish.export.disclosure import ProtectArg
from workbench.publish.export.files import (
    CHART_FORMATS,
    EXTENSIONS,
    MIME,
    TABLE_FORMATS,
    export_chart,
    export_table,
    file_name,
)
from workbench.publish.export.meta import ChartMeta, TableMeta, dataset_version, meta_from_chart
from workbench.ui.context import workspace
from workbench.ui.login import USER_KEY
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

AUDIT_ACTION = "export.download"


def download_actor() -> str:
    """Who is downloading: the logged-in user in shared mode, else the local user."""
    user = st.session_state.get(USER_KEY)
    name = getattr(user, "username", None)
    return str(name) if name else current_user()


def audited(
    ws: Workspace,
    make: Callable[[], bytes | str],
    *,
    title: str,
    fmt: str,
    page: str,
    rows: int,
    actor: str,
    data_version: str = "",
) -> Callable[[], bytes | str]:
    """Wrap a file builder so that each download is written to the audit log.

    The entry is written after the file was built (a failed export logs nothing); when the
    entry cannot be written the download fails too, so no download goes unlogged.

    Args:
        ws: The workspace holding the audit log.
        make: Builds the file's contents.
        title: What is downloaded (the audit entry's target).
        fmt: The file format (``png``, ``xlsx`` …).
        page: The page it was downloaded from.
        rows: How many rows of data the file holds.
        actor: Who downloads it.
        data_version: Which data it was made from.

    Returns:
        A callable taking no arguments, for ``st.download_button(data=...)``.
    """

    def data() -> bytes | str:
        content = make()
        ws.audit(
            AUDIT_ACTION,
            target=title,
            detail={"format": fmt, "page": page, "rows": int(rows)},
            actor=actor,
            data_version=data_version or None,
        )
        return content

    return data


def _chart_controls(chart: alt.TopLevelMixin, meta: ChartMeta, key: str) -> tuple[ChartMeta, int]:
    """The editable alt text and the PNG scale; returns the final meta and the scale."""
    alt_text = st.text_area(
        "Alt text (describes the chart to people who cannot see it; edit as needed)",
        value=meta.alt_text or describe_chart(chart, meta.title),
        key=f"{key}_alt",
        height=90,
    )
    scale = st.radio(
        "PNG size",
        [1, 2, 3],
        index=1,
        horizontal=True,
        key=f"{key}_scale",
        format_func=lambda s: f"{s}×",
    )
    return replace(meta, alt_text=alt_text), int(scale)


def _chart_buttons(
    chart: alt.TopLevelMixin, meta: ChartMeta, scale: int, key: str, page: str, stem: str | None
) -> None:
    ws, actor, rows = workspace(), download_actor(), chart_rows(chart)
    for column, fmt in zip(st.columns(len(CHART_FORMATS)), CHART_FORMATS, strict=True):
        make = partial(export_chart, chart, meta, fmt, float(scale))
        column.download_button(
            fmt.upper(),
            data=audited(
                ws,
                make,
                title=meta.title,
                fmt=fmt,
                page=page,
                rows=rows,
                actor=actor,
                data_version=meta.data_version,
            ),
            file_name=f"{stem}.{fmt}" if stem else file_name(meta.title, fmt),
            mime=MIME[fmt],
            on_click="ignore",
            key=f"{key}_{fmt}",
            icon=":material/download:",
            width="stretch",
        )


TABLE_LABELS: dict[str, str] = {"metadata": "Metadata (TXT)"}


def _table_buttons(
    frame: pd.DataFrame,
    meta: TableMeta,
    key: str,
    protect: ProtectArg,
    page: str,
    stem: str | None,
    prefix: str = "",
) -> None:
    """One button per table format, and the CSV's metadata file beside them."""
    ws, actor = workspace(), download_actor()
    formats = (*TABLE_FORMATS, "metadata")
    for column, fmt in zip(st.columns(len(formats)), formats, strict=True):
        column.download_button(
            f"{prefix}{TABLE_LABELS.get(fmt, fmt.upper())}",
            data=audited(
                ws,
                partial(export_table, frame, meta, fmt, protect),
                title=meta.title,
                fmt=fmt,
                page=page,
                rows=len(frame),
                actor=actor,
                data_version=meta.data_version,
            ),
            file_name=f"{stem}.{EXTENSIONS.get(fmt, fmt)}" if stem else file_name(meta.title, fmt),
            mime=MIME[fmt],
            on_click="ignore",
            key=f"{key}_{fmt}",
            icon=":material/table:" if fmt != "metadata" else ":material/description:",
            width="stretch",
            help=(
                "What the CSV holds: title, period, status, source, contact, methodology, "
                "disclosure control, symbols and notes. Keep it with the CSV."
                if fmt == "metadata"
                else None
            ),
        )


def chart_downloads(
    chart: alt.TopLevelMixin, meta: ChartMeta, key: str, page: str = "stories"
) -> None:
    """PNG, SVG, PDF and HTML download buttons for a chart, with editable alt text, in an expander.

    Args:
        chart: The chart as drawn on the page (its title is replaced by ``meta``).
        meta: Title, subtitle, source, notes and data version to print on the file.
        key: A key unique on the page; widget keys derive from it.
        page: The page, for the audit log.
    """
    with st.expander("Download this chart", icon=":material/download:"):
        final, scale = _chart_controls(chart, meta, key)
        _chart_buttons(chart, final, scale, key, page, None)


def table_downloads(
    frame: pd.DataFrame,
    meta: TableMeta,
    key: str,
    protect: ProtectArg = None,
    page: str = "stories",
) -> None:
    """CSV, XLSX and ODS download buttons for a table, with its cover sheet, notes and metadata.

    Args:
        frame: The table (disclosure-controlled already, or pass ``protect``).
        meta: Title, source, notes and definitions for the cover sheet.
        key: A key unique on the page.
        protect: Disclosure control to apply before writing (see
            :func:`workbench.publish.export.disclosure.apply_protection`).
        page: The page, for the audit log.
    """
    _table_buttons(frame, meta, key, protect, page, None, prefix="Table ")


def download_menu(
    key: str,
    *,
    chart: alt.TopLevelMixin | None = None,
    chart_meta: ChartMeta | None = None,
    frame: pd.DataFrame | None = None,
    table_meta: TableMeta | None = None,
    protect: ProtectArg = None,
    page: str | None = None,
    stem: str | None = None,
) -> None:
    """A "Download" popover: the chart as PNG, SVG, PDF or HTML and the table as CSV, XLSX, ODS.

    The CSV holds only the header and the data; its metadata (title, period, status, source,
    contact, disclosure control, symbols and notes) is the ``<stem>.metadata.txt`` button beside it.

    Args:
        key: A key unique on the page; the buttons are ``{key}_png`` … ``{key}_ods``.
        chart: The chart, if there is one (with ``chart_meta``).
        chart_meta: What to print on the chart files.
        frame: The table, if there is one (with ``table_meta``).
        table_meta: The table's cover sheet.
        protect: Disclosure control to apply to the table before writing; the files say so.
        page: The page, for the audit log (default: the first part of ``key``).
        stem: The file name without its extension (default: from the title).
    """
    page = page or key.split("_", 1)[0]
    with st.popover("Download", icon=":material/download:"):
        if chart is not None and chart_meta is not None:
            st.markdown("**Chart**")
            final, scale = _chart_controls(chart, chart_meta, key)
            _chart_buttons(chart, final, scale, key, page, stem)
        if frame is not None and table_meta is not None:
            st.markdown("**Table** (with a cover sheet and notes)")
            _table_buttons(frame, table_meta, key, protect, page, stem)
            if protect:
                st.caption(
                    "Disclosure control is applied before the table is written; "
                    "the file states what was hidden."
                )


def dataset_downloads(
    ws: Workspace,
    dataset: str,
    chart: alt.TopLevelMixin,
    frame: pd.DataFrame,
    key: str,
    stem: str | None = None,
) -> None:
    """The Download popover of a chart and table counted from one dataset.

    The data version is the dataset's version, refresh time and file hash; a leader's table is
    disclosure-controlled (primary suppression of its counts).

    Args:
        ws: The workspace.
        dataset: The dataset the counts come from.
        chart: The chart drawn from ``frame``.
        frame: The table of counts.
        key: A key unique on the page.
        stem: The file name without its extension.
    """
    version = dataset_version(ws, dataset)
    meta = meta_from_chart(chart, version)
    download_menu(
        key,
        chart=chart,
        chart_meta=meta,
        frame=frame,
        table_meta=TableMeta(meta.title, source=meta.source, data_version=version),
        protect=True if st.session_state.get("_leader_view") else None,
        stem=stem,
    )
