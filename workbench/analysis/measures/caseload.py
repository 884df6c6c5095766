"""The outstanding caseload at a date, by how long cases have been open.

Outstanding caseload at a date: cases that had their first hearing on or before the date and
were not completed by then (with ``include_awaiting_hearing``, charged cases awaiting their
first hearing too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.query import (
    ALL,
    JourneyFilter,
    column_list,
    group_columns,
    select_list,
    source_table,
    sql_if,
)
from workbench.analysis.measures.record_keys import cell_key
from workbench.disclosure.control import KEY_SUFFIX
from workbench.errors import MeasureError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 3 months", 0, 91),
    ("3 to 6 months", 91, 182),
    ("6 to 12 months", 182, 365),
    ("1 to 2 years", 365, 730),
    ("2 years or more", 730, 1_000_000),
)


def outstanding_caseload(
    ws: Workspace,
    at: date,
    table: str = LINKED,
    by: Sequence[str] = (),
    include_awaiting_hearing: bool = False,
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Open cases at a date and their age profile.

    Args:
        ws: The workspace.
        at: The date at which to count (cases completed on that date are closed).
        table: The journey table.
        by: Groupings (not ``period``).
        include_awaiting_hearing: Also count charged cases awaiting their first hearing.
        where: Which journeys to include.

    Returns:
        The groupings, ``age_band`` (age since first hearing, or since charge while awaiting
        it), ``band_order``, ``cases``, ``mean_age_days``; bands with no cases are left out.
        With ``keys``, ``cases__key`` too.
    """
    source = source_table(ws, table, keys)
    if "period" in by:
        raise MeasureError("The outstanding caseload is at one date; group by area or court.")
    exprs, names, gparams = group_columns(by, "month", "start_date")
    cond, fparams = where.sql()
    # The bands are constants of this module, inlined.
    bands = Sql(
        " ".join(
            f"WHEN age < {int(hi)} THEN '{label.replace(chr(39), chr(39) * 2)}'"
            for label, _lo, hi in AGE_BANDS
        )
    )
    orders = Sql(
        " ".join(
            f"WHEN age < {int(hi)} THEN {i}" for i, (_l, _lo, hi) in enumerate(AGE_BANDS, start=1)
        )
    )
    sql = compose(
        """
        WITH o AS (
            SELECT {groups}
                   date_diff('day', coalesce(CASE WHEN first_hearing_date <= ?
                                                  THEN first_hearing_date END, charge_date),
                             CAST(? AS DATE)) AS age{rk}
            FROM {source}
            WHERE ((first_hearing_date <= ?
                    AND (completion_date IS NULL OR completion_date > ?))
                   OR (? AND first_hearing_date IS NULL AND charge_date <= ?
                       AND completion_date IS NULL))
              AND {cond}
        )
        SELECT {group_cols}CASE {bands} END AS age_band, CASE {orders} END AS band_order,
               count(*) AS cases, avg(age) AS mean_age_days{key}
        FROM o GROUP BY ALL ORDER BY {group_cols}band_order
    """,
        groups=select_list(exprs),
        rk=sql_if(keys, ", _rk"),
        source=source,
        cond=cond,
        group_cols=column_list(names),
        bands=bands,
        orders=orders,
        key=compose(", {key} AS {name}", key=cell_key(), name=f"cases{KEY_SUFFIX}")
        if keys
        else Sql(""),
    )
    params = [
        *gparams,
        at,
        at,
        at,
        at,
        bool(include_awaiting_hearing),
        at,
        *fparams,
    ]
    return ws.query_df(sql, params)
