"""Where the courts stand at the end of the history: open cases, the recent disposal
rate and the stage lags a change in charges passes through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from workbench.analysis.journeys.table import JOURNEY_SCHEMA
from workbench.analysis.measures.caseload import outstanding_caseload
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.record_keys import keyed_source
from workbench.disclosure.control import KEY_SPACE, KEY_SUFFIX, protect_frame
from workbench.forecast.scenarios.lags import (
    LagDistribution,
    charge_to_hearing_days,
    completion_lag,
)
from workbench.sql import Sql, compose, qualified
from workbench.workspace import Workspace

COURT_WORDS = {"magistrates": "magistrates' court", "Crown": "Crown Court"}


@dataclass(frozen=True)
class CourtState:
    """Where the courts stand at the end of the history.

    Attributes:
        at: The date of the state.
        outstanding: Open cases (first hearing held, not completed).
        disposals_per_week: Mean completions a week over the 13 weeks to ``at``.
        hidden: True when disclosure control hides either count (fewer than 10 cases): the
            state must not be shown or projected from.
        charge_lag_days: Median days from charge to first hearing (0: a change in charges
            reaches court receipts at once); see :func:`charge_to_hearing_days`.
        completion_lag: Days from first hearing to completion (:func:`completion_lag`); None:
            a change in charges does not reach disposals.
    """

    at: date
    outstanding: float
    disposals_per_week: float
    hidden: bool = False
    charge_lag_days: float = 0.0
    completion_lag: LagDistribution | None = None


@dataclass(frozen=True)
class StageLags:
    """The two stage lags a change in charges passes through, measured for one series.

    Attributes:
        court_type: The court type they were measured at.
        charge_to_hearing: Median days from charge to first hearing (None: not measured).
        hearing_to_completion: The first hearing to completion distribution (None: too few
            completions, under :data:`~workbench.forecast.scenarios.lags.MIN_COMPLETIONS`).
    """

    court_type: str
    charge_to_hearing: float | None
    hearing_to_completion: LagDistribution | None

    def apply(self, state: CourtState) -> CourtState:
        """The state with these lags (an unmeasured charge lag counts as none)."""
        return replace(
            state,
            charge_lag_days=self.charge_to_hearing or 0.0,
            completion_lag=self.hearing_to_completion,
        )

    def sentences(self) -> list[str]:
        """The lags in words, one sentence each, for the page and the downloads' notes."""
        court = COURT_WORDS.get(self.court_type, self.court_type)
        if self.charge_to_hearing is None:
            first = (
                "No charge to first hearing interval was measured: a change in charges reaches "
                "court receipts at once."
            )
        else:
            first = (
                f"A change in charges reaches {court} receipts {self.charge_to_hearing:.0f} days "
                "later (the median from charge to first hearing)."
            )
        lag = self.hearing_to_completion
        if lag is None:
            second = (
                "Too few completions were seen to measure the time from first hearing to "
                "completion: the changed receipts are not disposed of within the projection "
                "(disposals stay at the capacity set)."
            )
        else:
            median, upper = lag.median, lag.quantile(0.75)
            middle = "over half still open" if median is None else f"median {median:.0f} days"
            tail = "" if upper is None else f"; a quarter take longer than {upper:.0f} days"
            second = (
                f"It reaches disposals as those cases complete: first hearing to completion "
                f"{middle}{tail} (Kaplan-Meier, cases still open counted as censored), the "
                "whole distribution applied, not just the median."
            )
        return [first, second]


def stage_lags(
    ws: Workspace, table: str, areas: Sequence[str] | None, court_type: str
) -> StageLags:
    """Both stage lags of a series: charge to first hearing and first hearing to completion.

    Args:
        ws: The workspace.
        table: The journey table.
        areas: LCJB areas (None: all, as for England and Wales).
        court_type: ``magistrates`` or ``Crown``.
    """
    return StageLags(
        court_type,
        charge_to_hearing_days(ws, table, areas, court_type),
        completion_lag(ws, table, areas, court_type),
    )


def scenario_notes(state: CourtState, court_type: str) -> tuple[str, ...]:
    """The notes a scenario's downloads carry: the stage lags it used and how they act."""
    lags = StageLags(court_type, state.charge_lag_days or None, state.completion_lag)
    return (
        *lags.sentences(),
        "Disposals: the capacity set (cases a week at today's charge volumes) plus the "
        "completions of the changed charges; the outstanding caseload is open cases after "
        "their first hearing.",
    )


def court_state(
    ws: Workspace,
    table: str,
    at: date,
    areas: Sequence[str] | None,
    court_type: str,
    protect: bool = False,
) -> CourtState:
    """The outstanding caseload and recent disposal rate of areas at one court type.

    Args:
        ws: The workspace.
        table: The journey table.
        at: The date (usually the last day of the history).
        areas: LCJB areas (None: all).
        court_type: ``magistrates`` or ``Crown``.
        protect: Apply disclosure control (for a leader): both counts are adjusted by their
            cell keys, and the state is marked hidden when either is under the threshold.

    Returns:
        The state at ``at``.
    """
    where = JourneyFilter(areas=tuple(areas or ()), court_types=(court_type,))
    open_cases = outstanding_caseload(ws, at, table=table, where=where, keys=protect)
    cond, params = where.sql()
    start = at - timedelta(days=91)
    source = (
        keyed_source(ws, qualified(JOURNEY_SCHEMA, table))
        if protect
        else qualified(JOURNEY_SCHEMA, table)
    )
    key_sql = (
        compose(", CAST(sum(_rk) % {space} AS BIGINT)", space=Sql(str(int(KEY_SPACE))))
        if protect
        else Sql("")
    )
    done_row = ws.query(
        compose(
            "SELECT count(*){key} FROM {source} "
            "WHERE completion_date > ? AND completion_date <= ? AND {cond}",
            key=key_sql,
            source=source,
            cond=cond,
        ),
        [start, at, *params],
    )[0]
    outstanding, done = float(open_cases["cases"].sum()), float(done_row[0])
    if not protect:
        return CourtState(at, outstanding, done / 13.0)
    open_key = int(open_cases[f"cases{KEY_SUFFIX}"].fillna(0).astype("int64").sum()) % KEY_SPACE
    counts = pd.DataFrame(
        {
            "cases": [outstanding, done],
            f"cases{KEY_SUFFIX}": [open_key if outstanding else None, done_row[1]],
        }
    )
    shown = protect_frame(counts, counts=["cases"])
    values = shown.table["cases"]
    hidden = bool(shown.hidden["cases"].any())
    adjusted = [0.0 if pd.isna(v) else float(v) for v in values]
    return CourtState(at, adjusted[0], adjusted[1] / 13.0, hidden=hidden)
