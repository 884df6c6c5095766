"""“Add to story” in a real browser: the popover on Attrition makes a Kent briefing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.journey_workspace import make_journey_workspace
from workbench.access.auth import local_user
from workbench.publish.stories.store import load_story
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser


def test_attrition_funnel_goes_into_a_new_kent_briefing(tmp_path: Path) -> None:
    require_chromium()
    path = make_journey_workspace(tmp_path)
    with streamlit_server(path) as base, browser_page() as page:
        page.goto(base)
        wait_idle(page)
        nav = page.locator('[data-testid="stSidebar"]')
        nav.get_by_role("link", name="Attrition", exact=True).click()
        wait_idle(page)
        page.get_by_text("From crime recorded to conviction").wait_for()
        areas = page.locator('[data-testid="stMultiSelect"]').first
        areas.click()
        page.get_by_role("option", name="Kent", exact=True).click()
        page.keyboard.press("Escape")
        wait_idle(page)
        button = page.get_by_role("button", name="Add to story").first
        button.scroll_into_view_if_needed()
        button.click()
        page.get_by_text("Covers Kent").wait_for()
        title = page.get_by_role("textbox", name="Title of the new story")
        title.fill("Kent briefing")
        title.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Add", exact=True).click()
        wait_idle(page)
        page.get_by_text("Added to “Kent briefing” (1 block)").wait_for()
        screenshot(page, "attrition-add-to-story")
    with Workspace(path) as ws:
        story = load_story(ws, local_user(), "kent_briefing")
    assert [(b.source, b.params) for b in story.blocks] == [
        ("attrition_funnel", {"areas": ["Kent"]})
    ]
