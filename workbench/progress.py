"""Where the workspace stands on the path data -> link -> journeys -> analyse, and what is next.

Read from the workspace's catalogue and registry tables only (no data is loaded and no model is
rebuilt), so the app can ask on every run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import pandas as pd

from workbench.analysis.journeys.build import active_model
from workbench.analysis.views.scope import journey_status
from workbench.data.catalogue import DatasetInfo, list_datasets
from workbench.linked_models import models_by_recency
from workbench.persons.roles import roles_counts
from workbench.workspace import Workspace

Status = Literal["done", "stale", "next", "todo"]

#: How each status is marked in the sidebar and the checklist.
STATUS_MARKS: dict[str, str] = {"done": "✓", "stale": "!", "next": "→", "todo": "·"}

#: How each status is named on the Start page.
STATUS_LABELS: dict[str, str] = {
    "done": "Done",
    "stale": "Out of date",
    "next": "Next",
    "todo": "Not yet",
}


@dataclass(frozen=True)
class Step:
    """One step of the workflow and where the workspace stands on it.

    Attributes:
        key: A short stable name (``data``, ``roles``, ``train``, ``clusters``, ``journeys``,
            ``analyse``).
        title: The step as the user reads it.
        status: ``done``, ``stale`` (done once, now out of date), ``next`` (the one to do now)
            or ``todo`` (waits for an earlier step).
        detail: What the workspace holds for this step, in one sentence.
        action: What to do, in one sentence.
        page: The script under ``pages/`` that does it.
    """

    key: str
    title: str
    status: Status
    detail: str
    action: str
    page: str

    @property
    def mark(self) -> str:
        """The status as one character: ✓ done, ! out of date, → next, · not yet."""
        return STATUS_MARKS[self.status]


def _changed_since(
    datasets: list[str], trained_at: datetime, sources: dict[str, DatasetInfo]
) -> list[str]:
    """The model's datasets that are gone or were imported or edited after it was trained."""
    changed = []
    for name in datasets:
        info = sources.get(name)
        stamp = info.imported_at if info is not None else None
        if info is None or (stamp is not None and pd.Timestamp(stamp) > pd.Timestamp(trained_at)):
            changed.append(name)
    return changed


def workflow_steps(ws: Workspace) -> list[Step]:
    """The steps from data to analysis with the status of each in this workspace.

    The first step that is not done is marked ``next`` (or stays ``stale`` when it was done and
    is now out of date); the steps after it that are not done are ``todo``.

    Args:
        ws: The workspace.

    Returns:
        Six steps in order: data loaded, column roles set, model trained, model active with
        clusters, journeys built, analyses available.
    """
    datasets = list_datasets(ws)
    sources = {d.name: d for d in datasets if d.kind == "source"}
    records = sum(d.row_count or 0 for d in sources.values())
    sample = any(d.is_sample for d in sources.values())
    steps: list[Step] = []

    # 1. Data
    if sources:
        what = "the sample" if sample else "imported extracts"
        detail = f"{len(sources)} source datasets, {records:,} records ({what})."
    else:
        detail = "The workspace holds no datasets yet."
    steps.append(
        Step(
            "data",
            "Load data",
            "done" if sources else "todo",
            detail,
            "Load the sample on the Start page, or import police, CPS and court extracts.",
            "pages/import_data.py",
        )
    )

    # 2. Column roles
    counts = roles_counts(ws)
    without = [n for n in sources if counts.get(n, (0, 0))[0] == 0]
    unconfirmed = [n for n in sources if n not in without and counts[n][1] < counts[n][0]]
    if not sources:
        detail = "Waits for data."
    elif without:
        detail = f"No roles yet for {', '.join(sorted(without))}."
    elif unconfirmed:
        detail = (
            f"Roles suggested for every dataset and used for linking; you can check and "
            f"confirm them for {', '.join(sorted(unconfirmed))}."
        )
    else:
        detail = "Roles confirmed for every dataset."
    steps.append(
        Step(
            "roles",
            "Set column roles",
            "done" if sources and not without else "todo",
            detail,
            "Say which columns hold names, date of birth, sex, postcode and identifiers.",
            "pages/roles.py",
        )
    )

    # 3. Model trained
    models = models_by_recency(ws)
    if models.empty:
        status: Status = "todo"
        detail = "No linkage model has been trained yet."
    else:
        row = models.iloc[0]
        names = json.loads(row["datasets"]) if isinstance(row["datasets"], str) else []
        changed = _changed_since(list(names or []), row["created_at"], sources)
        if changed:
            status = "stale"
            detail = (
                f"Model {row['name']} was trained before {', '.join(changed)} changed; "
                "train it again on the current data."
            )
        else:
            status = "done"
            count = f"{len(models)} model{'s' if len(models) != 1 else ''} trained"
            detail = f"{count}; latest in use: {row['name']}."
    steps.append(
        Step(
            "train",
            "Train a linkage model",
            status,
            detail,
            "Train the suggested Splink model on the police, CPS and court records.",
            "pages/link_train.py",
        )
    )

    # 4. Active model with clusters
    active = active_model(ws)
    if active is None:
        detail = (
            "No model is active with clusters yet."
            if not models.empty
            else "Waits for a trained model."
        )
    else:
        detail = f"The active model's clusters are at threshold {active[1]:.3f}."
    steps.append(
        Step(
            "clusters",
            "Choose the threshold and make clusters",
            "done" if active is not None else "todo",
            detail,
            "Pick the match threshold and save the clusters: each cluster is one person.",
            "pages/link_clusters.py",
        )
    )

    # 5. Journeys
    journeys = journey_status(ws)
    status = {"current": "done", "stale": "stale"}.get(journeys.state, "todo")  # type: ignore[assignment]
    steps.append(
        Step(
            "journeys",
            "Build journeys",
            status,
            journeys.message,
            "Join each person's police, CPS and court records into case journeys.",
            "pages/journeys.py",
        )
    )

    # 6. Analyses
    if journeys.state == "current":
        status, detail = "done", "Attrition, timeliness, the dashboard and demand are ready."
    elif journeys.state == "stale":
        status, detail = "stale", "The figures come from journeys built on an older model."
    else:
        status, detail = "todo", "The analysis pages wait for linked journeys."
    steps.append(
        Step(
            "analyse",
            "Analyse attrition, timeliness and demand",
            status,
            detail,
            "Open Attrition, Timeliness or the LCJB dashboard and read the figures.",
            "pages/attrition.py",
        )
    )
    return _mark_next(steps)


def _mark_next(steps: list[Step]) -> list[Step]:
    """Mark the first step that is not done as ``next``; a stale step keeps its status."""
    out: list[Step] = []
    found = False
    for step in steps:
        if not found and step.status != "done":
            found = True
            out.append(step if step.status == "stale" else replace(step, status="next"))
        else:
            out.append(step)
    return out


def next_step(steps: list[Step]) -> Step | None:
    """The step to do now: the first that is not done; None when every step is done."""
    return next((s for s in steps if s.status != "done"), None)
