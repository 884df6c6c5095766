"""Statistical disclosure control for every aggregate that leaves the analyst's own view.

Small counts can identify people, and tables built from the same cases with different filters can
be subtracted from one another. So before a figure reaches a leader, a chart or an export:

- **Cell-key perturbation** (the method of the ONS flexible table builders): every case has a
  secret record key; a cell's key is the sum of the keys of the cases it counts, so the same set
  of cases always gets the same key, whatever filter or page produced it. Each count is adjusted
  by a small amount looked up from its key (:func:`cell_noise`: two-sided geometric, two-thirds
  of counts move by at most one). Subtracting one table from another therefore gives a figure
  with two independent adjustments in it, never the exact count, and asking for the same cases
  again returns the same figure, so repeated queries cannot be averaged. Zeros stay zero.
- **Suppression**: a count under ``threshold`` (default 10), true or adjusted, is hidden, and a
  rate, a median, a mean or a percentile is hidden when the cases behind it (true or adjusted)
  number fewer than ``threshold``. Rates are computed from the adjusted counts, so a rate times
  its base gives back only an adjusted count.
- **Secondary suppression** (two-way tables with true totals, :func:`protect_table`): wherever a
  row or a column holds exactly one hidden cell, the next-smallest visible non-zero cell in it
  is hidden too, repeated until nothing changes.

Each function returns a :class:`Protected` result holding the table to show (hidden values are
missing), a mask of what was hidden, and a note to print beneath the table. A table gets
perturbed when its counts come with key columns (``<count>__key``, from the ``keys=True`` option
of :mod:`workbench.analysis.measures`); without them only suppression applies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ValidationError

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 10
TOTAL = "Total"
KEY_SUFFIX = "__key"
# Cell keys are sums of record keys modulo KEY_SPACE; the noise is looked up from key / KEY_SPACE.
KEY_SPACE = 2**32
# The ratio of the two-sided geometric noise: P(n) is proportional to NOISE_RATIO ** abs(n).
NOISE_RATIO = 0.5
METHOD_NOTE = (
    "Counts are adjusted by a small random amount (the same cases always get the same "
    "adjustment, so figures may not add up exactly)"
)


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
        perturbed: Whether counts were adjusted by their cell keys.
        remark: A note that replaces the standard one (for model outputs).
    """

    table: pd.DataFrame
    hidden: pd.DataFrame
    primary: int
    secondary: int
    derived: int
    threshold: int
    perturbed: bool = False
    remark: str = ""

    @property
    def applied(self) -> bool:
        """Whether anything was hidden or adjusted."""
        return bool(self.primary or self.secondary or self.derived or self.perturbed)

    @property
    def note(self) -> str:
        """A sentence to print beneath the table."""
        if self.remark:
            return self.remark
        if self.perturbed:
            return (
                f"Disclosure control applied: {METHOD_NOTE[0].lower()}{METHOD_NOTE[1:]}; "
                f"counts under {self.threshold} are hidden, and so are rates and averages based "
                f"on fewer than {self.threshold} cases."
            )
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


def cell_noise(keys: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """The adjustment of each cell, looked up from its cell key.

    The key (0 to :data:`KEY_SPACE` - 1) is read as a point of the cumulative distribution of a
    two-sided geometric variable with ratio :data:`NOISE_RATIO`: a third of cells stay as they
    are, a third move by one, and larger moves get rarer by half each step (standard deviation
    2). The same key always gives the same adjustment.

    Args:
        keys: Cell keys; missing keys (empty cells) get no adjustment.

    Returns:
        Whole-number adjustments, as int64.
    """
    raw = pd.to_numeric(pd.Series(keys, dtype="object"), errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(raw)
    u = (np.where(missing, 0.0, raw) % KEY_SPACE + 0.5) / KEY_SPACE
    a = NOISE_RATIO
    low = a / (1 + a)  # P(noise < 0)
    out = np.zeros(len(u), dtype=np.int64)
    neg = u <= low
    pos = u > 1 - low
    with np.errstate(divide="ignore"):
        # P(noise <= -k) = a**k / (1 + a): the first k whose tail holds u
        out[neg] = -np.floor(np.log(u[neg] * (1 + a)) / np.log(a)).astype(np.int64)
        out[pos] = np.floor(np.log((1 - u[pos]) * (1 + a)) / np.log(a)).astype(np.int64)
    out[missing] = 0
    return out


def max_noise() -> int:
    """The largest adjustment any cell key can give (what an attacker may assume)."""
    return int(abs(cell_noise([0])[0]))


def perturb_counts(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Counts adjusted by their cell keys; zeros stay zero and nothing goes below zero.

    Args:
        values: True counts.
        keys: The cell key of each count (sum of its cases' record keys modulo
            :data:`KEY_SPACE`).

    Returns:
        Adjusted counts (nullable integers, missing where the count is missing).
    """
    true = pd.to_numeric(values, errors="coerce")
    noise = cell_noise(keys.to_numpy() if isinstance(keys, pd.Series) else keys)
    adjusted = (true + noise).clip(lower=0).where(true > 0, true)
    return pd.Series(pd.array(adjusted.round(), dtype="Int64"), index=values.index)


def protect_frame(
    frame: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, tuple[str | None, str]] | None = None,
    statistics: Mapping[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    hide_zeros: bool = False,
    bases: Sequence[str] = (),
) -> Protected:
    """Perturbation and suppression of a tidy table, and suppression of values derived from it.

    Use for tables without additive totals (a funnel, a timeliness summary, a series). For a
    two-way table with totals, use :func:`protect_table`. A count column ``c`` with a key column
    ``c__key`` beside it is perturbed (see the module); key columns are dropped from the result.

    Args:
        frame: The aggregate.
        counts: Count columns.
        rates: Rate column -> (numerator count column or None, base count column). A rate whose
            numerator and base are both perturbed counts is recomputed from the adjusted counts.
        statistics: Statistic column (median, mean, percentile) -> the count column it
            summarises.
        threshold: Smallest count that may be shown.
        hide_zeros: Hide zeros too.
        bases: Further count columns used only as bases of rates: adjusted like the counts,
            but not counted as hidden cells (drop them from the table when done).

    Returns:
        The protected table, with counts as nullable integers and hidden values missing.
    """
    threshold = _check_threshold(threshold)
    rates = dict(rates or {})
    statistics = dict(statistics or {})
    all_counts = [*counts, *(b for b in bases if b not in counts)]
    needed = set(all_counts) | set(rates) | set(statistics)
    needed |= {c for pair in rates.values() for c in pair if c} | set(statistics.values())
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ValidationError(f"The table has no column {missing[0]!r} to protect.")
    keyed = [c for c in all_counts if f"{c}{KEY_SUFFIX}" in frame.columns]
    table = frame.drop(columns=[c for c in frame.columns if c.endswith(KEY_SUFFIX)])
    hidden = pd.DataFrame(False, index=frame.index, columns=list(needed))
    shown: dict[str, pd.Series] = {}
    small_true: dict[str, pd.Series] = {}
    for col in all_counts:
        true = pd.to_numeric(frame[col], errors="coerce")
        small_true[col] = _small(true, threshold, True)
        if col in keyed:
            shown[col] = perturb_counts(frame[col], frame[f"{col}{KEY_SUFFIX}"])
            low = 0 if hide_zeros else 1
            adjusted_small = (true >= low) & (shown[col].astype("Float64") < threshold)
            hidden[col] = (adjusted_small.fillna(False).astype(bool) & true.notna()) | _small(
                true, threshold, hide_zeros
            )
        else:
            shown[col] = pd.Series(pd.array(true, dtype="Int64"), index=frame.index)
            hidden[col] = _small(true, threshold, hide_zeros)
    primary = int(hidden[list(counts)].to_numpy().sum()) if counts else 0

    def base_small(col: str) -> pd.Series:
        if col in shown:
            return hidden[col] | small_true[col] | _small(shown[col], threshold, True)
        return _small(frame[col], threshold, True)

    derived = 0
    for col, (numerator, base) in rates.items():
        mask = base_small(base)
        if numerator:
            mask = mask | (
                hidden[numerator]
                if numerator in shown
                else _small(frame[numerator], threshold, hide_zeros)
            )
        if numerator in keyed and base in keyed:
            denominator = shown[base].astype("Float64")
            value = shown[numerator].astype("Float64") / denominator.where(denominator > 0)
            table[col] = value.clip(upper=1.0).where(frame[col].notna())
        mask = mask & frame[col].notna()
        hidden[col] = mask
        derived += int(mask.sum())
    for col, base in statistics.items():
        mask = base_small(base) & frame[col].notna()
        hidden[col] = mask
        derived += int(mask.sum())
    for col in hidden.columns:
        if col in shown:
            table[col] = shown[col]
        elif pd.api.types.is_numeric_dtype(table[col]):
            table[col] = pd.array(pd.to_numeric(table[col]), dtype="Float64")
        table.loc[hidden[col], col] = pd.NA
    return Protected(table, hidden, primary, 0, derived, threshold, perturbed=bool(keyed))


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
                # a zero cell as the complement would still pin the hidden one
                open_cells = np.flatnonzero(~lines[i] & (values[i] > 0))
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
    """Protect an attrition funnel (from
    :func:`workbench.analysis.measures.attrition.attrition_funnel`).

    Counts are adjusted when the funnel carries cell keys (``keys=True``) and hidden under the
    threshold; rates are recomputed from the adjusted counts and hidden when their count or
    their base (the previous step, or the recorded crimes) is hidden or under the threshold.
    """
    groups = [
        c
        for c in funnel.columns
        if c not in ("step", "stage", "label", "cases", "rate_of_previous", "rate_of_recorded")
        and not c.endswith(KEY_SUFFIX)
    ]
    frame = funnel.copy()
    key = f"cases{KEY_SUFFIX}"
    shifted = ["cases", key] if key in frame.columns else ["cases"]
    if groups:
        grouped = frame.groupby(groups, dropna=False, sort=False)
        for col in shifted:
            frame[f"_previous{col.removeprefix('cases')}"] = grouped[col].shift(1)
            frame[f"_recorded{col.removeprefix('cases')}"] = grouped[col].transform("first")
    else:
        for col in shifted:
            frame[f"_previous{col.removeprefix('cases')}"] = frame[col].shift(1)
            frame[f"_recorded{col.removeprefix('cases')}"] = frame[col].iloc[0] if len(frame) else 0
    result = protect_frame(
        frame,
        counts=["cases"],
        rates={
            "rate_of_previous": ("cases", "_previous"),
            "rate_of_recorded": ("cases", "_recorded"),
        },
        threshold=threshold,
        bases=["_previous", "_recorded"],
    )
    table = result.table.drop(columns=["_previous", "_recorded"])
    hidden = result.hidden.drop(columns=["_previous", "_recorded"], errors="ignore")
    return Protected(
        table, hidden, result.primary, 0, result.derived, threshold, perturbed=result.perturbed
    )


def protect_timeliness(summary: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """Protect a timeliness summary: statistics from fewer than ``threshold`` cases are hidden."""
    stats = [c for c in ("mean", "median", "p25", "p75", "p90") if c in summary.columns]
    return protect_frame(
        summary, counts=["n"], statistics=dict.fromkeys(stats, "n"), threshold=threshold
    )


def modelled(frame: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> Protected:
    """A table of model outputs (forecasts, projections) computed from protected counts.

    Nothing in it is a count of cases, so nothing is hidden; the note says where its inputs
    came from instead of claiming that no count is under the threshold.
    """
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    remark = (
        "Disclosure control applied: these are model projections, computed from counts that "
        f"were adjusted by a small random amount, with counts under {threshold} hidden; they "
        "are not counts of cases."
    )
    return Protected(frame, hidden, 0, 0, 0, threshold, perturbed=True, remark=remark)
