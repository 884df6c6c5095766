"""Import: upload a file, read one from a path, or load the sample data."""

import streamlit as st

from workbench.config import import_folders, load_settings, shared_mode
from workbench.data.catalogue import SOURCE_SYSTEMS
from workbench.data.coltypes import INVALID_LABELS
from workbench.data.datasets import add_file, load_sample, sample_available
from workbench.data.importer import SUPPORTED_FORMATS
from workbench.sql import suggest_dataset_name
from workbench.ui.context import user_errors, workspace
from workbench.ui.login import acting_user

st.title("Import data")
ws = workspace()
settings = load_settings()
actor = acting_user().username
folders = import_folders()
path_allowed = bool(folders) or not shared_mode()
extensions = sorted({ext.lstrip(".") for ext in SUPPORTED_FORMATS})


def details(prefix: str, default_name: str) -> dict:
    """The name and catalogue fields shared by both import routes."""
    left, right = st.columns(2)
    name = left.text_input("Dataset name", value=default_name, key=f"{prefix}_name")
    system = right.selectbox("Source system", SOURCE_SYSTEMS, index=3, key=f"{prefix}_system")
    title = st.text_input("Title", key=f"{prefix}_title")
    new_version = st.checkbox("If the name exists, save as a new version", key=f"{prefix}_version")
    invalid = st.radio(
        "Values that do not fit their column (a date column holding 'not known' or 30 February)",
        list(INVALID_LABELS),
        format_func=INVALID_LABELS.get,
        horizontal=True,
        key=f"{prefix}_invalid",
    )
    return {
        "name": name.strip() or None,
        "source_system": system,
        "title": title.strip() or None,
        "on_conflict": "version" if new_version else "error",
        "max_bytes": settings.max_import_bytes,
        "actor": actor,
        "invalid": invalid,
    }


upload_tab, path_tab, sample_tab = st.tabs(["Upload a file", "From a path", "Sample data"])
with upload_tab:
    st.caption(
        f"CSV, TSV, Parquet, Excel or JSON, up to {settings.max_import_mb:g} MB. "
        "Encoding and delimiter are detected; nothing is kept unless the whole file imports."
    )
    upload = st.file_uploader("File", type=extensions, key="upload_file")
    options = details("upload", suggest_dataset_name(upload.name) if upload else "")
    if st.button("Import", key="upload_import", type="primary", disabled=upload is None):
        with user_errors(), st.spinner("Importing…"):
            name = options.pop("name")
            info = add_file(ws, upload.getvalue(), name, filename=upload.name, **options)
            st.success(
                f"Imported {info.name}: {info.row_count:,} rows, {info.column_count} columns."
            )
            st.session_state["current_dataset"] = info.name

with path_tab:
    if folders:
        st.caption("Files in " + ", ".join(f"`{f}`" for f in folders) + " only.")
    elif not path_allowed:
        st.info(
            "Importing from a path on the server is switched off here: upload the file instead. "
            "An administrator can allow folders with WORKBENCH_IMPORT_DIRS or [import] folders "
            "in the configuration.",
            icon=":material/info:",
        )
    path = st.text_input("Path on this machine", key="path_file", disabled=not path_allowed)
    options = details("path", suggest_dataset_name(path.rsplit("/", 1)[-1]) if path else "")
    if st.button("Import", key="path_import", type="primary", disabled=not (path and path_allowed)):
        with user_errors(), st.spinner("Importing…"):
            name = options.pop("name")
            info = add_file(ws, path.strip(), name, **options)
            st.success(
                f"Imported {info.name}: {info.row_count:,} rows, {info.column_count} columns."
            )
            st.session_state["current_dataset"] = info.name

with sample_tab:
    st.write(
        "Synthetic police, CPS and court extracts for all 42 LCJB areas, with realistic "
        "identifier errors and truth files. Datasets already in the workspace are kept."
    )
    if st.button("Load the sample data", key="sample_load", disabled=not sample_available()):
        with user_errors(), st.spinner("Loading the sample data…"):
            loaded = load_sample(ws)
            if loaded:
                st.success("Loaded " + ", ".join(d.name for d in loaded) + ".")
            else:
                st.info("The sample datasets are already in the workspace.")

st.page_link("pages/catalogue.py", label="Open the catalogue", icon=":material/dataset:")
