"""Publish charts and tables: PNG, SVG, PDF and offline HTML charts; CSV, XLSX and ODS tables.

Charts are rendered by vl-convert with no network access. Every exported chart carries its
headline title, a statistical subtitle, the source line, any notes, and the date and data version
(:class:`ChartMeta`); its alt text, generated from the data by :func:`describe_chart` and editable,
is the chart's ``description`` (the ``aria-label`` of the SVG) and is printed beneath HTML charts.

Tables follow the Analysis Function's guidance on releasing statistics in spreadsheets, ODS
first: a cover sheet (title, period covered, statistical status, source systems, methodology,
contact, disclosure method and symbols), a contents sheet, a notes sheet, and one table per sheet
with a plain-language title in A1, the column headers in one bold, frozen row, columns fitted to
their contents, no blank rows, blank cells or merged cells. Numbers are stored as numbers with
number formats (rates as fractions shown as percentages, counts as whole numbers); notes are
referred to as ``[note 1]``; hidden (suppressed) values are shown as ``[c]``, values not available
as ``[x]`` and values that do not apply as ``[z]``.

A CSV holds the header in its first line and the data below it, nothing else; its title,
source, period, status, disclosure note and symbols are in a plain-text metadata file downloaded
beside it (:func:`table_metadata`, ``<name>.metadata.txt``).

Disclosure control: pass ``protect`` (a function returning a
:class:`~workbench.disclosure.control.Protected`, or True for primary suppression of every integer
column) and it is applied before anything is written. The export states what was done: on the
cover sheet and as note 1 of a spreadsheet, and in the CSV's metadata file.

Formula injection: any text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading apostrophe, in every format including CSV.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from workbench.charts import SOURCE_NOTE, SUBTITLE_COLOUR, TITLE_META, wrap_lines
from workbench.disclosure.control import Protected, protect_frame
from workbench.errors import ExportError
from workbench.safe_csv import escape_cell

if TYPE_CHECKING:
    from workbench.workspace import Workspace

log = logging.getLogger(__name__)

FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts",)
SUPPRESSED = "[c]"
EXPORT_WIDTH = 720
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
SYMBOLS: dict[str, str] = {
    SUPPRESSED: "confidential: the value is hidden to protect confidentiality (disclosure control)",
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
}
PERCENT_FORMAT = "0.0%"
COVER_WIDTH = 100
PORTRAIT_CHARACTERS = 110  # columns wider than this (in characters) print landscape
CONTACT_ENV = "WORKBENCH_PUBLISH_CONTACT"
DEFAULT_CONTACT = "the publishing team"
DEFAULT_STATUS = "management information"
STATUSES: tuple[str, ...] = ("official statistics", "management information", "experimental")
DATA_SOURCES = (
    "Police recorded crime, Crown Prosecution Service (CPS) case management and court "
    "(magistrates' and Crown Court) case records, linked into case journeys"
)
CHART_SOURCE = "Source: police, CPS and court records, linked into case journeys"
METHODOLOGY = (
    "Records of the same case in police, CPS and court systems are linked by probabilistic "
    "record linkage (Fellegi-Sunter) into one journey per case; the figures count linked "
    "journeys. Links are estimates: a small share may join records of different cases or miss "
    "a true match. Counts published to leaders are adjusted by a small random amount (cell key "
    "perturbation) and small counts are hidden."
)
CHART_FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "html")
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "ods")
MIME: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "csv": "text/csv",
    "metadata": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

EXTENSIONS: dict[str, str] = {"metadata": "metadata.txt"}

ProtectArg = Callable[[pd.DataFrame], Protected] | bool | None


# ------------------------------------------------------------------------------ metadata
@dataclass(frozen=True)
class ChartMeta:
    """What every published chart says about itself.

    Attributes:
        title: The headline: what the chart shows, in plain words.
        subtitle: The statistical description (measure, unit, coverage, period).
        source: The source line.
        notes: Further notes, each printed on its own line.
        alt_text: Text for readers who cannot see the chart; generated when empty.
        data_version: Which data it was drawn from (dataset version or journey build).
        created: When it was drawn.
    """

    title: str
    subtitle: str = ""
    source: str = SOURCE_NOTE
    notes: tuple[str, ...] = ()
    alt_text: str = ""
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    def footer(self) -> str:
        """The date and data version line."""
        made = f"Produced {self.created:%d %B %Y}"
        return f"{made}; data version: {self.data_version}" if self.data_version else made

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the date as ISO text)."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "source": self.source,
            "notes": list(self.notes),
            "alt_text": self.alt_text,
            "data_version": self.data_version,
            "created": self.created.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartMeta:
        """Rebuild from :meth:`to_dict` output; unknown keys are ignored."""
        created = data.get("created")
        return cls(
            title=str(data.get("title", "")),
            subtitle=str(data.get("subtitle", "")),
            source=str(data.get("source") or SOURCE_NOTE),
            notes=tuple(data.get("notes") or ()),
            alt_text=str(data.get("alt_text", "")),
            data_version=str(data.get("data_version", "")),
            created=datetime.fromisoformat(created) if created else datetime.now(),
        )


@dataclass(frozen=True)
class TableMeta:
    """What every published table says about itself (its cover sheet).

    Attributes:
        title: The table's title, in plain words.
        source: The source line; the default names the police, CPS and court systems.
        notes: Notes, referred to as ``[note 1]``, ``[note 2]``, … in order.
        definitions: Term -> definition, for the cover sheet.
        data_version: Which data it was computed from.
        created: When it was produced.
        disclosure_note: What disclosure control did; filled in by the export.
        period: The period covered; empty: read from the table's dates.
        status: The statistical status: one of :data:`STATUSES`.
        contact: Who to contact; empty: :func:`publish_contact`.
        methodology: How the figures were made (text, or a link).
        not_applicable: Cells that do not apply, as (row number, column label): written
            ``[z]`` where they have no value.
    """

    title: str
    source: str = f"Source: {DATA_SOURCES}"
    notes: tuple[str, ...] = ()
    definitions: tuple[tuple[str, str], ...] = ()
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    disclosure_note: str = ""
    period: str = ""
    status: str = DEFAULT_STATUS
    contact: str = ""
    methodology: str = METHODOLOGY
    not_applicable: tuple[tuple[int, str], ...] = ()


# ------------------------------------------------------------------------------ charts
@functools.cache
def _register_fonts() -> None:
    import vl_convert as vlc

    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)


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
        spec = chart.to_dict(validate=False)
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


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    top = chart.to_dict(validate=False) if hasattr(chart, "to_dict") else {}
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
        if _is_number(label) and x_name and not temporal:
            return ", ".join([*bits, f"{x_name} {_fmt(label)}"])  # "Records in cluster 6"
        return ", ".join([*bits, when(label)])

    if temporal or (x.get("type") == "quantitative" and label_field == xf):
        xs = frame[xf].dropna()
        if len(xs):
            span = f"runs from {when(xs.min())} to {when(xs.max())}"
            parts.append(f"{_cap(x_name)} {span}." if x_name else f"{_cap(span)}.")
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
            f"{_cap(y_name)} ranges from {_value(values[lo_i], unit)} ({where(lo_i)}), the lowest, "
            f"to {_value(values[hi_i], unit)} ({where(hi_i)}), the highest."
        )
    hidden = frame.index[values.isna()]
    if len(hidden):
        labels = ", ".join(where(i) for i in hidden[:6])
        parts.append(
            f"{len(hidden)} value{'s are' if len(hidden) > 1 else ' is'} hidden "
            f"(suppressed or not available), not zero: {labels}."
        )
    return " ".join(p for p in parts if p).strip()


def finish_chart(chart: alt.TopLevelMixin, meta: ChartMeta) -> alt.TopLevelMixin:
    """Put the headline, subtitle, source, notes, date, data version and alt text on a chart.

    Args:
        chart: Any Altair chart; its own title is replaced.
        meta: What to print on it. Empty alt text is generated from the data.

    Returns:
        A new chart, ready to render.
    """
    alt_text = meta.alt_text or describe_chart(chart, meta.title)
    lines = wrap_lines([meta.subtitle, meta.source, *meta.notes, meta.footer()])
    return chart.properties(
        title=alt.TitleParams(
            text=meta.title,
            subtitle=lines,
            anchor="start",
            fontSize=16,
            subtitleColor=SUBTITLE_COLOUR,
            subtitleFontSize=12,
        ),
        description=alt_text,
    )


def chart_spec(chart: alt.TopLevelMixin, meta: ChartMeta) -> dict[str, Any]:
    """The Vega-Lite spec of a finished chart (data inlined).

    A chart that fills its container on the page (``width="container"``) has no width of its
    own in a file, so it is given :data:`EXPORT_WIDTH` pixels. Axis, legend and facet labels
    and titles and text marks without a size of their own are drawn at 12 px (Vega-Lite's
    default is 10 px), so no label of an exported chart is smaller than :data:`MIN_FONT_PX`.
    """
    try:
        spec = finish_chart(chart, meta).to_dict()
    except Exception as exc:  # altair validation or data transformer limits
        raise ExportError(f"The chart cannot be exported: {exc}") from exc
    for part in [spec, *spec.get("layer", [])]:
        if part.get("width") == "container":
            part["width"] = EXPORT_WIDTH
    config = spec.setdefault("config", {})
    legend = config.setdefault("legend", {})
    if not isinstance(legend.get("labelLimit"), int | float) or legend["labelLimit"] < 360:
        legend["labelLimit"] = 360  # Vega cuts legend labels at 160 px ("Victim does not su…")
    for group, sizes in READABLE_FONTS.items():
        config.setdefault(group, {})
        for key, size in sizes.items():
            own = config[group].get(key)
            config[group][key] = max(size, own) if isinstance(own, int | float) else size
    return spec


MIN_FONT_PX = 11
# Vega-Lite draws axis and legend labels at 10 px by default: exported charts draw every label,
# title and text mark at MIN_FONT_PX or more (a chart may ask for larger).
READABLE_FONTS: dict[str, dict[str, int]] = {
    "axis": {"labelFontSize": 12, "titleFontSize": 12},
    "legend": {"labelFontSize": 12, "titleFontSize": 12},
    "header": {"labelFontSize": 12, "titleFontSize": 12},
    "text": {"fontSize": 12},
    "title": {"fontSize": 16, "subtitleFontSize": 12},
}


def _convert(kind: str, spec: dict[str, Any], **kwargs: Any) -> Any:
    import vl_convert as vlc

    _register_fonts()
    func = getattr(vlc, f"vegalite_to_{kind}")
    try:
        return func(spec, allowed_base_urls=[], **kwargs)
    except Exception as exc:  # vl-convert raises plain ValueErrors
        raise ExportError(f"The chart could not be rendered as {kind.upper()}: {exc}") from exc


def chart_to_svg(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """Render a chart as SVG text, offline, labelled with its title and alt text for readers."""
    spec = chart_spec(chart, meta)
    svg = _convert("svg", spec)
    alt_text = html.escape(str(spec.get("description", "")), quote=True)
    head, sep, rest = svg.partition(">")
    if not head.startswith("<svg") or not sep:
        return svg
    return (
        f'{head} role="img" aria-label="{alt_text}">'
        f"<title>{html.escape(meta.title)}</title><desc>{alt_text}</desc>{rest}"
    )


def chart_to_png(chart: alt.TopLevelMixin, meta: ChartMeta, scale: float = 1.0) -> bytes:
    """Render a chart as PNG, offline; ``scale`` 2 doubles the width and height in pixels."""
    if not 0.25 <= scale <= 8:
        raise ExportError(f"A PNG scale of {scale} is out of range.", hint="Use 0.25 to 8.")
    return _convert("png", chart_spec(chart, meta), scale=scale)


def chart_to_pdf(chart: alt.TopLevelMixin, meta: ChartMeta) -> bytes:
    """Render a chart as a one-page PDF (vector), offline."""
    return _convert("pdf", chart_spec(chart, meta))


@functools.cache
def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed libraries as one script (about 0.9 MB), cached."""
    import vl_convert as vlc

    return vlc.javascript_bundle().replace("</script", "<\\/script")


PAGE_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #0b0c0c; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption, .meta { color: #505a5f; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f2f1; } td:first-child, th:first-child { text-align: left; }
.chart { overflow-x: auto; max-width: 100%; }
.chart svg { max-width: none; }
@media print { .chart { overflow: visible; } .chart svg { max-width: 100%; height: auto; } }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
"""


def embed_script(element_id: str, spec: dict[str, Any]) -> str:
    """A script tag drawing ``spec`` into the element with the id (needs :func:`vega_bundle`)."""
    payload = json.dumps(spec).replace("</", "<\\/")
    return (
        f"<script>vegaEmbed({json.dumps('#' + element_id)}, {payload}, "
        '{"renderer": "svg", "actions": false});</script>'
    )


def chart_to_html(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """A standalone HTML page drawing the chart interactively, with Vega inlined (no CDN)."""
    spec = chart_spec(chart, meta)
    alt_text = spec.get("description", "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(meta.title)}</title><style>{PAGE_CSS}</style>"
        f"<script>{vega_bundle()}</script></head><body>"
        f'<figure><div id="chart" class="chart" role="img" aria-label="{html.escape(alt_text)}">'
        f"</div><figcaption><p>{html.escape(meta.source)}</p>"
        + "".join(f"<p>{html.escape(n)}</p>" for n in meta.notes)
        + f"<p>{html.escape(meta.footer())}</p>"
        f"<details><summary>Description of the chart</summary><p>{html.escape(alt_text)}</p>"
        f"</details></figcaption></figure>{embed_script('chart', spec)}</body></html>\n"
    )


def export_chart(chart: alt.TopLevelMixin, meta: ChartMeta, fmt: str, scale: float = 1.0) -> bytes:
    """Export a chart in one of :data:`CHART_FORMATS` and return the file's bytes."""
    if fmt == "png":
        return chart_to_png(chart, meta, scale)
    if fmt == "svg":
        return chart_to_svg(chart, meta).encode("utf-8")
    if fmt == "pdf":
        return chart_to_pdf(chart, meta)
    if fmt == "html":
        return chart_to_html(chart, meta).encode("utf-8")
    raise ExportError(f"Unknown chart format {fmt!r}.", hint=f"Use {', '.join(CHART_FORMATS)}.")


# ------------------------------------------------------------------------------ tables
def apply_protection(frame: pd.DataFrame, protect: ProtectArg) -> Protected | None:
    """Apply disclosure control as asked; None when ``protect`` is falsy.

    Args:
        frame: The aggregate table.
        protect: A function returning a :class:`Protected`, or True for primary suppression
            of every integer column with the default threshold.
    """
    if not protect:
        return None
    if protect is True:
        counts = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
        return protect_frame(frame, counts=counts)
    return protect(frame)


def _cell(value: Any) -> Any:
    """One cell's value for a file: text escaped, missing as [x], dates as ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NOT_AVAILABLE
    if isinstance(value, pd.Timestamp | datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and not value.strip():
        return NOT_AVAILABLE
    return escape_cell(value)


_PERCENT_TEXT = re.compile(r"^\s*(-?\d[\d,]*(?:\.\d+)?)\s*%\s*$")
_NUMBER_TEXT = re.compile(r"^\s*-?\d[\d,]*(?:\.\d+)?\s*$")
_RATE_NAME = re.compile(r"(rate|share|proportion|percent|pct|%)", re.IGNORECASE)
_PERIOD_NAME = re.compile(r"\b(period|year)\b", re.IGNORECASE)
_NEW_YEAR = re.compile(r"^\d{4}-01-01$")
_BARE_GAPS = ("n/a", "-", "–", "—", "..")
_WITHHELD = re.compile(
    r"^\s*'?((withheld|suppressed|not (available|shown))\b|(n/a|-|–|—|\.\.)\s*$)", re.IGNORECASE
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimals(values: list[float]) -> int:
    """The fewest decimal places (up to 3) that show every value exactly, else 2."""
    for places in range(4):
        if all(abs(round(v, places) - v) < 1e-9 for v in values):
            return places
    return 2


class Percent(float):
    """A fraction shown as a percentage, in a column that also holds other kinds of number."""


def _number_of(value: Any) -> float | int:
    """A number, or numeric text as a number ("61.2%" as :class:`Percent` 0.612)."""
    if not isinstance(value, str):
        return value
    if m := _PERCENT_TEXT.match(value):
        return Percent(float(m.group(1).replace(",", "")) / 100)
    return float(value.replace(",", "").strip())


def _is_numeric_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_PERCENT_TEXT.match(value) or _NUMBER_TEXT.match(value))


def _type_column(name: str, cells: list[Any]) -> tuple[str, list[Any], list[str]]:
    """A column's kind (integer, decimal, percent, year or text), its cells as stored, and the
    words that stood where a number of the column was withheld.

    Percentages written as text (``"61.2%"``) become fractions (0.612) shown with a percentage
    format; numbers written as text become numbers; symbols stay as they are. A cell saying its
    value is withheld ("withheld: fewer than 30 cases", "suppressed", "n/a", "-") becomes
    ``[x]`` and its words are returned, to be said once in a note, so that the column stays
    numeric; other words (such as "10+") keep the column as text.
    """
    values = [c for c in cells if c not in SYMBOLS]
    if (
        _PERIOD_NAME.search(name)
        and values
        and all(isinstance(v, str) and _NEW_YEAR.match(v) for v in values)
        and len(set(values)) > 1
    ):  # a yearly series: its periods are years ("2019"), not the 1 January of each
        return "year", [c if c in SYMBOLS else int(c[:4]) for c in cells], []
    words = [v for v in values if isinstance(v, str) and not _is_numeric_text(v)]
    reasons: list[str] = []
    # numbers with words where some are withheld, or a column withheld throughout (other
    # words, such as "10+", keep the column as text)
    if words and all(_WITHHELD.match(w) for w in words):
        said = (str(w).lstrip("'").strip() for w in words)  # a bare "-" needs no note
        reasons = list(dict.fromkeys(w for w in said if w.lower() not in _BARE_GAPS))
        cells = [NOT_AVAILABLE if c in words else c for c in cells]
        values = [c for c in cells if c not in SYMBOLS]
    if not values:
        return "text", cells, reasons
    if all(isinstance(v, str) and _PERCENT_TEXT.match(v) for v in values):
        out = [
            c if c in SYMBOLS else float(_PERCENT_TEXT.match(c).group(1).replace(",", "")) / 100  # type: ignore[union-attr]
            for c in cells
        ]
        return "percent", out, reasons
    if all(_is_number(v) or _is_numeric_text(v) for v in values):
        cells = [c if c in SYMBOLS else _number_of(c) for c in cells]
        values = [c for c in cells if c not in SYMBOLS]
        if any(isinstance(v, Percent) for v in values):
            # rates and other measures in one column (a dashboard's "Value"): each cell keeps
            # its own format, rates as percentages
            return "decimal", cells, reasons
    if not all(_is_number(v) for v in values):
        return "text", cells, []
    if _RATE_NAME.search(name) and all(0 <= float(v) <= 1 for v in values):
        return "percent", [c if c in SYMBOLS else float(c) for c in cells], reasons
    if all(float(v).is_integer() for v in values):
        kind = "year" if _PERIOD_NAME.search(name) else "integer"
        return kind, [c if c in SYMBOLS else int(c) for c in cells], reasons
    return "decimal", [c if c in SYMBOLS else float(c) for c in cells], reasons


HEADER_WORDS: dict[str, str] = {
    "n": "Cases",
    "mase": "Mean absolute scaled error (MASE)",
    "baseline_mase": "Baseline MASE",
    "freq": "Frequency",
    "freq_reason": "Why this frequency",
    "lcjb_area": "LCJB area",
    "court_type": "Court type",
}
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_PERCENTILE = re.compile(r"[Pp](\d{1,2})")


def plain_header(name: str) -> str:
    """A column name as a reader expects it: ``court_type`` -> "Court type", ``P90`` -> "90th
    percentile", ``N`` -> "Cases"; names already in words are kept as they are."""
    if m := _PERCENTILE.fullmatch(name):
        n = int(m.group(1))
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix} percentile"
    if name.lower() in HEADER_WORDS and (name == "N" or _IDENTIFIER.fullmatch(name)):
        return HEADER_WORDS[name.lower()]
    if _IDENTIFIER.fullmatch(name):
        return _cap(re.sub(r"_+", " ", name).strip())
    return name


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class PreparedTable:
    """A table ready to write: its header, typed cells and how each column is shown.

    Attributes:
        header: The column labels.
        kinds: Per column: ``integer``, ``year``, ``decimal``, ``percent`` or ``text``.
        formats: Per column: the spreadsheet number format (``#,##0``, ``0.0%`` …; ``@`` text).
        rows: The cells: numbers as numbers (percentages as fractions), text escaped, and
            ``[c]``, ``[x]`` or ``[z]`` where there is no value.
        meta: The completed :class:`TableMeta` (its disclosure note filled in).
    """

    header: list[str]
    kinds: list[str]
    formats: list[str]
    rows: list[list[Any]]
    meta: TableMeta

    def shown(self, row: int, col: int) -> str:
        """A cell as a reader sees it (``61.2%``, ``1,234``, ``[c]``)."""
        return show_value(self.rows[row][col], self.kinds[col], self.formats[col])


def show_value(value: Any, kind: str, fmt: str = "") -> str:
    """A typed cell as text the way its number format shows it."""
    if not _is_number(value):
        return str(value)
    if kind == "percent" or isinstance(value, Percent):
        return f"{float(value):.1%}"
    if kind == "year":
        return str(int(value))
    if kind == "integer":
        return f"{int(value):,}"
    places = fmt.count("0") - 1 if "." in fmt else 0
    return f"{float(value):,.{max(places, 0)}f}"


def _cell_format(value: Any, column_format: str) -> str:
    """A cell's number format: its column's, or a percentage for a :class:`Percent`."""
    return PERCENT_FORMAT if isinstance(value, Percent) else column_format


def _number_format(kind: str, values: list[Any]) -> str:
    if kind == "percent":
        return PERCENT_FORMAT
    if kind == "integer":
        return "#,##0"
    if kind == "year":
        return "0"
    if kind == "decimal":
        places = _decimals(
            [float(v) for v in values if _is_number(v) and not isinstance(v, Percent)]
        )
        return "#,##0" + ("." + "0" * places if places else "")
    return "@"


def typed_table(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> PreparedTable:
    """Apply disclosure control and type every column, for the spreadsheet and CSV writers.

    Args:
        frame: The table (an index is written as the first columns).
        meta: Title, source and notes.
        protect: Disclosure control to apply first (see :func:`apply_protection`).

    Returns:
        The :class:`PreparedTable`: hidden cells ``[c]``, missing ones ``[x]``, cells the
        caller marked ``[z]`` kept; rates stored as fractions with a percentage format.
    """
    header, rows, meta = prepare_table(frame, meta, protect)
    columns = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in header]
    header = [plain_header(h) for h in header]
    kinds, formats = [], []
    withheld: dict[str, list[str]] = {}  # why -> the columns where [x] means it
    for j, name in enumerate(header):
        kind, cells, reasons = _type_column(name, columns[j])
        columns[j] = cells
        kinds.append(kind)
        formats.append(_number_format(kind, cells))
        for why in reasons:
            withheld.setdefault(why, []).append(name)
    if withheld:
        said = [
            f"{NOT_AVAILABLE} in the {_and(names)} column{'s' if len(names) > 1 else ''} "
            f"means {why}."
            for why, names in withheld.items()
        ]
        meta = replace(meta, notes=(*meta.notes, *said))
    typed = [list(r) for r in zip(*columns, strict=True)] if rows else []
    return PreparedTable(header, kinds, formats, typed, meta)


def prepare_table(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> tuple[list[str], list[list[Any]], TableMeta]:
    """The header, the rows of cells (escaped, suppressed as ``[c]``) and the completed meta."""
    result = apply_protection(frame, protect)
    table = result.table if result is not None else frame
    if result is not None:
        meta = replace(meta, disclosure_note=result.note)
    elif not meta.disclosure_note:
        meta = replace(meta, disclosure_note="No disclosure control was applied by this export.")
    mask = (
        result.hidden.reindex(columns=table.columns, fill_value=False)
        .fillna(False)
        .to_numpy(dtype=bool)
        if result is not None
        else None
    )
    if not isinstance(table.index, pd.RangeIndex):
        extra = table.index.nlevels
        if extra == frame.index.nlevels and not any(table.index.names):
            table = table.rename_axis(frame.index.names)
        table = table.reset_index()
        if mask is not None:
            mask = pd.concat(
                [
                    pd.DataFrame(False, index=range(len(mask)), columns=range(extra)),
                    pd.DataFrame(mask),
                ],
                axis=1,
            ).to_numpy(dtype=bool)
    header = [str(escape_cell(str(c))) for c in table.columns]
    rows = [
        [
            SUPPRESSED if mask is not None and mask[i, j] else _cell(value)
            for j, value in enumerate(record)
        ]
        for i, record in enumerate(table.itertuples(index=False, name=None))
    ]
    for i, column in meta.not_applicable:
        j = header.index(column) if column in header else -1
        if 0 <= i < len(rows) and j >= 0 and rows[i][j] == NOT_AVAILABLE:
            rows[i][j] = NOT_APPLICABLE
    return header, rows, meta


def _all_notes(meta: TableMeta) -> list[str]:
    return [meta.disclosure_note, *meta.notes]


def _csv_value(value: Any, kind: str) -> Any:
    if not _is_number(value):
        return value
    if isinstance(value, Percent):
        return f"{float(value) * 100:.10g}%"
    if kind == "percent":
        return f"{float(value) * 100:.10g}"
    return value


def csv_header(table: PreparedTable) -> list[str]:
    """The CSV's column names: a percentage column's name ends with ``(%)``."""
    return [
        f"{h} (%)" if kind == "percent" and "%" not in h else h
        for h, kind in zip(table.header, table.kinds, strict=True)
    ]


def table_to_csv(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """A CSV file whose first line is the header, then one line per row; nothing else.

    Numbers are plain numbers (no thousands separators); a percentage column holds percentages
    (61.2, not 0.612 or ``61.2%``) and its name ends with ``(%)``. Suppressed cells read
    ``[c]``, missing ones ``[x]``, not applicable ones ``[z]``. UTF-8 without a byte-order mark,
    so that every CSV reader sees the first column's name as written.

    The title, source, period, status, disclosure note, notes and symbols are not in the CSV
    (comment lines above the header break most readers): they are in the metadata file that is
    downloaded beside it (:func:`table_metadata`).
    """
    table = typed_table(frame, meta, protect)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_header(table))
    writer.writerows(
        [_csv_value(v, k) for v, k in zip(row, table.kinds, strict=True)] for row in table.rows
    )
    return buf.getvalue().encode("utf-8")


def table_metadata(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """The plain-text metadata file downloaded beside a CSV (``<name>.metadata.txt``).

    A government statistics CSV is one header row and the data; what it is, where it came from,
    the period, its status, who to contact, how it was made, what disclosure control did and
    what the symbols mean is published beside it. A separate plain-text file, named after the
    CSV, opens in any program on any computer without unpacking (unlike a ZIP, which some
    managed desktops block or which users must extract first) and the CSV stays a file that
    every tool reads directly.

    Args:
        frame: The table.
        meta: Title, source, notes and definitions.
        protect: Disclosure control to apply first (the same as for the CSV).
    """
    table = typed_table(frame, meta, protect)
    lines = [meta.title, "=" * min(len(meta.title), 80), ""]
    for heading, text in _cover_sections(table.meta, frame):
        lines += [heading, *text, ""]
    lines.append("Columns")
    for name, kind in zip(csv_header(table), table.kinds, strict=True):
        lines.append(f"{name}: {_KIND_WORDS[kind]}")
    lines.append("")
    lines.append("Notes")
    lines += [f"[note {i}] {n}" for i, n in enumerate(_all_notes(table.meta), start=1)]
    return ("\r\n".join(" ".join(str(line).split()) if line else "" for line in lines)).encode(
        "utf-8"
    ) + b"\r\n"


_KIND_WORDS = {
    "integer": "whole numbers",
    "year": "years",
    "decimal": "numbers",
    "percent": "percentages",
    "text": "text",
}


def read_csv_export(data: bytes | str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`table_to_csv` back as text (every column as strings)."""
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def publish_contact() -> str:
    """Who readers contact about a published table: ``WORKBENCH_PUBLISH_CONTACT`` or a default."""
    return os.environ.get(CONTACT_ENV, "").strip() or DEFAULT_CONTACT


def period_covered(frame: pd.DataFrame) -> str:
    """The period a table covers, from its date or ``period`` column ("January to June 2024")."""
    table = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    for name in table.columns:
        col = table[name]
        if pd.api.types.is_datetime64_any_dtype(col) or str(name).lower() in (
            "period",
            "month",
            "week",
            "quarter",
            "date",
        ):
            when = pd.to_datetime(col, errors="coerce").dropna()
            if len(when):
                first, last = when.min(), when.max()
                if first == last:
                    return f"{first:%B %Y}"
                return f"{first:%B %Y} to {last:%B %Y}"
    return ""


def _source_line(meta: TableMeta) -> str:
    source = meta.source if meta.source != SOURCE_NOTE else DATA_SOURCES
    return source if source.lower().startswith("source") else f"Source: {source}"


def _cover_sections(meta: TableMeta, frame: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """The headed sections of the cover sheet (and of a CSV's metadata file)."""
    period = meta.period or period_covered(frame) or "All the records in the data version below."
    sections: list[tuple[str, list[str]]] = [
        ("Period covered", [period]),
        ("Statistical status", [meta.status.capitalize()]),
        ("Source", [_source_line(meta)]),
        ("Methodology", [meta.methodology]),
        ("Contact", [meta.contact or publish_contact()]),
        ("Date produced", [f"{meta.created:%d %B %Y}"]),
    ]
    if meta.data_version:
        sections.append(("Data version", [meta.data_version]))
    sections.append(("Disclosure control", [meta.disclosure_note]))
    sections.append(("Symbols used", [f"{s} = {text}" for s, text in SYMBOLS.items()]))
    if meta.definitions:
        sections.append(("Definitions", [f"{term}: {text}" for term, text in meta.definitions]))
    return sections


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name and rows (the first row is the sheet's title).

    Attributes:
        name: The worksheet's name.
        rows: The cells, row by row; the first row holds the title alone.
        header_row: The index of the column header row (frozen), if the sheet is a table.
        widths: Column widths in characters.
        formats: Number formats of the table's columns (``#,##0``, ``0.0%``, ``@``).
        headings: Rows (other than the title) written bold: the cover sheet's headings.
        wrap: Whether long text wraps in rows tall enough for it (cover and notes); elsewhere
            the lines above the table run on into the empty cells to their right.
    """

    name: str
    rows: list[list[Any]]
    header_row: int | None = None
    widths: Sequence[int] = ()
    formats: Sequence[str] = ()
    headings: frozenset[int] = frozenset()
    wrap: bool = False


def _fit_widths(rows: list[list[str]], low: int = 8, high: int = 60) -> list[int]:
    """Column widths in characters that fit every cell (between ``low`` and ``high``)."""
    count = max((len(r) for r in rows), default=0)
    return [
        max(low, min(high, max((len(r[j]) for r in rows if j < len(r)), default=0) + 3))
        for j in range(count)
    ]


def workbook_sheets(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> list[Sheet]:
    """The sheets of an accessible statistical workbook: cover, contents, notes and the table.

    Built to the Analysis Function's guidance on releasing statistics in spreadsheets: one table
    per sheet starting in A1 with a plain-language title, no merged cells, no blank cells
    (``[c]``, ``[x]`` or ``[z]`` instead), numbers stored as numbers with number formats, bold
    frozen column headers, columns wide enough for their contents.

    Args:
        frame: The table.
        meta: Title, source, notes, definitions, period, status, contact and methodology.
        protect: Disclosure control to apply first (see :func:`apply_protection`).

    Returns:
        ``Cover_sheet``, ``Contents``, ``Notes`` and ``Table_1``, each starting with a title in A1.
    """
    table = typed_table(frame, meta, protect)
    meta = table.meta
    notes = _all_notes(meta)
    refs = " ".join(f"[note {i}]" for i in range(1, len(notes) + 1))
    cover: list[list[Any]] = [
        [meta.title],
        ["This spreadsheet contains one table, with its notes and definitions."],
    ]
    headings = set()
    for heading, lines in _cover_sections(meta, frame):
        headings.add(len(cover))
        cover += [[heading], *[[line] for line in lines]]
    headings.add(len(cover))
    cover += [["Notes"], ["Notes are listed on the Notes worksheet and referred to as [note 1]."]]
    contents = [
        ["Contents"],
        ["This worksheet contains one table."],
        ["Worksheet", "Table title"],
        ["Notes", "Notes"],
        ["Table_1", meta.title],
    ]
    notes_sheet = [
        ["Notes"],
        ["This worksheet contains one table."],
        ["Note number", "Note text"],
        *[[f"[note {i}]", text] for i, text in enumerate(notes, start=1)],
    ]
    table_sheet = [
        [f"Table 1: {meta.title} {refs}".strip()],
        [
            "This worksheet contains one table. Some cells refer to notes which can be found "
            f"on the Notes worksheet. {SUPPRESSED} marks hidden values, {NOT_AVAILABLE} values "
            f"not available and {NOT_APPLICABLE} values that do not apply."
        ],
        [_source_line(meta)],
        table.header,
        *table.rows,
    ]
    shown = [table.header] + [
        [table.shown(i, j) for j in range(len(table.header))] for i in range(len(table.rows))
    ]

    def safe(rows: list[list[Any]]) -> list[list[Any]]:
        return [[escape_cell(c) for c in r] for r in rows]

    def text(rows: list[list[Any]]) -> list[list[str]]:
        return [[str(c) for c in r] for r in rows]

    return [
        Sheet(
            "Cover_sheet",
            safe(cover),
            None,
            [COVER_WIDTH],
            headings=frozenset(headings),
            wrap=True,
        ),
        Sheet("Contents", safe(contents), 2, _fit_widths(text(contents[2:]))),
        Sheet("Notes", safe(notes_sheet), 2, [14, COVER_WIDTH], wrap=True),
        Sheet("Table_1", safe(table_sheet), 3, _fit_widths(shown), table.formats),
    ]


def _lines_needed(value: Any, width: int) -> int:
    """How many lines a wrapped text cell of ``width`` characters needs."""
    text = str(value)
    return max(1, -(-len(text) // max(width - 2, 10)))


def _wraps(sheet: Sheet, row: list[Any]) -> bool:
    """Whether a row's text wraps: on a wrapping sheet, rows filling every column (a line of
    text alone above a wider table runs on to the right instead)."""
    return sheet.wrap and len(row) == len(sheet.widths)


def _row_lines(sheet: Sheet, r: int, row: list[Any]) -> int:
    """How many lines tall a row of a wrapping sheet must be (1 for titles and headers)."""
    if not _wraps(sheet, row) or r == 0 or r == sheet.header_row or r in sheet.headings:
        return 1
    return max(
        (_lines_needed(v, sheet.widths[c]) for c, v in enumerate(row) if c < len(sheet.widths)),
        default=1,
    )


def table_to_xlsx(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An XLSX workbook in the accessible statistical layout (see :func:`workbook_sheets`)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    title = book.add_format({"bold": True, "font_size": 15})
    heading = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    numbers: dict[str, Any] = {}

    def number(fmt: str) -> Any:
        if fmt not in numbers:
            numbers[fmt] = book.add_format({"num_format": fmt, "align": "right"})
        return numbers[fmt]

    symbol = book.add_format({"align": "right"})
    heading_right = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    heading_right.set_align("right")
    for sheet in workbook_sheets(frame, meta, protect):
        ws = book.add_worksheet(sheet.name)
        numeric = [f != "@" for f in sheet.formats]
        for col, width in enumerate(sheet.widths):
            ws.set_column(col, col, width)
        for r, row in enumerate(sheet.rows):
            in_table = sheet.header_row is not None and r > sheet.header_row
            if r == 0:
                ws.set_row(r, 21)
            elif (lines := _row_lines(sheet, r, row)) > 1:
                ws.set_row(r, 15 * lines)
            for c, value in enumerate(row):
                if r == 0:
                    fmt = title
                elif r == sheet.header_row and c < len(numeric) and numeric[c]:
                    fmt = heading_right
                elif r == sheet.header_row or r in sheet.headings:
                    fmt = heading
                elif in_table and sheet.formats and c < len(sheet.formats):
                    fmt = (
                        number(_cell_format(value, sheet.formats[c])) if _is_number(value) else None
                    )
                    if value in SYMBOLS and numeric[c]:
                        fmt = symbol
                else:
                    fmt = wrap if _wraps(sheet, row) else None
                if _is_number(value):
                    ws.write_number(r, c, value, fmt)
                else:
                    ws.write_string(r, c, str(value), fmt)
        if sheet.header_row is not None:
            ws.freeze_panes(sheet.header_row + 1, 0)
            ws.repeat_rows(sheet.header_row)
        if sum(sheet.widths) > PORTRAIT_CHARACTERS:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)  # printed: as wide as one page, as many pages long as needed
    book.set_properties(
        {"title": meta.title, "comments": meta.disclosure_note, "author": publish_contact()}
    )
    book.close()
    return buf.getvalue()


def _ods_number_style(name: str, fmt: str) -> Any:
    """An ODF number or percentage data style for a spreadsheet format code."""
    from odf.number import Number, NumberStyle, PercentageStyle, Text

    places = fmt.split(".", 1)[1].count("0") if "." in fmt else 0
    if fmt.endswith("%"):
        style = PercentageStyle(name=name)
        style.addElement(Number(decimalplaces=places, minintegerdigits=1))
        style.addElement(Text(text="%"))
        return style
    style = NumberStyle(name=name)
    style.addElement(Number(decimalplaces=places, minintegerdigits=1, grouping="," in fmt))
    return style


def _ods_settings(doc: Any, frozen: dict[str, int]) -> None:
    """Freeze the header rows of each named sheet (LibreOffice's view settings)."""
    from odf.config import (
        ConfigItem,
        ConfigItemMapEntry,
        ConfigItemMapIndexed,
        ConfigItemMapNamed,
        ConfigItemSet,
    )

    view_settings = ConfigItemSet(name="ooo:view-settings")
    views = ConfigItemMapIndexed(name="Views")
    view = ConfigItemMapEntry()
    view.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    tables = ConfigItemMapNamed(name="Tables")
    for name, rows in frozen.items():
        entry = ConfigItemMapEntry(name=name)
        for key, kind, value in (
            ("HorizontalSplitMode", "short", 0),
            ("VerticalSplitMode", "short", 2),
            ("HorizontalSplitPosition", "int", 0),
            ("VerticalSplitPosition", "int", rows),
            ("ActiveSplitRange", "short", 2),
            ("PositionLeft", "int", 0),
            ("PositionRight", "int", 0),
            ("PositionTop", "int", 0),
            ("PositionBottom", "int", rows),
        ):
            entry.addElement(ConfigItem(name=key, type=kind, text=str(value)))
        tables.addElement(entry)
    view.addElement(tables)
    views.addElement(view)
    view_settings.addElement(views)
    doc.settings.addElement(view_settings)


def table_to_ods(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """An OpenDocument spreadsheet with the same sheets, types and formats as the XLSX.

    Column widths fit the contents, headings are bold, the table's column headers are marked
    as header rows (``table:table-header-rows``) and frozen, numbers are stored as floats or
    percentages with number styles, and long cover-sheet lines wrap in rows tall enough.
    """
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableRowProperties,
        TextProperties,
    )
    from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    title = Style(name="Title", family="table-cell")
    title.addElement(TextProperties(fontweight="bold", fontsize="15pt"))
    bold = Style(name="Heading", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    bold.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    wrap = Style(name="Wrapped", family="table-cell")
    wrap.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    right = Style(name="Symbol", family="table-cell")
    right.addElement(ParagraphProperties(textalign="end"))
    bold_right = Style(name="HeadingNumber", family="table-cell")
    bold_right.addElement(TextProperties(fontweight="bold"))
    bold_right.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
    bold_right.addElement(ParagraphProperties(textalign="end"))
    for style in (title, bold, wrap, right, bold_right):
        doc.automaticstyles.addElement(style)
    cell_styles: dict[str, Any] = {}
    col_styles: dict[int, Any] = {}
    row_styles: dict[int, Any] = {}

    def number_style(fmt: str) -> Any:
        if fmt not in cell_styles:
            data = _ods_number_style(f"N{len(cell_styles)}", fmt)
            doc.automaticstyles.addElement(data)
            style = Style(name=f"Num{len(cell_styles)}", family="table-cell", datastylename=data)
            doc.automaticstyles.addElement(style)
            cell_styles[fmt] = style
        return cell_styles[fmt]

    def column_style(width: int) -> Any:
        if width not in col_styles:
            style = Style(name=f"Col{width}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(style)
            col_styles[width] = style
        return col_styles[width]

    def row_style(lines: int) -> Any:
        if lines not in row_styles:
            style = Style(name=f"Row{lines}", family="table-row")
            style.addElement(
                TableRowProperties(rowheight=f"{0.53 * lines:.2f}cm", useoptimalrowheight=False)
            )
            doc.automaticstyles.addElement(style)
            row_styles[lines] = style
        return row_styles[lines]

    frozen: dict[str, int] = {}
    for sheet in workbook_sheets(frame, meta, protect):
        table = Table(name=sheet.name)
        for width in sheet.widths:
            table.addElement(TableColumn(stylename=column_style(width)))
        header_rows = None
        numeric = [f != "@" for f in sheet.formats]
        for r, row in enumerate(sheet.rows):
            in_table = sheet.header_row is not None and r > sheet.header_row
            lines = _row_lines(sheet, r, row)
            tr = TableRow(stylename=row_style(lines)) if lines > 1 else TableRow()
            for c, value in enumerate(row):
                style = None
                if r == 0:
                    style = title
                elif r == sheet.header_row and c < len(numeric) and numeric[c]:
                    style = bold_right
                elif r == sheet.header_row or r in sheet.headings:
                    style = bold
                elif in_table and value in SYMBOLS and c < len(numeric) and numeric[c]:
                    style = right
                elif _wraps(sheet, row):
                    style = wrap
                if _is_number(value):
                    fmt = sheet.formats[c] if in_table and c < len(sheet.formats) else "0"
                    fmt = _cell_format(value, fmt)
                    kind = "percentage" if fmt.endswith("%") else "float"
                    shown = show_value(value, "percent" if kind == "percentage" else "", fmt)
                    cell = TableCell(valuetype=kind, value=value, stylename=number_style(fmt))
                    cell.addElement(P(text=shown))
                else:
                    attrs = {"stylename": style} if style is not None else {}
                    cell = TableCell(valuetype="string", **attrs)
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            if r == sheet.header_row:
                header_rows = TableHeaderRows()
                header_rows.addElement(tr)
                table.addElement(header_rows)
            else:
                table.addElement(tr)
        if sheet.header_row is not None:
            frozen[sheet.name] = sheet.header_row + 1
        doc.spreadsheet.addElement(table)
    _ods_settings(doc, frozen)
    from odf.dc import Title

    doc.meta.addElement(Title(text=meta.title))
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def export_table(
    frame: pd.DataFrame, meta: TableMeta, fmt: str, protect: ProtectArg = None
) -> bytes:
    """Export a table in one of :data:`TABLE_FORMATS` (or its CSV's ``metadata`` file)."""
    if fmt == "csv":
        return table_to_csv(frame, meta, protect)
    if fmt == "metadata":
        return table_metadata(frame, meta, protect)
    if fmt == "xlsx":
        return table_to_xlsx(frame, meta, protect)
    if fmt == "ods":
        return table_to_ods(frame, meta, protect)
    raise ExportError(f"Unknown table format {fmt!r}.", hint=f"Use {', '.join(TABLE_FORMATS)}.")


def file_name(title: str, fmt: str) -> str:
    """A safe download file name from a title: ``victim-attrition-2024.xlsx``."""
    stem = "".join(ch.lower() if ch.isalnum() else "-" for ch in title).strip("-")
    stem = "-".join(part for part in stem.split("-") if part)[:60] or "export"
    return f"{stem}.{EXTENSIONS.get(fmt, fmt)}"


# ------------------------------------------------------------------------------ app helpers
def meta_from_chart(
    chart: alt.TopLevelMixin, data_version: str = "", notes: Sequence[str] = ()
) -> ChartMeta:
    """The :class:`ChartMeta` of a chart drawn with :func:`workbench.charts.titled`.

    The app's own source line (naming the workbench) becomes the systems the data came from
    (:data:`CHART_SOURCE`).

    Args:
        chart: A chart whose title holds the headline and whose subtitle lines are the
            statistical subtitle and the source line.
        data_version: Which data it was drawn from.
        notes: Further notes (for example, what disclosure control did).
    """
    spec = chart.to_dict(validate=False)
    title = spec.get("title", "")
    if isinstance(title, dict):
        text, lines = title.get("text", ""), title.get("subtitle", [])
    else:
        text, lines = title, []
    lines = [lines] if isinstance(lines, str) else list(lines)
    text = " ".join(text) if isinstance(text, list) else str(text)
    kept = (spec.get("usermeta") or {}).get(TITLE_META)
    if kept:  # the whole subtitle and source, however many lines they were wrapped into
        subtitle, source = str(kept.get("subtitle", "")), str(kept.get("source", SOURCE_NOTE))
    else:
        subtitle = str(lines[0]) if lines else ""
        source = str(lines[1]) if len(lines) > 1 else SOURCE_NOTE
    return ChartMeta(
        title=text or "Chart",
        subtitle=subtitle,
        source=CHART_SOURCE if source == SOURCE_NOTE else source,
        notes=tuple(n for n in notes if n),
        data_version=data_version,
    )


def marked_protection(
    frame: pd.DataFrame, marker: str = "suppressed", threshold: int = 10
) -> Protected:
    """A table already disclosure-controlled, its hidden cells written as ``marker``.

    The analysis pages show leaders tables whose hidden values read ``suppressed``; this turns
    them back into a :class:`Protected` so the export writes them as ``[c]`` and states that
    disclosure control was applied.

    Args:
        frame: The table as shown.
        marker: The text of a hidden cell.
        threshold: The threshold the table was protected with.
    """
    hidden = frame.apply(lambda col: col.astype("string").fillna("") == marker)
    hidden = hidden.astype(bool)
    table = frame.mask(hidden)
    count = int(hidden.to_numpy().sum())
    return Protected(table, hidden, count, 0, 0, threshold)


def journey_version(ws: Workspace, table: str = "linked") -> str:
    """The data version of a journey table: its model, threshold and build time.

    Args:
        ws: The workspace.
        table: The journey table's name.
    """
    rows = ws.query(
        "SELECT model_id, threshold, built_at FROM wb.journey_builds WHERE name = ?", [table]
    )
    if not rows:
        return f"journeys.{table}"
    model, threshold, built = rows[0]
    parts = [f"journeys.{table}", f"model {model}" if model else ""]
    parts.append(f"threshold {float(threshold):.3f}" if threshold is not None else "")
    parts.append(f"built {built:%Y-%m-%d %H:%M}" if built else "")
    return ", ".join(p for p in parts if p)


def dataset_version(ws: Workspace, name: str) -> str:
    """The data version of a dataset: its version number and refresh time (or file hash).

    Args:
        ws: The workspace.
        name: The dataset's name.
    """
    rows = ws.query(
        "SELECT version, coalesce(updated_at, imported_at), source_sha256 FROM wb.datasets "
        "WHERE name = ?",
        [name],
    )
    if not rows:
        return name
    version, when, sha = rows[0]
    stamp = f", refreshed {when:%Y-%m-%d %H:%M}" if when else ""
    digest = f", sha256 {sha[:12]}" if sha else ""
    return f"{name} v{version}{stamp}{digest}"


def chart_rows(chart: alt.TopLevelMixin) -> int:
    """How many rows of data a chart is drawn from (0 when its data is not a DataFrame)."""
    frame = _chart_frame(chart)
    return len(frame) if frame is not None else 0
