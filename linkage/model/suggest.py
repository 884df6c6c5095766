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

from linkage.data import FrameLike, PreparedInput, prepare_frames
from linkage.model.column_profile import find_derived_columns, names_swapped, profile_columns
from linkage.model.comparison_choice import comparison_for
from linkage.model.model_spec import LINK_TYPES, ComparisonSpec, ModelSpec
from linkage.model.rule_choice import (
    LARGE_INPUT,
    choose_blocking,
    rule_cap,
    suggested_budget,
    training_plan,
)
from workbench.errors import LinkageError

log = logging.getLogger(__name__)

_MIN_COMPLETENESS = 0.02
#: Rows profiled on large inputs: shares and skew settle long before this.
PROFILE_SAMPLE_ROWS = 200_000


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
    cap = None if budget else rule_cap(n, suggested_budget(n))
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
            comp = comparison_for(p, n, present, swaps)
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
        blocking = choose_blocking(con, usable, link_type, budget, notes, rule_cap=cap)
        if not blocking:
            raise LinkageError(
                f"No blocking rule keeps the comparisons within the budget of {budget:,}.",
                hint="Raise the comparison budget, or map more distinguishing columns.",
            )
        counts = {r.label(): r.estimated_comparisons or 0 for r in blocking}
    finally:
        con.close()

    training = training_plan(comparisons, usable, counts, n, blocking, derived)
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
