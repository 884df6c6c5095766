"""Building a journey table from a linkage model's clusters (or the truth files).

The sources are staged with a person id each and joined by the rules of
:mod:`workbench.analysis.journeys.matching`. A record that joins nothing stays visible as its own
partial journey starting at its stage; every source record appears in exactly one journey, and
:class:`JourneyBuild` reports the counts in and out per source.
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

from workbench.analysis.journeys.matching import (
    CHARGED_OUTCOME,
    match_linked,
    match_truth,
    stage_inputs,
)
from workbench.analysis.journeys.table import (
    JOURNEY_SCHEMA,
    LINKED,
    SOURCES,
    TRUTH,
    TRUTH_DATASETS,
    build_row,
    journey_table,
    record_build,
    require_sources,
)
from workbench.config import current_user
from workbench.errors import JourneyError, SqlStepError, first_line
from workbench.formatting import format_date
from workbench.linked_models import (
    active_model_with_clusters,
    clusters_query,
    clusters_threshold,
    model_summary,
)
from workbench.sql import Sql, SqlSteps, compose, qualified
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)


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
            stage_inputs(steps, clusters_sql, params)
            if kind == "truth":
                match_truth(steps)
            else:
                match_linked(steps)
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
                record_build(
                    steps,
                    name,
                    kind,
                    model_id,
                    threshold,
                    built_at,
                    current_user(),
                    journeys,
                    {"counts": counts, "rules": rules},
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
                f"The journey table could not be built: {first_line(exc)}",
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
        record: Whether to record the build (see
            :func:`~workbench.analysis.journeys.table.record_build`; by default only for the
            ``linked`` table, so scratch builds never look like the active journeys).

    Returns:
        What was built: table, model, threshold, time, counts in and out per source, join rules.

    Raises:
        JourneyError: When a dataset or the clusters are missing or a record would be lost.
    """
    require_sources(ws, list(SOURCES))
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
    require_sources(ws, [*SOURCES, *TRUTH_DATASETS.values()])
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
    row = build_row(ws, name)
    if row is None:
        return None
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
