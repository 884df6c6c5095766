"""Refresh a linked run with new records: score only the pairs a new record is in, keep ids.

A Parquet output of ``workbench link`` carries what a refresh needs beside the records and
their cluster ids (:mod:`linkage.clusters.linked_file`).

A refresh with new records:

1. standardises them with the roles their source had (a record whose ``source_dataset`` and
   ``unique_id`` are already in the run *replaces* its earlier version, and that version's
   links are dropped; records of a source numbered by row are numbered on after the earlier
   ones, so they are always added);
2. scores with the same model and blocking rules only the pairs that involve a new record
   (new against existing with Splink's ``predict_between``, new against new with
   ``predict_within``; term frequencies come from every record, as in a full link);
3. clusters by connected components over the earlier links that remain plus the new links
   at or above the threshold: a new record linked to two earlier people merges them, and a
   replaced record whose new version no longer links the same way can split its earlier
   person. This is done incrementally (:mod:`linkage.clusters.incremental`): each earlier person
   enters whole and only the new links are walked;
4. names the clusters by :mod:`linkage.clusters.stable_ids`, so every earlier person keeps their id
   unless merged or split, and reports the changes with the links that caused each. Only the
   clusters holding a new record (or a record of a person who lost one) are examined: every
   other cluster is an earlier person unchanged.

Earlier links are kept as they were scored, not scored again: term frequencies shift a little
as records arrive, so a full relink with the same model can differ from a refresh by the odd
link near the threshold (the benchmark and tests hold the difference in F1 under 0.01).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.clusters.change_report import ChangeReport, build_report
from linkage.clusters.incremental import update_components
from linkage.clusters.linked_file import (
    LinkedFileInfo,
    LinkedRun,
    edges_to_rows,
    model_fingerprint,
)
from linkage.clusters.new_pairs import score_new_against_old
from linkage.clusters.run_inputs import combine_tables
from linkage.clusters.stable_ids import carry_ids_touched
from workbench.errors import LinkageError

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


@dataclass
class RefreshResult:
    """A refreshed run and what changed.

    The change report is assembled on first use of :attr:`report`, so a caller can start
    writing the run (which does not need it) while the report is built.
    """

    run: LinkedRun
    make_report: Callable[[], ChangeReport] = field(repr=False)
    pairs_scored: int = 0

    @functools.cached_property
    def report(self) -> ChangeReport:
        """What changed: new people, records added, merges and splits with their links."""
        return self.make_report()


def check_model(
    previous: LinkedRun | LinkedFileInfo, settings: dict[str, Any] | None, threshold: float | None
) -> tuple[dict[str, Any], float]:
    """The model and threshold a refresh of ``previous`` uses, checked against the run's own.

    Raises:
        LinkageError: When the run cannot be refreshed, or the model or threshold differ.
    """
    if not previous.refreshable:
        raise LinkageError(
            "The previous run lacks the standardised records and links a refresh needs "
            "(it is a CSV, or was written by an older workbench).",
            hint="Relink everything once with --full --previous to keep its ids, writing "
            "Parquet; later extracts can then be refreshed into that output.",
        )
    stored = previous.meta.get("model")
    if settings is None:
        settings = stored
    if not isinstance(settings, dict):
        raise LinkageError("The previous run does not record its model.", hint="Give --model.")
    if model_fingerprint(settings) != previous.meta.get("model_fingerprint"):
        raise LinkageError(
            "The model differs from the one the previous run was linked with "
            f"(fingerprint {model_fingerprint(settings)}, previous "
            f"{previous.meta.get('model_fingerprint')}).",
            hint="Refresh with the same model (or leave --model out to use the run's own), or "
            "relink everything with --full --previous to keep the ids.",
        )
    run_threshold = float(previous.meta["threshold"])
    if threshold is not None and abs(float(threshold) - run_threshold) > 1e-12:
        raise LinkageError(
            f"The previous run was clustered at {run_threshold:g}, not {threshold:g}.",
            hint="Leave --threshold out to refresh, or relink with --full --previous.",
        )
    return settings, run_threshold


def refresh_run(
    previous: LinkedRun,
    new_table: pd.DataFrame,
    new_standardised: pd.DataFrame,
    *,
    settings: dict[str, Any] | None = None,
    threshold: float | None = None,
    sources: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Refresh a linked run with new records (see the module's description).

    Args:
        previous: The earlier run (:func:`read_linked`).
        new_table: The new records as they go into the output: ``source_dataset``,
            ``unique_id``, then their input columns.
        new_standardised: Their standardised fields, row for row.
        settings: The model (Splink JSON); by default the run's own. Must be the same model.
        threshold: Must be the run's threshold when given.
        sources: Roles and id column of the new sources, kept in the output's metadata.
        progress: Called with a message and the fraction done.

    Returns:
        The refreshed run and the change report.

    Raises:
        LinkageError: When the run cannot be refreshed, the model differs, or new records
            repeat an id.
    """

    def say(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    settings, threshold = check_model(previous, settings, threshold)
    assert previous.standardised is not None and previous.edges is not None
    key = ["source_dataset", "unique_id"]
    new_keys = new_table[key].astype(str)
    if new_keys.duplicated().any():
        example = new_keys[new_keys.duplicated()].iloc[0]
        raise LinkageError(
            f"The new records repeat the id {example['unique_id']!r} of "
            f"{example['source_dataset']}.",
            hint="Ids must be unique within a source.",
        )
    prev_table = previous.table
    n_prev = len(prev_table)
    replaces = _earlier_rows(prev_table, new_keys)
    replaced = np.zeros(n_prev, dtype=bool)
    replaced[replaces[replaces >= 0]] = True
    keep = ~replaced
    n_keep = int(keep.sum())
    # Earlier row -> row now: kept rows in order, replaced rows to their new version.
    row_now = np.cumsum(keep) - 1
    row_now[replaces[replaces >= 0]] = n_keep + np.flatnonzero(replaces >= 0)
    say("Combining the records", 0.05)
    # Usually no record is replaced: the earlier rows are then taken whole, not copied.
    kept = slice(None) if keep.all() else keep
    table = combine_tables([prev_table.loc[kept].drop(columns=["cluster_id"]), new_table])
    old_std, new_std = _same_columns(
        previous.standardised.loc[kept].reset_index(drop=True),
        new_standardised.reset_index(drop=True),
    )
    std = pd.concat([old_std, new_std], ignore_index=True)
    # Earlier clusters as codes into old_ids; a replacing record carries its earlier
    # version's cluster (for the ids and the report) but clusters as a new record.
    prev_codes, uniques = pd.factorize(prev_table["cluster_id"], use_na_sentinel=True)
    prev_codes = np.asarray(prev_codes, dtype=np.int64)
    old_ids = pd.Index(uniques)
    old_codes = np.concatenate(
        [prev_codes[keep], np.where(replaces >= 0, prev_codes[np.maximum(replaces, 0)], -1)]
    )
    cluster_codes = old_codes.copy()
    cluster_codes[n_keep:] = -1
    lost = np.zeros(len(old_ids), dtype=bool)
    lost[prev_codes[replaced & (prev_codes >= 0)]] = True
    is_new = np.zeros(len(table), dtype=bool)
    is_new[n_keep:] = True
    el, er = previous.edges["l"].to_numpy(), previous.edges["r"].to_numpy()
    old_edges = previous.edges.assign(l=row_now[el], r=row_now[er])
    carried_edges = old_edges.loc[keep[el] & keep[er]]
    say("Scoring the pairs with a new record", 0.15)
    # Records go to Splink numbered by their row here, so each scored pair names its rows
    # directly (ids are looked up nowhere, and short keys join faster).
    # The numbers go as text: Splink joins on text keys, and whole numbers would be cast to
    # text in every join.
    scored = score_new_against_old(
        new_std.assign(unique_id=_numbered_as_text(n_keep, len(new_std))),
        old_std.assign(unique_id=_numbered_as_text(0, n_keep)),
        settings,
        threshold,
    )
    new_edges = (
        edges_to_rows(scored, None, threshold, locate=_row_numbers)
        if len(scored)
        else carried_edges.iloc[0:0]
    )
    # Splink returns pairs in no fixed order: sort them so reports come out the same each run.
    new_edges = new_edges.sort_values(["l", "r"], kind="stable", ignore_index=True)
    edges = pd.concat([carried_edges, new_edges], ignore_index=True)
    say("Clustering", 0.8)
    # Earlier clusters enter whole; only those touched by a new record can change.
    comp = update_components(
        cluster_codes,
        lost,
        (carried_edges["l"].to_numpy(), carried_edges["r"].to_numpy()),
        (new_edges["l"].to_numpy(), new_edges["r"].to_numpy()),
    )
    records = table[key]
    carried = carry_ids_touched(records, comp.labels, old_codes, old_ids, comp.touched)
    table.insert(2, "cluster_id", carried.cluster_id.to_numpy())
    fingerprint = model_fingerprint(settings)
    rows = np.flatnonzero(comp.touched)
    people_after = int(np.count_nonzero(np.bincount(comp.labels)))

    def make_report() -> ChangeReport:
        return build_report(
            "refresh",
            records=records.iloc[rows].reset_index(drop=True),
            cluster_id=carried.cluster_id.iloc[rows].reset_index(drop=True),
            old_cluster=pd.Series(
                np.where(
                    old_codes[rows] >= 0,
                    old_ids.to_numpy(dtype=object)[np.maximum(old_codes[rows], 0)],
                    None,
                ),
                dtype=object,
            ),
            is_new=is_new[rows],
            edges=_edges_within(edges, rows, len(table)),
            old_edges=_edges_within(old_edges, rows, len(table)),
            id_counts=carried.summary(),
            fingerprint=fingerprint,
            threshold=threshold,
            records_before=n_prev,
            people_before=len(old_ids),
            replaced=int(replaced.sum()),
            totals={"records_after": len(table), "people_after": people_after},
        )

    meta = {
        **previous.meta,
        "sources": {**previous.meta.get("sources", {}), **(sources or {})},
    }
    say("Done", 1.0)
    return RefreshResult(
        run=LinkedRun(table=table, standardised=std, edges=edges, meta=meta),
        make_report=make_report,
        pairs_scored=len(scored),
    )


def _same_columns(
    old_std: pd.DataFrame, new_std: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The earlier and the new standardised records with the same columns in the same order.

    A column the new records lack (an extract without postcodes) is empty in them, typed as
    the earlier records have it, as a full link treats a column some inputs lack; a column only
    the new records have is empty in the earlier ones. Each is said as a warning.
    """
    from linkage.data import empty_column

    lacking = [c for c in old_std.columns if c not in new_std.columns]
    added = [c for c in new_std.columns if c not in old_std.columns]
    if lacking:
        log.warning(
            "the new records lack %s, which the earlier records have; treated as empty in them",
            ", ".join(map(str, lacking)),
        )
        new_std = new_std.assign(
            **{str(c): empty_column(len(new_std), new_std.index, old_std[c].dtype) for c in lacking}
        )
    if added:
        log.warning(
            "the new records have %s, which the earlier records lack; treated as empty in those",
            ", ".join(map(str, added)),
        )
        old_std = old_std.assign(
            **{str(c): empty_column(len(old_std), old_std.index, new_std[c].dtype) for c in added}
        )
    return old_std, new_std[list(old_std.columns)]


def _numbered_as_text(start: int, n: int) -> pd.Series:
    """Row numbers ``start .. start + n - 1`` as text (made in Arrow, not one by one)."""
    numbers = pa.array(np.arange(start, start + n, dtype=np.int64)).cast(pa.large_string())
    return pd.Series(numbers.to_pandas(), index=pd.RangeIndex(n))


def _row_numbers(_: pd.Series, numbers: pd.Series) -> np.ndarray:
    """The rows a refresh numbered its records by, read back from scored pairs' ids."""
    return pc.cast(pa.array(numbers.astype("str")), pa.int64()).to_numpy()


def _earlier_rows(prev_table: pd.DataFrame, new_keys: pd.DataFrame) -> np.ndarray:
    """For each new record, the row of its earlier version in ``prev_table`` (``-1`` if none).

    The new records' ids are looked up per source among the earlier ids of that source, in
    Arrow: the earlier ids are hashed once, without a Python object per id.
    """
    out = np.full(len(new_keys), -1, dtype=np.int64)
    if not len(new_keys) or not len(prev_table):
        return out
    prev_source = pa.array(prev_table["source_dataset"].astype("str"))
    prev_uid = pa.array(prev_table["unique_id"].astype("str"))
    new_source = new_keys["source_dataset"].to_numpy(dtype=object)
    new_uid = new_keys["unique_id"].to_numpy(dtype=object)
    for name in pd.unique(new_source):
        mask = pc.fill_null(pc.equal(prev_source, pa.scalar(str(name))), False)
        rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        if not len(rows):
            continue
        mine = np.flatnonzero(new_source == name)
        earlier = pc.filter(prev_uid, mask)
        wanted = pa.array(new_uid[mine].tolist()).cast(earlier.type)
        found = pc.index_in(wanted, value_set=earlier)
        at = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        out[mine] = np.where(at >= 0, rows[np.maximum(at, 0)], -1)
    return out


def _edges_within(edges: pd.DataFrame, rows: np.ndarray, n: int) -> pd.DataFrame:
    """The links whose left record is among ``rows``, renumbered to positions in ``rows``.

    Both records of a link sit in one cluster, so one end decides.
    """
    where = np.full(n, -1, dtype=np.int64)
    where[rows] = np.arange(len(rows), dtype=np.int64)
    left = where[edges["l"].to_numpy()]
    inside = left >= 0
    return pd.DataFrame(
        {
            "l": left[inside],
            "r": where[edges["r"].to_numpy()[inside]],
            "match_weight": edges["match_weight"].to_numpy()[inside],
        }
    )
