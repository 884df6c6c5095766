"""The same linkage on DuckDB and on Spark (local mode) agrees, and models cross backends.

Tolerance: for the same pairs scored with the same trained settings, match weights agree to
within 1e-6 on the two backends, and clusters at the same threshold are identical.

The Spark tests need the ``spark`` extra and Java 17. Without them they are skipped with the
reason, except in CI (``CI=true``), where they fail: CI must run them.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linkage import backends
from linkage.data import PreparedInput, prepare_frames
from linkage.engines import spark as spark_engine
from linkage.model import dialects
from linkage.model.model_spec import ModelSpec
from linkage.model.predict import cluster_at_threshold, nodes_from_model, predict_pairs
from linkage.model.suggest import suggest_model
from linkage.model.train import TrainedModel, train_model
from linkage.service import load_model_json
from linkage.synthetic import make_people
from workbench import config
from workbench.errors import LinkageError
from workbench.workspace import Workspace

WEIGHT_TOLERANCE = 1e-6
THRESHOLD = 0.9
KEYS = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
#: The driver JVM of these short runs: the quick JIT compiler only and a single-threaded GC.
#: The optimising compiler cost more CPU than the queries on a few hundred records.
SHORT_RUN_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


#: The columns the Spark tests compare.
SPARK_COLUMNS = ("first_name", "surname", "dob")


def _narrowed(spec: ModelSpec) -> ModelSpec:
    """The model on :data:`SPARK_COLUMNS` alone, with the rules that use only them and one EM
    session: every Spark query, EM iteration and further session (for a level left
    untrained) costs several Spark jobs."""

    def only(rule: Any) -> bool:
        used = {w for e in rule.expressions for w in re.findall(r"[a-z_]+", e)}
        return used <= {*SPARK_COLUMNS, "substr", "year"}

    spec.comparisons = [c for c in spec.comparisons if c.column in SPARK_COLUMNS]
    spec.blocking_rules = [r for r in spec.blocking_rules if only(r)]
    spec.training.prior_rules = [r for r in spec.training.prior_rules if only(r)]
    spec.training.em_rules = [r for r in spec.training.em_rules if only(r)][:1]
    return spec


def _require_spark() -> None:
    problem = spark_engine.spark_problem()
    if problem is None:
        return
    message = f"Spark is not available: {problem} {spark_engine.SPARK_INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the Spark tests. {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def spark_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A started local Spark session (one for the module), stopped at the end."""
    _require_spark()
    logging.getLogger("splink").setLevel(logging.ERROR)
    folder = tmp_path_factory.mktemp("spark")
    java_options = f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {SHORT_RUN_JVM_OPTIONS}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAVA_TOOL_OPTIONS", java_options.strip())
        patch.setenv(config.ENV_SPARK_SHUFFLE_PARTITIONS, "2")
        patch.setenv(config.ENV_SPARK_DRIVER_MEMORY, "1g")
        patch.delenv(config.ENV_SPARK_REMOTE, raising=False)
        patch.delenv(config.ENV_SPARK_MASTER, raising=False)
        spark_engine.spark_session(folder)
        try:
            yield folder
        finally:
            spark_engine.stop_spark()


@pytest.fixture(scope="module")
def data() -> PreparedInput:
    """About 300 synthetic records in two datasets (truth column left out)."""
    frames = make_people(300, seed=7)
    return prepare_frames([f.drop(columns="person_id") for f in frames], names=["police", "courts"])


@pytest.fixture(scope="module")
def spec(data: PreparedInput) -> ModelSpec:
    """The suggested model on three comparisons, with one EM session: Spark's share short."""
    return _narrowed(suggest_model(data))


@pytest.fixture(scope="module")
def duckdb_model(data: PreparedInput, spec: ModelSpec) -> TrainedModel:
    """The model trained on DuckDB."""
    return train_model(data, spec, backend="duckdb")


def _spark_pairs(model: TrainedModel, folder: Path) -> pd.DataFrame:
    rel, written = backends.score_to_parquet(model, folder)
    assert any(written.glob("*.parquet")), "Spark's scored pairs land as Parquet"
    return rel.df()


def _compare(a: pd.DataFrame, b: pd.DataFrame, nodes: pd.DataFrame) -> dict[str, Any]:
    """Pairs in both, the largest weight difference, and whether clusters are identical."""
    a = a.astype({k: str for k in KEYS})
    b = b.astype({k: str for k in KEYS})
    merged = a.merge(b, on=KEYS, suffixes=("_a", "_b"), how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"]
    delta = (both["match_weight_a"] - both["match_weight_b"]).abs().max()
    ca = cluster_at_threshold(a, nodes, THRESHOLD)
    cb = cluster_at_threshold(b, nodes, THRESHOLD)
    return {
        "only_one": int((merged["_merge"] != "both").sum()),
        "pairs": len(both),
        "max_delta": float(delta),
        "same_clusters": ca["cluster_id"].tolist() == cb["cluster_id"].tolist(),
        "n_clusters": ca["cluster_id"].nunique(),
    }


def test_duckdb_trained_model_scores_the_same_on_spark(
    spark_dir: Path, data: PreparedInput, duckdb_model: TrainedModel
) -> None:
    """Train on DuckDB, predict on Spark with the saved settings JSON: same weights, clusters."""
    on_duckdb = predict_pairs(duckdb_model)
    saved = duckdb_model.linker.misc.save_model_to_json()
    assert saved["sql_dialect"] == "duckdb"
    on_spark_model = load_model_json(saved, data, backend="spark")
    assert on_spark_model.backend == "spark"
    on_spark = _spark_pairs(on_spark_model, spark_dir)
    result = _compare(on_duckdb, on_spark, nodes_from_model(duckdb_model))
    assert result["pairs"] > 50 and result["only_one"] == 0, result
    assert result["max_delta"] < WEIGHT_TOLERANCE, result
    assert result["same_clusters"], result
    assert result["n_clusters"] < len(nodes_from_model(duckdb_model))


def _workspace(path: Path) -> Workspace:
    """A workspace holding the synthetic police and courts records with their roles saved."""
    from workbench.data.writing import import_frame
    from workbench.persons.role_suggest import suggest_roles_for_dataset
    from workbench.persons.roles import save_roles

    ws = Workspace(path)
    for name, frame in zip(["police", "courts"], make_people(300, seed=7), strict=True):
        import_frame(ws, frame.drop(columns="person_id"), name)
        save_roles(ws, name, {s.column: s.role for s in suggest_roles_for_dataset(ws, name)})
    return ws


def test_spark_trained_model_lands_in_the_workspace_and_scores_the_same_on_duckdb(
    spark_dir: Path, tmp_path: Path
) -> None:
    """Train on Spark through the Train page's workflow; the workspace holds it like any other.

    Its pairs (scored on Spark, landed as Parquet beside the workspace) are the workspace's
    predictions table; the stored model reloads on DuckDB and scores the same weights and
    clusters; training on DuckDB finds the same prior.
    """
    from linkage.clusters.registry import get_model, predictions_table
    from linkage.model.datasets import suggest_for_datasets
    from linkage.model.linkers import forget_linkers, load_linker
    from linkage.model.runs import train_and_save

    ws = _workspace(tmp_path / "workspace.duckdb")
    names = ["police", "courts"]
    try:
        spec = _narrowed(suggest_for_datasets(ws, names))
        spec.training.max_iterations = 2  # each EM iteration is several Spark jobs
        run = train_and_save(ws, names, spec, threshold=THRESHOLD, backend="spark")
        row = get_model(ws, run.model_id)
        assert row["metrics"]["backend"] == "spark"
        assert row["settings"]["sql_dialect"] == "duckdb"
        assert (tmp_path / "tmp" / "spark").is_dir()
        stored = ws.query_df(f"SELECT * FROM {predictions_table(run.model_id)}")
        stored_clusters = ws.query_df(
            "SELECT cluster_id FROM wb.clusters WHERE model_id = ? ORDER BY source_dataset, "
            "unique_id",
            [run.model_id],
        )
        reloaded = load_linker(ws, run.model_id)
        assert reloaded.backend == "duckdb"
        on_duckdb = predict_pairs(reloaded)
        nodes = nodes_from_model(reloaded)
        result = _compare(stored, on_duckdb, nodes)
        assert result["pairs"] > 50 and result["only_one"] == 0, result
        assert result["max_delta"] < WEIGHT_TOLERANCE, result
        assert result["same_clusters"], result
        again = cluster_at_threshold(on_duckdb, nodes, THRESHOLD)
        again = again.sort_values(["source_dataset", "unique_id"])
        assert again["cluster_id"].tolist() == stored_clusters["cluster_id"].tolist()
        duck_run = train_and_save(ws, names, spec, threshold=THRESHOLD)
        duck_row = get_model(ws, duck_run.model_id)
        assert row["settings"]["probability_two_random_records_match"] == pytest.approx(
            duck_row["settings"]["probability_two_random_records_match"], rel=1e-9
        )
    finally:
        forget_linkers()
        ws.close()


def test_local_session_keeps_its_files_in_the_work_folder(spark_dir: Path) -> None:
    """Spark's scratch, checkpoints and catalogue folder live in the work folder, so a run
    leaves no spark-warehouse folder where the user started it."""
    work = spark_engine.spark_temp_dir(spark_dir)
    conf = spark_engine.spark_session(spark_dir).sparkContext.getConf()
    for key in ("spark.local.dir", "spark.sql.warehouse.dir"):
        assert Path(conf.get(key).removeprefix("file:")).is_relative_to(work), (key, work)


def test_settings_translate_both_ways(data: PreparedInput, duckdb_model: TrainedModel) -> None:
    """DuckDB SQL to Spark SQL and back scores the same on DuckDB (no Spark needed).

    This is the path of a model file saved by Splink on Spark and loaded on DuckDB.
    """
    saved = duckdb_model.linker.misc.save_model_to_json()
    spark = dialects.translate_settings(saved, "spark")
    assert spark["sql_dialect"] == "spark"
    conditions = [
        level["sql_condition"] for c in spark["comparisons"] for level in c["comparison_levels"]
    ]
    assert not any('"' in condition for condition in conditions), conditions
    assert "jaro_winkler(`" in str(conditions).lower()
    assert "jaro_winkler_similarity" not in str(conditions).lower()
    back = dialects.translate_settings(spark, "duckdb")
    prior = "probability_two_random_records_match"
    assert back[prior] == saved[prior]
    original = predict_pairs(duckdb_model)
    round_trip = predict_pairs(load_model_json(back, data))
    result = _compare(original, round_trip, nodes_from_model(duckdb_model))
    assert result["only_one"] == 0 and result["max_delta"] < WEIGHT_TOLERANCE, result
    assert result["same_clusters"], result


def test_choosing_spark_without_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """When pyspark cannot be imported, choosing Spark is a LinkageError with install steps."""
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspark" or name.startswith(("pyspark.", "splink.backends.spark")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    monkeypatch.delenv(config.ENV_SPARK_REMOTE, raising=False)
    with pytest.raises(LinkageError) as caught:
        backends.make_api("spark")
    text = str(caught.value)
    assert "pyspark is not installed" in text
    assert "uv sync --extra spark" in text and "Java 17" in text


def test_cli_spark_without_it_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``workbench link --backend spark`` without Spark: exit 2 and the install message."""
    from workbench.cli import run

    monkeypatch.setattr(spark_engine, "spark_problem", lambda: "pyspark is not installed.")
    frame = make_people(40, seed=1, n_datasets=1)[0]
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    code = run(["link", str(path), "--out", str(tmp_path / "o.parquet"), "--backend", "spark"])
    err = capsys.readouterr().err
    assert code == 2
    assert "uv sync --extra spark" in err and err.strip().count("\n") == 0


def test_unknown_backend_is_refused() -> None:
    """Only duckdb and spark are backends."""
    with pytest.raises(LinkageError, match="not available"):
        backends.normalise_backend("flink")
    assert backends.normalise_backend(" Spark ") == "spark"
    assert backends.normalise_backend(None) == "duckdb"
