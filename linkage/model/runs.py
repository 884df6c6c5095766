"""Train a model on workspace datasets, score and cluster the records, measure it, save it.

:func:`train_and_save` is what the Train page and the command line call; :func:`save_run`
writes a model, its predictions and its clusters in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from linkage.backends import DEFAULT_BACKEND, get_backend
from linkage.clusters.registry import (
    PREDICTIONS_SCHEMA,
    data_fingerprint,
    has_active_model,
    new_model_id,
    predictions_table,
    write_clusters,
    write_model,
)
from linkage.data import PreparedInput, prepare_frames
from linkage.model.datasets import dataset_list, standardised_inputs, translated
from linkage.model.linkers import remember_linker
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import ClusterSummary
from linkage.model.train import TrainedModel
from linkage.quality.evaluate import (
    cluster_metrics,
    metrics_from_clerical_labels,
    pairwise_metrics,
    people_counts,
)
from linkage.quality.findings import HealthReport
from linkage.quality.health import check_model
from linkage.quality.truth import truth_for, truth_frame
from linkage.review.labels import load_labels
from linkage.service import RETENTION_MATCH_WEIGHT, fit_model, score_and_cluster
from workbench.errors import LinkageError
from workbench.sql import compose
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


@dataclass
class TrainingRun:
    """What :func:`train_and_save` did.

    Attributes:
        model_id: The id of the saved model version.
        summary: Cluster counts and sizes at the run's threshold.
        metrics: ``threshold``, ``n_pairs`` (pairs kept after scoring, at or above the
            retention cut), ``n_people`` and ``n_records_without_person`` (see
            :func:`linkage.quality.evaluate.people_counts`), ``truth_source`` (``truth``, ``labels``
            or ``None``) and, when truth or labels exist, ``pairwise_precision``,
            ``pairwise_recall``, ``pairwise_f1`` and (truth only) ``cluster_precision``,
            ``cluster_recall``, ``cluster_f1``, ``bcubed_f1``, ``n_clusters`` (clusters among
            records with a true person) and ``n_true_clusters``; ``health`` holds the model's health
            check (:meth:`linkage.quality.health.HealthReport.to_dict`), saved with the model.
        warnings: Plain-language warnings from training (EM not converging, for example).
        seconds: Wall-clock time of the whole run.
    """

    model_id: str
    summary: ClusterSummary
    metrics: dict[str, Any]
    warnings: list[str]
    seconds: float


def measure_run(
    pairs: Any,
    clusters: pd.DataFrame,
    truth: pd.DataFrame | None,
    labels: pd.DataFrame,
    threshold: float,
    link_type: str,
) -> dict[str, Any]:
    """A run's quality at its threshold, against truth if there is any, else clerical labels.

    Args:
        pairs: The scored pairs (at least the edge columns).
        clusters: The clusters made at the threshold.
        truth: :func:`linkage.quality.truth.truth_for` output, or ``None``.
        labels: The latest clerical labels (:func:`linkage.review.labels.load_labels`).
        threshold: The match probability at which records are linked.
        link_type: The model's link type.

    Returns:
        ``threshold`` and ``truth_source``, and pairwise (and against truth, cluster) metrics
        as :class:`TrainingRun` describes.
    """
    metrics: dict[str, Any] = {"threshold": threshold, "truth_source": None}
    if truth is not None:
        t = truth_frame(truth)
        pw = pairwise_metrics(pairs, t, [threshold], link_type=link_type).iloc[0]
        cm = cluster_metrics(clusters, t)
        metrics.update(
            truth_source="truth",
            pairwise_precision=float(pw["precision"]),
            pairwise_recall=float(pw["recall"]),
            pairwise_f1=float(pw["f1"]),
            cluster_precision=cm["pairwise_precision"],
            cluster_recall=cm["pairwise_recall"],
            cluster_f1=cm["pairwise_f1"],
            bcubed_f1=cm["bcubed_f1"],
            n_clusters=cm["n_clusters"],
            n_true_clusters=cm["n_true_clusters"],
        )
    elif not labels.dropna(subset=["label"]).empty:
        row = metrics_from_clerical_labels(pairs, labels, [threshold]).iloc[0]
        metrics.update(
            truth_source="labels",
            pairwise_precision=float(row["precision"]),
            pairwise_recall=float(row["recall"]),
            pairwise_f1=float(row["f1"]),
            n_labels=int(labels["label"].notna().sum()),
        )
    return metrics


def train_and_save(
    ws: Workspace,
    datasets: Sequence[str],
    spec: ModelSpec,
    *,
    name: str | None = None,
    threshold: float | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
    backend: str | None = None,
) -> TrainingRun:
    """Train a model, score and cluster the records, measure it, and save it as a version.

    The scored pairs keep Splink's intermediate columns (for waterfall charts). The model, its
    predictions and its clusters are written in one transaction, so a failed run leaves nothing
    behind. The new version becomes active when no model is active yet.

    Args:
        ws: The workspace.
        datasets: Dataset names.
        spec: The model to train (from
            :func:`linkage.model.datasets.suggest_for_datasets`, perhaps edited).
        name: A human name; by default the datasets and the time.
        threshold: Match probability at which records are linked; by default chosen from
            the model (:func:`linkage.quality.evaluate.choose_threshold`), the reason kept in the
            metrics as ``threshold_reason``.
        progress: Called with a message and the fraction done (0 to 1).
        actor: Who ran it, for the audit log.
        backend: ``duckdb`` (default) or ``spark``: where training and scoring run. Spark's
            scored pairs land as Parquet beside the workspace and are stored as the usual
            predictions table; the model is stored in DuckDB SQL either way, so every page
            works the same whichever backend trained it.

    Returns:
        The saved model's id, cluster summary, metrics, warnings and time taken.

    Raises:
        RoleError: When a dataset has no usable roles.
        LinkageError: When the model does not fit the data or a step fails.
    """
    start = time.perf_counter()
    names = dataset_list(datasets)
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise LinkageError(
            f"The threshold {threshold} is not a probability.",
            hint="Choose a match probability between 0 and 1.",
        )

    def report(message: str, fraction: float) -> None:
        log.info("%s (%.0f%%)", message, 100 * fraction)
        if progress is not None:
            progress(message, min(max(fraction, 0.0), 1.0))

    engine = get_backend(backend)
    engine.require()
    report("Standardising the datasets", 0.0)
    frames = standardised_inputs(ws, names)
    with translated("Preparing the data", "Check the datasets have records and roles."):
        data = prepare_frames(frames, names=names)
    with translated("Training", "Check the model's columns and blocking rules on the data."):
        model = fit_model(
            data,
            spec,
            backend=engine,
            progress=lambda m, f: report(m, 0.05 + 0.55 * f),
            work_dir=ws.path,
        )
    report("Scoring pairs", 0.62)
    with translated("Scoring pairs", "Retrain the model, or check the blocking rules."):
        linked = score_and_cluster(
            model,
            threshold=threshold,
            work_dir=ws.path,
            keep_pairs=True,
            threshold_match_weight=RETENTION_MATCH_WEIGHT,
        )
    report("Clustering", 0.8)
    table, edges, clusters = linked.pairs, linked.edges, linked.clusters
    threshold_reason = linked.threshold_reason
    if threshold is not None:
        threshold_reason = f"Threshold {float(threshold):g}, as chosen."
    threshold = linked.threshold
    summary = linked.summary
    report("Measuring quality", 0.85)
    with translated("Measuring the model", "Check the truth datasets or clerical labels."):
        metrics = measure_run(
            edges, clusters, truth_for(ws, names), load_labels(ws), threshold, spec.link_type
        )
    metrics["n_pairs"] = len(edges)
    metrics["retention_match_weight"] = RETENTION_MATCH_WEIGHT
    people = people_counts(clusters, data.frames)
    metrics["n_people"] = people["n_people"]
    metrics["n_records_without_person"] = people["n_records_without_person"]
    metrics["threshold_reason"] = threshold_reason
    report("Checking the model's health", 0.88)
    health = _check_health(model, edges, clusters, threshold)
    if health is not None:
        metrics["health"] = health.to_dict()
    if model.adjustments:
        metrics["parameter_adjustments"] = list(model.adjustments)
    if engine.name != DEFAULT_BACKEND:
        metrics["backend"] = engine.name
    report("Saving the model", 0.92)
    model_id = save_run(ws, model, data, table, clusters, metrics, names, name, threshold, actor)
    if engine.keeps_linker_in_process:  # a Spark model is rebuilt on DuckDB when a page needs it
        remember_linker(ws, model_id, model)
    seconds = time.perf_counter() - start
    report("Done", 1.0)
    log.info("trained and saved %s in %.1f s", model_id, seconds)
    return TrainingRun(
        model_id=model_id,
        summary=summary,
        metrics=metrics,
        warnings=list(model.warnings) + list(data.notes),
        seconds=seconds,
    )


def _check_health(
    model: TrainedModel, edges: pd.DataFrame, clusters: pd.DataFrame, threshold: float
) -> HealthReport | None:
    """The model's health check; a check that fails is logged and never stops the run."""
    try:
        return check_model(model, edges, clusters, threshold=threshold)
    except Exception:
        log.warning("the health check of a trained model failed", exc_info=True)
        return None


def save_run(
    ws: Workspace,
    model: TrainedModel,
    data: PreparedInput,
    table: Any,
    clusters: pd.DataFrame,
    metrics: dict[str, Any],
    names: list[str],
    name: str | None,
    threshold: float,
    actor: str | None,
    parent_model_id: str | None = None,
    notes: str | None = None,
) -> str:
    """Write the model, its predictions and its clusters in one transaction.

    The model becomes active when no model is active yet.

    Returns:
        The new model's id.
    """
    model_id = new_model_id()
    label = name or f"{' + '.join(names)} {utcnow():%Y-%m-%d %H:%M}"
    pred = predictions_table(model_id)
    with ws.transaction() as cur:
        activate = not has_active_model(cur)
        write_model(
            cur,
            model_id,
            model,
            name=label,
            actor=actor,
            threshold=float(threshold),
            metrics=metrics,
            activate=activate,
            datasets=names,
            fingerprint=data_fingerprint(data),
            parent_model_id=parent_model_id,
            notes=notes,
        )
        cur.execute(compose("CREATE SCHEMA IF NOT EXISTS {schema}", schema=PREDICTIONS_SCHEMA))
        cur.register("run_pairs", table)
        cur.execute(compose("CREATE TABLE {pred} AS SELECT * FROM run_pairs", pred=pred))
        cur.unregister("run_pairs")
        records = write_clusters(cur, model_id, clusters, threshold)
        ws.audit(
            "model.train",
            target=model_id,
            detail={
                "name": label,
                "datasets": names,
                "threshold": threshold,
                "pairs": metrics.get("n_pairs"),
                "records": records,
                "activated": bool(activate),
            },
            actor=actor,
            cur=cur,
        )
    return model_id
