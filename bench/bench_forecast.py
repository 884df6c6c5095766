"""Demand forecasts with backtests for all 42 areas and both court types (target: under 60 s).

Two runs, each cold (a fresh workspace, so nothing comes from the cache), weekly, 13 weeks ahead,
three rolling-origin backtest blocks, two worker processes:

1. the committed sample: truth journeys built from it, receipts per area and court type;
2. a synthetic set of the same shape at realistic magnitudes (published national receipts
   shared across 42 areas, yearly season, bank-holiday dips, the spring-2020 dip, Poisson noise).

Then a warm run of the sample to show the cache. Prints, for each run, the wall time, the CPU
time (this process and its worker and Stan processes) and the machine's load, the ratio of the
wall time to the 60 s target with a verdict, MASE of the model against the seasonal naive
baseline, the coverage of the 80% interval before and after calibration (the median per series,
and pooled over every backtest actual of the dense, weekly series), and how many series were
forecast at each level (weekly, monthly, monthly counts).

With ``--compare REV`` the same runs are made first with the forecasting code of git revision
``REV`` (its ``workbench`` package, extracted to a temporary folder), so the figures before and
after a change are measured on the same machine in the same run, one after the other. The wall
time depends on the machine's load (printed beside it); the CPU time much less so.

The exit status is 1 only on errors (an exception, or a run that forecast no series at all); a
slow machine gets the verdict "OVER TARGET" printed, not a failure.

Run with ``make bench`` or ``.venv/bin/python bench/bench_forecast.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.analysis.journeys.build import build_truth_journeys
from workbench.analysis.journeys.table import TRUTH
from workbench.data.datasets import load_sample, sample_available
from workbench.forecast.model.demand import forecast_demand
from workbench.forecast.model.history import disrupted
from workbench.forecast.model.holiday_calendar import bank_holidays
from workbench.forecast.model.runner import forecast_series_set
from workbench.forecast.model.series import ForecastSettings, SeriesForecast
from workbench.forecast.model.tables import metrics_frame
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
    if "forecast_level" not in m:  # before the levels were named
        m["forecast_level"] = np.where(m["freq"] == "week", "weekly", "monthly")
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
        weekly = [r for r in results if r.ok and r.freq_reason is None]
        print(
            f"   {len(dense)} dense (weekly): coverage of the 80% interval "
            f"{dense['raw_coverage'].median():.0%} raw, {dense['coverage'].median():.0%} "
            f"calibrated (medians); pooled over their backtests {pooled(weekly, '_raw'):.1%} "
            f"raw, {pooled(weekly):.1%} calibrated"
        )
    levels = made["forecast_level"].value_counts()
    print("   forecast at level: " + ", ".join(f"{k} {v}" for k, v in levels.items()))
    by_key = {(r.area, r.court_type): r for r in results if r.ok}
    for level, rows in made.groupby("forecast_level"):
        these = [by_key[k] for k in zip(rows["area"], rows["court_type"], strict=True)]
        print(
            f"     {level}: median MASE {rows['mase'].median():.2f} against "
            f"{rows['baseline_mase'].median():.2f}; coverage {rows['coverage'].median():.0%} "
            f"(median), {pooled(these):.1%} pooled over {sum(len(r.backtest) for r in these)} "
            "backtest periods"
        )
    print(f"   {len(monthly)} too sparse for weeks")
    for row in monthly.head(3).itertuples():
        print(f"     {row.freq_reason}")
    reasons = m.loc[m["reason"].notna(), "reason"].value_counts()
    for reason, count in reasons.items():
        print(f"   no forecast ({count}): {reason}")
    return True


def pooled(results: list[SeriesForecast], suffix: str = "") -> float:
    """Share of every backtest actual of the series inside the interval (``_raw``: Prophet's)."""
    inside = total = 0
    for r in results:
        bt = r.backtest.dropna(subset=["actual"])
        inside += int(
            ((bt["actual"] >= bt[f"lower{suffix}"]) & (bt["actual"] <= bt[f"upper{suffix}"])).sum()
        )
        total += len(bt)
    return inside / total if total else float("nan")


def run_before(rev: str, flags: list[str]) -> None:
    """Run this benchmark (with ``flags``) with the forecasting code of git revision ``rev``."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "workbench"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        (Path(tmp) / "sample_data").symlink_to(root / "sample_data")  # the same sample
        env = {**os.environ, "PYTHONPATH": tmp, "BENCH_LABEL": f"BEFORE ({rev})"}
        print(f"#### before: the forecasting code of {rev}", flush=True)
        subprocess.run([sys.executable, __file__, *flags], env=env, check=False)
    print("#### after: the forecasting code of this working tree", flush=True)


def main() -> int:
    """Run the benchmark; exit status 1 only on errors, never because the machine is slow."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", metavar="REV", help="first run the code of this revision")
    parser.add_argument("--sample-only", action="store_true", help="skip the synthetic run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.compare:
        run_before(args.compare, ["--sample-only"] if args.sample_only else [])
    import workbench

    print(f"   code: {Path(workbench.__file__).parent} {os.environ.get('BENCH_LABEL', '')}")
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
        if not args.sample_only:
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
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
