"""Every page of the app in a real browser, opened from the sidebar as a user opens it, on a
workspace with the sample linked: no page shows an exception, every chart drawn keeps its
labels readable (11 px or more, never cut short with an ellipsis, never printed over another
label or the title of the same axis), and tables fit the page except where they hold records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import (
    POLL_MS,
    browser_page,
    require_chromium,
    screenshot,
    streamlit_server,
    wait_idle,
)
from workbench import config
from workbench.ui.navigation import PAGES

pytestmark = pytest.mark.browser

#: One area of the sample: enough records to train a model quickly, with every page filled.
AREAS = ("Cumbria",)

#: Pages whose tables hold records, pairs, model settings or log entries, wider than a page by
#: nature: read by scrolling sideways. Every other table must fit the page.
WIDE_TABLES = {"Pairs", "Models", "Audit log"}

# Per table shown, how wide its content is and how wide the table is drawn.
TABLE_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
    .filter(e => e.getBoundingClientRect().width > 0)
    .map(e => [e.scrollWidth, e.clientWidth])"""

#: The smallest label size people can read on a chart, in CSS pixels as drawn.
MIN_LABEL_PX = 11

# Every visible text of the page's Vega charts: its text, its size as drawn (font size times
# the scale the SVG is drawn at), its box on the page and the axis it belongs to (or "").
# Labels Vega hid (opacity 0, e.g. by labelOverlap) and texts in hidden tabs are left out.
CHART_TEXTS = """() => {
    const out = [];
    document.querySelectorAll('[data-testid="stVegaLiteChart"] svg').forEach((svg, chart) => {
        svg.querySelectorAll('text').forEach(t => {
            const text = t.textContent.trim();
            const box = t.getBoundingClientRect();
            if (!text || box.width === 0 || box.height === 0) return;
            let hidden = false;
            for (let e = t; e && e !== svg; e = e.parentElement) {
                const style = getComputedStyle(e);
                if (e.getAttribute('opacity') === '0' || style.opacity === '0'
                    || style.visibility === 'hidden' || style.display === 'none') hidden = true;
            }
            if (hidden) return;
            const m = t.getScreenCTM();
            const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
            const axis = t.closest('.role-axis');  // its labels and its title
            const axes = [...svg.querySelectorAll('.role-axis')];
            out.push({
                chart, text, size,
                axis: axis ? `${chart}:${axes.indexOf(axis)}` : '',
                left: box.left, right: box.right, top: box.top, bottom: box.bottom,
            });
        });
    });
    return out;
}"""


def _overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    """Whether two label boxes cover each other by more than ``slack`` px both ways."""
    across = min(a["right"], b["right"]) - max(a["left"], b["left"])
    down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return across > slack and down > slack


def label_problems(texts: list[dict]) -> list[str]:
    """Every chart label drawn under :data:`MIN_LABEL_PX`, cut with an ellipsis or printed over
    another label of the same axis, in words."""
    problems = []
    for t in texts:
        if t["size"] < MIN_LABEL_PX - 0.05:
            problems.append(f"{t['text']!r} drawn at {t['size']:.1f} px")
        if t["text"].endswith(("…", "...")):
            problems.append(f"{t['text']!r} cut short")
    by_axis: dict[str, list[dict]] = {}
    for t in texts:
        if t["axis"]:
            by_axis.setdefault(t["axis"], []).append(t)
    for labels in by_axis.values():
        for i, a in enumerate(labels):
            problems += [
                f"{a['text']!r} overlaps {b['text']!r}" for b in labels[i + 1 :] if _overlap(a, b)
            ]
    return problems


def _linked_sample(root: Path) -> Path:
    """A workspace with one area of the sample, a trained model made active and journeys."""
    from linkage.clusters import registry
    from linkage.model.datasets import suggest_for_datasets
    from linkage.model.linkers import forget_linkers
    from linkage.model.runs import train_and_save
    from tests.journey_workspace import write_sample_subset
    from workbench.analysis.journeys.build import build_journeys
    from workbench.data.datasets import load_sample
    from workbench.workspace import Workspace

    folder = write_sample_subset(root / "sample", AREAS)
    path = root / "workspace.duckdb"
    names = ["police", "cps", "courts"]
    with Workspace(path) as ws:
        load_sample(ws, sample_dir=folder)
        run = train_and_save(ws, names, suggest_for_datasets(ws, names))
        registry.set_active_model(ws, run.model_id)
        build_journeys(ws)
    forget_linkers()
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """One server on the linked workspace and one browser page for the whole walk."""
    require_chromium()
    path = _linked_sample(tmp_path_factory.mktemp("walk"))
    # The walk opens the Learn page once: its models for the later steps are not needed.
    with (
        streamlit_server(path, {config.ENV_LESSON_WARM_UP: "off"}) as base,
        browser_page() as page,
    ):
        yield base, page


def _open(page, base: str, title: str) -> None:
    """Open a page as a user does: by its link in the sidebar (the first through its URL)."""
    if not page.url.startswith(base):
        page.goto(base)
        wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title, exact=True).click()
    wait_idle(page)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
    # charts are drawn after the script run ends: wait until every chart shown (not one in a
    # hidden tab) holds its SVG
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .filter(c => c.getBoundingClientRect().width > 0)
            .every(c => c.querySelector('svg text'))""",
        timeout=60_000,
        polling=POLL_MS,
    )


def test_every_page_renders_without_errors_and_with_readable_chart_labels(app) -> None:
    base, page = app
    problems: dict[str, list[str]] = {}
    charts_seen = 0
    for spec in PAGES:
        _open(page, base, spec.title)
        expected = base if spec.default else f"{base}/{spec.url_path}"
        assert page.url.split("?")[0].rstrip("/") == expected, spec.title
        found = [
            f"exception: {e[:200]}"
            for e in page.locator('[data-testid="stException"]').all_inner_texts()
        ]
        assert page.locator('[data-testid="stMain"] h1').count(), f"{spec.title}: no title"
        if spec.title not in WIDE_TABLES:
            found += [
                f"a table {content - 1 - shown} px wider than the page"
                for content, shown in page.evaluate(TABLE_WIDTHS)
                if content > shown + 1
            ]
        texts = page.evaluate(CHART_TEXTS)
        charts_seen += len({t["chart"] for t in texts})
        found += label_problems(texts)
        if found:
            screenshot(page, f"walk-{spec.url_path}")
            problems[spec.title] = found
    assert not problems, problems
    assert charts_seen >= 10  # the walk saw the charts of the linked workspace


def test_label_problems_finds_small_cut_and_overlapping_labels() -> None:
    box = {"chart": 0, "axis": "0:0", "left": 0, "right": 40, "top": 0, "bottom": 12}
    fine = {**box, "text": "Kent", "size": 11.0}
    assert label_problems([fine, {**fine, "left": 45, "right": 80}]) == []
    found = label_problems(
        [
            {**fine, "size": 10.0},
            {**fine, "text": "Crown Cou…", "left": 100, "right": 160},
            {**fine, "text": "Cumbria", "left": 30, "right": 70},
        ]
    )
    assert found == [
        "'Kent' drawn at 10.0 px",
        "'Crown Cou…' cut short",
        "'Kent' overlaps 'Cumbria'",
    ]
