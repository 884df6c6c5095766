"""The LCJB dashboard: an area's headline KPIs with last year's value, the national
value, the area's rank and the rolling 12 months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from workbench.analysis.headlines import clear_change, format_period, headlines_from_kpis
from workbench.analysis.measures.attrition import attrition_funnel, attrition_reasons
from workbench.analysis.measures.query import ALL, JourneyFilter
from workbench.analysis.measures.timeliness import timeliness
from workbench.analysis.views.scope import court_filter, court_name
from workbench.analysis.views.series import (
    annotate_series,
    in_span,
    measure_series,
    protect_measure_series,
    rate_frame,
)
from workbench.analysis.views.view import DASHBOARD_MEASURES, MEASURES, NATIONAL, min_base
from workbench.analysis.views.windows import data_window
from workbench.disclosure import control as sdc
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.workspace import Workspace


def _kpi_label(key: str, court_type: str) -> tuple[str, str]:
    """The label and headline subject of a KPI, naming the court type for timeliness."""
    label, _unit, subject = MEASURES[key]
    if court_type == "all":
        return label, subject
    return f"{label} ({court_type})", f"{subject} at {court_name(court_type)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_phrase(values: pd.Series, area: str, unit: str) -> str:
    """Where an area stands among all areas: ``"12th highest of 42 areas"`` (rates) or
    ``"3rd shortest of 40 areas"`` (days); empty when the area has no value. Areas whose
    value is hidden or withheld are left out of the count."""
    shown = pd.to_numeric(values, errors="coerce").dropna()
    if area not in shown.index:
        return ""
    higher = unit == "rate"
    position = int((shown > shown[area]).sum() if higher else (shown < shown[area]).sum()) + 1
    word = "highest" if higher else "shortest"
    return f"{_ordinal(position)} {word} of {len(shown)} areas"


def _window_rows(
    ws: Workspace,
    where: JourneyFilter,
    key: str,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    keys: bool,
) -> pd.DataFrame:
    """One measure over one window of dates (offences for rates, stage ends for medians), as
    rows like :func:`measure_series` (one per court type for medians)."""
    if key.startswith("median_"):
        times = timeliness(
            ws,
            intervals=[key.removeprefix("median_")],
            by=["court_type"],
            where=where,
            keys=keys,
            ended=(start.date(), stop.date()),
            median_ci=True,
        )
        frame = pd.DataFrame(
            {
                "measure": key,
                "court_type": times["court_type"],
                "period": start,
                "value": times["median"],
                "low": times["median_low"],
                "high": times["median_high"],
                "base": times["n"],
                "numerator": pd.NA,
            }
        )
        if keys:
            frame[f"base{sdc.KEY_SUFFIX}"] = times[f"n{sdc.KEY_SUFFIX}"]
        return frame
    flt = replace(where, start=start.date(), end=stop.date())
    funnel = attrition_funnel(ws, where=flt, keys=keys).set_index("stage")
    if funnel.empty:
        return pd.DataFrame()
    numerator_stage, base_stage = {
        "charge_rate": ("charged", "recorded"),
        "conviction_rate": ("convicted", "completed"),
        "victim_not_support_share": (None, "recorded"),
    }[key]
    base = funnel.loc[[base_stage]]
    if numerator_stage is None:
        reasons = attrition_reasons(ws, where=flt, keys=keys)
        numerator = reasons[reasons["reason"] == VICTIM_NOT_SUPPORT]
        numerator = numerator.assign(stage=base_stage).set_index("stage")
    else:
        numerator = funnel.loc[[numerator_stage]].rename(index={numerator_stage: base_stage})
    frame = rate_frame(key, base.index, numerator, base, keys).drop(columns="stage")
    frame.insert(2, "period", start)
    return frame


def rolling_year(
    ws: Workspace,
    area: str,
    key: str,
    court_type: str,
    quarter: pd.Timestamp,
    protect: bool,
    minimum: int,
) -> tuple[Any, Any, str]:
    """A measure over the 12 months ending with ``quarter`` (its own cell, protected on its own).

    Returns:
        ``(value, base, reason)``; value missing when hidden or withheld.
    """
    start = pd.Timestamp(quarter) - pd.DateOffset(months=9)
    stop = pd.Timestamp(quarter) + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    where = JourneyFilter(areas=(area,))
    if court_type != "all":
        where = court_filter(where, court_type)
    rows = _window_rows(ws, where, key, start, stop, protect)
    if rows.empty:
        return None, None, ""
    rows, _note, _hidden = protect_measure_series(rows, protect)
    rows = rows[rows["court_type"] == court_type]
    if rows.empty:
        return None, None, ""
    r = rows.iloc[0]
    base = r["base"]
    if pd.notna(base) and int(base) < minimum:
        return None, base, f"withheld: fewer than {minimum} cases"
    return r["value"], base, ""


def dashboard_kpis(
    ws: Workspace,
    area: str,
    period: str,
    protect: bool,
    measures: Sequence[str] = DASHBOARD_MEASURES,
    minimum: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Headline KPIs of one area: the latest complete period of each measure, with last year's,
    the national value, the area's rank among all areas and the rolling 12 months.

    Offence cohorts still within their maturity window are provisional and never used for a
    KPI or its change; each measure's KPI is its latest complete period. Timeliness is one KPI
    per court type. A change is ``clear`` only when larger than its uncertainty.

    Returns:
        The KPI frame (``measure``, ``court_type``, ``label``, ``unit``, ``subject``, ``area``,
        ``period_label``, ``value``, ``low``, ``high``, ``base``, ``reason``, ``previous``,
        ``change``, ``clear``, ``national``, ``national_reason``, ``rank``, ``rolling``,
        ``rolling_base``,
        ``rolling_reason``), the series behind it (``series`` = area or national,
        ``measure``, ``court_type``, ``label``, ``period``, ``value``, ``low``, ``high``,
        ``base``, ``status``, ``provisional``) and the disclosure note.
    """
    window = data_window(ws)
    minimum = min_base(ws) if minimum is None else int(minimum)
    every = measure_series(ws, ALL, period, measures, keys=protect, groups=["lcjb_area"])
    every, note, _hidden = protect_measure_series(in_span(every, period, window), protect)
    every = annotate_series(every, period, window, minimum)
    national = measure_series(ws, ALL, period, measures, keys=protect)
    national, _n, _h = protect_measure_series(in_span(national, period, window), protect)
    national = annotate_series(national, period, window, minimum).assign(series=NATIONAL)
    mine = every[every["lcjb_area"] == area].drop(columns="lcjb_area").assign(series=area)
    series = pd.concat([mine, national], ignore_index=True)
    series["label"] = [
        _kpi_label(k, c)[0] for k, c in zip(series["measure"], series["court_type"], strict=True)
    ]
    rows = []
    pairs = mine[["measure", "court_type"]].drop_duplicates()
    order = {k: i for i, k in enumerate(measures)}
    pairs = pairs.sort_values("measure", key=lambda s: s.map(order), kind="stable")
    for key, court in pairs.itertuples(index=False):
        label, subject = _kpi_label(key, court)
        unit = MEASURES[key][1]
        own = mine[(mine["measure"] == key) & (mine["court_type"] == court)].set_index("period")
        complete = own[~own["provisional"]]
        if complete.empty:
            continue
        at = complete.index.max()
        now = complete.loc[at]
        before_at = at - pd.DateOffset(**_lag(period))
        before = own.loc[before_at] if before_at in own.index else None
        nat = national[(national["measure"] == key) & (national["court_type"] == court)]
        nat = nat.set_index("period")
        peers = every[
            (every["measure"] == key) & (every["court_type"] == court) & (every["period"] == at)
        ].set_index("lcjb_area")["value"]
        previous = None if before is None or bool(before["provisional"]) else before["value"]
        change = (
            None
            if pd.isna(now["value"]) or previous is None or pd.isna(previous)
            else (float(now["value"]) - float(previous))
        )
        clear = change is not None and clear_change(dict(now), dict(before), unit)
        rolling, rolling_base, rolling_reason = (None, None, "")
        if period == "quarter":
            rolling, rolling_base, rolling_reason = rolling_year(
                ws, area, key, court, at, protect, minimum
            )
        rows.append(
            {
                "measure": key,
                "court_type": court,
                "label": label,
                "unit": unit,
                "subject": subject,
                "area": area,
                "period_label": format_period(at, period),
                "value": now["value"],
                "low": now["low"],
                "high": now["high"],
                "base": now["base"],
                "reason": now["reason"],
                "previous": previous,
                "change": change,
                "clear": bool(clear),
                "national": nat["value"].get(at),
                "national_reason": nat["reason"].get(at, "") if "reason" in nat else "",
                "rank": rank_phrase(peers, area, unit),
                "rolling": rolling,
                "rolling_base": rolling_base,
                "rolling_reason": rolling_reason,
            }
        )
    return pd.DataFrame(rows), series, note


def _lag(period: str) -> dict[str, int]:
    return {"weeks": 52} if period == "week" else {"years": 1}


def dashboard_headlines(kpis: pd.DataFrame) -> list[str]:
    """The plain-language headlines of a KPI frame."""
    return headlines_from_kpis(kpis)
