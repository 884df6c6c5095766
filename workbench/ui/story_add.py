"""“Add to story” on the analysis pages: the view shown, with its filters, as a story block."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.analysis.measures import JourneyFilter
from workbench.errors import WorkbenchError
from workbench.publish.stories import (
    BlockKind,
    add_to_story,
    area_phrase,
    filter_params,
    filters_phrase,
    own_stories,
    view_block,
)
from workbench.ui.login import acting_user
from workbench.workspace import Workspace

NEW_STORY = "New story…"


def add_to_story_button(
    ws: Workspace,
    source: str,
    where: JourneyFilter,
    key: str,
    kind: BlockKind = "chart",
    label: str = "Add to story",
    **params: Any,
) -> None:
    """An “Add to story” popover: append the view (its source and the page's filters) to one
    of the user's stories, or start a new story with it.

    Args:
        ws: The workspace.
        source: The story source that draws the view (a key of
            ``workbench.publish.stories.SOURCES``).
        where: The page's journey filter (areas, offence groups, court types, victims).
        key: A key unique on the page.
        kind: ``chart`` or ``table``.
        label: The popover's label.
        **params: Other parameters of the source.
    """
    with st.popover(label, icon=":material/post_add:", key=f"{key}_story"):
        try:
            user = acting_user()
            stories = own_stories(ws, user)
        except WorkbenchError as exc:
            st.warning(str(exc), icon=":material/warning:")
            return
        names = [*stories, NEW_STORY]
        choice = st.selectbox(
            "Story",
            names,
            key=f"{key}_story_pick",
            format_func=lambda n: stories.get(n, n),
        )
        title = ""
        if choice == NEW_STORY:
            title = st.text_input("Title of the new story", key=f"{key}_story_title")
        shown = filter_params(where)
        st.caption(
            f"Covers {area_phrase(shown.get('areas'))}{filters_phrase(shown)}; redrawn from "
            "the current data every time the story is opened."
        )
        if st.button(
            "Add",
            key=f"{key}_story_add",
            type="primary",
            disabled=choice == NEW_STORY and not title.strip(),
        ):
            try:
                block = view_block(source, where, kind, **params)
                story = add_to_story(
                    ws, user, block, None if choice == NEW_STORY else choice, title
                )
            except WorkbenchError as exc:
                st.error(str(exc), icon=":material/error:")
                return
            st.session_state["_stories_select"] = story.name
            st.success(
                f"Added to “{story.title}” ({len(story.blocks)} "
                f"block{'s' if len(story.blocks) != 1 else ''}).",
                icon=":material/check_circle:",
            )
            st.page_link("pages/stories.py", label="Open the story", icon=":material/article:")
