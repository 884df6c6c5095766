"""Stories: collect charts, tables and text into a story; annotate, reorder and publish it."""

import streamlit as st

from workbench.ui.context import user_errors, workspace
from workbench.ui.story_widgets import block_adder, block_editor, story_downloads, story_picker

st.title("Stories")
st.caption(
    "Charts and tables are redrawn from the current data every time, with small numbers hidden. "
    "Headlines are written from the data unless you write your own."
)
ws = workspace()

with user_errors():
    story = story_picker(ws)
    if story is None:
        st.info("Create a story, or pick a saved one, to add charts, tables and text.")
        st.stop()
    st.header(story.title)
    st.caption(f"Revision {story.revision}; {len(story.blocks)} blocks.")
    st.subheader("Download the story")
    story_downloads(ws, story)
    if not story.blocks:
        st.info("This story has no blocks yet: add a chart, a table or some text below.")
    for block in story.blocks:
        with user_errors():
            block_editor(ws, story, block)
    block_adder(ws, story)
