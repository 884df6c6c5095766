"""Model health check: what looks wrong with a trained model, in plain words, and what to change.

:func:`check_model` runs after every training (the app's Train page and ``workbench link``)
and reads only the trained model, its input and (when given) the scored pairs and clusters.
Each problem becomes a :class:`~linkage.quality.findings.Finding` with a severity:

- ``serious``: the results are probably wrong (``workbench link --strict`` fails on these);
- ``warning``: worth a look before the results are used;
- ``info``: a measurement worth knowing (the estimated blocking recall, for example).

The checks, and the modules holding each check with the limits it uses (module constants, so
they are stated once):

- untrained levels: a level whose m (or u) probability no training step estimated, so Splink
  scores it with a default weight; serious when that made-up weight is extreme;
- weights out of order: a closer level weighing more than ``ORDER_TOLERANCE_BITS`` less than a
  looser one in the same comparison (the ELSE level and levels of another kind, such as
  swapped names, are left out);
- extreme weights: a level beyond ``EXTREME_WEIGHT_BITS`` either way;
- sessions that disagree: one level's m estimated in two EM sessions differing by more than
  ``SESSION_DIFFERENCE`` (or by a factor over ``SESSION_RATIO`` where it matters);

  these four in :mod:`linkage.quality.weight_checks` (:func:`check_levels`);
- redundant comparisons: two compared columns agreeing together among non-matching pairs far
  more often than independence predicts (:mod:`linkage.quality.redundancy`);
- blocking recall: the share of likely matches the blocking rules find
  (:mod:`linkage.quality.recall`);
- clusters: clusters far larger than the rest, or held together by one weak link
  (:mod:`linkage.quality.cluster_checks`).

Every check is cheap: the two that read the data work on samples (a few hundred thousand
pairs), so the whole check takes seconds at 100,000 records and stays in seconds at a million.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from linkage.model.train import TrainedModel
from linkage.quality.cluster_checks import check_clusters
from linkage.quality.findings import INFO, SEVERITIES, Finding, HealthReport
from linkage.quality.recall import estimate_blocking_recall, recall_findings
from linkage.quality.redundancy import judged_pairs, redundancy_findings, redundancy_table
from linkage.quality.weight_checks import check_levels
from workbench.errors import first_line

log = logging.getLogger(__name__)


def _run(name: str, findings: list[Finding], step: Callable[[], list[Finding]]) -> None:
    try:
        findings += step()
    except Exception as exc:  # one failing check must not hide the others
        log.warning("health check %s failed", name, exc_info=True)
        first = first_line(exc)
        findings.append(
            Finding(
                "not_run",
                INFO,
                f"The {name} check could not run: {first}",
                "Nothing to change in the model; run with -v (or see the log) for details.",
            )
        )


def check_model(
    model: TrainedModel,
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation | None = None,
    clusters: pd.DataFrame | None = None,
    threshold: float | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> HealthReport:
    """Check a trained model for the problems listed in this module's description.

    Args:
        model: The trained (or loaded) model.
        pairs: Its scored pairs, for the cluster checks.
        clusters: Its clusters (``source_dataset``, ``unique_id``, ``cluster_id``).
        threshold: The match probability the clusters were made at (inferred when omitted).
        progress: Called with a message and the fraction done before each check.

    Returns:
        The report: serious findings first, then warnings, then notes.
    """

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    start = time.perf_counter()
    findings: list[Finding] = []
    measures: dict[str, Any] = {}
    report("Checking the trained weights", 0.0)
    _run("trained weights", findings, lambda: check_levels(model))

    con = None

    def redundant() -> list[Finding]:
        table = redundancy_table(model, con)
        if not table.empty:
            top = judged_pairs(table).head(1)
            if not top.empty:
                row = top.iloc[0]
                measures["most_dependent_pair"] = f"{row.comparison_a} + {row.comparison_b}"
                measures["most_dependent_ratio"] = round(float(row.ratio), 2)
        return redundancy_findings(table)

    def recall() -> list[Finding]:
        estimate = estimate_blocking_recall(model, con)
        if estimate.recall is not None:
            measures["blocking_recall"] = round(estimate.recall, 4)
        measures["likely_matches_in_sample"] = round(estimate.likely_matches, 1)
        measures["recall_sample_records"] = estimate.probes
        return recall_findings(estimate)

    try:
        report("Reading the records", 0.1)
        con = model.data.connection()
        report("Looking for comparisons that repeat each other", 0.2)
        _run("redundant comparisons", findings, redundant)
        report("Estimating the blocking recall", 0.55)
        _run("blocking recall", findings, recall)
    except Exception as exc:
        log.warning("the health check could not read the data: %s", exc)
    finally:
        if con is not None:
            con.close()
    if pairs is not None and clusters is not None:
        report("Checking the clusters", 0.9)
        _run("cluster", findings, lambda: check_clusters(pairs, clusters, threshold))
    report("Health check done", 1.0)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order.get(f.severity, len(order)))
    seconds = time.perf_counter() - start
    log.info("health check: %d findings in %.1f s", len(findings), seconds)
    return HealthReport(findings=findings, measures=measures, seconds=seconds)
