"""Stable person ids: carry earlier cluster ids over to a new clustering of the same records.

The rule. Every new cluster is compared with every earlier cluster it shares records with
(records are matched on ``source_dataset`` and ``unique_id``). Pairs of (earlier id, new cluster)
are taken in order of

1. the number of records they share, largest first;
2. the size of the earlier cluster, largest first;
3. the earlier id's first appearance in the earlier clustering (its oldest record), first;
4. the new cluster's first record, first;

and each pair is accepted when neither the earlier id nor the new cluster has been matched
yet. So each earlier id is used at most once and goes to the cluster holding most of its
records. A new cluster that inherits no id is named as a fresh clustering would name it
(``<source_dataset>-__-<unique_id>`` of its first record), with ``-2``, ``-3`` ... added if
that name was already an earlier id.

Merges and splits follow from the same comparison: a new cluster holding records of two or
more earlier clusters is a merge (one earlier id survives, the others retire); an earlier
cluster whose records now sit in two or more new clusters is a split (the largest part keeps
the id).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

KEY = ["source_dataset", "unique_id"]


@dataclass
class CarriedIds:
    """The outcome of :func:`carry_ids`.

    Attributes:
        cluster_id: The id of each record, in the order of the new clustering.
        ids_kept: Earlier ids still in use.
        ids_retired: Earlier ids no longer used (merged away, or all their records gone).
        ids_new: Ids issued for clusters that inherited none.
        records_compared: Records present in both clusterings.
        records_moved: Of those, records whose id changed.
    """

    cluster_id: pd.Series
    ids_kept: int
    ids_retired: int
    ids_new: int
    records_compared: int
    records_moved: int

    def summary(self) -> dict[str, int]:
        """The counts, as JSON-ready values."""
        return {
            "ids_kept": self.ids_kept,
            "ids_retired": self.ids_retired,
            "ids_new": self.ids_new,
            "records_compared": self.records_compared,
            "records_moved": self.records_moved,
        }


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (``-1`` for missing) in order of first appearance, and the uniques."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def match_ids(old_codes: np.ndarray, new_codes: np.ndarray, n_old: int) -> np.ndarray:
    """For each new cluster, the earlier cluster whose id it inherits (``-1`` for none).

    Args:
        old_codes: Per record, the earlier cluster's code (``-1`` when the record is new);
            codes number earlier clusters in order of first appearance (oldest first).
        new_codes: Per record, the new cluster's code, numbered in order of first record.
        n_old: How many earlier clusters there are (codes ``0 .. n_old - 1``).

    Returns:
        An array with one entry per new cluster.
    """
    n_new = int(new_codes.max()) + 1 if len(new_codes) else 0
    out = np.full(n_new, -1, dtype=np.int64)
    both = old_codes >= 0
    if not both.any():
        return out
    old_size = np.bincount(old_codes[both], minlength=n_old)
    pairs = pd.DataFrame({"old": old_codes[both], "new": new_codes[both]})
    overlap = pairs.groupby(["old", "new"], sort=False).size().reset_index(name="n")
    # Most earlier clusters map whole onto one new cluster that holds nothing else: settle
    # those at once and rank only the rest.
    once_old = overlap["old"].map(overlap["old"].value_counts()) == 1
    once_new = overlap["new"].map(overlap["new"].value_counts()) == 1
    simple = (once_old & once_new).to_numpy()
    out[overlap.loc[simple, "new"].to_numpy()] = overlap.loc[simple, "old"].to_numpy()
    rest = overlap.loc[~simple].copy()
    if rest.empty:
        return out
    rest["old_size"] = old_size[rest["old"].to_numpy()]
    rest = rest.sort_values(
        ["n", "old_size", "old", "new"], ascending=[False, False, True, True], kind="stable"
    )
    used_old: set[int] = set()
    for old, new in zip(rest["old"].to_numpy(), rest["new"].to_numpy(), strict=True):
        if old in used_old or out[new] >= 0:
            continue
        out[new] = old
        used_old.add(int(old))
    return out


def fresh_names(
    first_source: pd.Series,
    first_uid: pd.Series,
    taken: set[str],
    reserved: Container[str] = (),
) -> list[str]:
    """``<source_dataset>-__-<unique_id>`` per cluster, made distinct from ``taken``.

    Args:
        first_source: The source of each cluster's first record.
        first_uid: The id of each cluster's first record.
        taken: Names already in use; the names issued are added to it.
        reserved: More names not to issue (any container, such as a ``pandas.Index``).
    """
    names = (first_source.astype(str) + "-__-" + first_uid.astype(str)).tolist()
    # Which names clash with a reserved one, in one hashed pass (a million earlier ids are
    # too many to test one by one); only those, and names already taken, need a suffix.
    if isinstance(reserved, set | frozenset) or not len(reserved):  # type: ignore[arg-type]
        clash = [name in reserved for name in names]
    else:
        clash = _clashes(names, pd.Index(reserved))
    out = []
    for name, clashes in zip(names, clash, strict=True):
        candidate, k = name, 1
        if clashes or candidate in taken:
            while candidate in taken or candidate in reserved:
                k += 1
                candidate = f"{name}-{k}"
        taken.add(candidate)
        out.append(candidate)
    return out


def _clashes(names: list[str], reserved: pd.Index) -> list[bool]:
    """Per name, whether it is among ``reserved``: the few names are hashed and the many
    reserved ids looked up among them (in Arrow, without a Python object per id)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not names:
        return []
    pool = pa.array(reserved.astype("str")).cast(pa.large_string())
    wanted = pa.array(names, type=pa.large_string())
    found = set(pc.filter(pool, pc.is_in(pool, value_set=wanted)).to_pylist())
    return [name in found for name in names]


def carry_ids(
    records: pd.DataFrame,
    new_cluster: pd.Series | np.ndarray,
    old_cluster: pd.Series,
    *,
    reserved: Container[str] = (),
) -> CarriedIds:
    """Give a new clustering the earlier ids by the module's rule.

    Args:
        records: ``source_dataset`` and ``unique_id`` of every record of the new clustering.
        new_cluster: Any label per record (same order) naming its new cluster.
        old_cluster: Per record, its earlier cluster id (missing for records not clustered
            before), in the same order; earlier clusters are taken as older the earlier their
            first record appears.
        reserved: Earlier ids of clusters left out of ``records``: fresh names avoid them.

    Returns:
        The id of every record and counts of ids kept, retired and issued.
    """
    new_codes, _ = _codes(pd.Series(np.asarray(new_cluster)))
    old_series = pd.Series(np.asarray(old_cluster, dtype=object))
    old_codes, old_ids = _codes(old_series)
    inherit = match_ids(old_codes, new_codes, len(old_ids))
    n_new = len(inherit)
    # First record of each new cluster, for fresh names.
    first = np.full(n_new, len(new_codes), dtype=np.int64)
    np.minimum.at(first, new_codes, np.arange(len(new_codes)))
    names = np.empty(n_new, dtype=object)
    has = inherit >= 0
    names[has] = old_ids.to_numpy(dtype=object)[inherit[has]]
    fresh = np.flatnonzero(~has)
    if len(fresh):
        src = records["source_dataset"].reset_index(drop=True).take(first[fresh])
        uid = records["unique_id"].reset_index(drop=True).take(first[fresh])
        names[fresh] = fresh_names(src, uid, set(map(str, old_ids.tolist())), reserved)
    cluster_id = pd.Series(names[new_codes], dtype=object)
    both = old_codes >= 0
    moved = int((cluster_id[both].to_numpy() != old_series[both].to_numpy()).sum())
    kept = int(has.sum())
    return CarriedIds(
        cluster_id=cluster_id,
        ids_kept=kept,
        ids_retired=len(old_ids) - kept,
        ids_new=len(fresh),
        records_compared=int(both.sum()),
        records_moved=moved,
    )


def carry_ids_touched(
    records: pd.DataFrame,
    labels: np.ndarray,
    old_codes: np.ndarray,
    old_ids: pd.Index,
    touched: np.ndarray,
) -> CarriedIds:
    """:func:`carry_ids` when only the touched clusters can differ from the earlier ones.

    A refresh leaves most earlier clusters exactly as they were (see
    :mod:`linkage.clusters.incremental`): those keep their ids, and the rule runs over the records
    of the touched clusters only. The ids and counts equal those of :func:`carry_ids` over every
    record, because each earlier cluster lies wholly inside or wholly outside the touched ones.

    Args:
        records: ``source_dataset`` and ``unique_id`` of every record.
        labels: Per record, its cluster now (any label).
        old_codes: Per record, its earlier cluster as a position in ``old_ids`` (``-1`` for a
            record not clustered before).
        old_ids: Every earlier id.
        touched: Per record, whether its cluster may have changed; a record outside them must
            have an earlier id, which it keeps.

    Returns:
        The id of every record and counts of ids kept, retired and issued.
    """
    codes = np.asarray(old_codes, dtype=np.int64)
    touched = np.asarray(touched, dtype=bool)
    known = codes >= 0
    if (~touched & ~known).any():
        raise ValueError("A record outside the touched clusters has no earlier id.")
    id_values = old_ids.to_numpy(dtype=object)
    ids = np.where(known, id_values[np.maximum(codes, 0)], None).astype(object)
    rows = np.flatnonzero(touched)
    sub = carry_ids(
        records.iloc[rows].reset_index(drop=True),
        np.asarray(labels)[rows],
        pd.Series(ids[rows], dtype=object),
        reserved=old_ids,
    )
    ids[rows] = sub.cluster_id.to_numpy(dtype=object)
    untouched = np.zeros(len(old_ids), dtype=bool)
    untouched[codes[known & ~touched]] = True
    kept = int(untouched.sum()) + sub.ids_kept
    return CarriedIds(
        cluster_id=pd.Series(ids, dtype=object),
        ids_kept=kept,
        ids_retired=sub.ids_retired,
        ids_new=sub.ids_new,
        records_compared=int(known.sum()),
        records_moved=sub.records_moved,
    )


def _ref(source: Any, uid: Any) -> str:
    return f"{source}:{uid}"


@dataclass
class ClusterChanges:
    """Merges and splits between two clusterings of (mostly) the same records.

    Attributes:
        merges: One entry per new cluster holding records of two or more earlier clusters:
            ``cluster_id`` (the id it kept), ``merged_ids`` (every earlier id in it) and
            ``pairs`` (its links whose records were not already in one earlier cluster).
        splits: One entry per earlier cluster whose records now sit in two or more clusters:
            ``previous_id``, ``into`` (the ids its records now have) and ``pairs`` (its earlier
            links whose records are now apart).
    """

    merges: list[dict[str, Any]] = field(default_factory=list)
    splits: list[dict[str, Any]] = field(default_factory=list)


def _pairs_by(
    edges: pd.DataFrame, key: np.ndarray, source: np.ndarray, uid: np.ndarray
) -> dict[Any, list[dict[str, Any]]]:
    """The links as report entries, grouped by ``key`` (one value per link), in link order."""
    left, right = edges["l"].to_numpy(), edges["r"].to_numpy()
    # Whole columns to Python lists first: indexing NumPy arrays link by link costs more.
    refs_l = [_ref(s, u) for s, u in zip(source[left].tolist(), uid[left].tolist(), strict=True)]
    refs_r = [_ref(s, u) for s, u in zip(source[right].tolist(), uid[right].tolist(), strict=True)]
    weights = [round(w, 3) for w in edges["match_weight"].to_numpy(dtype=float).tolist()]
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for k, a, b, w in zip(
        np.asarray(key, dtype=object).tolist(), refs_l, refs_r, weights, strict=True
    ):
        grouped.setdefault(k, []).append({"left": a, "right": b, "match_weight": w})
    return grouped


def _sorted_members(link: pd.DataFrame, by: str, member: str) -> dict[Any, list[Any]]:
    """Per value of ``link[by]``, the sorted distinct values of ``link[member]`` beside it."""
    out: dict[Any, set[Any]] = {}
    for k, v in zip(link[by].tolist(), link[member].tolist(), strict=True):
        out.setdefault(k, set()).add(v)
    return {k: sorted(v) for k, v in out.items()}


def find_changes(
    records: pd.DataFrame,
    cluster_id: pd.Series,
    old_cluster: pd.Series,
    edges: pd.DataFrame,
    old_edges: pd.DataFrame,
) -> ClusterChanges:
    """List merges and splits, each with the links that caused it.

    Args:
        records: ``source_dataset`` and ``unique_id`` of every record (the new clustering's
            order).
        cluster_id: The new id of each record.
        old_cluster: The earlier id of each record (missing for records new to this run).
        edges: The new clustering's links: record positions ``l`` and ``r`` and
            ``match_weight``.
        old_edges: The earlier clustering's links between records still present, in the same
            positions (for a refresh, a replaced record's earlier links point at its new
            version).

    Returns:
        The merges and splits.
    """
    new = pd.Series(np.asarray(cluster_id, dtype=object))
    old = pd.Series(np.asarray(old_cluster, dtype=object))
    source = records["source_dataset"].astype(str).to_numpy(dtype=object)
    uid = records["unique_id"].astype(str).to_numpy(dtype=object)
    known = old.notna().to_numpy()
    link = pd.DataFrame({"old": old[known].to_numpy(), "new": new[known].to_numpy()})
    link = link.drop_duplicates()
    per_new = link.groupby("new")["old"].nunique()
    per_old = link.groupby("old")["new"].nunique()
    changes = ClusterChanges()
    merged = set(per_new.index[per_new > 1])
    split = set(per_old.index[per_old > 1])
    if merged:
        e = edges[new.to_numpy()[edges["l"].to_numpy()] == new.to_numpy()[edges["r"].to_numpy()]]
        e = e.assign(cluster=new.to_numpy()[e["l"].to_numpy()])
        e = e[e["cluster"].isin(merged)]
        ol = old.to_numpy()[e["l"].to_numpy()]
        orr = old.to_numpy()[e["r"].to_numpy()]
        same = pd.notna(ol) & pd.notna(orr) & (ol == orr)
        e = e[~same]
        groups = _pairs_by(e, e["cluster"].to_numpy(), source, uid)
        olds = _sorted_members(link[link["new"].isin(merged)], "new", "old")
        for cid in sorted(merged):
            changes.merges.append(
                {"cluster_id": cid, "merged_ids": olds[cid], "pairs": groups.get(cid, [])}
            )
    if split:
        o = old_edges
        ol = old.to_numpy()[o["l"].to_numpy()]
        o = o.assign(cluster=ol)
        apart = new.to_numpy()[o["l"].to_numpy()] != new.to_numpy()[o["r"].to_numpy()]
        o = o[apart & pd.Series(ol).isin(split).to_numpy()]
        groups = _pairs_by(o, o["cluster"].to_numpy(), source, uid)
        intos = _sorted_members(link[link["old"].isin(split)], "old", "new")
        for cid in sorted(split):
            changes.splits.append(
                {"previous_id": cid, "into": intos[cid], "pairs": groups.get(cid, [])}
            )
    return changes
