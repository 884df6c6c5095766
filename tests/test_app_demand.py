"""The Demand page through Streamlit's AppTest: forecast, empty state, a saved scenario."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.forecast_data import write_demand_journeys
from workbench.access.auth import User, local_user
from workbench.forecast.scenarios.projection import Scenario, project
from workbench.forecast.scenarios.state import CourtState
from workbench.forecast.scenarios.storage import list_scenarios, publish_scenario, save_scenario
from workbench.ui.login import USER_KEY
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/demand.py"


@pytest.fixture(scope="module")
def demand_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demand") / "ws.duckdb"
    with Workspace(path) as ws:
        write_demand_journeys(ws, areas=("Kent", "Surrey"), weeks=150)
    return path


def open_page(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_empty_workspace_explains_why_no_forecast(monkeypatch, tmp_path: Path) -> None:
    at = open_page(monkeypatch, tmp_path / "empty.duckdb")
    assert at.title[0].value == "Demand forecasts"
    assert any("no journey table" in i.value for i in at.info)
    assert not at.error


def test_forecast_with_accuracy_and_saved_scenario(monkeypatch, demand_workspace: Path) -> None:
    at = open_page(monkeypatch, demand_workspace)
    assert at.multiselect(key="demand_areas").value == ["England and Wales"]
    at.multiselect(key="demand_areas").set_value(["Kent"])
    at.radio(key="demand_freq").set_value("month")
    at.slider(key="demand_horizon").set_value(3)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert "MASE (model)" in labels and "MASE (seasonal naive)" in labels
    assert any("Backtests" in m.value for m in [*at.success, *at.warning])
    at.number_input(key="demand_pct").set_value(10.0)
    at.text_input(key="demand_name").input("ten percent more")
    at.run()
    at.button(key="demand_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Workspace(demand_workspace) as ws:  # the app holds it open read-write
        saved = list_scenarios(ws, local_user())
    assert list(saved.loc[saved["owner"] == local_user().username, "name"]) == ["ten percent more"]
    at.multiselect(key="demand_compare").set_value(["ten percent more"])
    at.run()
    assert not at.exception and not at.error


def _save(ws: Workspace, user: User, name: str, areas: list[str]) -> None:
    forecast = pd.DataFrame(
        {
            "period": pd.date_range("2030-01-06", periods=4, freq="W-SUN"),
            "forecast": 10.0,
            "lower": 8.0,
            "upper": 12.0,
        }
    )
    scenario = Scenario(name, " + ".join(areas), "magistrates", "week", 4, 10.0)
    projection = project(forecast, CourtState(date(2030, 1, 5), 40, 10), scenario)
    save_scenario(ws, user, scenario, projection, areas)
    publish_scenario(ws, user, name, ["Surrey"])


def test_leader_sees_only_their_areas(monkeypatch, demand_workspace: Path) -> None:
    analyst = User("ann", roles=("analyst",), areas=("all",))
    with Workspace(demand_workspace) as ws:
        _save(ws, analyst, "surrey plan", ["Surrey"])
        _save(ws, analyst, "kent plan", ["Kent"])
        _save(ws, analyst, "both plan", ["Kent", "Surrey"])
    at = open_page(monkeypatch, demand_workspace)
    at.session_state["_allowed_areas"] = ["Surrey"]
    at.session_state["_leader_view"] = True
    at.session_state[USER_KEY] = User("surrey_leader", roles=("leader",), areas=("Surrey",))
    at.run()
    areas = at.multiselect(key="demand_areas")
    assert areas.options == ["Surrey"]
    assert at.multiselect(key="demand_compare").options == ["surrey plan (ann)"]
    at.multiselect(key="demand_compare").set_value(["surrey plan (ann)"]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_short_history_is_explained(monkeypatch, demand_workspace: Path) -> None:
    at = open_page(monkeypatch, demand_workspace)
    at.multiselect(key="demand_areas").set_value(["Kent"])
    at.slider(key="demand_horizon").set_value(52)
    at.run()
    assert not at.exception
    assert any("No forecast for" in w.value for w in at.warning)


def test_every_area_button_reports_accuracy(monkeypatch, demand_workspace: Path) -> None:
    at = open_page(monkeypatch, demand_workspace)
    at.button(key="demand_all").click().run()
    assert not at.exception and not at.error
    assert any("the model beats the seasonal naive" in m.value for m in at.markdown)


def test_scenario_covers_every_selected_area_with_both_stage_lags(
    monkeypatch, demand_workspace: Path
) -> None:
    at = open_page(monkeypatch, demand_workspace)
    at.multiselect(key="demand_areas").set_value(["Kent", "Surrey"])
    at.radio(key="demand_freq").set_value("month")
    at.slider(key="demand_horizon").set_value(2)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = " ".join(c.value for c in at.caption)
    assert "What if, for Kent + Surrey (magistrates)?" in captions
    assert "reaches magistrates' court receipts 20 days later" in captions
    # The first hearing to completion lag of both areas, measured with open cases censored.
    assert "It reaches disposals as those cases complete: first hearing to completion" in captions
    assert "Kaplan-Meier, cases still open counted as censored" in captions
