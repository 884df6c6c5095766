"""Splink's comparison viewer and cluster studio, drawn from a model's stored predictions.

The comparison viewer groups scored pairs by their comparison pattern (the level every column
reached: the ``gamma_*`` vector), counts each pattern, and opens example pairs of a pattern;
the cluster graph draws one cluster's records as nodes and its scored pairs as links, and marks
the links whose removal would split the cluster (bridges), the weakest of them first.

Everything here reads the workspace (``wb.models``, ``wb.clusters`` and the model's predictions
table) and returns DataFrames, dataclasses or Altair charts; pages only draw them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from linkage.clusters.registry import PREDICTIONS_SCHEMA, get_model, predictions_table
from linkage.quality.cluster_checks import bridges
from workbench.errors import LinkageError
from workbench.formatting import MISSING, format_count
from workbench.sql import quote_ident
from workbench.workspace import Workspace

# The commonest patterns drawn; the rest are counted in the caption.
MAX_PATTERNS = 25
# The largest cluster drawn as a graph.
MAX_GRAPH_NODES = 80

_TITLES = {
    "dob": "Date of birth",
    "pnc_id": "PNC ID",
    "cro_number": "CRO number",
    "urn": "URN",
    "source_dataset": "Source",
    "unique_id": "Record id",
    "match_weight": "Match weight",
    "match_probability": "Match probability",
}
_LABEL_FIELDS = ("first_name", "surname", "dob")
_WEIGHT_SCALE = alt.Scale(scheme="redblue", domainMid=0)


def field_title(column: str) -> str:
    """A record column as a reader names it: ``first_name`` -> ``First name``, ``dob`` ->
    ``Date of birth``, ``pnc_id`` -> ``PNC ID``."""
    if column in _TITLES:
        return _TITLES[column]
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def short_level(label: str, column: str) -> str:
    """A comparison level's chart label cut to a few words for a matrix cell.

    ``Jaro-Winkler distance of first_name >= 0.92`` -> ``JW ≥ 0.92``; ``Exact match on
    surname`` -> ``exact``; ``All other comparisons`` -> ``different``; a null level ->
    ``missing``.
    """
    text = str(label).strip()
    lower = text.lower()
    if lower.endswith("is null") or lower == "null":
        return MISSING
    if lower == "all other comparisons":
        return "different"
    names = {column.lower(), field_title(column).lower(), column.lower().replace("_", " ")}
    if column == "dob":
        names.add("date of birth")
    exact = re.match(r"exact match on (.*)$", lower)
    if exact:
        rest = exact.group(1).strip()
        for name in names:
            rest = rest.replace(name, "").strip()
        return f"exact {rest}".strip()
    other = re.match(r"matches the other record's (.*)$", lower)
    if other:
        return f"= {field_title(other.group(1))}"
    text = re.sub(r"Jaro-Winkler( distance| similarity)?( of \S+)?", "JW", text, flags=re.I)
    text = re.sub(r"Levenshtein( distance)?( of \S+)?", "Lev.", text, flags=re.I)
    text = re.sub(r"Damerau-Levenshtein( distance)?( of \S+)?", "D-Lev.", text, flags=re.I)
    text = re.sub(r"Jaccard( distance| similarity)?( of \S+)?", "Jaccard", text, flags=re.I)
    text = text.replace(">=", "≥").replace("<=", "≤")
    text = re.sub(r"^Within ", "≤ ", text)
    text = re.sub(r"\bcharacters?\b", "char.", text)
    first = text.split(" ", 1)[0]
    if first.isalpha() and not first.isupper():
        text = text[:1].lower() + text[1:]
    return text if len(text) <= 16 else text[:15] + "…"


@dataclass(frozen=True)
class Comparison:
    """One comparison of a model: its output column and the label of each level.

    Attributes:
        column: The comparison's output column (``gamma_<column>`` holds its level).
        title: The column as a reader names it.
        labels: Level value (``-1`` for missing) -> the level's chart label.
    """

    column: str
    title: str
    labels: dict[int, str]

    def label(self, value: int) -> str:
        """The chart label of a level value (the value itself when unknown)."""
        return self.labels.get(int(value), str(value))


def model_comparisons(settings: Mapping[str, Any]) -> list[Comparison]:
    """Each comparison in a model's settings with its levels numbered as Splink numbers them
    (the null level ``-1``, the last level ``0``, the first non-null level highest)."""
    out = []
    for comp in settings.get("comparisons", []):
        column = str(comp.get("output_column_name"))
        levels = comp.get("comparison_levels", [])
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels: dict[int, str] = {-1: f"{column} is NULL"}
        for i, level in enumerate(non_null):
            labels[len(non_null) - 1 - i] = str(
                level.get("label_for_charts") or level.get("sql_condition")
            )
        out.append(Comparison(column, field_title(column), labels))
    return out


# ------------------------------------------------------------------------------ patterns
@dataclass(frozen=True)
class Patterns:
    """The comparison patterns of a model's stored pairs.

    Attributes:
        table: One row per pattern, commonest first: ``pattern`` (its number, 1 = commonest),
            ``n_pairs``, ``mean_weight``, ``min_weight``, ``max_weight``, ``description``
            (every level in words), then ``gamma_<column>`` and ``mw_<column>`` (the mean
            weight the column added) for each comparison.
        comparisons: The model's comparisons, in settings order.
        n_pairs: All stored pairs.
        n_patterns: All distinct patterns (``table`` may hold only the commonest).
    """

    table: pd.DataFrame
    comparisons: list[Comparison]
    n_pairs: int
    n_patterns: int

    def levels(self, pattern: int) -> dict[str, int]:
        """The level of each comparison (``gamma_<column>`` -> value) in a pattern."""
        row = self.table.loc[self.table["pattern"] == int(pattern)]
        if row.empty:
            raise LinkageError(f"There is no comparison pattern {pattern}.")
        return {
            f"gamma_{c.column}": int(row.iloc[0][f"gamma_{c.column}"]) for c in self.comparisons
        }

    def choice_label(self, pattern: int) -> str:
        """A one-line label of a pattern for a picker."""
        row = self.table.loc[self.table["pattern"] == int(pattern)].iloc[0]
        return (
            f"{int(pattern)} · {format_count(row['n_pairs'])} pairs · weight "
            f"{row['mean_weight']:.1f} · {row['description']}"
        )


def _gamma_columns(ws: Workspace, model_id: str) -> tuple[str, list[str]]:
    table = predictions_table(model_id)
    if not ws.table_exists(PREDICTIONS_SCHEMA, f"pred_{model_id}"):
        raise LinkageError(
            "This model has no stored pairs.",
            hint="Train the model again from the Train page to score its pairs.",
        )
    columns = ws.table_columns(PREDICTIONS_SCHEMA, f"pred_{model_id}")
    gammas = [c for c in columns if c.startswith("gamma_")]
    if not gammas:
        raise LinkageError(
            "The stored pairs lack comparison levels.",
            hint="Train the model again: intermediate columns are kept from now on.",
        )
    return table, list(columns)


def comparison_patterns(ws: Workspace, model_id: str, limit: int = MAX_PATTERNS) -> Patterns:
    """Count a model's stored pairs by comparison pattern (Splink's comparison viewer).

    Args:
        ws: The workspace.
        model_id: The model.
        limit: The most patterns returned (the commonest).

    Returns:
        The patterns, commonest first (ties: higher mean weight first).

    Raises:
        LinkageError: When the model has no stored pairs or they lack comparison levels.
    """
    settings = get_model(ws, model_id)["settings"]
    table, columns = _gamma_columns(ws, model_id)
    known = {c.column: c for c in model_comparisons(settings)}
    comparisons = [
        known.get(g[len("gamma_") :])
        or Comparison(g[len("gamma_") :], field_title(g[len("gamma_") :]), {})
        for g in columns
        if g.startswith("gamma_")
    ]
    gammas = [quote_ident(f"gamma_{c.column}") for c in comparisons]
    weights = [
        f"avg({quote_ident(f'mw_{c.column}')}) AS {quote_ident(f'mw_{c.column}')}"
        if f"mw_{c.column}" in columns
        else f"NULL::DOUBLE AS {quote_ident(f'mw_{c.column}')}"
        for c in comparisons
    ]
    group = ", ".join(gammas)
    df = ws.query_df(
        f"SELECT {group}, count(*) AS n_pairs, avg(match_weight) AS mean_weight, "  # noqa: S608
        f"min(match_weight) AS min_weight, max(match_weight) AS max_weight, {', '.join(weights)} "
        f"FROM {table} GROUP BY {group} ORDER BY n_pairs DESC, mean_weight DESC, {group}"
    )
    n_patterns = len(df)
    n_pairs = int(df["n_pairs"].sum()) if n_patterns else 0
    df = df.head(int(limit)).reset_index(drop=True)
    df.insert(0, "pattern", np.arange(1, len(df) + 1))
    df["description"] = [
        "; ".join(
            f"{c.title}: {short_level(c.label(row[f'gamma_{c.column}']), c.column)}"
            for c in comparisons
        )
        for _, row in df.iterrows()
    ]
    for column in ("n_pairs",):
        df[column] = df[column].astype("int64")
    return Patterns(df, comparisons, n_pairs, n_patterns)


def patterns_caption(patterns: Patterns) -> str:
    """What the pattern chart covers: how many patterns of how many, and their share of pairs."""
    shown = int(patterns.table["n_pairs"].sum()) if len(patterns.table) else 0
    share = shown / patterns.n_pairs if patterns.n_pairs else 0.0
    if len(patterns.table) == patterns.n_patterns:
        return (
            f"All {patterns.n_patterns:,} comparison patterns of the {patterns.n_pairs:,} "
            "stored pairs."
        )
    return (
        f"The {len(patterns.table):,} commonest of {patterns.n_patterns:,} comparison patterns "
        f"(a cap): {shown:,} of the {patterns.n_pairs:,} stored pairs ({share:.0%})."
    )


def patterns_chart(patterns: Patterns) -> alt.HConcatChart:
    """The comparison viewer chart: each pattern's levels as a row of cells, beside a bar of
    how many pairs share it, coloured by its mean match weight.

    Cells are coloured by the mean weight their column added (blue: evidence for a match, red:
    against) and labelled with the level in a few words; tooltips hold the full level labels.
    """
    table = patterns.table
    if table.empty:
        raise LinkageError("There are no scored pairs to group.")
    cells = []
    for _, row in table.iterrows():
        for c in patterns.comparisons:
            level = int(row[f"gamma_{c.column}"])
            weight = row.get(f"mw_{c.column}")
            cells.append(
                {
                    "pattern": int(row["pattern"]),
                    "column": c.title,
                    "level": short_level(c.label(level), c.column),
                    "level_full": c.label(level),
                    "column_weight": None if weight is None or pd.isna(weight) else float(weight),
                }
            )
    cell_frame = pd.DataFrame(cells)
    order = [c.title for c in patterns.comparisons]
    y = alt.Y(
        "pattern:O",
        title="Pattern (commonest first)",
        sort="ascending",
        axis=alt.Axis(labelFontSize=11),
    )
    height = max(180, 22 * len(table))
    width = max(360, 100 * len(order))
    base = alt.Chart(cell_frame).encode(
        y=y,
        x=alt.X(
            "column:N",
            sort=order,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, labelLimit=96, labelFontSize=11),
        ),
        tooltip=[
            alt.Tooltip("pattern:O", title="Pattern"),
            alt.Tooltip("column:N", title="Column"),
            alt.Tooltip("level_full:N", title="Level"),
            alt.Tooltip("column_weight:Q", title="Weight added", format=".2f"),
        ],
    )
    matrix = alt.layer(
        base.mark_rect(stroke="white", strokeWidth=1, opacity=0.55).encode(
            color=alt.Color(
                "column_weight:Q",
                scale=_WEIGHT_SCALE,
                title="Weight the column added",
                legend=alt.Legend(orient="bottom", gradientLength=200, titleLimit=260),
            )
        ),
        base.mark_text(fontSize=11, color="#0b0c0c", limit=96).encode(text="level:N"),
    ).properties(width=width, height=height, title="Level each column reached")
    bars_base = alt.Chart(table).encode(
        y=alt.Y("pattern:O", sort="ascending", axis=None),
        tooltip=[
            alt.Tooltip("pattern:O", title="Pattern"),
            alt.Tooltip("n_pairs:Q", title="Pairs", format=","),
            alt.Tooltip("mean_weight:Q", title="Mean match weight", format=".2f"),
            alt.Tooltip("min_weight:Q", title="Lowest", format=".2f"),
            alt.Tooltip("max_weight:Q", title="Highest", format=".2f"),
        ],
    )
    top = float(table["n_pairs"].max())
    x = alt.X(
        "n_pairs:Q",
        title=None,
        scale=alt.Scale(domain=[0, top * 1.25]),
        axis=alt.Axis(orient="top", format=",", tickCount=4),
    )
    bars = alt.layer(
        bars_base.mark_bar().encode(
            x=x,
            color=alt.Color(
                "mean_weight:Q",
                scale=_WEIGHT_SCALE,
                title="Mean match weight of the pattern",
                legend=alt.Legend(orient="bottom", gradientLength=160, titleLimit=260),
            ),
        ),
        bars_base.mark_text(align="left", dx=3, fontSize=11, color="#0b0c0c").encode(
            x=x, text=alt.Text("n_pairs:Q", format=",")
        ),
    ).properties(width=230, height=height, title="Pairs with the pattern")
    return (
        alt.hconcat(matrix, bars, spacing=8)
        .resolve_scale(color="independent")
        .configure_view(stroke=None)
        .configure_title(fontSize=13, anchor="start")
    )


def pattern_examples(
    ws: Workspace, model_id: str, levels: Mapping[str, int], limit: int = 5
) -> pd.DataFrame:
    """Example pairs of one comparison pattern: every prediction column, a spread-out sample.

    Args:
        ws: The workspace.
        model_id: The model.
        levels: ``gamma_<column>`` -> level, as :meth:`Patterns.levels` returns.
        limit: The most pairs returned.

    Returns:
        Prediction rows, highest weight first.
    """
    table, columns = _gamma_columns(ws, model_id)
    unknown = [g for g in levels if g not in columns]
    if unknown:
        raise LinkageError(f"The stored pairs have no comparison {unknown[0]!r}.")
    where = " AND ".join(f"{quote_ident(g)} = ?" for g in levels) or "true"
    df = ws.query_df(
        f"SELECT * FROM {table} WHERE {where} "  # noqa: S608
        "ORDER BY hash(source_dataset_l, unique_id_l, source_dataset_r, unique_id_r) LIMIT ?",
        [*(int(v) for v in levels.values()), int(limit)],
    )
    return df.sort_values("match_weight", ascending=False, ignore_index=True)


def _value(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return str(value)


def examples_view(examples: pd.DataFrame, comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Example pairs for reading: one row per pair, its weight, then each record column's left
    and right values side by side under readable names (``First name (left)``...)."""
    out = pd.DataFrame(index=examples.index)
    out["Example"] = np.arange(1, len(examples) + 1)
    out["Match weight"] = examples["match_weight"].round(2)
    out["Match probability"] = examples["match_probability"].round(3)
    fields = ["source_dataset", "unique_id"]
    compared = [c.column for c in comparisons]
    fields += [c for c in compared if f"{c}_l" in examples.columns]
    fields += [
        c[:-2]
        for c in examples.columns
        if c.endswith("_l")
        and c[:-2] not in fields
        and not c.startswith(("gamma_", "mw_", "bf_", "tf_"))
    ]
    for name in fields:
        for side, word in (("l", "left"), ("r", "right")):
            column = f"{name}_{side}"
            if column in examples.columns:
                out[f"{field_title(name)} ({word})"] = examples[column].map(_value)
    return out.reset_index(drop=True)


def example_label(row: Mapping[str, Any]) -> str:
    """A one-line label of an example pair: weight, then each record as source and name."""
    return f"{row['match_weight']:.1f} · {_record_label(row, 'l')} ↔ {_record_label(row, 'r')}"


def _record_label(row: Mapping[str, Any], side: str) -> str:
    parts = [row.get(f"{f}_{side}") for f in _LABEL_FIELDS]
    words = [_value(p) for p in parts if _value(p) != MISSING]
    name = " ".join(words[:2]) if len(words) >= 2 else " ".join(words)
    if len(words) == 3:
        name = f"{' '.join(words[:2])}, {words[2]}"
    return f"{row.get(f'source_dataset_{side}')}: {name or 'no name'}"


# ------------------------------------------------------------------------------ cluster graph
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
    words = [_value(values.get(f)) for f in _LABEL_FIELDS]
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
    members = ws.query_df(
        "SELECT source_dataset, unique_id, threshold FROM wb.clusters "
        "WHERE model_id = ? AND cluster_id = ? ORDER BY source_dataset, unique_id",
        [model_id, str(cluster_id)],
    )
    if members.empty:
        raise LinkageError("This model has no such cluster.", hint="Pick a cluster from the list.")
    if len(members) > MAX_GRAPH_NODES:
        raise LinkageError(
            f"This cluster has {len(members):,} records; graphs are drawn for clusters of up "
            f"to {MAX_GRAPH_NODES}.",
            hint="Raise the threshold on the Threshold and clusters page to split it.",
        )
    table, _ = _gamma_columns(ws, model_id)
    pairs = ws.query_df(
        f"SELECT p.* FROM {table} p "  # noqa: S608
        "JOIN wb.clusters a ON a.model_id = ? AND a.cluster_id = ? "
        "AND a.source_dataset = p.source_dataset_l AND a.unique_id = p.unique_id_l "
        "JOIN wb.clusters b ON b.model_id = ? AND b.cluster_id = ? "
        "AND b.source_dataset = p.source_dataset_r AND b.unique_id = p.unique_id_r "
        "ORDER BY p.match_weight DESC",
        [model_id, str(cluster_id), model_id, str(cluster_id)],
    )
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
                values[i] = {f: row.get(f"{f}_{side}") for f in _LABEL_FIELDS}
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
    colour = alt.Color("match_weight:Q", scale=_WEIGHT_SCALE, title="Match weight")
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
    table, columns = _gamma_columns(ws, model_id)
    values = [
        f"p.{quote_ident(f'{f}_{s}')} AS {quote_ident(f'{f}_{s}')}"
        for f in _LABEL_FIELDS
        for s in ("l", "r")
        if f"{f}_{s}" in columns
    ]
    edges = ws.query_df(
        "SELECT a.cluster_id, p.source_dataset_l, p.unique_id_l, p.source_dataset_r, "  # noqa: S608
        f"p.unique_id_r, p.match_weight{''.join(', ' + v for v in values)} FROM {table} p "
        "JOIN wb.clusters a ON a.model_id = ? AND a.source_dataset = p.source_dataset_l "
        "AND a.unique_id = p.unique_id_l "
        "JOIN wb.clusters b ON b.model_id = ? AND b.source_dataset = p.source_dataset_r "
        "AND b.unique_id = p.unique_id_r "
        "WHERE a.cluster_id = b.cluster_id AND p.match_probability >= a.threshold - 1e-12",
        [model_id, model_id],
    )
    sizes = ws.query_df(
        "SELECT cluster_id, count(*) AS records FROM wb.clusters WHERE model_id = ? "
        "GROUP BY cluster_id HAVING count(*) > 1",
        [model_id],
    )
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
            str(row.get("source_dataset_l")), {f: row.get(f"{f}_l") for f in _LABEL_FIELDS}
        )
        name = name.split(": ", 1)[1]
    weak = "no single weak link" if pd.isna(weakest) else f"weakest link {weakest:.1f}"
    return f"{name} — {records:,} records, {weak}"
