"""CJS Linkage Workbench: the Streamlit entry point (`make run`)."""

import streamlit as st

from workbench.ui.navigation import build_pages, render_sidebar

st.set_page_config(
    page_title="CJS Linkage Workbench",
    page_icon=":material/hub:",
    layout="wide",
    initial_sidebar_state="expanded",
)
sections = build_pages()
current = st.navigation(sections, position="hidden")
render_sidebar(sections)
current.run()
