"""The Review page in a real browser: quick clicks each label the pair that was on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkage import registry, workflow
from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.test_app_linkage import make_people_workspace
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser

_RECORDS = re.compile(r"Records: (\S+) (\S+) and (\S+) (\S+)\.")


def _shown(page) -> tuple[tuple[str, str], tuple[str, str]]:
    text = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Records:")
    found = _RECORDS.search(text.first.inner_text())
    assert found, text.first.inner_text()
    left, right = (found[1], found[2]), (found[3], found[4])
    return tuple(sorted([left, right]))  # type: ignore[return-value]


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_quick_clicks_label_the_pairs_shown(tmp_path: Path) -> None:
    require_chromium()
    path = tmp_path / "ws.duckdb"
    make_people_workspace(path)
    with Workspace(path) as ws:
        names = ["police", "courts"]
        run = workflow.train_and_save(ws, names, workflow.suggest_for_datasets(ws, names))
        registry.set_active_model(ws, run.model_id)
    workflow.forget_linkers()
    with (
        streamlit_server(path, {"WORKBENCH_USER": "ana.reviewer"}) as base,
        browser_page() as page,
    ):
        page.goto(base)
        wait_idle(page)
        nav = page.locator('[data-testid="stSidebar"]')
        nav.get_by_role("link", name="Review", exact=True).click()
        page.get_by_role("heading", name="Review pairs").wait_for()
        wait_idle(page)
        page.get_by_text("Records:").wait_for()
        screenshot(page, "link-review")
        main = page.locator('[data-testid="stMain"]')
        buttons = [
            (main.get_by_role("button", name=re.compile(r"^Match\b")), 1),
            (main.get_by_role("button", name=re.compile(r"^Not a match\b")), 0),
        ]
        clicked: dict[tuple, list[int]] = {}
        for i in range(8):
            button, value = buttons[i % 2]
            shown = _shown(page)
            button.click()
            clicked.setdefault(shown, []).append(value)
            page.wait_for_timeout(400 + 150 * (i % 3))  # about a second apart, or less
        wait_idle(page)
        page.wait_for_timeout(1000)
        wait_idle(page)
        screenshot(page, "link-review-after-clicks")
        shown_count = _metric(page, "Pairs labelled")
    with Workspace(path) as ws:
        labels = registry.load_labels(ws)
        rows = ws.query("SELECT count(*) FROM wb.labels")[0][0]

    def key(r) -> tuple:
        return tuple(
            sorted([(r.source_dataset_l, r.unique_id_l), (r.source_dataset_r, r.unique_id_r)])
        )

    stored = {key(r) for r in labels.itertuples()}
    # Every label is on a pair that was on screen when its button was clicked, and every
    # pair clicked is labelled (no click lost) ...
    assert stored == set(clicked), (stored, clicked)
    assert len(stored) >= 2 and rows == sum(len(v) for v in clicked.values())
    # ... with the value last clicked for it, and the page counted what the store holds.
    for r in labels.itertuples():
        assert int(r.label) == clicked[key(r)][-1]
        assert r.reviewer == "ana.reviewer"
    assert shown_count == str(len(stored))
