"""Configure: the suggested linkage model, editable, with its blocking rules measured."""

import streamlit as st

from linkage.model.blocking import blocking_chart, check_rule_within_budget
from linkage.model.datasets import save_draft, suggest_for_datasets
from linkage.model.spec_table import (
    add_rule,
    levels_table,
    parse_rule,
    remove_rules,
    with_link_type,
)
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import (
    blocking_counts,
    chart_and_table,
    choose_datasets,
    choose_link_type,
    comparison_editor,
    draft_or_suggestion,
    prepared_input,
)

st.title("Configure the linkage model")
st.caption(
    "The workbench suggests how to compare each person column and which pairs of records to "
    "score (blocking). Change anything here, save the draft, then train it."
)
ws = workspace()
datasets = choose_datasets(ws, key="config_datasets")
key = "link_spec::" + ",".join(datasets)
with user_errors():
    if key not in st.session_state:
        st.session_state[key], st.session_state[key + "::draft"] = draft_or_suggestion(ws, datasets)
if key not in st.session_state:
    st.stop()
spec = st.session_state[key]
st.caption(
    "Showing your saved draft."
    if st.session_state.get(key + "::draft")
    else "Showing the suggested model (not saved yet)."
)

link_type = choose_link_type("config_link_type", spec.link_type, len(datasets))
if link_type != spec.link_type:
    st.session_state[key] = spec = with_link_type(spec, link_type)

st.subheader("Comparisons")
st.caption("How each column is compared. Thresholds are similarities (0–1) or distances.")
with user_errors():
    edited = comparison_editor(spec, key="config_cmp")
    if edited is not None:
        st.session_state[key] = edited
        st.rerun()

with st.expander("What each level of each comparison means", icon=":material/list:"):
    st.dataframe(
        levels_table(spec),
        hide_index=True,
        key="config_levels",
        column_config={"column": "Column", "level": "Level", "meaning": "What it means"},
    )

st.subheader("Blocking rules")
st.caption(
    "Only pairs of records that agree on at least one rule are scored. More rules find more "
    f"true matches but cost time; the budget is {spec.comparison_budget:,} comparisons."
)
with user_errors():
    counts = blocking_counts(ws, datasets, spec)
    total = int(counts["cumulative"].iloc[-1]) if not counts.empty else 0
    left, right = st.columns(2)
    left.metric("Comparisons to score", f"{total:,}")
    right.metric("Blocking rules", len(spec.blocking_rules))
    # The budget line is drawn only when it is in reach; otherwise it would flatten the bars.
    budget = spec.comparison_budget if total * 10 >= spec.comparison_budget else None
    chart = blocking_chart(counts, budget).configure_axisY(labelLimit=320)
    chart_and_table(chart, counts, key="config_blocking")

add_col, remove_col = st.columns(2)
with add_col:
    new_rule = st.text_input(
        "Add a rule",
        key="config_rule_new",
        placeholder="surname + year(dob)",
        help="Columns or substr(column, start, length), year(column), month(column), "
        "lower(column), joined by +.",
    )
    if st.button("Add rule", key="config_rule_add", icon=":material/add:"):
        with user_errors():
            rule = parse_rule(new_rule)
            con = prepared_input(ws, datasets).connection()
            try:
                count = check_rule_within_budget(con, rule, spec.link_type, spec.comparison_budget)
            finally:
                con.close()
            st.session_state[key] = add_rule(spec, rule)
            st.toast(f"Added {rule.label()}: {count:,} comparisons on its own.")
            st.rerun()
with remove_col:
    labels = [r.label() for r in spec.blocking_rules]
    dropped = st.multiselect("Remove rules", labels, key="config_rule_remove")
    if st.button("Remove", key="config_rule_drop", disabled=not dropped, icon=":material/delete:"):
        with user_errors():
            st.session_state[key] = remove_rules(spec, dropped)
            del st.session_state["config_rule_remove"]
            st.rerun()

if spec.notes:
    with st.expander("Why the model looks like this", icon=":material/lightbulb:"):
        for note in spec.notes:
            st.markdown(f"- {note}")

save_col, reset_col, _ = st.columns([1, 1, 3])
if save_col.button("Save draft", key="config_save", type="primary", icon=":material/save:"):
    with user_errors():
        save_draft(ws, datasets, spec)
        st.session_state[key + "::draft"] = True
        st.success("Draft saved. Train it on the Train page.", icon=":material/check_circle:")
if reset_col.button("Suggest again", key="config_reset", icon=":material/restart_alt:"):
    with user_errors():
        st.session_state[key] = suggest_for_datasets(ws, datasets, link_type=link_type)
        st.session_state[key + "::draft"] = False
        st.rerun()
st.page_link("pages/link_train.py", label="Train this model", icon=":material/model_training:")
