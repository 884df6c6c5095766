"""Case timeliness: the days each stage takes, summarised and as a histogram.

Timeliness intervals are whole days between two stage dates of the same case; intervals with a
missing or reversed date are left out. The period of an interval is the period it ends in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import (
    ALL,
    JourneyFilter,
    Period,
    column_list,
    group_columns,
    select_list,
    source_table,
    sql_if,
)
from workbench.analysis.measures.record_keys import cell_key, cell_key_as
from workbench.analysis.measures.uncertainty import median_interval
from workbench.disclosure.control import KEY_SUFFIX
from workbench.errors import MeasureError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

INTERVALS: dict[str, tuple[str, str, str]] = {
    "offence_to_charge": ("offence_date", "charge_date", "Offence to charge"),
    "charge_to_first_hearing": ("charge_date", "first_hearing_date", "Charge to first hearing"),
    "first_hearing_to_completion": (
        "first_hearing_date",
        "completion_date",
        "First hearing to completion",
    ),
    "offence_to_completion": ("offence_date", "completion_date", "Offence to completion"),
}


def _intervals(intervals: Sequence[str] | None) -> list[str]:
    chosen = list(intervals or INTERVALS)
    unknown = [i for i in chosen if i not in INTERVALS]
    if unknown:
        raise MeasureError(
            f"Unknown interval {unknown[0]!r}.", hint=f"Use any of {', '.join(INTERVALS)}."
        )
    return chosen


def _interval_rows(
    source: Sql,
    chosen: list[str],
    by: Sequence[str],
    period: str,
    cond: Sql,
    fparams: list[Any],
    keys: bool = False,
    ended: tuple[date, date] | None = None,
) -> tuple[Sql, list[str], list[Any]]:
    """A UNION ALL of (interval, groupings, days) rows, one part per interval."""
    parts: list[Sql] = []
    params: list[Any] = []
    names: list[str] = []
    for interval in chosen:
        start, end, _label = INTERVALS[interval]
        exprs, names, gparams = group_columns(by, period, end)
        within = compose(" AND {b} BETWEEN ? AND ?", b=end) if ended else Sql("")
        parts.append(
            compose(
                "SELECT ? AS interval, {groups}date_diff('day', {a}, {b}) AS days{rk} "
                "FROM {source} WHERE {a} IS NOT NULL AND {b} IS NOT NULL AND {b} >= {a} "
                "AND {cond}{within}",
                groups=select_list(exprs),
                a=start,
                b=end,
                rk=sql_if(keys, ", _rk"),
                source=source,
                cond=cond,
                within=within,
            )
        )
        params.extend([interval, *gparams, *fparams, *(ended or ())])
    return Sql(" UNION ALL ".join(parts)), names, params


def timeliness(
    ws: Workspace,
    table: str = LINKED,
    intervals: Sequence[str] | None = None,
    by: Sequence[str] = (),
    period: Period = "quarter",
    where: JourneyFilter = ALL,
    keys: bool = False,
    ended: tuple[date, date] | None = None,
    median_ci: bool = False,
) -> pd.DataFrame:
    """Days taken by each stage: n, mean, median (optionally with its 95% interval), percentiles.

    Args:
        ws: The workspace.
        table: The journey table.
        intervals: Names from :data:`INTERVALS`; all by default.
        by: Groupings (``period`` is the period each interval ends in), for trends.
        period: week, month, quarter or year.
        where: Which journeys to include.
        keys: Add ``n__key``, the cell key of each count, for disclosure control.
        ended: Only intervals that ended between these two dates (inclusive), for example a
            rolling 12 months.
        median_ci: Add ``median_low`` and ``median_high``, the order-statistic 95% interval of
            the median (missing under 6 cases). Protect them as statistics of ``n``.

    Returns:
        ``interval``, ``label``, the groupings, ``n``, ``mean``, ``median``, (``median_low``,
        ``median_high``), ``p25``, ``p75``, ``p90`` (days; percentiles interpolated); with
        ``keys``, ``n__key`` too.
    """
    source = source_table(ws, table, keys)
    cond, fparams = where.sql()
    union, names, params = _interval_rows(
        source, _intervals(intervals), by, period, cond, fparams, keys, ended
    )
    group_cols = column_list(names)
    key = compose("{key} AS {name}, ", key=cell_key(), name=f"n{KEY_SUFFIX}") if keys else Sql("")
    sql = compose(
        """
        SELECT interval, {group_cols}count(*) AS n, {key}avg(days) AS mean,
               quantile_cont(days, 0.5) AS median, quantile_cont(days, 0.25) AS p25,
               quantile_cont(days, 0.75) AS p75, quantile_cont(days, 0.9) AS p90,
               {days} AS _days
        FROM ({union}) GROUP BY ALL ORDER BY interval, {group_cols}n
    """,
        group_cols=group_cols,
        key=key,
        days=Sql("list(days)" if median_ci else "NULL"),
        union=union,
    )
    out = ws.query_df(sql, params)
    if median_ci:
        bounds = [median_interval(list(days)) for days in out["_days"]]
        at = list(out.columns).index("median") + 1
        out.insert(at, "median_low", pd.array([b[0] for b in bounds], dtype="Float64"))
        out.insert(at + 1, "median_high", pd.array([b[1] for b in bounds], dtype="Float64"))
    out = out.drop(columns="_days")
    out.insert(1, "label", out["interval"].map(lambda i: INTERVALS[i][2]))
    return out


def timeliness_distribution(
    ws: Workspace,
    interval: str,
    table: str = LINKED,
    bin_days: int = 30,
    max_days: int = 1095,
    by: Sequence[str] = (),
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """A histogram of the days one stage takes.

    Args:
        ws: The workspace.
        interval: A name from :data:`INTERVALS`.
        table: The journey table.
        bin_days: Width of each bin in days.
        max_days: Intervals this long or longer go into one last, open bin.
        by: Groupings (not ``period``).
        where: Which journeys to include.

    Returns:
        The groupings, ``bin_start``, ``bin_end`` (None for the open last bin), ``cases`` and
        ``share`` (of the group's intervals). Empty bins are left out. With ``keys``,
        ``cases__key`` too.
    """
    if bin_days < 1 or max_days < bin_days:
        raise MeasureError("Bins need a width of at least a day and at most max_days.")
    source = source_table(ws, table, keys)
    cond, fparams = where.sql()
    union, names, params = _interval_rows(
        source, _intervals([interval]), by, "month", cond, fparams, keys
    )
    key_name = f"cases{KEY_SUFFIX}"
    sql = compose(
        """
        WITH d AS (SELECT {group_cols}least(days, ?) // ? * ? AS bin_start{rk} FROM ({union})),
        c AS (SELECT {group_cols}bin_start, count(*) AS cases{key} FROM d GROUP BY ALL)
        SELECT {group_cols}bin_start,
               CASE WHEN bin_start + ? > ? THEN NULL ELSE bin_start + ? END AS bin_end,
               cases, cases / sum(cases) OVER ({partition}) AS share{key_column}
        FROM c ORDER BY {group_cols}bin_start
    """,
        group_cols=column_list(names),
        rk=sql_if(keys, ", _rk"),
        union=union,
        key=cell_key_as(key_name, keys),
        partition=compose("PARTITION BY {names}", names=names) if names else Sql(""),
        key_column=compose(", {name}", name=key_name) if keys else Sql(""),
    )
    bins = [int(max_days), int(bin_days), int(bin_days)]
    return ws.query_df(sql, bins + params + [int(bin_days), int(max_days), int(bin_days)])
