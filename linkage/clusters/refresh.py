"""Refresh a linked run with new records: score only the pairs a new record is in, keep ids.

A Parquet output of ``workbench link`` carries what a refresh needs beside the records and
their cluster ids: each record's standardised fields (columns named ``__std__<field>``), the
links at or above the threshold (list columns ``__links`` and ``__link_weights`` on the record
with the lower row number, naming the other record by row), and in the file's metadata the
model, its fingerprint, the threshold and each source's column roles.

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

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.clusters.incremental import update_components
from linkage.clusters.stable_ids import carry_ids, carry_ids_touched, find_changes
from linkage.model.predict import _lookup, _positions
from workbench.errors import LinkageError, ValidationError

log = logging.getLogger(__name__)

META_KEY = b"workbench.link"
FORMAT_VERSION = 1
STD_PREFIX = "__std__"
LINKS = "__links"
LINK_WEIGHTS = "__link_weights"
HIDDEN = (LINKS, LINK_WEIGHTS)
Progress = Callable[[str, float], None]


# ------------------------------------------------------------------ the linked file
@dataclass
class LinkedRun:
    """A linked run as a refresh reads and writes it.

    Attributes:
        table: One row per record: ``source_dataset``, ``unique_id``, ``cluster_id``, then the
            input columns.
        standardised: Per row of ``table``, its standardised fields (``None`` for a file from
            an older version, which only a full relink can use).
        edges: The links at or above the threshold: row positions ``l`` < ``r`` and
            ``match_weight`` (``None`` for an older file).
        meta: ``threshold``, ``model`` (Splink JSON), ``model_fingerprint``, ``sources``
            (each source's ``roles`` and ``id_column``).
    """

    table: pd.DataFrame
    standardised: pd.DataFrame | None = None
    edges: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def refreshable(self) -> bool:
        """Whether the run carries what a refresh needs."""
        return self.standardised is not None and self.edges is not None and bool(self.meta)


def model_fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of what decides a model's scores: comparisons, blocking, prior, link type."""
    keys = (
        "link_type",
        "comparisons",
        "blocking_rules_to_generate_predictions",
        "probability_two_random_records_match",
    )
    core = {k: settings.get(k) for k in keys}
    text = json.dumps(core, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def edges_to_rows(
    pairs: pd.DataFrame,
    records: pd.DataFrame | None,
    threshold: float,
    *,
    drop_unknown: bool = False,
    locate: Callable[[pd.Series, pd.Series], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Scored pairs at or above the threshold as row positions ``l`` < ``r`` in ``records``.

    Args:
        pairs: Scored pairs (``source_dataset_l/_r``, ``unique_id_l/_r``, ``match_weight``,
            ``match_probability``).
        records: ``source_dataset`` and ``unique_id`` per row (unused with ``locate``).
        threshold: The match probability links start at.
        drop_unknown: Leave out pairs naming a record not in ``records`` (instead of failing).
        locate: Gives the row of each ``(source_dataset, unique_id)`` (``-1`` if none), in
            place of indexing every record of ``records``.

    Raises:
        LinkageError: When a pair names a record that is not in ``records``.
    """
    pairs = pairs[pairs["match_probability"].to_numpy() >= threshold]
    if locate is None:
        assert records is not None
        positions = _positions(records["source_dataset"], records["unique_id"])

        def locate(source: pd.Series, uid: pd.Series) -> np.ndarray:
            return _lookup(positions, source, uid)

    left = locate(pairs["source_dataset_l"], pairs["unique_id_l"])
    right = locate(pairs["source_dataset_r"], pairs["unique_id_r"])
    ok = (left >= 0) & (right >= 0)
    if not drop_unknown and not ok.all():
        raise LinkageError("Some scored pairs name records that are not in the run.")
    return pd.DataFrame(
        {
            "l": np.minimum(left, right)[ok],
            "r": np.maximum(left, right)[ok],
            "match_weight": pairs["match_weight"].to_numpy(dtype=float)[ok],
        }
    )


def write_linked(path: str | Path, run: LinkedRun) -> None:
    """Write a linked run: CSV holds the table only; Parquet holds everything a refresh needs.

    Raises:
        ValidationError: When the file cannot be written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            run.table.to_csv(path, index=False)
            return
        table = pa.Table.from_pandas(run.table, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        if run.standardised is not None and run.edges is not None:
            std = run.standardised.drop(
                columns=[c for c in ("source_dataset", "unique_id") if c in run.standardised]
            )
            std_table = pa.Table.from_pandas(
                std.rename(columns=lambda c: f"{STD_PREFIX}{c}"), preserve_index=False
            )
            for name in std_table.column_names:
                table = table.append_column(name, std_table.column(name))
            links, weights = _link_lists(run.edges, len(run.table))
            table = table.append_column(LINKS, links).append_column(LINK_WEIGHTS, weights)
            meta[META_KEY] = json.dumps(
                {**run.meta, "format": FORMAT_VERSION, "n_records": len(run.table)},
                default=str,
            ).encode("utf-8")
        pq.write_table(table.replace_schema_metadata(meta), path)
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def _link_lists(edges: pd.DataFrame, n: int) -> tuple[Any, Any]:
    import pyarrow as pa

    order = np.lexsort((edges["r"].to_numpy(), edges["l"].to_numpy()))
    left = edges["l"].to_numpy()[order]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(left, minlength=n), out=offsets[1:])
    links = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(edges["r"].to_numpy()[order].astype(np.int64))
    )
    weights = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(edges["match_weight"].to_numpy()[order].astype(float))
    )
    return links, weights


def read_linked(path: str | Path) -> LinkedRun:
    """Read an output of ``workbench link`` (CSV or Parquet, of this version or an older one).

    Raises:
        ValidationError: When the file is missing, unreadable or lacks the record ids and
            cluster ids.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise ValidationError(
            f"There is no previous run {path}.",
            hint="Give --previous an output file written by workbench link.",
        )
    try:
        if path.suffix.lower() == ".csv":
            table = pa.Table.from_pandas(
                pd.read_csv(path, dtype={"unique_id": str}), preserve_index=False
            )
        else:
            table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ValidationError(
            f"The previous run {path} cannot be read: {str(exc).splitlines()[0]}",
            hint="Give --previous an output file written by workbench link.",
        ) from exc
    needed = {"source_dataset", "unique_id", "cluster_id"}
    missing = sorted(needed - set(table.column_names))
    if missing:
        raise ValidationError(
            f"{path} is not an output of workbench link: it lacks {', '.join(missing)}.",
            hint="Give --previous an output file written by workbench link.",
        )
    raw_meta = (table.schema.metadata or {}).get(META_KEY)
    meta: dict[str, Any] = json.loads(raw_meta) if raw_meta else {}
    if meta and (meta.get("format") != FORMAT_VERSION or meta.get("n_records") != len(table)):
        raise ValidationError(
            f"{path} was changed after workbench link wrote it, or comes from another version.",
            hint="Refresh from the file as workbench link wrote it, or relink with --full.",
        )
    std_cols = [c for c in table.column_names if c.startswith(STD_PREFIX)]
    plain = [c for c in table.column_names if c not in std_cols and c not in HIDDEN]
    frame = table.select(plain).to_pandas()
    frame["unique_id"] = frame["unique_id"].astype(str).astype(object)
    if not meta or LINKS not in table.column_names:
        return LinkedRun(table=frame)
    std = table.select(std_cols).to_pandas().rename(columns=lambda c: c[len(STD_PREFIX) :])
    std.insert(0, "unique_id", frame["unique_id"].to_numpy())
    std.insert(0, "source_dataset", frame["source_dataset"].to_numpy())
    links = table.column(LINKS).combine_chunks()
    weights = table.column(LINK_WEIGHTS).combine_chunks()
    import pyarrow.compute as pc

    edges = pd.DataFrame(
        {
            "l": pc.list_parent_indices(links).to_numpy().astype(np.int64),
            "r": pc.list_flatten(links).to_numpy().astype(np.int64),
            "match_weight": pc.list_flatten(weights).to_numpy(),
        }
    )
    return LinkedRun(table=frame, standardised=std, edges=edges, meta=meta)


# ------------------------------------------------------------------ the change report
@dataclass
class ChangeReport:
    """What a refresh or relink changed, with the links behind each change.

    Attributes:
        mode: ``refresh`` or ``relink``.
        model_fingerprint: The model's fingerprint (:func:`model_fingerprint`).
        threshold: The match probability used.
        counts: Records before and after, records new and replaced, people before and after,
            ids kept, retired and issued, records compared and records whose id moved.
        new_people: Clusters of new records only: ``cluster_id``, ``records``, ``pairs``.
        added: Earlier people who gained records: ``cluster_id``, ``records`` (the new ones)
            and ``pairs`` (the links that brought them in).
        merges: See :class:`linkage.clusters.stable_ids.ClusterChanges`.
        splits: See :class:`linkage.clusters.stable_ids.ClusterChanges`.
    """

    mode: str
    model_fingerprint: str
    threshold: float
    counts: dict[str, int]
    new_people: list[dict[str, Any]] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    splits: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "mode": self.mode,
            "model_fingerprint": self.model_fingerprint,
            "threshold": self.threshold,
            "counts": self.counts,
            "new_people": self.new_people,
            "added": self.added,
            "merges": self.merges,
            "splits": self.splits,
        }

    def write(self, path: str | Path) -> None:
        """Write the report as JSON.

        Raises:
            ValidationError: When the file cannot be written.
        """
        try:
            # dumps, not dump: only the one-shot encoder runs in C.
            text = json.dumps(self.to_dict(), separators=(",", ":"))
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"Cannot write {path}: {exc.strerror}.") from exc

    def summary_lines(self, limit: int = 5) -> list[str]:
        """A readable account: the counts, then the first merges and splits with their links."""
        c = self.counts
        lines = [
            f"{'Refresh' if self.mode == 'refresh' else 'Relink'}: {c['records_before']:,} "
            f"records before, {c['records_after']:,} after ({c['records_new']:,} new, "
            f"{c['records_replaced']:,} replacing earlier versions).",
            f"People: {c['people_before']:,} before, {c['people_after']:,} after; "
            f"{len(self.new_people):,} new people, {len(self.added):,} earlier people gained "
            f"records, {len(self.merges):,} merges, {len(self.splits):,} splits.",
            f"Ids: {c['ids_kept']:,} earlier ids kept, {c['ids_retired']:,} retired, "
            f"{c['ids_new']:,} new; {c['records_moved']:,} of {c['records_compared']:,} earlier "
            "records changed id.",
        ]
        for m in self.merges[:limit]:
            others = [i for i in m["merged_ids"] if i != m["cluster_id"]]
            lines.append(
                f"  merge: {', '.join(others)} joined {m['cluster_id']} through "
                + _pairs_text(m["pairs"])
            )
        for s in self.splits[:limit]:
            lines.append(
                f"  split: {s['previous_id']} became {', '.join(s['into'])}; links now apart: "
                + _pairs_text(s["pairs"])
            )
        hidden = max(0, len(self.merges) - limit) + max(0, len(self.splits) - limit)
        if hidden:
            lines.append(f"  ... and {hidden:,} more in the JSON report.")
        return lines


def _pairs_text(pairs: list[dict[str, Any]], limit: int = 3) -> str:
    if not pairs:
        return "no stored link (a record was replaced)"
    shown = [f"{p['left']} ~ {p['right']} (weight {p['match_weight']:.1f})" for p in pairs[:limit]]
    more = f" and {len(pairs) - limit} more" if len(pairs) > limit else ""
    return "; ".join(shown) + more


def report_path(out: str | Path) -> Path:
    """Where the change report of an output goes: beside it, ``<name>.changes.json``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.changes.json")


def build_report(
    mode: str,
    *,
    records: pd.DataFrame,
    cluster_id: pd.Series,
    old_cluster: pd.Series,
    is_new: np.ndarray,
    edges: pd.DataFrame,
    old_edges: pd.DataFrame,
    id_counts: dict[str, int],
    fingerprint: str,
    threshold: float,
    records_before: int,
    people_before: int,
    replaced: int,
    totals: dict[str, int] | None = None,
) -> ChangeReport:
    """Assemble the change report of a refresh or relink.

    Args:
        mode: ``refresh`` or ``relink``.
        records: ``source_dataset`` and ``unique_id`` of every record now.
        cluster_id: Each record's id now.
        old_cluster: Each record's earlier id (missing for new records).
        is_new: Whether each record came in with this run (new or replacing).
        edges: The links now (``l``, ``r``, ``match_weight``).
        old_edges: The earlier links, in today's row positions.
        id_counts: Ids kept, retired and issued, records compared and moved
            (:meth:`linkage.clusters.stable_ids.CarriedIds.summary`).
        fingerprint: The model's fingerprint.
        threshold: The match probability.
        records_before: Records in the earlier run.
        people_before: Clusters in the earlier run.
        replaced: Records that replaced an earlier version.
        totals: ``records_after`` and ``people_after`` when ``records`` holds only the
            clusters that changed (a refresh leaves the others out; they hold no new record,
            merge or split).

    Returns:
        The report.
    """
    changes = find_changes(records, cluster_id, old_cluster, edges, old_edges)
    ids = np.asarray(cluster_id, dtype=object)
    refs = (
        records["source_dataset"].astype(str) + ":" + records["unique_id"].astype(str)
    ).to_numpy(dtype=object)
    known = pd.Series(old_cluster).notna().to_numpy()
    any_known = set(ids[known])
    touching = edges[is_new[edges["l"].to_numpy()] | is_new[edges["r"].to_numpy()]]
    a, b = touching["l"].to_numpy(), touching["r"].to_numpy()
    pairs_by: dict[Any, list[dict[str, Any]]] = {}
    # Whole columns to Python lists first: indexing NumPy arrays pair by pair costs more.
    for cid, left, right, w in zip(
        ids[a].tolist(),
        refs[a].tolist(),
        refs[b].tolist(),
        [round(w, 3) for w in touching["match_weight"].to_numpy(dtype=float).tolist()],
        strict=True,
    ):
        pairs_by.setdefault(cid, []).append({"left": left, "right": right, "match_weight": w})
    records_by: dict[Any, list[str]] = {}
    for row in np.flatnonzero(is_new & ~known):
        records_by.setdefault(ids[row], []).append(refs[row])
    new_people: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for cid, members in records_by.items():
        entry = {"cluster_id": str(cid), "records": members, "pairs": pairs_by.get(cid, [])}
        (added if cid in any_known else new_people).append(entry)
    counts = {
        "records_before": int(records_before),
        "records_after": len(records),
        "records_new": int(is_new.sum()) - int(replaced),
        "records_replaced": int(replaced),
        "people_before": int(people_before),
        "people_after": int(pd.Series(ids).nunique()),
        **{k: int(v) for k, v in id_counts.items() if k != "from_model"},
    }
    counts.update({k: int(v) for k, v in (totals or {}).items()})
    return ChangeReport(
        mode=mode,
        model_fingerprint=fingerprint,
        threshold=float(threshold),
        counts=counts,
        new_people=new_people,
        added=added,
        merges=changes.merges,
        splits=changes.splits,
    )


# ------------------------------------------------------------------ refresh
@dataclass
class RefreshResult:
    """A refreshed run and what changed."""

    run: LinkedRun
    report: ChangeReport
    pairs_scored: int = 0


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            col = level.get("tf_adjustment_column")
            if col and col not in cols:
                cols.append(str(col))
    return cols


def check_model(
    previous: LinkedRun, settings: dict[str, Any] | None, threshold: float | None
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
    positions = _positions(prev_table["source_dataset"], prev_table["unique_id"])
    replaces = _lookup(positions, new_keys["source_dataset"], new_keys["unique_id"])
    replaced = np.zeros(n_prev, dtype=bool)
    replaced[replaces[replaces >= 0]] = True
    keep = ~replaced
    n_keep = int(keep.sum())
    # Earlier row -> row now: kept rows in order, replaced rows to their new version.
    row_now = np.cumsum(keep) - 1
    row_now[replaces[replaces >= 0]] = n_keep + np.flatnonzero(replaces >= 0)
    say("Combining the records", 0.05)
    table = combine_tables([prev_table.loc[keep].drop(columns=["cluster_id"]), new_table])
    std = pd.concat([previous.standardised.loc[keep], new_standardised], ignore_index=True)
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
    scored = score_new_pairs(std, is_new, settings, threshold)
    # Pairs name their records by id: find the rows through the earlier run's index and one
    # of the new records, rather than indexing every record again.
    new_positions = _positions(new_keys["source_dataset"], new_keys["unique_id"])

    def locate(source: pd.Series, uid: pd.Series) -> np.ndarray:
        at_new = _lookup(new_positions, source, uid)
        at_prev = _lookup(positions, source, uid)
        earlier = np.where(at_prev >= 0, row_now[np.maximum(at_prev, 0)], -1)
        return np.where(at_new >= 0, n_keep + at_new, earlier)

    new_edges = (
        edges_to_rows(scored, None, threshold, locate=locate)
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
    report = build_report(
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
        report=report,
        pairs_scored=len(scored),
    )


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


def score_new_pairs(
    standardised: pd.DataFrame,
    is_new: np.ndarray,
    settings: dict[str, Any],
    threshold: float,
    *,
    min_match_weight: float | None = None,
    all_columns: bool = False,
) -> pd.DataFrame:
    """Score, with the model's blocking rules, only the pairs that involve a new record.

    Term frequencies are computed over every record, so scores equal a full link's.

    Args:
        standardised: Every record's standardised fields (with ``source_dataset``).
        is_new: Which records are new.
        settings: The model (Splink JSON).
        threshold: Pairs below this match probability are not returned.
        min_match_weight: Keep pairs down to this match weight instead (to store them for
            choosing another threshold later).
        all_columns: Return every column Splink gives (comparison levels and so on), not
            only the ids and scores.

    Returns:
        ``source_dataset_l/_r``, ``unique_id_l/_r``, ``match_weight``, ``match_probability``
        (and with ``all_columns`` the rest).

    Raises:
        LinkageError: When Splink cannot score the pairs.
    """
    from linkage.data import PreparedInput, is_model_column
    from linkage.model.predict import EDGE_COLUMNS
    from linkage.model.train import build_linker

    frame = standardised.reset_index(drop=True)
    for column in ("source_dataset", "unique_id"):
        # Text already (object or string dtype) stays as it is: converting a million ids costs.
        if not (frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])):
            frame[column] = frame[column].astype(str)
    names = list(pd.unique(frame["source_dataset"]))
    if settings.get("link_type", "dedupe_only") != "dedupe_only" and len(names) < 2:
        settings = {**settings, "link_type": "dedupe_only"}
    link_type = settings.get("link_type", "dedupe_only")
    flags = np.asarray(is_new, dtype=bool)
    new_rows = frame.loc[flags].reset_index(drop=True)
    old_rows = frame.loc[~flags].reset_index(drop=True)
    # The linker's input is every record once (term frequencies come from all of them): as
    # the new and the earlier records, which the scoring then registers again as views (no
    # copy). Each record keeps its own source_dataset column, so Splink uses it.
    split = link_type != "dedupe_only" and len(old_rows) > 0
    data = PreparedInput(
        frames=[new_rows, old_rows] if split else [frame],
        names=["__wb_refresh_in_new", "__wb_refresh_in_old"] if split else ["__wb_refresh_in"],
        model_columns=[str(c) for c in frame.columns if is_model_column(str(c))],
    )
    linker, api = build_linker(data, settings)
    try:
        for col in _tf_columns(settings):
            linker.table_management.compute_tf_table(col)
        new = api.register(new_rows, dataset_display_name="__wb_refresh_new")
        parts = []
        low = max(0.0, float(threshold) - 1e-9)
        cut: dict[str, float] = (
            {"threshold_match_probability": low}
            if min_match_weight is None
            else {"threshold_match_weight": float(min_match_weight)}
        )
        if (~flags).any():
            between = linker.inference.predict_between(
                new,
                api.register(old_rows, dataset_display_name="__wb_refresh_old"),
                **cut,
                warning_mode="never",
            )
            parts.append(between.as_pandas_dataframe())
        n_new_sources = new_rows["source_dataset"].nunique()
        if flags.sum() > 1 and not (link_type == "link_only" and n_new_sources < 2):
            within = linker.inference.predict_within(
                new,
                link_type=link_type,
                **cut,
                warning_mode="never",
            )
            parts.append(within.as_pandas_dataframe())
    except LinkageError:
        raise
    except Exception as exc:
        raise LinkageError(
            f"The new records could not be scored: {str(exc).splitlines()[0]}",
            hint="Check the new extract has the columns the model compares.",
        ) from exc
    if not parts:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    pairs = pd.concat(parts, ignore_index=True)
    for side in ("l", "r"):
        if f"source_dataset_{side}" not in pairs.columns:
            pairs[f"source_dataset_{side}"] = names[0]
    return pairs if all_columns else pairs[EDGE_COLUMNS]


def link_metadata(
    settings: dict[str, Any], threshold: float, sources: dict[str, Any]
) -> dict[str, Any]:
    """The metadata a linked Parquet output carries for later refreshes."""
    return {
        "threshold": float(threshold),
        "model": settings,
        "model_fingerprint": model_fingerprint(settings),
        "link_type": settings.get("link_type", "dedupe_only"),
        "sources": sources,
    }


def relink_report(
    previous: LinkedRun,
    table: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    settings: dict[str, Any],
    threshold: float,
) -> ChangeReport:
    """Give a full relink the previous run's ids (in place in ``table``) and report the changes.

    Args:
        previous: The earlier run (only its ids are needed; its links name the splits' causes
            when it has them).
        table: The relinked output; its ``cluster_id`` column is replaced.
        edges: The relink's links (``l``, ``r``, ``match_weight``) in ``table``'s rows.
        settings: The model used.
        threshold: The threshold used.

    Returns:
        The change report (``mode`` ``relink``).
    """
    prev = previous.table
    positions = _positions(prev["source_dataset"], prev["unique_id"])
    where = _lookup(positions, table["source_dataset"], table["unique_id"])
    old_cluster = pd.Series(
        np.where(where >= 0, prev["cluster_id"].to_numpy(dtype=object)[np.maximum(where, 0)], None),
        dtype=object,
    )
    records = table[["source_dataset", "unique_id"]].reset_index(drop=True)
    carried = carry_ids(records, table["cluster_id"].to_numpy(), old_cluster)
    table["cluster_id"] = carried.cluster_id.to_numpy()
    old_edges = pd.DataFrame({"l": [], "r": [], "match_weight": []}).astype(
        {"l": np.int64, "r": np.int64}
    )
    if previous.edges is not None and len(previous.edges):
        back = _positions(table["source_dataset"], table["unique_id"])
        now = _lookup(back, prev["source_dataset"], prev["unique_id"])
        e = previous.edges
        ll, rr = now[e["l"].to_numpy()], now[e["r"].to_numpy()]
        ok = (ll >= 0) & (rr >= 0)
        old_edges = pd.DataFrame(
            {"l": ll[ok], "r": rr[ok], "match_weight": e["match_weight"].to_numpy()[ok]}
        )
    return build_report(
        "relink",
        records=records,
        cluster_id=carried.cluster_id,
        old_cluster=old_cluster,
        is_new=(where < 0),
        edges=edges,
        old_edges=old_edges,
        id_counts=carried.summary(),
        fingerprint=model_fingerprint(settings),
        threshold=threshold,
        records_before=len(prev),
        people_before=int(prev["cluster_id"].nunique()),
        replaced=0,
    )


# ------------------------------------------------------------------ inputs of a link run
def sources_meta(inputs: Sequence[Any]) -> dict[str, Any]:
    """Each input's roles and id column (from :class:`linkage.inputs.LinkInput`), for metadata."""
    return {
        i.name: {
            "roles": {str(c): str(getattr(r, "value", r)) for c, r in i.roles.items()},
            "id_column": i.id_column,
        }
        for i in inputs
    }


def standardised_rows(inputs: Sequence[Any], table: pd.DataFrame) -> pd.DataFrame:
    """The inputs' standardised fields in the row order of ``table`` (their linked output)."""
    std = pd.concat([i.standardised for i in inputs], ignore_index=True)
    std["unique_id"] = std["unique_id"].astype(str).astype(object)
    positions = _positions(std["source_dataset"], std["unique_id"])
    order = _lookup(positions, table["source_dataset"], table["unique_id"])
    if (order < 0).any():
        raise LinkageError("Some output records have no standardised fields.")
    return std.take(order).reset_index(drop=True)


def stored_roles_for(previous: LinkedRun, name: str, columns: Sequence[str]) -> dict[str, Any]:
    """The roles a source had in the previous run, when the new extract has all their columns.

    Returns:
        ``{column: Role}``, empty when the source is new or its columns changed (roles are
        then suggested afresh).
    """
    from workbench.persons.roles import Role

    source = previous.meta.get("sources", {}).get(name)
    if not source:
        return {}
    roles = {c: Role(r) for c, r in source.get("roles", {}).items()}
    if any(c not in columns for c, r in roles.items() if r is not Role.IGNORE):
        log.warning("the columns of %s changed since the previous run: roles suggested", name)
        return {}
    return {c: r for c, r in roles.items() if c in columns}


def number_on(previous: LinkedRun, item: Any) -> Any:
    """Renumber a new extract whose records are numbered by row, after the earlier ones.

    Records of a source without an id column are numbered 1, 2, ... in each extract; numbering
    them on after the highest earlier number keeps them from replacing earlier records.
    """
    if item.id_column is not None:
        return item
    earlier = previous.table.loc[previous.table["source_dataset"] == item.name, "unique_id"]
    start = int(pd.to_numeric(earlier, errors="coerce").max()) if len(earlier) else 0
    start = max(start, 0) if start == start else 0
    mapping = {str(k): str(k + start) for k in range(1, len(item.raw) + 1)}
    item.raw["unique_id"] = item.raw["unique_id"].astype(str).map(mapping).astype(object)
    item.standardised["unique_id"] = (
        item.standardised["unique_id"].astype(str).map(mapping).astype(object)
    )
    return item


def combine_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack output tables, turning a column typed differently in different tables into text."""
    kinds: dict[str, set[str]] = {}
    for t in tables:
        for c in t.columns:
            kinds.setdefault(str(c), set()).add(str(t[c].dtype))
    mixed = [c for c, k in kinds.items() if len(k) > 1]
    if mixed:
        tables = [
            t.assign(**{c: t[c].astype("string") for c in mixed if c in t.columns}) for t in tables
        ]
    return pd.concat(tables, ignore_index=True)


# ------------------------------------------------------------------ in the workspace
def _insert_extract(cur: Any, dataset: str, id_column: str, frame: pd.DataFrame) -> None:
    """Put the extract's records into the dataset: same ids replace, the rest are added."""
    from workbench.sql import qualified, quote_ident
    from workbench.workspace import DATA_SCHEMA

    table = qualified(DATA_SCHEMA, dataset)
    columns = [str(r[0]) for r in cur.execute(f"DESCRIBE {table}").fetchall()]
    shared = [c for c in frame.columns if str(c) in columns]
    cur.register("wb_new_extract", frame[shared])
    try:
        key = quote_ident(id_column)
        cur.execute(
            f"DELETE FROM {table} WHERE CAST({key} AS VARCHAR) IN "  # noqa: S608
            f"(SELECT CAST({key} AS VARCHAR) FROM wb_new_extract)"
        )
        names = ", ".join(quote_ident(c) for c in shared)
        cur.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM wb_new_extract"  # noqa: S608
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
    from workbench.sql import quote_ident

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
        f"SELECT source_dataset_l, unique_id_l, source_dataset_r, unique_id_r, "  # noqa: S608
        f"match_weight, match_probability FROM {pred} WHERE match_probability >= ?",
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
            sd, uid = quote_ident(f"source_dataset_{side}"), quote_ident(f"unique_id_{side}")
            cur.execute(
                f"DELETE FROM {pred} WHERE {sd} = ? AND {uid} IN "  # noqa: S608
                "(SELECT uid FROM wb_new_ids)",
                [dataset],
            )
        cur.unregister("wb_new_ids")
        columns = [str(r[0]) for r in cur.execute(f"DESCRIBE {pred}").fetchall()]
        shared = [c for c in scored.columns if c in columns]
        cur.register("wb_new_pairs", scored[shared])
        names = ", ".join(quote_ident(c) for c in shared)
        cur.execute(f"INSERT INTO {pred} ({names}) SELECT {names} FROM wb_new_pairs")  # noqa: S608
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
        f"SELECT {', '.join(EDGE_COLUMNS)} FROM {pred} WHERE match_probability >= ?",  # noqa: S608
        [float(threshold)],
    )
    records = std[["source_dataset", "unique_id"]]
    clusters = cluster_at_threshold(pairs, records, float(threshold))
    registry.store_clusters(ws, model_id, clusters, float(threshold))
    positions = _positions(before["source_dataset"], before["unique_id"].astype(str))
    where = _lookup(positions, records["source_dataset"], records["unique_id"])
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


def _record_text(ref: str) -> str:
    dataset, _, record = ref.partition(":")
    return f"{dataset} record {record}"


def changes_table(report: ChangeReport | dict[str, Any], limit: int = 500) -> pd.DataFrame:
    """Merges and splits of a change report for reading: one row each, in words.

    Columns: ``change``, ``person`` (named by a record, as on the cluster pages),
    ``earlier people`` or ``now people``, ``links`` (the pairs that caused it, with weights).
    """
    from workbench.formatting import cluster_label

    data = report.to_dict() if isinstance(report, ChangeReport) else report

    def links(pairs: list[dict[str, Any]]) -> str:
        shown = [
            f"{_record_text(p['left'])} ~ {_record_text(p['right'])} ({p['match_weight']:.1f})"
            for p in pairs[:3]
        ]
        more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
        return "; ".join(shown) + more if shown else "a record was replaced"

    rows = [
        {
            "change": "merge",
            "person": cluster_label(m["cluster_id"]),
            "people involved": ", ".join(cluster_label(i) for i in m["merged_ids"]),
            "links that caused it": links(m["pairs"]),
        }
        for m in data.get("merges", [])[:limit]
    ]
    rows += [
        {
            "change": "split",
            "person": cluster_label(s["previous_id"]),
            "people involved": ", ".join(cluster_label(i) for i in s["into"]),
            "links that caused it": links(s["pairs"]),
        }
        for s in data.get("splits", [])[:limit]
    ]
    return pd.DataFrame(
        rows, columns=["change", "person", "people involved", "links that caused it"]
    )
