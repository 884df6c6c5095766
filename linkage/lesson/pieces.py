"""Pieces every lesson step shares: scores against the truth, pairs whose status changed,
records side by side and the waterfall chart of one pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from linkage.charts import waterfall_chart
from linkage.lesson.models import LINK_TYPE, LOCK, SEP, Scored, lesson_data
from linkage.quality.evaluate import (
    pairwise_metrics,
)
from workbench.charts import accessible_palette, titled
from workbench.errors import LinkageError


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 against the truth."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def scores_at(scored: Scored | pd.DataFrame, threshold: float) -> Scores:
    """Pairwise scores of stored predictions at a match probability threshold."""
    pairs = scored.pairs if isinstance(scored, Scored) else scored
    row = pairwise_metrics(pairs, lesson_data().truth, [threshold], LINK_TYPE).iloc[0]
    return Scores(
        float(row["precision"]),
        float(row["recall"]),
        float(row["f1"]),
        int(row["tp"]),
        int(row["fp"]),
        int(row["fn"]),
    )


def scores_from_links(linked: pd.DataFrame) -> Scores:
    """Scores of a set of links (pairs with ``is_match``) against every true pair."""
    total = lesson_data().n_true_pairs
    tp = int(linked["is_match"].sum())
    fp = len(linked) - tp
    precision = tp / len(linked) if len(linked) else 1.0
    recall = tp / total if total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp, fp, total - tp)


def records_side_by_side(pairs: pd.DataFrame) -> pd.DataFrame:
    """Readable ``left`` and ``right`` record descriptions of pairs."""
    records = lesson_data().records.copy()
    records["key"] = records["source_dataset"].astype(str) + SEP + records["unique_id"]
    text = records.set_index("key").apply(_describe_record, axis=1)
    left = pairs["source_dataset_l"].astype(str) + SEP + pairs["unique_id_l"].astype(str)
    right = pairs["source_dataset_r"].astype(str) + SEP + pairs["unique_id_r"].astype(str)
    return pd.DataFrame(
        {
            "record_1": text.reindex(left).to_numpy(),
            "record_2": text.reindex(right).to_numpy(),
        },
        index=pairs.index,
    )


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if hasattr(value, "date"):
        return str(value.date())
    return str(value)


def _describe_record(row: pd.Series) -> str:
    show = _show
    dob_text = show(row.get("dob"))
    # Name, date of birth, postcode: short enough for two records and what differs between
    # them to sit side by side in one table row without scrolling.
    return (
        f"{row['source_dataset']}: {show(row.get('first_name'))} {show(row.get('surname'))}, "
        f"{dob_text}, {show(row.get('postcode'))}"
    )


def changed_pairs(
    before: Scored, after: Scored, threshold_before: float, threshold_after: float
) -> pd.DataFrame:
    """Pairs linked under one setting and not the other, each with what the change means.

    A pair absent from a variant's predictions (blocking did not generate it) counts as not
    linked there.

    Args:
        before: The starting setting's scored pairs.
        after: The current setting's scored pairs.
        threshold_before: The starting match probability threshold.
        threshold_after: The current threshold.

    Returns:
        ``pair_key``, ``record_1``, ``record_2``, ``is_match``, ``probability_before``,
        ``probability_after``, ``linked_before``, ``linked_after`` and ``change`` (plain words),
        true matches first.
    """
    b = before.pairs.set_index("pair_key")["match_probability"]
    a = after.pairs.set_index("pair_key")["match_probability"]
    keys = b.index.union(a.index)
    pb = b.reindex(keys)
    pa = a.reindex(keys)
    linked_b = (pb >= threshold_before).fillna(False).to_numpy(dtype=bool)
    linked_a = (pa >= threshold_after).fillna(False).to_numpy(dtype=bool)
    differ = linked_b != linked_a
    if not differ.any():
        return pd.DataFrame(
            columns=[
                "pair_key",
                "record_1",
                "record_2",
                "is_match",
                "probability_before",
                "probability_after",
                "linked_before",
                "linked_after",
                "change",
            ]
        )
    source = pd.concat([after.pairs, before.pairs]).drop_duplicates("pair_key")
    rows = source.set_index("pair_key").loc[keys[differ]].reset_index()
    out = pd.concat(
        [rows[["pair_key", "is_match"]], records_side_by_side(rows)], axis=1
    ).reset_index(drop=True)
    out["probability_before"] = pb.loc[keys[differ]].to_numpy()
    out["probability_after"] = pa.loc[keys[differ]].to_numpy()
    out["linked_before"] = linked_b[differ]
    out["linked_after"] = linked_a[differ]
    out["change"] = [
        _change_text(bool(m), bool(la))
        for m, la in zip(out["is_match"], out["linked_after"], strict=True)
    ]
    return out.sort_values(["is_match", "probability_after"], ascending=False).reset_index(
        drop=True
    )


def _change_text(is_match: bool, linked_now: bool) -> str:
    if linked_now:
        return "Now linked: a true match found" if is_match else "Now linked: a false match"
    return "No longer linked: a true match lost" if is_match else "No longer linked: error avoided"


def explain_pair(scored: Sequence[Scored], pair_key: str) -> alt.TopLevelMixin:
    """The waterfall chart of a pair: how each comparison moved its match weight.

    Args:
        scored: Variants to look in, in order of preference (the current setting first).
        pair_key: The pair's ``pair_key``.

    Raises:
        LinkageError: When no variant scored the pair (blocking never generated it).
    """
    for variant in scored:
        rows = variant.pairs[variant.pairs["pair_key"] == pair_key]
        if not rows.empty:
            with LOCK:
                chart = waterfall_chart(variant.model, rows.drop(columns=["pair_key", "is_match"]))
            return chart
    raise LinkageError(
        "This pair was never compared, so it has no score to explain.",
        hint="Blocking did not generate it: no blocking rule puts its two records together.",
    )


def scores_chart(rows: list[tuple[str, Scores]], title: str, subtitle: str) -> alt.Chart:
    """Grouped bars of precision, recall and F1 for each named setting."""
    data = pd.DataFrame(
        [
            {"setting": name, "measure": m, "value": getattr(s, m.lower())}
            for name, s in rows
            for m in ("Precision", "Recall", "F1")
        ]
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Score (1 is perfect)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("setting:N", title=None, sort=[n for n, _ in rows]),
            yOffset=alt.YOffset("measure:N", sort=["Precision", "Recall", "F1"]),
            color=alt.Color(
                "measure:N",
                title="Measure",
                sort=["Precision", "Recall", "F1"],
                scale=alt.Scale(range=accessible_palette()[:3]),
            ),
            tooltip=["setting:N", "measure:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    return titled(chart, title, subtitle)
