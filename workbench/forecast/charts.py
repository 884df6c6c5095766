"""Charts of demand forecasts and scenarios (titled, with a source line, accessible colours)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import DASHES, accessible_palette, fit_width, span_axis, titled
from workbench.forecast.model.series import SeriesForecast

SERIES_ORDER = ["Actual receipts", "Forecast", "Seasonal naive baseline"]
LEVEL_WORDS = {
    "weekly": "weekly (Prophet)",
    "monthly": "monthly (Prophet)",
    "monthly counts": "as monthly counts (recent rate, negative binomial)",
}


def forecast_chart(result: SeriesForecast, history_periods: int | None = 156) -> alt.LayerChart:
    """History, the forecast with its interval and the seasonal naive baseline.

    Args:
        result: A forecast with ``ok`` True.
        history_periods: How many periods of history to show (None: all).

    Returns:
        The layered chart.
    """
    hist = result.history.tail(history_periods) if history_periods else result.history
    fc = result.forecast
    lines = pd.concat(
        [
            pd.DataFrame(
                {"period": hist["period"], "value": hist["receipts"], "series": SERIES_ORDER[0]}
            ),
            pd.DataFrame({"period": fc["period"], "value": fc["forecast"], "series": "Forecast"}),
            pd.DataFrame(
                {"period": fc["period"], "value": fc["baseline"], "series": SERIES_ORDER[2]}
            ),
        ],
        ignore_index=True,
    )
    lines.attrs["alt"] = {"name": "Receipts", "unit": "count", "category": "period"}
    axis = span_axis(lines["period"])
    palette = accessible_palette()
    legend = alt.Legend(title=None, orient="bottom", symbolStrokeWidth=3, symbolSize=300)
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=SERIES_ORDER, range=[palette[4], palette[0], palette[3]]),
        legend=legend,
    )
    band = (
        alt.Chart(fc)
        .mark_area(opacity=0.25, color=palette[0])
        .encode(
            x=alt.X("period:T", title=None, axis=axis),
            y=alt.Y("lower:Q", title=f"Receipts a {result.settings.freq}"),
            y2="upper:Q",
            tooltip=[alt.Tooltip("period:T"), "lower:Q", "upper:Q"],
        )
    )
    line = (
        alt.Chart(lines)
        .mark_line()
        .encode(
            x=alt.X("period:T", title=None, axis=axis),
            y="value:Q",
            color=colour,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=SERIES_ORDER, range=[DASHES[0], DASHES[1], DASHES[2]]),
                title=None,
                legend=legend,
            ),
            tooltip=["series:N", alt.Tooltip("period:T"), alt.Tooltip("value:Q", format=".1f")],
        )
    )
    width = f"{result.settings.interval_width:.0%}"
    # fit the width only: fitting the whole figure in the height squeezed the plot under a
    # long subtitle to a few pixels
    return fit_width(
        titled(
            alt.layer(band, line).properties(width="container"),
            f"Court receipts, {result.area} ({result.court_type})",
            f"First hearings a {result.settings.freq}; forecast {LEVEL_WORDS[result.level]} with "
            f"{width} interval; spring 2020 excluded from fitting. {result.verdict}",
        )
    )


def scenario_chart(projection: pd.DataFrame, title: str) -> alt.LayerChart:
    """The outstanding caseload under each scenario, with intervals.

    Args:
        projection: Rows of :func:`workbench.forecast.scenarios.projection.project`, any number
            of scenarios.
        title: The headline.

    Returns:
        The layered chart.
    """
    projection = projection.copy()
    projection.attrs["alt"] = {"name": "Outstanding cases", "unit": "count", "category": "period"}
    names = list(dict.fromkeys(projection["scenario"]))
    palette = accessible_palette()
    legend = alt.Legend(title=None, orient="bottom", symbolStrokeWidth=3, symbolSize=300)
    colour = alt.Color(
        "scenario:N",
        title=None,
        scale=alt.Scale(domain=names, range=[palette[i % len(palette)] for i in range(len(names))]),
        legend=legend,
    )
    dash = alt.StrokeDash(
        "scenario:N",
        title=None,
        scale=alt.Scale(domain=names, range=[DASHES[i % len(DASHES)] for i in range(len(names))]),
        legend=legend,
    )
    axis = span_axis(projection["period"])
    base = alt.Chart(projection).encode(x=alt.X("period:T", title=None, axis=axis), color=colour)
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("outstanding_lower:Q", title="Outstanding cases"), y2="outstanding_upper:Q"
    )
    line = base.mark_line(strokeWidth=2).encode(
        y="outstanding:Q",
        strokeDash=dash,
        tooltip=[
            "scenario:N",
            alt.Tooltip("period:T"),
            alt.Tooltip("outstanding:Q", format=".0f"),
            alt.Tooltip("receipts:Q", format=".1f"),
            alt.Tooltip("disposals:Q", format=".1f"),
        ],
    )
    return fit_width(
        titled(
            alt.layer(band, line).properties(width="container"),
            title,
            "Projected outstanding caseload with intervals from the receipts forecast",
        )
    )
