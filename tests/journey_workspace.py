"""A small workspace with linked journeys, fast: three areas of the sample, true links as clusters.

The clusters of an "active model" are the sample's true person ids, so no model is trained and
the journey table is built exactly as the app builds it. The subset holds crimes recorded from
the sample's first reported period on (and the CPS and court records that come from them): the
lead-in years before it would only make the tests slower.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from workbench.analysis.journeys.build import build_journeys
from workbench.data.datasets import SAMPLE_DIR, load_sample
from workbench.sample.calibration import FIRST_REPORTED_DATE
from workbench.workspace import Workspace

AREAS = ("Kent", "Cumbria", "Dorset")
KEYS = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}
MODEL_ID = "truth-model"


def write_sample_subset(
    folder: Path, areas: tuple[str, ...] = AREAS, since: date | None = FIRST_REPORTED_DATE
) -> Path:
    """Copy the committed sample's records (and truth) for a few areas into ``folder``.

    With ``since``, only crimes recorded on or after that day are kept, with the CPS and court
    records of those crimes (``None`` keeps the whole history).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE_DIR / "manifest.json", folder / "manifest.json")
    crimes = None
    for name, key in KEYS.items():
        source = pd.read_parquet(SAMPLE_DIR / f"{name}.parquet")
        source = source[source["lcjb_area"].isin(areas)]
        truth = pd.read_parquet(SAMPLE_DIR / f"{name}_truth.parquet")
        if name == "police" and since is not None:
            source = source[pd.to_datetime(source["recorded_date"]) >= pd.Timestamp(since)]
        if crimes is not None:
            truth = truth[truth["case_id"].isin(crimes)]
            source = source[source[key].isin(truth[key])]
        truth = truth[truth[key].isin(source[key])]
        if name == "police":
            crimes = set(source["crime_ref"])
        source.to_parquet(folder / f"{name}.parquet", index=False)
        truth.to_parquet(folder / f"{name}_truth.parquet", index=False)
    return folder


def activate_truth_model(ws: Workspace, threshold: float = 0.9) -> None:
    """Register an active model whose clusters are the true person ids."""
    parts = [
        f"SELECT '{source}', CAST({key} AS VARCHAR), person_id, ?, ? FROM data.{source}_truth "
        "WHERE person_id IS NOT NULL"
        for source, key in KEYS.items()
    ]
    with ws.transaction() as cur:
        cur.execute(
            "INSERT INTO wb.models (model_id, name, created_at, link_type, settings, is_active) "
            "VALUES (?, 'true links', now(), 'link_and_dedupe', '{}', true)",
            [MODEL_ID],
        )
        cur.execute(
            "INSERT INTO wb.clusters " + " UNION ALL ".join(parts),
            [MODEL_ID, threshold] * len(parts),
        )


#: Workspaces already built in this test process, by what was asked for: each later request
#: gets a copy of the file (and of its sample folder), not a second build.
_TEMPLATES: dict[tuple[bool, bool, tuple[str, ...]], Path] = {}


def _template_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="journey-templates-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def _build(root: Path, build: bool, model: bool, areas: tuple[str, ...]) -> Path:
    sample = write_sample_subset(root / "sample", areas)
    path = root / "workspace.duckdb"
    with Workspace(path) as ws:
        load_sample(ws, sample_dir=sample)
        if model:
            activate_truth_model(ws)
        if build:
            build_journeys(ws)
    return path


def make_journey_workspace(
    root: Path, build: bool = True, model: bool = True, areas: tuple[str, ...] = AREAS
) -> Path:
    """A workspace file under ``root`` with the subset loaded, a model and (optionally) journeys.

    The first request of each kind in a test process builds it; later ones copy that file
    (closed, so it holds everything) and its sample folder, which is the same workspace.
    """
    key = (build, model, tuple(areas))
    template = _TEMPLATES.get(key)
    if template is None or not template.exists():
        template = _build(_template_root(), build, model, tuple(areas))
        _TEMPLATES[key] = template
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template.parent / "sample", root / "sample", dirs_exist_ok=True)
    path = root / "workspace.duckdb"
    shutil.copyfile(template, path)
    for side in template.parent.glob(template.name + ".*"):  # a write-ahead log, if one is left
        shutil.copyfile(side, root / side.name)
    return path
