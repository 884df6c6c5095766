"""The blocking rules and training plan suggested for a model: the comparison budget
(:func:`suggested_budget`), blocking rules chosen greedily from measured pair counts
(:func:`choose_blocking`), EM sessions over different evidence (:func:`choose_em_rules`) and the
training plan (:func:`training_plan`).
"""

from __future__ import annotations

import duckdb

from linkage.model.blocking import count_rule_comparisons, default_budget
from linkage.model.model_spec import BlockingRuleSpec, ComparisonSpec, TrainingPlan

#: Above this many records the suggestion works to a tighter, scale-aware budget (see
#: :func:`suggested_budget`) and profiles values on a sample.
LARGE_INPUT = 250_000
#: On large inputs no single rule may generate more than this many pairs per record.
_RULE_PAIRS_PER_RECORD = 10
#: On large inputs the whole rule set stays within this many pairs per record.
_TOTAL_PAIRS_PER_RECORD = 20


def suggested_budget(n_records: int) -> int:
    """The comparison budget the suggestion works to by default.

    Up to :data:`LARGE_INPUT` records it is the general default (200 pairs a record, at most
    50 million). Beyond that, scoring time grows with the pairs while the true matches grow
    only with the records, so the budget becomes 20 pairs a record (20 million at a million
    records) and no single rule may exceed 10 a record: a loose rule such as ``dob`` alone
    (21 pairs a record at a million) would otherwise replace several precise ones and make
    scoring three times slower for a percent or two of blocking recall.

    Args:
        n_records: Total records over all inputs.

    Returns:
        The number of pairs.
    """
    general = default_budget(n_records)
    if n_records <= LARGE_INPUT:
        return general
    return int(min(general, max(_TOTAL_PAIRS_PER_RECORD * n_records, 5_000_000)))


def rule_cap(n_records: int, budget: int) -> int:
    """Most pairs one rule may generate on its own (the budget up to :data:`LARGE_INPUT`)."""
    if n_records <= LARGE_INPUT:
        return budget
    return int(min(budget, _RULE_PAIRS_PER_RECORD * n_records))


# Candidate blocking rules in priority order: strongest evidence of a match first. Each is a
# list of expressions; a candidate is used only when all its columns are present and usable.
_CANDIDATE_RULES: list[list[str]] = [
    ["pnc_id"],
    ["cro_number"],
    ["first_name", "surname", "dob"],
    ["first_name", "surname"],
    ["surname", "dob"],
    ["first_name", "dob"],
    ["full_name"],
    ["full_name", "dob"],
    ["postcode", "year(dob)"],
    ["postcode", "surname"],
    ["postcode", "first_name"],
    ["substr(first_name,1,2)", "substr(surname,1,2)", "year(dob)"],
    ["surname", "year(dob)"],
    ["first_name", "year(dob)"],
    ["dob", "town"],
    ["surname", "town"],
    ["first_name", "town"],
    ["substr(full_name,1,4)", "dob"],
    ["dob", "postcode"],
    ["surname", "birth_year"],
    ["first_name", "birth_year"],
    ["dob"],
    ["postcode"],
    ["substr(surname,1,3)", "substr(first_name,1,1)"],
    ["town", "year(dob)"],
    ["surname"],
    ["first_name"],
    ["full_name"],
]


def _candidate_rules(usable: set[str]) -> list[BlockingRuleSpec]:
    rules: list[BlockingRuleSpec] = []
    ids = [c for c in sorted(usable) if c.startswith("other_id_")]
    for exprs in _CANDIDATE_RULES:
        if "birth_year" in exprs and "dob" in usable:
            continue  # the same pairs as the rule on year(dob)
        rule = BlockingRuleSpec(list(exprs))
        if all(c in usable for c in rule.columns()):
            rules.append(rule)
        if exprs == ["cro_number"]:
            rules.extend(BlockingRuleSpec([c]) for c in ids)
    others = [c for c in sorted(usable) if c.startswith("other_") and not c.startswith("other_id")]
    for c in others:
        if "dob" in usable:
            rules.append(BlockingRuleSpec([c, "year(dob)"]))
    return rules


def _is_subset_of_kept(rule: BlockingRuleSpec, kept: list[BlockingRuleSpec]) -> bool:
    """Whether a kept rule's key set is a subset of this rule's: every pair it finds is found."""
    mine = set(rule.expressions)
    return any(set(k.expressions) <= mine for k in kept)


def choose_blocking(
    con: duckdb.DuckDBPyConnection,
    usable: set[str],
    link_type: str,
    budget: int,
    notes: list[str],
    max_rules: int = 16,
    rule_cap: int | None = None,
) -> list[BlockingRuleSpec]:
    """Greedy choice of blocking rules within budget, from measured counts.

    Args:
        con: A connection holding the stacked input as ``records``.
        usable: Columns usable for blocking.
        link_type: The model's link type.
        budget: Most pairs the kept rules may generate together.
        notes: Notes to add refusals to.
        max_rules: Most rules kept.
        rule_cap: Most pairs one rule may generate on its own (the budget by default).

    Returns:
        The kept rules, a rule implied by another kept rule left out.
    """
    n_records = int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
    kept: list[BlockingRuleSpec] = []
    spent = 0
    cap = budget if rule_cap is None else min(budget, rule_cap)
    for rule in _candidate_rules(usable):
        if len(kept) >= max_rules:
            break
        if _is_subset_of_kept(rule, kept):
            continue
        count = count_rule_comparisons(con, rule, link_type)
        rule.estimated_comparisons = count
        if count == 0:
            continue
        if count > budget:
            rule.note = f"refused: {count:,} comparisons alone, over the budget of {budget:,}"
            notes.append(f"Blocking rule {rule.label()} refused: {count:,} comparisons.")
            continue
        if count > cap:
            rule.note = (
                f"left out: {count:,} comparisons alone, over {cap:,} for one rule at this scale"
            )
            notes.append(
                f"Blocking rule {rule.label()} left out: {count:,} comparisons alone is more "
                f"than one rule may generate on {n_records:,} records ({cap:,})."
            )
            continue
        if spent + count > budget:
            rule.note = f"left out: {count:,} more comparisons would exceed the budget"
            continue
        spent += count
        rule.note = f"{count:,} comparisons alone"
        kept.append(rule)
    # A rule that another kept rule implies (more keys than it) adds nothing: drop it.
    final = []
    for rule in kept:
        others = [k for k in kept if k is not rule]
        if any(set(k.expressions) < set(rule.expressions) for k in others):
            continue
        final.append(rule)
    return final


#: Columns that carry the same kind of evidence: blocking on one fixes the others too (pairs
#: that agree on the full name agree on first name and surname; pairs in one postcode mostly
#: share a town), so EM learns nothing about them in that session.
EVIDENCE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"first_name", "middle_names", "surname", "full_name"}),
    frozenset({"dob", "birth_year"}),
    frozenset({"postcode", "address", "town"}),
)


def fixed_by(rule: BlockingRuleSpec, derived: dict[str, str] | None = None) -> set[str]:
    """The columns a blocking rule holds fixed: its own and those in the same evidence group.

    Args:
        rule: The blocking rule.
        derived: Derived columns and their sources
            (:func:`linkage.model.column_profile.find_derived_columns`); a derived column is
            fixed with its source and the reverse.
    """
    cols = set(rule.columns())
    out = set(cols)
    for group in EVIDENCE_GROUPS:
        if cols & group:
            out |= group
    for col, source in (derived or {}).items():
        parts = {p.strip() for p in source.replace("year of ", "").split("+")}
        if col in out or parts & out:
            out |= {col, *parts}
    return out


def choose_em_rules(
    comparisons: list[ComparisonSpec],
    usable: set[str],
    counts: dict[str, int],
    n_records: int,
    derived: dict[str, str] | None = None,
) -> list[BlockingRuleSpec]:
    """EM blocking rules over different evidence, so every comparison is trained.

    A comparison is trained in a session whose rule leaves it free: neither blocked on nor in
    the same evidence group as a blocked column (:func:`fixed_by`). Rules are added until every
    comparison is free in at least one session, and there are at least two sessions.
    """
    compared = [c.column for c in comparisons]
    options: list[list[str]] = [
        ["dob"],
        ["first_name", "surname"],
        ["full_name"],
        ["postcode"],
        ["surname"],
        ["pnc_id"],
        ["first_name"],
        ["birth_year"],
        ["town"],
        *[[c] for c in sorted(usable) if c.startswith("other_id_")],
        *[[c] for c in compared],
    ]
    rules: list[BlockingRuleSpec] = []
    trained: set[str] = set()
    for exprs in options:
        if not all(c in usable for c in exprs):
            continue
        rule = BlockingRuleSpec(list(exprs))
        free = {c for c in compared if c not in fixed_by(rule, derived)}
        if not free or free <= trained or any(r.expressions == exprs for r in rules):
            continue
        rules.append(rule)
        trained |= free
        if set(compared) <= trained and len(rules) >= 2:
            break
    return rules


def training_plan(
    comparisons: list[ComparisonSpec],
    usable: set[str],
    counts: dict[str, int],
    n: int,
    blocking: list[BlockingRuleSpec],
    derived: dict[str, str] | None = None,
) -> TrainingPlan:
    """The training plan: prior rules, u sampling and EM sessions (:func:`choose_em_rules`).

    Args:
        comparisons: The suggested comparisons.
        usable: Columns usable for blocking.
        counts: Pairs each kept blocking rule generates, by label.
        n: Records over all inputs.
        blocking: The kept blocking rules (the prior falls back on the most precise).
        derived: Derived columns and their sources (``find_derived_columns``).
    """
    # The share of matching pairs is estimated from deterministic rules that admit almost no
    # false matches; their union is assumed to find 70% of true matches.
    prior: list[BlockingRuleSpec] = []
    for exprs in (
        ["first_name", "surname", "dob"],
        ["full_name", "dob"],
        ["first_name", "surname", "postcode"],
        ["pnc_id"],
        ["cro_number"],
        *[[c] for c in sorted(usable) if c.startswith("other_id_")],
    ):
        if all(c in usable for c in exprs):
            prior.append(BlockingRuleSpec(list(exprs)))
    if not prior:
        prior = [max(blocking, key=lambda r: len(r.expressions))]
    return TrainingPlan(
        prior_rules=prior,
        prior_recall=0.7,
        # u needs enough random pairs to see rare agreements (exact dates of birth, say);
        # five million do that to well under a percent and take half the time of ten.
        u_max_pairs=float(min(5e6, max(1e6, 10 * n))),
        u_seed=1,
        em_rules=choose_em_rules(comparisons, usable, counts, n, derived),
        em_max_pairs=2e6 if n > 50_000 else None,
    )
