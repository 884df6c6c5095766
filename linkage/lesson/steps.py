"""The six steps of the guided linkage lesson, each run on real Splink computations.

Every step function runs Splink (DuckDB) on the lesson slice and returns a small result
dataclass: the numbers, Altair charts and the pairs whose status changed compared with the
step's starting setting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from linkage.charts import match_weights_chart
from linkage.lesson.models import (
    BACKEND,
    BLOCKING_CHOICES,
    COMPARED,
    DEFAULT_BLOCKING,
    DEFAULT_EXACT_FIELDS,
    DEFAULT_NAME_THRESHOLD,
    DEFAULT_THRESHOLD,
    EXACT_FIELDS,
    FIELD_LABELS,
    LINK_TYPE,
    LOCK,
    NAME_THRESHOLDS,
    PRIOR_FACTORS,
    SEP,
    STRICT_THRESHOLD,
    Scored,
    cached,
    label_pairs,
    lesson_data,
    pair_keys,
    trained,
    with_blocking,
    with_prior,
    without_comparison,
)
from linkage.lesson.pieces import (
    Scores,
    changed_pairs,
    records_side_by_side,
    scores_at,
    scores_chart,
    scores_from_links,
)
from linkage.model.model_spec import BlockingRuleSpec
from linkage.model.predict import cluster_at_threshold, nodes_from_model, summarise_clusters
from linkage.model.train import TrainedModel, build_linker
from linkage.quality.evaluate import (
    cluster_metrics,
    pairwise_metrics,
    threshold_chart,
)
from workbench.charts import accessible_palette, titled
from workbench.errors import LinkageError


# --------------------------------------------------------------------------- step 1
@dataclass
class ExactMatchStep:
    """Step 1: exact matching against the truth.

    Attributes:
        fields: The fields that had to agree exactly.
        exact: Scores of the exact join.
        model: Scores of the default probabilistic model at the default threshold.
        missed: True matches the exact join missed, with the fields that differ.
        changed: Pairs linked by one method and not the other.
        chart: Precision, recall and F1 of both methods.
    """

    fields: tuple[str, ...]
    exact: Scores
    model: Scores
    missed: pd.DataFrame
    changed: pd.DataFrame
    chart: alt.Chart


def exact_pairs(fields: tuple[str, ...]) -> Scored:
    """Pairs agreeing exactly on every field, found by Splink's deterministic link."""

    def build() -> Scored:
        data = lesson_data()
        settings = {
            "link_type": LINK_TYPE,
            "blocking_rules_to_generate_predictions": [BlockingRuleSpec(list(fields)).to_splink()],
        }
        linker, api = build_linker(data.prepared, settings, backend=BACKEND)
        pairs = linker.inference.deterministic_link().as_duckdbpyrelation().df()
        pairs["match_probability"] = 1.0
        pairs["match_weight"] = np.inf
        model = TrainedModel(linker=linker, db_api=api, spec=None, data=data.prepared)
        return Scored(model, label_pairs(pairs, data))

    return cached(("exact", fields), build)


def _true_pairs() -> pd.DataFrame:
    truth = lesson_data().truth.dropna(subset=["truth"])
    pairs = truth.merge(truth, on="truth", suffixes=("_l", "_r"))
    pairs["pair_key"] = pair_keys(pairs)
    left = pairs["source_dataset_l"] + SEP + pairs["unique_id_l"]
    right = pairs["source_dataset_r"] + SEP + pairs["unique_id_r"]
    return pairs[left < right].reset_index(drop=True)


def _differences(pairs: pd.DataFrame) -> list[str]:
    records = lesson_data().records.copy()
    records["key"] = records["source_dataset"].astype(str) + SEP + records["unique_id"]
    rec = records.set_index("key")
    out = []
    for _, p in pairs.iterrows():
        left = rec.loc[p["source_dataset_l"] + SEP + p["unique_id_l"]]
        right = rec.loc[p["source_dataset_r"] + SEP + p["unique_id_r"]]
        diffs = []
        for col in EXACT_FIELDS:
            lv, rv = left[col], right[col]
            if pd.isna(lv) or pd.isna(rv):
                diffs.append(f"{FIELD_LABELS[col].lower()} missing")
            elif lv != rv:
                diffs.append(f"{FIELD_LABELS[col].lower()} differs")
        out.append(", ".join(diffs) or "no difference")
    return out


def step_exact_match(fields: Sequence[str] = DEFAULT_EXACT_FIELDS) -> ExactMatchStep:
    """Step 1: link records that agree exactly on the chosen fields, and score it.

    Args:
        fields: Fields that must agree exactly (some of :data:`EXACT_FIELDS`).

    Raises:
        LinkageError: When no field is chosen.
    """
    chosen = tuple(f for f in EXACT_FIELDS if f in set(fields))
    if not chosen:
        raise LinkageError("Choose at least one field that must agree exactly.")
    exact = exact_pairs(chosen)
    model = trained()
    exact_scores = scores_from_links(exact.pairs)
    model_scores = scores_at(model, DEFAULT_THRESHOLD)
    truth_pairs = _true_pairs()
    missed = truth_pairs[~truth_pairs["pair_key"].isin(set(exact.pairs["pair_key"]))]
    missed = missed.sort_values("pair_key").head(8).reset_index(drop=True)
    shown = pd.concat([records_side_by_side(missed), missed[["pair_key"]]], axis=1)
    shown["what_differs"] = _differences(missed)
    chart = scores_chart(
        [("Exact match", exact_scores), ("Probabilistic model", model_scores)],
        "Exact matching misses true matches",
        f"Pairwise scores against the truth; exact on {', '.join(chosen)}",
    )
    changed = changed_pairs(exact, model, 0.5, DEFAULT_THRESHOLD)
    return ExactMatchStep(chosen, exact_scores, model_scores, shown, changed, chart)


# --------------------------------------------------------------------------- step 2
@dataclass
class MUStep:
    """Step 2: the m and u probabilities of one comparison.

    Attributes:
        column: The comparison's column.
        levels: ``level``, ``m_probability``, ``u_probability``, ``bayes_factor``,
            ``match_weight`` per level (null level left out).
        with_it: Scores of the full model.
        without_it: Scores of the model with this comparison left out.
        changed: Pairs whose status changes when the comparison is left out.
        chart: m and u side by side per level.
    """

    column: str
    levels: pd.DataFrame
    with_it: Scores
    without_it: Scores
    changed: pd.DataFrame
    chart: alt.Chart


def comparison_levels(scored: Scored, column: str) -> pd.DataFrame:
    """The trained m, u, Bayes factor and match weight of each level of a comparison."""
    settings = scored.model.settings_dict()
    comp = next(c for c in settings["comparisons"] if c["output_column_name"] == column)
    rows = []
    for level in comp["comparison_levels"]:
        if level.get("is_null_level"):
            continue
        m = level.get("m_probability")
        u = level.get("u_probability")
        bf = m / u if m and u else float("nan")
        rows.append(
            {
                "level": level.get("label_for_charts", level["sql_condition"]),
                "m_probability": m,
                "u_probability": u,
                "bayes_factor": bf,
                "match_weight": math.log2(bf) if bf and bf > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def step_m_u(column: str = "dob") -> MUStep:
    """Step 2: what m and u mean for one comparison, and what the comparison is worth.

    Args:
        column: One of :data:`COMPARED`.
    """
    if column not in COMPARED:
        raise LinkageError(f"{column!r} is not compared in the lesson model.")
    model = trained()
    levels = comparison_levels(model, column)
    without = without_comparison(column)
    long = levels.melt(
        id_vars=["level"], value_vars=["m_probability", "u_probability"], var_name="kind"
    )
    long["kind"] = long["kind"].map(
        {"m_probability": "m: share of true matches", "u_probability": "u: share of non-matches"}
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("level:N", title=None, sort=list(levels["level"])),
            yOffset="kind:N",
            x=alt.X("value:Q", title="Probability", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=accessible_palette()[:2])),
            tooltip=["level:N", "kind:N", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    chart = titled(
        chart,
        f"m and u for {FIELD_LABELS[column].lower()}",
        "Estimated by Splink from the lesson data, without looking at the truth",
    )
    return MUStep(
        column,
        levels,
        scores_at(model, DEFAULT_THRESHOLD),
        scores_at(without, DEFAULT_THRESHOLD),
        changed_pairs(model, without, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD),
        chart,
    )


# --------------------------------------------------------------------------- step 3
@dataclass
class LevelsStep:
    """Step 3: a name comparison's "close" level and its match weights.

    Attributes:
        name_threshold: The Jaro-Winkler threshold chosen.
        levels: Surname levels with m, u and match weight at that threshold.
        scores: Scores of the model trained with that threshold.
        baseline: Scores of the model trained with the default threshold.
        changed: Pairs whose status changed against the default threshold.
        chart: Splink's match weights chart of the model.
    """

    name_threshold: float
    levels: pd.DataFrame
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.TopLevelMixin


def step_levels(name_threshold: float = DEFAULT_NAME_THRESHOLD) -> LevelsStep:
    """Step 3: retrain (once per threshold) with another name similarity threshold.

    Args:
        name_threshold: One of :data:`NAME_THRESHOLDS`.
    """
    if name_threshold not in NAME_THRESHOLDS:
        raise LinkageError(f"{name_threshold} is not one of the lesson's name thresholds.")
    base = trained()
    model = trained(name_threshold)
    with LOCK:
        chart = match_weights_chart(model.model)
    return LevelsStep(
        name_threshold,
        comparison_levels(model, "surname"),
        scores_at(model, STRICT_THRESHOLD),
        scores_at(base, STRICT_THRESHOLD),
        changed_pairs(base, model, STRICT_THRESHOLD, STRICT_THRESHOLD),
        chart,
    )


# --------------------------------------------------------------------------- step 4
@dataclass
class BlockingStep:
    """Step 4: blocking rules, the comparisons they generate and the matches they keep.

    Attributes:
        rules: The rules chosen.
        comparisons: Pairs the rules generate (and the model scores).
        all_pairs: Pairs without blocking.
        blocking_recall: Share of true pairs the rules generate at all.
        scores: Model scores at the default threshold.
        baseline: Scores with the default rules.
        changed: Pairs whose status changed against the default rules.
        chart: Comparisons and recall per rule chosen.
    """

    rules: tuple[str, ...]
    comparisons: int
    all_pairs: int
    blocking_recall: float
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.Chart


def step_blocking(rules: Sequence[str] = DEFAULT_BLOCKING) -> BlockingStep:
    """Step 4: score the pairs the chosen blocking rules generate.

    Args:
        rules: Keys of :data:`BLOCKING_CHOICES`.

    Raises:
        LinkageError: When no rule is chosen.
    """
    chosen = tuple(r for r in BLOCKING_CHOICES if r in set(rules))
    scored = with_blocking(chosen)
    base = trained()
    data = lesson_data()
    n = data.prepared.n_records
    blocked_true = int(scored.pairs["is_match"].sum())
    frame = _rule_contributions(scored.pairs, chosen, data.n_true_pairs)
    bars = (
        alt.Chart(frame)
        .mark_bar(color=accessible_palette()[0])
        .encode(
            y=alt.Y("rule:N", title=None, sort=list(frame["rule"]), axis=alt.Axis(labelLimit=360)),
            x=alt.X("comparisons:Q", title="Pairs compared so far"),
            tooltip=["rule:N", "comparisons:Q", alt.Tooltip("true pairs kept:Q", format=".1%")],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("true pairs kept:Q", format=".0%")
    )
    chart = titled(
        bars + text,
        "Each rule adds comparisons and true pairs",
        "Bars: pairs compared after each rule in turn; labels: share of true pairs kept so far",
    )
    return BlockingStep(
        chosen,
        len(scored.pairs),
        n * (n - 1) // 2,
        blocked_true / data.n_true_pairs,
        scores_at(scored, DEFAULT_THRESHOLD),
        scores_at(base, DEFAULT_THRESHOLD),
        changed_pairs(base, scored, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD),
        chart,
    )


def _rule_contributions(pairs: pd.DataFrame, rules: tuple[str, ...], n_true: int) -> pd.DataFrame:
    """Comparisons and true pairs kept after each rule in turn (Splink's ``match_key``), each
    rule named as the lesson's choices name it."""
    key = pairs["match_key"].astype(int) if "match_key" in pairs.columns else 0
    rows = []
    total, kept = 0, 0
    for i, rule in enumerate(rules):
        mine = pairs[key == i]
        total += len(mine)
        kept += int(mine["is_match"].sum())
        rows.append(
            {
                "rule": f"+ {BLOCKING_CHOICES[rule]}" if i else BLOCKING_CHOICES[rule],
                "comparisons": total,
                "true pairs kept": kept / n_true,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- step 5
@dataclass
class ThresholdStep:
    """Step 5: the prior and the threshold trade precision for recall.

    Attributes:
        prior_factor: How much the prior odds were multiplied.
        prior: The prior probability that two random records match.
        threshold: The match probability threshold.
        scores: Scores at that prior and threshold.
        baseline: Scores at the trained prior and the default threshold.
        changed: Pairs whose status changed against the baseline.
        chart: Precision, recall and F1 along thresholds, the chosen one marked.
    """

    prior_factor: float
    prior: float
    threshold: float
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.TopLevelMixin


def step_threshold(
    prior_factor: float = 1.0, threshold: float = DEFAULT_THRESHOLD
) -> ThresholdStep:
    """Step 5: re-count stored predictions at a prior and a threshold.

    Args:
        prior_factor: One of :data:`PRIOR_FACTORS`.
        threshold: Match probability between 0 and 1.
    """
    if prior_factor not in PRIOR_FACTORS:
        raise LinkageError(f"{prior_factor} is not one of the lesson's prior factors.")
    if not 0.0 < threshold < 1.0:
        raise LinkageError("Choose a threshold between 0 and 1.")
    base = trained()
    scored = with_prior(prior_factor)
    grid = sorted({*np.round(np.linspace(0.05, 0.95, 19), 2).tolist(), round(threshold, 3)})
    metrics = pairwise_metrics(scored.pairs, lesson_data().truth, grid, LINK_TYPE)
    prior = float(scored.model.settings_dict()["probability_two_random_records_match"])
    chart = titled(
        threshold_chart(metrics, threshold),
        "Higher thresholds: fewer, surer links",
        f"Pairwise scores against the truth; prior 1 in {round(1 / prior):,}",
    )
    return ThresholdStep(
        prior_factor,
        prior,
        threshold,
        scores_at(scored, threshold),
        scores_at(base, DEFAULT_THRESHOLD),
        changed_pairs(base, scored, DEFAULT_THRESHOLD, threshold),
        chart,
    )


# --------------------------------------------------------------------------- step 6
@dataclass
class ClusterStep:
    """Step 6: clusters at a threshold and where they go wrong.

    Attributes:
        threshold: The match probability threshold.
        metrics: Output of :func:`linkage.quality.evaluate.cluster_metrics`.
        n_clusters: Clusters found (singletons included).
        n_people: True people in the data.
        over_merged: Records of one cluster holding several true people (empty when none).
        split: Records of one true person spread over several clusters (empty when none).
        chart: Cluster sizes found against true sizes.
    """

    threshold: float
    metrics: dict[str, float]
    n_clusters: int
    n_people: int
    over_merged: pd.DataFrame
    split: pd.DataFrame
    chart: alt.Chart


def step_clusters(threshold: float = DEFAULT_THRESHOLD) -> ClusterStep:
    """Step 6: cluster the stored predictions at a threshold and compare with the truth.

    Args:
        threshold: Match probability between 0 and 1.
    """
    scored = trained()
    data = lesson_data()
    clusters = cluster_at_threshold(scored.pairs, nodes_from_model(scored.model), threshold)
    metrics = cluster_metrics(clusters, data.truth)
    merged = clusters.merge(data.truth, on=["source_dataset", "unique_id"])
    people_per_cluster = merged.groupby("cluster_id")["truth"].nunique()
    clusters_per_person = merged.groupby("truth")["cluster_id"].nunique()
    records = data.records[["source_dataset", "unique_id", *COMPARED]]
    over = people_per_cluster[people_per_cluster > 1].sort_values(ascending=False)
    split = clusters_per_person[clusters_per_person > 1].sort_values(ascending=False)
    over_rows = merged[merged["cluster_id"] == over.index[0]] if len(over) else merged.iloc[0:0]
    split_rows = merged[merged["truth"] == split.index[0]] if len(split) else merged.iloc[0:0]
    cols = ["cluster_id", "truth", "source_dataset", "unique_id"]
    over_rows = over_rows[cols].merge(records, on=["source_dataset", "unique_id"])
    split_rows = split_rows[cols].merge(records, on=["source_dataset", "unique_id"])
    found = summarise_clusters(clusters).size_distribution.assign(kind="Found by the model")
    true_sizes = data.truth.groupby("truth").size().value_counts().sort_index()
    true = true_sizes.rename_axis("cluster_size").reset_index(name="n_clusters")
    true = true.assign(kind="True people")
    chart = (
        alt.Chart(pd.concat([found, true], ignore_index=True))
        .mark_bar()
        .encode(
            x=alt.X("cluster_size:O", title="Records in cluster"),
            xOffset="kind:N",
            y=alt.Y("n_clusters:Q", title="Clusters", scale=alt.Scale(type="symlog")),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=accessible_palette()[:2])),
            tooltip=["kind:N", "cluster_size:O", "n_clusters:Q"],
        )
    )
    chart = titled(
        chart,
        "Cluster sizes found against the true people",
        f"Clusters at match probability {threshold:.2f}; symmetric log scale",
    )
    return ClusterStep(
        threshold,
        metrics,
        int(metrics["n_clusters"]),
        int(metrics["n_true_clusters"]),
        over_rows.drop(columns=["cluster_id"]).rename(columns={"truth": "true_person"}),
        split_rows.rename(columns={"truth": "true_person"}),
        chart,
    )
