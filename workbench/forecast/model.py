"""Demand forecasts: Prophet models of court receipts with honest backtests.

One series is the weekly or monthly count of first hearings (court receipts) of one LCJB area
(or England and Wales, or a set of areas combined) at one court type. Each series gets:

- a **Prophet** model with yearly seasonality, an England and Wales bank-holiday regressor (the
  number of bank holidays in the period, from the offline ``holidays`` package, subdivisions
  ``ENG`` and ``WLS``, each counted on the weekday it is observed: a holiday falling on a
  weekend counts only as its substitute day), a piecewise-linear trend and prediction intervals
  (80% by default);
- the **seasonal naive** baseline (the value 52 weeks or 12 months earlier), always computed;
- **rolling-origin backtests**: the last ``folds`` blocks of ``horizon`` periods are each
  forecast from the history before them. Accuracy is the MASE, the mean absolute error scaled
  by the mean absolute in-sample error of the seasonal naive forecast on the training part, for
  the model and for the baseline, and the share of actual values inside the model's interval.
  A model whose MASE is not below the baseline's says so (:attr:`SeriesForecast.verdict`).

**Where a series starts and ends.** Series read from the journeys share one grid: from the
period of the first court receipt in the table (any area) to the last *complete* period on or
before the data end (the last date any stage was recorded), with zeros where an area had no
receipts, so a single area's forecast starts where the data ends, not after its own last
receipt, and an area gets the same series whether it is requested alone or with others.

**Sparse series.** Each series is forecast at the first of three levels its counts support
(:func:`choose_frequency`), and the result says which (:attr:`SeriesForecast.level`, with the
reason in :attr:`SeriesForecast.freq_reason`):

1. **weekly** with Prophet, as asked;
2. **monthly** with Prophet, when more than half the weeks are zero or there are under two
   receipts a week on average (:func:`sparse_reason`);
3. **monthly counts**, when even the months are that sparse (more than half at zero, or under
   :data:`SPARSE_MONTH_MEAN` a month; :func:`count_reason`). A handful of cases a month carries
   no estimable season or trend, and Prophet's Gaussian errors give such counts negative or
   symmetric intervals; so the forecast is the recent rate (the mean of the last twelve months
   fitted) and the interval comes from the negative binomial with that mean, its variance
   inflated by the overdispersion of the last two years and by the uncertainty of the rate
   itself (a count model, :func:`count_forecast`). It is backtested like the Prophet series,
   but its interval is not rescaled by the conformal factor: that factor comes from a few
   backtest counts, most of them tied (0 or 1), and narrowed the intervals until they held
   about 71% of backtest actuals on the sample's sparse series, against 85% as they are.

Aggregating such a series to its region instead was considered and not done: a region's
forecast shared back to an area by its past share repeats the same recent-rate assumption with
another area's noise in it, and would mix areas a leader may not see into their forecast.

**Calibrated intervals.** Prophet's intervals are usually too narrow for court receipts. Each is
widened (or narrowed) by one factor per series, found on the backtests by split-conformal
calibration: the factor is the conformal quantile of each backtest actual's distance from the
forecast in units of the interval's half-width on its side. The forecast uses the factor from
every backtest fold; the backtest coverage reported as calibrated uses, for each fold, the factor
from the other folds only (the fold's own actuals would flatter it). Both the raw and the
calibrated coverage are kept, and a model whose calibrated coverage is far from the aim
(:data:`COVERAGE_TOLERANCE`) is not called better than the baseline.

**The spring-2020 disruption.** Periods overlapping 16 March to 30 June 2020 (the first
lockdown, when courts all but stopped listing) are *excluded from fitting*: their values are set
to missing, so the trend and seasonality are learnt from normal periods only, and they are left
out of the seasonal naive scaling errors too. A changepoint would instead let the dip bend the
trend, and a regressor would need a value for the future; exclusion is the simplest choice that
does neither. The excluded periods are still shown in the history.

Prophet series are fitted in parallel (a process pool, two workers by default, started only
for :data:`POOL_MIN_SERIES` or more; Prophet's and cmdstanpy's logging is silenced in every
worker, and each gets the parent's bank holidays instead of loading the ``holidays`` data
again); count models take milliseconds and are fitted in the calling process. Results are
cached in the workspace (``wb.forecast_cache``) by a fingerprint of the series values, the
settings and the model, so a second request for the same data is read back instead of
refitted.

Bad input never crashes: a series with too little history, only zeros, too many gaps or no data
at all comes back with :attr:`SeriesForecast.reason` set and no forecast. :func:`forecast_one`
raises :class:`~workbench.errors.ForecastError` instead, for callers that want one series.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.analysis.journeys import JOURNEY_SCHEMA, LINKED, TRUTH
from workbench.analysis.measures import JourneyFilter, receipts
from workbench.disclosure.control import (
    DEFAULT_THRESHOLD,
    KEY_SPACE,
    KEY_SUFFIX,
    Protected,
    protect_frame,
)
from workbench.errors import ForecastError
from workbench.sql import qualified
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

Freq = Literal["week", "month"]
ProgressFn = Callable[[str, float], None]

MODEL_VERSION = "prophet-3"
NATIONAL = "England and Wales"
COURT_TYPES: tuple[str, ...] = ("magistrates", "Crown")
SEASON: dict[str, int] = {"week": 52, "month": 12}
DISRUPTION: tuple[date, date] = (date(2020, 3, 16), date(2020, 6, 30))
MAX_GAP_SHARE = 0.1
SPARSE_ZERO_SHARE = 0.5  # a weekly series with more zero weeks than this is modelled monthly
SPARSE_MEAN = 2.0  # ... and so is one with fewer receipts a week on average
SPARSE_MONTH_ZERO_SHARE = 0.5  # a monthly series with more zero months is modelled as counts
SPARSE_MONTH_MEAN = 5.0  # ... and so is one with fewer receipts a month on average
PROPHET = "prophet"
COUNTS = "counts"  # the count model: recent rate, negative binomial interval
COVERAGE_TOLERANCE = 0.1  # calibrated coverage further than this from the aim is "badly off"
MAX_INTERVAL_SCALE = 10.0
PREDICT_SEED = 20240101  # Prophet's interval simulation: the same series gives the same interval
POOL_MIN_SERIES = 6  # fewer series fit faster here than a new pool starts (~2 s)
FORECAST_COLUMNS = ["period", "forecast", "lower", "upper", "baseline"]


def silence_prophet() -> None:
    """Silence Prophet's and cmdstanpy's log noise (call before importing Prophet)."""
    logging.getLogger("prophet.plot").disabled = True
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ForecastSettings:
    """How to forecast a series.

    Attributes:
        freq: ``week`` (periods start on Monday) or ``month``.
        horizon: Periods to forecast ahead (also the length of each backtest block).
        interval_width: Coverage the prediction interval aims at (0.8 = 80%).
        folds: Rolling-origin backtest blocks (fewer when the history is short).
        uncertainty_samples: Prophet's simulated paths for the interval.
    """

    freq: Freq = "week"
    horizon: int = 13
    interval_width: float = 0.8
    folds: int = 3
    uncertainty_samples: int = 200

    def check(self) -> None:
        """Raise :class:`ForecastError` when a setting is out of range."""
        if self.freq not in SEASON:
            raise ForecastError(f"Unknown frequency {self.freq!r}.", hint="Use week or month.")
        if not 1 <= int(self.horizon) <= 3 * SEASON[self.freq]:
            raise ForecastError(
                f"A horizon of {self.horizon} {self.freq}s is out of range.",
                hint=f"Choose 1 to {3 * SEASON[self.freq]} {self.freq}s.",
            )
        if not 0.5 <= self.interval_width < 1:
            raise ForecastError("The interval width must be between 0.5 and 0.99.")
        if self.folds < 1:
            raise ForecastError("Backtests need at least one fold.")

    @property
    def season(self) -> int:
        """The season length in periods (52 weeks or 12 months)."""
        return SEASON[self.freq]

    @property
    def min_history(self) -> int:
        """Fewest periods a series needs: two full seasons plus one backtest block."""
        return 2 * self.season + int(self.horizon)


@dataclass
class SeriesForecast:
    """The forecast of one series, or the reason there is none.

    Attributes:
        area: LCJB area, ``England and Wales``, or a label for areas combined.
        court_type: ``magistrates`` or ``Crown``.
        settings: The settings used (monthly when a sparse weekly series was aggregated).
        history: ``period``, ``receipts`` and ``excluded`` (True when left out of fitting).
        forecast: :data:`FORECAST_COLUMNS` for the future periods (empty when no forecast);
            ``lower`` and ``upper`` are the calibrated interval.
        backtest: Per fold and period: ``fold``, ``period``, ``actual``, ``forecast``,
            ``lower``, ``upper`` (calibrated from the other folds), ``lower_raw``,
            ``upper_raw`` (Prophet's) and ``baseline``.
        mase: The model's MASE over the backtests (None without a forecast).
        baseline_mase: The seasonal naive MASE over the same backtests.
        coverage: Share of backtest actuals inside the calibrated interval.
        folds: Backtest blocks run.
        reason: Why there is no forecast (None when there is one).
        cached: Whether the result was read from the cache.
        history_keys: ``period`` and ``key``: the cell key of each period's receipts, for
            disclosure control (None when the series was not read from journeys).
        raw_coverage: Share of backtest actuals inside Prophet's own (uncalibrated) interval.
        interval_scale: The calibration factor applied to the forecast's interval half-widths.
        freq_reason: Why the series was modelled at another frequency than asked (None: it
            was modelled as asked), e.g. "Kent Crown is too sparse to model weekly ...".
        model: :data:`PROPHET` or :data:`COUNTS` (the count model of very sparse series).
    """

    area: str
    court_type: str
    settings: ForecastSettings
    history: pd.DataFrame
    forecast: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FORECAST_COLUMNS))
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)
    mase: float | None = None
    baseline_mase: float | None = None
    coverage: float | None = None
    folds: int = 0
    reason: str | None = None
    cached: bool = False
    history_keys: pd.DataFrame | None = None
    raw_coverage: float | None = None
    interval_scale: float | None = None
    freq_reason: str | None = None
    model: str = PROPHET

    @property
    def level(self) -> str:
        """The level it was forecast at: ``weekly``, ``monthly`` or ``monthly counts``."""
        freq = "weekly" if self.settings.freq == "week" else "monthly"
        return f"{freq} counts" if self.model == COUNTS else freq

    @property
    def ok(self) -> bool:
        """Whether a forecast was made."""
        return self.reason is None

    @property
    def coverage_ok(self) -> bool | None:
        """Whether the calibrated backtest coverage is near the aim (None: not measured)."""
        if self.coverage is None or math.isnan(self.coverage):
            return None
        return abs(self.coverage - self.settings.interval_width) <= COVERAGE_TOLERANCE

    @property
    def trustworthy(self) -> bool:
        """Whether the model beats the baseline *and* its intervals cover about as aimed."""
        return bool(self.beats_baseline) and bool(self.coverage_ok)

    @property
    def beats_baseline(self) -> bool | None:
        """Whether the model's backtest MASE is below the seasonal naive's (None: no forecast)."""
        if self.mase is None or self.baseline_mase is None:
            return None
        return self.mase < self.baseline_mase

    @property
    def verdict(self) -> str:
        """One sentence on accuracy, saying plainly when the baseline is as good or better."""
        if not self.ok:
            return f"No forecast: {self.reason}"
        aim = f"{self.settings.interval_width:.0%}"
        cover = _share(self.coverage)
        raw = ""
        if self.raw_coverage is not None:
            raw = f" ({_share(self.raw_coverage)} before calibration)"
        head = (
            f"Backtests ({self.folds} × {self.settings.horizon} {self.settings.freq}s): "
            f"MASE {self.mase:.2f} against {self.baseline_mase:.2f} for the seasonal naive "
            f"baseline; {cover} of actuals inside the calibrated {aim} interval{raw}."
        )
        if self.freq_reason:
            head = f"{self.freq_reason} {head}"
        if not self.beats_baseline:
            return head + (
                " The model does NOT beat the seasonal naive baseline: prefer the baseline."
            )
        if not self.coverage_ok:
            return head + (
                f" The model beats the baseline on MASE, but its intervals cover {cover} of "
                f"backtest actuals against the {aim} aimed at: do not rely on the intervals."
            )
        return head + " The model beats the baseline."

    def metrics_row(self) -> dict[str, Any]:
        """One row of accuracy figures for tables and exports."""
        return {
            "area": self.area,
            "court_type": self.court_type,
            "freq": self.settings.freq,
            "forecast_level": self.level,
            "horizon": self.settings.horizon,
            "folds": self.folds,
            "mase": self.mase,
            "baseline_mase": self.baseline_mase,
            "coverage": self.coverage,
            "raw_coverage": self.raw_coverage,
            "interval_scale": self.interval_scale,
            "interval_width": self.settings.interval_width,
            "beats_baseline": self.beats_baseline,
            "coverage_ok": self.coverage_ok,
            "freq_reason": self.freq_reason,
            "reason": self.reason,
        }

    def table(self) -> pd.DataFrame:
        """History and forecast in one tidy frame: one row per period."""
        hist = self.history.assign(kind="history")[["period", "kind", "receipts", "excluded"]]
        fut = self.forecast.assign(kind="forecast")
        out = pd.concat([hist, fut], ignore_index=True)
        out.insert(0, "court_type", self.court_type)
        out.insert(0, "area", self.area)
        for col in FORECAST_COLUMNS[1:]:
            if col not in out:
                out[col] = np.nan
        return out[
            ["area", "court_type", "period", "kind", "receipts", "excluded", *FORECAST_COLUMNS[1:]]
        ]


def _share(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.0%}"


# ------------------------------------------------------------------------- series preparation
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


def _period_index(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    if freq == "week":
        # Same dates as freq="W-MON", which pandas generates one date at a time (~10 ms).
        first = pd.Timestamp(start).normalize()
        first += pd.Timedelta(days=(7 - first.dayofweek) % 7)
        return pd.date_range(first, pd.Timestamp(end), freq="7D")
    return pd.date_range(start, end, freq="MS")


def _align(periods: pd.Series, freq: str) -> pd.Series:
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
    data = frame.assign(period=_align(frame["period"], freq))
    values = pd.to_numeric(data["receipts"], errors="coerce")
    if (values < 0).any():
        return empty, "it has negative receipts."
    series = values.groupby(data["period"]).sum(min_count=1)
    grid = _period_index(series.index.min(), series.index.max(), freq)
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
        f"{area} {court_type} is too sparse to model weekly ({zero:.0%} of weeks without "
        f"receipts, {mean:.1f} a week on average): forecast monthly."
    )


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
    months = f"{zero:.0%} of months without receipts, {mean:.1f} a month on average"
    if weekly:
        return (
            f"{weekly.split(': forecast monthly.')[0]} or monthly ({months}): {COUNT_MODEL_WORDS}"
        )
    return f"{area} {court_type} is too sparse to model monthly ({months}): {COUNT_MODEL_WORDS}"


def monthly_settings(settings: ForecastSettings) -> ForecastSettings:
    """The monthly settings covering about the same time ahead as weekly ones."""
    months = max(1, math.ceil(int(settings.horizon) * 7 / 30.44 - 1e-9))
    return replace(settings, freq="month", horizon=min(months, 3 * SEASON["month"]))


def weeks_to_months(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a weekly series into months (each week counts in the month of its Monday)."""
    data = frame.assign(period=_align(frame["period"], "month"))
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


# ------------------------------------------------------------------------------ the models
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


@functools.cache
def prophet_class() -> type:
    """Prophet with two slow spots of its Python layer made fast (same numbers out).

    Profiling a fit and predict of one weekly series found most of the time outside Stan:

    - ``regressor_column_matrix`` builds a small 0/1 table of which feature column belongs to
      which component with ``pandas.crosstab``; it runs three times per fit and predict and took
      about a quarter of the time. Here the same table is built with numpy.
    - cmdstanpy writes the data and initial values to JSON with the pure-Python encoder
      (``stanio`` without ``ujson``), walking every number of the feature matrix in Python;
      here they are written with the C encoder, the same text, and handed to cmdstanpy as file
      paths.
    - ``fourier_series`` (twelve calls per fit and predict) did its arithmetic on pandas Series,
      about 30 ms a call; here on numpy arrays, the same operations in the same order.
    - ``predict`` built the seasonal features of the same frame twice; here once.

    One deliberate difference: stock Prophet optimises series under 100 periods (monthly
    series) with Newton's method, about five times the CPU time of L-BFGS for the same optimum
    (forecasts agree to about 0.1%); here every series uses L-BFGS, falling back to Newton
    when it fails, as stock Prophet does for longer series.

    Returns:
        A subclass of ``prophet.Prophet`` (built once per process; Prophet is imported here).
    """
    silence_prophet()
    import tempfile
    from pathlib import Path

    from prophet import Prophet
    from prophet.models import CmdStanPyBackend

    def plain(value: Any) -> Any:
        # Prophet's prepare_data leaves Python lists and numbers; numpy scalars may remain.
        if isinstance(value, np.generic | np.ndarray):
            return value.tolist()
        raise TypeError(f"cannot write {type(value).__name__} for Stan")

    def dump_stan_json(data: dict[str, Any]) -> str:
        return json.dumps(data, default=plain)

    class FastJsonBackend(CmdStanPyBackend):
        """cmdstanpy backend that writes its input JSON with the C encoder."""

        def fit(
            self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any
        ) -> dict[str, np.ndarray]:
            """Optimise like ``CmdStanPyBackend.fit``, with faster input files."""
            if "inits" not in kwargs and "init" in kwargs:
                stan_init = self.sanitize_custom_inits(stan_init, kwargs.pop("init"))
            inits, data = self.prepare_data(stan_init, stan_data)
            with tempfile.TemporaryDirectory(prefix="wb-prophet-") as tmp:
                data_path = Path(tmp) / "data.json"
                inits_path = Path(tmp) / "inits.json"
                data_path.write_text(dump_stan_json(data))
                inits_path.write_text(dump_stan_json(inits))
                args: dict[str, Any] = {
                    "data": str(data_path),
                    "inits": str(inits_path),
                    "algorithm": "LBFGS",
                    "iter": int(1e4),
                }
                args.update(kwargs)
                try:
                    self.stan_fit = self.model.optimize(**args)
                except RuntimeError:
                    if not self.newton_fallback or args["algorithm"] == "Newton":
                        raise
                    log.warning("Optimization terminated abnormally. Falling back to Newton.")
                    args["algorithm"] = "Newton"
                    self.stan_fit = self.model.optimize(**args)
            params = self.stan_to_dict_numpy(
                self.stan_fit.column_names, self.stan_fit.optimized_params_np
            )
            for par in params:
                params[par] = params[par].reshape((1, -1))
            return params

    class FastProphet(Prophet):
        """Prophet with a numpy ``regressor_column_matrix`` and :class:`FastJsonBackend`."""

        def _load_stan_backend(self, stan_backend: str | None) -> None:
            if stan_backend not in (None, "CMDSTANPY"):
                super()._load_stan_backend(stan_backend)
                return
            self.stan_backend = FastJsonBackend()

        @staticmethod
        def fourier_series(dates: pd.Series, period: float, series_order: int) -> np.ndarray:
            """``Prophet.fourier_series`` with its loop over numpy arrays, not Series."""
            if not (series_order >= 1):
                raise ValueError("series_order must be >= 1")
            epoch = pd.Timestamp("1970-01-01", tz=dates.dt.tz)
            t = ((dates - epoch).dt.total_seconds() / (24 * 60 * 60)).to_numpy(dtype=float)
            x_t = np.pi * 2 * t
            components = np.empty((dates.shape[0], 2 * series_order))
            for i in range(series_order):
                c = (i + 1) / period * x_t
                components[:, 2 * i] = np.sin(c)
                components[:, (2 * i) + 1] = np.cos(c)
            return components

        def predict(self, df: pd.DataFrame | None = None, vectorized: bool = True) -> pd.DataFrame:
            """``Prophet.predict``, building the seasonal features of ``df`` once, not twice."""
            self._features_of: list[Any] = []  # [frame, features] while predicting
            try:
                return super().predict(df, vectorized)
            finally:
                del self._features_of

        def make_all_seasonality_features(self, df: pd.DataFrame) -> Any:
            """``Prophet.make_all_seasonality_features``, reused within one ``predict``.

            ``predict`` asks for the features of the same frame twice (for the components and
            for the uncertainty samples), and neither changes the frame or the features.
            """
            kept = getattr(self, "_features_of", None)
            if kept and kept[0] is df:
                return kept[1]
            features = super().make_all_seasonality_features(df)
            if kept is not None:
                kept[:] = [df, features]
            return features

        def regressor_column_matrix(
            self, seasonal_features: pd.DataFrame, modes: dict[str, list[str]]
        ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
            """The same table as ``Prophet.regressor_column_matrix``, without crosstab."""
            cols = list(range(seasonal_features.shape[1]))
            pairs = [(i, str(c).split("_delim_")[0]) for i, c in enumerate(seasonal_features)]

            def add_group(name: str, group: Any) -> None:
                members = set(group)
                found = dict.fromkeys(i for i, comp in pairs if comp in members)
                pairs.extend((i, name) for i in found)

            if self.train_holiday_names is not None:
                add_group("holidays", self.train_holiday_names.unique())
            for mode in ("additive", "multiplicative"):
                add_group(mode + "_terms", modes[mode])
                regressors = [r for r, p in self.extra_regressors.items() if p["mode"] == mode]
                add_group("extra_regressors_" + mode, regressors)
                modes[mode].append(mode + "_terms")
                modes[mode].append("extra_regressors_" + mode)
            modes[self.holidays_mode].append("holidays")
            names = sorted({comp for _, comp in pairs})
            where = {name: j for j, name in enumerate(names)}
            table = np.zeros((len(cols), len(names)), dtype=np.int64)
            for i, comp in pairs:
                table[i, where[comp]] += 1
            component_cols = pd.DataFrame(
                table,
                index=pd.Index(cols, name="col"),
                columns=pd.Index(names, name="component"),
            )
            for name in ("additive_terms", "multiplicative_terms"):
                if name not in component_cols:
                    component_cols[name] = 0
            component_cols = component_cols.drop(columns="zeros", errors="ignore")
            both = component_cols["additive_terms"] + component_cols["multiplicative_terms"]
            if both.max() > 1:
                raise RuntimeError("A bug occurred in seasonal components.")
            if self.train_component_cols is not None:
                component_cols = component_cols[self.train_component_cols.columns]
                if not component_cols.equals(self.train_component_cols):
                    raise RuntimeError("A bug occurred in constructing regressors.")
            return component_cols, modes

    return FastProphet


def _prophet_fit_predict(
    periods: pd.DatetimeIndex,
    y: np.ndarray,
    excluded: np.ndarray,
    future: pd.DatetimeIndex,
    settings: ForecastSettings,
) -> pd.DataFrame:
    """Fit Prophet to ``y`` (excluded periods and gaps left out) and predict ``future``."""
    freq = settings.freq
    fit = pd.DataFrame({"ds": periods, "y": np.where(excluded, np.nan, y)})
    fit["bank_holidays"] = bank_holidays(fit["ds"], freq)
    fit = fit.dropna(subset=["y"])
    model = prophet_class()(
        yearly_seasonality=10 if freq == "week" else 5,
        weekly_seasonality=False,
        daily_seasonality=False,
        interval_width=settings.interval_width,
        uncertainty_samples=settings.uncertainty_samples,
    )
    model.add_regressor("bank_holidays")
    model.fit(fit)
    ahead = pd.DataFrame({"ds": future})
    ahead["bank_holidays"] = bank_holidays(ahead["ds"], freq)
    state = np.random.get_state()
    np.random.seed(PREDICT_SEED)  # the simulated interval: the same series, the same interval
    try:
        pred = model.predict(ahead)
    finally:
        np.random.set_state(state)
    return pd.DataFrame(
        {
            "period": future,
            "forecast": pred["yhat"].clip(lower=0).to_numpy(),
            "lower": pred["yhat_lower"].clip(lower=0).to_numpy(),
            "upper": pred["yhat_upper"].clip(lower=0).to_numpy(),
        }
    )


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


def _count_fit_predict(
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


def _future(last: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    step = pd.DateOffset(weeks=1) if freq == "week" else pd.DateOffset(months=1)
    return _period_index(last + step, last + step * horizon, freq)


def _run_series(
    history: pd.DataFrame, settings: ForecastSettings, model: str = PROPHET
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Backtests and the final forecast of one prepared series (history from prepare_history)."""
    fit_predict = _count_fit_predict if model == COUNTS else _prophet_fit_predict
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
    result = _forecast_prepared(frame, used, area, court_type, model)
    result.freq_reason = note
    if result.reason:
        raise ForecastError(
            f"No forecast for {area} ({court_type}): {result.reason}",
            hint="Choose a longer period, a monthly frequency or more areas combined.",
        )
    return result


def _forecast_prepared(
    frame: pd.DataFrame,
    settings: ForecastSettings,
    area: str,
    court_type: str,
    model: str = PROPHET,
) -> SeriesForecast:
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


# ------------------------------------------------------------------------ cache and pool
def fingerprint(
    frame: pd.DataFrame, settings: ForecastSettings, area: str, court: str, model: str = PROPHET
) -> str:
    """A key for one series, its settings and model: equal inputs give equal keys."""
    data = frame.sort_values("period")
    payload = json.dumps(
        {
            "v": MODEL_VERSION,
            "model": model,
            "area": area,
            "court": court,
            "settings": asdict(settings),
            "periods": [str(pd.Timestamp(p).date()) for p in data["period"]],
            "values": [None if pd.isna(v) else float(v) for v in data["receipts"]],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _to_json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="split", date_format="iso", index=False)


def _from_json(text: str, dates: Sequence[str] = ("period",)) -> pd.DataFrame:
    # json.loads and a plain constructor: read_json's type guessing cost ~15 ms a frame.
    stored = json.loads(text)
    frame = pd.DataFrame(stored["data"], columns=stored["columns"])
    for col in frame:
        if col in dates:
            frame[col] = pd.to_datetime(frame[col], format="ISO8601").dt.tz_localize(None)
        elif frame.empty:
            frame[col] = frame[col].astype(float)
        elif frame[col].dtype == object:
            frame[col] = pd.to_numeric(frame[col])
    return frame


_CACHED_METRICS = (
    "mase",
    "baseline_mase",
    "coverage",
    "raw_coverage",
    "interval_scale",
    "folds",
    "reason",
)


def _cache_get(ws: Workspace | None, key: str, result: SeriesForecast) -> bool:
    if ws is None:
        return False
    rows = ws.query("SELECT forecasts, metrics FROM wb.forecast_cache WHERE key = ?", [key])
    if not rows:
        return False
    stored = json.loads(rows[0][0])
    metrics = json.loads(rows[0][1])
    result.forecast = _from_json(stored["forecast"])
    result.backtest = _from_json(stored["backtest"])
    for name in _CACHED_METRICS:
        setattr(result, name, metrics.get(name))
    result.folds = int(result.folds or 0)
    result.cached = True
    return True


def _cache_put(ws: Workspace | None, key: str, result: SeriesForecast) -> None:
    if ws is None or ws.read_only:
        return
    stored = {"forecast": _to_json(result.forecast), "backtest": _to_json(result.backtest)}
    metrics = {name: getattr(result, name) for name in _CACHED_METRICS}
    with ws.cursor() as cur:
        cur.execute(
            "INSERT OR REPLACE INTO wb.forecast_cache (key, created_at, forecasts, metrics) "
            "VALUES (?, ?, ?, ?)",
            [key, utcnow(), json.dumps(stored), json.dumps(metrics)],
        )


def clear_cache(ws: Workspace) -> int:
    """Drop every cached forecast; returns how many there were."""
    count = int(ws.query("SELECT count(*) FROM wb.forecast_cache")[0][0])
    with ws.cursor() as cur:
        cur.execute("DELETE FROM wb.forecast_cache")
    return count


def _month_keys(group: pd.DataFrame) -> pd.DataFrame:
    """Weekly cell keys summed into the month of each week's Monday (keys add up, mod the space)."""
    column = f"receipts{KEY_SUFFIX}"
    if column not in group.columns:
        return group
    data = group.assign(period=_align(group["period"], "month"))
    keys = data.groupby("period")[column].sum(min_count=1)
    counts = data.groupby("period")["receipts"].sum()
    keys = (keys.fillna(0).astype("int64") % KEY_SPACE).where(counts > 0)
    return pd.DataFrame({"period": keys.index, column: keys.to_numpy()})


Task = tuple[pd.DataFrame, ForecastSettings, str, str, str]  # frame, settings, area, court, model


def _worker(task: Task) -> SeriesForecast:
    silence_prophet()
    return _forecast_prepared(*task)


def forecast_series_set(
    series: pd.DataFrame,
    settings: ForecastSettings | None = None,
    ws: Workspace | None = None,
    progress: ProgressFn | None = None,
    workers: int = 2,
    expect: Sequence[tuple[str, str]] = (),
    monthly: pd.DataFrame | None = None,
) -> list[SeriesForecast]:
    """Forecast many series in parallel, reading and filling the workspace cache.

    A weekly series too sparse to model weekly (:func:`sparse_reason`) is modelled monthly,
    from ``monthly`` when given, or as monthly counts when the months are sparse too
    (:func:`count_reason`), and says so in ``freq_reason`` and ``level``.

    Args:
        series: ``area``, ``court_type``, ``period``, ``receipts``.
        settings: How to forecast.
        ws: The workspace holding the cache (None: no cache).
        progress: Called with a message and the fraction done after each series.
        workers: Processes to fit in (1: in this process).
        expect: (area, court type) pairs that must appear in the result; those absent from
            ``series`` come back with a reason ("no receipts recorded").
        monthly: The same series counted by calendar month (same columns), used for the
            sparse weekly series (None: their weeks are summed into months).

    Returns:
        One :class:`SeriesForecast` per series, sorted by area and court type.
    """
    settings = settings or ForecastSettings()
    settings.check()
    results: dict[tuple[str, str], SeriesForecast] = {}
    todo: list[tuple[str, Task]] = []
    groups = {key: g for key, g in series.groupby(["area", "court_type"], sort=True)}
    by_month = (
        {key: g for key, g in monthly.groupby(["area", "court_type"], sort=True)}
        if monthly is not None
        else {}
    )
    for key in expect:
        if key not in groups:
            empty = pd.DataFrame({"period": pd.to_datetime([]), "receipts": []})
            results[key] = _forecast_prepared(empty, settings, *key)
    notes: dict[tuple[str, str], str | None] = {}
    used_groups: dict[tuple[str, str], pd.DataFrame] = {}
    for (area, court), group in groups.items():
        months = by_month.get((area, court))
        frame, used, note, model = choose_frequency(
            group[["period", "receipts"]].reset_index(drop=True),
            settings,
            area,
            court,
            None if months is None else months[["period", "receipts"]],
        )
        frame = frame.reset_index(drop=True)
        notes[(area, court)] = note
        if note is None:
            used_groups[(area, court)] = group
        else:
            used_groups[(area, court)] = _month_keys(group) if months is None else months
        key = fingerprint(frame, used, area, court, model)
        history = prepare_history(frame, used.freq)[0]
        result = SeriesForecast(area, court, used, history, model=model)
        if _cache_get(ws, key, result):
            results[(area, court)] = result
        else:
            todo.append((key, (frame, used, area, court, model)))
    total = len(groups)
    done = total - len(todo)
    if progress and done:
        progress(f"{done} of {total} series read from the cache", done / max(total, 1))
    for key, result in _fit_all(todo, workers):
        _cache_put(ws, key, result)
        results[(result.area, result.court_type)] = result
        done += 1
        if progress:
            progress(f"Fitted {result.area} ({result.court_type})", done / max(total, 1))
    key_column = f"receipts{KEY_SUFFIX}"
    for group_key, group in used_groups.items():
        result = results[group_key]
        result.freq_reason = notes[group_key]
        if key_column in group.columns:
            keys = group[["period", key_column]].rename(columns={key_column: "key"})
            keys = keys.assign(period=_align(keys["period"], result.settings.freq))
            result.history_keys = keys.reset_index(drop=True)
    return [results[k] for k in sorted(results)]


def _start_worker(first_year: int, last_year: int, days: pd.DatetimeIndex) -> None:
    """Set up a forecasting worker: quiet logging and the parent's bank holidays."""
    silence_prophet()
    preset_holidays(first_year, last_year, days)


def _holiday_years(tasks: Sequence[Task]) -> tuple[int, int]:
    """The calendar years the fits of some series ask bank holidays for (history and ahead)."""
    stamps = [pd.DatetimeIndex(task[0]["period"]) for task in tasks if len(task[0])]
    if not stamps:
        return 2000, 2000
    first = min(int(s.min().year) for s in stamps)
    last = max(int(s.max().year) for s in stamps)
    return first, last + 4  # up to three years ahead, and the year after the last period


def _fit_all(todo: list[tuple[str, Task]], workers: int):
    """Fit the series: count models here (milliseconds each), Prophet in a pool when worth it.

    The pool's workers get this process's bank holidays (the ``holidays`` package takes
    seconds to load its data in a new process) and start once for all series.
    """
    counts = [(key, task) for key, task in todo if task[4] == COUNTS]
    prophets = [(key, task) for key, task in todo if task[4] != COUNTS]
    for key, task in counts:
        yield key, _forecast_prepared(*task)
    if workers <= 1 or len(prophets) < POOL_MIN_SERIES:
        silence_prophet()
        for key, task in prophets:
            yield key, _forecast_prepared(*task)
        return
    first, last = _holiday_years([task for _, task in prophets])
    days = observed_holidays(first, last)
    context = multiprocessing.get_context("spawn")
    finished: set[str] = set()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(first, last, days),
        ) as pool:
            futures = {pool.submit(_worker, task): key for key, task in prophets}
            for future in as_completed(futures):
                result = future.result()
                finished.add(futures[future])
                yield futures[future], result
    except BrokenProcessPool:
        # A worker process died (killed for memory, or by the system): fit what is left here.
        log.warning("a forecasting worker stopped; fitting the remaining series in this process")
        silence_prophet()
        for key, task in prophets:
            if key not in finished:
                yield key, _forecast_prepared(*task)


# ------------------------------------------------------------------------ from the workspace
def demand_table(ws: Workspace) -> str | None:
    """The journey table to forecast from: ``linked`` when built, else ``truth``, else None."""
    for name in (LINKED, TRUTH):
        if ws.table_exists(JOURNEY_SCHEMA, name):
            return name
    return None


def data_span(ws: Workspace, table: str) -> tuple[date, date] | None:
    """Where the receipts data starts and where the data ends, in a journey table.

    Returns:
        The first first-hearing date (any area) and the data end: the last date any stage was
        recorded (offence recorded, referral, first hearing or completion), as
        :func:`workbench.analysis.views.data_end` reads it; None when there is no receipt.
    """
    stages = "recorded_date, referral_date, first_hearing_date, completion_date"
    last = f"greatest({', '.join(f'max({c})' for c in stages.split(', '))})"
    row = ws.query(
        f"SELECT min(first_hearing_date), {last} "  # noqa: S608 - quoted name, constants
        f"FROM {qualified(JOURNEY_SCHEMA, table)}"
    )
    if not row or row[0][0] is None or row[0][1] is None:
        return None
    return pd.Timestamp(row[0][0]).date(), pd.Timestamp(row[0][1]).date()


def last_complete_period(end: date, freq: str) -> pd.Timestamp:
    """The first day of the last whole week (Monday to Sunday) or month ending by ``end``."""
    following = pd.Timestamp(end) + pd.Timedelta(days=1)
    if freq == "week":
        return following - pd.Timedelta(days=following.weekday() + 7)
    return pd.Timestamp(following.year, following.month, 1) - pd.DateOffset(months=1)


def fill_grid(
    frame: pd.DataFrame, span: tuple[date, date], freq: str, keys: bool = False
) -> pd.DataFrame:
    """Every (area, court type) series on one grid from the data start to the data end.

    Periods from the period holding ``span[0]`` to the last complete period by ``span[1]`` are
    kept; periods with no receipts get zero (and a missing cell key); a partial last period is
    dropped.

    Args:
        frame: ``area``, ``court_type``, ``period``, ``receipts`` (and ``receipts__key``).
        span: The receipts data start and the data end (:func:`data_span`).
        freq: ``week`` or ``month``.
        keys: Whether ``frame`` carries cell keys.

    Returns:
        The same columns, one row per series and period of the grid.
    """
    first = _align(pd.Series([pd.Timestamp(span[0])]), freq).iloc[0]
    grid = _period_index(first, last_complete_period(span[1], freq), freq)
    key = f"receipts{KEY_SUFFIX}"
    out = []
    for (area, court), group in frame.groupby(["area", "court_type"], sort=True):
        data = group.set_index("period").reindex(grid)
        series = pd.DataFrame(
            {
                "area": area,
                "court_type": court,
                "period": grid,
                "receipts": data["receipts"].fillna(0).to_numpy(dtype=float),
            }
        )
        if keys:
            series[key] = data[key].to_numpy()
        out.append(series)
    if not out:
        return frame.iloc[:0]
    return pd.concat(out, ignore_index=True)


def demand_series(
    ws: Workspace,
    table: str = LINKED,
    freq: Freq = "week",
    areas: Sequence[str] | None = None,
    court_types: Sequence[str] = COURT_TYPES,
    combine: str | None = None,
    keys: bool = False,
) -> pd.DataFrame:
    """Court receipts (first hearings) per area, court type and period, ready to forecast.

    Every series runs on one grid (:func:`fill_grid`): from the first receipt in the table to
    the last complete period by the data end, with zeros where an area had no receipts.

    Args:
        ws: The workspace.
        table: The journey table.
        freq: ``week`` or ``month``.
        areas: LCJB areas to include (None: all).
        court_types: ``magistrates`` and/or ``Crown``.
        combine: When given, the areas are summed into one series with this label (for
            example :data:`NATIONAL`).
        keys: Add ``receipts__key``, each count's cell key (a sum of record keys, so areas
            summed together get the key of all their cases).

    Returns:
        ``area``, ``court_type``, ``period``, ``receipts`` (and ``receipts__key``).
    """
    courts = tuple(c for c in court_types)
    where = JourneyFilter(areas=tuple(areas or ()), court_types=courts)
    key = f"receipts{KEY_SUFFIX}"
    columns = ["area", "court_type", "period", "receipts", *([key] if keys else [])]
    if areas is not None and not areas:
        return pd.DataFrame(columns=columns)
    raw = receipts(
        ws,
        table,
        freq=freq,
        by=("lcjb_area", "court_type"),
        stages=["first_hearing"],
        where=where,
        keys=keys,
    )
    out = raw.rename(columns={"lcjb_area": "area"})[columns]
    out["period"] = pd.to_datetime(out["period"])
    if combine:
        sums = {"receipts": "sum", **({key: "sum"} if keys else {})}
        out = out.groupby(["court_type", "period"], as_index=False).agg(sums)
        if keys:
            out[key] = (out[key].fillna(0).astype("int64") % KEY_SPACE).where(out["receipts"] > 0)
        out.insert(0, "area", combine)
    span = data_span(ws, table)
    if span is not None:
        out = fill_grid(out, span, freq, keys)
    return out.reset_index(drop=True)


def forecast_demand(
    ws: Workspace,
    areas: Sequence[str] | None = None,
    court_types: Sequence[str] = COURT_TYPES,
    settings: ForecastSettings | None = None,
    table: str | None = None,
    combine: str | None = None,
    progress: ProgressFn | None = None,
    workers: int = 2,
) -> list[SeriesForecast]:
    """Forecast court receipts for areas and court types from a journey table.

    Args:
        ws: The workspace (its cache is used).
        areas: LCJB areas (None: every area in the data).
        court_types: ``magistrates`` and/or ``Crown``.
        settings: How to forecast.
        table: The journey table (default: :func:`demand_table`).
        combine: Sum the areas into one series with this label (e.g. :data:`NATIONAL`).
        progress: Called with a message and the fraction done.
        workers: Processes to fit in.

    Returns:
        One :class:`SeriesForecast` per series; an area with no receipts has a reason.

    Raises:
        ForecastError: When there is no journey table or a court type is unknown.
    """
    settings = settings or ForecastSettings()
    bad = [c for c in court_types if c not in COURT_TYPES]
    if bad:
        raise ForecastError(
            f"Unknown court type {bad[0]!r}.", hint=f"Use {' or '.join(COURT_TYPES)}."
        )
    table = table or demand_table(ws)
    if table is None or not ws.table_exists(JOURNEY_SCHEMA, table):
        raise ForecastError(
            "There is no journey table to forecast from.",
            hint="Build the journeys first (Explore page, or `workbench forecast` builds them).",
        )
    series = demand_series(ws, table, settings.freq, areas, court_types, combine, keys=True)
    monthly = None
    if settings.freq == "week":  # for the series too sparse to model weekly
        monthly = demand_series(ws, table, "month", areas, court_types, combine, keys=True)
    labels = [combine] if combine else list(areas or ())
    expect = [(a, c) for a in labels for c in court_types]
    return forecast_series_set(series, settings, ws, progress, workers, expect, monthly)


def forecasts_frame(results: Sequence[SeriesForecast]) -> pd.DataFrame:
    """History and forecasts of many series in one tidy frame (see SeriesForecast.table)."""
    frames = [r.table() for r in results]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def not_applicable_cells(frame: pd.DataFrame) -> tuple[tuple[int, str], ...]:
    """Cells of a history-and-forecast table that do not apply, as (row number, column): the
    forecast, its interval and the baseline on history rows, receipts on forecast rows.

    A published table writes them ``[z]`` rather than ``[x]`` (not available).
    """
    if "kind" not in frame.columns:
        return ()
    future = [c for c in ("receipts", "excluded") if c in frame.columns]
    past = [c for c in FORECAST_COLUMNS[1:] if c in frame.columns]
    return tuple(
        (i, column)
        for i, kind in enumerate(frame["kind"].tolist())
        for column in (past if kind == "history" else future if kind == "forecast" else ())
    )


def metrics_frame(results: Sequence[SeriesForecast]) -> pd.DataFrame:
    """Backtest accuracy of many series, one row each."""
    return pd.DataFrame([r.metrics_row() for r in results])


def demand_areas(ws: Workspace, table: str) -> list[str]:
    """The LCJB areas with court receipts in a journey table, sorted."""
    rows = ws.query(
        f"SELECT DISTINCT lcjb_area FROM {qualified(JOURNEY_SCHEMA, table)} "  # noqa: S608 - quoted name
        "WHERE first_hearing_date IS NOT NULL AND lcjb_area IS NOT NULL ORDER BY 1"
    )
    return [r[0] for r in rows]


def combined_label(areas: Sequence[str]) -> str:
    """The label of several areas summed into one series."""
    if len(areas) <= 3:
        return " + ".join(areas)
    return f"{len(areas)} areas combined"


def forecast_selection(
    ws: Workspace,
    selection: Sequence[str],
    court_type: str,
    settings: ForecastSettings,
    allowed: Sequence[str] | None = None,
    combine: bool = False,
    table: str | None = None,
    progress: ProgressFn | None = None,
) -> list[SeriesForecast]:
    """Forecast the areas a user picked, keeping to the areas they may see.

    Args:
        ws: The workspace.
        selection: Area names; :data:`NATIONAL` means every area summed (only when
            ``allowed`` is None).
        court_type: ``magistrates`` or ``Crown``.
        settings: How to forecast.
        allowed: The areas the user may see (None: all).
        combine: Sum the selected areas into one series.
        table: The journey table (default: :func:`demand_table`).
        progress: Called with a message and the fraction done.

    Returns:
        One forecast per area (or one for the combination), national first.

    Raises:
        ForecastError: When an area is not allowed or nothing is selected.
    """
    if not selection:
        raise ForecastError("Pick at least one area to forecast.")
    denied = [a for a in selection if allowed is not None and a not in allowed]
    if denied:
        raise ForecastError(f"You may not see forecasts for {denied[0]}.")
    results: list[SeriesForecast] = []
    areas = [a for a in selection if a != NATIONAL]
    if NATIONAL in selection:
        results += forecast_demand(
            ws, None, [court_type], settings, table, NATIONAL, progress, workers=1
        )
    if areas and combine and len(areas) > 1:
        label = combined_label(areas)
        results += forecast_demand(ws, areas, [court_type], settings, table, label, progress)
    elif areas:
        results += forecast_demand(ws, areas, [court_type], settings, table, None, progress)
    return results


def scenario_forecast(
    ws: Workspace,
    results: Sequence[SeriesForecast],
    selection: Sequence[str],
    court_type: str,
    settings: ForecastSettings,
    allowed: Sequence[str] | None = None,
    table: str | None = None,
    progress: ProgressFn | None = None,
) -> tuple[SeriesForecast | None, list[str] | None]:
    """The forecast a scenario projects from: one series covering every selected area.

    England and Wales when it is selected; the one area when one is; otherwise the selected
    areas summed into one series (read from ``results`` when they were combined already, else
    forecast now), so a scenario never covers only the first of several areas.

    Args:
        ws: The workspace.
        results: The forecasts already made for the selection.
        selection: The areas picked (may include :data:`NATIONAL`).
        court_type: The court type.
        settings: How to forecast.
        allowed: The areas the user may see (None: all).
        table: The journey table.
        progress: Called with a message and the fraction done.

    Returns:
        The forecast (None when there is none usable) and the LCJB areas it covers (None for
        England and Wales).
    """
    areas = [a for a in selection if a != NATIONAL]
    if NATIONAL in selection or not areas:
        found = [r for r in results if r.area == NATIONAL and r.ok]
        return (found[0] if found else None), None
    label = areas[0] if len(areas) == 1 else combined_label(areas)
    found = [r for r in results if r.area == label and r.court_type == court_type]
    if not found and len(areas) > 1:
        found = forecast_selection(ws, areas, court_type, settings, allowed, True, table, progress)
    usable = [r for r in found if r.ok]
    return (usable[0] if usable else None), areas


def accuracy_sentence(results: Sequence[SeriesForecast]) -> str:
    """How many series were forecast and in how many the model beats the baseline."""
    made = [r for r in results if r.ok]
    beaten = sum(1 for r in made if r.beats_baseline)
    return (
        f"Forecast {len(made)} of {len(results)} series; the model beats the seasonal naive "
        f"baseline in {beaten} of them."
    )


def protect_series(result: SeriesForecast, threshold: int = DEFAULT_THRESHOLD) -> SeriesForecast:
    """A copy of a forecast fit to show a leader.

    Observed counts are adjusted by their cell keys (when the series has them, see
    :mod:`workbench.disclosure.control`) and hidden under ``threshold`` in the history and the
    backtest actuals. The seasonal naive baseline repeats observed counts a season earlier, so it is
    rebuilt from the protected history: a baseline period is hidden where the count it repeats
    is. Forecasts, intervals and accuracy measures are model outputs and stay as they are.

    Args:
        result: The forecast as computed.
        threshold: Counts below this (and above zero) are hidden.

    Returns:
        A new :class:`SeriesForecast`; ``result`` is not changed.
    """
    history = result.history
    if history.empty or "receipts" not in history:
        return result
    counts = pd.DataFrame(
        {"receipts": pd.to_numeric(history["receipts"], errors="coerce").to_numpy()}
    )
    if result.history_keys is not None and len(result.history_keys):
        keys = result.history_keys.set_index("period")["key"]
        counts[f"receipts{KEY_SUFFIX}"] = keys.reindex(
            pd.DatetimeIndex(history["period"])
        ).to_numpy()
    # the one disclosure rule of every count a leader sees (workbench.disclosure.control)
    shown = protect_frame(counts, counts=["receipts"], threshold=threshold).table["receipts"]
    protected = pd.Series(shown.astype("Float64").to_numpy(), index=history.index)
    new_history = history.assign(receipts=protected)
    by_period = pd.Series(protected.to_numpy(), index=pd.DatetimeIndex(history["period"]))
    season = result.settings.season
    values = protected.to_numpy(dtype=float, na_value=np.nan)

    def baseline(origin: int, horizon: int) -> np.ndarray:
        """The seasonal naive forecast from the protected history up to ``origin``."""
        if origin < season:
            return np.full(horizon, np.nan)
        last = values[origin - season : origin]
        return np.array([last[i % season] for i in range(horizon)], dtype=float)

    backtest = result.backtest
    if not backtest.empty and "period" in backtest:
        backtest = backtest.copy()
        periods = pd.DatetimeIndex(backtest["period"])
        backtest["actual"] = by_period.reindex(periods).to_numpy(dtype=float, na_value=np.nan)
        if "baseline" in backtest and "fold" in backtest:
            position = {p: i for i, p in enumerate(pd.DatetimeIndex(history["period"]))}
            for _fold, rows in backtest.groupby("fold"):
                origin = position.get(pd.Timestamp(rows["period"].min()))
                if origin is not None:
                    backtest.loc[rows.index, "baseline"] = baseline(origin, len(rows))
    forecast = result.forecast
    if not forecast.empty and "baseline" in forecast:
        forecast = forecast.assign(baseline=baseline(len(values), len(forecast)))
    return replace(result, history=new_history, backtest=backtest, forecast=forecast)


def adjusted_table(frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """A table of protected forecasts (from :func:`protect_series`) with its hidden cells marked.

    Observed counts (``receipts`` of history rows, backtest ``actual``) that are missing were
    hidden by disclosure control and are marked so an export writes ``[c]``; forecasts,
    intervals and baselines are model outputs or repeat already protected counts.
    """
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if "receipts" in frame:
        history = frame["kind"] == "history" if "kind" in frame else True
        hidden["receipts"] = frame["receipts"].isna() & history
    if "actual" in frame:
        hidden["actual"] = frame["actual"].isna()
    remark = (
        "Disclosure control applied: observed counts are adjusted by a small random amount (the "
        f"same cases always get the same adjustment) and counts under {threshold} are hidden; "
        "the seasonal baseline repeats the protected counts; forecasts and intervals are model "
        "outputs."
    )
    count = int(hidden.to_numpy().sum())
    return Protected(frame, hidden, count, 0, 0, threshold, perturbed=True, remark=remark)
