"""LCJB dashboard: one area's headline measures, change on a year earlier and the national view."""

import streamlit as st

from workbench.analysis import charts as mc
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.views.cards import card_groups, kpi_cards, series_table
from workbench.analysis.views.dashboard import dashboard_headlines, dashboard_kpis
from workbench.analysis.views.scope import filter_options
from workbench.analysis.views.view import MEASURES, View
from workbench.ui.analysis_widgets import journey_gate, leader_view, show_view
from workbench.ui.context import allowed_areas, user_errors, workspace
from workbench.ui.story_add import TWO, add_to_story_button

st.title("LCJB dashboard")
ws = workspace()
if not journey_gate(ws, key="dashboard"):
    st.stop()

with user_errors():
    areas = filter_options(ws, allowed_areas())["areas"]
    if not areas:
        st.info("There are no journeys in any of your areas yet.", icon=":material/info:")
        st.stop()
    left, right = st.columns([3, 1])
    area = left.selectbox("Area", areas, key="dashboard_area")
    period = right.selectbox("Compare", ["year", "quarter"], key="dashboard_period")
    protect = leader_view()
    kpis, series, note = dashboard_kpis(ws, area, period, protect)
    if kpis.empty:
        st.info(f"There are no complete periods for {area} yet.", icon=":material/info:")
        st.stop()

    st.subheader(f"{area}, {kpis['period_label'].iloc[0]}")
    st.caption(
        f"Each card shows the latest complete {period} of its measure (offence cohorts still "
        "open are provisional and left out)"
        + ("; rolling 12 months beside each quarter." if period == "quarter" else ".")
    )
    for heading, group in card_groups(kpi_cards(kpis)):
        st.markdown(f"**{heading}**")
        for card, kpi in zip(st.columns(max(3, len(group))), group, strict=False):
            card.metric(
                kpi.label,
                kpi.value,
                delta=kpi.delta,
                delta_color=kpi.delta_color,
                delta_arrow=kpi.delta_arrow,
                help=kpi.help,
                border=True,
            )
            card.caption(f"{kpi.base}. {kpi.national}")
            if kpi.context:
                card.caption(kpi.context)
    st.caption(
        f"Arrows: change on the same {period} a year earlier (pts: percentage points; median "
        "days for the stage times), coloured only when larger than its 95% uncertainty. "
        "Provisional periods (cases still open) are never used here. "
        f"{note or ''}"
    )

    st.subheader("Headlines")
    st.markdown("\n".join(f"- {line}" for line in dashboard_headlines(kpis)))
    with st.container(horizontal=True):
        add_to_story_button(
            ws,
            "attrition_funnel",
            JourneyFilter(areas=(area,)),
            key="dashboard_funnel",
            label=f"Add {area}'s attrition to a story",
        )
        add_to_story_button(
            ws,
            "timeliness",
            JourneyFilter(areas=(area,)),
            key="dashboard_times",
            label=f"Add {area}'s timeliness to a story",
        )

    st.subheader("Trends")
    view = View(series, series_table(series), note)
    show_view(
        view,
        mc.small_multiples(
            series,
            f"{area} against national, by {period}",
            f"Solid line with circles: {area}; dashed line with triangles: national (all areas)",
            {k: v[1] for k, v in MEASURES.items()},
        ),
        key="dashboard_trends",
        filename=f"dashboard_{area.lower().replace(' ', '_')}_{period}.csv",
    )
    add_to_story_button(
        ws,
        "dashboard_trends",
        JourneyFilter(areas=(area,)),
        "dashboard_trends",
        kinds=TWO,
        label=f"Add {area}'s trends to a story",
        period=period,
    )

with st.expander("Definitions"):
    st.markdown(
        """
- **Period**: for each measure, the last whole year or quarter that is not provisional (offence
  cohorts need time for their cases to be charged and completed; the windows are measured from
  the journeys); arrows compare it with the same period a year earlier, and say "no clear
  change" unless the change is larger than its 95% uncertainty.
- **Rank**: the area's place among all areas with a value for the same period (areas whose value
  is suppressed or withheld are left out). **Rolling 12 months**: the four quarters ending with
  the quarter shown.
- **Court types apart**: timeliness is shown for magistrates' courts and the Crown Court
  separately, never mixed.
- **Charge rate**: recorded crimes charged or summonsed, by the period of the offence (recent
  periods are lower while their cases progress).
- **Victim does not support action**: recorded crimes closed with that police outcome.
- **Conviction rate**: completed court cases that ended in a conviction.
- **Median days**: the middle case's days between the two stages, by the period the stage ended.
- **National**: every area in the journey table.
- **Disclosure control** (always applied for leaders): values based on fewer than 10 cases are
  reported as *too few cases to report*. For everyone, rates and medians from fewer than the
  minimum base (30 cases unless changed) are withheld, with the reason.
"""
    )
