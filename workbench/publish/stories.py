"""Stories: charts, tables and text collected, annotated and published as one HTML or PDF file.

A story is an ordered list of :class:`Block`. A chart or table block stores its *recipe* — a
source from :data:`SOURCES` and its parameters — never a frozen image, so reopening a story after
the data is refreshed draws it from the new data. Every chart and table of a story passes through
disclosure control before it is drawn. Headlines are generated from the data ("Court receipts fell
by 12% to 1,234 in March 2024") unless the analyst has written their own.

Stories are saved in the workspace (``wb.stories``; migrations 5 and 7) as JSON. Each story has
an owner; names are unique per owner. A user lists, opens, edits, downloads and deletes only the
stories they own, and reads (never edits) the stories their owners published to their areas.
Analysts and admins with every area read every story; only admins change another owner's story.
A leader's blocks draw only the linked journeys of the leader's own areas, whatever the saved
block says: the areas are checked again on every save and every render.

Blocks added from the Attrition, Timeliness, LCJB dashboard and Demand pages (“Add to story”)
are computed through the pages' own views (:mod:`workbench.analysis.views`, the forecasts of
:mod:`workbench.forecast.model` and the scenarios of :mod:`workbench.forecast.scenarios`) with
disclosure control on, so a block is the figure a leader sees on the page, for every reader.
"""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal, NoReturn

import altair as alt
import pandas as pd

from workbench.access.auth import ALL_AREAS, User
from workbench.analysis.charts import (
    caseload_chart,
    distribution_chart,
    reasons_chart,
    small_multiples,
    trend_chart,
)
from workbench.analysis.headlines import format_period
from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.demand import DEMAND_STAGES, receipts
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.timeliness import INTERVALS, timeliness
from workbench.analysis.views.attrition import reasons_view
from workbench.analysis.views.cards import series_table
from workbench.analysis.views.dashboard import dashboard_headlines, dashboard_kpis
from workbench.analysis.views.scope import court_name, data_end
from workbench.analysis.views.series import trend_view
from workbench.analysis.views.timeliness import caseload_view, distribution_view
from workbench.analysis.views.view import MEASURES, View
from workbench.analysis.views.view import NATIONAL as NATIONAL_SERIES
from workbench.analysis.views.windows import COHORT_WINDOW
from workbench.browser import html_to_pdf
from workbench.charts import accessible_palette, period_axis
from workbench.data.explore import period_counts
from workbench.disclosure.control import (
    DEFAULT_THRESHOLD,
    Protected,
    modelled,
    protect_frame,
    protect_funnel,
    protect_timeliness,
)
from workbench.errors import AccessDeniedError, ExportError, ValidationError
from workbench.forecast.charts import forecast_chart, scenario_chart
from workbench.forecast.model.demand import demand_table, forecast_selection
from workbench.forecast.model.disclosure import adjusted_table, protect_series
from workbench.forecast.model.series import COURT_TYPES as FORECAST_COURTS
from workbench.forecast.model.series import NATIONAL as FORECAST_NATIONAL
from workbench.forecast.model.series import ForecastSettings, SeriesForecast
from workbench.forecast.model.tables import forecasts_frame, not_applicable_cells
from workbench.forecast.scenarios.comparison import scenario_summary
from workbench.forecast.scenarios.projection import (
    BASELINE,
    PROJECTION_COLUMNS,
    Scenario,
    project_with_baseline,
)
from workbench.forecast.scenarios.state import COURT_WORDS, court_state, scenario_notes, stage_lags
from workbench.publish.export import (
    CHART_SOURCE,
    PAGE_CSS,
    ChartMeta,
    TableMeta,
    chart_spec,
    chart_to_svg,
    embed_script,
    marked_protection,
    period_covered,
    typed_table,
    vega_bundle,
)
from workbench.reference import LCJB_AREAS
from workbench.sql import qualified
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

BlockKind = Literal["chart", "table", "text"]
BLOCK_KINDS: tuple[str, ...] = ("chart", "table", "text")
STORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


# ------------------------------------------------------------------------------ model
@dataclass
class Annotation:
    """A note drawn onto a chart.

    Attributes:
        kind: ``text`` (a label at ``x``) or ``range`` (a shaded band from ``x`` to ``x2``).
        x: Where: a date (``2020-03-23``) on a time axis, or a category on a bar chart.
        text: The label.
        x2: Where a range ends.
    """

    kind: Literal["text", "range"]
    x: str
    text: str
    x2: str | None = None


@dataclass
class Block:
    """One block of a story.

    Attributes:
        kind: ``chart``, ``table`` or ``text``.
        source: For charts and tables, a key of :data:`SOURCES`.
        params: The source's parameters.
        headline: The analyst's headline; empty means "generate it from the data".
        meta: Chart or table text overriding the defaults: ``subtitle``, ``source``, ``notes``
            (list) and ``alt_text``.
        annotations: Annotations drawn on a chart.
        text: Markdown, for text blocks.
        id: A stable identifier.
    """

    kind: BlockKind
    source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    text: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        """Rebuild a block from its saved JSON form."""
        anns = [Annotation(**a) for a in data.get("annotations", [])]
        return cls(**{**data, "annotations": anns})


@dataclass
class Story:
    """A titled, ordered list of blocks, saved in the workspace under its owner and name.

    Attributes:
        name: The name, unique among its owner's stories.
        title: The title.
        summary: A lead paragraph.
        blocks: The blocks, in order.
        revision: The saved revision this copy was read at (0: not saved yet).
        updated_at: When it was last saved.
        owner: The user who created it (empty until it is saved).
        audience: The areas it is published to, read-only (``all`` for every area).
    """

    name: str
    title: str
    summary: str = ""
    blocks: list[Block] = field(default_factory=list)
    revision: int = 0
    updated_at: datetime | None = None
    owner: str = ""
    audience: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """``owner/name``: how the story is named across owners (the CLI accepts it)."""
        return f"{self.owner}/{self.name}"


# ------------------------------------------------------------------------------ sources
@dataclass(frozen=True)
class Source:
    """A recipe for a chart or table: how to compute, protect, draw and headline it.

    Attributes:
        label: What it shows, for pickers.
        defaults: Parameters and their defaults.
        compute: Workspace, parameters -> disclosure-controlled table.
        chart: Protected table, parameters -> chart (no title: the story adds it).
        x_type: ``temporal`` or ``nominal``: how annotations are placed.
        headline: Protected table, parameters -> a plain-language headline.
        subtitle: Parameters -> the statistical subtitle.
        version: Workspace, parameters -> the data version line.
        leaders: Whether a leader's story may use it (only the published aggregate views of
            the linked journeys, confined to the leader's areas).
        page_only: Whether blocks come only from a page's "Add to story" (their parameters
            are the page's choices), so the Stories page does not offer it.
        annotated: Whether annotations can be drawn on its chart (not on horizontal bars,
            histograms or panels); a block's annotations are left off a chart that takes none.

    A source computed through a page's own view returns a :class:`ViewResult`, which carries
    the chart, headline and table as the page draws them; ``chart`` and ``headline`` are then
    not needed.
    """

    label: str
    defaults: dict[str, Any]
    compute: Callable[[Workspace, dict[str, Any]], Protected]
    subtitle: Callable[[dict[str, Any]], str]
    version: Callable[[Workspace, dict[str, Any]], str]
    chart: Callable[[pd.DataFrame, dict[str, Any]], alt.TopLevelMixin] | None = None
    x_type: Literal["temporal", "nominal"] = "nominal"
    headline: Callable[[pd.DataFrame, dict[str, Any]], str] | None = None
    leaders: bool = True
    page_only: bool = False
    annotated: bool = True


def _dataset_version(ws: Workspace, params: dict[str, Any]) -> str:
    rows = ws.query(
        "SELECT version, coalesce(updated_at, imported_at) FROM wb.datasets WHERE name = ?",
        [params.get("dataset")],
    )
    if not rows:
        return ""
    version, when = rows[0]
    stamp = f", {when:%Y-%m-%d %H:%M}" if when else ""
    return f"{params.get('dataset')} v{version}{stamp}"


def _journey_version(ws: Workspace, params: dict[str, Any]) -> str:
    table = params.get("table", LINKED)
    rows = ws.query("SELECT built_at FROM wb.journey_builds WHERE name = ?", [table])
    return f"journeys.{table} built {rows[0][0]:%Y-%m-%d %H:%M}" if rows else f"journeys.{table}"


def _series_chart(frame: pd.DataFrame, value: str, title: str, period: str) -> alt.Chart:
    groups = sorted(frame["group"].dropna().unique()) if "group" in frame else []
    enc: dict[str, Any] = {
        "x": alt.X("period:T", title=period.capitalize(), axis=period_axis(period)),
        "y": alt.Y(f"{value}:Q", title=title),
        "tooltip": [alt.Tooltip("period:T"), alt.Tooltip(f"{value}:Q", format=",")],
    }
    if len(groups) > 1:
        enc["color"] = alt.Color(
            "group:N", title=None, scale=alt.Scale(domain=groups, range=accessible_palette())
        )
        enc["strokeDash"] = alt.StrokeDash("group:N", title=None)
    else:
        enc["color"] = alt.value(accessible_palette()[0])
    return alt.Chart(frame).mark_line(strokeWidth=2).encode(**enc).properties(width=560, height=300)


def _bar_chart(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar(color=accessible_palette()[0])
        .encode(
            x=alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-20)),
            y=alt.Y(f"{y}:Q", title=y_title),
            tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q", format=",.1f")],
        )
        .properties(width=560, height=300)
    )


def _when(value: Any, period: str) -> str:
    ts = pd.Timestamp(value)
    if period == "year":
        return f"{ts:%Y}"
    if period == "quarter":
        return f"Q{ts.quarter} {ts:%Y}"
    if period == "week":
        return f"the week of {ts.day} {ts:%B %Y}"
    return f"{ts:%B %Y}"


_STEP: dict[str, pd.DateOffset] = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def series_headline(frame: pd.DataFrame, value: str, what: str, period: str) -> str:
    """A headline comparing the last period of a series with the period just before it.

    Only two consecutive periods that are both shown are compared: a period with a hidden
    (suppressed) value in any group, or missing from the table, is never compared, and
    neither is an empty series; the headline then says there are too few cases to compare.

    Args:
        frame: Columns ``period`` and ``value`` (summed over any groups).
        value: The value column.
        what: What is counted, capitalised ("Court receipts").
        period: The period length, for wording.

    Returns:
        For example "Court receipts rose by 12% to 1,234 in March 2024 (from 1,100 in
        February 2024)."
    """
    if not len(frame) or "period" not in frame:
        return f"{what}: too few cases to compare."
    values = pd.to_numeric(frame[value], errors="coerce")
    grouped = values.groupby(pd.to_datetime(frame["period"]))
    complete = grouped.apply(lambda v: bool(v.notna().all()))
    totals = grouped.sum(min_count=1).where(complete).sort_index()
    if len(totals) < 2:
        return f"{what}: not enough periods to compare."
    last_at, prev_at = totals.index[-1], totals.index[-2]
    when, before = _when(last_at, period), _when(prev_at, period)
    step = _STEP.get(period)
    consecutive = step is None or prev_at + step == last_at
    last, prev = totals.iloc[-1], totals.iloc[-2]
    if pd.isna(last) or pd.isna(prev) or not consecutive:
        return f"{what}: too few cases to compare {when} with {before}."
    if last == 0 and prev == 0:
        return f"{what}: none in {when} or in {before}."
    if prev == 0 or last == prev:
        verb = "were unchanged at" if last == prev else "rose to"
        return f"{what} {verb} {last:,.0f} in {when} (from {prev:,.0f} in {before})."
    change = (last - prev) / prev
    verb = "rose" if change > 0 else "fell"
    return (
        f"{what} {verb} by {abs(change):.0%} to {last:,.0f} in {when} "
        f"(from {prev:,.0f} in {before})."
    )


def _counts_compute(ws: Workspace, p: dict[str, Any]) -> Protected:
    frame = period_counts(
        ws, p["dataset"], p["date_column"], by=p.get("by") or None, period=p.get("period", "month")
    )
    return protect_frame(frame, counts=["records"])


def _receipts_compute(ws: Workspace, p: dict[str, Any]) -> Protected:
    frame = receipts(
        ws,
        p.get("table", LINKED),
        freq=p.get("freq", "month"),
        by=(),
        stages=[p["stage"]],
        where=_where(p),
        keys=bool(p.get("cell_keys")),
    )
    return protect_frame(frame, counts=["receipts"])


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _where(p: dict[str, Any]) -> JourneyFilter:
    """The journeys a block counts: its areas and the filters of the view it was added from."""
    victim = p.get("victim_based")
    return JourneyFilter(
        areas=tuple(a for a in p.get("areas") or () if a != ALL_AREAS),
        offence_groups=tuple(p.get("offence_groups") or ()),
        court_types=tuple(p.get("court_types") or ()),
        victim_based=None if victim is None else bool(victim),
        start=_day(p.get("start")),
        end=_day(p.get("end")),
    )


def filter_params(where: JourneyFilter) -> dict[str, Any]:
    """A journey filter as block parameters (JSON-ready; filters left empty are left out), so
    a block added from an analysis page counts the journeys the page showed."""
    params: dict[str, Any] = {}
    for name in ("areas", "offence_groups", "court_types"):
        if values := list(getattr(where, name)):
            params[name] = values
    if where.victim_based is not None:
        params["victim_based"] = bool(where.victim_based)
    for name in ("start", "end"):
        if (day := getattr(where, name)) is not None:
            params[name] = day.isoformat()
    return params


def filters_phrase(p: dict[str, Any]) -> str:
    """The filters of a block other than its areas, for its subtitle ("; theft offences;
    Crown Court cases; victim-based offences"); empty when it has none."""
    where = _where(p)
    parts = [", ".join(where.offence_groups)] if where.offence_groups else []
    if where.court_types:
        names = {"magistrates": "magistrates' court", "Crown": "Crown Court"}
        parts.append(" and ".join(names.get(c, c) for c in where.court_types) + " cases")
    if where.victim_based is not None:
        parts.append("victim-based offences" if where.victim_based else "offences without a victim")
    if where.start or where.end:
        start = where.start.strftime("%d %B %Y") if where.start else "the start"
        end = where.end.strftime("%d %B %Y") if where.end else "the end"
        parts.append(f"cases starting {start} to {end}")
    return "".join(f"; {part}" for part in parts)


def area_phrase(areas: list[str] | tuple[str, ...] | None) -> str:
    """The areas a block covers, for its subtitle ("Kent", "Kent and Cumbria", "all LCJB areas")."""
    names = [a for a in areas or () if a != ALL_AREAS]
    if not names:
        return "all LCJB areas, England and Wales"
    if len(names) == 1:
        return names[0]
    if len(names) <= 4:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{len(names)} LCJB areas"


def journey_tables(ws: Workspace) -> list[str]:
    """Names of the journey tables in the workspace (``linked`` first when present)."""
    rows = ws.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'journeys' "
        "ORDER BY table_name <> ?, table_name",
        [LINKED],
    )
    return [r[0] for r in rows]


def journey_areas(ws: Workspace, table: str = LINKED) -> list[str]:
    """The LCJB areas in a journey table, sorted (none when there is no such table)."""
    if table not in journey_tables(ws):
        return []
    rows = ws.query(
        f"SELECT DISTINCT lcjb_area FROM {qualified(JOURNEY_SCHEMA, table)} "  # noqa: S608 - quoted name
        "WHERE lcjb_area IS NOT NULL ORDER BY 1"
    )
    return [r[0] for r in rows]


def _funnel_headline(frame: pd.DataFrame, _p: dict[str, Any]) -> str:
    rows = frame.set_index("stage")
    charged, recorded = rows.at["charged", "cases"], rows.at["recorded", "cases"]
    if pd.isna(charged) or pd.isna(recorded) or not recorded:
        return "Few recorded crimes led to a charge (numbers too small to show)."
    return (
        f"{charged / recorded:.0%} of recorded crimes led to a charge or summons "
        f"({charged:,} of {recorded:,})."
    )


def _timeliness_headline(frame: pd.DataFrame, _p: dict[str, Any]) -> str:
    rows = frame.dropna(subset=["median"])
    if not len(rows):
        return "Too few cases to report how long stages take."
    row = rows.sort_values("median").iloc[-1]
    return f"{row['label']} took a median of {row['median']:,.0f} days ({row['n']:,} cases)."


# ------------------------------------------------------------------------------ page views
@dataclass(frozen=True)
class ViewResult(Protected):
    """A block computed through a page's own view: what the page shows, protected.

    ``table`` is the data the chart is drawn from (hidden values missing); the other fields
    carry what the page draws from it, so a block equals the page's figure for a reader who
    sees the page with disclosure control (a leader).

    Attributes:
        shown: The table as the page shows it, disclosure-controlled (hidden cells marked).
        figure: The page's chart (its own title is replaced by the story's).
        headline: A headline generated from the protected figures.
        not_applicable: Cells of ``shown`` that do not apply (row number, column name).
    """

    shown: Protected | None = None
    figure: alt.TopLevelMixin | None = None
    headline: str = ""
    not_applicable: tuple[tuple[int, str], ...] = ()


def _from_view(
    view: View, figure: alt.TopLevelMixin, headline: str, threshold: int = DEFAULT_THRESHOLD
) -> ViewResult:
    """A page's view (computed with disclosure control) as a block's result; its hidden
    cells are those of the page's table, marked ``suppressed``."""
    marked = marked_protection(view.table, threshold=threshold)
    note = view.note or ""
    shown = replace(marked, perturbed=True, remark=note)
    return ViewResult(
        view.data,
        marked.hidden,
        marked.primary,
        0,
        0,
        threshold,
        perturbed=True,
        remark=note,
        shown=shown,
        figure=figure,
        headline=headline,
        not_applicable=view.not_applicable,
    )


def selection_name(areas: list[str] | tuple[str, ...] | None) -> str:
    """The short name of a block's areas that the analysis pages give their series ("Kent",
    "2 areas", "All areas")."""
    names = [a for a in areas or () if a != ALL_AREAS]
    if len(names) == 1:
        return names[0]
    return f"{len(names)} areas" if names else "All areas"


def _protect(p: dict[str, Any]) -> bool:
    """Whether to apply disclosure control: always for a block drawn for anybody (its
    parameters carry ``cell_keys``, see :func:`block_params`)."""
    return bool(p.get("cell_keys", True))


def _reasons_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    view = reasons_view(ws, _where(p), _protect(p))
    data = view.data
    figure = reasons_chart(data, "", "")
    cases = pd.to_numeric(data["cases"], errors="coerce")
    if not len(data) or cases.isna().all():
        headline = "Too few cases to say why recorded crimes left (numbers too small to show)."
    else:
        top = data.loc[cases.idxmax()]
        share = top.get("share_of_recorded")
        of = "" if pd.isna(share) else f" ({float(share):.0%} of recorded crimes)"
        headline = (
            f"The most common reason recorded crimes in {selection_name(p.get('areas'))} did "
            f"not end in a conviction: {top['reason']}, {int(cases.max()):,} cases{of}."
        )
    return _from_view(view, figure, headline)


def _rate_or_days(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return "suppressed"
    return f"{float(value) * 100:.1f}%" if unit == "rate" else f"{float(value):.0f} days"


def trend_headline(data: pd.DataFrame, measure: str, period: str, name: str) -> str:
    """The latest complete period of a trend for its areas, beside the national figure.

    Provisional, partial and early periods and hidden or withheld values are never used.
    """
    _label, unit, subject = MEASURES[measure]
    own = data[(data["series"] != NATIONAL_SERIES) & ~data["provisional"].astype(bool)]
    own = own[pd.to_numeric(own["value"], errors="coerce").notna()]
    if own.empty:
        return f"{subject} in {name}: too few complete {period}s to report."
    row = own.sort_values(["period", "court_type"]).iloc[-1]
    court = "" if row["court_type"] == "all" else f" at {court_name(row['court_type'])}"
    national = data[
        (data["series"] == NATIONAL_SERIES)
        & (data["period"] == row["period"])
        & (data["court_type"] == row["court_type"])
    ]["value"]
    versus = (
        f" (national: {_rate_or_days(national.iloc[0], unit)})"
        if len(national) and pd.notna(national.iloc[0])
        else ""
    )
    value = _rate_or_days(row["value"], unit)
    when = format_period(row["period"], period)
    return f"{subject}{court} in {name} was {value} in {when}{versus}."


def _trend_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    measure, period = p["measure"], p.get("period", "year")
    if measure not in MEASURES:
        raise ValidationError(f"Unknown measure {measure!r}.", hint=f"Use {', '.join(MEASURES)}.")
    name = selection_name(p.get("areas"))
    view = trend_view(ws, _where(p), measure, period, _protect(p), label=name)
    label, unit, _subject = MEASURES[measure]
    figure = trend_chart(view.data, "", "", unit, label)
    return _from_view(view, figure, trend_headline(view.data, measure, period, name))


def _trend_subtitle(p: dict[str, Any]) -> str:
    measure, period = p["measure"], p.get("period", "year")
    label = MEASURES.get(measure, (measure,))[0]
    by = "of offence" if measure in COHORT_WINDOW else "the stage ended"
    return (
        f"{label} by {period} {by}, {area_phrase(p.get('areas'))}{filters_phrase(p)}, against "
        "national (all areas, same filters); shaded: 95% interval; hollow points: provisional, "
        "partial or early"
    )


def _distribution_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    interval = p["interval"]
    if interval not in INTERVALS:
        raise ValidationError(f"Unknown stage {interval!r}.", hint=f"Use {', '.join(INTERVALS)}.")
    view, median = distribution_view(ws, interval, _where(p), _protect(p))
    figure = distribution_chart(view.data, median, "", "")
    label = INTERVALS[interval][2]
    name = selection_name(p.get("areas"))
    headline = (
        f"{label} in {name}: half of cases took {median:,.0f} days or fewer."
        if median is not None
        else f"{label} in {name}: too few cases to report the median."
    )
    return _from_view(view, figure, headline)


def _caseload_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    at = data_end(ws)
    view = caseload_view(ws, at, _where(p), _protect(p))
    figure = caseload_chart(view.data, "", "")
    cases = pd.to_numeric(view.data["cases"], errors="coerce")
    name = selection_name(p.get("areas"))
    headline = (
        f"{int(cases.sum()):,} cases were open at court in {name} on {at:%d %B %Y}."
        if len(cases) and cases.notna().all()
        else f"Cases open at court in {name} on {at:%d %B %Y} (some numbers too small to show)."
    )
    return _from_view(view, figure, headline)


def _dashboard_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    areas = [a for a in p.get("areas") or () if a != ALL_AREAS]
    if len(areas) != 1:
        raise ValidationError("The dashboard's trends are drawn for one area.")
    area, period = areas[0], p.get("period", "year")
    kpis, series, note = dashboard_kpis(ws, area, period, _protect(p))
    view = View(series, series_table(series), note)
    figure = (
        small_multiples(series, "", "", {k: v[1] for k, v in MEASURES.items()})
        if len(series)
        else _message_chart(f"There are no complete periods for {area} yet.")
    )
    lines = dashboard_headlines(kpis) if len(kpis) else []
    headline = lines[0] if lines else f"{area}: no complete {period} to report yet."
    return _from_view(view, figure, headline)


def _message_chart(text: str) -> alt.Chart:
    """A chart that says why there is nothing to draw."""
    frame = pd.DataFrame({"message": [text]})
    return alt.Chart(frame).mark_text(fontSize=14).encode(text="message:N")


# ------------------------------------------------------------------------------ demand
def _court(p: dict[str, Any]) -> str:
    courts = [c for c in p.get("court_types") or () if c in FORECAST_COURTS]
    return courts[0] if courts else FORECAST_COURTS[0]


def demand_selection(p: dict[str, Any]) -> list[str]:
    """The Demand page's selection a forecast block stands for: England and Wales when it says
    ``national`` (or names no area), then its areas."""
    areas = [a for a in p.get("areas") or () if a != ALL_AREAS]
    return [FORECAST_NATIONAL, *areas] if p.get("national") or not areas else areas


def _forecasts(ws: Workspace, p: dict[str, Any], combine: bool) -> list[SeriesForecast]:
    """The forecasts of a block's selection, as the Demand page makes them, each protected as a
    leader sees it (observed counts adjusted, small ones hidden; forecasts are model outputs)."""
    settings = ForecastSettings(freq=p.get("freq", "month"), horizon=int(p.get("horizon", 6)))
    settings.check()
    table = p.get("table") or demand_table(ws)
    if not table or table not in journey_tables(ws):
        table = demand_table(ws)
    if table is None:
        raise ValidationError("There is no journey table to forecast from.")
    results = forecast_selection(ws, demand_selection(p), _court(p), settings, None, combine, table)
    return [protect_series(r) if _protect(p) else r for r in results]


def _forecast_headline(result: SeriesForecast) -> str:
    where = f"{result.area} ({COURT_WORDS.get(result.court_type, result.court_type)})"
    if not result.ok:
        return f"No forecast of court receipts for {where}: {result.reason}"
    freq, horizon = result.settings.freq, result.settings.horizon
    mean = float(pd.to_numeric(result.forecast["forecast"], errors="coerce").mean())
    line = (
        f"Court receipts in {where} are forecast to average {mean:,.0f} a {freq} over the "
        f"next {horizon} {freq}{'s' if horizon != 1 else ''}"
    )
    if result.beats_baseline is False:
        return line + "; the model does not beat the seasonal naive baseline."
    return line + "."


def _forecast_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    results = _forecasts(ws, p, bool(p.get("combine")))
    frame = forecasts_frame(results)
    shown = adjusted_table(frame) if _protect(p) else modelled(frame)
    made = [r for r in results if r.ok]
    if len(made) == 1:
        figure: alt.TopLevelMixin = forecast_chart(made[0])
    elif made:
        figure = alt.vconcat(*(forecast_chart(r).properties(width=560) for r in made))
    else:
        figure = _message_chart("No forecast could be made for this selection.")
    headline = " ".join(_forecast_headline(r) for r in results[:3]) or "No forecast."
    return ViewResult(
        frame,
        shown.hidden,
        shown.primary,
        0,
        0,
        shown.threshold,
        perturbed=True,
        remark=shown.note,
        shown=shown,
        figure=figure,
        headline=headline,
        not_applicable=not_applicable_cells(frame),
    )


def _demand_where(p: dict[str, Any]) -> str:
    """The areas and court of a Demand block ("Kent and Surrey, combined, Crown Court")."""
    selection = demand_selection(p)
    areas = [a for a in selection if a != FORECAST_NATIONAL]
    parts = ["England and Wales (all LCJB areas)"] if FORECAST_NATIONAL in selection else []
    if areas:
        parts.append(area_phrase(areas) + (", combined" if p.get("combine") else ""))
    where = " and ".join(parts)
    return f"{where}, {COURT_WORDS.get(_court(p), _court(p))}"


def _forecast_subtitle(p: dict[str, Any]) -> str:
    return (
        f"Court receipts (first hearings) a {p.get('freq', 'month')}, {_demand_where(p)}; "
        f"forecast {p.get('horizon', 6)} {p.get('freq', 'month')}s ahead with its interval and "
        "the seasonal naive baseline; observed counts disclosure-controlled"
    )


def _scenario_of(p: dict[str, Any], result: SeriesForecast) -> Scenario:
    change_from = p.get("change_from")
    capacity = p.get("capacity_per_week")
    return Scenario(
        str(p.get("name") or "scenario"),
        result.area,
        result.court_type,
        result.settings.freq,
        result.settings.horizon,
        float(p.get("charge_change_pct") or 0.0),
        _day(change_from),
        None if capacity in (None, "") else float(capacity),
    )


def _scenario_compute(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    # a scenario covers every area picked, summed into one series (as on the Demand page)
    usable = [r for r in _forecasts(ws, p, True) if r.ok]
    empty = pd.DataFrame(columns=PROJECTION_COLUMNS)
    if not usable:
        message = "No forecast to project a scenario from."
        return _scenario_result(empty, _message_chart(message), message)
    result = usable[0]
    selection = demand_selection(p)
    areas = None if result.area == FORECAST_NATIONAL else selection
    table = p.get("table") or demand_table(ws)
    if not table or table not in journey_tables(ws):
        table = demand_table(ws) or ""
    last = pd.Timestamp(result.history["period"].iloc[-1]).date()
    state = court_state(ws, table, last, areas, result.court_type, protect=_protect(p))
    state = stage_lags(ws, table, areas, result.court_type).apply(state)
    if state.hidden:
        message = (
            "Too few cases are outstanding or were completed recently to project a scenario "
            "without revealing them (disclosure control)."
        )
        return _scenario_result(empty, _message_chart(message), message)
    scenario = _scenario_of(p, result)
    projection = project_with_baseline(result, state, scenario)
    figure = scenario_chart(projection, "")
    summary = scenario_summary(projection).set_index("scenario")
    end = _when(projection["period"].max(), scenario.freq)
    court = COURT_WORDS.get(result.court_type, result.court_type)
    base = float(summary.at[BASELINE, "outstanding_at_end"])
    then = float(summary.loc[summary.index != BASELINE, "outstanding_at_end"].iloc[-1])
    change = f"{scenario.charge_change_pct:+.0f}% charges"
    headline = (
        f"With {change}, the outstanding caseload in {result.area} ({court}) is projected at "
        f"{then:,.0f} in {end}, against {base:,.0f} with no change."
    )
    return _scenario_result(projection, figure, headline, scenario_notes(state, result.court_type))


def _scenario_result(
    projection: pd.DataFrame, figure: alt.TopLevelMixin, headline: str, notes: tuple[str, ...] = ()
) -> ViewResult:
    shown = modelled(projection)
    remark = " ".join([shown.note, *notes])
    return ViewResult(
        projection,
        shown.hidden,
        0,
        0,
        0,
        shown.threshold,
        perturbed=True,
        remark=remark,
        shown=replace(shown, remark=remark),
        figure=figure,
        headline=headline,
    )


def _scenario_subtitle(p: dict[str, Any]) -> str:
    pct = float(p.get("charge_change_pct") or 0.0)
    capacity = p.get("capacity_per_week")
    cap = (
        "disposals at the recent rate"
        if capacity in (None, "")
        else f"capacity {float(capacity):,.1f} disposals a week"
    )
    start = f" from {p['change_from']}" if p.get("change_from") else ""
    return (
        f"Projected outstanding caseload, {_demand_where(p)} (areas summed); scenario: charges "
        f"{pct:+.0f}%{start}, {cap}; against the baseline (no change), with intervals from "
        "the receipts forecast"
    )


SOURCES: dict[str, Source] = {
    "period_counts": Source(
        label="Records over time (a dataset)",
        defaults={"dataset": "", "date_column": "", "by": None, "period": "month"},
        compute=_counts_compute,
        chart=lambda f, p: _series_chart(f, "records", "Records", p.get("period", "month")),
        x_type="temporal",
        headline=lambda f, p: series_headline(
            f, "records", f"Records in {p['dataset']}", p.get("period", "month")
        ),
        subtitle=lambda p: (
            f"Records per {p.get('period', 'month')} by {p['date_column']}, {p['dataset']}"
        ),
        version=_dataset_version,
        leaders=False,
    ),
    "receipts": Source(
        label="Demand: receipts per month (journeys)",
        defaults={"table": LINKED, "stage": "first_hearing", "freq": "month"},
        compute=_receipts_compute,
        chart=lambda f, p: _series_chart(
            f, "receipts", DEMAND_STAGES[p["stage"]][1], p.get("freq", "month")
        ),
        x_type="temporal",
        headline=lambda f, p: series_headline(
            f, "receipts", DEMAND_STAGES[p["stage"]][1], p.get("freq", "month")
        ),
        subtitle=lambda p: (
            f"{DEMAND_STAGES[p['stage']][1]} per {p.get('freq', 'month')}, "
            f"{area_phrase(p.get('areas'))}{filters_phrase(p)}"
        ),
        version=_journey_version,
    ),
    "attrition_funnel": Source(
        label="Victim attrition funnel (journeys)",
        defaults={"table": LINKED},
        compute=lambda ws, p: protect_funnel(
            attrition_funnel(
                ws, p.get("table", LINKED), where=_where(p), keys=bool(p.get("cell_keys"))
            )
        ),
        chart=lambda f, p: _bar_chart(f, "label", "cases", "Stage reached", "Cases"),
        x_type="nominal",
        headline=_funnel_headline,
        subtitle=lambda p: (
            f"Crimes recorded and the stages they reached, {area_phrase(p.get('areas'))}"
            f"{filters_phrase(p)}"
        ),
        version=_journey_version,
    ),
    "timeliness": Source(
        label="Case timeliness: median days per stage (journeys)",
        defaults={"table": LINKED},
        compute=lambda ws, p: protect_timeliness(
            timeliness(
                ws,
                p.get("table", LINKED),
                intervals=list(INTERVALS),
                where=_where(p),
                keys=bool(p.get("cell_keys")),
            )
        ),
        chart=lambda f, p: _bar_chart(f, "label", "median", "Stage", "Median days"),
        x_type="nominal",
        headline=_timeliness_headline,
        subtitle=lambda p: (
            f"Median days between stages of a case, {area_phrase(p.get('areas'))}"
            f"{filters_phrase(p)}"
        ),
        version=_journey_version,
    ),
    # drawn through the pages' own views: a block is the page's figure, protected
    "attrition_reasons": Source(
        label="Why cases leave: reasons recorded crimes did not end in a conviction (journeys)",
        defaults={"table": LINKED},
        compute=_reasons_compute,
        subtitle=lambda p: (
            "Cases by police outcome, CPS decision or court result; the victim-does-not-support"
            f" line is outlined and marked (highlighted), {area_phrase(p.get('areas'))}"
            f"{filters_phrase(p)}"
        ),
        version=_journey_version,
        page_only=True,
        annotated=False,
    ),
    "measure_trend": Source(
        label="A measure over time against national (journeys)",
        defaults={"table": LINKED, "measure": "charge_rate", "period": "year"},
        compute=_trend_compute,
        subtitle=_trend_subtitle,
        version=_journey_version,
        x_type="temporal",
        page_only=True,
    ),
    "timeliness_distribution": Source(
        label="Days a stage took: distribution (journeys)",
        defaults={"table": LINKED, "interval": "first_hearing_to_completion"},
        compute=_distribution_compute,
        subtitle=lambda p: (
            f"{INTERVALS[p['interval']][2]}: cases by days taken, in 30-day bins (the last bin "
            f"holds 3 years or more); dashed line: median, {area_phrase(p.get('areas'))}"
            f"{filters_phrase(p)}"
        ),
        version=_journey_version,
        page_only=True,
        annotated=False,
    ),
    "outstanding_caseload": Source(
        label="Cases open at court by time since first hearing (journeys)",
        defaults={"table": LINKED},
        compute=_caseload_compute,
        subtitle=lambda p: (
            "Cases that had a first hearing and were not completed at the last date in the "
            f"data, by time since first hearing, {area_phrase(p.get('areas'))}{filters_phrase(p)}"
        ),
        version=_journey_version,
        page_only=True,
    ),
    "dashboard_trends": Source(
        label="LCJB dashboard: an area's measures against national (journeys)",
        defaults={"table": LINKED, "period": "year"},
        compute=_dashboard_compute,
        subtitle=lambda p: (
            f"{area_phrase(p.get('areas'))} against national (all areas), by "
            f"{p.get('period', 'year')}; shaded: 95% interval; hollow points: provisional"
        ),
        version=_journey_version,
        x_type="temporal",
        page_only=True,
        annotated=False,
    ),
    "demand_forecast": Source(
        label="Demand: court receipts forecast (journeys)",
        defaults={"table": LINKED, "freq": "month", "horizon": 6},
        compute=_forecast_compute,
        subtitle=_forecast_subtitle,
        version=_journey_version,
        x_type="temporal",
        page_only=True,
    ),
    "demand_scenario": Source(
        label="Demand: what-if scenario, outstanding caseload (journeys)",
        defaults={"table": LINKED, "freq": "month", "horizon": 6, "charge_change_pct": 0.0},
        compute=_scenario_compute,
        subtitle=_scenario_subtitle,
        version=_journey_version,
        x_type="temporal",
        page_only=True,
    ),
}


def sources_for(user: User) -> dict[str, Source]:
    """The sources a user's story blocks may draw from: leaders get no dataset counts."""
    if user.leader_view:
        return {key: src for key, src in SOURCES.items() if src.leaders}
    return dict(SOURCES)


def _source(block: Block) -> Source:
    if block.source not in SOURCES:
        raise ValidationError(
            f"Unknown chart or table source {block.source!r}.",
            hint=f"Use one of {', '.join(SOURCES)}.",
        )
    return SOURCES[block.source]


# ------------------------------------------------------------------------------ access
REFUSED = "story.refused"
READ_OTHER = "story.read_other"


def sees_every_story(user: User) -> bool:
    """Whether the user reads every saved story: an analyst or admin with every area."""
    return user.allowed_areas is None and bool({"admin", "analyst"} & set(user.roles))


def published_to(user: User, audience: list[str] | tuple[str, ...]) -> bool:
    """Whether something published to ``audience`` (areas, or ``all``) reaches the user's areas."""
    if not audience:
        return False
    allowed = user.allowed_areas
    return ALL_AREAS in audience or allowed is None or bool(set(audience) & set(allowed))


def can_read_story(user: User, story: Story) -> bool:
    """Whether the user may open (and download) the story."""
    return (
        story.owner == user.username or sees_every_story(user) or published_to(user, story.audience)
    )


def can_edit_story(user: User, story: Story) -> bool:
    """Whether the user may change, publish or delete the story: its owner, or an admin."""
    return story.owner == user.username or (user.is_admin and can_read_story(user, story))


def _refuse(ws: Workspace, user: User, action: str, target: str, message: str) -> NoReturn:
    """Write the refusal to the audit log under the user's name, then raise it."""
    ws.audit(REFUSED, target, {"action": action, "reason": message}, actor=user.username)
    raise AccessDeniedError(message)


def _journey_source(src: Source) -> bool:
    return "table" in src.defaults


def block_params(ws: Workspace, user: User, block: Block, action: str = "render") -> dict[str, Any]:
    """The parameters a chart or table block is drawn with for this user.

    The block's own parameters over the source's defaults, then confined to the user: a leader
    draws only from the linked journeys, with counts adjusted by their cell keys (as on the
    leaders' pages); a user with some areas sees only those areas (a block naming none gets all
    of the user's areas; one naming others is cut down to the user's).

    Args:
        ws: The workspace (for the audit log).
        user: Who the block is drawn or saved for.
        block: A chart or table block.
        action: What was tried, for the audit log (``render`` or ``save``).

    Raises:
        AccessDeniedError: (audited) When a leader's block counts a dataset, or the block covers
            none of the user's areas, or (``national``: England and Wales) every area while
            the user sees only some.
    """
    src = _source(block)
    if user.leader_view and not src.leaders:
        _refuse(
            ws,
            user,
            action,
            str(block.source),
            f"Leaders' stories cannot show “{src.label}”: it counts the records of a dataset.",
        )
    params = {**src.defaults, **block.params}
    if not _journey_source(src):
        return params
    if user.leader_view:
        params["table"] = LINKED
    # a story is made to be published: whoever renders it, its counts are adjusted by their
    # cell keys, so no two stories (or a story and a leader's page) can be differenced
    params["cell_keys"] = True
    allowed = user.allowed_areas
    if allowed is not None and params.get("national"):
        _refuse(
            ws,
            user,
            action,
            str(block.source),
            f"This block covers {area_phrase(())}, which you cannot see.",
        )
    if allowed is not None:
        asked = [a for a in params.get("areas") or () if a != ALL_AREAS]
        kept = [a for a in asked if a in allowed] if asked else list(allowed)
        if not kept:
            _refuse(
                ws,
                user,
                action,
                str(block.source),
                f"This block covers {area_phrase(asked)}, which you cannot see.",
            )
        params["areas"] = kept
    return params


def _check_blocks(ws: Workspace, user: User, blocks: list[Block]) -> list[Block]:
    """The blocks as saved by this user: valid kinds and sources, areas within the user's."""
    checked = []
    for block in blocks:
        if block.kind not in BLOCK_KINDS:
            raise ValidationError(f"Unknown block kind {block.kind!r}.")
        if block.kind == "text":
            checked.append(block)
            continue
        src = _source(block)
        params = dict(block.params)
        allowed = user.allowed_areas
        if _journey_source(src) and allowed is not None:
            asked = [a for a in params.get("areas") or () if a != ALL_AREAS]
            if outside := [a for a in asked if a not in allowed]:
                _refuse(
                    ws,
                    user,
                    "save",
                    str(block.source),
                    f"A block of your story covers {area_phrase(outside)}, which you cannot see.",
                )
            params["areas"] = asked or list(allowed)
        block_params(ws, user, replace(block, params=params), "save")  # what a leader may not use
        if user.leader_view and _journey_source(src):
            params["table"] = LINKED
        checked.append(replace(block, params=params))
    return checked


def story_areas(blocks: list[Block]) -> list[str]:
    """The areas a story's charts and tables cover (``all`` when one covers every area)."""
    areas: set[str] = set()
    for block in blocks:
        if block.kind == "text":
            continue
        named = [a for a in block.params.get("areas") or () if a != ALL_AREAS]
        if not named:
            return [ALL_AREAS]
        areas.update(named)
    return sorted(areas)


# ------------------------------------------------------------------------------ annotations
def annotate(
    chart: alt.TopLevelMixin, annotations: list[Annotation], x_type: str = "temporal"
) -> alt.TopLevelMixin:
    """Draw text and range annotations onto a chart as Altair layers.

    Args:
        chart: The chart (single view).
        annotations: What to draw.
        x_type: ``temporal`` (x values are dates) or ``nominal`` (x values are categories).

    Returns:
        The chart itself when there is nothing to draw, else a layer chart.
    """
    if not annotations:
        return chart
    if not isinstance(chart, (alt.Chart, alt.LayerChart)):
        raise ValidationError("Annotations cannot be drawn on a chart of several panels.")
    enc = "T" if x_type == "temporal" else "N"
    layers: list[alt.Chart] = [chart]
    ranges = [a for a in annotations if a.kind == "range" and a.x2]
    if ranges and x_type != "temporal":
        raise ValidationError("Range annotations need a chart with a time axis.")
    if ranges:
        data = pd.DataFrame([{"start": a.x, "end": a.x2, "text": a.text} for a in ranges])
        band = alt.Chart(data)
        layers.append(band.mark_rect(opacity=0.15, color="#505a5f").encode(x="start:T", x2="end:T"))
        layers.append(
            band.mark_text(align="left", baseline="top", dx=3, y=4, color="#0b0c0c").encode(
                x="start:T", text="text:N"
            )
        )
    texts = [a for a in annotations if a.kind == "text"]
    if texts:
        data = pd.DataFrame([{"x": a.x, "text": a.text} for a in texts])
        point = alt.Chart(data)
        layers.append(point.mark_rule(color="#505a5f", strokeDash=[4, 3]).encode(x=f"x:{enc}"))
        layers.append(
            point.mark_text(align="left", baseline="top", dx=4, y=18, color="#0b0c0c").encode(
                x=f"x:{enc}", text="text:N"
            )
        )
    if isinstance(chart, alt.LayerChart):
        # a page's layered chart keeps its own properties: the notes join its layers
        merged = chart.copy()
        merged.layer = [*chart.layer, *layers[1:]]
        return merged
    return alt.layer(*layers)


# ------------------------------------------------------------------------------ rendering
@dataclass
class RenderedBlock:
    """A block drawn from the current data."""

    block: Block
    headline: str
    generated_headline: str = ""
    chart: alt.TopLevelMixin | None = None
    meta: ChartMeta | None = None
    table: pd.DataFrame | None = None
    protected: Protected | None = None
    table_meta: TableMeta | None = None


_DAYS = " (days)"
# per source: column -> readable label, in the order shown; columns not named are left out
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "timeliness": {
        "label": "Stage of the case",
        "n": "Cases",
        "median": "Median" + _DAYS,
        "p25": "25th percentile" + _DAYS,
        "p75": "75th percentile" + _DAYS,
        "p90": "90th percentile" + _DAYS,
        "mean": "Mean" + _DAYS,
    },
    "attrition_funnel": {
        "label": "Stage reached",
        "cases": "Cases",
        "rate_of_previous": "Percentage of the previous stage",
        "rate_of_recorded": "Percentage of recorded crimes",
    },
    "receipts": {"period": "Period", "receipts": "Receipts"},
    "period_counts": {"period": "Period", "group": "Group", "records": "Records"},
}


def readable_table(source: str, result: Protected, params: dict[str, Any]) -> Protected:
    """A block's table with readable column names in a sensible order, its rows in order.

    Timeliness stages follow a case (offence to charge, charge to first hearing, …); the
    funnel keeps its stages; series keep their periods. Hidden cells stay hidden.

    Args:
        source: The block's source key.
        result: The disclosure-controlled table.
        params: The block's parameters (for the period and stage names).
    """
    if isinstance(result, ViewResult) and result.shown is not None:
        return result.shown  # the table as the page shows it
    table, hidden = result.table, result.hidden
    if source == "timeliness" and "interval" in table:
        order = {name: i for i, name in enumerate(INTERVALS)}
        rows = table["interval"].map(order).fillna(len(order)).sort_values(kind="stable").index
        table, hidden = table.loc[rows], hidden.reindex(rows)
    labels = dict(TABLE_COLUMNS.get(source, {}))
    if "period" in labels:
        labels["period"] = str(params.get("freq") or params.get("period") or "period").capitalize()
    if source == "receipts" and params.get("stage") in DEMAND_STAGES:
        labels["receipts"] = DEMAND_STAGES[params["stage"]][1]
    if not labels:
        return result
    keep = [c for c in labels if c in table.columns]
    table = table[keep].rename(columns=labels).reset_index(drop=True)
    hidden = (
        hidden.reindex(columns=keep, fill_value=False)
        .rename(columns=labels)
        .reset_index(drop=True)
        .fillna(False)
        .astype(bool)
    )
    return replace(result, table=table, hidden=hidden)


def _not_applicable(table: pd.DataFrame) -> tuple[tuple[int, str], ...]:
    """Cells that do not apply: the first funnel stage has no previous stage."""
    column = TABLE_COLUMNS["attrition_funnel"]["rate_of_previous"]
    if column in table and len(table) and pd.isna(table[column].iloc[0]):
        return ((0, column),)
    return ()


def _journey_period(ws: Workspace, params: dict[str, Any]) -> str:
    """The months of the journeys a block counts ("January 2024 to June 2024")."""
    table = params.get("table", LINKED)
    if table not in journey_tables(ws):
        return ""
    condition, values = _where(params).sql()
    rows = ws.query(
        f"SELECT min(start_date), max(start_date) FROM {qualified(JOURNEY_SCHEMA, table)} "  # noqa: S608 - quoted name
        f"WHERE {condition}",
        values,
    )
    first, last = rows[0] if rows else (None, None)
    if first is None or last is None:
        return ""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


def block_period(ws: Workspace, source: str, table: pd.DataFrame, params: dict[str, Any]) -> str:
    """The period a block covers: its series' first and last periods, or its journeys' months."""
    if "period" in table and len(table):
        return period_covered(table[["period"]])
    if _journey_source(SOURCES[source]):
        return _journey_period(ws, params)
    return ""


def block_subtitle(block: Block, params: dict[str, Any], period: str) -> str:
    """A block's subtitle: what it shows, for which area(s) and which period.

    The areas are the ones the block is drawn for (after confining them to the reader), so a
    Kent-only block says Kent; an analyst's own subtitle is kept, with the period added when
    it does not state one.
    """
    src = _source(block)
    own = str(block.meta.get("subtitle") or "")
    text = own or src.subtitle(params)
    if period and period not in text:
        text = f"{text}, {period}"
    return text


def render_block(ws: Workspace, user: User, block: Block) -> RenderedBlock:
    """Compute a block from the workspace's current data, with disclosure control applied.

    Args:
        ws: The workspace.
        user: Who it is drawn for: their areas and role confine what it shows
            (:func:`block_params`), whatever the saved block says.
        block: The block.

    Raises:
        AccessDeniedError: (audited) When the block shows nothing this user may see.
    """
    if block.kind == "text":
        return RenderedBlock(block, block.headline)
    src = _source(block)
    params = block_params(ws, user, block)
    result = src.compute(ws, params)
    view = result if isinstance(result, ViewResult) else None
    if view is not None:
        generated = view.headline
    else:
        assert src.headline is not None
        generated = src.headline(result.table, params)
    headline = block.headline or generated
    version = src.version(ws, params)
    period = block_period(ws, str(block.source), result.table, params)
    subtitle = block_subtitle(block, params, period)
    short = (
        result.note
        if result.perturbed
        else f"Disclosure control applied: counts under {result.threshold} are hidden."
        if result.applied
        else "Disclosure control checked: nothing hidden."
    )
    notes = (*(block.meta.get("notes") or ()), short)
    source = block.meta.get("source") or (
        CHART_SOURCE
        if _journey_source(src)
        else f"Source: the {params.get('dataset') or 'imported'} dataset"
    )
    if block.kind == "table":
        shown = readable_table(str(block.source), result, params)
        tmeta = TableMeta(
            subtitle,
            source=block.meta.get("source") or TableMeta("").source,
            notes=tuple(notes[:-1]),
            data_version=version,
            period=period,
            not_applicable=view.not_applicable if view else _not_applicable(shown.table),
        )
        return RenderedBlock(
            block, headline, generated, table=shown.table, protected=shown, table_meta=tmeta
        )
    meta = ChartMeta(
        title=headline,
        subtitle=subtitle,
        source=source,
        notes=notes,
        alt_text=block.meta.get("alt_text", ""),
        data_version=version,
    )
    if view is not None and view.figure is not None:
        drawn = view.figure
    else:
        assert src.chart is not None
        drawn = src.chart(result.table, params)
    chart = annotate(drawn, block.annotations if src.annotated else [], src.x_type)
    return RenderedBlock(block, headline, generated, chart=chart, meta=meta)


_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<!\*)\*(?!\*)(.+?)\*"), r"<em>\1</em>"),
    (re.compile(r"`(.+?)`"), r"<code>\1</code>"),
]


_BULLET = re.compile(r"^\s*[-*] ")


def markdown_to_html(text: str) -> str:
    """A small, safe Markdown subset: headings, paragraphs, bullet lists, bold, italic, code.

    Everything is HTML-escaped first, and links are not turned into anchors, so a story never
    points outside itself.
    """
    out: list[str] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue

        def inline(s: str) -> str:
            s = html.escape(s)
            for pattern, repl in _INLINE:
                s = pattern.sub(repl, s)
            return s

        if all(re.match(r"^\s*[-*] ", line) for line in lines):
            items = "".join(f"<li>{inline(_BULLET.sub('', x))}</li>" for x in lines)
            out.append(f"<ul>{items}</ul>")
        elif m := re.match(r"^(#{1,4}) (.*)", lines[0]):
            level = min(len(m.group(1)) + 1, 5)
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            if lines[1:]:
                out.append(f"<p>{inline(' '.join(lines[1:]))}</p>")
        else:
            out.append(f"<p>{inline(' '.join(lines))}</p>")
    return "\n".join(out)


def _table_html(rendered: RenderedBlock) -> str:
    """A block's table as an accessible HTML table: caption, column and row headers, numbers
    formatted as in the spreadsheet (percentages, thousands), ``[c]``/``[x]``/``[z]`` symbols."""
    assert rendered.table is not None and rendered.table_meta is not None
    protected = rendered.protected
    table = typed_table(
        rendered.table, rendered.table_meta, (lambda _f: protected) if protected else None
    )
    meta = table.meta
    head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in table.header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{html.escape(table.shown(i, j))}</th>'
            if j == 0
            else f"<td>{html.escape(table.shown(i, j))}</td>"
            for j in range(len(table.header))
        )
        + "</tr>"
        for i in range(len(table.rows))
    )
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in (meta.disclosure_note, *meta.notes))
    return (
        f'<div class="figure"><table><caption>{html.escape(meta.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f'<div class="meta"><p>{html.escape(meta.source)}</p>'
        f"{notes}<p>[c] = hidden to protect confidentiality; [x] = not available; "
        "[z] = not applicable.</p>"
        f"<p>Data version: {html.escape(meta.data_version)}</p></div></div>"
    )


STORY_CSS = """
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.25rem; }
th[scope="row"] { font-weight: normal; text-align: left; }
"""


def story_html(ws: Workspace, user: User, story: Story, interactive: bool = False) -> str:
    """The story as one self-contained HTML page, drawn from the current data.

    Args:
        ws: The workspace.
        user: Who it is drawn for (see :func:`render_block`); a block covering none of their
            areas is left out with a note.
        story: The story.
        interactive: Draw charts with Vega (the library inlined once, about 0.9 MB) instead of
            static SVG.

    Returns:
        The page. It loads nothing from the network.
    """
    parts: list[str] = []
    for i, block in enumerate(story.blocks, start=1):
        try:
            r = render_block(ws, user, block)
        except AccessDeniedError as exc:
            parts.append(f'<section><p class="meta">{html.escape(exc.message)}</p></section>')
            continue
        if block.kind == "text":
            heading = f"<h2>{html.escape(r.headline)}</h2>" if r.headline else ""
            parts.append(f"<section>{heading}{markdown_to_html(block.text)}</section>")
        elif block.kind == "table":
            parts.append(f"<section><h2>{html.escape(r.headline)}</h2>{_table_html(r)}</section>")
        else:
            assert r.chart is not None and r.meta is not None
            alt_text = chart_spec(r.chart, r.meta).get("description", "")
            if interactive:
                figure = (
                    f'<div id="chart-{i}" class="chart" role="img" '
                    f'aria-label="{html.escape(alt_text)}"></div>'
                    f"{embed_script(f'chart-{i}', chart_spec(r.chart, r.meta))}"
                )
            else:
                figure = f'<div class="chart">{chart_to_svg(r.chart, r.meta)}</div>'
            parts.append(
                f'<section><h2 class="visually-hidden">{html.escape(r.headline)}</h2>'
                f'<div class="figure">{figure}<details open><summary>Description '
                f"of the chart</summary><p>{html.escape(alt_text)}</p></details></div></section>"
            )
    bundle = f"<script>{vega_bundle()}</script>" if interactive else ""
    summary = f'<p class="lead">{html.escape(story.summary)}</p>' if story.summary else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(story.title)}</title><style>{PAGE_CSS}{STORY_CSS}</style>{bundle}"
        "</head>"
        f"<body><header><h1>{html.escape(story.title)}</h1>{summary}"
        f'<p class="meta">Produced {date.today():%d %B %Y} from the CJS Linkage Workbench. '
        "Disclosure control applied: small numbers are hidden.</p></header>"
        f"<main>{''.join(parts)}</main></body></html>\n"
    )


def story_pdf(ws: Workspace, user: User, story: Story) -> bytes:
    """The story as a tagged (accessible) A4 PDF printed by headless Chromium.

    The PDF is printed from the static HTML of :func:`story_html`: it carries a structure tree
    (``StructTreeRoot``, ``MarkInfo`` marked) in the story's order, the story's title as the
    document title, English as its language, headings as bookmarks, and every chart as a figure
    whose alternative text is the chart's description.
    """
    return html_to_pdf(story_html(ws, user, story, interactive=False))


def render_story(ws: Workspace, user: User, story: Story, fmt: str) -> bytes:
    """Render a story as ``html`` (static), ``interactive`` HTML or ``pdf``; the file's bytes."""
    if fmt == "html":
        return story_html(ws, user, story).encode("utf-8")
    if fmt == "interactive":
        return story_html(ws, user, story, interactive=True).encode("utf-8")
    if fmt == "pdf":
        return story_pdf(ws, user, story)
    raise ExportError(f"Unknown story format {fmt!r}.", hint="Use html, interactive or pdf.")


# ------------------------------------------------------------------------------ storage
_COLUMNS = "owner, name, title, summary, blocks, revision, updated_at, audience"


def _check_story(story: Story) -> None:
    if not STORY_NAME.match(story.name or ""):
        raise ValidationError(
            f"{story.name!r} is not a valid story name.",
            hint="Use lower-case letters, digits and underscores, starting with a letter "
            "(for example attrition_2024).",
        )
    if not story.title.strip():
        raise ValidationError("A story needs a title.")


def _payload(blocks: list[Block]) -> str:
    return json.dumps([asdict(b) for b in blocks], default=str)


def _row_to_story(row: tuple[Any, ...]) -> Story:
    owner, name, title, summary, blocks, revision, updated, audience = row
    return Story(
        name,
        title,
        summary or "",
        [Block.from_dict(b) for b in json.loads(blocks)],
        int(revision),
        updated,
        owner,
        list(json.loads(audience or "[]")),
    )


def _fetch(ws: Workspace, owner: str, name: str) -> Story | None:
    rows = ws.query(
        f"SELECT {_COLUMNS} FROM wb.stories WHERE owner = ? AND name = ?",  # noqa: S608 - constant
        [owner, name],
    )
    return _row_to_story(rows[0]) if rows else None


def split_ref(ref: str) -> tuple[str | None, str]:
    """``owner/name`` -> (owner, name); a bare name -> (None, name)."""
    owner, slash, name = ref.rpartition("/")
    return (owner or None, name) if slash else (None, ref)


def create_story(ws: Workspace, user: User, story: Story) -> Story:
    """Save a new story owned by the user; it never replaces one.

    Returns:
        The story at revision 1, with its owner.

    Raises:
        ValidationError: When the name or title is not valid, or the user already has a story
            of that name.
        AccessDeniedError: (audited) When a block shows what the user may not see.
    """
    _check_story(story)
    blocks = _check_blocks(ws, user, story.blocks)
    now = utcnow()
    exists = f"You already have a story called {story.name!r}."
    hint = "Open it to change it, or pick another name."
    with ws.transaction() as cur:
        if cur.execute(
            "SELECT 1 FROM wb.stories WHERE owner = ? AND name = ?", [user.username, story.name]
        ).fetchone():
            raise ValidationError(exists, hint=hint)
        cur.execute(
            "INSERT INTO wb.stories (owner, name, title, summary, blocks, areas, audience, "
            "created_at, created_by, updated_at, updated_by, revision) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                user.username,
                story.name,
                story.title,
                story.summary,
                _payload(blocks),
                json.dumps(story_areas(blocks)),
                "[]",
                now,
                user.username,
                now,
                user.username,
            ],
        )
        ws.audit(
            "story.create",
            f"{user.username}/{story.name}",
            {"revision": 1, "blocks": len(blocks)},
            actor=user.username,
            cur=cur,
        )
    return replace(
        story, blocks=blocks, revision=1, updated_at=now, owner=user.username, audience=[]
    )


def save_story(ws: Workspace, user: User, story: Story) -> Story:
    """Save changes to an existing story (its owner's, or any an admin may read).

    The story must be at the revision last saved: a copy opened before somebody else saved is
    refused rather than overwriting their changes. Publishing is :func:`publish_story`.

    Args:
        ws: The workspace.
        user: Who saves.
        story: The changed story; ``owner`` names whose it is (empty: the user's own).

    Returns:
        The story at its new revision.

    Raises:
        ValidationError: When the story is not valid, not saved yet, or changed since it was read.
        AccessDeniedError: (audited) When the user may not change it, or a block shows what the
            user may not see.
    """
    _check_story(story)
    owner = story.owner or user.username
    target = f"{owner}/{story.name}"
    saved = _fetch(ws, owner, story.name)
    if saved is None or not can_edit_story(user, saved):
        if owner != user.username:
            _refuse(ws, user, "save", target, f"You cannot change the story {target}.")
        raise ValidationError(
            f"You have no story called {story.name!r} to save.",
            hint="Create it first.",
        )
    blocks = _check_blocks(ws, user, story.blocks)
    changed = ValidationError(
        f"The story {story.name!r} was saved by somebody else since you opened it.",
        hint="Open it again to see their changes, then make yours.",
    )
    now = utcnow()
    revision = saved.revision + 1
    with ws.transaction() as cur:
        row = cur.execute(
            "SELECT revision FROM wb.stories WHERE owner = ? AND name = ?", [owner, story.name]
        ).fetchone()
        if row is None or int(row[0]) != story.revision:
            raise changed
        cur.execute(
            "UPDATE wb.stories SET title = ?, summary = ?, blocks = ?, areas = ?, "
            "updated_at = ?, updated_by = ?, revision = ? WHERE owner = ? AND name = ?",
            [
                story.title,
                story.summary,
                _payload(blocks),
                json.dumps(story_areas(blocks)),
                now,
                user.username,
                revision,
                owner,
                story.name,
            ],
        )
        ws.audit(
            "story.save",
            target,
            {"revision": revision, "blocks": len(blocks)},
            actor=user.username,
            cur=cur,
        )
    return replace(
        story,
        blocks=blocks,
        revision=revision,
        updated_at=now,
        owner=owner,
        audience=saved.audience,
    )


def publish_story(
    ws: Workspace, user: User, name: str, audience: list[str], owner: str | None = None
) -> Story:
    """Publish a story, read-only, to the users of some areas (an empty list withdraws it).

    Args:
        ws: The workspace.
        user: Who publishes: the owner, or an admin.
        name: The story's name.
        audience: LCJB areas, or ``["all"]``. A user with some areas publishes only to those.
        owner: Whose story (default: the user's).

    Returns:
        The story as published.

    Raises:
        ValidationError: When an area is not an LCJB area, or there is no such story.
        AccessDeniedError: (audited) When the user may not publish it, or not to those areas.
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    areas = sorted({a.strip() for a in audience if a.strip()})
    known = {*LCJB_AREAS, ALL_AREAS}
    if unknown := [a for a in areas if a not in known]:
        raise ValidationError(f"{', '.join(map(repr, unknown))} is not an LCJB area.")
    story = _fetch(ws, owner, name)
    if story is None or not can_edit_story(user, story):
        if owner != user.username:
            _refuse(ws, user, "publish", target, f"You cannot publish the story {target}.")
        raise ValidationError(f"You have no story called {name!r}.")
    allowed = user.allowed_areas
    if allowed is not None and (outside := [a for a in areas if a not in allowed]):
        _refuse(ws, user, "publish", target, f"You cannot publish to {area_phrase(outside)}.")
    with ws.transaction() as cur:
        cur.execute(
            "UPDATE wb.stories SET audience = ? WHERE owner = ? AND name = ?",
            [json.dumps(areas), owner, name],
        )
        ws.audit("story.publish", target, {"audience": areas}, actor=user.username, cur=cur)
    return replace(story, audience=areas)


def load_story(ws: Workspace, user: User, name: str, owner: str | None = None) -> Story:
    """Open a saved story the user may read.

    Args:
        ws: The workspace.
        user: Who opens it.
        name: The story's name, or ``owner/name``.
        owner: Whose story. None: the user's own of that name, else the one other story of that
            name the user may read.

    Raises:
        ValidationError: When the user has no story of that name and can read none.
        AccessDeniedError: (audited) When the story named with its owner is not the user's to
            read (whether it exists or not).
    """
    if owner is None:
        owner, name = split_ref(name)
    if owner is None:
        own = _fetch(ws, user.username, name)
        if own is not None:
            return own
        readable = [s for s in _readable(ws, user) if s.name == name]
        if len(readable) > 1:
            refs = ", ".join(s.ref for s in readable)
            raise ValidationError(
                f"Several stories are called {name!r}: {refs}.", hint="Name one as owner/name."
            )
        if not readable:
            known = ", ".join(list_stories(ws, user)["ref"]) or "none yet"
            raise ValidationError(f"No story named {name!r} is saved.", hint=f"Stories: {known}.")
        owner = readable[0].owner
    story = _fetch(ws, owner, name)
    if owner == user.username:
        if story is None:
            raise ValidationError(f"You have no story called {name!r}.")
        return story
    target = f"{owner}/{name}"
    if story is None or not can_read_story(user, story):
        _refuse(ws, user, "open", target, f"You cannot open the story {target}.")
    # one entry per reading session: the page reloads the story on every click
    ws.audit_once(READ_OTHER, target, user.username, {"revision": story.revision})
    return story


def _readable(ws: Workspace, user: User) -> list[Story]:
    rows = ws.query(
        f"SELECT {_COLUMNS} FROM wb.stories ORDER BY updated_at DESC, owner, name"  # noqa: S608
    )
    return [s for s in map(_row_to_story, rows) if can_read_story(user, s)]


def list_stories(ws: Workspace, user: User) -> pd.DataFrame:
    """The stories the user may open, newest first.

    Returns:
        ``name``, ``owner``, ``ref`` (``owner/name``), ``title``, ``blocks``, ``revision``,
        ``updated_at``, ``updated_by``, ``areas`` (what the charts cover), ``published_to`` and
        ``editable`` (whether the user may change it).
    """
    rows = ws.query(
        "SELECT owner, name, updated_by, areas FROM wb.stories "
        "ORDER BY updated_at DESC, owner, name"
    )
    extra = {(owner, name): (by, areas) for owner, name, by, areas in rows}
    records = []
    for story in _readable(ws, user):
        by, areas = extra.get((story.owner, story.name), (None, "[]"))
        records.append(
            {
                "name": story.name,
                "owner": story.owner,
                "ref": story.ref,
                "title": story.title,
                "blocks": len(story.blocks),
                "revision": story.revision,
                "updated_at": story.updated_at,
                "updated_by": by,
                "areas": ", ".join(json.loads(areas or "[]")),
                "published_to": ", ".join(story.audience),
                "editable": can_edit_story(user, story),
            }
        )
    columns = [
        "name",
        "owner",
        "ref",
        "title",
        "blocks",
        "revision",
        "updated_at",
        "updated_by",
        "areas",
        "published_to",
        "editable",
    ]
    return pd.DataFrame(records, columns=columns)


def delete_story(ws: Workspace, user: User, name: str, owner: str | None = None) -> None:
    """Delete a story the user may change (no error when the user has none of that name).

    Raises:
        AccessDeniedError: (audited) When the story is another owner's and the user is not an
            admin who can read it.
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    story = _fetch(ws, owner, name)
    if owner != user.username and (story is None or not can_edit_story(user, story)):
        _refuse(ws, user, "delete", target, f"You cannot delete the story {target}.")
    with ws.transaction() as cur:
        cur.execute("DELETE FROM wb.stories WHERE owner = ? AND name = ?", [owner, name])
        ws.audit("story.delete", target, {}, actor=user.username, cur=cur)


def move_block(story: Story, block_id: str, offset: int) -> Story:
    """The story with one block moved up (negative offset) or down; clamped at the ends."""
    blocks = list(story.blocks)
    index = next((i for i, b in enumerate(blocks) if b.id == block_id), None)
    if index is None:
        raise ValidationError(f"The story has no block {block_id!r}.")
    target = max(0, min(len(blocks) - 1, index + offset))
    blocks.insert(target, blocks.pop(index))
    return replace(story, blocks=blocks)


def remove_block(story: Story, block_id: str) -> Story:
    """The story without one block."""
    return replace(story, blocks=[b for b in story.blocks if b.id != block_id])


# ------------------------------------------------------------------------------ add from a page
def view_block(
    source: str, where: JourneyFilter, kind: BlockKind = "chart", **params: Any
) -> Block:
    """A chart or table block showing what an analysis page shows: its source, with the page's
    area and other journey filters.

    Args:
        source: A key of :data:`SOURCES` drawn from the journeys.
        where: The page's filter.
        kind: ``chart`` or ``table``.
        **params: Other parameters of the source (``table``, ``stage``, ...).

    Raises:
        ValidationError: When the source is unknown, not drawn from the journeys, or the kind
            is text.
    """
    block = Block(kind, source, {**params, **filter_params(where)})
    src = _source(block)
    if not _journey_source(src) or kind not in ("chart", "table"):
        raise ValidationError(f"“{src.label}” cannot be added from an analysis page as {kind}.")
    return block


def own_stories(ws: Workspace, user: User) -> dict[str, str]:
    """The stories a block can be added to by this user (their own), ``name`` -> title, newest
    first."""
    stories = list_stories(ws, user)
    mine = stories.loc[stories["owner"] == user.username]
    return dict(zip(mine["name"], mine["title"], strict=True))


def story_name_for(ws: Workspace, user: User, title: str) -> str:
    """A free story name for a title: lower case words joined by ``_`` (``Kent briefing`` ->
    ``kent_briefing``, then ``kent_briefing_2`` if that is taken)."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "story"
    if not base[0].isalpha():
        base = f"story_{base}"
    name, n = base, 1
    while _fetch(ws, user.username, name) is not None:
        n += 1
        name = f"{base}_{n}"
    return name


def add_to_story(
    ws: Workspace, user: User, block: Block, name: str | None = None, title: str | None = None
) -> Story:
    """Append a block to one of the user's stories, or start a new story with it.

    The block goes through the same checks as any saved block: a leader's block is confined
    to the linked journeys of their areas, and a block covering only areas the user cannot see
    is refused (and audited).

    Args:
        ws: The workspace.
        user: Who adds it.
        block: The block (see :func:`view_block`).
        name: The user's story to add to; None starts a new one.
        title: The new story's title (when ``name`` is None).

    Returns:
        The saved story.

    Raises:
        ValidationError: When neither a story nor a title is given, or the story is not the
            user's.
        AccessDeniedError: (audited) When the block shows what the user may not see.
    """
    if name:
        story = _fetch(ws, user.username, name)
        if story is None:
            raise ValidationError(
                f"You have no story called {name!r}.", hint="Pick one of yours or start one."
            )
        return save_story(ws, user, replace(story, blocks=[*story.blocks, block]))
    if not title or not title.strip():
        raise ValidationError("Give the new story a title.")
    story = Story(story_name_for(ws, user, title), title.strip(), blocks=[block])
    return create_story(ws, user, story)
