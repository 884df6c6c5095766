"""Charts of the measures: title, subtitle and source in the spec; the data as expected."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workbench.analysis import charts as mc
from workbench.charts import SOURCE_NOTE
from workbench.reference import VICTIM_NOT_SUPPORT


def spec_of(chart) -> dict:
    return chart.to_dict()


def datasets(spec: dict) -> list[list[dict]]:
    return list(spec.get("datasets", {}).values())


def assert_titled(spec: dict, title: str) -> None:
    assert spec["title"]["text"] == title
    assert SOURCE_NOTE in spec["title"]["subtitle"]
    assert len(spec["title"]["subtitle"]) == 2


@pytest.fixture
def funnel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": [1, 2, 3],
            "stage": ["recorded", "suspect_identified", "charged"],
            "label": ["Crime recorded", "Suspect identified", "Charged or summonsed"],
            "cases": pd.array([200, 120, pd.NA], dtype="Int64"),
            "rate_of_previous": [None, 0.6, None],
            "rate_of_recorded": [1.0, 0.6, None],
        }
    )


def test_funnel_labels_counts_rates_and_suppression(funnel: pd.DataFrame) -> None:
    spec = spec_of(mc.funnel_chart(funnel, "Funnel", "Sub"))
    assert_titled(spec, "Funnel")
    rows = datasets(spec)[0]
    texts = {r["label"]: r["text"] for r in rows}
    assert texts == {
        "Crime recorded": "200  (100.0% of recorded)",
        "Suspect identified": "120  (60.0% of recorded)",
        "Charged or summonsed": "suppressed",
    }
    assert spec["layer"][0]["mark"]["type"] == "bar"


def test_reasons_mark_victim_line_by_label_and_outline() -> None:
    reasons = pd.DataFrame(
        {
            "left_at": ["before charge"] * 3,
            "reason": ["no suspect", VICTIM_NOT_SUPPORT, "diversionary"],
            "cases": [50, 30, 12],
            "share_of_recorded": [0.5, 0.3, 0.12],
            "victim_not_support": [False, True, False],
        }
    )
    chart = mc.reasons_chart(reasons, "Reasons", "Sub")
    spec = spec_of(chart)
    assert_titled(spec, "Reasons")
    rows = datasets(spec)[0]
    marked = [r for r in rows if r["victim_not_support"]]
    shown = VICTIM_NOT_SUPPORT[:1].upper() + VICTIM_NOT_SUPPORT[1:]
    assert [r["reason_label"] for r in marked] == [f"{shown} (highlighted)"]
    assert rows[0]["reason_label"] == "No suspect"  # labels begin with a capital
    assert [r["reason"] for r in rows] == ["no suspect", VICTIM_NOT_SUPPORT, "diversionary"]
    bar = spec["layer"][0]["encoding"]
    assert "strokeDash" in bar and "stroke" in bar  # a pattern as well as a colour


def test_distribution_has_median_rule_and_label() -> None:
    dist = pd.DataFrame(
        {
            "bin_start": [0, 30, 60],
            "bin_end": [30, 60, None],
            "cases": [10, 20, 5],
            "share": [10 / 35, 20 / 35, 5 / 35],
        }
    )
    spec = spec_of(mc.distribution_chart(dist, 42.0, "Days", "Sub"))
    assert_titled(spec, "Days")
    assert any(layer["mark"]["type"] == "rule" for layer in spec["layer"])
    assert "median 42 days" in json.dumps(spec)
    no_rule = spec_of(mc.distribution_chart(dist, None, "Days", "Sub"))
    assert not any(layer["mark"]["type"] == "rule" for layer in no_rule["layer"])


def test_trend_has_dashed_national_and_direct_labels() -> None:
    periods = pd.to_datetime(["2024-01-01", "2025-01-01"])
    series = pd.DataFrame(
        {
            "series": ["Kent", "Kent", "National", "National"],
            "period": list(periods) * 2,
            "value": [0.07, 0.08, 0.06, 0.065],
        }
    )
    spec = spec_of(mc.trend_chart(series, "Trend", "Sub", "rate", "Charge rate"))
    assert_titled(spec, "Trend")
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    dash = line["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["Kent", "National"]
    assert dash["range"][1] == [6, 4] and dash["range"][0] == [1, 0]
    labelled = [r["text"] for d in datasets(spec) for r in d if "text" in r]
    assert sorted(labelled) == ["Kent", "National"]


def test_caseload_orders_bands_and_labels_suppressed() -> None:
    load = pd.DataFrame(
        {
            "age_band": ["3 to 6 months", "under 3 months"],
            "band_order": [2, 1],
            "cases": pd.array([pd.NA, 40], dtype="Int64"),
            "mean_age_days": [None, 30.0],
        }
    )
    spec = spec_of(mc.caseload_chart(load, "Open", "Sub"))
    assert_titled(spec, "Open")
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["under 3 months", "3 to 6 months"]
    assert {r["age_band"]: r["text"] for r in datasets(spec)[0]} == {
        "3 to 6 months": "suppressed",
        "under 3 months": "40",
    }


def test_small_multiples_facet_by_measure_with_percentages() -> None:
    series = pd.DataFrame(
        {
            "series": ["Kent", "National", "Kent"],
            "label": ["Charge rate", "Charge rate", "Median days"],
            "measure": ["charge_rate", "charge_rate", "median_offence_to_completion"],
            "period": pd.to_datetime(["2025-01-01"] * 3),
            "value": [0.071, 0.074, 182.0],
        }
    )
    units = {"charge_rate": "rate", "median_offence_to_completion": "days"}
    spec = spec_of(mc.small_multiples(series, "Kent", "Sub", units))
    assert_titled(spec, "Kent")
    assert spec["facet"]["field"] == "label"
    assert spec["resolve"]["scale"]["y"] == "independent"
    rows = {(r["series"], r["label"]): r["value"] for r in datasets(spec)[0]}
    assert rows[("Kent", "Charge rate (%)")] == pytest.approx(7.1)
    assert rows[("Kent", "Median days")] == 182.0


def _trend_series() -> pd.DataFrame:
    periods = pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"])
    return pd.DataFrame(
        {
            "series": ["Kent"] * 3 + ["National"] * 3,
            "period": list(periods) * 2,
            "value": [0.70, 0.72, 0.74, 0.71, 0.73, 0.75],
            "low": [0.60, 0.62, 0.64, 0.69, 0.71, 0.73],
            "high": [0.80, 0.82, 0.84, 0.73, 0.75, 0.77],
            "base": [80, 90, 85, 3000, 3100, 2900],
            "numerator": [56, 65, 63, 2130, 2263, 2175],
            "status": ["complete", "complete", "provisional"] * 2,
        }
    )


def _y_scales(spec: dict) -> list[dict]:
    layers = spec.get("layer") or spec["spec"]["layer"]
    return [layer["encoding"]["y"].get("scale", {}) for layer in layers if "y" in layer["encoding"]]


def test_rate_axis_starts_at_zero() -> None:
    # values between 70% and 77%: without a zero baseline the axis would start near 60%
    spec = spec_of(mc.trend_chart(_trend_series(), "Trend", "Sub", "rate", "Rate"))
    scales = [s for s in _y_scales(spec) if s]
    assert scales and all(s.get("zero") is True and s.get("domainMin") == 0 for s in scales)
    units = {"charge_rate": "rate"}
    frame = _trend_series().assign(label="Charge rate", measure="charge_rate")
    small = spec_of(mc.small_multiples(frame, "Kent", "Sub", units))
    value_scales = [
        layer["encoding"]["y"]["scale"]
        for layer in small["spec"]["layer"]
        if layer["encoding"]["y"]["field"] == "value"
    ]
    assert value_scales and all(s["zero"] is True and s["domainMin"] == 0 for s in value_scales)


def test_trend_draws_interval_band_and_hollow_provisional_points() -> None:
    spec = spec_of(mc.trend_chart(_trend_series(), "Trend", "Sub", "rate", "Rate"))
    band = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "area")
    assert band["encoding"]["y"]["field"] == "low" and band["encoding"]["y2"]["field"] == "high"
    points = [layer for layer in spec["layer"] if layer["mark"]["type"] == "point"]
    hollow = [p for p in points if p["mark"].get("filled") is False]
    assert len(hollow) == 1  # provisional periods are drawn hollow
    shape = hollow[0]["encoding"]["shape"]
    assert shape["scale"]["domain"] == ["provisional: cases still open"]
    assert shape["legend"] is not None  # and named in the legend
    assert "datum.state != 'complete'" in json.dumps(hollow[0]["transform"])
    rows = [r for d in datasets(spec) for r in d if r.get("state")]
    assert {r["state"] for r in rows if r["period"].startswith("2024-07")} == {
        "provisional: cases still open"
    }
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    titles = {t["title"] for t in line["encoding"]["tooltip"]}
    assert {"Cases", "Counted", "95% interval from", "95% interval to"} <= titles


def test_reasons_chart_gives_every_bar_room_and_its_end_label_space() -> None:
    import vl_convert as vlc

    names = [f"reason number {i} with a rather long description of why" for i in range(12)]
    reasons = pd.DataFrame(
        {
            "left_at": "before charge",
            "reason": [*names[:-1], VICTIM_NOT_SUPPORT],
            "cases": [4000 - 300 * i for i in range(12)],
            "share_of_recorded": [0.3 - 0.02 * i for i in range(12)],
            "victim_not_support": [False] * 11 + [True],
        }
    )
    spec = spec_of(mc.reasons_chart(reasons, "Reasons", "Sub"))
    assert spec["height"] >= 12 * 22  # every bar a label's height or more
    axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelLimit"] >= 400
    # long names are drawn on two lines, the highlighted one included, not cut
    assert (
        f"{VICTIM_NOT_SUPPORT[:1].upper()}{VICTIM_NOT_SUPPORT[1:]} (highlighted)"
        in axis["labelExpr"]
    )
    # the value axis runs past the longest bar, so "4,000 (30.0%)" is not cut at the right
    domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert domain[1] >= 4000 * 1.3
    spec["width"] = 500
    png = vlc.vegalite_to_png(spec, scale=1)
    height = int.from_bytes(png[20:24], "big")
    assert height >= 12 * 22


def test_wrap_label_keeps_every_word() -> None:
    from workbench.charts import label_lines_expr, wrap_label

    lines = wrap_label(VICTIM_NOT_SUPPORT, 40)
    assert len(lines) == 2 and all(len(x) <= 40 for x in lines)
    assert " ".join(lines) == VICTIM_NOT_SUPPORT
    assert label_lines_expr({"short": ["short"]}) == "datum.label"
