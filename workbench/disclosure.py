"""Statistical disclosure control for every aggregate that leaves the analyst's own view.

Small counts can identify people, so before a table reaches a leader, a chart or an export:

- **Primary suppression**: counts from 1 to ``threshold - 1`` (default 10) are hidden. Zeros are
  shown (pass ``hide_zeros=True`` to hide them too).
- **Secondary suppression** (two-way tables with totals, :func:`protect_table`): wherever a row or
  a column holds exactly one hidden cell, the next-smallest visible cell in it is hidden too,
  repeated until nothing changes, so no hidden cell equals a shown total minus shown cells. The
  totals shown are the true totals. When a row or column has no other cell to hide, its total is
  hidden instead.
- **Derived values**: a rate is hidden when its base or its numerator is under the threshold or
  hidden; a median, mean or percentile when the number of cases it summarises is.

Each function returns a :class:`Protected` result holding the table to show (hidden values are
missing), a mask of what was hidden, and a note to print beneath the table. This protects each
table on its own; tables published side by side from the same cases (a funnel and its reasons)
can still be differenced, so publish the protected forms of both and prefer coarser groupings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import ValidationError

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 10
TOTAL = "Total"


@dataclass(frozen=True)
class Protected:
    """A disclosure-controlled table.

    Attributes:
        table: What may be shown; hidden values are missing (``pd.NA``).
        hidden: Same shape as the protected columns of ``table``: True where a value is hidden.
        primary: Cells hidden because they are small.
        secondary: Cells hidden so a small cell cannot be worked out from totals.
        derived: Rates and statistics hidden because their base is small or hidden.
        threshold: The threshold used.
    """

    table: pd.DataFrame
    hidden: pd.DataFrame
    primary: int
    secondary: int
    derived: int
    threshold: int

    @property
    def applied(self) -> bool:
        """Whether anything was hidden."""
        return bool(self.primary or self.secondary or self.derived)

    @property
    def note(self) -> str:
        """A sentence to print beneath the table."""
        if not self.applied:
            return f"Disclosure control checked: no count under {self.threshold}, nothing hidden."
        return (
            f"Disclosure control applied: counts under {self.threshold} are hidden, with other "
            "cells hidden where they would let a hidden count be worked out from the totals; "
            f"rates and averages based on fewer than {self.threshold} cases are hidden."
        )


def _check_threshold(threshold: int) -> int:
    if int(threshold) < 1:
        raise ValidationError("The disclosure threshold must be a whole number of at least 1.")
    return int(threshold)


def _small(values: pd.Series, threshold: int, hide_zeros: bool) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    low = 0 if hide_zeros else 1
    return (numbers >= low) & (numbers < threshold) & numbers.notna()


def protect_frame(
    frame: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, tuple[str | None, str]] | None = None,
    statistics: Mapping[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    hide_zeros: bool = False,
) -> Protected:
    """Primary suppression of a tidy table, and suppression of the values derived from it.

    Use for tables without additive totals (a funnel, a timeliness summary, a series). For a
    two-way table with totals, use :func:`protect_table`.

    Args:
        frame: The aggregate.
        counts: Count columns.
        rates: Rate column -> (numerator count column or None, base count column). A column of
            the frame, or a count column of the previous row is not supported: compute bases
            as columns first.
        statistics: Statistic column (median, mean, percentile) -> the count column it
            summarises.
        threshold: Smallest count that may be shown.
        hide_zeros: Hide zeros too.

    Returns:
        The protected table, with counts as nullable integers and hidden values missing.
    """
    threshold = _check_threshold(threshold)
    rates = dict(rates or {})
    statistics = dict(statistics or {})
    needed = set(counts) | set(rates) | set(statistics)
    needed |= {c for pair in rates.values() for c in pair if c} | set(statistics.values())
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ValidationError(f"The table has no column {missing[0]!r} to protect.")
    table = frame.copy()
    hidden = pd.DataFrame(False, index=frame.index, columns=list(needed))
    for col in counts:
        hidden[col] = _small(frame[col], threshold, hide_zeros)
    primary = int(hidden[list(counts)].to_numpy().sum()) if counts else 0

    def base_small(col: str) -> pd.Series:
        if col in hidden.columns and col in counts:
            return hidden[col] | _small(frame[col], threshold, True)
        return _small(frame[col], threshold, True)

    derived = 0
    for col, (numerator, base) in rates.items():
        mask = base_small(base)
        if numerator:
            shown_small = (
                hidden[numerator]
                if numerator in counts
                else _small(frame[numerator], threshold, hide_zeros)
            )
            mask = mask | shown_small
        mask = mask & frame[col].notna()
        hidden[col] = mask
        derived += int(mask.sum())
    for col, base in statistics.items():
        mask = base_small(base) & frame[col].notna()
        hidden[col] = mask
        derived += int(mask.sum())
    for col in hidden.columns:
        if col in counts:
            table[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
        elif pd.api.types.is_numeric_dtype(frame[col]):
            table[col] = pd.array(pd.to_numeric(frame[col]), dtype="Float64")
        table.loc[hidden[col], col] = pd.NA
    return Protected(table, hidden, primary, 0, derived, threshold)


def secondary_mask(
    cells: np.ndarray, hidden: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extend a suppression pattern until no row or column has exactly one hidden cell.

    Args:
        cells: The 2-D array of counts.
        hidden: Initially hidden cells (same shape).

    Returns:
        The final cell mask, and masks of hidden row totals and hidden column totals (used only
        when a row or column has no other cell to hide).
    """
    mask = hidden.copy()
    rows_hidden = np.zeros(cells.shape[0], dtype=bool)
    cols_hidden = np.zeros(cells.shape[1], dtype=bool)
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = mask if axis == 0 else mask.T
            values = cells if axis == 0 else cells.T
            total_hidden = rows_hidden if axis == 0 else cols_hidden
            for i in range(lines.shape[0]):
                if lines[i].sum() != 1 or total_hidden[i]:
                    continue
                open_cells = np.flatnonzero(~lines[i])
                if open_cells.size == 0:
                    total_hidden[i] = True
                    changed = True
                    continue
                # next-smallest visible cell; ties go to the first
                pick = open_cells[np.argmin(values[i, open_cells])]
                if axis == 0:
                    mask[i, pick] = True
                else:
                    mask[pick, i] = True
                changed = True
    return mask, rows_hidden, cols_hidden


def protect_table(
    table: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    hide_zeros: bool = False,
    margins: bool = True,
) -> Protected:
    """Protect a two-way table of counts with primary and secondary suppression.

    Args:
        table: Counts, rows by columns (for example areas by court type); no totals.
        threshold: Smallest count that may be shown.
        hide_zeros: Hide zeros too.
        margins: Add a ``Total`` row and column holding the true totals.

    Returns:
        The table to show (nullable integers; hidden cells missing), with totals when asked.
        ``hidden`` covers the whole shown table, totals included.
    """
    threshold = _check_threshold(threshold)
    cells = table.apply(pd.to_numeric).fillna(0).to_numpy(dtype=float)
    if (cells < 0).any():
        raise ValidationError("A table of counts cannot hold negative values.")
    low = 0 if hide_zeros else 1
    primary = (cells >= low) & (cells < threshold)
    mask, rows_hidden, cols_hidden = secondary_mask(cells, primary)
    shown = table.apply(lambda s: pd.array(pd.to_numeric(s), dtype="Int64"))
    hidden = pd.DataFrame(mask, index=table.index, columns=table.columns)
    if margins:
        shown[TOTAL] = pd.array(cells.sum(axis=1).astype("int64"), dtype="Int64")
        hidden[TOTAL] = rows_hidden
        total_row = pd.DataFrame(
            [[*cells.sum(axis=0).astype("int64"), int(cells.sum())]],
            columns=shown.columns,
            index=[TOTAL],
        ).astype("Int64")
        shown = pd.concat([shown, total_row])
        hidden = pd.concat(
            [hidden, pd.DataFrame([[*cols_hidden, False]], columns=hidden.columns, index=[TOTAL])]
        )
    shown = shown.mask(hidden.astype(bool), pd.NA)
    n_primary = int(primary.sum())
    n_secondary = int(mask.sum()) - n_primary
    log.debug("protected table: %s primary, %s secondary", n_primary, n_secondary)
    return Protected(shown, hidden.astype(bool), n_primary, n_secondary, 0, threshold)


def protect_long(
    frame: pd.DataFrame,
    rows: str,
    columns: str,
    value: str,
    threshold: int = DEFAULT_THRESHOLD,
) -> Protected:
    """Protect a long table of counts (one row per row-group and column-group) as a 2-D table.

    Args:
        frame: Long counts, for example ``lcjb_area``, ``court_type``, ``cases``.
        rows: The column whose values become rows.
        columns: The column whose values become columns.
        value: The count column.
        threshold: Smallest count that may be shown.

    Returns:
        The long table back with ``value`` protected (no totals rows); ``hidden`` is a column
        mask of the same length.
    """
    wide = frame.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0)
    result = protect_table(wide, threshold=threshold, margins=False)
    mask = result.hidden.stack()
    keys = pd.MultiIndex.from_frame(frame[[rows, columns]])
    flags = mask.reindex(keys).fillna(False).to_numpy(dtype=bool)
    out = frame.copy()
    out[value] = pd.array(pd.to_numeric(frame[value]), dtype="Int64")
    out.loc[flags, value] = pd.NA
    hidden = pd.DataFrame({value: flags}, index=frame.index)
    return Protected(out, hidden, result.primary, result.secondary, 0, threshold)


def protect_funnel(funnel: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """Protect an attrition funnel (from :func:`workbench.measures.attrition_funnel`).

    Counts under the threshold are hidden; a rate is hidden when its count or its base (the
    previous step, or the recorded crimes) is under the threshold.
    """
    groups = [
        c
        for c in funnel.columns
        if c not in ("step", "stage", "label", "cases", "rate_of_previous", "rate_of_recorded")
    ]
    frame = funnel.copy()
    if groups:
        grouped = frame.groupby(groups, dropna=False, sort=False)["cases"]
        frame["_previous"] = grouped.shift(1)
        frame["_recorded"] = grouped.transform("first")
    else:
        frame["_previous"] = frame["cases"].shift(1)
        frame["_recorded"] = frame["cases"].iloc[0] if len(frame) else 0
    result = protect_frame(
        frame,
        counts=["cases"],
        rates={
            "rate_of_previous": ("cases", "_previous"),
            "rate_of_recorded": ("cases", "_recorded"),
        },
        threshold=threshold,
    )
    table = result.table.drop(columns=["_previous", "_recorded"])
    hidden = result.hidden.drop(columns=["_previous", "_recorded"], errors="ignore")
    return Protected(table, hidden, result.primary, 0, result.derived, threshold)


def protect_timeliness(summary: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """Protect a timeliness summary: statistics from fewer than ``threshold`` cases are hidden."""
    stats = [c for c in ("mean", "median", "p25", "p75", "p90") if c in summary.columns]
    return protect_frame(
        summary, counts=["n"], statistics=dict.fromkeys(stats, "n"), threshold=threshold
    )
