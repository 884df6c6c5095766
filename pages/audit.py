"""Audit log: who did what, and when."""

import streamlit as st

from workbench.access.users import audit_csv
from workbench.ui.context import workspace
from workbench.ui.export_widgets import audited
from workbench.ui.login import acting_user

st.title("Audit log")
st.caption(
    "Imports, metadata and role changes and other actions, newest first. Append-only. "
    "Names typed at the login that are no user's appear only as “unknown user (…)”."
)
ws = workspace()
limit = st.number_input("Entries", min_value=10, max_value=10_000, value=500, key="audit_limit")
log_frame = ws.audit_log(limit=int(limit))
if log_frame.empty:
    st.info("Nothing has been logged yet.")
    st.stop()
actions = sorted(log_frame["action"].unique())
chosen = st.multiselect("Actions", actions, default=actions, key="audit_actions")
shown = log_frame[log_frame["action"].isin(chosen)]
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "id": "Entry",
        "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY HH:mm:ss"),
        "actor": "Who",
        "action": "Action",
        "target": "Target",
        "detail": "Detail",
    },
)
st.download_button(
    "Download (CSV)",
    data=audited(
        ws,
        lambda: audit_csv(shown),
        title="audit log",
        fmt="csv",
        page="pages/audit.py",
        rows=len(shown),
        actor=acting_user().username,
    ),
    file_name="audit_log.csv",
    mime="text/csv",
    on_click="ignore",
    key="audit_download",
)
