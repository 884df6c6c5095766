"""Two LCJB leaders on one shared deployment, in real browsers: Cumbria's leader and Kent's
leader log in with passwords and try to reach each other's stories, figures and scenarios."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser import require_chromium, screenshot, streamlit_server, wait_idle
from tests.journey_workspace import make_journey_workspace
from workbench.access import users
from workbench.access.auth import User
from workbench.analysis.measures.record_keys import KEY_SALT_SETTING
from workbench.analysis.views.attrition import funnel_view
from workbench.analysis.views.scope import scoped_filter
from workbench.forecast.scenarios.projection import Scenario, project
from workbench.forecast.scenarios.state import CourtState
from workbench.forecast.scenarios.storage import save_scenario
from workbench.publish.export.csv_files import read_csv_export
from workbench.publish.stories.store import load_story
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser

ADMIN = User("root", roles=("admin",), areas=("all",))
CUMBRIA = User("cumbria", roles=("leader",), areas=("Cumbria",))
KENT = User("kent", roles=("leader",), areas=("Kent",))
SECRET = "correct horse battery staple"
CUMBRIA_SCENARIO = "cumbria_court_cuts"
FUNNEL = "Victim attrition funnel (journeys)"
NEW = "+ New story"


def _cumbria_scenario(ws: Workspace) -> None:
    """A saved what-if of Cumbria's leader, covering only Cumbria."""
    forecast = pd.DataFrame(
        {
            "period": pd.date_range("2030-01-06", periods=4, freq="W-SUN"),
            "forecast": 10.0,
            "lower": 8.0,
            "upper": 12.0,
        }
    )
    scenario = Scenario(CUMBRIA_SCENARIO, "Cumbria", "magistrates", "week", 4, -20.0)
    projection = project(forecast, CourtState(date(2030, 1, 5), 40, 10), scenario)
    save_scenario(ws, CUMBRIA, scenario, projection, ["Cumbria"])


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def _log_in(page, base: str, username: str) -> None:
    page.goto(base)
    page.get_by_text("Log in to see the dashboards").wait_for()
    wait_idle(page)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(SECRET)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Logged in as").wait_for()
    wait_idle(page)


def _open(page, title: str) -> None:
    """Open a page from the sidebar (a password login lives in the session, not a cookie)."""
    sidebar = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    sidebar.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=False).first.wait_for()
    wait_idle(page)


def _options(page, label: str) -> list[str]:
    """The options a selectbox or multiselect offers (opens and closes its list)."""
    page.get_by_label(label, exact=True).click()
    listbox = page.get_by_role("listbox")
    listbox.wait_for()
    options = [o.strip() for o in listbox.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _create_story(page, name: str, title: str) -> None:
    page.get_by_label("Name (lower case, digits, _)").fill(name)
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create story").click()
    page.get_by_role("heading", name=title).wait_for()
    wait_idle(page)


def _add_funnel(page, kind: str) -> None:
    page.get_by_role("radiogroup", name="Kind").last.get_by_text(kind, exact=True).click()
    wait_idle(page)
    _choose(page, "Source", FUNNEL)
    page.get_by_role("button", name=f"Add {kind}").click()
    wait_idle(page)


def _expected_funnel(ws: Workspace, area: str) -> pd.DataFrame:
    """The funnel table a leader of ``area`` should be shown (cell-key adjusted)."""
    view = funnel_view(ws, scoped_filter([area]), protect=True)
    assert view.note is not None and "adjusted" in view.note
    return view.table


def _headline_figures(table: pd.DataFrame) -> str:
    """The "(charged of recorded)" part of a funnel story's generated headline."""
    cases = table.set_index("Label")["Cases"]
    return f"({cases['Charged or summonsed']:,} of {cases['Crime recorded']:,})"


def _download_csv(page, button) -> pd.DataFrame:
    with page.expect_download() as info:
        button.click()
    return read_csv_export(Path(info.value.path()))


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_two_leaders_share_a_deployment_but_not_their_work(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    require_chromium()
    workspace = make_journey_workspace(tmp_path)
    with Workspace(workspace) as ws:
        ws.set_setting(KEY_SALT_SETTING, "two-leaders-salt")
        users.save_user(ws, ADMIN, "root", ["admin"], ["all"], password=SECRET)
        for user in (CUMBRIA, KENT):
            users.save_user(ws, ADMIN, user.username, ["leader"], list(user.areas), password=SECRET)
        _cumbria_scenario(ws)
        kent_funnel = _expected_funnel(ws, "Kent")
        cumbria_funnel = _expected_funnel(ws, "Cumbria")
        kent_true = funnel_view(ws, scoped_filter(["Kent"]), protect=False).table
    kent_headline, cumbria_headline = map(_headline_figures, (kent_funnel, cumbria_funnel))
    assert kent_headline != cumbria_headline
    cumbria_recorded = f"{cumbria_funnel['Cases'].iloc[0]:,}"

    config = tmp_path / "shared.toml"
    config.write_text('[workbench]\nlogin = ["password"]\n', encoding="utf-8")
    env = {"WORKBENCH_MODE": "shared", "WORKBENCH_AUTH_CONFIG": str(config)}
    with streamlit_server(workspace, extra_env=env) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Cumbria's leader writes a story with the attrition funnel of her area.
            cumbria = _new_page(browser)
            _log_in(cumbria, base, "cumbria")
            _open(cumbria, "Stories")
            assert _options(cumbria, "Story") == [NEW]
            _create_story(cumbria, "briefing", "Cumbria briefing")
            _add_funnel(cumbria, "chart")
            cumbria.get_by_text("Revision 2; 1 blocks; yours.").wait_for()
            cumbria.get_by_role("heading", name=cumbria_headline).wait_for()
            screenshot(cumbria, "leaders-cumbria-story")

            # Kent's leader, in another browser, is not offered it and takes the same name.
            kent = _new_page(browser)
            _log_in(kent, base, "kent")
            _open(kent, "Stories")
            assert _options(kent, "Story") == [NEW]
            assert "Cumbria" not in _main_text(kent)
            screenshot(kent, "leaders-kent-stories")
            _create_story(kent, "briefing", "Kent briefing")
            _add_funnel(kent, "table")
            kent.get_by_text("Revision 2; 1 blocks; yours.").wait_for()
            kent.get_by_role("heading", name=kent_headline).wait_for()
            kent.get_by_text("counts are adjusted by a small random amount").wait_for()
            story_table = _download_csv(kent, kent.get_by_role("button", name="Table CSV"))
            assert story_table["Cases"].tolist() == kent_funnel["Cases"].astype(str).tolist()
            main = _main_text(kent)
            assert "Cumbria" not in main and cumbria_headline not in main
            kent.get_by_role("button", name="Table CSV").scroll_into_view_if_needed()
            screenshot(kent, "leaders-kent-story")

            # Cumbria's story is still hers, unchanged; Kent's is not offered to her either.
            _open(cumbria, "Stories")
            assert _options(cumbria, "Story") == ["briefing", NEW]
            cumbria.get_by_role("heading", name="Cumbria briefing").wait_for()
            cumbria.get_by_text("Revision 2; 1 blocks; yours.").wait_for()
            cumbria.get_by_role("heading", name=cumbria_headline).wait_for()
            assert "Kent" not in _main_text(cumbria)
            screenshot(cumbria, "leaders-cumbria-story-after-kent")

            # Attrition: Kent is the only area on offer, and the figures are Kent's, adjusted.
            _open(kent, "Attrition")
            assert _options(kent, "Area") == ["Kent"]
            note = kent.locator('[data-testid="stCaptionContainer"]').filter(
                has_text="Disclosure control applied"
            )
            expect(note.first).to_contain_text("counts are adjusted by a small random amount")
            popover = kent.locator('[data-testid="stPopover"]').first
            popover.get_by_role("button").click()
            body = kent.locator('[data-testid="stPopoverBody"]')
            funnel = _download_csv(kent, body.get_by_role("button", name="CSV", exact=True))
            kent.keyboard.press("Escape")
            assert funnel["Label"].tolist() == kent_funnel["Label"].tolist()
            assert funnel["Cases"].tolist() == kent_funnel["Cases"].astype(str).tolist()
            assert funnel["Cases"].tolist() != kent_true["Cases"].astype(str).tolist()
            assert funnel["Cases"].tolist() != cumbria_funnel["Cases"].astype(str).tolist()
            main = _main_text(kent)
            assert "Cumbria" not in main and cumbria_recorded not in main
            note.first.scroll_into_view_if_needed()
            screenshot(kent, "leaders-kent-attrition")

            # Demand: Cumbria's saved scenario is not listed to Kent.
            _open(kent, "Demand")
            saved = kent.get_by_role("heading", name="Saved scenarios")
            saved.scroll_into_view_if_needed()
            kent.get_by_text("No saved scenarios yet.").wait_for()
            expect(kent.get_by_label("Compare saved scenarios")).to_have_count(0)
            main = _main_text(kent)
            assert CUMBRIA_SCENARIO not in main and "Cumbria" not in main
            screenshot(kent, "leaders-kent-demand")
        finally:
            browser.close()

    with Workspace(workspace) as ws:
        stories = ws.query("SELECT owner, name, title, revision FROM wb.stories ORDER BY owner")
        assert stories == [
            ("cumbria", "briefing", "Cumbria briefing", 2),
            ("kent", "briefing", "Kent briefing", 2),
        ]
        mine = load_story(ws, CUMBRIA, "briefing")
        assert [(b.kind, b.source, b.params.get("areas")) for b in mine.blocks] == [
            ("chart", "attrition_funnel", ["Cumbria"])
        ]
        theirs = load_story(ws, KENT, "briefing")
        assert [(b.kind, b.source, b.params.get("areas")) for b in theirs.blocks] == [
            ("table", "attrition_funnel", ["Kent"])
        ]
        log = ws.query("SELECT actor, action, target FROM wb.audit_log ORDER BY id")
    stories_log = [row for row in log if row[1].startswith("story.")]
    assert stories_log == [
        ("cumbria", "story.create", "cumbria/briefing"),
        ("cumbria", "story.save", "cumbria/briefing"),
        ("kent", "story.create", "kent/briefing"),
        ("kent", "story.save", "kent/briefing"),
    ], stories_log
    logins = [row for row in log if row[1] == "login.success"]
    assert logins == [
        ("cumbria", "login.success", "cumbria"),
        ("kent", "login.success", "kent"),
    ], logins
    assert not [row for row in log if "refused" in row[1] or row[1] == "access.denied"], log
