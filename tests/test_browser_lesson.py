"""The linkage lesson in a real browser: every step from a clean workspace, presenter view."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_complete_the_lesson(tmp_path: Path) -> None:
    require_chromium()
    with streamlit_server(tmp_path / "ws.duckdb") as base, browser_page() as page:
        page.goto(f"{base}/lesson")
        wait_idle(page)
        page.get_by_role("heading", name="1. Why exact matching fails").wait_for()
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        screenshot(page, "lesson-1-exact")
        titles = [
            "2. What m and u mean",
            "3. From levels to match weights",
            "4. Blocking: speed against recall",
            "5. Prior and threshold",
            "6. Clusters and where they go wrong",
            "7. You be the model",
        ]
        for n, title in enumerate(titles, start=2):
            page.get_by_role("button", name="Next step").click()
            wait_idle(page)
            page.get_by_role("heading", name=title).wait_for()
            screenshot(page, f"lesson-{n}")
        for radio in page.get_by_text("Same person", exact=True).all():
            radio.click()
            wait_idle(page)
        page.get_by_text("You got right").wait_for()
        screenshot(page, "lesson-7-marked")

        page.get_by_text("Presenter view").click()
        wait_idle(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        screenshot(page, "lesson-presenter")
