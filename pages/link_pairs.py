"""Pairs: browse scored pairs by match weight and see why each scored as it did."""

import streamlit as st

from linkage import charts
from linkage.model.linkers import load_linker
from linkage.model.patterns import (
    comparison_patterns,
    example_label,
    examples_view,
    pattern_examples,
    patterns_caption,
    patterns_chart,
)
from linkage.model.result_tables import (
    kept_pairs_note,
    mark_missing_values,
    pair_label,
    pair_view,
    weight_band_limits,
)
from linkage.review.pairs import kept_pairs, pairs_in_band
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import chart_and_table, choose_model, readable_records

st.title("Scored pairs")
st.caption(
    "Every comparison the blocking rules produced was scored with a match weight: the sum of "
    "the evidence from each column. Browse a band of the pairs kept, then open a pair to see "
    "each column's part."
)
ws = workspace()
model_id = choose_model(ws, key="pairs_model")

band, patterns = st.tabs(["Pairs by weight", "Comparison patterns"])
with band:
    kept = None
    with user_errors():
        kept = kept_pairs(ws, model_id)
    if kept is None:
        st.stop()
    st.caption(kept_pairs_note(kept.n_pairs, kept.cut, kept.cut_probability))
    start, end = weight_band_limits(kept.low, kept.high, kept.cut)
    left, middle, right = st.columns([4, 1, 1.3])
    low, high = left.slider(
        "Match weight band",
        min_value=start,
        max_value=end,
        value=(min(max(0.0, start), end), min(8.0, end)),
        step=0.5,
        key="pairs_band",
        help=f"A weight of 0 is even odds; about 3.2 is a match probability of 0.9. Pairs "
        f"below {kept.cut:g} were not kept, so the band starts at {start:g}.",
    )
    limit = middle.number_input("Show at most", 10, 1000, 200, step=10, key="pairs_limit")
    shuffle = right.toggle(
        "Sample",
        key="pairs_sample",
        help="A spread-out sample of the band; otherwise the highest weights first.",
    )
    pairs = None
    with user_errors():
        pairs = pairs_in_band(ws, model_id, low, high, limit=int(limit), sample=shuffle)
    if pairs is not None and pairs.empty:
        st.info(
            f"No kept pair has a weight in this band (pairs below {kept.cut:g} were not kept). "
            "Widen it.",
            icon=":material/info:",
        )
    elif pairs is not None:
        st.caption(f"{len(pairs):,} pairs shown.")
        st.dataframe(
            readable_records(pair_view(pairs)), hide_index=True, width="stretch", key="pairs_table"
        )
        rows = pairs.to_dict(orient="records")
        index = st.selectbox(
            "Explain a pair",
            range(len(rows)),
            key="pairs_pick",
            format_func=lambda i: pair_label(rows[i]),
        )
        st.caption(
            "The waterfall starts at the prior and adds each column's weight; bars above zero "
            "push towards a match, below zero away from one."
        )
        with user_errors():
            model = load_linker(ws, model_id)
            waterfall = charts.waterfall_chart(model, mark_missing_values(pairs.iloc[[index]]))
            chart_and_table(waterfall, charts.waterfall_table(waterfall), key="pairs_waterfall")

with patterns:
    st.caption(
        "Splink's comparison viewer: pairs grouped by the level each column reached (the "
        "pattern), how many pairs share it and their mean match weight. Choose a pattern to see "
        "example pairs, then a pair to see its waterfall. JW: Jaro-Winkler similarity; Lev.: "
        "Levenshtein distance."
    )
    found = None
    with user_errors():
        found = comparison_patterns(ws, model_id)
    if found is None or found.table.empty:
        st.info("There are no scored pairs.", icon=":material/info:")
        st.stop()
    st.caption(patterns_caption(found))
    st.altair_chart(patterns_chart(found), width="content")
    pattern = st.selectbox(
        "Pattern",
        found.table["pattern"].tolist(),
        format_func=found.choice_label,
        key="pairs_pattern",
    )
    examples = st.number_input("Examples", 1, 20, 5, key="pairs_examples")
    with user_errors():
        shown = pattern_examples(ws, model_id, found.levels(pattern), int(examples))
        st.dataframe(
            examples_view(shown, found.comparisons),
            hide_index=True,
            width="stretch",
            key="pairs_pattern_examples",
        )
        example_rows = shown.to_dict(orient="records")
        pick = st.selectbox(
            "Explain an example",
            range(len(example_rows)),
            format_func=lambda i: example_label(example_rows[i]),
            key=f"pairs_pattern_pick_{pattern}",
        )
        model = load_linker(ws, model_id)
        waterfall = charts.waterfall_chart(model, mark_missing_values(shown.iloc[[pick]]))
        chart_and_table(waterfall, charts.waterfall_table(waterfall), key="pairs_pattern_waterfall")
