"""The model registry: every trained model is a saved version in the workspace.

A version keeps the Splink settings JSON (loadable by plain Splink), the workbench spec, a
fingerprint of the data it was trained on, its metrics and threshold. Scored pairs are stored
as tables in the ``linkage`` schema, named by model id; clusters in ``wb.clusters``. Clerical
labels are kept by :mod:`linkage.review.labels`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from linkage.data import FrameLike, PreparedInput, prepare_frames
from workbench.config import current_user
from workbench.errors import LinkageError

# Reads of wb.models and wb.clusters live in the core (the analysis needs them too); the registry
# writes those tables and offers the reads as its own.
from workbench.sql import Sql, compose, qualified
from workbench.workspace import Workspace, utcnow

if TYPE_CHECKING:
    # Splink loads only when a model is written, so reading the registry (journeys, measures)
    # stays light.
    from linkage.model.train import TrainedModel

log = logging.getLogger(__name__)

PREDICTIONS_SCHEMA = "linkage"


def _prepared(frames: Sequence[FrameLike] | FrameLike | PreparedInput) -> PreparedInput:
    return frames if isinstance(frames, PreparedInput) else prepare_frames(frames)


def data_fingerprint(frames: Sequence[FrameLike] | FrameLike | PreparedInput) -> str:
    """A short hash of the data: per input its name, row count, columns and a content checksum.

    The checksum is an order-independent sum of row hashes computed in DuckDB, so the same
    records in another order give the same fingerprint and any changed value another.

    Args:
        frames: The inputs (or a prepared input).

    Returns:
        A 16-character hex string.
    """
    data = _prepared(frames)
    parts = []
    con = duckdb.connect()
    try:
        for frame, name in zip(data.frames, data.names, strict=True):
            con.register("fp_df", frame)
            count, checksum = con.execute(
                "SELECT count(*), coalesce(sum(hash(fp_df)::HUGEINT) % 18446744073709551557, 0) "
                "FROM fp_df"
            ).fetchall()[0]
            con.unregister("fp_df")
            parts.append(f"{name}|{count}|{','.join(map(str, frame.columns))}|{checksum}")
    finally:
        con.close()
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def new_model_id() -> str:
    """A fresh model id, usable as a table name: ``m_YYYYMMDD_HHMMSS_xxxxxx``."""
    return f"m_{utcnow():%Y%m%d_%H%M%S}_{uuid.uuid4().hex[:6]}"


def write_model(
    cur: duckdb.DuckDBPyConnection,
    model_id: str,
    model: TrainedModel,
    *,
    name: str,
    actor: str | None,
    threshold: float | None,
    metrics: dict[str, Any] | None,
    activate: bool,
    datasets: list[str],
    fingerprint: str,
    parent_model_id: str | None = None,
    notes: str | None = None,
) -> None:
    """Write one ``wb.models`` row inside the caller's transaction.

    The row holds the Splink settings JSON, the workbench spec, the data fingerprint, the
    metrics and the training record (timings, EM sessions, warnings, parameter history).
    """
    from linkage.model.train import parameter_history

    settings = model.settings_dict()
    training = {
        "timings": model.timings,
        "em_sessions": [s.__dict__ for s in model.em_sessions],
        "warnings": model.warnings,
        "parameter_history": parameter_history(model.linker),
    }
    cur.execute(
        "INSERT INTO wb.models (model_id, name, created_at, created_by, link_type, settings, "
        "spec, data_fingerprint, datasets, threshold, metrics, is_active, parent_model_id, "
        "notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            model_id,
            name,
            utcnow(),
            actor,
            settings.get("link_type"),
            json.dumps(settings, default=str),
            model.spec.to_json() if model.spec is not None else None,
            fingerprint,
            json.dumps(datasets),
            threshold,
            json.dumps({**(metrics or {}), "training": training}, default=str),
            bool(activate),
            parent_model_id,
            notes,
        ],
    )


def has_active_model(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether any saved version is active, read in the caller's transaction."""
    rows = cur.execute("SELECT count(*) FROM wb.models WHERE is_active").fetchall()
    return bool(rows[0][0])


def earlier_clusters(
    cur: duckdb.DuckDBPyConnection, model_id: str
) -> tuple[str, pd.DataFrame] | None:
    """The clusters a new clustering of ``model_id`` takes its ids from.

    The model's own stored clusters (a re-cluster at another threshold, or a refresh), else
    those of the most recently created other model that has clusters (a new model version).

    Returns:
        The model id they belong to and ``source_dataset``, ``unique_id``, ``cluster_id``;
        ``None`` when no model has clusters yet.
    """
    row = cur.execute(
        "SELECT c.model_id FROM (SELECT DISTINCT model_id FROM wb.clusters) c "
        "LEFT JOIN wb.models m USING (model_id) "
        "ORDER BY c.model_id = ? DESC, m.created_at DESC NULLS LAST, c.model_id LIMIT 1",
        [model_id],
    ).fetchone()
    if row is None:
        return None
    # Row order within a stored clustering is the order its records were written (oldest
    # first), which the id rule uses to break ties.
    frame = cur.execute(
        "SELECT source_dataset, unique_id, cluster_id FROM wb.clusters WHERE model_id = ?",
        [row[0]],
    ).df()
    return str(row[0]), frame


def write_clusters(
    cur: duckdb.DuckDBPyConnection,
    model_id: str,
    clusters: pd.DataFrame,
    threshold: float,
    *,
    keep_ids: bool = True,
) -> int:
    """Append a model's clusters to ``wb.clusters`` inside the caller's transaction.

    With ``keep_ids`` each cluster takes the id of the earlier cluster it overlaps most
    (:func:`earlier_clusters`, by the rule in :mod:`linkage.clusters.stable_ids`), so people keep
    their ids across re-clusters and new model versions. ``clusters["cluster_id"]`` is updated in
    place to the ids stored, and ``clusters.attrs["id_changes"]`` says how many ids were kept,
    retired and issued and how many records changed id.

    Returns:
        Rows written.
    """
    if keep_ids and len(clusters):
        earlier = earlier_clusters(cur, model_id)
        if earlier is not None:
            carry_earlier_ids(clusters, earlier[1], from_model=earlier[0])
    rows = clusters[["source_dataset", "unique_id", "cluster_id"]].assign(
        model_id=model_id, threshold=float(threshold)
    )
    cur.register("clusters_to_store", rows)
    cur.execute(
        "INSERT INTO wb.clusters (source_dataset, unique_id, cluster_id, model_id, threshold) "
        "SELECT source_dataset, unique_id, cluster_id, model_id, threshold FROM clusters_to_store"
    )
    cur.unregister("clusters_to_store")
    return len(rows)


def carry_earlier_ids(
    clusters: pd.DataFrame, earlier: pd.DataFrame, from_model: str | None = None
) -> dict[str, Any]:
    """Rename ``clusters["cluster_id"]`` in place to the earlier ids they overlap most.

    Returns:
        The counts of :class:`linkage.clusters.stable_ids.CarriedIds` (also put in
        ``clusters.attrs["id_changes"]``, with ``from_model``).
    """
    from linkage.clusters.stable_ids import carry_ids
    from linkage.model.predict import node_index, node_positions_of

    positions = node_index(earlier["source_dataset"], earlier["unique_id"])
    where = node_positions_of(positions, clusters["source_dataset"], clusters["unique_id"])
    old = earlier["cluster_id"].astype(object).to_numpy()
    previous = pd.Series(np.where(where >= 0, old[np.maximum(where, 0)], None), dtype=object)
    carried = carry_ids(
        clusters[["source_dataset", "unique_id"]].reset_index(drop=True),
        clusters["cluster_id"].to_numpy(),
        previous,
    )
    clusters["cluster_id"] = carried.cluster_id.to_numpy()
    summary = {**carried.summary(), "from_model": from_model}
    clusters.attrs["id_changes"] = summary
    log.info("cluster ids carried over from %s: %s", from_model, summary)
    return summary


def save_model(
    ws: Workspace,
    model: TrainedModel,
    name: str,
    *,
    threshold: float | None = None,
    metrics: dict[str, Any] | None = None,
    notes: str | None = None,
    parent_model_id: str | None = None,
    actor: str | None = None,
    activate: bool = False,
) -> str:
    """Save a trained model as a new version.

    Args:
        ws: The workspace.
        model: The trained model.
        name: A human name for the model.
        threshold: The chosen match-probability threshold.
        metrics: Measured quality (F1 and so on), any JSON-ready values.
        notes: Free text.
        parent_model_id: The version this one was tuned from.
        actor: Who saved it; the local user by default.
        activate: Make it the active model.

    Returns:
        The new model id.
    """
    model_id = new_model_id()
    with ws.transaction() as cur:
        if activate:
            cur.execute("UPDATE wb.models SET is_active = FALSE WHERE is_active")
        write_model(
            cur,
            model_id,
            model,
            name=name,
            actor=actor,
            threshold=threshold,
            metrics=metrics,
            activate=activate,
            datasets=model.data.names,
            fingerprint=data_fingerprint(model.data),
            parent_model_id=parent_model_id,
            notes=notes,
        )
        ws.audit("model.save", target=model_id, detail={"name": name}, actor=actor, cur=cur)
    log.info("saved model %s (%s)", model_id, name)
    return model_id


def list_models(ws: Workspace) -> pd.DataFrame:
    """Every saved version, newest first, with headline metrics."""
    df = ws.query_df(
        "SELECT model_id, name, created_at, created_by, link_type, data_fingerprint, datasets, "
        "threshold, metrics, is_active, parent_model_id, notes FROM wb.models "
        "ORDER BY created_at DESC, model_id DESC"
    )
    return df


def get_model(ws: Workspace, model_id: str) -> dict[str, Any]:
    """One saved version as a dict (settings, spec and metrics parsed).

    Raises:
        LinkageError: When no such model exists.
    """
    df = ws.query_df("SELECT * FROM wb.models WHERE model_id = ?", [model_id])
    if df.empty:
        raise LinkageError(
            f"There is no saved model {model_id!r}.", hint="Pick one from the list of models."
        )
    row = df.iloc[0].to_dict()
    for key in ("settings", "spec", "metrics", "datasets"):
        if row.get(key) is not None and isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


def load_model_settings(ws: Workspace, model_id: str) -> dict[str, Any]:
    """The Splink settings of a saved version (pass to ``splink.Linker``)."""
    return get_model(ws, model_id)["settings"]


def set_active_model(ws: Workspace, model_id: str, actor: str | None = None) -> None:
    """Make one version the active model (the one journeys and the app use).

    Raises:
        LinkageError: When no such model exists.
    """
    get_model(ws, model_id)
    with ws.transaction() as cur:
        cur.execute("UPDATE wb.models SET is_active = (model_id = ?)", [model_id])
        ws.audit("model.activate", target=model_id, actor=actor, cur=cur)


def _parameters(settings: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for comp in settings.get("comparisons", []):
        for i, level in enumerate(comp.get("comparison_levels", [])):
            if level.get("is_null_level"):
                continue
            rows.append(
                {
                    "comparison": comp.get("output_column_name"),
                    "level": i,
                    "label": level.get("label_for_charts") or level.get("sql_condition"),
                    "m": level.get("m_probability"),
                    "u": level.get("u_probability"),
                }
            )
    return pd.DataFrame(rows, columns=["comparison", "level", "label", "m", "u"])


def _diff(a: Any, b: Any, path: str = "") -> list[dict[str, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key in ("m_probability", "u_probability"):
                continue
            out += _diff(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _diff(x, y, f"{path}[{i}]")
        return out
    if a != b:
        return [{"setting": path, "a": json.dumps(a, default=str), "b": json.dumps(b, default=str)}]
    return []


@dataclass
class ModelComparison:
    """Two versions side by side.

    Attributes:
        settings_diff: ``setting``, ``a``, ``b`` for every setting that differs (m and u
            excepted: see ``parameters``).
        metrics: ``metric``, ``a``, ``b``.
        parameters: ``comparison``, ``label``, m, u and match weight of each, and the weight
            difference.
    """

    settings_diff: pd.DataFrame
    metrics: pd.DataFrame
    parameters: pd.DataFrame


def compare_models(ws: Workspace, model_a: str, model_b: str) -> ModelComparison:
    """Compare two saved versions: settings, metrics and m/u parameters.

    Raises:
        LinkageError: When either model does not exist.
    """
    import numpy as np

    a = get_model(ws, model_a)
    b = get_model(ws, model_b)
    diff = pd.DataFrame(_diff(a["settings"], b["settings"]), columns=["setting", "a", "b"])
    ma = {k: v for k, v in (a.get("metrics") or {}).items() if not isinstance(v, dict | list)}
    mb = {k: v for k, v in (b.get("metrics") or {}).items() if not isinstance(v, dict | list)}
    metrics = pd.DataFrame(
        [{"metric": k, "a": ma.get(k), "b": mb.get(k)} for k in sorted(set(ma) | set(mb))]
        + [{"metric": "threshold", "a": a.get("threshold"), "b": b.get("threshold")}],
        columns=["metric", "a", "b"],
    )
    pa = _parameters(a["settings"])
    pb = _parameters(b["settings"])
    params = pa.merge(pb, on=["comparison", "level"], how="outer", suffixes=("_a", "_b"))
    params["label"] = params["label_a"].fillna(params["label_b"])
    for side in ("a", "b"):
        m = pd.to_numeric(params[f"m_{side}"], errors="coerce")
        u = pd.to_numeric(params[f"u_{side}"], errors="coerce")
        params[f"weight_{side}"] = np.log2(m / u)
    params["weight_change"] = params["weight_b"] - params["weight_a"]
    params = params[
        ["comparison", "label", "m_a", "m_b", "u_a", "u_b", "weight_a", "weight_b", "weight_change"]
    ]
    return ModelComparison(settings_diff=diff, metrics=metrics, parameters=params)


def predictions_table(model_id: str) -> Sql:
    """The quoted table name holding a model's stored predictions."""
    return qualified(PREDICTIONS_SCHEMA, f"pred_{model_id}")


def store_predictions(
    ws: Workspace, model_id: str, pairs: pd.DataFrame | duckdb.DuckDBPyRelation
) -> str:
    """Store scored pairs as a workspace table (replacing any earlier for the model).

    Returns:
        The quoted table name.
    """
    get_model(ws, model_id)
    table = predictions_table(model_id)
    df = pairs if isinstance(pairs, pd.DataFrame) else pairs.df()
    with ws.transaction() as cur:
        cur.execute(compose("CREATE SCHEMA IF NOT EXISTS {s}", s=PREDICTIONS_SCHEMA))
        cur.register("pairs_to_store", df)
        cur.execute(compose("CREATE OR REPLACE TABLE {t} AS SELECT * FROM pairs_to_store", t=table))
        cur.unregister("pairs_to_store")
        ws.audit("model.predictions", target=model_id, detail={"pairs": len(df)}, cur=cur)
    return table


def load_predictions(ws: Workspace, model_id: str, min_probability: float = 0.0) -> pd.DataFrame:
    """A model's stored predictions at or above a match probability.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    if not ws.table_exists(PREDICTIONS_SCHEMA, f"pred_{model_id}"):
        raise LinkageError(
            f"Model {model_id!r} has no stored predictions.", hint="Score the pairs first."
        )
    return ws.query_df(
        compose("SELECT * FROM {t} WHERE match_probability >= ?", t=predictions_table(model_id)),
        [float(min_probability)],
    )


def store_clusters(ws: Workspace, model_id: str, clusters: pd.DataFrame, threshold: float) -> int:
    """Store a model's clusters (replacing earlier ones) and record the threshold on the model.

    Clusters keep the ids of the model's earlier clusters (or, for a model clustered for the
    first time, the latest other model's) where they overlap: see :func:`write_clusters`.

    Returns:
        Rows written.
    """
    get_model(ws, model_id)
    with ws.transaction() as cur:
        earlier = earlier_clusters(cur, model_id)
        if earlier is not None and len(clusters):
            carry_earlier_ids(clusters, earlier[1], from_model=earlier[0])
        cur.execute("DELETE FROM wb.clusters WHERE model_id = ?", [model_id])
        written = write_clusters(cur, model_id, clusters, threshold, keep_ids=False)
        cur.execute("UPDATE wb.models SET threshold = ? WHERE model_id = ?", [threshold, model_id])
        detail = {"threshold": threshold, **clusters.attrs.get("id_changes", {})}
        ws.audit("model.cluster", target=model_id, detail=detail, cur=cur)
    return written


def load_clusters(ws: Workspace, model_id: str) -> pd.DataFrame:
    """A model's stored clusters."""
    return ws.query_df(
        "SELECT source_dataset, unique_id, cluster_id, threshold FROM wb.clusters "
        "WHERE model_id = ? ORDER BY cluster_id, source_dataset, unique_id",
        [model_id],
    )


_REPORTS = qualified(PREDICTIONS_SCHEMA, "change_reports")


def store_change_report(
    ws: Workspace,
    model_id: str,
    dataset: str,
    report: dict[str, Any],
    actor: str | None = None,
) -> None:
    """Keep a refresh's change report with the model version it refreshed."""
    with ws.transaction() as cur:
        cur.execute(compose("CREATE SCHEMA IF NOT EXISTS {s}", s=PREDICTIONS_SCHEMA))
        cur.execute(
            compose(
                "CREATE TABLE IF NOT EXISTS {t} (model_id VARCHAR NOT NULL, "
                "created_at TIMESTAMP NOT NULL, created_by VARCHAR, dataset VARCHAR, report JSON)",
                t=_REPORTS,
            )
        )
        cur.execute(
            compose("INSERT INTO {t} VALUES (?, ?, ?, ?, ?)", t=_REPORTS),
            [model_id, utcnow(), actor or current_user(), dataset, json.dumps(report, default=str)],
        )


def load_change_reports(ws: Workspace, model_id: str) -> list[dict[str, Any]]:
    """A model version's change reports, newest first (``created_at``, ``dataset``, ``report``)."""
    if not ws.table_exists(PREDICTIONS_SCHEMA, "change_reports"):
        return []
    frame = ws.query_df(
        compose(
            "SELECT created_at, created_by, dataset, report FROM {t} "
            "WHERE model_id = ? ORDER BY created_at DESC",
            t=_REPORTS,
        ),
        [model_id],
    )
    return [{**row, "report": json.loads(row["report"])} for row in frame.to_dict(orient="records")]
