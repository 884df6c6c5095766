"""Labels that teach: re-estimate a model's m probabilities from pairs known to match.

Splink's ``estimate_m_from_pairwise_labels`` counts, among labelled matching pairs, how
often each comparison reached each level. A few dozen clerical labels are too few to stand
alone (a level no labelled match reached would get m = 0 and a weight of minus infinity), so
the label estimate is pooled with the model's current m as if the model were worth
:data:`PRIOR_PAIRS` labelled matches. With thousands of labels (a truth column) the labels
decide.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pandas as pd

from linkage.model.train import TrainedModel
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

#: How many labelled matching pairs the model's current m values are worth.
PRIOR_PAIRS = 20.0
#: Smallest m a level keeps after pooling, so no level's weight becomes minus infinity.
M_FLOOR = 1e-6
LABEL_DESCRIPTION = "estimate m from pairwise labels"
_ID_COLUMNS = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]


def _levels(model: TrainedModel) -> list[tuple[str, Any]]:
    out = []
    for cc in model.linker._settings_obj.comparisons:
        for cl in cc._comparison_levels_excluding_null:
            out.append((str(cc.output_column_name), cl))
    return out


def _label_estimate(cl: Any) -> float | None:
    """The latest m Splink estimated from labels for a level (0 when no label reached it)."""
    for item in reversed(cl._trained_m_probabilities):
        if item.get("description") == LABEL_DESCRIPTION:
            value = item.get("probability")
            return float(value) if isinstance(value, int | float) else 0.0
    return None


def relearn_m(
    model: TrainedModel, matches: pd.DataFrame, prior_pairs: float = PRIOR_PAIRS
) -> pd.DataFrame:
    """Re-estimate the model's m probabilities from labelled matching pairs, in place.

    Args:
        model: The model to change (its linker's parameters are updated).
        matches: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``,
            ``unique_id_r`` of pairs known to be matches.
        prior_pairs: How many labelled matches the current m values are worth; 0 takes the
            labels' estimate alone.

    Returns:
        One row per comparison level: ``comparison``, ``level`` (comparison vector value),
        ``label`` (the level's description), ``m_before``, ``m_labels`` (Splink's estimate
        from the labels), ``m_after``.

    Raises:
        LinkageError: When there is no matching pair, or Splink cannot compare them.
    """
    if matches.empty:
        raise LinkageError(
            "No labelled pair is a match, so m cannot be estimated.",
            hint="Label some pairs as matches first.",
        )
    n = float(len(matches))
    linker = model.linker
    before = {(c, cl.comparison_vector_value): cl.m_probability for c, cl in _levels(model)}
    name = f"__wb_label_matches_{uuid.uuid4().hex[:8]}"
    frame = matches[_ID_COLUMNS].astype(str).reset_index(drop=True)
    try:
        linker.table_management.register_table(frame, name, overwrite=True)
        linker.training.estimate_m_from_pairwise_labels(name)
    except Exception as exc:
        raise LinkageError(
            f"m could not be estimated from the labels: {first_line(exc)}",
            hint="Check the labelled pairs belong to this model's datasets.",
        ) from exc
    rows = []
    by_comparison: dict[str, list[tuple[Any, float]]] = {}
    for comparison, cl in _levels(model):
        prior = before[(comparison, cl.comparison_vector_value)]
        estimate = _label_estimate(cl)
        if cl._fix_m_probability or estimate is None:
            after = prior
        elif prior is None:
            after = estimate
        else:
            after = (n * estimate + prior_pairs * float(prior)) / (n + prior_pairs)
        after = None if after is None else max(float(after), M_FLOOR)
        by_comparison.setdefault(comparison, []).append((cl, after))
        rows.append(
            {
                "comparison": comparison,
                "level": int(cl.comparison_vector_value),
                "label": str(cl.label_for_charts),
                "m_before": None if prior is None else float(prior),
                "m_labels": estimate,
                "m_after": after,
            }
        )
    for items in by_comparison.values():
        total = sum(a for _, a in items if a is not None)
        for cl, after in items:
            if after is not None and not cl._fix_m_probability:
                cl.m_probability = after / total if total else after
    table = pd.DataFrame(rows)
    sums = table.groupby("comparison")["m_after"].transform("sum")
    table["m_after"] = table["m_after"] / sums
    log.info("re-estimated m from %d labelled matches", int(n))
    return table
