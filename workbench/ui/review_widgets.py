"""Streamlit parts of the Review page: label buttons bound to their pair, progress from the store.

Every label button carries the pair it was drawn with (its key holds the pair id, its
callback the pair's row), so a click that arrives late labels the pair the reviewer saw,
never the next one. Counts and estimates are read back from the workspace on each run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from linkage.review.active import pair_id
from linkage.review.labels import save_label
from linkage.review.session import ReviewProgress
from workbench.errors import WorkbenchError
from workbench.workspace import Workspace

#: (key prefix, button text, label value, icon, keyboard shortcut)
LABEL_BUTTONS = (
    ("review_match", "Match", 1, ":material/check:", "M"),
    ("review_nonmatch", "Not a match", 0, ":material/close:", "N"),
    ("review_unsure", "Unsure", None, ":material/help:", "U"),
)
SKIPPED_KEY = "review_skipped"
_MESSAGE_KEY = "review_message"


def _pair_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r")
    out = {k: row.get(k) for k in keep}
    out["match_probability"] = row.get("match_probability")
    return out


def _save(
    ws: Workspace, model_id: str, pair: dict[str, Any], label: int | None, reviewer: str
) -> None:
    """Button callback: store the label of the pair the button was drawn with."""
    if not reviewer.strip():
        st.session_state[_MESSAGE_KEY] = "Type your name first: every label records its reviewer."
        return
    note = st.session_state.get(f"review_note::{pair_id(pair)}", "")
    try:
        save_label(ws, model_id, pair, label, reviewer.strip(), note)
    except WorkbenchError as exc:
        st.session_state[_MESSAGE_KEY] = str(exc)


def _skip(pair: dict[str, Any]) -> None:
    """Button callback: leave the pair the button was drawn with for later."""
    skipped = list(st.session_state.get(SKIPPED_KEY, []))
    key = pair_id(pair)
    if key not in skipped:
        st.session_state[SKIPPED_KEY] = [*skipped, key]


def label_buttons(ws: Workspace, model_id: str, row: Mapping[str, Any], reviewer: str) -> None:
    """Match / Not a match / Unsure / Skip for one pair, each bound to that pair."""
    pair = _pair_fields(row)
    pid = pair_id(pair)
    st.text_input("Note (optional)", key=f"review_note::{pid}")
    cells = st.columns(4)
    for cell, (key, text, value, icon, shortcut) in zip(cells, LABEL_BUTTONS, strict=False):
        cell.button(
            text,
            key=f"{key}::{pid}",
            icon=icon,
            width="stretch",
            shortcut=shortcut,
            on_click=_save,
            args=(ws, model_id, pair, value, reviewer),
        )
    cells[3].button(
        "Skip",
        key=f"review_skip::{pid}",
        icon=":material/skip_next:",
        width="stretch",
        shortcut="S",
        on_click=_skip,
        args=(pair,),
    )
    message = st.session_state.pop(_MESSAGE_KEY, None)
    if message:
        st.error(message, icon=":material/error:")


def _delta(now: float, before: float | None) -> str | None:
    if before is None or abs(now - before) < 0.0005:
        return None
    return f"{100 * (now - before):+.1f} points"


def progress_metrics(progress: ReviewProgress) -> None:
    """Labels so far (from the store) and the precision and recall they estimate."""
    est, before = progress.estimate, progress.before
    cells = st.columns(4)
    cells[0].metric(
        "Pairs labelled",
        f"{progress.n_labels:,}",
        help="Read from the workspace: every stored label of a pair in these datasets.",
    )
    cells[1].metric(
        "Matches / not / unsure",
        f"{progress.n_matches:,} / {progress.n_non_matches:,} / {progress.n_unsure:,}",
    )
    cells[2].metric(
        "Estimated precision",
        f"{est.precision:.1%}",
        _delta(est.precision, before.precision if before else None),
        help="Clustered precision at the model's threshold, estimated from the model's "
        "probabilities corrected by the labels so far (the last label's change shown).",
    )
    cells[3].metric(
        "Estimated recall",
        f"{est.recall:.1%}",
        _delta(est.recall, before.recall if before else None),
        help="Share of the matches among scored pairs that the clusters keep together, "
        "estimated the same way.",
    )
