"""The Journeys, Attrition, Timeliness and LCJB dashboard pages through AppTest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.journey_workspace import make_journey_workspace
from workbench.analysis.headlines import format_period
from workbench.analysis.journeys.build import build_info
from workbench.analysis.measures.timeliness import timeliness
from workbench.analysis.views import view as view_module
from workbench.analysis.views.attrition import funnel_view
from workbench.analysis.views.dashboard import dashboard_headlines, dashboard_kpis
from workbench.analysis.views.scope import (
    court_filter,
    data_end,
    scoped_filter,
)
from workbench.analysis.views.series import measure_series, national_line, trend_view
from workbench.analysis.views.timeliness import distribution_view, timeliness_view
from workbench.periods import latest_complete_period
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ANALYSIS_PAGES = [
    "pages/journeys.py",
    "pages/attrition.py",
    "pages/timeliness.py",
    "pages/dashboard.py",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kent, Cumbria and Dorset with an active model and a current journey table."""
    return make_journey_workspace(tmp_path_factory.mktemp("analysis"))


def open_page(
    monkeypatch: pytest.MonkeyPatch, workspace: Path, page: str, state: dict | None = None
) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page holding a column (tables carry no key in AppTest)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def all_text(at: AppTest) -> str:
    parts = [md.value for md in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_pages_render_with_journeys(monkeypatch, built: Path, page: str) -> None:
    at = open_page(monkeypatch, built, page)
    assert at.title
    assert not at.error, [e.value for e in at.error]
    assert any(e.label == "Definitions" for e in at.expander)
    assert "from the model “true links”" in all_text(at)


def test_charts_keep_their_plot_height(monkeypatch, built: Path) -> None:
    """The app fits a chart's width to the page and keeps the plot at the height asked for
    (the default squeezes title, legend and plot into that height and wrapped labels overlap)."""
    import json

    at = open_page(monkeypatch, built, "pages/attrition.py")
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    assert len(specs) >= 3
    for spec in specs:
        assert spec.get("autosize", {}).get("type") == "fit-x", spec.get("title")


def test_filters_change_the_numbers(monkeypatch, built: Path) -> None:
    at = open_page(monkeypatch, built, "pages/attrition.py")
    everyone = table_with(at, "Rate of recorded")["Cases"].iloc[0]
    assert at.multiselect(key="attrition_areas").options == ["Cumbria", "Dorset", "Kent"]
    at.multiselect(key="attrition_areas").select("Cumbria").run()
    cumbria = table_with(at, "Rate of recorded")["Cases"].iloc[0]
    assert 0 < cumbria < everyone
    at.selectbox(key="attrition_victim").select("Not victim-based").run()
    assert table_with(at, "Rate of recorded")["Cases"].iloc[0] < cumbria


def test_timeliness_stage_choice(monkeypatch, built: Path) -> None:
    at = open_page(monkeypatch, built, "pages/timeliness.py")
    summary = table_with(at, "Median")
    stages = [
        "Charge to first hearing",
        "First hearing to completion",
        "Offence to charge",
        "Offence to completion",
    ]
    for court in ("Crown Court", "Magistrates' courts"):
        assert list(summary[summary["Court type"] == court]["Stage"]) == stages
    assert set(summary["Court type"]) <= {"Crown Court", "Magistrates' courts", "Not yet at court"}
    assert [t.label for t in at.tabs if "ourt" in t.label] == ["Crown Court", "Magistrates' courts"]
    at.selectbox(key="timeliness_interval").select("offence_to_charge").run()
    assert not at.exception
    heads = [s.value for s in at.subheader]
    assert "Offence to charge at the Crown Court: distribution" in heads
    assert "Offence to charge at magistrates' courts: median over time" in heads


def test_dashboard_kpis_and_headlines(monkeypatch, built: Path) -> None:
    monkeypatch.setattr(view_module, "MIN_BASE", 10)
    at = open_page(monkeypatch, built, "pages/dashboard.py")
    at.selectbox(key="dashboard_area").select("Kent").run()
    labels = [metric.label for metric in at.metric]
    assert labels[0] == "Charge rate"
    # timeliness: one card per court type, never one across both
    assert "Offence to completion, magistrates" in labels
    assert "Offence to completion, Crown" in labels
    assert "Offence to completion" not in labels
    headlines = "\n".join(md.value for md in at.markdown)
    assert "The charge rate in Kent was" in headlines
    assert "(from " in headlines and "national" in headlines
    captions = "\n".join(c.value for c in at.caption)
    assert "from " in captions and " cases" in captions
    assert "of 3 areas" in captions  # rank among all areas
    at.selectbox(key="dashboard_period").select("quarter").run()
    assert not at.exception
    assert "rolling 12 months" in "\n".join(c.value for c in at.caption)


def test_provisional_periods_are_marked_and_left_out_of_headlines(built: Path) -> None:
    with Workspace(built) as ws:
        end = latest_complete_period(data_end(ws), "quarter")
        trend = trend_view(
            ws, scoped_filter(None, ["Kent"]), "charge_rate", "quarter", False, "Kent"
        )
        kpis, series, _note = dashboard_kpis(ws, "Kent", "quarter", False, minimum=1)
    kent = trend.data[trend.data["series"] == "Kent"].set_index("period")
    assert bool(kent.loc[end, "provisional"])  # its cases are still open
    assert kent.loc[end, "status"] == "provisional"
    assert not bool(kent["provisional"].all())
    for row in kpis.to_dict("records"):
        used = series[
            (series["series"] == "Kent")
            & (series["measure"] == row["measure"])
            & (series["court_type"] == row["court_type"])
        ]
        used = used[[format_period(p, "quarter") == row["period_label"] for p in used["period"]]]
        assert len(used) == 1 and not bool(used["provisional"].iloc[0]), row["measure"]
    charge = kpis.set_index("measure").loc["charge_rate"]
    assert charge["period_label"] != format_period(end, "quarter")
    assert "Provisional" in trend.table["Status"].str.capitalize().tolist()


def test_rates_and_medians_under_the_minimum_base_are_withheld(built: Path) -> None:
    where = scoped_filter(None, ["Kent"])
    with Workspace(built) as ws:
        shown = trend_view(ws, where, "charge_rate", "year", False, minimum=1)
        withheld = trend_view(ws, where, "charge_rate", "year", False, minimum=10_000)
        times = timeliness_view(ws, where, False, minimum=10_000)
        funnel = funnel_view(ws, where, False, minimum=10_000)
        _dist, median = distribution_view(ws, "offence_to_completion", where, False)
        assert median is not None  # the default minimum (30) is met by Kent's completions
    assert shown.data["value"].notna().any() and shown.data["low"].notna().any()
    assert withheld.data["value"].isna().all() and withheld.data["high"].isna().all()
    assert set(withheld.data["reason"]) == {"withheld: fewer than 10000 cases"}
    assert (withheld.table["Charge rate"] == "withheld: fewer than 10000 cases").all()
    assert times.data["median"].isna().all()
    assert set(times.table["Withheld"]) == {"fewer than 10000 cases"}
    assert funnel.data["rate_of_recorded"].isna().all()
    assert set(funnel.table["Rate of recorded"]) == {"withheld: fewer than 10000 cases"}


def test_timeliness_never_mixes_court_types(built: Path) -> None:
    where = scoped_filter(None, ["Kent"])
    with Workspace(built) as ws:
        summary = timeliness_view(ws, where, False, minimum=1)
        series = measure_series(ws, where, "year", ["median_offence_to_completion"])
        kpis, _series, _note = dashboard_kpis(ws, "Kent", "year", False, minimum=1)
        crown = timeliness(
            ws, intervals=["offence_to_completion"], where=court_filter(where, "Crown")
        ).iloc[0]
    assert set(summary.data["court_type"]) <= {"magistrates", "Crown", "not yet at court"}
    row = summary.data[
        (summary.data["court_type"] == "Crown")
        & (summary.data["interval"] == "offence_to_completion")
    ].iloc[0]
    assert row["median"] == crown["median"] and row["n"] == crown["n"]
    assert set(series["court_type"]) == {"magistrates", "Crown"}
    medians = kpis[kpis["measure"].str.startswith("median_")]
    assert set(medians["court_type"]) == {"magistrates", "Crown"}
    for line in dashboard_headlines(medians):
        assert "magistrates' courts" in line or "the Crown Court" in line


def test_leader_sees_only_their_area_with_suppression(monkeypatch, built: Path) -> None:
    state = {"_leader_view": True, "_allowed_areas": ["Kent"]}
    at = open_page(monkeypatch, built, "pages/attrition.py", state)
    assert at.multiselect(key="attrition_areas").options == ["Kent"]
    reasons = table_with(at, "Reason")
    assert "suppressed" in set(reasons["Cases"].astype(str))
    shown = pd.to_numeric(reasons["Cases"], errors="coerce").dropna()
    assert (shown >= 10).all()
    assert "Disclosure control applied" in all_text(at)

    at = open_page(monkeypatch, built, "pages/dashboard.py", state)
    assert at.selectbox(key="dashboard_area").options == ["Kent"]

    at = open_page(monkeypatch, built, "pages/timeliness.py", state)
    load = table_with(at, "Age band")
    assert set(load["Cases"].astype(str)) == {"suppressed"}  # Kent's open cases are all small


def test_analyst_sees_small_numbers(monkeypatch, built: Path) -> None:
    at = open_page(monkeypatch, built, "pages/attrition.py")
    at.multiselect(key="attrition_areas").select("Kent").run()
    reasons = table_with(at, "Reason")
    assert "suppressed" not in set(reasons["Cases"].astype(str))
    assert (pd.to_numeric(reasons["Cases"]) < 10).any()


def test_no_model_explains_and_links_to_train(monkeypatch, tmp_path: Path) -> None:
    path = make_journey_workspace(tmp_path, build=False, model=False)
    at = open_page(monkeypatch, path, "pages/dashboard.py")
    assert "no active linkage model" in at.info[0].value
    assert not at.metric
    assert [b for b in at.button if b.key == "dashboard_quick_link"]  # link in one step
    at = open_page(monkeypatch, path, "pages/attrition.py", {"_leader_view": True})
    assert "once an analyst has linked the data" in all_text(at)
    assert not [b for b in at.button if b.key.endswith("quick_link")]


def test_missing_journeys_build_button(monkeypatch, tmp_path: Path) -> None:
    path = make_journey_workspace(tmp_path, build=False)
    leader = open_page(monkeypatch, path, "pages/attrition.py", {"_leader_view": True})
    assert "An analyst needs to build them" in leader.info[0].value
    assert not [b for b in leader.button if b.key == "attrition_build"]
    at = open_page(monkeypatch, path, "pages/attrition.py")
    assert "has not been built" in at.warning[0].value
    at.button(key="attrition_build").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(path, read_only=False) as ws:
        assert build_info(ws)["model_id"] == "truth-model"
    assert table_with(at, "Rate of recorded")["Cases"].iloc[0] > 0


def test_a_national_trend_is_drawn_once(built: Path) -> None:
    """With no area chosen the selection is national: no second, identical national line."""
    with Workspace(built) as ws:
        everywhere = trend_view(ws, scoped_filter(None, []), "charge_rate", "year", False)
        kent = trend_view(ws, scoped_filter(None, ["Kent"]), "charge_rate", "year", False)
    assert set(everywhere.data["series"]) == {"Selected"}
    assert set(kent.data["series"]) == {"Selected", "National"}
    assert national_line(scoped_filter(None, [])) == ""
    assert "national" in national_line(scoped_filter(None, ["Kent"]))
