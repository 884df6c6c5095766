"""Linked journeys: one row per case, from the police record through the CPS to the courts.

A journey follows one case through the stages of the criminal justice system: offence recorded,
suspect identified, referral to the CPS, charging decision, first hearing, completion and outcome.
The police, CPS and court extracts share no person identifier, so the journey table is built from
the clusters of a linkage model (which records belong to the same person) plus case evidence:

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
mutually best candidates are paired first, round by round, so the result is deterministic. A
record that joins nothing stays visible as its own partial journey starting at its stage; every
source record appears in exactly one journey, and :class:`JourneyBuild` reports the counts in and
out per source. :func:`join_accuracy` measures the joins against the truth files.

The active journeys live in ``journeys.linked``; ``journeys.truth`` holds the journeys of the true
links (from the truth files) for comparison. ``wb.journey_builds`` records which model and
threshold produced each table.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from workbench.config import current_user
from workbench.errors import JourneyError, SqlStepError
from workbench.formatting import format_date
from workbench.linked_models import (
    active_model_with_clusters,
    clusters_query,
    clusters_threshold,
    model_summary,
)
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import Sql, SqlSteps, compose, placeholders, qualified
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

JOURNEY_SCHEMA = "journeys"
LINKED = "linked"
TRUTH = "truth"
SOURCES: dict[str, str] = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}
TRUTH_DATASETS: dict[str, str] = {
    "police": "police_truth",
    "cps": "cps_truth",
    "courts": "courts_truth",
}
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

# Column name -> DuckDB type: the journey table, in order.
JOURNEY_COLUMNS: dict[str, str] = {
    "journey_id": "VARCHAR",
    "person_id": "VARCHAR",
    "start_stage": "VARCHAR",
    "crime_ref": "VARCHAR",
    "cps_id": "VARCHAR",
    "case_number": "VARCHAR",
    "urn": "VARCHAR",
    "lcjb_area": "VARCHAR",
    "offence_group": "VARCHAR",
    "victim_based": "BOOLEAN",
    "start_date": "DATE",
    "offence_date": "DATE",
    "recorded_date": "DATE",
    "suspect_identified": "BOOLEAN",
    "police_outcome_type": "VARCHAR",
    "police_outcome_date": "DATE",
    "referral_date": "DATE",
    "decision": "VARCHAR",
    "decision_date": "DATE",
    "charged": "BOOLEAN",
    "charge_date": "DATE",
    "first_hearing_date": "DATE",
    "court_type": "VARCHAR",
    "plea": "VARCHAR",
    "completion_date": "DATE",
    "verdict": "VARCHAR",
    "court_outcome": "VARCHAR",
    "convicted": "BOOLEAN",
    "join_rule_cps": "VARCHAR",
    "join_rule_court": "VARCHAR",
    "model_id": "VARCHAR",
    "threshold": "DOUBLE",
    "built_at": "TIMESTAMP",
}


@dataclass(frozen=True)
class JourneyBuild:
    """What one build of a journey table produced.

    Attributes:
        table: The journey table's name in the ``journeys`` schema.
        model_id: The linkage model whose clusters were used (None for truth or given clusters).
        threshold: The match threshold of those clusters.
        built_at: When the table was built (UTC).
        journeys: Rows (cases) in the table.
        counts: Per source, ``{"in": records read, "out": records placed in a journey}``.
        rules: Per join, ``{rule: joins}`` (``cps`` for CPS to police, ``court`` for court to CPS).
        seconds: Time taken.
    """

    table: str
    model_id: str | None
    threshold: float | None
    built_at: datetime
    journeys: int
    counts: dict[str, dict[str, int]]
    rules: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Whether every source record was placed in exactly one journey."""
        return all(c["in"] == c["out"] for c in self.counts.values())


def journey_table(name: str = LINKED) -> Sql:
    """The quoted, schema-qualified name of a journey table."""
    return qualified(JOURNEY_SCHEMA, name)


# ------------------------------------------------------------------------------ inputs
def _require_sources(ws: Workspace, names: list[str]) -> None:
    missing = [n for n in names if not ws.table_exists("data", n)]
    if missing:
        raise JourneyError(
            f"The journey table needs the datasets {', '.join(missing)}, which are missing.",
            hint="Import the police, CPS and court extracts (or load the sample) first.",
        )


def active_model(ws: Workspace) -> tuple[str, float] | None:
    """The active model's id and the threshold of its stored clusters; None when there is none."""
    return active_model_with_clusters(ws)


def _active_model(ws: Workspace) -> tuple[str, float]:
    found = active_model(ws)
    if found is None:
        raise JourneyError(
            "There is no active linkage model with clusters to build journeys from.",
            hint="Train a model on the police, CPS and court datasets on the Link pages first.",
        )
    return found


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


def _stage_inputs(steps: SqlSteps, clusters_sql: Sql, params: list[Any]) -> None:
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


def _match_linked(steps: SqlSteps) -> None:
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


def _match_truth(steps: SqlSteps) -> None:
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


_ASSEMBLE = """CREATE OR REPLACE TABLE {target} AS
        WITH cp AS (
            SELECT c.*, m.crime_ref AS m_crime_ref, m.rule AS join_rule_cps
            FROM _jw_c AS c LEFT JOIN _jw_cand_cp_m AS m USING (cps_id)
        ), kc AS (
            SELECT k.*, m.cps_id AS m_cps_id, m.rule AS join_rule_court
            FROM _jw_k AS k LEFT JOIN _jw_cand_kc_m AS m USING (case_number)
        ), joined AS (
            SELECT p.crime_ref AS p_ref, p.person_id AS p_person, p.urn AS p_urn,
                   p.lcjb_area AS p_area, p.offence_group AS p_group, p.victim_based,
                   p.offence_date, p.recorded_date, p.suspect_identified, p.outcome_type,
                   p.outcome_date,
                   cp.cps_id, cp.person_id AS c_person, cp.urn AS c_urn, cp.lcjb_area AS c_area,
                   cp.referral_date, cp.decision, cp.decision_date, cp.join_rule_cps,
                   kc.case_number, kc.person_id AS k_person, kc.urn AS k_urn,
                   kc.lcjb_area AS k_area, kc.offence_group AS k_group, kc.court_type,
                   kc.first_hearing_date, kc.plea, kc.completion_date, kc.verdict, kc.outcome,
                   kc.join_rule_court
            FROM _jw_p AS p
            FULL OUTER JOIN cp ON cp.m_crime_ref = p.crime_ref
            FULL OUTER JOIN kc ON kc.m_cps_id = cp.cps_id
        )
        SELECT
            coalesce(p_ref, cps_id, case_number) AS journey_id,
            coalesce(p_person, c_person, k_person) AS person_id,
            CASE WHEN p_ref IS NOT NULL THEN 'recorded'
                 WHEN cps_id IS NOT NULL THEN 'referral' ELSE 'first_hearing' END AS start_stage,
            p_ref AS crime_ref, cps_id, case_number,
            coalesce(p_urn, c_urn, k_urn) AS urn,
            coalesce(p_area, c_area, k_area) AS lcjb_area,
            coalesce(p_group, k_group) AS offence_group,
            victim_based,
            coalesce(offence_date, recorded_date, referral_date, first_hearing_date)
                AS start_date,
            offence_date, recorded_date,
            CASE WHEN p_ref IS NOT NULL THEN suspect_identified
                 ELSE true END AS suspect_identified,
            outcome_type AS police_outcome_type, outcome_date AS police_outcome_date,
            referral_date, decision, decision_date,
            (coalesce(decision = 'charge', false) OR coalesce(outcome_type = ?, false)
             OR case_number IS NOT NULL) AS charged,
            CASE WHEN decision = 'charge' THEN decision_date
                 WHEN outcome_type = ? THEN outcome_date END AS charge_date,
            first_hearing_date, court_type, plea, completion_date, verdict,
            outcome AS court_outcome,
            coalesce(verdict = 'convicted', false) AS convicted,
            CASE WHEN cps_id IS NOT NULL THEN join_rule_cps END AS join_rule_cps,
            CASE WHEN case_number IS NOT NULL THEN join_rule_court END AS join_rule_court,
            CAST(? AS VARCHAR) AS model_id, CAST(? AS DOUBLE) AS threshold,
            CAST(? AS TIMESTAMP) AS built_at
        FROM joined
        ORDER BY lcjb_area, start_date, journey_id"""


def _assemble(
    steps: SqlSteps,
    target: Sql,
    model_id: str | None,
    threshold: float | None,
    built_at: datetime,
) -> None:
    """Write the journey table from the staged sources and the two sets of pairs."""
    steps.run(
        "assemble the journey table",
        compose(_ASSEMBLE, target=target),
        [CHARGED_OUTCOME, CHARGED_OUTCOME, model_id, threshold, built_at],
    )


_STAGED = {"police": "_jw_p", "cps": "_jw_c", "courts": "_jw_k"}


def _counts(steps: SqlSteps, target: Sql) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for source, key in SOURCES.items():
        n_in = steps.scalar(
            f"count the {source} records read",
            compose("SELECT count(*) FROM {temp}", temp=_STAGED[source]),
        )
        n_out, n_distinct = steps.run(
            f"count the {source} records placed",
            compose(
                "SELECT count({col}), count(DISTINCT {col}) FROM {target}", col=key, target=target
            ),
        ).fetchall()[0]
        counts[source] = {"in": int(n_in), "out": int(n_out), "distinct": int(n_distinct)}
    return counts


def _rules(steps: SqlSteps, target: Sql) -> dict[str, dict[str, int]]:
    rules: dict[str, dict[str, int]] = {}
    for label, column, key in (
        ("cps", "join_rule_cps", "cps_id"),
        ("court", "join_rule_court", "case_number"),
    ):
        rows = steps.run(
            f"count the {label} join rules",
            compose(
                "SELECT coalesce({column}, 'none'), count(*) FROM {target} "
                "WHERE {key} IS NOT NULL GROUP BY 1 ORDER BY 1",
                column=column,
                target=target,
                key=key,
            ),
        ).fetchall()
        rules[label] = {str(r): int(n) for r, n in rows}
    return rules


BUILD_HINT = "Check that the police, CPS and court datasets have their usual columns."


def _build(
    ws: Workspace,
    name: str,
    kind: str,
    clusters_sql: Sql,
    params: list[Any],
    model_id: str | None,
    threshold: float | None,
    clusters: pd.DataFrame | None = None,
    record: bool = True,
) -> JourneyBuild:
    start = time.perf_counter()
    built_at = utcnow()
    target = journey_table(name)
    with ws.transaction() as cur:
        if clusters is not None:
            cur.register("_jw_given_clusters", clusters)
        steps = SqlSteps(cur)
        try:
            _stage_inputs(steps, clusters_sql, params)
            if kind == "truth":
                _match_truth(steps)
            else:
                _match_linked(steps)
            _assemble(steps, target, model_id, threshold, built_at)
            counts = _counts(steps, target)
            rules = _rules(steps, target)
            journeys = steps.scalar(
                "count the journeys", compose("SELECT count(*) FROM {target}", target=target)
            )
            if any(c["in"] != c["out"] or c["out"] != c["distinct"] for c in counts.values()):
                raise JourneyError(
                    f"The journey table lost or repeated source records: {counts}.",
                    hint="Check that each source's record key is unique.",
                )
            if record:
                steps.run(
                    "record the build",
                    "INSERT OR REPLACE INTO wb.journey_builds "
                    "(name, kind, model_id, threshold, built_at, built_by, journeys, counts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        name,
                        kind,
                        model_id,
                        threshold,
                        built_at,
                        current_user(),
                        journeys,
                        json.dumps({"counts": counts, "rules": rules}),
                    ],
                )
                ws.audit(
                    "journeys.build",
                    target=name,
                    detail={"model_id": model_id, "threshold": threshold, "journeys": journeys},
                    cur=cur,
                )
        except SqlStepError as exc:
            raise JourneyError(
                f"The journey table could not be built: {exc.message}", hint=BUILD_HINT
            ) from exc
        except duckdb.Error as exc:
            raise JourneyError(
                f"The journey table could not be built: {str(exc).splitlines()[0]}",
                hint=BUILD_HINT,
            ) from exc
        finally:
            if clusters is not None:
                # After a failed step the transaction is aborted and refuses even this; the
                # registration ends with the rolled-back transaction anyway.
                with contextlib.suppress(duckdb.Error):
                    cur.unregister("_jw_given_clusters")
    seconds = time.perf_counter() - start
    log.info("built journeys.%s: %s journeys in %.1fs", name, journeys, seconds)
    log.debug("journey build steps: %s", steps.timings)
    return JourneyBuild(
        table=name,
        model_id=model_id,
        threshold=threshold,
        built_at=built_at,
        journeys=int(journeys),
        counts=counts,
        rules=rules,
        seconds=seconds,
    )


def build_journeys(
    ws: Workspace,
    model_id: str | None = None,
    threshold: float | None = None,
    clusters: pd.DataFrame | None = None,
    *,
    name: str = LINKED,
    record: bool | None = None,
) -> JourneyBuild:
    """Build the linked journey table from a model's clusters and the source records.

    Args:
        ws: The workspace, holding the ``police``, ``cps`` and ``courts`` datasets.
        model_id: The model whose stored clusters to use; the active model by default.
        threshold: The threshold the clusters were made at (recorded on the table); the stored
            clusters' threshold by default.
        clusters: Clusters to use instead of the stored ones (``source_dataset``, ``unique_id``,
            ``cluster_id``), for example from ``linkage.clusters.recluster`` at another threshold.
        name: The table in the ``journeys`` schema; ``linked`` is the one the measures read.
        record: Whether to record the build in ``wb.journey_builds`` (by default only for the
            ``linked`` table, so scratch builds never look like the active journeys).

    Returns:
        What was built: table, model, threshold, time, counts in and out per source, join rules.

    Raises:
        JourneyError: When a dataset or the clusters are missing or a record would be lost.
    """
    _require_sources(ws, list(SOURCES))
    if clusters is not None:
        missing = {"source_dataset", "unique_id", "cluster_id"} - set(clusters.columns)
        if missing:
            raise JourneyError(f"The clusters given lack the columns {sorted(missing)}.")
        frame = clusters[["source_dataset", "unique_id", "cluster_id"]].astype(str)
        sql = Sql("SELECT source_dataset, unique_id, cluster_id FROM _jw_given_clusters")
        return _build(
            ws,
            name,
            "linked",
            sql,
            [],
            model_id,
            threshold,
            clusters=frame,
            record=name == LINKED if record is None else record,
        )
    if model_id is None:
        model_id, stored = _active_model(ws)
    else:
        found = clusters_threshold(ws, model_id)
        if found is None:
            raise JourneyError(
                f"The model {model_id} has no stored clusters.",
                hint="Train it (or cluster it) on the Link pages first.",
            )
        stored = found
    sql, params = clusters_query(model_id)
    return _build(
        ws,
        name,
        "linked",
        sql,
        params,
        model_id,
        stored if threshold is None else float(threshold),
        record=name == LINKED if record is None else record,
    )


def build_truth_journeys(ws: Workspace, *, name: str = TRUTH) -> JourneyBuild:
    """Build journeys from the true links of the truth files, to compare with the linked ones.

    Records join by the truth ``case_id`` and persons are the truth ``person_id``.

    Args:
        ws: The workspace, holding the sources and ``police_truth``, ``cps_truth``,
            ``courts_truth``.
        name: The table in the ``journeys`` schema.

    Returns:
        What was built (``model_id`` and ``threshold`` are None).

    Raises:
        JourneyError: When a source or truth dataset is missing.
    """
    _require_sources(ws, [*SOURCES, *TRUTH_DATASETS.values()])
    parts = []
    for source, truth in TRUTH_DATASETS.items():
        key = SOURCES[source]
        parts.append(
            compose(
                "SELECT ? AS source_dataset, CAST({key} AS VARCHAR) AS unique_id, "
                "person_id AS cluster_id FROM {truth} WHERE person_id IS NOT NULL",
                key=key,
                truth=qualified("data", truth),
            )
        )
    union = Sql(" UNION ALL ".join(parts))
    return _build(ws, name, "truth", union, list(TRUTH_DATASETS), None, None)


def build_info(ws: Workspace, name: str = LINKED) -> dict[str, Any] | None:
    """The recorded build of a journey table (model, threshold, time, counts), or None."""
    df = ws.query_df("SELECT * FROM wb.journey_builds WHERE name = ?", [name])
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    row["counts"] = json.loads(row["counts"]) if row.get("counts") else {}
    row["model_label"] = model_name(ws, row.get("model_id"))
    return row


def model_name(ws: Workspace, model_id: str | None) -> str:
    """A linkage model as people know it (its name and when it was trained), not its id.

    Journeys built from given clusters or the truth have no model: they read "true links".
    """
    if not model_id:
        return "true links"
    summary = model_summary(ws, model_id)
    if summary is None:
        return "a model no longer in the registry"
    return f"“{summary['name']}” (trained {format_date(summary['created_at'])})"


def journeys_current(ws: Workspace) -> bool:
    """Whether ``journeys.linked`` was built from the active model at its current threshold."""
    info = build_info(ws, LINKED)
    if info is None or not ws.table_exists(JOURNEY_SCHEMA, LINKED):
        return False
    found = active_model(ws)
    if found is None:
        return False
    model_id, threshold = found
    built = info.get("threshold")
    return info.get("model_id") == model_id and built is not None and abs(built - threshold) < 1e-9


def ensure_journeys(ws: Workspace) -> JourneyBuild | None:
    """Rebuild ``journeys.linked`` when it is missing or stale; returns the build, or None."""
    if journeys_current(ws):
        return None
    return build_journeys(ws)


def write_journeys(ws: Workspace, frame: pd.DataFrame, name: str) -> str:
    """Write a journey table from a DataFrame (missing columns are left empty).

    For hand-made journeys in tests, demonstrations and teaching.

    Args:
        ws: The workspace.
        frame: Journey rows; columns of :data:`JOURNEY_COLUMNS`, any subset.
        name: The table in the ``journeys`` schema.

    Returns:
        The quoted table name.
    """
    unknown = set(frame.columns) - set(JOURNEY_COLUMNS)
    if unknown:
        raise JourneyError(f"Unknown journey columns: {sorted(unknown)}.")
    target = journey_table(name)

    def column(name: str, sql_type: str) -> Sql:
        # The types are constants of JOURNEY_COLUMNS, not identifiers.
        template = (
            "CAST(f.{c} AS {t}) AS {c}" if name in frame.columns else "CAST(NULL AS {t}) AS {c}"
        )
        return compose(template, c=name, t=Sql(sql_type))

    select = Sql(", ".join(column(c, t) for c, t in JOURNEY_COLUMNS.items()))
    with ws.transaction() as cur:
        cur.execute(compose("CREATE SCHEMA IF NOT EXISTS {s}", s=JOURNEY_SCHEMA))
        cur.register("_jw_frame", frame)
        cur.execute(
            compose(
                "CREATE OR REPLACE TABLE {t} AS SELECT {select} FROM _jw_frame AS f",
                t=target,
                select=select,
            )
        )
        cur.unregister("_jw_frame")
    return target


def drop_journeys(ws: Workspace, name: str) -> None:
    """Drop a journey table and its build record (never the one in use unless asked by name)."""
    with ws.transaction() as cur:
        cur.execute(compose("DROP TABLE IF EXISTS {t}", t=journey_table(name)))
        cur.execute("DELETE FROM wb.journey_builds WHERE name = ?", [name])


def load_journeys(ws: Workspace, name: str = LINKED, limit: int | None = None) -> pd.DataFrame:
    """The rows of a journey table (for the analyst's own view and for export to the analyst)."""
    if not ws.table_exists(JOURNEY_SCHEMA, name):
        raise JourneyError(f"There is no journey table {name!r}.", hint="Build the journeys first.")
    if limit is not None:
        return ws.query_df(
            compose("SELECT * FROM {t} LIMIT ?", t=journey_table(name)), [int(limit)]
        )
    return ws.query_df(compose("SELECT * FROM {t}", t=journey_table(name)))


# ------------------------------------------------------------------------------ join accuracy
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
    _require_sources(ws, list(TRUTH_DATASETS.values()))
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
