"""Charts are readable by everyone: colours with enough contrast against white, compared series
told apart by line style as well as colour, alt text written from the data, and long subtitles
wrapped so the plot keeps its width."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from linkage.charts import cluster_size_chart, match_weight_histogram
from workbench.analysis.charts import (
    caseload_chart,
    distribution_chart,
    funnel_chart,
    reasons_chart,
    small_multiples,
    trend_chart,
)
from workbench.charts import accessible_palette, contrast_ratio, wrap_lines
from workbench.data.explore import period_chart
from workbench.forecast.charts import forecast_chart, scenario_chart
from workbench.forecast.model.series import ForecastSettings, SeriesForecast
from workbench.publish.export.alt_text import describe_chart
from workbench.publish.export.chart_files import EXPORT_WIDTH, chart_to_png
from workbench.publish.export.meta import ChartMeta

MONTHS = pd.date_range("2024-01-01", periods=6, freq="MS")
NAMED = {"white": "#ffffff", "black": "#000000"}


# ------------------------------------------------------------------------------ chart data
def funnel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": [1, 2, 3, 4],
            "label": ["Recorded", "Suspect identified", "Charged", "Convicted"],
            "cases": [12000, 5400, np.nan, 700],
            "rate_of_recorded": [1.0, 0.45, np.nan, 0.0583],
        }
    )


def reasons() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reason": ["Victim does not support action", "Evidential difficulties", "Other"],
            "left_at": ["Investigation"] * 3,
            "cases": [2300, 1450, np.nan],
            "share_of_recorded": [0.192, 0.121, np.nan],
            "victim_not_support": [True, False, False],
        }
    )


def distribution() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin_start": [0, 30, 60, 90],
            "bin_end": [30, 60, 90, np.nan],
            "cases": [120, 340, 95, 40],
            "share": [0.2, 0.57, 0.16, 0.07],
        }
    )


def caseload() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age_band": ["Under 6 months", "6 to 12 months", "Over a year"],
            "band_order": [1, 2, 3],
            "cases": [1520, np.nan, 310],
        }
    )


def trend() -> pd.DataFrame:
    kent = [0.061, 0.064, 0.058, np.nan, 0.066, 0.071]
    national = [0.052, 0.055, 0.054, 0.056, 0.057, 0.058]
    return pd.DataFrame(
        {
            "series": ["Kent"] * 6 + ["National"] * 6,
            "period": list(MONTHS) * 2,
            "value": kent + national,
            "low": [v - 0.01 for v in kent + national],
            "high": [v + 0.01 for v in kent + national],
            "base": [900] * 12,
            "status": ["complete"] * 5 + ["provisional"] + ["complete"] * 6,
        }
    )


def dashboard() -> pd.DataFrame:
    rows = []
    for series, shift in (("Kent", 0.0), ("National", 0.01)):
        for measure, unit_values in (
            ("charge_rate", [0.06, 0.07, 0.065]),
            ("days_to_charge", [40.0, 42.0, 45.0]),
        ):
            for period, value in zip(MONTHS[:3], unit_values, strict=True):
                rows.append(
                    {
                        "series": series,
                        "label": measure.replace("_", " ").capitalize(),
                        "measure": measure,
                        "period": period,
                        "value": value + shift,
                    }
                )
    return pd.DataFrame(rows)


def forecast_result() -> SeriesForecast:
    history = pd.DataFrame(
        {
            "period": pd.date_range("2023-01-01", periods=12, freq="MS"),
            "receipts": [1200, 1250, 1190, 1300, 1280, 1350, 1330, 1400, 1380, 1420, 1450, 1500],
            "excluded": False,
        }
    )
    periods = pd.date_range("2024-01-01", periods=3, freq="MS")
    fc = pd.DataFrame(
        {
            "period": periods,
            "forecast": [1520.0, 1540.0, 1565.0],
            "lower": [1400.0, 1390.0, 1380.0],
            "upper": [1640.0, 1690.0, 1750.0],
            "baseline": [1200.0, 1250.0, 1190.0],
        }
    )
    result = SeriesForecast(
        "Kent",
        "Crown",
        ForecastSettings(freq="month", horizon=3),
        history,
        forecast=fc,
        mase=0.8,
        baseline_mase=1.0,
        folds=2,
    )
    result.coverage = 0.8
    return result


def projection() -> pd.DataFrame:
    periods = pd.date_range("2024-01-01", periods=4, freq="MS")
    frames = []
    for name, step in (("Baseline", 10.0), ("Charges up 10%", 25.0)):
        out = 5000 + step * np.arange(4)
        frames.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "period": periods,
                    "receipts": 1500.0,
                    "receipts_lower": 1400.0,
                    "receipts_upper": 1600.0,
                    "disposals": 1490.0,
                    "outstanding": out,
                    "outstanding_lower": out - 100,
                    "outstanding_upper": out + 100,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def record_counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": list(MONTHS) * 2,
            "group": ["Police"] * 6 + ["Courts"] * 6,
            "records": [30, 40, 35, 50, 45, 60, 20, 25, 22, 28, 30, 33],
        }
    )


BUILDERS: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "funnel": lambda: funnel_chart(funnel(), "Attrition", "Cases recorded in 2024"),
    "reasons": lambda: reasons_chart(reasons(), "Why cases leave", "Share of recorded"),
    "distribution": lambda: distribution_chart(distribution(), 41.0, "Days", "Charge to court"),
    "caseload": lambda: caseload_chart(caseload(), "Open cases", "By age"),
    "trend": lambda: trend_chart(trend(), "Charge rate", "Monthly", "rate", "Charge rate"),
    "small_multiples": lambda: small_multiples(
        dashboard(),
        "Dashboard",
        "Monthly",
        {"charge_rate": "rate", "days_to_charge": "days"},
    ),
    "forecast": lambda: forecast_chart(forecast_result()),
    "scenario": lambda: scenario_chart(projection(), "Outstanding caseload"),
    "explore": lambda: period_chart(record_counts(), "Records", "month"),
    "match_weights": lambda: match_weight_histogram(
        pd.DataFrame({"match_weight": np.linspace(-10, 20, 50)})
    ),
    "cluster_sizes": lambda: cluster_size_chart(
        pd.DataFrame({"cluster_size": [1, 2, 3], "n_clusters": [500, 120, 8]})
    ),
}


# ------------------------------------------------------------------------------ colours
def _hex(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = NAMED.get(value.lower(), value)
    return value if re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", value) else None


def _mark(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    mark = spec.get("mark", {})
    return (mark.get("type", ""), mark) if isinstance(mark, dict) else (str(mark), {})


def _channel_colours(channel: dict[str, Any]) -> Iterator[str]:
    for part in [channel, channel.get("condition", {})]:
        parts = part if isinstance(part, list) else [part]
        for item in parts:
            if isinstance(item, dict) and "value" in item:
                yield item["value"]
    scale = channel.get("scale") or {}
    yield from scale.get("range") or []


def colours_used(spec: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Every (colour, mark type, where) in a Vega-Lite spec and all its layers and facets."""
    mark, props = _mark(spec)
    for key in ("color", "fill", "stroke"):
        if key in props:
            yield props[key], mark, f"mark {key}"
    for key in ("color", "fill", "stroke"):
        channel = spec.get("encoding", {}).get(key)
        if isinstance(channel, dict):
            for colour in _channel_colours(channel):
                yield colour, mark, f"encoding {key}"
    for child in [*spec.get("layer", []), *spec.get("concat", []), *spec.get("vconcat", [])]:
        yield from colours_used(child)
    if isinstance(spec.get("spec"), dict):
        yield from colours_used(spec["spec"])


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_colour_meets_the_contrast_minimum(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    found = list(colours_used(spec))
    for colour, mark, where in found:
        if colour is None:
            continue  # no stroke
        code = _hex(colour)
        assert code, f"{name}: {where} colour {colour!r} is not a known colour"
        need = 4.5 if mark == "text" else 3.0
        ratio = contrast_ratio(code)
        assert ratio >= need, f"{name}: {where} {colour} has {ratio:.2f}:1 on white"


def test_palette_is_the_analysis_function_palette_and_every_colour_passes() -> None:
    palette = accessible_palette()
    assert palette[:4] == ["#12436D", "#28A197", "#801650", "#F46A25"]
    assert min(contrast_ratio(c) for c in palette) >= 3.0
    for old in ("#E69F00", "#56B4E9", "#9aa5ad"):
        assert contrast_ratio(old) < 3.0
        assert old not in palette


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)


def _dash_and_colour_split(spec: dict[str, Any], field: str) -> list[dict[str, Any]]:
    layers = spec.get("layer", [spec])
    return [
        layer
        for layer in layers
        if _mark(layer)[0] == "line"
        and layer.get("encoding", {}).get("strokeDash", {}).get("field") == field
        and layer.get("encoding", {}).get("color", {}).get("field") == field
    ]


@pytest.mark.parametrize(("name", "field"), [("forecast", "series"), ("scenario", "scenario")])
def test_compared_series_differ_by_dash_in_the_legend(name: str, field: str) -> None:
    spec = BUILDERS[name]().to_dict()
    lines = _dash_and_colour_split(spec, field)
    assert lines, f"{name}: no line told apart by dash and colour"
    enc = lines[0]["encoding"]
    dashes = enc["strokeDash"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == len(dashes)  # each series its own dash
    assert enc["strokeDash"].get("legend") is not None  # shown in the (merged) legend
    assert enc["strokeDash"]["legend"] == enc["color"]["legend"]


def test_area_and_national_differ_by_dash() -> None:
    spec = BUILDERS["trend"]().to_dict()
    dash = spec["layer"][1]["encoding"]["strokeDash"]["scale"]
    assert dash["domain"][-1] == "National" and dash["range"][-1] != dash["range"][0]
    inner = BUILDERS["small_multiples"]().to_dict()["spec"]["layer"][1]["encoding"]
    assert inner["strokeDash"]["legend"] == inner["color"]["legend"]


def test_reasons_highlight_differs_by_outline_as_well_as_colour() -> None:
    enc = BUILDERS["reasons"]().to_dict()["layer"][0]["encoding"]
    assert enc["strokeDash"]["condition"]["value"] != enc["strokeDash"]["value"]


# ------------------------------------------------------------------------------ subtitles
def test_long_subtitles_are_wrapped_into_short_lines() -> None:
    text = "word " * 60
    lines = wrap_lines([text.strip(), "Source: short"])
    assert len(lines) > 2 and all(len(line) <= 80 for line in lines)
    assert lines[-1] == "Source: short"


def test_png_with_a_long_subtitle_keeps_the_chart_width() -> None:
    chart = BUILDERS["trend"]()
    subtitle = (
        "Share of recorded offences that resulted in a charge or summons, Kent compared with "
        "England and Wales, by month of recording, with 95% confidence intervals shown as "
        "shaded bands and provisional months drawn as hollow points because cases are open"
    )
    meta = ChartMeta("Charge rate in Kent", subtitle=subtitle, notes=(subtitle,))
    scale = 2.0
    image = Image.open(io.BytesIO(chart_to_png(chart, meta, scale=scale)))
    assert image.size[0] < 1.3 * EXPORT_WIDTH * scale


# ------------------------------------------------------------------------------ alt text
@pytest.mark.parametrize("name", list(BUILDERS))
def test_alt_text_never_uses_placeholders_or_raw_fields(name: str) -> None:
    text = describe_chart(BUILDERS[name](), "Title")
    assert "Chart chart" not in text and " of y by x" not in text
    for raw in ("reason_label", "rate_of_recorded", "bin_start", "_v", "None"):
        assert raw not in text


def test_rate_trend_alt_text_gives_percentages_extremes_latest_and_hidden() -> None:
    data = trend()
    text = describe_chart(BUILDERS["trend"](), "Charge rate")
    kent = data[data["series"] == "Kent"]
    assert f"{kent['value'].max() * 100:.1f}%" == "7.1%" and "7.1% (Kent, June 2024)" in text
    low = data["value"].min()
    assert f"{low * 100:.1f}% (National, January 2024), the lowest" in text
    assert "Latest Kent: 7.1% in June 2024, up 0.5 percentage points from 6.6%" in text
    assert "hidden" in text and "Kent, April 2024" in text
    assert "0.0 to 0.1" not in text and " 0%" not in text


def test_count_alt_text_has_thousands_separators_and_hidden_not_zero() -> None:
    text = describe_chart(BUILDERS["funnel"](), "Attrition")
    assert "12,000 (Recorded), the highest" in text and "700 (Convicted), the lowest" in text
    assert "hidden" in text and "Charged" in text
    reasons_text = describe_chart(BUILDERS["reasons"](), "Why")
    assert "2,300 (Victim does not support action), the highest" in reasons_text
    assert "(highlighted)" not in reasons_text


def test_forecast_alt_text_quotes_the_forecast_and_the_interval_as_a_range() -> None:
    result = forecast_result()
    text = describe_chart(forecast_chart(result), "Receipts")
    last = result.forecast.iloc[-1]
    assert f"Latest Forecast: {last['forecast']:,.0f} in March 2024" in text
    assert f"runs from {last['lower']:,.0f} to {last['upper']:,.0f}" in text
    assert f"Forecast: {last['lower']:,.0f}" not in text
    assert "Latest Actual receipts: 1,500 in December 2023, up 50 from 1,450" in text


def test_histogram_alt_text_names_bands() -> None:
    text = describe_chart(BUILDERS["distribution"](), "Days")
    assert "340 (30–60 days), the highest" in text and "40 (90+ days), the lowest" in text


# ------------------------------------------------------------------------------ every chart shown
RAW_NAMES = ("reason_label", "rate_of_recorded", "label_for_charts", "log2_bayes_factor", "_v")


def _plain_text(text: str) -> None:
    assert "Chart chart" not in text and "Chart of " not in text and " by x" not in text, text
    assert not any(raw in text for raw in RAW_NAMES), text
    assert "None" not in text and "nan" not in text.lower().split(), text


def test_story_chart_alt_text_matches_its_data(tmp_path) -> None:
    from tests.story_fixtures import demo_story, small_workspace
    from workbench.access.auth import local_user
    from workbench.publish.stories.render import render_block
    from workbench.workspace import Workspace

    with Workspace(small_workspace(tmp_path)) as ws:
        blocks = [b for b in demo_story().blocks if b.kind == "chart"]
        rendered = [render_block(ws, local_user(), b) for b in blocks]
    receipts, funnel_block = rendered
    text = describe_chart(receipts.chart, receipts.meta.title)
    _plain_text(text)
    data = receipts.chart.layer[0].data if hasattr(receipts.chart, "layer") else receipts.chart.data
    data = data.dropna(subset=["receipts"]).sort_values("period")
    last, before = data.iloc[-1], data.iloc[-2]
    month = f"{last['period']:%B %Y}"
    assert f"Latest: {last['receipts']:,.0f} in {month}" in text  # a month, not "1 June 2024"
    change = last["receipts"] - before["receipts"]
    assert f"up {change:,.0f} from {before['receipts']:,.0f} in {before['period']:%B %Y}" in text
    assert f"Month runs from {data['period'].min():%B %Y} to {month}" in text
    text = describe_chart(funnel_block.chart, funnel_block.meta.title)
    _plain_text(text)
    frame = funnel_block.chart.data if hasattr(funnel_block.chart, "data") else None
    if not isinstance(frame, pd.DataFrame):
        frame = funnel_block.chart.layer[0].data
    top = frame.loc[frame["cases"].idxmax()]
    assert f"{top['cases']:,.0f} ({top['label']}), the highest" in text


def test_profile_chart_alt_text_gives_percentages(tmp_path) -> None:
    from tests.story_fixtures import small_workspace
    from workbench.data.profile import completeness_chart, refresh_profile
    from workbench.workspace import Workspace

    with Workspace(small_workspace(tmp_path)) as ws:
        profile = refresh_profile(ws, "events")
    text = describe_chart(completeness_chart(profile))
    _plain_text(text)
    assert "by column" not in text and "per band" not in text  # field names, not words
    assert "100.0%" in text and " 100 (" not in text
    assert all(c.name in text for c in profile.columns)


def test_lesson_and_linkage_chart_alt_text() -> None:
    from linkage.lesson.pieces import Scores, scores_chart
    from linkage.quality.evaluate import threshold_chart

    chart = scores_chart(
        [
            ("Exact match", Scores(0.998, 0.812, 0.895, 1, 1, 1)),
            ("Model", Scores(0.97, 0.95, 0.96, 1, 1, 1)),
        ],
        "Exact matching misses true matches",
        "Precision, recall and F1",
    )
    text = describe_chart(chart, "Scores")
    _plain_text(text)
    assert "0.812 (Recall, Exact match), the lowest" in text
    assert "0.998 (Precision, Exact match), the highest" in text
    assert "by setting" not in text
    metrics = pd.DataFrame(
        {"threshold": [0.5, 0.7, 0.9], "precision": [0.91, 0.95, 0.99], "recall": [0.97, 0.96, 0.9]}
    ).assign(f1=[0.939, 0.955, 0.943])
    text = describe_chart(threshold_chart(metrics, 0.7), "Threshold")
    _plain_text(text)
    assert "0.900 (recall, Match probability threshold 0.9), the lowest" in text
    assert "0.990 (precision, Match probability threshold 0.9), the highest" in text


def _splink_spec(x_fields: list[str], concat: str) -> dict[str, Any]:
    """A model chart as Splink builds it: its levels inlined as a named dataset."""
    rows = [
        {
            "comparison_name": "probability_two_random_records_match",
            "label_for_charts": "",
            "log2_bayes_factor": -9.2,
            "m_probability": None,
            "u_probability": None,
        },
        {
            "comparison_name": "dob",
            "label_for_charts": "Exact match on date of birth",
            "log2_bayes_factor": 8.4,
            "m_probability": 0.974,
            "u_probability": 0.003,
        },
        {
            "comparison_name": "dob",
            "label_for_charts": "All other comparisons",
            "log2_bayes_factor": -12.3,
            "m_probability": 0.001,
            "u_probability": 0.96,
        },
        {
            "comparison_name": "surname",
            "label_for_charts": "Exact match on surname",
            "log2_bayes_factor": 7.1,
            "m_probability": 0.9,
            "u_probability": 0.007,
        },
    ]
    children = [
        {
            "mark": "bar",
            "encoding": {
                "x": {"field": f, "type": "quantitative"},
                "y": {"field": "label_for_charts", "type": "nominal"},
            },
        }
        for f in x_fields
    ]
    return {"data": {"name": "levels"}, "datasets": {"levels": rows}, concat: children}


def test_splink_model_chart_alt_text_names_levels() -> None:
    weights = alt.VConcatChart.from_dict(
        _splink_spec(["log2_bayes_factor", "log2_bayes_factor"], "vconcat"), validate=False
    )
    text = describe_chart(weights, "Match weights")
    _plain_text(text)
    assert "3 comparison levels" in text and "(dob, surname)" in text
    assert "The prior match weight is -9.2." in text
    assert "from -12.3 (dob: All other comparisons) to 8.4 (dob: Exact match" in text
    m_u = alt.HConcatChart.from_dict(
        _splink_spec(["m_probability", "u_probability"], "hconcat"), validate=False
    )
    text = describe_chart(m_u, "m and u")
    _plain_text(text)
    assert "highest m probability is 0.974 (dob: Exact match on date of birth)" in text
    assert "highest u probability is 0.960 (dob: All other comparisons)" in text
