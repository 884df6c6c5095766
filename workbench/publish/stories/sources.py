"""The recipes of chart and table blocks (:data:`SOURCES`): how each is computed, protected,
drawn, headlined and described.

Every chart and table of a story passes through disclosure control before it is drawn.
Headlines are generated from the data ("Court receipts fell by 12% to 1,234 in March 2024")
unless the analyst has written their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd

from workbench.access.auth import User
from workbench.analysis.journeys.table import LINKED, build_row
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.demand import DEMAND_STAGES, receipts
from workbench.analysis.measures.timeliness import INTERVALS, timeliness
from workbench.analysis.views.scope import data_span
from workbench.charts import accessible_palette, period_axis
from workbench.data.catalogue import find_dataset
from workbench.data.explore import date_span, period_counts
from workbench.disclosure.control import (
    Protected,
    protect_frame,
    protect_funnel,
    protect_timeliness,
)
from workbench.errors import ValidationError
from workbench.periods import span_status
from workbench.publish.stories.demand import (
    compute_forecast,
    compute_scenario,
    forecast_subtitle,
    scenario_subtitle,
)
from workbench.publish.stories.filters import (
    area_phrase,
    block_filter,
    filters_phrase,
    period_phrase,
)
from workbench.publish.stories.model import Block
from workbench.publish.stories.page_views import (
    compute_caseload,
    compute_dashboard,
    compute_distribution,
    compute_reasons,
    compute_trend,
    trend_subtitle,
)
from workbench.workspace import Workspace


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

    A source computed through a page's own view returns a
    :class:`~workbench.publish.stories.page_views.ViewResult`, which carries the chart, headline
    and table as the page draws them; ``chart`` and ``headline`` are then not needed.
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
    dataset = params.get("dataset")
    info = find_dataset(ws, dataset) if isinstance(dataset, str) else None
    if info is None:
        return ""
    version = info.version
    when = info.updated_at if info.updated_at is not None else info.imported_at
    stamp = f", {when:%Y-%m-%d %H:%M}" if when else ""
    return f"{params.get('dataset')} v{version}{stamp}"


def _journey_version(ws: Workspace, params: dict[str, Any]) -> str:
    table = params.get("table", LINKED)
    row = build_row(ws, table)
    return (
        f"journeys.{table} built {row['built_at']:%Y-%m-%d %H:%M}" if row else f"journeys.{table}"
    )


def _series_chart(frame: pd.DataFrame, value: str, title: str, period: str) -> alt.TopLevelMixin:
    """Lines per group; a period the data start or end within is a hollow point, named in a
    legend, so a partial last month does not read as a fall."""
    frame = frame.reset_index(drop=True)
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
    partial = frame[frame["status"].eq("partial")] if "status" in frame else frame.iloc[0:0]
    if not len(partial):
        return (
            alt.Chart(frame)
            .mark_line(strokeWidth=2)
            .encode(**enc)
            .properties(width=560, height=300)
        )
    # Solid lines join complete periods; a dotted, fainter one reaches each partial period.
    is_partial = frame["status"].eq("partial")
    near = pd.Series(False, index=frame.index)
    keys = frame.get("group", pd.Series("", index=frame.index))
    for _, rows in frame.groupby(keys, sort=False, dropna=False):
        flags = is_partial.loc[rows.sort_values("period").index]
        near.loc[flags.index] = (
            flags | flags.shift(1, fill_value=False) | flags.shift(-1, fill_value=False)
        )
    # Layers do not merge a colour legend with a dash legend, so groups are told apart by
    # colour alone here, keyed by line symbols.
    enc.pop("strokeDash", None)
    if len(groups) > 1:
        enc["color"] = alt.Color(
            "group:N",
            title=None,
            scale=alt.Scale(domain=groups, range=accessible_palette()),
            legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2),
        )
    points = dict(enc)
    solid = frame[~is_partial].copy()
    # Alt text describes the complete periods (as the headline does) and names the rest.
    shown = [
        f"{str(row.group) + ', ' if len(groups) > 1 else ''}{period_phrase(row.period, period)} "
        f"({'hidden' if pd.isna(getattr(row, value)) else f'{getattr(row, value):,.0f}'})"
        for row in partial.sort_values("period").itertuples()
    ]
    solid.attrs["alt"] = {
        "note": f"Partial {'periods' if len(shown) > 1 else 'period'}, drawn as hollow points "
        f"because the data start or end part-way through: {', '.join(shown)}."
    }
    layers: list[alt.Chart] = [
        alt.Chart(solid).mark_line(strokeWidth=2).encode(**enc),
        alt.Chart(frame[near])
        .mark_line(strokeWidth=2, strokeDash=[2, 3], opacity=0.7)
        .encode(**{**points, "detail": "group:N"} if "group" in frame else points),
    ]
    points["shape"] = alt.Shape(
        "state:N",
        scale=alt.Scale(domain=[PARTIAL_LABEL], range=["circle"]),
        legend=alt.Legend(title=None, orient="bottom", labelLimit=400),
    )
    layers.append(
        alt.Chart(partial.assign(state=PARTIAL_LABEL))
        .mark_point(filled=False, size=70, strokeWidth=2)
        .encode(**points)
    )
    return alt.layer(*layers).properties(width=560, height=300)


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


#: The legend of a period the data start or end within.
PARTIAL_LABEL = "partial period: the data start or end within it"

_STEP: dict[str, pd.DateOffset] = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def series_headline(frame: pd.DataFrame, value: str, what: str, period: str) -> str:
    """A headline comparing the last complete period of a series with the period just before.

    Only two consecutive periods that are both shown and complete are compared: a period with
    a hidden (suppressed) value in any group, or missing from the table, is never compared, and
    neither is an empty series; the headline then says there are too few cases to compare. A
    period the data start or end within (``status`` ``partial``) holds only part of its cases,
    so it is never compared either; a partial last period is named as left out.

    Args:
        frame: Columns ``period`` and ``value`` (summed over any groups), and optionally
            ``status`` (``complete`` or ``partial``, :func:`mark_span`).
        value: The value column.
        what: What is counted, capitalised ("Court receipts").
        period: The period length, for wording.

    Returns:
        For example "Court receipts rose by 12% to 1,234 in March 2024 (from 1,100 in
        February 2024)."
    """
    if not len(frame) or "period" not in frame:
        return f"{what}: too few cases to compare."
    periods = pd.to_datetime(frame["period"])
    partial = (
        frame["status"].eq("partial").to_numpy()
        if "status" in frame
        else pd.Series(False, index=frame.index).to_numpy()
    )
    left_out = ""
    if partial.any():
        last_partial = periods[partial].max()
        if last_partial == periods.max():
            left_out = (
                f" {period_phrase(last_partial, period)} is left out: the data end part-way "
                "through it."
            )
        frame, periods = frame.loc[~partial], periods[~partial]
    values = pd.to_numeric(frame[value], errors="coerce")
    grouped = values.groupby(periods)
    complete = grouped.apply(lambda v: bool(v.notna().all()))
    totals = grouped.sum(min_count=1).where(complete).sort_index()
    if len(totals) < 2:
        return f"{what}: not enough complete periods to compare.{left_out}"
    last_at, prev_at = totals.index[-1], totals.index[-2]
    when, before = period_phrase(last_at, period), period_phrase(prev_at, period)
    step = _STEP.get(period)
    consecutive = step is None or prev_at + step == last_at
    last, prev = totals.iloc[-1], totals.iloc[-2]
    if pd.isna(last) or pd.isna(prev) or not consecutive:
        return f"{what}: too few cases to compare {when} with {before}.{left_out}"
    if last == 0 and prev == 0:
        return f"{what}: none in {when} or in {before}.{left_out}"
    if prev == 0 or last == prev:
        verb = "were unchanged at" if last == prev else "rose to"
        return f"{what} {verb} {last:,.0f} in {when} (from {prev:,.0f} in {before}).{left_out}"
    change = (last - prev) / prev
    verb = "rose" if change > 0 else "fell"
    return (
        f"{what} {verb} by {abs(change):.0%} to {last:,.0f} in {when} "
        f"(from {prev:,.0f} in {before}).{left_out}"
    )


def mark_span(frame: pd.DataFrame, period: str, span: tuple[Any, Any] | None) -> pd.DataFrame:
    """``frame`` with a ``status`` column: ``partial`` for a period the data start or end
    within (``span``: the first and last dates of the data), ``complete`` otherwise."""
    if span is None or not len(frame):
        return frame.assign(status="complete")
    return frame.assign(status=span_status(frame["period"], period, span[0], span[1]))


def _counts_compute(ws: Workspace, p: dict[str, Any]) -> Protected:
    period = p.get("period", "month")
    frame = period_counts(ws, p["dataset"], p["date_column"], by=p.get("by") or None, period=period)
    span = date_span(ws, p["dataset"], p["date_column"])
    return protect_frame(mark_span(frame, period, span), counts=["records"])


def _receipts_compute(ws: Workspace, p: dict[str, Any]) -> Protected:
    frame = receipts(
        ws,
        p.get("table", LINKED),
        freq=p.get("freq", "month"),
        by=(),
        stages=[p["stage"]],
        where=block_filter(p),
        keys=bool(p.get("cell_keys")),
    )
    # The span of the whole journey table, not of the block's areas: a period is partial
    # where the extracts start or end, whichever areas are shown.
    span = data_span(ws, p.get("table", LINKED)) if len(frame) else None
    return protect_frame(mark_span(frame, p.get("freq", "month"), span), counts=["receipts"])


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
                ws, p.get("table", LINKED), where=block_filter(p), keys=bool(p.get("cell_keys"))
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
                where=block_filter(p),
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
        compute=compute_reasons,
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
        compute=compute_trend,
        subtitle=trend_subtitle,
        version=_journey_version,
        x_type="temporal",
        page_only=True,
    ),
    "timeliness_distribution": Source(
        label="Days a stage took: distribution (journeys)",
        defaults={"table": LINKED, "interval": "first_hearing_to_completion"},
        compute=compute_distribution,
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
        compute=compute_caseload,
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
        compute=compute_dashboard,
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
        compute=compute_forecast,
        subtitle=forecast_subtitle,
        version=_journey_version,
        x_type="temporal",
        page_only=True,
    ),
    "demand_scenario": Source(
        label="Demand: what-if scenario, outstanding caseload (journeys)",
        defaults={"table": LINKED, "freq": "month", "horizon": 6, "charge_change_pct": 0.0},
        compute=compute_scenario,
        subtitle=scenario_subtitle,
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


def source_of(block: Block) -> Source:
    """The source a chart or table block is drawn from; an unknown one is refused."""
    if block.source not in SOURCES:
        raise ValidationError(
            f"Unknown chart or table source {block.source!r}.",
            hint=f"Use one of {', '.join(SOURCES)}.",
        )
    return SOURCES[block.source]


def is_journey_source(src: Source) -> bool:
    """Whether the source counts journeys (so areas and the leaders' rules apply)."""
    return "table" in src.defaults
