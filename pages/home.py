"""Start: what the workspace holds and what to do next."""

import streamlit as st

from workbench.catalogue import list_datasets
from workbench.datasets import load_sample, sample_available
from workbench.ui.context import user_errors, workspace

st.title("CJS Linkage Workbench")
st.caption(
    "Link police, CPS and court records about the same people, then explore victim attrition, "
    "case timeliness and demand by local criminal justice board area."
)
ws = workspace()
datasets = list_datasets(ws)
sources = [d for d in datasets if d.kind == "source"]
samples_loaded = any(d.is_sample for d in datasets)

left, middle, right = st.columns(3)
left.metric("Datasets", len(sources))
middle.metric("Records", f"{sum(d.row_count or 0 for d in sources):,}")
right.metric("Truth files", len([d for d in datasets if d.kind == "truth"]))

if not samples_loaded:
    st.subheader("Start with the sample")
    st.write(
        "The sample holds synthetic police crime records, CPS pre-charge decisions and court "
        "cases for all 42 LCJB areas since January 2019, with the true person behind every "
        "record kept in separate truth files."
    )
    if sample_available():
        if st.button("Load the sample data", key="load_sample", type="primary"):
            with user_errors(), st.spinner("Loading the sample data…"):
                loaded = load_sample(ws)
                st.success(f"Loaded {len(loaded)} sample datasets.")
                st.rerun()
    else:
        st.warning("The sample files are missing; run `workbench sample --out sample_data`.")

st.subheader("Next steps")
st.page_link("pages/catalogue.py", label="Browse the catalogue", icon=":material/dataset:")
st.page_link("pages/import_data.py", label="Import your own extract", icon=":material/upload:")
st.page_link("pages/roles.py", label="Map columns to person roles", icon=":material/badge:")
st.page_link("pages/explore.py", label="Explore records over time", icon=":material/query_stats:")
