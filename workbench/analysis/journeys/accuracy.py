"""How many of a journey table's joins agree with the true links of the truth files
(:func:`join_accuracy`).
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.journeys.table import (
    JOURNEY_SCHEMA,
    LINKED,
    TRUTH_DATASETS,
    journey_table,
    require_sources,
)
from workbench.errors import JourneyError
from workbench.sql import Sql, compose, qualified
from workbench.workspace import Workspace

JOIN_RULES = ("urn", "urn_fuzzy", "person_dates")
ACCURACY_COLUMNS = [
    "join",
    "rule",
    "joins",
    "right",
    "wrong",
    "share_wrong",
    "cross_person",
    "true_links",
    "missed",
]


def _truth_pairs_sql() -> Sql:
    """CTEs of the true persons per record and the true CPS-police and court-CPS pairs."""
    police_t, cps_t, courts_t = (qualified("data", n) for n in TRUTH_DATASETS.values())
    return compose(
        """
        pt AS (SELECT CAST(crime_ref AS VARCHAR) AS crime_ref, person_id FROM {police_t}),
        ct AS (SELECT CAST(cps_id AS VARCHAR) AS cps_id, person_id,
                      CAST(case_id AS VARCHAR) AS case_id FROM {cps_t}),
        kt AS (SELECT CAST(case_number AS VARCHAR) AS case_number, person_id,
                      CAST(case_id AS VARCHAR) AS case_id FROM {courts_t}),
        truth_cp AS (SELECT ct.cps_id, pt.crime_ref FROM ct JOIN pt ON pt.crime_ref = ct.case_id),
        truth_kc AS (SELECT kt.case_number, ct.cps_id FROM kt JOIN ct USING (case_id))""",
        police_t=police_t,
        cps_t=cps_t,
        courts_t=courts_t,
    )


def join_accuracy(ws: Workspace, name: str = LINKED) -> pd.DataFrame:
    """How many of a journey table's joins agree with the true links of the truth files.

    A CPS record's true police record is the one whose ``crime_ref`` is its truth ``case_id``; a
    court record's true CPS record is the one sharing its truth ``case_id``.

    Args:
        ws: The workspace, holding the journey table and the truth datasets.
        name: The journey table in the ``journeys`` schema.

    Returns:
        One row per join (``cps``: CPS to police, ``court``: court to CPS) and rule of
        :data:`JOIN_RULES`, then an ``all`` row per join: ``joins`` made, ``right`` (the true
        partner), ``wrong`` (another record), ``share_wrong`` (wrong of joins; None when no
        joins), ``cross_person`` (joins whose two records belong to different known persons);
        on the ``all`` rows also ``true_links`` (true pairs among the records of the table) and
        ``missed`` (true pairs the table leaves unjoined or joins elsewhere).

    Raises:
        JourneyError: When the journey table or a truth dataset is missing.
    """
    require_sources(ws, list(TRUTH_DATASETS.values()))
    if not ws.table_exists(JOURNEY_SCHEMA, name):
        raise JourneyError(f"There is no journey table {name!r}.", hint="Build the journeys first.")
    table = journey_table(name)
    made = ws.query_df(
        compose(
            """WITH {truth_pairs}
        SELECT 'cps' AS "join", j.join_rule_cps AS rule, count(*) AS joins,
               count(*) FILTER (WHERE t.crime_ref IS NOT DISTINCT FROM j.crime_ref) AS "right",
               count(*) FILTER (WHERE cpi.person_id <> ppi.person_id) AS cross_person
        FROM {table} AS j
        LEFT JOIN truth_cp AS t ON t.cps_id = j.cps_id
        LEFT JOIN ct AS cpi ON cpi.cps_id = j.cps_id
        LEFT JOIN pt AS ppi ON ppi.crime_ref = j.crime_ref
        WHERE j.cps_id IS NOT NULL AND j.crime_ref IS NOT NULL
        GROUP BY ALL
        UNION ALL
        SELECT 'court', j.join_rule_court, count(*),
               count(*) FILTER (WHERE t.cps_id IS NOT DISTINCT FROM j.cps_id),
               count(*) FILTER (WHERE kpi.person_id <> cpi.person_id)
        FROM {table} AS j
        LEFT JOIN truth_kc AS t ON t.case_number = j.case_number
        LEFT JOIN kt AS kpi ON kpi.case_number = j.case_number
        LEFT JOIN ct AS cpi ON cpi.cps_id = j.cps_id
        WHERE j.case_number IS NOT NULL AND j.cps_id IS NOT NULL
        GROUP BY ALL""",
            truth_pairs=_truth_pairs_sql(),
            table=table,
        )
    )
    kept = ws.query_df(
        compose(
            """WITH {truth_pairs}
        SELECT 'cps' AS "join", count(*) AS true_links,
               count(*) FILTER (WHERE j.crime_ref IS DISTINCT FROM t.crime_ref) AS missed
        FROM truth_cp AS t JOIN {table} AS j ON j.cps_id = t.cps_id
        UNION ALL
        SELECT 'court', count(*), count(*) FILTER (WHERE j.cps_id IS DISTINCT FROM t.cps_id)
        FROM truth_kc AS t JOIN {table} AS j ON j.case_number = t.case_number""",
            truth_pairs=_truth_pairs_sql(),
            table=table,
        )
    ).set_index("join")
    rows = []
    for join in ("cps", "court"):
        mine = made[made["join"] == join].set_index("rule")
        rules = [*JOIN_RULES, *sorted(set(mine.index) - set(JOIN_RULES))]
        for rule in rules:
            got = mine.loc[rule] if rule in mine.index else None
            joins = int(got["joins"]) if got is not None else 0
            right = int(got["right"]) if got is not None else 0
            cross = int(got["cross_person"]) if got is not None else 0
            rows.append(
                {"join": join, "rule": rule, "joins": joins, "right": right, "cross_person": cross}
            )
        total = {
            k: sum(r[k] for r in rows if r["join"] == join)
            for k in ("joins", "right", "cross_person")
        }
        rows.append(
            {
                "join": join,
                "rule": "all",
                **total,
                "true_links": int(kept.loc[join, "true_links"]),
                "missed": int(kept.loc[join, "missed"]),
            }
        )
    out = pd.DataFrame(rows)
    out["wrong"] = out["joins"] - out["right"]
    out["share_wrong"] = (out["wrong"] / out["joins"].where(out["joins"] > 0)).astype("float64")
    for column in ("true_links", "missed"):
        out[column] = out[column].astype("Int64")
    return out[ACCURACY_COLUMNS]
