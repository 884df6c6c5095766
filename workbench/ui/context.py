"""Shared Streamlit plumbing: the open workspace, error display and small widgets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from workbench.config import load_settings, shared_mode
from workbench.data.catalogue import DatasetInfo, list_datasets
from workbench.errors import WorkbenchError, WorkspaceBusyError, WorkspaceError
from workbench.workspace import Workspace

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _open_workspace(path: str) -> Workspace:
    return Workspace(path)


def workspace() -> Workspace:
    """The workspace this app serves, opened once per server process."""
    return _open_workspace(str(load_settings().workspace.resolve()))


BUSY_MESSAGE = (
    "The workbench is busy: its workspace is in use by another program. "
    "Try again in a few minutes; if this lasts, tell the administrator."
)
UNAVAILABLE_MESSAGE = (
    "The workbench cannot open its workspace just now. Tell the administrator; "
    "the server's log says why."
)


def open_workspace_or_stop() -> Workspace:
    """The workspace, or one plain message and the end of the run when it cannot be opened.

    In shared mode the message names no file or path (visitors are not logged in yet); the
    details go to the server's log. In local mode the analyst sees the full reason.
    """
    try:
        return workspace()
    except WorkspaceError as exc:
        log.error("cannot open the workspace: %s", exc)
        if not shared_mode():
            st.error(str(exc), icon=":material/error:")
        elif isinstance(exc, WorkspaceBusyError):
            st.error(BUSY_MESSAGE, icon=":material/hourglass_top:")
        else:
            st.error(UNAVAILABLE_MESSAGE, icon=":material/error:")
        st.stop()


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a workbench error as a message on the page instead of a traceback."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(str(exc), icon=":material/error:")


def pick_dataset(
    ws: Workspace, key: str, kind: str | None = "source", label: str = "Dataset"
) -> DatasetInfo | None:
    """A dataset select box remembering the choice across pages; None when there are none."""
    items = list_datasets(ws, kind=kind)
    if not items:
        st.info(
            "The workspace holds no datasets yet. Load the sample data or import a file.",
            icon=":material/info:",
        )
        st.page_link("pages/import_data.py", label="Import data", icon=":material/upload:")
        return None
    names = [d.name for d in items]
    remembered = st.session_state.get("current_dataset")
    if key not in st.session_state and remembered in names:
        st.session_state[key] = remembered
    choice = st.selectbox(
        label,
        names,
        key=key,
        format_func=lambda n: next(
            (f"{d.name} — {d.title}" for d in items if d.name == n and d.title), n
        ),
    )
    st.session_state["current_dataset"] = choice
    return next(d for d in items if d.name == choice)


def allowed_areas() -> list[str] | None:
    """The LCJB areas the current user may see; None means every area.

    One analyst on their own machine (local mode) sees every area. Pages pass this to the
    measure functions as the area filter and offer only these areas in their widgets.
    """
    return st.session_state.get("_allowed_areas")
