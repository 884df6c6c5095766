"""Backtests and the final forecast of one series.

**Rolling-origin backtests**: the last ``folds`` blocks of ``horizon`` periods are each forecast
from the history before them, by the model and by the seasonal naive baseline. A model whose MASE
is not below the baseline's says so
(:attr:`~workbench.forecast.model.series.SeriesForecast.verdict`).

The forecast's interval is calibrated with the factor from every backtest fold; the backtest
coverage reported as calibrated uses, for each fold, the factor from the other folds only (the
fold's own actuals would flatter it). Both the raw and the calibrated coverage are kept, and a
model whose calibrated coverage is far from the aim
(:data:`~workbench.forecast.model.series.COVERAGE_TOLERANCE`) is not called better than the
baseline. The count model's interval is not rescaled: that factor comes from a few backtest
counts, most of them tied (0 or 1), and narrowed the intervals until they held about 71% of
backtest actuals on the sample's sparse series, against 85% as they are.

:func:`forecast_one` raises :class:`~workbench.errors.ForecastError` when a series cannot be
forecast, for callers that want one series; :func:`forecast_prepared` puts the reason on the
result instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ForecastError
from workbench.forecast.model.accuracy import (
    coverage,
    interval_scale,
    mase,
    naive_scale,
    seasonal_naive,
    widen,
)
from workbench.forecast.model.count_model import count_fit_predict
from workbench.forecast.model.history import choose_frequency, period_index, prepare_history
from workbench.forecast.model.prophet_model import prophet_fit_predict
from workbench.forecast.model.series import (
    COUNTS,
    FORECAST_COLUMNS,
    NATIONAL,
    PROPHET,
    ForecastSettings,
    SeriesForecast,
)


def _future(last: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    step = pd.DateOffset(weeks=1) if freq == "week" else pd.DateOffset(months=1)
    return period_index(last + step, last + step * horizon, freq)


def _run_series(
    history: pd.DataFrame, settings: ForecastSettings, model: str = PROPHET
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Backtests and the final forecast of one prepared series (history from prepare_history)."""
    fit_predict = count_fit_predict if model == COUNTS else prophet_fit_predict
    h, m = int(settings.horizon), settings.season
    n = len(history)
    if n < settings.min_history:
        raise ForecastError(
            f"it has {n} {settings.freq}s of history; a forecast with a backtest needs at "
            f"least {settings.min_history} (two years plus the horizon)."
        )
    y = history["receipts"].to_numpy(dtype=float)
    excl = history["excluded"].to_numpy(dtype=bool)
    periods = pd.DatetimeIndex(history["period"])
    folds = min(settings.folds, (n - 2 * m) // h)
    rows: list[pd.DataFrame] = []
    model_scores, base_scores = [], []
    for k in range(folds, 0, -1):
        origin = n - k * h
        train, test = y[:origin], y[origin : origin + h]
        if np.nansum(train) == 0:
            continue
        pred = fit_predict(
            periods[:origin], train, excl[:origin], periods[origin : origin + h], settings
        )
        base = seasonal_naive(train, h, m)
        scale = naive_scale(train, m, excl[:origin])
        model_scores.append(mase(test, pred["forecast"], scale))
        base_scores.append(mase(test, base, scale))
        rows.append(pred.assign(fold=folds - k + 1, actual=test, baseline=base))
    if not rows or all(math.isnan(s) for s in base_scores):
        raise ForecastError(
            "the seasonal naive baseline makes no in-sample errors (a constant series), so "
            "accuracy cannot be scaled."
        )
    backtest = pd.concat(rows, ignore_index=True)
    if model == COUNTS:
        # The count model's interval is its predictive distribution's, in whole counts; a
        # conformal factor from a few backtest counts, most of them tied, narrows it too far
        # (about 71% coverage out of sample on the sample's sparse series, against 85% as is).
        backtest = backtest.assign(lower_raw=backtest["lower"], upper_raw=backtest["upper"])
        scale = 1.0
    else:
        backtest, scale = _calibrate(backtest, settings.interval_width)
    future = _future(periods[-1], h, settings.freq)
    final = widen(fit_predict(periods, y, excl, future, settings), scale)
    final["baseline"] = seasonal_naive(y, h, m)
    metrics = {
        "mase": float(np.nanmean(model_scores)),
        "baseline_mase": float(np.nanmean(base_scores)),
        "coverage": coverage(backtest["actual"], backtest["lower"], backtest["upper"]),
        "raw_coverage": coverage(backtest["actual"], backtest["lower_raw"], backtest["upper_raw"]),
        "interval_scale": scale,
        "folds": len(rows),
    }
    return final[FORECAST_COLUMNS], backtest, metrics


def _calibrate(backtest: pd.DataFrame, width: float) -> tuple[pd.DataFrame, float]:
    """Calibrated backtest intervals (each fold from the other folds) and the overall factor."""
    out = backtest.assign(lower_raw=backtest["lower"], upper_raw=backtest["upper"])

    def factor(rows: pd.DataFrame) -> float:
        return interval_scale(rows["actual"], rows["forecast"], rows["lower"], rows["upper"], width)

    overall = factor(backtest)
    for fold in backtest["fold"].unique():
        mine = backtest["fold"] == fold
        others = backtest[~mine]
        scale = factor(others) if others["actual"].notna().any() else overall
        out.loc[mine, ["lower", "upper"]] = widen(backtest[mine], scale)[["lower", "upper"]]
    return out, overall


def forecast_one(
    frame: pd.DataFrame,
    settings: ForecastSettings | None = None,
    area: str = NATIONAL,
    court_type: str = "magistrates",
) -> SeriesForecast:
    """Forecast one series with backtests and the seasonal naive baseline (no cache).

    Args:
        frame: ``period`` and ``receipts``.
        settings: How to forecast; weekly, 13 ahead by default.
        area: Label of the series.
        court_type: Label of the series.

    Returns:
        The forecast with its accuracy.

    Raises:
        ForecastError: When the series cannot be forecast (the message says why).
    """
    settings = settings or ForecastSettings()
    settings.check()
    frame, used, note, model = choose_frequency(frame, settings, area, court_type)
    result = forecast_prepared(frame, used, area, court_type, model)
    result.freq_reason = note
    if result.reason:
        raise ForecastError(
            f"No forecast for {area} ({court_type}): {result.reason}",
            hint="Choose a longer period, a monthly frequency or more areas combined.",
        )
    return result


def forecast_prepared(
    frame: pd.DataFrame,
    settings: ForecastSettings,
    area: str,
    court_type: str,
    model: str = PROPHET,
) -> SeriesForecast:
    """Forecast one series at the frequency and with the model already chosen for it.

    Returns:
        The forecast with its accuracy, or with :attr:`SeriesForecast.reason` set when the
        series cannot be forecast (it never raises for bad data).
    """
    settings.check()
    history, problem = prepare_history(frame, settings.freq)
    result = SeriesForecast(area, court_type, settings, history, model=model)
    if problem:
        result.reason = problem
        return result
    try:
        result.forecast, result.backtest, metrics = _run_series(history, settings, model)
    except ForecastError as exc:
        result.reason = exc.message
        return result
    result.mase = metrics["mase"]
    result.baseline_mase = metrics["baseline_mase"]
    result.coverage = metrics["coverage"]
    result.raw_coverage = metrics["raw_coverage"]
    result.interval_scale = metrics["interval_scale"]
    result.folds = metrics["folds"]
    return result
