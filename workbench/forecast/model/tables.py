"""Forecasts as tables and sentences, for pages and exports."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workbench.forecast.model.series import FORECAST_COLUMNS, SeriesForecast


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


def accuracy_sentence(results: Sequence[SeriesForecast]) -> str:
    """How many series were forecast and in how many the model beats the baseline."""
    made = [r for r in results if r.ok]
    beaten = sum(1 for r in made if r.beats_baseline)
    return (
        f"Forecast {len(made)} of {len(results)} series; the model beats the seasonal naive "
        f"baseline in {beaten} of them."
    )
