"""The change report of a refresh or relink: what changed, with the links behind each change.

:func:`build_report` assembles it; :func:`relink_report` gives a full relink the previous
run's ids and reports the changes; :func:`changes_table` puts merges and splits in words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.clusters.linked_file import LinkedRun, model_fingerprint
from linkage.clusters.stable_ids import carry_ids, find_changes
from linkage.model.predict import node_index, node_positions_of
from workbench.errors import ValidationError
from workbench.safe_write import replacing


@dataclass
class ChangeReport:
    """What a refresh or relink changed, with the links behind each change.

    Attributes:
        mode: ``refresh`` or ``relink``.
        model_fingerprint: The model's fingerprint
            (:func:`linkage.clusters.linked_file.model_fingerprint`).
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

    def to_json(self) -> str:
        """The report as compact JSON text."""
        # dumps, not dump: only the one-shot encoder runs in C.
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def write(self, path: str | Path, text: str | None = None) -> None:
        """Write the report as JSON (``text`` when it was made already by :meth:`to_json`).

        Raises:
            ValidationError: When the file cannot be written.
        """
        try:
            if text is None:
                text = self.to_json()
            with replacing(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
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
    codes, uniques = pd.factorize(pd.Series(ids, dtype=object), use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    any_known = np.zeros(len(uniques), dtype=bool)
    any_known[codes[known & (codes >= 0)]] = True
    touching = edges[is_new[edges["l"].to_numpy()] | is_new[edges["r"].to_numpy()]]
    a, b = touching["l"].to_numpy(), touching["r"].to_numpy()
    weights = np.round(touching["match_weight"].to_numpy(dtype=float), 3)
    # Pairs and records are grouped by sorting on the cluster and slicing: whole columns go
    # to Python lists once, and no dictionary is looked up pair by pair.
    by_pair = np.argsort(codes[a], kind="stable")
    pair_list = [
        {"left": left, "right": right, "match_weight": w}
        for left, right, w in zip(
            refs[a[by_pair]].tolist(),
            refs[b[by_pair]].tolist(),
            weights[by_pair].tolist(),
            strict=True,
        )
    ]
    pair_codes = codes[a[by_pair]]
    fresh = np.flatnonzero(is_new & ~known & (codes >= 0))
    fresh = fresh[np.argsort(codes[fresh], kind="stable")]
    fresh_refs = refs[fresh].tolist()
    people, starts = np.unique(codes[fresh], return_index=True)
    ends = np.append(starts[1:], len(fresh))
    p_starts = np.searchsorted(pair_codes, people, side="left").tolist()
    p_ends = np.searchsorted(pair_codes, people, side="right").tolist()
    names = uniques.to_numpy(dtype=object)[people].astype(str).tolist()
    new_people: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    # In order of each person's first new record, as records arrive.
    for k in np.argsort(fresh[starts], kind="stable").tolist():
        entry = {
            "cluster_id": names[k],
            "records": fresh_refs[starts[k] : ends[k]],
            "pairs": pair_list[p_starts[k] : p_ends[k]],
        }
        (added if any_known[people[k]] else new_people).append(entry)
    counts = {
        "records_before": int(records_before),
        "records_after": len(records),
        "records_new": int(is_new.sum()) - int(replaced),
        "records_replaced": int(replaced),
        "people_before": int(people_before),
        "people_after": int(pd.notna(pd.unique(ids)).sum()),
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
    positions = node_index(prev["source_dataset"], prev["unique_id"])
    where = node_positions_of(positions, table["source_dataset"], table["unique_id"])
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
        back = node_index(table["source_dataset"], table["unique_id"])
        now = node_positions_of(back, prev["source_dataset"], prev["unique_id"])
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
