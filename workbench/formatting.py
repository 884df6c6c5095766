"""Plain formats for numbers, durations, dates and ids shown to people (no Streamlit here)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

#: Shown where a value is missing.
MISSING = "missing"


def is_missing(value: Any) -> bool:
    """Whether a value is empty: ``None``, NaN, ``NaT`` or ``pd.NA``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_count(value: Any) -> str:
    """A whole number with thousands separators (``47,314``); ``missing`` when empty."""
    if is_missing(value):
        return MISSING
    return f"{round(float(value)):,}"


def format_seconds(value: Any) -> str:
    """A duration in seconds to one decimal place (``15.0 s``), or minutes past 90 seconds."""
    if is_missing(value):
        return MISSING
    seconds = float(value)
    if seconds >= 90:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)} min {rest:.0f} s"
    return f"{seconds:.1f} s"


def format_date(value: Any) -> str:
    """A date as people write it (``2 Nov 2026``); ``missing`` when empty or unreadable."""
    if is_missing(value):
        return MISSING
    if not isinstance(value, datetime | date):
        try:
            value = pd.Timestamp(value)
        except (TypeError, ValueError):
            return str(value)
        if is_missing(value):
            return MISSING
    return f"{value.day} {value:%b %Y}"


def format_number(value: Any, digits: int = 3) -> str:
    """A measure rounded for reading: counts whole with separators, fractions to ``digits``."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if math.isinf(number):
        return "infinite"
    # a fraction of exactly 1.0 (a perfect precision) reads "1.000" beside "0.994"; whole
    # numbers from 2 up, and integers, are counts
    if number.is_integer() and (abs(number) > 1 or isinstance(value, numbers.Integral)):
        return f"{int(number):,}"
    return f"{number:.{digits}f}"


def model_label(row: Mapping[str, Any]) -> str:
    """A model as people know it: its name, the date it was trained and its threshold.

    Args:
        row: A registry row with ``name``, ``created_at`` (or ``trained_at``), ``threshold``.
    """
    name = row.get("name") or "model"
    when = row.get("created_at", row.get("trained_at"))
    parts = [str(name)]
    if not is_missing(when):
        parts.append(f"trained {format_date(when)}")
    threshold = row.get("threshold")
    if not is_missing(threshold):
        parts.append(f"threshold {float(threshold):g}")
    return ", ".join(parts)


def cluster_label(cluster_id: Any, separator: str = "-__-") -> str:
    """A cluster id (``courts-__-M2019/123``: its first record's dataset and id) as
    ``courts record M2019/123``."""
    text = str(cluster_id)
    dataset, found, record = text.partition(separator)
    return f"{dataset} record {record}" if found and dataset and record else text


def hide_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with empty cells written ``missing`` (for tables read by people, not sums)."""
    return frame.astype(object).where(frame.notna(), MISSING)
