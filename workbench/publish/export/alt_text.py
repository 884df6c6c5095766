"""Alt text for charts, written from the data they draw (:func:`describe_chart`).

The description is the chart's ``description`` (the ``aria-label`` of an exported SVG) and is
printed beneath HTML charts; the analyst can edit it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd

from workbench.charts import top_spec
from workbench.publish.export.tables import capitalise, is_number


def _chart_frame(chart: alt.TopLevelMixin) -> pd.DataFrame | None:
    """The DataFrame of a chart, or of its first layer holding one."""
    data = getattr(chart, "data", alt.Undefined)
    if isinstance(data, pd.DataFrame):
        return data
    for child in getattr(chart, "layer", None) or []:
        found = _chart_frame(child)
        if found is not None:
            return found
    return None


def _leaves(chart: Any, data: pd.DataFrame | None = None) -> list[tuple[dict, pd.DataFrame | None]]:
    """Each single-view layer of a chart as (its spec, the DataFrame it draws), inner first."""
    own = getattr(chart, "data", alt.Undefined)
    frame = own if isinstance(own, pd.DataFrame) else data
    layers = getattr(chart, "layer", None)
    if layers and layers is not alt.Undefined:
        return [leaf for child in layers for leaf in _leaves(child, frame)]
    inner = getattr(chart, "spec", None)
    if inner is not None and inner is not alt.Undefined and hasattr(inner, "to_dict"):
        return _leaves(inner, frame)
    try:
        spec = top_spec(chart)
    except Exception:  # a part Altair cannot serialise alone: describe the rest
        return []
    return [(spec, frame)]


def _mark_type(spec: dict[str, Any]) -> str:
    mark = spec.get("mark", "")
    return str(mark.get("type", "") if isinstance(mark, dict) else mark)


MARK_WORDS = {
    "line": "Line chart",
    "bar": "Bar chart",
    "area": "Area chart",
    "point": "Scatter plot",
    "circle": "Scatter plot",
    "rect": "Heat map",
    "arc": "Pie chart",
}


_DISCRETE = ("nominal", "ordinal")


def _date_style(values: Any) -> str:
    """How to write the dates of a series: "2024" when every one is a 1 January, "June 2024"
    when every one is the first of a month, else "7 June 2024"."""
    try:
        dates = pd.to_datetime(pd.Series(list(values)), errors="coerce").dropna()
    except (TypeError, ValueError):
        return "day"
    if not len(dates) or not (dates == dates.dt.normalize()).all():
        return "day"
    if (dates.dt.day == 1).all() and (dates.dt.month == 1).all() and dates.nunique() > 1:
        return "year"
    return "month" if (dates.dt.day == 1).all() else "day"


def _fmt(value: Any, style: str = "day") -> str:
    if isinstance(value, pd.Timestamp | datetime) or (
        hasattr(value, "isoformat") and not isinstance(value, str)
    ):
        ts = pd.Timestamp(value)
        if style == "year":
            return f"{ts:%Y}"
        if style == "month":
            return f"{ts:%B %Y}"
        return f"{ts.day} {ts:%B %Y}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _plain(name: str) -> str:
    """A field name in plain words: ``share_of_recorded`` -> "share of recorded"."""
    return re.sub(r"_(label|text)$", "", str(name)).replace("_", " ").strip()


def _title(channel: dict[str, Any], fallback: str = "") -> str:
    title = channel.get("title")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else _plain(channel.get("field") or fallback)


def _own_title(channel: dict[str, Any]) -> str:
    """A channel's title as the chart shows it; empty when it has none of its own (its field
    name is no name for a reader)."""
    title = channel.get("title")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else ""


def _unit(channel: dict[str, Any], name: str, values: pd.Series) -> str:
    fmt = str((channel.get("axis") or {}).get("format", ""))
    shown = values.dropna()
    if "%" in fmt:
        return "rate"
    if "%" in name and shown.between(0, 100).all() and not shown.between(0, 1).all():
        return "percent"  # already in percent: "Rows with a value (%)" of 0 to 100
    words = name.lower()
    if any(w in words for w in ("rate", "share", "proportion")) and shown.between(0, 1).all():
        return "rate"
    if "day" in words:
        return "days"
    if len(shown) and (shown == shown.round()).all():
        return "count"
    if len(shown) and shown.abs().max() <= 1:
        return "fraction"  # scores and probabilities: three decimal places tell them apart
    return "number"


def _value(value: float, unit: str) -> str:
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:,.0f} days"
    if unit == "count":
        return f"{round(value):,}"
    if unit == "fraction":
        return f"{value:.3f}" if value == 0 or abs(value) >= 0.001 else f"{value:.2g}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _change(now: float, before: float, unit: str) -> str:
    diff = now - before
    if diff == 0:
        return "unchanged"
    way = "up" if diff > 0 else "down"
    if unit == "rate":
        return f"{way} {abs(diff) * 100:.1f} percentage points"
    if unit == "percent":
        return f"{way} {abs(diff):.1f} percentage points"
    return f"{way} {_value(abs(diff), 'count' if unit == 'count' else unit)}"


def _pick(leaves: list[tuple[dict, pd.DataFrame | None]]) -> tuple[dict, pd.DataFrame | None]:
    """The layer that carries the data: lines, bars or points before bands, rules and text."""
    for wanted in (("line", "bar", "point", "circle", "rect", "arc", "tick", "square"), ("area",)):
        for spec, frame in leaves:
            enc = spec.get("encoding", {})
            band = "y2" in enc or ("x2" in enc and _mark_type(spec) == "area")
            usable = frame is not None and any(
                enc.get(c, {}).get("field") in frame for c in ("x", "y", "theta")
            )
            if _mark_type(spec) in wanted and not (band and wanted[0] == "line") and usable:
                return spec, frame
    return leaves[0] if leaves else ({}, None)


PRIOR_ROW = "probability_two_random_records_match"


def _level_frame(top: dict[str, Any]) -> pd.DataFrame | None:
    """The comparison levels of a Splink model chart (match weights or m and u), whose data
    is inlined in the spec as a named dataset rather than held as a DataFrame."""
    for rows in (top.get("datasets") or {}).values():
        frame = pd.DataFrame(rows) if isinstance(rows, list) else pd.DataFrame()
        if {"comparison_name", "label_for_charts", "log2_bayes_factor"} <= set(frame.columns):
            return frame
    return None


def _describe_levels(top: dict[str, Any], frame: pd.DataFrame, title: str | None) -> str:
    """Alt text of a Splink model chart: its comparisons, and the levels at the extremes of
    the match weight (or of the m and u probabilities)."""
    parts = [f"{title.rstrip('.')}." if title else ""]
    prior = frame[frame["comparison_name"] == PRIOR_ROW]
    levels = frame[frame["comparison_name"] != PRIOR_ROW].copy()
    names = [str(n) for n in pd.unique(levels["comparison_name"])]
    levels["where"] = levels["comparison_name"].astype(str) + ": " + levels["label_for_charts"]
    drawn = {
        child.get("encoding", {}).get(axis, {}).get("field")
        for child in [*top.get("hconcat", []), *top.get("vconcat", [])]
        for axis in ("x", "y")
    }
    if drawn & {"m_probability", "u_probability"}:
        parts.append(
            f"Bar charts of the m probability (the share of true matches) and the u probability "
            f"(the share of non-matches) of {len(levels)} comparison levels, one panel per "
            f"comparison ({', '.join(names)})."
        )
        for field_, who in (("m_probability", "m"), ("u_probability", "u")):
            shown = levels.dropna(subset=[field_])
            if len(shown):
                hi = shown.loc[pd.to_numeric(shown[field_]).idxmax()]
                parts.append(
                    f"The highest {who} probability is {_value(float(hi[field_]), 'fraction')} "
                    f"({hi['where']})."
                )
        return " ".join(p for p in parts if p)
    parts.append(
        f"Bar chart of the match weight of each of {len(levels)} comparison levels, one panel "
        f"per comparison ({', '.join(names)}); a positive weight is evidence of a match, a "
        "negative one evidence against."
    )
    if len(prior):
        parts.append(f"The prior match weight is {float(prior['log2_bayes_factor'].iloc[0]):.1f}.")
    weights = pd.to_numeric(levels["log2_bayes_factor"], errors="coerce")
    if weights.notna().any():
        hi, lo = levels.loc[weights.idxmax()], levels.loc[weights.idxmin()]
        parts.append(
            f"Match weights range from {float(lo['log2_bayes_factor']):.1f} ({lo['where']}) "
            f"to {float(hi['log2_bayes_factor']):.1f} ({hi['where']})."
        )
    return " ".join(p for p in parts if p)


def describe_chart(chart: alt.TopLevelMixin, title: str | None = None) -> str:
    """Alt text written from a chart's data: what is shown, the extremes, the latest value and
    its change, in the chart's units, and which values are hidden.

    Rates are written as percentages, counts with thousands separators; a forecast is described
    by its point forecast with its interval as a range; hidden (suppressed or missing) values
    are said to be hidden, never zero.

    Args:
        chart: An Altair chart (single, layered or faceted) drawn from DataFrames.
        title: The headline, to start the description with.

    Returns:
        A few plain sentences, for example "Line chart of Receipts by Month. Month runs from
        January 2024 to June 2024. Latest: 120 in June 2024, up 40 from 80 in May 2024.
        Receipts ranges from 60 (April 2024), the lowest, to 120 (June 2024), the highest."
        Dates are written as the series counts them: years, months, or days.
    """
    leaves = _leaves(chart)
    spec, frame = _pick(leaves)
    if frame is None and hasattr(chart, "to_dict"):
        top = chart.to_dict(validate=False)
        levels = _level_frame(top)
        if levels is not None:
            return _describe_levels(top, levels, title)
    mark = _mark_type(spec)
    kind = MARK_WORDS.get(mark, "Chart")
    enc = spec.get("encoding", {})
    hints = dict(frame.attrs.get("alt", {})) if frame is not None else {}
    x, y = enc.get("x", {}), enc.get("y", {})
    if y.get("type") in _DISCRETE and x.get("type") == "quantitative":
        x, y = y, x  # horizontal bars: describe the categories against the values
    xf, yf = x.get("field"), y.get("field")
    groups: list[str] = []
    top = top_spec(chart) if hasattr(chart, "to_dict") else {}
    facet = (top.get("facet") or {}).get("field")
    colour = enc.get("color", {}).get("field")
    for field_ in hints.get("groups", (facet, colour)):
        if field_ and frame is not None and field_ in frame and field_ not in (xf, yf):
            groups.append(field_)
    x_name = hints.get("category") or _own_title(x)
    y_name = hints.get("name") or _title(y, "value")
    parts = [f"{title.rstrip('.')}." if title else ""]
    text = f"{kind} of {y_name} by {x_name}" if x_name else f"{kind} of {y_name}"
    if frame is not None:
        for g in groups:
            names = [str(v) for v in pd.unique(frame[g].dropna())]
            shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
            named = _own_title(enc["color"] if g == colour else (top.get("facet") or {}))
            if g == facet:
                what = "one panel"
            elif mark in ("line", "area", "point", "circle"):
                what = "one line"
            else:
                what = "one colour"
            text += f", {what} per {named} ({shown})" if named else f", {what} each for {shown}"
    parts.append(text + ".")
    if frame is None or not len(frame) or xf not in frame or yf not in frame:
        return " ".join(p for p in parts if p).strip()
    label_field = hints.get("label") or xf
    if label_field not in frame:
        label_field = xf
    values = pd.to_numeric(frame[yf], errors="coerce")
    unit = hints.get("unit") or _unit(y, y_name, values)
    temporal = x.get("type") == "temporal"
    style = _date_style(frame[xf]) if temporal else "day"
    at = "on" if style == "day" else "in"

    def when(value: Any) -> str:
        return _fmt(value, style)

    def where(i: Any) -> str:
        bits = [str(frame.at[i, g]) for g in groups]
        label = frame.at[i, label_field]
        if is_number(label) and x_name and not temporal:
            return ", ".join([*bits, f"{x_name} {_fmt(label)}"])  # "Records in cluster 6"
        return ", ".join([*bits, when(label)])

    if temporal or (x.get("type") == "quantitative" and label_field == xf):
        xs = frame[xf].dropna()
        if len(xs):
            span = f"runs from {when(xs.min())} to {when(xs.max())}"
            parts.append(f"{capitalise(x_name)} {span}." if x_name else f"{capitalise(span)}.")
    else:
        cats = [str(c) for c in pd.unique(frame[label_field].dropna())]
        more = ", …" if len(cats) > 8 else ""
        what = f"categories of {x_name}" if x_name else "categories"
        parts.append(f"{len(cats)} {what}: {', '.join(cats[:8])}{more}.")
    if temporal:
        keyed = frame.assign(_v=values).sort_values(xf)
        for key, rows in keyed.groupby(groups, sort=False) if groups else [((), keyed)]:
            shown = rows.dropna(subset=["_v"])
            if shown.empty:
                continue
            name = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            last_i = shown.index[-1]
            sentence = (
                f"Latest{' ' + name if name else ''}: {_value(shown.at[last_i, '_v'], unit)} "
                f"{at} {when(shown.at[last_i, xf])}"
            )
            before = rows[rows[xf] < shown.at[last_i, xf]]
            if len(before) and pd.isna(before["_v"].iloc[-1]):
                sentence += f"; the value for {when(before[xf].iloc[-1])} is hidden"
            elif len(before):
                prev = before["_v"].iloc[-1]
                sentence += (
                    f", {_change(shown.at[last_i, '_v'], prev, unit)} from "
                    f"{_value(prev, unit)} {at} {when(before[xf].iloc[-1])}"
                )
            parts.append(sentence + ".")
        for band_spec, band_frame in leaves:
            benc = band_spec.get("encoding", {})
            low, high = benc.get("y", {}).get("field"), benc.get("y2", {}).get("field")
            if _mark_type(band_spec) != "area" or band_frame is None or band_frame is frame:
                continue
            if low in band_frame and high in band_frame and xf in band_frame:
                end = band_frame.dropna(subset=[low, high]).sort_values(xf).tail(1)
                for _, row in end.iterrows():
                    parts.append(
                        f"The interval for {when(row[xf])} runs from "
                        f"{_value(row[low], unit)} to {_value(row[high], unit)}."
                    )
    if values.notna().any() and values.max() == values.min():
        count = int(values.notna().sum())
        parts.append(
            f"{'Each of the' if count > 1 else 'The'} {count} value{'s' if count > 1 else ''}"
            f" of {y_name} shown is {_value(values.max(), unit)}."
        )
    elif values.notna().any():
        hi_i, lo_i = values.idxmax(), values.idxmin()
        parts.append(
            f"{capitalise(y_name)} ranges from {_value(values[lo_i], unit)} ({where(lo_i)}), "
            f"the lowest, to {_value(values[hi_i], unit)} ({where(hi_i)}), the highest."
        )
    hidden = frame.index[values.isna()]
    if len(hidden):
        labels = ", ".join(where(i) for i in hidden[:6])
        parts.append(
            f"{len(hidden)} value{'s are' if len(hidden) > 1 else ' is'} hidden "
            f"(suppressed or not available), not zero: {labels}."
        )
    parts.append(str(hints.get("note") or ""))
    return " ".join(p for p in parts if p).strip()


def chart_rows(chart: alt.TopLevelMixin) -> int:
    """How many rows of data a chart is drawn from (0 when its data is not a DataFrame)."""
    frame = _chart_frame(chart)
    return len(frame) if frame is not None else 0
