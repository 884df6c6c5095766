"""The Link section in a real browser: configure, train in the background, read the health
check (after training and on Inspect), tune the threshold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.test_app_linkage import make_people_workspace

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def _open_health_notes(page) -> None:
    """Open the health check's folded notes ("2 notes") once the page shows them."""
    summary = page.locator('[data-testid="stExpander"] summary').filter(
        has_text=re.compile(r"\d+ notes?$")
    )
    summary.first.wait_for(timeout=60_000)
    wait_idle(page)
    note = page.locator('[data-testid="stMain"]').get_by_text("blocking rules find").first
    if not note.is_visible():  # a page may open with the expander as the last one was left
        summary.first.click()
        wait_idle(page)
    note.wait_for(state="visible", timeout=30_000)


def test_configure_train_check_health_inspect_and_move_the_threshold(tmp_path: Path) -> None:
    """One analyst's way through the Link section: the health check is shown after training
    and again on Inspect, and the threshold moves the count of people."""
    require_chromium()
    path = tmp_path / "ws.duckdb"
    make_people_workspace(path)
    with streamlit_server(path) as base, browser_page() as page:
        page.goto(base)
        wait_idle(page)
        nav = page.locator('[data-testid="stSidebar"]')
        nav.get_by_role("link", name="Configure", exact=True).click()
        page.get_by_role("heading", name="Configure the linkage model").wait_for()
        wait_idle(page)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        page.get_by_text("Comparisons to score").wait_for()
        screenshot(page, "link-configure")
        page.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        screenshot(page, "link-configure-blocking")

        nav.get_by_role("link", name="Train", exact=True).click()
        wait_idle(page)
        page.get_by_role("heading", name="Train a linkage model").wait_for()
        page.locator("button").filter(has_text="Train").click()
        page.get_by_text("Training police + courts").first.wait_for(timeout=30_000)
        screenshot(page, "link-train-running")
        page.get_by_text("Trained police + courts").wait_for(timeout=180_000)
        wait_idle(page)
        page.get_by_text("Training sessions").wait_for()
        screenshot(page, "link-train-done")
        heading = page.get_by_role("heading", name="Health check")
        heading.wait_for()
        _open_health_notes(page)
        section = page.locator('[data-testid="stMain"]').inner_text()
        assert "blocking rules find" in section
        assert "m_20" not in section, "no raw model ids"
        heading.scroll_into_view_if_needed()
        screenshot(page, "link-train-health")

        nav.get_by_role("link", name="Inspect", exact=True).click()
        wait_idle(page)
        page.get_by_role("heading", name="Inspect a model").wait_for()
        page.get_by_role("heading", name="Health check").wait_for()
        _open_health_notes(page)
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "blocking rules find" in text
        assert "Change:" in text or "Nothing to change" in text, "each finding says what to do"
        assert "m_20" not in text, "no raw model ids"
        screenshot(page, "link-inspect-health")

        nav.get_by_role("link", name="Threshold and clusters").click()
        wait_idle(page)
        page.get_by_role("heading", name="Threshold and clusters").wait_for()
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        page.get_by_text("Clusters (people)").wait_for()
        before = _metric(page, "Clusters (people)")
        screenshot(page, "link-clusters-before")
        page.get_by_role("slider").first.focus()
        page.keyboard.press("Home")
        wait_idle(page)
        after = _metric(page, "Clusters (people)")
        assert after != before, (before, after)
        screenshot(page, "link-clusters-after")
