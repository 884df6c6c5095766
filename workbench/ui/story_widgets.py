"""Widgets of the Stories page: pick or create a story, add, edit, annotate and export blocks.

Every change is saved to the workspace at once, so a story never lives only in the session.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from workbench.catalogue import list_datasets
from workbench.errors import WorkbenchError
from workbench.explore import PERIODS, date_columns
from workbench.export import MIME, file_name
from workbench.measures import DEMAND_STAGES
from workbench.stories import (
    SOURCES,
    Annotation,
    Block,
    Story,
    journey_tables,
    list_stories,
    load_story,
    move_block,
    remove_block,
    render_block,
    render_story,
    save_story,
)
from workbench.ui.context import allowed_areas
from workbench.ui.export_widgets import audited, chart_downloads, download_actor, table_downloads
from workbench.workspace import Workspace

NEW = "➕ New story"


def story_picker(ws: Workspace) -> Story | None:
    """Choose a saved story or create one; None until there is a story to show."""
    saved = list_stories(ws)
    names = [*saved["name"], NEW]
    if "_stories_select" in st.session_state:
        st.session_state["stories_pick"] = st.session_state.pop("_stories_select")
    if error := st.session_state.pop("_stories_error", None):
        st.error(error, icon=":material/error:")
    choice = st.selectbox("Story", names, key="stories_pick")
    if choice != NEW:
        return load_story(ws, choice)
    with st.form("stories_new"):
        name = st.text_input("Name (lower case, digits, _)", key="stories_new_name")
        title = st.text_input("Title", key="stories_new_title")
        if st.form_submit_button("Create story", key="stories_create"):
            story = save_story(ws, Story(name.strip(), title.strip()))
            st.session_state["_stories_select"] = story.name
            st.rerun()
    return None


def _save(ws: Workspace, story: Story) -> None:
    save_story(ws, story)
    st.rerun()


def _save_headline(ws: Workspace, name: str, block_id: str, key: str) -> None:
    try:
        story = load_story(ws, name)
        for block in story.blocks:
            if block.id == block_id:
                block.headline = st.session_state[key].strip()
        save_story(ws, story)
    except WorkbenchError as exc:
        st.session_state["_stories_error"] = str(exc)


def block_editor(ws: Workspace, story: Story, block: Block) -> None:
    """One block: its preview, headline, annotations, order buttons and downloads."""
    key = f"blk_{block.id}"
    with st.container(border=True):
        up, down, delete, label = st.columns([1, 1, 1, 6])
        if up.button("↑", key=f"{key}_up", help="Move up"):
            _save(ws, move_block(story, block.id, -1))
        if down.button("↓", key=f"{key}_down", help="Move down"):
            _save(ws, move_block(story, block.id, 1))
        if delete.button("✕", key=f"{key}_delete", help="Delete this block"):
            _save(ws, remove_block(story, block.id))
        source = SOURCES[block.source].label if block.source else "Text"
        label.caption(f"{block.kind.capitalize()}: {source}")
        rendered = render_block(ws, block)
        st.text_input(
            "Headline (leave empty to use the one generated from the data)",
            value=block.headline,
            placeholder=rendered.generated_headline,
            key=f"{key}_headline",
            on_change=_save_headline,
            args=(ws, story.name, block.id, f"{key}_headline"),
        )
        if block.kind == "text":
            st.markdown(block.text)
        elif block.kind == "table":
            st.subheader(rendered.headline)
            st.dataframe(rendered.table, hide_index=True)
            st.caption(rendered.protected.note if rendered.protected else "")
            table_downloads(rendered.table, rendered.table_meta, key, lambda _f: rendered.protected)
        else:
            meta = rendered.meta
            st.subheader(rendered.headline)
            st.caption(" · ".join([meta.subtitle, meta.source, *meta.notes, meta.footer()]))
            st.altair_chart(rendered.chart, key=f"{key}_chart")
            annotation_editor(ws, story, block)
            chart_downloads(rendered.chart, rendered.meta, key=key)


def annotation_editor(ws: Workspace, story: Story, block: Block) -> None:
    """Add or remove the text and range annotations of a chart block."""
    key = f"blk_{block.id}_ann"
    with st.expander(f"Annotations ({len(block.annotations)})", icon=":material/edit_note:"):
        for i, ann in enumerate(block.annotations):
            where = f"{ann.x} to {ann.x2}" if ann.kind == "range" else ann.x
            if st.button(f"Remove “{ann.text}” ({where})", key=f"{key}_rm{i}"):
                block.annotations.pop(i)
                _save(ws, story)
        kind = st.radio("Kind", ["text", "range"], horizontal=True, key=f"{key}_kind")
        left, right = st.columns(2)
        x = left.text_input("At (date YYYY-MM-DD, or category)", key=f"{key}_x")
        x2 = right.text_input("Until (ranges only)", key=f"{key}_x2", disabled=kind == "text")
        text = st.text_input("Label", key=f"{key}_text")
        if st.button("Add annotation", key=f"{key}_add") and x and text:
            block.annotations.append(Annotation(kind, x, text, x2 or None))
            _save(ws, story)


def block_adder(ws: Workspace, story: Story) -> None:
    """Add a chart, table or text block at the end of the story."""
    st.subheader("Add a block")
    kind = st.radio("Kind", ["chart", "table", "text"], horizontal=True, key="stories_add_kind")
    if kind == "text":
        text = st.text_area("Text (Markdown)", key="stories_add_text")
        if st.button("Add text", key="stories_add_button") and text.strip():
            _save(ws, replace(story, blocks=[*story.blocks, Block("text", text=text)]))
        return
    source = st.selectbox(
        "Source", list(SOURCES), format_func=lambda s: SOURCES[s].label, key="stories_add_source"
    )
    params: dict[str, object] = {}
    if source == "period_counts":
        datasets = [d.name for d in list_datasets(ws)]
        params["dataset"] = st.selectbox("Dataset", datasets, key="stories_add_dataset")
        dates = date_columns(ws, params["dataset"]) if params["dataset"] else []
        params["date_column"] = st.selectbox("Date", dates, key="stories_add_date")
        params["period"] = st.selectbox("Period", PERIODS, index=1, key="stories_add_period")
    else:
        params["table"] = st.selectbox("Journey table", journey_tables(ws), key="stories_add_table")
        if source == "receipts":
            params["stage"] = st.selectbox(
                "Stage", list(DEMAND_STAGES), index=2, key="stories_add_stage"
            )
    if allowed_areas() is not None:
        params["areas"] = allowed_areas()
    ready = all(v not in (None, "") for v in params.values())
    if st.button(f"Add {kind}", key="stories_add_button", disabled=not ready):
        _save(ws, replace(story, blocks=[*story.blocks, Block(kind, source, params)]))


def _render_saved(ws: Workspace, name: str, fmt: str) -> bytes | str:
    """A saved story rendered from the current data."""
    return render_story(ws, load_story(ws, name), fmt)


def story_downloads(ws: Workspace, story: Story) -> None:
    """Download the whole story as HTML (static or interactive) or PDF, built on click."""
    labels = {"html": "HTML", "interactive": "Interactive HTML", "pdf": "PDF"}
    actor = download_actor()
    for column, fmt in zip(st.columns(3), labels, strict=True):
        ext = "pdf" if fmt == "pdf" else "html"
        column.download_button(
            labels[fmt],
            data=audited(
                ws,
                partial(_render_saved, ws, story.name, fmt),
                title=story.title,
                fmt=fmt,
                page="stories",
                rows=len(story.blocks),
                actor=actor,
                data_version=f"story {story.name} revision {story.revision}",
            ),
            file_name=file_name(story.title, ext),
            mime=MIME[ext],
            on_click="ignore",
            key=f"stories_export_{fmt}",
            icon=":material/download:",
            type="primary" if fmt == "html" else "secondary",
        )
