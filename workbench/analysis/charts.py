"""Altair charts of the attrition, timeliness and dashboard measures.

Every chart has a title, a subtitle and a source line, uses the accessible palette, and carries
meaning by position, labels and line style as well as colour (values are labelled directly;
the national comparison is a dashed, labelled line; the victim-does-not-support line is marked
by its label and a dashed outline). Values hidden by disclosure control are missing in the data
and labelled "suppressed". Trends draw 95% intervals as bands, start their value axis at zero,
and give provisional, partial and early periods hollow points with a legend entry.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import (
    NATIONAL_COLOUR,
    SOURCE_NOTE,
    TEXT_COLOUR,
    accessible_palette,
    contrast_ratio,
    label_lines_expr,
    span_axis,
    title_properties,
    titled,
    wrap_label,
)

SUPPRESSED_LABEL = "suppressed"
NATIONAL = "National"
# Bar charts with a category per bar: pixels per bar (two-line labels need more), the widest
# axis label, and how far the value axis runs past the longest bar so its end label fits.
BAR_STEP = 24
WRAPPED_BAR_STEP = 34
MIN_BARS = 4
LABEL_LIMIT = 600
LABEL_ROOM = 1.35


def _count_label(value: object) -> str:
    return SUPPRESSED_LABEL if pd.isna(value) else f"{int(value):,}"


def funnel_chart(funnel: pd.DataFrame, title: str, subtitle: str) -> alt.Chart:
    """Horizontal bars, one per funnel step, labelled with the count and the rate of recorded.

    Args:
        funnel: From :func:`workbench.analysis.measures.attrition.attrition_funnel`
            (optionally protected).
        title: The headline.
        subtitle: The statistical subtitle.
    """
    data = funnel[["step", "label", "cases", "rate_of_recorded"]].copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    data["text"] = [
        SUPPRESSED_LABEL
        if pd.isna(c)
        else f"{int(c):,}" + ("" if pd.isna(r) else f"  ({float(r) * 100:.1f}% of recorded)")
        for c, r in zip(data["cases"], data["rate_of_recorded"], strict=True)
    ]
    data["at"] = data["cases"].fillna(0)
    data.attrs["alt"] = {"category": "funnel step", "name": "Cases", "unit": "count"}
    order = data.sort_values("step")["label"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[
            alt.Tooltip("label:N", title="Step"),
            alt.Tooltip("cases:Q", title="Cases", format=","),
            alt.Tooltip("rate_of_recorded:Q", title="Of recorded", format=".1%"),
        ],
    )
    bars = base.mark_bar(color=accessible_palette()[0]).encode(x=alt.X("cases:Q", title="Cases"))
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(x="at:Q", text="text:N")
    return titled(alt.layer(bars, labels), title, subtitle).properties(width="container")


def reasons_chart(reasons: pd.DataFrame, title: str, subtitle: str, top: int = 12) -> alt.Chart:
    """Bars of why cases leave; victim-does-not-support-action marked by label and outline.

    Args:
        reasons: From :func:`workbench.analysis.views.attrition.reasons_view` (``reason``,
            ``cases``, ``share_of_recorded``, ``victim_not_support``).
        title: The headline.
        subtitle: The statistical subtitle.
        top: Show at most this many reasons (largest first).
    """
    data = reasons.copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    data = data.sort_values("cases", ascending=False, na_position="last").head(top)
    flag = data.get("victim_not_support", pd.Series(False, index=data.index)).astype(bool)
    sentence = [str(r)[:1].upper() + str(r)[1:] for r in data["reason"]]
    data["reason_label"] = [
        f"{r} (highlighted)" if f else r for r, f in zip(sentence, flag, strict=True)
    ]
    data["highlight"] = ["Victim does not support action" if f else "Other reason" for f in flag]
    data["text"] = [
        _count_label(c) + ("" if pd.isna(s) else f"  ({float(s) * 100:.1f}%)")
        for c, s in zip(data["cases"], data["share_of_recorded"], strict=True)
    ]
    data["at"] = data["cases"].fillna(0)
    data.attrs["alt"] = {"category": "reason", "label": "reason", "groups": (), "unit": "count"}
    palette = accessible_palette()
    lines = {label: wrap_label(label) for label in data["reason_label"]}
    per_bar = BAR_STEP if all(len(v) == 1 for v in lines.values()) else WRAPPED_BAR_STEP
    top_value = float(data["at"].max()) if len(data) else 0.0
    base = alt.Chart(data).encode(
        y=alt.Y(
            "reason_label:N",
            sort=None,
            title=None,
            axis=alt.Axis(
                labelLimit=LABEL_LIMIT,
                labelFontSize=12,
                labelOverlap=False,
                labelExpr=label_lines_expr(lines),
                labelFontWeight=alt.ExprRef(
                    "indexof(datum.value, '(highlighted)') >= 0 ? 'bold' : 'normal'"
                ),
            ),
        ),
        tooltip=[
            alt.Tooltip("reason:N", title="Reason"),
            alt.Tooltip("left_at:N", title="Left"),
            alt.Tooltip("cases:Q", title="Cases", format=","),
            alt.Tooltip("share_of_recorded:Q", title="Of recorded", format=".1%"),
        ],
    )
    x_scale = alt.Scale(domain=[0, max(top_value, 1.0) * LABEL_ROOM], nice=False, zero=True)
    bars = base.mark_bar(strokeWidth=2).encode(
        x=alt.X("cases:Q", title="Cases", scale=x_scale),
        color=alt.Color(
            "highlight:N",
            scale=alt.Scale(
                domain=["Victim does not support action", "Other reason"],
                range=[palette[3], palette[0]],
            ),
            legend=alt.Legend(title=None, orient="bottom", labelLimit=360),
        ),
        stroke=alt.condition(
            "datum.highlight == 'Victim does not support action'",
            alt.value(TEXT_COLOUR),
            alt.value(None),
        ),
        strokeDash=alt.condition(
            "datum.highlight == 'Victim does not support action'",
            alt.value([4, 2]),
            alt.value([1, 0]),
        ),
    )
    labels = base.mark_text(align="left", baseline="middle", dx=4, fontSize=12).encode(
        x=alt.X("at:Q", scale=x_scale), text="text:N"
    )
    return titled(alt.layer(bars, labels), title, subtitle).properties(
        width="container", height=max(MIN_BARS, len(data)) * per_bar
    )


def distribution_chart(
    dist: pd.DataFrame, median: float | None, title: str, subtitle: str
) -> alt.Chart:
    """A histogram of days with a labelled rule at the median.

    Args:
        dist: From :func:`workbench.analysis.measures.timeliness.timeliness_distribution`
            (optionally protected).
        median: The median in days (None when hidden or unknown: no rule).
        title: The headline.
        subtitle: The statistical subtitle.
    """
    data = dist.copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    width = float((data["bin_end"] - data["bin_start"]).dropna().min()) if len(data) else 30.0
    if pd.isna(width):
        width = 30.0
    data["bin_to"] = data["bin_start"] + width
    data["band"] = [
        f"{int(a)}+ days" if pd.isna(b) else f"{int(a)}–{int(b)} days"
        for a, b in zip(data["bin_start"], data["bin_end"], strict=True)
    ]
    data.attrs["alt"] = {"category": "days taken", "label": "band", "unit": "count"}
    bars = (
        alt.Chart(data)
        .mark_bar(color=accessible_palette()[0], binSpacing=1)
        .encode(
            x=alt.X("bin_start:Q", title="Days", bin="binned"),
            x2="bin_to:Q",
            y=alt.Y("cases:Q", title="Cases"),
            tooltip=[
                alt.Tooltip("band:N", title="Days"),
                alt.Tooltip("cases:Q", title="Cases", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if median is not None and not pd.isna(median):
        rule_data = pd.DataFrame({"median": [float(median)], "text": [f"median {median:.0f} days"]})
        rule = alt.Chart(rule_data).mark_rule(color=TEXT_COLOUR, strokeDash=[6, 3], size=2)
        layers.append(rule.encode(x="median:Q"))
        layers.append(
            alt.Chart(rule_data)
            .mark_text(align="left", dx=6, dy=-6, fontWeight="bold", baseline="top")
            .encode(x="median:Q", y=alt.value(0), text="text:N")
        )
    return titled(alt.layer(*layers), title, subtitle).properties(width="container")


STATES: dict[str, str] = {
    "complete": "complete",
    "provisional": "provisional: cases still open",
    "partial": "partial period (data starts within it)",
    "early": "early: slow cases from before the data start missing",
}


def _state_labels(frame: pd.DataFrame) -> list[str]:
    status = frame["status"] if "status" in frame.columns else pd.Series("complete", frame.index)
    return [STATES.get(str(s), str(s)) for s in status.fillna("complete")]


def _state_points(base: alt.Chart, labels: list[str], size: int, **encodings: object) -> list:
    """Filled points for complete periods; hollow ones for the rest, named in a legend
    (e.g. "provisional: cases still open")."""
    others = [v for v in STATES.values() if v in set(labels) and v != STATES["complete"]]
    filled = base.transform_filter(f"datum.state == '{STATES['complete']}'").mark_point(
        filled=True, size=size
    )
    layers = [filled.encode(**encodings) if encodings else filled]
    if others:
        hollow = (
            base.transform_filter(f"datum.state != '{STATES['complete']}'")
            .mark_point(filled=False, size=size + 15, strokeWidth=2)
            .encode(
                shape=alt.Shape(
                    "state:N",
                    scale=alt.Scale(domain=others, range=["circle"] * len(others)),
                    legend=alt.Legend(title=None, orient="bottom", labelLimit=400),
                )
            )
        )
        layers.append(hollow)
    return layers


def _y_scale(unit: str, data: pd.DataFrame) -> alt.Scale:
    """A value axis from zero; rates between 0 and at most 100%."""
    if unit != "rate":
        return alt.Scale(zero=True, domainMin=0)
    top = pd.concat([data["value"], data.get("high", data["value"])]).max()
    top = 1.0 if pd.isna(top) else min(1.0, float(top) * 1.1)
    return alt.Scale(zero=True, domainMin=0, domainMax=top, nice=True)


def trend_chart(
    series: pd.DataFrame, title: str, subtitle: str, unit: str, value_title: str
) -> alt.Chart:
    """A measure over time: the selection as a solid line with points, national dashed, each
    with its 95% interval as a shaded band; the value axis starts at zero.

    Each line is labelled directly at its last point; the national line is dashed, so the two
    differ by line style and label as well as colour. Provisional, partial and early periods
    have hollow points (named in the legend). Tooltips give the interval and the cases behind
    each value.

    Args:
        series: ``series``, ``period``, ``value`` and optionally ``low``, ``high``, ``base``,
            ``numerator`` and ``status`` (from :func:`workbench.analysis.views.series.trend_view`).
        title: The headline.
        subtitle: The statistical subtitle.
        unit: ``rate`` (values are fractions) or ``days``.
        value_title: The y-axis title.
    """
    cols = [
        c for c in ("series", "period", "value", "low", "high", "base", "numerator") if c in series
    ]
    data = series[cols].copy()
    for col in ("value", "low", "high", "base", "numerator"):
        data[col] = (
            pd.to_numeric(data[col], errors="coerce").astype(float) if col in data else float("nan")
        )
    data["state"] = _state_labels(series)
    data["period"] = pd.to_datetime(data["period"])
    data.attrs["alt"] = {"name": value_title, "unit": unit, "category": "period"}
    names = list(dict.fromkeys(data["series"]))
    local = [n for n in names if n != NATIONAL]
    domain = [*local, NATIONAL]
    palette = accessible_palette()
    colors = [palette[i % len(palette)] for i in range(len(local))] + [NATIONAL_COLOUR]
    text_colors = [c if contrast_ratio(c) >= 4.5 else TEXT_COLOUR for c in colors]
    fmt = ".1%" if unit == "rate" else ".0f"
    color_scale = alt.Scale(domain=domain, range=colors)
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:T", title="Period"),
        alt.Tooltip("value:Q", title=value_title, format=fmt),
        alt.Tooltip("low:Q", title="95% interval from", format=fmt),
        alt.Tooltip("high:Q", title="95% interval to", format=fmt),
        alt.Tooltip("base:Q", title="Cases", format=","),
        *([alt.Tooltip("numerator:Q", title="Counted", format=",")] if unit == "rate" else []),
        alt.Tooltip("state:N", title="Status"),
    ]
    base = alt.Chart(data).encode(
        x=alt.X("period:T", title=None, axis=span_axis(data["period"])),
        y=alt.Y(
            "value:Q", title=value_title, axis=alt.Axis(format=fmt), scale=_y_scale(unit, data)
        ),
        color=alt.Color("series:N", scale=color_scale, legend=None),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=domain, range=[[1, 0]] * len(local) + [[6, 4]]),
            legend=None,
        ),
        tooltip=tooltip,
    )
    lines = base.mark_line(strokeWidth=2)
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.15)
        .encode(
            x="period:T",
            y=alt.Y("low:Q", scale=_y_scale(unit, data)),
            y2="high:Q",
            color=alt.Color("series:N", scale=color_scale, legend=None),
        )
    )
    points = _state_points(base, data["state"].tolist(), 55)
    last = data.dropna(subset=["value"]).sort_values("period").groupby("series").tail(1)
    last = last.sort_values("value", ascending=False)
    last = last.assign(text=[f"{s}" for s in last["series"]])
    last = last.assign(dy=[-9 if i == 0 else 9 for i in range(len(last))])
    labels = [
        alt.Chart(last[last["dy"] == dy])
        .mark_text(align="left", dx=6, dy=dy, fontWeight="bold")
        .encode(
            x="period:T",
            y="value:Q",
            text="text:N",
            color=alt.Color(
                "series:N", scale=alt.Scale(domain=domain, range=text_colors), legend=None
            ),
        )
        for dy in (-9, 9)
    ]
    chart = alt.layer(band, lines, *points, *labels).properties(width="container")
    return titled(chart, title, subtitle)


def caseload_chart(load: pd.DataFrame, title: str, subtitle: str) -> alt.Chart:
    """Bars of open cases by age band (youngest first), each labelled with its count."""
    data = load.copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    data["text"] = [_count_label(c) for c in data["cases"]]
    data["at"] = data["cases"].fillna(0)
    data.attrs["alt"] = {"unit": "count"}
    order = data.sort_values("band_order")["age_band"].tolist()
    base = alt.Chart(data).encode(
        x=alt.X(
            "age_band:N", sort=order, title="Time since first hearing", axis=alt.Axis(labelAngle=0)
        ),
        tooltip=[
            alt.Tooltip("age_band:N", title="Age"),
            alt.Tooltip("cases:Q", title="Open cases", format=","),
        ],
    )
    bars = base.mark_bar(color=accessible_palette()[2]).encode(
        y=alt.Y("cases:Q", title="Open cases")
    )
    labels = base.mark_text(dy=-8).encode(y="at:Q", text="text:N")
    return titled(alt.layer(bars, labels), title, subtitle).properties(width="container")


def small_multiples(
    series: pd.DataFrame,
    title: str,
    subtitle: str,
    units: dict[str, str],
    columns: int = 3,
    source: str = SOURCE_NOTE,
) -> alt.FacetChart:
    """One small panel per measure (and court type) over time, each with its own scale from
    zero, the national line, the 95% interval as a band and hollow points for provisional
    periods.

    Args:
        series: ``series`` (area or ``National``), ``label`` (the panel), ``measure``,
            ``period``, ``value`` and optionally ``low``, ``high``, ``base`` and ``status``
            (as from :func:`workbench.analysis.views.dashboard.dashboard_kpis`).
        title: The headline.
        subtitle: The statistical subtitle.
        units: Measure -> ``rate`` or ``days``; rates are shown as percentages.
        columns: Panels per row.
        source: The source line.
    """
    data = series[[c for c in ("series", "label", "measure", "period", "value") if c in series]]
    data = data.copy()
    for col in ("value", "low", "high", "base"):
        data[col] = (
            pd.to_numeric(series[col], errors="coerce").astype(float)
            if col in series
            else float("nan")
        )
    data["state"] = _state_labels(series)
    rates = data["measure"].map(units).eq("rate")
    for col in ("value", "low", "high"):
        data.loc[rates, col] = data.loc[rates, col] * 100
    data["label"] = [
        f"{lab} (%)" if r else str(lab) for lab, r in zip(data["label"], rates, strict=True)
    ]
    data["period"] = pd.to_datetime(data["period"])
    data.attrs["alt"] = {
        "name": "each measure (rates in %)",
        "unit": "number",
        "category": "period",
    }
    local = [n for n in dict.fromkeys(data["series"]) if n != NATIONAL]
    domain = [*local, NATIONAL]
    colors = [accessible_palette()[0]] * len(local) + [NATIONAL_COLOUR]
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=domain, range=colors),
        legend=alt.Legend(title=None, orient="top", symbolStrokeWidth=3),
    )
    # a tick a year at most, so a panel spanning a year or two never repeats "2024 2024"
    x = alt.X(
        "period:T",
        title=None,
        axis=alt.Axis(format="%Y", tickCount=alt.TimeIntervalStep(interval="year", step=1)),
    )
    # ",~r": a panel with no values yet labels its one tick "0", not "0.000000"
    y = alt.Y(
        "value:Q",
        title=None,
        scale=alt.Scale(zero=True, domainMin=0),
        axis=alt.Axis(format=",~r"),
    )
    band = (
        alt.Chart()
        .mark_area(opacity=0.15)
        .encode(x=x, y=alt.Y("low:Q", title=None), y2="high:Q", color=color)
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=domain, range=[[1, 0]] * len(local) + [[6, 4]]),
                legend=alt.Legend(title=None, orient="top", symbolStrokeWidth=3),
            ),
        )
    )
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("label:N", title="Measure"),
        alt.Tooltip("period:T", title="Period"),
        alt.Tooltip("value:Q", title="Value", format=".1f"),
        alt.Tooltip("low:Q", title="95% interval from", format=".1f"),
        alt.Tooltip("high:Q", title="95% interval to", format=".1f"),
        alt.Tooltip("base:Q", title="Cases", format=","),
        alt.Tooltip("state:N", title="Status"),
    ]
    points = _state_points(
        alt.Chart().encode(x=x, y=y, color=color, tooltip=tooltip), data["state"].tolist(), 40
    )
    inner = alt.layer(band, line, *points).properties(width=230, height=150)
    return (
        alt.FacetChart(
            data=data,
            spec=inner,
            facet=alt.Facet("label:N", title=None, header=alt.Header(labelFontWeight="bold")),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .properties(**title_properties(title, subtitle, source))
    )
