"""“Add to story” on every chart and table of Attrition, Timeliness, the dashboard and Demand,
driven through AppTest: each button puts its view, with the page's choices, into the story."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.forecast_data import write_demand_journeys
from tests.journey_workspace import make_journey_workspace
from workbench.access.auth import local_user
from workbench.publish.stories.render import render_block
from workbench.publish.stories.store import load_story
from workbench.ui.story_add import NEW_STORY
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ANALYST = local_user()


def _page(monkeypatch: pytest.MonkeyPatch, path: Path, page: str) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _add(at: AppTest, key: str, story: str | None = None, kind: str | None = None) -> None:
    """Click a view's “Add to story”: into ``story``, or a new story titled "Briefing"."""
    if kind is not None:
        at.radio(key=f"{key}_story_kind").set_value(kind).run()
    if story is None:
        at.selectbox(key=f"{key}_story_pick").set_value(NEW_STORY).run()
        at.text_input(key=f"{key}_story_title").set_value("Briefing").run()
    else:
        at.selectbox(key=f"{key}_story_pick").set_value(story).run()
    at.button(key=f"{key}_story_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Added to “Briefing”" in s.value for s in at.success)


def test_every_analysis_view_goes_into_a_kent_briefing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = make_journey_workspace(tmp_path)
    at = _page(monkeypatch, path, "pages/attrition.py")
    at.multiselect(key="attrition_areas").set_value(["Kent"]).run()
    _add(at, "attrition_reasons")
    at.selectbox(key="attrition_measure").set_value("conviction_rate").run()
    _add(at, "attrition_trend", "briefing", kind="table")

    at = _page(monkeypatch, path, "pages/timeliness.py")
    at.multiselect(key="timeliness_areas").set_value(["Kent"]).run()
    _add(at, "timeliness_distribution", "briefing")
    _add(at, "timeliness_trend", "briefing")
    _add(at, "timeliness_caseload", "briefing", kind="table")

    at = _page(monkeypatch, path, "pages/dashboard.py")
    area = at.selectbox(key="dashboard_area").value
    _add(at, "dashboard_trends", "briefing")

    with Workspace(path) as ws:
        story = load_story(ws, ANALYST, "briefing")
        blocks = [(b.kind, b.source, b.params) for b in story.blocks]
        court = blocks[2][2]["court_types"]
        assert blocks == [
            ("chart", "attrition_reasons", {"areas": ["Kent"]}),
            (
                "table",
                "measure_trend",
                {"measure": "conviction_rate", "period": "year", "areas": ["Kent"]},
            ),
            (
                "chart",
                "timeliness_distribution",
                {
                    "interval": "offence_to_completion",
                    "areas": ["Kent"],
                    "court_types": court,
                },
            ),
            (
                "chart",
                "measure_trend",
                {
                    "measure": "median_offence_to_completion",
                    "period": "year",
                    "areas": ["Kent"],
                    "court_types": court,
                },
            ),
            ("table", "outstanding_caseload", {"areas": ["Kent"]}),
            ("chart", "dashboard_trends", {"period": "year", "areas": [area]}),
        ]
        for block in story.blocks:
            rendered = render_block(ws, ANALYST, block)
            assert rendered.headline
            said = rendered.meta.subtitle if rendered.meta else rendered.table_meta.title
            assert (area if block.source == "dashboard_trends" else "Kent") in said


@pytest.fixture
def demand_path(tmp_path: Path) -> Path:
    path = tmp_path / "demand.duckdb"
    with Workspace(path) as ws:
        write_demand_journeys(ws, areas=("Kent", "Surrey"), weeks=150)
    return path


def test_demand_forecast_table_and_scenario_go_into_a_story(
    monkeypatch: pytest.MonkeyPatch, demand_path: Path
) -> None:
    at = _page(monkeypatch, demand_path, "pages/demand.py")
    at.multiselect(key="demand_areas").set_value(["Kent"])
    at.radio(key="demand_freq").set_value("month").run()
    at.slider(key="demand_horizon").set_value(3).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _add(at, "demand_story_kent_magistrates")
    _add(at, "demand_table_story_all", "briefing")
    at.number_input(key="demand_pct").set_value(10.0).run()
    _add(at, "demand_scenario", "briefing")
    with Workspace(demand_path) as ws:
        story = load_story(ws, ANALYST, "briefing")
        assert [(b.kind, b.source) for b in story.blocks] == [
            ("chart", "demand_forecast"),
            ("table", "demand_forecast"),
            ("chart", "demand_scenario"),
        ]
        first, _table, scenario = story.blocks
        assert first.params == {
            "freq": "month",
            "horizon": 3,
            "table": "truth",
            "areas": ["Kent"],
            "court_types": ["magistrates"],
        }
        assert scenario.params["charge_change_pct"] == 10.0
        assert scenario.params["areas"] == ["Kent"] and not scenario.params["national"]
        for block in story.blocks:
            rendered = render_block(ws, ANALYST, block)
            assert "Kent" in rendered.headline
