"""Adding a new extract of one of a saved model's datasets in the workspace, refreshing the
model's stored pairs and clusters (:func:`add_extract`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from linkage.clusters.change_report import ChangeReport, build_report
from linkage.clusters.linked_file import edges_to_rows, model_fingerprint
from linkage.clusters.new_pairs import score_new_pairs
from linkage.clusters.run_inputs import combine_tables
from linkage.model.predict import node_index, node_positions_of
from workbench.errors import LinkageError, ValidationError
from workbench.sql import compose, qualified

Progress = Callable[[str, float], None]


def _insert_extract(cur: Any, dataset: str, id_column: str, frame: pd.DataFrame) -> None:
    """Put the extract's records into the dataset: same ids replace, the rest are added."""
    from workbench.workspace import DATA_SCHEMA

    table = qualified(DATA_SCHEMA, dataset)
    columns = [str(r[0]) for r in cur.execute(compose("DESCRIBE {t}", t=table)).fetchall()]
    shared = [c for c in frame.columns if str(c) in columns]
    cur.register("wb_new_extract", frame[shared])
    try:
        cur.execute(
            compose(
                "DELETE FROM {t} WHERE CAST({key} AS VARCHAR) IN "
                "(SELECT CAST({key} AS VARCHAR) FROM wb_new_extract)",
                t=table,
                key=id_column,
            )
        )
        cur.execute(
            compose(
                "INSERT INTO {t} ({names}) SELECT {names} FROM wb_new_extract",
                t=table,
                names=shared,
            )
        )
    finally:
        cur.unregister("wb_new_extract")


def add_extract(
    ws: Any,
    model_id: str,
    dataset: str,
    frame: pd.DataFrame,
    *,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ChangeReport:
    """Add a new extract of one of a model's datasets and refresh the model's clusters.

    The extract's records go into the dataset (a record whose id is already there replaces
    it); only the pairs involving them are scored, with the model, and stored beside the
    model's other scored pairs (those of replaced records are dropped); the clusters are
    rebuilt at the model's threshold keeping every earlier person's id unless merged or split
    (:func:`linkage.clusters.registry.store_clusters`); the change report is kept with the model
    version (:func:`linkage.clusters.registry.store_change_report`); journeys built from this model
    are rebuilt.

    Args:
        ws: The workspace.
        model_id: A saved model with stored scored pairs and clusters.
        dataset: Which of the model's datasets the extract belongs to.
        frame: The extract, with the dataset's columns (at least its id and person columns).
        actor: Who added it.
        progress: Called with a message and the fraction done.

    Returns:
        The change report.

    Raises:
        LinkageError: When the dataset is not one of the model's, has no record id column,
            or the model has no stored clusters.
        ValidationError: When the extract lacks the dataset's columns or repeats an id.
    """
    from linkage.clusters import registry
    from linkage.model.datasets import standardised_inputs, truth_column
    from linkage.model.linkers import forget_linkers
    from linkage.service import RETENTION_MATCH_WEIGHT
    from workbench.persons.roles import Role, load_roles

    def say(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    row = registry.get_model(ws, model_id)
    datasets = row.get("datasets") or []
    if isinstance(datasets, str):
        datasets = json.loads(datasets)
    if dataset not in datasets:
        raise LinkageError(
            f"The model does not link {dataset!r} (it links {', '.join(datasets)}).",
            hint="Choose one of the model's datasets for the new extract.",
        )
    threshold = row.get("threshold")
    before = registry.load_clusters(ws, model_id)
    if threshold is None or before.empty:
        raise LinkageError(
            "The model has no stored clusters to refresh.",
            hint="Choose and store a threshold on the Threshold and clusters page first.",
        )
    roles = load_roles(ws, dataset)
    id_column = next((c for c, r in roles.items() if r is Role.RECORD_ID), None)
    if id_column is None:
        raise LinkageError(
            f"Dataset {dataset!r} has no record id column, so new records cannot be told "
            "apart from earlier ones.",
            hint="Give one of its columns the record id role on the Roles page.",
        )
    needed = [c for c, r in roles.items() if r is not Role.IGNORE]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"The extract lacks the column(s) {', '.join(missing)} of {dataset!r}.",
            hint="Add an extract with the same columns as the dataset.",
        )
    ids = frame[id_column].astype("string")
    if ids.isna().any() or ids.duplicated().any():
        raise ValidationError(
            f"The extract's {id_column!r} values must be filled and unique.",
            hint="Each record needs its own id.",
        )
    settings = registry.load_model_settings(ws, model_id)
    pred = registry.predictions_table(model_id)
    old_pairs = ws.query_df(
        compose(
            "SELECT source_dataset_l, unique_id_l, source_dataset_r, unique_id_r, "
            "match_weight, match_probability FROM {pred} WHERE match_probability >= ?",
            pred=pred,
        ),
        [float(threshold)],
    )
    new_ids = set(ids.astype(str))
    say("Standardising", 0.1)
    from linkage.inputs import prepare_input

    model_roles = {
        c: (Role.IGNORE if c == truth_column(ws, dataset) else r) for c, r in roles.items()
    }
    item = prepare_input(dataset, frame, stored_roles=model_roles)
    frames = standardised_inputs(ws, datasets)
    std = combine_tables(
        [
            *[f.assign(unique_id=f["unique_id"].astype(str).astype(object)) for f in frames],
            item.standardised.assign(source_dataset=dataset),
        ]
    )
    earlier = (std["source_dataset"].astype(str) == dataset).to_numpy() & std["unique_id"].isin(
        new_ids
    ).to_numpy()
    earlier[len(std) - len(item.standardised) :] = False
    std = std.loc[~earlier].reset_index(drop=True)
    is_new = np.zeros(len(std), dtype=bool)
    is_new[len(std) - len(item.standardised) :] = True
    say("Scoring the pairs with a new record", 0.3)
    scored = score_new_pairs(
        std,
        is_new,
        settings,
        float(threshold),
        min_match_weight=RETENTION_MATCH_WEIGHT,
        all_columns=True,
    )
    say("Storing the records and pairs", 0.7)
    with ws.transaction() as cur:
        _insert_extract(cur, dataset, id_column, frame)
        cur.register("wb_new_ids", pd.DataFrame({"uid": sorted(new_ids)}))
        for side in ("l", "r"):
            cur.execute(
                compose(
                    "DELETE FROM {pred} WHERE {sd} = ? AND {uid} IN (SELECT uid FROM wb_new_ids)",
                    pred=pred,
                    sd=f"source_dataset_{side}",
                    uid=f"unique_id_{side}",
                ),
                [dataset],
            )
        cur.unregister("wb_new_ids")
        columns = [str(r[0]) for r in cur.execute(compose("DESCRIBE {t}", t=pred)).fetchall()]
        shared = [c for c in scored.columns if c in columns]
        cur.register("wb_new_pairs", scored[shared])
        cur.execute(
            compose(
                "INSERT INTO {pred} ({names}) SELECT {names} FROM wb_new_pairs",
                pred=pred,
                names=shared,
            )
        )
        cur.unregister("wb_new_pairs")
        ws.audit(
            "model.refresh",
            target=model_id,
            detail={"dataset": dataset, "records": len(frame), "pairs": len(scored)},
            actor=actor,
            cur=cur,
        )
    forget_linkers()
    say("Clustering", 0.8)
    from linkage.model.predict import EDGE_COLUMNS, cluster_at_threshold

    pairs = ws.query_df(
        compose(
            "SELECT {columns} FROM {pred} WHERE match_probability >= ?",
            columns=EDGE_COLUMNS,
            pred=pred,
        ),
        [float(threshold)],
    )
    records = std[["source_dataset", "unique_id"]]
    clusters = cluster_at_threshold(pairs, records, float(threshold))
    registry.store_clusters(ws, model_id, clusters, float(threshold))
    positions = node_index(before["source_dataset"], before["unique_id"].astype(str))
    where = node_positions_of(positions, records["source_dataset"], records["unique_id"])
    old_cluster = pd.Series(
        np.where(
            where >= 0, before["cluster_id"].to_numpy(dtype=object)[np.maximum(where, 0)], None
        ),
        dtype=object,
    )
    report = build_report(
        "refresh",
        records=records,
        cluster_id=clusters["cluster_id"],
        old_cluster=old_cluster,
        is_new=is_new,
        edges=edges_to_rows(pairs, records, float(threshold), drop_unknown=True),
        old_edges=edges_to_rows(old_pairs, records, float(threshold), drop_unknown=True),
        id_counts=clusters.attrs.get("id_changes", {}),
        fingerprint=model_fingerprint(settings),
        threshold=float(threshold),
        records_before=len(before),
        people_before=int(before["cluster_id"].nunique()),
        replaced=int((is_new & (where >= 0)).sum()),
    )
    registry.store_change_report(ws, model_id, dataset, report.to_dict(), actor=actor)
    say("Rebuilding journeys", 0.95)
    _rebuild_journeys(ws, model_id)
    say("Done", 1.0)
    return report


def _rebuild_journeys(ws: Any, model_id: str) -> None:
    """Rebuild the linked journeys when they were built from this model."""
    from workbench.analysis.journeys.build import build_info, build_journeys

    info = build_info(ws)
    if info is not None and info.get("model_id") == model_id:
        build_journeys(ws, model_id)
