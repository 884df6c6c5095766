"""Dataset services: bring data into the workspace and prepare it for linkage.

These functions combine the importer, the quality profile and the role suggestion, so that the
app and the command line do the same thing in the same order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.data.catalogue import DatasetInfo, list_datasets
from workbench.data.importer import import_file
from workbench.data.profile import refresh_profile
from workbench.data.writing import import_frame
from workbench.errors import ValidationError, WorkbenchError
from workbench.persons.role_suggest import suggest_roles_for_dataset
from workbench.persons.roles import save_roles
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@dataclass(frozen=True)
class SampleDataset:
    """How one file of the sample is catalogued."""

    name: str
    file: str
    kind: str
    source_system: str
    title: str
    description: str


SAMPLE_DATASETS: tuple[SampleDataset, ...] = (
    SampleDataset(
        "police",
        "police.parquet",
        "source",
        "police",
        "Police crime records (sample)",
        "Synthetic crime records for all 42 LCJB areas: offence, suspect details where a suspect "
        "was identified, URN when a case file was built, and the Home Office outcome.",
    ),
    SampleDataset(
        "cps",
        "cps.parquet",
        "source",
        "cps",
        "CPS pre-charge decisions (sample)",
        "Synthetic CPS referrals: URN, defendant details, referral and decision dates, charges "
        "and finalisation reason.",
    ),
    SampleDataset(
        "courts",
        "courts.parquet",
        "source",
        "courts",
        "Court cases (sample)",
        "Synthetic magistrates' and Crown Court cases: defendant details, first hearing, plea, "
        "verdict, completion and sentence.",
    ),
    SampleDataset(
        "police_truth",
        "police_truth.parquet",
        "truth",
        "police",
        "Police records: true person and case (sample truth)",
        "The true person id and case id of every sample police record. For evaluating linkage "
        "only; never used by a model.",
    ),
    SampleDataset(
        "cps_truth",
        "cps_truth.parquet",
        "truth",
        "cps",
        "CPS records: true person and case (sample truth)",
        "The true person id and case id of every sample CPS record. For evaluating linkage only.",
    ),
    SampleDataset(
        "courts_truth",
        "courts_truth.parquet",
        "truth",
        "courts",
        "Court records: true person and case (sample truth)",
        "The true person id and case id of every sample court record. For evaluating linkage only.",
    ),
)

ProgressFn = Callable[[str, float], None]


def prepare_dataset(ws: Workspace, name: str, actor: str | None = None) -> None:
    """Profile a dataset and store suggested column roles (unconfirmed) for it.

    Args:
        ws: The workspace.
        name: The dataset to prepare.
        actor: Who asked for it, for the audit log.
    """
    suggestions = suggest_roles_for_dataset(ws, name)
    save_roles(
        ws,
        name,
        {s.column: s.role for s in suggestions},
        confirmed=False,
        suggestions=suggestions,
        actor=actor,
    )
    refresh_profile(ws, name)


def add_file(
    ws: Workspace,
    source: Path | str | bytes,
    name: str | None = None,
    *,
    filename: str | None = None,
    actor: str | None = None,
    **options: Any,
) -> DatasetInfo:
    """Import a file, then profile it and suggest column roles.

    The import itself is all or nothing. Profiling and role suggestion run afterwards; if they
    fail the dataset stays imported and the failure is reported, so nothing the user gave is lost.

    Args:
        ws: The workspace.
        source: A path, or the bytes of an upload (then give ``filename``).
        name: The dataset name; derived from the file name when omitted.
        filename: The original file name of an upload.
        actor: Who imported it.
        **options: Passed to :func:`workbench.data.importer.import_file` (title, source_system,
            on_conflict, max_bytes, sheet, ...).

    Returns:
        The catalogue entry of the new dataset.
    """
    info = import_file(ws, source, name, filename=filename, actor=actor, **options)
    try:
        prepare_dataset(ws, info.name, actor=actor)
    except WorkbenchError:
        raise
    except Exception as exc:
        log.exception("profiling %s failed", info.name)
        raise WorkbenchError(
            f"{info.name} was imported, but profiling it failed ({exc}).",
            hint="The data is safe in the workspace; open its catalogue entry and refresh the "
            "profile.",
        ) from exc
    return info


def sample_available(sample_dir: Path | None = None) -> bool:
    """Whether the committed sample files are present."""
    folder = sample_dir or SAMPLE_DIR
    return all((folder / d.file).exists() for d in SAMPLE_DATASETS)


def load_sample(
    ws: Workspace,
    sample_dir: Path | None = None,
    actor: str | None = None,
    progress: ProgressFn | None = None,
) -> list[DatasetInfo]:
    """Load the sample datasets into the workspace, skipping any that are already there.

    Args:
        ws: The workspace.
        sample_dir: Folder holding the sample Parquet files; the committed sample by default.
        actor: Who loaded it.
        progress: Called with a message and a fraction done after each dataset.

    Returns:
        The catalogue entries of the datasets loaded now (empty when all were there already).
    """
    folder = Path(sample_dir or SAMPLE_DIR)
    if not sample_available(folder):
        raise ValidationError(
            f"The sample data is missing from {folder}.",
            hint="Generate it with `workbench sample --out sample_data`.",
        )
    manifest = _read_manifest(folder)
    existing = {d.name for d in list_datasets(ws)}
    loaded: list[DatasetInfo] = []
    for index, spec in enumerate(SAMPLE_DATASETS, start=1):
        if spec.name in existing:
            continue
        path = folder / spec.file
        raw = path.read_bytes()
        frame = pd.read_parquet(path)
        info = import_frame(
            ws,
            frame,
            spec.name,
            source_file=spec.file,
            source_sha256=hashlib.sha256(raw).hexdigest(),
            source_format="parquet",
            source_bytes=len(raw),
            kind=spec.kind,
            is_sample=True,
            title=spec.title,
            description=spec.description,
            source_system=spec.source_system,
            owner="CJS Linkage Workbench sample",
            refresh_date=manifest.get("end_date"),
            actor=actor,
        )
        if spec.kind == "source":
            prepare_dataset(ws, info.name, actor=actor)
        loaded.append(info)
        if progress:
            progress(f"Loaded {spec.title}", index / len(SAMPLE_DATASETS))
    return loaded


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
