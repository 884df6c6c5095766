"""Demand: court receipts forecast per area and court type, backtests and what-if scenarios."""

import streamlit as st

from workbench.forecast.model.demand import (
    demand_areas,
    demand_table,
    forecast_selection,
    scenario_forecast,
)
from workbench.forecast.model.series import COURT_TYPES, NATIONAL, ForecastSettings
from workbench.forecast.model.tables import accuracy_sentence, metrics_frame
from workbench.publish.export.meta import journey_version
from workbench.ui.context import allowed_areas, user_errors, workspace
from workbench.ui.demand_widgets import (
    compare_panel,
    scenario_panel,
    show_forecast,
    show_tables,
    table_menu,
)
from workbench.ui.login import acting_user
from workbench.ui.story_add import DemandChoice

st.title("Demand forecasts")
st.caption(
    "Court receipts (first hearings) forecast with Prophet: yearly seasonality, England and "
    "Wales bank holidays, spring 2020 left out of fitting, from the first receipt to the data "
    "end. Accuracy comes from rolling-origin backtests against the seasonal naive baseline (the "
    "same period a year earlier); intervals are calibrated on those backtests. Series too "
    "sparse to model weekly are forecast monthly, and those too sparse monthly as counts."
)
ws = workspace()
table = demand_table(ws)
if table is None:
    st.info(
        "No forecast can be shown yet: there is no journey table to count court receipts "
        "from. Build the journeys first (link the sources and build journeys, or run "
        "`workbench forecast`, which builds them).",
        icon=":material/info:",
    )
    st.stop()

allowed = allowed_areas()
in_data = demand_areas(ws, table)
options = list(allowed) if allowed is not None else [NATIONAL, *in_data]
if not options:
    st.info("No forecast can be shown: no area has court receipts yet.", icon=":material/info:")
    st.stop()

left, middle, right = st.columns([2, 1, 1])
selection = left.multiselect("Areas", options, default=options[:1], key="demand_areas")
court = middle.selectbox("Court", COURT_TYPES, key="demand_court")
freq = right.radio("Periods", ["week", "month"], horizontal=True, key="demand_freq")
a, b = st.columns(2)
horizon = a.slider(
    "Horizon (periods ahead)",
    1,
    52 if freq == "week" else 24,
    13 if freq == "week" else 6,
    key="demand_horizon",
)
combine = b.checkbox(
    "Combine the selected areas", key="demand_combine", disabled=len(selection) < 2
)
settings = ForecastSettings(freq=freq, horizon=horizon)

results = []
if not selection:
    st.info("Pick one or more areas to see their forecast.", icon=":material/info:")
with user_errors():
    if selection:
        bar = st.progress(0.0, text="Forecasting…")
        results = forecast_selection(
            ws,
            selection,
            court,
            settings,
            allowed,
            combine,
            table,
            progress=lambda msg, frac: bar.progress(min(frac, 1.0), text=msg),
        )
        bar.empty()

version = journey_version(ws, table)
choice = DemandChoice(tuple(selection), court, freq, horizon, combine, table)
for result in results:
    show_forecast(result, version, ws, choice)
if results:
    show_tables(results, "demand_table", version, ws, choice)

st.subheader("All areas")
if st.button("Forecast every area", key="demand_all", icon=":material/public:"):
    with user_errors():
        bar = st.progress(0.0, text="Forecasting every area…")
        everything = forecast_selection(
            ws,
            [a for a in options if a != NATIONAL],
            court,
            settings,
            allowed,
            False,
            table,
            progress=lambda msg, frac: bar.progress(min(frac, 1.0), text=msg),
        )
        bar.empty()
        st.write(accuracy_sentence(everything))
        everywhere = metrics_frame(everything)
        st.dataframe(everywhere, hide_index=True, width="stretch")
        table_menu(everywhere, "Forecast accuracy in every area", "demand_all_metrics", version)

st.subheader("Scenarios")
target, covered = None, None
with user_errors():
    if results:
        target, covered = scenario_forecast(ws, results, selection, court, settings, allowed, table)
if target is None:
    st.info("Scenarios need a forecast: pick an area with one above.", icon=":material/info:")
else:
    st.caption(f"What if, for {target.area} ({target.court_type})? It covers every area picked.")
    scenario_panel(ws, acting_user(), target, table, covered or [], choice)
st.subheader("Saved scenarios")
compare_panel(ws, acting_user())
