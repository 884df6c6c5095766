"""The workspace-level linkage workflow: what the Link pages and the command line call.

Each function takes a :class:`~workbench.workspace.Workspace` and dataset names or a model id,
and composes the linkage library (suggest, train, predict, evaluate, registry) over the
workspace's stored data, column roles, models, predictions, clusters and clerical labels.

Model ids are the registry's text ids (``m_YYYYMMDD_HHMMSS_xxxxxx``). Every failure reaches the
caller as a :class:`~workbench.errors.WorkbenchError` with a hint; Splink and DuckDB exceptions
are translated here.
"""

from __future__ import annotations

import datetime
import io
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import altair as alt
import duckdb
import pandas as pd

from linkage.backends import DEFAULT_BACKEND, get_backend
from linkage.clusters.registry import (
    LABEL_INSERT,
    PREDICTIONS_SCHEMA,
    active_model_id,
    add_label,
    data_fingerprint,
    get_model,
    load_labels,
    new_model_id,
    predictions_table,
    store_clusters,
    write_clusters,
    write_model,
)
from linkage.data import PreparedInput, prepare_frames
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import (
    EDGE_COLUMNS,
    ClusterSummary,
    cluster_at_threshold,
    nodes_from_model,
    predict_pairs,
    summarise_clusters,
)
from linkage.model.suggest import suggest_model
from linkage.model.train import (
    EMSessionSummary,
    TrainedModel,
    restore_parameter_history,
)
from linkage.quality.evaluate import (
    DEFAULT_THRESHOLDS,
    best_threshold,
    cluster_metrics,
    metrics_from_clerical_labels,
    pairwise_metrics,
    people_counts,
    prediction_errors,
    threshold_chart,
)
from linkage.quality.findings import HealthReport
from linkage.quality.health import check_model
from linkage.service import (
    RETENTION_MATCH_WEIGHT,
    fit_model,
    load_model_json,
    score_and_cluster,
)
from workbench.errors import LinkageError, Problem, RoleError, ValidationError, WorkbenchError
from workbench.persons.roles import PERSON_ROLES, Role, load_roles
from workbench.persons.standardise import standardise_dataset
from workbench.safe_csv import frame_to_csv, unescape_cell
from workbench.sql import qualified, quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: Column names taken as a truth (true person id) column when a dataset has one.
TRUTH_COLUMN_NAMES = ("cluster", "person_id", "true_id")
#: Columns of a truth dataset that are never its record key.
_TRUTH_VALUE_COLUMNS = {"person_id", "case_id", "cluster", "true_id"}
_DRAFT_PREFIX = "linkage.draft."
_TRUTH_SETTING_PREFIX = "linkage.truth_column."
_CACHE_SIZE = 3
_LABEL_COLUMNS = [
    "source_dataset_l",
    "unique_id_l",
    "source_dataset_r",
    "unique_id_r",
    "label",
    "reviewer",
    "labelled_at",
    "model_id",
    "match_probability_shown",
    "note",
]
_REQUIRED_LABEL_COLUMNS = _LABEL_COLUMNS[:5]


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
            check (:meth:`linkage.quality.findings.HealthReport.to_dict`), saved with the model.
        warnings: Plain-language warnings from training (EM not converging, for example).
        seconds: Wall-clock time of the whole run.
    """

    model_id: str
    summary: ClusterSummary
    metrics: dict[str, Any]
    warnings: list[str]
    seconds: float


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


# ------------------------------------------------------------------------------ helpers
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _translated(what: str, hint: str) -> Iterator[None]:
    """Turn any non-workbench exception raised in the block into a LinkageError."""
    try:
        yield
    except WorkbenchError:
        raise
    except Exception as exc:
        log.exception("%s failed", what)
        raise LinkageError(f"{what} failed: {_first_line(exc)}", hint=hint) from exc


def _dataset_list(datasets: Sequence[str] | str) -> list[str]:
    names = [datasets] if isinstance(datasets, str) else list(datasets)
    if not names:
        raise LinkageError("No datasets were chosen.", hint="Choose at least one dataset to link.")
    if len(set(names)) != len(names):
        raise LinkageError(
            "A dataset was chosen twice.", hint="Choose each dataset once; one dataset is deduped."
        )
    return names


def _dataset_kinds(ws: Workspace) -> dict[str, str]:
    return {str(n): str(k) for n, k in ws.query("SELECT name, kind FROM wb.datasets")}


def _record_id_column(roles: Mapping[str, Role]) -> str | None:
    for column, role in roles.items():
        if role is Role.RECORD_ID:
            return column
    return None


def _model_roles(ws: Workspace, name: str) -> dict[str, Role]:
    """Stored roles of a dataset, with its truth column (if any) kept out of the model."""
    roles = dict(load_roles(ws, name))
    truth_col = truth_column(ws, name)
    if truth_col is not None and truth_col in roles and roles[truth_col] is not Role.IGNORE:
        roles[truth_col] = Role.IGNORE
    return roles


def _cache_key(ws: Workspace, model_id: str) -> tuple[str, str]:
    path = str(ws.path)
    if path == ":memory:":
        path = f":memory:{id(ws)}"
    return path, model_id


_LINKERS: OrderedDict[tuple[str, str], TrainedModel] = OrderedDict()
_LINKER_LOCK = threading.Lock()


def _remember(ws: Workspace, model_id: str, model: TrainedModel) -> None:
    with _LINKER_LOCK:
        _LINKERS[_cache_key(ws, model_id)] = model
        _LINKERS.move_to_end(_cache_key(ws, model_id))
        while len(_LINKERS) > _CACHE_SIZE:
            _LINKERS.popitem(last=False)


def forget_linkers() -> None:
    """Drop every cached linker, prediction table and record list (to free memory)."""
    with _LINKER_LOCK:
        _LINKERS.clear()
        _PREDICTIONS.clear()
        _NODES.clear()


def _require_predictions(ws: Workspace, model_id: str) -> str:
    get_model(ws, model_id)
    if not ws.table_exists(PREDICTIONS_SCHEMA, f"pred_{model_id}"):
        raise LinkageError(
            f"Model {model_id!r} has no stored predictions.",
            hint="Train the model again from the Train page to score its pairs.",
        )
    return predictions_table(model_id)


def _model_threshold(row: Mapping[str, Any]) -> float:
    value = row.get("threshold")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.9
    return 0.9 if math.isnan(value) else value


def _truth_frame(truth: pd.DataFrame) -> pd.DataFrame:
    """``truth_for`` output in the shape the evaluate module expects."""
    return truth.rename(columns={"person_id": "truth"})


# ------------------------------------------------------------------------------ datasets
def linkable_datasets(ws: Workspace) -> list[str]:
    """Source datasets with at least one column stored with a person role.

    Args:
        ws: The workspace.

    Returns:
        Dataset names in alphabetical order.
    """
    person = sorted(r.value for r in PERSON_ROLES)
    rows = ws.query(
        "SELECT DISTINCT d.name FROM wb.datasets d JOIN wb.column_roles r ON r.dataset = d.name "
        "WHERE d.kind = 'source' AND list_contains(?, r.role) ORDER BY d.name",
        [person],
    )
    return [str(r[0]) for r in rows]


def standardised_inputs(ws: Workspace, datasets: Sequence[str]) -> list[pd.DataFrame]:
    """Standardise each dataset with its stored column roles.

    A dataset's truth column (see :func:`truth_column`) is never passed to the model.

    Args:
        ws: The workspace.
        datasets: Dataset names.

    Returns:
        One standardised DataFrame per dataset, in the order given.

    Raises:
        DatasetNotFoundError: When a dataset does not exist.
        RoleError: When a dataset has no column with a usable person role.
    """
    frames = []
    for name in _dataset_list(datasets):
        if name not in _dataset_kinds(ws):
            from workbench.errors import DatasetNotFoundError

            raise DatasetNotFoundError(
                f"There is no dataset called {name!r} in the workspace.",
                hint="Import it first, or pick one from the catalogue.",
            )
        roles = _model_roles(ws, name)
        if not any(r in PERSON_ROLES for r in roles.values()):
            raise RoleError(
                f"Dataset {name!r} has no column with a person role, so it cannot be linked.",
                hint="Open the Roles page and confirm which columns hold names, date of birth, "
                "postcode or identifiers.",
            )
        with _translated(f"Standardising {name}", "Check the column roles of the dataset."):
            frames.append(standardise_dataset(ws, name, roles))
    return frames


def suggest_for_datasets(
    ws: Workspace,
    datasets: Sequence[str],
    link_type: str | None = None,
    budget: float | None = None,
) -> ModelSpec:
    """Suggest a whole model (comparisons, blocking, training plan) for the datasets.

    Args:
        ws: The workspace.
        datasets: Dataset names.
        link_type: ``dedupe_only``, ``link_only`` or ``link_and_dedupe``; by default dedupe for
            one dataset and link and dedupe for several.
        budget: Most pairs blocking may generate; by default 200 a record (at most 50 million).

    Returns:
        The suggested spec.

    Raises:
        RoleError: When a dataset has no usable roles.
        LinkageError: When no model can be suggested (no comparable column, for example).
    """
    frames = standardised_inputs(ws, datasets)
    with _translated("Suggesting a model", "Check the column roles of the datasets."):
        return suggest_model(frames, link_type=link_type, budget=int(budget) if budget else None)


def _draft_key(datasets: Sequence[str]) -> str:
    return _DRAFT_PREFIX + "+".join(sorted(_dataset_list(datasets)))


def save_draft(ws: Workspace, datasets: Sequence[str], spec: ModelSpec) -> None:
    """Keep the Configure page's edited spec for this set of datasets in the workspace.

    Args:
        ws: The workspace.
        datasets: The dataset names (order does not matter).
        spec: The edited spec.
    """
    ws.set_setting(_draft_key(datasets), spec.to_dict())


def load_draft(ws: Workspace, datasets: Sequence[str]) -> ModelSpec | None:
    """The edited spec kept for this set of datasets.

    Args:
        ws: The workspace.
        datasets: The dataset names (order does not matter).

    Returns:
        The spec, or ``None`` when none was saved (or it can no longer be read).
    """
    data = ws.get_setting(_draft_key(datasets))
    if not data:
        return None
    try:
        return ModelSpec.from_dict(data)
    except LinkageError:
        log.warning("the saved draft for %s cannot be read; ignoring it", datasets)
        return None


# ------------------------------------------------------------------------------ truth
def mark_truth_column(ws: Workspace, dataset: str, column: str | None) -> None:
    """Mark (or with ``None`` unmark) a column of a dataset as its truth: the true person id.

    A truth column is used only to measure a model, never as a model input.

    Raises:
        ValidationError: When the dataset has no such column.
    """
    if column is not None and column not in ws.table_columns(DATA_SCHEMA, dataset):
        raise ValidationError(
            f"Dataset {dataset!r} has no column {column!r}.",
            hint="Choose one of its columns as the truth column.",
        )
    ws.set_setting(_TRUTH_SETTING_PREFIX + dataset, column or "")


def truth_column(ws: Workspace, dataset: str) -> str | None:
    """The truth column of a dataset: the one marked, else one named cluster/person_id/true_id.

    Returns:
        The column name, or ``None`` (also when the user unmarked it).
    """
    marked = ws.get_setting(_TRUTH_SETTING_PREFIX + dataset)
    if marked is not None:
        return marked or None
    columns = list(ws.table_columns(DATA_SCHEMA, dataset))
    for name in TRUTH_COLUMN_NAMES:
        if name in columns:
            return name
    return None


def _truth_from_truth_dataset(
    ws: Workspace, name: str, truth_name: str, roles: Mapping[str, Role]
) -> pd.DataFrame | None:
    record_id = _record_id_column(roles)
    columns = list(ws.table_columns(DATA_SCHEMA, truth_name))
    if record_id is None or "person_id" not in columns:
        log.info("truth dataset %s not usable for %s", truth_name, name)
        return None
    if record_id in columns:
        key = record_id
    else:
        keys = [c for c in columns if c not in _TRUTH_VALUE_COLUMNS]
        if len(keys) != 1:
            return None
        key = keys[0]
    table = qualified(DATA_SCHEMA, truth_name)
    return ws.query_df(
        f"SELECT CAST(? AS VARCHAR) AS source_dataset, CAST({quote_ident(key)} AS VARCHAR) "  # noqa: S608
        f"AS unique_id, CAST(person_id AS VARCHAR) AS person_id FROM {table}",
        [name],
    )


def _truth_from_column(
    ws: Workspace, name: str, column: str, roles: Mapping[str, Role]
) -> pd.DataFrame:
    record_id = _record_id_column(roles)
    id_sql = (
        f"CAST({quote_ident(record_id)} AS VARCHAR)"
        if record_id
        else "CAST(row_number() OVER () AS VARCHAR)"
    )
    table = qualified(DATA_SCHEMA, name)
    return ws.query_df(
        f"SELECT CAST(? AS VARCHAR) AS source_dataset, {id_sql} AS unique_id, "  # noqa: S608
        f"CAST({quote_ident(column)} AS VARCHAR) AS person_id FROM {table}",
        [name],
    )


def truth_for(ws: Workspace, datasets: Sequence[str]) -> pd.DataFrame | None:
    """The known truth for the datasets' records, where there is any.

    For each dataset ``<name>``, truth comes from a dataset ``<name>_truth`` holding the
    record key (the column with the ``record_id`` role, or the truth file's one key column) and
    ``person_id``; otherwise from the dataset's truth column (see :func:`truth_column`).

    Args:
        ws: The workspace.
        datasets: Dataset names.

    Returns:
        ``source_dataset``, ``unique_id``, ``person_id`` (rows with a null person are kept:
        they belong to no person), or ``None`` when no dataset has truth.
    """
    kinds = _dataset_kinds(ws)
    parts: list[pd.DataFrame] = []
    for name in _dataset_list(datasets):
        roles = load_roles(ws, name) if name in kinds else {}
        part = None
        truth_name = f"{name}_truth"
        if truth_name in kinds:
            part = _truth_from_truth_dataset(ws, name, truth_name, roles)
        if part is None and name in kinds:
            column = truth_column(ws, name)
            if column is not None:
                part = _truth_from_column(ws, name, column, roles)
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    truth = pd.concat(parts, ignore_index=True)
    if truth["person_id"].notna().sum() == 0:
        return None
    return truth


# ------------------------------------------------------------------------------ training
def _measure(
    pairs: Any,
    clusters: pd.DataFrame,
    truth: pd.DataFrame | None,
    labels: pd.DataFrame,
    threshold: float,
    link_type: str,
) -> dict[str, Any]:
    metrics: dict[str, Any] = {"threshold": threshold, "truth_source": None}
    if truth is not None:
        t = _truth_frame(truth)
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
        spec: The model to train (from :func:`suggest_for_datasets`, perhaps edited).
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
    names = _dataset_list(datasets)
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
    with _translated("Preparing the data", "Check the datasets have records and roles."):
        data = prepare_frames(frames, names=names)
    with _translated("Training", "Check the model's columns and blocking rules on the data."):
        model = fit_model(
            data,
            spec,
            backend=engine,
            progress=lambda m, f: report(m, 0.05 + 0.55 * f),
            work_dir=ws.path,
        )
    report("Scoring pairs", 0.62)
    with _translated("Scoring pairs", "Retrain the model, or check the blocking rules."):
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
    with _translated("Measuring the model", "Check the truth datasets or clerical labels."):
        metrics = _measure(
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
    model_id = _save_run(ws, model, data, table, clusters, metrics, names, name, threshold, actor)
    if engine.keeps_linker_in_process:  # a Spark model is rebuilt on DuckDB when a page needs it
        _remember(ws, model_id, model)
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


def _save_run(
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
    """Write the model, its predictions and its clusters in one transaction."""
    model_id = new_model_id()
    label = name or f"{' + '.join(names)} {utcnow():%Y-%m-%d %H:%M}"
    pred = predictions_table(model_id)
    with ws.transaction() as cur:
        active = cur.execute("SELECT count(*) FROM wb.models WHERE is_active").fetchall()
        activate = not active[0][0]
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
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(PREDICTIONS_SCHEMA)}")
        cur.register("run_pairs", table)
        cur.execute(f"CREATE TABLE {pred} AS SELECT * FROM run_pairs")  # noqa: S608
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


def load_linker(ws: Workspace, model_id: str) -> TrainedModel:
    """A saved model rebuilt over its standardised inputs, without retraining.

    Use it for the model's charts, waterfall charts and the comparison viewer. The result is
    cached in this process per workspace and model; one linker must not be used by two
    threads at once.

    Args:
        ws: The workspace.
        model_id: The saved model.

    Returns:
        A :class:`~linkage.model.train.TrainedModel` (its ``warnings`` say when the data changed
        since training).

    Raises:
        LinkageError: When the model does not exist or no longer fits its datasets.
    """
    key = _cache_key(ws, model_id)
    with _LINKER_LOCK:
        cached = _LINKERS.get(key)
        if cached is not None:
            _LINKERS.move_to_end(key)
            return cached
    row = get_model(ws, model_id)
    names = list(row.get("datasets") or [])
    frames = standardised_inputs(ws, names)
    with _translated("Rebuilding the model", "Train the model again on the current data."):
        data = prepare_frames(frames, names=names)
        model = load_model_json(row["settings"], data)
    if row.get("spec"):
        try:
            model.spec = ModelSpec.from_dict(row["spec"])
        except LinkageError:
            model.spec = None
    _restore_training(model, row.get("metrics"))
    if row.get("data_fingerprint") and data_fingerprint(data) != row["data_fingerprint"]:
        model.warnings.append(
            "The datasets changed since this model was trained; its stored pairs describe the "
            "old data. Train it again to score the current data."
        )
    _remember(ws, model_id, model)
    return model


def _restore_training(model: TrainedModel, metrics: Mapping[str, Any] | None) -> None:
    """Put a saved model's training record (EM sessions, parameter history) on the linker."""
    training = (metrics or {}).get("training") or {}
    history = training.get("parameter_history") or []
    if history:
        try:
            restore_parameter_history(model.linker, history)
        except Exception:  # a chart's history must never stop the model loading
            log.warning("the parameter history of a saved model could not be restored")
    sessions = []
    for item in training.get("em_sessions") or []:
        try:
            sessions.append(EMSessionSummary(**item))
        except TypeError:
            continue
    model.em_sessions = sessions
    model.timings = dict(training.get("timings") or {})


def parameter_estimates(ws: Workspace, model_id: str) -> pd.DataFrame:
    """Every estimate of every m and u probability made while training a saved model.

    The history is saved with the model (its metrics JSON), so this works for a model trained
    in another session; models saved before the history was kept give an empty table.

    Args:
        ws: The workspace.
        model_id: The model.

    Returns:
        ``comparison``, ``comparison_vector_value``, ``m_or_u``, ``probability`` and
        ``description`` (which training step made the estimate), in training order.

    Raises:
        LinkageError: When the model does not exist.
    """
    row = get_model(ws, model_id)
    training = (row.get("metrics") or {}).get("training") or {}
    columns = ["comparison", "comparison_vector_value", "m_or_u", "probability", "description"]
    return pd.DataFrame(training.get("parameter_history") or [], columns=columns)


def parameter_estimates_chart(ws: Workspace, model_id: str) -> alt.TopLevelMixin:
    """Splink's parameter estimates chart (m per EM session) for a saved model.

    Args:
        ws: The workspace.
        model_id: The model.

    Returns:
        An Altair chart.

    Raises:
        LinkageError: When the model does not exist, no longer fits its data, or was saved
            without its parameter history (train it again).
    """
    from linkage import charts

    if parameter_estimates(ws, model_id).empty:
        raise LinkageError(
            f"Model {model_id!r} was saved without its training history.",
            hint="Train the model again to draw its parameter estimates.",
        )
    return charts.parameter_estimates_chart(load_linker(ws, model_id))


# ------------------------------------------------------------------------------ predictions
_PREDICTIONS: OrderedDict[tuple[str, str, str], tuple[int, pd.DataFrame]] = OrderedDict()
_NODES: OrderedDict[tuple[str, str], pd.DataFrame] = OrderedDict()


def _cached(cache: OrderedDict, key: Any, value: Any = None) -> Any:
    with _LINKER_LOCK:
        if value is None:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return value


def stored_predictions(
    ws: Workspace, model_id: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """A model's stored predictions, cached in this process (treat the frame as read-only).

    The cache is keyed by workspace, model and columns, and checked against the table's row
    count, so predictions stored again for the model are read afresh.

    Args:
        ws: The workspace.
        model_id: The model.
        columns: The columns wanted; all by default.

    Returns:
        The scored pairs.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    pred = _require_predictions(ws, model_id)
    path, _ = _cache_key(ws, model_id)
    wanted = list(columns) if columns else None
    key = (path, model_id, ",".join(wanted) if wanted else "*")
    n_rows = int(ws.query(f"SELECT count(*) FROM {pred}")[0][0])  # noqa: S608
    found = _cached(_PREDICTIONS, key)
    if found is not None and found[0] == n_rows:
        return found[1]
    select = ", ".join(quote_ident(c) for c in wanted) if wanted else "*"
    df = ws.query_df(f"SELECT {select} FROM {pred}")  # noqa: S608
    _cached(_PREDICTIONS, key, (n_rows, df))
    return df


def _model_nodes(ws: Workspace, model_id: str) -> pd.DataFrame:
    """Every record of a model (``source_dataset``, ``unique_id``), cached per model."""
    key = _cache_key(ws, model_id)
    found = _cached(_NODES, key)
    if found is not None:
        return found
    nodes = ws.query_df(
        "SELECT source_dataset, unique_id FROM wb.clusters WHERE model_id = ? "
        "ORDER BY source_dataset, unique_id",
        [model_id],
    )
    if nodes.empty:
        nodes = nodes_from_model(load_linker(ws, model_id))
    return _cached(_NODES, key, nodes)


# ------------------------------------------------------------------------------ clusters
def recluster(
    ws: Workspace, model_id: str, threshold: float, store: bool = False
) -> tuple[pd.DataFrame, ClusterSummary]:
    """Cluster at another threshold from the stored predictions, without re-scoring.

    Args:
        ws: The workspace.
        model_id: The model.
        threshold: The new match-probability threshold.
        store: Replace the model's stored clusters with these and record the threshold.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id``, ``cluster_size`` per record, and
        the summary.

    Raises:
        LinkageError: When the model has no stored predictions or the threshold is not a
            probability.
    """
    edges = stored_predictions(ws, model_id, EDGE_COLUMNS)
    nodes = _model_nodes(ws, model_id)
    clusters = cluster_at_threshold(edges, nodes, threshold)
    if store:
        store_clusters(ws, model_id, clusters, threshold)
        forget = _cache_key(ws, model_id)
        log.info("stored clusters of %s at %s", forget[1], threshold)
    return clusters, summarise_clusters(clusters)


def people_in_clusters(ws: Workspace, model_id: str, clusters: pd.DataFrame) -> dict[str, int]:
    """Clusters of a model counted as people, as :func:`linkage.quality.evaluate.people_counts`.

    Records with every person column empty (police records with no suspect) are counted
    apart, so the app and the command line give the same numbers for the same clusters.
    """
    return people_counts(clusters, load_linker(ws, model_id).data.frames)


def active_clusters(ws: Workspace) -> pd.DataFrame:
    """The clusters of the active model: the output the rest of the workbench uses.

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id``, ``model_id``, ``threshold``; empty
        (with those columns) when no model is active.
    """
    model_id = active_model_id(ws)
    return ws.query_df(
        "SELECT source_dataset, unique_id, cluster_id, model_id, threshold FROM wb.clusters "
        "WHERE model_id = ? ORDER BY cluster_id, source_dataset, unique_id",
        [model_id or ""],
    )


# ------------------------------------------------------------------------------ pairs
def _order_columns(df: pd.DataFrame) -> pd.DataFrame:
    head = [c for c in EDGE_COLUMNS if c in df.columns]
    return df[head + [c for c in df.columns if c not in head]]


@dataclass(frozen=True)
class KeptPairs:
    """The scored pairs a model kept: how many, the weights they span and the cut below which
    pairs were not kept.

    Attributes:
        n_pairs: Pairs kept after scoring.
        low: The lowest match weight kept (``cut`` when none was kept).
        high: The highest match weight kept (``cut`` when none was kept).
        cut: Pairs scoring below this match weight were not kept.
    """

    n_pairs: int
    low: float
    high: float
    cut: float

    @property
    def cut_probability(self) -> float:
        """The match probability of a pair scoring exactly the cut."""
        return 1.0 / (1.0 + 2.0 ** (-self.cut))


def kept_pairs(ws: Workspace, model_id: str) -> KeptPairs:
    """How many scored pairs a model kept, the weights they span and the retention cut.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    pred = _require_predictions(ws, model_id)
    row = get_model(ws, model_id)
    metrics = row.get("metrics") or {}
    cut = metrics.get("retention_match_weight", RETENTION_MATCH_WEIGHT)
    n, low, high = ws.query(
        f"SELECT count(*), min(match_weight), max(match_weight) FROM {pred}"  # noqa: S608
    )[0]
    cut = float(cut)
    if not n or low is None:
        return KeptPairs(0, cut, cut, cut)
    return KeptPairs(int(n), float(low), float(high), cut)


def pairs_in_band(
    ws: Workspace,
    model_id: str,
    low: float,
    high: float,
    limit: int = 200,
    sample: bool = False,
) -> pd.DataFrame:
    """Scored pairs with a match weight in ``[low, high)``, with both records' values.

    Args:
        ws: The workspace.
        model_id: The model.
        low: Lowest match weight (inclusive).
        high: Highest match weight (exclusive).
        limit: Most rows returned.
        sample: A repeatable spread-out sample of the band instead of the highest weights.

    Returns:
        Every prediction column (``*_l``/``*_r`` values, ``gamma_*`` levels, ``bf_*`` factors),
        ids and scores first.
    """
    pred = _require_predictions(ws, model_id)
    if low > high:
        low, high = high, low
    order = (
        "hash(unique_id_l, unique_id_r, source_dataset_l, source_dataset_r)"
        if sample
        else "match_weight DESC"
    )
    df = ws.query_df(
        f"SELECT * FROM {pred} WHERE match_weight >= ? AND match_weight < ? "  # noqa: S608
        f"ORDER BY {order} LIMIT ?",
        [float(low), float(high), int(limit)],
    )
    if sample:
        df = df.sort_values("match_weight", ascending=False, ignore_index=True)
    return _order_columns(df)


def cluster_records(
    ws: Workspace, model_id: str, cluster_id: str, threshold: float | None = None
) -> pd.DataFrame:
    """The standardised records of one cluster, one row each, for side-by-side reading.

    Args:
        ws: The workspace.
        model_id: The model.
        cluster_id: A cluster id from the model's clusters at that threshold.
        threshold: The match probability the clusters are made at; by default the model's
            stored clusters. Another threshold reclusters from the stored predictions (not
            stored; see :func:`recluster`).

    Returns:
        ``source_dataset``, ``unique_id``, ``cluster_id`` and the model's input columns.

    Raises:
        LinkageError: When the model has no such cluster, or the threshold is not a
            probability.
    """
    stored = threshold is None
    if not stored:
        row = get_model(ws, model_id)
        stored = math.isclose(float(threshold), _model_threshold(row), abs_tol=1e-12)
    if stored:
        members = ws.query_df(
            "SELECT source_dataset, unique_id, cluster_id FROM wb.clusters "
            "WHERE model_id = ? AND cluster_id = ?",
            [model_id, str(cluster_id)],
        )
    else:
        clusters, _ = recluster(ws, model_id, float(threshold))
        members = clusters.loc[
            clusters["cluster_id"] == str(cluster_id), ["source_dataset", "unique_id", "cluster_id"]
        ].reset_index(drop=True)
    if members.empty:
        get_model(ws, model_id)
        where = "" if threshold is None else f" at {float(threshold):g}"
        raise LinkageError(
            f"Model {model_id!r} has no cluster {cluster_id!r}{where}.",
            hint="Pick a cluster from the model's clusters at this threshold.",
        )
    data = load_linker(ws, model_id).data.combined()
    out = members.merge(data, on=["source_dataset", "unique_id"], how="left")
    return out.sort_values(["source_dataset", "unique_id"], ignore_index=True)


# ------------------------------------------------------------------------------ evaluation
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
    pred = _require_predictions(ws, model_id)
    threshold = _model_threshold(row)
    thresholds = sorted({*DEFAULT_THRESHOLDS, threshold})
    names = list(row.get("datasets") or [])
    truth = truth_for(ws, names) if names else None
    with _translated("Evaluating the model", "Check the truth datasets or clerical labels."):
        if truth is not None:
            t = _truth_frame(truth)
            pairs = ws.query_df(f"SELECT * FROM {pred}")  # noqa: S608
            table = pairwise_metrics(pairs, t, thresholds, link_type=row.get("link_type"))
            fp, fn = prediction_errors(pairs, t, threshold)
            clusters = ws.query_df(
                "SELECT source_dataset, unique_id, cluster_id FROM wb.clusters WHERE model_id = ?",
                [model_id],
            )
            cm = cluster_metrics(clusters, t) if not clusters.empty else {}
            return EvaluationResult(
                source="truth",
                table=table,
                best_threshold=best_threshold(table),
                threshold=threshold,
                chart=threshold_chart(table, threshold),
                false_positives=_order_columns(fp),
                false_negatives=_order_columns(fn),
                cluster_metrics=cm,
            )
        labels = load_labels(ws).dropna(subset=["label"])
        if labels.empty:
            return None
        pairs = ws.query_df(f"SELECT * FROM {pred}")  # noqa: S608
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
            false_positives=_order_columns(fp.drop(columns="_key").reset_index(drop=True)),
            false_negatives=_order_columns(fn.drop(columns="_key").reset_index(drop=True)),
        )


# ------------------------------------------------------------------------------ review
def review_sample(
    ws: Workspace,
    model_id: str,
    strategy: Literal["near_threshold", "across_bands"],
    n: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Pairs to label clerically, leaving out pairs labelled already.

    Args:
        ws: The workspace.
        model_id: The model.
        strategy: ``near_threshold`` picks pairs whose match probability is closest to the
            model's threshold (the ones a reviewer helps most with); ``across_bands`` spreads
            the sample over ten equal-width match-weight bands from the lowest to the highest
            stored weight (a picture of every kind of pair).
        n: How many pairs.
        seed: Another seed gives another, equally repeatable, sample.

    Returns:
        Prediction rows (all columns) with a ``band`` column (1 lowest to 10 for
        ``across_bands``, 0 for ``near_threshold``): for ``near_threshold`` the pair nearest
        the threshold first, for ``across_bands`` the highest weight first.

    Raises:
        LinkageError: For an unknown strategy or a model without stored predictions.
    """
    row = get_model(ws, model_id)
    pred = _require_predictions(ws, model_id)
    if strategy not in ("near_threshold", "across_bands"):
        raise LinkageError(
            f"Unknown review strategy {strategy!r}.",
            hint="Use near_threshold or across_bands.",
        )
    threshold = _model_threshold(row)
    unlabelled = (
        f"SELECT p.* FROM {pred} p WHERE NOT EXISTS (SELECT 1 FROM wb.labels l WHERE "  # noqa: S608
        "(l.source_dataset_l = p.source_dataset_l AND l.unique_id_l = p.unique_id_l AND "
        "l.source_dataset_r = p.source_dataset_r AND l.unique_id_r = p.unique_id_r) OR "
        "(l.source_dataset_l = p.source_dataset_r AND l.unique_id_l = p.unique_id_r AND "
        "l.source_dataset_r = p.source_dataset_l AND l.unique_id_r = p.unique_id_l))"
    )
    shuffle = "hash(unique_id_l, unique_id_r, source_dataset_l, source_dataset_r, ?)"
    if strategy == "near_threshold":
        # The n pairs nearest the threshold, nearest first; the seed only breaks ties (many
        # pairs share a probability). Taking a wider pool and shuffling it once put pairs far
        # from the threshold (probability 1.000 against 0.9) first on small sets.
        df = ws.query_df(
            f"SELECT *, 0 AS band FROM ({unlabelled}) "  # noqa: S608
            f"ORDER BY abs(match_probability - ?), {shuffle} LIMIT ?",
            [threshold, int(seed), int(n)],
        )
        df = df.assign(_distance=(df["match_probability"] - threshold).abs())
        df = df.sort_values(["_distance", "match_weight"], ascending=[True, False], kind="stable")
        return _order_columns(df.drop(columns="_distance").reset_index(drop=True))
    else:
        per_band = max(1, math.ceil(int(n) / 10))
        banded = (
            "SELECT *, least(10, 1 + floor(10 * (match_weight - lo) / greatest(hi - lo, 1e-9))) "  # noqa: S608
            "::INTEGER AS band FROM (SELECT *, min(match_weight) OVER () AS lo, "
            f"max(match_weight) OVER () AS hi FROM ({unlabelled}))"
        )
        df = ws.query_df(
            "SELECT * EXCLUDE (rn, lo, hi) FROM (SELECT *, row_number() OVER (PARTITION BY "  # noqa: S608
            f"band ORDER BY {shuffle}) rn FROM ({banded})) WHERE rn <= ? "
            "ORDER BY rn, band DESC LIMIT ?",
            [int(seed), per_band, int(n)],
        )
    df = df.sort_values("match_weight", ascending=False, ignore_index=True)
    return _order_columns(df)


def save_label(
    ws: Workspace,
    model_id: str,
    pair_row: Mapping[str, Any] | pd.Series,
    label: int | None,
    reviewer: str,
    note: str = "",
) -> None:
    """Record a clerical label for a pair (1 match, 0 non-match, ``None`` unsure).

    Args:
        ws: The workspace.
        model_id: The model whose pair was shown.
        pair_row: A prediction row (``source_dataset_l``, ``unique_id_l``,
            ``source_dataset_r``, ``unique_id_r``, and ``match_probability`` if shown).
        label: 1, 0 or ``None``.
        reviewer: Who labelled it.
        note: Free text.

    Raises:
        LinkageError: When the row does not identify a pair or the label is not 1, 0 or empty.
    """
    row = dict(pair_row)
    try:
        left = (str(row["source_dataset_l"]), str(row["unique_id_l"]))
        right = (str(row["source_dataset_r"]), str(row["unique_id_r"]))
    except KeyError as exc:
        raise LinkageError(
            f"The pair has no {exc.args[0]} value.", hint="Label a row of scored pairs."
        ) from exc
    probability = row.get("match_probability")
    shown = None if probability is None or pd.isna(probability) else float(probability)
    add_label(
        ws,
        left,
        right,
        None if label is None or pd.isna(label) else int(label),
        reviewer=reviewer,
        model_id=model_id,
        match_probability_shown=shown,
        note=note or None,
    )
    ws.audit(
        "label.save",
        target=model_id,
        detail={"left": list(left), "right": list(right), "label": label},
        actor=reviewer,
    )


def export_labels(ws: Workspace) -> bytes:
    """The latest clerical label of every labelled pair, as UTF-8 CSV.

    Columns: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``, ``unique_id_r``,
    ``label`` (1, 0 or empty), ``reviewer``, ``labelled_at``, ``model_id``,
    ``match_probability_shown``, ``note``.
    """
    labels = load_labels(ws)
    labels = labels.reindex(columns=_LABEL_COLUMNS)
    labels["label"] = labels["label"].astype("Int64")
    return frame_to_csv(labels)


_LABEL_VALUES = {"1": 1, "1.0": 1, "0": 0, "0.0": 0, "": None}


def _parse_label_rows(frame: pd.DataFrame) -> tuple[list[list[Any]], list[Problem]]:
    problems: list[Problem] = []
    rows: list[list[Any]] = []
    now = utcnow()
    for i, rec in enumerate(frame.to_dict(orient="records")):
        line = i + 2
        ok = True
        for col in _REQUIRED_LABEL_COLUMNS[:4]:
            if not str(rec.get(col, "")).strip():
                problems.append(Problem("is empty", file="labels CSV", row=line, column=col))
                ok = False
        raw = str(rec.get("label", "")).strip().lower()
        if raw not in _LABEL_VALUES:
            problems.append(
                Problem(
                    f"{raw!r} is not 1 (match), 0 (non-match) or empty (unsure)",
                    file="labels CSV",
                    row=line,
                    column="label",
                )
            )
            ok = False
        when: Any = now
        if str(rec.get("labelled_at", "")).strip():
            when = pd.to_datetime(rec["labelled_at"], errors="coerce")
            if pd.isna(when):
                problems.append(
                    Problem(
                        f"{rec['labelled_at']!r} is not a date and time",
                        file="labels CSV",
                        row=line,
                        column="labelled_at",
                    )
                )
                ok = False
            else:
                when = when.to_pydatetime().replace(tzinfo=None)
        shown: float | None = None
        if str(rec.get("match_probability_shown", "")).strip():
            try:
                shown = float(rec["match_probability_shown"])
                if not 0.0 <= shown <= 1.0:
                    raise ValueError
            except ValueError:
                problems.append(
                    Problem(
                        f"{rec['match_probability_shown']!r} is not a probability",
                        file="labels CSV",
                        row=line,
                        column="match_probability_shown",
                    )
                )
                ok = False
        if not ok:
            continue
        left = (rec["source_dataset_l"].strip(), rec["unique_id_l"].strip())
        right = (rec["source_dataset_r"].strip(), rec["unique_id_r"].strip())
        (sl, ul), (sr, ur) = sorted([left, right])
        text = {k: (str(rec.get(k, "")).strip() or None) for k in ("reviewer", "model_id", "note")}
        rows.append(
            [
                sl,
                ul,
                sr,
                ur,
                _LABEL_VALUES[raw],
                text["reviewer"],
                when,
                text["model_id"],
                shown,
                text["note"],
            ]
        )
    return rows, problems


def import_labels(ws: Workspace, csv_bytes: bytes, actor: str | None = None) -> int:
    """Import clerical labels from CSV (as written by :func:`export_labels`), all or nothing.

    Required columns: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``,
    ``unique_id_r``, ``label``; the others of :func:`export_labels` are optional.

    Args:
        ws: The workspace.
        csv_bytes: The file's bytes.
        actor: Who imported them, for the audit log.

    Returns:
        The number of labels imported.

    Raises:
        ValidationError: Naming the row and column of every problem; nothing is written.
    """
    try:
        text = csv_bytes.decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        frame = frame.apply(lambda column: column.map(unescape_cell))
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The labels file is not UTF-8 text.", hint="Save it as CSV (UTF-8) and try again."
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(
            f"The labels file cannot be read as CSV: {_first_line(exc)}.",
            hint="Use a file exported from the Review page.",
        ) from exc
    missing = [c for c in _REQUIRED_LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            "The labels file lacks required columns.",
            [Problem("column is missing", file="labels CSV", row=1, column=c) for c in missing],
            hint="The header needs " + ", ".join(_REQUIRED_LABEL_COLUMNS) + ".",
        )
    if frame.empty:
        raise ValidationError(
            "The labels file has a header but no labels.",
            [Problem("header only, no rows", file="labels CSV", row=1)],
        )
    rows, problems = _parse_label_rows(frame)
    if problems:
        raise ValidationError(
            f"The labels file has {len(problems)} problem(s); nothing was imported.",
            problems,
            hint="Fix the rows named and import the file again.",
        )
    with ws.transaction() as cur:
        cur.executemany(LABEL_INSERT, rows)
        ws.audit("label.import", detail={"labels": len(rows)}, actor=actor, cur=cur)
    return len(rows)


# ------------------------------------------------------------------------------ labels that teach
def _model_labels(ws: Workspace, names: Sequence[str]) -> pd.DataFrame:
    """The latest label of every pair whose two records belong to the model's datasets."""
    labels = load_labels(ws)
    keep = labels["source_dataset_l"].isin(names) & labels["source_dataset_r"].isin(names)
    return labels[keep].reset_index(drop=True)


def next_pairs(ws: Workspace, model_id: str, n: int = 10, skip: Sequence[str] = ()) -> pd.DataFrame:
    """The unlabelled pairs whose labels would teach the model most, best first.

    Uncertainty sampling spread over comparison patterns (see
    :func:`linkage.review.active.select_pairs`): pairs nearest the model's threshold in match
    weight, each pattern's first pair before any pattern's second. Every label saved changes
    the next call's answer.

    Args:
        ws: The workspace.
        model_id: The model.
        n: How many pairs.
        skip: Pair ids (:func:`linkage.review.active.pair_id`) the reviewer skipped.

    Returns:
        Prediction rows (all columns) with ``pattern``, ``uncertainty`` and
        ``pattern_labels``.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    from linkage.review.active import select_pairs

    row = get_model(ws, model_id)
    pairs = stored_predictions(ws, model_id)
    labels = _model_labels(ws, list(row.get("datasets") or []))
    chosen = select_pairs(pairs, labels, _model_threshold(row), n=int(n), skip=skip)
    return _order_columns(chosen)


@dataclass(frozen=True)
class ReviewProgress:
    """Labels stored for a model's datasets and what they say about the model.

    Attributes:
        n_labels: Pairs labelled (the latest label of each pair counts).
        n_matches: Labelled match.
        n_non_matches: Labelled not a match.
        n_unsure: Labelled unsure.
        estimate: Estimated precision and recall at the model's threshold with every label.
        before: The same without the latest label (``None`` when there is none).
    """

    n_labels: int
    n_matches: int
    n_non_matches: int
    n_unsure: int
    estimate: Any
    before: Any = None


def review_progress(ws: Workspace, model_id: str) -> ReviewProgress:
    """Counts of stored labels for a model's datasets, and the quality they estimate.

    Counts come from the workspace, never from the page, so a label is counted once it is
    stored. The estimate is :func:`linkage.review.active.estimate_quality` at the model's threshold.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    from linkage.review.active import estimate_quality

    row = get_model(ws, model_id)
    labels = _model_labels(ws, list(row.get("datasets") or []))
    pairs = stored_predictions(ws, model_id)
    threshold = _model_threshold(row)
    estimate = estimate_quality(pairs, labels, threshold)
    before = None
    known = labels.dropna(subset=["label"])
    if not known.empty:
        latest = known["labelled_at"].idxmax()
        before = estimate_quality(pairs, labels.drop(index=latest), threshold)
    values = labels["label"]
    return ReviewProgress(
        n_labels=len(labels),
        n_matches=int((values == 1).sum()),
        n_non_matches=int((values == 0).sum()),
        n_unsure=int(values.isna().sum()),
        estimate=estimate,
        before=before,
    )


_CONTEXT_NAMES = (
    ("area", ("lcjb_area", "area", "force")),
    ("offence", ("offence_group", "offence_description", "offence", "charges", "charge")),
    ("urn", ("urn",)),
)


def _context_columns(columns: Sequence[str], roles: Mapping[str, Role]) -> list[tuple[str, str]]:
    """(label, column) of a dataset's case context: area, offence, URN, then its dates."""
    lower = {c.lower(): c for c in columns}
    out: list[tuple[str, str]] = []
    for label, names in _CONTEXT_NAMES:
        found = [lower[n] for n in names if n in lower]
        if label == "urn":
            found = [c for c, r in roles.items() if r is Role.URN and c in columns] or found
        if found:
            out.append((label, found[0]))
    birth = {Role.DOB, Role.BIRTH_YEAR, Role.BIRTH_MONTH, Role.BIRTH_DAY}
    for column in columns:
        name = column.lower()
        dated = "date" in name and "dob" not in name and "birth" not in name
        if dated and roles.get(column) not in birth:
            out.append((name.removesuffix("_date").replace("_", " ") + " date", column))
    return out


def _source_record(ws: Workspace, dataset: str, unique_id: str) -> dict[str, Any]:
    """One record of a source dataset, by the id the model gave it."""
    if dataset not in _dataset_kinds(ws):
        return {}
    roles = load_roles(ws, dataset)
    record_id = _record_id_column(roles)
    table = qualified(DATA_SCHEMA, dataset)
    if record_id is not None:
        sql = f"SELECT * FROM {table} WHERE CAST({quote_ident(record_id)} AS VARCHAR) = ? LIMIT 1"  # noqa: S608
    else:
        sql = (
            f"SELECT * EXCLUDE (_rn) FROM (SELECT *, CAST(row_number() OVER () AS VARCHAR) "  # noqa: S608
            f"AS _rn FROM {table}) WHERE _rn = ? LIMIT 1"
        )
    found = ws.query_df(sql, [str(unique_id)])
    return found.iloc[0].to_dict() if len(found) else {}


def _context_text(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def case_context(ws: Workspace, pair_row: Mapping[str, Any] | pd.Series) -> pd.DataFrame:
    """The case context of a pair's two records, from their source datasets.

    Area, offence, URN and the key dates of each record (offence, referral, hearing,
    completion ...) help a reviewer judge whether two records are one person.

    Args:
        ws: The workspace.
        pair_row: A prediction row with the two records' ids.

    Returns:
        ``Field``, ``Left record``, ``Right record``: a row for the dataset and one for the
        record id, then each context field either record has (empty where a record has none).
    """
    row = dict(pair_row)
    sides = []
    for side in ("l", "r"):
        dataset = str(row.get(f"source_dataset_{side}", ""))
        record = _source_record(ws, dataset, str(row.get(f"unique_id_{side}", "")))
        roles = load_roles(ws, dataset) if record else {}
        fields = {"dataset": dataset, "record": str(row.get(f"unique_id_{side}", ""))}
        for label, column in _context_columns(list(record), roles):
            fields.setdefault(label, _context_text(record.get(column)))
        sides.append(fields)
    names = list(dict.fromkeys([*sides[0], *sides[1]]))
    return pd.DataFrame(
        {
            "Field": [n[:1].upper() + n[1:] if n != "urn" else "URN" for n in names],
            "Left record": [sides[0].get(n, "") for n in names],
            "Right record": [sides[1].get(n, "") for n in names],
        }
    )


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
        metrics: The new version's metrics (as :func:`train_and_save`).
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
        cross = "AND a.source_dataset <> b.source_dataset" if link_type == "link_only" else ""
        return con.execute(
            "SELECT a.source_dataset AS source_dataset_l, a.unique_id AS unique_id_l, "  # noqa: S608
            "b.source_dataset AS source_dataset_r, b.unique_id AS unique_id_r FROM t a JOIN t b "
            "ON a.person_id = b.person_id AND (a.source_dataset, a.unique_id) < "
            f"(b.source_dataset, b.unique_id) {cross} "
            "ORDER BY hash(a.unique_id, b.unique_id) LIMIT ?",
            [int(limit)],
        ).df()
    finally:
        con.close()


def _truth_labels(pairs: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The scored pairs labelled by the truth (pairs with a record of no person left out)."""
    person = truth.set_index(truth["source_dataset"] + "\x1f" + truth["unique_id"])["person_id"]
    left = (pairs["source_dataset_l"] + "\x1f" + pairs["unique_id_l"].astype(str)).map(person)
    right = (pairs["source_dataset_r"] + "\x1f" + pairs["unique_id_r"].astype(str)).map(person)
    known = left.notna() & right.notna()
    out = pairs.loc[known, _REQUIRED_LABEL_COLUMNS[:4]].copy()
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

    The m values are re-estimated with Splink's ``estimate_m_from_pairwise_labels`` from the
    pairs labelled match, pooled with the current values (:func:`linkage.review.relearn.relearn_m`);
    the pairs are scored again and the threshold is the one with the best F1 estimated from
    the labels and the new scores (or the lowest reaching ``target_precision``; see
    :func:`linkage.review.active.threshold_from_labels`). The version is saved with its parent, a
    note of how many labels it used, and is not made active.

    Args:
        ws: The workspace.
        model_id: The model to start from.
        source: ``labels`` (clerical labels of the model's datasets) or ``truth`` (every
            pair the truth datasets or truth column say is one person; the truth is never a
            model input).
        target_precision: Choose the threshold for this estimated precision instead of F1.
        prior_pairs: How many labelled matches the current m values are worth (by default
            :data:`linkage.review.relearn.PRIOR_PAIRS`; none for truth).
        name: The new version's name; by default the parent's with "taught by N labels".
        actor: Who did it, for the audit log.
        max_truth_pairs: Most matching pairs taken from the truth.

    Returns:
        The new version, its threshold and reason, and how m moved.

    Raises:
        LinkageError: When there are no labelled matches (or no truth), or a step fails.
    """
    from linkage.review.active import threshold_from_labels
    from linkage.review.relearn import PRIOR_PAIRS, relearn_m

    row = get_model(ws, model_id)
    _require_predictions(ws, model_id)
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
        labels = _model_labels(ws, names).dropna(subset=["label"])
        matches = labels[labels["label"] == 1]
        prior = PRIOR_PAIRS if prior_pairs is None else float(prior_pairs)
    else:
        raise LinkageError(f"Unknown label source {source!r}.", hint="Use labels or truth.")
    if matches.empty:
        raise LinkageError(
            "No labelled pair is a match yet, so the labels cannot teach the model.",
            hint="Label more pairs on the Review page (some must be matches).",
        )
    frames = standardised_inputs(ws, names)
    with _translated("Re-estimating from labels", "Check the labelled pairs and the model."):
        data = prepare_frames(frames, names=names)
        model = load_model_json(row["settings"], data)
        if row.get("spec"):
            model.spec = ModelSpec.from_dict(row["spec"])
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
        metrics = _measure(edges, clusters, truth, load_labels(ws), threshold, str(link_type))
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
    new_id = _save_run(
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
    _remember(ws, new_id, model)
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
