"""Calendar periods: where a week, month, quarter or year ends, and whether data cover it whole."""

from __future__ import annotations

from datetime import date

import pandas as pd


def period_end(starts: pd.Series, period: str) -> pd.Series:
    """The last day of each week, month, quarter or year starting on ``starts``."""
    step = {"week": {"weeks": 1}, "month": {"months": 1}, "quarter": {"months": 3}}
    offset = pd.DateOffset(**step.get(period, {"years": 1}))
    return pd.to_datetime(starts) + offset - pd.Timedelta(days=1)


def span_status(starts: pd.Series, period: str, start: date, end: date) -> pd.Series:
    """``complete`` for a period wholly within the data's span, ``partial`` where the data
    start or end within it (its count covers only part of the period)."""
    first = pd.to_datetime(starts)
    inside = (first >= pd.Timestamp(start)) & (period_end(first, period) <= pd.Timestamp(end))
    return pd.Series(
        ["complete" if ok else "partial" for ok in inside], index=starts.index, dtype="object"
    )


def latest_complete_period(end: date, period: str) -> pd.Timestamp:
    """The first day of the last whole period that ends on or before ``end``."""
    following = pd.Timestamp(end) + pd.Timedelta(days=1)
    if period == "week":
        start = following - pd.Timedelta(days=following.weekday())
    elif period == "month":
        start = pd.Timestamp(following.year, following.month, 1)
    elif period == "quarter":
        start = pd.Timestamp(following.year, 3 * ((following.month - 1) // 3) + 1, 1)
    else:
        start = pd.Timestamp(following.year, 1, 1)
    step = {"week": {"weeks": 1}, "month": {"months": 1}, "quarter": {"months": 3}}
    return start - pd.DateOffset(**step.get(period, {"years": 1}))
