"""Evaluate: precision, recall and F1 of a model against truth or clerical labels."""

import streamlit as st

from linkage import charts
from linkage.model.linkers import load_linker
from linkage.model.model_tables import METRIC_LABELS
from linkage.model.result_tables import metrics_at, pair_label, pair_view, scored_only
from linkage.quality.model_evaluation import evaluation
from workbench.charts import fit_width
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import (
    chart_and_table,
    choose_model,
    cluster_metrics_line,
    mistake_counts,
    mistakes_label,
)

st.title("Evaluate a model")
st.caption(
    "Precision: the share of links made that are right. Recall: the share of true matches "
    "found. F1 balances the two. Raising the threshold trades recall for precision."
)
ws = workspace()
model_id = choose_model(ws, key="evaluate_model")
result = None
with user_errors(), st.spinner("Measuring the model…"):
    result = evaluation(ws, model_id)
if result is None:
    st.info(
        "There is nothing to measure this model against yet. Quality needs known answers: "
        "either truth files that say which records are the same person (the sample data ships "
        "with police_truth, cps_truth and courts_truth), or pairs you label by hand.",
        icon=":material/info:",
    )
    st.page_link("pages/link_review.py", label="Label pairs by hand", icon=":material/rule:")
    st.page_link("pages/home.py", label="Load the sample data", icon=":material/home:")
    st.stop()

source = "the truth files" if result.source == "truth" else "your clerical labels"
st.caption(f"Measured against {source}.")
at = metrics_at(result.table, result.threshold)
cols = st.columns(4)
cols[0].metric("Threshold", f"{result.threshold:.3f}")
cols[1].metric(METRIC_LABELS["pairwise_precision"], f"{at['precision']:.3f}")
cols[2].metric(METRIC_LABELS["pairwise_recall"], f"{at['recall']:.3f}")
cols[3].metric(METRIC_LABELS["pairwise_f1"], f"{at['f1']:.3f}")
if result.cluster_metrics:
    st.caption(cluster_metrics_line(result.cluster_metrics))
if abs(result.best_threshold - result.threshold) > 1e-6:
    st.info(
        f"The best {METRIC_LABELS['pairwise_f1']} is at threshold {result.best_threshold:.3f}.",
        icon=":material/lightbulb:",
    )
    st.page_link("pages/link_clusters.py", label="Change the threshold", icon=":material/tune:")

chart_tab, table_tab = st.tabs(["Threshold selection", "Table"])
chart_tab.altair_chart(fit_width(result.chart), width="stretch")
table_tab.dataframe(result.table, hide_index=True, width="stretch", key="evaluate_table")

st.subheader("Mistakes at this threshold")
shown = {"fp": len(result.false_positives), "fn": len(result.false_negatives)}
totals = {k: max(v, shown[k]) for k, v in mistake_counts(result.table, result.threshold).items()}
fp_tab, fn_tab = st.tabs(
    [
        mistakes_label("False positives", shown["fp"], totals.get("fp", shown["fp"])),
        mistakes_label("False negatives", shown["fn"], totals.get("fn", shown["fn"])),
    ]
)
for tab, errors, kind in (
    (fp_tab, result.false_positives, "fp"),
    (fn_tab, result.false_negatives, "fn"),
):
    with tab:
        if errors.empty:
            st.success("None.", icon=":material/check_circle:")
            continue
        st.dataframe(pair_view(errors), hide_index=True, width="stretch", key=f"evaluate_{kind}")
        scored = scored_only(errors)
        if scored.empty:
            st.caption("None of these pairs was scored: blocking never compared them.")
            continue
        rows = scored.to_dict(orient="records")
        index = st.selectbox(
            "Explain a pair",
            range(len(rows)),
            key=f"evaluate_pick_{kind}",
            format_func=lambda i, rows=rows: pair_label(rows[i]),
        )
        with user_errors():
            model = load_linker(ws, model_id)
            waterfall = charts.waterfall_chart(model, scored.iloc[[index]])
            chart_and_table(waterfall, charts.waterfall_table(waterfall), key=f"evaluate_{kind}")
