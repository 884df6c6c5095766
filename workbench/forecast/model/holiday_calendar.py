"""England and Wales bank holidays, the Prophet model's regressor.

The number of bank holidays in each period comes from the offline ``holidays`` package,
subdivisions ``ENG`` and ``WLS``, each counted on the weekday it is observed: a holiday falling
on a weekend counts only as its substitute day. Forecasting worker processes get their parent's
dates (:func:`preset_holidays`) instead of loading the ``holidays`` data again.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

_HOLIDAY_PRESET: dict[str, Any] = {}  # observed bank holidays handed to worker processes


def observed_holidays(first_year: int, last_year: int) -> pd.DatetimeIndex:
    """England and Wales bank holidays of whole years, each on the weekday it is observed.

    The ``holidays`` package loads its country data on the first query, which takes seconds
    in a new process; the dates installed by :func:`preset_holidays` (as the forecasting
    worker processes get them from their parent) are used instead when they cover the years.

    Args:
        first_year: First calendar year.
        last_year: Last calendar year (inclusive).

    Returns:
        The dates, sorted; weekend dates are left out (their substitute weekdays are listed).
    """
    preset = _HOLIDAY_PRESET.get("days")
    covered = preset is not None and _HOLIDAY_PRESET["first"] <= first_year
    if covered and last_year <= _HOLIDAY_PRESET["last"]:
        return preset[(preset.year >= first_year) & (preset.year <= last_year)]
    import holidays

    years = list(range(first_year, last_year + 1))
    days = set(holidays.country_holidays("GB", subdiv="ENG", years=years))
    days |= set(holidays.country_holidays("GB", subdiv="WLS", years=years))
    # A holiday on a Saturday or Sunday is observed on a substitute weekday (listed as
    # "(observed)"); courts are closed only on that weekday, so the weekend date is dropped.
    return pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in days if d.weekday() < 5))


def preset_holidays(first_year: int, last_year: int, days: pd.DatetimeIndex | None = None) -> None:
    """Install the observed bank holidays of some years in this process (see above).

    Args:
        first_year: First calendar year the dates cover.
        last_year: Last calendar year they cover (inclusive).
        days: The dates (None: computed here with :func:`observed_holidays`).
    """
    if days is None:
        days = observed_holidays(first_year, last_year)
    _HOLIDAY_PRESET.update(first=first_year, last=last_year, days=pd.DatetimeIndex(days))
    holiday_counts.cache_clear()


@functools.lru_cache(maxsize=64)
def holiday_counts(first_year: int, last_year: int, freq: str) -> pd.Series:
    """England and Wales bank holidays per period start, for whole years (cached).

    Each holiday is counted on the weekday it is observed: one falling on a weekend counts only
    as its substitute day (Boxing Day on Saturday 26 December 2020 counts on Monday the 28th).

    The ``holidays`` package is slow to query (about 10 ms for a few years), and every fit of
    every series asks for the same years, so the counts are computed once per year range and
    frequency and shared. The returned series must not be modified.

    Args:
        first_year: First calendar year covered.
        last_year: Last calendar year covered (inclusive).
        freq: ``week`` (keys are Mondays) or ``month`` (keys are first days of months).

    Returns:
        Count of bank holidays (float) indexed by period start; periods without any are absent.
    """
    hol = observed_holidays(first_year, last_year)
    if freq == "week":
        keys = hol - pd.to_timedelta(hol.dayofweek, unit="D")
    else:
        keys = hol.to_period("M").to_timestamp()
    counts = pd.Series(1.0, index=keys).groupby(level=0).sum()
    return counts


def bank_holidays(periods: pd.DatetimeIndex | pd.Series, freq: str) -> np.ndarray:
    """Number of England and Wales bank holidays falling in each period.

    Args:
        periods: First day of each period.
        freq: ``week`` or ``month``.

    Returns:
        One count per period.
    """
    starts = pd.DatetimeIndex(periods)
    if len(starts) == 0:
        return np.zeros(0)
    counts = holiday_counts(int(starts.min().year), int(starts.max().year) + 1, freq)
    return counts.reindex(starts, fill_value=0.0).to_numpy(dtype=float)
