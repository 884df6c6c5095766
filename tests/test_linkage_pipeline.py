"""Train, score, cluster and evaluate on synthetic two-table data and on fake_1000."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from linkage import charts
from linkage.model.predict import (
    cluster_at_threshold,
    connected_components,
    flag_suspicious_clusters,
    nodes_from_model,
    predict_pairs,
    summarise_clusters,
)
from linkage.model.suggest import suggest_model
from linkage.model.train import train_model
from linkage.quality.evaluate import (
    cluster_metrics,
    pairwise_metrics,
    prediction_errors,
    threshold_chart,
    truth_from_frames,
)
from linkage.service import link_frames, load_model_json
from linkage.synthetic import load_fake_1000, make_people
from workbench.errors import LinkageError

FAKE_1000 = Path("/work/shared/benchmarks/fake_1000.csv")


@pytest.fixture(scope="module")
def people() -> list[pd.DataFrame]:
    return make_people(2000, seed=11)


@pytest.fixture(scope="module")
def trained(people):
    spec = suggest_model(people)
    steps: list[tuple[str, float]] = []
    model = train_model(people, spec, progress=lambda m, f: steps.append((m, f)))
    pairs = predict_pairs(model)
    return model, pairs, steps


def test_train_reports_progress_and_converges(trained):
    model, _, steps = trained
    assert steps[0][1] == 0.0 and steps[-1][1] == 1.0
    assert [f for _, f in steps] == sorted(f for _, f in steps)
    assert len(model.em_sessions) >= 2 and model.converged
    assert {"prior", "u", "em_1"} <= set(model.timings)


def test_two_table_cluster_f1(trained, people):
    model, pairs, _ = trained
    assert {"gamma_first_name", "bf_first_name"} & set(pairs.columns) or any(
        c.startswith("gamma_") for c in pairs.columns
    )
    clusters = cluster_at_threshold(pairs, nodes_from_model(model), 0.9)
    truth = truth_from_frames(model.data.frames, "person_id")
    metrics = cluster_metrics(clusters, truth)
    assert metrics["pairwise_f1"] >= 0.9, metrics
    assert metrics["bcubed_f1"] >= 0.9, metrics
    table = pairwise_metrics(pairs, truth, [0.5, 0.9, 0.99])
    assert table["f1"].max() >= 0.9
    assert (table["fn"] >= 0).all() and table["recall"].is_monotonic_decreasing
    chart = threshold_chart(table, 0.9)
    assert isinstance(chart, alt.LayerChart)
    lines, rule = chart.to_dict()["layer"]
    assert lines["encoding"]["y"]["scale"] == {"zero": False}  # zoomed: scores sit near 1
    assert "strokeDash" in lines["encoding"]  # measures differ by more than colour
    assert chart.to_dict()["datasets"][rule["data"]["name"]] == [{"threshold": 0.9}]
    fp, fn = prediction_errors(pairs, truth, 0.9, limit=5)
    assert len(fp) <= 5 and len(fn) <= 5
    assert not fp.empty or not fn.empty


def test_recluster_is_monotonic_and_needs_no_scoring(trained):
    model, pairs, _ = trained
    nodes = nodes_from_model(model)
    counts = []
    for t in (0.05, 0.3, 0.6, 0.9, 0.99, 0.9999):
        clusters = cluster_at_threshold(pairs, nodes, t)
        assert len(clusters) == len(nodes)
        counts.append(summarise_clusters(clusters).n_clusters)
    assert counts == sorted(counts) and counts[0] < counts[-1]
    flags = flag_suspicious_clusters(
        cluster_at_threshold(pairs, nodes, 0.05), pairs, 0.05, max_size=3
    )
    assert set(flags.columns) == {"cluster_id", "cluster_size", "n_edges", "density", "reason"}
    assert (flags["cluster_size"] > 3).any()


def test_recluster_100k_records_equals_reference_components():
    """Clustering 100k records links exactly the pairs at or above the threshold.

    Its speed is measured by ``make bench``, not asserted here.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as reference

    rng = np.random.default_rng(0)
    n = 100_000
    nodes = pd.DataFrame({"source_dataset": "a", "unique_id": np.arange(n).astype(str)})
    left = rng.integers(0, n, 150_000)
    right = np.minimum(left + rng.integers(1, 4, 150_000), n - 1)
    pairs = pd.DataFrame(
        {
            "source_dataset_l": "a",
            "unique_id_l": left.astype(str),
            "source_dataset_r": "a",
            "unique_id_r": right.astype(str),
            "match_weight": 0.0,
            "match_probability": rng.random(150_000),
        }
    )
    clusters = cluster_at_threshold(pairs, nodes, 0.8)
    kept = pairs["match_probability"] >= 0.8
    graph = coo_matrix((np.ones(kept.sum()), (left[kept], right[kept])), shape=(n, n))
    count, labels = reference(graph, directed=False)
    got = clusters.set_index("unique_id").loc[nodes["unique_id"], "cluster_id"].to_numpy()
    assert clusters["cluster_id"].nunique() == count < n
    same = pd.DataFrame({"got": got, "want": labels}).drop_duplicates()
    assert len(same) == count  # each cluster is exactly one reference component


def test_connected_components_chain():
    labels = connected_components(6, np.array([4, 3, 2, 1]), np.array([5, 4, 3, 2]))
    assert labels.tolist() == [0, 1, 1, 1, 1, 1]


def test_settings_json_loads_in_plain_splink(trained, people, tmp_path):
    model, pairs, _ = trained
    path = tmp_path / "model.json"
    model.linker.misc.save_model_to_json(str(path), overwrite=True)
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f, dataset_display_name=f["source_dataset"][0]) for f in people]
    plain = Linker(sdfs, str(path))
    again = plain.inference.predict(threshold_match_weight=-4).as_pandas_dataframe()
    assert len(again) == len(pairs)
    assert np.allclose(
        np.sort(again["match_weight"].to_numpy()), np.sort(pairs["match_weight"].to_numpy())
    )
    loaded = load_model_json(path, people)
    assert len(predict_pairs(loaded)) == len(pairs)


def test_model_json_that_does_not_fit(trained, people, tmp_path):
    model, _, _ = trained
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.settings_dict()))
    lacking = [f.drop(columns=["postcode"]) for f in people]
    with pytest.raises(LinkageError, match="postcode"):
        load_model_json(path, lacking)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LinkageError, match="JSON"):
        load_model_json(bad, people)


def test_em_not_converging_is_reported(people):
    spec = suggest_model(people)
    spec.training.max_iterations = 1
    spec.training.u_max_pairs = 2e5
    model = train_model(people, spec)
    assert not model.converged
    assert any("did not converge" in w for w in model.warnings)


def test_charts_are_altair(trained):
    model, pairs, _ = trained
    for chart in (
        charts.match_weights_chart(model),
        charts.m_u_parameters_chart(model),
        charts.parameter_estimates_chart(model),
        charts.tf_adjustment_chart(model, "surname"),
        charts.waterfall_chart(model, pairs.head(3)),
        charts.match_weight_histogram(pairs),
        charts.cluster_size_chart(
            summarise_clusters(
                cluster_at_threshold(pairs, nodes_from_model(model), 0.9)
            ).size_distribution
        ),
    ):
        assert isinstance(chart, alt.TopLevelMixin)
        chart.to_dict()


@pytest.mark.skipif(not FAKE_1000.exists(), reason="benchmark data not present")
def test_fake_1000_suggested_model_quality():
    df = load_fake_1000(str(FAKE_1000))
    result = link_frames([df], threshold=0.9, labels_column="cluster")
    # Measured 0.95 (Splink's hand-written example reaches about 0.92).
    assert result.metrics["cluster_pairwise_f1"] >= 0.9, result.metrics
    assert set(result.clusters.columns) == {"source_dataset", "unique_id", "cluster_id"}
    assert "cluster" not in result.model.spec.columns()
