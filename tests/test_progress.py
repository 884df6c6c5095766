"""The workflow checklist: each step's status as the workspace fills, on the Start page and in
the sidebar, and never for leaders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from linkage.model.datasets import suggest_for_datasets
from linkage.model.linkers import forget_linkers
from linkage.model.runs import train_and_save
from linkage.synthetic import make_people
from tests.journey_workspace import write_sample_subset
from tests.test_app_auth import log_in, page_links, shared, start  # noqa: F401
from workbench.data.catalogue import delete_dataset
from workbench.data.datasets import load_sample
from workbench.data.writing import import_frame
from workbench.persons.roles import save_roles
from workbench.progress import next_step, workflow_steps
from workbench.ui.navigation import STATUS_ICONS, progress_marks
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
KEYS = ["data", "roles", "train", "clusters", "journeys", "analyse"]
ROLES = {
    "unique_id": "record_id",
    "first_name": "first_name",
    "surname": "surname",
    "dob": "dob",
    "sex": "sex",
    "postcode": "postcode",
    "person_id": "ignore",
}


def statuses(ws: Workspace) -> dict[str, str]:
    return {s.key: s.status for s in workflow_steps(ws)}


def _import_people(ws: Workspace, name: str, frame) -> None:
    import_frame(ws, frame.drop(columns=["source_dataset"], errors="ignore"), name)
    save_roles(ws, name, {c: r for c, r in ROLES.items() if c in frame.columns}, confirmed=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two small synthetic sources and one model trained on them (active, with clusters)."""
    path = tmp_path_factory.mktemp("progress") / "ws.duckdb"
    frames = make_people(300, seed=7, n_datasets=2)
    with Workspace(path) as ws:
        for name, frame in zip(("police", "courts"), frames, strict=True):
            _import_people(ws, name, frame)
        spec = suggest_for_datasets(ws, ["police", "courts"])
        train_and_save(ws, ["police", "courts"], spec, name="small")
    forget_linkers()
    return path


def test_empty_workspace_starts_with_the_data(ws: Workspace) -> None:
    steps = workflow_steps(ws)
    assert [s.key for s in steps] == KEYS
    assert statuses(ws) == {k: "next" if k == "data" else "todo" for k in KEYS}
    assert next_step(steps).page == "pages/import_data.py"


def test_after_the_sample_the_next_step_is_training(ws: Workspace, tmp_path: Path) -> None:
    load_sample(ws, sample_dir=write_sample_subset(tmp_path / "sample", ("Dorset",)))
    assert statuses(ws) == {
        "data": "done",
        "roles": "done",
        "train": "next",
        "clusters": "todo",
        "journeys": "todo",
        "analyse": "todo",
    }
    step = next_step(workflow_steps(ws))
    assert step.key == "train" and step.page == "pages/link_train.py"
    # The roles of the sample are suggestions until someone confirms them, and the step says so.
    roles = next(s for s in workflow_steps(ws) if s.key == "roles")
    assert "you can check and confirm them" in roles.detail


def test_after_training_the_next_step_is_journeys(trained: Path) -> None:
    with Workspace(trained) as ws:
        assert statuses(ws) == {
            "data": "done",
            "roles": "done",
            "train": "done",
            "clusters": "done",
            "journeys": "next",
            "analyse": "todo",
        }
        assert progress_marks(ws)["link-train"] == "done"
        assert progress_marks(ws)["journeys"] == "next"


def test_data_changed_after_training_makes_the_model_stale(trained: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    path.write_bytes(trained.read_bytes())
    with Workspace(path) as ws:
        delete_dataset(ws, "courts")
        _import_people(ws, "courts", make_people(300, seed=8, n_datasets=2)[1])
        steps = workflow_steps(ws)
        train = next(s for s in steps if s.key == "train")
        assert train.status == "stale" and "courts" in train.detail
        assert next_step(steps) == train


def _app(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _links(root) -> dict[str, str]:
    """Page links by label -> icon."""
    return {str(el.proto.label): str(el.proto.icon) for el in root.get("page_link")}


def test_start_page_shows_the_next_step_as_it_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trained: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    at = _app(monkeypatch, path)
    assert "Next step: Load data" in _links(at.main)
    with Workspace(path) as ws:
        _import_people(ws, "police", make_people(50, seed=1, n_datasets=1)[0])
    at.run()
    assert "Next step: Train a linkage model" in _links(at.main)
    assert any("link it next" in i.value for i in at.info)
    at = _app(monkeypatch, trained)
    links = _links(at.main)
    assert "Next step: Build journeys" in links
    assert "Next step: Train a linkage model" not in links
    # The sidebar marks the steps done and the one to do next.
    sidebar = _links(at.sidebar)
    assert sidebar["Train"] == ":material/check_circle:"
    assert sidebar["Journeys"] == ":material/arrow_forward:"
    assert sidebar["Attrition"] == ":material/filter_alt:", "a step not yet due keeps its icon"


def test_a_leader_sees_no_linkage_checklist(shared: Path) -> None:  # noqa: F811
    at = log_in(start(), "kent")
    icons = _links(at.sidebar)
    assert icons and not set(icons.values()) & set(STATUS_ICONS.values()), icons
    assert "Start" not in page_links(at)
    assert not any("Next step" in m.value for m in at.markdown)
    # An analyst in the same workspace gets the marks: the data is the next step.
    at = log_in(start(), "ana")
    assert _links(at.sidebar)["Import"] == STATUS_ICONS["next"]
