"""Saved models rebuilt as linkers, and their stored predictions, cached in this process.

A saved model is rebuilt over its standardised inputs without retraining (:func:`load_linker`);
its scored pairs and records are read once and kept. Everything is cached per workspace and
model, a few at a time; :func:`forget_linkers` frees them.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from linkage.clusters.registry import (
    PREDICTIONS_SCHEMA,
    data_fingerprint,
    get_model,
    predictions_table,
)
from linkage.data import prepare_frames
from linkage.model.datasets import standardised_inputs, translated
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import nodes_from_model
from linkage.model.train import EMSessionSummary, TrainedModel, restore_parameter_history
from linkage.service import load_model_json
from workbench.errors import LinkageError
from workbench.linked_models import model_records
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

_CACHE_SIZE = 3


def cache_key(ws: Workspace, model_id: str) -> tuple[str, str]:
    """The key a model is cached under: the workspace's path (or identity) and the model id."""
    path = str(ws.path)
    if path == ":memory:":
        path = f":memory:{id(ws)}"
    return path, model_id


_LINKERS: OrderedDict[tuple[str, str], TrainedModel] = OrderedDict()
_LINKER_LOCK = threading.Lock()


def remember_linker(ws: Workspace, model_id: str, model: TrainedModel) -> None:
    """Keep a model's linker for :func:`load_linker` (the oldest goes beyond a few)."""
    with _LINKER_LOCK:
        _LINKERS[cache_key(ws, model_id)] = model
        _LINKERS.move_to_end(cache_key(ws, model_id))
        while len(_LINKERS) > _CACHE_SIZE:
            _LINKERS.popitem(last=False)


def forget_linkers() -> None:
    """Drop every cached linker, prediction table and record list (to free memory)."""
    with _LINKER_LOCK:
        _LINKERS.clear()
        _PREDICTIONS.clear()
        _NODES.clear()


def require_predictions(ws: Workspace, model_id: str) -> Sql:
    """The quoted table of a model's stored predictions.

    Raises:
        LinkageError: When the model does not exist or has no stored predictions.
    """
    get_model(ws, model_id)
    if not ws.table_exists(PREDICTIONS_SCHEMA, f"pred_{model_id}"):
        raise LinkageError(
            f"Model {model_id!r} has no stored predictions.",
            hint="Train the model again from the Train page to score its pairs.",
        )
    return predictions_table(model_id)


def model_threshold(row: Mapping[str, Any]) -> float:
    """A saved model's threshold (0.9 when it has none), from its registry row."""
    value = row.get("threshold")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.9
    return 0.9 if math.isnan(value) else value


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
    key = cache_key(ws, model_id)
    with _LINKER_LOCK:
        cached = _LINKERS.get(key)
        if cached is not None:
            _LINKERS.move_to_end(key)
            return cached
    row = get_model(ws, model_id)
    names = list(row.get("datasets") or [])
    frames = standardised_inputs(ws, names)
    with translated("Rebuilding the model", "Train the model again on the current data."):
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
    remember_linker(ws, model_id, model)
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
    pred = require_predictions(ws, model_id)
    path, _ = cache_key(ws, model_id)
    wanted = list(columns) if columns else None
    key = (path, model_id, ",".join(wanted) if wanted else "*")
    n_rows = int(ws.query(compose("SELECT count(*) FROM {pred}", pred=pred))[0][0])
    found = _cached(_PREDICTIONS, key)
    if found is not None and found[0] == n_rows:
        return found[1]
    select = wanted if wanted else Sql("*")
    df = ws.query_df(compose("SELECT {select} FROM {pred}", select=select, pred=pred))
    _cached(_PREDICTIONS, key, (n_rows, df))
    return df


def model_nodes(ws: Workspace, model_id: str) -> pd.DataFrame:
    """Every record of a model (``source_dataset``, ``unique_id``), cached per model."""
    key = cache_key(ws, model_id)
    found = _cached(_NODES, key)
    if found is not None:
        return found
    nodes = model_records(ws, model_id)
    if nodes.empty:
        nodes = nodes_from_model(load_linker(ws, model_id))
    return _cached(_NODES, key, nodes)
