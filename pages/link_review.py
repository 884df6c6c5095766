"""Review: label pairs by hand as a match or not, to measure and improve the model."""

import streamlit as st

from linkage.spec_table import pair_side_by_side
from linkage.workflow import export_labels, import_labels, review_sample, save_label
from workbench.config import shared_mode
from workbench.ui.context import user_errors, workspace
from workbench.ui.export_widgets import audited
from workbench.ui.linkage_widgets import choose_model
from workbench.ui.login import acting_user

STRATEGIES = {
    "near_threshold": "Near the threshold (where the model is least sure)",
    "across_bands": "Across all weights (an unbiased check)",
}

st.title("Review pairs")
st.caption(
    "Look at two records and say whether they are the same person. Labels are saved in the "
    "workspace with your name and the time, and Evaluate measures the model against them."
)
ws = workspace()
model_id = choose_model(ws, key="review_model")
left, middle, right = st.columns([3, 1, 2])
strategy = left.radio(
    "Pairs to review", list(STRATEGIES), format_func=STRATEGIES.__getitem__, key="review_strategy"
)
n = middle.number_input("How many", 1, 200, 20, key="review_n")
me = acting_user().username
# In the shared app every label records the logged-in person; only a local analyst may type it.
reviewer = right.text_input("Your name", value=me, key="review_reviewer", disabled=shared_mode())
reviewer = me if shared_mode() else reviewer
blind = right.toggle(
    "Blind mode", key="review_blind", help="Hide the model's score so it cannot sway you."
)

sample = None
with user_errors():
    sample = review_sample(ws, model_id, strategy, n=int(n), seed=0)
if sample is None:
    st.stop()
if sample.empty:
    st.info("There are no pairs to review for this model.", icon=":material/info:")
    st.stop()

pos_key = f"review_pos::{model_id}::{strategy}::{n}"
pos = st.session_state.get(pos_key, 0)
st.progress(min(pos, len(sample)) / len(sample), text=f"{min(pos, len(sample))} of {len(sample)}")
if pos >= len(sample):
    st.success("All pairs in this sample are labelled.", icon=":material/check_circle:")
    if st.button("Start again", key="review_restart"):
        st.session_state[pos_key] = 0
        st.rerun()
else:
    row = sample.iloc[pos].to_dict()
    st.subheader(f"Pair {pos + 1}")
    if not blind and row.get("match_probability") is not None:
        st.caption(
            f"Model: match probability {row['match_probability']:.3f}, "
            f"weight {row.get('match_weight', float('nan')):.2f}."
        )
    st.dataframe(
        pair_side_by_side(row),
        hide_index=True,
        width="stretch",
        key="review_pair",
        column_config={"agree": st.column_config.CheckboxColumn("Same")},
    )
    note = st.text_input("Note (optional)", key=f"review_note_{pos}")
    buttons = st.columns(4)
    choices = [
        ("review_match", "Match", 1, ":material/check:"),
        ("review_nonmatch", "Not a match", 0, ":material/close:"),
        ("review_unsure", "Unsure", None, ":material/help:"),
    ]
    for cell, (key, label, value, icon) in zip(buttons, choices, strict=False):
        if cell.button(label, key=key, icon=icon, width="stretch"):
            with user_errors():
                if not reviewer.strip():
                    st.error("Type your name first: every label records its reviewer.")
                    st.stop()
                save_label(ws, model_id, row, value, reviewer.strip(), note)
                st.session_state[pos_key] = pos + 1
                st.rerun()
    if buttons[3].button("Skip", key="review_skip", icon=":material/skip_next:", width="stretch"):
        st.session_state[pos_key] = pos + 1
        st.rerun()

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
