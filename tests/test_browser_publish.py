"""Publishing in a real browser: download a chart and a story from the Stories page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.story_fixtures import small_workspace
from tests.test_export import external_urls

pytestmark = pytest.mark.browser


def test_export_chart_and_story_from_the_app(tmp_path: Path) -> None:
    require_chromium()
    workspace = small_workspace(tmp_path)
    with streamlit_server(workspace) as base, browser_page() as page:
        page.goto(f"{base}/stories")
        wait_idle(page)
        page.get_by_text("Download this chart").first.click()
        wait_idle(page)
        screenshot(page, "publish-stories")
        with page.expect_download() as info:
            page.get_by_role("button", name="PNG").first.click()
        png = Path(info.value.path()).read_bytes()
        image = Image.open(io.BytesIO(png))
        assert image.size[0] > 600  # 2x by default
        assert info.value.suggested_filename.endswith(".png")
        with page.expect_download() as info:
            page.get_by_role("button", name="HTML", exact=True).first.click()
        story = Path(info.value.path()).read_text("utf-8")
        assert "Courts in 2024" in story and external_urls(story) == []
        assert info.value.suggested_filename == "courts-in-2024.html"
