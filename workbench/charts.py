"""Chart conventions: titles with a subtitle and source line, and an accessible palette."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd

SOURCE_NOTE = "Source: CJS Linkage Workbench workspace"

# The Analysis Function (GSS) categorical palette: each colour has at least 3:1 contrast with
# white, so marks drawn in it meet WCAG 1.4.11; text uses TEXT_COLOUR or SUBTITLE_COLOUR (4.5:1).
GSS_PALETTE: tuple[str, ...] = (
    "#12436D",  # dark blue
    "#28A197",  # turquoise
    "#801650",  # dark pink
    "#F46A25",  # orange
    "#3D3D3D",  # dark grey
    "#A285D1",  # light purple
)
TEXT_COLOUR = "#0b0c0c"
SUBTITLE_COLOUR = "#505a5f"
NATIONAL_COLOUR = "#505a5f"
# Line styles that tell compared series apart without colour: solid, dashed, dotted, dash-dot.
DASHES: tuple[list[int], ...] = ([1, 0], [6, 4], [2, 2], [8, 3, 2, 3], [12, 4], [4, 2, 1, 2])


def accessible_palette() -> list[str]:
    """Colours for categories: the Analysis Function palette, each 3:1 or more against white."""
    return list(GSS_PALETTE)


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` (or ``#rgb``) colour, from 0 (black) to 1."""
    code = colour.lstrip("#")
    if len(code) == 3:
        code = "".join(c * 2 for c in code)
    channels = [int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(colour: str, background: str = "#ffffff") -> float:
    """WCAG contrast ratio of two colours (1 to 21); 3 is needed for marks, 4.5 for text."""
    a, b = sorted((relative_luminance(colour), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


SUBTITLE_WIDTH = 80


def wrap_lines(lines: list[str] | tuple[str, ...], width: int = SUBTITLE_WIDTH) -> list[str]:
    """Split each line longer than ``width`` characters at spaces, so a long subtitle takes
    several short lines instead of widening the chart; empty lines are dropped."""
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(str(line), width=width, break_long_words=False) if line else []
    return out


TITLE_META = "workbench_title"
#: Characters of a headline per line: a longer one takes two lines instead of being cut on a
#: narrow screen.
TITLE_WIDTH = 64


def title_properties(title: str, subtitle: str, source: str = SOURCE_NOTE) -> dict[str, Any]:
    """Chart properties for a headline title with a statistical subtitle and a source line.

    A headline over :data:`TITLE_WIDTH` characters takes two or more lines. The subtitle and
    source are drawn wrapped (several short lines), and kept whole in the chart's ``usermeta``
    so exports (:func:`workbench.publish.export.meta.meta_from_chart`) can tell the subtitle
    from the source however many lines each took.
    """
    lines = wrap_lines([title], TITLE_WIDTH)
    return {
        "title": alt.TitleParams(
            text=lines if len(lines) > 1 else title,
            subtitle=wrap_lines([subtitle, source]),
            anchor="start",
            subtitleColor=SUBTITLE_COLOUR,
        ),
        "usermeta": {TITLE_META: {"subtitle": subtitle, "source": source}},
    }


def titled(chart: alt.Chart, title: str, subtitle: str, source: str = SOURCE_NOTE) -> alt.Chart:
    """Give a chart a headline title, a statistical subtitle and a source line."""
    return chart.properties(**title_properties(title, subtitle, source), height=320)


_PERIOD_FORMATS: dict[str, tuple[str, str]] = {
    "day": ("%d %b %Y", "day"),
    "week": ("%d %b %Y", "week"),
    "month": ("%b %Y", "month"),
    "quarter": ("%b %Y", "month"),
    "year": ("%Y", "year"),
}


def span_axis(periods: Iterable[Any]) -> alt.Axis:
    """A time axis for a series of any length whose every label carries its year.

    Vega-Lite's default time labels name months alone ("April", "October") and keep the year
    only at year boundaries, which label thinning then drops. This picks ticks for the span
    shown: years when it covers more than four, half-years or quarters labelled "Apr 2023" over
    one to four years, months under that, and weeks ("7 Apr 2025") under three months.

    Args:
        periods: The dates on the axis (any that pandas can read; missing ones are ignored).
    """
    dates = pd.to_datetime(pd.Series(list(periods)), errors="coerce").dropna()
    years = (dates.max() - dates.min()).days / 365.25 if len(dates) > 1 else 0.0
    if years > 4:
        label, interval, step = "%Y", "year", 1
    elif years > 2:
        label, interval, step = "%b %Y", "month", 6
    elif years > 1:
        label, interval, step = "%b %Y", "month", 3
    elif years > 0.25:
        label, interval, step = "%b %Y", "month", 1
    else:
        label, interval, step = "%-d %b %Y", "week", 1
    return alt.Axis(format=label, tickCount={"interval": interval, "step": step}, labelOverlap=True)


def period_axis(period: str) -> alt.Axis:
    """A time axis whose ticks fall on whole periods and are labelled to match.

    Monthly data gets month ticks labelled "Jan 2024" (never weekly ticks), yearly data year
    ticks, and so on; Vega-Lite thins labels that would overlap.
    """
    label, interval = _PERIOD_FORMATS.get(period, ("%d %b %Y", "day"))
    return alt.Axis(format=label, tickCount={"interval": interval, "step": 1}, labelOverlap=True)


LABEL_WIDTH = 40


def wrap_label(text: str, width: int = LABEL_WIDTH) -> list[str]:
    """An axis label as lines of at most ``width`` characters (split at spaces), so a long
    category name takes two short lines instead of being cut or widening the axis."""
    return textwrap.wrap(str(text), width=width, break_long_words=False) or [str(text)]


def label_lines_expr(lines: dict[str, list[str]]) -> str:
    """A Vega ``labelExpr`` that draws each axis value as its lines (a multi-line label).

    Args:
        lines: Axis value -> the lines to draw for it (as from :func:`wrap_label`); values
            not in it are drawn as they are.
    """
    wrapped = {k: v for k, v in lines.items() if len(v) > 1}
    if not wrapped:
        return "datum.label"
    return f"{json.dumps(wrapped, ensure_ascii=False)}[datum.value] || datum.label"


def fit_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart sized for a page: its width fits the container, its height is the plot's.

    Vega-Lite's default for a container-wide chart in the app fits the whole figure (title,
    axes, legend) into the chart's height, squeezing the plot until wrapped axis labels overlap;
    ``fit-x`` fits only the width and adds the title and legend around a plot of the height
    asked for. Concatenated charts are returned as they are (Vega-Lite sizes those itself).
    """
    if isinstance(chart, (alt.Chart, alt.LayerChart)):
        return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart


#: The properties by which a compound chart holds its parts.
COMPOUND_PARTS = ("layer", "hconcat", "vconcat", "concat")


def top_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's own Vega-Lite properties without its data rows: title, sizes, metadata and
    facet, and for a single-view chart its mark and encoding; a compound chart's layers,
    panels or facet spec are left empty.

    ``chart.to_dict()`` writes every row of every DataFrame into the spec, which costs more
    than the rest of the spec together; reading a title or an encoding needs none of it.
    Encodings given without a type still get the type ``to_dict`` would infer from the
    chart's DataFrame. The chart itself is not changed.
    """
    kwds = getattr(chart, "_kwds", None)
    if not isinstance(kwds, dict) or not isinstance(chart, alt.SchemaBase):
        return chart.to_dict(validate=False)
    bare: Any = chart.copy(deep=False)
    for part in COMPOUND_PARTS:
        if kwds.get(part, alt.Undefined) is not alt.Undefined:
            setattr(bare, part, [])
    if kwds.get("spec", alt.Undefined) is not alt.Undefined:
        bare.spec = alt.LayerChart(layer=[])
    context: dict[str, Any] = {}
    data = kwds.get("data", alt.Undefined)
    if isinstance(data, pd.DataFrame):
        import narwhals.stable.v1 as nw

        bare.data = alt.Undefined
        context["data"] = nw.from_native(data, eager_only=True)
    return bare.to_dict(validate=False, context=context)
