"""Demand: receipts at each stage (crimes recorded, CPS referrals, first hearings) by the
period of the stage's date, with every period between the first and last filled (zero when
nothing arrived).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import (
    ALL,
    JourneyFilter,
    column_list,
    select_list,
    source_table,
    sql_if,
)
from workbench.analysis.measures.record_keys import cell_key_as
from workbench.disclosure.control import KEY_SUFFIX
from workbench.errors import MeasureError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

DEMAND_STAGES: dict[str, tuple[str, str]] = {
    "recorded": ("recorded_date", "Crimes recorded"),
    "referral": ("referral_date", "CPS referrals"),
    "first_hearing": ("first_hearing_date", "Court receipts (first hearings)"),
}


def receipts(
    ws: Workspace,
    table: str = LINKED,
    freq: Literal["week", "month"] = "month",
    by: Sequence[str] = ("lcjb_area",),
    stages: Sequence[str] | None = None,
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Receipts at each stage per week or month: continuous series ready for forecasting.

    Every series runs from the first to the last period seen at its stage, with zeros where
    nothing arrived. ``court_type`` is ``all`` for the stages before court.

    Args:
        ws: The workspace.
        table: The journey table.
        freq: ``week`` (weeks start on Monday) or ``month``.
        by: ``lcjb_area``, ``offence_group`` and/or ``court_type``.
        stages: Names from :data:`DEMAND_STAGES`; all by default.
        where: Which journeys to include.

    Returns:
        ``stage``, the groupings, ``period`` (first day) and ``receipts``; with ``keys``,
        ``receipts__key`` too (missing where nothing arrived).
    """
    if freq not in ("week", "month"):
        raise MeasureError(f"Unknown frequency {freq!r}.", hint="Use week or month.")
    chosen = list(stages or DEMAND_STAGES)
    unknown = [s for s in chosen if s not in DEMAND_STAGES]
    bad = [g for g in by if g not in ("lcjb_area", "offence_group", "court_type")]
    if unknown or bad:
        raise MeasureError(
            f"Unknown stage or grouping: {(unknown + bad)[0]!r}.",
            hint=f"Stages: {', '.join(DEMAND_STAGES)}; groupings: lcjb_area, offence_group, "
            "court_type.",
        )
    source = source_table(ws, table, keys)
    cond, fparams = where.sql()
    names = list(by)
    parts: list[Sql] = []
    params: list[Any] = []
    for stage in chosen:
        column = DEMAND_STAGES[stage][0]
        exprs: list[Sql] = []
        for g in names:
            if g == "court_type" and stage != "first_hearing":
                exprs.append(Sql("'all' AS court_type"))
            else:
                exprs.append(compose("coalesce({g}, 'unknown') AS {g}", g=g))
        parts.append(
            compose(
                "SELECT ? AS stage, {groups}CAST(date_trunc(?, {column}) AS DATE) AS period{rk} "
                "FROM {source} WHERE {column} IS NOT NULL AND {cond}",
                groups=select_list(exprs),
                column=column,
                rk=sql_if(keys, ", _rk"),
                source=source,
                cond=cond,
            )
        )
        params.extend([stage, freq, *fparams])
    group_keys = column_list(names)
    key_name = f"receipts{KEY_SUFFIX}"
    sql = compose(
        """
        WITH ev AS ({union}),
        counts AS (SELECT stage, {group_keys}period, count(*) AS receipts{key}
                   FROM ev GROUP BY ALL),
        bounds AS (SELECT stage, min(period) AS lo, max(period) AS hi FROM counts GROUP BY 1),
        periods AS (
            SELECT stage, CAST(unnest(generate_series(lo, hi, CAST(? AS INTERVAL))) AS DATE)
                   AS period
            FROM bounds
        ),
        series AS (SELECT DISTINCT stage, {series_keys} FROM counts)
        SELECT s.stage, {s_keys}p.period,
               coalesce(c.receipts, 0) AS receipts{c_key}
        FROM series AS s JOIN periods AS p USING (stage)
        LEFT JOIN counts AS c USING ({using})
        ORDER BY s.stage, {s_keys}p.period
    """,
        union=Sql(" UNION ALL ".join(parts)),
        group_keys=group_keys,
        key=cell_key_as(key_name, keys),
        series_keys=compose("{names}", names=names) if names else Sql("NULL AS none_"),
        s_keys=column_list(names, "s"),
        c_key=compose(", c.{name}", name=key_name) if keys else Sql(""),
        using=compose("{cols}", cols=["stage", *names, "period"]),
    )
    out = ws.query_df(sql, [*params, f"1 {freq}"])
    out["receipts"] = out["receipts"].astype("int64")
    return out
