"""Link the data in one step: the suggested model, trained, made active and turned into journeys.

A newcomer's shortest way from loaded data to the analysis pages, and a trainer's way to a ready
demonstration. Each step is the one the Link pages run (nothing is special-cased), so the model
is saved as a version like any other and can be inspected, retuned or replaced afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from linkage.clusters.registry import set_active_model
from linkage.model.datasets import linkable_datasets, suggest_for_datasets
from linkage.model.runs import TrainingRun, train_and_save
from workbench.analysis.journeys.build import JourneyBuild, build_journeys
from workbench.errors import LinkageError
from workbench.linked_models import active_model_id
from workbench.workspace import Workspace

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class QuickLink:
    """What :func:`link_and_build` did.

    Attributes:
        run: The training run (model id, clusters, metrics).
        journeys: The journey build from the model's clusters.
        activated: Whether another model was active and this one replaced it.
    """

    run: TrainingRun
    journeys: JourneyBuild
    activated: bool


def link_and_build(
    ws: Workspace,
    datasets: Sequence[str] | None = None,
    *,
    name: str = "suggested model",
    progress: Progress | None = None,
    actor: str | None = None,
) -> QuickLink:
    """Suggest a model for the datasets, train it, make it active and build the journeys.

    The threshold is chosen from the model (as on the Train page when left empty). The new
    model becomes the active one (replacing any other), so the analysis pages read its
    journeys.

    Args:
        ws: The workspace.
        datasets: Dataset names; by default every source with person roles (the police, CPS
            and court extracts).
        name: The model's name.
        progress: Called with a message and the fraction done (0 to 1).
        actor: Who ran it, for the audit log.

    Returns:
        The training run, the journey build and whether the model was activated.

    Raises:
        RoleError: When a dataset has no usable roles.
        LinkageError: When the model does not fit the data or a step fails.
        JourneyError: When the journeys cannot be built from the datasets.
    """

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, min(max(fraction, 0.0), 1.0))

    names = list(datasets) if datasets else linkable_datasets(ws)
    if not names:
        raise LinkageError(
            "No dataset has a column with a person role, so there is nothing to link.",
            hint="Load the sample or import extracts, then confirm their roles on the Roles page.",
        )
    report("Suggesting a model from the columns and their values", 0.0)
    spec = suggest_for_datasets(ws, names)
    run = train_and_save(
        ws,
        names,
        spec,
        name=name,
        threshold=None,
        progress=lambda message, fraction: report(message, 0.05 + 0.8 * fraction),
        actor=actor,
    )
    activated = active_model_id(ws) != run.model_id
    if activated:
        set_active_model(ws, run.model_id, actor=actor)
    report("Building the linked journeys", 0.88)
    journeys = build_journeys(ws)
    report("Done", 1.0)
    return QuickLink(run=run, journeys=journeys, activated=activated)
