"""The app in a real browser: pick the sample data and find it in the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


def test_load_sample_and_see_it_in_the_catalogue(tmp_path: Path) -> None:
    require_chromium()
    with streamlit_server(tmp_path / "ws.duckdb") as base, browser_page() as page:
        page.goto(base)
        page.get_by_role("heading", name="CJS Linkage Workbench", exact=True).wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Load the sample data").click()
        wait_idle(page)
        metric = page.locator('[data-testid="stMetricValue"]').first
        expect(metric).to_have_text("3", timeout=120_000)
        wait_idle(page)
        screenshot(page, "start-after-sample")

        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Catalogue").click()
        wait_idle(page)
        page.get_by_role("heading", name="Data catalogue").wait_for()
        page.get_by_role("textbox", name="Search").fill("crime")
        page.keyboard.press("Enter")
        wait_idle(page)
        expect(page.get_by_role("combobox", name="Dataset")).to_have_value("police")
        page.get_by_role("tab", name="Quality profile").click()
        wait_idle(page)
        page.get_by_text("rows, profiled").wait_for()
        screenshot(page, "catalogue-police")


def test_first_visit_to_a_page_url_runs_the_app(tmp_path: Path) -> None:
    """A page's URL opened first on a fresh server still goes through app.py's navigation."""
    require_chromium()
    with streamlit_server(tmp_path / "ws.duckdb") as base, browser_page() as page:
        page.goto(f"{base}/audit")
        wait_idle(page)
        page.get_by_role("heading", name="Audit log").wait_for()
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text("CJS Linkage Workbench")
        expect(sidebar.get_by_role("link", name="Catalogue")).to_be_visible()
        assert page.title() == "CJS Linkage Workbench"
