"""Widgets of the Demand page: one forecast with its accuracy, and the scenario panel."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from workbench.access.auth import ALL_AREAS, User
from workbench.disclosure.control import modelled
from workbench.forecast.charts import forecast_chart, scenario_chart
from workbench.forecast.model.disclosure import adjusted_table, protect_series
from workbench.forecast.model.series import NATIONAL, SeriesForecast
from workbench.forecast.model.tables import forecasts_frame, metrics_frame, not_applicable_cells
from workbench.forecast.scenarios.comparison import (
    compare_scenarios,
    readable_summary,
    scenario_summary,
)
from workbench.forecast.scenarios.projection import Scenario, project_with_baseline
from workbench.forecast.scenarios.state import court_state, scenario_notes, stage_lags
from workbench.forecast.scenarios.storage import (
    delete_scenario,
    list_scenarios,
    publish_scenario,
    save_scenario,
)
from workbench.publish.export.disclosure import ProtectArg
from workbench.publish.export.meta import TableMeta, journey_version, meta_from_chart
from workbench.reference import LCJB_AREAS
from workbench.ui.analysis_widgets import leader_view
from workbench.ui.context import user_errors
from workbench.ui.export_widgets import download_menu
from workbench.ui.story_add import DemandChoice, forecast_story_button, scenario_story_button
from workbench.workspace import Workspace


def _protect(projection: bool = False) -> ProtectArg:
    """Disclosure control for a leader's Demand export: what the figures already went through.

    Observed counts were adjusted and small ones hidden before they were drawn
    (:func:`workbench.forecast.model.disclosure.protect_series`); their hidden cells are
    written as ``[c]``.
    Projections are model outputs from adjusted counts and are labelled as such.
    """
    if not leader_view():
        return None
    return modelled if projection else adjusted_table


def table_menu(frame: pd.DataFrame, title: str, key: str, version: str = "") -> None:
    """The Download popover of a Demand table (CSV, XLSX, ODS)."""
    download_menu(
        key,
        frame=frame,
        table_meta=TableMeta(title, data_version=version),
        protect=_protect(),
        page="demand",
    )


def chart_menu(
    chart: alt.TopLevelMixin,
    frame: pd.DataFrame,
    key: str,
    version: str = "",
    projection: bool = False,
    notes: tuple[str, ...] = (),
) -> None:
    """The Download popover of a Demand chart and the table it is drawn from (with notes)."""
    meta = meta_from_chart(chart, version, notes)
    download_menu(
        key,
        chart=chart,
        chart_meta=meta,
        frame=frame,
        table_meta=TableMeta(
            meta.title,
            source=meta.source,
            notes=notes,
            data_version=version,
            not_applicable=not_applicable_cells(frame),
        ),
        protect=_protect(projection),
        page="demand",
    )


def show_forecast(
    result: SeriesForecast,
    version: str = "",
    ws: Workspace | None = None,
    choice: DemandChoice | None = None,
) -> None:
    """One series: the chart, MASE against the baseline and coverage, or why there is none.

    Args:
        result: The forecast.
        version: The data version (the journey table's build) for the downloads.
        ws: The workspace, to add the forecast to a story.
        choice: What the page shows; with ``ws``, an “Add to story” button is offered.
    """
    if leader_view():
        result = protect_series(result)
    if not result.ok:
        st.warning(
            f"No forecast for **{result.area}** ({result.court_type}): {result.reason} "
            "Try a monthly frequency, a shorter horizon or several areas combined.",
            icon=":material/info:",
        )
        return
    if result.freq_reason:
        st.info(result.freq_reason, icon=":material/calendar_month:")
    chart_col, metric_col = st.columns([3, 1])
    chart = forecast_chart(result)
    chart_col.altair_chart(chart, width="stretch")
    with chart_col:
        slug = f"{result.area}_{result.court_type}".lower().replace(" ", "_")
        chart_menu(chart, forecasts_frame([result]), f"demand_forecast_{slug}", version)
        if ws is not None and choice is not None:
            forecast_story_button(ws, choice, f"demand_story_{slug}", result)
    metric_col.metric("MASE (model)", f"{result.mase:.2f}")
    metric_col.metric(
        "MASE (seasonal naive)",
        f"{result.baseline_mase:.2f}",
        delta=f"{result.mase - result.baseline_mase:+.2f} model vs baseline",
        delta_color="inverse",
    )
    raw = "not measured" if result.raw_coverage is None else f"{result.raw_coverage:.0%}"
    metric_col.metric(
        f"Interval coverage (aim {result.settings.interval_width:.0%})",
        f"{result.coverage:.0%}",
    )
    metric_col.caption(f"Coverage before calibration: {raw}.")
    if result.trustworthy:
        st.success(result.verdict, icon=":material/check_circle:")
    else:
        st.warning(result.verdict, icon=":material/warning:")


def show_tables(
    results: list[SeriesForecast],
    key: str,
    version: str = "",
    ws: Workspace | None = None,
    choice: DemandChoice | None = None,
) -> None:
    """Table views of forecasts and backtest metrics, each with its Download popover (and,
    given ``ws`` and ``choice``, “Add to story” for the forecasts table)."""
    if leader_view():
        results = [protect_series(r) for r in results]
    table = forecasts_frame(results)
    metrics = metrics_frame(results)
    with st.expander("Table view", icon=":material/table:"):
        st.dataframe(metrics, hide_index=True, width="stretch")
        table_menu(metrics, "Backtest accuracy of the demand forecasts", f"{key}_metrics", version)
        st.dataframe(table, hide_index=True, width="stretch")
        table_menu(table, "Court receipts: history and forecast", key, version)
        if ws is not None and choice is not None:
            forecast_story_button(ws, choice, f"{key}_story_all")


def scenario_panel(
    ws: Workspace,
    user: User,
    result: SeriesForecast,
    table: str,
    areas: list[str],
    choice: DemandChoice | None = None,
) -> None:
    """What-if controls for one forecast, the projection against the baseline, and saving.

    Args:
        ws: The workspace.
        user: Who saves: the scenario is theirs, and covers ``areas``.
        result: The forecast to project from.
        table: The journey table.
        areas: The LCJB areas of the forecast's series (ignored for England and Wales).
        choice: What the page shows; given, the projection can be added to a story.
    """
    last = pd.Timestamp(result.history["period"].iloc[-1]).date()
    state = court_state(
        ws,
        table,
        last,
        None if result.area == NATIONAL else areas,
        result.court_type,
        protect=leader_view(),
    )
    lags = stage_lags(ws, table, None if result.area == NATIONAL else areas, result.court_type)
    state = lags.apply(state)
    if state.hidden:
        st.info(
            "Too few cases are outstanding or were completed recently to project a scenario "
            "without revealing them (disclosure control). Choose more areas combined.",
            icon=":material/visibility_off:",
        )
        return
    st.caption(
        f"On {last:%d %b %Y}: {state.outstanding:,.0f} cases outstanding; "
        f"{state.disposals_per_week:.1f} disposals a week over the last 13 weeks. "
        + " ".join(lags.sentences())
    )
    a, b, c = st.columns(3)
    pct = a.number_input("Change in charge volumes (%)", -100.0, 200.0, 0.0, 5.0, key="demand_pct")
    first = pd.Timestamp(result.forecast["period"].iloc[0]).date()
    start: date = b.date_input("From", first, key="demand_from")
    capacity = c.number_input(
        "Disposal capacity (cases a week)",
        0.0,
        value=round(state.disposals_per_week, 1),
        step=1.0,
        key="demand_capacity",
    )
    scenario = Scenario(
        st.session_state.get("demand_name") or "scenario",
        result.area,
        result.court_type,
        result.settings.freq,
        result.settings.horizon,
        float(pct),
        start,
        float(capacity),
    )
    with user_errors():
        projection = project_with_baseline(result, state, scenario)
        chart = scenario_chart(
            projection, f"Outstanding caseload, {result.area} ({result.court_type})"
        )
        st.altair_chart(chart, width="stretch")
        st.dataframe(
            readable_summary(scenario_summary(projection)), hide_index=True, width="stretch"
        )
        notes = scenario_notes(state, result.court_type)
        version = journey_version(ws, table)
        chart_menu(chart, projection, "demand_scenario", version, projection=True, notes=notes)
        if choice is not None:
            settings = {
                "name": scenario.name,
                "charge_change_pct": scenario.charge_change_pct,
                "change_from": start.isoformat() if start else None,
                "capacity_per_week": scenario.capacity_per_week,
            }
            scenario_story_button(ws, choice, result, areas, settings, "demand_scenario")
        name_col, save_col = st.columns([3, 1])
        name_col.text_input("Scenario name", key="demand_name", placeholder="e.g. 10% more charges")
        if save_col.button("Save scenario", key="demand_save", icon=":material/save:"):
            covered = None if result.area == NATIONAL else areas
            save_scenario(ws, user, scenario, projection, covered)
            st.toast(f"Saved scenario {scenario.name!r}.")


def compare_panel(ws: Workspace, user: User) -> None:
    """The saved scenarios the user may see, compared side by side, with downloads."""
    saved = list_scenarios(ws, user)
    if saved.empty:
        st.caption("No saved scenarios yet.")
        return
    refs: dict[str, str | tuple[str, str]] = {
        (row.name if row.owner == user.username else f"{row.name} ({row.owner})"): (
            row.name if row.owner == user.username else (row.owner, row.name)
        )
        for row in saved.itertuples()
    }
    names = st.multiselect("Compare saved scenarios", list(refs), key="demand_compare")
    st.dataframe(saved.drop(columns=["editable"]), hide_index=True, width="stretch")
    own = saved.loc[saved["owner"] == user.username, "name"].tolist()
    if own:
        manage_panel(ws, user, own)
    if not names:
        return
    with user_errors():
        comparison = compare_scenarios(ws, user, [refs[n] for n in names])
        chart = scenario_chart(comparison, "Saved scenarios compared")
        st.altair_chart(chart, width="stretch")
        st.dataframe(
            readable_summary(scenario_summary(comparison)), hide_index=True, width="stretch"
        )
        chart_menu(
            chart,
            comparison,
            "demand_compare",
            f"saved scenarios: {', '.join(names)}",
            projection=True,
        )


def manage_panel(ws: Workspace, user: User, own: list[str]) -> None:
    """Publish one of the user's scenarios to some areas, or delete it."""
    mine = user.allowed_areas
    options = list(mine) if mine is not None else [ALL_AREAS, *LCJB_AREAS]
    with st.expander("Publish or delete your scenarios", icon=":material/share:"):
        name = st.selectbox("Scenario", own, key="demand_manage")
        audience = st.multiselect(
            "Areas whose users may see it (empty: nobody)", options, key="demand_audience"
        )
        left, right = st.columns(2)
        with user_errors():
            if left.button("Publish", key="demand_publish", icon=":material/publish:"):
                publish_scenario(ws, user, name, audience)
                st.toast(f"Published {name!r} to {', '.join(audience) or 'nobody'}.")
            if right.button("Delete", key="demand_delete", icon=":material/delete:"):
                delete_scenario(ws, user, name)
                st.rerun()
