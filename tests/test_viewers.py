"""The comparison viewer and the cluster graph, on predictions written by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from linkage.charts import _wrap_column_names
from linkage.clusters.graph import (
    cluster_graph,
    cluster_graph_chart,
    find_bridges,
    graph_caption,
    graph_choices,
    graph_from_pairs,
    links_view,
    node_order,
    ring_layout,
)
from linkage.clusters.registry import predictions_table
from linkage.model.patterns import (
    comparison_patterns,
    example_label,
    examples_view,
    field_title,
    pattern_examples,
    patterns_caption,
    patterns_chart,
    short_level,
)
from workbench.errors import LinkageError
from workbench.workspace import Workspace

MODEL = "m_viewers"
SETTINGS = {
    "link_type": "link_and_dedupe",
    "comparisons": [
        {
            "output_column_name": "first_name",
            "comparison_levels": [
                {
                    "sql_condition": "x IS NULL",
                    "label_for_charts": "first_name is NULL",
                    "is_null_level": True,
                },
                {"sql_condition": "a = b", "label_for_charts": "Exact match on first_name"},
                {
                    "sql_condition": "jw",
                    "label_for_charts": "Jaro-Winkler distance of first_name >= 0.92",
                },
                {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
            ],
        },
        {
            "output_column_name": "dob",
            "comparison_levels": [
                {
                    "sql_condition": "x IS NULL",
                    "label_for_charts": "dob is NULL",
                    "is_null_level": True,
                },
                {"sql_condition": "a = b", "label_for_charts": "Exact match on date of birth"},
                {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
            ],
        },
        {
            "output_column_name": "pnc_id",
            "comparison_levels": [
                {
                    "sql_condition": "x IS NULL",
                    "label_for_charts": "pnc_id is NULL",
                    "is_null_level": True,
                },
                {"sql_condition": "a = b", "label_for_charts": "Exact match on pnc_id"},
                {"sql_condition": "lev", "label_for_charts": "Levenshtein distance of pnc_id <= 1"},
                {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
            ],
        },
    ],
}
LEVELS = {"first_name": [-1, 0, 1, 2], "dob": [-1, 0, 1], "pnc_id": [-1, 0, 1, 2]}


def _register(ws: Workspace) -> None:
    with ws.transaction() as cur:
        cur.execute(
            "INSERT INTO wb.models (model_id, name, created_at, link_type, settings, is_active) "
            "VALUES (?, 'hand made', now(), 'link_and_dedupe', ?, true)",
            [MODEL, json.dumps(SETTINGS)],
        )


def _store(ws: Workspace, pairs: pd.DataFrame) -> None:
    with ws.transaction() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS linkage")
        cur.register("hand_pairs", pairs)
        cur.execute(f"CREATE TABLE {predictions_table(MODEL)} AS SELECT * FROM hand_pairs")
        cur.unregister("hand_pairs")


def _random_pairs(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = {
        "source_dataset_l": ["police"] * n,
        "unique_id_l": [f"p{i}" for i in range(n)],
        "source_dataset_r": ["courts"] * n,
        "unique_id_r": [f"c{i}" for i in range(n)],
    }
    weight = np.zeros(n)
    for column, levels in LEVELS.items():
        # skewed, so some patterns are common and many are rare
        gamma = rng.choice(
            levels, size=n, p=np.linspace(1, 3, len(levels)) / np.linspace(1, 3, len(levels)).sum()
        )
        mw = np.where(gamma == -1, 0.0, gamma * 3.0 - 2.0)
        out[f"{column}_l"] = [f"{column}{i % 7}" for i in range(n)]
        out[f"{column}_r"] = [f"{column}{i % 5}" for i in range(n)]
        out[f"gamma_{column}"] = gamma.astype("int32")
        out[f"mw_{column}"] = mw
        weight += mw
    out["match_weight"] = weight - 5
    out["match_probability"] = 1 / (1 + 2.0 ** (-(weight - 5)))
    return pd.DataFrame(out)


@pytest.fixture
def scored(ws: Workspace) -> Workspace:
    _register(ws)
    _store(ws, _random_pairs(600))
    return ws


def test_pattern_counts_match_a_direct_recount(scored: Workspace) -> None:
    patterns = comparison_patterns(scored, MODEL, limit=1000)
    table = patterns.table
    total = scored.query(f"SELECT count(*) FROM {predictions_table(MODEL)}")[0][0]
    distinct = scored.query(
        "SELECT count(*) FROM (SELECT DISTINCT gamma_first_name, gamma_dob, gamma_pnc_id "
        f"FROM {predictions_table(MODEL)})"
    )[0][0]
    assert patterns.n_pairs == total == int(table["n_pairs"].sum())
    assert patterns.n_patterns == distinct == len(table)
    assert table["n_pairs"].is_monotonic_decreasing
    assert table["pattern"].tolist() == list(range(1, len(table) + 1))
    for row in table.itertuples(index=False):
        n, mean, low, mw_dob = scored.query(
            f"SELECT count(*), avg(match_weight), min(match_weight), avg(mw_dob) "
            f"FROM {predictions_table(MODEL)} "
            "WHERE gamma_first_name = ? AND gamma_dob = ? AND gamma_pnc_id = ?",
            [row.gamma_first_name, row.gamma_dob, row.gamma_pnc_id],
        )[0]
        assert row.n_pairs == n
        assert row.mean_weight == pytest.approx(mean)
        assert row.min_weight == pytest.approx(low)
        assert row.mw_dob == pytest.approx(mw_dob)


def test_patterns_are_described_in_words_and_capped_visibly(scored: Workspace) -> None:
    capped = comparison_patterns(scored, MODEL, limit=3)
    assert len(capped.table) == 3 and capped.n_patterns > 3
    assert "a cap" in patterns_caption(capped)
    full = comparison_patterns(scored, MODEL, limit=1000)
    assert patterns_caption(full).startswith(f"All {full.n_patterns:,}")
    row = full.table.set_index("pattern").loc[1]
    levels = full.levels(1)
    assert levels == {f"gamma_{c}": int(row[f"gamma_{c}"]) for c in LEVELS}
    described = row["description"]
    assert described.startswith("First name: ") and "Date of birth: " in described
    assert "PNC ID: " in described and "gamma" not in described
    assert full.choice_label(1).startswith(f"1 · {int(row['n_pairs']):,} pairs")
    with pytest.raises(LinkageError):
        full.levels(10_000)


def test_pattern_chart_has_a_cell_per_column_and_a_bar_per_pattern(scored: Workspace) -> None:
    patterns = comparison_patterns(scored, MODEL, limit=5)
    spec = patterns_chart(patterns).to_dict()
    matrix, bars = spec["hconcat"]
    cells = spec["datasets"][matrix["data"]["name"]]
    assert len(cells) == 5 * 3
    assert {c["column"] for c in cells} == {"First name", "Date of birth", "PNC ID"}
    assert {c["level"] for c in cells} <= {"missing", "exact", "JW ≥ 0.92", "Lev. ≤ 1", "different"}
    assert len(spec["datasets"][bars["data"]["name"]]) == 5


def test_examples_are_of_the_chosen_pattern_with_readable_columns(scored: Workspace) -> None:
    patterns = comparison_patterns(scored, MODEL)
    levels = patterns.levels(2)
    examples = pattern_examples(scored, MODEL, levels, limit=4)
    n_pattern = int(patterns.table.loc[1, "n_pairs"])
    assert len(examples) == min(4, n_pattern)
    for gamma, level in levels.items():
        assert (examples[gamma] == level).all()
    view = examples_view(examples, patterns.comparisons)
    assert list(view.columns[:5]) == [
        "Example",
        "Match weight",
        "Match probability",
        "Source (left)",
        "Source (right)",
    ]
    assert "First name (left)" in view.columns and "Date of birth (right)" in view.columns
    assert not [c for c in view.columns if c.startswith(("gamma_", "mw_")) or c.endswith("_l")]
    assert example_label(examples.iloc[0].to_dict()).count("↔") == 1


def test_no_stored_pairs_is_a_linkage_error(ws: Workspace) -> None:
    _register(ws)
    with pytest.raises(LinkageError, match="no stored pairs"):
        comparison_patterns(ws, MODEL)


@pytest.mark.parametrize(
    ("label", "column", "short"),
    [
        ("first_name is NULL", "first_name", "missing"),
        ("Exact match on first_name", "first_name", "exact"),
        ("Exact match on date of birth", "dob", "exact"),
        ("Exact match on sector", "postcode", "exact sector"),
        ("Jaro-Winkler distance of surname >= 0.92", "surname", "JW ≥ 0.92"),
        ("Levenshtein distance of pnc_id <= 1", "pnc_id", "Lev. ≤ 1"),
        ("All other comparisons", "sex", "different"),
        ("Matches the other record's surname", "first_name", "= Surname"),
        ("Within 1 month", "dob", "≤ 1 month"),
    ],
)
def test_short_level_labels(label: str, column: str, short: str) -> None:
    assert short_level(label, column) == short


def test_field_titles() -> None:
    assert field_title("first_name") == "First name"
    assert field_title("dob") == "Date of birth"
    assert field_title("pnc_id") == "PNC ID"


# ------------------------------------------------------------------------------ bridges
def test_bridges_on_a_hand_made_graph() -> None:
    # a triangle 0-1-2, a tail 2-3-4, a separate pair 5-6 and a doubled link 7=8
    edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (5, 6), (7, 8), (8, 7)]
    assert find_bridges(9, edges) == [False, False, False, True, True, True, False, False]
    # closing the tail into a cycle leaves no bridge there
    assert find_bridges(5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2)]) == [False] * 6
    assert find_bridges(3, []) == []


def test_groups_held_by_one_link_are_drawn_together() -> None:
    # two triangles (0, 2, 4) and (1, 3, 5), interleaved by number, joined by the bridge 4-5
    edges = [(0, 2), (2, 4), (0, 4), (1, 3), (3, 5), (1, 5), (4, 5)]
    order = node_order(6, edges)
    assert sorted(order) == list(range(6))
    assert {frozenset(order[:3]), frozenset(order[3:])} == {
        frozenset({0, 2, 4}),
        frozenset({1, 3, 5}),
    }
    xy = ring_layout(6, edges)
    right = [n for n in range(6) if xy[n, 0] > 0]
    assert len(right) == 3 and sorted(xy[right, 1], reverse=True) == list(xy[order[:3], 1])


def _people() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster A: a triangle of three records with a fourth hanging on one link (a bridge),
    plus a weak pair under the threshold; cluster B: two records; one pair across clusters."""
    records = {
        ("police", "a1"): ("JOHN", "SMITH", "1980-01-02"),
        ("courts", "a2"): ("JOHN", "SMITH", "1980-01-02"),
        ("cps", "a3"): ("JON", "SMITH", "1980-01-02"),
        ("police", "a4"): ("JOHN", "SMYTH", "1980-02-01"),
        ("police", "b1"): ("ANN", "JONES", "1990-05-05"),
        ("courts", "b2"): ("ANNE", "JONES", "1990-05-05"),
    }
    links = [
        ("police", "a1", "courts", "a2", 20.0),
        ("police", "a1", "cps", "a3", 15.0),
        ("courts", "a2", "cps", "a3", 14.0),
        ("cps", "a3", "police", "a4", 4.5),
        ("police", "a1", "police", "a4", -1.0),
        ("police", "b1", "courts", "b2", 9.0),
        ("police", "a4", "police", "b1", -3.0),
    ]
    rows = []
    for sl, ul, sr, ur, w in links:
        left, right = records[(sl, ul)], records[(sr, ur)]
        rows.append(
            {
                "match_weight": w,
                "match_probability": 1 / (1 + 2 ** (-w)),
                "source_dataset_l": sl,
                "unique_id_l": ul,
                "source_dataset_r": sr,
                "unique_id_r": ur,
                "first_name_l": left[0],
                "first_name_r": right[0],
                "surname_l": left[1],
                "surname_r": right[1],
                "dob_l": left[2],
                "dob_r": right[2],
                "gamma_first_name": 1,
            }
        )
    members = pd.DataFrame(
        [(s, u, "A" if u.startswith("a") else "B") for s, u in records],
        columns=["source_dataset", "unique_id", "cluster_id"],
    )
    return members, pd.DataFrame(rows)


@pytest.fixture
def clustered(ws: Workspace) -> Workspace:
    _register(ws)
    members, pairs = _people()
    _store(ws, pairs)
    with ws.transaction() as cur:
        for row in members.itertuples(index=False):
            cur.execute(
                "INSERT INTO wb.clusters VALUES (?, ?, ?, ?, ?)",
                [row.source_dataset, row.unique_id, row.cluster_id, MODEL, 0.9],
            )
    return ws


def test_cluster_graph_matches_the_pairs_table(clustered: Workspace) -> None:
    graph = cluster_graph(clustered, MODEL, "A")
    assert graph.threshold == 0.9
    assert len(graph.nodes) == 4
    inside = clustered.query(
        f"SELECT count(*), sum(match_weight) FROM {predictions_table(MODEL)} p "
        "JOIN wb.clusters a ON a.model_id = ? AND a.cluster_id = 'A' "
        "AND (a.source_dataset, a.unique_id) = (p.source_dataset_l, p.unique_id_l) "
        "JOIN wb.clusters b ON b.model_id = ? AND b.cluster_id = 'A' "
        "AND (b.source_dataset, b.unique_id) = (p.source_dataset_r, p.unique_id_r)",
        [MODEL, MODEL],
    )[0]
    assert len(graph.edges) == inside[0] == 5
    assert graph.edges["match_weight"].sum() == pytest.approx(inside[1])
    held = graph.edges.loc[graph.edges["holds"]]
    assert sorted(held["match_weight"]) == [4.5, 14.0, 15.0, 20.0]
    bridge = graph.edges.loc[graph.edges["bridge"]]
    assert bridge["match_weight"].tolist() == [4.5]
    weakest = graph.weakest_bridge
    assert weakest is not None and weakest["match_weight"] == 4.5
    assert {weakest["left_label"], weakest["right_label"]} == {
        "cps: JON SMITH, 1980-01-02",
        "police: JOHN SMYTH, 1980-02-01",
    }
    labels = set(graph.nodes["label"])
    assert "courts: JOHN SMITH, 1980-01-02" in labels
    assert not any(label.endswith(("a1", "a2", "a3", "a4")) for label in labels)
    positions = graph.nodes[["x", "y"]].round(6)
    assert not positions.duplicated().any()
    assert positions.abs().max().max() <= 1.0
    caption = graph_caption(graph)
    assert "4 records joined by 4 links" in caption and "weight 4.5" in caption
    view = links_view(graph)
    assert view.iloc[0]["Link"] == "weakest link holding the cluster together"
    assert (view["Link"] == "below the threshold").sum() == 1
    spec = cluster_graph_chart(graph).to_dict()
    assert len(spec["layer"]) >= 6


def test_a_cluster_without_bridges_says_so() -> None:
    members = pd.DataFrame({"source_dataset": ["s"] * 3, "unique_id": ["1", "2", "3"]})
    pairs = pd.DataFrame(
        {
            "source_dataset_l": ["s", "s", "s"],
            "unique_id_l": ["1", "2", "3"],
            "source_dataset_r": ["s", "s", "s"],
            "unique_id_r": ["2", "3", "1"],
            "match_weight": [10.0, 11.0, 12.0],
            "match_probability": [0.999, 0.999, 0.999],
        }
    )
    graph = graph_from_pairs(members, pairs, 0.9)
    assert graph.weakest_bridge is None and not graph.edges["bridge"].any()
    assert "No single link holds it together" in graph_caption(graph)
    assert set(graph.nodes["label"]) == {"s: no name, DOB missing"}


def test_graph_choices_put_weak_bridges_in_bigger_clusters_first(clustered: Workspace) -> None:
    choices = graph_choices(clustered, MODEL)
    assert choices["cluster_id"].tolist() == ["A", "B"]
    first = choices.iloc[0]
    assert first["records"] == 4 and first["bridges"] == 1 and first["weakest_weight"] == 4.5
    assert first["label"] == "JOHN SMITH, 1980-01-02 — 4 records, weakest link 4.5"


def test_unknown_or_oversized_clusters_are_refused(clustered: Workspace) -> None:
    with pytest.raises(LinkageError, match="no such cluster"):
        cluster_graph(clustered, MODEL, "Z")


def test_waterfall_names_each_bar_once_and_wraps_them() -> None:
    spec = {
        "layer": [
            {
                "mark": {"type": "text"},
                "encoding": {
                    "text": {"field": "column_name"},
                    "x": {"field": "column_name", "axis": {"labelAngle": -20}},
                },
            }
        ]
    }
    _wrap_column_names(spec)
    layer = spec["layer"][0]
    assert layer["encoding"]["text"] == {"value": ""}
    axis = layer["encoding"]["x"]["axis"]
    assert axis["labelAngle"] == 0 and "split(datum.label, '_')" in axis["labelExpr"]
    assert axis["labelOverlap"] is False


def test_waterfall_values_move_from_the_bars_to_a_table() -> None:
    """Splink's 8 px value texts above the bars are dropped (at a readable size they overprint
    the bars beside them); the table view holds each bar's values and weight instead."""
    import altair as alt

    from linkage.charts import _drop_value_labels, waterfall_table

    def text_layer(field: str) -> dict:
        return {"mark": {"type": "text", "fontSize": 8}, "encoding": {"text": {"field": field}}}

    spec = {"layer": [{"layer": [{"mark": "bar"}, text_layer("value_l"), text_layer("value_r")]}]}
    _drop_value_labels(spec)
    assert spec == {"layer": [{"layer": [{"mark": "bar"}]}]}
    rows = [
        {
            "column_name": name,
            "value_l": left,
            "value_r": right,
            "label_for_charts": level,
            "log2_bayes_factor": weight,
            "bar_sort_order": order,
            "record_number": 0,
        }
        for order, (name, left, right, level, weight) in enumerate(
            [
                ("Prior", None, None, "Starting match weight (prior)", -9.844),
                ("first_name", "IOANA", "IOANA", "Exact match on first_name", 5.796),
                ("tf_first_name", "IOANA", "IOANA", "Term freq adjustment", -0.5),
            ]
        )
    ]
    chart = alt.Chart(pd.DataFrame(rows)).mark_bar().encode(x="column_name:N")
    table = waterfall_table(chart)
    assert table["Column"].tolist() == ["Prior", "first name", "first name (frequency)"]
    assert table["Match weight"].tolist() == ["−9.84", "+5.80", "−0.50"]
    assert table.loc[0, "Left record"] == "" and table.loc[1, "Right record"] == "IOANA"


def test_review_pair_table_names_fields_in_words() -> None:
    from linkage.model.result_tables import pair_side_by_side

    table = pair_side_by_side(
        {
            "first_name_l": "OSCAR",
            "first_name_r": "OSCRA",
            "surname_l": "LEE",
            "surname_r": "LEE",
            "pnc_id_l": None,
            "pnc_id_r": "X",
            "dob_l": None,
            "dob_r": None,
        }
    )
    assert table["field"].tolist() == ["First name", "Surname", "PNC ID", "Date of birth"]
    # Two blanks are not agreement: a missing value on either side says so.
    assert table["agree"].tolist() == ["differs", "same", "missing", "missing"]
