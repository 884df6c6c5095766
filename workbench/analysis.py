"""What the Attrition, Timeliness, Journeys and LCJB dashboard pages show, without Streamlit.

Each ``*_view`` function computes one measure from :mod:`workbench.measures` for a filter, applies
disclosure control when ``protect`` is true (always, for a leader) and returns a :class:`View`:
the data for the chart (hidden values missing), a readable table for the table view and the CSV
download (hidden values written as ``suppressed``) and the disclosure note.

"National" means every area in the workspace's journey table, with the same filters apart from
the area.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from workbench import disclosure as sdc
from workbench import measures as m
from workbench.errors import AccessDeniedError, JourneyError
from workbench.headlines import format_period, headlines_from_kpis
from workbench.journeys import (
    JOURNEY_SCHEMA,
    LINKED,
    VICTIM_NOT_SUPPORT,
    active_model,
    build_info,
    journey_table,
)
from workbench.sql import quote_ident
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

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
        for k, v in m.INTERVALS.items()
    },
}
DASHBOARD_MEASURES = (
    "charge_rate",
    "victim_not_support_share",
    "conviction_rate",
    "median_charge_to_first_hearing",
    "median_offence_to_completion",
)
# How many periods a trend shows, ending with the last whole one.
SPAN = {"year": 8, "quarter": 16, "month": 36, "week": 104}


@dataclass(frozen=True)
class View:
    """One measure ready to show.

    Attributes:
        data: For the chart; values hidden by disclosure control are missing.
        table: For the table view and the CSV download, with readable column names.
        note: The disclosure note (None when disclosure control was not asked for).
    """

    data: pd.DataFrame
    table: pd.DataFrame
    note: str | None = None


@dataclass(frozen=True)
class JourneyStatus:
    """Whether the journey table can be used.

    Attributes:
        state: ``no_model``, ``missing``, ``stale`` or ``current``.
        message: A sentence saying which.
        info: The recorded build, when there is one.
    """

    state: str
    message: str
    info: dict[str, Any] | None = None

    @property
    def usable(self) -> bool:
        """Whether there is a journey table to read (current or stale)."""
        return self.state in ("current", "stale")


# ------------------------------------------------------------------------------ scope
def journey_status(ws: Workspace) -> JourneyStatus:
    """Whether the linked journey table exists and matches the active model and threshold."""
    info = build_info(ws, LINKED)
    exists = info is not None and ws.table_exists(JOURNEY_SCHEMA, LINKED)
    active = active_model(ws)
    if active is None:
        if exists:
            return JourneyStatus(
                "stale", "The journeys were built from a model that is no longer active.", info
            )
        return JourneyStatus(
            "no_model",
            "There is no active linkage model yet, so there are no linked journeys to measure.",
        )
    if not exists:
        return JourneyStatus("missing", "The linked journey table has not been built yet.")
    model_id, threshold = active
    if info["model_id"] != model_id or info["threshold"] is None:
        return JourneyStatus(
            "stale",
            f"The journeys were built from model {info['model_id']}; the active model is "
            f"{model_id}.",
            info,
        )
    if abs(float(info["threshold"]) - threshold) > 1e-9:
        return JourneyStatus(
            "stale",
            f"The journeys were built at threshold {info['threshold']:.3f}; the active model's "
            f"clusters are at {threshold:.3f}.",
            info,
        )
    return JourneyStatus(
        "current",
        f"Built from model {model_id} at threshold {threshold:.3f} on "
        f"{pd.Timestamp(info['built_at']):%d %b %Y %H:%M} (UTC).",
        info,
    )


def _distinct(ws: Workspace, column: str) -> list[str]:
    col = quote_ident(column)
    rows = ws.query(
        f"SELECT DISTINCT {col} FROM {journey_table(LINKED)} WHERE {col} IS NOT NULL ORDER BY 1"  # noqa: S608 - identifiers quoted
    )
    return [str(r[0]) for r in rows]


def filter_options(ws: Workspace, allowed: Sequence[str] | None) -> dict[str, list[str]]:
    """The choices for the filters: areas (only those allowed), offence groups, court types."""
    areas = _distinct(ws, "lcjb_area")
    if allowed is not None:
        areas = [a for a in areas if a in set(allowed)]
    return {
        "areas": areas,
        "offence_groups": _distinct(ws, "offence_group"),
        "court_types": _distinct(ws, "court_type"),
    }


def scoped_filter(
    allowed: Sequence[str] | None,
    areas: Sequence[str] = (),
    offence_groups: Sequence[str] = (),
    court_types: Sequence[str] = (),
    victim_based: bool | None = None,
) -> m.JourneyFilter:
    """A filter that never reaches past the areas a user is allowed to see.

    Args:
        allowed: The user's areas (None means every area).
        areas: Areas chosen; none chosen means all the allowed ones.
        offence_groups: Offence groups chosen (none: all).
        court_types: Court types chosen (none: all).
        victim_based: Only victim-based (True), only not (False), or both (None).

    Raises:
        AccessDeniedError: When the user may see no area, or chose one they may not see.
    """
    chosen = tuple(areas)
    if allowed is not None:
        if not allowed:
            raise AccessDeniedError("Your account is not allowed to see any area yet.")
        outside = [a for a in chosen if a not in set(allowed)]
        if outside:
            raise AccessDeniedError(f"Your account is not allowed to see {outside[0]}.")
        chosen = chosen or tuple(allowed)
    return m.JourneyFilter(
        areas=chosen,
        offence_groups=tuple(offence_groups),
        court_types=tuple(court_types),
        victim_based=victim_based,
    )


def data_end(ws: Workspace) -> date:
    """The last date any stage was recorded in the journey table."""
    dates = "greatest(max(recorded_date), max(referral_date), max(first_hearing_date), "
    sql = f"SELECT {dates}max(completion_date)) FROM {journey_table(LINKED)}"  # noqa: S608
    row = ws.query(sql)
    if not row or row[0][0] is None:
        raise JourneyError("The journey table holds no dated stages.")
    return pd.Timestamp(row[0][0]).date()


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


# ------------------------------------------------------------------------------ formatting
def _readable(
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
    out.columns = [str(c).replace("_", " ").capitalize() for c in out.columns]
    return out


# ------------------------------------------------------------------------------ attrition
def funnel_view(ws: Workspace, where: m.JourneyFilter, protect: bool) -> View:
    """The attrition funnel for the filter."""
    funnel = m.attrition_funnel(ws, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_funnel(funnel)
        funnel, note, hidden = result.table, result.note, result.hidden
    table = _readable(
        funnel[["step", "label", "cases", "rate_of_previous", "rate_of_recorded"]],
        hidden,
        rates=("rate_of_previous", "rate_of_recorded"),
    )
    return View(funnel, table, note)


def reasons_view(ws: Workspace, where: m.JourneyFilter, protect: bool) -> View:
    """Why recorded crimes leave before a conviction, summed over the filter."""
    reasons = m.attrition_reasons(ws, where=where, keys=protect)
    funnel = m.attrition_funnel(ws, where=where, keys=protect)
    first = funnel.iloc[0] if len(reasons) and len(funnel) else None
    reasons = reasons.assign(recorded=int(first["cases"]) if first is not None else 0)
    if protect:
        key = f"cases{sdc.KEY_SUFFIX}"
        reasons[f"recorded{sdc.KEY_SUFFIX}"] = first[key] if first is not None else None
    reasons["victim_not_support"] = reasons["reason"] == VICTIM_NOT_SUPPORT
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(
            reasons,
            counts=["cases"],
            rates={"share_of_recorded": ("cases", "recorded")},
            bases=["recorded"],
        )
        reasons, note, hidden = result.table, result.note, result.hidden
    table = _readable(
        reasons[["left_at", "reason", "cases", "share_of_recorded"]],
        hidden,
        rates=("share_of_recorded",),
    )
    return View(reasons.drop(columns="recorded"), table, note)


# ------------------------------------------------------------------------------ series
def _rate_frame(
    measure: str, periods: pd.Series, numerator: pd.DataFrame, base: pd.DataFrame, keys: bool
) -> pd.DataFrame:
    """One rate measure per period; ``numerator`` and ``base`` hold ``cases`` (and keys)."""
    key = f"cases{sdc.KEY_SUFFIX}"
    denominator = base["cases"].where(base["cases"] > 0)
    frame = pd.DataFrame(
        {
            "measure": measure,
            "period": periods,
            "value": numerator["cases"].fillna(0) / denominator,
            "base": base["cases"],
            "numerator": numerator["cases"].fillna(0),
        }
    )
    if keys:
        frame[f"base{sdc.KEY_SUFFIX}"] = base[key]
        frame[f"numerator{sdc.KEY_SUFFIX}"] = numerator[key]
    return frame


def measure_series(
    ws: Workspace,
    where: m.JourneyFilter,
    period: str,
    measures: Sequence[str] = DASHBOARD_MEASURES,
    keys: bool = False,
) -> pd.DataFrame:
    """Measures per period: ``measure``, ``period``, ``value``, ``base`` (cases behind it) and
    ``numerator`` (the cases counted by a rate; missing for medians).

    Rates are by the period of the offence; medians by the period the interval ends in. With
    ``keys``, ``base__key`` and ``numerator__key`` hold the cell keys for disclosure control.
    """
    frames = []
    if {"charge_rate", "conviction_rate", "victim_not_support_share"} & set(measures):
        funnel = m.attrition_funnel(ws, by=["period"], period=period, where=where, keys=keys)
        step = {s: funnel[funnel["stage"] == s].set_index("period") for s in funnel["stage"]}
        if "charge_rate" in measures and len(funnel):
            rec = step["recorded"]
            frames.append(
                _rate_frame("charge_rate", rec.index.to_series(), step["charged"], rec, keys)
            )
        if "conviction_rate" in measures and len(funnel):
            done = step["completed"]
            frames.append(
                _rate_frame(
                    "conviction_rate", done.index.to_series(), step["convicted"], done, keys
                )
            )
        if "victim_not_support_share" in measures and len(funnel):
            reasons = m.attrition_reasons(ws, by=["period"], period=period, where=where, keys=keys)
            vns = reasons[reasons["reason"] == VICTIM_NOT_SUPPORT].set_index("period")
            rec = step["recorded"]
            vns = vns.reindex(rec.index)
            frames.append(
                _rate_frame("victim_not_support_share", rec.index.to_series(), vns, rec, keys)
            )
    intervals = [k.removeprefix("median_") for k in measures if k.startswith("median_")]
    if intervals:
        times = m.timeliness(
            ws, intervals=intervals, by=["period"], period=period, where=where, keys=keys
        )
        frame = pd.DataFrame(
            {
                "measure": "median_" + times["interval"],
                "period": times["period"],
                "value": times["median"],
                "base": times["n"],
                "numerator": pd.NA,
            }
        )
        if keys:
            frame[f"base{sdc.KEY_SUFFIX}"] = times[f"n{sdc.KEY_SUFFIX}"]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["measure", "period", "value", "base", "numerator"])
    out = pd.concat(frames, ignore_index=True)
    out["period"] = pd.to_datetime(out["period"])
    out["base"] = out["base"].astype("int64")
    return out.sort_values(["measure", "period"], ignore_index=True)


def _protect_series(
    series: pd.DataFrame, protect: bool
) -> tuple[pd.DataFrame, str | None, pd.DataFrame | None]:
    """Disclosure control of a measure series: rates from adjusted counts, hidden when their
    numerator or base is small; medians hidden when their base is small."""
    if not protect:
        return series.drop(columns="numerator", errors="ignore"), None, None
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
            part = part.drop(columns=["numerator", f"numerator{sdc.KEY_SUFFIX}"], errors="ignore")
            result = sdc.protect_frame(part, counts=["base"], statistics={"value": "base"})
        parts.append(result.table.drop(columns="numerator", errors="ignore"))
        hiddens.append(result.hidden.drop(columns="numerator", errors="ignore"))
        notes.append(result.note)
    if not parts:
        empty = series.drop(columns=["numerator"], errors="ignore")
        empty = empty.drop(columns=[c for c in empty if c.endswith(sdc.KEY_SUFFIX)])
        return empty, None, None
    table = pd.concat(parts).sort_index()
    hidden = pd.concat(hiddens).sort_index().fillna(False).astype(bool)
    return table, notes[0], hidden


def trend_view(
    ws: Workspace,
    where: m.JourneyFilter,
    measure: str,
    period: str,
    protect: bool,
    label: str = "Selected",
) -> View:
    """One measure over time for the filter beside the national figure (same filters, all areas).

    Returns:
        A view whose data has ``series`` (``label`` or :data:`NATIONAL`), ``period``, ``value``,
        ``base``; periods after the last whole one are left out.
    """
    end = latest_complete_period(data_end(ws), period)
    parts = []
    for name, flt in ((label, where), (NATIONAL, replace(where, areas=()))):
        s = measure_series(ws, flt, period, [measure], keys=protect).assign(series=name)
        parts.append(s[(s["period"] <= end) & (s["period"] > _span_start(end, period))])
    series = pd.concat(parts, ignore_index=True)
    series, note, hidden = _protect_series(series, protect)
    unit = MEASURES[measure][1]
    if hidden is not None:
        hidden = hidden.rename(columns={"base": "cases"})
    table = series[["series", "period", "value", "base"]].rename(columns={"base": "cases"})
    table = _readable(table, hidden, rates=("value",) if unit == "rate" else (), days=("value",))
    table = table.rename(columns={"Value": MEASURES[measure][0]})
    return View(series, table, note)


# ------------------------------------------------------------------------------ timeliness
def timeliness_view(ws: Workspace, where: m.JourneyFilter, protect: bool) -> View:
    """Median, mean and percentiles of each stage interval."""
    summary = m.timeliness(ws, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_timeliness(summary)
        summary, note, hidden = result.table, result.note, result.hidden
    stats = ("mean", "median", "p25", "p75", "p90")
    table = _readable(summary[["label", "n", *stats]], hidden, days=stats)
    return View(summary, table, note)


def distribution_view(
    ws: Workspace, interval: str, where: m.JourneyFilter, protect: bool
) -> tuple[View, float | None]:
    """The histogram of one interval and its median (None when hidden or empty)."""
    dist = m.timeliness_distribution(ws, interval, where=where, keys=protect)
    summary = m.timeliness(ws, intervals=[interval], where=where, keys=protect)
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
    table = _readable(dist[["bin_start", "bin_end", "cases", "share"]], hidden, rates=("share",))
    return View(dist, table, note), median


def caseload_view(ws: Workspace, at: date, where: m.JourneyFilter, protect: bool) -> View:
    """Cases open at court at a date, by how long they have been open."""
    load = m.outstanding_caseload(ws, at, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(load, counts=["cases"], statistics={"mean_age_days": "cases"})
        load, note, hidden = result.table, result.note, result.hidden
    table = _readable(load[["age_band", "cases", "mean_age_days"]], hidden, days=("mean_age_days",))
    return View(load, table, note)


# ------------------------------------------------------------------------------ dashboard
def dashboard_kpis(
    ws: Workspace,
    area: str,
    period: str,
    protect: bool,
    measures: Sequence[str] = DASHBOARD_MEASURES,
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Headline KPIs of one area in the last whole period, with last year's and national values.

    Returns:
        The KPI frame (``measure``, ``label``, ``unit``, ``subject``, ``area``, ``period_label``,
        ``value``, ``base``, ``previous``, ``change``, ``national``), the series behind it
        (``series`` = area or national, ``measure``, ``label``, ``period``, ``value``, ``base``)
        and the disclosure note.
    """
    end = latest_complete_period(data_end(ws), period)
    where = m.JourneyFilter(areas=(area,))
    parts = []
    for name, flt in ((area, where), (NATIONAL, m.JourneyFilter())):
        s = measure_series(ws, flt, period, measures, keys=protect).assign(series=name)
        parts.append(s[(s["period"] <= end) & (s["period"] > _span_start(end, period))])
    series, note, _hidden = _protect_series(pd.concat(parts, ignore_index=True), protect)
    series["label"] = series["measure"].map(lambda k: MEASURES[k][0])
    previous_start = end - pd.DateOffset(**_lag(period))
    rows = []
    for key in measures:
        label, unit, subject = MEASURES[key]

        def pick(name: str, start: pd.Timestamp, key: str = key) -> tuple[Any, Any]:
            hit = series[
                (series["series"] == name)
                & (series["measure"] == key)
                & (series["period"] == start)
            ]
            return (hit["value"].iloc[0], hit["base"].iloc[0]) if len(hit) else (None, 0)

        value, base = pick(area, end)
        previous, _ = pick(area, previous_start)
        national, _ = pick(NATIONAL, end)
        change = None if pd.isna(value) or pd.isna(previous) else float(value) - float(previous)
        rows.append(
            {
                "measure": key,
                "label": label,
                "unit": unit,
                "subject": subject,
                "area": area,
                "period_label": format_period(end, period),
                "value": value,
                "base": base,
                "previous": previous,
                "change": change,
                "national": national,
            }
        )
    return pd.DataFrame(rows), series, note


def _span_start(end: pd.Timestamp, period: str) -> pd.Timestamp:
    n = SPAN[period]
    step = {"week": {"weeks": n}, "month": {"months": n}, "quarter": {"months": 3 * n}}
    return end - pd.DateOffset(**step.get(period, {"years": n}))


def _lag(period: str) -> dict[str, int]:
    return {"weeks": 52} if period == "week" else {"years": 1}


def dashboard_headlines(kpis: pd.DataFrame) -> list[str]:
    """The plain-language headlines of a KPI frame."""
    return headlines_from_kpis(kpis)


# ------------------------------------------------------------------------------ journeys page
def build_tables(info: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From a recorded build: records in and out per source, and joins per rule."""
    detail = info.get("counts") or {}
    counts = pd.DataFrame(
        [
            {"Source": s, "Records read": c["in"], "Records in a journey": c["out"]}
            for s, c in (detail.get("counts") or {}).items()
        ]
    )
    rules = pd.DataFrame(
        [
            {
                "Join": {"cps": "CPS to police", "court": "Court to CPS"}.get(j, j),
                "Rule": r,
                "Records": n,
            }
            for j, per in (detail.get("rules") or {}).items()
            for r, n in per.items()
        ]
    )
    return counts, rules


# The funnel steps the linkage sensitivity adds, which depend on the record joins.
JOIN_STEP_LABELS: dict[str, str] = {
    "first_hearing_of_charged": "First hearing of charged",
    "completed_of_first_hearing": "Completed of first hearing",
}


def _sensitivity_label(measure: str) -> tuple[str, bool]:
    """A sensitivity measure's readable name and whether it is a rate."""
    if measure in JOIN_STEP_LABELS:
        return JOIN_STEP_LABELS[measure], True
    name, unit = MEASURES.get(measure, (measure, "rate"))[:2]
    return name, unit == "rate"


def sensitivity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A linkage-sensitivity frame with one column per scenario, readable values.

    National rows only (``lcjb_area`` is ``all`` when the column is there): the headline
    measures, then the join-dependent steps. Per-area gaps are in :func:`area_gap_table`.
    """
    out = frame.copy()
    if "lcjb_area" in out.columns:
        out = out[out["lcjb_area"] == "all"]
    labels = {k: _sensitivity_label(k) for k in out["measure"].unique()}
    out["Measure"] = out["measure"].map(lambda k: labels[k][0]) + out["court_type"].map(
        lambda c: "" if c == "all" else f" ({c})"
    )
    out["shown"] = [
        "" if pd.isna(v) else f"{v * 100:.1f}%" if labels[k][1] else f"{v:.0f} days"
        for v, k in zip(out["value"], out["measure"], strict=True)
    ]
    out["_order"] = out["measure"].map({k: i for i, k in enumerate([*MEASURES, *JOIN_STEP_LABELS])})
    rows = out.drop_duplicates("Measure").sort_values(["_order", "Measure"])["Measure"]
    wide = out.pivot_table(index="Measure", columns="scenario", values="shown", aggfunc="first")
    order = [c for c in ("lower", "active", "higher", "truth") if c in wide.columns]
    return wide.loc[rows.tolist(), order].reset_index().rename_axis(columns=None)


def area_gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per area, the join-dependent measure furthest from the truth, readable.

    Args:
        gaps: A ``linkage.sensitivity.largest_area_gaps`` frame.

    Returns:
        ``Area``, ``Measure``, ``Linked``, ``Truth`` (with their bases) and ``Gap (points)``,
        the largest gap first.
    """
    rows = [
        {
            "Area": g["lcjb_area"],
            "Measure": _sensitivity_label(g["measure"])[0],
            "Linked": f"{g['linked'] * 100:.1f}% of {g['linked_base']:,}",
            "Truth": f"{g['truth'] * 100:.1f}% of {g['truth_base']:,}",
            "Gap (points)": round(float(g["gap_points"]), 1),
        }
        for g in gaps.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Area", "Measure", "Linked", "Truth", "Gap (points)"])


# ------------------------------------------------------------------------------ KPI cards
# Whether a rise is good (normal: green up) or bad (inverse: red up) for each measure.
GOOD_WHEN_UP: dict[str, bool] = {
    "charge_rate": True,
    "victim_not_support_share": False,
    "conviction_rate": True,
}


# Short names that fit a metric card; the full definition is in the card's help.
CARD_LABELS: dict[str, str] = {
    "charge_rate": "Charge rate",
    "victim_not_support_share": "Victim not supporting",
    "conviction_rate": "Conviction rate",
    "median_offence_to_charge": "Offence to charge",
    "median_charge_to_first_hearing": "Charge to hearing",
    "median_first_hearing_to_completion": "Hearing to completion",
    "median_offence_to_completion": "Offence to completion",
}


@dataclass(frozen=True)
class KpiCard:
    """What one ``st.metric`` shows: label, value, delta (None when unknown) and notes."""

    label: str
    value: str
    delta: str | None
    delta_color: str
    national: str
    help: str


def _fmt(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return HIDDEN
    return f"{float(value) * 100:.1f}%" if unit == "rate" else f"{float(value):.0f} days"


def kpi_cards(kpis: pd.DataFrame) -> list[KpiCard]:
    """One card per KPI row: the value, the change on a year earlier and the national value."""
    cards = []
    for r in kpis.to_dict("records"):
        unit = r["unit"]
        change = r["change"]
        value, previous = r["value"], r["previous"]
        if change is None or pd.isna(change):
            delta = None
        elif unit == "rate":
            # The change between the values as shown, so the card agrees with the headline.
            shown = round(float(value) * 100, 1) - round(float(previous) * 100, 1)
            delta = f"{shown:+.1f} pts"
        else:
            delta = f"{round(float(value)) - round(float(previous)):+.0f} days"
        good_up = GOOD_WHEN_UP.get(r["measure"], False)
        cards.append(
            KpiCard(
                label=CARD_LABELS.get(r["measure"], r["label"]),
                value=_fmt(r["value"], unit) if not pd.isna(r["value"]) else "too few cases",
                delta=delta,
                delta_color="normal" if good_up else "inverse",
                national=f"National: {_fmt(r['national'], unit)}",
                help=(
                    f"{r['label']} in {r['area']}, {r['period_label']}. A year earlier: "
                    f"{_fmt(r['previous'], unit)}. National: {_fmt(r['national'], unit)}."
                ),
            )
        )
    return cards


def previous_label(period_label: str, period: str) -> str:
    """The name of the same period a year earlier: ``"2024"`` for 2025, ``"Q3 2025"``."""
    head, _, year = period_label.rpartition(" ")
    if period in ("year", "quarter") and year.isdigit():
        return f"{head} {int(year) - 1}".strip()
    return "a year earlier"


def series_table(series: pd.DataFrame) -> pd.DataFrame:
    """The dashboard's series as a readable table: one row per measure, series and period."""
    rows = []
    for r in series.sort_values(["label", "series", "period"]).to_dict("records"):
        unit = MEASURES[r["measure"]][1]
        rows.append(
            {
                "Measure": r["label"],
                "Series": r["series"],
                "Period": pd.Timestamp(r["period"]).date(),
                "Value": _fmt(r["value"], unit),
                "Cases": HIDDEN if pd.isna(r["base"]) else int(r["base"]),
            }
        )
    return pd.DataFrame(rows)
