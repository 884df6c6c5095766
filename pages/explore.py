"""Explore: how many records per week, month, quarter or year, split by any category."""

import streamlit as st

from workbench.charts import fit_width
from workbench.data.explore import (
    PERIODS,
    category_columns,
    date_columns,
    date_span,
    period_chart,
    period_counts,
)
from workbench.ui.context import pick_dataset, user_errors, workspace
from workbench.ui.export_widgets import dataset_downloads

st.title("Explore records over time")
ws = workspace()
info = pick_dataset(ws, key="explore_dataset")
if info is None:
    st.stop()
dates = date_columns(ws, info.name)
if not dates:
    st.info(f"{info.name} has no date columns to place records in time.")
    st.stop()

left, middle, right = st.columns(3)
date_column = left.selectbox("Date", dates, key="explore_date")
by = middle.selectbox("Split by", ["(none)", *category_columns(ws, info.name)], key="explore_by")
period = right.selectbox("Period", PERIODS, index=1, key="explore_period")

with user_errors():
    counts = period_counts(
        ws, info.name, date_column, by=None if by == "(none)" else by, period=period
    )
    title = f"{info.title or info.name}: records by {date_column.replace('_', ' ')}"
    chart = period_chart(counts, title, period, date_span(ws, info.name, date_column))
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    chart_tab.altair_chart(fit_width(chart), width="stretch")
    table_tab.dataframe(counts, hide_index=True, width="stretch")
    dataset_downloads(
        ws, info.name, chart, counts, key="explore", stem=f"{info.name}_{date_column}_{period}"
    )
