"""Blocking recall: the share of likely matches the blocking rules find
(:func:`estimate_blocking_recall`, :func:`recall_findings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np

from linkage.model.train import TrainedModel
from linkage.quality.findings import INFO, SERIOUS, WARNING, Finding
from linkage.quality.pair_scorer import PairScorer, prepare_records
from workbench.sql import Sql, compose

#: Blocking rules finding fewer of the likely matches than this get a warning...
RECALL_WARNING = 0.95
#: ... and fewer than this are a serious problem.
RECALL_SERIOUS = 0.8
#: Records sampled as probes for the blocking recall estimate.
RECALL_PROBES = 1000
#: Most records one probe may be paired with by one candidate key...
RECALL_KEY_PARTNERS = 500.0
#: ... and at most this share of all records (so sex alone is never a key).
RECALL_KEY_SHARE = 0.05
#: Pairs the model gives less than this match probability count for nothing: thousands of
#: near-certain non-matches would otherwise add up to phantom matches.
RECALL_MIN_PROBABILITY = 0.01
#: Most records one probe may be paired with over all candidate keys.
RECALL_TOTAL_PARTNERS = 500.0
#: Likely matches needed in the recall sample before the estimate is given.
RECALL_MIN_MATCHES = 5.0


@dataclass
class RecallEstimate:
    """The share of likely matches the blocking rules find (see :func:`estimate_blocking_recall`).

    Attributes:
        recall: Estimated share of true matches the rules generate, or ``None`` when the sample
            held too few likely matches to say.
        likely_matches: Sum of match probabilities over the candidate pairs (expected matches).
        probes: Records sampled.
        pairs: Candidate pairs scored.
        keys: The candidate keys (column lists) that made the pairs.
        missed_by_key: Expected matches the rules miss, per candidate key they agree on.
    """

    recall: float | None
    likely_matches: float
    probes: int
    pairs: int
    keys: list[list[str]] = field(default_factory=list)
    missed_by_key: dict[str, float] = field(default_factory=dict)


def _partners(con: duckdb.DuckDBPyConnection, key: Sequence[str], n: int) -> float:
    filled = Sql(" AND ".join(compose("{c} IS NOT NULL", c=c) for c in key))
    sql = compose(
        "SELECT coalesce(sum(c * c), 0) FROM (SELECT count(*) AS c FROM __health_rec "
        "WHERE {filled} GROUP BY {cols})",
        filled=filled,
        cols=list(key),
    )
    return float(con.execute(sql).fetchall()[0][0]) / max(n, 1)


def _candidate_keys(con: duckdb.DuckDBPyConnection, columns: list[str], n: int) -> list[list[str]]:
    cap = min(RECALL_KEY_PARTNERS, max(RECALL_KEY_SHARE * n, 2.0))
    sizes = {c: _partners(con, [c], n) for c in columns}
    keys: list[tuple[float, list[str]]] = [(s, [c]) for c, s in sizes.items() if 0 < s <= cap]
    broad = [c for c, s in sizes.items() if s > cap]
    for i, a in enumerate(broad):
        for b in broad[i + 1 :]:
            s = _partners(con, [a, b], n)
            if 0 < s <= cap:
                keys.append((s, [a, b]))
    keys.sort(key=lambda item: item[0])
    chosen: list[list[str]] = []
    total = 0.0
    for size, key in keys:
        if total + size > RECALL_TOTAL_PARTNERS and chosen:
            continue
        chosen.append(key)
        total += size
    return chosen


def estimate_blocking_recall(
    model: TrainedModel,
    con: duckdb.DuckDBPyConnection | None = None,
    probes: int = RECALL_PROBES,
    seed: int = 11,
) -> RecallEstimate:
    """Estimate the share of true matches the blocking rules can find.

    Method: sample ``probes`` records; pair each with every record that agrees with it
    exactly on at least one candidate key (each compared column alone, or two broad columns
    together, limited so each probe meets at most a few hundred records and a key never
    pairs it with more than :data:`RECALL_KEY_SHARE` of the records); score those pairs
    with the model's levels and prior (no term-frequency adjustment) to get each pair's match
    probability (below :data:`RECALL_MIN_PROBABILITY` counted as none); and divide the
    expected matches among the pairs the blocking rules generate by the expected matches
    among all of them. True matches that agree on no candidate key are
    outside both counts, so the estimate is the recall among matches agreeing exactly on at
    least one compared column (an upper bound, close to the real recall on most data).

    Args:
        model: The trained model.
        con: A connection holding the stacked records as ``records`` (by default
            ``model.data.connection()``, closed afterwards).
        probes: Records sampled.
        seed: Sampling seed.

    Returns:
        The estimate.
    """
    own = con is None
    con = model.data.connection() if con is None else con
    try:
        n, record_columns = prepare_records(con)
        scorer = PairScorer.build(model, record_columns)
        columns = list(dict.fromkeys(scorer.columns.values()))
        keys = _candidate_keys(con, columns, n)
        if not keys or n < 2:
            return RecallEstimate(None, 0.0, 0, 0, keys)
        # The seed stays an inlined integer literal: its type decides the hash, so the probes.
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_probes AS SELECT * FROM __health_rec "
                "ORDER BY hash(__rid, {seed}) LIMIT {probes}",
                seed=Sql(str(int(seed))),
                probes=Sql(str(int(probes))),
            )
        )
        other = (
            " AND p.source_dataset <> r.source_dataset" if scorer.link_type == "link_only" else ""
        )
        parts = []
        for key in keys:
            on = Sql(" AND ".join(compose("p.{c} = r.{c}", c=c) for c in key))
            parts.append(
                compose(
                    "SELECT p.__rid AS a, r.__rid AS b FROM __health_probes p "
                    "JOIN __health_rec r ON {on} WHERE p.__rid <> r.__rid{other}",
                    on=on,
                    other=Sql(other),
                )
            )
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_net AS SELECT DISTINCT least(a, b) AS a, "
                "greatest(a, b) AS b FROM ({union})",
                union=Sql(" UNION ALL ".join(parts)),
            )
        )
        n_probes = int(con.execute("SELECT count(*) FROM __health_probes").fetchall()[0][0])
        scored = scorer.score(con, "__health_net", keys)
    finally:
        if own:
            con.close()
    logit = scorer.prior_logit + scored["weights"].sum(axis=1)
    prob = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
    prob[prob < RECALL_MIN_PROBABILITY] = 0.0
    found = scored["found"]
    likely = float(prob.sum())
    missed = {
        " + ".join(key): float(prob[(~found) & scored[f"key_{k}"]].sum())
        for k, key in enumerate(keys)
    }
    recall = float(prob[found].sum() / likely) if likely >= RECALL_MIN_MATCHES else None
    return RecallEstimate(recall, likely, n_probes, len(prob), keys, missed)


def recall_findings(estimate: RecallEstimate) -> list[Finding]:
    """The finding (or note) a blocking recall estimate calls for."""
    if estimate.recall is None:
        if not estimate.keys:
            return []
        return [
            Finding(
                "blocking_recall",
                INFO,
                f"Blocking recall could not be estimated: the {estimate.probes:,} sampled "
                f"records had only {estimate.likely_matches:.1f} likely matches.",
                "Nothing to change; with more duplicated records the estimate appears.",
            )
        ]
    recall = estimate.recall
    where = (
        f"(estimated from {estimate.likely_matches:,.0f} likely matches of "
        f"{estimate.probes:,} sampled records)"
    )
    if recall >= RECALL_WARNING:
        return [
            Finding(
                "blocking_recall",
                INFO,
                f"The blocking rules find about {recall:.0%} of the likely matches {where}.",
                "Nothing to change.",
            )
        ]
    top = max(estimate.missed_by_key.items(), key=lambda kv: kv[1], default=("", 0.0))
    hint = (
        f"Most of the missed matches agree on {top[0]}: add a blocking rule on {top[0]} "
        "(the Configure page counts the comparisons it makes first)."
        if top[1] > 0
        else "Add a blocking rule on columns true matches share."
    )
    return [
        Finding(
            "blocking_recall",
            SERIOUS if recall < RECALL_SERIOUS else WARNING,
            f"The blocking rules find only about {recall:.0%} of the likely matches {where}: "
            "the rest are never compared, so no threshold can link them.",
            hint,
        )
    ]
