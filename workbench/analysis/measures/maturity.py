"""Cohort maturity (:func:`maturity`): the days within which 90% of eventually-charged
cases were charged and 90% of completed cases were completed, counted from the offence; a cohort
of offences is provisional until that long after its period ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import ALL, JourneyFilter, source_table
from workbench.sql import compose
from workbench.workspace import Workspace

# Share of eventually-finished cases that defines the maturity window of a cohort.
MATURITY_SHARE = 0.9
# Cohorts used to measure maturity: offences at least this many days before the data end.
MATURITY_LOOKBACK_DAYS = 3 * 365


@dataclass(frozen=True)
class Maturity:
    """How long a cohort of offences needs before its outcomes are (mostly) known.

    Attributes:
        charge_days: Days from offence within which ``share`` of eventually-charged cases
            were charged.
        completion_days: Days from offence within which ``share`` of completed cases were
            completed.
        share: The share used (0.9 by default).
        cases_charged: Charged cases the charge window is measured on.
        cases_completed: Completed cases the completion window is measured on.
    """

    charge_days: float | None
    completion_days: float | None
    share: float = MATURITY_SHARE
    cases_charged: int = 0
    cases_completed: int = 0


def maturity(
    ws: Workspace,
    table: str = LINKED,
    where: JourneyFilter = ALL,
    share: float = MATURITY_SHARE,
    lookback_days: int = MATURITY_LOOKBACK_DAYS,
) -> Maturity:
    """Measure from the journeys how long cohorts need to finish (see :class:`Maturity`).

    Only offences at least ``lookback_days`` before the last offence in the table are used,
    so slow cases have had time to finish; when there are none, every offence is used.
    """
    source = source_table(ws, table)
    cond, params = where.sql()
    sql = compose(
        """
        WITH j AS (SELECT * FROM {source} WHERE offence_date IS NOT NULL AND {cond}),
        cut AS (SELECT max(offence_date) - CAST(? AS INTEGER) AS before FROM j),
        old AS (SELECT j.* FROM j, cut
                WHERE j.offence_date <= cut.before
                   OR (SELECT count(*) FROM j, cut AS c WHERE j.offence_date <= c.before) = 0)
        SELECT quantile_cont(date_diff('day', offence_date, charge_date), ?)
                   FILTER (WHERE charge_date >= offence_date),
               count(*) FILTER (WHERE charge_date >= offence_date),
               quantile_cont(date_diff('day', offence_date, completion_date), ?)
                   FILTER (WHERE completion_date >= offence_date),
               count(*) FILTER (WHERE completion_date >= offence_date)
        FROM old
    """,
        source=source,
        cond=cond,
    )
    row = ws.query(sql, [*params, int(lookback_days), float(share), float(share)])[0]
    return Maturity(
        charge_days=None if row[0] is None else float(row[0]),
        completion_days=None if row[2] is None else float(row[2]),
        share=share,
        cases_charged=int(row[1] or 0),
        cases_completed=int(row[3] or 0),
    )
