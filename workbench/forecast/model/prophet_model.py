"""The Prophet model of a series: yearly seasonality, the bank-holiday regressor, a
piecewise-linear trend and prediction intervals (80% by default), with Prophet's slow Python
spots made fast (:func:`prophet_class`) and its interval simulation seeded (the same series gives
the same interval).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from workbench.forecast.model.holiday_calendar import bank_holidays
from workbench.forecast.model.series import ForecastSettings

log = logging.getLogger(__name__)


PREDICT_SEED = 20240101  # Prophet's interval simulation: the same series gives the same interval


def silence_prophet() -> None:
    """Silence Prophet's and cmdstanpy's log noise (call before importing Prophet)."""
    logging.getLogger("prophet.plot").disabled = True
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)


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


def prophet_fit_predict(
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
