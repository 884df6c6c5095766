"""The Stories page driven through AppTest: create, add, reorder, headline, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.story_fixtures import leader, small_workspace
from workbench.access.auth import local_user
from workbench.publish.stories.model import Block, Story
from workbench.publish.stories.render import render_block
from workbench.publish.stories.store import create_story, load_story
from workbench.ui.login import USER_KEY
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def workspace_path(tmp_path: Path) -> Path:
    return small_workspace(tmp_path)


def open_stories(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/stories.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_create_story_add_blocks_reorder(monkeypatch, workspace_path: Path) -> None:
    at = open_stories(monkeypatch, workspace_path)
    at.selectbox(key="stories_pick").set_value("+ New story").run()
    at.text_input(key="stories_new_name").set_value("weekly")
    at.text_input(key="stories_new_title").set_value("Weekly brief")
    at.button(key="stories_create").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="stories_pick").value == "weekly"

    at.radio(key="stories_add_kind").set_value("text").run()
    at.text_area(key="stories_add_text").set_value("Hello **leaders**.")
    at.button(key="stories_add_button").click().run()
    at.radio(key="stories_add_kind").set_value("chart").run()
    at.selectbox(key="stories_add_source").set_value("attrition_funnel").run()
    at.button(key="stories_add_button").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(workspace_path) as ws:
        story = load_story(ws, local_user(), "weekly")
    assert [b.kind for b in story.blocks] == ["text", "chart"]
    chart_id = story.blocks[1].id
    at.button(key=f"blk_{chart_id}_up").click().run()
    at.text_input(key=f"blk_{chart_id}_headline").set_value("Few crimes are charged").run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(workspace_path) as ws:
        story = load_story(ws, local_user(), "weekly")
    assert [b.kind for b in story.blocks] == ["chart", "text"]
    assert story.blocks[0].headline == "Few crimes are charged"
    at.button(key=f"blk_{story.blocks[1].id}_delete").click().run()
    with Workspace(workspace_path) as ws:
        assert len(load_story(ws, local_user(), "weekly").blocks) == 1


def test_saved_story_shows_blocks_and_downloads(monkeypatch, workspace_path: Path) -> None:
    at = open_stories(monkeypatch, workspace_path)
    assert at.selectbox(key="stories_pick").value == "demo"
    assert any("rose by 27%" in t.placeholder for t in at.text_input if t.placeholder)
    assert len(at.get("download_button")) >= 3
    assert not at.error


def test_a_leader_sees_only_their_stories_and_journey_sources(
    monkeypatch, workspace_path: Path
) -> None:
    kent, cumbria = leader("Kent"), leader("Cumbria")
    with Workspace(workspace_path) as ws:
        create_story(ws, cumbria, Story("cumbria_pack", "Cumbria pack"))
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[USER_KEY] = kent
    at.session_state["_allowed_areas"] = kent.allowed_areas
    at.session_state["_leader_view"] = True
    at.run()
    at.switch_page("pages/stories.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="stories_pick").options == ["+ New story"]
    at.text_input(key="stories_new_name").set_value("cumbria_pack")
    at.text_input(key="stories_new_title").set_value("Kent pack")
    at.button(key="stories_create").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(workspace_path) as ws:
        assert load_story(ws, cumbria, "cumbria_pack").title == "Cumbria pack"
        assert load_story(ws, kent, "cumbria_pack").title == "Kent pack"
    at.radio(key="stories_add_kind").set_value("chart").run()
    sources = at.selectbox(key="stories_add_source").options
    assert "Records over time (a dataset)" not in sources and len(sources) == 3
    assert at.multiselect(key="stories_add_areas").options == ["Kent"]
    at.selectbox(key="stories_add_source").set_value("attrition_funnel").run()
    at.button(key="stories_add_button").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(workspace_path) as ws:
        block = load_story(ws, kent, "cumbria_pack").blocks[0]
    assert block.params == {"table": "linked", "areas": ["Kent"]}
    assert any("reached, Kent" in c.value for c in at.caption)


def test_blocks_added_from_the_pages_show_on_the_stories_page(
    monkeypatch, workspace_path: Path
) -> None:
    kent = {"areas": ["Kent"]}
    blocks = [
        Block("chart", "attrition_reasons", kent),
        Block("table", "measure_trend", {**kent, "measure": "charge_rate", "period": "month"}),
        Block("chart", "outstanding_caseload", kent),
        Block("chart", "dashboard_trends", {**kent, "period": "quarter"}),
    ]
    with Workspace(workspace_path) as ws:
        create_story(ws, local_user(), Story("kent_pack", "Kent pack", blocks=blocks))
        expected = [render_block(ws, local_user(), b).generated_headline for b in blocks]
    at = open_stories(monkeypatch, workspace_path)
    at.selectbox(key="stories_pick").set_value("kent_pack").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    placeholders = [t.placeholder for t in at.text_input if t.placeholder]
    assert all(h in placeholders for h in expected) and all("Kent" in h for h in expected)
    # charts that take no annotations offer no editor; the caseload's bars do
    assert len([e for e in at.expander if e.label.startswith("Annotations")]) == 1
