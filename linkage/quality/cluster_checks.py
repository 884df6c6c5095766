"""Checks on the clusters: clusters far larger than the rest, and clusters held together by one
weak link (:func:`check_clusters`).
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkage.model.predict import edges_from_pairs
from linkage.quality.findings import INFO, SERIOUS, WARNING, Finding

#: A cluster larger than this ...
LARGE_CLUSTER_RECORDS = 50
#: ... and this many times the median size of multi-record clusters is too large.
LARGE_CLUSTER_FACTOR = 20.0
#: Clusters of at least this many records are checked for a single weak link.
WEAK_LINK_MIN_SIZE = 4
#: A link scoring less than this many bits above the threshold's weight is weak.
WEAK_LINK_MARGIN_BITS = 3.0


def _weight(probability: float) -> float:
    p = min(max(float(probability), 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def bridges(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether each edge is a bridge (its removal splits its component)."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e, (u, v) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    disc = [-1] * n
    low = [0] * n
    is_bridge = np.zeros(len(left), dtype=bool)
    timer = 0
    for root in range(n):
        if disc[root] != -1:
            continue
        disc[root] = low[root] = timer
        timer += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        while stack:
            node, via, k = stack[-1]
            if k < len(adjacency[node]):
                stack[-1] = (node, via, k + 1)
                nxt, e = adjacency[node][k]
                if e == via:
                    continue
                if disc[nxt] == -1:
                    disc[nxt] = low[nxt] = timer
                    timer += 1
                    stack.append((nxt, e, 0))
                else:
                    low[node] = min(low[node], disc[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        is_bridge[via] = True
    return is_bridge


def check_clusters(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    threshold: float | None = None,
) -> list[Finding]:
    """Clusters far larger than the rest, and clusters held together by one weak link.

    A cluster is too large when it holds more than :data:`LARGE_CLUSTER_RECORDS` records and
    more than :data:`LARGE_CLUSTER_FACTOR` times the median size of multi-record clusters. A
    cluster of :data:`WEAK_LINK_MIN_SIZE` or more records hangs on a weak link when one of its
    links scores less than :data:`WEAK_LINK_MARGIN_BITS` above the threshold's match weight
    and removing that link alone would split it.

    Args:
        pairs: The scored pairs (``source_dataset_l/_r``, ``unique_id_l/_r``,
            ``match_weight``, ``match_probability``).
        clusters: ``source_dataset``, ``unique_id`` and ``cluster_id`` per record.
        threshold: The match probability the clusters were made at; by default just above the
            best-scoring pair that links two different clusters.

    Returns:
        The findings (none when every cluster looks ordinary).
    """
    if clusters.empty:
        return []
    sizes = clusters.groupby("cluster_id").size()
    multi = sizes[sizes > 1]
    if multi.empty:
        return []
    out: list[Finding] = []
    median = float(multi.median())
    big = multi[(multi > LARGE_CLUSTER_RECORDS) & (multi > LARGE_CLUSTER_FACTOR * median)]
    density = _cluster_density(pairs, clusters, list(big.index), threshold)
    loose = big[density.reindex(big.index).fillna(0.0) < DENSE_CLUSTER_SHARE]
    tight = big.drop(loose.index)
    if not loose.empty:
        largest = int(loose.max())
        out.append(
            Finding(
                "large_clusters",
                SERIOUS,
                f"{len(loose):,} cluster{'s are' if len(loose) != 1 else ' is'} far larger than "
                f"the rest and loosely knit: the largest holds {largest:,} records, "
                f"{largest / median:.0f} times the typical linked cluster ({median:.0f} "
                "records), and fewer than half of its records are linked to each other directly. "
                "Chains of false links are likely.",
                "Raise the threshold (the Threshold and clusters page shows the effect), or make "
                "the model stricter on what these records share (a common name or placeholder "
                "value), then look at the cluster on the Threshold and clusters page.",
            )
        )
    if not tight.empty:
        largest = int(tight.max())
        out.append(
            Finding(
                "large_clusters",
                INFO,
                f"{len(tight):,} cluster{'s are' if len(tight) != 1 else ' is'} far larger than "
                f"the rest (the largest holds {largest:,} records) but tightly knit: most of "
                "their records are linked to each other directly, as the records of one person "
                "with many cases are.",
                "Nothing to change unless a look at the cluster on the Threshold and clusters "
                "page shows different people.",
            )
        )
    out += _weak_links(pairs, clusters, threshold)
    return out


#: A large cluster whose records are directly linked in at least this share of their pairs is
#: taken as one person with many records, not a chain of false links.
DENSE_CLUSTER_SHARE = 0.5


def _cluster_density(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    cluster_ids: list[Any],
    threshold: float | None,
) -> pd.Series:
    """Share of each cluster's record pairs that are linked directly (at the threshold)."""
    if not cluster_ids:
        return pd.Series(dtype=float)
    edges = edges_from_pairs(pairs)
    if threshold is not None:
        edges = edges[edges["match_probability"] >= threshold]
    keys = clusters["source_dataset"].astype(str) + "\x1f" + clusters["unique_id"].astype(str)
    cluster_of = pd.Series(clusters["cluster_id"].to_numpy(), index=keys.to_numpy())
    left = cluster_of.reindex(_node_key(edges, "l").to_numpy()).to_numpy()
    right = cluster_of.reindex(_node_key(edges, "r").to_numpy()).to_numpy()
    inside = pd.Series(left[(left == right)])
    wanted = set(cluster_ids)
    counts = inside[inside.isin(wanted)].value_counts()
    sizes = clusters[clusters["cluster_id"].isin(wanted)].groupby("cluster_id").size()
    return (counts.reindex(sizes.index).fillna(0) / (sizes * (sizes - 1) / 2)).astype(float)


def _node_key(edges: pd.DataFrame, side: str) -> pd.Series:
    return (
        edges[f"source_dataset_{side}"].astype(str)
        + "\x1f"
        + edges[f"unique_id_{side}"].astype(str)
    )


def _weak_links(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    threshold: float | None,
) -> list[Finding]:
    edges = edges_from_pairs(pairs)
    if edges.empty:
        return []
    key = pd.Index(
        clusters["source_dataset"].astype(str) + "\x1f" + clusters["unique_id"].astype(str)
    )
    codes, names = pd.factorize(clusters["cluster_id"])
    left = key.get_indexer(_node_key(edges, "l"))
    right = key.get_indexer(_node_key(edges, "r"))
    known = (left >= 0) & (right >= 0)
    left, right = left[known], right[known]
    prob = edges["match_probability"].to_numpy(dtype=float)[known]
    weight = edges["match_weight"].to_numpy(dtype=float)[known]
    same = codes[left] == codes[right]
    if threshold is None:
        cross = prob[~same]
        if cross.size:
            threshold = float(cross.max())
            used = same & (prob > threshold)
        else:
            threshold = float(prob[same].min()) if same.any() else 0.5
            used = same
        threshold = min(max(threshold, 1e-6), 1 - 1e-6)
    else:
        used = same & (prob >= threshold)
    weak_weight = _weight(threshold) + WEAK_LINK_MARGIN_BITS
    size_of = np.bincount(codes, minlength=len(names))
    used &= size_of[codes[left]] >= WEAK_LINK_MIN_SIZE
    weak = used & (weight < weak_weight)
    if not weak.any():
        return []
    suspect = np.zeros(len(names), dtype=bool)
    suspect[codes[left[weak]]] = True
    in_suspect = used & suspect[codes[left]]
    sub_left, sub_right = left[in_suspect], right[in_suspect]
    nodes, inverse = np.unique(np.concatenate([sub_left, sub_right]), return_inverse=True)
    bridge = bridges(len(nodes), inverse[: len(sub_left)], inverse[len(sub_left) :])
    weak_bridge = bridge & (weight[in_suspect] < weak_weight)
    if not weak_bridge.any():
        return []
    hanging = np.unique(codes[sub_left[weak_bridge]])
    hanging_sizes = pd.Series(size_of[hanging])
    p_weak = 1.0 / (1.0 + 2.0 ** (-weak_weight))
    n = len(hanging)
    return [
        Finding(
            "weak_links",
            WARNING,
            f"{n:,} cluster{'s' if n != 1 else ''} of {WEAK_LINK_MIN_SIZE} or more records "
            f"{'are' if n != 1 else 'is'} held together by a single weak link (a pair scoring "
            f"under {weak_weight:.1f}, match probability {p_weak:.3f}); the largest has "
            f"{int(hanging_sizes.max()):,} records. One doubtful pair joins two groups of "
            "records into one person.",
            f"Review these clusters on the Threshold and clusters page; a threshold of about "
            f"{p_weak:.3f} would split them.",
        )
    ]
