"""Altair charts of a trained model, its predictions and its clusters.

Splink's own charts are returned as their ``.altair_chart`` (an Altair chart), never as the
``SplinkChart`` wrapper, so pages can pass them straight to ``st.altair_chart``.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from linkage.train import TrainedModel
from workbench.errors import LinkageError


def _altair(chart: Any) -> alt.TopLevelMixin:
    return chart.altair_chart if hasattr(chart, "altair_chart") else chart


def _splink_chart(what: str, build: Any) -> alt.TopLevelMixin:
    try:
        return _altair(build())
    except LinkageError:
        raise
    except Exception as exc:
        raise LinkageError(
            f"The {what} chart could not be drawn: {str(exc).splitlines()[0]}",
            hint="Train the model (and score pairs) first.",
        ) from exc


def match_weights_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Match weight of every comparison level."""
    return _splink_chart("match weights", model.linker.visualisations.match_weights_chart)


def m_u_parameters_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """m and u probabilities of every comparison level."""
    return _splink_chart("m and u", model.linker.visualisations.m_u_parameters_chart)


def parameter_estimates_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Parameter estimates from each EM session side by side (stability of training)."""
    return _splink_chart(
        "parameter estimates", model.linker.visualisations.parameter_estimate_comparisons_chart
    )


def tf_adjustment_chart(model: TrainedModel, column: str) -> alt.TopLevelMixin:
    """Term-frequency adjustment of a column's exact-match weight."""
    return _splink_chart(
        "term frequency", lambda: model.linker.visualisations.tf_adjustment_chart(column)
    )


def unlinkables_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Share of records that could not be linked even to themselves at each weight."""
    return _splink_chart("unlinkables", model.linker.evaluation.unlinkables_chart)


def waterfall_chart(model: TrainedModel, pairs: pd.DataFrame) -> alt.TopLevelMixin:
    """How each comparison adds to the match weight of the given pair rows.

    Args:
        model: The trained model.
        pairs: Rows of predictions scored with intermediate columns kept.
    """
    if pairs.empty:
        raise LinkageError("There are no pairs to explain.", hint="Choose at least one pair.")
    records = pairs.to_dict(orient="records")
    return _splink_chart(
        "waterfall",
        lambda: model.linker.visualisations.waterfall_chart(records, filter_nulls=False),
    )


def match_weight_histogram(pairs: pd.DataFrame, bins: int = 40) -> alt.Chart:
    """Histogram of the match weights of scored pairs."""
    return (
        alt.Chart(pairs[["match_weight"]])
        .mark_bar()
        .encode(
            x=alt.X("match_weight:Q", bin=alt.Bin(maxbins=bins), title="Match weight"),
            y=alt.Y("count():Q", title="Pairs"),
        )
        .properties(title="Match weights of scored pairs")
    )


def cluster_size_chart(size_distribution: pd.DataFrame) -> alt.Chart:
    """Number of clusters of each size (from ``ClusterSummary.size_distribution``)."""
    return (
        alt.Chart(size_distribution)
        .mark_bar()
        .encode(
            x=alt.X("cluster_size:O", title="Records in cluster"),
            y=alt.Y("n_clusters:Q", title="Clusters", scale=alt.Scale(type="symlog")),
            tooltip=["cluster_size:O", alt.Tooltip("n_clusters:Q", format=",")],
        )
        .properties(title="Cluster sizes")
    )
