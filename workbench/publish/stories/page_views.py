"""Blocks computed through the analysis pages' own views (:mod:`workbench.analysis.views`).

Blocks added from the Attrition, Timeliness and LCJB dashboard pages (“Add to story”) are
computed with disclosure control on, so a block is the figure a leader sees on the page, for
every reader.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import altair as alt
import pandas as pd

from workbench.access.auth import ALL_AREAS
from workbench.analysis.charts import (
    caseload_chart,
    distribution_chart,
    reasons_chart,
    small_multiples,
    trend_chart,
)
from workbench.analysis.headlines import format_period
from workbench.analysis.measures.timeliness import INTERVALS
from workbench.analysis.views.attrition import reasons_view
from workbench.analysis.views.cards import series_table
from workbench.analysis.views.dashboard import dashboard_headlines, dashboard_kpis
from workbench.analysis.views.scope import court_name, data_end
from workbench.analysis.views.series import trend_view
from workbench.analysis.views.timeliness import caseload_view, distribution_view
from workbench.analysis.views.view import MEASURES, View
from workbench.analysis.views.view import NATIONAL as NATIONAL_SERIES
from workbench.analysis.views.windows import COHORT_WINDOW
from workbench.disclosure.control import DEFAULT_THRESHOLD, Protected
from workbench.errors import ValidationError
from workbench.publish.export.disclosure import marked_protection
from workbench.publish.stories.filters import (
    area_phrase,
    block_filter,
    disclosure_on,
    filters_phrase,
    selection_name,
)
from workbench.workspace import Workspace


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


def compute_reasons(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A block of the Attrition page's reasons cases left, with its headline."""
    view = reasons_view(ws, block_filter(p), disclosure_on(p))
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


def compute_trend(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A block of a measure's trend against national, as the analysis pages draw it."""
    measure, period = p["measure"], p.get("period", "year")
    if measure not in MEASURES:
        raise ValidationError(f"Unknown measure {measure!r}.", hint=f"Use {', '.join(MEASURES)}.")
    name = selection_name(p.get("areas"))
    view = trend_view(ws, block_filter(p), measure, period, disclosure_on(p), label=name)
    label, unit, _subject = MEASURES[measure]
    figure = trend_chart(view.data, "", "", unit, label)
    return _from_view(view, figure, trend_headline(view.data, measure, period, name))


def trend_subtitle(p: dict[str, Any]) -> str:
    """The subtitle of a trend block: the measure, period, areas and filters."""
    measure, period = p["measure"], p.get("period", "year")
    label = MEASURES.get(measure, (measure,))[0]
    by = "of offence" if measure in COHORT_WINDOW else "the stage ended"
    return (
        f"{label} by {period} {by}, {area_phrase(p.get('areas'))}{filters_phrase(p)}, against "
        "national (all areas, same filters); shaded: 95% interval; hollow points: provisional, "
        "partial or early"
    )


def compute_distribution(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A block of the days a stage took, in bins, with its median."""
    interval = p["interval"]
    if interval not in INTERVALS:
        raise ValidationError(f"Unknown stage {interval!r}.", hint=f"Use {', '.join(INTERVALS)}.")
    view, median = distribution_view(ws, interval, block_filter(p), disclosure_on(p))
    figure = distribution_chart(view.data, median, "", "")
    label = INTERVALS[interval][2]
    name = selection_name(p.get("areas"))
    headline = (
        f"{label} in {name}: half of cases took {median:,.0f} days or fewer."
        if median is not None
        else f"{label} in {name}: too few cases to report the median."
    )
    return _from_view(view, figure, headline)


def compute_caseload(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A block of the cases open at court at the last date in the data."""
    at = data_end(ws)
    view = caseload_view(ws, at, block_filter(p), disclosure_on(p))
    figure = caseload_chart(view.data, "", "")
    cases = pd.to_numeric(view.data["cases"], errors="coerce")
    name = selection_name(p.get("areas"))
    headline = (
        f"{int(cases.sum()):,} cases were open at court in {name} on {at:%d %B %Y}."
        if len(cases) and cases.notna().all()
        else f"Cases open at court in {name} on {at:%d %B %Y} (some numbers too small to show)."
    )
    return _from_view(view, figure, headline)


def compute_dashboard(ws: Workspace, p: dict[str, Any]) -> ViewResult:
    """A block of the LCJB dashboard's trends for one area, against national."""
    areas = [a for a in p.get("areas") or () if a != ALL_AREAS]
    if len(areas) != 1:
        raise ValidationError("The dashboard's trends are drawn for one area.")
    area, period = areas[0], p.get("period", "year")
    kpis, series, note = dashboard_kpis(ws, area, period, disclosure_on(p))
    view = View(series, series_table(series), note)
    figure = (
        small_multiples(series, "", "", {k: v[1] for k, v in MEASURES.items()})
        if len(series)
        else message_chart(f"There are no complete periods for {area} yet.")
    )
    lines = dashboard_headlines(kpis) if len(kpis) else []
    headline = lines[0] if lines else f"{area}: no complete {period} to report yet."
    return _from_view(view, figure, headline)


def message_chart(text: str) -> alt.Chart:
    """A chart that says why there is nothing to draw."""
    frame = pd.DataFrame({"message": [text]})
    return alt.Chart(frame).mark_text(fontSize=14).encode(text="message:N")
