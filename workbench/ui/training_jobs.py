"""Background training for the linkage pages: one training or quick-link job per workspace, run in
a thread so the pages stay responsive, and its progress shown while it runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from linkage.model.model_spec import ModelSpec
from linkage.model.runs import train_and_save
from workbench.errors import WorkbenchError, first_line
from workbench.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class TrainingJob:
    """A training run in a background thread, and what it has reported so far."""

    workspace: str
    datasets: list[str]
    name: str
    started: float = field(default_factory=time.monotonic)
    message: str = "Starting"
    fraction: float = 0.0
    steps: list[str] = field(default_factory=list)
    run: Any = None
    error: str | None = None
    finished: float | None = None
    thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        """Whether the run has finished, well or badly."""
        return self.finished is not None

    def report(self, message: str, fraction: float) -> None:
        """The progress callback handed to training."""
        if message != self.message:
            self.steps.append(message)
        self.message = message
        self.fraction = max(0.0, min(1.0, float(fraction)))


_JOBS: dict[str, TrainingJob] = {}
_JOBS_LOCK = threading.Lock()


def current_job(ws: Workspace) -> TrainingJob | None:
    """The latest training run started on this workspace in this server, if any."""
    with _JOBS_LOCK:
        return _JOBS.get(str(ws.path))


def start_training(
    ws: Workspace,
    datasets: list[str],
    spec: ModelSpec,
    *,
    name: str,
    threshold: float | None,
    actor: str | None = None,
    backend: str = "duckdb",
) -> TrainingJob:
    """Start ``train_and_save`` in a background thread; refuse a second one at once.

    ``backend`` is ``duckdb`` (default) or ``spark``.
    """
    return _start_job(
        ws,
        datasets,
        name,
        lambda job: train_and_save(
            ws,
            datasets,
            spec,
            name=name,
            threshold=threshold,
            progress=job.report,
            actor=actor,
            backend=backend,
        ),
    )


def start_quick_link(
    ws: Workspace, datasets: list[str] | None = None, actor: str | None = None
) -> TrainingJob:
    """Start :func:`linkage.quickstart.link_and_build` (suggest, train, activate, build the
    journeys) in a background thread; refuse while another run is going."""
    from linkage.quickstart import link_and_build

    name = "suggested model"
    return _start_job(
        ws,
        list(datasets or []),
        name,
        lambda job: link_and_build(ws, datasets, name=name, progress=job.report, actor=actor).run,
    )


def _start_job(
    ws: Workspace, datasets: list[str], name: str, work: Callable[[TrainingJob], Any]
) -> TrainingJob:
    """Run ``work(job)`` in a background thread as this workspace's training job."""
    with _JOBS_LOCK:
        job = _JOBS.get(str(ws.path))
        if job is not None and not job.done:
            raise WorkbenchError(
                f"The model {job.name} is still training.",
                hint="Wait for it to finish; its progress is shown on the Train page.",
            )
        job = TrainingJob(workspace=str(ws.path), datasets=list(datasets), name=name)
        _JOBS[str(ws.path)] = job

    def run() -> None:
        try:
            job.run = work(job)
            job.report("Done", 1.0)
        except WorkbenchError as exc:
            job.error = str(exc)
        except Exception as exc:  # a bug or a Splink failure: log it, show one line
            log.exception("training %s failed", name)
            job.error = f"Training failed: {first_line(exc)}"
        finally:
            job.finished = time.monotonic()

    job.thread = threading.Thread(target=run, name=f"train-{name}", daemon=True)
    job.thread.start()
    return job


def show_job_progress(job: TrainingJob) -> None:
    """A progress bar refreshed every second while the run lasts; the page reruns at the end."""

    @st.fragment(run_every=1.0)
    def _progress() -> None:
        if job.done:
            st.rerun()
        elapsed = time.monotonic() - job.started
        with st.status(f"Training {job.name}… ({elapsed:.0f} s)", expanded=True, state="running"):
            st.progress(job.fraction, text=job.message)
            for step in job.steps[-6:]:
                st.caption(step)
        st.caption("You can open other pages meanwhile; the model is saved when training ends.")

    _progress()
