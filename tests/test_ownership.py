"""Ownership and scope of stories and saved scenarios: two leaders (Kent, Cumbria), staff."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.story_fixtures import leader, small_workspace
from workbench.access.auth import User
from workbench.errors import AccessDeniedError, ForecastError, ValidationError
from workbench.forecast.scenarios.comparison import compare_scenarios
from workbench.forecast.scenarios.projection import Scenario, project
from workbench.forecast.scenarios.state import CourtState
from workbench.forecast.scenarios.storage import (
    delete_scenario,
    list_scenarios,
    load_scenario,
    publish_scenario,
    save_scenario,
)
from workbench.publish.stories.access import block_params
from workbench.publish.stories.document import story_html
from workbench.publish.stories.model import Block, Story
from workbench.publish.stories.render import render_block
from workbench.publish.stories.sources import sources_for
from workbench.publish.stories.store import (
    create_story,
    delete_story,
    list_stories,
    load_story,
    publish_story,
    save_story,
)
from workbench.workspace import MIGRATIONS, Workspace

KENT = leader("Kent")
CUMBRIA = leader("Cumbria")
ANALYST = User("ann", roles=("analyst",), areas=("all",))
ADMIN = User("ada", roles=("admin",), areas=("all",))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("ownership"))


@pytest.fixture
def ws(template: Path, tmp_path: Path):
    path = tmp_path / "ws.duckdb"
    shutil.copy(template, path)
    with Workspace(path) as workspace:
        yield workspace


def funnel(area: str | None = None) -> Block:
    return Block("chart", "attrition_funnel", {"areas": [area]} if area else {})


def board_story(user: User, title: str = "Board pack") -> Story:
    area = user.areas[0]
    return Story("weekly", title, blocks=[Block("text", text="Notes"), funnel(area)])


def audit(ws: Workspace, action: str) -> list[tuple[str, str]]:
    rows = ws.query("SELECT actor, target FROM wb.audit_log WHERE action = ? ORDER BY id", [action])
    return [(a, t) for a, t in rows]


@pytest.fixture
def two_boards(ws: Workspace) -> Workspace:
    create_story(ws, KENT, board_story(KENT, "Kent board"))
    create_story(ws, CUMBRIA, board_story(CUMBRIA, "Cumbria board"))
    return ws


# ------------------------------------------------------------------------------ stories
def test_each_leader_lists_only_their_own_stories(two_boards: Workspace) -> None:
    ws = two_boards
    assert list(list_stories(ws, KENT)["ref"]) == ["kent_leader/weekly"]
    assert list(list_stories(ws, CUMBRIA)["ref"]) == ["cumbria_leader/weekly"]
    assert set(list_stories(ws, ANALYST)["ref"]) >= {"kent_leader/weekly", "cumbria_leader/weekly"}


def test_a_leader_cannot_open_another_boards_story(two_boards: Workspace) -> None:
    ws = two_boards
    assert load_story(ws, KENT, "weekly").title == "Kent board"
    for attempt in (
        lambda: load_story(ws, KENT, "weekly", owner="cumbria_leader"),
        lambda: load_story(ws, KENT, "cumbria_leader/weekly"),
        lambda: load_story(ws, KENT, "cumbria_leader/no_such_story"),
    ):
        with pytest.raises(AccessDeniedError, match="cannot open"):
            attempt()
    refused = audit(ws, "story.refused")
    assert refused[:2] == [("kent_leader", "cumbria_leader/weekly")] * 2
    assert ("kent_leader", "cumbria_leader/no_such_story") in refused


def test_a_leader_cannot_edit_publish_or_delete_another_boards_story(
    two_boards: Workspace,
) -> None:
    ws = two_boards
    theirs = load_story(ws, CUMBRIA, "weekly")
    with pytest.raises(AccessDeniedError):
        save_story(ws, KENT, replace(theirs, title="Hijacked"))
    with pytest.raises(AccessDeniedError):
        publish_story(ws, KENT, "weekly", ["Kent"], owner="cumbria_leader")
    with pytest.raises(AccessDeniedError):
        delete_story(ws, KENT, "weekly", owner="cumbria_leader")
    still = load_story(ws, CUMBRIA, "weekly")
    assert (still.title, still.revision, still.audience) == ("Cumbria board", 1, [])
    actions = [
        json.loads(d)["action"]
        for (d,) in ws.query(
            "SELECT detail FROM wb.audit_log "
            "WHERE action = 'story.refused' AND actor = 'kent_leader'"
        )
    ]
    assert actions == ["save", "publish", "delete"]


def test_same_name_create_never_overwrites(two_boards: Workspace) -> None:
    ws = two_boards
    with pytest.raises(ValidationError, match="You already have a story called 'weekly'"):
        create_story(ws, KENT, Story("weekly", "Wipe"))
    assert load_story(ws, KENT, "weekly").title == "Kent board"
    assert load_story(ws, CUMBRIA, "weekly").title == "Cumbria board"
    assert len(load_story(ws, CUMBRIA, "weekly").blocks) == 2


def test_a_save_from_a_stale_copy_is_refused(two_boards: Workspace) -> None:
    ws = two_boards
    first, second = load_story(ws, KENT, "weekly"), load_story(ws, KENT, "weekly")
    assert save_story(ws, KENT, replace(first, title="One")).revision == 2
    with pytest.raises(ValidationError, match="saved by somebody else"):
        save_story(ws, KENT, replace(second, title="Two"))
    assert load_story(ws, KENT, "weekly").title == "One"
    with pytest.raises(ValidationError, match="no story called 'fresh'"):
        save_story(ws, KENT, Story("fresh", "Never created"))


def test_a_download_draws_only_the_readers_areas(two_boards: Workspace) -> None:
    ws = two_boards
    theirs = load_story(ws, CUMBRIA, "weekly")  # as if the Kent leader had the object
    page = story_html(ws, KENT, theirs)
    assert "Cumbria, which you cannot see" in page and "<svg" not in page
    own = story_html(ws, KENT, load_story(ws, KENT, "weekly"))
    assert "<svg" in own and "Crimes recorded and the stages they reached, Kent" in own


def test_a_forged_area_is_refused_on_save_and_cut_down_on_render(two_boards: Workspace) -> None:
    ws = two_boards
    story = load_story(ws, KENT, "weekly")
    with pytest.raises(AccessDeniedError, match="Cumbria"):
        save_story(ws, KENT, replace(story, blocks=[funnel("Cumbria")]))
    with pytest.raises(AccessDeniedError):
        create_story(ws, KENT, Story("sneaky", "S", blocks=[funnel("Cumbria")]))
    both = Block("chart", "attrition_funnel", {"areas": ["Kent", "Cumbria"]})
    with pytest.raises(AccessDeniedError, match="Cumbria"):
        save_story(ws, KENT, replace(story, blocks=[both]))
    assert load_story(ws, KENT, "weekly").revision == 1
    # a block without areas is saved with the leader's areas
    saved = save_story(ws, KENT, replace(story, blocks=[funnel()]))
    assert saved.blocks[0].params["areas"] == ["Kent"]
    # block JSON forged in the workspace itself: checked again when drawn
    kent_only = render_block(ws, KENT, funnel("Kent")).chart.to_dict()["datasets"]
    wider = Block("chart", "attrition_funnel", {"areas": ["Kent", "Cumbria"], "table": "x"})
    assert block_params(ws, KENT, wider)["areas"] == ["Kent"]
    assert block_params(ws, KENT, wider)["table"] == "linked"
    assert render_block(ws, KENT, wider).chart.to_dict()["datasets"] == kent_only
    assert render_block(ws, KENT, funnel()).chart.to_dict()["datasets"] == kent_only
    with pytest.raises(AccessDeniedError):
        render_block(ws, KENT, funnel("Cumbria"))
    subtitle = render_block(ws, KENT, wider).meta.subtitle
    assert ", Kent, " in subtitle and "Cumbria" not in subtitle  # its areas, then its period
    everyone = render_block(ws, ANALYST, funnel()).chart.to_dict()["datasets"]
    assert everyone != kent_only


def test_dataset_counts_are_not_a_leaders_source(two_boards: Workspace) -> None:
    ws = two_boards
    counts = Block("table", "period_counts", {"dataset": "events", "date_column": "event_date"})
    assert "period_counts" not in sources_for(KENT) and "period_counts" in sources_for(ANALYST)
    with pytest.raises(AccessDeniedError, match="counts the records of a dataset"):
        create_story(ws, KENT, Story("counts", "C", blocks=[counts]))
    with pytest.raises(AccessDeniedError, match="counts the records of a dataset"):
        render_block(ws, KENT, counts)
    assert render_block(ws, ANALYST, counts).table is not None
    refused = audit(ws, "story.refused")
    assert refused[-2:] == [("kent_leader", "period_counts")] * 2


def test_published_stories_are_read_only_and_drawn_for_the_reader(two_boards: Workspace) -> None:
    ws = two_boards
    with pytest.raises(AccessDeniedError, match="publish to Cumbria"):
        publish_story(ws, KENT, "weekly", ["Cumbria"])
    create_story(ws, ANALYST, Story("national", "National picture", blocks=[funnel()]))
    publish_story(ws, ANALYST, "national", ["Kent"])
    assert "ann/national" in set(list_stories(ws, KENT)["ref"])
    assert "ann/national" not in set(list_stories(ws, CUMBRIA)["ref"])
    shared = load_story(ws, KENT, "national")
    load_story(ws, KENT, "national")  # the page reloads it on every click: logged once
    assert audit(ws, "story.read_other").count(("kent_leader", "ann/national")) == 1
    with pytest.raises(AccessDeniedError):
        save_story(ws, KENT, replace(shared, title="Mine now"))
    with pytest.raises(AccessDeniedError):
        load_story(ws, CUMBRIA, "ann/national")
    subtitle = render_block(ws, KENT, shared.blocks[0]).meta.subtitle
    assert ", Kent, " in subtitle and "all LCJB areas" not in subtitle


def test_staff_read_everything_but_only_admins_change_others(two_boards: Workspace) -> None:
    ws = two_boards
    theirs = load_story(ws, ANALYST, "kent_leader/weekly")
    with pytest.raises(AccessDeniedError):
        save_story(ws, ANALYST, replace(theirs, title="Analyst edit"))
    fixed = save_story(ws, ADMIN, replace(theirs, title="Admin edit"))
    assert fixed.owner == "kent_leader" and fixed.revision == 2
    assert load_story(ws, KENT, "weekly").title == "Admin edit"
    delete_story(ws, ADMIN, "weekly", owner="kent_leader")
    assert list(list_stories(ws, KENT)["ref"]) == []


def test_migration_gives_existing_rows_an_owner(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA wb")
    con.execute(
        "CREATE TABLE wb.schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    for number, statements in enumerate(MIGRATIONS[:6], start=1):
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO wb.schema_version VALUES (?, now())", [number])
    con.execute(
        "INSERT INTO wb.stories VALUES ('a', 'A', NULL, '[]', now(), 'sam', now(), NULL, 4)"
    )
    con.execute("INSERT INTO wb.stories VALUES ('b', 'B', NULL, '[]', now(), NULL, now(), NULL, 1)")
    con.execute(
        "INSERT INTO wb.audit_log (occurred_at, actor, action, target, detail) "
        "VALUES (now(), 'bo', 'story.save', 'b', '{}')"
    )
    con.execute(
        "INSERT INTO wb.forecast_scenarios VALUES "
        "('s', 'Kent', 'magistrates', 'week', 4, 10, NULL, NULL, now(), 'sam', '{}')"
    )
    con.close()
    with Workspace(path) as ws:
        stories = ws.query(
            "SELECT owner, name, areas, audience, revision FROM wb.stories ORDER BY 2"
        )
        assert stories == [("sam", "a", '["all"]', "[]", 4), ("bo", "b", '["all"]', "[]", 1)]
        assert ws.query("SELECT owner, areas FROM wb.forecast_scenarios") == [("sam", '["all"]')]
        sam = User("sam", roles=("leader",), areas=("Kent",))
        assert load_story(ws, sam, "a").revision == 4
        assert list(list_scenarios(ws, sam)["name"]) == []  # covers every area


# ------------------------------------------------------------------------------ scenarios
def _projection(name: str) -> pd.DataFrame:
    forecast = pd.DataFrame(
        {
            "period": pd.date_range("2030-01-06", periods=4, freq="W-SUN"),
            "forecast": 10.0,
            "lower": 8.0,
            "upper": 12.0,
        }
    )
    state = CourtState(date(2030, 1, 5), 40, 10)
    return project(forecast, state, Scenario(name, "Kent", "magistrates", horizon=4))


def _save(ws: Workspace, user: User, name: str, areas: list[str] | None) -> None:
    label = " + ".join(areas or ["England and Wales"])
    scenario = Scenario(name, label, "magistrates", "week", 4, 10.0)
    save_scenario(ws, user, scenario, _projection(name), areas)


def test_scenarios_stay_with_their_board(ws: Workspace) -> None:
    _save(ws, KENT, "plan", ["Kent"])
    _save(ws, CUMBRIA, "plan", ["Cumbria"])
    assert list(list_scenarios(ws, KENT)["owner"]) == ["kent_leader"]
    assert list(list_scenarios(ws, CUMBRIA)["owner"]) == ["cumbria_leader"]
    assert len(list_scenarios(ws, ANALYST)) == 2
    with pytest.raises(AccessDeniedError):
        load_scenario(ws, KENT, "plan", owner="cumbria_leader")
    with pytest.raises(AccessDeniedError):
        compare_scenarios(ws, KENT, ["plan", ("cumbria_leader", "plan")])
    with pytest.raises(AccessDeniedError):
        delete_scenario(ws, KENT, "plan", owner="cumbria_leader")
    with pytest.raises(AccessDeniedError):
        publish_scenario(ws, KENT, "plan", ["Kent"], owner="cumbria_leader")
    assert load_scenario(ws, CUMBRIA, "plan")[0].area == "Cumbria"
    assert len(audit(ws, "forecast.scenario.refused")) == 4
    assert {a for a, _ in audit(ws, "forecast.scenario.refused")} == {"kent_leader"}
    with pytest.raises(ForecastError, match="You already have a scenario called 'plan'"):
        _save(ws, KENT, "plan", ["Kent"])
    with pytest.raises(AccessDeniedError, match="your own areas"):
        _save(ws, KENT, "wider", ["Kent", "Cumbria"])
    with pytest.raises(AccessDeniedError, match="your own areas"):
        _save(ws, KENT, "national", None)


def test_published_scenarios_reach_only_leaders_of_every_area_they_cover(ws: Workspace) -> None:
    _save(ws, ANALYST, "kent only", ["Kent"])
    _save(ws, ANALYST, "both", ["Kent", "Cumbria"])
    _save(ws, ANALYST, "national", None)
    assert list(list_scenarios(ws, KENT)["name"]) == []
    for name in ("kent only", "both", "national"):
        publish_scenario(ws, ANALYST, name, ["Kent", "Cumbria"])
    assert list(list_scenarios(ws, KENT)["name"]) == ["kent only"]
    assert list(list_scenarios(ws, CUMBRIA)["name"]) == []
    with pytest.raises(AccessDeniedError):
        compare_scenarios(ws, KENT, [("ann", "both")])
    both = compare_scenarios(ws, KENT, [("ann", "kent only")])
    assert set(both["scenario"]) == {"kent only (ann)"}
    assert ("kent_leader", "ann/kent only") in audit(ws, "forecast.scenario.read_other")
    with pytest.raises(AccessDeniedError):
        delete_scenario(ws, KENT, "kent only", owner="ann")
    with pytest.raises(AccessDeniedError, match="your own areas"):
        _save(ws, KENT, "k", ["Kent"]) or publish_scenario(ws, KENT, "k", ["Cumbria"])


def test_story_blocks_always_have_their_counts_adjusted(ws: Workspace) -> None:
    forged = Block("table", "attrition_funnel", {"cell_keys": False, "areas": ["Kent"]})
    assert block_params(ws, KENT, forged)["cell_keys"] is True
    leaders = render_block(ws, KENT, forged).protected
    assert leaders is not None and leaders.perturbed
    analysts = render_block(ws, ANALYST, forged).protected
    assert analysts is not None and analysts.perturbed  # stories are made to be published
    chart = render_block(ws, KENT, Block("chart", "receipts", {"stage": "first_hearing"}))
    assert "adjusted" in chart.meta.notes[-1]
