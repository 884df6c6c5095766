"""How to forecast a series (:class:`ForecastSettings`) and what came of it
(:class:`SeriesForecast`): the forecast, its backtests and accuracy, or the reason there is none.

Bad input never crashes: a series with too little history, only zeros, too many gaps or no data
at all comes back with :attr:`SeriesForecast.reason` set and no forecast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import ForecastError

Freq = Literal["week", "month"]
ProgressFn = Callable[[str, float], None]


NATIONAL = "England and Wales"
COURT_TYPES: tuple[str, ...] = ("magistrates", "Crown")
SEASON: dict[str, int] = {"week": 52, "month": 12}


PROPHET = "prophet"
COUNTS = "counts"  # the count model: recent rate, negative binomial interval
COVERAGE_TOLERANCE = 0.1  # calibrated coverage further than this from the aim is "badly off"


FORECAST_COLUMNS = ["period", "forecast", "lower", "upper", "baseline"]


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
