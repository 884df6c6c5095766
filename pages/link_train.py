"""Train: estimate the model's parameters, score pairs, cluster and save a model version."""

import streamlit as st

from linkage.clusters.registry import get_model
from linkage.model.model_tables import em_sessions_table, metrics_table
from linkage.model.spec_table import with_link_type
from linkage.quality.evaluate import PEOPLE_LABELS
from linkage.quality.findings import saved_report
from workbench.formatting import format_count, format_seconds
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import (
    choose_backend,
    choose_datasets,
    choose_link_type,
    draft_or_suggestion,
    health_panel,
)
from workbench.ui.login import acting_user
from workbench.ui.training_jobs import current_job, show_job_progress, start_training

st.title("Train a linkage model")
st.caption(
    "Training estimates how much each kind of agreement says about two records being the same "
    "person, then scores the pairs and groups them into people. Each run is saved as a version."
)
ws = workspace()
job = current_job(ws)
if job is not None and not job.done:
    show_job_progress(job)
    st.stop()

datasets = choose_datasets(ws, key="train_datasets")
spec = None
with user_errors():
    spec, is_draft = draft_or_suggestion(ws, datasets)
    st.caption(
        "Training your saved draft from the Configure page."
        if is_draft
        else "Training the suggested model; change it on the Configure page first if you wish."
    )
if spec is None:
    st.stop()
st.page_link("pages/link_configure.py", label="Configure the model", icon=":material/tune:")

left, middle, backend_col, right = st.columns([2, 2, 1.4, 1])
with left:
    link_type = choose_link_type("train_link_type", spec.link_type, len(datasets))
name = middle.text_input("Model name", value=" + ".join(datasets), key="train_name")
with backend_col:
    backend = choose_backend("train_backend")
threshold = right.number_input(
    "Threshold",
    min_value=0.01,
    max_value=0.999,
    value=None,
    step=0.01,
    placeholder="chosen",
    key="train_threshold",
    help="Match probability at which two records are linked. Left empty, it is chosen from "
    "the model: where it expects the best clusters. Change it later on the Threshold and "
    "clusters page without retraining.",
)
if st.button("Train", key="train_start", type="primary", icon=":material/play_arrow:"):
    with user_errors():
        start_training(
            ws,
            datasets,
            with_link_type(spec, link_type),
            name=name.strip() or "model",
            threshold=None if threshold is None else float(threshold),
            actor=acting_user().username,
            backend=backend,
        )
        st.rerun()

if job is None:
    st.stop()
st.divider()
if job.error:
    st.error(f"Training {job.name} failed. {job.error}", icon=":material/error:")
    st.stop()
run = job.run
st.success(
    f"Trained {job.name} in {format_seconds(run.seconds)} and saved it as a new version.",
    icon=":material/check_circle:",
)
cols = st.columns(3) + st.columns(3)  # two rows, so the long labels are never cut
cols[0].metric("Records", format_count(run.summary.n_records))
cols[1].metric(
    PEOPLE_LABELS["n_people"],
    format_count(run.metrics.get("n_people", run.summary.n_clusters)),
    help="Clusters holding at least one record that names or describes a person.",
)
cols[2].metric(
    PEOPLE_LABELS["n_records_without_person"],
    format_count(run.metrics.get("n_records_without_person", 0)),
    help="Records with every person column empty; they are not counted as people.",
)
cols[3].metric("Records linked", format_count(run.summary.records_linked))
cols[4].metric("Largest cluster", format_count(run.summary.largest))
if run.metrics.get("threshold_reason"):
    st.caption(run.metrics["threshold_reason"])
if run.warnings:
    with st.expander(f"{len(run.warnings)} training warnings", icon=":material/warning:"):
        for warning in run.warnings:
            st.warning(warning)
health_panel(saved_report(run.metrics))
with user_errors():
    model = get_model(ws, run.model_id)
    st.subheader("Training sessions")
    st.caption(
        "Expectation maximisation runs once per training rule; each session leaves the rule's "
        "own columns out, so every column is estimated at least once."
    )
    st.dataframe(em_sessions_table(model["metrics"]), hide_index=True, width="stretch")
    quality = metrics_table(run.metrics)
    if not quality.empty:
        st.subheader("Quality")
        st.dataframe(quality, hide_index=True)
st.page_link("pages/link_inspect.py", label="Inspect the model", icon=":material/insights:")
st.page_link("pages/link_clusters.py", label="Choose a threshold", icon=":material/tune:")
