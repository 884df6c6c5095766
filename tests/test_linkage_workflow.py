"""The workspace linkage workflow on the committed sample (a subset of areas, with its truth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from linkage import charts
from linkage.clusters.recluster import cluster_records, recluster
from linkage.clusters.registry import get_model, list_models
from linkage.model.datasets import (
    linkable_datasets,
    load_draft,
    save_draft,
    standardised_inputs,
    suggest_for_datasets,
)
from linkage.model.linkers import (
    forget_linkers,
    load_linker,
    parameter_estimates,
    parameter_estimates_chart,
    stored_predictions,
)
from linkage.model.runs import TrainingRun, train_and_save
from linkage.quality.model_evaluation import evaluation
from linkage.quality.truth import truth_for
from linkage.review.labels import export_labels, import_labels, load_labels, save_label
from linkage.review.pairs import pairs_in_band, review_sample
from linkage.review.session import case_context, next_pairs, review_progress
from linkage.review.teach import teach_model
from tests.journey_workspace import write_sample_subset
from workbench.data.catalogue import delete_dataset
from workbench.data.datasets import load_sample
from workbench.data.writing import import_frame
from workbench.errors import LinkageError, RoleError, ValidationError
from workbench.linked_models import active_clusters, active_model_id
from workbench.persons.roles import save_roles
from workbench.sql import qualified
from workbench.workspace import DATA_SCHEMA, Workspace

DATASETS = ["police", "cps", "courts"]
AREAS = [
    "Cumbria",
    "Gloucestershire",
    "Wiltshire",
    "Dorset",
    "North Wales",
    "Warwickshire",
    "Suffolk",
    "Gwent",
    "Dyfed-Powys",
    "Cleveland",
    "Durham",
    "Norfolk",
    "Bedfordshire",
]
KEYS = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}


def _write_subset(folder: Path) -> None:
    """The committed sample cut down to a few LCJB areas (truth files cut to match)."""
    folder.mkdir()
    write_sample_subset(folder, tuple(AREAS))


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("workflow")
    _write_subset(root / "sample")
    workspace = Workspace(root / "workspace.duckdb")
    load_sample(workspace, sample_dir=root / "sample")
    try:
        yield workspace
    finally:
        forget_linkers()
        workspace.close()


@pytest.fixture(scope="module")
def run(ws: Workspace) -> TrainingRun:
    spec = suggest_for_datasets(ws, DATASETS)
    steps: list[tuple[str, float]] = []
    result = train_and_save(ws, DATASETS, spec, progress=lambda m, f: steps.append((m, f)))
    assert steps[0][1] == 0.0 and steps[-1][1] == 1.0
    assert [f for _, f in steps] == sorted(f for _, f in steps)
    return result


def test_linkable_datasets_and_truth(ws: Workspace) -> None:
    assert linkable_datasets(ws) == ["courts", "cps", "police"]
    truth = truth_for(ws, DATASETS)
    assert truth is not None
    assert list(truth.columns) == ["source_dataset", "unique_id", "person_id"]
    assert set(truth["source_dataset"]) == set(DATASETS)
    assert truth["person_id"].notna().sum() > 5000
    assert truth_for(ws, ["police"])["unique_id"].str.match(r"^[A-Z]{2}-\d\d-").all()


def test_dataset_without_person_roles_is_refused(ws: Workspace) -> None:
    import_frame(ws, pd.DataFrame({"code": ["a", "b"], "n": [1, 2]}), "codes")
    save_roles(ws, "codes", {"code": "ignore", "n": "other"})
    assert "codes" not in linkable_datasets(ws)
    with pytest.raises(RoleError, match="Roles page"):
        standardised_inputs(ws, ["codes"])
    with pytest.raises(LinkageError, match="twice"):
        standardised_inputs(ws, ["police", "police"])


def test_draft_round_trip(ws: Workspace) -> None:
    assert load_draft(ws, ["cps", "courts"]) is None
    spec = suggest_for_datasets(ws, ["cps", "courts"], link_type="link_only")
    spec.notes.append("edited")
    save_draft(ws, ["cps", "courts"], spec)
    loaded = load_draft(ws, ["courts", "cps"])
    assert loaded is not None and loaded.to_dict() == spec.to_dict()


def test_train_and_save_links_the_sample_well(ws: Workspace, run: TrainingRun) -> None:
    m = run.metrics
    assert m["truth_source"] == "truth"
    assert m["cluster_f1"] >= 0.97
    for key in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "cluster_precision"):
        assert 0.9 <= m[key] <= 1.0
    assert active_model_id(ws) == run.model_id
    saved = get_model(ws, run.model_id)
    assert saved["datasets"] == DATASETS
    assert saved["settings"]["comparisons"] and saved["data_fingerprint"]
    assert saved["metrics"]["training"]["em_sessions"]
    assert saved["metrics"]["cluster_f1"] == pytest.approx(m["cluster_f1"])
    n_pairs = ws.query(f"SELECT count(*) FROM linkage.pred_{run.model_id}")[0][0]
    assert n_pairs == m["n_pairs"] > 0
    clusters = active_clusters(ws)
    assert list(clusters.columns) == [
        "source_dataset",
        "unique_id",
        "cluster_id",
        "model_id",
        "threshold",
    ]
    assert len(clusters) == run.summary.n_records
    assert (clusters["model_id"] == run.model_id).all() and (
        clusters["threshold"] == m["threshold"]
    ).all()
    assert "expects" in m["threshold_reason"]
    assert "model.train" in set(ws.audit_log()["action"])


def test_recluster_uses_stored_pairs(ws: Workspace, run: TrainingRun) -> None:
    before = ws.query(f"SELECT count(*), sum(match_weight) FROM linkage.pred_{run.model_id}")
    loose, loose_summary = recluster(ws, run.model_id, 0.05)
    strict, strict_summary = recluster(ws, run.model_id, 0.999, store=True)
    assert loose_summary.n_clusters < strict_summary.n_clusters
    assert len(loose) == len(strict) == run.summary.n_records
    assert ws.query(f"SELECT count(*), sum(match_weight) FROM linkage.pred_{run.model_id}") == (
        before
    )
    assert len(list_models(ws)) == 1
    assert get_model(ws, run.model_id)["threshold"] == 0.999
    assert set(active_clusters(ws)["threshold"]) == {0.999}
    recluster(ws, run.model_id, 0.9, store=True)
    with pytest.raises(LinkageError, match="probability"):
        recluster(ws, run.model_id, 1.5)


def test_pairs_in_band_and_waterfall(ws: Workspace, run: TrainingRun) -> None:
    pairs = pairs_in_band(ws, run.model_id, 0, 10, limit=7)
    assert 0 < len(pairs) <= 7
    assert pairs["match_weight"].between(0, 10, inclusive="left").all()
    assert pairs["match_weight"].is_monotonic_decreasing
    assert {"first_name_l", "first_name_r", "gamma_surname"} <= set(pairs.columns)
    sampled = pairs_in_band(ws, run.model_id, 10, 0, limit=7, sample=True)
    assert sampled["match_weight"].between(0, 10, inclusive="left").all()
    forget_linkers()
    model = load_linker(ws, run.model_id)
    assert load_linker(ws, run.model_id) is model
    assert not model.warnings
    assert isinstance(charts.waterfall_chart(model, pairs.head(1)), alt.TopLevelMixin)
    assert isinstance(charts.match_weights_chart(model), alt.TopLevelMixin)


def test_cluster_records(ws: Workspace, run: TrainingRun) -> None:
    clusters = active_clusters(ws)
    biggest = clusters["cluster_id"].value_counts().index[0]
    records = cluster_records(ws, run.model_id, biggest)
    assert len(records) == clusters["cluster_id"].value_counts().iloc[0] > 1
    assert {"source_dataset", "unique_id", "first_name", "surname", "dob"} <= set(records.columns)
    with pytest.raises(LinkageError, match="no cluster"):
        cluster_records(ws, run.model_id, "nope")


def test_cluster_records_at_a_threshold_not_stored(ws: Workspace, run: TrainingRun) -> None:
    loose, _ = recluster(ws, run.model_id, 0.05)
    biggest = loose["cluster_id"].value_counts().index[0]
    records = cluster_records(ws, run.model_id, biggest, threshold=0.05)
    assert len(records) == loose["cluster_id"].value_counts().iloc[0] > 1
    assert (records["cluster_id"] == biggest).all()
    assert {"first_name", "surname"} <= set(records.columns)
    stored = active_clusters(ws)["cluster_id"].iloc[0]
    same = cluster_records(ws, run.model_id, stored, threshold=0.9)
    assert len(same) == len(cluster_records(ws, run.model_id, stored))
    with pytest.raises(LinkageError, match="no cluster"):
        cluster_records(ws, run.model_id, "nope", threshold=0.3)
    with pytest.raises(LinkageError, match="probability"):
        cluster_records(ws, run.model_id, biggest, threshold=2.0)


def test_stored_predictions_are_cached(ws: Workspace, run: TrainingRun) -> None:
    first = stored_predictions(ws, run.model_id)
    assert stored_predictions(ws, run.model_id) is first
    assert len(first) == run.metrics["n_pairs"]
    edges = stored_predictions(ws, run.model_id, ["unique_id_l", "match_probability"])
    assert list(edges.columns) == ["unique_id_l", "match_probability"]
    forget_linkers()
    assert stored_predictions(ws, run.model_id) is not first


def test_parameter_history_survives_reload(ws: Workspace, run: TrainingRun) -> None:
    history = parameter_estimates(ws, run.model_id)
    assert {"m", "u"} <= set(history["m_or_u"])
    assert history["description"].str.contains("EM", case=False).any()
    forget_linkers()
    model = load_linker(ws, run.model_id)
    assert len(model.em_sessions) >= 2
    assert isinstance(charts.parameter_estimates_chart(model), alt.TopLevelMixin)
    assert isinstance(parameter_estimates_chart(ws, run.model_id), alt.TopLevelMixin)
    records = model.linker._settings_obj._parameter_estimates_as_records
    assert len([r for r in records if r["m_or_u"] == "m"]) == (history["m_or_u"] == "m").sum()


def test_near_threshold_review_picks_the_nearest_pairs(ws: Workspace, run: TrainingRun) -> None:
    threshold = get_model(ws, run.model_id)["threshold"]
    everything = stored_predictions(ws, run.model_id)
    near = review_sample(ws, run.model_id, "near_threshold", n=5, seed=4)
    distance = (near["match_probability"] - threshold).abs()
    assert distance.is_monotonic_increasing
    chosen = set(zip(near["unique_id_l"], near["unique_id_r"], strict=True))
    assert ws.query("SELECT count(*) FROM wb.labels")[0][0] == 0
    rest = everything[
        [
            (a, b) not in chosen
            for a, b in zip(everything["unique_id_l"], everything["unique_id_r"], strict=True)
        ]
    ]
    assert distance.max() <= (rest["match_probability"] - threshold).abs().min() + 1e-12


def test_evaluation_against_truth(ws: Workspace, run: TrainingRun) -> None:
    result = evaluation(ws, run.model_id)
    assert result is not None and result.source == "truth"
    assert {"threshold", "precision", "recall", "f1"} <= set(result.table.columns)
    assert 0.9 in set(result.table["threshold"])
    assert 0 < result.best_threshold < 1
    assert result.cluster_metrics["pairwise_f1"] >= 0.97
    assert isinstance(result.chart, alt.TopLevelMixin)
    assert {"source_dataset_l", "unique_id_r"} <= set(result.false_negatives.columns)
    if len(result.false_positives):
        assert (result.false_positives["match_probability"] >= 0.9).all()


def test_review_labels_and_csv_round_trip(ws: Workspace, run: TrainingRun) -> None:
    near = review_sample(ws, run.model_id, "near_threshold", n=6)
    assert len(near) == 6
    assert (near["match_probability"] - 0.9).abs().max() < 0.5
    again = review_sample(ws, run.model_id, "near_threshold", n=6)
    pd.testing.assert_frame_equal(near, again)
    bands = review_sample(ws, run.model_id, "across_bands", n=10, seed=3)
    assert bands["band"].nunique() >= 5
    with pytest.raises(LinkageError, match="strategy"):
        review_sample(ws, run.model_id, "everything", n=3)  # type: ignore[arg-type]

    for i, (_, row) in enumerate(near.iterrows()):
        save_label(ws, run.model_id, row, [1, 0, None][i % 3], "alice", note=f"n{i}")
    after = review_sample(ws, run.model_id, "near_threshold", n=6)
    assert not set(zip(after["unique_id_l"], after["unique_id_r"], strict=True)) & set(
        zip(near["unique_id_l"], near["unique_id_r"], strict=True)
    )
    csv = export_labels(ws)
    table = pd.read_csv(pd.io.common.BytesIO(csv), dtype=str, keep_default_na=False)
    assert len(table) == 6 and set(table["label"]) == {"1", "0", ""}
    assert import_labels(ws, csv) == 6
    assert ws.query("SELECT count(*) FROM wb.labels")[0][0] == 12

    bad = csv.decode().splitlines()
    bad[2] = bad[2].replace(",alice,", ",bob,").replace(",1,", ",maybe,").replace(",0,", ",maybe,")
    bad[3] = "," + bad[3].split(",", 1)[1]
    with pytest.raises(ValidationError) as info:
        import_labels(ws, "\n".join(bad).encode())
    text = str(info.value)
    assert "row 4, column 'source_dataset_l'" in text
    with pytest.raises(ValidationError, match="column 'label'"):
        import_labels(ws, b"source_dataset_l,unique_id_l,source_dataset_r,unique_id_r\n")
    assert ws.query("SELECT count(*) FROM wb.labels")[0][0] == 12


def test_case_context_shows_area_offence_urn_and_dates(ws: Workspace, run: TrainingRun) -> None:
    pairs = stored_predictions(ws, run.model_id)
    row = pairs[(pairs["source_dataset_l"] == "courts") & (pairs["source_dataset_r"] == "police")]
    row = row.iloc[0]
    context = case_context(ws, row).set_index("Field")
    assert {"Dataset", "Record", "Area", "Offence", "URN"} <= set(context.index)
    assert context.loc["Dataset"].tolist() == ["courts", "police"]
    table = qualified(DATA_SCHEMA, "police")
    record = ws.query_df(f"SELECT * FROM {table} WHERE crime_ref = ?", [row["unique_id_r"]])
    record = record.iloc[0]
    assert context.loc["Area", "Right record"] == record["lcjb_area"]
    assert context.loc["Offence", "Right record"] == record["offence_group"]
    assert context.loc["Offence date", "Right record"] == str(record["offence_date"])[:10]
    assert context.loc["First hearing date", "Left record"]
    assert not context.loc["Offence date", "Left record"]


def test_next_pairs_learn_from_each_stored_label(ws: Workspace, run: TrainingRun) -> None:
    before = review_progress(ws, run.model_id)
    chosen = next_pairs(ws, run.model_id, n=5)
    assert len(chosen) == 5 and chosen["uncertainty"].iloc[0] == chosen["uncertainty"].min()
    stored = load_labels(ws)
    labelled = set(zip(stored["unique_id_l"], stored["unique_id_r"], strict=True))
    assert not labelled & set(zip(chosen["unique_id_l"], chosen["unique_id_r"], strict=True))
    save_label(ws, run.model_id, chosen.iloc[0], 0, "bea")
    after = review_progress(ws, run.model_id)
    assert after.n_labels == before.n_labels + 1
    assert after.n_non_matches == before.n_non_matches + 1
    assert after.before is not None and after.estimate.n_labels == before.estimate.n_labels + 1
    again = next_pairs(ws, run.model_id, n=5)
    assert chosen["unique_id_l"].iloc[0] not in set(again["unique_id_l"]) or (
        chosen["unique_id_r"].iloc[0] not in set(again["unique_id_r"])
    )


def test_labels_and_truth_teach_new_model_versions(ws: Workspace, run: TrainingRun) -> None:
    n_models = len(list_models(ws))
    taught = teach_model(ws, run.model_id, source="labels", actor="bea")
    row = get_model(ws, taught.model_id)
    assert row["parent_model_id"] == run.model_id and not row["is_active"]
    assert taught.n_labels == int(load_labels(ws)["label"].notna().sum())
    assert f"Taught by {taught.n_labels} labels" in row["notes"]
    assert row["metrics"]["taught"]["labels_used"] == taught.n_labels
    assert {"m_before", "m_labels", "m_after"} <= set(taught.m_changes.columns)
    assert len(list_models(ws)) == n_models + 1
    by_truth = teach_model(ws, run.model_id, source="truth")
    assert (
        by_truth.n_matches > 100
        and "truth-labelled pairs" in get_model(ws, by_truth.model_id)["notes"]
    )
    assert by_truth.metrics["cluster_f1"] >= run.metrics["cluster_f1"] - 0.005
    assert stored_predictions(ws, by_truth.model_id)["match_weight"].min() >= -4


def test_evaluation_from_clerical_labels_without_truth(ws: Workspace, run: TrainingRun) -> None:
    for name in DATASETS:
        delete_dataset(ws, f"{name}_truth")
    assert truth_for(ws, DATASETS) is None
    result = evaluation(ws, run.model_id)
    assert result is not None and result.source == "labels"
    assert result.table["tp"].iloc[0] + result.table["fn"].iloc[0] >= 1


def test_people_counts_leave_empty_records_out() -> None:
    from linkage.quality.evaluate import describe_people, people_counts

    frame = pd.DataFrame(
        {
            "source_dataset": ["a"] * 4,
            "unique_id": ["1", "2", "3", "4"],
            "surname": ["SMITH", "SMITH", None, None],
            "dob": [None, None, None, None],
        }
    )
    clusters = pd.DataFrame(
        {"source_dataset": ["a"] * 4, "unique_id": ["1", "2", "3", "4"], "cluster_id": [1, 1, 3, 4]}
    )
    counts = people_counts(clusters, [frame])
    assert counts == {
        "n_records": 4,
        "n_clusters": 3,
        "n_people": 1,
        "n_records_without_person": 2,
    }
    line = describe_people(counts)
    assert "among records with a person: 1" in line and "(no suspect): 2" in line


def test_metric_names_are_plain() -> None:
    from linkage.model.model_tables import metrics_table

    table = metrics_table(
        {
            "n_clusters": 19914,
            "bcubed_f1": 0.98765,
            "pairwise_precision": 0.9,
            "cluster_f1": 0.97,
            "n_people": 47300,
            "n_pairs": 323011,
        }
    )
    shown = dict(zip(table["measure"], table["value"], strict=True))
    assert shown["Clusters made (records with a true person)"] == "19,914"
    assert shown["B-cubed F1"] == "0.988"
    assert "Pairwise precision" in shown and "Cluster F1" in shown
    assert shown["Clusters (people) among records with a person"] == "47,300"
    assert not any("_" in m or m.startswith("n ") for m in shown)
