"""How records join into journeys: the join rules, run as SQL on staged sources.

1. A CPS record joins a police record with the same URN (``urn``; the same person, or the same
   LCJB area unless both records belong to different known persons — persons the model linked to
   other records), or a URN one character away when both belong to the same person
   (``urn_fuzzy``). These URN joins are made first.
2. Only then, among the records still unjoined, a CPS record joins a police record of the same
   person on dates alone (``person_dates``): referral 0 to :data:`REFERRAL_WINDOW_DAYS` days
   after the crime was recorded, the same LCJB area where both are known, no clearly different
   URNs, a police outcome that involves the CPS (not one of :data:`POLICE_ONLY_OUTCOMES`), and a
   charge decision exactly when the police outcome is charged/summonsed, where both are known.
   A CPS record with two or more such candidates is ambiguous and stays unjoined.
3. A court record joins a CPS record by the same rules, with a first hearing 0 to
   :data:`HEARING_WINDOW_DAYS` days after the charging decision, a charge decision, and the same
   LCJB area and offence group where known (the offence group also for ``urn_fuzzy``).

Each record joins at most one other: per rule strength, then closeness of dates, then record key,
mutually best candidates are paired first, round by round, so the result is deterministic.
"""

from __future__ import annotations

from typing import Any

from workbench.analysis.journeys.table import SOURCES, TRUTH_DATASETS
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import Sql, SqlSteps, compose, placeholders, qualified

# Person-and-dates windows: about the 99th percentile of the true delays in the sample (recorded
# to referral 475 days, charging decision to first hearing 106 days), so a person's other cases
# rarely fall inside them.
REFERRAL_WINDOW_DAYS = 480
HEARING_WINDOW_DAYS = 120
MAX_ROUNDS = 12
NO_SUSPECT = "investigation complete — no suspect identified"
CHARGED_OUTCOME = "charged/summonsed"
# Police outcomes reached without a CPS charging decision: a crime closed this way was not
# referred, so a CPS file never joins it on person and dates alone.
POLICE_ONLY_OUTCOMES: tuple[str, ...] = (
    NO_SUSPECT,
    VICTIM_NOT_SUPPORT,
    "out-of-court (informal)",
    "diversionary",
    "transferred to another body",
    "further investigation not in the public interest",
)


_STAGE_POLICE = """CREATE OR REPLACE TEMP TABLE _jw_p AS
        SELECT CAST(p.crime_ref AS VARCHAR) AS crime_ref,
               coalesce(cl.cluster_id, 'police:' || p.crime_ref) AS person_id,
               coalesce(cl.person_known, false) AS person_known,
               nullif(upper(trim(p.urn)), '') AS urn, p.lcjb_area, p.offence_group,
               p.victim_based, p.offence_date, p.recorded_date,
               (p.suspect_surname IS NOT NULL OR p.suspect_forename IS NOT NULL
                OR p.pnc_id IS NOT NULL OR p.outcome_type = ?) AS suspect_identified,
               p.outcome_type, p.outcome_date
        FROM {police} AS p
        LEFT JOIN _jw_cl AS cl
          ON cl.source_dataset = 'police' AND cl.unique_id = CAST(p.crime_ref AS VARCHAR)"""
_STAGE_CPS = """CREATE OR REPLACE TEMP TABLE _jw_c AS
        SELECT CAST(c.cps_id AS VARCHAR) AS cps_id,
               coalesce(cl.cluster_id, 'cps:' || c.cps_id) AS person_id,
               coalesce(cl.person_known, false) AS person_known,
               nullif(upper(trim(c.urn)), '') AS urn, c.lcjb_area, c.referral_date,
               c.decision, c.decision_date, c.finalisation_reason
        FROM {cps} AS c
        LEFT JOIN _jw_cl AS cl
          ON cl.source_dataset = 'cps' AND cl.unique_id = CAST(c.cps_id AS VARCHAR)"""
_STAGE_COURTS = """CREATE OR REPLACE TEMP TABLE _jw_k AS
        SELECT CAST(k.case_number AS VARCHAR) AS case_number,
               coalesce(cl.cluster_id, 'courts:' || k.case_number) AS person_id,
               coalesce(cl.person_known, false) AS person_known,
               nullif(upper(trim(k.urn)), '') AS urn, k.lcjb_area, k.offence_group,
               k.court_type, k.first_hearing_date, k.plea, k.verdict, k.completion_date,
               k.outcome
        FROM {courts} AS k
        LEFT JOIN _jw_cl AS cl
          ON cl.source_dataset = 'courts' AND cl.unique_id = CAST(k.case_number AS VARCHAR)"""


def stage_inputs(steps: SqlSteps, clusters_sql: Sql, params: list[Any]) -> None:
    """Temp tables of the three sources with a person id each (cluster, or the record's own)."""
    steps.run(
        "stage the clusters",
        compose(
            """CREATE OR REPLACE TEMP TABLE _jw_cl AS
            SELECT *, count(*) OVER (PARTITION BY cluster_id) > 1 AS person_known
            FROM ({clusters})""",
            clusters=clusters_sql,
        ),
        params,
    )
    police, cps, courts = (qualified("data", n) for n in SOURCES)
    steps.run(
        "stage the police records",
        compose(_STAGE_POLICE, police=police),
        [CHARGED_OUTCOME],
    )
    steps.run("stage the CPS records", compose(_STAGE_CPS, cps=cps))
    steps.run("stage the court records", compose(_STAGE_COURTS, courts=courts))


def _assign(
    steps: SqlSteps, label: str, candidates: str, left: str, right: str, pairs: str
) -> None:
    """Pair mutually best candidates round by round into ``pairs``, skipping paired records."""
    sql = compose(
        """INSERT INTO {pairs}
        SELECT {left}, {right}, rule FROM (
            SELECT *, row_number() OVER (PARTITION BY {left}
                                         ORDER BY priority, gap, {right}) AS rank_l,
                      row_number() OVER (PARTITION BY {right}
                                         ORDER BY priority, gap, {left}) AS rank_r
            FROM {candidates} AS c
            WHERE NOT EXISTS (SELECT 1 FROM {pairs} AS m WHERE m.{left} = c.{left})
              AND NOT EXISTS (SELECT 1 FROM {pairs} AS m WHERE m.{right} = c.{right})
        ) WHERE rank_l = 1 AND rank_r = 1""",
        pairs=pairs,
        left=left,
        right=right,
        candidates=candidates,
    )
    for round_no in range(1, MAX_ROUNDS + 1):
        added = steps.scalar(f"pair {label}, round {round_no}", sql)
        if not added:
            break


def _join_in_two_passes(
    steps: SqlSteps,
    label: str,
    name: str,
    left: str,
    right: str,
    urn_sql: Sql,
    dates_sql: Sql,
    params: list[Any],
) -> None:
    """Pair ``left`` records with ``right`` ones: URN evidence first, then person and dates.

    ``urn_sql`` selects ``(left, right, rule, priority, gap)`` candidates by URN; they are paired
    first. ``dates_sql`` selects person-and-dates candidates (``left``, ``right``, ``gap``); only
    records still unpaired take part, and a ``left`` record with more than one such candidate is
    ambiguous and left unjoined. The pairs land in ``{name}_m``.
    """
    pairs = f"{name}_m"
    steps.run(
        f"start the {label} pairs",
        compose(
            "CREATE OR REPLACE TEMP TABLE {pairs} ({left} VARCHAR, {right} VARCHAR, rule VARCHAR)",
            pairs=pairs,
            left=left,
            right=right,
        ),
    )
    steps.run(
        f"find {label} candidates by URN",
        compose(
            """CREATE OR REPLACE TEMP TABLE {name} AS
            SELECT {left}, {right}, arg_min(rule, priority) AS rule, min(priority) AS priority,
                   coalesce(min(gap), 100000) AS gap
            FROM ({urn_sql}) GROUP BY ALL""",
            name=name,
            left=left,
            right=right,
            urn_sql=urn_sql,
        ),
    )
    _assign(steps, f"{label} by URN", name, left, right, pairs)
    steps.run(
        f"find {label} candidates by person and dates",
        compose(
            """CREATE OR REPLACE TEMP TABLE {dates} AS
            WITH free AS (
                SELECT d.* FROM ({dates_sql}) AS d
                WHERE NOT EXISTS (SELECT 1 FROM {pairs} AS m WHERE m.{left} = d.{left})
                  AND NOT EXISTS (SELECT 1 FROM {pairs} AS m WHERE m.{right} = d.{right})
            )
            SELECT {left}, {right}, 'person_dates' AS rule, 3 AS priority, gap
            FROM free QUALIFY count(*) OVER (PARTITION BY {left}) = 1""",
            dates=f"{name}_d",
            dates_sql=dates_sql,
            pairs=pairs,
            left=left,
            right=right,
        ),
        params,
    )
    _assign(steps, f"{label} by person and dates", f"{name}_d", left, right, pairs)


_CPS_POLICE_BY_URN = Sql(
    """SELECT c.cps_id, p.crime_ref, 'urn' AS rule, 1 AS priority,
              abs(date_diff('day', p.recorded_date, c.referral_date)) AS gap
       FROM _jw_c AS c JOIN _jw_p AS p ON c.urn = p.urn
       WHERE c.person_id = p.person_id
          OR (c.lcjb_area IS NOT DISTINCT FROM p.lcjb_area
              AND NOT (c.person_known AND p.person_known))
       UNION ALL
       SELECT c.cps_id, p.crime_ref, 'urn_fuzzy', 2,
              abs(date_diff('day', p.recorded_date, c.referral_date))
       FROM _jw_c AS c JOIN _jw_p AS p ON c.person_id = p.person_id
       WHERE c.urn <> p.urn AND levenshtein(c.urn, p.urn) = 1"""
)
_CPS_POLICE_BY_DATES = """SELECT c.cps_id, p.crime_ref,
               date_diff('day', coalesce(p.recorded_date, p.offence_date), c.referral_date)
                   AS gap
        FROM _jw_c AS c JOIN _jw_p AS p ON c.person_id = p.person_id
        WHERE date_diff('day', coalesce(p.recorded_date, p.offence_date), c.referral_date)
              BETWEEN 0 AND ?
          AND NOT coalesce(levenshtein(c.urn, p.urn) > 1, false)
          AND coalesce(c.lcjb_area = p.lcjb_area, true)
          AND coalesce(p.outcome_type NOT IN ({outcomes}), true)
          AND coalesce((c.decision = 'charge') = (p.outcome_type = ?), true)"""
_COURT_CPS_BY_URN = Sql(
    """SELECT k.case_number, c.cps_id, 'urn' AS rule, 1 AS priority,
              abs(date_diff('day', coalesce(c.decision_date, c.referral_date),
                            k.first_hearing_date)) AS gap
       FROM _jw_k AS k JOIN _jw_cg AS c ON k.urn = c.urn
       WHERE k.person_id = c.person_id
          OR (k.lcjb_area IS NOT DISTINCT FROM c.lcjb_area
              AND NOT (k.person_known AND c.person_known))
       UNION ALL
       SELECT k.case_number, c.cps_id, 'urn_fuzzy', 2,
              abs(date_diff('day', coalesce(c.decision_date, c.referral_date),
                            k.first_hearing_date))
       FROM _jw_k AS k JOIN _jw_cg AS c ON k.person_id = c.person_id
       WHERE k.urn <> c.urn AND levenshtein(k.urn, c.urn) = 1
         AND coalesce(k.offence_group = c.police_offence_group, true)"""
)
_COURT_CPS_BY_DATES = Sql(
    """SELECT k.case_number, c.cps_id,
              date_diff('day', coalesce(c.decision_date, c.referral_date),
                        k.first_hearing_date) AS gap
       FROM _jw_k AS k JOIN _jw_cg AS c ON k.person_id = c.person_id
       WHERE date_diff('day', coalesce(c.decision_date, c.referral_date),
                       k.first_hearing_date) BETWEEN 0 AND ?
         AND coalesce(c.decision, 'charge') = 'charge'
         AND NOT coalesce(levenshtein(k.urn, c.urn) > 1, false)
         AND coalesce(k.lcjb_area = c.lcjb_area, true)
         AND coalesce(k.offence_group = c.police_offence_group, true)"""
)


def match_linked(steps: SqlSteps) -> None:
    """CPS to police and court to CPS pairs from person links plus case evidence."""
    _join_in_two_passes(
        steps,
        "CPS to police",
        "_jw_cand_cp",
        "cps_id",
        "crime_ref",
        _CPS_POLICE_BY_URN,
        compose(_CPS_POLICE_BY_DATES, outcomes=placeholders(len(POLICE_ONLY_OUTCOMES))),
        [REFERRAL_WINDOW_DAYS, *POLICE_ONLY_OUTCOMES, CHARGED_OUTCOME],
    )
    steps.run(
        "add the police offence group to the CPS records",
        """CREATE OR REPLACE TEMP TABLE _jw_cg AS
        SELECT c.*, p.offence_group AS police_offence_group
        FROM _jw_c AS c LEFT JOIN _jw_cand_cp_m AS m USING (cps_id)
        LEFT JOIN _jw_p AS p ON p.crime_ref = m.crime_ref""",
    )
    _join_in_two_passes(
        steps,
        "court to CPS",
        "_jw_cand_kc",
        "case_number",
        "cps_id",
        _COURT_CPS_BY_URN,
        _COURT_CPS_BY_DATES,
        [HEARING_WINDOW_DAYS],
    )


def match_truth(steps: SqlSteps) -> None:
    """CPS to police and court to CPS pairs from the truth files' case ids."""
    police_t, cps_t, courts_t = (qualified("data", n) for n in TRUTH_DATASETS.values())
    steps.run(
        "pair CPS with police records by the true case",
        compose(
            """CREATE OR REPLACE TEMP TABLE _jw_cand_cp_m AS
            SELECT CAST(t.cps_id AS VARCHAR) AS cps_id, CAST(t.case_id AS VARCHAR) AS crime_ref,
                   'truth' AS rule
            FROM {cps_t} AS t JOIN {police_t} AS p ON p.crime_ref = t.case_id""",
            cps_t=cps_t,
            police_t=police_t,
        ),
    )
    steps.run(
        "pair court with CPS records by the true case",
        compose(
            """CREATE OR REPLACE TEMP TABLE _jw_cand_kc_m AS
            SELECT CAST(k.case_number AS VARCHAR) AS case_number,
                   CAST(c.cps_id AS VARCHAR) AS cps_id, 'truth' AS rule
            FROM {courts_t} AS k JOIN {cps_t} AS c ON c.case_id = k.case_id""",
            courts_t=courts_t,
            cps_t=cps_t,
        ),
    )
