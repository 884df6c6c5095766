"""Demand forecasts with backtests for all 42 areas and both court types (target: under 60 s).

Two runs, each cold (a fresh workspace, so nothing comes from the cache), weekly, 13 weeks ahead,
three rolling-origin backtest blocks, two worker processes:

1. the committed sample: truth journeys built from it, receipts per area and court type;
2. a synthetic set of the same shape at realistic magnitudes (published national receipts
   shared across 42 areas, yearly season, bank-holiday dips, the spring-2020 dip, Poisson noise).

Then a warm run of the sample to show the cache. Prints time against the target and MASE of the
model against the seasonal naive baseline.

Run with ``make bench`` or ``.venv/bin/python bench/bench_forecast.py``.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.datasets import load_sample, sample_available
from workbench.forecast import (
    ForecastSettings,
    SeriesForecast,
    bank_holidays,
    disrupted,
    forecast_demand,
    forecast_series_set,
    metrics_frame,
)
from workbench.journeys import TRUTH, build_truth_journeys
from workbench.workspace import Workspace

log = logging.getLogger("bench_forecast")
TARGET_SECONDS = 60.0
AREAS = 42
SETTINGS = ForecastSettings(freq="week", horizon=13, folds=3)


def synthetic_series(weeks: int = 300, seed: int = 42) -> pd.DataFrame:
    """42 areas × 2 court types of weekly receipts, shaped like the published figures."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2019-01-07", periods=weeks, freq="W-MON")
    t = np.arange(weeks)
    season = 1 + 0.08 * np.sin(2 * np.pi * t / 52.18) - 0.15 * (periods.month == 8)
    holidays = 1 - 0.12 * bank_holidays(periods, "week")
    dip = np.where(disrupted(periods, "week"), 0.4, 1.0)
    shares = rng.dirichlet(np.full(AREAS, 3.0))
    frames = []
    for court, national in (("magistrates", 26_000), ("Crown", 2_000)):
        for i, share in enumerate(shares):
            mean = national * share * season * holidays * dip * (1 + 0.0005 * t)
            frames.append(
                pd.DataFrame(
                    {
                        "area": f"Area {i + 1:02d}",
                        "court_type": court,
                        "period": periods,
                        "receipts": rng.poisson(np.maximum(mean, 0)),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def summarise(label: str, results: list[SeriesForecast], seconds: float) -> None:
    """Print time against the target and the MASE summary."""
    m = metrics_frame(results)
    made = m[m["reason"].isna()]
    verdict = "OK" if seconds < TARGET_SECONDS else "OVER TARGET"
    print(f"== {label}")
    print(f"   {len(m)} series in {seconds:.1f} s (target {TARGET_SECONDS:.0f} s): {verdict}")
    if made.empty:
        print("   no series could be forecast")
        return
    beats = int(made["beats_baseline"].astype(bool).sum())
    print(
        f"   forecast {len(made)}; median MASE {made['mase'].median():.2f} against "
        f"{made['baseline_mase'].median():.2f} for the seasonal naive; model better in "
        f"{beats} of {len(made)}; median coverage of the 80% interval "
        f"{made['coverage'].median():.0%}"
    )
    reasons = m.loc[m["reason"].notna(), "reason"].value_counts()
    for reason, count in reasons.items():
        print(f"   no forecast ({count}): {reason}")


def main() -> int:
    """Run the benchmark; exit status 1 when a cold run misses the target."""
    logging.basicConfig(level=logging.WARNING)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if sample_available():
            with Workspace(Path(tmp) / "sample.duckdb") as ws:
                load_sample(ws)
                build_truth_journeys(ws)
                start = time.perf_counter()
                results = forecast_demand(ws, None, settings=SETTINGS, table=TRUTH)
                seconds = time.perf_counter() - start
                worst = max(worst, seconds)
                summarise("sample (truth journeys), cold", results, seconds)
                start = time.perf_counter()
                forecast_demand(ws, None, settings=SETTINGS, table=TRUTH)
                print(f"   warm (cache): {time.perf_counter() - start:.2f} s")
        series = synthetic_series()
        with Workspace(Path(tmp) / "synthetic.duckdb") as ws:
            start = time.perf_counter()
            results = forecast_series_set(series, SETTINGS, ws)
            seconds = time.perf_counter() - start
            worst = max(worst, seconds)
            summarise("synthetic, realistic magnitudes, cold", results, seconds)
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
