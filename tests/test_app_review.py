"""The Review page through AppTest: labels bound to the pair shown, counts from the store,
case context, the reviewer's default name, and teaching a new model version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from linkage.clusters import registry
from linkage.model.datasets import suggest_for_datasets
from linkage.model.linkers import forget_linkers
from linkage.model.runs import train_and_save
from linkage.review.active import pair_id
from linkage.review.labels import load_labels
from tests.test_app_linkage import APP, make_people_workspace
from workbench.workspace import Workspace


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two small synthetic sources with a trained, active model."""
    path = tmp_path_factory.mktemp("review") / "ws.duckdb"
    make_people_workspace(path)
    with Workspace(path) as ws:
        names = ["police", "courts"]
        run = train_and_save(ws, names, suggest_for_datasets(ws, names))
        registry.set_active_model(ws, run.model_id)
    forget_linkers()
    yield path


@pytest.fixture
def review(monkeypatch: pytest.MonkeyPatch, linked: Path) -> Iterator[Path]:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(linked))
    monkeypatch.setenv("WORKBENCH_USER", "ana.reviewer")
    with Workspace(linked) as ws:
        ws.query("DELETE FROM wb.labels")
    yield linked
    forget_linkers()


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/link_review.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _button(at: AppTest, prefix: str):
    """The page's one button whose key starts with ``prefix``, and the pair id it carries."""
    found = [b for b in at.button if b.key and b.key.startswith(prefix + "::")]
    assert len(found) == 1, [b.key for b in at.button]
    return found[0], found[0].key.split("::", 1)[1]


def _stored(path: Path) -> list[tuple[str, int | None, str]]:
    with Workspace(path) as ws:
        labels = load_labels(ws)
    return [(pair_id(r), r["label"], r["reviewer"]) for _, r in labels.iterrows()]


def test_each_label_lands_on_the_pair_it_was_shown_with(review: Path) -> None:
    at = _page()
    assert at.text_input(key="review_reviewer").value == "ana.reviewer"
    shown = []
    for prefix in ["review_match", "review_nonmatch", "review_match", "review_unsure"]:
        button, pid = _button(at, prefix)
        shown.append((pid, prefix))
        button.click().run()
        assert not at.exception, [e.message for e in at.exception]
    stored = {pid: (label, who) for pid, label, who in _stored(review)}
    value = {"review_match": 1, "review_nonmatch": 0, "review_unsure": None}
    assert len(stored) == len({pid for pid, _ in shown}) == 4
    for pid, prefix in shown:
        label, who = stored[pid]
        assert (None if pd.isna(label) else int(label)) == value[prefix]
        assert who == "ana.reviewer"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pairs labelled"] == "4"
    assert metrics["Matches / not / unsure"] == "2 / 1 / 1"


def test_a_late_click_labels_the_pair_it_was_drawn_with(review: Path) -> None:
    """A second click that reaches the server after the page moved on never labels the new pair."""
    first = _page()
    match_a, pid_a = _button(first, "review_match")
    late = _page()  # the same page as the reviewer's browser still shows it
    nonmatch_a, pid_late = _button(late, "review_nonmatch")
    assert pid_late == pid_a
    match_a.click().run()
    _, pid_b = _button(first, "review_match")
    assert pid_b != pid_a
    nonmatch_a.click().run()  # the stale click, on pair A's button
    stored = {pid: label for pid, label, _ in _stored(review)}
    assert set(stored) == {pid_a}
    assert int(stored[pid_a]) == 0
    assert pid_b not in stored


def test_skip_moves_on_without_a_label_and_case_context_is_shown(review: Path) -> None:
    at = _page()
    fields = [set(t.value["Field"]) for t in at.table if "Field" in t.value.columns]
    assert any({"Dataset", "Record"} <= f for f in fields), fields
    button, pid = _button(at, "review_skip")
    button.click().run()
    _, after = _button(at, "review_match")
    assert after != pid and _stored(review) == []


def test_teaching_saves_a_new_version_noting_its_labels(review: Path) -> None:
    at = _page()
    for _ in range(6):
        _button(at, "review_match")[0].click().run()
    at.button(key="teach_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("taught by 6 labels" in s.value for s in at.success), [e.value for e in at.error]
    with Workspace(review) as ws:
        models = registry.list_models(ws)
        newest = registry.get_model(ws, models["model_id"].iloc[0])
    assert newest["parent_model_id"] and "6 labels" in newest["notes"]
