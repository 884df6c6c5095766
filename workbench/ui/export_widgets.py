"""Download buttons for any chart or table of the app, built only when clicked.

Pages call :func:`chart_downloads` under a chart and :func:`table_downloads` under a table. The
files carry the title, subtitle, source, notes, date and data version; the alt text is generated
from the data and can be edited before downloading; disclosure control runs before a table is
written when ``protect`` is given.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from workbench.export import (
    CHART_FORMATS,
    MIME,
    TABLE_FORMATS,
    ChartMeta,
    ProtectArg,
    TableMeta,
    describe_chart,
    export_chart,
    export_table,
    file_name,
)


def chart_downloads(chart: alt.TopLevelMixin, meta: ChartMeta, key: str) -> None:
    """PNG, SVG, PDF and HTML download buttons for a chart, with editable alt text.

    Args:
        chart: The chart as drawn on the page (its title is replaced by ``meta``).
        meta: Title, subtitle, source, notes and data version to print on the file.
        key: A key unique on the page; widget keys derive from it.
    """
    with st.expander("Download this chart", icon=":material/download:"):
        alt_text = st.text_area(
            "Alt text (describes the chart to people who cannot see it; edit as needed)",
            value=meta.alt_text or describe_chart(chart, meta.title),
            key=f"{key}_alt",
        )
        scale = st.radio(
            "PNG size",
            [1, 2, 3],
            index=1,
            horizontal=True,
            key=f"{key}_scale",
            format_func=lambda s: f"{s}×",
        )
        final = replace(meta, alt_text=alt_text)
        for column, fmt in zip(st.columns(len(CHART_FORMATS)), CHART_FORMATS, strict=True):
            column.download_button(
                fmt.upper(),
                data=partial(export_chart, chart, final, fmt, float(scale)),
                file_name=file_name(meta.title, fmt),
                mime=MIME[fmt],
                on_click="ignore",
                key=f"{key}_{fmt}",
                icon=":material/download:",
            )


def table_downloads(
    frame: pd.DataFrame, meta: TableMeta, key: str, protect: ProtectArg = None
) -> None:
    """CSV, XLSX and ODS download buttons for a table, with its cover sheet and notes.

    Args:
        frame: The table (disclosure-controlled already, or pass ``protect``).
        meta: Title, source, notes and definitions for the cover sheet.
        key: A key unique on the page.
        protect: Disclosure control to apply before writing (see
            :func:`workbench.export.apply_protection`).
    """
    columns = st.columns(len(TABLE_FORMATS))
    for column, fmt in zip(columns, TABLE_FORMATS, strict=True):
        column.download_button(
            f"Table {fmt.upper()}",
            data=partial(export_table, frame, meta, fmt, protect),
            file_name=file_name(meta.title, fmt),
            mime=MIME[fmt],
            on_click="ignore",
            key=f"{key}_{fmt}",
            icon=":material/table:",
        )
