"""Forecast accuracy: the seasonal naive baseline, MASE, interval coverage and calibration.

Accuracy is the MASE, the mean absolute error scaled by the mean absolute in-sample error of the
seasonal naive forecast (the value 52 weeks or 12 months earlier) on the training part, for the
model and for the baseline, and the share of actual values inside the model's interval.

**Calibrated intervals.** Prophet's intervals are usually too narrow for court receipts. Each is
widened (or narrowed) by one factor per series, found on the backtests by split-conformal
calibration (:func:`interval_scale`): the factor is the conformal quantile of each backtest
actual's distance from the forecast in units of the interval's half-width on its side.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MAX_INTERVAL_SCALE = 10.0


def interval_scale(
    actual: np.ndarray,
    forecast: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    width: float,
) -> float:
    """The split-conformal factor for interval half-widths, from backtest actuals.

    Each actual's distance from the forecast is measured in half-widths of the interval on
    its side (below the forecast: ``forecast - lower``; above: ``upper - forecast``); the
    factor is the ``ceil((n + 1) × width)``-th smallest of these ``n`` scores, so the widened
    intervals would hold a share ``width`` of such actuals.

    Returns:
        The factor (1 when there are no actuals; at most :data:`MAX_INTERVAL_SCALE`).
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    half = np.where(a < f, f - np.asarray(lower, dtype=float), np.asarray(upper, dtype=float) - f)
    keep = ~np.isnan(a)
    dist, half = np.abs(a - f)[keep], half[keep]
    if not dist.size:
        return 1.0
    scores = np.divide(dist, half, out=np.full_like(dist, np.inf), where=half > 0)
    scores[dist == 0] = 0.0
    rank = math.ceil((dist.size + 1) * width)  # the conformal order statistic, 1-based
    if rank > dist.size:
        return MAX_INTERVAL_SCALE
    factor = float(np.sort(scores)[rank - 1])
    return min(factor, MAX_INTERVAL_SCALE)


def widen(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    """``lower`` and ``upper`` of a forecast frame scaled about ``forecast`` (lower kept >= 0)."""
    f = frame["forecast"].to_numpy(dtype=float)
    lower = f - factor * (f - frame["lower"].to_numpy(dtype=float))
    upper = f + factor * (frame["upper"].to_numpy(dtype=float) - f)
    return frame.assign(lower=np.maximum(lower, 0.0), upper=upper)


def seasonal_naive(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The seasonal naive forecast: each future period repeats the one a season earlier.

    Gaps in the last season are filled by interpolation over the training series first.
    """
    filled = pd.Series(train, dtype=float).interpolate(limit_direction="both").to_numpy()
    last = filled[-season:]
    return np.array([last[i % season] for i in range(horizon)], dtype=float)


def naive_scale(train: np.ndarray, season: int, excluded: np.ndarray | None = None) -> float:
    """Mean absolute in-sample error of the seasonal naive forecast (the MASE denominator).

    Pairs with a gap or with either period in the excluded window are left out.
    """
    y = np.asarray(train, dtype=float)
    if excluded is not None:
        y = np.where(np.asarray(excluded, dtype=bool), np.nan, y)
    diffs = np.abs(y[season:] - y[:-season])
    diffs = diffs[~np.isnan(diffs)]
    return float(diffs.mean()) if diffs.size else float("nan")


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error of a forecast against actuals (NaN actuals ignored)."""
    errors = np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float))
    errors = errors[~np.isnan(errors)]
    if not errors.size or not scale or math.isnan(scale):
        return float("nan")
    return float(errors.mean() / scale)


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of (non-missing) actuals inside ``[lower, upper]``."""
    a = np.asarray(actual, dtype=float)
    keep = ~np.isnan(a)
    if not keep.any():
        return float("nan")
    inside = (a[keep] >= np.asarray(lower)[keep]) & (a[keep] <= np.asarray(upper)[keep])
    return float(inside.mean())
