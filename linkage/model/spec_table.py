"""Tables of a linkage model for display and editing, and their way back into a model.

Pages show a :class:`~linkage.model.model_spec.ModelSpec` as plain tables (one row per comparison,
one per blocking rule) that a user can edit; the functions here turn a spec into those tables and an
edited table back into a spec, checking every value and naming the row of any problem. They also
flatten the model registry and training summaries into tables ready to show.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from linkage.model.model_spec import (
    COMPARISON_KINDS,
    BlockingRuleSpec,
    ComparisonSpec,
    ModelSpec,
    parse_expression,
)
from workbench.errors import LinkageError
from workbench.formatting import (
    MISSING,
    cluster_label,
    format_date,
    format_number,
    format_seconds,
    is_missing,
)

#: Kinds whose levels use thresholds the user can change.
KINDS_WITH_THRESHOLDS: frozenset[str] = frozenset(
    {"name", "surname", "full_name", "jaro_winkler", "levenshtein", "identifier", "numeric", "date"}
)

#: Kinds whose exact level can take a term-frequency adjustment.
KINDS_WITH_TF: frozenset[str] = frozenset(
    {"name", "surname", "full_name", "jaro_winkler", "levenshtein", "identifier", "exact"}
)

COMPARISON_COLUMNS = ["column", "kind", "thresholds", "term_frequency", "note"]


def format_thresholds(values: list[float] | None) -> str:
    """Thresholds as editable text, e.g. ``"0.92, 0.88"`` (empty for none)."""
    if not values:
        return ""
    return ", ".join(f"{v:g}" for v in values)


def parse_thresholds(text: str | None, kind: str, column: str = "") -> list[float] | None:
    """Parse thresholds typed as ``"0.92, 0.88"``; ``None`` (the kind's defaults) when empty.

    Args:
        text: The typed text.
        kind: The comparison kind, to check the range (similarities lie between 0 and 1).
        column: The column, for the error message.

    Raises:
        LinkageError: When a value is not a number or is out of range.
    """
    if text is None or not str(text).strip():
        return None
    parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    values: list[float] = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError as exc:
            raise LinkageError(
                f"The threshold {part!r} of {column or 'a comparison'} is not a number.",
                hint="Type numbers separated by commas, e.g. 0.92, 0.88.",
            ) from exc
    if kind in ("name", "surname", "full_name", "jaro_winkler") and any(
        not 0 < v <= 1 for v in values
    ):
        raise LinkageError(
            f"The similarity thresholds of {column or 'a comparison'} must lie between 0 and 1.",
            hint="Jaro-Winkler similarity is 1 for identical text; 0.88 is a close spelling.",
        )
    if kind not in ("name", "surname", "full_name", "jaro_winkler") and any(v <= 0 for v in values):
        raise LinkageError(
            f"The thresholds of {column or 'a comparison'} must be positive.",
            hint="They are distances: edits, days or absolute differences.",
        )
    return values


def comparisons_table(spec: ModelSpec) -> pd.DataFrame:
    """One row per comparison: column, kind, thresholds (text), term-frequency switch, note."""
    rows = [
        {
            "column": c.column,
            "kind": c.kind,
            "thresholds": format_thresholds(c.resolved_thresholds())
            if c.kind in KINDS_WITH_THRESHOLDS
            else "",
            "term_frequency": bool(c.term_frequency_adjustments),
            "note": c.note,
        }
        for c in spec.comparisons
    ]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


_LEVEL_MEANINGS: tuple[tuple[str, str], ...] = (
    ("initial agrees", "one record holds only an initial, and it matches: weak evidence"),
    ("sector", "same postcode sector (the full postcode but its last two letters)"),
    ("district", "same postcode district (the part before the space)"),
    ("area", "same postcode area (the letters at the start)"),
    ("full postcode", "the same postcode"),
    ("exact match", "the values are the same"),
    ("jaro-winkler", "spelt almost the same (similarity at or above the number shown)"),
    ("matches the other record", "the names are in each other's fields (both names cross)"),
    ("day and month swapped", "the same date with day and month exchanged"),
    ("one character different", "one character mistyped"),
    ("levenshtein", "at most the number of characters shown are different"),
    ("within", "the dates are this close"),
    ("absolute difference", "the numbers are this close"),
    ("all other", "none of the levels above: evidence against a match"),
)


def levels_table(spec: ModelSpec) -> pd.DataFrame:
    """Every comparison's levels, closest first, each with what it means in plain words.

    Args:
        spec: The model.

    Returns:
        ``column``, ``level`` (Splink's label) and ``meaning``, one row per level; a record
        with no value falls in no level and counts neither way.
    """
    rows = []
    for comp in spec.comparisons:
        comparison = comp.to_splink().get_comparison("duckdb")
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            label = str(level.label_for_charts)
            text = label.lower()
            meaning = next((m for key, m in _LEVEL_MEANINGS if key in text), "")
            if text.startswith("exact match") and comp.term_frequency_adjustments:
                meaning += " (a rare value counts for more than a common one)"
            rows.append({"column": comp.column, "level": label, "meaning": meaning})
    return pd.DataFrame(rows, columns=["column", "level", "meaning"])


def apply_comparisons_table(spec: ModelSpec, table: pd.DataFrame) -> ModelSpec:
    """A copy of the spec with the comparisons edited as in ``table``.

    Rows are matched to comparisons by column name; a comparison whose row is missing is
    dropped, so deleting a row removes the comparison.

    Args:
        spec: The model being edited.
        table: Output of :func:`comparisons_table`, edited.

    Raises:
        LinkageError: Naming every row with an unknown kind or bad thresholds.
    """
    by_column = {c.column: c for c in spec.comparisons}
    problems: list[str] = []
    comparisons: list[ComparisonSpec] = []
    for row in table.to_dict(orient="records"):
        column = str(row.get("column") or "")
        old = by_column.get(column)
        if old is None:
            problems.append(f"there is no comparison on {column!r} to edit")
            continue
        kind = str(row.get("kind") or old.kind)
        if kind not in COMPARISON_KINDS:
            problems.append(f"{column}: the kind {kind!r} is unknown")
            continue
        try:
            thresholds = (
                parse_thresholds(row.get("thresholds"), kind, column)
                if kind in KINDS_WITH_THRESHOLDS
                else None
            )
        except LinkageError as exc:
            problems.append(exc.message)
            continue
        new = copy.deepcopy(old)
        if kind != old.kind and thresholds == old.resolved_thresholds():
            thresholds = None
        new.kind = kind
        new.thresholds = thresholds
        new.term_frequency_adjustments = bool(row.get("term_frequency")) and kind in KINDS_WITH_TF
        comparisons.append(new)
    if problems:
        raise LinkageError(
            "The comparisons cannot be used: " + "; ".join(problems) + ".",
            hint="Correct the highlighted rows and save again.",
        )
    edited = copy.deepcopy(spec)
    edited.comparisons = comparisons
    return edited


def edit_comparison(
    spec: ModelSpec,
    column: str,
    *,
    kind: str | None = None,
    thresholds: str | None = None,
    term_frequency: bool | None = None,
) -> ModelSpec:
    """A copy of the spec with one comparison changed (the form-based editor's path).

    Raises:
        LinkageError: When there is no comparison on the column or a value is invalid.
    """
    table = comparisons_table(spec)
    if column not in set(table["column"]):
        raise LinkageError(f"There is no comparison on {column!r}.")
    index = table.index[table["column"] == column][0]
    if kind is not None:
        table.loc[index, "kind"] = kind
    if thresholds is not None:
        table.loc[index, "thresholds"] = thresholds
    if term_frequency is not None:
        table.loc[index, "term_frequency"] = term_frequency
    return apply_comparisons_table(spec, table)


def parse_rule(text: str) -> BlockingRuleSpec:
    """Parse a blocking rule typed as expressions joined by ``+`` (or ``&`` / ``and``).

    Example: ``first_name + substr(surname, 1, 3) + year(dob)``.

    Raises:
        LinkageError: When the text is empty or an expression is not understood.
    """
    parts = [p.strip() for p in re.split(r"\s*(?:\+|&|\band\b)\s*", text or "", flags=re.I)]
    parts = [p for p in parts if p]
    if not parts:
        raise LinkageError(
            "The blocking rule is empty.",
            hint="Type column expressions joined by +, e.g. surname + year(dob).",
        )
    for part in parts:
        parse_expression(part)
    return BlockingRuleSpec(expressions=parts, note="added by hand")


def add_rule(spec: ModelSpec, rule: BlockingRuleSpec) -> ModelSpec:
    """A copy of the spec with a blocking rule appended.

    Raises:
        LinkageError: When the spec already has the same rule.
    """
    if rule.label() in {r.label() for r in spec.blocking_rules}:
        raise LinkageError(f"The model already blocks on {rule.label()}.")
    edited = copy.deepcopy(spec)
    edited.blocking_rules.append(rule)
    return edited


def remove_rules(spec: ModelSpec, labels: list[str]) -> ModelSpec:
    """A copy of the spec without the blocking rules of the given labels.

    Raises:
        LinkageError: When that would leave no blocking rule.
    """
    kept = [r for r in spec.blocking_rules if r.label() not in set(labels)]
    if not kept:
        raise LinkageError(
            "A model needs at least one blocking rule.", hint="Add another rule first."
        )
    edited = copy.deepcopy(spec)
    edited.blocking_rules = kept
    return edited


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


def with_link_type(spec: ModelSpec, link_type: str) -> ModelSpec:
    """A copy of the spec with another link type (blocking counts change with it)."""
    edited = copy.deepcopy(spec)
    edited.link_type = link_type
    return edited


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
    values."""
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
    table["agree"] = table["left"] == table["right"]
    return table


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """Metrics as one line: ``precision 0.981, n clusters 254`` (counts without decimals)."""
    parts = []
    for key, value in metrics.items():
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        shown = f"{value:,.0f}" if float(value).is_integer() and value > 1 else f"{value:.3f}"
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return ", ".join(parts)


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
