"""Catalogue: search datasets, read and edit their metadata, columns, quality and lineage."""

import streamlit as st

from workbench.charts import fit_width
from workbench.data.catalogue import (
    EDITABLE_FIELDS,
    column_dictionary,
    datasets_table,
    get_dataset,
    lineage_table,
    list_datasets,
    preview,
    save_column_descriptions,
    update_metadata,
)
from workbench.data.profile import completeness_chart, load_profile, profile_table, refresh_profile
from workbench.ui.context import user_errors, workspace

st.title("Data catalogue")
ws = workspace()

search_col, kind_col = st.columns([3, 1])
search = search_col.text_input(
    "Search", key="catalogue_search", placeholder="name, title, owner, column…"
)
kind = kind_col.selectbox("Show", ["source", "truth", "all"], key="catalogue_kind")
items = list_datasets(ws, search=search or None, kind=None if kind == "all" else kind)
if not items:
    st.info("No datasets match." if search else "The workspace holds no datasets yet.")
    st.page_link("pages/import_data.py", label="Import data", icon=":material/upload:")
    st.stop()
st.dataframe(
    datasets_table(items),
    hide_index=True,
    width="stretch",
    column_config={
        "name": "Name",
        "title": "Title",
        "kind": "Kind",
        "source system": "System",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "columns": st.column_config.NumberColumn("Columns", format="localized"),
        "owner": "Owner",
        "refreshed": st.column_config.DateColumn("Refreshed", format="D MMM YYYY"),
        "imported": st.column_config.DatetimeColumn("Imported (UTC)", format="D MMM YYYY HH:mm"),
    },
)

names = [d.name for d in items]
remembered = st.session_state.get("current_dataset")
chosen = st.selectbox(
    "Dataset",
    names,
    index=names.index(remembered) if remembered in names else 0,
    key="catalogue_dataset",
)
st.session_state["current_dataset"] = chosen
info = get_dataset(ws, chosen)
about, columns, quality, rows, lineage = st.tabs(
    ["About", "Columns", "Quality profile", "Preview", "Lineage"]
)

with about, st.form(f"meta_{chosen}"):
    values = {}
    for field in EDITABLE_FIELDS:
        current = getattr(info, field)
        label = field.replace("_", " ").capitalize()
        if field == "description":
            values[field] = st.text_area(label, value=current or "", key=f"meta_{chosen}_{field}")
        elif field == "refresh_date":
            values[field] = st.date_input(label, value=current, key=f"meta_{chosen}_{field}")
        else:
            values[field] = st.text_input(label, value=current or "", key=f"meta_{chosen}_{field}")
    if st.form_submit_button("Save details"):
        with user_errors():
            update_metadata(ws, chosen, **values)
            st.success("Saved.")

with columns:
    st.caption("Edit a description in the table, then save.")
    dictionary = column_dictionary(ws, chosen)
    edited = st.data_editor(
        dictionary,
        hide_index=True,
        disabled=[c for c in dictionary if c != "description"],
        key=f"dictionary_{chosen}",
        width="stretch",
    )
    if st.button("Save descriptions", key="save_descriptions"):
        with user_errors():
            changed = save_column_descriptions(ws, chosen, dictionary, edited)
            st.success(f"Saved {changed} description(s).")

with quality:
    profile = load_profile(ws, chosen)
    if st.button("Refresh profile", key="refresh_profile") or profile is None:
        with user_errors(), st.spinner("Profiling…"):
            profile = refresh_profile(ws, chosen)
    if profile is not None:
        st.caption(f"{profile.rows:,} rows, profiled {profile.computed_at:%d %b %Y %H:%M} UTC.")
        if profile.note:
            st.info(profile.note, icon=":material/info:")
        st.altair_chart(fit_width(completeness_chart(profile)), width="stretch")
        st.dataframe(profile_table(profile), hide_index=True, width="stretch")

with rows:
    st.dataframe(preview(ws, chosen, limit=200), hide_index=True, width="stretch")

with lineage:
    st.dataframe(lineage_table(ws, chosen), hide_index=True, width="stretch")
