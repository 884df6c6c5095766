"""Attrition: how many recorded crimes reach charge, court and conviction, and why cases leave."""

import streamlit as st

from workbench import analysis as an
from workbench import measure_charts as mc
from workbench.ui.analysis_widgets import (
    journey_filters,
    journey_gate,
    leader_view,
    selection_label,
    show_view,
)
from workbench.ui.context import user_errors, workspace

st.title("Victim attrition")
ws = workspace()
if not journey_gate(ws, key="attrition"):
    st.stop()

with user_errors():
    where, period = journey_filters(ws, key="attrition")
    protect = leader_view()
    name = selection_label(where)

    st.subheader("From crime recorded to conviction")
    funnel = an.funnel_view(ws, where, protect)
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

    st.subheader("Why cases leave")
    reasons = an.reasons_view(ws, where, protect)
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

    st.subheader("Charge rate over time")
    trend = an.trend_view(ws, where, "charge_rate", period, protect, label=name)
    show_view(
        trend,
        mc.trend_chart(
            trend.data,
            f"Charge rate by {period} of offence: {name} against national",
            "Share of recorded crimes charged or summonsed; dashed line: national (all areas, "
            "same filters)",
            "rate",
            "Charge rate",
        ),
        key="attrition_trend",
        filename=f"charge_rate_by_{period}.csv",
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
- **Period**: the period the offence was committed in. Recent periods look lower because their
  cases have not yet had time to reach charge or court.
- **National**: every area in the journey table with the same offence, court and victim filters.
- **Disclosure control** (always applied for leaders): counts under 10 and rates based on fewer
  than 10 cases are shown as *suppressed*.
"""
    )
