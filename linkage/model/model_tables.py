"""Saved models and their training summaries flattened into tables ready to show: the registry
list, the headline metrics in plain names, the EM sessions and each level's parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from workbench.formatting import format_date, format_number, format_seconds, is_missing


def _headline(metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (metrics or {}).items():
        if key == "training" or isinstance(value, dict | list):
            continue
        out[key] = value
    return out


def _parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def models_table(models: pd.DataFrame) -> pd.DataFrame:
    """The registry list (``linkage.clusters.registry.list_models``) flattened for display.

    Returns:
        ``active``, ``name``, ``created_at``, ``datasets``, ``link_type``, ``threshold``,
        ``fingerprint``, the headline metrics as columns, and ``model_id``.
    """
    rows = []
    for row in models.to_dict(orient="records"):
        datasets = _parse_json(row.get("datasets"))
        rows.append(
            {
                "active": bool(row.get("is_active")),
                "name": row.get("name"),
                "created_at": row.get("created_at"),
                "datasets": ", ".join(datasets) if isinstance(datasets, list) else datasets,
                "link_type": row.get("link_type"),
                "threshold": row.get("threshold"),
                "fingerprint": row.get("data_fingerprint"),
                **{
                    METRIC_LABELS.get(k, k.replace("_", " ")): v
                    for k, v in _headline(_parse_json(row.get("metrics"))).items()
                    if k != "threshold"
                },
                "model_id": row.get("model_id"),
            }
        )
    return pd.DataFrame(rows)


def model_label(models: pd.DataFrame, model_id: str) -> str:
    """A short label for a model in a select box: name, date and an active mark."""
    match = models[models["model_id"] == model_id]
    if match.empty:
        return model_id
    row = match.iloc[0]
    when = pd.Timestamp(row["created_at"])
    trained = f"trained {format_date(when)} {when:%H:%M}"
    threshold = row.get("threshold")
    cut = "" if is_missing(threshold) else f", threshold {float(threshold):g}"
    active = " (active)" if bool(row["is_active"]) else ""
    return f"{row['name']} — {trained}{cut}{active}"


def em_sessions_table(metrics: Mapping[str, Any] | None) -> pd.DataFrame:
    """The EM sessions recorded in a model's metrics: rule, iterations, converged, seconds."""
    training = (metrics or {}).get("training") or {}
    sessions = training.get("em_sessions") or []
    columns = ["blocking_rule", "iterations", "converged", "seconds"]
    rows = [{c: s.get(c) for c in columns} for s in sessions]
    for row in rows:
        row["seconds"] = format_seconds(row["seconds"])
    return pd.DataFrame(rows, columns=columns)


def settings_json(settings: Mapping[str, Any]) -> bytes:
    """Splink settings as downloadable JSON bytes (loadable by ``splink.Linker``)."""
    return json.dumps(settings, indent=2, default=str).encode("utf-8")


METRIC_LABELS = {
    "threshold": "Threshold (match probability)",
    "n_pairs": "Pairs kept after scoring (at or above the retention cut)",
    "pairwise_precision": "Pairwise precision",
    "pairwise_recall": "Pairwise recall",
    "pairwise_f1": "Pairwise F1",
    "cluster_precision": "Cluster precision",
    "cluster_recall": "Cluster recall",
    "cluster_f1": "Cluster F1",
    "n_clusters": "Clusters made (records with a true person)",
    "n_true_clusters": "True people (records with a true person)",
    "n_people": "Clusters (people) among records with a person",
    "n_records_without_person": "Records without a person (no suspect)",
    "bcubed_precision": "B-cubed precision",
    "bcubed_recall": "B-cubed recall",
    "bcubed_f1": "B-cubed F1",
    "n_labels": "Clerical labels",
    "retention_match_weight": "Lowest match weight kept",
    "n_records": "Records",
}


def metrics_table(metrics: Mapping[str, Any] | None) -> pd.DataFrame:
    """The numeric headline metrics of a run or model as ``measure`` and ``value`` rows.

    Measures carry plain names (:data:`METRIC_LABELS`); values are text, counts with
    thousands separators and fractions to three places.
    """
    rows = [
        {"measure": METRIC_LABELS.get(k, k.replace("_", " ")), "value": format_number(v)}
        for k, v in _headline(metrics).items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


def model_parameters_table(settings: Mapping[str, Any]) -> pd.DataFrame:
    """Every comparison level of Splink settings with its m, u and match weight."""
    import math

    rows = []
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comp.get("output_column_name"),
                    "level": level.get("label_for_charts") or level.get("sql_condition"),
                    "m": m,
                    "u": u,
                    "match_weight": weight,
                }
            )
    return pd.DataFrame(rows, columns=["comparison", "level", "m", "u", "match_weight"])


def tf_columns(settings: Mapping[str, Any]) -> list[str]:
    """Columns whose comparison levels use a term-frequency adjustment."""
    found: dict[str, None] = {}
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column:
                found[str(column)] = None
    return list(found)
