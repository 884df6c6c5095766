"""Threshold and clusters: choose where to draw the line, and see the people it makes."""

import streamlit as st

from linkage.charts import cluster_size_chart
from linkage.clusters.change_report import changes_table
from linkage.clusters.extract import add_extract
from linkage.clusters.recluster import people_in_clusters, recluster
from linkage.clusters.registry import get_model
from linkage.model.linkers import load_linker
from linkage.model.predict import flag_suspicious_clusters
from linkage.model.result_tables import cluster_choices, cluster_members, suspicious_view
from linkage.quality.evaluate import PEOPLE_LABELS
from workbench.data.importer import read_file
from workbench.formatting import format_count
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import (
    SUSPICIOUS_COLUMNS,
    chart_and_table,
    choose_model,
    readable_records,
    stored_pairs,
)

st.title("Threshold and clusters")
st.caption(
    "Two records are linked when their match probability reaches the threshold; linked records "
    "form clusters, one per person. Moving the threshold re-groups the stored scores at once."
)
ws = workspace()
model_id = choose_model(ws, key="clusters_model")
result = None
with user_errors():
    saved = get_model(ws, model_id)
    stored = saved.get("threshold") or 0.9
    threshold = st.slider(
        "Threshold (match probability)",
        min_value=0.05,
        max_value=0.999,
        value=float(stored),
        step=0.005,
        format="%.3f",
        key=f"clusters_threshold_{model_id}",
    )
    clusters, summary = result = recluster(ws, model_id, threshold)
    people = people_in_clusters(ws, model_id, clusters)
if result is None:
    st.stop()

cols = st.columns(3) + st.columns(3)  # two rows, so the long labels are never cut
cols[0].metric("Records", format_count(summary.n_records))
cols[1].metric(PEOPLE_LABELS["n_people"], format_count(people["n_people"]))
cols[2].metric(
    PEOPLE_LABELS["n_records_without_person"], format_count(people["n_records_without_person"])
)
cols[3].metric("Records linked", format_count(summary.records_linked))
cols[4].metric("Largest cluster", format_count(summary.largest))
st.caption(f"The stored clusters use threshold {stored:.3f}.")
if st.button(
    f"Use threshold {threshold:.3f}",
    key="clusters_use",
    type="primary",
    disabled=abs(threshold - stored) < 1e-9,
    icon=":material/check:",
    help="Store these clusters in the workspace for journeys and the rest of the workbench.",
):
    with user_errors():
        recluster(ws, model_id, threshold, store=True)
        st.success(f"Clusters at {threshold:.3f} stored.", icon=":material/check_circle:")
        st.rerun()

with st.expander("Add a new extract", icon=":material/upload_file:"):
    st.caption(
        "Link a new extract of one of this model's datasets into its people: only pairs with a "
        "new record are scored, and everyone keeps their id unless new records merge or split "
        "them. A record whose id is already in the dataset replaces it. Journeys rebuild."
    )
    source = st.selectbox("Dataset", saved.get("datasets") or [], key="clusters_extract_source")
    upload = st.file_uploader("Extract", key="clusters_extract_file")
    if st.button("Add and refresh", key="clusters_extract_add", disabled=upload is None):
        with user_errors(), st.spinner("Refreshing the clusters"):
            frame = read_file(upload.getvalue(), filename=upload.name)
            report = add_extract(ws, model_id, source, frame)
            st.session_state["clusters_report"] = (model_id, report)
            st.rerun()
    shown, report = st.session_state.get("clusters_report", (None, None))
    if report is not None and shown == model_id:
        counts = st.columns(4)
        counts[0].metric("New people", format_count(len(report.new_people)))
        counts[1].metric("People with new records", format_count(len(report.added)))
        counts[2].metric("Merges", format_count(len(report.merges)))
        counts[3].metric("Splits", format_count(len(report.splits)))
        c = report.counts
        st.caption(
            f"{format_count(c['records_new'])} records added, "
            f"{format_count(c['records_replaced'])} replacing earlier versions; "
            f"{format_count(c['records_moved'])} earlier records changed person id."
        )
        changes = changes_table(report)
        if changes.empty:
            st.success("No one was merged or split.", icon=":material/check_circle:")
        else:
            st.dataframe(changes, hide_index=True, key="clusters_changes")

chart_and_table(
    cluster_size_chart(summary.size_distribution), summary.size_distribution, key="clusters_size"
)

st.subheader("Clusters to check")
suspicious = None
with user_errors():
    suspicious = flag_suspicious_clusters(clusters, stored_pairs(ws, model_id), threshold)
if suspicious is not None and suspicious.empty:
    st.success("No cluster looks suspicious at this threshold.", icon=":material/check_circle:")
elif suspicious is not None:
    one = len(suspicious) == 1
    st.warning(
        f"{len(suspicious):,} {'cluster is' if one else 'clusters are'} very large or loosely "
        "linked: a single wrong link can chain two people together. Raise the threshold or "
        f"open {'it' if one else 'them'} below.",
        icon=":material/warning:",
    )
    st.dataframe(
        suspicious_view(suspicious),
        hide_index=True,
        width="stretch",
        key="clusters_suspicious",
        column_config=SUSPICIOUS_COLUMNS,
    )

st.subheader("Records in a cluster")
choices = cluster_choices(clusters, suspicious)
if not choices:
    st.info("Every record stands alone at this threshold.", icon=":material/info:")
    st.stop()
cluster_id = st.selectbox(
    "Cluster",
    list(choices),
    key="clusters_pick",
    format_func=choices.__getitem__,
    help="Suspicious clusters first, then the largest.",
)
with user_errors():
    records = cluster_members(clusters, cluster_id, load_linker(ws, model_id).data.combined())
    st.dataframe(
        readable_records(records), hide_index=True, width="stretch", key="clusters_records"
    )
