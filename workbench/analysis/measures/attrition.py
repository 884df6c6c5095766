"""Victim attrition: the funnel from crime recorded to conviction, and why cases leave it.

The attrition funnel counts journeys that start with a recorded crime. A step counts the cases
that reached it and every step before: recorded, suspect identified, charged, first hearing,
completed, convicted. The period of a case is the period of its offence (``start_date``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import (
    ALL,
    JourneyFilter,
    Period,
    column_list,
    group_columns,
    select_list,
    source_table,
    sql_if,
)
from workbench.analysis.measures.record_keys import cell_key
from workbench.disclosure.control import KEY_SUFFIX
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("recorded", "Crime recorded", "true"),
    ("suspect_identified", "Suspect identified", "suspect_identified"),
    ("charged", "Charged or summonsed", "charged"),
    ("first_hearing", "First hearing", "first_hearing_date IS NOT NULL"),
    ("completed", "Completed at court", "completion_date IS NOT NULL"),
    ("convicted", "Convicted", "convicted"),
)


def attrition_funnel(
    ws: Workspace,
    table: str = LINKED,
    by: Sequence[str] = (),
    period: Period = "year",
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """The attrition funnel from crime recorded to conviction.

    Args:
        ws: The workspace.
        table: The journey table.
        by: Groupings from :data:`~workbench.analysis.measures.query.GROUPINGS` (``period`` is
            the period of the offence).
        period: week, month, quarter or year, for the ``period`` grouping.
        where: Which journeys to count.
        keys: Add ``cases__key``, the cell key of each count, for disclosure control.

    Returns:
        One row per group and step: the groupings, ``step`` (order 1 to 6), ``stage``, ``label``,
        ``cases``, ``rate_of_previous`` and ``rate_of_recorded`` (fractions; None on a zero base).
    """
    source = source_table(ws, table, keys)
    exprs, names, params = group_columns(by, period, "start_date")
    cond, fparams = where.sql()
    running = "true"
    counts: list[Sql] = []
    for stage, _label, condition in FUNNEL_STEPS:
        running = f"{running} AND {condition}" if stage != "recorded" else "true"
        counts.append(
            compose(
                "count(*) FILTER (WHERE {running}) AS {stage}", running=Sql(running), stage=stage
            )
        )
        if keys:
            counts.append(
                compose("{key} AS {name}", key=cell_key(running), name=f"{stage}{KEY_SUFFIX}")
            )
    sql = compose(
        "SELECT {groups}{counts} FROM {source} "
        "WHERE recorded_date IS NOT NULL AND {cond} GROUP BY ALL",
        groups=select_list(exprs),
        counts=Sql(", ".join(counts)),
        source=source,
        cond=cond,
    )
    wide = ws.query_df(sql, params + fparams)
    rows = []
    for record in wide.to_dict("records"):
        group_values = {n: record[n] for n in names}
        previous = None
        recorded = record["recorded"]
        for step, (stage, label, _) in enumerate(FUNNEL_STEPS, start=1):
            cases = int(record[stage])
            rows.append(
                {
                    **group_values,
                    "step": step,
                    "stage": stage,
                    "label": label,
                    "cases": cases,
                    "rate_of_previous": cases / previous if previous else None,
                    "rate_of_recorded": cases / recorded if recorded else None,
                    **({f"cases{KEY_SUFFIX}": record[f"{stage}{KEY_SUFFIX}"]} if keys else {}),
                }
            )
            previous = cases
    columns = [*names, "step", "stage", "label", "cases", "rate_of_previous", "rate_of_recorded"]
    columns += [f"cases{KEY_SUFFIX}"] if keys else []
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values([*names, "step"], ignore_index=True)


def attrition_reasons(
    ws: Workspace,
    table: str = LINKED,
    by: Sequence[str] = (),
    period: Period = "year",
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Why recorded crimes leave the journey before a conviction.

    Cases that are not charged leave with their police outcome type (so "evidential difficulties
    — victim does not support action" is its own line; a CPS decision stands in when the police
    outcome is missing; "investigation ongoing" when neither is known). Charged cases leave as
    "charged, not yet at court" or "case outstanding at court", or with their verdict when not
    convicted.

    Returns:
        The groupings, ``left_at`` (``before charge``, ``after charge``, ``at court``),
        ``reason``, ``cases`` and ``share_of_recorded`` (fraction of recorded crimes in the
        group), largest first; with ``keys``, ``cases__key`` too.
    """
    source = source_table(ws, table, keys)
    exprs, names, params = group_columns(by, period, "start_date")
    cond, fparams = where.sql()
    if names:
        join_totals = compose("JOIN totals AS t USING ({names})", names=list(names))
    else:
        join_totals = Sql("CROSS JOIN totals AS t")
    sql = compose(
        """
        WITH j AS (
            SELECT {groups}
                CASE WHEN NOT charged THEN 'before charge'
                     WHEN first_hearing_date IS NULL THEN 'after charge'
                     ELSE 'at court' END AS left_at,
                CASE WHEN NOT charged THEN coalesce(police_outcome_type, 'CPS: ' || decision,
                                                    'investigation ongoing')
                     WHEN first_hearing_date IS NULL THEN 'charged, not yet at court'
                     WHEN completion_date IS NULL THEN 'case outstanding at court'
                     ELSE coalesce(verdict, 'completed, verdict not recorded') END AS reason,
                convicted{rk}
            FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        ), totals AS (
            SELECT {names}count(*) AS recorded
            FROM j GROUP BY ALL
        )
        SELECT {j_names}j.left_at, j.reason,
               count(*) AS cases, count(*) / any_value(t.recorded) AS share_of_recorded
               {key}
        FROM j {join_totals}
        WHERE NOT j.convicted
        GROUP BY ALL
        ORDER BY {j_names}cases DESC, reason
    """,
        groups=select_list(exprs),
        rk=sql_if(keys, ", _rk"),
        source=source,
        cond=cond,
        names=column_list(names),
        j_names=column_list(names, "j"),
        key=compose(", {key} AS {name}", key=cell_key(), name=f"cases{KEY_SUFFIX}")
        if keys
        else Sql(""),
        join_totals=join_totals,
    )
    return ws.query_df(sql, params + fparams)


def victim_not_support_share(
    ws: Workspace, table: str = LINKED, where: JourneyFilter = ALL
) -> float | None:
    """Share of recorded crimes closed because the victim does not support action."""
    source = source_table(ws, table)
    cond, params = where.sql()
    row = ws.query(
        compose(
            "SELECT count(*) FILTER (WHERE police_outcome_type = ?), count(*) FROM {source} "
            "WHERE recorded_date IS NOT NULL AND {cond}",
            source=source,
            cond=cond,
        ),
        [VICTIM_NOT_SUPPORT, *params],
    )[0]
    return row[0] / row[1] if row[1] else None
