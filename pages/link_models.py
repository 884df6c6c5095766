"""Models: every trained version, side by side, and which one the workbench uses."""

import streamlit as st

from linkage.clusters.registry import compare_models, get_model, list_models, set_active_model
from linkage.model.model_tables import metrics_table, model_label, models_table, settings_json
from workbench.ui.context import user_errors, workspace
from workbench.ui.linkage_widgets import LINK_TYPE_LABELS, no_model_yet
from workbench.ui.login import acting_user

st.title("Model versions")
st.caption(
    "Every training run is kept as a version with its Splink settings, the fingerprint of the "
    "data it was trained on and its measured quality. The active version feeds journeys."
)
ws = workspace()
models = list_models(ws)
if models.empty:
    no_model_yet()

table = models_table(models)
table["link_type"] = table["link_type"].map(LINK_TYPE_LABELS).fillna(table["link_type"])
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="models_table",
    column_config={
        "active": st.column_config.CheckboxColumn("Active"),
        "name": "Name",
        "created_at": st.column_config.DatetimeColumn("Trained", format="D MMM YYYY HH:mm"),
        "datasets": "Datasets",
        "link_type": "Link type",
        "threshold": st.column_config.NumberColumn("Threshold", format="%.3f"),
        "truth source": "Truth source",
        "model_id": None,  # the registry's id: the name and date say which version it is
        "fingerprint": st.column_config.TextColumn(
            "Data fingerprint", help="Changes whenever the data the model saw changes."
        ),
    },
)

ids = models["model_id"].tolist()
st.subheader("One version")
model_id = st.selectbox(
    "Version", ids, key="models_pick", format_func=lambda m: model_label(models, m)
)
model = None
with user_errors():
    model = get_model(ws, model_id)
if model is None:
    st.stop()
left, right = st.columns(2)
with left:
    st.dataframe(metrics_table(model.get("metrics")), hide_index=True, width="stretch")
with right:
    if model.get("is_active"):
        st.success("This is the active model.", icon=":material/check_circle:")
    elif st.button("Make active", key="models_activate", type="primary", icon=":material/star:"):
        with user_errors():
            set_active_model(ws, model_id, actor=acting_user().username)
            st.rerun()
    st.download_button(
        "Download Splink settings (JSON)",
        data=settings_json(model["settings"]),
        file_name=f"{model_id}.json",
        mime="application/json",
        key="models_download",
        icon=":material/download:",
        help="Load it in plain Splink with Linker(data, 'file.json').",
    )
    if model.get("notes"):
        st.caption(model["notes"])

st.subheader("Compare two versions")
if len(ids) < 2:
    st.info("Train another version to compare it with this one.", icon=":material/info:")
    st.stop()
a_col, b_col = st.columns(2)
a = a_col.selectbox(
    "Version A", ids, index=1, key="models_a", format_func=lambda m: model_label(models, m)
)
b = b_col.selectbox(
    "Version B", ids, index=0, key="models_b", format_func=lambda m: model_label(models, m)
)
if a == b:
    st.info("Choose two different versions.", icon=":material/info:")
    st.stop()
with user_errors():
    diff = compare_models(ws, a, b)
    metrics_tab, params_tab, settings_tab = st.tabs(["Quality", "Match weights", "Settings"])
    metrics_tab.dataframe(diff.metrics, hide_index=True, width="stretch", key="models_cmp_m")
    params_tab.dataframe(diff.parameters, hide_index=True, width="stretch", key="models_cmp_p")
    if diff.settings_diff.empty:
        settings_tab.success("The settings are the same; only the estimates differ.")
    else:
        settings_tab.dataframe(
            diff.settings_diff, hide_index=True, width="stretch", key="models_cmp_s"
        )
