"""Measure a model against known truth: a truth column (cluster labels) or clerical labels.

Pairwise metrics count every true pair, including those blocking never generated, so recall
is not flattered. Cluster metrics score the final clustering (pairwise and B-cubed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from linkage.model.predict import edges_from_pairs
from workbench.errors import LinkageError

if TYPE_CHECKING:
    import altair as alt

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]


def truth_from_frames(frames: Sequence[pd.DataFrame], column: str) -> pd.DataFrame:
    """``source_dataset``, ``unique_id``, ``truth`` from a truth column of prepared inputs.

    Raises:
        LinkageError: When an input lacks the column.
    """
    parts = []
    for f in frames:
        if column not in f.columns:
            raise LinkageError(
                f"The truth column {column!r} is not in every input.",
                hint="Name a column holding the true person id in each dataset.",
            )
        parts.append(
            pd.DataFrame(
                {
                    "source_dataset": f["source_dataset"].to_numpy(),
                    "unique_id": f["unique_id"].astype(str).to_numpy(),
                    "truth": f[column].astype("string").to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _pairs_in(counts: pd.Series) -> float:
    c = counts.to_numpy(dtype=float)
    return float((c * (c - 1) / 2).sum())


def count_true_pairs(truth: pd.DataFrame, link_type: str = "dedupe_only") -> int:
    """Number of true matching pairs the link type allows (cross-dataset only for link_only)."""
    t = truth.dropna(subset=["truth"])
    total = _pairs_in(t.groupby("truth").size())
    if link_type == "link_only":
        total -= _pairs_in(t.groupby(["truth", "source_dataset"]).size())
    return int(total)


def _label_edges(pairs: Any, truth: pd.DataFrame) -> pd.DataFrame:
    edges = edges_from_pairs(pairs).copy()
    key = truth["source_dataset"].astype(str) + "\x1f" + truth["unique_id"].astype(str)
    lookup = pd.Series(truth["truth"].to_numpy(), index=key.to_numpy())
    tl = lookup.reindex(
        edges["source_dataset_l"].astype(str) + "\x1f" + edges["unique_id_l"].astype(str)
    ).to_numpy()
    tr = lookup.reindex(
        edges["source_dataset_r"].astype(str) + "\x1f" + edges["unique_id_r"].astype(str)
    ).to_numpy()
    edges["is_match"] = pd.Series(tl).eq(pd.Series(tr)).fillna(False).to_numpy(dtype=bool)
    return edges


def pairwise_metrics(
    pairs: Any,
    truth: pd.DataFrame,
    thresholds: Sequence[float] | None = None,
    link_type: str = "dedupe_only",
) -> pd.DataFrame:
    """Pairwise precision, recall and F1 at each match-probability threshold.

    Args:
        pairs: Stored predictions.
        truth: ``source_dataset``, ``unique_id``, ``truth`` (see :func:`truth_from_frames`).
        thresholds: Match probabilities to evaluate at.
        link_type: The model's link type (``link_only`` counts cross-dataset pairs only).

    Returns:
        ``threshold``, ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1`` per threshold.
        ``fn`` includes true pairs blocking never generated.
    """
    edges = _label_edges(pairs, truth)
    if link_type == "link_only":
        edges = edges[edges["source_dataset_l"] != edges["source_dataset_r"]]
    total_true = count_true_pairs(truth, link_type)
    probs = edges["match_probability"].to_numpy()
    match = edges["is_match"].to_numpy()
    rows = []
    for t in thresholds or DEFAULT_THRESHOLDS:
        chosen = probs >= t
        tp = int((chosen & match).sum())
        fp = int((chosen & ~match).sum())
        fn = total_true - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / total_true if total_true else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {
                "threshold": float(t),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )
    return pd.DataFrame(rows)


def best_threshold(metrics: pd.DataFrame) -> float:
    """The threshold with the highest F1 in a :func:`pairwise_metrics` table."""
    return float(metrics.loc[metrics["f1"].idxmax(), "threshold"])


#: Thresholds a threshold chosen from the model alone is picked among.
THRESHOLD_GRID = (
    0.5,
    0.6,
    0.7,
    0.8,
    0.85,
    0.9,
    0.925,
    0.95,
    0.96,
    0.97,
    0.98,
    0.99,
    0.995,
    0.999,
)


@dataclass
class ThresholdChoice:
    """A match-probability threshold chosen from the model's own estimates.

    Attributes:
        threshold: The match probability to link at.
        expected_precision: Clustered pairwise precision expected at it, if the model's
            probabilities are right.
        expected_recall: Clustered pairwise recall expected among the scored pairs.
        reason: Why this threshold, in plain words.
    """

    threshold: float
    expected_precision: float
    expected_recall: float
    reason: str


def _node_ids(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer node ids for each pair's two records."""
    if "source_dataset_l" in pairs.columns:
        left = pairs["source_dataset_l"].astype(str) + "\x1f" + pairs["unique_id_l"].astype(str)
        right = pairs["source_dataset_r"].astype(str) + "\x1f" + pairs["unique_id_r"].astype(str)
    else:
        left = pairs["unique_id_l"].astype(str)
        right = pairs["unique_id_r"].astype(str)
    codes, uniques = pd.factorize(pd.concat([left, right], ignore_index=True))
    n = len(pairs)
    return codes[:n], codes[n:], len(uniques)


def expected_cluster_quality(pairs: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """Clustered precision and recall the model expects at each threshold, without truth.

    Each scored pair is a match with its match probability ``p``. Clustering at a threshold
    links every pair at or above it and, through chains, every pair of records in the same
    cluster. The expected true links are ``sum(p)`` over the scored pairs that end up inside a
    cluster; every record pair inside a cluster is a link, so precision is that sum over the
    number of within-cluster pairs (a chain of weak links that joins two people makes many
    pairs that were never scored, and each counts against it). Recall is over ``sum(p)`` of
    all scored pairs.

    Args:
        pairs: Scored pairs with ``unique_id_l``, ``unique_id_r`` (and ``source_dataset_l``/
            ``_r`` when linking several inputs) and ``match_probability``.
        thresholds: The thresholds to assess.

    Returns:
        ``threshold``, ``links`` (within-cluster pairs), ``expected_precision``,
        ``expected_recall`` and ``expected_f1``, one row per threshold.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    p = pairs["match_probability"].to_numpy(dtype=float)
    left, right, n_nodes = _node_ids(pairs)
    total = float(np.nansum(p))
    order = np.argsort(-p, kind="stable")
    p, left, right = p[order], left[order], right[order]
    labels = np.arange(n_nodes)
    start = 0
    rows = []
    for t in sorted(thresholds, reverse=True):
        stop = int(np.searchsorted(-p, -t, side="right"))
        if stop > start:
            a, b = labels[left[start:stop]], labels[right[start:stop]]
            graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n_nodes, n_nodes))
            _, merged = connected_components(graph, directed=False)
            labels = merged[labels]
            start = stop
        sizes = np.bincount(labels)
        links = float((sizes * (sizes - 1) / 2).sum())
        # Every scored pair inside a cluster is a link, whatever its own score.
        tp = float(p[labels[left] == labels[right]].sum())
        precision = tp / links if links else 1.0
        recall = tp / total if total else 0.0
        f1 = 2 * tp / (links + total) if links + total else 0.0
        rows.append((t, links, precision, recall, f1))
    out = pd.DataFrame(
        rows,
        columns=["threshold", "links", "expected_precision", "expected_recall", "expected_f1"],
    )
    return out.sort_values("threshold").reset_index(drop=True)


def choose_threshold(pairs: pd.DataFrame) -> ThresholdChoice:
    """Choose the threshold at which the model expects the best clusters.

    The threshold of :data:`THRESHOLD_GRID` with the highest expected clustered F1
    (:func:`expected_cluster_quality`); on a tie, the higher threshold. No labels or truth
    are used.

    Args:
        pairs: Scored pairs (see :func:`expected_cluster_quality`).

    Returns:
        The choice with its expected precision and recall and the reason.
    """
    if pairs.empty or float(pairs["match_probability"].sum()) <= 0:
        top = THRESHOLD_GRID[-1]
        return ThresholdChoice(top, 1.0, 0.0, f"No pair was scored; threshold {top} by default.")
    table = expected_cluster_quality(pairs, THRESHOLD_GRID)
    best = table.iloc[table["expected_f1"].round(4)[::-1].idxmax()]
    t = float(best["threshold"])
    reason = (
        f"Threshold {t:g}: where the model expects the best clusters (expected precision "
        f"{best['expected_precision']:.1%}, recall {best['expected_recall']:.1%} of the "
        "matches among scored pairs), estimated from its own match probabilities, no labels "
        "used."
    )
    return ThresholdChoice(
        t, float(best["expected_precision"]), float(best["expected_recall"]), reason
    )


def cluster_metrics(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Score a clustering against truth: pairwise and B-cubed precision, recall and F1.

    Args:
        clusters: ``source_dataset``, ``unique_id``, ``cluster_id`` per record.
        truth: ``source_dataset``, ``unique_id``, ``truth`` per record.

    Returns:
        ``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``, ``bcubed_precision``,
        ``bcubed_recall``, ``bcubed_f1``, ``n_clusters``, ``n_true_clusters``.
    """
    merged = clusters[["source_dataset", "unique_id", "cluster_id"]].merge(
        truth.assign(unique_id=truth["unique_id"].astype(str)),
        on=["source_dataset", "unique_id"],
        how="inner",
    )
    merged = merged.dropna(subset=["truth"])
    if merged.empty:
        raise LinkageError(
            "No clustered record has a truth value.", hint="Check the truth column is filled."
        )
    cell = merged.groupby(["cluster_id", "truth"]).size()
    pred = merged.groupby("cluster_id").size()
    true = merged.groupby("truth").size()
    tp = _pairs_in(cell)
    pp = _pairs_in(pred)
    tt = _pairs_in(true)
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    cell_df = cell.rename("n").reset_index()
    n_total = float(len(merged))
    cell_df["pred_size"] = cell_df["cluster_id"].map(pred).astype(float)
    cell_df["true_size"] = cell_df["truth"].map(true).astype(float)
    bp = float((cell_df["n"] ** 2 / cell_df["pred_size"]).sum() / n_total)
    br = float((cell_df["n"] ** 2 / cell_df["true_size"]).sum() / n_total)
    return {
        "pairwise_precision": p,
        "pairwise_recall": r,
        "pairwise_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "n_clusters": len(pred),
        "n_true_clusters": len(true),
    }


def threshold_chart(metrics: pd.DataFrame, threshold: float | None = None) -> alt.LayerChart:
    """Precision, recall and F1 against the match-probability threshold.

    The score axis is zoomed to the range the scores span (good models sit near 1, where a 0–1
    axis would draw three overlapping lines); measures differ by colour and by dash pattern.

    Args:
        metrics: Output of :func:`pairwise_metrics`.
        threshold: The threshold in use, marked by a dashed rule.
    """
    import altair as alt  # charts only: the command line never draws one

    from workbench.charts import accessible_palette

    measures = ["precision", "recall", "f1"]
    long = metrics.melt(id_vars=["threshold"], value_vars=measures, var_name="measure")
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="Match probability threshold"),
            y=alt.Y("value:Q", title="Score (axis zoomed in)", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "measure:N",
                title="Measure",
                scale=alt.Scale(domain=measures, range=accessible_palette()[:3]),
            ),
            strokeDash=alt.StrokeDash("measure:N", title="Measure", sort=measures),
            tooltip=["threshold:Q", "measure:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"threshold": [] if threshold is None else [threshold]}))
        .mark_rule(color="#D55E00", strokeDash=[4, 4], size=2)
        .encode(x="threshold:Q")
    )
    return alt.layer(lines, rule).properties(title="Precision, recall and F1 by threshold")


def prediction_errors(
    pairs: Any,
    truth: pd.DataFrame,
    threshold_probability: float,
    limit: int = 100,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """False positive and false negative pairs at a threshold.

    Args:
        pairs: Stored predictions (all columns are kept for display and waterfalls).
        truth: ``source_dataset``, ``unique_id``, ``truth`` per record.
        threshold_probability: The threshold.
        limit: Most rows of each kind.

    Returns:
        ``(false_positives, false_negatives)``: the first are scored pairs above the threshold
        with different truth; the second true pairs below it, highest score first, then true
        pairs blocking never generated (with empty scores).
    """
    full = pairs if isinstance(pairs, pd.DataFrame) else pairs.df()
    labelled = _label_edges(full, truth)
    full = full.assign(is_match=labelled["is_match"].to_numpy())
    above = full["match_probability"] >= threshold_probability
    fp = full[above & ~full["is_match"]].sort_values("match_probability", ascending=False)
    fn = full[~above & full["is_match"]].sort_values("match_probability", ascending=False)
    if len(fn) < limit:
        missed = _missed_true_pairs(full, truth, limit - len(fn))
        fn = pd.concat([fn, missed], ignore_index=True)
    return fp.head(limit).reset_index(drop=True), fn.head(limit).reset_index(drop=True)


def _missed_true_pairs(scored: pd.DataFrame, truth: pd.DataFrame, limit: int) -> pd.DataFrame:
    """True pairs absent from the scored pairs (blocking missed them), up to ``limit``."""
    t = truth.dropna(subset=["truth"])
    sizes = t.groupby("truth")["unique_id"].transform("size")
    t = t[sizes.between(2, 50)]
    pairs = t.merge(t, on="truth", suffixes=("_l", "_r"))
    key_l = pairs["source_dataset_l"].astype(str) + "\x1f" + pairs["unique_id_l"].astype(str)
    key_r = pairs["source_dataset_r"].astype(str) + "\x1f" + pairs["unique_id_r"].astype(str)
    pairs = pairs[key_l < key_r]
    key = lambda a, b: np.minimum(a, b) + "\x1e" + np.maximum(a, b)  # noqa: E731
    sl = scored["source_dataset_l"].astype(str) + "\x1f" + scored["unique_id_l"].astype(str)
    sr = scored["source_dataset_r"].astype(str) + "\x1f" + scored["unique_id_r"].astype(str)
    seen = set(key(sl.to_numpy().astype(object), sr.to_numpy().astype(object)))
    kl = pairs["source_dataset_l"].astype(str) + "\x1f" + pairs["unique_id_l"].astype(str)
    kr = pairs["source_dataset_r"].astype(str) + "\x1f" + pairs["unique_id_r"].astype(str)
    pk = key(kl.to_numpy().astype(object), kr.to_numpy().astype(object))
    missed = pairs[[k not in seen for k in pk]].head(limit)
    return missed[["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]].assign(
        is_match=True, blocked=False
    )


def metrics_from_clerical_labels(
    pairs: Any, labels: pd.DataFrame, thresholds: Sequence[float] | None = None
) -> pd.DataFrame:
    """Precision, recall and F1 among clerically labelled pairs.

    Args:
        pairs: Stored predictions.
        labels: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``, ``unique_id_r``,
            ``label`` (1 match, 0 non-match, empty unsure: ignored). Labelled pairs absent from
            the predictions count as scored 0.
        thresholds: Match probabilities to evaluate at.

    Returns:
        ``threshold``, ``tp``, ``fp``, ``fn``, ``tn``, ``precision``, ``recall``, ``f1``.
    """
    lab = labels.dropna(subset=["label"])
    if lab.empty:
        raise LinkageError(
            "There are no clerical labels to measure against.",
            hint="Label some pairs as match or non-match first.",
        )
    edges = edges_from_pairs(pairs)

    def key(df: pd.DataFrame) -> np.ndarray:
        a = df["source_dataset_l"].astype(str) + "\x1f" + df["unique_id_l"].astype(str)
        b = df["source_dataset_r"].astype(str) + "\x1f" + df["unique_id_r"].astype(str)
        a, b = a.to_numpy().astype(object), b.to_numpy().astype(object)
        return np.where(a < b, a + "\x1e" + b, b + "\x1e" + a)

    prob = pd.Series(edges["match_probability"].to_numpy(), index=key(edges))
    prob = prob.groupby(level=0).max()
    scores = prob.reindex(key(lab)).fillna(0.0).to_numpy()
    truth = lab["label"].astype(float).to_numpy() >= 0.5
    rows = []
    for t in thresholds or DEFAULT_THRESHOLDS:
        chosen = scores >= t
        tp = int((chosen & truth).sum())
        fp = int((chosen & ~truth).sum())
        fn = int((~chosen & truth).sum())
        tn = int((~chosen & ~truth).sum())
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        rows.append(
            {
                "threshold": float(t),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "tn": tn,
                "precision": p,
                "recall": r,
                "f1": 2 * p * r / (p + r) if p + r else 0.0,
            }
        )
    return pd.DataFrame(rows)


#: Columns of a standardised record that say nothing about its person.
_NOT_PERSON_COLUMNS = {"source_dataset", "unique_id", "_truth"}


def people_counts(clusters: pd.DataFrame, frames: Sequence[pd.DataFrame]) -> dict[str, int]:
    """Clusters counted as people: only records that name or describe a person take part.

    A record whose every person column (names, date of birth, sex, postcode, identifiers) is
    empty, such as a police record with no suspect, belongs to no person: it is counted
    apart, never as a person of its own.

    Args:
        clusters: ``source_dataset``, ``unique_id``, ``cluster_id`` per record.
        frames: The standardised inputs the clusters were made from.

    Returns:
        ``n_records``, ``n_clusters`` (every cluster, singletons of empty records included),
        ``n_people`` (clusters holding at least one record with a person) and
        ``n_records_without_person``.
    """
    keys = []
    for frame in frames:
        person = [c for c in frame.columns if c not in _NOT_PERSON_COLUMNS]
        has = frame[person].notna().any(axis=1) if person else pd.Series(False, frame.index)
        keys.append(
            pd.DataFrame(
                {
                    "source_dataset": frame["source_dataset"].astype(str).to_numpy(),
                    "unique_id": frame["unique_id"].astype(str).to_numpy(),
                    "has_person": has.to_numpy(),
                }
            )
        )
    flags = pd.concat(keys, ignore_index=True) if keys else pd.DataFrame()
    merged = clusters[["source_dataset", "unique_id", "cluster_id"]].astype(
        {"source_dataset": str, "unique_id": str}
    )
    merged = merged.merge(flags, on=["source_dataset", "unique_id"], how="left")
    has_person = merged["has_person"].fillna(True).astype(bool)
    return {
        "n_records": len(merged),
        "n_clusters": int(merged["cluster_id"].nunique()),
        "n_people": int(merged.loc[has_person, "cluster_id"].nunique()),
        "n_records_without_person": int((~has_person).sum()),
    }


#: The names both the app and the command line give to :func:`people_counts`.
PEOPLE_LABELS = {
    "n_people": "Clusters (people) among records with a person",
    "n_records_without_person": "Records without a person (no suspect)",
}


def describe_people(counts: dict[str, int]) -> str:
    """One line for :func:`people_counts`, worded the same in the app and the command line."""
    return (
        f"{PEOPLE_LABELS['n_people']}: {counts['n_people']:,}; "
        f"{PEOPLE_LABELS['n_records_without_person'].lower()}: "
        f"{counts['n_records_without_person']:,}"
    )
