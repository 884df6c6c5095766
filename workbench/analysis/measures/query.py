"""How a measure reads the journey table: filters, groupings and SQL fragments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from workbench.analysis.journeys.table import journey_table
from workbench.analysis.measures.record_keys import keyed_source
from workbench.errors import MeasureError
from workbench.sql import Sql, compose, placeholders, quote_ident
from workbench.workspace import Workspace

Period = Literal["week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
GROUPINGS: tuple[str, ...] = ("lcjb_area", "offence_group", "victim_based", "court_type", "period")


@dataclass(frozen=True)
class JourneyFilter:
    """Which journeys a measure looks at. Empty tuples and None mean "all".

    Attributes:
        areas: LCJB areas.
        offence_groups: Offence groups.
        court_types: Court types (``magistrates``, ``Crown``).
        victim_based: Only victim-based (True) or only not victim-based (False) offences.
        start: First date of ``start_date`` (the offence, or the first stage known).
        end: Last date of ``start_date``.
    """

    areas: tuple[str, ...] = ()
    offence_groups: tuple[str, ...] = ()
    court_types: tuple[str, ...] = ()
    victim_based: bool | None = None
    start: date | None = None
    end: date | None = None

    def sql(self) -> tuple[Sql, list[Any]]:
        """The WHERE condition (never empty) and its bound parameters."""
        parts: list[str] = ["true"]
        params: list[Any] = []
        for column, values in (
            ("lcjb_area", self.areas),
            ("offence_group", self.offence_groups),
            ("court_type", self.court_types),
        ):
            if values:
                parts.append(compose("{c} IN ({marks})", c=column, marks=placeholders(len(values))))
                params.extend(values)
        if self.victim_based is not None:
            parts.append("victim_based = ?")
            params.append(bool(self.victim_based))
        if self.start is not None:
            parts.append("start_date >= ?")
            params.append(self.start)
        if self.end is not None:
            parts.append("start_date <= ?")
            params.append(self.end)
        return Sql(" AND ".join(parts)), params


ALL = JourneyFilter()


def check_period(period: str) -> None:
    """Raise :class:`~workbench.errors.MeasureError` unless ``period`` is one of :data:`PERIODS`."""
    if period not in PERIODS:
        raise MeasureError(f"Unknown period {period!r}.", hint=f"Use one of {', '.join(PERIODS)}.")


def group_columns(
    by: Sequence[str], period: str, period_date: str
) -> tuple[list[Sql], list[str], list[Any]]:
    """SELECT expressions, output names and bound parameters for the groupings asked for."""
    exprs: list[Sql] = []
    names: list[str] = []
    params: list[Any] = []
    for group in by:
        if group not in GROUPINGS:
            raise MeasureError(
                f"Unknown grouping {group!r}.", hint=f"Use any of {', '.join(GROUPINGS)}."
            )
        if group == "period":
            check_period(period)
            exprs.append(compose("CAST(date_trunc(?, {c}) AS DATE) AS period", c=period_date))
            params.append(period)
        elif group == "victim_based":
            exprs.append(
                Sql(
                    "CASE WHEN victim_based THEN 'victim-based' WHEN NOT victim_based "
                    "THEN 'not victim-based' ELSE 'unknown' END AS victim_based"
                )
            )
        else:
            exprs.append(compose("coalesce({c}, 'unknown') AS {c}", c=group))
        names.append(group)
    return exprs, names, params


def source_table(ws: Workspace, table: str, keys: bool = False) -> Sql:
    """The journey table to read; with ``keys``, a subquery adding each journey's record key."""
    if not ws.table_exists("journeys", table):
        raise MeasureError(
            f"There is no journey table {table!r}.",
            hint="Build the journeys (from the active linkage model) first.",
        )
    if not keys:
        return journey_table(table)
    return keyed_source(ws, journey_table(table))


def select_list(exprs: Sequence[str]) -> Sql:
    """SELECT expressions, each followed by a comma (empty when there are none)."""
    return Sql("".join(f"{e}, " for e in exprs))


def column_list(names: Sequence[str], alias: str | None = None) -> Sql:
    """Quoted column names (qualified by a table alias when given), each followed by a comma."""
    if alias is None:
        return select_list([quote_ident(n) for n in names])
    return select_list([compose("{a}.{c}", a=alias, c=n) for n in names])


def sql_if(flag: bool, sql: str) -> Sql:
    """Constant SQL text when ``flag`` holds, else nothing."""
    return Sql(sql if flag else "")
