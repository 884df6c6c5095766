"""Court receipts read from a journey table, and the forecasts a user asks for.

**Where a series starts and ends.** Series read from the journeys share one grid: from the
period of the first court receipt in the table (any area) to the last *complete* period on or
before the data end (the last date any stage was recorded), with zeros where an area had no
receipts, so a single area's forecast starts where the data ends, not after its own last
receipt, and an area gets the same series whether it is requested alone or with others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED, TRUTH
from workbench.analysis.measures.demand import receipts
from workbench.analysis.measures.query import JourneyFilter
from workbench.disclosure.control import KEY_SPACE, KEY_SUFFIX
from workbench.errors import ForecastError
from workbench.forecast.model.history import align_periods, period_index
from workbench.forecast.model.runner import forecast_series_set
from workbench.forecast.model.series import (
    COURT_TYPES,
    NATIONAL,
    ForecastSettings,
    Freq,
    ProgressFn,
    SeriesForecast,
)
from workbench.periods import latest_complete_period
from workbench.sql import Sql, compose, qualified
from workbench.workspace import Workspace


def demand_table(ws: Workspace) -> str | None:
    """The journey table to forecast from: ``linked`` when built, else ``truth``, else None."""
    for name in (LINKED, TRUTH):
        if ws.table_exists(JOURNEY_SCHEMA, name):
            return name
    return None


def data_span(ws: Workspace, table: str) -> tuple[date, date] | None:
    """Where the receipts data starts and where the data ends, in a journey table.

    Returns:
        The first first-hearing date (any area) and the data end: the last date any stage was
        recorded (offence recorded, referral, first hearing or completion), as
        :func:`workbench.analysis.views.scope.data_end` reads it; None when there is no receipt.
    """
    stages = ("recorded_date", "referral_date", "first_hearing_date", "completion_date")
    last = Sql(", ".join(compose("max({c})", c=c) for c in stages))
    row = ws.query(
        compose(
            "SELECT min(first_hearing_date), greatest({last}) FROM {t}",
            last=last,
            t=qualified(JOURNEY_SCHEMA, table),
        )
    )
    if not row or row[0][0] is None or row[0][1] is None:
        return None
    return pd.Timestamp(row[0][0]).date(), pd.Timestamp(row[0][1]).date()


def fill_grid(
    frame: pd.DataFrame, span: tuple[date, date], freq: str, keys: bool = False
) -> pd.DataFrame:
    """Every (area, court type) series on one grid from the data start to the data end.

    Periods from the period holding ``span[0]`` to the last complete period by ``span[1]`` are
    kept; periods with no receipts get zero (and a missing cell key); a partial last period is
    dropped.

    Args:
        frame: ``area``, ``court_type``, ``period``, ``receipts`` (and ``receipts__key``).
        span: The receipts data start and the data end (:func:`data_span`).
        freq: ``week`` or ``month``.
        keys: Whether ``frame`` carries cell keys.

    Returns:
        The same columns, one row per series and period of the grid.
    """
    first = align_periods(pd.Series([pd.Timestamp(span[0])]), freq).iloc[0]
    grid = period_index(first, latest_complete_period(span[1], freq), freq)
    key = f"receipts{KEY_SUFFIX}"
    out = []
    for (area, court), group in frame.groupby(["area", "court_type"], sort=True):
        data = group.set_index("period").reindex(grid)
        series = pd.DataFrame(
            {
                "area": area,
                "court_type": court,
                "period": grid,
                "receipts": data["receipts"].fillna(0).to_numpy(dtype=float),
            }
        )
        if keys:
            series[key] = data[key].to_numpy()
        out.append(series)
    if not out:
        return frame.iloc[:0]
    return pd.concat(out, ignore_index=True)


def demand_series(
    ws: Workspace,
    table: str = LINKED,
    freq: Freq = "week",
    areas: Sequence[str] | None = None,
    court_types: Sequence[str] = COURT_TYPES,
    combine: str | None = None,
    keys: bool = False,
) -> pd.DataFrame:
    """Court receipts (first hearings) per area, court type and period, ready to forecast.

    Every series runs on one grid (:func:`fill_grid`): from the first receipt in the table to
    the last complete period by the data end, with zeros where an area had no receipts.

    Args:
        ws: The workspace.
        table: The journey table.
        freq: ``week`` or ``month``.
        areas: LCJB areas to include (None: all).
        court_types: ``magistrates`` and/or ``Crown``.
        combine: When given, the areas are summed into one series with this label (for
            example :data:`NATIONAL`).
        keys: Add ``receipts__key``, each count's cell key (a sum of record keys, so areas
            summed together get the key of all their cases).

    Returns:
        ``area``, ``court_type``, ``period``, ``receipts`` (and ``receipts__key``).
    """
    courts = tuple(c for c in court_types)
    where = JourneyFilter(areas=tuple(areas or ()), court_types=courts)
    key = f"receipts{KEY_SUFFIX}"
    columns = ["area", "court_type", "period", "receipts", *([key] if keys else [])]
    if areas is not None and not areas:
        return pd.DataFrame(columns=columns)
    raw = receipts(
        ws,
        table,
        freq=freq,
        by=("lcjb_area", "court_type"),
        stages=["first_hearing"],
        where=where,
        keys=keys,
    )
    out = raw.rename(columns={"lcjb_area": "area"})[columns]
    out["period"] = pd.to_datetime(out["period"])
    if combine:
        sums = {"receipts": "sum", **({key: "sum"} if keys else {})}
        out = out.groupby(["court_type", "period"], as_index=False).agg(sums)
        if keys:
            out[key] = (out[key].fillna(0).astype("int64") % KEY_SPACE).where(out["receipts"] > 0)
        out.insert(0, "area", combine)
    span = data_span(ws, table)
    if span is not None:
        out = fill_grid(out, span, freq, keys)
    return out.reset_index(drop=True)


def forecast_demand(
    ws: Workspace,
    areas: Sequence[str] | None = None,
    court_types: Sequence[str] = COURT_TYPES,
    settings: ForecastSettings | None = None,
    table: str | None = None,
    combine: str | None = None,
    progress: ProgressFn | None = None,
    workers: int = 2,
) -> list[SeriesForecast]:
    """Forecast court receipts for areas and court types from a journey table.

    Args:
        ws: The workspace (its cache is used).
        areas: LCJB areas (None: every area in the data).
        court_types: ``magistrates`` and/or ``Crown``.
        settings: How to forecast.
        table: The journey table (default: :func:`demand_table`).
        combine: Sum the areas into one series with this label (e.g. :data:`NATIONAL`).
        progress: Called with a message and the fraction done.
        workers: Processes to fit in.

    Returns:
        One :class:`SeriesForecast` per series; an area with no receipts has a reason.

    Raises:
        ForecastError: When there is no journey table or a court type is unknown.
    """
    settings = settings or ForecastSettings()
    bad = [c for c in court_types if c not in COURT_TYPES]
    if bad:
        raise ForecastError(
            f"Unknown court type {bad[0]!r}.", hint=f"Use {' or '.join(COURT_TYPES)}."
        )
    table = table or demand_table(ws)
    if table is None or not ws.table_exists(JOURNEY_SCHEMA, table):
        raise ForecastError(
            "There is no journey table to forecast from.",
            hint="Build the journeys first (Explore page, or `workbench forecast` builds them).",
        )
    series = demand_series(ws, table, settings.freq, areas, court_types, combine, keys=True)
    monthly = None
    if settings.freq == "week":  # for the series too sparse to model weekly
        monthly = demand_series(ws, table, "month", areas, court_types, combine, keys=True)
    labels = [combine] if combine else list(areas or ())
    expect = [(a, c) for a in labels for c in court_types]
    return forecast_series_set(series, settings, ws, progress, workers, expect, monthly)


def demand_areas(ws: Workspace, table: str) -> list[str]:
    """The LCJB areas with court receipts in a journey table, sorted."""
    rows = ws.query(
        compose(
            "SELECT DISTINCT lcjb_area FROM {t} "
            "WHERE first_hearing_date IS NOT NULL AND lcjb_area IS NOT NULL ORDER BY 1",
            t=qualified(JOURNEY_SCHEMA, table),
        )
    )
    return [r[0] for r in rows]


def combined_label(areas: Sequence[str]) -> str:
    """The label of several areas summed into one series."""
    if len(areas) <= 3:
        return " + ".join(areas)
    return f"{len(areas)} areas combined"


def forecast_selection(
    ws: Workspace,
    selection: Sequence[str],
    court_type: str,
    settings: ForecastSettings,
    allowed: Sequence[str] | None = None,
    combine: bool = False,
    table: str | None = None,
    progress: ProgressFn | None = None,
) -> list[SeriesForecast]:
    """Forecast the areas a user picked, keeping to the areas they may see.

    Args:
        ws: The workspace.
        selection: Area names; :data:`NATIONAL` means every area summed (only when
            ``allowed`` is None).
        court_type: ``magistrates`` or ``Crown``.
        settings: How to forecast.
        allowed: The areas the user may see (None: all).
        combine: Sum the selected areas into one series.
        table: The journey table (default: :func:`demand_table`).
        progress: Called with a message and the fraction done.

    Returns:
        One forecast per area (or one for the combination), national first.

    Raises:
        ForecastError: When an area is not allowed or nothing is selected.
    """
    if not selection:
        raise ForecastError("Pick at least one area to forecast.")
    denied = [a for a in selection if allowed is not None and a not in allowed]
    if denied:
        raise ForecastError(f"You may not see forecasts for {denied[0]}.")
    results: list[SeriesForecast] = []
    areas = [a for a in selection if a != NATIONAL]
    if NATIONAL in selection:
        results += forecast_demand(
            ws, None, [court_type], settings, table, NATIONAL, progress, workers=1
        )
    if areas and combine and len(areas) > 1:
        label = combined_label(areas)
        results += forecast_demand(ws, areas, [court_type], settings, table, label, progress)
    elif areas:
        results += forecast_demand(ws, areas, [court_type], settings, table, None, progress)
    return results


def scenario_forecast(
    ws: Workspace,
    results: Sequence[SeriesForecast],
    selection: Sequence[str],
    court_type: str,
    settings: ForecastSettings,
    allowed: Sequence[str] | None = None,
    table: str | None = None,
    progress: ProgressFn | None = None,
) -> tuple[SeriesForecast | None, list[str] | None]:
    """The forecast a scenario projects from: one series covering every selected area.

    England and Wales when it is selected; the one area when one is; otherwise the selected
    areas summed into one series (read from ``results`` when they were combined already, else
    forecast now), so a scenario never covers only the first of several areas.

    Args:
        ws: The workspace.
        results: The forecasts already made for the selection.
        selection: The areas picked (may include :data:`NATIONAL`).
        court_type: The court type.
        settings: How to forecast.
        allowed: The areas the user may see (None: all).
        table: The journey table.
        progress: Called with a message and the fraction done.

    Returns:
        The forecast (None when there is none usable) and the LCJB areas it covers (None for
        England and Wales).
    """
    areas = [a for a in selection if a != NATIONAL]
    if NATIONAL in selection or not areas:
        found = [r for r in results if r.area == NATIONAL and r.ok]
        return (found[0] if found else None), None
    label = areas[0] if len(areas) == 1 else combined_label(areas)
    found = [r for r in results if r.area == label and r.court_type == court_type]
    if not found and len(areas) > 1:
        found = forecast_selection(ws, areas, court_type, settings, allowed, True, table, progress)
    usable = [r for r in found if r.ok]
    return (usable[0] if usable else None), areas
