"""A saved model's clusters at another threshold, counted as people, and one cluster's records.

Clusters are made again from the stored predictions, without re-scoring.
"""

from __future__ import annotations

import logging
import math

import pandas as pd

from linkage.clusters.registry import get_model, store_clusters
from linkage.model.linkers import (
    cache_key,
    load_linker,
    model_nodes,
    model_threshold,
    stored_predictions,
)
from linkage.model.predict import (
    EDGE_COLUMNS,
    ClusterSummary,
    cluster_at_threshold,
    summarise_clusters,
)
from linkage.quality.evaluate import people_counts
from workbench.errors import LinkageError
from workbench.linked_models import cluster_members
from workbench.workspace import Workspace

log = logging.getLogger(__name__)


def recluster(
    ws: Workspace, model_id: str, threshold: float, store: bool = False
) -> tuple[pd.DataFrame, ClusterSummary]:
    """Cluster at another threshold from the stored predictions, without re-scoring.

    Args:
        ws: The workspace.
        model_id: The model.
        threshold: The new match-probability threshold.
        store: Replace the model's stored clusters with these and record the threshold.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id``, ``cluster_size`` per record, and
        the summary.

    Raises:
        LinkageError: When the model has no stored predictions or the threshold is not a
            probability.
    """
    edges = stored_predictions(ws, model_id, EDGE_COLUMNS)
    nodes = model_nodes(ws, model_id)
    clusters = cluster_at_threshold(edges, nodes, threshold)
    if store:
        store_clusters(ws, model_id, clusters, threshold)
        forget = cache_key(ws, model_id)
        log.info("stored clusters of %s at %s", forget[1], threshold)
    return clusters, summarise_clusters(clusters)


def people_in_clusters(ws: Workspace, model_id: str, clusters: pd.DataFrame) -> dict[str, int]:
    """Clusters of a model counted as people, as :func:`linkage.quality.evaluate.people_counts`.

    Records with every person column empty (police records with no suspect) are counted
    apart, so the app and the command line give the same numbers for the same clusters.
    """
    return people_counts(clusters, load_linker(ws, model_id).data.frames)


def cluster_records(
    ws: Workspace, model_id: str, cluster_id: str, threshold: float | None = None
) -> pd.DataFrame:
    """The standardised records of one cluster, one row each, for side-by-side reading.

    Args:
        ws: The workspace.
        model_id: The model.
        cluster_id: A cluster id from the model's clusters at that threshold.
        threshold: The match probability the clusters are made at; by default the model's
            stored clusters. Another threshold reclusters from the stored predictions (not
            stored; see :func:`recluster`).

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id`` and the model's input columns.

    Raises:
        LinkageError: When the model has no such cluster, or the threshold is not a
            probability.
    """
    stored = threshold is None
    if not stored:
        row = get_model(ws, model_id)
        stored = math.isclose(float(threshold), model_threshold(row), abs_tol=1e-12)
    if stored:
        members = cluster_members(ws, model_id, str(cluster_id))
        members = members[["source_dataset", "unique_id", "cluster_id"]]
    else:
        clusters, _ = recluster(ws, model_id, float(threshold))
        members = clusters.loc[
            clusters["cluster_id"] == str(cluster_id), ["source_dataset", "unique_id", "cluster_id"]
        ].reset_index(drop=True)
    if members.empty:
        get_model(ws, model_id)
        where = "" if threshold is None else f" at {float(threshold):g}"
        raise LinkageError(
            f"Model {model_id!r} has no cluster {cluster_id!r}{where}.",
            hint="Pick a cluster from the model's clusters at this threshold.",
        )
    data = load_linker(ws, model_id).data.combined()
    out = members.merge(data, on=["source_dataset", "unique_id"], how="left")
    return out.sort_values(["source_dataset", "unique_id"], ignore_index=True)
