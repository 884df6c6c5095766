"""Model registry: save, list, compare, activate, store predictions, clusters and labels."""

from __future__ import annotations

import subprocess
import sys

import pytest
from splink import DuckDBAPI, Linker

from linkage.clusters.registry import (
    compare_models,
    data_fingerprint,
    get_model,
    list_models,
    load_clusters,
    load_model_settings,
    load_predictions,
    save_model,
    set_active_model,
    store_clusters,
    store_predictions,
)
from linkage.model.predict import cluster_at_threshold, nodes_from_model, predict_pairs
from linkage.model.suggest import suggest_model
from linkage.model.train import train_model
from linkage.review.labels import add_label, load_labels
from linkage.synthetic import make_people
from workbench.errors import LinkageError
from workbench.linked_models import (
    active_model_id,
    active_model_with_clusters,
    clusters_query,
    clusters_threshold,
    model_summary,
)
from workbench.workspace import Workspace


@pytest.fixture(scope="module")
def models():
    people = make_people(800, seed=5)
    spec = suggest_model(people)
    spec.training.u_max_pairs = 2e5
    first = train_model(people, spec)
    spec2 = suggest_model(people)
    spec2.training.u_max_pairs = 2e5
    spec2.comparisons = [c for c in spec2.comparisons if c.column != "sex"]
    second = train_model(people, spec2)
    return people, first, second


def test_fingerprint_is_order_independent_and_content_sensitive(models):
    people, _, _ = models
    base = data_fingerprint(people)
    shuffled = [f.sample(frac=1.0, random_state=1) for f in people]
    assert data_fingerprint(shuffled) == base
    changed = [
        people[0].assign(surname=people[0]["surname"].where(people[0].index > 0, "X")),
        people[1],
    ]
    assert data_fingerprint(changed) != base


def test_registry_round_trip(models, tmp_path):
    people, first, second = models
    ws = Workspace(tmp_path / "ws.duckdb")
    a = save_model(ws, first, "first", metrics={"f1": 0.9}, threshold=0.9)
    b = save_model(ws, second, "no sex", metrics={"f1": 0.95}, parent_model_id=a)
    listed = list_models(ws)
    assert set(listed["model_id"]) == {a, b}
    assert get_model(ws, b)["parent_model_id"] == a
    assert active_model_id(ws) is None
    set_active_model(ws, b)
    assert active_model_id(ws) == b
    set_active_model(ws, a)
    assert active_model_id(ws) == a
    assert list_models(ws)["is_active"].sum() == 1

    diff = compare_models(ws, a, b)
    assert diff.settings_diff["setting"].str.contains("comparisons").any()
    assert set(diff.metrics["metric"]) >= {"f1", "threshold"}
    assert {"weight_a", "weight_b", "weight_change"} <= set(diff.parameters.columns)
    assert diff.parameters["comparison"].eq("sex").any()

    settings = load_model_settings(ws, a)
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f, dataset_display_name=f["source_dataset"][0]) for f in people]
    Linker(sdfs, settings)

    pairs = predict_pairs(first)
    store_predictions(ws, a, pairs)
    stored = load_predictions(ws, a, min_probability=0.5)
    assert len(stored) == int((pairs["match_probability"] >= 0.5).sum())
    clusters = cluster_at_threshold(stored, nodes_from_model(first), 0.9)
    assert store_clusters(ws, a, clusters, 0.9) == len(clusters)
    assert len(load_clusters(ws, a)) == len(clusters)
    assert get_model(ws, a)["threshold"] == 0.9

    add_label(ws, ("police", "1"), ("courts", "2"), 1, reviewer="amy", model_id=a)
    add_label(ws, ("courts", "2"), ("police", "1"), 0, reviewer="bob", model_id=a)
    labels = load_labels(ws)
    assert len(labels) == 1 and labels["label"].iloc[0] == 0
    with pytest.raises(LinkageError):
        add_label(ws, ("a", "1"), ("a", "2"), 5)
    with pytest.raises(LinkageError, match="no saved model"):
        set_active_model(ws, "nope")
    with pytest.raises(LinkageError, match="no stored predictions"):
        load_predictions(ws, b)
    actions = set(ws.audit_log()["action"])
    assert {"model.save", "model.activate", "model.predictions", "model.cluster"} <= actions
    ws.close()


def test_registry_reads_for_journeys(models, tmp_path):
    _, first, _ = models
    ws = Workspace(tmp_path / "ws.duckdb")
    a = save_model(ws, first, "first", threshold=0.9, activate=True)
    assert active_model_with_clusters(ws) is None
    assert clusters_threshold(ws, a) is None
    pairs = predict_pairs(first)
    clusters = cluster_at_threshold(pairs, nodes_from_model(first), 0.8)
    store_clusters(ws, a, clusters, 0.8)
    assert active_model_with_clusters(ws) == (a, 0.8)
    assert clusters_threshold(ws, a) == 0.8
    sql, params = clusters_query(a)
    counted = ws.query(f"SELECT count(*), count(DISTINCT cluster_id) FROM ({sql})", params)
    assert counted[0] == (len(clusters), clusters["cluster_id"].nunique())
    summary = model_summary(ws, a)
    assert summary is not None
    assert (summary["name"], summary["is_active"], summary["threshold"]) == ("first", True, 0.8)
    assert summary["created_at"] is not None
    assert model_summary(ws, "gone") is None
    ws.close()


def test_reading_the_registry_does_not_load_splink():
    code = "import sys, linkage.clusters.registry; print('splink' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
