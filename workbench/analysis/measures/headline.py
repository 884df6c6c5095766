"""The headline measures used to compare journey tables (for example linkage thresholds)."""

from __future__ import annotations

import pandas as pd

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import ALL, JourneyFilter, source_table
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import compose
from workbench.workspace import Workspace


def headline_measures(
    ws: Workspace, table: str = LINKED, where: JourneyFilter = ALL
) -> pd.DataFrame:
    """The headline measures used to compare journey tables (for example linkage thresholds).

    Returns:
        ``measure``, ``court_type`` (``all`` unless by court), ``value`` and ``base`` (cases the
        value is computed from): ``charge_rate`` (charged of recorded),
        ``victim_not_support_share`` (of recorded), ``conviction_rate`` (convicted of
        completed) and ``median_offence_to_completion`` (days) by court type.
    """
    source = source_table(ws, table)
    cond, params = where.sql()
    sql = compose(
        """
        SELECT 'charge_rate' AS measure, 'all' AS court_type,
               count(*) FILTER (WHERE charged) / nullif(count(*), 0) AS value, count(*) AS base
        FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'victim_not_support_share', 'all',
               count(*) FILTER (WHERE police_outcome_type = ?) / nullif(count(*), 0), count(*)
        FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'conviction_rate', 'all',
               count(*) FILTER (WHERE convicted) / nullif(count(*), 0), count(*)
        FROM {source} WHERE completion_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'median_offence_to_completion', coalesce(court_type, 'unknown'),
               quantile_cont(date_diff('day', offence_date, completion_date), 0.5), count(*)
        FROM {source}
        WHERE completion_date IS NOT NULL AND offence_date IS NOT NULL
          AND completion_date >= offence_date AND {cond}
        GROUP BY 2
    """,
        source=source,
        cond=cond,
    )
    out = ws.query_df(sql, [*params, VICTIM_NOT_SUPPORT, *params, *params, *params])
    order = {"charge_rate": 0, "victim_not_support_share": 1, "conviction_rate": 2}
    out["_o"] = out["measure"].map(order).fillna(3)
    return out.sort_values(["_o", "court_type"]).drop(columns="_o").reset_index(drop=True)
