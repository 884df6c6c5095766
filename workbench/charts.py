"""Chart conventions: titles with a subtitle and source line, and an accessible palette."""

from __future__ import annotations

import altair as alt

SOURCE_NOTE = "Source: CJS Linkage Workbench workspace"

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


def accessible_palette() -> list[str]:
    """Colours for categories, safe for colour-blind readers."""
    return list(OKABE_ITO)


def titled(chart: alt.Chart, title: str, subtitle: str, source: str = SOURCE_NOTE) -> alt.Chart:
    """Give a chart a headline title, a statistical subtitle and a source line."""
    return chart.properties(
        title=alt.TitleParams(
            text=title,
            subtitle=[subtitle, source],
            anchor="start",
            subtitleColor="#505a5f",
        ),
        height=320,
    )


_PERIOD_FORMATS: dict[str, tuple[str, str]] = {
    "day": ("%d %b %Y", "day"),
    "week": ("%d %b %Y", "week"),
    "month": ("%b %Y", "month"),
    "quarter": ("%b %Y", "month"),
    "year": ("%Y", "year"),
}


def period_axis(period: str) -> alt.Axis:
    """A time axis whose ticks fall on whole periods and are labelled to match.

    Monthly data gets month ticks labelled "Jan 2024" (never weekly ticks), yearly data year
    ticks, and so on; Vega-Lite thins labels that would overlap.
    """
    label, interval = _PERIOD_FORMATS.get(period, ("%d %b %Y", "day"))
    return alt.Axis(format=label, tickCount={"interval": interval, "step": 1}, labelOverlap=True)
