"""CJS Linkage Workbench: the Streamlit entry point (`make run`, `workbench serve`).

Every run starts here (``workbench.ui.server`` switches off direct runs of ``pages/``): in shared
mode the login check comes first, and only the pages the user may open are registered.
"""

import streamlit as st

from workbench.ui.context import open_workspace_or_stop
from workbench.ui.login import audit_page_view, audit_refused_url, render_account, require_login
from workbench.ui.navigation import (
    FAVICON,
    build_pages,
    pages_for,
    progress_marks,
    render_sidebar,
    shows_progress,
)

st.set_page_config(
    page_title="CJS Linkage Workbench",
    page_icon=str(FAVICON),
    layout="wide",
    initial_sidebar_state="auto",
)
ws = open_workspace_or_stop()
user = require_login(ws)
allowed = pages_for(user)
if not allowed:
    st.info("There is nothing here for your account yet. Ask an admin.", icon=":material/info:")
    render_account(ws, user)
    st.stop()
sections = build_pages(allowed)
current = st.navigation(sections, position="hidden")
render_sidebar(sections, progress_marks(ws) if shows_progress(user) else None)
render_account(ws, user)
audit_refused_url(ws, user, allowed)
audit_page_view(ws, user, next((p for p in allowed if p.title == current.title), None))
current.run()
