"""Demand forecasts and scenarios: accuracy maths, bad input, cache, scenario maths and storage."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.forecast_data import (
    court_receipts_series,
    seasonal_series,
    sparse_series,
    write_demand_journeys,
)
from workbench.access.auth import User
from workbench.analysis.journeys.table import TRUTH, write_journeys
from workbench.errors import ForecastError
from workbench.forecast.model import holiday_calendar, runner
from workbench.forecast.model.accuracy import (
    coverage,
    interval_scale,
    mase,
    naive_scale,
    seasonal_naive,
    widen,
)
from workbench.forecast.model.backtest import forecast_one
from workbench.forecast.model.cache import _from_json, _to_json, clear_cache
from workbench.forecast.model.count_model import count_forecast
from workbench.forecast.model.demand import (
    data_span,
    demand_series,
    demand_table,
    forecast_demand,
    forecast_selection,
    scenario_forecast,
)
from workbench.forecast.model.history import (
    COUNT_MODEL_WORDS,
    choose_frequency,
    count_reason,
    disrupted,
    period_index,
    sparse_reason,
    weeks_to_months,
)
from workbench.forecast.model.holiday_calendar import (
    bank_holidays,
    holiday_counts,
    observed_holidays,
    preset_holidays,
)
from workbench.forecast.model.prophet_model import prophet_class
from workbench.forecast.model.runner import _holiday_years, forecast_series_set
from workbench.forecast.model.series import COUNTS, PROPHET, ForecastSettings, SeriesForecast
from workbench.forecast.model.tables import not_applicable_cells
from workbench.forecast.scenarios.comparison import (
    compare_scenarios,
    readable_summary,
    scenario_summary,
    scenarios_csv,
)
from workbench.forecast.scenarios.lags import LagDistribution, charge_to_hearing_days, kaplan_meier
from workbench.forecast.scenarios.projection import (
    Scenario,
    lagged_completions,
    project,
    project_with_baseline,
)
from workbench.forecast.scenarios.state import CourtState, court_state, scenario_notes, stage_lags
from workbench.forecast.scenarios.storage import (
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)

TESTER = User("tester", roles=("analyst",), areas=("all",))
MONTHLY = ForecastSettings(freq="month", horizon=6, folds=2, uncertainty_samples=100)


# ------------------------------------------------------------------------------ accuracy maths
def test_mase_coverage_and_naive_by_hand() -> None:
    train = np.array([1.0, 2, 3, 4, 3, 4, 5, 6])  # season 4: in-sample errors all 2
    assert naive_scale(train, 4) == pytest.approx(2.0)
    assert mase([5, 7], [4, 4], 2.0) == pytest.approx(1.0)  # errors 1 and 3
    assert list(seasonal_naive(train, 6, 4)) == [3, 4, 5, 6, 3, 4]
    assert coverage([1, 5, 9, np.nan], [0, 0, 0, 0], [2, 6, 8, 9]) == pytest.approx(2 / 3)
    excluded = np.array([False] * 4 + [True] + [False] * 3)
    assert naive_scale(np.array([1.0, 2, 3, 4, 99, 4, 5, 6]), 4, excluded) == 2.0


def test_trend_series_baseline_mase_is_one_and_model_beats_it() -> None:
    # With a pure trend plus season, every seasonal naive error is 12 × trend, in sample and
    # out: the baseline's MASE is exactly 1, and a model that learns the trend does better.
    series = seasonal_series(periods=84, trend=2.0, noise=0.0)
    result = forecast_one(series, MONTHLY, "Test", "magistrates")
    assert result.baseline_mase == pytest.approx(1.0)
    assert result.mase < 0.5
    assert result.beats_baseline and "beats the baseline" in result.verdict
    assert result.folds == 2 and len(result.forecast) == 6
    assert (result.forecast["lower"] <= result.forecast["upper"]).all()
    assert result.coverage is not None and 0 <= result.coverage <= 1


def test_noisy_seasonal_series_interval_covers_most_actuals() -> None:
    series = seasonal_series(periods=96, noise=4.0, seed=7)
    settings = ForecastSettings(freq="month", horizon=12, folds=3, uncertainty_samples=200)
    result = forecast_one(series, settings, "Test", "Crown")
    assert 0.5 <= result.coverage <= 1.0
    assert result.mase < result.baseline_mase  # the baseline repeats last year's noise
    assert result.forecast["forecast"].between(60, 140).all()


def test_verdict_says_when_the_baseline_wins() -> None:
    history = seasonal_series(periods=40)
    result = SeriesForecast("A", "Crown", MONTHLY, history, mase=1.3, baseline_mase=1.0, folds=2)
    result.coverage = 0.8
    assert result.beats_baseline is False
    assert "does NOT beat" in result.verdict


# ------------------------------------------------------------------------------ calendar
def test_bank_holidays_per_week_and_month() -> None:
    weeks = pd.to_datetime(["2020-04-06", "2020-04-13", "2020-04-20", "2020-12-21", "2020-12-28"])
    # Christmas Day (Friday) only: Boxing Day falls on Saturday and counts on its substitute
    # Monday, the 28th, in the next week with New Year's Day.
    assert list(bank_holidays(weeks, "week")) == [1, 1, 0, 1, 2]
    months = pd.to_datetime(["2020-12-01", "2020-02-01", "2020-05-01"])
    assert list(bank_holidays(months, "month")) == [2, 0, 2]


def test_weekend_bank_holidays_count_once_on_their_substitute_weekday() -> None:
    # 2021: Christmas Day (Saturday) and Boxing Day (Sunday) are observed on Monday 27 and
    # Tuesday 28 December; 2022: New Year's Day (Saturday) on Monday 3 January.
    weeks = pd.to_datetime(["2021-12-20", "2021-12-27", "2022-01-03"])
    assert list(bank_holidays(weeks, "week")) == [0, 2, 1]
    assert bank_holidays(pd.to_datetime(["2021-12-01"]), "month")[0] == 2
    counts = holiday_counts(2021, 2021, "month")
    assert counts.sum() == 8  # eight bank holidays, two of them on substitute days


def test_holiday_counts_are_cached_and_the_same_for_every_caller() -> None:
    first = holiday_counts(2019, 2025, "week")
    assert holiday_counts(2019, 2025, "week") is first  # computed once, shared
    months = holiday_counts(2019, 2019, "month")
    assert months.sum() == 8  # 2019: eight bank holidays, none on a weekend
    assert first.index.dayofweek.unique().tolist() == [0]  # keyed by Mondays
    weeks = pd.date_range("2019-01-07", periods=300, freq="W-MON")
    once = bank_holidays(weeks, "week")
    assert np.array_equal(bank_holidays(weeks, "week"), once)
    assert bank_holidays(weeks[:0], "week").size == 0


def test_weekly_period_grid_matches_pandas_w_mon() -> None:
    for start, end in [("2019-01-07", "2024-06-03"), ("2019-01-09", "2019-03-01")]:
        ours = period_index(pd.Timestamp(start), pd.Timestamp(end), "week")
        slow = pd.date_range(start, end, freq="W-MON")
        assert list(ours) == list(slow)


def test_fast_prophet_gives_exactly_stock_prophets_numbers() -> None:
    from prophet import Prophet

    periods = pd.date_range("2019-01-07", periods=150, freq="W-MON")
    fit = seasonal_series(periods=150, freq="week", seed=5).rename(
        columns={"period": "ds", "receipts": "y"}
    )
    fit["bank_holidays"] = bank_holidays(periods, "week")
    ahead = pd.DataFrame({"ds": pd.date_range(periods[-1], periods=14, freq="W-MON")[1:]})
    ahead["bank_holidays"] = bank_holidays(ahead["ds"], "week")
    out = []
    for cls in (Prophet, prophet_class()):
        model = cls(yearly_seasonality=10, weekly_seasonality=False, uncertainty_samples=50)
        model.add_regressor("bank_holidays")
        model.fit(fit)
        np.random.seed(0)
        out.append((model, model.predict(ahead)))
    (stock, stock_pred), (fast, fast_pred) = out
    for name, value in stock.params.items():
        assert np.array_equal(value, fast.params[name]), name
    pd.testing.assert_frame_equal(stock.train_component_cols, fast.train_component_cols)
    pd.testing.assert_frame_equal(stock_pred, fast_pred)


def test_cache_frames_round_trip_with_their_types() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=3, freq="W-MON"),
            "forecast": [1.5, np.nan, 3.0],
            "lower": [np.nan] * 3,
            "fold": [1, 1, 2],
        }
    )
    back = _from_json(_to_json(frame))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["lower"].dtype == float and back["fold"].dtype == "int64"
    empty = _from_json(_to_json(frame.iloc[:0]))
    assert empty.empty and list(empty.columns) == list(frame.columns)


def test_spring_2020_is_flagged_and_left_out_of_fitting() -> None:
    weeks = pd.to_datetime(["2020-03-09", "2020-03-16", "2020-06-29", "2020-07-06"])
    assert list(disrupted(weeks, "week")) == [False, True, True, False]
    months = pd.to_datetime(["2020-02-01", "2020-03-01", "2020-06-01", "2020-07-01"])
    assert list(disrupted(months, "month")) == [False, True, True, False]

    clean = seasonal_series(periods=84, noise=0.0, trend=0.5)
    dipped = clean.copy()
    dip = dipped["period"].between("2020-03-01", "2020-06-01")
    dipped.loc[dip, "receipts"] = 1.0
    a = forecast_one(clean, MONTHLY)
    b = forecast_one(dipped, MONTHLY)
    assert b.history.loc[dip.to_numpy(), "excluded"].all()
    np.testing.assert_allclose(a.forecast["forecast"], b.forecast["forecast"], rtol=0.02)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (seasonal_series(periods=20), "history"),
        (seasonal_series(periods=60).assign(receipts=0.0), "zero"),
        (seasonal_series(periods=60).iloc[::2], "gaps"),
        (pd.DataFrame({"period": pd.to_datetime([]), "receipts": []}), "no receipts"),
        (seasonal_series(periods=60).assign(receipts=-1.0), "negative"),
    ],
    ids=["short", "zeros", "gaps", "empty", "negative"],
)
def test_bad_series_give_a_reason_not_a_crash(frame: pd.DataFrame, words: str) -> None:
    [result] = forecast_series_set(
        frame.assign(area="A", court_type="Crown"), MONTHLY, workers=1, expect=[("A", "Crown")]
    )
    assert not result.ok and words in result.reason
    assert result.forecast.empty and "No forecast" in result.verdict
    with pytest.raises(ForecastError, match="No forecast for A"):
        forecast_one(frame, MONTHLY, "A", "Crown")


def test_few_gaps_are_tolerated() -> None:
    series = seasonal_series(periods=84).drop(index=[30, 50])
    result = forecast_one(series, MONTHLY)
    assert result.ok and result.history["receipts"].isna().sum() == 2


def test_bad_settings_raise() -> None:
    with pytest.raises(ForecastError, match="horizon"):
        forecast_one(seasonal_series(), ForecastSettings(freq="month", horizon=0))
    with pytest.raises(ForecastError, match="frequency"):
        ForecastSettings(freq="day").check()  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ workspace
@pytest.fixture
def demand_ws(ws):
    write_demand_journeys(ws, areas=("Kent",), weeks=170)
    return ws


def test_forecast_from_journeys_cached_by_fingerprint(demand_ws) -> None:
    settings = ForecastSettings(freq="month", horizon=3, folds=1, uncertainty_samples=100)
    first = forecast_demand(demand_ws, ["Kent", "Dorset"], ["Crown"], settings, workers=1)
    by_area = {r.area: r for r in first}
    assert by_area["Kent"].ok and not by_area["Kent"].cached
    assert not by_area["Dorset"].ok and "no receipts" in by_area["Dorset"].reason
    calls = []
    seen = []
    second = forecast_demand(
        demand_ws,
        ["Kent"],
        ["Crown"],
        settings,
        workers=1,
        progress=lambda msg, frac: calls.append((msg, frac)),
    )
    assert second[0].cached and calls and calls[-1][1] == 1.0
    pd.testing.assert_frame_equal(
        second[0].forecast.reset_index(drop=True),
        by_area["Kent"].forecast.reset_index(drop=True),
        check_dtype=False,
    )
    assert second[0].mase == pytest.approx(by_area["Kent"].mase)
    other = forecast_demand(
        demand_ws,
        ["Kent"],
        ["Crown"],
        ForecastSettings("month", 4, folds=1),
        workers=1,
        progress=lambda msg, frac: seen.append(msg),
    )
    assert not other[0].cached  # other settings, other fingerprint
    assert clear_cache(demand_ws) == 2


def test_parallel_pool_gives_the_same_answer(monkeypatch) -> None:
    monkeypatch.setattr(runner, "POOL_MIN_SERIES", 2)
    settings = ForecastSettings(freq="month", horizon=3, folds=1, uncertainty_samples=50)
    series = pd.concat(
        [
            seasonal_series(periods=40, seed=s).assign(area=f"A{s}", court_type="Crown")
            for s in (1, 2)
        ]
    )
    pooled = forecast_series_set(series, settings, workers=2)
    alone = forecast_series_set(series, settings, workers=1)
    for p, a in zip(pooled, alone, strict=True):
        assert p.area == a.area and p.ok
        assert p.mase == pytest.approx(a.mase, rel=1e-6)


def test_selection_keeps_to_allowed_areas(demand_ws) -> None:
    with pytest.raises(ForecastError, match="may not see"):
        forecast_selection(demand_ws, ["Surrey"], "Crown", MONTHLY, allowed=["Kent"])
    with pytest.raises(ForecastError, match="at least one"):
        forecast_selection(demand_ws, [], "Crown", MONTHLY)
    with pytest.raises(ForecastError, match="court type"):
        forecast_demand(demand_ws, ["Kent"], ["youth"], MONTHLY)


def test_no_journey_table_is_a_clear_error(ws) -> None:
    assert demand_table(ws) is None
    with pytest.raises(ForecastError, match="no journey table"):
        forecast_demand(ws, ["Kent"], ["Crown"], MONTHLY)


# ------------------------------------------------------------------------------ scenarios
def _flat_forecast(values, lower=None, upper=None) -> pd.DataFrame:
    periods = pd.date_range("2030-01-07", periods=len(values), freq="W-MON")
    return pd.DataFrame(
        {
            "period": periods,
            "forecast": values,
            "lower": values if lower is None else lower,
            "upper": values if upper is None else upper,
            "baseline": values,
        }
    )


def test_scenario_maths_by_hand() -> None:
    forecast = _flat_forecast([10.0, 10, 10, 10])
    state = CourtState(date(2030, 1, 6), outstanding=5, disposals_per_week=12)
    what_if = Scenario("plus50", "A", "Crown", "week", 4, 50.0, date(2030, 1, 21), 12.0)
    out = project(forecast, state, what_if)
    assert list(out["receipts"]) == [10, 10, 15, 15]
    assert list(out["disposals"]) == [12, 12, 12, 12]
    assert list(out["outstanding"]) == [3, 1, 4, 7]
    assert list(out["outstanding_lower"]) == list(out["outstanding_upper"]) == [3, 1, 4, 7]
    # Capacity below receipts: the caseload grows by the difference every week.
    slow = project(forecast, state, Scenario("slow", "A", "Crown", capacity_per_week=8.0))
    assert list(slow["outstanding"]) == [7, 9, 11, 13]


def test_scenario_interval_by_hand() -> None:
    # lower 8 and upper 12 at 80% make the first period's cumulative spread exactly 2.
    forecast = _flat_forecast([10.0, 10], lower=[8.0, 8], upper=[12.0, 12])
    state = CourtState(date(2030, 1, 6), outstanding=5, disposals_per_week=12)
    out = project(forecast, state, Scenario("base", "A", "Crown"))
    assert out.loc[0, "outstanding"] == 3
    assert out.loc[0, "outstanding_lower"] == pytest.approx(1)
    assert out.loc[0, "outstanding_upper"] == pytest.approx(5)
    # Second period: cumulative receipts 20 ± 2√2; capacity 12 drains what is left.
    assert out.loc[1, "outstanding_upper"] == pytest.approx(5 + (10 + 2 * 2**0.5 - 2) - 12)
    assert out.loc[1, "outstanding_lower"] == 0


def test_scenario_rejects_impossible_settings() -> None:
    state = CourtState(date(2030, 1, 6), 5, 12)
    with pytest.raises(ForecastError, match="100%"):
        project(_flat_forecast([1.0]), state, Scenario("x", "A", "Crown", charge_change_pct=-150))
    with pytest.raises(ForecastError, match="no receipts forecast"):
        project(_flat_forecast([]), state, Scenario("x", "A", "Crown"))


def test_saved_scenarios_round_trip_compare_and_export(demand_ws) -> None:
    state = court_state(demand_ws, "truth", date(2024, 2, 1), ["Kent"], "magistrates")
    assert state.outstanding > 0 and state.disposals_per_week > 0
    result = SeriesForecast(
        "Kent",
        "magistrates",
        ForecastSettings(horizon=4),
        seasonal_series(4, "week"),
        forecast=_flat_forecast([10.0, 10, 10, 10], [8.0] * 4, [12.0] * 4),
    )
    names = []
    for name, pct in (("more charges", 20.0), ("fewer charges", -20.0)):
        scenario = Scenario(name, "Kent", "magistrates", "week", 4, pct, None, 12.0)
        projection = project_with_baseline(result, state, scenario)
        assert set(projection["scenario"]) == {"baseline", name}
        save_scenario(demand_ws, TESTER, scenario, projection, ["Kent"])
        names.append(name)
    saved = list_scenarios(demand_ws, TESTER)
    assert set(saved["name"]) == set(names)
    loaded, frame = load_scenario(demand_ws, TESTER, "more charges")
    assert loaded.charge_change_pct == 20.0 and loaded.capacity_per_week == 12.0
    assert list(frame["receipts"]) == pytest.approx([12.0] * 4)
    both = compare_scenarios(demand_ws, TESTER, names)
    summary = scenario_summary(both).set_index("scenario")
    assert summary.loc["more charges", "receipts"] == pytest.approx(48)
    assert (
        summary.loc["fewer charges", "outstanding_at_end"]
        < summary.loc["more charges", "outstanding_at_end"]
    )
    assert scenarios_csv(both).decode().startswith("scenario,period,receipts")
    readable = readable_summary(scenario_summary(both)).set_index("Scenario")
    assert readable.loc["more charges", "Receipts over the horizon"] == 48
    assert str(readable["Outstanding at the end"].dtype) == "Int64"  # whole cases, no 16.6299
    with pytest.raises(ForecastError, match="name"):
        save_scenario(demand_ws, TESTER, Scenario(" ", "Kent", "magistrates"), projection)
    with pytest.raises(ForecastError, match="You already have a scenario called 'fewer charges'"):
        save_scenario(demand_ws, TESTER, scenario, projection, ["Kent"])
    delete_scenario(demand_ws, TESTER, "more charges")
    with pytest.raises(ForecastError, match="no saved scenario"):
        load_scenario(demand_ws, TESTER, "more charges")


def test_a_dead_worker_does_not_lose_the_forecasts(monkeypatch) -> None:
    """When the process pool breaks, the remaining series are fitted in this process."""
    from concurrent.futures.process import BrokenProcessPool

    class BrokenPool:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def __enter__(self):
            raise BrokenProcessPool("worker killed")

        def __exit__(self, *exc) -> None:
            return None

    monkeypatch.setattr(runner, "POOL_MIN_SERIES", 2)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", BrokenPool)
    settings = ForecastSettings(freq="month", horizon=3, folds=1, uncertainty_samples=50)
    series = pd.concat(
        [
            seasonal_series(periods=40, seed=s).assign(area=f"A{s}", court_type="Crown")
            for s in (1, 2)
        ]
    )
    results = forecast_series_set(series, settings, workers=2)
    assert [r.area for r in results] == ["A1", "A2"]
    assert all(r.forecast is not None and len(r.forecast) for r in results)


# ------------------------------------------------------------------------------ honesty rules
@pytest.fixture(scope="module")
def dense_result() -> SeriesForecast:
    """A large area's weekly receipts (wider than Poisson), six 13-week backtest blocks."""
    settings = ForecastSettings(freq="week", horizon=13, folds=6, uncertainty_samples=200)
    return forecast_one(court_receipts_series(weeks=300, seed=13), settings, "Big", "Crown")


def test_calibrated_intervals_cover_about_80_percent_of_backtest_actuals(dense_result) -> None:
    result = dense_result
    assert result.settings.freq == "week" and result.freq_reason is None
    assert result.folds == 6
    assert result.raw_coverage < result.coverage  # Prophet's own intervals are too narrow
    assert 0.75 <= result.coverage <= 0.85
    assert result.interval_scale > 1
    bt = result.backtest
    assert (bt["upper"] - bt["lower"] >= bt["upper_raw"] - bt["lower_raw"] - 1e-9).all()
    assert f"{result.raw_coverage:.0%} before calibration" in result.verdict
    assert result.metrics_row()["raw_coverage"] == result.raw_coverage


def test_interval_scale_is_the_conformal_quantile() -> None:
    forecast = np.full(9, 10.0)
    actual = np.array([10.0, 11, 9, 12, 8, 13, 7, 14, 20])  # scores 0, .5 .. 2, 5 with ±2
    scale = interval_scale(actual, forecast, forecast - 2, forecast + 2, 0.8)
    assert scale == pytest.approx(2.0)  # ceil(10 × 0.8) = 8: the 8th smallest of 9 scores
    widened = widen(pd.DataFrame({"forecast": [10.0], "lower": [8.0], "upper": [11.0]}), 2)
    assert widened.loc[0, "lower"] == 6 and widened.loc[0, "upper"] == 12


def test_no_tick_when_coverage_is_badly_off(dense_result) -> None:
    off = replace(dense_result, coverage=0.62, mase=0.5, baseline_mase=1.0)
    assert off.beats_baseline and off.coverage_ok is False and not off.trustworthy
    assert "do not rely on the intervals" in off.verdict
    assert "The model beats the baseline." not in off.verdict
    good = replace(off, coverage=0.8)
    assert good.trustworthy and good.verdict.endswith("The model beats the baseline.")


def test_sparse_weekly_series_is_forecast_monthly() -> None:
    settings = ForecastSettings(freq="week", horizon=13, folds=1, uncertainty_samples=50)
    assert sparse_reason(court_receipts_series(weeks=60), "Big", "Crown") is None
    # About 1.5 a week: too few for weeks, enough for months (about 6.5 a month).
    result = forecast_one(sparse_series(rate=1.5), settings, "Kent", "Crown")
    assert result.ok and result.settings.freq == "month" and result.settings.horizon == 3
    assert result.model == PROPHET and result.level == "monthly"
    assert result.freq_reason.startswith("Kent Crown is too sparse to model weekly")
    assert result.freq_reason.endswith("forecast monthly.")
    assert result.freq_reason in result.verdict
    assert len(result.forecast) == 3
    assert result.history["period"].dt.day.eq(1).all()
    row = result.metrics_row()
    assert row["freq"] == "month" and row["forecast_level"] == "monthly"


def test_series_too_sparse_monthly_are_forecast_as_counts() -> None:
    settings = ForecastSettings(freq="week", horizon=13, folds=3)
    # About 0.6 a week, 2.6 a month: too sparse for Prophet even by month.
    result = forecast_one(sparse_series(rate=0.6), settings, "Kent", "Crown")
    assert result.ok and result.model == COUNTS and result.level == "monthly counts"
    assert result.settings.freq == "month" and result.folds == 3
    assert "too sparse to model weekly" in result.freq_reason
    assert "or monthly" in result.freq_reason and "monthly counts" in result.freq_reason
    assert result.metrics_row()["forecast_level"] == "monthly counts"
    # Its negative binomial interval is used as it is: no conformal factor from tied counts.
    assert result.interval_scale == 1.0 and result.coverage == result.raw_coverage
    assert (result.backtest["upper"] == result.backtest["upper_raw"]).all()
    from workbench.forecast.charts import forecast_chart

    assert "forecast as monthly counts" in json.dumps(forecast_chart(result).to_dict())
    recent = result.history["receipts"].iloc[-12:].mean()
    assert result.forecast["forecast"].to_numpy() == pytest.approx([recent] * 3)
    assert (result.forecast["lower"] >= 0).all()
    assert (result.forecast["lower"] <= result.forecast["forecast"]).all()
    assert (result.forecast["upper"] > result.forecast["forecast"]).all()
    # Asked for monthly, the same series is still too sparse: counts, and the sentence says so.
    months = weeks_to_months(sparse_series(rate=0.6))
    asked = forecast_one(months, MONTHLY, "Kent", "Crown")
    assert asked.model == COUNTS
    assert asked.freq_reason.startswith("Kent Crown is too sparse to model monthly")
    # A monthly series with enough receipts stays with Prophet.
    _, _, note, model = choose_frequency(seasonal_series(periods=60), MONTHLY, "A", "Crown")
    assert note is None and model == PROPHET
    # A leader's copy says the series is sparse but not how sparse: the share of empty periods
    # and the mean come from exact counts (with few periods the mean pins a hidden total).
    from workbench.forecast.model.disclosure import protect_series

    shown = protect_series(result)
    assert shown.freq_reason == (
        "Kent Crown is too sparse to model weekly or monthly: " + COUNT_MODEL_WORDS
    )
    assert "without receipts" not in shown.verdict and "on average" not in shown.verdict
    assert "without receipts" in result.freq_reason  # the analyst's copy keeps the figures
    assert protect_series(asked).freq_reason == (
        "Kent Crown is too sparse to model monthly: " + COUNT_MODEL_WORDS
    )
    # The rule: more than half the months empty, or under five receipts a month.
    half = pd.DataFrame({"period": range(4), "receipts": [0.0, 0, 0, 30]})
    few = pd.DataFrame({"period": range(4), "receipts": [4.0, 5, 4, 5]})
    enough = pd.DataFrame({"period": range(4), "receipts": [0.0, 6, 6, 8]})
    assert count_reason(half, "A", "Crown") and count_reason(few, "A", "Crown")
    assert count_reason(enough, "A", "Crown") is None


def test_count_model_rate_and_interval() -> None:
    from scipy.stats import nbinom, poisson

    # Twelve months of exactly 3: no overdispersion (phi 1); the rate's own uncertainty
    # (variance 3 × (1 + 1/12)) makes the interval a touch wider than Poisson's.
    flat = np.full(24, 3.0)
    rate, low, high = count_forecast(flat, np.zeros(24, bool), 3, 12, 0.8)
    size = 9 / (3 * (1 + 1 / 12) - 3)
    dist = nbinom(size, size / (size + 3))
    assert rate == 3
    # The equal-tailed 80% interval is 1 to 5 (it holds 85.2%); 1 to 4 holds 75.3%, nearer 80%.
    assert tuple(dist.ppf([0.1, 0.9])) == (1, 5)
    assert dist.cdf(5) - dist.cdf(0) == pytest.approx(0.852, abs=0.001)
    assert dist.cdf(4) - dist.cdf(0) == pytest.approx(0.753, abs=0.001)
    assert (low, high) == (1, 4)
    # Excluded periods are left out of the rate; overdispersed counts widen the interval.
    y = np.array([0.0, 8] * 12)
    excluded = np.zeros(24, bool)
    excluded[-1] = True  # the last 8 is excluded: the rate is over the 12 before it
    rate, low, high = count_forecast(y, excluded, 3, 12, 0.8)
    assert rate == pytest.approx(4.0)
    assert high - low > poisson.ppf(0.9, 4) - poisson.ppf(0.1, 4)
    # No receipts for a year: the forecast is zero, the interval still allows some.
    rate, low, high = count_forecast(np.zeros(24), np.zeros(24, bool), 3, 12, 0.8)
    assert rate == 0 and low == 0 and high >= 0


def _journeys(ws, rows: list[tuple[str, str, str]], extra_completion: str | None = None) -> None:
    """Journeys with first hearings on the given days (area, court, date)."""
    frame = pd.DataFrame(rows, columns=["lcjb_area", "court_type", "first_hearing_date"])
    frame["first_hearing_date"] = pd.to_datetime(frame["first_hearing_date"])
    frame["charge_date"] = frame["first_hearing_date"] - pd.Timedelta(days=20)
    frame["completion_date"] = pd.NaT
    if extra_completion:
        frame.loc[0, "completion_date"] = pd.Timestamp(extra_completion)
    frame["journey_id"] = [f"j{i}" for i in range(len(frame))]
    frame["start_date"] = frame["charge_date"]
    write_journeys(ws, frame, TRUTH)


def test_series_run_from_the_data_start_to_the_data_end_with_zeros(ws) -> None:
    rows = [("Surrey", "Crown", "2021-01-06"), ("Kent", "Crown", "2021-03-03")]
    rows += [("Kent", "Crown", "2021-06-02"), ("Surrey", "Crown", "2021-09-01")]
    # The data ends on Wednesday 3 November 2021 (a completion): the last whole week is 25 Oct.
    _journeys(ws, rows, extra_completion="2021-11-03")
    assert data_span(ws, TRUTH) == (date(2021, 1, 6), date(2021, 11, 3))
    kent = demand_series(ws, TRUTH, "week", ["Kent"], ["Crown"])
    assert kent["period"].iloc[0] == pd.Timestamp("2021-01-04")  # the data's start, not Kent's
    assert kent["period"].iloc[-1] == pd.Timestamp("2021-10-25")
    assert kent["receipts"].sum() == 2 and kent["period"].diff().dropna().eq("7D").all()
    assert (kent.loc[kent["period"] > "2021-06-02", "receipts"] == 0).all()
    months = demand_series(ws, TRUTH, "month", ["Kent"], ["Crown"])
    assert months["period"].iloc[-1] == pd.Timestamp("2021-10-01")
    alone = demand_series(ws, TRUTH, "week", ["Kent"], ["Crown"])
    both = demand_series(ws, TRUTH, "week", None, ["Crown"])
    pd.testing.assert_frame_equal(alone, both[both["area"] == "Kent"].reset_index(drop=True))


def test_single_area_forecast_starts_at_the_data_end_and_matches_all_areas(ws) -> None:
    write_demand_journeys(ws, areas=("Kent", "Surrey"), weeks=170)
    end = data_span(ws, TRUTH)[1]
    settings = ForecastSettings(freq="week", horizon=2, folds=1, uncertainty_samples=50)
    [alone] = forecast_demand(ws, ["Kent"], ["magistrates"], settings, workers=1)
    assert alone.ok and alone.freq_reason is None
    first = pd.Timestamp(alone.forecast["period"].iloc[0])
    assert abs(first - pd.Timestamp(end)) <= pd.Timedelta(days=7)
    clear_cache(ws)
    every = forecast_demand(ws, None, ["magistrates"], settings, workers=2)
    [together] = [r for r in every if r.area == "Kent"]
    assert not together.cached
    pd.testing.assert_frame_equal(alone.history, together.history)
    assert together.mase == pytest.approx(alone.mase)
    assert together.coverage == alone.coverage and together.verdict == alone.verdict


def test_scenario_change_reaches_receipts_after_the_charge_to_hearing_lag(demand_ws) -> None:
    assert charge_to_hearing_days(demand_ws, TRUTH, ["Kent"], "Crown") == 20
    assert charge_to_hearing_days(demand_ws, TRUTH, ["Dorset"], "Crown") is None
    forecast = _flat_forecast([10.0] * 6)
    scenario = Scenario("plus50", "A", "Crown", "week", 6, 50.0, date(2030, 1, 7), 12.0)
    at_once = project(forecast, CourtState(date(2030, 1, 6), 5, 12), scenario)
    lagged = project(forecast, CourtState(date(2030, 1, 6), 5, 12, charge_lag_days=21), scenario)
    assert list(at_once["receipts"]) == [15.0] * 6
    assert list(lagged["receipts"]) == [10, 10, 10, 15, 15, 15]
    assert lagged["outstanding"].iloc[-1] < at_once["outstanding"].iloc[-1]
    months = pd.DataFrame(
        {"period": pd.to_datetime(["2030-01-01", "2030-02-01"]), "forecast": [31.0, 28.0]}
    ).assign(lower=lambda f: f["forecast"], upper=lambda f: f["forecast"])
    monthly = Scenario("m", "A", "Crown", "month", 2, 100.0, date(2030, 1, 1))
    part = project(months, CourtState(date(2029, 12, 31), 0, 100, charge_lag_days=21), monthly)
    assert list(part["receipts"]) == pytest.approx([31 + 10, 56])  # 10 of January's 31 days


def test_scenario_covers_every_selected_area(demand_ws) -> None:
    write_demand_journeys(demand_ws, areas=("Kent", "Surrey"), weeks=170)
    settings = ForecastSettings(freq="month", horizon=2, folds=1, uncertainty_samples=50)
    results = forecast_selection(demand_ws, ["Kent", "Surrey"], "Crown", settings)
    target, areas = scenario_forecast(demand_ws, results, ["Kent", "Surrey"], "Crown", settings)
    assert target.area == "Kent + Surrey" and areas == ["Kent", "Surrey"]
    combined = target.history["receipts"].sum()
    assert combined == sum(r.history["receipts"].sum() for r in results)
    one, only = scenario_forecast(demand_ws, results, ["Surrey"], "Crown", settings)
    assert one.area == "Surrey" and only == ["Surrey"]


# ------------------------------------------------------------------------------ stage lags
def _weekly_forecast(weeks: int, value: float = 10.0) -> pd.DataFrame:
    return _flat_forecast([value] * weeks)


def test_caseload_path_with_both_stage_lags_by_hand() -> None:
    # +50% charges from Monday 7 January; 7 days to first hearing, then exactly 14 days to
    # completion. Receipts rise from week 1; their completions from week 3; the caseload grows
    # by 5 a week for the two weeks the extra cases stay open, then holds (Little's law).
    forecast = _weekly_forecast(6)
    scenario = Scenario("plus50", "A", "Crown", "week", 6, 50.0, date(2030, 1, 7), 10.0)
    state = CourtState(date(2030, 1, 6), 20, 10, charge_lag_days=7)
    lagged = project(forecast, replace(state, completion_lag=LagDistribution.fixed(14)), scenario)
    assert list(lagged["receipts"]) == [10, 15, 15, 15, 15, 15]
    assert list(lagged["disposals"]) == [10, 10, 10, 15, 15, 15]
    assert list(lagged["outstanding"]) == [20, 25, 30, 30, 30, 30]
    # Without the completion lag the extra cases are never disposed of: the caseload grows by
    # 5 every week and is overstated by week 5 by half.
    never = project(forecast, state, scenario)
    assert list(never["outstanding"]) == [20, 25, 30, 35, 40, 45]
    # A spread of completion times: half complete at first hearing, half a week later.
    spread = LagDistribution((0, 7), (0.5, 0.5))
    split = project(forecast, replace(state, completion_lag=spread), scenario)
    assert list(split["disposals"]) == pytest.approx([10, 12.5, 15, 15, 15, 15])
    assert list(split["outstanding"]) == pytest.approx([20, 22.5, 22.5, 22.5, 22.5, 22.5])
    # A fall in charges: completions fall after both lags, the caseload shrinks and holds.
    fewer = replace(scenario, charge_change_pct=-50.0)
    down = project(forecast, replace(state, completion_lag=LagDistribution.fixed(14)), fewer)
    assert list(down["disposals"]) == [10, 10, 10, 5, 5, 5]
    assert list(down["outstanding"]) == [20, 15, 10, 10, 10, 10]


def test_lagged_completions_spread_a_month_over_its_days() -> None:
    months = pd.Series(pd.to_datetime(["2030-01-01", "2030-02-01", "2030-03-01"]))
    # 31 extra receipts in January (one a day), each completing 10 days later: 21 of them in
    # January, 10 in February.
    done = lagged_completions(np.array([31.0, 0, 0]), months, "month", LagDistribution.fixed(10))
    assert list(done) == pytest.approx([21, 10, 0])
    assert not lagged_completions(np.array([31.0, 0, 0]), months, "month", None).any()


def test_kaplan_meier_counts_open_cases_as_censored() -> None:
    # Five cases: completed after 1, 2 and 3 days; one open after 2 days, one after 5.
    days, probs = kaplan_meier(np.array([1, 2, 2, 3, 5]), np.array([1, 1, 0, 1, 0]))
    assert list(days) == [1, 2, 3]
    assert list(probs) == pytest.approx([0.2, 0.2, 0.3])  # survival 0.8, 0.6, 0.3
    lag = LagDistribution(tuple(days), tuple(probs))
    assert lag.median == 3 and lag.quantile(0.75) is None  # 30% never seen to complete


def _lag_journeys(ws, lags: dict[str, tuple[int, int]], per_day: int = 2) -> None:
    """Journeys a day apart per court type with fixed charge→hearing→completion days."""
    rows = []
    days = pd.date_range("2029-01-01", "2029-12-31", freq="D")
    for court, (to_hearing, to_completion) in lags.items():
        for day in days:
            for _ in range(per_day):
                done = day + pd.Timedelta(days=to_completion)
                rows.append(("Kent", court, day - pd.Timedelta(days=to_hearing), day, done))
    frame = pd.DataFrame(
        rows,
        columns=["lcjb_area", "court_type", "charge_date", "first_hearing_date", "completion_date"],
    )
    frame.loc[frame["completion_date"] > days[-1], "completion_date"] = pd.NaT
    frame["journey_id"] = [f"j{i}" for i in range(len(frame))]
    frame["start_date"] = frame["charge_date"]
    write_journeys(ws, frame, TRUTH)


def test_step_change_reaches_receipts_then_completions_per_court_type(ws) -> None:
    _lag_journeys(ws, {"magistrates": (7, 14), "Crown": (21, 56)})
    forecast = _weekly_forecast(16)
    moves = {}
    for court in ("magistrates", "Crown"):
        lags = stage_lags(ws, TRUTH, ["Kent"], court)
        state = lags.apply(CourtState(date(2030, 1, 6), 100, 10))
        step = Scenario("up", "Kent", court, "week", 16, 20.0, date(2030, 1, 7), 10.0)
        out = project(forecast, state, step).set_index("period")
        base = project(forecast, state, replace(step, charge_change_pct=0.0)).set_index("period")
        receipts = out.index[out["receipts"] > base["receipts"]][0]
        disposals = out.index[out["disposals"] > base["disposals"]][0]
        moves[court] = ((receipts - out.index[0]).days, (disposals - out.index[0]).days)
        assert f"{lags.charge_to_hearing:.0f} days later" in lags.sentences()[0]
    assert moves == {"magistrates": (7, 21), "Crown": (21, 77)}
    crown = stage_lags(ws, TRUTH, ["Kent"], "Crown")
    assert crown.charge_to_hearing == 21 and crown.hearing_to_completion.median == 56
    # Cases with a first hearing in the last 56 days are still open: censored, not dropped.
    assert crown.hearing_to_completion.still_open == 2 * 56
    notes = scenario_notes(crown.apply(CourtState(date(2030, 1, 6), 1, 1)), "Crown")
    assert "21 days" in notes[0] and "median 56 days" in notes[1]
    assert stage_lags(ws, TRUTH, ["Dorset"], "Crown").hearing_to_completion is None


def test_preset_bank_holidays_give_the_same_counts_without_the_holidays_package(
    monkeypatch,
) -> None:
    import holidays

    expected = {f: holiday_counts(2019, 2025, f).copy() for f in ("week", "month")}
    days = observed_holidays(2015, 2035)
    monkeypatch.setattr(holiday_calendar, "_HOLIDAY_PRESET", {})
    try:
        preset_holidays(2015, 2035, days)

        def refuse(*args, **kwargs):
            raise AssertionError("the holidays package was queried")

        monkeypatch.setattr(holidays, "country_holidays", refuse)
        for freq, counts in expected.items():
            pd.testing.assert_series_equal(holiday_counts(2019, 2025, freq), counts)
    finally:
        holiday_counts.cache_clear()
    assert _holiday_years([(seasonal_series(periods=30), MONTHLY, "A", "Crown", "x")]) == (
        2018,
        2024,
    )


def test_forecast_tables_mark_cells_that_do_not_apply() -> None:
    """History rows have no forecast and forecast rows no receipts: published as [z]."""
    import io

    import openpyxl

    from workbench.publish.export.meta import TableMeta
    from workbench.publish.export.spreadsheets import table_to_xlsx

    weeks = pd.date_range("2026-09-07", periods=4, freq="W-MON")
    frame = pd.DataFrame(
        {
            "area": "Kent",
            "court_type": "Crown",
            "period": weeks,
            "kind": ["history", "history", "forecast", "forecast"],
            "receipts": [12.0, 15.0, np.nan, np.nan],
            "excluded": [False, False, np.nan, np.nan],
            "forecast": [np.nan, np.nan, 13.5, 14.0],
            "lower": [np.nan, np.nan, 9.0, 9.5],
            "upper": [np.nan, np.nan, 18.0, 18.5],
            "baseline": [np.nan, np.nan, 12.0, 15.0],
        }
    )
    cells = not_applicable_cells(frame)
    assert (0, "forecast") in cells and (3, "receipts") in cells and (0, "receipts") not in cells
    meta = TableMeta("Court receipts, Kent (Crown)", not_applicable=cells)
    sheet = openpyxl.load_workbook(io.BytesIO(table_to_xlsx(frame, meta, None))).worksheets[-1]
    header = [c.value for c in next(sheet.iter_rows(min_row=4, max_row=4))]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=8)]
    column = {name: header.index(name) for name in ("Forecast", "Receipts", "Baseline")}
    assert [r[column["Forecast"]] for r in rows] == ["[z]", "[z]", 13.5, 14.0]
    assert [r[column["Baseline"]] for r in rows][:2] == ["[z]", "[z]"]
    assert [r[column["Receipts"]] for r in rows] == [12, 15, "[z]", "[z]"]
