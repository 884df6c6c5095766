"""What the Attrition page shows: the funnel and why recorded crimes leave it."""

from __future__ import annotations

import pandas as pd

from workbench.analysis.measures.attrition import attrition_funnel, attrition_reasons
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.views.view import View, min_base, readable
from workbench.disclosure import control as sdc
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.workspace import Workspace


def funnel_view(
    ws: Workspace, where: JourneyFilter, protect: bool, minimum: int | None = None
) -> View:
    """The attrition funnel for the filter; a rate whose base (the step before, or the crimes
    recorded) is under the minimum base is withheld, with the reason in the table."""
    funnel = attrition_funnel(ws, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_funnel(funnel)
        funnel, note, hidden = result.table, result.note, result.hidden
    minimum = min_base(ws) if minimum is None else int(minimum)
    cases = pd.to_numeric(funnel["cases"], errors="coerce")
    bases = {
        "rate_of_previous": cases.shift(1),
        "rate_of_recorded": cases.iloc[:1].reindex(funnel.index, method="ffill"),
    }
    withheld = {}
    for col, base in bases.items():
        withheld[col] = (base < minimum).fillna(False) & funnel[col].notna()
        funnel[col] = pd.to_numeric(funnel[col], errors="coerce").astype("Float64")
        funnel.loc[withheld[col], col] = pd.NA
    table = readable(
        funnel[["step", "label", "cases", "rate_of_previous", "rate_of_recorded"]],
        hidden,
        rates=("rate_of_previous", "rate_of_recorded"),
    )
    for col, mask in withheld.items():
        name = col.replace("_", " ").capitalize()
        table[name] = [
            f"withheld: fewer than {minimum} cases" if w else v
            for v, w in zip(table[name], mask, strict=True)
        ]
    return View(funnel, table, note, not_applicable=((0, "Rate of previous"),))


def reasons_view(ws: Workspace, where: JourneyFilter, protect: bool) -> View:
    """Why recorded crimes leave before a conviction, summed over the filter."""
    reasons = attrition_reasons(ws, where=where, keys=protect)
    funnel = attrition_funnel(ws, where=where, keys=protect)
    first = funnel.iloc[0] if len(reasons) and len(funnel) else None
    reasons = reasons.assign(recorded=int(first["cases"]) if first is not None else 0)
    if protect:
        key = f"cases{sdc.KEY_SUFFIX}"
        reasons[f"recorded{sdc.KEY_SUFFIX}"] = first[key] if first is not None else None
    reasons["victim_not_support"] = reasons["reason"] == VICTIM_NOT_SUPPORT
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(
            reasons,
            counts=["cases"],
            rates={"share_of_recorded": ("cases", "recorded")},
            bases=["recorded"],
        )
        reasons, note, hidden = result.table, result.note, result.hidden
    table = readable(
        reasons[["left_at", "reason", "cases", "share_of_recorded"]],
        hidden,
        rates=("share_of_recorded",),
    )
    return View(reasons.drop(columns="recorded"), table, note)
