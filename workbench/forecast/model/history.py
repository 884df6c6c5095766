"""A series on its period grid, and the level its counts support.

**The spring-2020 disruption.** Periods overlapping 16 March to 30 June 2020 (the first
lockdown, when courts all but stopped listing) are *excluded from fitting*: their values are set
to missing, so the trend and seasonality are learnt from normal periods only, and they are left
out of the seasonal naive scaling errors too. A changepoint would instead let the dip bend the
trend, and a regressor would need a value for the future; exclusion is the simplest choice that
does neither. The excluded periods are still shown in the history.

**Sparse series.** Each series is forecast at the first of three levels its counts support
(:func:`choose_frequency`), and the result says which
(:attr:`~workbench.forecast.model.series.SeriesForecast.level`, with the reason in
:attr:`~workbench.forecast.model.series.SeriesForecast.freq_reason`):

1. **weekly** with Prophet, as asked;
2. **monthly** with Prophet, when more than half the weeks are zero or there are under two
   receipts a week on average (:func:`sparse_reason`);
3. **monthly counts**, when even the months are that sparse (more than half at zero, or under
   :data:`SPARSE_MONTH_MEAN` a month; :func:`count_reason`), forecast by the count model of
   :mod:`workbench.forecast.model.count_model`.

Aggregating such a series to its region instead was considered and not done: a region's
forecast shared back to an area by its past share repeats the same recent-rate assumption with
another area's noise in it, and would mix areas a leader may not see into their forecast.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from workbench.forecast.model.series import COUNTS, PROPHET, SEASON, ForecastSettings

DISRUPTION: tuple[date, date] = (date(2020, 3, 16), date(2020, 6, 30))
MAX_GAP_SHARE = 0.1
SPARSE_ZERO_SHARE = 0.5  # a weekly series with more zero weeks than this is modelled monthly
SPARSE_MEAN = 2.0  # ... and so is one with fewer receipts a week on average
SPARSE_MONTH_ZERO_SHARE = 0.5  # a monthly series with more zero months is modelled as counts
SPARSE_MONTH_MEAN = 5.0  # ... and so is one with fewer receipts a month on average


def period_index(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """The period starts (Mondays, or first days of months) from ``start`` to ``end``."""
    if freq == "week":
        # Same dates as freq="W-MON", which pandas generates one date at a time (~10 ms).
        first = pd.Timestamp(start).normalize()
        first += pd.Timedelta(days=(7 - first.dayofweek) % 7)
        return pd.date_range(first, pd.Timestamp(end), freq="7D")
    return pd.date_range(start, end, freq="MS")


def align_periods(periods: pd.Series, freq: str) -> pd.Series:
    """Each date moved to the start of its period (the Monday of its week, or its month's 1st)."""
    stamps = pd.to_datetime(periods)
    if freq == "week":
        return stamps.dt.to_period("W-SUN").dt.start_time
    return stamps.dt.to_period("M").dt.start_time


def disrupted(periods: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Whether each period overlaps the spring-2020 disruption window (:data:`DISRUPTION`)."""
    starts = pd.DatetimeIndex(periods)
    ends = starts + (pd.Timedelta(days=6) if freq == "week" else pd.offsets.MonthEnd(0))
    lo, hi = (pd.Timestamp(d) for d in DISRUPTION)
    return np.asarray((starts <= hi) & (ends >= lo))


def prepare_history(frame: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, str | None]:
    """Put one series on a complete period grid and check it can be forecast.

    Args:
        frame: ``period`` and ``receipts`` (any order; periods are aligned to week or month
            starts; missing periods are gaps, not zeros).
        freq: ``week`` or ``month``.

    Returns:
        ``period``, ``receipts`` (NaN in gaps) and ``excluded``, and a problem or None.
    """
    empty = pd.DataFrame({"period": pd.to_datetime([]), "receipts": [], "excluded": []})
    if frame is None or frame.empty or frame["receipts"].notna().sum() == 0:
        return empty, "there are no receipts recorded for it."
    data = frame.assign(period=align_periods(frame["period"], freq))
    values = pd.to_numeric(data["receipts"], errors="coerce")
    if (values < 0).any():
        return empty, "it has negative receipts."
    series = values.groupby(data["period"]).sum(min_count=1)
    grid = period_index(series.index.min(), series.index.max(), freq)
    series = series.reindex(grid)
    hist = pd.DataFrame(
        {"period": grid, "receipts": series.to_numpy(), "excluded": disrupted(grid, freq)}
    )
    gaps = int(hist["receipts"].isna().sum())
    if gaps > MAX_GAP_SHARE * len(hist):
        return hist, (
            f"{gaps} of its {len(hist)} {freq}s have no value (gaps); at most "
            f"{MAX_GAP_SHARE:.0%} may be missing."
        )
    if float(np.nansum(hist["receipts"].to_numpy())) == 0:
        return hist, "every period has zero receipts."
    return hist, None


def sparse_reason(frame: pd.DataFrame, area: str, court_type: str) -> str | None:
    """Why a weekly series is too sparse to model weekly, or None when it is not.

    Sparse means more than :data:`SPARSE_ZERO_SHARE` of its weeks have no receipts, or fewer
    than :data:`SPARSE_MEAN` receipts a week on average (gaps are ignored).

    Args:
        frame: ``period`` and ``receipts`` of a weekly series (zeros where nothing arrived).
        area: The series' area, for the sentence.
        court_type: The series' court type, for the sentence.

    Returns:
        A sentence such as "Kent Crown is too sparse to model weekly (...): forecast monthly.",
        or None.
    """
    values = pd.to_numeric(frame["receipts"], errors="coerce").dropna()
    if values.empty or float(values.sum()) == 0:
        return None
    zero, mean = float((values == 0).mean()), float(values.mean())
    if zero <= SPARSE_ZERO_SHARE and mean >= SPARSE_MEAN:
        return None
    return (
        f"{area} {court_type} is too sparse to model weekly{_figures(zero, mean, 'week')}: "
        "forecast monthly."
    )


def _figures(zero: float, mean: float, unit: str) -> str:
    """The bracket of a sparsity sentence: the share of empty periods and the mean count."""
    return f" ({zero:.0%} of {unit}s without receipts, {mean:.1f} a {unit} on average)"


#: What :func:`_figures` writes, to take it out again.
_SPARSE_FIGURES = re.compile(
    r" \(\d+% of (?:week|month)s without receipts, [0-9.]+ a (?:week|month) on average\)"
)


def without_figures(reason: str | None) -> str | None:
    """A sparsity sentence without its figures (share of empty periods, mean receipts).

    The figures come from the exact counts; a leader's copy of a forecast says only that the
    series was too sparse (:func:`workbench.forecast.model.disclosure.protect_series`).
    """
    return None if reason is None else _SPARSE_FIGURES.sub("", reason)


COUNT_MODEL_WORDS = (
    "forecast as monthly counts (the rate of the last 12 months, with a negative binomial "
    "interval)."
)


def count_reason(
    frame: pd.DataFrame, area: str, court_type: str, weekly: str | None = None
) -> str | None:
    """Why a monthly series is too sparse for Prophet (to be modelled as counts), or None.

    Sparse means more than :data:`SPARSE_MONTH_ZERO_SHARE` of its months have no receipts, or
    fewer than :data:`SPARSE_MONTH_MEAN` receipts a month on average (gaps are ignored).

    Args:
        frame: ``period`` and ``receipts`` of a monthly series.
        area: The series' area, for the sentence.
        court_type: The series' court type, for the sentence.
        weekly: The sentence saying why it was not modelled weekly (joined to this one).

    Returns:
        A sentence such as "Kent Crown is too sparse to model weekly (...) or monthly (...):
        forecast as monthly counts (...).", or None.
    """
    values = pd.to_numeric(frame["receipts"], errors="coerce").dropna()
    if values.empty or float(values.sum()) == 0:
        return None
    zero, mean = float((values == 0).mean()), float(values.mean())
    if zero <= SPARSE_MONTH_ZERO_SHARE and mean >= SPARSE_MONTH_MEAN:
        return None
    months = _figures(zero, mean, "month")
    if weekly:
        return f"{weekly.split(': forecast monthly.')[0]} or monthly{months}: {COUNT_MODEL_WORDS}"
    return f"{area} {court_type} is too sparse to model monthly{months}: {COUNT_MODEL_WORDS}"


def monthly_settings(settings: ForecastSettings) -> ForecastSettings:
    """The monthly settings covering about the same time ahead as weekly ones."""
    months = max(1, math.ceil(int(settings.horizon) * 7 / 30.44 - 1e-9))
    return replace(settings, freq="month", horizon=min(months, 3 * SEASON["month"]))


def weeks_to_months(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a weekly series into months (each week counts in the month of its Monday)."""
    data = frame.assign(period=align_periods(frame["period"], "month"))
    values = pd.to_numeric(data["receipts"], errors="coerce")
    sums = values.groupby(data["period"]).sum(min_count=1)
    return pd.DataFrame({"period": sums.index, "receipts": sums.to_numpy()})


def choose_frequency(
    frame: pd.DataFrame,
    settings: ForecastSettings,
    area: str,
    court_type: str,
    monthly: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, ForecastSettings, str | None, str]:
    """The series, settings and model: weekly, monthly, or monthly counts, as the data allow.

    Weekly series too sparse for weeks (:func:`sparse_reason`) are modelled monthly; monthly
    series (asked for, or from sparse weeks) too sparse for Prophet (:func:`count_reason`)
    are modelled as counts.

    Args:
        frame: ``period`` and ``receipts`` at ``settings.freq``.
        settings: The settings asked for.
        area: The series' area.
        court_type: The series' court type.
        monthly: The same series counted by calendar month (None: weeks are summed into the
            month of their Monday).

    Returns:
        The frame, the settings, the reason (None when modelled as asked) and the model
        (:data:`PROPHET` or :data:`COUNTS`).
    """
    if settings.freq != "week":
        counts = count_reason(frame, area, court_type)
        return frame, settings, counts, PROPHET if counts is None else COUNTS
    reason = sparse_reason(frame, area, court_type)
    if reason is None:
        return frame, settings, None, PROPHET
    months = weeks_to_months(frame) if monthly is None else monthly
    months = months[["period", "receipts"]].reset_index(drop=True)
    counts = count_reason(months, area, court_type, weekly=reason)
    if counts is not None:
        return months, monthly_settings(settings), counts, COUNTS
    return months, monthly_settings(settings), reason, PROPHET
