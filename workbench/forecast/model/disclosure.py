"""Forecasts fit to show a leader: observed counts protected by disclosure control
(:mod:`workbench.disclosure.control`), model outputs left as they are.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from workbench.disclosure.control import DEFAULT_THRESHOLD, KEY_SUFFIX, Protected, protect_frame
from workbench.forecast.model.history import without_figures
from workbench.forecast.model.series import SeriesForecast


def protect_series(result: SeriesForecast, threshold: int = DEFAULT_THRESHOLD) -> SeriesForecast:
    """A copy of a forecast fit to show a leader.

    Observed counts are adjusted by their cell keys (when the series has them, see
    :mod:`workbench.disclosure.control`) and hidden under ``threshold`` in the history and the
    backtest actuals. The seasonal naive baseline repeats observed counts a season earlier, so it is
    rebuilt from the protected history: a baseline period is hidden where the count it repeats
    is. A sparsity note keeps its words but not its figures (the share of empty periods and
    the mean count come from exact counts). Forecasts, intervals and accuracy measures are
    model outputs and stay as they are.

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
    return replace(
        result,
        history=new_history,
        backtest=backtest,
        forecast=forecast,
        freq_reason=without_figures(result.freq_reason),
    )


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
