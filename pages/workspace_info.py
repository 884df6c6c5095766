"""Workspace: where the data lives and what it holds."""

import streamlit as st

from workbench.data.catalogue import dataset_count
from workbench.ui.context import workspace

st.title("Workspace")
ws = workspace()
summary = ws.summary()
st.write(
    "Everything the workbench keeps — datasets, catalogue, column roles, the audit log — is in "
    "one DuckDB file. Back it up by copying the file while the app is stopped."
)
left, middle, right = st.columns(3)
left.metric("Datasets and truth files", dataset_count(ws))
middle.metric("Size", f"{summary['size_mb']:.1f} MB")
right.metric("Schema version", summary["schema_version"])
st.code(str(summary["path"]), language=None)
st.caption("Set WORKBENCH_WORKSPACE (or `--workspace` on the command line) to use another file.")
