"""The journey table: where it lives, its columns, and writing, reading and dropping it.

The active journeys live in ``journeys.linked``; ``journeys.truth`` holds the journeys of the true
links (from the truth files) for comparison. ``wb.journey_builds`` records which model and
threshold produced each table.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd

from workbench.errors import JourneyError
from workbench.sql import Sql, SqlSteps, compose, qualified
from workbench.workspace import Workspace

JOURNEY_SCHEMA = "journeys"
LINKED = "linked"
TRUTH = "truth"
SOURCES: dict[str, str] = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}
TRUTH_DATASETS: dict[str, str] = {
    "police": "police_truth",
    "cps": "cps_truth",
    "courts": "courts_truth",
}


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


def journey_table(name: str = LINKED) -> Sql:
    """The quoted, schema-qualified name of a journey table."""
    return qualified(JOURNEY_SCHEMA, name)


# ------------------------------------------------------------------------------ inputs
def require_sources(ws: Workspace, names: list[str]) -> None:
    """Raise :class:`~workbench.errors.JourneyError` naming the datasets missing from ``data``."""
    missing = [n for n in names if not ws.table_exists("data", n)]
    if missing:
        raise JourneyError(
            f"The journey table needs the datasets {', '.join(missing)}, which are missing.",
            hint="Import the police, CPS and court extracts (or load the sample) first.",
        )


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


def record_build(
    steps: SqlSteps,
    name: str,
    kind: str,
    model_id: str | None,
    threshold: float | None,
    built_at: datetime,
    built_by: str,
    journeys: int,
    details: dict[str, Any],
) -> None:
    """Record which model and threshold built a journey table, in the build's transaction.

    Args:
        steps: The steps of the build, on its transaction's cursor.
        name: The journey table's name.
        kind: ``linked`` (from a model's clusters) or ``truth``.
        model_id: The model whose clusters were used; None for the truth or given clusters.
        threshold: The clusters' threshold.
        built_at: When the build started (UTC).
        built_by: Who built it.
        journeys: How many journeys the table holds.
        details: The counts per source and per join rule, stored as JSON.
    """
    steps.run(
        "record the build",
        "INSERT OR REPLACE INTO wb.journey_builds "
        "(name, kind, model_id, threshold, built_at, built_by, journeys, counts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [name, kind, model_id, threshold, built_at, built_by, journeys, json.dumps(details)],
    )


def build_row(ws: Workspace, name: str) -> dict[str, Any] | None:
    """The stored build record of a journey table as one row (``counts`` as JSON text), or None.

    Fields: ``name``, ``kind``, ``model_id``, ``threshold`` (NaN when none), ``built_at``,
    ``built_by``, ``journeys`` and ``counts``.
    """
    df = ws.query_df("SELECT * FROM wb.journey_builds WHERE name = ?", [name])
    if df.empty:
        return None
    row: dict[str, Any] = df.iloc[0].to_dict()
    return row


def load_journeys(ws: Workspace, name: str = LINKED, limit: int | None = None) -> pd.DataFrame:
    """The rows of a journey table (for the analyst's own view and for export to the analyst)."""
    if not ws.table_exists(JOURNEY_SCHEMA, name):
        raise JourneyError(f"There is no journey table {name!r}.", hint="Build the journeys first.")
    if limit is not None:
        return ws.query_df(
            compose("SELECT * FROM {t} LIMIT ?", t=journey_table(name)), [int(limit)]
        )
    return ws.query_df(compose("SELECT * FROM {t}", t=journey_table(name)))
