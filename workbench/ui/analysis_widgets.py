"""Widgets shared by the Attrition, Timeliness, LCJB dashboard and Journeys pages."""

from __future__ import annotations

import altair as alt
import streamlit as st

from workbench.analysis import View, filter_options, journey_status, scoped_filter
from workbench.errors import AccessDeniedError
from workbench.journeys import build_journeys
from workbench.measures import PERIODS, JourneyFilter
from workbench.ui.context import allowed_areas
from workbench.workspace import Workspace

VICTIM_CHOICES = {"All offences": None, "Victim-based": True, "Not victim-based": False}


def leader_view() -> bool:
    """Whether the current user is a leader: aggregates only, always disclosure-controlled."""
    return bool(st.session_state.get("_leader_view"))


def journey_gate(ws: Workspace, key: str) -> bool:
    """Say whether the journeys can be measured; offer analysts a build. False: stop the page."""
    status = journey_status(ws)
    if status.state == "current":
        st.caption(f":material/check_circle: Linked journeys: {status.message}")
        return True
    if status.state == "no_model":
        st.info(status.message, icon=":material/info:")
        if leader_view():
            st.write("The measures appear here once an analyst has linked the data.")
        else:
            st.write("Train a linkage model on the police, CPS and court datasets first.")
            st.page_link(
                "pages/link_train.py", label="Go to Train", icon=":material/model_training:"
            )
        return False
    if leader_view():
        st.info(
            f"{status.message} An analyst needs to rebuild them; the figures below are from the "
            "last build."
            if status.usable
            else f"{status.message} An analyst needs to build them before the measures appear.",
            icon=":material/info:",
        )
        return status.usable
    st.warning(status.message, icon=":material/warning:")
    if st.button("Build the journeys now", key=f"{key}_build", type="primary"):
        with st.spinner("Building the linked journeys…"):
            built = build_journeys(ws)
        st.success(f"Built {built.journeys:,} journeys in {built.seconds:.1f} s.")
        st.rerun()
    return status.usable


def journey_filters(ws: Workspace, key: str, period: bool = True) -> tuple[JourneyFilter, str]:
    """Area (only the allowed ones), offence group, court type, victim-based and period."""
    allowed = allowed_areas()
    options = filter_options(ws, allowed)
    if allowed is not None and not options["areas"]:
        raise AccessDeniedError("None of your areas has any journeys yet.")
    with st.container(border=True):
        a, b, c, d, e = st.columns([3, 3, 2, 2, 1.5])
        areas = a.multiselect(
            "Area", options["areas"], key=f"{key}_areas", placeholder="All your areas"
        )
        groups = b.multiselect(
            "Offence group", options["offence_groups"], key=f"{key}_groups", placeholder="All"
        )
        courts = c.multiselect(
            "Court type", options["court_types"], key=f"{key}_courts", placeholder="All"
        )
        victim = d.selectbox("Offences", list(VICTIM_CHOICES), key=f"{key}_victim")
        chosen_period = (
            e.selectbox("Period", PERIODS[1:], index=2, key=f"{key}_period") if period else "year"
        )
    where = scoped_filter(allowed, areas, groups, courts, VICTIM_CHOICES[victim])
    return where, chosen_period


def selection_label(where: JourneyFilter) -> str:
    """A short name for the filtered selection, for chart labels."""
    if len(where.areas) == 1:
        return where.areas[0]
    if where.areas:
        return f"{len(where.areas)} areas"
    return "All areas"


def show_view(view: View, chart: alt.TopLevelMixin, key: str, filename: str) -> None:
    """A chart and its table on tabs, the table's CSV download and the disclosure note."""
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    chart_tab.altair_chart(chart, width="stretch")
    table_tab.dataframe(view.table, hide_index=True, width="stretch", key=f"{key}_table")
    left, right = st.columns([1, 3])
    left.download_button(
        "Download table (CSV)",
        view.csv(),
        file_name=filename,
        mime="text/csv",
        key=f"{key}_download",
        icon=":material/download:",
    )
    if view.note:
        right.caption(view.note)
