"""How much the headline measures depend on the linkage threshold (and, with truth, on errors).

The journeys are rebuilt in scratch tables from clusters made at a lower and a higher threshold
(from the stored predictions, without re-scoring and without storing), and from the true links
where the truth files are loaded. The active journeys (``journeys.linked``) are never touched.

Besides the headline measures, the steps that depend most on the record joins are compared:
first hearing of charged and completed of first hearing (a court case counts only when it joins
the CPS file and police record of its crime), nationally and per LCJB area, so
:func:`largest_area_gaps` can say, per area, which of them is furthest from the truth.
"""

from __future__ import annotations

import logging
import uuid

import pandas as pd

from linkage.clusters.recluster import recluster
from workbench.analysis.journeys.build import (
    build_info,
    build_journeys,
    build_truth_journeys,
    journeys_current,
)
from workbench.analysis.journeys.table import LINKED, TRUTH_DATASETS, drop_journeys
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.headline import headline_measures
from workbench.analysis.measures.query import JourneyFilter
from workbench.errors import JourneyError
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

ALL = JourneyFilter()
NATIONAL = "all"
# Funnel steps whose rate of the previous step depends on the joins: measure -> (base, step).
JOIN_STEPS: dict[str, tuple[str, str]] = {
    "first_hearing_of_charged": ("charged", "first_hearing"),
    "completed_of_first_hearing": ("first_hearing", "completed"),
}
# The measures compared per area: the charge rate (charged of recorded) and the join steps.
JOIN_DEPENDENT: tuple[str, ...] = ("charge_rate", *JOIN_STEPS)
COLUMNS = [
    "measure",
    "court_type",
    "lcjb_area",
    "scenario",
    "threshold",
    "value",
    "base",
    "difference",
]


def join_step_measures(ws: Workspace, table: str, where: JourneyFilter = ALL) -> pd.DataFrame:
    """The join-dependent steps of a journey table, nationally and per LCJB area.

    Args:
        ws: The workspace.
        table: The journey table in the ``journeys`` schema.
        where: Which journeys to measure.

    Returns:
        ``measure`` (of :data:`JOIN_STEPS`, plus ``charge_rate`` on the area rows),
        ``court_type`` (``all``), ``lcjb_area`` (``all`` for the national rows), ``value`` (a
        fraction; None on a zero base) and ``base`` (cases of the step before).
    """
    national = attrition_funnel(ws, table, where=where).assign(lcjb_area=NATIONAL)
    by_area = attrition_funnel(ws, table, by=("lcjb_area",), where=where)
    rows = []
    for frame, steps in (
        (national, JOIN_STEPS),
        (by_area, {"charge_rate": ("recorded", "charged"), **JOIN_STEPS}),
    ):
        cases = frame.pivot_table(index="lcjb_area", columns="stage", values="cases", aggfunc="sum")
        for area, counts in cases.iterrows():
            for measure, (base, step) in steps.items():
                n = int(counts.get(base, 0))
                value = int(counts.get(step, 0)) / n if n else None
                rows.append(
                    {
                        "measure": measure,
                        "court_type": "all",
                        "lcjb_area": str(area),
                        "value": value,
                        "base": n,
                    }
                )
    return pd.DataFrame(rows, columns=["measure", "court_type", "lcjb_area", "value", "base"])


def _measures(ws: Workspace, table: str, where: JourneyFilter) -> pd.DataFrame:
    headline = headline_measures(ws, table, where).assign(lcjb_area=NATIONAL)
    return pd.concat([headline, join_step_measures(ws, table, where)], ignore_index=True)


def linkage_sensitivity(
    ws: Workspace,
    lower: float | None = None,
    higher: float | None = None,
    include_truth: bool = True,
    where: JourneyFilter = ALL,
) -> pd.DataFrame:
    """Headline measures at the active threshold, a lower and a higher one, and from the truth.

    Args:
        ws: The workspace, with an active model whose predictions are stored.
        lower: The lower threshold; halfway between the active one and 0.5 by default.
        higher: The higher threshold; halfway between the active one and 0.999 by default.
        include_truth: Add the measures from the true links when the truth datasets are there.
        where: Which journeys to measure.

    Returns:
        ``measure``, ``court_type``, ``lcjb_area`` (``all`` for national rows; the
        join-dependent measures also per area), ``scenario`` (``active``, ``lower``,
        ``higher``, ``truth``), ``threshold``, ``value``, ``base`` and ``difference`` (value
        minus the active value of the same measure, court type and area).

    Raises:
        JourneyError: When there is no active model with clusters.
    """
    if not journeys_current(ws):
        build_journeys(ws)
    info = build_info(ws, LINKED)
    if info is None:
        raise JourneyError("There are no linked journeys to compare.")
    model_id, active = str(info["model_id"]), float(info["threshold"])
    lower = round((active + 0.5) / 2, 4) if lower is None else float(lower)
    higher = round((active + 0.999) / 2, 4) if higher is None else float(higher)
    frames = [_measures(ws, LINKED, where).assign(scenario="active", threshold=active)]
    scratch = f"scratch_{uuid.uuid4().hex[:10]}"
    try:
        for scenario, threshold in (("lower", lower), ("higher", higher)):
            clusters, _summary = recluster(ws, model_id, threshold, store=False)
            build_journeys(ws, model_id, threshold, clusters=clusters, name=scratch, record=False)
            frames.append(
                _measures(ws, scratch, where).assign(scenario=scenario, threshold=threshold)
            )
        if include_truth and all(ws.table_exists("data", t) for t in TRUTH_DATASETS.values()):
            build_truth_journeys(ws, name=scratch)
            frames.append(_measures(ws, scratch, where).assign(scenario="truth", threshold=None))
    finally:
        drop_journeys(ws, scratch)
    out = pd.concat(frames, ignore_index=True)
    index = ["measure", "court_type", "lcjb_area"]
    out["value"] = out["value"].astype("float64")
    base = out[out["scenario"] == "active"].set_index(index)["value"]
    keys = pd.MultiIndex.from_frame(out[index])
    out["difference"] = out["value"].to_numpy() - base.reindex(keys).to_numpy()
    log.info("linkage sensitivity of %s at %s / %s / %s", model_id, lower, active, higher)
    return out[COLUMNS]


def largest_area_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Per LCJB area, the join-dependent measure furthest from the truth.

    Args:
        frame: A :func:`linkage_sensitivity` frame with a ``truth`` scenario.

    Returns:
        One row per area, the largest gap first: ``lcjb_area``, ``measure``, ``linked`` and
        ``truth`` (fractions), ``gap_points`` (linked minus truth, in percentage points),
        ``linked_base`` and ``truth_base``. Empty when there is no truth scenario.
    """
    columns = ["lcjb_area", "measure", "linked", "truth", "gap_points", "linked_base", "truth_base"]
    areas = frame[(frame["lcjb_area"] != NATIONAL) & frame["measure"].isin(JOIN_DEPENDENT)]
    index = ["lcjb_area", "measure"]
    linked = areas[areas["scenario"] == "active"].set_index(index)
    truth = areas[areas["scenario"] == "truth"].set_index(index)
    if truth.empty:
        return pd.DataFrame(columns=columns)
    both = pd.DataFrame(
        {
            "linked": linked["value"],
            "truth": truth["value"],
            "linked_base": linked["base"],
            "truth_base": truth["base"],
        }
    ).dropna(subset=["linked", "truth"])
    both["gap_points"] = (both["linked"] - both["truth"]) * 100
    both["_size"] = both["gap_points"].abs()
    top = both.reset_index().sort_values(
        ["_size", "lcjb_area", "measure"], ascending=[False, True, True]
    )
    top = top.drop_duplicates("lcjb_area")
    for column in ("linked_base", "truth_base"):
        top[column] = top[column].astype("Int64")
    return top[columns].reset_index(drop=True)
