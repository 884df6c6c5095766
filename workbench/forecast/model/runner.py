"""Many series forecast at once: read from the cache or fitted, in a process pool.

Prophet series are fitted in parallel (a process pool, two workers by default, started only for
:data:`POOL_MIN_SERIES` or more; Prophet's and cmdstanpy's logging is silenced in every worker,
and each gets the parent's bank holidays instead of loading the ``holidays`` data again); count
models take milliseconds and are fitted in the calling process. The functions the pool runs stay
at the top level of this module so that the worker processes can import them.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from workbench.disclosure.control import KEY_SPACE, KEY_SUFFIX
from workbench.forecast.model.backtest import forecast_prepared
from workbench.forecast.model.cache import cache_get, cache_put, fingerprint
from workbench.forecast.model.history import align_periods, choose_frequency, prepare_history
from workbench.forecast.model.holiday_calendar import observed_holidays, preset_holidays
from workbench.forecast.model.prophet_model import silence_prophet
from workbench.forecast.model.series import COUNTS, ForecastSettings, ProgressFn, SeriesForecast
from workbench.workspace import Workspace

log = logging.getLogger(__name__)


POOL_MIN_SERIES = 6  # fewer series fit faster here than a new pool starts (~2 s)


def _month_keys(group: pd.DataFrame) -> pd.DataFrame:
    """Weekly cell keys summed into the month of each week's Monday (keys add up, mod the space)."""
    column = f"receipts{KEY_SUFFIX}"
    if column not in group.columns:
        return group
    data = group.assign(period=align_periods(group["period"], "month"))
    keys = data.groupby("period")[column].sum(min_count=1)
    counts = data.groupby("period")["receipts"].sum()
    keys = (keys.fillna(0).astype("int64") % KEY_SPACE).where(counts > 0)
    return pd.DataFrame({"period": keys.index, column: keys.to_numpy()})


Task = tuple[pd.DataFrame, ForecastSettings, str, str, str]  # frame, settings, area, court, model


def _worker(task: Task) -> SeriesForecast:
    silence_prophet()
    return forecast_prepared(*task)


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

    A weekly series too sparse to model weekly
    (:func:`~workbench.forecast.model.history.sparse_reason`) is modelled monthly, from
    ``monthly`` when given, or as monthly counts when the months are sparse too
    (:func:`~workbench.forecast.model.history.count_reason`), and says so in ``freq_reason``
    and ``level``.

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
            results[key] = forecast_prepared(empty, settings, *key)
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
        if cache_get(ws, key, result):
            results[(area, court)] = result
        else:
            todo.append((key, (frame, used, area, court, model)))
    total = len(groups)
    done = total - len(todo)
    if progress and done:
        progress(f"{done} of {total} series read from the cache", done / max(total, 1))
    for key, result in _fit_all(todo, workers):
        cache_put(ws, key, result)
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
            keys = keys.assign(period=align_periods(keys["period"], result.settings.freq))
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
        yield key, forecast_prepared(*task)
    if workers <= 1 or len(prophets) < POOL_MIN_SERIES:
        silence_prophet()
        for key, task in prophets:
            yield key, forecast_prepared(*task)
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
                yield key, forecast_prepared(*task)
