"""The comparison viewer (Pairs) and the cluster graph (Inspect) through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage.clusters.graph import graph_choices
from linkage.model.patterns import comparison_patterns
from tests.test_app_linkage import _app, linked  # noqa: F401 - the trained workspace fixture
from workbench.linked_models import active_model_id
from workbench.workspace import Workspace


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, linked: Path) -> Path:  # noqa: F811
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(linked))
    return linked


def _table_with(at, column: str):
    """The table on the page holding a column (AppTest gives tables no key)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def test_pairs_page_goes_from_pattern_to_examples_to_waterfall(app_env: Path) -> None:
    at = _app("pages/link_pairs.py")
    with Workspace(app_env) as ws:
        model_id = active_model_id(ws)
        patterns = comparison_patterns(ws, model_id)
    pick = at.selectbox(key="pairs_pattern")
    assert pick.options[0] == patterns.choice_label(1)
    pick.set_value(2).run()
    assert not at.exception, [e.message for e in at.exception]
    examples = _table_with(at, "Example")  # the pair table above names fields the same way
    n_pattern = int(patterns.table.loc[patterns.table["pattern"] == 2, "n_pairs"].iloc[0])
    assert len(examples) == min(5, n_pattern)
    assert "First name (left)" in examples.columns
    assert not [c for c in examples.columns if c.startswith("gamma_")]
    assert any("comparison patterns" in c.value for c in at.caption)
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    assert len(charts) >= 2  # the pattern chart and the waterfall
    assert not at.error, [e.value for e in at.error]


def test_inspect_page_draws_a_cluster_graph(app_env: Path) -> None:
    at = _app("pages/link_inspect.py")
    with Workspace(app_env) as ws:
        choices = graph_choices(ws, active_model_id(ws))
    pick = at.selectbox(key="inspect_cluster")
    assert pick.value == choices["cluster_id"].iloc[0]
    assert any("records joined by" in c.value for c in at.caption)
    links = _table_with(at, "Linked to")
    assert list(links.columns) == [
        "Record",
        "Linked to",
        "Match weight",
        "Match probability",
        "Link",
    ]
    assert not links["Record"].str.contains("-__-").any()
    assert not at.error, [e.value for e in at.error]
