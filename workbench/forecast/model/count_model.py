"""The count model of very sparse series: the recent rate, a negative binomial interval.

A handful of cases a month carries no estimable season or trend, and Prophet's Gaussian errors
give such counts negative or symmetric intervals; so the forecast is the recent rate (the mean of
the last twelve months fitted) and the interval comes from the negative binomial with that mean,
its variance inflated by the overdispersion of the last two years and by the uncertainty of the
rate itself (:func:`count_forecast`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.forecast.model.series import ForecastSettings


def count_forecast(
    y: np.ndarray, excluded: np.ndarray, horizon: int, season: int, width: float
) -> tuple[float, float, float]:
    """The count model of a sparse series: the recent rate and a negative binomial interval.

    The rate is the mean of the last ``season`` fitted periods (gaps and excluded periods left
    out). The interval is the central ``width`` of a negative binomial with that mean and the
    variance ``phi × mu × (1 + 1 / n)``: ``phi`` is the overdispersion (variance over mean, at
    least 1) of the last two seasons, and ``1 / n`` adds the uncertainty of a rate estimated
    from ``n`` periods; its upper end is one lower when that interval holds a probability
    nearer ``width`` (counts are whole numbers, so the equal-tailed interval holds more). A
    rate of zero is taken as half a case over the ``n`` periods for the interval (the Jeffreys
    estimate), so its distribution never rules receipts out.

    Args:
        y: The series (NaN in gaps).
        excluded: Periods left out of fitting.
        horizon: Periods ahead (the forecast is flat, so the same for each).
        season: Periods in a year.
        width: The interval's coverage.

    Returns:
        The forecast, the interval's lower and upper bounds.
    """
    from scipy.stats import nbinom

    del horizon  # a flat rate: every period ahead has the same forecast
    values = np.asarray(y, dtype=float)[~np.asarray(excluded, dtype=bool)]
    values = values[~np.isnan(values)]
    recent = values[-season:]
    n = max(len(recent), 1)
    rate = float(recent.mean()) if len(recent) else 0.0
    longer = values[-2 * season :]
    phi = 1.0
    if len(longer) > 1 and longer.mean() > 0:
        phi = max(1.0, float(longer.var(ddof=1) / longer.mean()))
    mu = max(rate, 0.5 / n)
    variance = phi * mu * (1 + 1 / n)
    size = mu**2 / (variance - mu)
    prob = size / (size + mu)
    low, high = nbinom.ppf([(1 - width) / 2, (1 + width) / 2], size, prob)
    # Counts are whole numbers, so no interval holds exactly ``width``: the equal-tailed one
    # holds more, by a whole point of probability when the rate is small. Its upper end comes
    # down by one when that holds a share nearer ``width``.
    below = nbinom.cdf(low - 1, size, prob)
    holds = nbinom.cdf([high - 1, high], size, prob) - below
    if high - 1 >= low and abs(holds[0] - width) < abs(holds[1] - width):
        high -= 1
    return rate, float(low), float(high)


def count_fit_predict(
    periods: pd.DatetimeIndex,
    y: np.ndarray,
    excluded: np.ndarray,
    future: pd.DatetimeIndex,
    settings: ForecastSettings,
) -> pd.DataFrame:
    """The count model's forecast of ``future`` from ``y`` (see :func:`count_forecast`)."""
    del periods
    rate, low, high = count_forecast(
        y, excluded, len(future), settings.season, settings.interval_width
    )
    n = len(future)
    return pd.DataFrame(
        {"period": future, "forecast": [rate] * n, "lower": [low] * n, "upper": [high] * n}
    )
