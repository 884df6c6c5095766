"""Widgets of the Stories page: pick or create a story, add, edit, annotate and export blocks.

Every change is saved to the workspace at once, so a story never lives only in the session. The
acting user is passed to every call: the core decides what they may list, open, change and see,
so these widgets only leave out the controls a user cannot use.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from workbench.access.auth import ALL_AREAS, User
from workbench.analysis.journeys.table import LINKED
from workbench.analysis.measures.demand import DEMAND_STAGES
from workbench.charts import fit_width
from workbench.data.catalogue import list_datasets
from workbench.data.explore import PERIODS, date_columns
from workbench.errors import WorkbenchError
from workbench.publish.export.files import MIME, file_name
from workbench.publish.stories.access import can_edit_story
from workbench.publish.stories.document import render_story
from workbench.publish.stories.filters import journey_areas, journey_tables
from workbench.publish.stories.model import Annotation, Block, Story, move_block, remove_block
from workbench.publish.stories.render import render_block
from workbench.publish.stories.sources import SOURCES, sources_for
from workbench.publish.stories.store import (
    create_story,
    list_stories,
    load_story,
    publish_story,
    save_story,
)
from workbench.reference import LCJB_AREAS
from workbench.ui.export_widgets import audited, chart_downloads, table_downloads
from workbench.workspace import Workspace

NEW = "+ New story"


def story_picker(ws: Workspace, user: User) -> Story | None:
    """Choose a story the user may open, or create one; None until there is a story to show."""
    saved = list_stories(ws, user)
    labels = {
        (row.name if row.owner == user.username else row.ref): (
            row.name
            if row.owner == user.username
            else f"{row.name} ({row.owner}{'' if row.editable else ', read-only'})"
        )
        for row in saved.itertuples()
    }
    names = [*labels, NEW]
    if "_stories_select" in st.session_state:
        st.session_state["stories_pick"] = st.session_state.pop("_stories_select")
    if error := st.session_state.pop("_stories_error", None):
        st.error(error, icon=":material/error:")
    choice = st.selectbox(
        "Story", names, key="stories_pick", format_func=lambda n: labels.get(n, n)
    )
    if choice != NEW:
        return load_story(ws, user, choice)
    with st.form("stories_new"):
        name = st.text_input("Name (lower case, digits, _)", key="stories_new_name")
        title = st.text_input("Title", key="stories_new_title")
        if st.form_submit_button("Create story", key="stories_create"):
            story = create_story(ws, user, Story(name.strip(), title.strip()))
            st.session_state["_stories_select"] = story.name
            st.rerun()
    return None


def _save(ws: Workspace, user: User, story: Story) -> None:
    save_story(ws, user, story)
    st.rerun()


def _save_headline(ws: Workspace, user: User, ref: str, block_id: str, key: str) -> None:
    try:
        story = load_story(ws, user, ref)
        for block in story.blocks:
            if block.id == block_id:
                block.headline = st.session_state[key].strip()
        save_story(ws, user, story)
    except WorkbenchError as exc:
        st.session_state["_stories_error"] = str(exc)


def block_editor(ws: Workspace, user: User, story: Story, block: Block) -> None:
    """One block: its preview and downloads; its headline, annotations and order buttons for
    those who may change the story."""
    key = f"blk_{block.id}"
    editable = can_edit_story(user, story)
    with st.container(border=True):
        up, down, delete, label = st.columns([1, 1, 1, 6])
        if editable and up.button("↑", key=f"{key}_up", help="Move up"):
            _save(ws, user, move_block(story, block.id, -1))
        if editable and down.button("↓", key=f"{key}_down", help="Move down"):
            _save(ws, user, move_block(story, block.id, 1))
        if editable and delete.button("✕", key=f"{key}_delete", help="Delete this block"):
            _save(ws, user, remove_block(story, block.id))
        source = SOURCES[block.source].label if block.source in SOURCES else "Text"
        label.caption(f"{block.kind.capitalize()}: {source}")
        rendered = render_block(ws, user, block)
        if editable:
            st.text_input(
                "Headline (leave empty to use the one generated from the data)",
                value=block.headline,
                placeholder=rendered.generated_headline,
                key=f"{key}_headline",
                on_change=_save_headline,
                args=(ws, user, story.ref, block.id, f"{key}_headline"),
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
            st.altair_chart(fit_width(rendered.chart), key=f"{key}_chart", width="stretch")
            if editable and SOURCES[str(block.source)].annotated:
                annotation_editor(ws, user, story, block)
            chart_downloads(rendered.chart, rendered.meta, key=key)


def annotation_editor(ws: Workspace, user: User, story: Story, block: Block) -> None:
    """Add or remove the text and range annotations of a chart block."""
    key = f"blk_{block.id}_ann"
    with st.expander(f"Annotations ({len(block.annotations)})", icon=":material/edit_note:"):
        for i, ann in enumerate(block.annotations):
            where = f"{ann.x} to {ann.x2}" if ann.kind == "range" else ann.x
            if st.button(f"Remove “{ann.text}” ({where})", key=f"{key}_rm{i}"):
                block.annotations.pop(i)
                _save(ws, user, story)
        kind = st.radio("Kind", ["text", "range"], horizontal=True, key=f"{key}_kind")
        left, right = st.columns(2)
        x = left.text_input("At (date YYYY-MM-DD, or category)", key=f"{key}_x")
        x2 = right.text_input("Until (ranges only)", key=f"{key}_x2", disabled=kind == "text")
        text = st.text_input("Label", key=f"{key}_text")
        if st.button("Add annotation", key=f"{key}_add") and x and text:
            block.annotations.append(Annotation(kind, x, text, x2 or None))
            _save(ws, user, story)


def block_adder(ws: Workspace, user: User, story: Story) -> None:
    """Add a chart, table or text block at the end of the story.

    Leaders are offered only the linked journeys of their own areas; the core checks the same
    again when the story is saved and drawn.
    """
    st.subheader("Add a block")
    kind = st.radio("Kind", ["chart", "table", "text"], horizontal=True, key="stories_add_kind")
    if kind == "text":
        text = st.text_area("Text (Markdown)", key="stories_add_text")
        if st.button("Add text", key="stories_add_button") and text.strip():
            _save(ws, user, replace(story, blocks=[*story.blocks, Block("text", text=text)]))
        return
    # blocks of the pages' own views come from their "Add to story" buttons, with their choices
    sources = {k: src for k, src in sources_for(user).items() if not src.page_only}
    source = st.selectbox(
        "Source", list(sources), format_func=lambda s: sources[s].label, key="stories_add_source"
    )
    params: dict[str, object] = {}
    if source == "period_counts":
        datasets = [d.name for d in list_datasets(ws)]
        params["dataset"] = st.selectbox("Dataset", datasets, key="stories_add_dataset")
        dates = date_columns(ws, params["dataset"]) if params["dataset"] else []
        params["date_column"] = st.selectbox("Date", dates, key="stories_add_date")
        params["period"] = st.selectbox("Period", PERIODS, index=1, key="stories_add_period")
    else:
        if user.leader_view:
            params["table"] = LINKED
        else:
            params["table"] = st.selectbox(
                "Journey table", journey_tables(ws), key="stories_add_table"
            )
        if source == "receipts":
            params["stage"] = st.selectbox(
                "Stage", list(DEMAND_STAGES), index=2, key="stories_add_stage"
            )
        mine = user.allowed_areas
        options = mine if mine is not None else journey_areas(ws, str(params["table"] or ""))
        picked = st.multiselect(
            "Areas (none picked: all you may see)", options, key="stories_add_areas"
        )
        if picked or mine is not None:
            params["areas"] = picked or list(mine or ())
    ready = all(v not in (None, "") for v in params.values())
    if st.button(f"Add {kind}", key="stories_add_button", disabled=not ready):
        _save(ws, user, replace(story, blocks=[*story.blocks, Block(kind, source, params)]))


def publish_panel(ws: Workspace, user: User, story: Story) -> None:
    """Publish the story, read-only, to the users of some areas (its owner or an admin)."""
    mine = user.allowed_areas
    options = list(mine) if mine is not None else [ALL_AREAS, *LCJB_AREAS]
    options += [a for a in story.audience if a not in options]
    with st.expander(
        f"Published to: {', '.join(story.audience) or 'nobody'}", icon=":material/share:"
    ):
        audience = st.multiselect(
            "Areas whose users may read this story", options, story.audience, key="stories_audience"
        )
        if st.button("Publish", key="stories_publish", icon=":material/publish:"):
            publish_story(ws, user, story.name, audience, owner=story.owner)
            st.rerun()


def _render_saved(ws: Workspace, user: User, ref: str, fmt: str) -> bytes | str:
    """A saved story rendered from the current data, as the user may see it."""
    return render_story(ws, user, load_story(ws, user, ref), fmt)


def story_downloads(ws: Workspace, user: User, story: Story) -> None:
    """Download the whole story as HTML (static or interactive) or PDF, built on click."""
    labels = {"html": "HTML", "interactive": "Interactive HTML", "pdf": "PDF"}
    actor = user.username
    for column, fmt in zip(st.columns(3), labels, strict=True):
        ext = "pdf" if fmt == "pdf" else "html"
        column.download_button(
            labels[fmt],
            data=audited(
                ws,
                partial(_render_saved, ws, user, story.ref, fmt),
                title=story.title,
                fmt=fmt,
                page="stories",
                rows=len(story.blocks),
                actor=actor,
                data_version=f"story {story.ref} revision {story.revision}",
            ),
            file_name=file_name(story.title, ext),
            mime=MIME[ext],
            on_click="ignore",
            key=f"stories_export_{fmt}",
            icon=":material/download:",
            type="primary" if fmt == "html" else "secondary",
        )
