"""What a block covers, and how it is worded: its journeys, areas, filters and periods.

A block added from an analysis page carries the page's journey filter as parameters
(:func:`filter_params`); :func:`block_filter` turns them back into the filter the block counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from workbench.access.auth import ALL_AREAS
from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED
from workbench.analysis.measures.query import JourneyFilter
from workbench.sql import compose, qualified
from workbench.workspace import Workspace


def period_phrase(value: Any, period: str) -> str:
    """A period in words: "2024", "Q1 2024", "the week of 4 March 2024" or "March 2024"."""
    ts = pd.Timestamp(value)
    if period == "year":
        return f"{ts:%Y}"
    if period == "quarter":
        return f"Q{ts.quarter} {ts:%Y}"
    if period == "week":
        return f"the week of {ts.day} {ts:%B %Y}"
    return f"{ts:%B %Y}"


def parse_day(value: Any) -> date | None:
    """A block parameter's date (a date or ISO text) as a date; None when it is empty."""
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def block_filter(p: dict[str, Any]) -> JourneyFilter:
    """The journeys a block counts: its areas and the filters of the view it was added from."""
    victim = p.get("victim_based")
    return JourneyFilter(
        areas=tuple(a for a in p.get("areas") or () if a != ALL_AREAS),
        offence_groups=tuple(p.get("offence_groups") or ()),
        court_types=tuple(p.get("court_types") or ()),
        victim_based=None if victim is None else bool(victim),
        start=parse_day(p.get("start")),
        end=parse_day(p.get("end")),
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
    where = block_filter(p)
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
        compose(
            "SELECT DISTINCT lcjb_area FROM {table} WHERE lcjb_area IS NOT NULL ORDER BY 1",
            table=qualified(JOURNEY_SCHEMA, table),
        )
    )
    return [r[0] for r in rows]


def selection_name(areas: list[str] | tuple[str, ...] | None) -> str:
    """The short name of a block's areas that the analysis pages give their series ("Kent",
    "2 areas", "All areas")."""
    names = [a for a in areas or () if a != ALL_AREAS]
    if len(names) == 1:
        return names[0]
    return f"{len(names)} areas" if names else "All areas"


def disclosure_on(p: dict[str, Any]) -> bool:
    """Whether to apply disclosure control: always for a block drawn for anybody (its
    parameters carry ``cell_keys``, see :func:`~workbench.publish.stories.access.block_params`)."""
    return bool(p.get("cell_keys", True))
