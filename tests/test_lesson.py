"""The linkage lesson's steps: every number from real Splink runs on the lesson slice."""

from __future__ import annotations

import pytest

from linkage.lesson import models as lesson_models
from linkage.lesson.course import exercise_pairs, mark_exercise
from linkage.lesson.models import BLOCKING_CHOICES, lesson_data, trained
from linkage.lesson.pieces import explain_pair
from linkage.lesson.steps import (
    step_blocking,
    step_clusters,
    step_exact_match,
    step_levels,
    step_m_u,
    step_threshold,
)
from workbench.errors import LinkageError


@pytest.fixture(autouse=True)
def _no_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lesson_models, "WARM_UP_ENABLED", False)


def test_lesson_data_is_a_small_deterministic_slice_with_truth() -> None:
    data = lesson_data()
    assert data.prepared.names == ["police", "courts"]
    assert 300 <= data.prepared.n_records <= 800
    assert data.truth["truth"].notna().all()
    assert data.n_true_pairs > 100
    assert "person_id" not in data.records.columns
    first = data.records["unique_id"].tolist()
    lesson_data.cache_clear()
    assert lesson_data().records["unique_id"].tolist() == first


def test_exact_matching_recall_is_below_the_models() -> None:
    result = step_exact_match(["first_name", "surname", "dob"])
    assert result.exact.recall < result.model.recall
    assert result.exact.precision == pytest.approx(1.0, abs=0.02)
    assert not result.missed.empty
    assert (result.missed["what_differs"] != "no difference").all()
    looser = step_exact_match(["surname", "dob"])
    assert looser.exact.recall > result.exact.recall
    with pytest.raises(LinkageError):
        step_exact_match([])


def test_m_and_u_come_from_the_trained_model() -> None:
    result = step_m_u("dob")
    exact = result.levels.iloc[0]
    assert exact["m_probability"] > 0.8
    assert exact["u_probability"] < 0.05
    assert exact["match_weight"] > 0
    assert result.without_it.f1 < result.with_it.f1
    assert len(result.changed) > 0


def test_lowering_the_name_threshold_raises_recall() -> None:
    strict = step_levels(0.92)
    loose = step_levels(0.8)
    assert loose.scores.recall > strict.scores.recall
    close = loose.levels[loose.levels["level"].str.contains("0.8")]
    close_strict = strict.levels[strict.levels["level"].str.contains("0.92")]
    assert close["match_weight"].iloc[0] < close_strict["match_weight"].iloc[0]


def test_more_blocking_rules_raise_recall_and_comparisons() -> None:
    one = step_blocking(["surname + dob"])
    many = step_blocking(list(BLOCKING_CHOICES))
    assert many.comparisons > one.comparisons
    assert many.blocking_recall > one.blocking_recall
    assert many.scores.recall >= one.scores.recall
    assert one.comparisons < one.all_pairs
    spec = many.chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    names = list(BLOCKING_CHOICES.values())
    assert [r["rule"] for r in rows] == [names[0], *(f"+ {n}" for n in names[1:])]
    bars = spec["layer"][0]["encoding"]["y"]
    assert bars["axis"]["labelLimit"] >= 8 * max(len(r["rule"]) for r in rows), "names not cut"


def test_raising_the_threshold_trades_recall_for_precision() -> None:
    low = step_threshold(1.0, 0.1)
    high = step_threshold(1.0, 0.95)
    assert high.scores.precision >= low.scores.precision
    assert high.scores.recall < low.scores.recall
    bigger_prior = step_threshold(100.0, 0.5)
    assert bigger_prior.prior > step_threshold(1.0, 0.5).prior


def test_changed_pairs_are_exactly_those_crossing_the_threshold() -> None:
    base = trained()
    result = step_threshold(1.0, 0.95)
    probs = base.pairs.set_index("pair_key")["match_probability"]
    crossing = set(probs[(probs >= 0.5) & (probs < 0.95)].index)
    assert set(result.changed["pair_key"]) == crossing
    assert not result.changed["linked_after"].any()
    lost = result.changed[result.changed["is_match"]]
    assert (lost["change"] == "No longer linked: a true match lost").all()
    assert result.scores.tp == result.baseline.tp - len(lost)
    chart = explain_pair([base], result.changed["pair_key"].iloc[0])
    assert chart.to_dict()


def test_clusters_show_over_merging_when_the_threshold_is_low() -> None:
    low = step_clusters(0.05)
    high = step_clusters(0.95)
    assert low.n_clusters < high.n_clusters
    assert low.metrics["pairwise_recall"] >= high.metrics["pairwise_recall"]
    assert not high.split.empty
    assert high.split["true_person"].nunique() == 1


def test_exercise_pairs_are_marked_against_model_and_truth() -> None:
    pairs = exercise_pairs()
    assert len(pairs) >= 4
    assert {p.is_match for p in pairs} == {True, False}
    answers = {p.pair_key: p.is_match for p in pairs}
    result = mark_exercise(answers)
    assert result.learner_correct == len(pairs)
    assert result.model_correct == int(result.table["model_right"].sum())
    assert result.model_correct < len(pairs)


def test_a_deployment_can_switch_the_warm_up_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench import config

    monkeypatch.setattr(lesson_models, "WARM_UP_ENABLED", True)
    ran: list[int] = []
    monkeypatch.setenv(config.ENV_LESSON_WARM_UP, "off")
    assert lesson_models.start_warm_up([lambda: ran.append(1)]) is None
    monkeypatch.setenv(config.ENV_LESSON_WARM_UP, "on")
    thread = lesson_models.start_warm_up([lambda: ran.append(2)])
    assert thread is not None
    thread.join(timeout=30)
    assert ran == [2]
    assert config.lesson_warm_up({}) and not config.lesson_warm_up(
        {"WORKBENCH_LESSON_WARM_UP": "0"}
    )
