"""Dashboard queries on a synthetic journey table of 1,000,000 cases (target: under 1 s each).

Run with ``make bench`` or ``.venv/bin/python bench/bench_measures.py [cases]``.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import date

from workbench.analysis.journeys.table import journey_table
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.caseload import outstanding_caseload
from workbench.analysis.measures.demand import receipts
from workbench.analysis.measures.timeliness import timeliness
from workbench.workspace import Workspace

log = logging.getLogger("bench_measures")
TARGET_SECONDS = 1.0


def make_journeys(ws: Workspace, cases: int) -> None:
    """Generate a journey table directly in DuckDB SQL (areas, groups, stages, lognormal-ish)."""
    target = journey_table("bench")
    sql = f"""
        CREATE OR REPLACE TABLE {target} AS
        WITH base AS (
            SELECT i, hash(i) AS h, hash(i * 7 + 3) AS g, hash(i * 13 + 5) AS k,
                   DATE '2019-01-01' + CAST(i * 2800 // ? AS INTEGER) AS offence_date
            FROM range(?) AS r(i)
        ), s AS (
            SELECT *, (h % 1000) / 1000.0 AS u1, (g % 1000) / 1000.0 AS u2,
                   (k % 1000) / 1000.0 AS u3
            FROM base
        ), stages AS (
            SELECT *, u1 < 0.61 AS suspect, u1 < 0.07 AS charged, u2 < 0.12 AS crown,
                   offence_date + CAST(exp(3.8 + u2) AS INTEGER) AS charge_date
            FROM s
        )
        SELECT 'J' || i AS journey_id, 'P' || (i // 3) AS person_id, 'recorded' AS start_stage,
               'J' || i AS crime_ref, NULL::VARCHAR AS cps_id, NULL::VARCHAR AS case_number,
               NULL::VARCHAR AS urn, 'Area ' || (h % 42) AS lcjb_area,
               'Group ' || (g % 12) AS offence_group, (k % 10) < 7 AS victim_based,
               offence_date AS start_date, offence_date, offence_date + 1 AS recorded_date,
               suspect AS suspect_identified,
               CASE WHEN charged THEN 'charged/summonsed' WHEN NOT suspect
                    THEN 'investigation complete — no suspect identified'
                    WHEN u1 < 0.35 THEN 'evidential difficulties — victim does not support action'
                    ELSE 'out-of-court (informal)' END AS police_outcome_type,
               offence_date + 30 AS police_outcome_date,
               CASE WHEN u1 < 0.09 THEN charge_date - 10 END AS referral_date,
               CASE WHEN charged THEN 'charge' END AS decision,
               CASE WHEN charged THEN charge_date END AS decision_date,
               charged, CASE WHEN charged THEN charge_date END AS charge_date,
               CASE WHEN charged AND u3 < 0.98 THEN charge_date + CAST(exp(2.5 + u3) AS INTEGER)
                    END AS first_hearing_date,
               CASE WHEN charged THEN CASE WHEN crown THEN 'Crown' ELSE 'magistrates' END
                    END AS court_type,
               NULL::VARCHAR AS plea,
               CASE WHEN charged AND u3 < 0.9 AND (offence_date < DATE '2026-01-01' OR u3 < 0.5)
                    THEN charge_date + CAST(exp(2.5 + u3) AS INTEGER)
                         + CAST(exp(CASE WHEN crown THEN 5.5 ELSE 3.5 END + u2) AS INTEGER)
                    END AS completion_date,
               CASE WHEN charged AND u3 < 0.9 THEN CASE WHEN u2 < 0.84 THEN 'convicted'
                    ELSE 'acquitted' END END AS verdict,
               NULL::VARCHAR AS court_outcome, charged AND u3 < 0.9 AND u2 < 0.84 AS convicted,
               'urn' AS join_rule_cps, 'urn' AS join_rule_court, 'bench' AS model_id,
               0.9 AS threshold, now()::TIMESTAMP AS built_at
        FROM stages
    """  # noqa: S608 - identifiers quoted, values bound
    with ws.transaction() as cur:
        cur.execute(sql, [cases, cases])


def main(cases: int = 1_000_000) -> int:
    """Build the table, time each dashboard query, print the times; 1 when any is too slow."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ws = Workspace(":memory:")
    start = time.perf_counter()
    make_journeys(ws, cases)
    log.info(
        "synthetic journey table: %s cases in %.1f s", f"{cases:,}", time.perf_counter() - start
    )
    queries = {
        "attrition funnel by area": lambda: attrition_funnel(ws, "bench", by=["lcjb_area"]),
        "attrition by area and quarter": lambda: attrition_funnel(
            ws, "bench", by=["lcjb_area", "period"], period="quarter"
        ),
        "timeliness by area and court type": lambda: timeliness(
            ws, "bench", by=["lcjb_area", "court_type"]
        ),
        "timeliness trend by court type": lambda: timeliness(
            ws, "bench", by=["court_type", "period"], period="quarter"
        ),
        "weekly receipts by area and court": lambda: receipts(
            ws, "bench", freq="week", by=["lcjb_area", "court_type"]
        ),
        "outstanding caseload by area and court": lambda: outstanding_caseload(
            ws, date(2024, 6, 30), "bench", by=["lcjb_area", "court_type"]
        ),
    }
    slow = 0
    for name, run in queries.items():
        run()  # warm
        begin = time.perf_counter()
        rows = len(run())
        seconds = time.perf_counter() - begin
        slow += seconds > TARGET_SECONDS
        log.info(
            "%-42s %6.3f s  %7s rows%s",
            name,
            seconds,
            f"{rows:,}",
            "  SLOW" if seconds > TARGET_SECONDS else "",
        )
    ws.close()
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
