"""How much the headline measures depend on the linkage threshold (and, with truth, on errors).

The journeys are rebuilt in scratch tables from clusters made at a lower and a higher threshold
(from the stored predictions, without re-scoring and without storing), and from the true links
where the truth files are loaded. The active journeys (``journeys.linked``) are never touched.
"""

from __future__ import annotations

import logging
import uuid

import pandas as pd

from linkage.workflow import recluster
from workbench.errors import JourneyError
from workbench.journeys import (
    LINKED,
    TRUTH_DATASETS,
    build_journeys,
    build_truth_journeys,
    drop_journeys,
    journeys_current,
)
from workbench.measures import JourneyFilter, headline_measures
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

ALL = JourneyFilter()


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
        ``measure``, ``court_type``, ``scenario`` (``active``, ``lower``, ``higher``,
        ``truth``), ``threshold``, ``value``, ``base`` and ``difference`` (value minus the
        active value).

    Raises:
        JourneyError: When there is no active model with clusters.
    """
    if not journeys_current(ws):
        build_journeys(ws)
    info = ws.query("SELECT model_id, threshold FROM wb.journey_builds WHERE name = ?", [LINKED])
    if not info:
        raise JourneyError("There are no linked journeys to compare.")
    model_id, active = str(info[0][0]), float(info[0][1])
    lower = round((active + 0.5) / 2, 4) if lower is None else float(lower)
    higher = round((active + 0.999) / 2, 4) if higher is None else float(higher)
    frames = [headline_measures(ws, LINKED, where).assign(scenario="active", threshold=active)]
    scratch = f"scratch_{uuid.uuid4().hex[:10]}"
    try:
        for scenario, threshold in (("lower", lower), ("higher", higher)):
            clusters, _summary = recluster(ws, model_id, threshold, store=False)
            build_journeys(ws, model_id, threshold, clusters=clusters, name=scratch, record=False)
            frames.append(
                headline_measures(ws, scratch, where).assign(scenario=scenario, threshold=threshold)
            )
        if include_truth and all(ws.table_exists("data", t) for t in TRUTH_DATASETS.values()):
            build_truth_journeys(ws, name=scratch)
            frames.append(
                headline_measures(ws, scratch, where).assign(scenario="truth", threshold=None)
            )
    finally:
        drop_journeys(ws, scratch)
    out = pd.concat(frames, ignore_index=True)
    base = out[out["scenario"] == "active"].set_index(["measure", "court_type"])["value"]
    keys = pd.MultiIndex.from_frame(out[["measure", "court_type"]])
    out["difference"] = out["value"].to_numpy() - base.reindex(keys).to_numpy()
    log.info("linkage sensitivity of %s at %s / %s / %s", model_id, lower, active, higher)
    return out[["measure", "court_type", "scenario", "threshold", "value", "base", "difference"]]
