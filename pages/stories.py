"""Stories: collect charts, tables and text into a story; annotate, reorder and publish it."""

import streamlit as st

from workbench.publish.stories.access import can_edit_story
from workbench.ui.context import user_errors, workspace
from workbench.ui.login import acting_user
from workbench.ui.story_widgets import (
    block_adder,
    block_editor,
    publish_panel,
    story_downloads,
    story_picker,
)

st.title("Stories")
st.caption(
    "Charts and tables are redrawn from the current data every time, with small numbers hidden. "
    "Headlines are written from the data unless you write your own. You see your own stories "
    "and those published to your areas."
)
ws = workspace()

with user_errors():
    user = acting_user()
    story = story_picker(ws, user)
    if story is None:
        st.info("Create a story, or pick a saved one, to add charts, tables and text.")
        st.stop()
    editable = can_edit_story(user, story)
    st.header(story.title)
    owner = "yours" if story.owner == user.username else f"by {story.owner}"
    mode = "" if editable else "; read-only"
    st.caption(f"Revision {story.revision}; {len(story.blocks)} blocks; {owner}{mode}.")
    if editable:
        publish_panel(ws, user, story)
    st.subheader("Download the story")
    story_downloads(ws, user, story)
    if not story.blocks:
        st.info("This story has no blocks yet: add a chart, a table or some text below.")
    for block in story.blocks:
        with user_errors():
            block_editor(ws, user, story, block)
    if editable:
        block_adder(ws, user, story)
