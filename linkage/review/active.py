"""Active learning for clerical review: which pair to label next, and what the labels say.

A reviewer's time is best spent on pairs whose label would change the model or its threshold
most. Like dedupe and Zingg, the workbench asks about the pairs the model is least sure of
(match weight nearest the threshold's weight) and spreads the questions over comparison
patterns (the ``gamma_*`` levels a pair reached), so one common pattern cannot take every
question while another is never checked.

The labels then calibrate the model's own match probabilities: a labelled pair is a match or
not; an unlabelled pair takes its pattern's labelled match rate, smoothed towards its own
probability (a Beta prior worth :data:`PRIOR_LABELS` labels). Summed over the scored pairs,
these give estimated precision and recall that move as labels arrive, and the threshold with
the best estimated F1.

Every function here works on plain DataFrames (stored predictions and labels), so it is
tested without a workspace; :mod:`linkage.review.session` and
:mod:`linkage.review.teach` apply it to a saved model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Match-weight units one more question from the same comparison pattern costs in the
#: selection score (a pattern's second pair must be this much nearer the threshold than
#: another pattern's first pair to be asked before it).
DIVERSITY_WEIGHT = 2.0
#: How many labels a pair's own match probability is worth against its pattern's labels.
PRIOR_LABELS = 2.0
#: Thresholds (match probabilities) a threshold chosen from labels is picked among.
LABEL_THRESHOLD_GRID = tuple(
    sorted({round(1 / (1 + 2 ** (-w / 4)), 6) for w in range(-16, 57)} | {0.5})
)

_ID_COLUMNS = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]


def pair_keys(frame: pd.DataFrame) -> np.ndarray:
    """One text key per pair, the same whichever record is on the left.

    Args:
        frame: Rows with ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``,
            ``unique_id_r``.

    Returns:
        An object array of keys.
    """
    if frame.empty:
        return np.array([], dtype=object)
    a = frame["source_dataset_l"].astype(str) + "\x1f" + frame["unique_id_l"].astype(str)
    b = frame["source_dataset_r"].astype(str) + "\x1f" + frame["unique_id_r"].astype(str)
    a, b = a.to_numpy().astype(object), b.to_numpy().astype(object)
    return np.where(a < b, a + "\x1e" + b, b + "\x1e" + a)


def among(keys: np.ndarray, wanted: Iterable[str]) -> np.ndarray:
    """Whether each key is one of ``wanted``, by hashing (``np.isin`` on text compares every
    key with every wanted one, or sorts both: seconds for a few hundred labels among half a
    million pairs)."""
    found = set(wanted)
    return np.fromiter((key in found for key in keys), dtype=bool, count=len(keys))


def _printable(keys: np.ndarray) -> np.ndarray:
    return np.array([k.replace("\x1f", ":").replace("\x1e", "|") for k in keys], dtype=object)


def pair_id(row: pd.Series | dict) -> str:
    """A stable, printable id for one pair (for widget keys): its two records, sorted.

    For example ``courts:408|police:406`` (dataset and record id of each side).
    """
    frame = pd.DataFrame([{c: row[c] for c in _ID_COLUMNS}])
    return str(_printable(pair_keys(frame))[0])


def gamma_columns(pairs: pd.DataFrame) -> list[str]:
    """The comparison-level columns (``gamma_*``) of scored pairs."""
    return [c for c in pairs.columns if str(c).startswith("gamma_")]


def patterns(pairs: pd.DataFrame) -> pd.Series:
    """Each pair's comparison pattern: its ``gamma_*`` levels joined, e.g. ``3,2,-1,1``.

    Pairs without comparison levels all share one pattern (``""``).
    """
    gammas = gamma_columns(pairs)
    if not gammas or pairs.empty:
        return pd.Series([""] * len(pairs), index=pairs.index, dtype=object)
    levels = pairs[gammas].fillna(-1).astype("int64").astype(str)
    out = levels[gammas[0]]
    for g in gammas[1:]:
        out = out + "," + levels[g]
    return out.astype(object)


def weight_of(probability: float) -> float:
    """The match weight (log2 odds) of a match probability, clipped to +/-60."""
    p = min(max(float(probability), 1e-18), 1 - 1e-18)
    return max(-60.0, min(60.0, math.log2(p / (1 - p))))


def _known(labels: pd.DataFrame) -> pd.DataFrame:
    """Labels that say match (1) or non-match (0), with their pair key."""
    if labels is None or labels.empty:
        return pd.DataFrame({"_key": pd.Series(dtype=object), "label": pd.Series(dtype=float)})
    known = labels.dropna(subset=["label"])
    return pd.DataFrame({"_key": pair_keys(known), "label": known["label"].astype(float).values})


def select_pairs(
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None,
    threshold: float,
    n: int = 10,
    skip: Iterable[str] = (),
    diversity: float = DIVERSITY_WEIGHT,
) -> pd.DataFrame:
    """The unlabelled pairs whose labels would teach the model most, best first.

    Each pair scores its distance from the threshold in match weight, plus ``diversity``
    for every pair of its comparison pattern labelled already or ranked before it (nearer
    the threshold) in this selection. The lowest scores are asked first, so the first
    questions are the most uncertain pair of each pattern near the threshold, and a pattern
    gets a second question only when it is much less certain than any other.

    Args:
        pairs: Scored pairs (``match_weight``, the id columns and ``gamma_*`` levels).
        labels: Clerical labels so far (any label, unsure included, takes a pair out).
        threshold: The model's match-probability threshold.
        n: How many pairs.
        skip: Pair ids (:func:`pair_id`) not to ask about (skipped by the reviewer).
        diversity: Match-weight cost of each earlier question from the same pattern.

    Returns:
        Up to ``n`` prediction rows with ``pattern``, ``uncertainty`` (weight distance from
        the threshold) and ``pattern_labels`` (labels already in its pattern) added.
    """
    if pairs.empty or n <= 0:
        return pairs.head(0).assign(pattern="", uncertainty=0.0, pattern_labels=0)
    keys = pair_keys(pairs)
    pattern = patterns(pairs).to_numpy()
    taken: set[str] = set()
    labelled_counts: dict[str, int] = {}
    if labels is not None and not labels.empty:
        labelled_keys = set(pair_keys(labels))
        taken |= labelled_keys
        is_labelled = among(keys, labelled_keys)
        known = _known(labels)
        known_keys = set(known["_key"])
        counted = among(keys, known_keys) & is_labelled
        labelled_counts = pd.Series(pattern[counted]).value_counts().to_dict()
    open_rows = ~among(keys, taken) if taken else np.ones(len(pairs), dtype=bool)
    skipped = set(skip)
    if skipped:
        open_rows &= ~among(_printable(keys), skipped)
    cand = pairs.loc[open_rows].copy()
    if cand.empty:
        return pairs.head(0).assign(pattern="", uncertainty=0.0, pattern_labels=0)
    cand["pattern"] = pattern[open_rows]
    cand["uncertainty"] = (cand["match_weight"].astype(float) - weight_of(threshold)).abs()
    cand["_tie"] = pd.util.hash_array(keys[open_rows]).astype("int64")
    cand = cand.sort_values(["uncertainty", "_tie"], kind="stable")
    cand["pattern_labels"] = cand["pattern"].map(labelled_counts).fillna(0).astype(int)
    rank = cand.groupby("pattern", sort=False).cumcount()
    cand["_score"] = cand["uncertainty"] + diversity * (cand["pattern_labels"] + rank)
    best = cand.sort_values(["_score", "uncertainty", "_tie"], kind="stable").head(int(n))
    return best.drop(columns=["_score", "_tie"]).reset_index(drop=True)


def random_pairs(
    pairs: pd.DataFrame, labels: pd.DataFrame | None, n: int, seed: int = 0
) -> pd.DataFrame:
    """``n`` unlabelled scored pairs drawn at random (the baseline active learning beats)."""
    keys = pair_keys(pairs)
    taken = set(pair_keys(labels)) if labels is not None and not labels.empty else set()
    order = np.argsort(keys, kind="stable")  # stored pairs come in no fixed order
    cand = pairs.iloc[order][~among(keys[order], taken)]
    return cand.sample(n=min(int(n), len(cand)), random_state=seed).reset_index(drop=True)


def posteriors(
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None,
    prior_labels: float = PRIOR_LABELS,
) -> np.ndarray:
    """Each scored pair's chance of being a match, given the model and the labels so far.

    A labelled pair is 1 or 0. An unlabelled pair of a pattern with ``k`` labelled matches
    among ``n`` labels gets ``(k + prior_labels * p) / (n + prior_labels)``, where ``p`` is
    its own match probability: with no labels in its pattern that is ``p``.

    Args:
        pairs: Scored pairs (``match_probability``, id columns, ``gamma_*`` levels).
        labels: Clerical labels (unsure ones are ignored).
        prior_labels: How many labels the model's own probability is worth.

    Returns:
        One probability per row of ``pairs``.
    """
    p = pairs["match_probability"].to_numpy(dtype=float).copy()
    known = _known(labels) if labels is not None else _known(pd.DataFrame())
    if known.empty or pairs.empty:
        return p
    keys = pair_keys(pairs)
    label_of = known.groupby("_key")["label"].last()
    found = pd.Series(keys).map(label_of).to_numpy(dtype=float)
    has = ~np.isnan(found)
    pattern = patterns(pairs).to_numpy()
    stats = pd.DataFrame({"pattern": pattern[has], "label": found[has]}).groupby("pattern")
    n_lab = pd.Series(pattern).map(stats["label"].count()).fillna(0).to_numpy(dtype=float)
    k_lab = pd.Series(pattern).map(stats["label"].sum()).fillna(0).to_numpy(dtype=float)
    post = (k_lab + prior_labels * p) / (n_lab + prior_labels)
    post[has] = found[has]
    return post


@dataclass(frozen=True)
class QualityEstimate:
    """Clustered precision and recall at a threshold, estimated from the model and the labels.

    Attributes:
        threshold: The match-probability threshold.
        precision: Expected share of record pairs put in one cluster that are matches.
        recall: Expected share of matches among scored pairs that end up in one cluster.
        f1: Their harmonic mean.
        n_labels: Match and non-match labels on the model's scored pairs.
        n_matches: How many of those say match.
    """

    threshold: float
    precision: float
    recall: float
    f1: float
    n_labels: int
    n_matches: int


def _node_ids(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    left = pairs["source_dataset_l"].astype(str) + "\x1f" + pairs["unique_id_l"].astype(str)
    right = pairs["source_dataset_r"].astype(str) + "\x1f" + pairs["unique_id_r"].astype(str)
    codes, uniques = pd.factorize(pd.concat([left, right], ignore_index=True))
    n = len(pairs)
    return codes[:n], codes[n:], len(uniques)


def clustered_quality(
    pairs: pd.DataFrame, post: np.ndarray, thresholds: Sequence[float]
) -> pd.DataFrame:
    """Expected clustered precision, recall and F1 at each threshold, given match chances.

    Clustering at a threshold links every scored pair at or above it and, through chains, every pair
    of records in one cluster. Expected true links are the summed chances ``post`` of the scored
    pairs that end up inside a cluster; every within-cluster pair is a link (pairs never scored
    count as non-matches). Recall is over the summed chances of all scored pairs (as
    :func:`linkage.quality.evaluate.expected_cluster_quality`, whose chances are the model's own
    probabilities).

    Args:
        pairs: Scored pairs (id columns and ``match_probability``, the clustering score).
        post: Each pair's chance of being a match (:func:`posteriors`).
        thresholds: Match-probability thresholds.

    Returns:
        ``threshold``, ``precision``, ``recall``, ``f1``, ascending by threshold.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    score = pairs["match_probability"].to_numpy(dtype=float)
    left, right, n_nodes = _node_ids(pairs)
    total = float(np.nansum(post))
    rows = []
    for t in sorted(thresholds):
        on = score >= t
        graph = coo_matrix((np.ones(int(on.sum())), (left[on], right[on])), (n_nodes, n_nodes))
        _, labels = connected_components(graph, directed=False)
        sizes = np.bincount(labels)
        links = float((sizes * (sizes - 1) / 2).sum())
        tp = float(post[labels[left] == labels[right]].sum())
        precision = tp / links if links else 1.0
        recall = tp / total if total else 0.0
        f1 = 2 * tp / (links + total) if links + total else 0.0
        rows.append((float(t), precision, recall, f1))
    return pd.DataFrame(rows, columns=["threshold", "precision", "recall", "f1"])


def estimate_quality(
    pairs: pd.DataFrame, labels: pd.DataFrame | None, threshold: float
) -> QualityEstimate:
    """Estimated clustered precision, recall and F1 at ``threshold`` (:func:`clustered_quality`).

    Args:
        pairs: Scored pairs (``match_probability``, id columns, ``gamma_*`` levels).
        labels: Clerical labels so far.
        threshold: The match-probability threshold.

    Returns:
        The estimate, with how many labels it used.
    """
    post = posteriors(pairs, labels)
    row = clustered_quality(pairs, post, [threshold]).iloc[0]
    precision, recall, f1 = float(row["precision"]), float(row["recall"]), float(row["f1"])
    n_labels, n_matches = _labels_on(pairs, labels)
    return QualityEstimate(float(threshold), precision, recall, f1, n_labels, n_matches)


def _labels_on(pairs: pd.DataFrame, labels: pd.DataFrame | None) -> tuple[int, int]:
    known = _known(labels) if labels is not None else _known(pd.DataFrame())
    if known.empty or pairs.empty:
        return 0, 0
    on = known[among(known["_key"].to_numpy(), pair_keys(pairs))]
    return len(on), int((on["label"] >= 0.5).sum())


@dataclass(frozen=True)
class ThresholdFromLabels:
    """A threshold chosen with clerical labels.

    Attributes:
        threshold: The match probability to link at.
        estimate: Estimated quality there.
        reason: Why this threshold, in plain words.
    """

    threshold: float
    estimate: QualityEstimate
    reason: str


def threshold_from_labels(
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None,
    target_precision: float | None = None,
    grid: Sequence[float] = LABEL_THRESHOLD_GRID,
) -> ThresholdFromLabels:
    """The threshold with the best estimated F1, or the lowest meeting a target precision.

    Quality is estimated as :func:`estimate_quality` (clusters at each threshold, with the
    labels and each pattern's labelled match rate correcting the model's probabilities). On
    a tie the middle of the best thresholds is taken, in match weight.

    Args:
        pairs: Scored pairs (``match_probability``, id columns, ``gamma_*`` levels).
        labels: Clerical labels.
        target_precision: When given, the lowest threshold whose estimated precision
            reaches it (the best recall at that precision); when none does, the one with the
            highest precision.
        grid: Thresholds to choose among.

    Returns:
        The choice, its estimate and the reason.
    """
    post = posteriors(pairs, labels)
    n_labels, n_matches = _labels_on(pairs, labels)
    table = clustered_quality(pairs, post, grid)
    if target_precision is not None:
        ok = table[table["precision"] >= float(target_precision)]
        row = ok.iloc[0] if len(ok) else table.loc[table["precision"].idxmax()]
        reason = (
            f"the lowest threshold with estimated precision of at least {target_precision:.0%}"
            if len(ok)
            else f"no threshold reaches precision {target_precision:.0%}; the most precise one"
        )
    else:
        best = table["f1"].round(4).max()
        ties = table[table["f1"].round(4) == best]
        weights = [weight_of(t) for t in ties["threshold"]]
        middle = float(np.median(weights))
        row = ties.iloc[int(np.argmin([abs(w - middle) for w in weights]))]
        reason = "the best estimated F1"
    t = float(row["threshold"])
    estimate = QualityEstimate(
        t, float(row["precision"]), float(row["recall"]), float(row["f1"]), n_labels, n_matches
    )
    text = (
        f"Threshold {t:.4g}: {reason} (precision {estimate.precision:.1%}, recall "
        f"{estimate.recall:.1%} among scored pairs), from {n_labels:,} labels "
        f"({n_matches:,} matches) and the model's probabilities."
    )
    return ThresholdFromLabels(t, estimate, text)
