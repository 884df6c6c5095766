"""Labels that teach: re-estimate a model's m probabilities from pairs known to match.

Two estimators, for two kinds of labels:

* A truth column (every true pair): :func:`relearn_m` uses Splink's
  ``estimate_m_from_pairwise_labels``, which counts among the matching pairs how often each
  comparison reached each level, pooled with the model's current m as if the model were worth
  ``prior_pairs`` labelled matches (none for a truth, whose thousands of pairs decide).
* Clerical labels from the Review page: :func:`relearn_m_from_review`. The page offers the
  pairs whose label would teach the most, borderline ones, which are no random sample of
  matches: counting levels among them pulls m towards the weak agreement that made them
  borderline (on Splink's fake_1000, 50 such labels lowered clustered F1 from 0.961 to 0.954).
  Instead every scored pair counts, weighted by its chance of being a match given the labels
  in its comparison pattern, and each level's m moves by as much as the labels move the
  expected number of matches at that level.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import numpy as np
import pandas as pd

from linkage.model.train import TrainedModel
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

#: How many labelled matching pairs the model's current m values are worth.
PRIOR_PAIRS = 20.0
#: Pseudo-pairs added to both sums of :func:`relearn_m_from_review`'s ratio at each level.
RATIO_SMOOTHING = 1.0
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


def _set_m(levels: list[tuple[str, Any, float | None, float | None, float | None]]) -> pd.DataFrame:
    """Give each level its new m, renormalised within its comparison (a level whose m is fixed
    keeps it), and return the table of changes.

    Args:
        levels: ``(comparison, level, m_before, m_labels, m_after)`` per level, ``m_after``
            not yet renormalised (``None`` where the level has no m).
    """
    table = pd.DataFrame(
        [
            {
                "comparison": comparison,
                "level": int(cl.comparison_vector_value),
                "label": str(cl.label_for_charts),
                "m_before": before,
                "m_labels": estimate,
                "m_after": after,
            }
            for comparison, cl, before, estimate, after in levels
        ]
    )
    sums = table.groupby("comparison")["m_after"].transform("sum")
    table["m_after"] = table["m_after"] / sums
    for (_, cl, *_), after in zip(levels, table["m_after"], strict=True):
        if not pd.isna(after) and not cl._fix_m_probability:
            cl.m_probability = float(after)
    return table


def relearn_m_from_review(
    model: TrainedModel,
    pairs: pd.DataFrame,
    labels: pd.DataFrame,
    smoothing: float = RATIO_SMOOTHING,
) -> pd.DataFrame:
    """Re-estimate the model's m probabilities from clerical labels, in place, without the
    bias of how the labelled pairs were chosen.

    Each scored pair's chance of being a match is the model's probability, corrected in each
    comparison pattern by the labels there (:func:`linkage.review.active.posteriors`; a
    labelled pair is its label). For each comparison level, m is scaled by
    ``(sum of those chances + s) / (sum of the model's probabilities + s)`` over the pairs at
    that level (``s`` = ``smoothing``), then renormalised within its comparison: labels that
    agree with the model move nothing, and a level where labelled pairs match more often than
    the model expected gains weight.

    Args:
        model: The model to change (its linker's parameters are updated).
        pairs: The model's scored pairs (``match_probability``, ids, ``gamma_*`` levels).
        labels: Clerical labels (``label`` 1, 0 or empty for unsure).
        smoothing: Pseudo-pairs added to both sums, so a level few pairs reach moves little.

    Returns:
        As :func:`relearn_m`; ``m_labels`` is the level's share of the expected matches among
        the scored pairs, given the labels.

    Raises:
        LinkageError: When no labelled pair is a match.
    """
    from linkage.review.active import posteriors

    known = labels.dropna(subset=["label"])
    if not (known["label"] == 1).any():
        raise LinkageError(
            "No labelled pair is a match, so m cannot be estimated.",
            hint="Label some pairs as matches first.",
        )
    post = posteriors(pairs, known)
    prob = pairs["match_probability"].to_numpy(dtype=float)
    gammas: dict[str, tuple[np.ndarray, float]] = {}  # per comparison: levels, matches
    levels = []
    for comparison, cl in _levels(model):
        if comparison not in gammas:
            column = f"gamma_{comparison}"
            if column not in pairs.columns:
                raise LinkageError(
                    f"The scored pairs lack the levels of {comparison}, so m cannot be "
                    "re-estimated.",
                    hint="Train the model again; its scored pairs keep their comparison levels.",
                )
            gamma = pd.to_numeric(pairs[column], errors="coerce").fillna(-1).to_numpy()
            gammas[comparison] = (gamma, float(post[gamma >= 0].sum()))
        gamma, expected = gammas[comparison]
        at = gamma == cl.comparison_vector_value
        matches_at = post[at].sum()
        ratio = (matches_at + smoothing) / (prob[at].sum() + smoothing)
        before = cl.m_probability
        levels.append(
            (
                comparison,
                cl,
                None if before is None else float(before),
                float(matches_at / expected) if expected else None,
                None if before is None else max(float(before) * ratio, M_FLOOR),
            )
        )
    table = _set_m(levels)
    log.info("re-estimated m from %d clerical labels", len(known))
    return table


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
    levels = []
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
        levels.append((comparison, cl, None if prior is None else float(prior), estimate, after))
    table = _set_m(levels)
    log.info("re-estimated m from %d labelled matches", int(n))
    return table
