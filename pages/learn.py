"""Linkage lesson: a guided, hands-on lesson on probabilistic linkage with known truth."""

import streamlit as st

from linkage.lesson.course import warm_up
from workbench.ui import lesson_widgets as lw
from workbench.ui.context import user_errors

lw.presenter_css()
keys = lw.step_keys()
if lw.STEP_KEY not in st.session_state:
    st.session_state[lw.STEP_KEY] = keys[0]

top = st.columns([3, 1, 1], vertical_alignment="bottom")
top[0].title("Linkage lesson")
top[1].toggle("Presenter view", key=lw.PRESENTER_KEY, help="Large type, no sidebar.")
top[2].button(
    "Reset lesson", key="lesson_reset", on_click=lw.reset_lesson, icon=":material/restart_alt:"
)
st.caption(
    "Police and court records of two LCJB areas from the sample data, whose true people are "
    "known. Every number below is computed live by Splink on these records."
)

step = st.selectbox(
    "Step", keys, format_func=lw.step_title, key=lw.STEP_KEY, help="Jump to any step."
)
with user_errors():
    warm_up()
    reached, total = lw.mark_done(step)
    st.progress(reached / total, text=f"Steps reached: {reached} of {total}")
    st.header(lw.step_title(step))
    st.markdown(lw.EXPLANATIONS[step])
    with st.spinner("Splink is working on the lesson data…"):
        lw.RENDERERS[step]()

nav = st.columns([1, 1, 4])
nav[0].button(
    "Previous step",
    key="lesson_prev",
    on_click=lw.go_to,
    args=(-1,),
    disabled=step == keys[0],
    icon=":material/arrow_back:",
)
nav[1].button(
    "Next step",
    key="lesson_next",
    on_click=lw.go_to,
    args=(1,),
    disabled=step == keys[-1],
    icon=":material/arrow_forward:",
    type="primary",
)
