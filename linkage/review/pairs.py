"""A saved model's scored pairs to browse and to review: weight bands and review samples."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from linkage.clusters.registry import get_model
from linkage.model.linkers import model_threshold, require_predictions
from linkage.model.predict import EDGE_COLUMNS
from linkage.review.labels import unlabelled_pairs
from linkage.service import RETENTION_MATCH_WEIGHT
from workbench.errors import LinkageError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace


def order_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Prediction rows with the ids and scores (the edge columns) first."""
    head = [c for c in EDGE_COLUMNS if c in df.columns]
    return df[head + [c for c in df.columns if c not in head]]


@dataclass(frozen=True)
class KeptPairs:
    """The scored pairs a model kept: how many, the weights they span and the cut below which
    pairs were not kept.

    Attributes:
        n_pairs: Pairs kept after scoring.
        low: The lowest match weight kept (``cut`` when none was kept).
        high: The highest match weight kept (``cut`` when none was kept).
        cut: Pairs scoring below this match weight were not kept.
    """

    n_pairs: int
    low: float
    high: float
    cut: float

    @property
    def cut_probability(self) -> float:
        """The match probability of a pair scoring exactly the cut."""
        return 1.0 / (1.0 + 2.0 ** (-self.cut))


def kept_pairs(ws: Workspace, model_id: str) -> KeptPairs:
    """How many scored pairs a model kept, the weights they span and the retention cut.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    pred = require_predictions(ws, model_id)
    row = get_model(ws, model_id)
    metrics = row.get("metrics") or {}
    cut = metrics.get("retention_match_weight", RETENTION_MATCH_WEIGHT)
    n, low, high = ws.query(
        compose("SELECT count(*), min(match_weight), max(match_weight) FROM {pred}", pred=pred)
    )[0]
    cut = float(cut)
    if not n or low is None:
        return KeptPairs(0, cut, cut, cut)
    return KeptPairs(int(n), float(low), float(high), cut)


def pairs_in_band(
    ws: Workspace,
    model_id: str,
    low: float,
    high: float,
    limit: int = 200,
    sample: bool = False,
) -> pd.DataFrame:
    """Scored pairs with a match weight in ``[low, high)``, with both records' values.

    Args:
        ws: The workspace.
        model_id: The model.
        low: Lowest match weight (inclusive).
        high: Highest match weight (exclusive).
        limit: Most rows returned.
        sample: A repeatable spread-out sample of the band instead of the highest weights.

    Returns:
        Every prediction column (``*_l``/``*_r`` values, ``gamma_*`` levels, ``bf_*`` factors),
        ids and scores first.
    """
    pred = require_predictions(ws, model_id)
    if low > high:
        low, high = high, low
    order = Sql(
        "hash(unique_id_l, unique_id_r, source_dataset_l, source_dataset_r)"
        if sample
        else "match_weight DESC"
    )
    sql = compose(
        "SELECT * FROM {pred} WHERE match_weight >= ? AND match_weight < ? "
        "ORDER BY {order} LIMIT ?",
        pred=pred,
        order=order,
    )
    df = ws.query_df(sql, [float(low), float(high), int(limit)])
    if sample:
        df = df.sort_values("match_weight", ascending=False, ignore_index=True)
    return order_columns(df)


# ------------------------------------------------------------------------------ review
def review_sample(
    ws: Workspace,
    model_id: str,
    strategy: Literal["near_threshold", "across_bands"],
    n: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Pairs to label clerically, leaving out pairs labelled already.

    Args:
        ws: The workspace.
        model_id: The model.
        strategy: ``near_threshold`` picks pairs whose match probability is closest to the
            model's threshold (the ones a reviewer helps most with); ``across_bands`` spreads
            the sample over ten equal-width match-weight bands from the lowest to the highest
            stored weight (a picture of every kind of pair).
        n: How many pairs.
        seed: Another seed gives another, equally repeatable, sample.

    Returns:
        Prediction rows (all columns) with a ``band`` column (1 lowest to 10 for
        ``across_bands``, 0 for ``near_threshold``): for ``near_threshold`` the pair nearest
        the threshold first, for ``across_bands`` the highest weight first.

    Raises:
        LinkageError: For an unknown strategy or a model without stored predictions.
    """
    row = get_model(ws, model_id)
    pred = require_predictions(ws, model_id)
    if strategy not in ("near_threshold", "across_bands"):
        raise LinkageError(
            f"Unknown review strategy {strategy!r}.",
            hint="Use near_threshold or across_bands.",
        )
    threshold = model_threshold(row)
    unlabelled = unlabelled_pairs(pred)
    shuffle = Sql("hash(unique_id_l, unique_id_r, source_dataset_l, source_dataset_r, ?)")
    if strategy == "near_threshold":
        # The n pairs nearest the threshold, nearest first; the seed only breaks ties (many
        # pairs share a probability). Taking a wider pool and shuffling it once put pairs far
        # from the threshold (probability 1.000 against 0.9) first on small sets.
        sql = compose(
            "SELECT *, 0 AS band FROM ({unlabelled}) "
            "ORDER BY abs(match_probability - ?), {shuffle} LIMIT ?",
            unlabelled=unlabelled,
            shuffle=shuffle,
        )
        df = ws.query_df(sql, [threshold, int(seed), int(n)])
        df = df.assign(_distance=(df["match_probability"] - threshold).abs())
        df = df.sort_values(["_distance", "match_weight"], ascending=[True, False], kind="stable")
        return order_columns(df.drop(columns="_distance").reset_index(drop=True))
    else:
        per_band = max(1, math.ceil(int(n) / 10))
        banded = compose(
            "SELECT *, least(10, 1 + floor(10 * (match_weight - lo) / greatest(hi - lo, 1e-9))) "
            "::INTEGER AS band FROM (SELECT *, min(match_weight) OVER () AS lo, "
            "max(match_weight) OVER () AS hi FROM ({unlabelled}))",
            unlabelled=unlabelled,
        )
        sql = compose(
            "SELECT * EXCLUDE (rn, lo, hi) FROM (SELECT *, row_number() OVER (PARTITION BY "
            "band ORDER BY {shuffle}) rn FROM ({banded})) WHERE rn <= ? "
            "ORDER BY rn, band DESC LIMIT ?",
            shuffle=shuffle,
            banded=banded,
        )
        df = ws.query_df(sql, [int(seed), per_band, int(n)])
    df = df.sort_values("match_weight", ascending=False, ignore_index=True)
    return order_columns(df)
