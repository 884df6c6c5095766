"""The Review page in a real browser: quick clicks each label the pair that was on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkage.clusters import registry
from linkage.model.datasets import suggest_for_datasets
from linkage.model.linkers import forget_linkers
from linkage.model.runs import train_and_save
from linkage.review.labels import load_labels
from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.test_app_linkage import make_people_workspace
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser

# A label button's container carries its key (``review_match::courts:408|police:406``) as the
# class ``st-key-review_match--courts-408-police-406``.
_KEYED = re.compile(r"^st-key-review_\w+?--([a-z_]+)-(\d+)-([a-z_]+)-(\d+)$")
_CLICK_BY_KEY = """(prefix) => {
    const holder = [...document.querySelectorAll('[data-testid="stMain"] [class*="st-key-"]')]
        .map((el) => [el, [...el.classList].find((c) => c.startsWith('st-key-' + prefix + '--'))])
        .find(([el, cls]) => cls && el.querySelector('button'));
    if (!holder) return null;
    holder[0].querySelector('button').click();
    return holder[1];
}"""


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_quick_clicks_label_the_pairs_shown(tmp_path: Path) -> None:
    require_chromium()
    path = tmp_path / "ws.duckdb"
    make_people_workspace(path)
    with Workspace(path) as ws:
        names = ["police", "courts"]
        run = train_and_save(ws, names, suggest_for_datasets(ws, names))
        registry.set_active_model(ws, run.model_id)
    forget_linkers()
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
        clicked: dict[tuple, list[int]] = {}
        for i in range(8):
            key, value = (("review_match", 1), ("review_nonmatch", 0))[i % 2]
            # Which pair a click labels is the pair its button was drawn with: read the
            # button's key and click it in one step, so no rerun comes in between.
            holder = page.evaluate(_CLICK_BY_KEY, key)
            found = _KEYED.search(holder or "")
            assert found, holder
            pair = tuple(sorted([(found[1], found[2]), (found[3], found[4])]))
            clicked.setdefault(pair, []).append(value)
            page.wait_for_timeout(400 + 150 * (i % 3))  # about a second apart, or less
        wait_idle(page)
        # Once the page has caught up it shows a pair not yet labelled: one more click there
        # (on a loaded machine the quick clicks may all have landed on the first pair shown).
        holder = page.evaluate(_CLICK_BY_KEY, "review_match")
        found = _KEYED.search(holder or "")
        assert found, holder
        last = tuple(sorted([(found[1], found[2]), (found[3], found[4])]))
        assert last not in clicked, "the page did not move on after its labels were stored"
        clicked[last] = [1]
        wait_idle(page)
        page.wait_for_timeout(1000)
        wait_idle(page)
        screenshot(page, "link-review-after-clicks")
        shown_count = _metric(page, "Pairs labelled")
    with Workspace(path) as ws:
        labels = load_labels(ws)
        history = ws.query(
            "SELECT source_dataset_l, unique_id_l, source_dataset_r, unique_id_r, label, reviewer "
            "FROM wb.labels"
        )

    def key(r) -> tuple:
        return tuple(sorted([(r[0], r[1]), (r[2], r[3])]))

    columns = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r", "label"]
    final = {key(r): int(r[4]) for r in labels[columns].itertuples(index=False)}
    stored = set(final)
    # Every label is on a pair that was on screen when its button was clicked, and every
    # answer clicked is stored for its pair (no click lost). Two clicks of the same button
    # of the same pair inside one rerun are one trigger to Streamlit, so a repeated identical
    # answer may be stored once: the history holds no more rows than clicks, and no fewer than
    # the distinct answers given.
    assert stored == set(clicked), (stored, clicked)
    answers = {(pair, value) for pair, values in clicked.items() for value in values}
    assert {(key(r), int(r[4])) for r in history} == answers
    assert len(answers) <= len(history) <= sum(len(v) for v in clicked.values())
    assert len(stored) >= 2
    assert {r[5] for r in history} == {"ana.reviewer"}
    # The pair clicked once after the page caught up keeps exactly that answer, and every pair
    # holds one of the answers given to it.
    assert final[last] == 1
    assert all(final[pair] in clicked[pair] for pair in stored)
    assert shown_count == str(len(stored))
