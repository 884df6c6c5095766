"""“Add to story” from the analysis pages, and area briefings that count only their area."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.forecast_data import write_demand_journeys
from tests.journey_workspace import make_journey_workspace
from tests.story_fixtures import journeys_frame, leader
from workbench.access.auth import User, local_user
from workbench.analysis.journeys.table import write_journeys
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.record_keys import KEY_SALT_SETTING
from workbench.analysis.views.attrition import reasons_view
from workbench.analysis.views.cards import series_table
from workbench.analysis.views.dashboard import dashboard_kpis
from workbench.analysis.views.scope import data_end
from workbench.analysis.views.series import trend_view
from workbench.analysis.views.timeliness import caseload_view, distribution_view
from workbench.analysis.views.view import View
from workbench.disclosure.control import protect_funnel
from workbench.errors import AccessDeniedError, ValidationError
from workbench.forecast.model.demand import forecast_selection
from workbench.forecast.model.disclosure import protect_series
from workbench.forecast.model.series import ForecastSettings
from workbench.forecast.model.tables import forecasts_frame
from workbench.forecast.scenarios.projection import Scenario, project_with_baseline
from workbench.forecast.scenarios.state import court_state, stage_lags
from workbench.publish.export.chart_files import chart_spec, chart_to_svg
from workbench.publish.export.disclosure import marked_protection
from workbench.publish.stories.access import block_params
from workbench.publish.stories.add import add_to_story, own_stories, story_name_for, view_block
from workbench.publish.stories.document import story_html
from workbench.publish.stories.filters import filter_params, filters_phrase
from workbench.publish.stories.model import Annotation, Block, Story
from workbench.publish.stories.render import render_block
from workbench.publish.stories.store import create_story, load_story
from workbench.ui.story_add import NEW_STORY
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ANALYST = local_user()


@pytest.fixture
def mixed(tmp_path: Path) -> Workspace:
    """Journeys in Kent and Cumbria, a third of them robberies, the rest thefts."""
    frame = journeys_frame(months=6, per_month=60, last=60)
    frame.loc[frame.index % 3 == 0, "offence_group"] = "robbery"
    ws = Workspace(tmp_path / "mixed.duckdb")
    ws.set_setting(KEY_SALT_SETTING, "story-add-salt")
    write_journeys(ws, frame, "linked")
    try:
        yield ws
    finally:
        ws.close()


def _recorded(ws: Workspace, user: User, block: Block) -> int:
    """Crimes recorded in the block's funnel, as its table shows them."""
    table = render_block(ws, user, replace(block, kind="table")).table
    assert table is not None
    return int(table["Cases"].iloc[0])


def _expected(ws: Workspace, where: JourneyFilter) -> int:
    funnel = protect_funnel(attrition_funnel(ws, where=where, keys=True)).table
    return int(funnel.loc[funnel["stage"] == "recorded", "cases"].iloc[0])


def test_a_kent_briefing_counts_only_kent(mixed: Workspace) -> None:
    kent = view_block("attrition_funnel", JourneyFilter(areas=("Kent",)))
    assert kent.params == {"areas": ["Kent"]}
    story = add_to_story(mixed, ANALYST, kent, title="Kent briefing")
    assert story.name == "kent_briefing" and story.blocks[0].params["areas"] == ["Kent"]
    saved = load_story(mixed, ANALYST, "kent_briefing").blocks[0]
    in_kent = _recorded(mixed, ANALYST, saved)
    everywhere = _recorded(mixed, ANALYST, Block("chart", "attrition_funnel", {}))
    assert in_kent == _expected(mixed, JourneyFilter(areas=("Kent",)))
    assert everywhere == _expected(mixed, JourneyFilter())
    assert in_kent < everywhere
    rendered = render_block(mixed, ANALYST, saved)
    assert rendered.meta is not None and "reached, Kent" in rendered.meta.subtitle


def test_the_page_filters_travel_with_the_block(mixed: Workspace) -> None:
    where = JourneyFilter(
        areas=("Kent",), offence_groups=("robbery",), court_types=("magistrates",)
    )
    block = view_block("attrition_funnel", where)
    assert block.params == {
        "areas": ["Kent"],
        "offence_groups": ["robbery"],
        "court_types": ["magistrates"],
    }
    story = add_to_story(mixed, ANALYST, block, title="Kent robbery")
    saved = load_story(mixed, ANALYST, story.name).blocks[0]
    assert _recorded(mixed, ANALYST, saved) == _expected(mixed, where)
    assert _recorded(mixed, ANALYST, saved) < _expected(
        mixed, JourneyFilter(areas=("Kent",), offence_groups=("theft offences",))
    )
    subtitle = render_block(mixed, ANALYST, saved).meta.subtitle
    assert "Kent; robbery; magistrates' court cases" in subtitle


def test_filter_params_round_trip() -> None:
    from datetime import date

    where = JourneyFilter(
        areas=("Kent", "Cumbria"),
        offence_groups=("robbery",),
        court_types=("Crown",),
        victim_based=False,
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
    )
    params = filter_params(where)
    assert params["start"] == "2023-01-01" and params["victim_based"] is False
    from workbench.publish.stories.filters import block_filter

    assert block_filter(params) == where
    assert filter_params(JourneyFilter()) == {}
    phrase = filters_phrase(params)
    assert "robbery" in phrase and "Crown Court cases" in phrase
    assert "offences without a victim" in phrase and "01 January 2023" in phrase
    assert filters_phrase({}) == ""


def test_adding_appends_to_the_users_own_story(mixed: Workspace) -> None:
    first = add_to_story(
        mixed, ANALYST, view_block("attrition_funnel", JourneyFilter()), title="Monthly"
    )
    again = add_to_story(
        mixed,
        ANALYST,
        view_block("timeliness", JourneyFilter(areas=("Cumbria",)), kind="table"),
        name=first.name,
    )
    assert again.revision == first.revision + 1
    assert [(b.kind, b.source) for b in again.blocks] == [
        ("chart", "attrition_funnel"),
        ("table", "timeliness"),
    ]
    assert own_stories(mixed, ANALYST) == {"monthly": "Monthly"}
    assert story_name_for(mixed, ANALYST, "Monthly") == "monthly_2"
    assert story_name_for(mixed, ANALYST, "2024: Q1!") == "story_2024_q1"
    with pytest.raises(ValidationError, match="no story called"):
        add_to_story(mixed, leader("Kent"), first.blocks[0], name="monthly")
    with pytest.raises(ValidationError, match="title"):
        add_to_story(mixed, ANALYST, first.blocks[0], title="  ")
    with pytest.raises(ValidationError):
        view_block("period_counts", JourneyFilter())
    with pytest.raises(ValidationError):
        view_block("attrition_funnel", JourneyFilter(), kind="text")


def test_a_leader_adds_only_their_own_areas(mixed: Workspace) -> None:
    kent = leader("Kent")
    # a leader's page filter names their areas; a block naming none is confined to them
    story = add_to_story(mixed, kent, view_block("attrition_funnel", JourneyFilter()), title="K")
    assert story.owner == kent.username and story.blocks[0].params["areas"] == ["Kent"]
    assert block_params(mixed, kent, story.blocks[0])["areas"] == ["Kent"]
    with pytest.raises(AccessDeniedError):
        add_to_story(
            mixed,
            kent,
            view_block("attrition_funnel", JourneyFilter(areas=("Cumbria",))),
            name=story.name,
        )
    refused = mixed.query(
        "SELECT count(*) FROM wb.audit_log WHERE action = 'story.refused' AND actor = ?",
        [kent.username],
    )[0][0]
    assert refused == 1
    assert len(load_story(mixed, kent, story.name).blocks) == 1
    # another user's story of the same name is never the target
    create_story(mixed, ANALYST, Story("k", "Analyst's K"))
    add_to_story(mixed, kent, story.blocks[0], name="k")
    assert load_story(mixed, ANALYST, "k").blocks == []


# ------------------------------------------------------------------------------ the pages
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_journey_workspace(tmp_path_factory.mktemp("story_add"))


def _page(monkeypatch: pytest.MonkeyPatch, path: Path, page: str) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_attrition_adds_its_funnel_with_the_area_filter(monkeypatch, built: Path) -> None:
    at = _page(monkeypatch, built, "pages/attrition.py")
    at.multiselect(key="attrition_areas").set_value(["Kent"]).run()
    at.selectbox(key="attrition_funnel_story_pick").set_value(NEW_STORY).run()
    at.text_input(key="attrition_funnel_story_title").set_value("Kent briefing").run()
    at.button(key="attrition_funnel_story_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Kent briefing" in s.value for s in at.success)
    with Workspace(built) as ws:
        story = load_story(ws, ANALYST, "kent_briefing")
    assert [(b.source, b.params) for b in story.blocks] == [
        ("attrition_funnel", {"areas": ["Kent"]})
    ]

    at = _page(monkeypatch, built, "pages/timeliness.py")
    at.selectbox(key="timeliness_summary_story_pick").set_value("kent_briefing").run()
    at.button(key="timeliness_summary_story_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(built) as ws:
        story = load_story(ws, ANALYST, "kent_briefing")
    assert [(b.kind, b.source) for b in story.blocks][-1] == ("table", "timeliness")


def test_dashboard_adds_the_areas_measures(monkeypatch, built: Path) -> None:
    at = _page(monkeypatch, built, "pages/dashboard.py")
    area = at.selectbox(key="dashboard_area").value
    at.selectbox(key="dashboard_times_story_pick").set_value(NEW_STORY).run()
    at.text_input(key="dashboard_times_story_title").set_value(f"{area} times").run()
    at.button(key="dashboard_times_story_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(built) as ws:
        story = load_story(ws, ANALYST, story_name := f"{area.lower()}_times")
        assert story_name in own_stories(ws, ANALYST)
        rendered = render_block(ws, ANALYST, story.blocks[0])
    assert story.blocks[0].params == {"areas": [area]}
    assert rendered.chart is not None and rendered.meta is not None
    assert area in rendered.meta.subtitle


# ------------------------------------------------------------------------------ the pages' views
VIEW_BLOCKS: dict[str, dict[str, object]] = {
    "attrition_reasons": {},
    "measure_trend": {"measure": "charge_rate", "period": "month"},
    "timeliness_distribution": {"interval": "first_hearing_to_completion"},
    "outstanding_caseload": {},
    "dashboard_trends": {"period": "quarter"},
}


def _page_view(ws: Workspace, source: str, where: JourneyFilter, params: dict) -> View:
    """What the page shows a leader (disclosure control on) for a source's view."""
    if source == "attrition_reasons":
        return reasons_view(ws, where, True)
    if source == "measure_trend":
        label = where.areas[0] if len(where.areas) == 1 else "All areas"
        return trend_view(ws, where, params["measure"], params["period"], True, label=label)
    if source == "timeliness_distribution":
        return distribution_view(ws, params["interval"], where, True)[0]
    if source == "outstanding_caseload":
        return caseload_view(ws, data_end(ws), where, True)
    _kpis, series, note = dashboard_kpis(ws, where.areas[0], params["period"], True)
    return View(series, series_table(series), note)


def _shown(view: View) -> pd.DataFrame:
    """A page's table as a story block shows it: hidden cells missing."""
    return marked_protection(view.table).table


@pytest.mark.parametrize("source", list(VIEW_BLOCKS))
def test_a_page_view_block_is_the_leaders_page_figure(mixed: Workspace, source: str) -> None:
    params = VIEW_BLOCKS[source]
    kent = JourneyFilter(areas=("Kent",))
    block = view_block(source, kent, "table", **params)
    assert block.params == {**params, "areas": ["Kent"]}
    page = _page_view(mixed, source, kent, params)
    for user in (leader("Kent"), ANALYST):  # disclosure control for everyone
        rendered = render_block(mixed, user, block)
        assert rendered.table is not None and rendered.table_meta is not None
        pd.testing.assert_frame_equal(rendered.table, _shown(page))
        assert "Kent" in rendered.table_meta.title
        assert " to " in rendered.table_meta.period  # the months it covers
        assert rendered.protected is not None and rendered.protected.perturbed
    chart = render_block(mixed, leader("Kent"), replace(block, kind="chart"))
    assert chart.chart is not None and chart.meta is not None
    assert "Kent" in chart.meta.subtitle and chart.meta.subtitle.endswith("2024")
    assert chart.headline and "Kent" in chart.headline
    alt_text = chart_spec(chart.chart, chart.meta)["description"]
    assert alt_text.startswith(chart.headline.rstrip(".")) and len(alt_text) > len(chart.headline)
    assert "None" not in alt_text and "nan" not in alt_text.split()


def test_a_kent_reasons_block_counts_only_kent(mixed: Workspace) -> None:
    def cases(areas: tuple[str, ...]) -> int:
        block = view_block("attrition_reasons", JourneyFilter(areas=areas), "table")
        table = render_block(mixed, ANALYST, block).table
        return int(pd.to_numeric(table["Cases"], errors="coerce").sum())

    kent, cumbria, both = cases(("Kent",)), cases(("Cumbria",)), cases(())
    expected = reasons_view(mixed, JourneyFilter(areas=("Kent",)), True).data["cases"].sum()
    assert kent == expected and 0 < kent < both and 0 < cumbria < both


def test_trend_blocks_follow_the_pages_period_and_court(mixed: Workspace) -> None:
    kent = JourneyFilter(areas=("Kent",))
    monthly = render_block(
        mixed, ANALYST, view_block("measure_trend", kent, **VIEW_BLOCKS["measure_trend"])
    )
    quarterly = render_block(
        mixed, ANALYST, view_block("measure_trend", kent, measure="charge_rate", period="quarter")
    )
    assert "by month of offence" in monthly.meta.subtitle
    assert "by quarter of offence" in quarterly.meta.subtitle
    assert "Q" in quarterly.headline and "2024" in quarterly.headline
    months = render_block(
        mixed, ANALYST, view_block("measure_trend", kent, "table", **VIEW_BLOCKS["measure_trend"])
    ).table
    quarters = render_block(
        mixed,
        ANALYST,
        view_block("measure_trend", kent, "table", measure="charge_rate", period="quarter"),
    ).table
    assert len(quarters) < len(months)
    # the Timeliness page's trend is of one court type, by the period the stage ended
    court = JourneyFilter(areas=("Kent",), court_types=("magistrates",))
    median = view_block(
        "measure_trend", court, measure="median_charge_to_first_hearing", period="month"
    )
    assert median.params["court_types"] == ["magistrates"]
    rendered = render_block(mixed, ANALYST, median)
    assert "magistrates' court" in rendered.headline and "days" in rendered.headline
    assert "magistrates' court cases" in rendered.meta.subtitle
    # a start and end date travel with the block and narrow it
    narrow = replace(kent, start=date(2024, 1, 1), end=date(2024, 2, 28))
    block = view_block("attrition_reasons", narrow, "table")
    few = render_block(mixed, ANALYST, block)
    assert "01 January 2024 to 28 February 2024" in few.table_meta.title
    all_time = render_block(mixed, ANALYST, view_block("attrition_reasons", kent, "table"))
    assert pd.to_numeric(few.table["Cases"]).sum() < pd.to_numeric(all_time.table["Cases"]).sum()


@pytest.mark.parametrize("source", list(VIEW_BLOCKS))
def test_a_leader_cannot_add_another_areas_view(mixed: Workspace, source: str) -> None:
    kent = leader("Kent")
    block = view_block(source, JourneyFilter(areas=("Cumbria",)), **VIEW_BLOCKS[source])
    with pytest.raises(AccessDeniedError):
        add_to_story(mixed, kent, block, title="Kent pack")
    with pytest.raises(AccessDeniedError):
        render_block(mixed, kent, block)
    refused = mixed.query(
        "SELECT count(*) FROM wb.audit_log WHERE action = 'story.refused' AND actor = ?",
        [kent.username],
    )[0][0]
    assert refused == 2
    assert own_stories(mixed, kent) == {}


def test_page_view_sources_are_not_offered_on_the_stories_page() -> None:
    from workbench.publish.stories.sources import SOURCES, sources_for

    offered = [k for k, s in sources_for(ANALYST).items() if not s.page_only]
    assert offered == ["period_counts", "receipts", "attrition_funnel", "timeliness"]
    assert {"attrition_reasons", "measure_trend", "demand_forecast"} <= set(SOURCES)


# ------------------------------------------------------------------------------ demand
@pytest.fixture(scope="module")
def demand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Court receipts in Kent and Surrey, as linked journeys (what leaders' forecasts use)."""
    path = tmp_path_factory.mktemp("story_demand") / "ws.duckdb"
    with Workspace(path) as ws:
        ws.set_setting(KEY_SALT_SETTING, "story-demand-salt")
        write_demand_journeys(ws, areas=("Kent", "Surrey"), weeks=150)
        write_journeys(ws, ws.query_df("SELECT * FROM journeys.truth"), "linked")
    return path


MONTHLY = ForecastSettings(freq="month", horizon=3)
KENT_MAGS = JourneyFilter(areas=("Kent",), court_types=("magistrates",))
FORECAST = {"freq": "month", "horizon": 3, "table": "linked"}


def test_a_kent_forecast_block_is_the_leaders_protected_forecast(demand: Path) -> None:
    with Workspace(demand) as ws:
        page = forecast_selection(ws, ["Kent"], "magistrates", MONTHLY, ["Kent"], False, "linked")
        protected = protect_series(page[0])
        shown = forecasts_frame([protected])
        block = view_block("demand_forecast", KENT_MAGS, "table", **FORECAST)
        assert block.params["areas"] == ["Kent"] and block.params["court_types"] == ["magistrates"]
        for user in (leader("Kent"), ANALYST):
            rendered = render_block(ws, user, block)
            pd.testing.assert_frame_equal(rendered.table, shown)
        # the history a leader sees is the protected one, never the raw counts
        raw = page[0].history["receipts"].to_numpy(dtype=float)
        assert (rendered.table.loc[rendered.table["kind"] == "history", "receipts"] != raw).any()
        assert "forecasts and intervals are model outputs" in rendered.protected.note
        chart = render_block(ws, leader("Kent"), replace(block, kind="chart"))
        assert chart.headline.startswith("Court receipts in Kent (magistrates' court)")
        assert "Kent, magistrates' court" in chart.meta.subtitle
        alt_text = chart_spec(chart.chart, chart.meta)["description"]
        assert "Actual receipts" in alt_text and "Forecast" in alt_text
        assert html.escape(alt_text, quote=True) in chart_to_svg(chart.chart, chart.meta)
        national = render_block(
            ws, ANALYST, view_block("demand_forecast", JourneyFilter(), "table", **FORECAST)
        )
        history = national.table[national.table["kind"] == "history"]
        assert set(history["area"]) == {"England and Wales"}
        kent = rendered.table[rendered.table["kind"] == "history"]
        assert history["receipts"].sum() > kent["receipts"].sum()


def test_a_leader_cannot_forecast_every_area_or_another(demand: Path) -> None:
    kent = leader("Kent")
    with Workspace(demand) as ws:
        national = view_block(
            "demand_forecast",
            JourneyFilter(court_types=("magistrates",)),
            **FORECAST,
            national=True,
        )
        with pytest.raises(AccessDeniedError, match="all LCJB areas"):
            add_to_story(ws, kent, national, title="Kent demand")
        with pytest.raises(AccessDeniedError):
            render_block(ws, kent, national)
        surrey = view_block(
            "demand_scenario",
            JourneyFilter(areas=("Surrey",), court_types=("magistrates",)),
            **FORECAST,
            charge_change_pct=10.0,
        )
        with pytest.raises(AccessDeniedError):
            add_to_story(ws, kent, surrey, title="Kent demand")
        refused = ws.query(
            "SELECT count(*) FROM wb.audit_log WHERE action = 'story.refused' AND actor = ?",
            [kent.username],
        )[0][0]
        assert refused == 3 and own_stories(ws, kent) == {}


def test_a_scenario_block_projects_the_pages_scenario(demand: Path) -> None:
    with Workspace(demand) as ws:
        block = view_block(
            "demand_scenario",
            KENT_MAGS,
            "table",
            **FORECAST,
            name="ten more",
            charge_change_pct=10.0,
            capacity_per_week=5.0,
        )
        story = add_to_story(ws, leader("Kent"), block, title="Kent demand")
        rendered = render_block(ws, leader("Kent"), story.blocks[0])
        # the page: the forecast, the courts' protected state and the scenario
        result = forecast_selection(ws, ["Kent"], "magistrates", MONTHLY, ["Kent"])[0]
        last = pd.Timestamp(result.history["period"].iloc[-1]).date()
        state = court_state(ws, "linked", last, ["Kent"], "magistrates", protect=True)
        state = stage_lags(ws, "linked", ["Kent"], "magistrates").apply(state)
        scenario = Scenario("ten more", "Kent", "magistrates", "month", 3, 10.0, None, 5.0)
        page = project_with_baseline(result, state, scenario)
        pd.testing.assert_frame_equal(rendered.table, page)
        chart = render_block(ws, ANALYST, replace(story.blocks[0], kind="chart"))
        assert chart.headline.startswith("With +10% charges, the outstanding caseload in Kent")
        assert "charges +10%" in chart.meta.subtitle and "Kent" in chart.meta.subtitle
        assert "model projections" in " ".join(chart.meta.notes)
        svg = chart_to_svg(chart.chart, chart.meta)
        assert "Outstanding cases" in svg and "ten more" in svg


def test_annotations_join_a_page_trend_and_are_left_off_bars(mixed: Workspace) -> None:
    note = [Annotation("text", "2024-02-01", "New listing rule")]
    kent = JourneyFilter(areas=("Kent",))
    trend = view_block("measure_trend", kent, **VIEW_BLOCKS["measure_trend"])
    plain = render_block(mixed, ANALYST, trend)
    noted = render_block(mixed, ANALYST, replace(trend, annotations=note))
    spec = chart_spec(noted.chart, noted.meta)
    assert len(spec["layer"]) == len(chart_spec(plain.chart, plain.meta)["layer"]) + 2
    assert "New listing rule" in json.dumps(spec)
    reasons = replace(view_block("attrition_reasons", kent), annotations=note)
    drawn = render_block(mixed, ANALYST, reasons)
    assert "New listing rule" not in json.dumps(chart_spec(drawn.chart, drawn.meta))


def test_a_briefing_of_page_views_renders_as_html_with_alt_text(mixed: Workspace) -> None:
    kent = JourneyFilter(areas=("Kent",))
    blocks = [view_block(source, kent, **params) for source, params in VIEW_BLOCKS.items()]
    story = add_to_story(mixed, leader("Kent"), blocks[0], title="Kent briefing")
    for block in blocks[1:]:
        story = add_to_story(mixed, leader("Kent"), block, name=story.name)
    page = story_html(mixed, leader("Kent"), story)
    assert page.count("<svg") == len(blocks) and "cannot see" not in page
    for block in blocks:
        headline = render_block(mixed, leader("Kent"), block).headline
        assert f'aria-label="{html.escape(headline.rstrip("."), quote=True)}' in page
