"""A test page that shows what the access check left in session state."""

import streamlit as st

from workbench.ui.context import allowed_areas

st.title("Area probe")
st.markdown(f"areas={allowed_areas()!r}")
st.markdown(f"leader_view={st.session_state.get('_leader_view')!r}")
