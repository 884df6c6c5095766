"""Blocks from the Demand page: court receipts forecasts and what-if scenarios.

They are made as the page makes them (the forecasts of :mod:`workbench.forecast.model` and the
scenarios of :mod:`workbench.forecast.scenarios`), with observed counts disclosure-controlled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd

from workbench.access.auth import ALL_AREAS
from workbench.disclosure.control import modelled
from workbench.errors import ValidationError
from workbench.forecast.charts import forecast_chart, scenario_chart
from workbench.forecast.model.demand import demand_table, forecast_selection
from workbench.forecast.model.disclosure import adjusted_table, protect_series
from workbench.forecast.model.series import COURT_TYPES as FORECAST_COURTS
from workbench.forecast.model.series import NATIONAL as FORECAST_NATIONAL
from workbench.forecast.model.series import ForecastSettings, SeriesForecast
from workbench.forecast.model.tables import forecasts_frame, not_applicable_cells
from workbench.forecast.scenarios.comparison import scenario_summary
from workbench.forecast.scenarios.projection import (
    BASELINE,
    PROJECTION_COLUMNS,
    Scenario,
    project_with_baseline,
)
from workbench.forecast.scenarios.state import COURT_WORDS, court_state, scenario_notes, stage_lags
from workbench.publish.stories.filters import (
    area_phrase,
    disclosure_on,
    journey_tables,
    parse_day,
    period_phrase,
)
from workbench.publish.stories.page_views import ViewResult, message_chart
from workbench.workspace import Workspace


def _court(p: dict[str, Any]) -> str:
    courts = [c for c in p.get("court_types") or () if c in FORECAST_COURTS]
    return courts[0] if courts else FORECAST_COURTS[0]


def demand_selection(p: dict[str, Any]) -> list[str]:
    """The Demand page's selection a forecast block stands for: England and Wales when it says
    ``national`` (or names no area), then its areas."""
    areas = [a for a in p.get("areas") or () if a != ALL_AREAS]
    return [FORECAST_NATIONAL, *areas] if p.get("national") or not areas else areas


def _forecasts(ws: Workspace, p: dict[str, Any], combine: bool) -> list[SeriesForecast]:
    """The forecasts of a block's selection, as the Demand page makes them, each protected as a
    leader sees it (observed counts adjusted, small ones hidden; forecasts are model outputs)."""
    settings = ForecastSettings(freq=p.get("freq", "month"), horizon=int(p.get("horizon", 6)))
    settings.check()
    table = p.get("table") or demand_table(ws)
    if not table or table not in journey_tables(ws):
        table = demand_table(ws)
    if table is None:
        raise ValidationError("There is no journey table to forecast from.")
    results = forecast_selection(ws, demand_selection(p), _court(p), settings, None, combine, table)
    return [protect_series(r) if disclosure_on(p) else r for r in results]


def _forecast_headline(result: SeriesForecast) -> str:
    where = f"{result.area} ({COURT_WORDS.get(result.court_type, result.court_type)})"
    if not result.ok:
        return f"No forecast of court receipts for {where}: {result.reason}"
    freq, horizon = result.settings.freq, result.settings.horizon
    mean = float(pd.to_numeric(result.forecast["forecast"], errors="coerce").mean())
    line = (
        f"Court receipts in {where} are forecast to average {mean:,.0f} a {freq} over the "
        f"next {horizon} {freq}{'s' if horizon != 1 else ''}"
    )
    if result.beats_baseline is False:
        return line + "; the model does not beat the seasonal naive baseline."
    return line + "."


def compute_forecast(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A forecast block: the forecasts of its selection, drawn and headlined as on the page."""
    results = _forecasts(ws, p, bool(p.get("combine")))
    frame = forecasts_frame(results)
    shown = adjusted_table(frame) if disclosure_on(p) else modelled(frame)
    made = [r for r in results if r.ok]
    if len(made) == 1:
        figure: alt.TopLevelMixin = forecast_chart(made[0])
    elif made:
        figure = alt.vconcat(*(forecast_chart(r).properties(width=560) for r in made))
    else:
        figure = message_chart("No forecast could be made for this selection.")
    headline = " ".join(_forecast_headline(r) for r in results[:3]) or "No forecast."
    return ViewResult(
        frame,
        shown.hidden,
        shown.primary,
        0,
        0,
        shown.threshold,
        perturbed=True,
        remark=shown.note,
        shown=shown,
        figure=figure,
        headline=headline,
        not_applicable=not_applicable_cells(frame),
    )


def _demand_where(p: dict[str, Any]) -> str:
    """The areas and court of a Demand block ("Kent and Surrey, combined, Crown Court")."""
    selection = demand_selection(p)
    areas = [a for a in selection if a != FORECAST_NATIONAL]
    parts = ["England and Wales (all LCJB areas)"] if FORECAST_NATIONAL in selection else []
    if areas:
        parts.append(area_phrase(areas) + (", combined" if p.get("combine") else ""))
    where = " and ".join(parts)
    return f"{where}, {COURT_WORDS.get(_court(p), _court(p))}"


def forecast_subtitle(p: dict[str, Any]) -> str:
    """The subtitle of a forecast block: what is forecast, where, and how far ahead."""
    return (
        f"Court receipts (first hearings) a {p.get('freq', 'month')}, {_demand_where(p)}; "
        f"forecast {p.get('horizon', 6)} {p.get('freq', 'month')}s ahead with its interval and "
        "the seasonal naive baseline; observed counts disclosure-controlled"
    )


def _scenario_of(p: dict[str, Any], result: SeriesForecast) -> Scenario:
    change_from = p.get("change_from")
    capacity = p.get("capacity_per_week")
    return Scenario(
        str(p.get("name") or "scenario"),
        result.area,
        result.court_type,
        result.settings.freq,
        result.settings.horizon,
        float(p.get("charge_change_pct") or 0.0),
        parse_day(change_from),
        None if capacity in (None, "") else float(capacity),
    )


def compute_scenario(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A scenario block: the outstanding caseload projected under the scenario and without it."""
    # a scenario covers every area picked, summed into one series (as on the Demand page)
    usable = [r for r in _forecasts(ws, p, True) if r.ok]
    empty = pd.DataFrame(columns=PROJECTION_COLUMNS)
    if not usable:
        message = "No forecast to project a scenario from."
        return _scenario_result(empty, message_chart(message), message)
    result = usable[0]
    selection = demand_selection(p)
    areas = None if result.area == FORECAST_NATIONAL else selection
    table = p.get("table") or demand_table(ws)
    if not table or table not in journey_tables(ws):
        table = demand_table(ws) or ""
    last = pd.Timestamp(result.history["period"].iloc[-1]).date()
    state = court_state(ws, table, last, areas, result.court_type, protect=disclosure_on(p))
    state = stage_lags(ws, table, areas, result.court_type).apply(state)
    if state.hidden:
        message = (
            "Too few cases are outstanding or were completed recently to project a scenario "
            "without revealing them (disclosure control)."
        )
        return _scenario_result(empty, message_chart(message), message)
    scenario = _scenario_of(p, result)
    projection = project_with_baseline(result, state, scenario)
    figure = scenario_chart(projection, "")
    summary = scenario_summary(projection).set_index("scenario")
    end = period_phrase(projection["period"].max(), scenario.freq)
    court = COURT_WORDS.get(result.court_type, result.court_type)
    base = float(summary.at[BASELINE, "outstanding_at_end"])
    then = float(summary.loc[summary.index != BASELINE, "outstanding_at_end"].iloc[-1])
    change = f"{scenario.charge_change_pct:+.0f}% charges"
    headline = (
        f"With {change}, the outstanding caseload in {result.area} ({court}) is projected at "
        f"{then:,.0f} in {end}, against {base:,.0f} with no change."
    )
    return _scenario_result(projection, figure, headline, scenario_notes(state, result.court_type))


def _scenario_result(
    projection: pd.DataFrame, figure: alt.TopLevelMixin, headline: str, notes: tuple[str, ...] = ()
) -> ViewResult:
    shown = modelled(projection)
    remark = " ".join([shown.note, *notes])
    return ViewResult(
        projection,
        shown.hidden,
        0,
        0,
        0,
        shown.threshold,
        perturbed=True,
        remark=remark,
        shown=replace(shown, remark=remark),
        figure=figure,
        headline=headline,
    )


def scenario_subtitle(p: dict[str, Any]) -> str:
    """The subtitle of a scenario block: where, the scenario, and what it is compared with."""
    pct = float(p.get("charge_change_pct") or 0.0)
    capacity = p.get("capacity_per_week")
    cap = (
        "disposals at the recent rate"
        if capacity in (None, "")
        else f"capacity {float(capacity):,.1f} disposals a week"
    )
    start = f" from {p['change_from']}" if p.get("change_from") else ""
    return (
        f"Projected outstanding caseload, {_demand_where(p)} (areas summed); scenario: charges "
        f"{pct:+.0f}%{start}, {cap}; against the baseline (no change), with intervals from "
        "the receipts forecast"
    )
