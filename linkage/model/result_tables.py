"""Scored pairs and clusters trimmed and labelled for reading: pairs side by side, clusters worth
opening, the records of one cluster, and the notes and limits of the pair pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import LinkageError
from workbench.formatting import MISSING, cluster_label, format_number

_PAIR_META = ("source_dataset", "unique_id")
_HIDDEN_PREFIXES = ("gamma_", "bf_", "mw_", "tf_", "bf_tf_adj_")


def pair_view(pairs: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs trimmed for reading: score, ids, then each compared value left and right.

    Intermediate columns (comparison levels, Bayes factors, term frequencies) are left out.
    """
    keep = [c for c in ("match_weight", "match_probability") if c in pairs.columns]
    keep += [f"{m}_{s}" for m in _PAIR_META for s in ("l", "r") if f"{m}_{s}" in pairs.columns]
    values = [
        c[:-2]
        for c in pairs.columns
        if c.endswith("_l") and not c.startswith(_HIDDEN_PREFIXES) and c[:-2] not in _PAIR_META
    ]
    for value in values:
        keep += [c for c in (f"{value}_l", f"{value}_r") if c in pairs.columns]
    return pairs[keep].reset_index(drop=True)


def pair_label(row: Mapping[str, Any]) -> str:
    """A one-line label of a pair, e.g. ``12.3 · John Smith 1980-01-02 ↔ Jon Smith 1980-01-02``."""

    def side(s: str) -> str:
        parts = [row.get(f"{c}_{s}") for c in ("first_name", "surname", "dob", "postcode")]
        text = " ".join(_text(p) for p in parts if _text(p))
        return text or f"{row.get(f'source_dataset_{s}')}:{row.get(f'unique_id_{s}')}"

    weight = row.get("match_weight")
    score = f"{weight:.1f} · " if weight is not None and not pd.isna(weight) else ""
    return f"{score}{side('l')} ↔ {side('r')}"


def pair_side_by_side(row: Mapping[str, Any]) -> pd.DataFrame:
    """One pair as a table: a row per field (named in words) with the left and right record's
    values and whether they are the same (``same``, ``differs``, or ``missing`` when either
    record lacks the value: two blanks are no evidence the records agree)."""
    from linkage.model.patterns import field_title

    fields = [
        c[:-2] for c in row if str(c).endswith("_l") and not str(c).startswith(_HIDDEN_PREFIXES)
    ]
    data = [
        {
            "field": field_title(f),
            "left": _text(row.get(f"{f}_l")),
            "right": _text(row.get(f"{f}_r")),
        }
        for f in fields
    ]
    table = pd.DataFrame(data, columns=["field", "left", "right"])
    missing = (table["left"] == "") | (table["right"] == "")
    table["agree"] = np.where(
        missing, "missing", np.where(table["left"] == table["right"], "same", "differs")
    )
    return table


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def cluster_choices(
    clusters: pd.DataFrame, suspicious: pd.DataFrame | None = None, limit: int = 200
) -> dict[str, str]:
    """Clusters worth opening, as ``cluster_id`` -> label: suspicious ones, then the largest.

    Args:
        clusters: ``cluster_id`` per record (with ``cluster_size`` when known).
        suspicious: Output of ``linkage.model.predict.flag_suspicious_clusters``.
        limit: The most clusters listed.
    """
    sizes = clusters.groupby("cluster_id").size().sort_values(ascending=False)
    sizes = sizes[sizes > 1]
    out: dict[str, str] = {}
    if suspicious is not None:
        for row in suspicious.itertuples(index=False):
            out[str(row.cluster_id)] = (
                f"{cluster_label(row.cluster_id)} — {row.cluster_size} records, {row.reason}"
            )
    for cluster_id, size in sizes.items():
        if len(out) >= limit:
            break
        out.setdefault(str(cluster_id), f"{cluster_label(cluster_id)} — {size} records")
    return out


def metrics_at(table: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 from a threshold table at the row nearest ``threshold``."""
    if table.empty:
        return {"precision": float("nan"), "recall": float("nan"), "f1": float("nan")}
    nearest = (table["threshold"] - threshold).abs().idxmin()
    row = table.loc[nearest]
    return {k: float(row[k]) for k in ("precision", "recall", "f1")}


def scored_only(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs that have a match weight (those blocking generated and the model scored)."""
    if "match_weight" not in pairs.columns:
        return pairs.iloc[0:0]
    return pairs[pairs["match_weight"].notna()].reset_index(drop=True)


def cluster_members(clusters: pd.DataFrame, cluster_id: str, records: pd.DataFrame) -> pd.DataFrame:
    """The records of one cluster of an unsaved clustering, side by side.

    Args:
        clusters: ``source_dataset``, ``unique_id``, ``cluster_id`` per record (for example
            from ``linkage.clusters.recluster`` at a threshold not yet stored).
        cluster_id: The cluster to show.
        records: The model's standardised input records (``TrainedModel.data.combined()``).

    Raises:
        LinkageError: When there is no such cluster.
    """
    members = clusters.loc[
        clusters["cluster_id"].astype(str) == str(cluster_id), ["source_dataset", "unique_id"]
    ]
    if members.empty:
        raise LinkageError(f"There is no cluster {cluster_id!r} at this threshold.")
    members = members.assign(cluster_id=str(cluster_id))
    out = members.merge(records, on=["source_dataset", "unique_id"], how="left")
    return out.sort_values(["source_dataset", "unique_id"], ignore_index=True)


def weight_band_limits(
    low: float, high: float, cut: float, step: float = 0.5
) -> tuple[float, float]:
    """The ends of a weight-band control: from the retention cut (or the lowest weight kept,
    if higher) to the highest weight kept, on ``step`` boundaries, never empty."""
    import math

    start = math.floor(max(low, cut) / step) * step
    end = math.ceil(high / step) * step
    return start, max(end, start + step)


def kept_pairs_note(n_pairs: int, cut: float, cut_probability: float) -> str:
    """Why the Pairs page holds fewer pairs than blocking generated comparisons."""
    return (
        f"{n_pairs:,} pairs kept after scoring. Blocking generated more comparisons than this "
        "(the Configure page counts them); every comparison was scored, and pairs with a match "
        f"weight below {cut:g} (a match probability under {cut_probability:.0%}) were not "
        "kept, so the bands start there."
    )


def suspicious_view(suspicious: pd.DataFrame) -> pd.DataFrame:
    """Suspicious clusters for reading: named by their first record, density to two places,
    the cluster id last."""
    out = suspicious.copy()
    out.insert(0, "cluster", out["cluster_id"].map(cluster_label))
    out["density"] = out["density"].map(lambda v: format_number(v, 2))
    return out[["cluster", "cluster_size", "n_edges", "density", "reason", "cluster_id"]]


def mark_missing_values(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pair rows with empty record values (``*_l``/``*_r``) written ``missing``, so a waterfall
    shows "missing" rather than ``nan``; ids, levels, factors and scores are left alone."""
    out = pairs.copy()
    for column in out.columns:
        if not column.endswith(("_l", "_r")) or column.startswith(("gamma_", "bf_", "tf_")):
            continue
        if column.startswith(("source_dataset", "unique_id")):
            continue
        values = out[column]
        if values.isna().any() and not pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype(object).where(values.notna(), MISSING)
    return out
