"""Demand forecasts with backtests for all 42 areas and both court types (target: under 60 s).

Two runs, each cold (a fresh workspace, so nothing comes from the cache), weekly, 13 weeks ahead,
three rolling-origin backtest blocks, two worker processes:

1. the committed sample: truth journeys built from it, receipts per area and court type;
2. a synthetic set of the same shape at realistic magnitudes (published national receipts
   shared across 42 areas, yearly season, bank-holiday dips, the spring-2020 dip, Poisson noise).

Then a warm run of the sample to show the cache. Prints, for each run, the wall time, the CPU
time (this process and its worker and Stan processes) and the machine's load, the ratio of the
wall time to the 60 s target with a verdict, MASE of the model against the seasonal naive
baseline, the coverage of the 80% interval before and after calibration, and the series too
sparse to model weekly (forecast monthly).

The exit status is 1 only on errors (an exception, or a run that forecast no series at all); a
slow machine gets the verdict "OVER TARGET" printed, not a failure.

Run with ``make bench`` or ``.venv/bin/python bench/bench_forecast.py``.
"""

from __future__ import annotations

import logging
import os
import resource
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


def cpu_seconds() -> float:
    """CPU time so far of this process and of its finished child processes (workers, Stan)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    """The 1-minute load average and the CPU count, for reading the times."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def summarise(label: str, results: list[SeriesForecast], seconds: float, cpu: float) -> bool:
    """Print time against the target and the MASE summary; False when nothing was forecast."""
    m = metrics_frame(results)
    made = m[m["reason"].isna()]
    ratio = seconds / TARGET_SECONDS
    verdict = "OK" if seconds < TARGET_SECONDS else "OVER TARGET"
    print(f"== {label}")
    print(
        f"   {len(m)} series in {seconds:.1f} s wall, {cpu:.1f} s CPU ({load()}); "
        f"{ratio:.2f} × the {TARGET_SECONDS:.0f} s target: {verdict}"
    )
    if made.empty:
        print("   ERROR: no series could be forecast")
        return False
    beats = int(made["beats_baseline"].astype(bool).sum())
    monthly = m[m["freq_reason"].notna()]
    print(
        f"   forecast {len(made)}; median MASE {made['mase'].median():.2f} against "
        f"{made['baseline_mase'].median():.2f} for the seasonal naive; model better in "
        f"{beats} of {len(made)}; median coverage of the 80% interval "
        f"{made['raw_coverage'].median():.0%} raw, {made['coverage'].median():.0%} calibrated; "
        f"{int(made['coverage_ok'].astype(bool).sum())} within 10 points of 80%"
    )
    dense = made[made["freq_reason"].isna()]
    if not dense.empty:
        print(
            f"   {len(dense)} weekly: coverage {dense['raw_coverage'].median():.0%} raw, "
            f"{dense['coverage'].median():.0%} calibrated (medians)"
        )
    print(f"   {len(monthly)} too sparse for weeks, forecast monthly")
    for row in monthly.head(5).itertuples():
        print(f"     {row.freq_reason}")
    reasons = m.loc[m["reason"].notna(), "reason"].value_counts()
    for reason, count in reasons.items():
        print(f"   no forecast ({count}): {reason}")
    return True


def main() -> int:
    """Run the benchmark; exit status 1 only on errors, never because the machine is slow."""
    logging.basicConfig(level=logging.WARNING)
    ok = True
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if sample_available():
            with Workspace(Path(tmp) / "sample.duckdb") as ws:
                load_sample(ws)
                build_truth_journeys(ws)
                cpu, start = cpu_seconds(), time.perf_counter()
                results = forecast_demand(ws, None, settings=SETTINGS, table=TRUTH)
                seconds = time.perf_counter() - start
                worst = max(worst, seconds)
                ok &= summarise(
                    "sample (truth journeys), cold", results, seconds, cpu_seconds() - cpu
                )
                cpu, start = cpu_seconds(), time.perf_counter()
                warm = forecast_demand(ws, None, settings=SETTINGS, table=TRUTH)
                seconds = time.perf_counter() - start
                cached = sum(r.cached for r in warm)
                print(
                    f"   warm (cache): {seconds:.2f} s wall, {cpu_seconds() - cpu:.2f} s CPU, "
                    f"{cached} of {len(warm)} read from the cache"
                )
        else:
            print("== sample not available: skipped")
        series = synthetic_series()
        with Workspace(Path(tmp) / "synthetic.duckdb") as ws:
            cpu, start = cpu_seconds(), time.perf_counter()
            results = forecast_series_set(series, SETTINGS, ws)
            seconds = time.perf_counter() - start
            worst = max(worst, seconds)
            ok &= summarise(
                "synthetic, realistic magnitudes, cold", results, seconds, cpu_seconds() - cpu
            )
    verdict = "within" if worst < TARGET_SECONDS else "OVER"
    print(
        f"== slowest cold run {worst:.1f} s: {worst / TARGET_SECONDS:.2f} × the "
        f"{TARGET_SECONDS:.0f} s target ({verdict} target; {load()})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
