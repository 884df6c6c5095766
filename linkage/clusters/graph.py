"""Splink's cluster studio: one stored cluster of a model drawn as a graph.

The cluster graph draws one cluster's records as nodes and its scored pairs as links, and marks
the links whose removal would split the cluster (bridges), the weakest of them first.

Clusters are read through their owner (:mod:`workbench.linked_models`) and pairs from the
model's predictions table; everything is returned as DataFrames, dataclasses or Altair charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from linkage.model.patterns import LABEL_FIELDS, WEIGHT_SCALE, cell_text, stored_pair_columns
from linkage.quality.cluster_checks import bridges
from workbench.errors import LinkageError
from workbench.formatting import MISSING
from workbench.linked_models import (
    cluster_members,
    cluster_sizes,
    clusters_query,
    clusters_threshold,
)
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

# The largest cluster drawn as a graph.
MAX_GRAPH_NODES = 80


def find_bridges(n_nodes: int, edges: Sequence[tuple[int, int]]) -> list[bool]:
    """Whether each edge of an undirected graph is a bridge: its removal splits its component.

    Args:
        n_nodes: Nodes, numbered ``0 .. n_nodes - 1``.
        edges: ``(u, v)`` pairs of node numbers; parallel edges are never bridges.
    """
    if not edges:
        return []
    left = np.array([u for u, _ in edges], dtype=int)
    right = np.array([v for _, v in edges], dtype=int)
    return [bool(b) for b in bridges(int(n_nodes), left, right)]


@dataclass(frozen=True)
class ClusterGraph:
    """One cluster as a graph.

    Attributes:
        nodes: One row per record: ``node``, ``source_dataset``, ``unique_id``, ``label``
            (source, name and date of birth), ``x``, ``y`` (layout).
        edges: One row per stored pair between two of its records: ``left``, ``right`` (node
            numbers), ``left_label``, ``right_label``, ``match_weight``, ``match_probability``,
            ``holds`` (at or above the threshold: a link the cluster is made of), ``bridge`` (a
            holding link whose removal splits the cluster), ``weakest`` (the lowest-weight
            bridge), and the pair's coordinates ``x``, ``y``, ``x2``, ``y2``.
        threshold: The match probability the cluster was made at.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    threshold: float

    @property
    def weakest_bridge(self) -> dict[str, Any] | None:
        """The lowest-weight link holding the cluster together, or None when every record has
        two or more independent links."""
        rows = self.edges.loc[self.edges["weakest"]]
        return None if rows.empty else rows.iloc[0].to_dict()


def _node_label(source: str, values: Mapping[str, Any]) -> str:
    words = [cell_text(values.get(f)) for f in LABEL_FIELDS]
    name = " ".join(w for w in words[:2] if w != MISSING) or "no name"
    dob = words[2] if words[2] != MISSING else "DOB missing"
    return f"{source}: {name}, {dob}"


def node_order(n_nodes: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """The nodes in drawing order: each group that no single link holds together (joined
    without bridges) kept contiguous, groups in breadth-first order across the bridges,
    starting from the best-connected node."""
    is_bridge = find_bridges(n_nodes, edges)
    adjacency: list[list[int]] = [[] for _ in range(n_nodes)]
    inner: list[list[int]] = [[] for _ in range(n_nodes)]
    for (u, v), bridge in zip(edges, is_bridge, strict=True):
        adjacency[u].append(v)
        adjacency[v].append(u)
        if not bridge:
            inner[u].append(v)
            inner[v].append(u)
    degree = [len(a) for a in adjacency]
    order: list[int] = []
    seen = [False] * n_nodes
    for start in sorted(range(n_nodes), key=lambda i: (-degree[i], i)):
        if seen[start]:
            continue
        frontier = [start]
        seen[start] = True
        while frontier:
            group_start = frontier.pop(0)
            group, queue = [], [group_start]
            while queue:  # the node's group first, through links that are not bridges
                node = queue.pop(0)
                group.append(node)
                for nxt in sorted(inner[node], key=lambda i: (-degree[i], i)):
                    if not seen[nxt]:
                        seen[nxt] = True
                        queue.append(nxt)
            order.extend(group)
            for node in group:  # then the groups across its bridges
                for nxt in sorted(adjacency[node], key=lambda i: (-degree[i], i)):
                    if not seen[nxt]:
                        seen[nxt] = True
                        frontier.append(nxt)
    return order


def ring_layout(n_nodes: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Node positions on a ring, in :func:`node_order`: down the right-hand side, then up the
    left, evenly spaced in height so every label beside a point has a row of its own.

    Returns:
        An ``(n_nodes, 2)`` array of ``x``, ``y``, within ``[-1, 1]``.
    """
    order = node_order(n_nodes, edges)
    xy = np.zeros((n_nodes, 2))
    right = math.ceil(n_nodes / 2)
    sides = ((order[:right], 1.0), (order[right:][::-1], -1.0))
    for nodes, sign in sides:
        m = max(len(nodes), 1)
        for k, node in enumerate(nodes):
            y = 1 - (2 * k + 1) / m if m > 1 else 0.0
            x = max(math.sqrt(max(1 - y * y, 0.0)), 0.35)
            xy[node] = (sign * x, y)
    return xy


def cluster_graph(ws: Workspace, model_id: str, cluster_id: str) -> ClusterGraph:
    """One stored cluster of a model as a graph: its records and the scored pairs among them.

    Args:
        ws: The workspace.
        model_id: The model.
        cluster_id: A cluster of the model's stored clusters.

    Raises:
        LinkageError: When there is no such cluster, the model has no stored pairs, or the
            cluster is too large to draw.
    """
    members = cluster_members(ws, model_id, str(cluster_id))
    members = members[["source_dataset", "unique_id", "threshold"]]
    if members.empty:
        raise LinkageError("This model has no such cluster.", hint="Pick a cluster from the list.")
    if len(members) > MAX_GRAPH_NODES:
        raise LinkageError(
            f"This cluster has {len(members):,} records; graphs are drawn for clusters of up "
            f"to {MAX_GRAPH_NODES}.",
            hint="Raise the threshold on the Threshold and clusters page to split it.",
        )
    table, _ = stored_pair_columns(ws, model_id)
    clusters, params = clusters_query(model_id)
    sql = compose(
        "SELECT p.* FROM {table} p "
        "JOIN ({clusters}) a ON a.cluster_id = ? "
        "AND a.source_dataset = p.source_dataset_l AND a.unique_id = p.unique_id_l "
        "JOIN ({clusters}) b ON b.cluster_id = ? "
        "AND b.source_dataset = p.source_dataset_r AND b.unique_id = p.unique_id_r "
        "ORDER BY p.match_weight DESC",
        table=table,
        clusters=clusters,
    )
    pairs = ws.query_df(sql, [*params, str(cluster_id), *params, str(cluster_id)])
    return graph_from_pairs(members, pairs, float(members["threshold"].iloc[0]))


def graph_from_pairs(members: pd.DataFrame, pairs: pd.DataFrame, threshold: float) -> ClusterGraph:
    """Build the graph of one cluster from its records and the scored pairs among them.

    Args:
        members: ``source_dataset`` and ``unique_id`` of every record in the cluster.
        pairs: Prediction rows (``*_l``/``*_r`` values, ``match_weight``,
            ``match_probability``) between records of the cluster.
        threshold: The match probability the cluster was made at.
    """
    nodes = members[["source_dataset", "unique_id"]].astype(str).reset_index(drop=True)
    key = pd.Index(nodes["source_dataset"] + "\x1f" + nodes["unique_id"])
    left = key.get_indexer(
        pairs["source_dataset_l"].astype(str) + "\x1f" + pairs["unique_id_l"].astype(str)
    )
    right = key.get_indexer(
        pairs["source_dataset_r"].astype(str) + "\x1f" + pairs["unique_id_r"].astype(str)
    )
    inside = (left >= 0) & (right >= 0)
    pairs, left, right = pairs.loc[inside].reset_index(drop=True), left[inside], right[inside]
    values: list[dict[str, Any]] = [{} for _ in range(len(nodes))]
    for side, index in (("l", left), ("r", right)):
        for i, row in zip(index.tolist(), pairs.to_dict(orient="records"), strict=True):
            if not values[i]:
                values[i] = {f: row.get(f"{f}_{side}") for f in LABEL_FIELDS}
    nodes["node"] = np.arange(len(nodes))
    nodes["label"] = [
        _node_label(src, v) for src, v in zip(nodes["source_dataset"], values, strict=True)
    ]
    holds = pairs["match_probability"].to_numpy(dtype=float) >= threshold - 1e-12
    held = [(int(u), int(v)) for u, v, h in zip(left, right, holds, strict=True) if h]
    bridge_of_held = iter(find_bridges(len(nodes), held))
    bridge = [bool(next(bridge_of_held)) if h else False for h in holds]
    xy = ring_layout(len(nodes), held or list(zip(left.tolist(), right.tolist(), strict=True)))
    nodes["x"], nodes["y"] = xy[:, 0], xy[:, 1]
    edges = pd.DataFrame(
        {
            "left": left.astype(int),
            "right": right.astype(int),
            "left_label": nodes["label"].to_numpy()[left] if len(left) else [],
            "right_label": nodes["label"].to_numpy()[right] if len(right) else [],
            "match_weight": pairs["match_weight"].astype(float).to_numpy(),
            "match_probability": pairs["match_probability"].astype(float).to_numpy(),
            "holds": holds,
            "bridge": bridge,
        }
    )
    edges["weakest"] = False
    if edges["bridge"].any():
        edges.loc[edges.loc[edges["bridge"], "match_weight"].idxmin(), "weakest"] = True
    edges["x"], edges["y"] = xy[left, 0] if len(left) else [], xy[left, 1] if len(left) else []
    edges["x2"] = xy[right, 0] if len(right) else []
    edges["y2"] = xy[right, 1] if len(right) else []
    cols = ["node", "source_dataset", "unique_id", "label", "x", "y"]
    return ClusterGraph(nodes[cols], edges, float(threshold))


def links_view(graph: ClusterGraph) -> pd.DataFrame:
    """The links of a cluster graph for reading: the two records, the scores and whether the
    link holds the cluster together, weakest holding link first."""
    edges = graph.edges.sort_values(
        ["weakest", "bridge", "holds", "match_weight"], ascending=[False, False, False, True]
    )

    def role(row: pd.Series) -> str:
        if row["weakest"]:
            return "weakest link holding the cluster together"
        if row["bridge"]:
            return "holds the cluster together"
        return "one of several links" if row["holds"] else "below the threshold"

    return pd.DataFrame(
        {
            "Record": edges["left_label"],
            "Linked to": edges["right_label"],
            "Match weight": edges["match_weight"].round(2),
            "Match probability": edges["match_probability"].round(3),
            "Link": edges.apply(role, axis=1) if len(edges) else [],
        }
    ).reset_index(drop=True)


def cluster_graph_chart(graph: ClusterGraph) -> alt.LayerChart:
    """The cluster drawn as a network: records as points coloured by source and labelled with
    source, name and date of birth; links as lines coloured by match weight (dotted when below
    the threshold), bridges drawn thick and the weakest bridge in orange with its weight."""
    from workbench.charts import accessible_palette

    nodes, edges = graph.nodes, graph.edges
    edge_tooltip = [
        alt.Tooltip("left_label:N", title="Record"),
        alt.Tooltip("right_label:N", title="Linked to"),
        alt.Tooltip("match_weight:Q", title="Match weight", format=".2f"),
        alt.Tooltip("match_probability:Q", title="Match probability", format=".3f"),
        alt.Tooltip("bridge:N", title="Holds the cluster together"),
    ]
    edges = edges.assign(width=np.where(edges["bridge"], 5, 2))
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-2.4, 2.4]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-1.15, 1.15]))
    colour = alt.Color("match_weight:Q", scale=WEIGHT_SCALE, title="Match weight")
    lines = [
        alt.Chart(edges.loc[edges["holds"] == held])
        .mark_rule(strokeDash=[1, 0] if held else [3, 3])
        .encode(
            x=x,
            y=y,
            x2="x2:Q",
            y2="y2:Q",
            color=colour,
            strokeWidth=alt.StrokeWidth("width:Q", scale=None, legend=None),
            tooltip=edge_tooltip,
        )
        for held in (False, True)
    ]
    weakest = edges.loc[edges["weakest"]].assign(
        mx=lambda d: (d["x"] + d["x2"]) / 2,
        my=lambda d: (d["y"] + d["y2"]) / 2,
        text=lambda d: [f"weakest link {w:.1f}" for w in d["match_weight"]],
    )
    weak_line = (
        alt.Chart(weakest)
        .mark_rule(color="#f47738", strokeWidth=7, opacity=0.9)
        .encode(x="x:Q", y="y:Q", x2="x2:Q", y2="y2:Q", tooltip=edge_tooltip)
    )
    weak_halo = (
        alt.Chart(weakest)
        .mark_text(
            align="left",
            color="white",
            stroke="white",
            strokeWidth=4,
            fontSize=12,
            fontWeight="bold",
            dx=8,
            dy=-10,
        )
        .encode(x="mx:Q", y="my:Q", text="text:N")
    )
    weak_text = (
        alt.Chart(weakest)
        .mark_text(align="left", color="#0b0c0c", fontSize=12, fontWeight="bold", dx=8, dy=-10)
        .encode(x="mx:Q", y="my:Q", text="text:N")
    )
    sources = sorted(nodes["source_dataset"].unique())
    points = (
        alt.Chart(nodes)
        .mark_point(
            shape="circle", filled=True, size=260, opacity=1, stroke="white", strokeWidth=1.5
        )
        .encode(
            x="x:Q",
            y="y:Q",
            fill=alt.Fill(
                "source_dataset:N",
                title="Source",
                scale=alt.Scale(domain=sources, range=accessible_palette()[: len(sources)]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Record"),
                alt.Tooltip("unique_id:N", title="Record id"),
            ],
        )
    )
    # labels beside the points: to the right on the right-hand side, to the left on the left
    side = np.where(nodes["x"] >= 0, "left", "right")
    placed = nodes.assign(lx=nodes["x"] + np.where(nodes["x"] >= 0, 0.07, -0.07))
    texts = [
        alt.Chart(placed.loc[side == align])
        .mark_text(align=align, baseline="middle", fontSize=11, color="#0b0c0c", limit=260)
        .encode(x="lx:Q", y="y:Q", text="label:N")
        for align in ("left", "right")
        if (side == align).any()
    ]
    return alt.layer(*lines, weak_line, weak_halo, weak_text, points, *texts).properties(
        height=max(300, 30 * math.ceil(len(nodes) / 2)), width="container"
    )


def graph_caption(graph: ClusterGraph) -> str:
    """A sentence on how the cluster holds together: its size, links and weakest bridge."""
    n_nodes, held = len(graph.nodes), int(graph.edges["holds"].sum())
    text = (
        f"{n_nodes:,} records joined by {held:,} link{'s' if held != 1 else ''} at or above "
        "match probability "
        f"{graph.threshold:.3f}"
    )
    below = int((~graph.edges["holds"]).sum())
    if below:
        text += f" ({below:,} weaker scored pair{'s' if below != 1 else ''} dotted)"
    weak = graph.weakest_bridge
    if weak is None:
        return text + ". No single link holds it together: every record has two or more."
    n_bridges = int(graph.edges["bridge"].sum())
    return (
        text + f". {n_bridges:,} link{'s' if n_bridges != 1 else ''} would split it if removed "
        f"(thick); the weakest (orange, weight {weak['match_weight']:.1f}, probability "
        f"{weak['match_probability']:.3f}) joins {weak['left_label']} and {weak['right_label']}."
    )


def graph_choices(ws: Workspace, model_id: str, limit: int = 300) -> pd.DataFrame:
    """The stored clusters of two or more records worth drawing, those held together by the
    weakest single link first, then the largest.

    Args:
        ws: The workspace.
        model_id: The model.
        limit: The most clusters returned.

    Returns:
        ``cluster_id``, ``records``, ``bridges`` (links whose removal splits the cluster),
        ``weakest_weight`` (the lowest bridge weight; missing when none) and ``label`` (the
        first record's name and date of birth, size and weakest link) per cluster.
    """
    table, columns = stored_pair_columns(ws, model_id)
    values = Sql(
        "".join(
            compose(", p.{value} AS {value}", value=f"{f}_{s}")
            for f in LABEL_FIELDS
            for s in ("l", "r")
            if f"{f}_{s}" in columns
        )
    )
    clusters, params = clusters_query(model_id)
    sql = compose(
        "SELECT a.cluster_id, p.source_dataset_l, p.unique_id_l, p.source_dataset_r, "
        "p.unique_id_r, p.match_weight{values} FROM {table} p "
        "JOIN ({clusters}) a ON a.source_dataset = p.source_dataset_l "
        "AND a.unique_id = p.unique_id_l "
        "JOIN ({clusters}) b ON b.source_dataset = p.source_dataset_r "
        "AND b.unique_id = p.unique_id_r "
        "WHERE a.cluster_id = b.cluster_id AND p.match_probability >= CAST(? AS DOUBLE) - 1e-12",
        values=values,
        table=table,
        clusters=clusters,
    )
    edges = ws.query_df(sql, [*params, *params, clusters_threshold(ws, model_id)])
    sizes = cluster_sizes(ws, model_id, min_records=2)
    if edges.empty or sizes.empty:
        return pd.DataFrame(columns=["cluster_id", "records", "bridges", "weakest_weight", "label"])
    left_key = edges["source_dataset_l"].astype(str) + "\x1f" + edges["unique_id_l"].astype(str)
    right_key = edges["source_dataset_r"].astype(str) + "\x1f" + edges["unique_id_r"].astype(str)
    codes, uniques = pd.factorize(pd.concat([left_key, right_key], ignore_index=True))
    n = len(edges)
    edges["bridge"] = bridges(len(uniques), codes[:n], codes[n:])
    bridged = edges.loc[edges["bridge"]].groupby("cluster_id")["match_weight"]
    out = sizes.merge(
        pd.DataFrame({"bridges": bridged.size(), "weakest_weight": bridged.min()}),
        left_on="cluster_id",
        right_index=True,
        how="left",
    )
    out["bridges"] = out["bridges"].fillna(0).astype("int64")
    first = edges.drop_duplicates("cluster_id").set_index("cluster_id")
    out["label"] = [
        _choice_label(first, row.cluster_id, int(row.records), row.weakest_weight)
        for row in out.itertuples(index=False)
    ]
    # a weak link inside a larger cluster chains groups of records together: those first, then
    # pairs held by one weak link, then the largest clusters
    out["_rank"] = np.where(out["bridges"] == 0, 2, np.where(out["records"] >= 3, 0, 1))
    out = out.sort_values(
        ["_rank", "weakest_weight", "records", "cluster_id"],
        ascending=[True, True, False, True],
        na_position="last",
    )
    return out.drop(columns="_rank").head(int(limit)).reset_index(drop=True)


def _choice_label(first: pd.DataFrame, cluster_id: str, records: int, weakest: float) -> str:
    name = "no name"
    if cluster_id in first.index:
        row = first.loc[cluster_id].to_dict()
        name = _node_label(
            str(row.get("source_dataset_l")), {f: row.get(f"{f}_l") for f in LABEL_FIELDS}
        )
        name = name.split(": ", 1)[1]
    weak = "no single weak link" if pd.isna(weakest) else f"weakest link {weakest:.1f}"
    return f"{name} — {records:,} records, {weak}"
