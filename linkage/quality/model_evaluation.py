"""A saved model measured against truth (truth datasets or column) or clerical labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from linkage.clusters.registry import get_model
from linkage.model.datasets import translated
from linkage.model.linkers import model_threshold, require_predictions
from linkage.quality.evaluate import (
    DEFAULT_THRESHOLDS,
    best_threshold,
    cluster_metrics,
    metrics_from_clerical_labels,
    pairwise_metrics,
    prediction_errors,
    threshold_chart,
)
from linkage.quality.truth import truth_for, truth_frame
from linkage.review.labels import load_labels
from linkage.review.pairs import order_columns
from workbench.linked_models import clusters_query
from workbench.sql import compose
from workbench.workspace import Workspace


@dataclass
class EvaluationResult:
    """A model measured against truth or clerical labels.

    Attributes:
        source: ``"truth"`` (truth datasets or a truth column) or ``"labels"`` (clerical).
        table: ``threshold``, ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1`` per
            threshold (``tn`` too for labels).
        best_threshold: The threshold with the highest F1.
        threshold: The model's current threshold.
        chart: Precision, recall and F1 against the threshold.
        false_positives: Pairs linked at the threshold that are not matches, all prediction
            columns kept (for waterfall charts).
        false_negatives: True matches not linked at the threshold; against truth, pairs
            blocking never generated are included with empty scores.
        cluster_metrics: Cluster precision, recall and F1 at the threshold (truth only).
    """

    source: str
    table: pd.DataFrame
    best_threshold: float
    threshold: float
    chart: alt.Chart
    false_positives: pd.DataFrame
    false_negatives: pd.DataFrame
    cluster_metrics: dict[str, float] = field(default_factory=dict)


def _label_keys(df: pd.DataFrame) -> pd.Series:
    a = df["source_dataset_l"].astype(str) + "\x1f" + df["unique_id_l"].astype(str)
    b = df["source_dataset_r"].astype(str) + "\x1f" + df["unique_id_r"].astype(str)
    return a.where(a < b, b) + "\x1e" + b.where(a < b, a)


def evaluation(ws: Workspace, model_id: str) -> EvaluationResult | None:
    """Measure a model against truth (truth datasets or column) or clerical labels.

    Args:
        ws: The workspace.
        model_id: The model.

    Returns:
        The threshold table, best threshold, chart and the false positives and negatives at
        the model's threshold; ``None`` when there is neither truth nor any clerical label.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    row = get_model(ws, model_id)
    pred = require_predictions(ws, model_id)
    threshold = model_threshold(row)
    thresholds = sorted({*DEFAULT_THRESHOLDS, threshold})
    names = list(row.get("datasets") or [])
    truth = truth_for(ws, names) if names else None
    with translated("Evaluating the model", "Check the truth datasets or clerical labels."):
        if truth is not None:
            t = truth_frame(truth)
            pairs = ws.query_df(compose("SELECT * FROM {pred}", pred=pred))
            table = pairwise_metrics(pairs, t, thresholds, link_type=row.get("link_type"))
            fp, fn = prediction_errors(pairs, t, threshold)
            clusters = ws.query_df(*clusters_query(model_id))
            cm = cluster_metrics(clusters, t) if not clusters.empty else {}
            return EvaluationResult(
                source="truth",
                table=table,
                best_threshold=best_threshold(table),
                threshold=threshold,
                chart=threshold_chart(table, threshold),
                false_positives=order_columns(fp),
                false_negatives=order_columns(fn),
                cluster_metrics=cm,
            )
        labels = load_labels(ws).dropna(subset=["label"])
        if labels.empty:
            return None
        pairs = ws.query_df(compose("SELECT * FROM {pred}", pred=pred))
        table = metrics_from_clerical_labels(pairs, labels, thresholds)
        pairs = pairs.assign(_key=_label_keys(pairs).to_numpy())
        lab = labels.assign(_key=_label_keys(labels).to_numpy())[["_key", "label"]]
        scored = lab.merge(pairs, on="_key", how="left")
        prob = scored["match_probability"].fillna(0.0)
        fp = scored[(prob >= threshold) & (scored["label"] == 0)]
        fn = scored[(prob < threshold) & (scored["label"] == 1)]
        for frame in (fp, fn):
            missing = frame["source_dataset_l"].isna()
            if missing.any():
                keys = frame.loc[missing, "_key"].str.split("\x1e")
                left = keys.str[0].str.split("\x1f")
                right = keys.str[1].str.split("\x1f")
                frame.loc[missing, "source_dataset_l"] = left.str[0]
                frame.loc[missing, "unique_id_l"] = left.str[1]
                frame.loc[missing, "source_dataset_r"] = right.str[0]
                frame.loc[missing, "unique_id_r"] = right.str[1]
        return EvaluationResult(
            source="labels",
            table=table,
            best_threshold=best_threshold(table),
            threshold=threshold,
            chart=threshold_chart(table, threshold),
            false_positives=order_columns(fp.drop(columns="_key").reset_index(drop=True)),
            false_negatives=order_columns(fn.drop(columns="_key").reset_index(drop=True)),
        )
