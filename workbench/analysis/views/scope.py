"""What the pages look at: whether the journey table can be used, the filters a user may
choose, the dates the data covers and the court types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from workbench.analysis.journeys.build import active_model, build_info, model_name
from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED, journey_table
from workbench.analysis.measures.query import JourneyFilter
from workbench.errors import AccessDeniedError, JourneyError
from workbench.formatting import format_date
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

COURT_NAMES = {"magistrates": "magistrates' courts", "Crown": "the Crown Court"}


@dataclass(frozen=True)
class JourneyStatus:
    """Whether the journey table can be used.

    Attributes:
        state: ``no_model``, ``missing``, ``stale`` or ``current``.
        message: A sentence saying which.
        info: The recorded build, when there is one.
    """

    state: str
    message: str
    info: dict[str, Any] | None = None

    @property
    def usable(self) -> bool:
        """Whether there is a journey table to read (current or stale)."""
        return self.state in ("current", "stale")


def journey_status(ws: Workspace) -> JourneyStatus:
    """Whether the linked journey table exists and matches the active model and threshold."""
    info = build_info(ws, LINKED)
    exists = info is not None and ws.table_exists(JOURNEY_SCHEMA, LINKED)
    active = active_model(ws)
    if active is None:
        if exists:
            return JourneyStatus(
                "stale", "The journeys were built from a model that is no longer active.", info
            )
        return JourneyStatus(
            "no_model",
            "There is no active linkage model yet, so there are no linked journeys to measure.",
        )
    if not exists:
        return JourneyStatus("missing", "The linked journey table has not been built yet.")
    model_id, threshold = active
    if info["model_id"] != model_id or info["threshold"] is None:
        return JourneyStatus(
            "stale",
            f"The journeys were built from the model {info['model_label']}; the active model is "
            f"{model_name(ws, model_id)}.",
            info,
        )
    if abs(float(info["threshold"]) - threshold) > 1e-9:
        return JourneyStatus(
            "stale",
            f"The journeys were built at threshold {info['threshold']:.3f}; the active model's "
            f"clusters are at {threshold:.3f}.",
            info,
        )
    return JourneyStatus(
        "current",
        f"Built on {format_date(info['built_at'])}, {pd.Timestamp(info['built_at']):%H:%M} UTC, "
        "from the model "
        f"{info['model_label']} at threshold {threshold:.3f}.",
        info,
    )


def _distinct(ws: Workspace, column: str) -> list[str]:
    rows = ws.query(
        compose(
            "SELECT DISTINCT {col} FROM {t} WHERE {col} IS NOT NULL ORDER BY 1",
            col=column,
            t=journey_table(LINKED),
        )
    )
    return [str(r[0]) for r in rows]


def filter_options(ws: Workspace, allowed: Sequence[str] | None) -> dict[str, list[str]]:
    """The choices for the filters: areas (only those allowed), offence groups, court types."""
    areas = _distinct(ws, "lcjb_area")
    if allowed is not None:
        areas = [a for a in areas if a in set(allowed)]
    return {
        "areas": areas,
        "offence_groups": _distinct(ws, "offence_group"),
        "court_types": _distinct(ws, "court_type"),
    }


def scoped_filter(
    allowed: Sequence[str] | None,
    areas: Sequence[str] = (),
    offence_groups: Sequence[str] = (),
    court_types: Sequence[str] = (),
    victim_based: bool | None = None,
) -> JourneyFilter:
    """A filter that never reaches past the areas a user is allowed to see.

    Args:
        allowed: The user's areas (None means every area).
        areas: Areas chosen; none chosen means all the allowed ones.
        offence_groups: Offence groups chosen (none: all).
        court_types: Court types chosen (none: all).
        victim_based: Only victim-based (True), only not (False), or both (None).

    Raises:
        AccessDeniedError: When the user may see no area, or chose one they may not see.
    """
    chosen = tuple(areas)
    if allowed is not None:
        if not allowed:
            raise AccessDeniedError("Your account is not allowed to see any area yet.")
        outside = [a for a in chosen if a not in set(allowed)]
        if outside:
            raise AccessDeniedError(f"Your account is not allowed to see {outside[0]}.")
        chosen = chosen or tuple(allowed)
    return JourneyFilter(
        areas=chosen,
        offence_groups=tuple(offence_groups),
        court_types=tuple(court_types),
        victim_based=victim_based,
    )


def data_end(ws: Workspace, table: str = LINKED) -> date:
    """The last date any stage was recorded in a journey table (the linked one by default)."""
    sql = compose(
        "SELECT greatest(max(recorded_date), max(referral_date), max(first_hearing_date), "
        "max(completion_date)) FROM {t}",
        t=journey_table(table),
    )
    row = ws.query(sql)
    if not row or row[0][0] is None:
        raise JourneyError("The journey table holds no dated stages.")
    return pd.Timestamp(row[0][0]).date()


def data_span(ws: Workspace, table: str = LINKED) -> tuple[date, date]:
    """The first and last dates any stage was recorded in a journey table (the linked one by
    default)."""
    cols = ("recorded_date", "referral_date", "first_hearing_date", "completion_date")
    first = Sql(", ".join(compose("min({c})", c=c) for c in cols))
    sql = compose("SELECT least({first}) FROM {t}", first=first, t=journey_table(table))
    row = ws.query(sql)
    if not row or row[0][0] is None:
        raise JourneyError("The journey table holds no dated stages.")
    return pd.Timestamp(row[0][0]).date(), data_end(ws, table)


def court_types(ws: Workspace, where: JourneyFilter) -> list[str]:
    """The court types a filter covers: those chosen, or every one in the journeys."""
    return list(where.court_types) or _distinct(ws, "court_type")


def court_filter(where: JourneyFilter, court_type: str) -> JourneyFilter:
    """The filter narrowed to one court type."""
    return replace(where, court_types=(court_type,))


def court_name(court_type: str) -> str:
    """``magistrates' courts`` or ``the Crown Court``."""
    return COURT_NAMES.get(court_type, court_type)


def court_title(court_type: str) -> str:
    """``Magistrates' courts`` or ``Crown Court``, for a heading or a tab."""
    return {"magistrates": "Magistrates' courts", "Crown": "Crown Court"}.get(
        court_type, court_type
    )
