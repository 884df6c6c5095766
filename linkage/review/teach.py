"""Let clerical labels (or the truth) teach a saved model: re-estimate m and the threshold.

The taught model is saved as a new version with its parent; it is not made active.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from linkage.clusters.registry import get_model
from linkage.data import prepare_frames
from linkage.model.datasets import standardised_inputs, translated
from linkage.model.linkers import remember_linker, require_predictions, stored_predictions
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import (
    EDGE_COLUMNS,
    cluster_at_threshold,
    nodes_from_model,
    predict_pairs,
)
from linkage.model.runs import measure_run, save_run
from linkage.quality.evaluate import people_counts
from linkage.quality.truth import truth_for
from linkage.review.labels import REQUIRED_LABEL_COLUMNS, load_labels, model_labels
from linkage.service import RETENTION_MATCH_WEIGHT, load_model_json
from workbench.errors import LinkageError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace


@dataclass
class TaughtModel:
    """A model version re-estimated from labels (see :func:`teach_model`).

    Attributes:
        model_id: The new version.
        parent_model_id: The version it was taught from.
        source: ``labels`` (clerical labels) or ``truth`` (the datasets' truth).
        n_labels: Labels used (match and non-match; for truth, scored pairs with a truth).
        n_matches: Matching pairs the m values were estimated from.
        threshold: The threshold chosen from the labels.
        threshold_reason: Why, in plain words.
        m_changes: Per comparison level: ``m_before``, ``m_labels``, ``m_after``.
        metrics: The new version's metrics (as :func:`linkage.model.runs.train_and_save`).
    """

    model_id: str
    parent_model_id: str
    source: str
    n_labels: int
    n_matches: int
    threshold: float
    threshold_reason: str
    m_changes: pd.DataFrame
    metrics: dict[str, Any]


def _truth_pairs(truth: pd.DataFrame, link_type: str | None, limit: int) -> pd.DataFrame:
    """Every pair of records the truth says are one person (at most ``limit``)."""
    t = truth.dropna(subset=["person_id"])
    con = duckdb.connect()
    try:
        con.register("t", t)
        cross = Sql("AND a.source_dataset <> b.source_dataset" if link_type == "link_only" else "")
        sql = compose(
            "SELECT a.source_dataset AS source_dataset_l, a.unique_id AS unique_id_l, "
            "b.source_dataset AS source_dataset_r, b.unique_id AS unique_id_r FROM t a JOIN t b "
            "ON a.person_id = b.person_id AND (a.source_dataset, a.unique_id) < "
            "(b.source_dataset, b.unique_id) {cross} "
            "ORDER BY hash(a.unique_id, b.unique_id) LIMIT ?",
            cross=cross,
        )
        return con.execute(sql, [int(limit)]).df()
    finally:
        con.close()


def _truth_labels(pairs: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The scored pairs labelled by the truth (pairs with a record of no person left out)."""
    person = truth.set_index(truth["source_dataset"] + "\x1f" + truth["unique_id"])["person_id"]
    left = (pairs["source_dataset_l"] + "\x1f" + pairs["unique_id_l"].astype(str)).map(person)
    right = (pairs["source_dataset_r"] + "\x1f" + pairs["unique_id_r"].astype(str)).map(person)
    known = left.notna() & right.notna()
    out = pairs.loc[known, REQUIRED_LABEL_COLUMNS[:4]].copy()
    out["label"] = (left[known] == right[known]).astype(int).to_numpy()
    return out.reset_index(drop=True)


def teach_model(
    ws: Workspace,
    model_id: str,
    *,
    source: Literal["labels", "truth"] = "labels",
    target_precision: float | None = None,
    prior_pairs: float | None = None,
    name: str | None = None,
    actor: str | None = None,
    max_truth_pairs: int = 200_000,
) -> TaughtModel:
    """Let labels teach a model: re-estimate its m values and threshold, save a new version.

    From clerical labels, each level's m moves by as much as the labels move the expected
    number of matches at that level among the scored pairs
    (:func:`linkage.review.relearn.relearn_m_from_review`: the labelled pairs were chosen for
    being borderline, so they are not counted as a sample of matches); from a truth, m is
    Splink's ``estimate_m_from_pairwise_labels`` over the true pairs
    (:func:`linkage.review.relearn.relearn_m`). The pairs are scored again and the threshold
    is the one with the best F1 estimated from the labels and the new scores (or the lowest
    reaching ``target_precision``; see :func:`linkage.review.active.threshold_from_labels`).
    The version is saved with its parent, a note of how many labels it used, and is not made
    active.

    Args:
        ws: The workspace.
        model_id: The model to start from.
        source: ``labels`` (clerical labels of the model's datasets) or ``truth`` (every
            pair the truth datasets or truth column say is one person; the truth is never a
            model input).
        target_precision: Choose the threshold for this estimated precision instead of F1.
        prior_pairs: With ``truth``, how many matching pairs the current m values are worth
            (none by default: the truth decides).
        name: The new version's name; by default the parent's with "taught by N labels".
        actor: Who did it, for the audit log.
        max_truth_pairs: Most matching pairs taken from the truth.

    Returns:
        The new version, its threshold and reason, and how m moved.

    Raises:
        LinkageError: When there are no labelled matches (or no truth), or a step fails.
    """
    from linkage.review.active import threshold_from_labels
    from linkage.review.relearn import relearn_m, relearn_m_from_review

    row = get_model(ws, model_id)
    require_predictions(ws, model_id)
    names = list(row.get("datasets") or [])
    link_type = row.get("link_type")
    truth = truth_for(ws, names) if names else None
    if source == "truth":
        if truth is None:
            raise LinkageError(
                "These datasets have no truth to learn from.",
                hint="Mark a truth column on the Evaluate page, or learn from clerical labels.",
            )
        matches = _truth_pairs(truth, link_type, max_truth_pairs)
        prior = 0.0 if prior_pairs is None else float(prior_pairs)
    elif source == "labels":
        labels = model_labels(ws, names).dropna(subset=["label"])
        matches = labels[labels["label"] == 1]
        prior = None  # no prior: clerical labels are weighed against every scored pair
    else:
        raise LinkageError(f"Unknown label source {source!r}.", hint="Use labels or truth.")
    if matches.empty:
        raise LinkageError(
            "No labelled pair is a match yet, so the labels cannot teach the model.",
            hint="Label more pairs on the Review page (some must be matches).",
        )
    frames = standardised_inputs(ws, names)
    with translated("Re-estimating from labels", "Check the labelled pairs and the model."):
        data = prepare_frames(frames, names=names)
        model = load_model_json(row["settings"], data)
        if row.get("spec"):
            model.spec = ModelSpec.from_dict(row["spec"])
        if prior is None:
            m_changes = relearn_m_from_review(model, stored_predictions(ws, model_id), labels)
        else:
            m_changes = relearn_m(model, matches, prior_pairs=prior)
        rel = predict_pairs(model, threshold_match_weight=RETENTION_MATCH_WEIGHT, as_pandas=False)
        if isinstance(rel, duckdb.DuckDBPyRelation):
            table = rel.to_arrow_table()
            pairs = table.to_pandas()
        else:  # one input: the pairs come back as a frame with source_dataset added
            table = pairs = rel
        edges = pairs[EDGE_COLUMNS]
        if source == "truth":
            labels = _truth_labels(pairs, truth)
        choice = threshold_from_labels(pairs, labels, target_precision=target_precision)
        threshold = choice.threshold
        nodes = nodes_from_model(model)
        clusters = cluster_at_threshold(edges, nodes, threshold)
        metrics = measure_run(edges, clusters, truth, load_labels(ws), threshold, str(link_type))
    n_labels = int(labels["label"].notna().sum())
    note = (
        f"Taught by {n_labels:,} {'truth-labelled pairs' if source == 'truth' else 'labels'} "
        f"({len(matches):,} matches re-estimated m) from model {row.get('name') or model_id}."
    )
    metrics.update(
        n_pairs=len(edges),
        retention_match_weight=RETENTION_MATCH_WEIGHT,
        threshold_reason=choice.reason,
        taught={
            "source": source,
            "parent_model_id": model_id,
            "labels_used": n_labels,
            "matches_used": len(matches),
            "prior_pairs": prior,
            "target_precision": target_precision,
            "estimated_precision": choice.estimate.precision,
            "estimated_recall": choice.estimate.recall,
        },
    )
    people = people_counts(clusters, data.frames)
    metrics["n_people"] = people["n_people"]
    metrics["n_records_without_person"] = people["n_records_without_person"]
    label = name or f"{row.get('name') or model_id} taught by {n_labels:,} labels"
    new_id = save_run(
        ws,
        model,
        data,
        table,
        clusters,
        metrics,
        names,
        label,
        threshold,
        actor,
        parent_model_id=model_id,
        notes=note,
    )
    remember_linker(ws, new_id, model)
    ws.audit(
        "model.teach",
        target=new_id,
        detail={"parent": model_id, "source": source, "labels": n_labels},
        actor=actor,
    )
    return TaughtModel(
        model_id=new_id,
        parent_model_id=model_id,
        source=source,
        n_labels=n_labels,
        n_matches=len(matches),
        threshold=threshold,
        threshold_reason=choice.reason,
        m_changes=m_changes,
        metrics=metrics,
    )
