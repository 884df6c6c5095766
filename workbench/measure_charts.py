"""Altair charts of the attrition, timeliness and dashboard measures.

Every chart has a title, a subtitle and a source line, uses the accessible palette, and carries
meaning by position, labels and line style as well as colour (values are labelled directly;
the national comparison is a dashed, labelled line; the victim-does-not-support line is marked
by its label and a dashed outline). Values hidden by disclosure control are missing in the data
and labelled "suppressed".
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.charts import SOURCE_NOTE, accessible_palette, titled

SUPPRESSED_LABEL = "suppressed"
NATIONAL = "National"


def _count_label(value: object) -> str:
    return SUPPRESSED_LABEL if pd.isna(value) else f"{int(value):,}"


def funnel_chart(funnel: pd.DataFrame, title: str, subtitle: str) -> alt.Chart:
    """Horizontal bars, one per funnel step, labelled with the count and the rate of recorded.

    Args:
        funnel: From :func:`workbench.measures.attrition_funnel` (optionally protected).
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
        reasons: From :func:`workbench.analysis.reasons_view` (``reason``, ``cases``,
            ``share_of_recorded``, ``victim_not_support``).
        title: The headline.
        subtitle: The statistical subtitle.
        top: Show at most this many reasons (largest first).
    """
    data = reasons.copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    data = data.sort_values("cases", ascending=False, na_position="last").head(top)
    flag = data.get("victim_not_support", pd.Series(False, index=data.index)).astype(bool)
    data["reason_label"] = [
        f"{r} (highlighted)" if f else str(r) for r, f in zip(data["reason"], flag, strict=True)
    ]
    data["highlight"] = ["Victim does not support action" if f else "Other reason" for f in flag]
    data["text"] = [
        _count_label(c) + ("" if pd.isna(s) else f"  ({float(s) * 100:.1f}%)")
        for c, s in zip(data["cases"], data["share_of_recorded"], strict=True)
    ]
    data["at"] = data["cases"].fillna(0)
    palette = accessible_palette()
    base = alt.Chart(data).encode(
        y=alt.Y(
            "reason_label:N",
            sort=None,
            title=None,
            axis=alt.Axis(
                labelLimit=440,
                labelFontWeight=alt.ExprRef(
                    "indexof(datum.label, '(highlighted)') >= 0 ? 'bold' : 'normal'"
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
    bars = base.mark_bar(strokeWidth=2).encode(
        x=alt.X("cases:Q", title="Cases"),
        color=alt.Color(
            "highlight:N",
            scale=alt.Scale(
                domain=["Victim does not support action", "Other reason"],
                range=[palette[5], "#9aa5ad"],
            ),
            legend=alt.Legend(title=None, orient="bottom"),
        ),
        stroke=alt.condition(
            "datum.highlight == 'Victim does not support action'",
            alt.value("#000000"),
            alt.value(None),
        ),
        strokeDash=alt.condition(
            "datum.highlight == 'Victim does not support action'",
            alt.value([4, 2]),
            alt.value([1, 0]),
        ),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(x="at:Q", text="text:N")
    return titled(alt.layer(bars, labels), title, subtitle).properties(
        width="container", height=max(200, 28 * len(data))
    )


def distribution_chart(
    dist: pd.DataFrame, median: float | None, title: str, subtitle: str
) -> alt.Chart:
    """A histogram of days with a labelled rule at the median.

    Args:
        dist: From :func:`workbench.measures.timeliness_distribution` (optionally protected).
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
    bars = (
        alt.Chart(data)
        .mark_bar(color=accessible_palette()[0], stroke="white")
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
        rule = alt.Chart(rule_data).mark_rule(color="#000000", strokeDash=[6, 3], size=2)
        layers.append(rule.encode(x="median:Q"))
        layers.append(
            alt.Chart(rule_data)
            .mark_text(align="left", dx=6, dy=-6, fontWeight="bold", baseline="top")
            .encode(x="median:Q", y=alt.value(0), text="text:N")
        )
    return titled(alt.layer(*layers), title, subtitle).properties(width="container")


def trend_chart(
    series: pd.DataFrame, title: str, subtitle: str, unit: str, value_title: str
) -> alt.Chart:
    """A measure over time: the selection as a solid line with points, national dashed.

    Each line is labelled directly at its last point; the national line is dashed, so the two
    differ by line style and label as well as colour.

    Args:
        series: ``series``, ``period``, ``value`` (from :func:`workbench.analysis.trend_view`).
        title: The headline.
        subtitle: The statistical subtitle.
        unit: ``rate`` (values are fractions) or ``days``.
        value_title: The y-axis title.
    """
    data = series[["series", "period", "value"]].copy()
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    data["period"] = pd.to_datetime(data["period"])
    names = list(dict.fromkeys(data["series"]))
    local = [n for n in names if n != NATIONAL]
    domain = [*local, NATIONAL]
    palette = accessible_palette()
    colors = [palette[i % len(palette)] for i in range(len(local))] + ["#505a5f"]
    fmt = ".1%" if unit == "rate" else ".0f"
    base = alt.Chart(data).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("value:Q", title=value_title, axis=alt.Axis(format=fmt)),
        color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=colors), legend=None),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=domain, range=[[1, 0]] * len(local) + [[6, 4]]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("period:T", title="Period"),
            alt.Tooltip("value:Q", title=value_title, format=fmt),
        ],
    )
    lines = base.mark_line(strokeWidth=2)
    points = base.transform_filter(f"datum.series != '{NATIONAL}'").mark_point(filled=True, size=40)
    last = data.dropna(subset=["value"]).sort_values("period").groupby("series").tail(1)
    last = last.assign(text=[f"{s}" for s in last["series"]])
    top = last["value"].max() if len(last) else 0
    last = last.assign(dy=[-9 if v >= top else 9 for v in last["value"]])
    labels = [
        alt.Chart(last[last["dy"] == dy])
        .mark_text(align="left", dx=6, dy=dy, fontWeight="bold")
        .encode(
            x="period:T",
            y="value:Q",
            text="text:N",
            color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=colors), legend=None),
        )
        for dy in (-9, 9)
    ]
    chart = alt.layer(lines, points, *labels).properties(width="container")
    return titled(chart, title, subtitle)


def caseload_chart(load: pd.DataFrame, title: str, subtitle: str) -> alt.Chart:
    """Bars of open cases by age band (youngest first), each labelled with its count."""
    data = load.copy()
    data["cases"] = pd.to_numeric(data["cases"], errors="coerce").astype(float)
    data["text"] = [_count_label(c) for c in data["cases"]]
    data["at"] = data["cases"].fillna(0)
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
    """One small panel per measure over time, each with its own scale and the national line.

    Args:
        series: ``series`` (area or ``National``), ``label`` (the panel), ``measure``,
            ``period``, ``value`` (as from :func:`workbench.analysis.dashboard_kpis`).
        title: The headline.
        subtitle: The statistical subtitle.
        units: Measure -> ``rate`` or ``days``; rates are shown as percentages.
        columns: Panels per row.
        source: The source line.
    """
    data = series[["series", "label", "measure", "period", "value"]].copy()
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    rates = data["measure"].map(units).eq("rate")
    data.loc[rates, "value"] = data.loc[rates, "value"] * 100
    data["label"] = [
        f"{lab} (%)" if r else str(lab) for lab, r in zip(data["label"], rates, strict=True)
    ]
    data["period"] = pd.to_datetime(data["period"])
    local = [n for n in dict.fromkeys(data["series"]) if n != NATIONAL]
    domain = [*local, NATIONAL]
    colors = [accessible_palette()[0]] * len(local) + ["#505a5f"]
    inner = (
        alt.Chart()
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%Y", tickCount=4)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(title=None, orient="top", symbolStrokeWidth=3),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=domain, range=[[1, 0]] * len(local) + [[6, 4]]),
                legend=None,
            ),
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(domain=domain, range=["circle"] * len(local) + ["triangle"]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("label:N", title="Measure"),
                alt.Tooltip("period:T", title="Period"),
                alt.Tooltip("value:Q", title="Value", format=".1f"),
            ],
        )
        .properties(width=230, height=150)
    )
    return (
        alt.FacetChart(
            data=data,
            spec=inner,
            facet=alt.Facet("label:N", title=None, header=alt.Header(labelFontWeight="bold")),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .properties(
            title=alt.TitleParams(
                text=title, subtitle=[subtitle, source], anchor="start", subtitleColor="#505a5f"
            )
        )
    )
