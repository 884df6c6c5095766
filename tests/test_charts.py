"""Chart conventions: time axes tick on whole periods and are labelled to match."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from workbench.charts import period_axis, top_spec
from workbench.data.explore import period_chart


@pytest.mark.parametrize(
    ("period", "label", "interval"),
    [("month", "%b %Y", "month"), ("quarter", "%b %Y", "month"), ("year", "%Y", "year")],
)
def test_period_axis_ticks_on_whole_periods(period: str, label: str, interval: str) -> None:
    axis = period_axis(period).to_dict()
    assert axis["format"] == label
    assert axis["tickCount"] == {"interval": interval, "step": 1}


def test_explore_chart_uses_the_period_axis() -> None:
    counts = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=5, freq="MS"),
            "group": "All records",
            "records": [3, 4, 5, 6, 7],
        }
    )
    spec = period_chart(counts, "Records", "month").to_dict()
    assert spec["encoding"]["x"]["axis"]["format"] == "%b %Y"


def test_time_axes_carry_the_year_whatever_the_span() -> None:
    import pandas as pd

    from workbench.charts import span_axis

    def fmt(start: str, end: str, freq: str) -> tuple[str, dict]:
        axis = span_axis(pd.date_range(start, end, freq=freq)).to_dict()
        return axis["format"], axis["tickCount"]

    assert fmt("2019-01-07", "2026-10-26", "W-MON") == ("%Y", {"interval": "year", "step": 1})
    assert fmt("2023-01-01", "2026-01-01", "MS")[0] == "%b %Y"
    assert fmt("2025-01-01", "2025-10-01", "MS") == ("%b %Y", {"interval": "month", "step": 1})
    assert fmt("2026-08-03", "2026-10-26", "W-MON")[0] == "%-d %b %Y"


def test_forecast_and_trend_charts_label_years() -> None:
    import pandas as pd

    from workbench.forecast.charts import scenario_chart

    periods = pd.date_range("2026-11-02", periods=13, freq="W-MON")
    projection = pd.DataFrame(
        {
            "scenario": "baseline",
            "period": periods,
            "receipts": 10.0,
            "receipts_lower": 8.0,
            "receipts_upper": 12.0,
            "disposals": 9.0,
            "outstanding": range(13),
            "outstanding_lower": range(13),
            "outstanding_upper": range(13),
        }
    )
    spec = scenario_chart(projection, "Outstanding").to_dict()
    formats = {
        layer["encoding"]["x"]["axis"]["format"]
        for layer in spec["layer"]
        if "x" in layer.get("encoding", {})
    } or {spec["encoding"]["x"]["axis"]["format"]}
    assert formats and all("%Y" in f for f in formats)


def test_a_wrapped_subtitle_reaches_the_export_whole() -> None:
    import altair as alt
    import pandas as pd

    from workbench.charts import titled
    from workbench.publish.export.meta import meta_from_chart

    subtitle = "First hearings a month; forecast with 80% interval; " * 4
    chart = titled(
        alt.Chart(pd.DataFrame({"x": [1], "y": [2]})).mark_point().encode(x="x", y="y"),
        "Court receipts",
        subtitle.strip(),
        "Source: police, CPS and court systems",
    )
    assert len(chart.to_dict()["title"]["subtitle"]) > 2  # drawn wrapped
    meta = meta_from_chart(chart)
    assert meta.subtitle == subtitle.strip()
    assert meta.source == "Source: police, CPS and court systems"


def test_cluster_sizes_are_banded_and_every_band_labelled() -> None:
    from linkage.charts import cluster_size_bands, cluster_size_chart

    sizes = pd.DataFrame(
        {"cluster_size": [1, 2, 3, 5, 7, 60], "n_clusters": [40000, 5000, 800, 9, 5, 1]}
    )
    bands = cluster_size_bands(sizes)
    assert bands["band"].tolist() == ["1", "2", "3–5", "6–10", "11–50", ">50"]
    assert bands["n_clusters"].tolist() == [40000, 5000, 809, 5, 0, 1]
    spec = cluster_size_chart(sizes).to_dict()
    assert any(layer["mark"]["type"] == "text" for layer in spec["layer"])
    ticks = spec["layer"][0]["encoding"]["y"]["axis"]["values"]
    assert len(ticks) >= 5 and {1, 10, 100, 1000} <= set(ticks)


def test_splink_level_rows_and_names_get_room() -> None:
    from linkage.charts import LEVEL_LABEL_LIMIT, LEVEL_STEP, _give_room

    spec = {
        "vconcat": [
            {
                "height": {"step": 12},
                "encoding": {
                    "y": {
                        "field": "label_for_charts",
                        "type": "nominal",
                        "axis": {"labelLimit": 270, "maxExtent": 300},
                    }
                },
            }
        ]
    }
    _give_room(spec)
    inner = spec["vconcat"][0]
    assert inner["height"] == {"step": LEVEL_STEP} and LEVEL_STEP >= 18
    assert inner["encoding"]["y"]["axis"]["labelLimit"] == LEVEL_LABEL_LIMIT >= 400
    assert inner["encoding"]["y"]["axis"]["maxExtent"] > LEVEL_LABEL_LIMIT


def test_explore_outlier_date_does_not_squeeze_the_axis_and_is_counted() -> None:
    periods = [pd.Timestamp("1962-05-01"), *pd.date_range("2019-01-01", periods=90, freq="MS")]
    counts = pd.DataFrame({"period": periods, "group": "All records", "records": [1] + [500] * 90})
    spec = period_chart(counts, "Records", "month").to_dict()
    shown = next(iter(spec["datasets"].values()))
    assert min(r["period"] for r in shown) >= "2019-01-01"
    assert "1 records dated outside the range shown" in " ".join(spec["title"]["subtitle"])
    whole = period_chart(counts.iloc[1:], "Records", "month").to_dict()
    assert "outside" not in " ".join(whole["title"]["subtitle"])


def test_explore_chart_says_when_the_records_end_part_way_through_the_last_period() -> None:
    from datetime import date

    counts = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=6, freq="MS"),
            "group": "All records",
            "records": [300, 310, 320, 330, 340, 90],
        }
    )
    cut = period_chart(counts, "Records", "month", (date(2024, 1, 1), date(2024, 6, 8)))
    subtitle = " ".join(cut.to_dict()["title"]["subtitle"])
    assert "the last month is partial: the records end on 8 June 2024" in subtitle
    whole = period_chart(counts, "Records", "month", (date(2024, 1, 1), date(2024, 6, 30)))
    assert "partial" not in " ".join(whole.to_dict()["title"]["subtitle"])


def test_a_long_headline_takes_two_lines_and_exports_whole() -> None:
    """A headline too long for a narrow screen wraps instead of being cut with an ellipsis."""
    import altair as alt

    from workbench.charts import TITLE_WIDTH, titled
    from workbench.publish.export.meta import meta_from_chart

    headline = "Median days, offence to completion, magistrates' cases, by year: Kent and Cumbria"
    assert len(headline) > TITLE_WIDTH
    chart = titled(alt.Chart(pd.DataFrame({"x": [1]})).mark_point(), headline, "Sub")
    text = chart.to_dict(validate=False)["title"]["text"]
    assert isinstance(text, list) and all(len(line) <= TITLE_WIDTH for line in text)
    assert meta_from_chart(chart, "v1").title == headline
    short = titled(alt.Chart(pd.DataFrame({"x": [1]})).mark_point(), "Charge rate", "Sub")
    assert short.to_dict(validate=False)["title"]["text"] == "Charge rate"


@pytest.mark.parametrize("shape", ["single", "layer", "facet", "hconcat"])
def test_top_spec_is_the_charts_own_spec_without_the_rows(shape: str) -> None:
    frame = pd.DataFrame(
        {"x": pd.date_range("2024-01-01", periods=4), "y": [5, 6, 7, 8], "g": ["a", "b"] * 2}
    )
    # types left for Altair to infer from the data, as to_dict does
    base = alt.Chart(frame).mark_line().encode(x="x", y="y", color="g")
    labels = alt.Chart(frame.head(1)).mark_text().encode(x="x", y="y", text="g")
    chart = {
        "single": base,
        "layer": alt.layer(base, labels),
        "facet": base.facet("g"),
        "hconcat": alt.hconcat(base, labels),
    }[shape].properties(title="T", usermeta={"k": 1})
    full = chart.to_dict(validate=False)
    spec = top_spec(chart)
    assert "2024" in str(full) and "2024" not in str(spec)
    assert (spec["title"], spec["usermeta"]) == ("T", {"k": 1})
    parts = ("datasets", "data", "layer", "hconcat", "spec")
    mine = {k: v for k, v in spec.items() if k not in parts}
    theirs = {k: v for k, v in full.items() if k in mine}
    assert mine == theirs and len(mine) >= 4
    if shape == "single":
        assert spec["encoding"]["x"] == {"field": "x", "type": "temporal"}
    if shape == "facet":
        assert spec["facet"] == {"field": "g", "type": "nominal"}
    assert chart.to_dict(validate=False) == full  # the chart keeps its data and parts


def test_splink_charts_are_read_from_their_spec_unchanged() -> None:
    from linkage.charts import from_spec

    frame = pd.DataFrame({"level": ["exact", "else"], "weight": [5.2, -3.1]})
    bars = alt.Chart(frame).mark_bar().encode(x="weight:Q", y="level:N")
    picked = bars.add_params(alt.selection_point(fields=["level"]))
    for chart in (
        bars,
        alt.hconcat(bars, bars.mark_point()),
        alt.layer(bars, bars.mark_text()),
        alt.vconcat(picked, alt.layer(bars, bars.mark_text())),
        alt.layer(picked, bars.mark_text()),
    ):
        spec = chart.to_dict()
        built = from_spec(spec)
        assert type(built) is type(chart)
        assert built.to_dict() == spec  # checked against the schema, as the page draws it
        assert isinstance(built.datasets, dict)  # the rows were left as they were
    # Altair's per-object check is switched off while a chart is assembled, and back on after,
    # also when sessions assemble charts at the same time (other threads of this test process,
    # such as a page's background work, may be assembling one as the test reads the switch)
    from concurrent.futures import ThreadPoolExecutor

    from altair.utils import schemapi

    from linkage import charts as charts_module

    spec = alt.vconcat(picked, alt.layer(bars, bars.mark_text())).to_dict()
    with ThreadPoolExecutor(4) as pool:
        assembled = list(pool.map(lambda _: from_spec(spec), range(16)))
    assert [c.to_dict() for c in assembled] == [spec] * 16
    with charts_module._ASSEMBLING:  # a session's assembly (e.g. a page's thread) has ended
        assert schemapi.DEBUG_MODE is True
    inline = {"data": {"values": [{"a": 1}, {"a": 2}]}, "mark": "point"}
    inline["encoding"] = {"x": {"field": "a", "type": "quantitative"}}
    built = from_spec(inline)
    assert built.data == {"values": [{"a": 1}, {"a": 2}]}
    assert built.to_dict()["datasets"] and inline["data"]["values"] == [{"a": 1}, {"a": 2}]
