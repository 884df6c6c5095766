"""Widgets of the Demand page: one forecast with its accuracy, and the scenario panel."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from workbench.forecast import NATIONAL, SeriesForecast, forecasts_frame, metrics_frame
from workbench.forecast_charts import forecast_chart, scenario_chart
from workbench.scenarios import (
    Scenario,
    compare_scenarios,
    court_state,
    list_scenarios,
    project_with_baseline,
    save_scenario,
    scenario_summary,
    scenarios_csv,
)
from workbench.ui.context import user_errors
from workbench.workspace import Workspace


def show_forecast(result: SeriesForecast) -> None:
    """One series: the chart, MASE against the baseline and coverage, or why there is none."""
    if not result.ok:
        st.warning(
            f"No forecast for **{result.area}** ({result.court_type}): {result.reason} "
            "Try a monthly frequency, a shorter horizon or several areas combined.",
            icon=":material/info:",
        )
        return
    chart_col, metric_col = st.columns([3, 1])
    chart_col.altair_chart(forecast_chart(result), width="stretch")
    metric_col.metric("MASE (model)", f"{result.mase:.2f}")
    metric_col.metric(
        "MASE (seasonal naive)",
        f"{result.baseline_mase:.2f}",
        delta=f"{result.mase - result.baseline_mase:+.2f} model vs baseline",
        delta_color="inverse",
    )
    metric_col.metric(
        f"Interval coverage (aim {result.settings.interval_width:.0%})", f"{result.coverage:.0%}"
    )
    if result.beats_baseline:
        st.success(result.verdict, icon=":material/check_circle:")
    else:
        st.warning(result.verdict, icon=":material/warning:")


def show_tables(results: list[SeriesForecast], key: str) -> None:
    """Table views of forecasts and backtest metrics, with CSV downloads."""
    table = forecasts_frame(results)
    metrics = metrics_frame(results)
    with st.expander("Table view", icon=":material/table:"):
        st.dataframe(metrics, hide_index=True, width="stretch")
        st.dataframe(table, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.download_button(
            "Download forecasts (CSV)",
            table.to_csv(index=False).encode("utf-8"),
            file_name="demand_forecasts.csv",
            mime="text/csv",
            key=f"{key}_csv",
        )
        right.download_button(
            "Download backtest metrics (CSV)",
            metrics.to_csv(index=False).encode("utf-8"),
            file_name="demand_backtests.csv",
            mime="text/csv",
            key=f"{key}_metrics_csv",
        )


def scenario_panel(ws: Workspace, result: SeriesForecast, table: str, areas: list[str]) -> None:
    """What-if controls for one forecast, the projection against the baseline, and saving."""
    last = pd.Timestamp(result.history["period"].iloc[-1]).date()
    state = court_state(
        ws, table, last, None if result.area == NATIONAL else areas, result.court_type
    )
    st.caption(
        f"On {last:%d %b %Y}: {state.outstanding:,.0f} cases outstanding; "
        f"{state.disposals_per_week:.1f} disposals a week over the last 13 weeks."
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
        st.altair_chart(
            scenario_chart(
                projection, f"Outstanding caseload, {result.area} ({result.court_type})"
            ),
            width="stretch",
        )
        st.dataframe(scenario_summary(projection), hide_index=True, width="stretch")
        name_col, save_col = st.columns([3, 1])
        name_col.text_input("Scenario name", key="demand_name", placeholder="e.g. 10% more charges")
        if save_col.button("Save scenario", key="demand_save", icon=":material/save:"):
            save_scenario(ws, scenario, projection)
            st.toast(f"Saved scenario {scenario.name!r}.")


def compare_panel(ws: Workspace) -> None:
    """Saved scenarios compared side by side, with a CSV download."""
    saved = list_scenarios(ws)
    if saved.empty:
        st.caption("No saved scenarios yet.")
        return
    names = st.multiselect("Compare saved scenarios", saved["name"].tolist(), key="demand_compare")
    st.dataframe(saved, hide_index=True, width="stretch")
    if not names:
        return
    with user_errors():
        comparison = compare_scenarios(ws, names)
        st.altair_chart(scenario_chart(comparison, "Saved scenarios compared"), width="stretch")
        st.dataframe(scenario_summary(comparison), hide_index=True, width="stretch")
        st.download_button(
            "Download comparison (CSV)",
            scenarios_csv(comparison),
            file_name="demand_scenarios.csv",
            mime="text/csv",
            key="demand_compare_csv",
        )
