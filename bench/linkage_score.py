"""The one scorer of the linkage benchmark suite: clusters against a truth column.

Both the workbench's output and the reference scripts' output are scored here, from the files
they write, so neither is judged by its own code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _pairs(sizes: np.ndarray) -> float:
    sizes = sizes.astype(np.float64)
    return float((sizes * (sizes - 1) / 2).sum())


def score_clusters(cluster_id: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Clustered pairwise and B-cubed precision, recall and F1.

    Pairwise: every pair of records in one predicted cluster is a predicted link; precision is
    the share of those pairs that are in one true cluster, recall the share of true pairs that
    are predicted. B-cubed: per record, precision is the share of its predicted cluster that
    is in its true cluster and recall the share of its true cluster in its predicted cluster,
    each averaged over records. A record with a missing ``cluster_id`` is a cluster of its own.

    Args:
        cluster_id: Predicted cluster of each record.
        truth: True entity of each record (same order and length).

    Returns:
        ``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``, ``bcubed_precision``,
        ``bcubed_recall``, ``bcubed_f1``, ``n_records``, ``n_clusters``, ``largest_cluster``.
    """
    if len(cluster_id) != len(truth):
        raise ValueError("cluster_id and truth differ in length")
    if len(truth) == 0:
        raise ValueError("nothing to score")
    pred = pd.Series(cluster_id).astype(object).to_numpy()
    missing = pd.isna(pred)
    pred = pred.astype(str).astype(object)
    pred[missing] = [f"__own_{i}" for i in np.flatnonzero(missing)]
    frame = pd.DataFrame({"pred": pred, "truth": pd.Series(truth).astype(str).to_numpy()})
    cell = frame.groupby(["pred", "truth"]).size()
    pred_size = frame.groupby("pred").size()
    true_size = frame.groupby("truth").size()
    tp, pp, tt = _pairs(cell.to_numpy()), _pairs(pred_size.to_numpy()), _pairs(true_size.to_numpy())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    n = cell.to_numpy().astype(np.float64)
    p_of = pred_size.reindex(cell.index.get_level_values("pred")).to_numpy().astype(np.float64)
    t_of = true_size.reindex(cell.index.get_level_values("truth")).to_numpy().astype(np.float64)
    total = float(len(frame))
    b_precision = float((n * n / p_of).sum() / total)
    b_recall = float((n * n / t_of).sum() / total)
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": _f1(precision, recall),
        "bcubed_precision": b_precision,
        "bcubed_recall": b_recall,
        "bcubed_f1": _f1(b_precision, b_recall),
        "n_records": int(total),
        "n_clusters": len(pred_size),
        "largest_cluster": int(pred_size.max()),
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def read_output(path: Path) -> pd.DataFrame:
    """A linker's output file (Parquet or CSV) as read for scoring."""
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return pd.read_parquet(path)


def score_with_truth_column(output: pd.DataFrame, truth_column: str) -> dict[str, float]:
    """Score an output that carries the truth column beside ``cluster_id`` (the CLI's)."""
    for column in ("cluster_id", truth_column):
        if column not in output.columns:
            raise ValueError(f"the output has no {column!r} column")
    return score_clusters(output["cluster_id"], output[truth_column])


def score_against(output: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Score an output of ``[source_dataset,] unique_id, cluster_id`` against a truth table.

    Args:
        output: One row per record; ``source_dataset`` may be left out for one input.
        truth: ``source_dataset``, ``unique_id`` (text) and ``truth`` for every record.

    Raises:
        ValueError: When the output misses records, repeats them or names unknown ones.
    """
    out = output.copy()
    if "source_dataset" not in out.columns:
        if truth["source_dataset"].nunique() != 1:
            raise ValueError("the output has no source_dataset column but there are several inputs")
        out["source_dataset"] = truth["source_dataset"].iloc[0]
    out["unique_id"] = out["unique_id"].astype(str)
    out["source_dataset"] = out["source_dataset"].astype(str)
    keys = ["source_dataset", "unique_id"]
    if out.duplicated(keys).any():
        raise ValueError("the output repeats records")
    merged = truth.merge(out[[*keys, "cluster_id"]], on=keys, how="left", indicator=True)
    lost = int((merged["_merge"] == "left_only").sum())
    if lost:
        raise ValueError(f"the output lacks {lost:,} of {len(truth):,} records")
    if len(out) != len(truth):
        raise ValueError(f"the output has {len(out) - len(truth):,} records not in the input")
    return score_clusters(merged["cluster_id"], merged["truth"])
