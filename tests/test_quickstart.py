"""Linking in one step: the suggested model trained, made active and turned into journeys."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from linkage.clusters.registry import list_models
from linkage.quickstart import link_and_build
from workbench.analysis.journeys.build import build_info, journeys_current
from workbench.errors import LinkageError
from workbench.linked_models import active_model_id
from workbench.progress import next_step, workflow_steps
from workbench.workspace import Workspace

from .journey_workspace import make_journey_workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
AREAS = ("Cumbria", "Dorset")


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    return make_journey_workspace(tmp_path, build=False, model=False, areas=AREAS)


def test_nothing_to_link_is_a_clear_error(tmp_path: Path) -> None:
    with Workspace(tmp_path / "empty.duckdb") as ws, pytest.raises(LinkageError, match="role"):
        link_and_build(ws)


def test_start_page_links_in_one_click(monkeypatch: pytest.MonkeyPatch, loaded: Path) -> None:
    with Workspace(loaded) as ws:
        assert next_step(workflow_steps(ws)).key == "train"
    from workbench.ui.training_jobs import current_job

    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(loaded))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    at.button(key="quick_link").click().run()
    assert not at.exception, [e.message for e in at.exception]
    job = current_job(SimpleNamespace(path=loaded.resolve()))
    assert job is not None and job.name == "suggested model"
    job.thread.join(timeout=600)
    assert job.done and job.error is None, job.error
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Every step is done" in s.value for s in at.success), [s.value for s in at.success]
    assert not [b for b in at.button if b.key == "quick_link"]
    # The app ran the steps the Link pages run: one model, active, with current journeys.
    with Workspace(loaded) as ws:
        models = list_models(ws)
        assert len(models) == 1 and active_model_id(ws) == job.run.model_id
        assert journeys_current(ws) and build_info(ws)["model_id"] == job.run.model_id
        assert build_info(ws)["journeys"] > 0 and job.run.metrics["n_people"] > 0
        assert next_step(workflow_steps(ws)) is None
    assert job.steps[0].startswith("Suggesting") and "Building the linked journeys" in job.steps


def test_init_links_once_from_the_command_line(loaded: Path) -> None:
    """`workbench init --link` (what `make run` runs) links data that has no model yet, and
    leaves a workspace that has one alone."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("workbench")

    def init() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), "--workspace", str(loaded), "init", "--link"],
            capture_output=True,
            text=True,
            timeout=900,
        )

    first = init()
    assert first.returncode == 0, first.stderr
    assert "Linking the data with the suggested model" in first.stdout
    assert "Building the linked journeys" in first.stdout
    assert "Linked into" in first.stdout and "journeys." in first.stdout
    with Workspace(loaded) as ws:
        assert len(list_models(ws)) == 1 and journeys_current(ws)
    second = init()
    assert second.returncode == 0, second.stderr
    assert "Linking" not in second.stdout
    with Workspace(loaded) as ws:
        assert len(list_models(ws)) == 1
