"""What the Journeys page shows about the joins: a build's records and join rules, and
the linkage-sensitivity tables.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.analysis.views.view import MEASURES

JOIN_RULE_LABELS: dict[str, str] = {
    "urn": "Same case reference (URN)",
    "urn_fuzzy": "URN one character apart, same person",
    "person_dates": "Same person and area, dates in order",
    "unjoined": "Not joined",
    "none": "Not joined",
}
"""The join rules of a journey build, in words."""


def build_tables(info: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From a recorded build: records in and out per source, and joins per rule."""
    detail = info.get("counts") or {}
    counts = pd.DataFrame(
        [
            {"Source": s, "Records read": c["in"], "Records in a journey": c["out"]}
            for s, c in (detail.get("counts") or {}).items()
        ]
    )
    rules = pd.DataFrame(
        [
            {
                "Join": {"cps": "CPS to police", "court": "Court to CPS"}.get(j, j),
                "Rule": JOIN_RULE_LABELS.get(r, r),
                "Records": n,
            }
            for j, per in (detail.get("rules") or {}).items()
            for r, n in per.items()
        ]
    )
    return counts, rules


# The funnel steps the linkage sensitivity adds, which depend on the record joins.
JOIN_STEP_LABELS: dict[str, str] = {
    "first_hearing_of_charged": "First hearing of charged",
    "completed_of_first_hearing": "Completed of first hearing",
}


def _sensitivity_label(measure: str) -> tuple[str, bool]:
    """A sensitivity measure's readable name and whether it is a rate."""
    if measure in JOIN_STEP_LABELS:
        return JOIN_STEP_LABELS[measure], True
    name, unit = MEASURES.get(measure, (measure, "rate"))[:2]
    return name, unit == "rate"


def sensitivity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A linkage-sensitivity frame with one column per scenario, readable values.

    National rows only (``lcjb_area`` is ``all`` when the column is there): the headline
    measures, then the join-dependent steps. Per-area gaps are in :func:`area_gap_table`.
    """
    out = frame.copy()
    if "lcjb_area" in out.columns:
        out = out[out["lcjb_area"] == "all"]
    labels = {k: _sensitivity_label(k) for k in out["measure"].unique()}
    out["Measure"] = out["measure"].map(lambda k: labels[k][0]) + out["court_type"].map(
        lambda c: "" if c == "all" else f" ({c})"
    )
    out["shown"] = [
        "" if pd.isna(v) else f"{v * 100:.1f}%" if labels[k][1] else f"{v:.0f} days"
        for v, k in zip(out["value"], out["measure"], strict=True)
    ]
    out["_order"] = out["measure"].map({k: i for i, k in enumerate([*MEASURES, *JOIN_STEP_LABELS])})
    rows = out.drop_duplicates("Measure").sort_values(["_order", "Measure"])["Measure"]
    wide = out.pivot_table(index="Measure", columns="scenario", values="shown", aggfunc="first")
    order = [c for c in ("lower", "active", "higher", "truth") if c in wide.columns]
    return wide.loc[rows.tolist(), order].reset_index().rename_axis(columns=None)


def area_gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per area, the join-dependent measure furthest from the truth, readable.

    Args:
        gaps: A ``linkage.quality.sensitivity.largest_area_gaps`` frame.

    Returns:
        ``Area``, ``Measure``, ``Linked``, ``Truth`` (with their bases) and ``Gap (points)``,
        the largest gap first.
    """
    rows = [
        {
            "Area": g["lcjb_area"],
            "Measure": _sensitivity_label(g["measure"])[0],
            "Linked": f"{g['linked'] * 100:.1f}% of {g['linked_base']:,}",
            "Truth": f"{g['truth'] * 100:.1f}% of {g['truth_base']:,}",
            "Gap (points)": round(float(g["gap_points"]), 1),
        }
        for g in gaps.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Area", "Measure", "Linked", "Truth", "Gap (points)"])
