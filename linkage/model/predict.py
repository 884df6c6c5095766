"""Score pairs, and cluster them at any threshold from stored predictions without re-scoring.

Clustering is connected components over the pairs at or above a match probability. It runs
in NumPy (label propagation with pointer jumping) on the stored edge list, so choosing a new
threshold reclusters 100,000 records in a fraction of a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from linkage.model.train import TrainedModel
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

EDGE_COLUMNS = [
    "source_dataset_l",
    "unique_id_l",
    "source_dataset_r",
    "unique_id_r",
    "match_weight",
    "match_probability",
]
_SEP = "\x1f"


def predict_pairs(
    model: TrainedModel,
    threshold_match_weight: float = -4.0,
    as_pandas: bool = True,
) -> pd.DataFrame | duckdb.DuckDBPyRelation:
    """Score every blocked pair with a match weight at or above the threshold.

    Intermediate columns (each comparison's level and Bayes factor) are kept, so the rows
    can be drawn as waterfall charts.

    Args:
        model: The trained model.
        threshold_match_weight: Pairs scoring below this are dropped (``-4`` keeps pairs with a
            match probability down to about 6%).
        as_pandas: Return a DataFrame; otherwise a DuckDB relation on the model's connection.

    Returns:
        One row per pair, with ``source_dataset_l/_r`` and ``unique_id_l/_r`` always present.

    Raises:
        LinkageError: When Splink cannot score the pairs.
    """
    try:
        sdf = model.linker.inference.predict(threshold_match_weight=threshold_match_weight)
    except Exception as exc:
        raise LinkageError(
            f"The pairs could not be scored: {first_line(exc)}",
            hint="Retrain the model on this data, or check the blocking rules.",
        ) from exc
    model.predictions = sdf
    rel = sdf.as_duckdbpyrelation()
    if "source_dataset_l" not in rel.columns:
        df = rel.df()
        df.insert(0, "source_dataset_r", model.data.names[0])
        df.insert(0, "source_dataset_l", model.data.names[0])
        return df
    log.info("scored pairs at match weight >= %s", threshold_match_weight)
    return rel.df() if as_pandas else rel


def edges_from_pairs(pairs: pd.DataFrame | duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The columns clustering needs, as a DataFrame."""
    if isinstance(pairs, duckdb.DuckDBPyRelation):
        return pairs.project(", ".join(EDGE_COLUMNS)).df()
    missing = [c for c in EDGE_COLUMNS if c not in pairs.columns]
    if missing:
        raise LinkageError(
            f"The stored predictions lack the columns {', '.join(missing)}.",
            hint="Score the pairs again with this version of the workbench.",
        )
    return pairs[EDGE_COLUMNS]


def _node_keys(source: pd.Series, uid: pd.Series) -> np.ndarray:
    return (source.astype(str) + _SEP + uid.astype(str)).to_numpy()


def connected_components(n_nodes: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (the smallest node index in it) of every node.

    Args:
        n_nodes: Number of nodes, indexed ``0 .. n_nodes - 1``.
        left: Edge start indices.
        right: Edge end indices.

    Returns:
        An array of length ``n_nodes``.
    """
    labels = np.arange(n_nodes, dtype=np.int64)
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    while a.size:
        la = labels[a]
        lb = labels[b]
        differ = la != lb
        if not differ.any():
            break
        a, b, la, lb = a[differ], b[differ], la[differ], lb[differ]
        hi = np.maximum(la, lb)
        lo = np.minimum(la, lb)
        np.minimum.at(labels, hi, lo)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
    return labels


def node_index(
    nodes_source: pd.Series, nodes_uid: pd.Series
) -> dict[str, tuple[pd.Index, np.ndarray]]:
    """Per source dataset, an index of its unique ids and their node positions.

    Looking ids up per dataset avoids building ``source + id`` strings for every node and
    edge, which at a million records costs more than the clustering itself.

    Raises:
        LinkageError: When a record appears twice.
    """
    source = nodes_source.astype(str).to_numpy(dtype=object)
    uid = nodes_uid.astype(str).reset_index(drop=True)
    names = pd.unique(source)
    out: dict[str, tuple[pd.Index, np.ndarray]] = {}
    for name in names:
        where = np.arange(len(source)) if len(names) == 1 else np.flatnonzero(source == name)
        index = pd.Index(uid.take(where).array)
        if not index.is_unique:
            raise LinkageError("Some records appear twice in the node list.")
        out[str(name)] = (index, where)
    return out


def node_positions_of(
    positions: dict[str, tuple[pd.Index, np.ndarray]], source: pd.Series, uid: pd.Series
) -> np.ndarray:
    """Node position of each ``(source, uid)``; -1 where unknown."""
    src = source.astype(str).to_numpy(dtype=object)
    ids = uid.astype(str).reset_index(drop=True).array
    result = np.full(len(ids), -1, dtype=np.int64)
    if len(ids) == 0:
        return result
    names = pd.unique(src)
    for name in names:
        mask = slice(None) if len(names) == 1 else (src == name)
        found = positions.get(str(name))
        if found is None:
            continue
        index, where = found
        hit = index.get_indexer(ids[mask])
        result[mask] = np.where(hit >= 0, where[np.maximum(hit, 0)], -1)
    return result


def cluster_at_threshold(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    nodes: pd.DataFrame,
    threshold_probability: float,
) -> pd.DataFrame:
    """Cluster records from stored pairs at a match probability, without re-scoring.

    Args:
        pairs: Stored predictions (at least the columns in ``EDGE_COLUMNS``), a DataFrame or a
            DuckDB relation (filtered at the threshold in DuckDB before anything is fetched).
        nodes: Every record: ``source_dataset`` and ``unique_id``.
        threshold_probability: Pairs at or above this probability are linked.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id`` and ``cluster_size`` per record;
        ``cluster_id`` is ``<source_dataset>-__-<unique_id>`` of the cluster's first record.

    Raises:
        LinkageError: When the threshold is not a probability or ids are unknown.
    """
    if not 0.0 <= float(threshold_probability) <= 1.0:
        raise LinkageError(
            f"The threshold {threshold_probability} is not a probability.",
            hint="Choose a match probability between 0 and 1.",
        )
    if isinstance(pairs, duckdb.DuckDBPyRelation):
        pairs = pairs.filter(f"match_probability >= {float(threshold_probability)!r}")
    edges = edges_from_pairs(pairs)
    keep = edges["match_probability"].to_numpy() >= threshold_probability
    edges = edges.loc[keep]
    positions = node_index(nodes["source_dataset"], nodes["unique_id"])
    left = node_positions_of(positions, edges["source_dataset_l"], edges["unique_id_l"])
    right = node_positions_of(positions, edges["source_dataset_r"], edges["unique_id_r"])
    if (left < 0).any() or (right < 0).any():
        raise LinkageError(
            "The stored predictions mention records that are not in the data.",
            hint="The data changed since the pairs were scored: score them again.",
        )
    n_nodes = len(nodes)
    labels = connected_components(n_nodes, left, right)
    sizes = np.bincount(labels, minlength=n_nodes)
    # Build the cluster id text once per cluster, then spread it to the members.
    roots, inverse = np.unique(labels, return_inverse=True)
    source = nodes["source_dataset"].astype(str).reset_index(drop=True)
    uid = nodes["unique_id"].astype(str).reset_index(drop=True)
    names = (
        source.take(roots).reset_index(drop=True) + "-__-" + uid.take(roots).reset_index(drop=True)
    )
    # take() keeps pandas' own string arrays: no round trip through Python objects.
    return pd.DataFrame(
        {
            "source_dataset": nodes["source_dataset"].reset_index(drop=True),
            "unique_id": nodes["unique_id"].reset_index(drop=True),
            "cluster_id": names.take(inverse).reset_index(drop=True),
            "cluster_size": sizes[labels],
        }
    )


@dataclass
class ClusterSummary:
    """Headline figures for a clustering.

    Attributes:
        n_records: Records clustered.
        n_clusters: Clusters (people) found, singletons included.
        n_singletons: Records linked to nothing.
        records_linked: Records in a cluster of two or more.
        largest: Size of the largest cluster.
        mean_size: Mean cluster size.
        size_distribution: ``cluster_size`` and ``n_clusters`` per size.
    """

    n_records: int
    n_clusters: int
    n_singletons: int
    records_linked: int
    largest: int
    mean_size: float
    size_distribution: pd.DataFrame


def summarise_clusters(clusters: pd.DataFrame) -> ClusterSummary:
    """Summarise a clustering (output of :func:`cluster_at_threshold`)."""
    sizes = clusters.groupby("cluster_id").size()
    dist = (
        sizes.value_counts().sort_index().rename_axis("cluster_size").reset_index(name="n_clusters")
    )
    return ClusterSummary(
        n_records=len(clusters),
        n_clusters=len(sizes),
        n_singletons=int((sizes == 1).sum()),
        records_linked=int(sizes[sizes > 1].sum()),
        largest=int(sizes.max()) if len(sizes) else 0,
        mean_size=float(sizes.mean()) if len(sizes) else 0.0,
        size_distribution=dist,
    )


def flag_suspicious_clusters(
    clusters: pd.DataFrame,
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    threshold_probability: float,
    max_size: int | None = None,
    min_density: float = 0.4,
) -> pd.DataFrame:
    """Clusters worth a look: very large, or loosely connected (a chain of weak links).

    Density is the share of a cluster's possible pairs that were linked at the threshold; a
    cluster held together by a chain through one wrong link has low density.

    Args:
        clusters: Output of :func:`cluster_at_threshold`.
        pairs: The stored predictions.
        threshold_probability: The threshold the clusters were made at.
        max_size: Clusters larger than this are flagged; by default ten, or the 99.9th
            percentile of sizes when that is larger.
        min_density: Clusters of four or more below this density are flagged.

    Returns:
        ``cluster_id``, ``cluster_size``, ``n_edges``, ``density`` and ``reason``, largest first.
    """
    sizes = clusters.drop_duplicates("cluster_id").set_index("cluster_id")["cluster_size"]
    multi = sizes[sizes > 1]
    if multi.empty:
        return pd.DataFrame(columns=["cluster_id", "cluster_size", "n_edges", "density", "reason"])
    if max_size is None:
        max_size = max(10, int(np.percentile(multi.to_numpy(), 99.9)))
    edges = edges_from_pairs(pairs)
    edges = edges[edges["match_probability"] >= threshold_probability]
    key = _node_keys(clusters["source_dataset"], clusters["unique_id"])
    lookup = pd.Series(clusters["cluster_id"].to_numpy(), index=key)
    left = lookup.reindex(_node_keys(edges["source_dataset_l"], edges["unique_id_l"])).to_numpy()
    n_edges = pd.Series(left).value_counts()
    out = pd.DataFrame({"cluster_id": multi.index, "cluster_size": multi.to_numpy()})
    out["n_edges"] = out["cluster_id"].map(n_edges).fillna(0).astype(int)
    possible = out["cluster_size"] * (out["cluster_size"] - 1) / 2
    out["density"] = out["n_edges"] / possible
    reasons = np.where(
        out["cluster_size"] > max_size,
        f"very large (over {max_size} records)",
        np.where(
            (out["cluster_size"] >= 4) & (out["density"] < min_density),
            f"loosely linked (density under {min_density})",
            "",
        ),
    )
    out["reason"] = reasons
    out = out[out["reason"] != ""]
    return out.sort_values("cluster_size", ascending=False).reset_index(drop=True)


def nodes_from_model(model: TrainedModel) -> pd.DataFrame:
    """``source_dataset`` and ``unique_id`` of every input record of a model."""
    return pd.concat(
        [f[["source_dataset", "unique_id"]] for f in model.data.frames], ignore_index=True
    )
