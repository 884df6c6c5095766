"""The app's Train page and ``workbench link`` train the same model and find the same people.

Both paths train through :func:`linkage.service.fit_model`, and EM's sums are taken in a fixed
order (:func:`linkage.model.train.use_ordered_em_sums`), so the same data gives the same m and u
values to the last bit, the same clusters and the same count of people.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import duckdb
import pandas as pd
import pytest
import splink.internals.expectation_maximisation as em

from linkage.clusters.registry import get_model
from linkage.model import train
from linkage.model.datasets import suggest_for_datasets
from linkage.model.linkers import forget_linkers
from linkage.model.runs import train_and_save
from linkage.quality.evaluate import describe_people
from tests.journey_workspace import write_sample_subset
from workbench.cli import run
from workbench.data.datasets import load_sample
from workbench.workspace import Workspace

DATASETS = ["police", "cps", "courts"]
AREAS = ("Cumbria", "Dorset", "Wiltshire", "Gwent")


def _parameters(settings: dict[str, Any]) -> dict[tuple[str, int], tuple[Any, Any]]:
    """Every comparison level's m and u, keyed by comparison and level."""
    out = {}
    for comparison in settings["comparisons"]:
        for i, level in enumerate(comparison["comparison_levels"]):
            out[(comparison["output_column_name"], i)] = (
                level.get("m_probability"),
                level.get("u_probability"),
            )
    return out


def _partition(frame: pd.DataFrame) -> set[frozenset[tuple[str, str]]]:
    """The records of each cluster, whatever the clusters' ids."""
    keys = list(
        zip(frame["source_dataset"].astype(str), frame["unique_id"].astype(str), strict=True)
    )
    groups: dict[Any, set[tuple[str, str]]] = {}
    for key, cluster in zip(keys, frame["cluster_id"], strict=True):
        groups.setdefault(cluster, set()).add(key)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same datasets linked on the Train page's path and by ``workbench link``."""
    root = tmp_path_factory.mktemp("train_paths")
    write_sample_subset(root / "sample", AREAS)
    path = root / "workspace.duckdb"
    with Workspace(path) as ws:
        load_sample(ws, sample_dir=root / "sample")
        spec = suggest_for_datasets(ws, DATASETS)
        app = train_and_save(ws, DATASETS, spec)
        row = get_model(ws, app.model_id)
        app_clusters = ws.query_df(
            "SELECT source_dataset, unique_id, cluster_id FROM wb.clusters WHERE model_id = ?",
            [app.model_id],
        )
    forget_linkers()
    out, model = root / "linked.parquet", root / "model.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run(
            [
                *("--workspace", str(path), "link", *DATASETS),
                *("--out", str(out), "--save-model", str(model), "-q"),
            ]
        )
    assert code == 0
    yield {
        "app": app,
        "app_settings": row["settings"],
        "app_clusters": app_clusters,
        "cli_settings": json.loads(model.read_text(encoding="utf-8")),
        "cli_clusters": pd.read_parquet(out),
        "cli_printed": printed.getvalue(),
    }


def test_app_and_command_line_train_identical_models(trained: dict[str, Any]) -> None:
    app, cli = trained["app_settings"], trained["cli_settings"]
    assert (
        cli["probability_two_random_records_match"] == app["probability_two_random_records_match"]
    )
    assert _parameters(cli) == _parameters(app)  # exactly, not approximately
    for key in ("retain_intermediate_calculation_columns", "retain_matching_columns"):
        assert cli[key] == app[key], key


def test_app_and_command_line_find_the_same_people(trained: dict[str, Any]) -> None:
    app, cli = trained["app_clusters"], trained["cli_clusters"]
    assert len(cli) == len(app) > 0
    assert _partition(cli) == _partition(app)
    metrics = trained["app"].metrics
    people = {k: metrics[k] for k in ("n_people", "n_records_without_person")}
    assert 0 < metrics["n_people"] < len(app)
    # police records with no suspect are not people
    assert metrics["n_records_without_person"] > 0
    assert metrics["n_people"] < app["cluster_id"].nunique()
    assert describe_people(people) in trained["cli_printed"]


def _maximisation(table: str, con: duckdb.DuckDBPyConnection, dialect: str | None) -> float:
    """The m count Splink's EM computes from the pattern table ``table``, on ``dialect``."""
    comparison = SimpleNamespace(_gamma_column_name="gamma_x", output_column_name="x")
    token = train._EM_DIALECT.set(dialect)
    try:
        sql = em.compute_new_parameters_sql(True, [comparison])
    finally:
        train._EM_DIALECT.reset(token)
    sql = sql.replace("__splink__df_predict", table)
    rows = con.execute(f"SELECT m_count FROM ({sql}) WHERE output_column_name = 'x'").fetchall()
    return rows[0][0]


def test_em_sums_do_not_depend_on_row_order() -> None:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    for name, order in (("ascending", "ASC"), ("descending", "DESC")):
        con.execute(
            f"CREATE TABLE {name} AS SELECT 1 AS gamma_x, p::DOUBLE AS match_probability, "
            "1 AS agreement_pattern_count FROM (VALUES (0.1), (0.2), (0.3)) v(p) "
            f"ORDER BY p {order}"
        )
    # Added up in arrival order the two orders differ in the last bit ...
    assert _maximisation("ascending", con, None) != _maximisation("descending", con, None)
    # ... in a fixed order (as on DuckDB) they are the same.
    assert _maximisation("ascending", con, "duckdb") == _maximisation("descending", con, "duckdb")


def test_training_twice_in_another_row_order_gives_the_same_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkage.data import prepare_frames
    from linkage.model.suggest import suggest_model
    from linkage.synthetic import make_people

    monkeypatch.setenv("WORKBENCH_DUCKDB_THREADS", "2")
    left, right = make_people(600, seed=11)
    frames = [left.drop(columns=["person_id"]), right.drop(columns=["person_id"])]
    spec = suggest_model(prepare_frames(frames))
    first = train.train_model(prepare_frames(frames), spec)
    shuffled = [f.sample(frac=1.0, random_state=3) for f in frames]
    second = train.train_model(prepare_frames(shuffled), spec)
    assert first.em_sessions and [s.iterations for s in first.em_sessions] == [
        s.iterations for s in second.em_sessions
    ]
    assert _parameters(first.settings_dict()) == _parameters(second.settings_dict())
