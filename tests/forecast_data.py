"""Synthetic demand data for the forecast tests: seasonal series and hand-made journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis.journeys.table import TRUTH, write_journeys
from workbench.workspace import Workspace


def seasonal_series(
    periods: int = 96,
    freq: str = "month",
    level: float = 100.0,
    trend: float = 0.0,
    amplitude: float = 20.0,
    noise: float = 3.0,
    start: str = "2018-01-01",
    seed: int = 1,
) -> pd.DataFrame:
    """A series with a known yearly pattern: level + trend·t + amplitude·sin + N(0, noise)."""
    rng = np.random.default_rng(seed)
    season = 12 if freq == "month" else 52
    index = pd.date_range(start, periods=periods, freq="MS" if freq == "month" else "W-MON")
    t = np.arange(periods)
    values = level + trend * t + amplitude * np.sin(2 * np.pi * t / season)
    values = values + rng.normal(0, noise, periods) if noise else values
    return pd.DataFrame({"period": index, "receipts": values})


def write_demand_journeys(
    ws: Workspace,
    areas: tuple[str, ...] = ("Kent", "Surrey"),
    start: str = "2021-01-04",
    weeks: int = 160,
    per_week: int = 6,
    seed: int = 3,
) -> None:
    """A small truth journey table: first hearings and completions in two areas, both courts."""
    rng = np.random.default_rng(seed)
    rows = []
    days = pd.date_range(start, periods=weeks * 7, freq="D")
    for area in areas:
        for court, rate in (("magistrates", per_week), ("Crown", max(per_week // 3, 1))):
            counts = rng.poisson(
                rate / 7 * (1 + 0.3 * np.sin(2 * np.pi * np.arange(len(days)) / 365))
            )
            for day, n in zip(days, counts, strict=True):
                for _ in range(int(n)):
                    done = day + pd.Timedelta(days=int(rng.integers(20, 200)))
                    rows.append((area, court, day, day - pd.Timedelta(days=20), done))
    frame = pd.DataFrame(
        rows,
        columns=["lcjb_area", "court_type", "first_hearing_date", "charge_date", "completion_date"],
    )
    frame["journey_id"] = [f"j{i}" for i in range(len(frame))]
    frame["start_date"] = frame["charge_date"]
    frame.loc[frame["completion_date"] > days[-1], "completion_date"] = pd.NaT
    write_journeys(ws, frame, TRUTH)


def court_receipts_series(
    weeks: int = 300,
    level: float = 120.0,
    dispersion: float = 0.12,
    start: str = "2019-01-07",
    seed: int = 11,
) -> pd.DataFrame:
    """Weekly receipts shaped like a large area's: season, August and bank-holiday dips, trend.

    Counts are Poisson around a mean that itself wanders week to week (a gamma factor with
    coefficient of variation ``dispersion``), as real listings do, so the noise is wider than
    Poisson and a model's own intervals tend to be too narrow.
    """
    from workbench.forecast.model.holiday_calendar import bank_holidays

    rng = np.random.default_rng(seed)
    periods = pd.date_range(start, periods=weeks, freq="W-MON")
    t = np.arange(weeks)
    season = 1 + 0.08 * np.sin(2 * np.pi * t / 52.18) - 0.15 * (periods.month == 8)
    mean = level * season * (1 - 0.15 * bank_holidays(periods, "week")) * (1 + 0.0008 * t)
    shape = 1 / dispersion**2
    wander = rng.gamma(shape, 1 / shape, weeks)
    return pd.DataFrame({"period": periods, "receipts": rng.poisson(mean * wander).astype(float)})


def sparse_series(weeks: int = 170, rate: float = 0.6, seed: int = 5) -> pd.DataFrame:
    """Weekly receipts of a small Crown Court centre: mostly zero weeks."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2021-01-04", periods=weeks, freq="W-MON")
    return pd.DataFrame({"period": periods, "receipts": rng.poisson(rate, weeks).astype(float)})
