"""Attrition: how many recorded crimes reach charge, court and conviction, and why cases leave."""

import streamlit as st

from workbench.analysis import charts as mc
from workbench.analysis.views.attrition import funnel_view, reasons_view
from workbench.analysis.views.series import national_line, trend_view
from workbench.analysis.views.view import MEASURES
from workbench.analysis.views.windows import COHORT_WINDOW, maturity_note
from workbench.ui.analysis_widgets import (
    journey_filters,
    journey_gate,
    leader_view,
    selection_label,
    show_view,
)
from workbench.ui.context import user_errors, workspace
from workbench.ui.story_add import TWO, add_to_story_button

st.title("Victim attrition")
ws = workspace()
if not journey_gate(ws, key="attrition"):
    st.stop()

with user_errors():
    where, period = journey_filters(ws, key="attrition")
    protect = leader_view()
    name = selection_label(where)

    st.subheader("From crime recorded to conviction")
    funnel = funnel_view(ws, where, protect)
    show_view(
        funnel,
        mc.funnel_chart(
            funnel.data,
            f"Attrition funnel: {name}",
            "Crimes recorded and how many reached each later stage, offences of all periods",
        ),
        key="attrition_funnel",
        filename="attrition_funnel.csv",
    )
    add_to_story_button(ws, "attrition_funnel", where, key="attrition_funnel", kinds=TWO)

    st.subheader("Why cases leave")
    reasons = reasons_view(ws, where, protect)
    show_view(
        reasons,
        mc.reasons_chart(
            reasons.data,
            f"Why recorded crimes did not end in a conviction: {name}",
            "Cases by police outcome, CPS decision or court result; the victim-does-not-support "
            "line is outlined and marked (highlighted)",
        ),
        key="attrition_reasons",
        filename="attrition_reasons.csv",
    )
    add_to_story_button(ws, "attrition_reasons", where, key="attrition_reasons", kinds=TWO)

    st.subheader("Rates over time, by period of offence")
    measure = st.selectbox(
        "Measure",
        list(COHORT_WINDOW),
        format_func=lambda k: MEASURES[k][0],
        key="attrition_measure",
    )
    label = MEASURES[measure][0]
    trend = trend_view(ws, where, measure, period, protect, label=name)
    show_view(
        trend,
        mc.trend_chart(
            trend.data,
            f"{label} by {period} of offence: {name}"
            + (" against national" if where.areas else ""),
            f"Shaded: 95% interval{national_line(where)}; hollow points: provisional or partial",
            "rate",
            label,
        ),
        key="attrition_trend",
        filename=f"{measure}_by_{period}.csv",
    )
    st.caption(maturity_note(ws, where, measure, period))
    add_to_story_button(
        ws, "measure_trend", where, "attrition_trend", kinds=TWO, measure=measure, period=period
    )

with st.expander("Definitions"):
    st.markdown(
        """
- **Crime recorded**: a journey that starts with a police record. Each later step counts the
  cases that reached it *and every step before it*: suspect identified, charged or summonsed,
  first hearing, completed at court, convicted.
- **Rate of previous** is each step's cases over the step before; **rate of recorded** is over
  the crimes recorded.
- **Why cases leave**: cases not charged leave with their police outcome type (the Home Office
  outcomes framework), so *evidential difficulties — victim does not support action* is its own
  line; charged cases leave while awaiting court, outstanding at court, or by their verdict.
- **Period**: the period the offence was committed in. A period is **provisional** until 90% of
  its cases that will ever be charged (or completed, for the conviction rate) have been, as
  measured from the journeys; provisional periods are drawn with hollow points and never used
  in headlines or changes. A first period that began before the data starts is **partial**.
- **Uncertainty**: each rate has a Wilson 95% interval (the shaded band), and its counts are in
  the table and tooltips. Rates from fewer than the minimum base (30 cases unless changed) are
  withheld for everyone.
- **National**: every area in the journey table with the same offence, court and victim filters.
- **Disclosure control** (always applied for leaders): counts under 10 and rates based on fewer
  than 10 cases are shown as *suppressed*.
"""
    )
