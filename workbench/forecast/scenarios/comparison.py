"""Saved scenarios compared side by side, summarised and exported as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd

from workbench.access.auth import User
from workbench.forecast.scenarios.projection import PROJECTION_COLUMNS
from workbench.forecast.scenarios.storage import load_scenario
from workbench.safe_csv import frame_to_csv
from workbench.workspace import Workspace


def compare_scenarios(
    ws: Workspace, user: User, refs: Sequence[str | tuple[str, str]]
) -> pd.DataFrame:
    """Saved scenarios side by side: their settings and projections in one long frame.

    Args:
        ws: The workspace.
        user: Who compares: every scenario must be one they may see.
        refs: The user's own scenarios by name, others' as ``(owner, name)``.

    Returns:
        :data:`PROJECTION_COLUMNS` plus ``owner``, ``area``, ``court_type``,
        ``charge_change_pct``, ``change_from`` and ``capacity_per_week``; another owner's
        scenario is labelled ``name (owner)`` in ``scenario``.

    Raises:
        AccessDeniedError: (audited) When one of them is not the user's to see.
    """
    frames = []
    for ref in refs:
        owner, name = (None, ref) if isinstance(ref, str) else ref
        scenario, frame = load_scenario(ws, user, name, owner)
        settings = {
            k: v
            for k, v in asdict(scenario).items()
            if k in ("area", "court_type", "charge_change_pct", "change_from", "capacity_per_week")
        }
        if owner not in (None, user.username):
            frame = frame.assign(scenario=f"{name} ({owner})")
        frames.append(frame.assign(owner=owner or user.username, **settings))
    if not frames:
        return pd.DataFrame(columns=PROJECTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def scenario_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: total receipts and disposals, and the caseload at the end."""
    if comparison.empty:
        return pd.DataFrame()
    last = comparison.sort_values("period").groupby("scenario").tail(1).set_index("scenario")
    sums = comparison.groupby("scenario")[["receipts", "disposals"]].sum()
    out = sums.join(last[["outstanding", "outstanding_lower", "outstanding_upper"]])
    return out.rename(columns={"outstanding": "outstanding_at_end"}).reset_index()


SUMMARY_HEADERS: dict[str, str] = {
    "scenario": "Scenario",
    "receipts": "Receipts over the horizon",
    "disposals": "Disposals over the horizon",
    "outstanding_at_end": "Outstanding at the end",
    # The interval's ends, beside "Outstanding at the end": short enough for the table to fit.
    "outstanding_lower": "Lower bound",
    "outstanding_upper": "Upper bound",
}


def readable_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`scenario_summary` for people: column names in words, whole numbers of cases.

    Projected counts carry fractions (a change spread over weeks); a table of cases shows them
    rounded.
    """
    if summary.empty:
        return summary
    out = summary.copy()
    for column in out.columns:
        if column != "scenario" and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].round().astype("Int64")
    return out.rename(columns=SUMMARY_HEADERS)


def scenarios_csv(comparison: pd.DataFrame) -> bytes:
    """A comparison as CSV bytes (UTF-8, formula-escaped), for downloads."""
    return frame_to_csv(comparison)
