"""What the Timeliness page shows: the days each stage takes (by court type), the
histogram of one stage and the open caseload.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from workbench.analysis.measures.caseload import outstanding_caseload
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.timeliness import timeliness, timeliness_distribution
from workbench.analysis.views.scope import COURT_NAMES, court_title
from workbench.analysis.views.view import View, min_base, readable
from workbench.disclosure import control as sdc
from workbench.workspace import Workspace


def timeliness_view(
    ws: Workspace, where: JourneyFilter, protect: bool, minimum: int | None = None
) -> View:
    """Median (with its 95% interval), mean and percentiles of each stage, by court type.

    Court types are never mixed: cases not yet at court (offence to charge only) are their own
    row. Statistics from fewer than the minimum base are withheld, with the reason.
    """
    summary = timeliness(ws, by=["court_type"], where=where, keys=protect, median_ci=True)
    summary["court_type"] = summary["court_type"].replace({"unknown": "not yet at court"})
    summary = summary.sort_values(["court_type", "interval"], ignore_index=True)
    stats = ("mean", "median", "median_low", "median_high", "p25", "p75", "p90")
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(summary, counts=["n"], statistics=dict.fromkeys(stats, "n"))
        summary, note, hidden = result.table, result.note, result.hidden
    minimum = min_base(ws) if minimum is None else int(minimum)
    small = pd.to_numeric(summary["n"], errors="coerce").lt(minimum).fillna(False)
    summary = summary.copy()
    for col in stats:
        summary[col] = pd.to_numeric(summary[col], errors="coerce").astype("Float64")
        summary.loc[small, col] = pd.NA
    summary["reason"] = [f"withheld: fewer than {minimum} cases" if s else "" for s in small]
    # On the table the column says why a row's figures are missing ("Withheld": "fewer than 30
    # cases"), in words short enough for the table to fit the page.
    shown = summary[["court_type", "label", "n", *stats]].rename(
        columns={"median_low": "median 95% low", "median_high": "median 95% high", "label": "stage"}
    )
    shown["withheld"] = [f"fewer than {minimum} cases" if s else "" for s in small]
    shown["court_type"] = [
        court_title(c) if c in COURT_NAMES else str(c).capitalize() for c in shown["court_type"]
    ]
    if hidden is not None:
        hidden = hidden.rename(
            columns={"median_low": "median 95% low", "median_high": "median 95% high"}
        )
    days = ("mean", "median", "median 95% low", "median 95% high", "p25", "p75", "p90")
    table = readable(shown, hidden, days=days)
    blank = [(i, "Withheld") for i, r in enumerate(summary["reason"]) if not r]
    # Beside "Median", its interval's ends need not repeat the word.
    labels = (("Median 95% low", "95% low"), ("Median 95% high", "95% high"))
    return View(summary, table, note, not_applicable=tuple(blank), screen_labels=labels)


def distribution_view(
    ws: Workspace, interval: str, where: JourneyFilter, protect: bool
) -> tuple[View, float | None]:
    """The histogram of one interval and its median (None when hidden, empty or from fewer
    cases than the minimum base)."""
    dist = timeliness_distribution(ws, interval, where=where, keys=protect)
    summary = timeliness(ws, intervals=[interval], where=where, keys=protect)
    median = float(summary["median"].iloc[0]) if len(summary) else None
    n = int(summary["n"].iloc[0]) if len(summary) else 0
    note, hidden = None, None
    if protect:
        key = f"n{sdc.KEY_SUFFIX}"
        total_key = summary[key].iloc[0] if len(summary) else None
        dist = dist.assign(total=n, **{f"total{sdc.KEY_SUFFIX}": total_key})
        result = sdc.protect_frame(
            dist, counts=["cases"], rates={"share": ("cases", "total")}, bases=["total"]
        )
        dist, note, hidden = result.table.drop(columns="total"), result.note, result.hidden
        shown_n = sdc.protect_timeliness(summary).table["n"] if len(summary) else None
        if n < sdc.DEFAULT_THRESHOLD or shown_n is None or pd.isna(shown_n.iloc[0]):
            median = None
    if n < min_base(ws):
        median = None
    table = readable(dist[["bin_start", "bin_end", "cases", "share"]], hidden, rates=("share",))
    return View(dist, table, note), median


def caseload_view(ws: Workspace, at: date, where: JourneyFilter, protect: bool) -> View:
    """Cases open at court at a date, by how long they have been open."""
    load = outstanding_caseload(ws, at, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(load, counts=["cases"], statistics={"mean_age_days": "cases"})
        load, note, hidden = result.table, result.note, result.hidden
    table = readable(load[["age_band", "cases", "mean_age_days"]], hidden, days=("mean_age_days",))
    return View(load, table, note)
