"""The linkage benchmark suite's scorer against values worked out by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "linkage_score.py"
_spec = importlib.util.spec_from_file_location("bench_linkage_score", _PATH)
assert _spec and _spec.loader
score = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(score)

# Six records: truth a a a b b c; predicted clusters {0, 1}, {2, 3, 4}, {5}.
# Pairwise: true pairs 3 (a) + 1 (b) = 4; predicted pairs 1 + 3 = 4; right ones (0, 1) and
# (3, 4) = 2, so precision = recall = F1 = 0.5.
# B-cubed precision per record: 1, 1, 1/3, 2/3, 2/3, 1 -> 14/3 / 6 = 7/9; recall per record:
# 2/3, 2/3, 1/3, 1, 1, 1 -> 7/9.
TRUTH = ["a", "a", "a", "b", "b", "c"]
PRED = ["1", "1", "2", "2", "2", "3"]


def test_pairwise_and_bcubed_by_hand() -> None:
    m = score.score_clusters(pd.Series(PRED), pd.Series(TRUTH))
    assert m["pairwise_precision"] == pytest.approx(0.5)
    assert m["pairwise_recall"] == pytest.approx(0.5)
    assert m["pairwise_f1"] == pytest.approx(0.5)
    assert m["bcubed_precision"] == pytest.approx(7 / 9)
    assert m["bcubed_recall"] == pytest.approx(7 / 9)
    assert m["bcubed_f1"] == pytest.approx(7 / 9)
    assert (m["n_records"], m["n_clusters"], m["largest_cluster"]) == (6, 3, 3)


def test_uneven_precision_and_recall() -> None:
    # Everything in one cluster: predicted pairs 15, right 4 -> precision 4/15, recall 1.
    # B-cubed precision: (3 * 3/6 + 2 * 2/6 + 1 * 1/6) / 6 = 14/36; recall 1.
    m = score.score_clusters(pd.Series(["x"] * 6), pd.Series(TRUTH))
    assert m["pairwise_precision"] == pytest.approx(4 / 15)
    assert m["pairwise_recall"] == pytest.approx(1.0)
    assert m["pairwise_f1"] == pytest.approx(2 * (4 / 15) / (4 / 15 + 1))
    assert m["bcubed_precision"] == pytest.approx(14 / 36)
    assert m["bcubed_recall"] == pytest.approx(1.0)


def test_missing_cluster_ids_are_singletons() -> None:
    # All singletons: no predicted pairs (precision 1 by convention), recall 0.
    m = score.score_clusters(pd.Series([None] * 6, dtype=object), pd.Series(TRUTH))
    assert m["pairwise_precision"] == 1.0
    assert m["pairwise_recall"] == 0.0
    assert m["pairwise_f1"] == 0.0
    assert m["bcubed_precision"] == pytest.approx(1.0)
    assert m["bcubed_recall"] == pytest.approx((1 / 3 * 3 + 1 / 2 * 2 + 1) / 6)
    assert m["n_clusters"] == 6


def test_score_against_truth_table_checks_records() -> None:
    truth = pd.DataFrame(
        {"source_dataset": ["s"] * 6, "unique_id": [str(i) for i in range(6)], "truth": TRUTH}
    )
    out = pd.DataFrame({"unique_id": list(range(6))[::-1], "cluster_id": PRED[::-1]})
    assert score.score_against(out, truth)["pairwise_f1"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="lacks 1"):
        score.score_against(out.iloc[1:], truth)
    with pytest.raises(ValueError, match="repeats"):
        score.score_against(pd.concat([out, out.iloc[:1]]), truth)
    with_truth = pd.DataFrame({"cluster_id": PRED, "person": TRUTH})
    assert score.score_with_truth_column(with_truth, "person")["bcubed_f1"] == pytest.approx(7 / 9)
