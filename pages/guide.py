"""Guide: the workflow, the person roles and the CJS terms the workbench uses."""

import streamlit as st

from workbench.guide import GUIDE_SECTIONS, roles_glossary

st.title("Guide")
for heading, body in GUIDE_SECTIONS:
    st.subheader(heading)
    st.markdown(body)
st.subheader("Person roles")
st.dataframe(roles_glossary(), hide_index=True, width="stretch")
