"""Disclosure control: small counts hidden, and hidden cells not recoverable from the totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.disclosure.control import (
    TOTAL,
    protect_frame,
    protect_funnel,
    protect_long,
    protect_table,
    protect_timeliness,
)


def _unknowns_ok(hidden: pd.DataFrame) -> bool:
    """Every row and column holding a hidden cell holds at least two (or hides its total)."""
    cells = hidden.drop(index=TOTAL, columns=TOTAL).to_numpy()
    rows_total = hidden[TOTAL].drop(index=TOTAL).to_numpy()
    cols_total = hidden.loc[TOTAL].drop(TOTAL).to_numpy()
    rows_ok = all(r.sum() != 1 or t for r, t in zip(cells, rows_total, strict=True))
    cols_ok = all(c.sum() != 1 or t for c, t in zip(cells.T, cols_total, strict=True))
    return rows_ok and cols_ok


def _recoverable(shown: pd.DataFrame) -> set[tuple[object, object]]:
    """Cells a reader can work out exactly as a total minus the other shown cells."""
    body = shown.drop(index=TOTAL, columns=TOTAL)
    found = set()
    for label, row in body.iterrows():
        if row.isna().sum() == 1 and not pd.isna(shown.loc[label, TOTAL]):
            found.add((label, row[row.isna()].index[0]))
    for label, col in body.items():
        if col.isna().sum() == 1 and not pd.isna(shown.loc[TOTAL, label]):
            found.add((col[col.isna()].index[0], label))
    return found


def test_small_cell_and_its_complements_are_hidden() -> None:
    table = pd.DataFrame(
        {"magistrates": [120, 45, 3], "Crown": [30, 12, 25]}, index=["Kent", "Dorset", "Gwent"]
    )
    result = protect_table(table)
    shown = result.table
    assert pd.isna(shown.loc["Gwent", "magistrates"])
    assert result.primary == 1 and result.secondary >= 2 and result.applied
    assert shown.loc[TOTAL, TOTAL] == 235 and shown.loc["Gwent", TOTAL] == 28  # true totals
    assert _unknowns_ok(result.hidden)
    assert not _recoverable(shown)
    assert "Disclosure control applied" in result.note


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_leave_no_suppressed_cell_recoverable(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.choice([0, 1, 3, 7, 9, 12, 25, 40, 100], size=(5, 4))
    table = pd.DataFrame(values, index=[f"r{i}" for i in range(5)], columns=list("abcd"))
    result = protect_table(table)
    assert _unknowns_ok(result.hidden)
    assert not _recoverable(result.table)
    small = (values > 0) & (values < 10)
    assert result.hidden.drop(index=TOTAL, columns=TOTAL).to_numpy()[small].all()
    totals = result.table[TOTAL].drop(TOTAL)
    assert (totals.dropna() == values.sum(axis=1)[totals.notna().to_numpy()]).all()


def test_single_column_hides_the_row_total() -> None:
    result = protect_table(pd.DataFrame({"cases": [50, 4]}, index=["a", "b"]))
    assert pd.isna(result.table.loc["b", TOTAL]) and _unknowns_ok(result.hidden)


def test_nothing_hidden_says_so() -> None:
    result = protect_table(pd.DataFrame({"x": [10, 20], "y": [30, 0]}))
    assert not result.applied and "nothing hidden" in result.note


def test_rates_and_medians_from_small_bases_are_hidden() -> None:
    frame = pd.DataFrame(
        {
            "area": ["a", "b", "c"],
            "charged": [12, 3, 30],
            "recorded": [100, 40, 8],
            "rate": [0.12, 0.075, 3.75],
        }
    )
    result = protect_frame(
        frame, counts=["charged", "recorded"], rates={"rate": ("charged", "recorded")}
    )
    t = result.table
    assert t["rate"].isna().tolist() == [False, True, True]
    assert t["charged"].isna().tolist() == [False, True, False]
    summary = pd.DataFrame(
        {"interval": ["x", "y"], "n": [9, 50], "median": [20.0, 30.0], "mean": [21.0, 33.0]}
    )
    ts = protect_timeliness(summary).table
    assert ts["median"].isna().tolist() == [True, False] and pd.isna(ts.loc[0, "n"])


def test_funnel_protection() -> None:
    funnel = pd.DataFrame(
        {
            "step": [1, 2, 3],
            "stage": ["recorded", "charged", "convicted"],
            "label": ["R", "C", "V"],
            "cases": [200, 15, 6],
            "rate_of_previous": [None, 0.075, 0.4],
            "rate_of_recorded": [1.0, 0.075, 0.03],
        }
    )
    t = protect_funnel(funnel).table
    assert pd.isna(t.loc[2, "cases"]) and pd.isna(t.loc[2, "rate_of_previous"])
    assert pd.isna(t.loc[2, "rate_of_recorded"]) and t.loc[1, "rate_of_previous"] == 0.075


def test_long_tables_are_protected_as_two_way() -> None:
    long = pd.DataFrame(
        {"area": ["a", "a", "b", "b"], "court": ["M", "C", "M", "C"], "cases": [100, 40, 5, 60]}
    )
    result = protect_long(long, "area", "court", "cases")
    assert result.table["cases"].isna().sum() == 4  # a 2x2 with one small cell hides all
    assert result.primary == 1 and result.secondary == 3


def test_cell_noise_is_fixed_by_the_key_and_mostly_small() -> None:
    from workbench.disclosure.control import KEY_SPACE, cell_noise, max_noise

    keys = np.random.default_rng(1).integers(0, KEY_SPACE, 50_000)
    noise = cell_noise(keys)
    assert (cell_noise(keys) == noise).all()
    assert abs(noise.mean()) < 0.05 and 1.8 < noise.std() < 2.2
    assert 0.3 < (noise == 0).mean() < 0.37 and (abs(noise) <= 1).mean() > 0.64
    assert max_noise() >= abs(noise).max() and max_noise() >= 30
    assert cell_noise([None])[0] == 0


def test_perturbed_counts_keep_zeros_hide_small_and_recompute_rates() -> None:
    frame = pd.DataFrame(
        {
            "cases": [0, 4, 200, 120],
            "cases__key": [None, 17, 2**31, 3_000_000_000],
            "base": [50, 50, 400, 150],
            "base__key": [11, 11, 99, 1_000_000],
            "rate": [0.0, 0.08, 0.5, 0.8],
        }
    )
    result = protect_frame(
        frame, counts=["cases"], rates={"rate": ("cases", "base")}, bases=["base"]
    )
    table = result.table
    assert "cases__key" not in table.columns and result.perturbed
    assert table["cases"].iloc[0] == 0 and pd.isna(table["cases"].iloc[1])
    assert pd.isna(table["rate"].iloc[1])  # small numerator
    for i in (2, 3):
        assert table["rate"].iloc[i] == pytest.approx(
            table["cases"].iloc[i] / table["base"].iloc[i]
        )
    assert "adjusted" in result.note


def test_a_zero_cell_is_never_the_complement() -> None:
    table = pd.DataFrame({"a": [5, 40], "b": [0, 30], "c": [25, 12]}, index=["x", "y"])
    result = protect_table(table)
    assert not result.hidden.loc["x", "b"]
    assert result.hidden.loc["x", "c"]
