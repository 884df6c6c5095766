"""Redundant comparisons: two compared columns agreeing together among non-matching pairs far
more often than independence predicts, so the model counts the same evidence twice
(:func:`redundancy_table`, :func:`redundancy_findings`).
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from linkage.model.train import TrainedModel
from linkage.quality.findings import SERIOUS, WARNING, Finding
from linkage.quality.pair_scorer import PairScorer, prepare_records
from workbench.sql import Sql, compose

#: Two comparisons agreeing together this many times more often than independence predicts
#: (among pairs the other comparisons call non-matches) count the same evidence twice. Eight
#: times is 3 bits of evidence counted twice: first name and sex (about 2) stay below it.
REDUNDANT_WARNING_RATIO = 8.0
#: ... and this many times is serious: 5 bits counted twice. A date of birth beside a birth
#: year (about 1 / the share of pairs born in one year: 40 to 60) is above it; a postcode
#: beside a town in one area's data (about 1 / the share of pairs in one town: 5 to 25) is not.
REDUNDANT_SERIOUS_RATIO = 32.0
#: Pairs agreeing on both columns needed before a ratio is trusted.
REDUNDANT_MIN_JOINT = 5
#: The ratio is judged when the commoner of the two agreements happens in at least this share
#: of pairs. When both are rarer (two identifying columns, such as a date of birth and a
#: postcode), the few true matches the model scores as non-matches would dominate the count of
#: pairs agreeing on both, so such a pair is reported only when it looks like a copy (next).
REDUNDANT_COMMON_RATE = 0.01
#: Two rarely-agreeing columns count as copies of each other when this share of the pairs
#: agreeing on the rarer one agree on the other too.
REDUNDANT_COPY_SHARE = 0.9
#: Random record pairs sampled for the redundancy check.
RANDOM_PAIRS = 300_000


def _hash_sql(seed: int, n: int) -> str:
    """A pseudo-random row number in ``0 .. n - 1`` for each ``i`` (literal integers only)."""
    return f"CAST(hash(i, {int(seed)}) % {max(int(n), 1)} AS BIGINT)"


def redundancy_table(
    model: TrainedModel,
    con: duckdb.DuckDBPyConnection | None = None,
    n_pairs: int = RANDOM_PAIRS,
    seed: int = 7,
) -> pd.DataFrame:
    """How much more often each two compared columns agree together than independence predicts.

    Random record pairs are sampled and scored with the model's comparison levels (no
    term-frequency adjustment). True matches agree on everything at once, so pairs the model
    scores as more likely a match than not, and pairs the *other* comparisons lean towards
    matching (their weights summing over zero), are set aside; among the rest, the
    exact-agreement rate of the two columns together is divided by the product of their
    separate rates. A ratio near 1 means independent evidence; a date of birth beside its own
    birth year gives about 1 / (share of pairs born in one year). Which ratios the check
    trusts is said at :data:`REDUNDANT_COMMON_RATE`.

    Args:
        model: The trained model.
        con: A connection holding the stacked records as ``records`` (by default
            ``model.data.connection()``, closed afterwards).
        n_pairs: Random pairs to sample.
        seed: Sampling seed.

    Returns:
        ``comparison_a``, ``comparison_b``, ``pairs`` (pairs judged), ``rate_a``, ``rate_b``,
        ``rate_both``, ``joint`` (pairs agreeing on both) and ``ratio``, highest ratio first.
    """
    own = con is None
    con = model.data.connection() if con is None else con
    columns = ["comparison_a", "comparison_b", "pairs", "rate_a", "rate_b", "rate_both"]
    columns += ["joint", "ratio"]
    try:
        n, record_columns = prepare_records(con)
        scorer = PairScorer.build(model, record_columns)
        k = len(scorer.comparisons)
        if n < 2 or k < 2:
            return pd.DataFrame(columns=columns)
        a, b, size = _hash_sql(seed, n), _hash_sql(seed + 1, n), int(n_pairs)
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_random AS SELECT a, b FROM ("
                "SELECT {a} AS a, {b} AS b FROM range({size}) t(i)) WHERE a <> b",
                a=Sql(a),
                b=Sql(b),
                size=Sql(str(size)),
            )
        )
        scored = scorer.score(con, "__health_random")
    finally:
        if own:
            con.close()
    weights, exact = scored["weights"], scored["exact"]
    total = weights.sum(axis=1)
    apart = scorer.prior_logit + total < 0
    rows = []
    for i in range(k):
        for j in range(i + 1, k):
            others = total - weights[:, i] - weights[:, j]
            keep = apart & (others <= 0) & (exact[:, i] >= 0) & (exact[:, j] >= 0)
            pairs = int(keep.sum())
            if pairs == 0:
                continue
            a = exact[keep, i] == 1
            b = exact[keep, j] == 1
            n_a, n_b, n_ab = int(a.sum()), int(b.sum()), int((a & b).sum())
            ratio = n_ab * pairs / (n_a * n_b) if n_a and n_b else float("nan")
            rows.append(
                {
                    "comparison_a": scorer.comparisons[i],
                    "comparison_b": scorer.comparisons[j],
                    "pairs": pairs,
                    "rate_a": n_a / pairs,
                    "rate_b": n_b / pairs,
                    "rate_both": n_ab / pairs,
                    "joint": n_ab,
                    "ratio": ratio,
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("ratio", ascending=False, na_position="last").reset_index(drop=True)


def judged_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`redundancy_table` whose ratio can be trusted."""
    common = table[["rate_a", "rate_b"]].max(axis=1) >= REDUNDANT_COMMON_RATE
    rarer = (table[["rate_a", "rate_b"]].min(axis=1) * table["pairs"]).clip(lower=1)
    copies = table["joint"] / rarer >= REDUNDANT_COPY_SHARE
    enough = table["joint"] >= REDUNDANT_MIN_JOINT
    return table[enough & (common | copies)].dropna(subset=["ratio"])


def redundancy_findings(table: pd.DataFrame) -> list[Finding]:
    """A finding per pair of comparisons in a :func:`redundancy_table` that repeat each other."""
    out: list[Finding] = []
    for row in judged_pairs(table).itertuples(index=False):
        ratio = float(row.ratio)
        if ratio < REDUNDANT_WARNING_RATIO:
            continue
        a, b = str(row.comparison_a), str(row.comparison_b)
        keep, drop = (a, b) if row.rate_a <= row.rate_b else (b, a)
        serious = ratio >= REDUNDANT_SERIOUS_RATIO
        if serious:
            advice = (
                f"Compare only one of them: keep {keep} (it tells people apart better) and use "
                f"{drop} for blocking only, if at all."
            )
        else:
            advice = (
                "If one of them is worked out from the other (as a town is from a postcode), "
                f"compare only {keep}; if they are separate facts that often go together here "
                "(family names, local areas), scores are too sure when both agree: check such "
                "pairs on the Review page."
            )
        out.append(
            Finding(
                "redundant",
                SERIOUS if serious else WARNING,
                f"{a} and {b} agree together {ratio:.0f} times as often as independent "
                f"evidence would among pairs of different people (about "
                f"{math.log2(ratio):.1f} bits counted twice).",
                advice,
                comparison=f"{a} + {b}",
            )
        )
    return out
