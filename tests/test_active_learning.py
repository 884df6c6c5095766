"""Active learning for review and labels that teach: selection, estimates, m and threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkage.clusters.registry import get_model
from linkage.model.datasets import mark_truth_column, suggest_for_datasets
from linkage.model.linkers import stored_predictions
from linkage.model.runs import train_and_save
from linkage.review import active
from linkage.review.labels import save_label
from linkage.review.relearn import relearn_m, relearn_m_from_review
from linkage.review.session import next_pairs
from linkage.review.teach import teach_model
from linkage.service import load_model_json
from linkage.synthetic import make_people
from tests.test_app_linkage import ROLES
from workbench.data.writing import import_frame
from workbench.errors import LinkageError
from workbench.persons.roles import save_roles
from workbench.workspace import Workspace


def _pairs(rows: list[tuple[str, str, float, tuple[int, ...]]]) -> pd.DataFrame:
    """Scored pairs: (left id, right id, match weight, gamma levels)."""
    out = []
    for left, right, weight, gammas in rows:
        row = {
            "source_dataset_l": "a",
            "unique_id_l": left,
            "source_dataset_r": "b",
            "unique_id_r": right,
            "match_weight": weight,
            "match_probability": 1 / (1 + 2**-weight),
        }
        row.update({f"gamma_{i}": g for i, g in enumerate(gammas)})
        out.append(row)
    return pd.DataFrame(out)


def _labels(pairs: pd.DataFrame, values: dict[str, int | None]) -> pd.DataFrame:
    chosen = pairs[pairs["unique_id_l"].isin(values)]
    cols = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
    return chosen[cols].assign(label=[values[u] for u in chosen["unique_id_l"]])


# threshold 0.5 -> weight 0; pattern A is common and near it, B and C further away.
PAIRS = _pairs(
    [
        ("a1", "b1", 0.1, (2, 1)),
        ("a2", "b2", -0.2, (2, 1)),
        ("a3", "b3", 0.3, (2, 1)),
        ("a4", "b4", 0.4, (2, 1)),
        ("c1", "d1", 1.0, (1, 1)),
        ("c2", "d2", -1.5, (1, 1)),
        ("e1", "f1", 1.8, (0, 2)),
        ("g1", "h1", 9.0, (3, 2)),
        ("k1", "l1", -3.9, (0, 0)),
    ]
)


def test_selection_spreads_over_patterns_nearest_the_threshold_first() -> None:
    chosen = active.select_pairs(PAIRS, None, threshold=0.5, n=4)
    # The most uncertain pair of each pattern before any pattern's second pair.
    assert chosen["unique_id_l"].tolist() == ["a1", "c1", "e1", "a2"]
    assert chosen["pattern"].tolist() == ["2,1", "1,1", "0,2", "2,1"]
    assert chosen["uncertainty"].iloc[0] == pytest.approx(0.1)
    # Uncertainty alone would have taken pattern A four times.
    plain = active.select_pairs(PAIRS, None, threshold=0.5, n=4, diversity=0.0)
    assert plain["pattern"].tolist() == ["2,1", "2,1", "2,1", "2,1"]


def test_selection_leaves_out_labelled_and_skipped_pairs_and_moves_on() -> None:
    labels = _labels(PAIRS, {"a1": 1, "c1": None})
    skip = [active.pair_id(PAIRS.iloc[6])]  # e1
    chosen = active.select_pairs(PAIRS, labels, threshold=0.5, n=3, skip=skip)
    ids = chosen["unique_id_l"].tolist()
    assert not {"a1", "c1", "e1"} & set(ids)
    # Pattern A already has a match label, so its next pair waits behind pattern B's.
    assert ids[0] == "c2"
    assert chosen.loc[chosen["unique_id_l"] == "a2", "pattern_labels"].item() == 1
    # The pair ids are the same whichever record is on the left.
    swapped = PAIRS.iloc[[0]].rename(
        columns={
            "source_dataset_l": "source_dataset_r",
            "source_dataset_r": "source_dataset_l",
            "unique_id_l": "unique_id_r",
            "unique_id_r": "unique_id_l",
        }
    )
    assert active.pair_id(swapped.iloc[0]) == active.pair_id(PAIRS.iloc[0])


def test_selection_near_another_threshold_starts_there() -> None:
    chosen = active.select_pairs(PAIRS, None, threshold=1 / (1 + 2**-9), n=1)
    assert chosen["unique_id_l"].tolist() == ["g1"]


def test_labels_move_the_estimates_of_their_pattern() -> None:
    before = active.estimate_quality(PAIRS, None, threshold=0.5)
    # Pattern A's pairs above the threshold are labelled non-matches: precision must fall,
    # and the unlabelled pair of that pattern is pulled towards non-match too.
    labels = _labels(PAIRS, {"a1": 0, "a3": 0})
    after = active.estimate_quality(PAIRS, labels, threshold=0.5)
    assert after.precision < before.precision
    assert (after.n_labels, after.n_matches) == (2, 0)
    post = active.posteriors(PAIRS, labels)
    p = PAIRS["match_probability"].to_numpy()
    assert post[0] == 0 and post[2] == 0
    assert post[3] < p[3]  # a4: same pattern, unlabelled
    assert post[4] == pytest.approx(p[4])  # c1: another pattern, untouched


def test_threshold_from_labels_moves_above_labelled_non_matches() -> None:
    # Pairs between weights 0 and 1 are labelled non-matches; pairs above 2 are matches.
    rows = [(f"x{i}", f"y{i}", w, (i % 3, 1)) for i, w in enumerate(np.linspace(-3, 8, 23))]
    pairs = _pairs(rows)
    truth = {
        u: int(w >= 2) for u, w in zip(pairs["unique_id_l"], pairs["match_weight"], strict=True)
    }
    labels = _labels(pairs, truth)
    choice = active.threshold_from_labels(pairs, labels)
    weight = active.weight_of(choice.threshold)
    assert 1.0 <= weight <= 2.0 + 1e-9
    assert choice.estimate.precision == pytest.approx(1.0) and choice.estimate.f1 > 0.99
    assert "23 labels" in choice.reason
    strict = active.threshold_from_labels(pairs, labels, target_precision=1.0)
    assert strict.estimate.precision == pytest.approx(1.0)
    assert "at least 100%" in strict.reason


def test_m_re_estimated_from_labels_moves_towards_the_truth() -> None:
    frames = make_people(600, seed=3, n_datasets=2)
    frames = [f.drop(columns=["person_id"]) for f in frames]
    truth = pd.concat(make_people(600, seed=3, n_datasets=2))
    settings = _settings()
    model = load_model_json(settings, frames)
    both = truth.merge(truth, on="person_id", suffixes=("_l", "_r"))
    both = both[both["source_dataset_l"] < both["source_dataset_r"]]
    matches = both[["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]]
    table = relearn_m(model, matches.head(40), prior_pairs=20)
    exact = table[(table["comparison"] == "surname") & (table["level"] == 1)].iloc[0]
    # The starting m (0.5) was far from what labelled matches show (about 0.9 agree exactly).
    assert exact["m_labels"] > 0.8
    assert exact["m_before"] < exact["m_after"] < exact["m_labels"]
    assert table.groupby("comparison")["m_after"].sum().to_numpy() == pytest.approx(1.0)
    # The linker itself now holds the new values.
    levels = model.linker._settings_obj.comparisons[0]._comparison_levels_excluding_null
    assert levels[0].m_probability == pytest.approx(exact["m_after"])
    # With labels alone (no pooling) m is the labels' estimate.
    alone = relearn_m(load_model_json(settings, frames), matches, prior_pairs=0)
    row = alone[(alone["comparison"] == "surname") & (alone["level"] == 1)].iloc[0]
    assert row["m_after"] == pytest.approx(row["m_labels"])
    with pytest.raises(LinkageError, match="match"):
        relearn_m(model, matches.head(0))


def _review_pairs() -> pd.DataFrame:
    """Scored pairs of :func:`_settings`'s model: 40 confident matches agreeing on both names,
    and 10 borderline pairs agreeing on the first name only."""
    rows = [(f"s{i}", f"t{i}", 0.99, 1, 1) for i in range(40)]
    rows += [(f"u{i}", f"v{i}", 0.5, 0, 1) for i in range(10)]
    return pd.DataFrame(
        {
            "source_dataset_l": "police",
            "unique_id_l": [r[0] for r in rows],
            "source_dataset_r": "courts",
            "unique_id_r": [r[1] for r in rows],
            "match_probability": [r[2] for r in rows],
            "gamma_surname": [r[3] for r in rows],
            "gamma_first_name": [r[4] for r in rows],
        }
    )


def test_m_from_review_labels_is_not_biased_by_which_pairs_were_offered() -> None:
    """Labels on the pairs the Review page offers teach by how far they correct the model, not
    as a sample of matches: labels confirming confident matches move no m, and borderline
    matches that disagree on surname make surname disagreement weigh less without erasing the
    evidence of surnames that agree."""
    frames = [f.drop(columns=["person_id"]) for f in make_people(200, seed=3, n_datasets=2)]
    pairs = _review_pairs()
    ids = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]

    def surname_m(table: pd.DataFrame) -> dict[int, tuple[float, float]]:
        rows = table[table["comparison"] == "surname"]
        return {int(r.level): (r.m_before, r.m_after) for r in rows.itertuples()}

    confident = pairs.head(30)[ids].assign(label=1)
    moved = surname_m(relearn_m_from_review(load_model_json(_settings(), frames), pairs, confident))
    assert all(abs(after - before) < 0.01 for before, after in moved.values()), moved

    borderline = pairs.tail(10)[ids].assign(label=1)
    model = load_model_json(_settings(), frames)
    table = relearn_m_from_review(model, pairs, borderline)
    exact, other = surname_m(table)[1], surname_m(table)[0]
    assert other[1] > other[0] and exact[1] < exact[0]
    assert exact[1] > 0.3  # counted as a sample of matches it would fall to about 0.14
    assert table.groupby("comparison")["m_after"].sum().to_numpy() == pytest.approx(1.0)
    levels = model.linker._settings_obj.comparisons[0]._comparison_levels_excluding_null
    assert levels[0].m_probability == pytest.approx(exact[1])
    with pytest.raises(LinkageError, match="match"):
        relearn_m_from_review(model, pairs, borderline.assign(label=0))


def _settings() -> dict:
    """A hand-written Splink model with poor m values for surname."""

    def level(sql: str, label: str, m: float, u: float, null: bool = False) -> dict:
        out = {"sql_condition": sql, "label_for_charts": label}
        if null:
            return {**out, "is_null_level": True}
        return {**out, "m_probability": m, "u_probability": u}

    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "source_dataset_column_name": "source_dataset",
        "probability_two_random_records_match": 0.001,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": "l.dob = r.dob", "sql_dialect": "duckdb"}
        ],
        "comparisons": [
            {
                "output_column_name": "surname",
                "comparison_levels": [
                    level('"surname_l" IS NULL OR "surname_r" IS NULL', "null", 0, 0, True),
                    level('"surname_l" = "surname_r"', "exact", 0.5, 0.01),
                    level("ELSE", "else", 0.5, 0.99),
                ],
            },
            {
                "output_column_name": "first_name",
                "comparison_levels": [
                    level('"first_name_l" IS NULL OR "first_name_r" IS NULL', "null", 0, 0, True),
                    level('"first_name_l" = "first_name_r"', "exact", 0.9, 0.02),
                    level("ELSE", "else", 0.1, 0.98),
                ],
            },
        ],
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
        "sql_dialect": "duckdb",
    }


def test_one_dataset_model_is_taught_by_labels_and_truth(ws: Workspace) -> None:
    frame = make_people(400, seed=2, n_datasets=1)[0]
    import_frame(ws, frame.drop(columns=["source_dataset"], errors="ignore"), "police")
    save_roles(ws, "police", {c: r for c, r in ROLES.items() if c in frame.columns}, True)
    mark_truth_column(ws, "police", "person_id")
    run = train_and_save(ws, ["police"], suggest_for_datasets(ws, ["police"]))
    for _, row in next_pairs(ws, run.model_id, n=3).iterrows():
        save_label(ws, run.model_id, row, 1, "ana")
    taught = teach_model(ws, run.model_id)
    assert taught.n_labels == 3 and "Taught by 3 labels" in get_model(ws, taught.model_id)["notes"]
    by_truth = teach_model(ws, run.model_id, source="truth")
    assert by_truth.n_matches > 50
    assert len(stored_predictions(ws, by_truth.model_id)) > 0


def test_among_matches_isin_on_text_keys() -> None:
    from linkage.review.active import among

    keys = np.array(["a|b", "c|d", "", "e|f", "a|b"], dtype=object)
    for wanted in ([], ["a|b"], ["c|d", "x", ""], {"e|f", "a|b", "c|d"}):
        assert among(keys, wanted).tolist() == np.isin(keys, list(wanted)).tolist()
    assert among(np.array([], dtype=object), ["a"]).tolist() == []
