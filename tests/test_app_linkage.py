"""The Link pages driven through AppTest on a small linked workspace, and their empty states."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from linkage.clusters import registry
from linkage.model.datasets import load_draft, mark_truth_column
from linkage.model.linkers import forget_linkers
from linkage.model.model_spec import BlockingRuleSpec, ComparisonSpec, ModelSpec
from linkage.model.spec_table import (
    apply_comparisons_table,
    comparisons_table,
    parse_rule,
    parse_thresholds,
    remove_rules,
)
from linkage.quality import findings as health
from linkage.quality.model_evaluation import evaluation
from linkage.review.pairs import kept_pairs
from linkage.service import RETENTION_MATCH_WEIGHT
from linkage.synthetic import make_people
from workbench.data.writing import import_frame
from workbench.errors import LinkageError
from workbench.linked_models import active_model_id
from workbench.persons.roles import save_roles
from workbench.ui import linkage_widgets, training_jobs
from workbench.ui.navigation import PAGES
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LINK_PAGES = [p.script for p in PAGES if p.section == "Link"]
ROLES = {
    "unique_id": "record_id",
    "first_name": "first_name",
    "surname": "surname",
    "dob": "dob",
    "sex": "sex",
    "postcode": "postcode",
    "pnc_id": "pnc_id",
    "person_id": "ignore",
}


def make_people_workspace(path: Path) -> None:
    """Two small synthetic sources named like the sample, with confirmed roles."""
    frames = make_people(500, seed=5, n_datasets=2)
    with Workspace(path) as ws:
        for name, frame in zip(("police", "courts"), frames, strict=True):
            import_frame(ws, frame.drop(columns=["source_dataset"], errors="ignore"), name)
            roles = {c: r for c, r in ROLES.items() if c in frame.columns}
            save_roles(ws, name, roles, confirmed=True)
            mark_truth_column(ws, name, "person_id")


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace with two small sources and one model trained through the Train page."""
    path = tmp_path_factory.mktemp("linked") / "ws.duckdb"
    make_people_workspace(path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_WORKSPACE", str(path))
        at = _app("pages/link_train.py")
        at.text_input(key="train_name").input("small").run()
        at.button(key="train_start").click().run()
        assert not at.exception, [e.message for e in at.exception]
        with Workspace(path) as ws:
            job = training_jobs.current_job(ws)
        assert job is not None and job.thread is not None
        job.thread.join(timeout=300)
        assert job.error is None, job.error
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("Trained small" in s.value for s in at.success)
        yield path


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, linked: Path) -> Path:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(linked))
    return linked


@pytest.mark.parametrize("page", LINK_PAGES)
def test_link_page_renders_with_a_model(app_env: Path, page: str) -> None:
    at = _app(page)
    assert at.title, f"{page} shows no title"
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", LINK_PAGES)
def test_link_page_empty_workspace(monkeypatch, tmp_path: Path, page: str) -> None:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(tmp_path / "empty.duckdb"))
    at = _app(page)
    assert at.info, f"{page} explains nothing on an empty workspace"
    assert not at.error, [e.value for e in at.error]


def test_pages_without_a_model_point_to_train(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    make_people_workspace(path)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    for page in ("pages/link_inspect.py", "pages/link_clusters.py", "pages/link_models.py"):
        at = _app(page)
        assert any("No linkage model" in i.value for i in at.info), page


def test_evaluate_measures_against_the_truth_column(app_env: Path) -> None:
    at = _app("pages/link_evaluate.py")
    labels = {m.label: m.value for m in at.metric}
    assert 0.5 < float(labels["Pairwise F1"]) <= 1.0
    assert any("truth" in c.value for c in at.caption)
    # Cluster measures carry the names Train uses, never the raw keys.
    captions = " ".join(c.value for c in at.caption)
    assert "Cluster F1" in captions and "B-cubed F1" in captions
    assert "bcubed" not in captions and "pairwise_" not in captions
    # The mistake tabs give the true counts, and say so when the list is capped.
    with Workspace(app_env) as ws:
        result = evaluation(ws, active_model_id(ws))
    totals = linkage_widgets.mistake_counts(result.table, result.threshold)
    tabs = [t.label for t in at.tabs if t.label.startswith("False")]
    expected = [
        linkage_widgets.mistakes_label(kind, len(rows), totals[key])
        for kind, rows, key in (
            ("False positives", result.false_positives, "fp"),
            ("False negatives", result.false_negatives, "fn"),
        )
    ]
    assert tabs == expected
    assert totals["fn"] >= len(result.false_negatives) and totals["fp"] >= len(
        result.false_positives
    )


def test_mistake_labels_say_when_the_list_is_capped() -> None:
    assert linkage_widgets.mistakes_label("False positives", 100, 1234) == (
        "False positives (100 shown of 1,234)"
    )
    assert linkage_widgets.mistakes_label("False negatives", 7, 7) == "False negatives (7)"
    table = pd.DataFrame({"threshold": [0.5, 0.9], "fp": [300, 20], "fn": [5, 150]})
    assert linkage_widgets.mistake_counts(table, 0.9) == {"fp": 20, "fn": 150}
    line = linkage_widgets.cluster_metrics_line(
        {"pairwise_f1": 0.9512, "bcubed_f1": 0.97, "n_clusters": 254.0}
    )
    assert line == "Cluster F1 0.951, B-cubed F1 0.970, Clusters made 254"


def test_training_shows_em_sessions(app_env: Path) -> None:
    at = _app("pages/link_train.py")
    # The run of the fixture is still shown: its sessions and a link to the next step.
    assert any("Trained small" in s.value for s in at.success)
    assert at.dataframe, "no EM session table"


def test_configure_edits_rules_and_comparisons(app_env: Path) -> None:
    at = _app("pages/link_configure.py")
    datasets = at.multiselect(key="config_datasets").value
    assert set(datasets) == {"police", "courts"}
    levels = next(d.value for d in at.dataframe if "meaning" in d.value.columns)
    assert "Exact match on surname" in set(levels["level"])
    assert levels["meaning"].str.len().gt(0).all()
    n_rules = int(at.metric[1].value)
    # A tight budget so that a loose rule is refused on this small data.
    at.session_state["link_spec::" + ",".join(datasets)].comparison_budget = 5_000

    at.text_input(key="config_rule_new").input("sex").run()
    at.button(key="config_rule_add").click().run()
    assert not at.exception
    assert at.error and "comparisons" in at.error[0].value and "budget" in at.error[0].value
    assert int(at.metric[1].value) == n_rules

    at.text_input(key="config_rule_new").input("surname + sex").run()
    at.button(key="config_rule_add").click().run()
    assert not at.exception and not at.error
    assert int(at.metric[1].value) == n_rules + 1

    at.selectbox(key="config_cmp_column").select("sex").run()
    at.selectbox(key="config_cmp_kind_sex").select("exact").run()
    at.checkbox(key="config_cmp_tf_sex").check().run()
    at.button(key="config_cmp_apply").click().run()
    assert not at.exception and not at.error
    at.button(key="config_save").click().run()
    assert at.success
    with Workspace(app_env) as ws:
        draft = load_draft(ws, datasets)
    assert draft is not None
    assert "surname + sex" in [r.label() for r in draft.blocking_rules]
    sex = next(c for c in draft.comparisons if c.column == "sex")
    assert sex.kind == "exact" and sex.term_frequency_adjustments


def test_threshold_slider_changes_cluster_count(app_env: Path) -> None:
    at = _app("pages/link_clusters.py")

    def clusters() -> int:
        label = "Clusters (people) among records with a person"
        metric = next(m for m in at.metric if m.label == label)
        return int(metric.value.replace(",", ""))

    before = clusters()
    at.slider[0].set_value(0.999).run()
    assert not at.exception
    high = clusters()
    at.slider[0].set_value(0.05).run()
    low = clusters()
    assert high >= before >= low and high > low
    at.button(key="clusters_use").click().run()
    assert not at.exception
    with Workspace(app_env) as ws:
        stored = registry.load_clusters(ws, active_model_id(ws))
    assert stored["threshold"].iloc[0] == pytest.approx(0.05)


def test_review_saves_a_label(app_env: Path) -> None:
    at = _app("pages/link_review.py")
    at.text_input(key="review_reviewer").input("Ana Reviewer").run()
    next(b for b in at.button if b.key.startswith("review_match::")).click().run()
    assert not at.exception, [e.message for e in at.exception]
    next(b for b in at.button if b.key.startswith("review_nonmatch::")).click().run()
    with Workspace(app_env) as ws:
        labels = ws.query_df("SELECT * FROM wb.labels WHERE reviewer = 'Ana Reviewer'")
    assert sorted(labels["label"].tolist()) == [0, 1]


def test_models_page_activates_a_version(app_env: Path) -> None:
    with Workspace(app_env) as ws:
        original = active_model_id(ws) or registry.list_models(ws)["model_id"][0]
        registry.set_active_model(ws, original)
        ws.query(
            "INSERT INTO wb.models SELECT * REPLACE (model_id || '_copy' AS model_id, "
            "'copy' AS name, FALSE AS is_active) FROM wb.models WHERE model_id = ?",
            [original],
        )
    try:
        at = _app("pages/link_models.py")
        at.selectbox(key="models_pick").select(f"{original}_copy").run()
        at.button(key="models_activate").click().run()
        assert not at.exception
        with Workspace(app_env) as ws:
            assert active_model_id(ws) == f"{original}_copy"
        assert at.get("tab"), "no side-by-side comparison"
    finally:
        with Workspace(app_env) as ws:
            registry.set_active_model(ws, original)
            ws.query("DELETE FROM wb.models WHERE model_id = ?", [f"{original}_copy"])


# ------------------------------------------------------------------ spec tables
def _spec() -> ModelSpec:
    return ModelSpec(
        link_type="dedupe_only",
        comparisons=[
            ComparisonSpec("first_name", "name", term_frequency_adjustments=True),
            ComparisonSpec("dob", "dob"),
        ],
        blocking_rules=[BlockingRuleSpec(["dob"]), BlockingRuleSpec(["first_name", "surname"])],
    )


def test_comparisons_table_round_trip() -> None:
    spec = _spec()
    table = comparisons_table(spec)
    assert table.loc[0, "thresholds"] == "0.92, 0.88, 0.7"
    table.loc[0, "thresholds"] = "0.95, 0.8"
    table.loc[0, "term_frequency"] = False
    edited = apply_comparisons_table(spec, table)
    assert edited.comparisons[0].thresholds == [0.95, 0.8]
    assert not edited.comparisons[0].term_frequency_adjustments
    assert spec.comparisons[0].term_frequency_adjustments, "the original is unchanged"


def test_bad_edits_are_refused_with_the_row_named() -> None:
    table = comparisons_table(_spec())
    table.loc[0, "thresholds"] = "0.9, high"
    with pytest.raises(LinkageError, match="high"):
        apply_comparisons_table(_spec(), table)
    with pytest.raises(LinkageError, match="between 0 and 1"):
        parse_thresholds("1.5", "name", "first_name")
    with pytest.raises(LinkageError):
        parse_rule("  ")
    with pytest.raises(LinkageError, match="at least one"):
        remove_rules(_spec(), ["dob", "first_name + surname"])
    assert parse_rule("surname + year(dob)").expressions == ["surname", "year(dob)"]
    assert isinstance(comparisons_table(_spec()), pd.DataFrame)


def _page_text(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]
    return "\n".join(str(p.value) for p in parts)


def test_train_page_shows_the_health_check(app_env: Path) -> None:
    at = _app("pages/link_train.py")
    assert any(h.value == "Health check" for h in at.subheader)
    with Workspace(app_env) as ws:
        models = registry.list_models(ws)
        model_id = models.loc[models["name"] == "small", "model_id"].iloc[-1]
        saved = registry.get_model(ws, model_id)
    report = health.saved_report(saved["metrics"])
    assert report is not None, "training in the app saves the health check with the model"
    assert "blocking_recall" in report.measures
    text = _page_text(at)
    for finding in report.findings:
        assert finding.message in text
        if finding.comparison:
            assert f"**{finding.comparison}" in text


def test_inspect_page_shows_the_saved_health_check(
    app_env: Path, tmp_path: Path, monkeypatch
) -> None:
    copy = tmp_path / "ws.duckdb"
    with Workspace(app_env) as ws:
        ws.query("CHECKPOINT")
    shutil.copy(app_env, copy)
    report = health.HealthReport(
        findings=[
            health.Finding(
                "redundant",
                health.SERIOUS,
                "dob and birth_year agree together 54 times as often as independent evidence.",
                "Compare only one of them.",
                comparison="dob + birth_year",
            ),
            health.Finding(
                "untrained",
                health.WARNING,
                "Training never saw a pair at this level.",
                "Merge the level into its neighbour.",
                comparison="postcode",
                level="Exact match on sector",
            ),
            health.Finding(
                "blocking_recall", health.INFO, "The rules find about 99%.", "Nothing to change."
            ),
        ]
    )

    def store(with_report: bool) -> None:
        with Workspace(copy) as ws:
            for model_id in registry.list_models(ws)["model_id"]:
                metrics = dict(registry.get_model(ws, model_id)["metrics"])
                metrics.pop("health", None)
                if with_report:
                    metrics["health"] = report.to_dict()
                with ws.transaction() as cur:
                    cur.execute(
                        "UPDATE wb.models SET metrics = ? WHERE model_id = ?",
                        [json.dumps(metrics), model_id],
                    )

    store(with_report=True)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(copy))
    at = _app("pages/link_inspect.py")
    assert any(h.value == "Health check" for h in at.subheader)
    assert any("**dob + birth_year**" in e.value and "Change:" in e.value for e in at.error)
    assert any("**postcode · Exact match on sector**" in w.value for w in at.warning)
    assert any(e.label == "1 note" for e in at.expander)

    store(with_report=False)
    forget_linkers()
    at = _app("pages/link_inspect.py")
    assert any("saved before models were checked" in c.value for c in at.caption)


def test_train_page_counts_people_apart_from_empty_records(app_env: Path) -> None:
    at = _app("pages/link_train.py")
    labels = [m.label for m in at.metric]
    assert "Clusters (people) among records with a person" in labels
    assert "Records without a person (no suspect)" in labels
    assert "People (clusters)" not in labels
    quality = next(d.value for d in at.dataframe if "measure" in d.value.columns)
    measures = set(quality["measure"])
    assert "Clusters made (records with a true person)" in measures
    assert not any("_" in m or m.startswith("n ") for m in measures), measures
    assert any(" s " in s.value and "." in s.value for s in at.success)


def test_pairs_band_stops_at_the_retention_cut(app_env: Path) -> None:
    at = _app("pages/link_pairs.py")
    band = at.slider(key="pairs_band")
    assert band.min >= RETENTION_MATCH_WEIGHT
    with Workspace(app_env) as ws:
        kept = kept_pairs(ws, active_model_id(ws))
    assert band.max >= kept.high and band.max - kept.high <= 0.5
    text = " ".join(c.value for c in at.caption)
    assert "pairs kept after scoring" in text and "below -4" in text
    assert f"{kept.n_pairs:,}" in text
    assert "m_20" not in text  # models are named, not shown by registry id


def test_models_page_names_measures_and_models_plainly(app_env: Path) -> None:
    at = _app("pages/link_models.py")
    table = at.dataframe[0].value
    assert not [c for c in table.columns if c.startswith("n_") or "f1" in c], table.columns
    assert "Cluster F1" in table.columns
    for label in at.selectbox(key="models_pick").options:
        assert "trained" in label and "threshold" in label and "m_2" not in label, label


def test_clusters_are_named_by_their_first_record() -> None:
    from linkage.model.result_tables import cluster_choices
    from workbench.formatting import cluster_label

    assert cluster_label("courts-__-M2019/1") == "courts record M2019/1"
    clusters = pd.DataFrame({"cluster_id": ["courts-__-M2019/1"] * 2 + ["police-__-AB-1"]})
    labels = list(cluster_choices(clusters).values())
    assert labels == ["courts record M2019/1 — 2 records"]


def test_formats_for_people() -> None:
    from workbench import formatting as fm

    assert fm.format_seconds(14.9754) == "15.0 s"
    assert fm.format_date("2026-11-02 00:00:00") == "2 Nov 2026"
    assert fm.format_date(float("nan")) == "missing"
    assert fm.format_count(47314) == "47,314"
    assert fm.format_number(0.98765) == "0.988"
    shown = fm.hide_missing(pd.DataFrame({"v": [1.5, float("nan")]}))
    assert shown["v"].tolist() == [1.5, "missing"]


def test_waterfall_rows_say_missing_not_nan() -> None:
    from linkage.model.result_tables import mark_missing_values

    pairs = pd.DataFrame(
        {
            "unique_id_l": ["1"],
            "unique_id_r": [None],
            "surname_l": ["SMITH"],
            "surname_r": [None],
            "gamma_surname": [-1],
            "bf_surname": [float("nan")],
            "match_weight": [1.0],
        }
    )
    shown = mark_missing_values(pairs)
    assert shown.loc[0, "surname_r"] == "missing"
    assert shown.loc[0, "unique_id_r"] is None and pd.isna(shown.loc[0, "bf_surname"])
