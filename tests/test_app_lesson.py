"""The Linkage lesson page through AppTest: every step from a clean workspace, reset, presenter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from linkage.lesson import models as lesson_models
from linkage.lesson.course import exercise_pairs
from linkage.lesson.models import DEFAULT_THRESHOLD

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The lesson page of an app on a new, empty workspace."""
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(tmp_path / "ws.duckdb"))
    monkeypatch.setattr(lesson_models, "WARM_UP_ENABLED", False)
    app = AppTest.from_file(APP, default_timeout=180)
    app.run()
    app.switch_page("pages/learn.py")
    app.run()
    _ok(app)
    yield app


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.body for e in app.error]


def _metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def _go(app: AppTest, step: str) -> None:
    app.selectbox(key="lesson_step").set_value(step).run()
    _ok(app)


def test_every_step_responds_to_its_control(at: AppTest) -> None:
    assert "Exact join: Recall" in _metrics(at)
    before = _metrics(at)
    at.multiselect(key="lesson_exact_fields").set_value(["surname", "dob"]).run()
    _ok(at)
    assert _metrics(at)["Exact join: Recall"] != before["Exact join: Recall"]

    at.button(key="lesson_next").click().run()
    _ok(at)
    assert at.selectbox(key="lesson_step").value == "mu"
    before = _metrics(at)
    at.selectbox(key="lesson_mu_column").set_value("dob").run()
    _ok(at)
    assert _metrics(at) != before

    _go(at, "levels")
    before = _metrics(at)
    at.select_slider(key="lesson_name_threshold").set_value(0.7).run()
    _ok(at)
    assert _metrics(at)["Recall"] != before["Recall"]

    _go(at, "blocking")
    before = _metrics(at)
    at.multiselect(key="lesson_blocking").set_value(["surname + dob"]).run()
    _ok(at)
    assert _metrics(at)["Pairs compared"] != before["Pairs compared"]
    assert _metrics(at)["Recall"] != before["Recall"]

    _go(at, "threshold")
    before = _metrics(at)
    at.slider(key="lesson_threshold").set_value(0.95).run()
    _ok(at)
    assert _metrics(at)["Recall"] != before["Recall"]
    assert any("changed status" in m.value and "0" not in m.value[-2:] for m in at.markdown)

    _go(at, "clusters")
    before = _metrics(at)
    at.slider(key="lesson_cluster_threshold").set_value(0.95).run()
    _ok(at)
    assert _metrics(at)["Clusters found"] != before["Clusters found"]

    _go(at, "exercise")
    assert not any(m.label == "You got right" for m in at.metric)
    n = len(exercise_pairs())
    for i in range(n):
        at.radio(key=f"lesson_ex_{i}").set_value("Same person")
    at.run()
    _ok(at)
    assert _metrics(at)["You got right"].endswith(f"of {n}")
    assert at.progress[0].value == 100


def test_reset_forgets_progress_and_answers(at: AppTest) -> None:
    _go(at, "threshold")
    at.slider(key="lesson_threshold").set_value(0.9).run()
    assert at.session_state["lesson_done"] == {"exact", "threshold"}
    at.button(key="lesson_reset").click().run()
    _ok(at)
    assert at.selectbox(key="lesson_step").value == "exact"
    assert at.session_state["lesson_done"] == {"exact"}
    _go(at, "threshold")
    assert at.slider(key="lesson_threshold").value == DEFAULT_THRESHOLD


def test_presenter_view_toggles_large_type(at: AppTest) -> None:
    def styled() -> bool:
        return any("stSidebar" in str(h.proto.body) for h in at.get("html"))

    assert not styled()
    at.toggle(key="lesson_presenter").set_value(True).run()
    _ok(at)
    assert styled()
    at.button(key="lesson_reset").click().run()
    assert at.toggle(key="lesson_presenter").value is True
    at.toggle(key="lesson_presenter").set_value(False).run()
    assert not styled()
