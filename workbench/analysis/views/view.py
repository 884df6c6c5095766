"""What every view shares: the :class:`View` a page shows, the measures it names, the
smallest base a value is shown from (:func:`min_base`) and readable tables (:func:`readable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.analysis.measures.timeliness import INTERVALS
from workbench.errors import JourneyError
from workbench.workspace import Workspace

NATIONAL = "National"
HIDDEN = "suppressed"
# Measure -> (short label, unit, headline subject).
MEASURES: dict[str, tuple[str, str, str]] = {
    "charge_rate": ("Charge rate", "rate", "The charge rate"),
    "victim_not_support_share": (
        "Victim does not support action",
        "rate",
        "The share of crimes closed because the victim did not support action",
    ),
    "conviction_rate": ("Conviction rate", "rate", "The conviction rate"),
    **{
        f"median_{k}": (f"Median days, {v[2].lower()}", "days", f"Median time from {v[2].lower()}")
        for k, v in INTERVALS.items()
    },
}
DASHBOARD_MEASURES = (
    "charge_rate",
    "victim_not_support_share",
    "conviction_rate",
    "median_charge_to_first_hearing",
    "median_offence_to_completion",
)


# Rates and medians from fewer cases than this are withheld for everyone (see min_base).
MIN_BASE = 30
MIN_BASE_SETTING = "analysis.min_base"


def min_base(ws: Workspace) -> int:
    """The smallest base a rate or median is shown from: the workspace setting
    ``analysis.min_base``, or :data:`MIN_BASE`."""
    value = ws.get_setting(MIN_BASE_SETTING, MIN_BASE)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return MIN_BASE


def set_min_base(ws: Workspace, value: int) -> None:
    """Store the smallest base a rate or median is shown from (at least 1)."""
    if int(value) < 1:
        raise JourneyError("The minimum base must be a whole number of at least 1.")
    ws.set_setting(MIN_BASE_SETTING, int(value))


@dataclass(frozen=True)
class View:
    """One measure ready to show.

    Attributes:
        data: For the chart; values hidden by disclosure control are missing.
        table: For the table view and the CSV download, with readable column names.
        note: The disclosure note (None when disclosure control was not asked for).
        not_applicable: Cells of ``table`` that do not apply (row number, column name), such
            as the first funnel step's rate of the step before; published as ``[z]``.
        screen_labels: Shorter headings for some columns of ``table`` on screen, where the
            columns around them say the rest (downloads keep the full names).
    """

    data: pd.DataFrame
    table: pd.DataFrame
    note: str | None = None
    not_applicable: tuple[tuple[int, str], ...] = ()
    screen_labels: tuple[tuple[str, str], ...] = ()


def readable(
    frame: pd.DataFrame,
    hidden: pd.DataFrame | None = None,
    rates: Sequence[str] = (),
    days: Sequence[str] = (),
) -> pd.DataFrame:
    """Rates as percentages, days rounded; hidden values ``suppressed``, other gaps blank."""
    out = frame.copy()

    def show(col: str, fmt: Any) -> list[Any]:
        flags = (
            hidden[col].reindex(out.index, fill_value=False)
            if hidden is not None and col in hidden.columns
            else pd.Series(False, index=out.index)
        )
        return [
            (HIDDEN if flag else "") if pd.isna(v) else fmt(v)
            for v, flag in zip(out[col], flags, strict=True)
        ]

    for col in out.columns:
        if col in rates:
            out[col] = show(col, lambda v: f"{float(v) * 100:.1f}%")
        elif col in days:
            out[col] = show(col, lambda v: round(float(v), 1))
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date
        elif out[col].isna().any() and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = show(col, int)
    for col in out.columns:
        kinds = {isinstance(v, str) for v in out[col]}
        if kinds == {True, False}:
            out[col] = ["" if v is None else str(v) for v in out[col]]
    out.columns = [str(c).replace("_", " ").capitalize() for c in out.columns]
    return out
