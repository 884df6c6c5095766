"""A scenario's settings and its projection of receipts, disposals and the caseload.

A scenario applies two changes:

- **charge volumes**: charges change by ``charge_change_pct`` percent from ``change_from``.
  The change passes through the two measured stage lags of the series' areas and court type
  (:func:`workbench.forecast.scenarios.state.stage_lags`):

  1. it reaches court **receipts** after the median charge to first hearing interval
     (:attr:`~workbench.forecast.scenarios.state.CourtState.charge_lag_days`), so receipts
     change from ``change_from + lag1``; a period that the lagged change starts inside changes
     by the share of its days on or after it;
  2. the added (or missing) receipts reach **disposals** after the first hearing to completion
     interval (:attr:`~workbench.forecast.scenarios.state.CourtState.completion_lag`), its
     whole distribution (see :mod:`workbench.forecast.scenarios.lags`). Each period's extra
     receipts are spread evenly over its days and complete ``d`` days later with the
     probability measured for ``d``. The outstanding caseload then settles at the change in
     receipts times the *mean* time to completion (Little's law), not the median, and not the
     unbounded growth of a change that never reaches disposals;
- **disposal capacity**: the courts dispose of ``capacity_per_week`` cases a week at today's
  charge volumes (None keeps the recent rate); the completions of the changed charges come on
  top of it.

The projection, period by period ``t`` (a month holds ``days / 7`` weeks of capacity)::

    receipts[t]    = forecast[t] × (1 + pct / 100 × share of period[t] on or after
                                     change_from + lag1)
    extra[t]       = Σ_s (receipts[s] - forecast[s]) × P(completed in period t | received in s)
    disposals[t]   = min(capacity × weeks[t] + extra[t], outstanding[t-1] + receipts[t])
    outstanding[t] = outstanding[t-1] + receipts[t] - disposals[t]

Without a measured completion lag (``completion_lag`` None) a change in charges never reaches
disposals: ``extra`` is zero, as when the courts cannot dispose of more than ``capacity``.

Intervals: the receipts interval of each period gives a standard deviation
``(upper - lower) / (2 z)``; errors are taken as independent, so cumulative receipts have the
square root of the summed variances, and the caseload bounds are the same recursion run on the
lower and upper cumulative receipts. The **baseline** is the same projection with no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from workbench.errors import ForecastError
from workbench.forecast.model.series import SeriesForecast
from workbench.forecast.scenarios.lags import LagDistribution
from workbench.forecast.scenarios.state import CourtState

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
        name: The scenario's name (unique among its owner's scenarios).
        area: The series' area label.
        court_type: The series' court type.
        freq: ``week`` or ``month``.
        horizon: Periods projected.
        charge_change_pct: Change in charge volumes, percent (-50 means half as many).
        change_from: First date the change applies (None: from the first projected period).
        capacity_per_week: Disposals a week at today's charge volumes (None: the recent rate);
            the completions of changed charges come on top (see the module notes).
    """

    name: str
    area: str
    court_type: str
    freq: str = "week"
    horizon: int = 13
    charge_change_pct: float = 0.0
    change_from: date | None = None
    capacity_per_week: float | None = None


def _weeks(periods: pd.Series, freq: str) -> np.ndarray:
    if freq == "week":
        return np.ones(len(periods))
    return pd.DatetimeIndex(periods).days_in_month.to_numpy(dtype=float) / 7.0


def _share_after(periods: pd.Series, freq: str, start: pd.Timestamp) -> np.ndarray:
    """The share of each period's days on or after ``start`` (0 to 1)."""
    first = pd.DatetimeIndex(periods)
    days = _weeks(periods, freq) * 7.0
    after = (first + pd.to_timedelta(days, unit="D") - start) / pd.Timedelta(days=1)
    return np.clip(np.asarray(after, dtype=float) / days, 0.0, 1.0)


def _caseload(
    receipts: np.ndarray, capacity: np.ndarray, start: float
) -> tuple[np.ndarray, np.ndarray]:
    disposals = np.zeros(len(receipts))
    outstanding = np.zeros(len(receipts))
    level = float(start)
    for t, (r, c) in enumerate(zip(receipts, capacity, strict=True)):
        disposals[t] = min(max(c, 0.0), max(level + r, 0.0))
        level = max(level + r - disposals[t], 0.0)
        outstanding[t] = level
    return disposals, outstanding


def lagged_completions(
    extra: np.ndarray, periods: pd.Series, freq: str, lag: LagDistribution | None
) -> np.ndarray:
    """When extra receipts complete: each period's spread evenly over its days, then lagged.

    Args:
        extra: Receipts added (or, negative, removed) in each period.
        periods: The first day of each period.
        freq: ``week`` or ``month``.
        lag: Days from first hearing to completion (None: they do not complete here).

    Returns:
        The completions added in each period (the rest complete after the last period).
    """
    extra = np.asarray(extra, dtype=float)
    if lag is None or not extra.any():
        return np.zeros(len(extra))
    days = np.rint(_weeks(periods, freq) * 7.0).astype(int)
    daily = np.repeat(extra / days, days)
    done = np.convolve(daily, lag.pmf(len(daily)))[: len(daily)]
    starts = np.concatenate([[0], np.cumsum(days)[:-1]])
    return np.add.reduceat(done, starts)


def project(
    forecast: pd.DataFrame,
    state: CourtState,
    scenario: Scenario,
    interval_width: float = 0.8,
) -> pd.DataFrame:
    """Project receipts, disposals and the outstanding caseload under a scenario.

    Args:
        forecast: ``period``, ``forecast``, ``lower``, ``upper`` (a receipts forecast).
        state: The outstanding caseload, disposal rate and stage lags to start from (the
            change in charges reaches receipts ``charge_lag_days`` later, and disposals as
            those receipts complete, by ``completion_lag``).
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
        reaches = start + pd.Timedelta(days=float(state.charge_lag_days or 0.0))
        share = _share_after(periods, scenario.freq, reaches)
        factor = 1 + scenario.charge_change_pct / 100.0 * share
    mean = forecast["forecast"].to_numpy(dtype=float) * factor
    lower = forecast["lower"].to_numpy(dtype=float) * factor
    upper = forecast["upper"].to_numpy(dtype=float) * factor
    rate = (
        state.disposals_per_week
        if scenario.capacity_per_week is None
        else float(scenario.capacity_per_week)
    )
    extra = forecast["forecast"].to_numpy(dtype=float) * (factor - 1)
    done = lagged_completions(extra, periods, scenario.freq, state.completion_lag)
    capacity = rate * _weeks(periods, scenario.freq) + done
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
