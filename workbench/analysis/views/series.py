"""Measures as series over periods, protected, annotated with intervals and maturity,
and the Trend view of one measure beside the national figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from workbench.analysis.measures.attrition import attrition_funnel, attrition_reasons
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.timeliness import timeliness
from workbench.analysis.measures.uncertainty import wilson_interval
from workbench.analysis.views.view import (
    DASHBOARD_MEASURES,
    MEASURES,
    NATIONAL,
    View,
    min_base,
    readable,
)
from workbench.analysis.views.windows import DataWindow, cohort_status, data_window
from workbench.disclosure import control as sdc
from workbench.periods import latest_complete_period
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.workspace import Workspace

# How many periods a trend shows, ending with the last whole one.
SPAN = {"year": 8, "quarter": 16, "month": 36, "week": 104}


# What the numerator of each rate counts, for tables.
NUMERATORS = {
    "charge_rate": "Charged",
    "victim_not_support_share": "Victim does not support",
    "conviction_rate": "Convicted",
}


def rate_frame(
    measure: str, index: pd.Index, numerator: pd.DataFrame, base: pd.DataFrame, keys: bool
) -> pd.DataFrame:
    """One rate measure per group and period; ``numerator`` and ``base`` hold ``cases`` (and
    keys), indexed like ``index`` (groupings and period)."""
    key = f"cases{sdc.KEY_SUFFIX}"
    numerator = numerator.reindex(index)
    denominator = base["cases"].where(base["cases"] > 0)
    frame = index.to_frame(index=False)
    frame.insert(0, "measure", measure)
    frame["court_type"] = "all"
    frame["value"] = (numerator["cases"].fillna(0) / denominator).to_numpy()
    frame["base"] = base["cases"].to_numpy()
    frame["numerator"] = numerator["cases"].fillna(0).to_numpy()
    if keys:
        frame[f"base{sdc.KEY_SUFFIX}"] = base[key].to_numpy()
        frame[f"numerator{sdc.KEY_SUFFIX}"] = numerator[key].to_numpy()
    return frame


def measure_series(
    ws: Workspace,
    where: JourneyFilter,
    period: str,
    measures: Sequence[str] = DASHBOARD_MEASURES,
    keys: bool = False,
    groups: Sequence[str] = (),
) -> pd.DataFrame:
    """Measures per period: ``measure``, ``court_type``, ``period``, ``value``, ``low`` and
    ``high`` (medians: the order-statistic 95% interval; rates: filled by
    :func:`annotate_series`), ``base`` (cases behind it) and ``numerator`` (the cases counted by
    a rate; missing for medians).

    Rates are by the period of the offence (``court_type`` is ``all``); medians by the period
    the interval ends in, one row per court type, never across court types. ``groups`` adds
    groupings (for example ``lcjb_area``). With ``keys``, ``base__key`` and ``numerator__key``
    hold the cell keys for disclosure control.
    """
    frames = []
    extra = list(groups)
    idx = [*extra, "period"]
    if {"charge_rate", "conviction_rate", "victim_not_support_share"} & set(measures):
        funnel = attrition_funnel(ws, by=idx, period=period, where=where, keys=keys)
        step = {s: funnel[funnel["stage"] == s].set_index(idx) for s in funnel["stage"].unique()}
        if len(funnel):
            rec, done = step["recorded"], step["completed"]
            if "charge_rate" in measures:
                frames.append(rate_frame("charge_rate", rec.index, step["charged"], rec, keys))
            if "conviction_rate" in measures:
                frames.append(
                    rate_frame("conviction_rate", done.index, step["convicted"], done, keys)
                )
            if "victim_not_support_share" in measures:
                reasons = attrition_reasons(ws, by=idx, period=period, where=where, keys=keys)
                vns = reasons[reasons["reason"] == VICTIM_NOT_SUPPORT].set_index(idx)
                frames.append(rate_frame("victim_not_support_share", rec.index, vns, rec, keys))
    intervals = [k.removeprefix("median_") for k in measures if k.startswith("median_")]
    if intervals:
        times = timeliness(
            ws,
            intervals=intervals,
            by=[*extra, "court_type", "period"],
            period=period,
            where=where,
            keys=keys,
            median_ci=True,
        )
        times = times[times["court_type"] != "unknown"]
        frame = times[[*extra, "court_type", "period"]].copy()
        frame.insert(0, "measure", "median_" + times["interval"])
        frame["value"] = times["median"]
        frame["low"] = times["median_low"]
        frame["high"] = times["median_high"]
        frame["base"] = times["n"]
        frame["numerator"] = pd.NA
        if keys:
            frame[f"base{sdc.KEY_SUFFIX}"] = times[f"n{sdc.KEY_SUFFIX}"]
        frames.append(frame)
    columns = ["measure", *extra, "court_type", "period", "value", "low", "high", "base"]
    if not frames:
        return pd.DataFrame(columns=[*columns, "numerator"])
    out = pd.concat([f for f in frames if len(f)] or frames, ignore_index=True)
    for col in ("low", "high"):
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
    out["period"] = pd.to_datetime(out["period"])
    out["base"] = out["base"].astype("int64")
    return out.sort_values(["measure", *extra, "court_type", "period"], ignore_index=True)


def protect_measure_series(
    series: pd.DataFrame, protect: bool
) -> tuple[pd.DataFrame, str | None, pd.DataFrame | None]:
    """Disclosure control of a measure series: counts adjusted by their cell keys, rates from
    adjusted counts, hidden when their numerator or base is small; medians and their
    intervals hidden when their base is small."""
    if not protect:
        return series, None, None
    is_rate = series["measure"].map(lambda k: MEASURES[k][1] == "rate").astype(bool)
    parts, hiddens, notes = [], [], []
    for mask, kind in ((is_rate, "rate"), (~is_rate, "days")):
        part = series[mask]
        if part.empty:
            continue
        if kind == "rate":
            part = part.assign(numerator=pd.to_numeric(part["numerator"]).astype("int64"))
            result = sdc.protect_frame(
                part, counts=["base", "numerator"], rates={"value": ("numerator", "base")}
            )
        else:
            part = part.drop(columns=[f"numerator{sdc.KEY_SUFFIX}"], errors="ignore")
            result = sdc.protect_frame(
                part, counts=["base"], statistics=dict.fromkeys(("value", "low", "high"), "base")
            )
        parts.append(result.table)
        hiddens.append(result.hidden)
        notes.append(result.note)
    if not parts:
        empty = series.drop(columns=[c for c in series if c.endswith(sdc.KEY_SUFFIX)])
        return empty, None, None
    table = pd.concat(parts).sort_index()
    hidden = pd.concat(hiddens).sort_index().fillna(False).astype(bool)
    return table, notes[0], hidden


def annotate_series(
    series: pd.DataFrame, period: str, window: DataWindow, minimum: int
) -> pd.DataFrame:
    """Add intervals, maturity and withholding to a (protected) measure series.

    Rates get Wilson 95% intervals from the counts shown; values and intervals from a base
    under ``minimum`` are withheld (``reason`` says why); ``status`` and ``provisional`` mark
    periods whose cases are still open or that started too close to the data start.
    """
    out = series.copy()
    is_rate = out["measure"].map(lambda k: MEASURES[k][1] == "rate").astype(bool)
    for i in out.index[is_rate]:
        ci = wilson_interval(out.at[i, "numerator"], out.at[i, "base"])
        shown = pd.notna(out.at[i, "value"]) and ci is not None
        out.at[i, "low"] = ci[0] if shown else pd.NA
        out.at[i, "high"] = ci[1] if shown else pd.NA
    base = pd.to_numeric(out["base"], errors="coerce")
    small = base.notna() & (base < minimum) & out["value"].notna()
    for col in ("value", "low", "high"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
        out.loc[small, col] = pd.NA
    out["reason"] = [f"withheld: fewer than {minimum} cases" if s else "" for s in small]
    out["status"] = cohort_status(out, period, window) if len(out) else []
    out["provisional"] = out["status"] != "complete"
    return out


def in_span(series: pd.DataFrame, period: str, window: DataWindow) -> pd.DataFrame:
    """Periods up to the last that ends by the data end, at most :data:`SPAN` of them (a first
    period that began before the data is kept, and marked ``partial`` by
    :func:`cohort_status`)."""
    end = latest_complete_period(window.end, period)
    keep = (series["period"] <= end) & (series["period"] > _span_start(end, period))
    return series[keep]


def _series_table(series: pd.DataFrame, hidden: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    """The readable table of a trend: value, 95% interval, counts, status and reason."""
    cols = ["series", "court_type", "period", "value", "low", "high", "numerator", "base"]
    table = series[[*cols, "status"]].copy()
    if unit != "rate":
        table = table.drop(columns="numerator")
    if (table["court_type"] == "all").all():
        table = table.drop(columns="court_type")
    table = table.rename(columns={"base": "cases", "low": "95% low", "high": "95% high"})
    if hidden is not None:
        hidden = hidden.rename(columns={"base": "cases", "low": "95% low", "high": "95% high"})
    rates = ("value", "95% low", "95% high") if unit == "rate" else ()
    days = ("value", "95% low", "95% high") if unit != "rate" else ()
    out = readable(table, hidden, rates=rates, days=days)
    reasons = series["reason"].tolist()
    out["Value"] = [r if r else str(v) for v, r in zip(out["Value"], reasons, strict=True)]
    return out


def trend_view(
    ws: Workspace,
    where: JourneyFilter,
    measure: str,
    period: str,
    protect: bool,
    label: str = "Selected",
    minimum: int | None = None,
) -> View:
    """One measure over time for the filter beside the national figure (same filters, all areas).

    With no area chosen the filter is already national, so the figure is drawn once.

    The unfinished last period is left out; a first period that began before the data starts
    is marked ``partial``. Medians come one line per court type; filter by court type to show
    one.

    Returns:
        A view whose data has ``series`` (``label`` or :data:`NATIONAL`), ``court_type``,
        ``period``, ``value``, ``low``, ``high`` (95% interval), ``base``, ``numerator``,
        ``status``, ``provisional`` and ``reason`` (why a value is withheld).
    """
    window = data_window(ws, where)
    minimum = min_base(ws) if minimum is None else int(minimum)
    parts = []
    series_filters = [(label, where)]
    if where.areas:
        series_filters.append((NATIONAL, replace(where, areas=())))
    for name, flt in series_filters:
        s = measure_series(ws, flt, period, [measure], keys=protect).assign(series=name)
        parts.append(in_span(s, period, window))
    series = pd.concat(parts, ignore_index=True)
    series, note, hidden = protect_measure_series(series, protect)
    series = annotate_series(series, period, window, minimum)
    unit = MEASURES[measure][1]
    table = _series_table(series, hidden, unit)
    table = table.rename(columns={"Value": MEASURES[measure][0]})
    if measure in NUMERATORS:
        table = table.rename(columns={"Numerator": NUMERATORS[measure]})
    return View(series, table, note)


def national_line(where: JourneyFilter) -> str:
    """The subtitle's words for the dashed national line, or "" when no area is chosen."""
    return "; dashed line: national (all areas, same filters)" if where.areas else ""


def _span_start(end: pd.Timestamp, period: str) -> pd.Timestamp:
    n = SPAN[period]
    step = {"week": {"weeks": n}, "month": {"months": n}, "quarter": {"months": 3 * n}}
    return end - pd.DateOffset(**step.get(period, {"years": n}))
