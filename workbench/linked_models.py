"""The workspace's linkage models and their clusters as the core reads them.

The tables ``wb.models`` and ``wb.clusters`` are written by the linkage registry
(:mod:`linkage.clusters.registry`), which builds on these reads. They live in
the core so that the analysis (journeys, progress) can find the active model and its people without
importing the linkage package: dependencies run from linkage to the core, never back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from workbench.sql import Sql
from workbench.workspace import Workspace

__all__ = [
    "active_clusters",
    "active_model_id",
    "active_model_with_clusters",
    "cluster_members",
    "cluster_sizes",
    "clusters_query",
    "clusters_threshold",
    "model_records",
    "model_summary",
    "models_by_recency",
]


def active_model_id(ws: Workspace) -> str | None:
    """The active model's id, or ``None``."""
    rows = ws.query("SELECT model_id FROM wb.models WHERE is_active LIMIT 1")
    return rows[0][0] if rows else None


def active_model_with_clusters(ws: Workspace) -> tuple[str, float] | None:
    """The active model's id and the threshold of its stored clusters.

    Returns:
        ``(model_id, threshold)``; None when no model is active or the active one has no
        stored clusters.
    """
    # Asked on every script run (the sidebar's workflow marks): the model first, then its
    # clusters by id, which DuckDB answers from the row groups holding that model alone. A join
    # over every model's clusters reads them all (16 ms against 1.6 ms at three models of a
    # million records each).
    model_id = active_model_id(ws)
    if model_id is None:
        return None
    threshold = clusters_threshold(ws, model_id)
    return None if threshold is None else (str(model_id), threshold)


def clusters_threshold(ws: Workspace, model_id: str) -> float | None:
    """The threshold a model's stored clusters were made at; None when it has no clusters."""
    rows = ws.query("SELECT max(threshold) FROM wb.clusters WHERE model_id = ?", [model_id])
    return None if rows[0][0] is None else float(rows[0][0])


def clusters_query(model_id: str) -> tuple[Sql, list[Any]]:
    """SQL selecting a model's stored clusters, to use as a sub-query in the same workspace.

    Returns:
        The query (columns ``source_dataset``, ``unique_id``, ``cluster_id``) and its bound
        parameters.
    """
    sql = Sql("SELECT source_dataset, unique_id, cluster_id FROM wb.clusters WHERE model_id = ?")
    return sql, [model_id]


def models_by_recency(ws: Workspace) -> pd.DataFrame:
    """Every model, the active one first and then the newest first.

    Returns:
        ``model_id``, ``name``, ``created_at``, ``datasets`` (JSON text) and ``is_active``.
    """
    return ws.query_df(
        "SELECT model_id, name, created_at, datasets, is_active FROM wb.models "
        "ORDER BY is_active DESC, created_at DESC"
    )


def model_summary(ws: Workspace, model_id: str) -> dict[str, Any] | None:
    """A model's name, when it was created and by whom, and whether it is active; None if gone.

    Cheaper than :func:`get_model`, which parses the settings and metrics.
    """
    rows = ws.query(
        "SELECT name, created_at, created_by, is_active, threshold FROM wb.models "
        "WHERE model_id = ?",
        [model_id],
    )
    if not rows:
        return None
    name, created_at, created_by, is_active, threshold = rows[0]
    created: datetime | None = created_at
    return {
        "model_id": model_id,
        "name": name,
        "created_at": created,
        "created_by": created_by,
        "is_active": bool(is_active),
        "threshold": threshold,
    }


def active_clusters(ws: Workspace) -> pd.DataFrame:
    """The clusters of the active model: the output the rest of the workbench uses.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id``, ``model_id``, ``threshold``; empty
        (with those columns) when no model is active.
    """
    model_id = active_model_id(ws)
    return ws.query_df(
        "SELECT source_dataset, unique_id, cluster_id, model_id, threshold FROM wb.clusters "
        "WHERE model_id = ? ORDER BY cluster_id, source_dataset, unique_id",
        [model_id or ""],
    )


def model_records(ws: Workspace, model_id: str) -> pd.DataFrame:
    """Every record in a model's stored clusters: ``source_dataset``, ``unique_id``, sorted."""
    return ws.query_df(
        "SELECT source_dataset, unique_id FROM wb.clusters WHERE model_id = ? "
        "ORDER BY source_dataset, unique_id",
        [model_id],
    )


def cluster_members(ws: Workspace, model_id: str, cluster_id: str) -> pd.DataFrame:
    """The records of one stored cluster of a model.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id``, ``threshold``, sorted by record;
        empty when the model has no such cluster.
    """
    return ws.query_df(
        "SELECT source_dataset, unique_id, cluster_id, threshold FROM wb.clusters "
        "WHERE model_id = ? AND cluster_id = ? ORDER BY source_dataset, unique_id",
        [model_id, str(cluster_id)],
    )


def cluster_sizes(ws: Workspace, model_id: str, min_records: int = 1) -> pd.DataFrame:
    """``cluster_id`` and ``records`` of a model's stored clusters of at least ``min_records``."""
    return ws.query_df(
        "SELECT cluster_id, count(*) AS records FROM wb.clusters WHERE model_id = ? "
        "GROUP BY cluster_id HAVING count(*) >= ?",
        [model_id, int(min_records)],
    )
