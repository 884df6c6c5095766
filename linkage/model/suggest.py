"""Suggest a linkage model from the columns present and a profile of their values.

The suggestion follows what works for person data: fuzzy name comparisons with term-frequency
adjustment, a date-of-birth comparison that forgives typos and day/month swaps, postcodes by
full/sector/district/area, identifiers compared exactly (allowing one mistyped character), and
a generic comparison for any other attribute chosen from its values. Blocking rules are chosen
from measured pair counts so several rules over different columns keep recall high while the
total stays within a budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from linkage.data import FrameLike, PreparedInput, prepare_frames
from linkage.model.blocking import count_rule_comparisons, default_budget
from linkage.model.model_spec import (
    LINK_TYPES,
    BlockingRuleSpec,
    ComparisonSpec,
    ModelSpec,
    TrainingPlan,
)
from workbench.errors import LinkageError
from workbench.sql import quote_ident

log = logging.getLogger(__name__)

_MIN_COMPLETENESS = 0.02
_UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
#: A name column with at least this share of one-letter values gets an initials level.
_INITIALS_SHARE = 0.002

#: Above this many records the suggestion works to a tighter, scale-aware budget (see
#: :func:`suggested_budget`) and profiles values on a sample.
LARGE_INPUT = 250_000
#: Rows profiled on large inputs: shares and skew settle long before this.
PROFILE_SAMPLE_ROWS = 200_000
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


def _rule_cap(n_records: int, budget: int) -> int:
    """Most pairs one rule may generate on its own."""
    if n_records <= LARGE_INPUT:
        return budget
    return int(min(budget, _RULE_PAIRS_PER_RECORD * n_records))


@dataclass
class ColumnProfile:
    """What the suggestion knows about one column.

    Attributes:
        column: The column name.
        dtype: DuckDB type name.
        completeness: Share of records with a value.
        distinct: Number of distinct values.
        top_share: Share of the commonest value among records with a value (skew).
        contains_at: Share of values containing ``@`` (e-mail addresses).
        single_letter: Share of values that are one letter (an initial).
        uk_postcode: Share of values shaped like a UK postcode (text columns).
    """

    column: str
    dtype: str
    completeness: float
    distinct: int
    top_share: float
    contains_at: float = 0.0
    single_letter: float = 0.0
    uk_postcode: float = 1.0

    @property
    def kind(self) -> str:
        """``string``, ``numeric``, ``date`` or ``other``."""
        t = self.dtype.upper()
        if t.startswith(("VARCHAR", "STRING", "TEXT")):
            return "string"
        if t.startswith(("DATE", "TIMESTAMP")):
            return "date"
        if any(
            t.startswith(p)
            for p in (
                "INT",
                "BIGINT",
                "SMALLINT",
                "TINYINT",
                "HUGEINT",
                "DOUBLE",
                "FLOAT",
                "DECIMAL",
                "REAL",
                "UBIGINT",
                "UINTEGER",
                "USMALLINT",
                "UTINYINT",
            )
        ):
            return "numeric"
        return "other"


def profile_columns(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    sample_rows: int | None = None,
    table: str = "records",
) -> list[ColumnProfile]:
    """Profile columns of the ``records`` table, all columns in one pass.

    Args:
        con: A connection holding the stacked input as ``records``.
        columns: The columns to profile.
        sample_rows: Profile a repeatable random sample of this many rows when the table is
            larger (completeness, skew and the e-mail share are shares, so a sample of a few
            hundred thousand rows gives them to well under a percent). Distinct counts are
            always taken over the whole table, so no column looks constant by chance.
        table: The table to profile.

    Returns:
        One profile per column.
    """
    tbl = quote_ident(table)
    types = dict(
        con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {tbl})").fetchall()  # noqa: S608
    )
    total = con.execute(f"SELECT count(*) FROM {tbl}").fetchall()[0][0] or 1  # noqa: S608
    source = tbl
    if sample_rows is not None and total > sample_rows:
        rows = int(sample_rows)
        source = f"(SELECT * FROM {tbl} USING SAMPLE reservoir({rows} ROWS) REPEATABLE (1))"  # noqa: S608
        total = int(sample_rows)
    if not columns:
        return []
    selects = []
    for i, col in enumerate(columns):
        q = quote_ident(col)
        is_text = str(types[col]).upper().startswith("VARCHAR")
        at_sql = f"avg(CASE WHEN contains({q}, '@') THEN 1 ELSE 0 END)" if is_text else "0"
        one_sql = f"avg(CASE WHEN length({q}) = 1 THEN 1 ELSE 0 END)" if is_text else "0"
        pc_sql = (
            f"avg(CASE WHEN regexp_matches({q}, '{_UK_POSTCODE}') THEN 1 ELSE 0 END)"
            if is_text
            else "0"
        )
        selects.append(
            f"count({q}) AS nn_{i}, {at_sql} AS at_{i}, {one_sql} AS one_{i}, {pc_sql} AS pc_{i}"
        )
    distinct_sql = ", ".join(
        f"approx_count_distinct({quote_ident(c)}) AS d_{i}" for i, c in enumerate(columns)
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __profile_rows AS SELECT * FROM {source}")  # noqa: S608
    try:
        shares = con.execute(f"SELECT {', '.join(selects)} FROM __profile_rows").fetchall()[0]  # noqa: S608
        distincts = con.execute(f"SELECT {distinct_sql} FROM {tbl}").fetchall()[0]  # noqa: S608
        tops = []
        for col in columns:
            q = quote_ident(col)
            tops.append(
                con.execute(
                    f"SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM __profile_rows "  # noqa: S608
                    f"WHERE {q} IS NOT NULL GROUP BY {q})"
                ).fetchall()[0][0]
            )
    finally:
        con.execute("DROP TABLE IF EXISTS __profile_rows")
    out = []
    for i, col in enumerate(columns):
        non_null, at_share = shares[4 * i], shares[4 * i + 1]
        one_share, pc_share = shares[4 * i + 2], shares[4 * i + 3]
        distinct, top = distincts[i], tops[i]
        out.append(
            ColumnProfile(
                column=col,
                dtype=str(types[col]),
                completeness=non_null / total,
                distinct=int(distinct or 0),
                top_share=(top / non_null) if non_null else 0.0,
                contains_at=float(at_share or 0.0),
                single_letter=float(one_share or 0.0),
                uk_postcode=float(pc_share or 0.0),
            )
        )
    return out


def _norm_sql(expr: str) -> str:
    return f"nullif(regexp_replace(upper(CAST({expr} AS VARCHAR)), '[^A-Z0-9]', '', 'g'), '')"


def find_derived_columns(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    sample_rows: int = 100_000,
    min_share: float = 0.9,
) -> dict[str, str]:
    """Columns whose values are, record by record, copies of other columns or made from them.

    A ``first_and_surname`` column beside ``first_name`` and ``surname``, a second copy of the
    date of birth, a year of birth beside the date: comparing such a column as well as its
    source counts the same evidence twice (and corrupts training, which sees the pair agree
    together far more than independence allows). Each ``other_*`` column is tested against
    every other column and against the name and date combinations a system might store,
    ignoring case, spaces and punctuation.

    Args:
        con: A connection holding the stacked input as ``records``.
        columns: The model columns present.
        sample_rows: Rows tested (a repeatable sample on larger inputs).
        min_share: Share of records (with both values) that must agree for a column to count
            as derived.

    Returns:
        Each derived column and a description of its source, such as ``first_name + surname``.
    """
    present = set(columns)
    sources: list[tuple[str, str]] = []
    for col in columns:
        sources.append((col, quote_ident(col)))
    names = [c for c in ("first_name", "middle_names", "surname") if c in present]
    combos = [
        ["first_name", "surname"],
        ["surname", "first_name"],
        ["first_name", "middle_names", "surname"],
        ["surname", "first_name", "middle_names"],
    ]
    for combo in combos:
        if all(c in names for c in combo):
            parts = ", ".join(quote_ident(c) for c in combo)
            sources.append((" + ".join(combo), f"concat_ws(' ', {parts})"))
    if "dob" in present:
        dob = quote_ident("dob")
        sources += [
            ("dob", f"strftime(CAST({dob} AS DATE), '%Y%m%d')"),
            ("dob", f"strftime(CAST({dob} AS DATE), '%d%m%Y')"),
            ("year of dob", f"year(CAST({dob} AS DATE))"),
        ]
    candidates = [c for c in columns if c.startswith("other_") and not c.startswith("other_id_")]
    if not candidates:
        return {}
    total = int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
    source_sql = "records"
    if total > sample_rows:
        rows = int(sample_rows)
        source_sql = f"(SELECT * FROM records USING SAMPLE reservoir({rows} ROWS) REPEATABLE (3))"  # noqa: S608
    found: dict[str, str] = {}
    for cand in candidates:
        tests = [
            (label, sql) for label, sql in sources if label != cand and sql != quote_ident(cand)
        ]
        if not tests:
            continue
        x = _norm_sql(quote_ident(cand))
        selects = []
        for i, (_, sql) in enumerate(tests):
            e = _norm_sql(sql)
            selects.append(
                f"count(CASE WHEN {x} IS NOT NULL AND {e} IS NOT NULL THEN 1 END) AS n_{i}, "
                f"count(CASE WHEN {x} = {e} THEN 1 END) AS k_{i}"
            )
        row = con.execute(f"SELECT {', '.join(selects)} FROM {source_sql}").fetchall()[0]  # noqa: S608
        for i, (label, _) in enumerate(tests):
            both, same = int(row[2 * i] or 0), int(row[2 * i + 1] or 0)
            if both >= 20 and same >= min_share * both:
                found[cand] = label
                break
    return found


#: Fewest pairs with first name and surname exchanged for a names-swapped level to be worth it.
MIN_SWAPPED_PAIRS = 5


def names_swapped(con: duckdb.DuckDBPyConnection, present: set[str]) -> bool:
    """Whether some records hold first name and surname the other way round from others.

    Counts pairs of records whose first name is the other's surname and the reverse. With
    fewer than :data:`MIN_SWAPPED_PAIRS` the data has no swaps to learn from, and a swap level
    would stay untrained.

    Args:
        con: A connection holding the stacked input as ``records``.
        present: Columns with values.
    """
    if not {"first_name", "surname"} <= present:
        return False
    found = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM records l JOIN records r "
        "ON l.first_name = r.surname AND l.surname = r.first_name "
        "WHERE l.first_name <> l.surname LIMIT ?)",
        [MIN_SWAPPED_PAIRS],
    ).fetchall()[0][0]
    return int(found) >= MIN_SWAPPED_PAIRS


def _comparison_for(
    p: ColumnProfile,
    n_records: int,
    present: set[str] | None = None,
    swaps: set[str] | None = None,
) -> ComparisonSpec | None:
    """The comparison for one column, or ``None`` when it should be left out."""
    col = p.column
    tf = p.distinct > 20 and p.top_share > 0.005
    if col in ("first_name", "middle_names", "surname"):
        kind = "surname" if col == "surname" else "name"
        swap = {"first_name": "surname", "surname": "first_name"}.get(col)
        initials = col != "surname" and p.single_letter >= _INITIALS_SHARE
        return ComparisonSpec(
            col,
            kind,
            term_frequency_adjustments=True,
            swap_column=swap if swap and swap in (swaps or set()) else None,
            initials=initials,
            note="Names: exact match weighted by how rare the name is, then fuzzy levels"
            + ("; an initial alone is weaker evidence, at its own level." if initials else "."),
        )
    if col == "full_name":
        return ComparisonSpec(
            col,
            "full_name",
            term_frequency_adjustments=True,
            note="Whole name: exact (weighted by rarity), then fuzzy levels.",
        )
    if col == "dob":
        return ComparisonSpec(
            col,
            "dob",
            input_is_string=p.kind == "string",
            note="Date of birth: exact, day/month swapped, one typo, then within a month, a "
            "year, ten years.",
        )
    if col == "birth_year":
        if "dob" in (present or set()):
            return None  # derived from the date of birth: used for blocking only
        return ComparisonSpec(col, "numeric", thresholds=[1], note="Birth year: exact or one off.")
    if col == "sex":
        return ComparisonSpec(col, "exact", note="Sex: exact match.")
    if col == "postcode":
        if p.uk_postcode < 0.5:
            return ComparisonSpec(
                col,
                "identifier",
                thresholds=[1],
                term_frequency_adjustments=tf,
                note="Postcode (not UK-shaped): exact, or one character different.",
            )
        return ComparisonSpec(col, "postcode", note="Postcode: full, sector, district, area.")
    if col == "address":
        return ComparisonSpec(
            col,
            "jaro_winkler",
            thresholds=[0.9, 0.75],
            term_frequency_adjustments=True,
            note="Address line: exact, then string similarity.",
        )
    if col == "town":
        return ComparisonSpec(
            col,
            "jaro_winkler",
            thresholds=[0.88],
            term_frequency_adjustments=True,
            note="Town: exact (weighted by rarity) or a near spelling.",
        )
    if col in ("pnc_id", "cro_number") or col.startswith("other_id_"):
        if p.contains_at > 0.5:
            return ComparisonSpec(
                col, "email", note="E-mail address: full, user name and fuzzy levels."
            )
        return ComparisonSpec(
            col,
            "identifier",
            thresholds=[1],
            term_frequency_adjustments=tf,
            note="Person identifier: exact, or one character mistyped.",
        )
    if col == "urn":
        return None
    if col.startswith("other_"):
        low_cardinality = p.distinct <= 30
        if p.kind == "date":
            return ComparisonSpec(
                col,
                "date",
                thresholds=[1, 30, 365],
                input_is_string=False,
                note="Other date: exact, within a day, a month, a year.",
            )
        if p.kind == "numeric":
            if low_cardinality:
                return ComparisonSpec(col, "exact", note="Other number with few values: exact.")
            return ComparisonSpec(
                col, "numeric", thresholds=[1], note="Other number: exact or within 1."
            )
        if p.contains_at > 0.5:
            return ComparisonSpec(col, "email", note="E-mail address.")
        filled = max(p.completeness * n_records, 1.0)
        if low_cardinality or p.distinct <= 0.1 * filled:
            # A category (occupation, birth place, nationality): the same value is the
            # evidence, a rare one more than a common one; near spellings mean little.
            return ComparisonSpec(
                col,
                "exact",
                term_frequency_adjustments=True,
                note="Other text with values that repeat (a category): exact match weighted "
                "by rarity.",
            )
        return ComparisonSpec(
            col,
            "jaro_winkler",
            thresholds=[0.92, 0.8],
            term_frequency_adjustments=tf,
            note="Other text: exact, then string similarity.",
        )
    return None


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


def _choose_blocking(
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
        derived: Derived columns and their sources (:func:`find_derived_columns`); a derived
            column is fixed with its source and the reverse.
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


def _choose_em_rules(
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


def suggest_model(
    frames: Sequence[FrameLike] | FrameLike | PreparedInput,
    link_type: str | None = None,
    budget: int | None = None,
) -> ModelSpec:
    """Suggest a complete model (comparisons, blocking, training plan) for the data.

    URN is left out of person linkage: it is a case reference, shared by everyone on the same
    case (co-defendants, victims and witnesses) and differing between the cases of one person,
    so agreement on it is weak and disagreement meaningless. It stays available for building
    journeys once people are linked.

    Args:
        frames: The standardised inputs (or an already prepared input).
        link_type: ``dedupe_only``, ``link_only`` or ``link_and_dedupe``; by default
            ``dedupe_only`` for one input and ``link_and_dedupe`` for several.
        budget: Most pairs blocking may generate; by default :func:`suggested_budget` (200 a
            record, at most 50 million; 20 a record above 250,000 records, where no one rule
            may exceed 10 a record either).

    Returns:
        The suggested :class:`ModelSpec`, with notes on what was left out and why.

    Raises:
        LinkageError: When no column is usable for comparison.
    """
    data = frames if isinstance(frames, PreparedInput) else prepare_frames(frames)
    link_type = link_type or data.default_link_type()
    if link_type not in LINK_TYPES:
        raise LinkageError(
            f"Link type {link_type!r} is not known.", hint=f"Use one of {', '.join(LINK_TYPES)}."
        )
    if link_type != "dedupe_only" and len(data.frames) < 2:
        raise LinkageError(
            f"Link type {link_type} needs at least two inputs; one was given.",
            hint="Use dedupe_only to find duplicates within one dataset.",
        )
    n = data.n_records
    rule_cap = None if budget else _rule_cap(n, suggested_budget(n))
    budget = int(budget or suggested_budget(n))
    notes = list(data.notes)
    con = data.connection()
    try:
        profiles = profile_columns(
            con, data.model_columns, sample_rows=PROFILE_SAMPLE_ROWS if n > LARGE_INPUT else None
        )
        usable: set[str] = set()
        comparisons: list[ComparisonSpec] = []
        present = {q.column for q in profiles if q.completeness >= _MIN_COMPLETENESS}
        derived = find_derived_columns(con, [q.column for q in profiles if q.column in present])
        swaps = {"first_name", "surname"} if names_swapped(con, present) else set()
        one_sided = (
            {
                c
                for c in present
                if not all(c in f.columns and f[c].notna().any() for f in data.frames)
            }
            if link_type == "link_only"
            else set()
        )
        for p in profiles:
            if p.completeness < _MIN_COMPLETENESS:
                notes.append(f"Column {p.column} left out: it is empty or almost empty.")
                continue
            if p.distinct <= 1:
                notes.append(f"Column {p.column} left out: every record has the same value.")
                continue
            if p.column == "full_name" and {"first_name", "surname"} <= present:
                usable.add(p.column)
                notes.append(
                    "Full name used for blocking only: first name and surname are compared "
                    "already, and comparing it too would count the same evidence twice."
                )
                continue
            if p.column == "urn":
                notes.append("URN left out of person linkage: it identifies a case, not a person.")
                continue
            if p.column in one_sided:
                notes.append(
                    f"Column {p.column} left out: only some inputs hold it, and linking only "
                    "across inputs never compares it."
                )
                continue
            filled = p.completeness * n
            if (
                p.column.startswith("other_")
                and not p.column.startswith("other_id_")
                and filled >= 20
                and p.distinct >= 0.99 * filled
            ):
                notes.append(
                    f"Column {p.column} left out: almost every record has its own value, so it "
                    "tells records apart rather than people (a record reference, say)."
                )
                continue
            if p.column in derived:
                usable.add(p.column)
                notes.append(
                    f"Column {p.column} used for blocking only: its values repeat "
                    f"{derived[p.column]}, which is compared already (comparing both would count "
                    "the same evidence twice)."
                )
                continue
            comp = _comparison_for(p, n, present, swaps)
            if comp is None:
                if p.column == "birth_year":
                    usable.add(p.column)
                    notes.append(
                        "Birth year used for blocking only: the date of birth comparison already "
                        "weighs agreement on the year."
                    )
                continue
            usable.add(p.column)
            comparisons.append(comp)
        if not comparisons:
            raise LinkageError(
                "No column can be compared: every person column is empty or constant.",
                hint="Map more columns (names, date of birth, postcode, identifiers) or check "
                "the standardisation did not blank them.",
            )
        if len(comparisons) < 2:
            notes.append(
                "Only one column can be compared; the model will find little beyond exact "
                "agreement on it."
            )
        blocking = _choose_blocking(con, usable, link_type, budget, notes, rule_cap=rule_cap)
        if not blocking:
            raise LinkageError(
                f"No blocking rule keeps the comparisons within the budget of {budget:,}.",
                hint="Raise the comparison budget, or map more distinguishing columns.",
            )
        counts = {r.label(): r.estimated_comparisons or 0 for r in blocking}
    finally:
        con.close()

    training = _training_plan(comparisons, usable, counts, n, blocking, derived)
    spec = ModelSpec(
        link_type=link_type,
        comparisons=comparisons,
        blocking_rules=blocking,
        training=training,
        comparison_budget=budget,
        notes=notes,
    )
    log.info(
        "suggested %s comparisons, %s blocking rules for %s records",
        len(comparisons),
        len(blocking),
        n,
    )
    return spec


def _training_plan(
    comparisons: list[ComparisonSpec],
    usable: set[str],
    counts: dict[str, int],
    n: int,
    blocking: list[BlockingRuleSpec],
    derived: dict[str, str] | None = None,
) -> TrainingPlan:
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
        em_rules=_choose_em_rules(comparisons, usable, counts, n, derived),
        em_max_pairs=2e6 if n > 50_000 else None,
    )
