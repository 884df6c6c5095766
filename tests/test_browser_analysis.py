"""The LCJB dashboard in a real browser: pick an area, read KPIs and headlines, open a table."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.journey_workspace import make_journey_workspace

pytestmark = pytest.mark.browser


def test_dashboard_area_kpis_headlines_and_table(tmp_path: Path) -> None:
    require_chromium()
    workspace = make_journey_workspace(tmp_path)
    with streamlit_server(workspace) as base, browser_page() as page:
        page.goto(f"{base}/dashboard")
        page.get_by_role("heading", name="LCJB dashboard").wait_for()
        wait_idle(page)
        page.get_by_role("combobox", name="Area").click()
        page.get_by_role("option", name="Kent").click()
        wait_idle(page)
        page.get_by_role("heading", name="Kent, 2025").wait_for()
        # three rates, and two medians for each court type
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(7)
        expect(page.get_by_text("The charge rate in Kent was")).to_be_visible()
        expect(page.locator(".vega-embed").first).to_be_visible()
        screenshot(page, "dashboard-kent")

        page.get_by_role("tab", name="Table").click()
        wait_idle(page)
        expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
        screenshot(page, "dashboard-kent-table")

        nav = page.locator('[data-testid="stSidebar"]')
        nav.get_by_role("link", name="Attrition", exact=True).click()
        page.get_by_role("heading", name="Victim attrition").wait_for()
        wait_idle(page)
        expect(page.locator(".vega-embed").first).to_be_visible()
        screenshot(page, "attrition")
        nav.get_by_role("link", name="Timeliness", exact=True).click()
        page.get_by_role("heading", name="Case timeliness").wait_for()
        wait_idle(page)
        screenshot(page, "timeliness")
        # The stage table fits the page: its last column ("Withheld") needs no sideways scroll.
        grid = page.locator('[data-testid="stDataFrame"] .dvn-scroller').first
        width = grid.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert width[0] <= width[1] + 1, width
