"""The comparison suggested for one column, from its name and the profile of its values
(:func:`comparison_for`).
"""

from __future__ import annotations

from linkage.model.column_profile import ColumnProfile
from linkage.model.model_spec import ComparisonSpec

#: A name column with at least this share of one-letter values gets an initials level.
_INITIALS_SHARE = 0.002


def comparison_for(
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
