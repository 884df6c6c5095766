"""Explore a dataset: record counts over time, by any category column."""

from __future__ import annotations

from datetime import date
from typing import Literal

import altair as alt
import pandas as pd

from workbench.charts import SOURCE_NOTE, accessible_palette, period_axis, titled
from workbench.data.catalogue import column_dictionary
from workbench.errors import ValidationError
from workbench.periods import period_end
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

Period = Literal["week", "month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("week", "month", "quarter", "year")
DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS")
MAX_SERIES = 8


def date_columns(ws: Workspace, name: str) -> list[str]:
    """Columns of a dataset that hold dates or timestamps; event dates first, birth dates last."""
    dictionary = column_dictionary(ws, name)
    dates = [r.name for r in dictionary.itertuples() if str(r.dtype).upper() in DATE_TYPES]
    return sorted(dates, key=lambda c: "dob" in c.lower() or "birth" in c.lower())


def category_columns(ws: Workspace, name: str, max_distinct: int = 60) -> list[str]:
    """Text or boolean columns with few enough distinct values to group by."""
    dictionary = column_dictionary(ws, name)
    candidates = [
        r.name for r in dictionary.itertuples() if str(r.dtype).upper() in ("VARCHAR", "BOOLEAN")
    ]
    if not candidates:
        return []
    table = ws.dataset_table(name)
    parts = Sql(", ".join(compose("approx_count_distinct({c})", c=c) for c in candidates))
    counts = ws.query(compose("SELECT {parts} FROM {t}", parts=parts, t=Sql(table)))[0]
    return [c for c, n in zip(candidates, counts, strict=True) if 1 < (n or 0) <= max_distinct]


def date_span(ws: Workspace, name: str, date_column: str) -> tuple[date, date] | None:
    """The first and last dates of a dataset's date column (None when it holds none)."""
    if date_column not in date_columns(ws, name):
        raise ValidationError(
            f"{date_column!r} is not a date column of {name}.",
            hint="Pick one of the date columns offered.",
        )
    sql = compose(
        "SELECT min({when})::DATE, max({when})::DATE FROM {t}",
        when=date_column,
        t=Sql(ws.dataset_table(name)),
    )
    row = ws.query(sql)
    if not row or row[0][0] is None:
        return None
    return row[0][0], row[0][1]


def period_counts(
    ws: Workspace,
    name: str,
    date_column: str,
    by: str | None = None,
    period: Period = "month",
    top: int = MAX_SERIES,
) -> pd.DataFrame:
    """Count records per period of a date column, optionally split by a category column.

    Categories beyond the ``top`` largest are grouped as "Other" so a chart stays readable.

    Args:
        ws: The workspace.
        name: The dataset.
        date_column: The date that places a record in time.
        by: A category column to split by, or None for one series.
        period: week, month, quarter or year.
        top: How many categories to show by name.

    Returns:
        Columns ``period`` (date the period starts), ``group`` and ``records``.
    """
    if period not in PERIODS:
        raise ValidationError(
            f"Unknown period {period!r}.", hint=f"Use one of {', '.join(PERIODS)}."
        )
    if date_column not in date_columns(ws, name):
        raise ValidationError(
            f"{date_column!r} is not a date column of {name}.",
            hint="Pick one of the date columns offered.",
        )
    table = ws.dataset_table(name)
    if by is None:
        sql = compose(
            "SELECT date_trunc(?, {when})::DATE AS period, 'All records' AS \"group\", "
            "count(*) AS records FROM {t} WHERE {when} IS NOT NULL GROUP BY 1 ORDER BY 1",
            when=date_column,
            t=Sql(table),
        )
        return ws.query_df(sql, [period])
    if by not in {r for r in column_dictionary(ws, name)["name"]}:
        raise ValidationError(f"{by!r} is not a column of {name}.")
    sql = compose(
        """
        WITH ranked AS (
            SELECT coalesce(CAST({group} AS VARCHAR), '(missing)') AS g, count(*) AS n
            FROM {table} GROUP BY 1 ORDER BY n DESC LIMIT ?
        )
        SELECT date_trunc(?, {when})::DATE AS period,
               CASE WHEN r.g IS NULL THEN 'Other'
                    ELSE coalesce(CAST(t.{group} AS VARCHAR), '(missing)') END AS "group",
               count(*) AS records
        FROM {table} AS t
        LEFT JOIN ranked AS r ON r.g = coalesce(CAST(t.{group} AS VARCHAR), '(missing)')
        WHERE t.{when} IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
    """,
        group=by,
        when=date_column,
        table=Sql(table),
    )
    return ws.query_df(sql, [int(top), period])


SHOWN_SHARE = 0.995


def shown_range(counts: pd.DataFrame, share: float = SHOWN_SHARE) -> tuple[pd.DataFrame, int]:
    """The periods holding the bulk of the records, so a few stray dates (an offence in 1962
    among 2019-2026) do not squeeze the chart; and how many records fall outside them.

    Args:
        counts: ``period`` and ``records`` (as from :func:`period_counts`).
        share: Keep the central ``share`` of records (half the rest cut at each end).
    """
    if counts.empty:
        return counts, 0
    per = counts.groupby("period")["records"].sum().sort_index()
    cum = per.cumsum() / max(float(per.sum()), 1.0)
    tail = (1 - share) / 2
    low = cum.index[cum >= tail][0]
    high = cum.index[cum >= 1 - tail][0]
    inside = counts["period"].between(low, high)
    return counts[inside], int(counts.loc[~inside, "records"].sum())


def period_chart(
    counts: pd.DataFrame,
    title: str,
    period: Period = "month",
    span: tuple[date, date] | None = None,
) -> alt.Chart:
    """A line chart of record counts per period, one line (and point shape) per group.

    With ``span`` (the first and last dates of the column, :func:`date_span`), the subtitle
    says when the last period drawn holds only the days up to the last date, so its fall is
    not read as real.
    """
    groups = sorted(counts["group"].unique()) if len(counts) else []
    counts, outside = shown_range(counts)
    note = f"; {outside:,} records dated outside the range shown are not drawn" if outside else ""
    if span is not None and len(counts):
        last = pd.Timestamp(counts["period"].max())
        if period_end(pd.Series([last]), period).iloc[0] > pd.Timestamp(span[1]):
            end = pd.Timestamp(span[1])
            note += f"; the last {period} is partial: the records end on {end.day} {end:%B %Y}"
    chart = (
        alt.Chart(counts)
        .mark_line(point=counts["period"].nunique() <= 60, strokeWidth=2)
        .encode(
            x=alt.X("period:T", title=period.capitalize(), axis=period_axis(period)),
            y=alt.Y("records:Q", title="Records"),
            color=alt.Color(
                "group:N", title=None, scale=alt.Scale(domain=groups, range=accessible_palette())
            ),
            shape=alt.Shape("group:N", title=None),
            tooltip=[
                alt.Tooltip("period:T", title=period.capitalize()),
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("records:Q", title="Records", format=","),
            ],
        )
    )
    return titled(chart, title, f"Records per {period}{note}", SOURCE_NOTE)
