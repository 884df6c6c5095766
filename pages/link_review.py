"""Review: label pairs by hand as a match or not, to measure the model and teach it."""

import streamlit as st

from linkage.model.result_tables import pair_side_by_side
from linkage.review.active import pair_id
from linkage.review.labels import export_labels, import_labels
from linkage.review.pairs import review_sample
from linkage.review.session import case_context, next_pairs, review_progress
from linkage.review.teach import teach_model
from workbench.config import shared_mode
from workbench.ui.context import user_errors, workspace
from workbench.ui.export_widgets import audited
from workbench.ui.linkage_widgets import choose_model
from workbench.ui.login import acting_user
from workbench.ui.review_widgets import SKIPPED_KEY, label_buttons, progress_metrics

STRATEGIES = {
    "active": "Most informative (near the threshold, across comparison patterns)",
    "near_threshold": "Nearest the threshold only",
    "across_bands": "Across all weights (an unbiased check)",
}
SOURCES = {"labels": "Clerical labels", "truth": "The truth column or truth datasets"}

st.title("Review pairs")
st.caption(
    "Look at two records and say whether they are the same person. Labels are saved in the "
    "workspace with your name and the time; Evaluate measures the model against them, and "
    "they can teach the model new m values and a threshold."
)
ws = workspace()
model_id = choose_model(ws, key="review_model")
me = acting_user().username
left, right = st.columns([3, 2])
strategy = left.radio(
    "Pairs to review", list(STRATEGIES), format_func=STRATEGIES.__getitem__, key="review_strategy"
)
# In the shared app every label records the logged-in person; only a local analyst may type it.
reviewer = right.text_input("Your name", value=me, key="review_reviewer", disabled=shared_mode())
reviewer = me if shared_mode() else reviewer
blind = right.toggle(
    "Blind mode", key="review_blind", help="Hide the model's score so it cannot sway you."
)

progress = None
with user_errors():
    progress = review_progress(ws, model_id)
if progress is None:
    st.stop()
progress_metrics(progress)

skipped = st.session_state.get(SKIPPED_KEY, [])
queue = None
with user_errors():
    if strategy == "active":
        queue = next_pairs(ws, model_id, n=1, skip=skipped)
    else:
        queue = review_sample(ws, model_id, strategy, n=20 + len(skipped), seed=0)
        queue = queue[[pair_id(r) not in skipped for _, r in queue.iterrows()]]
if queue is None:
    st.stop()
if queue.empty:
    st.success("Every pair offered is labelled or skipped.", icon=":material/check_circle:")
    if skipped and st.button("Show skipped pairs again", key="review_unskip"):
        st.session_state[SKIPPED_KEY] = []
        st.rerun()
else:
    row = queue.iloc[0].to_dict()
    st.subheader("Are these the same person?")
    score = f" Model: match probability {row['match_probability']:.3f}, weight " + (
        f"{row['match_weight']:.2f}."
    )
    st.caption(
        f"Records: {row['source_dataset_l']} {row['unique_id_l']} and "
        f"{row['source_dataset_r']} {row['unique_id_r']}.{'' if blind else score}"
    )
    pair_col, case_col = st.columns([1, 1])
    shown = {k: v for k, v in row.items() if not k.startswith(("source_dataset", "unique_id"))}
    pair_col.dataframe(
        pair_side_by_side(shown),
        hide_index=True,
        width="stretch",
        key="review_pair",
        column_config={
            "field": "Field",
            "left": "Left record",
            "right": "Right record",
            "agree": "Same",
        },
    )
    with case_col, user_errors():
        st.table(case_context(ws, row), hide_index=True)
    label_buttons(ws, model_id, row, reviewer)

st.divider()
st.subheader("Teach the model")
st.caption(
    "Re-estimate the model's m values from the labels (each level's weight moves by as much "
    "as the labels show the model over- or under-counting matches there) and choose its "
    "threshold from them. The result is a new model version; "
    "the one in use does not change until you make it active on the Models page."
)
src, target = st.columns(2)
source = src.radio("Learn from", list(SOURCES), format_func=SOURCES.__getitem__, key="teach_src")
wanted = target.number_input(
    "Target precision (%)", 0.0, 100.0, 0.0, 0.5, key="teach_target",
    help="0 chooses the threshold with the best estimated F1.",
)  # fmt: skip
if st.button("Teach a new version", key="teach_start", icon=":material/school:"):
    with user_errors(), st.spinner("Re-estimating and scoring the pairs again..."):
        taught = teach_model(
            ws, model_id, source=source, target_precision=wanted / 100 or None, actor=me
        )
        st.success(
            f"Saved a new version taught by {taught.n_labels:,} labels "
            f"({taught.n_matches:,} matches). {taught.threshold_reason}",
            icon=":material/check_circle:",
        )

st.divider()
st.subheader("Labels as CSV")
down, up = st.columns(2)
with down:
    st.download_button(
        "Download every label",
        data=audited(
            ws,
            lambda: export_labels(ws),
            title="clerical labels",
            fmt="csv",
            page="pages/link_review.py",
            rows=0,
            actor=me,
        ),
        file_name="clerical_labels.csv",
        mime="text/csv",
        on_click="ignore",
        key="review_export",
        icon=":material/download:",
    )
with up:
    upload = st.file_uploader("Import labels", type=["csv"], key="review_upload")
    if st.button("Import", key="review_import", disabled=upload is None):
        with user_errors():
            count = import_labels(ws, upload.getvalue(), actor=me)
            st.success(f"Imported {count:,} labels.", icon=":material/check_circle:")
