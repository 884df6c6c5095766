"""A linkage model as tables for display and editing, and their way back into a model.

Pages show a :class:`~linkage.model.model_spec.ModelSpec` as plain tables (one row per comparison,
one per blocking rule) that a user can edit; the functions here turn a spec into those tables and an
edited table back into a spec, checking every value and naming the row of any problem.
"""

from __future__ import annotations

import copy
import re

import pandas as pd

from linkage.model.model_spec import (
    COMPARISON_KINDS,
    BlockingRuleSpec,
    ComparisonSpec,
    ModelSpec,
    parse_expression,
)
from workbench.errors import LinkageError

#: Kinds whose levels use thresholds the user can change.
KINDS_WITH_THRESHOLDS: frozenset[str] = frozenset(
    {"name", "surname", "full_name", "jaro_winkler", "levenshtein", "identifier", "numeric", "date"}
)

#: Kinds whose exact level can take a term-frequency adjustment.
KINDS_WITH_TF: frozenset[str] = frozenset(
    {"name", "surname", "full_name", "jaro_winkler", "levenshtein", "identifier", "exact"}
)

COMPARISON_COLUMNS = ["column", "kind", "thresholds", "term_frequency", "note"]


def format_thresholds(values: list[float] | None) -> str:
    """Thresholds as editable text, e.g. ``"0.92, 0.88"`` (empty for none)."""
    if not values:
        return ""
    return ", ".join(f"{v:g}" for v in values)


def parse_thresholds(text: str | None, kind: str, column: str = "") -> list[float] | None:
    """Parse thresholds typed as ``"0.92, 0.88"``; ``None`` (the kind's defaults) when empty.

    Args:
        text: The typed text.
        kind: The comparison kind, to check the range (similarities lie between 0 and 1).
        column: The column, for the error message.

    Raises:
        LinkageError: When a value is not a number or is out of range.
    """
    if text is None or not str(text).strip():
        return None
    parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    values: list[float] = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError as exc:
            raise LinkageError(
                f"The threshold {part!r} of {column or 'a comparison'} is not a number.",
                hint="Type numbers separated by commas, e.g. 0.92, 0.88.",
            ) from exc
    if kind in ("name", "surname", "full_name", "jaro_winkler") and any(
        not 0 < v <= 1 for v in values
    ):
        raise LinkageError(
            f"The similarity thresholds of {column or 'a comparison'} must lie between 0 and 1.",
            hint="Jaro-Winkler similarity is 1 for identical text; 0.88 is a close spelling.",
        )
    if kind not in ("name", "surname", "full_name", "jaro_winkler") and any(v <= 0 for v in values):
        raise LinkageError(
            f"The thresholds of {column or 'a comparison'} must be positive.",
            hint="They are distances: edits, days or absolute differences.",
        )
    return values


def comparisons_table(spec: ModelSpec) -> pd.DataFrame:
    """One row per comparison: column, kind, thresholds (text), term-frequency switch, note."""
    rows = [
        {
            "column": c.column,
            "kind": c.kind,
            "thresholds": format_thresholds(c.resolved_thresholds())
            if c.kind in KINDS_WITH_THRESHOLDS
            else "",
            "term_frequency": bool(c.term_frequency_adjustments),
            "note": c.note,
        }
        for c in spec.comparisons
    ]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


_LEVEL_MEANINGS: tuple[tuple[str, str], ...] = (
    ("initial agrees", "one record holds only an initial, and it matches: weak evidence"),
    ("sector", "same postcode sector (the full postcode but its last two letters)"),
    ("district", "same postcode district (the part before the space)"),
    ("area", "same postcode area (the letters at the start)"),
    ("full postcode", "the same postcode"),
    ("exact match", "the values are the same"),
    ("jaro-winkler", "spelt almost the same (similarity at or above the number shown)"),
    ("matches the other record", "the names are in each other's fields (both names cross)"),
    ("day and month swapped", "the same date with day and month exchanged"),
    ("one character different", "one character mistyped"),
    ("levenshtein", "at most the number of characters shown are different"),
    ("within", "the dates are this close"),
    ("absolute difference", "the numbers are this close"),
    ("all other", "none of the levels above: evidence against a match"),
)


def levels_table(spec: ModelSpec) -> pd.DataFrame:
    """Every comparison's levels, closest first, each with what it means in plain words.

    Args:
        spec: The model.

    Returns:
        ``column``, ``level`` (Splink's label) and ``meaning``, one row per level; a record
        with no value falls in no level and counts neither way.
    """
    rows = []
    for comp in spec.comparisons:
        comparison = comp.to_splink().get_comparison("duckdb")
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            label = str(level.label_for_charts)
            text = label.lower()
            meaning = next((m for key, m in _LEVEL_MEANINGS if key in text), "")
            if text.startswith("exact match") and comp.term_frequency_adjustments:
                meaning += " (a rare value counts for more than a common one)"
            rows.append({"column": comp.column, "level": label, "meaning": meaning})
    return pd.DataFrame(rows, columns=["column", "level", "meaning"])


def apply_comparisons_table(spec: ModelSpec, table: pd.DataFrame) -> ModelSpec:
    """A copy of the spec with the comparisons edited as in ``table``.

    Rows are matched to comparisons by column name; a comparison whose row is missing is
    dropped, so deleting a row removes the comparison.

    Args:
        spec: The model being edited.
        table: Output of :func:`comparisons_table`, edited.

    Raises:
        LinkageError: Naming every row with an unknown kind or bad thresholds.
    """
    by_column = {c.column: c for c in spec.comparisons}
    problems: list[str] = []
    comparisons: list[ComparisonSpec] = []
    for row in table.to_dict(orient="records"):
        column = str(row.get("column") or "")
        old = by_column.get(column)
        if old is None:
            problems.append(f"there is no comparison on {column!r} to edit")
            continue
        kind = str(row.get("kind") or old.kind)
        if kind not in COMPARISON_KINDS:
            problems.append(f"{column}: the kind {kind!r} is unknown")
            continue
        try:
            thresholds = (
                parse_thresholds(row.get("thresholds"), kind, column)
                if kind in KINDS_WITH_THRESHOLDS
                else None
            )
        except LinkageError as exc:
            problems.append(exc.message)
            continue
        new = copy.deepcopy(old)
        if kind != old.kind and thresholds == old.resolved_thresholds():
            thresholds = None
        new.kind = kind
        new.thresholds = thresholds
        new.term_frequency_adjustments = bool(row.get("term_frequency")) and kind in KINDS_WITH_TF
        comparisons.append(new)
    if problems:
        raise LinkageError(
            "The comparisons cannot be used: " + "; ".join(problems) + ".",
            hint="Correct the highlighted rows and save again.",
        )
    edited = copy.deepcopy(spec)
    edited.comparisons = comparisons
    return edited


def edit_comparison(
    spec: ModelSpec,
    column: str,
    *,
    kind: str | None = None,
    thresholds: str | None = None,
    term_frequency: bool | None = None,
) -> ModelSpec:
    """A copy of the spec with one comparison changed (the form-based editor's path).

    Raises:
        LinkageError: When there is no comparison on the column or a value is invalid.
    """
    table = comparisons_table(spec)
    if column not in set(table["column"]):
        raise LinkageError(f"There is no comparison on {column!r}.")
    index = table.index[table["column"] == column][0]
    if kind is not None:
        table.loc[index, "kind"] = kind
    if thresholds is not None:
        table.loc[index, "thresholds"] = thresholds
    if term_frequency is not None:
        table.loc[index, "term_frequency"] = term_frequency
    return apply_comparisons_table(spec, table)


def parse_rule(text: str) -> BlockingRuleSpec:
    """Parse a blocking rule typed as expressions joined by ``+`` (or ``&`` / ``and``).

    Example: ``first_name + substr(surname, 1, 3) + year(dob)``.

    Raises:
        LinkageError: When the text is empty or an expression is not understood.
    """
    parts = [p.strip() for p in re.split(r"\s*(?:\+|&|\band\b)\s*", text or "", flags=re.I)]
    parts = [p for p in parts if p]
    if not parts:
        raise LinkageError(
            "The blocking rule is empty.",
            hint="Type column expressions joined by +, e.g. surname + year(dob).",
        )
    for part in parts:
        parse_expression(part)
    return BlockingRuleSpec(expressions=parts, note="added by hand")


def add_rule(spec: ModelSpec, rule: BlockingRuleSpec) -> ModelSpec:
    """A copy of the spec with a blocking rule appended.

    Raises:
        LinkageError: When the spec already has the same rule.
    """
    if rule.label() in {r.label() for r in spec.blocking_rules}:
        raise LinkageError(f"The model already blocks on {rule.label()}.")
    edited = copy.deepcopy(spec)
    edited.blocking_rules.append(rule)
    return edited


def remove_rules(spec: ModelSpec, labels: list[str]) -> ModelSpec:
    """A copy of the spec without the blocking rules of the given labels.

    Raises:
        LinkageError: When that would leave no blocking rule.
    """
    kept = [r for r in spec.blocking_rules if r.label() not in set(labels)]
    if not kept:
        raise LinkageError(
            "A model needs at least one blocking rule.", hint="Add another rule first."
        )
    edited = copy.deepcopy(spec)
    edited.blocking_rules = kept
    return edited


def with_link_type(spec: ModelSpec, link_type: str) -> ModelSpec:
    """A copy of the spec with another link type (blocking counts change with it)."""
    edited = copy.deepcopy(spec)
    edited.link_type = link_type
    return edited
