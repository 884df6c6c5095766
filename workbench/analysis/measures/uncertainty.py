"""Uncertainty: rates carry Wilson 95% intervals (:func:`wilson_interval`); medians carry
a 95% order-statistic interval, the ranks chosen from the binomial distribution
(:func:`median_rank_interval`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from scipy.special import bdtr, ndtri

# The two-sided 95% normal quantile, for Wilson intervals and rank intervals.
Z95 = 1.959963984540054


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% by default).

    Args:
        successes: Cases counted by the rate (the numerator).
        trials: Cases the rate is taken over (the base).
        z: The normal quantile of the confidence level.

    Returns:
        ``(low, high)`` as fractions, or None when the base is zero or unknown.
    """
    if trials is None or successes is None or pd.isna(trials) or pd.isna(successes):
        return None
    n, k = float(trials), float(successes)
    if n <= 0:
        return None
    p = min(max(k / n, 0.0), 1.0)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def median_rank_interval(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """The ranks (1-based, of the sorted values) bounding a distribution-free median interval.

    The number of values below the true median is Binomial(n, 1/2), so the ``j``-th and
    ``(n - j + 1)``-th smallest values cover the median with probability
    ``1 - 2 P(B <= j - 1)``; ``j`` is the largest rank keeping that at least ``confidence``.

    Returns:
        ``(j, n - j + 1)``, or None when ``n`` is too small for any interval at that level.
    """
    if n < 1:
        return None
    alpha = (1 - confidence) / 2
    # Start from the normal approximation, then step to the exact rank: the j with
    # P(B <= j - 1) <= alpha < P(B <= j), whatever the start. (``bdtr`` is the binomial
    # distribution function; scipy.special loads in a quarter of the time scipy.stats takes.)
    j = max(0, int(n / 2 + float(ndtri(alpha)) * math.sqrt(n) / 2))
    while j >= 1 and bdtr(j - 1, n, 0.5) > alpha:
        j -= 1
    while bdtr(j, n, 0.5) <= alpha:
        j += 1
    if j < 1:
        return None
    return j, n - j + 1


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[Any, Any]:
    """The order-statistic interval of the median of ``values`` ((None, None) when too few)."""
    ordered = sorted(float(v) for v in values)
    ranks = median_rank_interval(len(ordered), confidence)
    if ranks is None:
        return None, None
    return ordered[ranks[0] - 1], ordered[ranks[1] - 1]
