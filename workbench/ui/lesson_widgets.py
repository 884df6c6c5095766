"""Streamlit pieces of the linkage lesson: progress, presenter view and one renderer per step.

All numbers come from :mod:`linkage.lesson`; this module only lays them out. Progress lives in
``st.session_state`` under keys starting ``lesson_``, so a reset forgets exactly the lesson.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from linkage.lesson.course import STEPS, exercise_pairs, mark_exercise
from linkage.lesson.models import (
    BLOCKING_CHOICES,
    COMPARED,
    DEFAULT_BLOCKING,
    DEFAULT_EXACT_FIELDS,
    DEFAULT_NAME_THRESHOLD,
    DEFAULT_THRESHOLD,
    EXACT_FIELDS,
    FIELD_LABELS,
    NAME_THRESHOLDS,
    PRIOR_FACTORS,
    Scored,
    trained,
    with_blocking,
    with_prior,
    without_comparison,
)
from linkage.lesson.pieces import Scores, explain_pair
from linkage.lesson.steps import (
    step_blocking,
    step_clusters,
    step_exact_match,
    step_levels,
    step_m_u,
    step_threshold,
)
from workbench.charts import fit_width

PREFIX = "lesson_"
STEP_KEY = "lesson_step"
DONE_KEY = "lesson_done"
PRESENTER_KEY = "lesson_presenter"

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarCollapseButton"], header[data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { max-width: 1500px; padding-top: 1.5rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] label p { font-size: 1.45rem; line-height: 1.5; }
[data-testid="stMainBlockContainer"] h1 { font-size: 3rem; }
[data-testid="stMainBlockContainer"] h2, [data-testid="stMainBlockContainer"] h3 {
  font-size: 2.2rem; }
[data-testid="stMetricValue"] { font-size: 3.2rem; }
[data-testid="stMetricLabel"] p { font-size: 1.4rem; }
[data-testid="stCaptionContainer"] { display: none; }
</style>
"""

EXPLANATIONS: dict[str, str] = {
    "exact": (
        "The police and the courts write the same person down differently: *Jim* for *James*, "
        "a typing slip in a surname, a date of birth with two digits swapped. An **exact join** "
        "links two records only when every chosen field is identical, so every such slip loses "
        "a true match. Choose which fields must agree and compare the exact join with the "
        "probabilistic model, scored against the known truth."
    ),
    "mu": (
        "For every comparison the model learns two numbers per level. **m** is how often two "
        "records of the *same* person land in that level; **u** how often two records of "
        "*different* people do. Their ratio m/u (the Bayes factor) says how much that level "
        "should change our mind. Pick a comparison and see what the whole model loses without it."
    ),
    "levels": (
        "Names are compared in levels: exact, *close* (Jaro-Winkler similarity at or above a "
        "threshold), anything else. Each level's **match weight** is log2(m/u). Lower the "
        "threshold and more misspelt names count as close, but the close level also catches "
        "more different people, so its weight falls. The model is retrained for each "
        "threshold; scores here use a careful match probability of 0.9."
    ),
    "blocking": (
        "Comparing every record with every other grows with the square of the data. **Blocking "
        "rules** compare only pairs that agree on something (same surname and date of birth, "
        "say). Fewer rules: fewer comparisons and faster runs, but a true match no rule "
        "generates is never scored at all. Choose the rules and watch comparisons and recall."
    ),
    "threshold": (
        "The **prior** is how likely two random records are to match before looking at them; "
        "the **threshold** is the match probability at which we accept a link. A higher "
        "threshold links fewer, surer pairs: precision up, recall down. A larger prior pushes "
        "every pair's probability up."
    ),
    "clusters": (
        "Links are joined into **clusters**, one per person: if A links to B and B to C, all "
        "three are one person. One wrong link can merge two people (**over-merged**); a missed "
        "link splits one person in two (**split**). Move the threshold and watch both."
    ),
    "exercise": (
        "Your turn. Decide for each pair whether the two records are the same person, then see "
        "how the model scored them and why, comparison by comparison."
    ),
}


# ----------------------------------------------------------------- session
def step_keys() -> list[str]:
    """The lesson's step keys in order."""
    return [s.key for s in STEPS]


def step_title(key: str) -> str:
    """The display title of a step."""
    return next(s.title for s in STEPS if s.key == key)


def go_to(offset: int) -> None:
    """Move the step picker by ``offset`` steps (a button callback)."""
    keys = step_keys()
    current = st.session_state.get(STEP_KEY, keys[0])
    index = min(max(keys.index(current) + offset, 0), len(keys) - 1)
    st.session_state[STEP_KEY] = keys[index]


def reset_lesson() -> None:
    """Forget the learner's progress, answers and settings (a button callback).

    The presenter view stays as it is: it belongs to the trainer, not to the lesson.
    """
    keep = {PRESENTER_KEY}
    for key in [k for k in st.session_state if str(k).startswith(PREFIX) and k not in keep]:
        del st.session_state[key]


def mark_done(key: str) -> tuple[int, int]:
    """Record that the learner reached a step; return (steps reached, steps in all)."""
    done = set(st.session_state.get(DONE_KEY, set()))
    done.add(key)
    st.session_state[DONE_KEY] = done
    return len(done), len(STEPS)


def presenter_css() -> None:
    """Large type and no sidebar when the presenter view is on."""
    if st.session_state.get(PRESENTER_KEY):
        st.html(PRESENTER_CSS)


# ----------------------------------------------------------------- shared display
def show_scores(scores: Scores, baseline: Scores | None, label: str = "") -> None:
    """Precision, recall and F1 as metrics, with the change from the starting setting."""
    cols = st.columns(3)
    for col, name in zip(cols, ("precision", "recall", "f1"), strict=True):
        value = getattr(scores, name)
        delta = None
        if baseline is not None:
            diff = value - getattr(baseline, name)
            delta = f"{diff:+.1%}" if abs(diff) >= 0.0005 else None
        col.metric(
            f"{label}{'F1' if name == 'f1' else name.capitalize()}",
            f"{value:.1%}",
            delta=delta,
            help=_HELP[name],
        )


_HELP = {
    "precision": "Of the pairs linked, the share that truly are the same person.",
    "recall": "Of the pairs that truly are the same person, the share linked.",
    "f1": "The harmonic mean of precision and recall.",
}


def chart(figure: alt.TopLevelMixin) -> None:
    """Draw an Altair chart at full width."""
    st.altair_chart(fit_width(figure), width="stretch")


def show_changed(changed: pd.DataFrame, variants: list[Scored], key: str) -> None:
    """The pairs whose status changed, and the waterfall chart of the one picked."""
    st.markdown(f"**Pairs that changed status: {len(changed)}**")
    if changed.empty:
        st.caption("No pair changed status compared with the starting setting.")
        return
    view = changed[["change", "record_1", "record_2", "probability_before", "probability_after"]]
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "change": "What changed",
            "record_1": "Record 1",
            "record_2": "Record 2",
            "probability_before": st.column_config.NumberColumn("Before", format="%.3f"),
            "probability_after": st.column_config.NumberColumn("Now", format="%.3f"),
        },
        height=min(38 + 35 * len(view), 260),
    )
    labels = {
        k: f"{c} — {r1} / {r2}"
        for k, c, r1, r2 in zip(
            changed["pair_key"],
            changed["change"],
            changed["record_1"],
            changed["record_2"],
            strict=True,
        )
    }
    picked = st.selectbox(
        "Explain a pair", list(labels), format_func=labels.get, key=f"{PREFIX}explain_{key}"
    )
    if picked is not None:
        # a width per column: stretched to a narrow page its column names would overprint
        st.altair_chart(explain_pair(variants, picked), width="content")


# ----------------------------------------------------------------- steps
def render_exact() -> None:
    """Step 1: exact join against the model."""
    fields = st.multiselect(
        "Fields that must agree exactly",
        list(EXACT_FIELDS),
        default=list(DEFAULT_EXACT_FIELDS),
        format_func=FIELD_LABELS.get,
        key=f"{PREFIX}exact_fields",
    )
    result = step_exact_match(fields)
    show_scores(result.exact, result.model, "Exact join: ")
    st.caption("Arrows compare the exact join with the probabilistic model.")
    chart(result.chart)
    st.markdown("**True matches the exact join missed**")
    st.dataframe(
        result.missed[["record_1", "record_2", "what_differs"]],
        hide_index=True,
        width="stretch",
        column_config={
            "record_1": "Record 1",
            "record_2": "Record 2",
            "what_differs": "What differs",
        },
    )
    show_changed(result.changed, [trained()], "exact")


def render_mu() -> None:
    """Step 2: m and u of one comparison."""
    column = st.selectbox(
        "Comparison",
        list(COMPARED),
        format_func=FIELD_LABELS.get,
        key=f"{PREFIX}mu_column",
    )
    result = step_m_u(column)
    chart(result.chart)
    st.dataframe(
        result.levels,
        hide_index=True,
        width="stretch",
        column_config={
            "level": "Level",
            "m_probability": st.column_config.NumberColumn("m", format="%.4f"),
            "u_probability": st.column_config.NumberColumn("u", format="%.4f"),
            "bayes_factor": st.column_config.NumberColumn("m / u", format="%.2f"),
            "match_weight": st.column_config.NumberColumn("Match weight", format="%.2f"),
        },
    )
    st.markdown(f"**Without {FIELD_LABELS[column].lower()} the model scores:**")
    show_scores(result.without_it, result.with_it)
    show_changed(result.changed, [without_comparison(column), trained()], "mu")


def render_levels() -> None:
    """Step 3: name similarity threshold, retrained."""
    threshold = st.select_slider(
        "Names count as close at Jaro-Winkler similarity of at least",
        options=sorted(NAME_THRESHOLDS),
        value=DEFAULT_NAME_THRESHOLD,
        key=f"{PREFIX}name_threshold",
    )
    result = step_levels(threshold)
    show_scores(result.scores, result.baseline)
    st.caption(f"Arrows compare with the starting threshold {DEFAULT_NAME_THRESHOLD}.")
    chart(result.chart)
    show_changed(result.changed, [trained(threshold), trained()], "levels")


def render_blocking() -> None:
    """Step 4: blocking rules."""
    rules = st.multiselect(
        "Blocking rules (compare only pairs that agree on…)",
        list(BLOCKING_CHOICES),
        default=list(DEFAULT_BLOCKING),
        format_func=BLOCKING_CHOICES.get,
        key=f"{PREFIX}blocking",
    )
    if not rules:
        st.warning("Choose at least one rule: without blocking, no pair is compared.")
        return
    result = step_blocking(rules)
    a, b = st.columns(2)
    a.metric("Pairs compared", f"{result.comparisons:,}", help=f"of {result.all_pairs:,} possible")
    b.metric("True pairs the rules generate", f"{result.blocking_recall:.1%}")
    show_scores(result.scores, result.baseline)
    chart(result.chart)
    show_changed(result.changed, [with_blocking(rules), trained()], "blocking")


def render_threshold() -> None:
    """Step 5: prior and threshold."""
    left, right = st.columns(2)
    factor = left.select_slider(
        "Prior: how much likelier a match is than the model estimated",
        options=list(PRIOR_FACTORS),
        value=1.0,
        format_func=lambda f: f"×{f:g}",
        key=f"{PREFIX}prior",
    )
    threshold = right.slider(
        "Threshold: link pairs with match probability at least",
        0.05,
        0.95,
        DEFAULT_THRESHOLD,
        0.05,
        key=f"{PREFIX}threshold",
    )
    result = step_threshold(factor, threshold)
    show_scores(result.scores, result.baseline)
    chart(result.chart)
    show_changed(result.changed, [with_prior(factor), trained()], "threshold")


def render_clusters() -> None:
    """Step 6: clusters."""
    threshold = st.slider(
        "Cluster at match probability at least",
        0.05,
        0.95,
        DEFAULT_THRESHOLD,
        0.05,
        key=f"{PREFIX}cluster_threshold",
    )
    result = step_clusters(threshold)
    m = result.metrics
    a, b, c = st.columns(3)
    a.metric("Clusters found", f"{result.n_clusters:,}", help=f"{result.n_people:,} true people")
    b.metric("Cluster precision (pairwise)", f"{m['pairwise_precision']:.1%}")
    c.metric("Cluster recall (pairwise)", f"{m['pairwise_recall']:.1%}")
    chart(result.chart)
    st.markdown("**An over-merged cluster** (one cluster, several true people)")
    if result.over_merged.empty:
        st.caption("None at this threshold: lower it to see one.")
    else:
        st.dataframe(result.over_merged, hide_index=True, width="stretch")
    st.markdown("**A split person** (one true person, several clusters)")
    if result.split.empty:
        st.caption("None at this threshold: raise it to see one.")
    else:
        st.dataframe(result.split, hide_index=True, width="stretch")


def render_exercise() -> None:
    """The "you be the model" exercise."""
    pairs = exercise_pairs()
    answers: dict[str, bool] = {}
    for i, pair in enumerate(pairs):
        st.markdown(f"**Pair {i + 1}**  \n{pair.record_1}  \n{pair.record_2}")
        choice = st.radio(
            f"Pair {i + 1}: same person?",
            ["Same person", "Different people"],
            index=None,
            horizontal=True,
            key=f"{PREFIX}ex_{i}",
            label_visibility="collapsed",
        )
        if choice is not None:
            answers[pair.pair_key] = choice == "Same person"
    if len(answers) < len(pairs):
        st.info(f"Label all {len(pairs)} pairs to see how the model scored them.")
        return
    result = mark_exercise(answers)
    a, b = st.columns(2)
    a.metric("You got right", f"{result.learner_correct} of {len(pairs)}")
    b.metric("The model got right", f"{result.model_correct} of {len(pairs)}")
    st.dataframe(
        result.table.drop(columns=["pair_key", "you_right", "model_right"]),
        hide_index=True,
        width="stretch",
        column_config={
            "model_probability": st.column_config.NumberColumn("Model probability", format="%.3f")
        },
    )
    labels = {p.pair_key: f"Pair {i + 1}" for i, p in enumerate(pairs)}
    picked = st.selectbox(
        "Why did the model score it so?",
        list(labels),
        format_func=labels.get,
        key=f"{PREFIX}ex_explain",
    )
    chart(explain_pair([trained()], picked))


RENDERERS: dict[str, Callable[[], None]] = {
    "exact": render_exact,
    "mu": render_mu,
    "levels": render_levels,
    "blocking": render_blocking,
    "threshold": render_threshold,
    "clusters": render_clusters,
    "exercise": render_exercise,
}
