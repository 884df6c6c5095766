"""Where the data starts and ends, and how long offence cohorts need before their
figures settle: periods are marked complete, partial, provisional or early.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from workbench.analysis.measures.maturity import Maturity, maturity
from workbench.analysis.measures.query import ALL, JourneyFilter
from workbench.analysis.measures.timeliness import timeliness
from workbench.analysis.views.scope import data_span
from workbench.periods import period_end
from workbench.workspace import Workspace

# Offence-cohort rates -> the maturity window (an attribute of measures.Maturity) they need.
COHORT_WINDOW = {
    "charge_rate": "charge_days",
    "victim_not_support_share": "charge_days",
    "conviction_rate": "completion_days",
}


@dataclass(frozen=True)
class DataWindow:
    """Where the data starts and ends, and how long cohorts need to finish.

    Attributes:
        start: The first date any stage was recorded.
        end: The last date any stage was recorded.
        maturity: The maturity windows of offence cohorts (see
            :func:`workbench.analysis.measures.maturity.maturity`).
        interval_days: Interval name -> the 90th percentile of its days: a period ending an
            interval is only complete once that long after the data starts.
    """

    start: date
    end: date
    maturity: Maturity
    interval_days: dict[str, float]

    def window(self, measure: str) -> float:
        """Days a period of ``measure`` needs (after its end for offence cohorts, after the
        data start for periods of completion)."""
        attr = COHORT_WINDOW.get(measure)
        if attr is not None:
            return float(getattr(self.maturity, attr) or 0.0)
        return float(self.interval_days.get(measure.removeprefix("median_"), 0.0))


def data_window(ws: Workspace, where: JourneyFilter = ALL) -> DataWindow:
    """The data's span and maturity windows, measured on every area with the other filters."""
    national = replace(where, areas=())
    start, end = data_span(ws)
    spread = timeliness(ws, where=national)
    days = {r["interval"]: float(r["p90"]) for r in spread.to_dict("records") if pd.notna(r["p90"])}
    return DataWindow(start, end, maturity(ws, where=national), days)


def cohort_status(series: pd.DataFrame, period: str, window: DataWindow) -> pd.Series:
    """``complete``, ``partial`` (the period began before the data starts), ``provisional``
    (an offence cohort whose cases are still open: the period ended within its maturity window
    of the data end) or ``early`` (a period of completion so close to the data start that slow
    cases, which began before it, are missing)."""
    end = pd.Timestamp(window.end)
    start = pd.Timestamp(window.start)
    status = []
    ends = period_end(series["period"], period)
    for measure, first, last in zip(series["measure"], series["period"], ends, strict=True):
        days = pd.Timedelta(days=window.window(measure))
        if pd.Timestamp(first) < start or last > end:
            status.append("partial")
        elif measure in COHORT_WINDOW:
            status.append("provisional" if last + days > end else "complete")
        else:
            status.append("early" if pd.Timestamp(first) < start + days else "complete")
    return pd.Series(status, index=series.index, dtype="object")


def maturity_note(ws: Workspace, where: JourneyFilter, measure: str, period: str) -> str:
    """A sentence saying which periods of a measure are provisional and why."""
    window = data_window(ws, where)
    days = window.window(measure)
    if measure in COHORT_WINDOW:
        what = "charged" if COHORT_WINDOW[measure] == "charge_days" else "completed"
        return (
            f"Provisional (hollow points): {period}s of offence ending within "
            f"{days:.0f} days of the data end ({window.end:%d %b %Y}); 90% of cases that are "
            f"ever {what} are {what} within that time of the offence, so these figures will "
            "still change."
        )
    return (
        f"Early (hollow points): {period}s starting within {days:.0f} days of the data "
        f"start ({window.start:%d %b %Y}); 90% of these intervals take less than that, so slow "
        "cases that began before the data starts are missing from them."
    )
