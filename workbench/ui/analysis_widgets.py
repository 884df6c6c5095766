"""Widgets shared by the Attrition, Timeliness, LCJB dashboard and Journeys pages."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from workbench.analysis.journeys.build import build_journeys
from workbench.analysis.measures.query import PERIODS, JourneyFilter
from workbench.analysis.views.scope import filter_options, journey_status, scoped_filter
from workbench.analysis.views.view import View
from workbench.charts import fit_width
from workbench.errors import AccessDeniedError
from workbench.publish.export.disclosure import ProtectArg, marked_protection
from workbench.publish.export.meta import TableMeta, journey_version, meta_from_chart
from workbench.ui.context import allowed_areas, user_errors, workspace
from workbench.ui.export_widgets import download_menu
from workbench.ui.login import acting_user
from workbench.ui.training_jobs import current_job, show_job_progress, start_quick_link
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
            return False
        job = current_job(ws)
        if job is not None and not job.done:
            show_job_progress(job)
            return False
        st.write(
            "Link the police, CPS and court datasets first: in one step with the suggested "
            "model (trained, made active and turned into journeys), or on the Train page."
        )
        if st.button("Link now with the suggested model", key=f"{key}_quick_link", type="primary"):
            with user_errors():
                start_quick_link(ws, actor=acting_user().username)
                st.rerun()
        st.page_link("pages/link_train.py", label="Go to Train", icon=":material/model_training:")
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


def view_protection(view: View) -> ProtectArg:
    """Disclosure control for a view's table export.

    A view computed with disclosure control (it has a note) has its hidden cells marked
    ``suppressed``: the export writes them as ``[c]`` and states what was done. A leader's table
    is always protected, even if the view was not.
    """
    if view.note is not None:
        return marked_protection
    return True if leader_view() else None


def view_downloads(
    view: View,
    key: str,
    filename: str,
    chart: alt.TopLevelMixin | None = None,
    title: str | None = None,
) -> None:
    """The Download popover of a view: its chart (if any) and its table, with data version.

    Args:
        view: The measure (its table and disclosure note).
        key: A key unique on the page; the page name for the audit log is its first part.
        filename: The file name the download is saved as (its extension is replaced).
        chart: The chart drawn from the view; its title and subtitle go on the files.
        title: The table's title when there is no chart.
    """
    version = journey_version(workspace())
    notes = (view.note,) if view.note else ()
    chart_meta = meta_from_chart(chart, version, notes) if chart is not None else None
    table_title = chart_meta.title if chart_meta else (title or filename.rsplit(".", 1)[0])
    download_menu(
        key,
        chart=chart,
        chart_meta=chart_meta,
        frame=view.table,
        table_meta=TableMeta(table_title, data_version=version, not_applicable=view.not_applicable),
        protect=view_protection(view),
        stem=filename.rsplit(".", 1)[0],
    )


def show_view(view: View, chart: alt.TopLevelMixin, key: str, filename: str) -> None:
    """A chart and its table on tabs, the Download popover and the disclosure note."""
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    chart_tab.altair_chart(fit_width(chart), width="stretch")
    table_tab.dataframe(view.table, hide_index=True, width="stretch", key=f"{key}_table")
    left, right = st.columns([1, 5], vertical_alignment="center")
    with left:
        view_downloads(view, key, filename, chart=chart)
    if view.note:
        right.caption(view.note)


def show_table(view: View, title: str, key: str, filename: str) -> None:
    """A table with its Download popover and the disclosure note."""
    labels = {col: st.column_config.Column(label) for col, label in view.screen_labels}
    st.dataframe(
        view.table, hide_index=True, width="stretch", key=f"{key}_table", column_config=labels
    )
    left, right = st.columns([1, 5], vertical_alignment="center")
    with left:
        view_downloads(view, key, filename, title=title)
    if view.note:
        right.caption(view.note)


def frame_downloads(frame: pd.DataFrame, title: str, key: str, filename: str) -> None:
    """The Download popover of a plain journey table (disclosure-controlled for leaders)."""
    view = View(frame, frame, None)
    view_downloads(view, key, filename, title=title)
