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


# ------------------------------------------------------------------------------ label sizes
# every text of a drawn chart, with its size in CSS pixels as drawn (font size times the scale
# the SVG is drawn at)
TEXT_SIZES = """() => [...document.querySelectorAll('svg text')]
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => {
        const m = t.getScreenCTM();
        return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
    })"""


def _smallest_labels(page, html: str, width: int) -> list[tuple[str, float]]:
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(html, wait_until="load")
    page.wait_for_selector("svg text")
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes, "no text drawn"
    return sorted(((text, size) for text, size in sizes), key=lambda s: s[1])[:3]


def test_exported_html_charts_keep_readable_labels() -> None:
    """A chart's HTML draws every label at 11 px or more, on a laptop and on a phone-sized
    window: a wide chart scrolls sideways instead of shrinking its text."""
    from tests.test_chart_access import BUILDERS
    from workbench.publish.export.chart_files import MIN_FONT_PX, chart_to_html
    from workbench.publish.export.meta import ChartMeta

    require_chromium()
    subtitle = "Share of recorded offences charged, by month, with 95% intervals " * 3
    with browser_page() as page:
        for name, build in BUILDERS.items():
            html = chart_to_html(build(), ChartMeta(f"{name} chart", subtitle=subtitle))
            for width in (1400, 480):
                smallest = _smallest_labels(page, html, width)
                assert smallest[0][1] >= MIN_FONT_PX, (name, width, smallest)
                cut = [t for t, _ in page.evaluate(TEXT_SIZES) if t.endswith("…")]
                assert not cut, (name, width, cut)  # no label shortened with an ellipsis


def test_story_html_keeps_readable_labels(tmp_path: Path) -> None:
    """A story's HTML, still or interactive, draws every label at 11 px or more on a laptop and
    on a phone-sized window."""
    from tests.story_fixtures import demo_story
    from workbench.access.auth import local_user
    from workbench.publish.export.chart_files import MIN_FONT_PX
    from workbench.publish.stories.document import story_html
    from workbench.workspace import Workspace

    require_chromium()
    with Workspace(small_workspace(tmp_path)) as ws:
        pages = {
            interactive: story_html(ws, local_user(), demo_story(), interactive=interactive)
            for interactive in (False, True)
        }
    with browser_page() as page:
        for interactive, html in pages.items():
            for width in (1400, 480):
                smallest = _smallest_labels(page, html, width)
                assert smallest[0][1] >= MIN_FONT_PX, (interactive, width, smallest)
