"""Timeliness: days between the stages of a case, their distribution and trend, open caseload."""

import streamlit as st

from workbench.analysis import charts as mc
from workbench.analysis.measures.timeliness import INTERVALS
from workbench.analysis.views.scope import (
    court_filter,
    court_name,
    court_title,
    court_types,
    data_end,
)
from workbench.analysis.views.series import national_line, trend_view
from workbench.analysis.views.timeliness import caseload_view, distribution_view, timeliness_view
from workbench.analysis.views.windows import maturity_note
from workbench.ui.analysis_widgets import (
    journey_filters,
    journey_gate,
    leader_view,
    selection_label,
    show_table,
    show_view,
)
from workbench.ui.context import user_errors, workspace
from workbench.ui.story_add import TWO, add_to_story_button

st.title("Case timeliness")
ws = workspace()
if not journey_gate(ws, key="timeliness"):
    st.stop()

with user_errors():
    where, period = journey_filters(ws, key="timeliness")
    protect = leader_view()
    name = selection_label(where)

    st.subheader("Days for each stage")
    summary = timeliness_view(ws, where, protect)
    show_table(
        summary,
        f"Days for each stage: {name}",
        key="timeliness_summary",
        filename="timeliness_summary.csv",
    )
    add_to_story_button(ws, "timeliness", where, key="timeliness_summary", kind="table")

    interval = st.selectbox(
        "Stage",
        list(INTERVALS),
        index=3,
        format_func=lambda k: INTERVALS[k][2],
        key="timeliness_interval",
    )
    label = INTERVALS[interval][2]
    courts = court_types(ws, where)
    tabs = st.tabs([court_title(c) for c in courts])
    for i, (tab, court) in enumerate(zip(tabs, courts, strict=True)):
        suffix = "" if i == 0 else f"_{court}"
        with tab:
            here = court_filter(where, court)
            st.subheader(f"{label} at {court_name(court)}: distribution")
            dist, median = distribution_view(ws, interval, here, protect)
            show_view(
                dist,
                mc.distribution_chart(
                    dist.data,
                    median,
                    f"{label}, days, {court} cases: {name}",
                    "Cases by days taken, in 30-day bins (the last bin holds 3 years or more); "
                    "dashed line: median",
                ),
                key=f"timeliness_distribution{suffix}",
                filename=f"{interval}_{court}_distribution.csv",
            )
            add_to_story_button(
                ws,
                "timeliness_distribution",
                here,
                f"timeliness_distribution{suffix}",
                kinds=TWO,
                interval=interval,
            )
            st.subheader(f"{label} at {court_name(court)}: median over time")
            trend = trend_view(ws, here, f"median_{interval}", period, protect, label=name)
            show_view(
                trend,
                mc.trend_chart(
                    trend.data,
                    f"Median days, {label.lower()}, {court} cases, by {period}: {name}",
                    f"By the {period} the stage ended; shaded: 95% interval" + national_line(here),
                    "days",
                    "Median days",
                ),
                key=f"timeliness_trend{suffix}",
                filename=f"median_{interval}_{court}_by_{period}.csv",
            )
            st.caption(maturity_note(ws, here, f"median_{interval}", period))
            add_to_story_button(
                ws,
                "measure_trend",
                here,
                f"timeliness_trend{suffix}",
                kinds=TWO,
                measure=f"median_{interval}",
                period=period,
            )

    at = data_end(ws)
    st.subheader(f"Outstanding caseload at {at:%d %B %Y}")
    load = caseload_view(ws, at, where, protect)
    show_view(
        load,
        mc.caseload_chart(
            load.data,
            f"Cases open at court on {at:%d %B %Y}: {name}",
            "Cases that had a first hearing and were not completed, by time since first hearing",
        ),
        key="timeliness_caseload",
        filename="outstanding_caseload.csv",
    )
    add_to_story_button(ws, "outstanding_caseload", where, "timeliness_caseload", kinds=TWO)

with st.expander("Definitions"):
    st.markdown(
        """
- **Intervals** are whole days between two dates of the same case: offence to charge, charge to
  first hearing, first hearing to completion and offence to completion. Cases with a missing or
  reversed date are left out of that interval.
- **Median** is the middle case; **p25/p75/p90** are the 25th, 75th and 90th percentiles. Stage
  times have long right tails, so the mean is above the median.
- **Court types apart**: every figure is for magistrates' courts or the Crown Court, never both
  together (as in the Criminal Court Statistics Quarterly); offence to charge for cases not yet
  at court is its own row.
- **Period** of an interval is the period in which it ended. Periods starting so soon after the
  data begins that slow cases (which started before it) are missing are marked **early**.
- **Uncertainty**: each median has a 95% interval from the order statistics (binomial ranks);
  medians from fewer than the minimum base (30 cases unless changed) are withheld for everyone.
- **Outstanding caseload**: cases with a first hearing on or before the date and not completed by
  then, at the last date in the data.
- **National**: every area in the journey table with the same offence, court and victim filters.
- **Disclosure control** (always applied for leaders): counts under 10, and medians and
  percentiles from fewer than 10 cases, are shown as *suppressed*.
"""
    )
