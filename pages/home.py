"""Start: what the workspace holds and what to do next."""

import streamlit as st

from workbench.data.catalogue import list_datasets
from workbench.data.datasets import load_sample, sample_available
from workbench.progress import STATUS_LABELS, next_step, workflow_steps
from workbench.ui.context import user_errors, workspace
from workbench.ui.login import acting_user
from workbench.ui.training_jobs import current_job, show_job_progress, start_quick_link

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
        "cases for all 42 LCJB areas (figures reported from January 2019, with records from "
        "2015 so early cases are complete; three pilot areas — Greater Manchester, West "
        "Midlands and West Yorkshire — large enough for quarterly rates), with the true person "
        "behind every record kept in separate truth files."
    )
    if sample_available():
        if st.button("Load the sample data", key="load_sample", type="primary"):
            with user_errors(), st.spinner("Loading the sample data…"):
                loaded = load_sample(ws)
                st.success(f"Loaded {len(loaded)} sample datasets.")
                st.rerun()
    else:
        st.warning("The sample files are missing; run `workbench sample --out sample_data`.")

job = current_job(ws)
if job is not None and not job.done:
    show_job_progress(job)
    st.stop()
if job is not None and job.error:
    st.error(f"Linking stopped. {job.error}", icon=":material/error:")

steps = workflow_steps(ws)
upcoming = next_step(steps)
st.subheader("Where you are")
if upcoming is None:
    st.success(
        "Every step is done: the data is linked and the journeys match the active model.",
        icon=":material/check_circle:",
    )
    st.page_link("pages/attrition.py", label="Open Attrition", icon=":material/filter_alt:")
    st.page_link("pages/stories.py", label="Write a story", icon=":material/article:")
else:
    if upcoming.key == "train":
        st.info(
            "The data is in: link it next. Training finds the "
            "records of the same person across police, CPS and courts; the analysis pages need "
            "those links.",
            icon=":material/hub:",
        )
        if upcoming.status == "next" and sources:
            st.write(
                "Link in one step with the suggested model (about a minute for the sample): it "
                "is trained, made active and the journeys are built, so the analysis pages "
                "open with figures. Inspect or retune it on the Link pages afterwards."
            )
            if st.button("Link now with the suggested model", key="quick_link", type="primary"):
                with user_errors():
                    start_quick_link(ws, actor=acting_user().username)
                    st.rerun()
    st.markdown(f"**Next step: {upcoming.title}.** {upcoming.action}")
    st.page_link(
        upcoming.page,
        label=f"Next step: {upcoming.title}",
        icon=":material/arrow_forward:",
    )
for number, step in enumerate(steps, start=1):
    st.markdown(
        f"{step.mark} **{number}. {step.title}** — {STATUS_LABELS[step.status]}. {step.detail}"
    )

st.subheader("More")
st.page_link("pages/catalogue.py", label="Browse the catalogue", icon=":material/dataset:")
st.page_link("pages/import_data.py", label="Import your own extract", icon=":material/upload:")
st.page_link("pages/guide.py", label="Read the guide", icon=":material/school:")
