"""Benchmark the linkage lesson: seconds for each step to answer a change of its control.

Usage: ``python bench/bench_lesson.py``

Times the warm-up (every configuration the lesson offers trained and scored once), then for each
step a change of its control answered from the warmed cache, as the app does after the page's
first visit. Also times the cold answer of step 3 (retraining for a new name threshold), which
is what a learner would wait for if the warm-up had not reached it yet.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage.lesson.course import exercise_pairs, mark_exercise, warm_up
from linkage.lesson.models import BLOCKING_CHOICES, lesson_data, trained
from linkage.lesson.pieces import explain_pair
from linkage.lesson.steps import (
    step_blocking,
    step_clusters,
    step_exact_match,
    step_levels,
    step_m_u,
    step_threshold,
)

log = logging.getLogger("bench_lesson")


def timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    """Run ``fn`` and record its wall time under ``label``."""
    t0 = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - t0))
    return out


def main() -> None:
    """Print the timings table."""
    logging.basicConfig(level=logging.ERROR)
    rows: list[tuple[str, float]] = []
    timed("lesson data (slice + standardise)", lesson_data, rows)
    timed("cold: train default model + score", trained, rows)
    timed("cold: step 3, retrain at JW 0.8", lambda: step_levels(0.8), rows)
    timed("warm-up of every other configuration", lambda: warm_up(False), rows)
    changes: list[tuple[str, Callable[[], Any]]] = [
        ("1 exact match: surname + dob", lambda: step_exact_match(["surname", "dob"])),
        ("2 m and u: postcode", lambda: step_m_u("postcode")),
        ("3 levels: JW 0.7", lambda: step_levels(0.7)),
        ("4 blocking: one rule", lambda: step_blocking(["surname + dob"])),
        ("4 blocking: every rule", lambda: step_blocking(list(BLOCKING_CHOICES))),
        ("5 prior x10, threshold 0.8", lambda: step_threshold(10.0, 0.8)),
        ("6 clusters at 0.2", lambda: step_clusters(0.2)),
        (
            "7 exercise: pairs + marking",
            lambda: mark_exercise({p.pair_key: True for p in exercise_pairs()}),
        ),
    ]
    for label, fn in changes:
        result = timed(label, fn, rows)
        changed = getattr(result, "changed", None)
        if changed is not None and len(changed):
            key = changed["pair_key"].iloc[0]
            timed(
                f"  waterfall of a changed pair ({label[:1]})",
                lambda k=key: (
                    explain_pair([trained()], k)
                    if (trained().pairs["pair_key"] == k).any()
                    else None
                ),
                rows,
            )
    width = max(len(r[0]) for r in rows)
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
