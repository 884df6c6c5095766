"""What-if scenarios: receipts, disposals and the outstanding caseload projected forward.

A scenario starts from a receipts forecast (:mod:`workbench.forecast`) and the state of the
courts at the last period of history (open cases, recent disposals per week), and applies two
changes:

- **charge volumes**: court receipts change by ``charge_change_pct`` percent for every period
  starting on or after ``change_from`` (charges reach court about when they are made; the
  median charge to first hearing interval is a few weeks, shorter than most horizons);
- **disposal capacity**: the courts dispose of ``capacity_per_week`` cases a week (None keeps
  the recent rate).

The projection, period by period ``t`` (a month holds ``days / 7`` weeks of capacity)::

    receipts[t]    = forecast[t] × (1 + pct / 100 when period[t] >= change_from)
    disposals[t]   = min(capacity × weeks[t], outstanding[t-1] + receipts[t])
    outstanding[t] = outstanding[t-1] + receipts[t] - disposals[t]

Intervals: the receipts interval of each period gives a standard deviation
``(upper - lower) / (2 z)``; errors are taken as independent, so cumulative receipts have the
square root of the summed variances, and the caseload bounds are the same recursion run on the
lower and upper cumulative receipts. The **baseline** is the same projection with no change.

Scenarios are saved by name in ``wb.forecast_scenarios`` with their projection, compared side
by side and exported as CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from io import StringIO
from statistics import NormalDist

import numpy as np
import pandas as pd

from workbench.errors import ForecastError
from workbench.forecast import SeriesForecast
from workbench.journeys import JOURNEY_SCHEMA
from workbench.measures import JourneyFilter, outstanding_caseload
from workbench.sql import qualified
from workbench.workspace import Workspace, utcnow

BASELINE = "baseline"
PROJECTION_COLUMNS = [
    "scenario",
    "period",
    "receipts",
    "receipts_lower",
    "receipts_upper",
    "disposals",
    "outstanding",
    "outstanding_lower",
    "outstanding_upper",
]


@dataclass(frozen=True)
class Scenario:
    """A what-if: what changes, from when, for which series.

    Attributes:
        name: The scenario's name (unique in the workspace).
        area: The series' area label.
        court_type: The series' court type.
        freq: ``week`` or ``month``.
        horizon: Periods projected.
        charge_change_pct: Change in charge volumes, percent (-50 means half as many).
        change_from: First date the change applies (None: from the first projected period).
        capacity_per_week: Disposals a week (None: the recent rate).
    """

    name: str
    area: str
    court_type: str
    freq: str = "week"
    horizon: int = 13
    charge_change_pct: float = 0.0
    change_from: date | None = None
    capacity_per_week: float | None = None


@dataclass(frozen=True)
class CourtState:
    """Where the courts stand at the end of the history.

    Attributes:
        at: The date of the state.
        outstanding: Open cases (first hearing held, not completed).
        disposals_per_week: Mean completions a week over the 13 weeks to ``at``.
    """

    at: date
    outstanding: float
    disposals_per_week: float


def court_state(
    ws: Workspace, table: str, at: date, areas: Sequence[str] | None, court_type: str
) -> CourtState:
    """The outstanding caseload and recent disposal rate of areas at one court type.

    Args:
        ws: The workspace.
        table: The journey table.
        at: The date (usually the last day of the history).
        areas: LCJB areas (None: all).
        court_type: ``magistrates`` or ``Crown``.

    Returns:
        The state at ``at``.
    """
    where = JourneyFilter(areas=tuple(areas or ()), court_types=(court_type,))
    open_cases = outstanding_caseload(ws, at, table=table, where=where)
    cond, params = where.sql()
    start = at - timedelta(days=91)
    done = ws.query(
        f"SELECT count(*) FROM {qualified(JOURNEY_SCHEMA, table)} "  # noqa: S608 - quoted name
        f"WHERE completion_date > ? AND completion_date <= ? AND {cond}",
        [start, at, *params],
    )[0][0]
    return CourtState(at, float(open_cases["cases"].sum()), float(done) / 13.0)


def _weeks(periods: pd.Series, freq: str) -> np.ndarray:
    if freq == "week":
        return np.ones(len(periods))
    return pd.DatetimeIndex(periods).days_in_month.to_numpy(dtype=float) / 7.0


def _caseload(
    receipts: np.ndarray, capacity: np.ndarray, start: float
) -> tuple[np.ndarray, np.ndarray]:
    disposals = np.zeros(len(receipts))
    outstanding = np.zeros(len(receipts))
    level = float(start)
    for t, (r, c) in enumerate(zip(receipts, capacity, strict=True)):
        disposals[t] = min(c, max(level + r, 0.0))
        level = max(level + r - disposals[t], 0.0)
        outstanding[t] = level
    return disposals, outstanding


def project(
    forecast: pd.DataFrame,
    state: CourtState,
    scenario: Scenario,
    interval_width: float = 0.8,
) -> pd.DataFrame:
    """Project receipts, disposals and the outstanding caseload under a scenario.

    Args:
        forecast: ``period``, ``forecast``, ``lower``, ``upper`` (a receipts forecast).
        state: The outstanding caseload and disposal rate to start from.
        scenario: The changes; use ``charge_change_pct=0`` and no capacity for the baseline.
        interval_width: The coverage of the forecast's intervals.

    Returns:
        :data:`PROJECTION_COLUMNS`, one row per period.

    Raises:
        ForecastError: When the forecast is empty or the settings are impossible.
    """
    if forecast is None or forecast.empty:
        raise ForecastError("There is no receipts forecast to project from.")
    if scenario.charge_change_pct < -100:
        raise ForecastError("Charge volumes cannot fall by more than 100%.")
    if scenario.capacity_per_week is not None and scenario.capacity_per_week < 0:
        raise ForecastError("Disposal capacity cannot be negative.")
    periods = pd.to_datetime(forecast["period"]).reset_index(drop=True)
    factor = np.ones(len(periods))
    if scenario.charge_change_pct:
        start = pd.Timestamp(scenario.change_from) if scenario.change_from else periods.iloc[0]
        factor = np.where(periods >= start, 1 + scenario.charge_change_pct / 100.0, 1.0)
    mean = forecast["forecast"].to_numpy(dtype=float) * factor
    lower = forecast["lower"].to_numpy(dtype=float) * factor
    upper = forecast["upper"].to_numpy(dtype=float) * factor
    rate = (
        state.disposals_per_week
        if scenario.capacity_per_week is None
        else float(scenario.capacity_per_week)
    )
    capacity = rate * _weeks(periods, scenario.freq)
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    sd = (upper - lower) / (2 * z)
    spread = z * np.sqrt(np.cumsum(sd**2))
    cum = np.cumsum(mean)
    disposals, outstanding = _caseload(mean, capacity, state.outstanding)
    bounds = []
    for cum_bound in (np.maximum(cum - spread, 0), cum + spread):
        steps = np.diff(np.concatenate([[0.0], cum_bound]))
        bounds.append(_caseload(steps, capacity, state.outstanding)[1])
    return pd.DataFrame(
        {
            "scenario": scenario.name,
            "period": periods,
            "receipts": mean,
            "receipts_lower": lower,
            "receipts_upper": upper,
            "disposals": disposals,
            "outstanding": outstanding,
            "outstanding_lower": np.minimum(bounds[0], outstanding),
            "outstanding_upper": np.maximum(bounds[1], outstanding),
        }
    )[PROJECTION_COLUMNS]


def project_with_baseline(
    result: SeriesForecast, state: CourtState, scenario: Scenario
) -> pd.DataFrame:
    """The scenario's projection and the baseline's (no change) stacked, for charts."""
    base = Scenario(BASELINE, scenario.area, scenario.court_type, scenario.freq, scenario.horizon)
    width = result.settings.interval_width
    return pd.concat(
        [
            project(result.forecast, state, base, width),
            project(result.forecast, state, scenario, width),
        ],
        ignore_index=True,
    )


# ------------------------------------------------------------------------------ storage
def save_scenario(
    ws: Workspace, scenario: Scenario, projection: pd.DataFrame, actor: str | None = None
) -> None:
    """Save (or replace) a scenario and its projection under its name.

    Raises:
        ForecastError: When the name is empty or the name is reserved.
    """
    name = scenario.name.strip()
    if not name or name == BASELINE:
        raise ForecastError(
            "A scenario needs a name other than 'baseline'.", hint="Type a name and save again."
        )
    rows = projection[projection["scenario"] == scenario.name]
    payload = rows.to_json(orient="split", date_format="iso", index=False)
    with ws.transaction() as cur:
        cur.execute("DELETE FROM wb.forecast_scenarios WHERE name = ?", [name])
        cur.execute(
            "INSERT INTO wb.forecast_scenarios (name, area, court_type, freq, horizon, "
            "charge_change_pct, change_from, capacity_per_week, created_at, created_by, "
            "projection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                scenario.area,
                scenario.court_type,
                scenario.freq,
                int(scenario.horizon),
                float(scenario.charge_change_pct),
                scenario.change_from,
                scenario.capacity_per_week,
                utcnow(),
                actor,
                payload,
            ],
        )
        ws.audit("forecast.scenario.save", name, asdict(scenario), actor=actor, cur=cur)


def list_scenarios(ws: Workspace) -> pd.DataFrame:
    """The saved scenarios' settings, newest first (without their projections)."""
    return ws.query_df(
        "SELECT name, area, court_type, freq, horizon, charge_change_pct, change_from, "
        "capacity_per_week, created_at, created_by FROM wb.forecast_scenarios "
        "ORDER BY created_at DESC, name"
    )


def load_scenario(ws: Workspace, name: str) -> tuple[Scenario, pd.DataFrame]:
    """A saved scenario and its projection.

    Raises:
        ForecastError: When there is no scenario of that name.
    """
    rows = ws.query(
        "SELECT name, area, court_type, freq, horizon, charge_change_pct, change_from, "
        "capacity_per_week, projection FROM wb.forecast_scenarios WHERE name = ?",
        [name],
    )
    if not rows:
        raise ForecastError(f"There is no saved scenario called {name!r}.")
    *fields, payload = rows[0]
    scenario = Scenario(*fields)
    frame = pd.read_json(StringIO(payload), orient="split")
    frame["period"] = pd.to_datetime(frame["period"]).dt.tz_localize(None)
    frame["scenario"] = frame["scenario"].astype(str)
    return scenario, frame[PROJECTION_COLUMNS]


def delete_scenario(ws: Workspace, name: str) -> None:
    """Delete a saved scenario (nothing happens when there is none)."""
    with ws.transaction() as cur:
        cur.execute("DELETE FROM wb.forecast_scenarios WHERE name = ?", [name])


def compare_scenarios(ws: Workspace, names: Sequence[str]) -> pd.DataFrame:
    """Saved scenarios side by side: their settings and projections in one long frame.

    Returns:
        :data:`PROJECTION_COLUMNS` plus ``area``, ``court_type``, ``charge_change_pct``,
        ``change_from`` and ``capacity_per_week``.
    """
    frames = []
    for name in names:
        scenario, frame = load_scenario(ws, name)
        settings = {
            k: v
            for k, v in asdict(scenario).items()
            if k in ("area", "court_type", "charge_change_pct", "change_from", "capacity_per_week")
        }
        frames.append(frame.assign(**settings))
    if not frames:
        return pd.DataFrame(columns=PROJECTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def scenario_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: total receipts and disposals, and the caseload at the end."""
    if comparison.empty:
        return pd.DataFrame()
    last = comparison.sort_values("period").groupby("scenario").tail(1).set_index("scenario")
    sums = comparison.groupby("scenario")[["receipts", "disposals"]].sum()
    out = sums.join(last[["outstanding", "outstanding_lower", "outstanding_upper"]])
    return out.rename(columns={"outstanding": "outstanding_at_end"}).reset_index()


def scenarios_csv(comparison: pd.DataFrame) -> bytes:
    """A comparison as CSV bytes (UTF-8), for downloads."""
    return comparison.to_csv(index=False).encode("utf-8")
