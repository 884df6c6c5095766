"""Streamlit helpers shared by the Link pages: dataset and model pickers, empty states,
charts with a table view, cached inputs, the comparison editor and tables for reading.

Training in a background thread is in :mod:`workbench.ui.training_jobs`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from linkage.clusters import registry
from linkage.data import PreparedInput, prepare_frames
from linkage.model.blocking import cumulative_comparisons
from linkage.model.datasets import (
    linkable_datasets,
    load_draft,
    standardised_inputs,
    suggest_for_datasets,
)
from linkage.model.model_spec import COMPARISON_KINDS, BlockingRuleSpec, ModelSpec
from linkage.model.model_tables import METRIC_LABELS, model_label
from linkage.model.spec_table import (
    KINDS_WITH_TF,
    KINDS_WITH_THRESHOLDS,
    apply_comparisons_table,
    comparisons_table,
    edit_comparison,
    format_thresholds,
)
from linkage.quality.findings import INFO, SERIOUS, WARNING, Finding, HealthReport
from workbench.charts import top_spec
from workbench.errors import WorkbenchError
from workbench.linked_models import active_model_id
from workbench.persons.roles import load_roles
from workbench.workspace import Workspace

SAMPLE_SOURCES = ("police", "cps", "courts")
LINK_TYPE_LABELS = {
    "dedupe_only": "Deduplicate (find repeats within each dataset)",
    "link_only": "Link (match records across datasets only)",
    "link_and_dedupe": "Link and deduplicate (both)",
}


# ----------------------------------------------------------------- empty states
def no_linkable_datasets() -> None:
    """Explain that nothing can be linked yet and stop the page."""
    st.info(
        "No dataset has person columns yet. Load the sample data or import a file, then confirm "
        "which columns hold names, dates of birth and postcodes.",
        icon=":material/info:",
    )
    st.page_link("pages/import_data.py", label="Import data", icon=":material/upload:")
    st.page_link("pages/roles.py", label="Column roles", icon=":material/badge:")
    st.stop()


def no_model_yet() -> None:
    """Explain that no model has been trained yet and stop the page."""
    st.info("No linkage model has been trained yet.", icon=":material/info:")
    st.page_link("pages/link_train.py", label="Train a model", icon=":material/model_training:")
    st.stop()


# ---------------------------------------------------------------------- pickers
def choose_datasets(ws: Workspace, key: str) -> list[str]:
    """A multiselect of linkable datasets (the sample sources by default).

    Each page passes its own ``key``; the choice is remembered across pages.

    Stops the page with a message when nothing is linkable or nothing is chosen.
    """
    names = linkable_datasets(ws)
    if not names:
        no_linkable_datasets()
    remembered = [n for n in st.session_state.get("link_datasets_chosen", []) if n in names]
    default = remembered or [n for n in SAMPLE_SOURCES if n in names] or names[:1]
    chosen = st.multiselect("Datasets to link", names, default=default, key=key)
    st.session_state["link_datasets_chosen"] = list(chosen)
    if not chosen:
        st.info("Choose at least one dataset.", icon=":material/info:")
        st.stop()
    return list(chosen)


def choose_link_type(key: str, current: str, n_datasets: int) -> str:
    """A link-type select box; deduplication only when one dataset is chosen."""
    options = list(LINK_TYPE_LABELS) if n_datasets > 1 else ["dedupe_only"]
    index = options.index(current) if current in options else 0
    return st.selectbox(
        "Link type",
        options,
        index=index,
        key=key,
        format_func=LINK_TYPE_LABELS.__getitem__,
        help="Deduplicate finds the same person twice in one dataset; link finds them across "
        "datasets.",
    )


BACKEND_LABELS = {
    "duckdb": "This machine (DuckDB)",
    "spark": "Apache Spark",
}


@st.cache_data(ttl=60, show_spinner=False)
def _backend_problem(name: str) -> str | None:
    """What stops a backend running here (checked once a minute: Spark looks for Java)."""
    from linkage.backends import get_backend

    return get_backend(name).problem()


def choose_backend(key: str) -> str:
    """Where training runs: DuckDB on this machine (default) or Apache Spark.

    Spark is offered with a note saying what is missing when it cannot run here; choosing it
    anyway gives the install instructions when training starts.
    """
    backend = st.selectbox(
        "Run on",
        list(BACKEND_LABELS),
        index=0,
        key=key,
        format_func=BACKEND_LABELS.__getitem__,
        help="DuckDB on this machine suits millions of records. Spark (SPARK_REMOTE or "
        "WORKBENCH_SPARK_MASTER, local Spark by default) is for data beyond one machine; the "
        "results are stored here either way, so every page works the same.",
    )
    problem = _backend_problem(str(backend))
    if problem is not None:
        st.caption(f":material/warning: {BACKEND_LABELS[backend]} is not available here: {problem}")
    return str(backend)


def choose_model(ws: Workspace, key: str, label: str = "Model") -> str:
    """A model select box defaulting to the active model; stops the page when there is none."""
    models = registry.list_models(ws)
    if models.empty:
        no_model_yet()
    ids = models["model_id"].tolist()
    remembered = st.session_state.get("link_model_chosen")
    active = active_model_id(ws)
    default = remembered if remembered in ids else active if active in ids else ids[0]
    model_id = st.selectbox(
        label,
        ids,
        index=ids.index(default),
        key=key,
        format_func=lambda m: model_label(models, m),
        help="Models are named by name, training date and threshold; their registry ids are "
        "on the Models page.",
    )
    st.session_state["link_model_chosen"] = model_id
    return model_id


# ----------------------------------------------------------------------- charts
def chart_and_table(
    chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin],
    table: pd.DataFrame | None = None,
    key: str = "",
) -> None:
    """An Altair chart with, when given, a table view of its data in a second tab."""
    if table is None:
        _draw(chart)
        return
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    with chart_tab:
        _draw(chart)
    table_tab.dataframe(
        table, hide_index=True, width="stretch", key=f"{key}_table" if key else None
    )


def _draw(chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin]) -> None:
    try:
        built = chart() if callable(chart) else chart
    except WorkbenchError as exc:
        st.warning(str(exc), icon=":material/warning:")
        return
    # Splink's concatenated charts have fixed sizes and draw blank when stretched; a chart
    # with a width per band (the waterfall) squeezes its axis labels together when stretched.
    compound = isinstance(built, alt.ConcatChart | alt.VConcatChart | alt.HConcatChart)
    st.altair_chart(built, width="content" if compound or has_band_width(built) else "stretch")


def has_band_width(chart: alt.TopLevelMixin) -> bool:
    """Whether a chart sets its width per band (``{"step": n}``) rather than in pixels."""
    width = top_spec(chart).get("width")
    return isinstance(width, dict) and "step" in width


# ----------------------------------------------------------------- health check
_HEALTH_BOXES = {
    SERIOUS: (st.error, ":material/error:"),
    WARNING: (st.warning, ":material/warning:"),
    INFO: (st.info, ":material/info:"),
}


def _finding_text(finding: Finding) -> str:
    where = finding.comparison or ""
    if finding.level:
        where = f"{where} · {finding.level}" if where else finding.level
    text = f"**{where}** — {finding.message}" if where else finding.message
    if finding.severity == INFO:
        return f"{text}\n\n{finding.advice}"
    return f"{text}\n\n**Change:** {finding.advice}"


def health_panel(report: HealthReport | None) -> None:
    """A model's health check: a summary, then each finding naming its comparison.

    Serious problems and warnings are shown in full; notes (such as the estimated blocking
    recall) sit in an expander. ``None`` (a version saved before the check existed) says so.
    """
    st.subheader("Health check")
    if report is None:
        st.caption(
            "This version was saved before models were checked; train it again to see its "
            "health check."
        )
        return
    problems = [f for f in report.findings if f.severity in (SERIOUS, WARNING)]
    notes = [f for f in report.findings if f.severity not in (SERIOUS, WARNING)]
    if not problems:
        st.success(
            "No problems found in the weights, the comparisons, the blocking or the clusters.",
            icon=":material/check_circle:",
        )
    else:
        st.caption(
            f"{report.summary()}. Serious problems probably make the links wrong; warnings "
            "deserve a look before the results are used."
        )
    for finding in problems:
        box, icon = _HEALTH_BOXES[finding.severity]
        box(_finding_text(finding), icon=icon)
    if notes:
        label = f"{len(notes)} note{'s' if len(notes) != 1 else ''}"
        with st.expander(label, icon=":material/info:"):
            for finding in notes:
                st.markdown(_finding_text(finding))


# ----------------------------------------------------------------- cached inputs
def _roles_key(ws: Workspace, datasets: tuple[str, ...]) -> str:
    return repr([(d, sorted((c, str(r)) for c, r in load_roles(ws, d).items())) for d in datasets])


@st.cache_resource(show_spinner="Reading the datasets…", max_entries=4)
def _prepared(path: str, datasets: tuple[str, ...], roles_key: str, _ws: Workspace) -> Any:
    return prepare_frames(standardised_inputs(_ws, list(datasets)), names=list(datasets))


def prepared_input(ws: Workspace, datasets: list[str]) -> PreparedInput:
    """The standardised, aligned inputs of the datasets (cached until their roles change)."""
    key = tuple(datasets)
    return _prepared(str(ws.path), key, _roles_key(ws, key), ws)


@st.cache_resource(show_spinner="Loading the scored pairs…", max_entries=2)
def _pairs(path: str, model_id: str, _ws: Workspace) -> pd.DataFrame:
    return registry.load_predictions(_ws, model_id)


def stored_pairs(ws: Workspace, model_id: str) -> pd.DataFrame:
    """A model's stored predictions (cached: they never change once a model is saved)."""
    return _pairs(str(ws.path), model_id, ws)


def draft_or_suggestion(ws: Workspace, datasets: list[str]) -> tuple[ModelSpec, bool]:
    """The saved draft of these datasets, else the suggested model; and whether it is a draft."""
    draft = load_draft(ws, datasets)
    if draft is not None:
        return draft, True
    return _suggested(ws, datasets), False


def _suggested(ws: Workspace, datasets: list[str]) -> ModelSpec:
    key = f"link_suggestion::{ws.path}::{','.join(datasets)}"
    if key not in st.session_state:
        with st.spinner("Suggesting a model from the columns and their values…"):
            st.session_state[key] = suggest_for_datasets(ws, datasets)
    return st.session_state[key]


@st.cache_data(show_spinner="Counting the comparisons each rule makes…", max_entries=32)
def _counts(
    path: str,
    datasets: tuple[str, ...],
    roles_key: str,
    rules: tuple[tuple[str, ...], ...],
    link_type: str,
    _ws: Workspace,
) -> pd.DataFrame:
    data = prepared_input(_ws, list(datasets))
    return cumulative_comparisons(data, [BlockingRuleSpec(list(e)) for e in rules], link_type)


def blocking_counts(ws: Workspace, datasets: list[str], spec: ModelSpec) -> pd.DataFrame:
    """Comparisons of each blocking rule alone and together (cached per rule set)."""
    key = tuple(datasets)
    rules = tuple(tuple(r.expressions) for r in spec.blocking_rules)
    return _counts(str(ws.path), key, _roles_key(ws, key), rules, spec.link_type, ws)


# ------------------------------------------------------------------- spec editor
def comparison_editor(spec: ModelSpec, key: str) -> ModelSpec | None:
    """Edit the comparisons in a table, or one column at a time in a form below it.

    Returns:
        The edited spec when the user changed something in this run, else ``None``.
    """
    version = st.session_state.setdefault(f"{key}_version", 0)
    editor_key = f"{key}_editor_{version}"
    table = comparisons_table(spec)
    st.data_editor(
        table,
        key=editor_key,
        hide_index=True,
        width="stretch",
        disabled=["column", "note"],
        column_config={
            "column": st.column_config.TextColumn("Column"),
            "kind": st.column_config.SelectboxColumn(
                "Comparison", options=list(COMPARISON_KINDS), required=True
            ),
            "thresholds": st.column_config.TextColumn(
                "Thresholds", help="Similarities (0–1) or distances, separated by commas."
            ),
            "term_frequency": st.column_config.CheckboxColumn(
                "Term frequency", help="Weight agreement on rare values more than common ones."
            ),
            "note": st.column_config.TextColumn("Why", width="large"),
        },
    )
    edits = st.session_state.get(editor_key, {}).get("edited_rows") or {}
    edited: ModelSpec | None = None
    if edits:
        for row, changes in edits.items():
            for column, value in changes.items():
                table.loc[int(row), column] = value
        st.session_state[f"{key}_version"] = version + 1
        edited = apply_comparisons_table(spec, table)
    with st.expander("Edit one comparison", icon=":material/edit:"):
        columns = [c.column for c in spec.comparisons]
        column = st.selectbox("Column", columns, key=f"{key}_column")
        comp = next(c for c in spec.comparisons if c.column == column)
        left, middle, right = st.columns([2, 2, 1])
        kinds = list(COMPARISON_KINDS)
        kind = left.selectbox(
            "Comparison",
            kinds,
            index=kinds.index(comp.kind),
            key=f"{key}_kind_{column}",
            help=COMPARISON_KINDS[comp.kind],
        )
        thresholds = middle.text_input(
            "Thresholds",
            value=format_thresholds(comp.resolved_thresholds()),
            key=f"{key}_thresholds_{column}",
            disabled=kind not in KINDS_WITH_THRESHOLDS,
        )
        tf = right.checkbox(
            "Term frequency",
            value=comp.term_frequency_adjustments,
            key=f"{key}_tf_{column}",
            disabled=kind not in KINDS_WITH_TF,
        )
        if st.button("Apply to this column", key=f"{key}_apply"):
            edited = edit_comparison(
                edited or spec, column, kind=kind, thresholds=thresholds, term_frequency=tf
            )
            st.session_state[f"{key}_version"] = st.session_state[f"{key}_version"] + 1
    return edited


#: Plain names of the measures of a clustering against truth (``linkage.quality.evaluate``'s keys),
#: named as Train and Models name them through :data:`linkage.model.model_tables.METRIC_LABELS`.
CLUSTER_METRIC_LABELS: dict[str, str] = {
    "pairwise_precision": METRIC_LABELS["cluster_precision"],
    "pairwise_recall": METRIC_LABELS["cluster_recall"],
    "pairwise_f1": METRIC_LABELS["cluster_f1"],
    "bcubed_precision": "B-cubed precision",
    "bcubed_recall": "B-cubed recall",
    "bcubed_f1": "B-cubed F1",
    "n_clusters": "Clusters made",
    "n_true_clusters": "People in the truth",
}


def cluster_metrics_line(metrics: Mapping[str, Any]) -> str:
    """Cluster measures as one line of plain names: ``Cluster F1 0.981, Clusters made 254``."""
    parts = []
    for key, value in metrics.items():
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        shown = f"{value:,.0f}" if key.startswith("n_") else f"{value:.3f}"
        parts.append(f"{CLUSTER_METRIC_LABELS.get(key, key.replace('_', ' '))} {shown}")
    return ", ".join(parts)


def mistake_counts(table: pd.DataFrame, threshold: float) -> dict[str, int]:
    """The true numbers of false positives and negatives at a threshold (``fp``, ``fn``).

    Read from the evaluation's threshold table (every pair, not the listed ones); empty when
    the table does not count them.
    """
    if table.empty or not {"fp", "fn"} <= set(table.columns):
        return {}
    row = table.loc[(table["threshold"] - threshold).abs().idxmin()]
    return {"fp": int(row["fp"]), "fn": int(row["fn"])}


def mistakes_label(kind: str, shown: int, total: int) -> str:
    """A tab label for listed mistakes that says when the list is capped.

    Args:
        kind: ``False positives`` or ``False negatives``.
        shown: The rows listed.
        total: The true count at the threshold.

    Returns:
        ``False positives (100 shown of 1,234)`` when capped, else ``False positives (12)``.
    """
    if shown < total:
        return f"{kind} ({shown:,} shown of {total:,})"
    return f"{kind} ({total:,})"


# ----------------------------------------------------------------- tables for reading
def readable_records(frame: pd.DataFrame, drop: tuple[str, ...] = ("cluster_id",)) -> pd.DataFrame:
    """Records or pairs as people read them: columns named in words (``first_name_l`` ->
    ``First name (left)``), dates without a time of day, numbers of two decimals at most, empty
    cells blank, and raw ids (the cluster id by default) left out.

    Args:
        frame: Records (``cluster_members``) or scored pairs (``pair_view``).
        drop: Columns not shown.
    """
    from linkage.model.patterns import field_title

    out = frame.drop(columns=[c for c in drop if c in frame.columns]).copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            at_midnight = values.dropna().eq(values.dropna().dt.normalize()).all()
            out[column] = values.dt.strftime("%Y-%m-%d" if at_midnight else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_float_dtype(values) and not values.dropna().empty:
            # whole numbers (a birth year) as they are; probabilities to four places, so 0.9959
            # is not rounded up to a certain 1.00; other measures to two
            # (numbers stay numbers, so the table still sorts by them)
            whole = values.dropna().eq(values.dropna().round()).all()
            digits = 4 if "probability" in str(column) else 2
            out[column] = values.astype("Int64") if whole else values.round(digits)
    text = [c for c in out.columns if not pd.api.types.is_numeric_dtype(out[c])]
    out[text] = out[text].astype(object).where(out[text].notna(), "")

    def title(column: str) -> str:
        for suffix, side in (("_l", "left"), ("_r", "right")):
            if column.endswith(suffix):
                return f"{field_title(column[: -len(suffix)])} ({side})"
        return field_title(column)

    return out.rename(columns={c: title(str(c)) for c in out.columns})


#: Column names of the suspicious-cluster table (``linkage.model.result_tables.suspicious_view``).
SUSPICIOUS_COLUMNS: dict[str, Any] = {
    "cluster": "Cluster",
    "cluster_size": "Records",
    "n_edges": "Links",
    "density": "Density",
    "reason": "Why",
    "cluster_id": None,
}
