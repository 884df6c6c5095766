"""The lesson's outline and its last step ("you be the model"), and the warm-up that builds
every configuration the lesson offers before the learner asks for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from linkage.lesson.models import (
    BLOCKING_CHOICES,
    COMPARED,
    DEFAULT_EXACT_FIELDS,
    DEFAULT_THRESHOLD,
    NAME_THRESHOLDS,
    PRIOR_FACTORS,
    start_warm_up,
    trained,
    with_blocking,
    with_prior,
    without_comparison,
)
from linkage.lesson.pieces import records_side_by_side
from linkage.lesson.steps import exact_pairs


# --------------------------------------------------------------------------- exercise
@dataclass
class ExercisePair:
    """One pair of the "you be the model" exercise."""

    pair_key: str
    record_1: str
    record_2: str
    is_match: bool
    match_probability: float
    match_weight: float


def exercise_pairs(n: int = 5) -> list[ExercisePair]:
    """A fixed set of instructive pairs: clear and borderline matches and non-matches.

    Args:
        n: How many pairs.
    """
    scored = trained()
    pairs = scored.pairs.sort_values("pair_key")
    bands = [
        pairs[pairs["is_match"] & (pairs["match_probability"] > 0.99)],
        pairs[~pairs["is_match"] & (pairs["match_probability"] > 0.5)],
        pairs[pairs["is_match"] & (pairs["match_probability"] < 0.5)],
        pairs[~pairs["is_match"] & pairs["match_probability"].between(0.01, 0.5)],
        pairs[pairs["is_match"] & pairs["match_probability"].between(0.5, 0.99)],
    ]
    chosen = [b.iloc[[0]] for b in bands if not b.empty]
    picked = pd.concat(chosen).head(n).reset_index(drop=True)
    side = records_side_by_side(picked)
    return [
        ExercisePair(
            str(p["pair_key"]),
            str(side.loc[i, "record_1"]),
            str(side.loc[i, "record_2"]),
            bool(p["is_match"]),
            float(p["match_probability"]),
            float(p["match_weight"]),
        )
        for i, p in picked.iterrows()
    ]


@dataclass
class ExerciseResult:
    """How the learner's labels compare with the model and the truth."""

    table: pd.DataFrame
    learner_correct: int
    model_correct: int


def mark_exercise(labels: dict[str, bool]) -> ExerciseResult:
    """Compare the learner's labels with the model's verdict and the truth.

    Args:
        labels: ``pair_key`` -> the learner's "same person?" answer.
    """
    rows = []
    for pair in exercise_pairs():
        if pair.pair_key not in labels:
            continue
        model_says = pair.match_probability >= DEFAULT_THRESHOLD
        rows.append(
            {
                "pair_key": pair.pair_key,
                "record_1": pair.record_1,
                "record_2": pair.record_2,
                "you_said": "same person" if labels[pair.pair_key] else "different people",
                "model_probability": pair.match_probability,
                "model_said": "same person" if model_says else "different people",
                "truth": "same person" if pair.is_match else "different people",
                "you_right": labels[pair.pair_key] == pair.is_match,
                "model_right": model_says == pair.is_match,
            }
        )
    table = pd.DataFrame(rows)
    return ExerciseResult(
        table,
        int(table["you_right"].sum()) if rows else 0,
        int(table["model_right"].sum()) if rows else 0,
    )


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its key and title."""

    key: str
    title: str


STEPS: tuple[Step, ...] = (
    Step("exact", "1. Why exact matching fails"),
    Step("mu", "2. What m and u mean"),
    Step("levels", "3. From levels to match weights"),
    Step("blocking", "4. Blocking: speed against recall"),
    Step("threshold", "5. Prior and threshold"),
    Step("clusters", "6. Clusters and where they go wrong"),
    Step("exercise", "7. You be the model"),
)


def warm_up(background: bool = True) -> threading.Thread | None:
    """Train and score every configuration the lesson offers, so each step answers at once.

    The default model first, then the other name thresholds, priors and comparisons left out.
    Already cached configurations are skipped.

    Args:
        background: Run in a daemon thread (returned) instead of now.
    """
    jobs: list[Callable[[], Any]] = [trained, lambda: exact_pairs(DEFAULT_EXACT_FIELDS)]
    jobs += [lambda c=c: without_comparison(c) for c in COMPARED]
    jobs += [lambda t=t: trained(t) for t in NAME_THRESHOLDS]
    jobs += [lambda f=f: with_prior(f) for f in PRIOR_FACTORS]
    jobs.append(lambda: with_blocking(list(BLOCKING_CHOICES)))
    return start_warm_up(jobs, background)
