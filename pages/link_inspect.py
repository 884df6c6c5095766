"""Inspect: what a trained model learned, chart by chart."""

import streamlit as st

from linkage import charts
from linkage.clusters.graph import (
    cluster_graph,
    cluster_graph_chart,
    graph_caption,
    graph_choices,
    links_view,
)
from linkage.clusters.registry import get_model
from linkage.model.linkers import load_linker
from linkage.model.model_tables import em_sessions_table, model_parameters_table, tf_columns
from linkage.quality.findings import saved_report
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import chart_and_table, choose_model, health_panel

st.title("Inspect a model")
st.caption(
    "A match weight says how much a kind of agreement (or disagreement) moves two records "
    "towards or away from being the same person. Positive weights are evidence for a match."
)
ws = workspace()
model_id = choose_model(ws, key="inspect_model")
model = None
with user_errors():
    saved = get_model(ws, model_id)
    with st.spinner("Loading the model…"):
        model = load_linker(ws, model_id)
if model is None:
    st.stop()
parameters = model_parameters_table(saved["settings"])
health_panel(saved_report(saved["metrics"]))

weights, mu, sessions, tf, unlinkable, graph = st.tabs(
    ["Match weights", "m and u", "Training sessions", "Term frequency", "Unlinkables", "Clusters"]
)
with weights:
    st.caption("The weight of each comparison level, and the prior (the starting point).")
    chart_and_table(lambda: charts.match_weights_chart(model), parameters, key="inspect_mw")
with mu:
    st.caption(
        "m: how often true matches fall in a level. u: how often non-matches do by chance. "
        "A level is strong evidence when m is much larger than u."
    )
    chart_and_table(lambda: charts.m_u_parameters_chart(model), parameters, key="inspect_mu")
with sessions:
    st.caption(
        "Estimates from each training session side by side: similar values mean the model "
        "is stable; a level far apart from one session to the next deserves a look."
    )
    chart_and_table(
        lambda: charts.parameter_estimates_chart(model),
        em_sessions_table(saved["metrics"]),
        key="inspect_em",
    )
with tf:
    columns = tf_columns(saved["settings"])
    if not columns:
        st.info("No comparison uses a term-frequency adjustment.", icon=":material/info:")
    else:
        st.caption(
            "Agreement on a rare value (an unusual surname) counts for more than agreement on "
            "a common one. The chart shows the adjustment for each value."
        )
        column = st.selectbox("Column", columns, key="inspect_tf_column")
        chart_and_table(lambda: charts.tf_adjustment_chart(model, column))
with unlinkable:
    st.caption(
        "Records whose weight against an identical copy of themselves stays low cannot be "
        "linked at that threshold: usually records with many missing values."
    )
    chart_and_table(lambda: charts.unlinkables_chart(model))
with graph:
    st.caption(
        "A cluster drawn as Splink's cluster studio draws it: records as points, scored pairs "
        "as links coloured by match weight. A thick link holds the cluster together on its own "
        "(removing it splits the cluster); the weakest of them is marked. Clusters held by a "
        "weak link come first."
    )
    with user_errors():
        choices = graph_choices(ws, model_id)
        if choices.empty:
            st.info("Every record stands alone in the stored clusters.", icon=":material/info:")
        else:
            labels = dict(zip(choices["cluster_id"], choices["label"], strict=True))
            chosen = st.selectbox(
                "Cluster", list(labels), format_func=labels.__getitem__, key="inspect_cluster"
            )
            cluster = cluster_graph(ws, model_id, chosen)
            st.caption(graph_caption(cluster))
            chart_and_table(
                cluster_graph_chart(cluster),
                links_view(cluster),
                key="inspect_graph",
            )
