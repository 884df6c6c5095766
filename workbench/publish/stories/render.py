"""Draw a block from the current data: its chart or table, headline, subtitle, notes and version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import altair as alt
import pandas as pd

from workbench.access.auth import User
from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED
from workbench.analysis.measures.demand import DEMAND_STAGES
from workbench.analysis.measures.timeliness import INTERVALS
from workbench.disclosure.control import Protected
from workbench.errors import ValidationError
from workbench.publish.export.meta import CHART_SOURCE, ChartMeta, TableMeta, period_covered
from workbench.publish.stories.access import block_params
from workbench.publish.stories.filters import block_filter, journey_tables
from workbench.publish.stories.model import Annotation, Block
from workbench.publish.stories.page_views import ViewResult
from workbench.publish.stories.sources import SOURCES, is_journey_source, source_of
from workbench.sql import compose, qualified
from workbench.workspace import Workspace


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
    "receipts": {"period": "Period", "receipts": "Receipts", "status": "Period status"},
    "period_counts": {
        "period": "Period",
        "group": "Group",
        "records": "Records",
        "status": "Period status",
    },
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
    condition, values = block_filter(params).sql()
    rows = ws.query(
        compose(
            "SELECT min(start_date), max(start_date) FROM {table} WHERE {condition}",
            table=qualified(JOURNEY_SCHEMA, table),
            condition=condition,
        ),
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
    if is_journey_source(SOURCES[source]):
        return _journey_period(ws, params)
    return ""


def block_subtitle(block: Block, params: dict[str, Any], period: str) -> str:
    """A block's subtitle: what it shows, for which area(s) and which period.

    The areas are the ones the block is drawn for (after confining them to the reader), so a
    Kent-only block says Kent; an analyst's own subtitle is kept, with the period added when
    it does not state one.
    """
    src = source_of(block)
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
    src = source_of(block)
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
        if is_journey_source(src)
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
