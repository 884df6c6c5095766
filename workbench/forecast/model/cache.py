"""The forecast cache: results kept in the workspace (``wb.forecast_cache``) by a
fingerprint of the series values, the settings and the model, so a second request for the same
data is read back instead of refitted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd

from workbench.forecast.model.series import PROPHET, ForecastSettings, SeriesForecast
from workbench.workspace import Workspace, utcnow

MODEL_VERSION = "prophet-3"


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


def cache_get(ws: Workspace | None, key: str, result: SeriesForecast) -> bool:
    """Fill ``result`` from the cached forecast stored under ``key``; False when there is none."""
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


def cache_put(ws: Workspace | None, key: str, result: SeriesForecast) -> None:
    """Store a forecast under ``key`` (nothing without a workspace, or when it is read-only)."""
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
