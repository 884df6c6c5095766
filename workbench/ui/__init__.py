"""The Streamlit layer: the only part of ``workbench`` that imports Streamlit."""
