"""Link datasets end to end: suggest or load a model, train, score, cluster, measure.

This is what the command line's ``workbench link`` runs, and the one-call path for scripts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linkage.backends import Backend, get_backend
from linkage.data import FrameLike, PreparedInput, prepare_frames
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import (
    EDGE_COLUMNS,
    ClusterSummary,
    cluster_at_threshold,
    nodes_from_model,
    summarise_clusters,
)
from linkage.model.suggest import suggest_model
from linkage.model.train import Progress, TrainedModel, build_linker, train_model
from linkage.quality.evaluate import (
    choose_threshold,
    cluster_metrics,
    pairwise_metrics,
    truth_from_frames,
)
from workbench.errors import LinkageError

log = logging.getLogger(__name__)

#: Pairs scoring a match weight below this are not kept after scoring (a match probability
#: of about 6%): blocking generates many more comparisons than are stored.
RETENTION_MATCH_WEIGHT = -4.0


@dataclass
class LinkResult:
    """What :func:`link_frames` produced.

    Attributes:
        clusters: ``source_dataset``, ``unique_id``, ``cluster_id`` per record.
        model: The trained (or loaded) model.
        pairs: The scored pairs: ids, match weight and match probability.
        summary: Cluster counts and sizes.
        threshold: The match probability used.
        metrics: Quality against the truth column, when one was given.
        threshold_reason: Why that threshold, in plain words.
    """

    clusters: pd.DataFrame
    model: TrainedModel
    pairs: pd.DataFrame
    summary: ClusterSummary
    threshold: float
    metrics: dict[str, Any] = field(default_factory=dict)
    threshold_reason: str = ""


_COL_L = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)_l"?\b')
_COL_DOT = re.compile(r'\b[lr]\."?([A-Za-z_][A-Za-z0-9_]*)"?')


def _columns_in_settings(settings: dict[str, Any]) -> set[str]:
    """Input columns named in a Splink settings dict's comparisons and blocking rules."""
    cols: set[str] = set()
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            sql = str(level.get("sql_condition", ""))
            cols |= set(_COL_L.findall(sql))
            cols |= set(_COL_DOT.findall(sql))
    for rule in settings.get("blocking_rules_to_generate_predictions", []):
        sql = rule.get("blocking_rule", "") if isinstance(rule, dict) else str(rule)
        cols |= set(_COL_DOT.findall(sql))
    return cols


def load_model_json(
    path: str | Path | dict[str, Any],
    frames: Sequence[FrameLike] | FrameLike | PreparedInput,
    backend: str | Backend | None = None,
) -> TrainedModel:
    """Load a Splink model JSON (saved by the workbench or by plain Splink) for this data.

    A model trained on either backend loads on either: its SQL is translated to the
    backend's dialect (:func:`linkage.model.dialects.translate_settings`).

    Args:
        path: The JSON file, or its parsed contents.
        frames: The standardised inputs it will score.
        backend: ``duckdb`` (default) or ``spark``: where the loaded model runs.

    Returns:
        A model ready to score pairs (no training is run).

    Raises:
        LinkageError: When the file is missing or not JSON, or the model compares or blocks on
            columns the data lacks.
    """
    if isinstance(path, dict):
        settings = path
    else:
        try:
            settings = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise LinkageError(f"There is no model file {path}.") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise LinkageError(
                f"The model file {path} cannot be read as JSON: {exc}.",
                hint="Use a model saved by the workbench or by Splink's save_model_to_json.",
            ) from exc
    if not isinstance(settings, dict) or "comparisons" not in settings:
        raise LinkageError(
            "The model file is not a Splink model: it has no comparisons.",
            hint="Use a model saved by the workbench or by Splink's save_model_to_json.",
        )
    data = frames if isinstance(frames, PreparedInput) else prepare_frames(frames)
    available = set(data.frames[0].columns)
    needed = _columns_in_settings(settings) - {"unique_id", "source_dataset"}
    missing = sorted(c for c in needed if c not in available)
    if missing:
        raise LinkageError(
            "The model does not fit the data: it uses the column(s) "
            + ", ".join(missing)
            + " which the data lacks.",
            hint="Map those roles on the datasets, or train a new model for this data.",
        )
    link_type = settings.get("link_type", "dedupe_only")
    if link_type != "dedupe_only" and len(data.frames) < 2:
        settings = {**settings, "link_type": "dedupe_only"}
    linker, api = build_linker(data, settings, backend=backend)
    return TrainedModel(linker=linker, db_api=api, spec=None, data=data)


@dataclass
class Linked:
    """A model's pairs scored and its records clustered (see :func:`score_and_cluster`).

    Attributes:
        pairs: Every kept pair with Splink's intermediate columns, as an Arrow table; ``None``
            unless asked for.
        edges: The pair columns clustering and measuring read.
        threshold: The match probability the clusters were cut at.
        threshold_reason: Why that threshold, in plain words.
        clusters: ``source_dataset``, ``unique_id``, ``cluster_id`` per record.
        summary: Cluster counts and sizes.
    """

    pairs: Any
    edges: pd.DataFrame
    threshold: float
    threshold_reason: str
    clusters: pd.DataFrame
    summary: ClusterSummary


def fit_model(
    data: PreparedInput,
    spec: ModelSpec,
    *,
    backend: str | Backend | None = None,
    progress: Progress | None = None,
    work_dir: str | Path | None = None,
) -> TrainedModel:
    """Train a model for linking: the one training path of the app, the command line and scripts.

    Every caller trains with the same settings: a fresh database API from the backend (its
    memory, spill and thread settings), Splink's intermediate columns kept for scoring (the
    app's waterfall charts need them; they do not change training) and the spec's own
    training plan. Training is deterministic (see :func:`linkage.model.train.train_model`), so the
    same data and spec give the same model whichever path trained it.

    Args:
        data: The prepared input.
        spec: The model specification.
        backend: ``duckdb`` (default), ``spark`` or a :class:`~linkage.backends.Backend`.
        progress: Called with a message and the fraction done after each step.
        work_dir: The workspace file or folder (Spark's temporary folder goes beside it).

    Raises:
        LinkageError: When the backend is unavailable, or the spec does not fit the data or a
            training step fails.
    """
    engine = get_backend(backend)
    engine.require()
    return train_model(
        data, spec, progress=progress, db_api=engine.make_api(work_dir), keep_intermediate=True
    )


def score_and_cluster(
    model: TrainedModel,
    *,
    threshold: float | None = None,
    work_dir: str | Path | None = None,
    keep_pairs: bool = False,
    threshold_match_weight: float = RETENTION_MATCH_WEIGHT,
) -> Linked:
    """Score every blocked pair on the model's backend, choose the threshold and cluster.

    Args:
        model: A trained or loaded model.
        threshold: Match probability at which records are linked; by default chosen from the
            pairs (:func:`linkage.quality.evaluate.choose_threshold`).
        work_dir: The workspace file or folder (Spark's scored pairs land beside it).
        keep_pairs: Keep every scored pair with its intermediate columns (as Arrow), for
            storing; otherwise only the edges leave the backend.
        threshold_match_weight: Pairs scoring below this are not kept.

    Raises:
        LinkageError: When the pairs cannot be scored.
    """
    scored = model.engine.score(model, threshold_match_weight, work_dir)
    try:
        pairs = scored.relation.to_arrow_table() if keep_pairs else None
        edges = scored.relation.project(", ".join(EDGE_COLUMNS)).df()
    finally:
        scored.discard()
    if threshold is None:
        choice = choose_threshold(edges)
        threshold, reason = choice.threshold, choice.reason
    else:
        reason = f"Threshold {float(threshold):g}, as given."
    clusters = cluster_at_threshold(edges, nodes_from_model(model), threshold)
    return Linked(
        pairs=pairs,
        edges=edges,
        threshold=threshold,
        threshold_reason=reason,
        clusters=clusters,
        summary=summarise_clusters(clusters),
    )


def link_frames(
    frames: Sequence[FrameLike] | FrameLike,
    *,
    link_type: str | None = None,
    model_json: str | Path | None = None,
    threshold: float | None = None,
    labels_column: str | None = None,
    progress: Progress | None = None,
    backend: str | None = None,
    work_dir: str | Path | None = None,
) -> LinkResult:
    """Link standardised datasets: suggest and train a model (or load one), score, cluster.

    Training and scoring are those of the app's Train page (:func:`fit_model`,
    :func:`score_and_cluster`), so the same data gives the same clusters either way.

    Args:
        frames: One standardised table per input dataset.
        link_type: As for :func:`linkage.model.suggest.suggest_model`.
        model_json: A saved model to use instead of training one.
        threshold: Match probability at which records are linked; by default chosen from
            the model (:func:`linkage.quality.evaluate.choose_threshold`).
        labels_column: A column holding the true person id, for measuring quality only (it is
            never used by the model).
        progress: Called with a message and the fraction done.
        backend: ``duckdb`` (default) or ``spark``: where training and scoring run. On Spark
            the scored pairs land as Parquet (under ``work_dir``) and are read back by DuckDB;
            clustering and measuring are the same for both.
        work_dir: Spark's temporary folder's base
            (see :func:`linkage.engines.spark.spark_temp_dir`).

    Returns:
        The clusters, model, scored pairs, summary and (with labels) metrics.

    Raises:
        LinkageError: For any input, model or training problem, with advice.
    """
    engine = get_backend(backend)
    engine.require()
    data = prepare_frames(frames)
    if model_json is not None:
        model = load_model_json(model_json, data, backend=engine)
    else:
        spec = suggest_model(data, link_type=link_type)
        if labels_column and labels_column in spec.columns():
            raise LinkageError(
                f"The truth column {labels_column!r} is also a model column.",
                hint="The truth must not be used by the model: name another column.",
            )

        def scaled(message: str, fraction: float) -> None:
            if progress is not None:
                progress(message, 0.8 * fraction)

        model = fit_model(data, spec, backend=engine, progress=scaled, work_dir=work_dir)
    if progress is not None:
        progress("Scoring pairs", 0.85)
    linked = score_and_cluster(model, threshold=threshold, work_dir=work_dir)
    if progress is not None:
        progress("Clustering", 0.95)
    pairs, clusters, threshold = linked.edges, linked.clusters, linked.threshold
    metrics: dict[str, Any] = {}
    if labels_column:
        truth = truth_from_frames(data.frames, labels_column)
        lt = model.linker.misc.save_model_to_json().get("link_type", "dedupe_only")
        pw = pairwise_metrics(pairs, truth, [threshold], link_type=lt).iloc[0]
        metrics = {
            "pairwise_precision": float(pw["precision"]),
            "pairwise_recall": float(pw["recall"]),
            "pairwise_f1": float(pw["f1"]),
            **{f"cluster_{k}": v for k, v in cluster_metrics(clusters, truth).items()},
        }
    if progress is not None:
        progress("Done", 1.0)
    return LinkResult(
        clusters=clusters[["source_dataset", "unique_id", "cluster_id"]],
        model=model,
        pairs=pairs,
        summary=linked.summary,
        threshold=threshold,
        metrics=metrics,
        threshold_reason=linked.threshold_reason,
    )
