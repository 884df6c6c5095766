"""Synthetic demand data for the forecast tests: seasonal series and hand-made journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.journeys import TRUTH, write_journeys
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
