"""The model health check: each check on a small real model (or a real model JSON edited the
way plain Splink or a hand edit leaves it), and the report's round trip."""

from __future__ import annotations

import copy
import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkage.model.model_spec import BlockingRuleSpec, ComparisonSpec, ModelSpec, TrainingPlan
from linkage.model.train import TrainedModel, restore_parameter_history, train_model
from linkage.quality import findings as health_findings
from linkage.quality import health, recall, redundancy
from linkage.quality.cluster_checks import check_clusters
from linkage.quality.findings import Finding, HealthReport
from linkage.quality.health import check_model
from linkage.quality.weight_checks import check_levels
from linkage.service import load_model_json
from linkage.synthetic import make_people

logging.getLogger("splink").setLevel(logging.ERROR)

MALE_NAMES = 50  # make_people's first-name pool lists 50 boys' names, then girls'


def _people(n: int, seed: int) -> list[pd.DataFrame]:
    """make_people with sex following the first name, a birth year and a town (postcode area)."""
    from linkage import synthetic

    boys = set(synthetic._FIRST[:MALE_NAMES])
    out = []
    for frame in make_people(n, seed=seed):
        f = frame.copy()
        f["sex"] = np.where(f["first_name"].isin(boys), "M", "F")
        f.loc[f["first_name"].isna(), "sex"] = None
        f["birth_year"] = pd.to_datetime(f["dob"]).dt.year.astype("Int64")
        f["town"] = f["postcode"].str.extract(r"^([A-Z]+)")[0]
        out.append(f)
    return out


def _spec(extra: list[ComparisonSpec], rules: list[list[str]] | None = None) -> ModelSpec:
    comparisons = [
        ComparisonSpec(
            "first_name", "name", term_frequency_adjustments=True, swap_column="surname"
        ),
        ComparisonSpec(
            "surname", "surname", term_frequency_adjustments=True, swap_column="first_name"
        ),
        ComparisonSpec("dob", "dob"),
        ComparisonSpec("sex", "exact"),
        ComparisonSpec("postcode", "postcode"),
        *extra,
    ]
    blocking = [
        BlockingRuleSpec(e)
        for e in rules
        or [["first_name", "surname"], ["dob"], ["postcode"], ["surname", "year(dob)"]]
    ]
    return ModelSpec(
        link_type="link_and_dedupe",
        comparisons=comparisons,
        blocking_rules=blocking,
        training=TrainingPlan(
            prior_rules=[BlockingRuleSpec(["first_name", "surname", "dob"])],
            u_max_pairs=1e6,
            em_rules=[BlockingRuleSpec(["dob"]), BlockingRuleSpec(["first_name", "surname"])],
        ),
    )


@pytest.fixture(scope="module")
def people() -> list[pd.DataFrame]:
    return _people(6000, seed=4)


@pytest.fixture(scope="module")
def frames(people: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The inputs without the truth column."""
    return [f.drop(columns=["person_id"]) for f in people]


@pytest.fixture(scope="module")
def model(frames: list[pd.DataFrame]) -> TrainedModel:
    """A sound model: names, date of birth, sex and postcode, four blocking rules."""
    return train_model(frames, _spec([ComparisonSpec("pnc_id", "identifier")]))


@pytest.fixture(scope="module")
def settings(model: TrainedModel) -> dict[str, Any]:
    return model.settings_dict()


def _comparison(settings: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in settings["comparisons"] if c["output_column_name"] == name)


def _level(settings: dict[str, Any], name: str, label_start: str) -> dict[str, Any]:
    levels = _comparison(settings, name)["comparison_levels"]
    return next(lv for lv in levels if str(lv.get("label_for_charts", "")).startswith(label_start))


def _loaded(settings: dict[str, Any], frames: list[pd.DataFrame]) -> TrainedModel:
    return load_model_json(settings, frames)


def _found(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


# --------------------------------------------------------------------------- trained weights
def test_sound_model_has_no_weight_problems(model: TrainedModel) -> None:
    problems = [f for f in check_levels(model) if f.severity != health_findings.INFO]
    assert not _found(problems, "order") and not _found(problems, "extreme"), problems


def test_untrained_level_left_at_splinks_default(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    _level(edited, "postcode", "Exact match on district").pop("m_probability")
    findings = _found(check_levels(_loaded(edited, frames)), "untrained")
    assert [(f.severity, f.comparison, f.level) for f in findings] == [
        (health_findings.WARNING, "postcode", "Exact match on district")
    ]
    assert "default" in findings[0].message and findings[0].advice


def test_untrained_level_with_an_extreme_weight_is_one_serious_finding(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    level = _level(edited, "postcode", "Exact match on district")
    level.pop("u_probability")
    level["m_probability"] = 1e-13
    findings = [f for f in check_levels(_loaded(edited, frames)) if f.comparison == "postcode"]
    assert [(f.check, f.severity, f.level) for f in findings] == [
        ("untrained", health_findings.SERIOUS, "Exact match on district")
    ]


def test_comparison_with_no_trained_level_is_serious(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    for level in _comparison(edited, "sex")["comparison_levels"]:
        level.pop("m_probability", None)
    findings = _found(check_levels(_loaded(edited, frames)), "untrained")
    assert [(f.severity, f.comparison) for f in findings] == [(health_findings.SERIOUS, "sex")]


def test_level_filled_from_neighbours_is_a_note(settings, frames) -> None:
    model = _loaded(settings, frames)
    history = [
        {
            "comparison": "postcode",
            "comparison_vector_value": 3,
            "m_or_u": "m",
            "probability": "level not observed in training dataset",
            "description": 'EM, blocked on: l."dob" = r."dob"',
        },
        {
            "comparison": "postcode",
            "comparison_vector_value": 3,
            "m_or_u": "m",
            "probability": 0.01,
            "description": "set between neighbouring levels",
        },
    ]
    assert restore_parameter_history(model.linker, history) == 2
    findings = _found(check_levels(model), "untrained")
    assert [(f.severity, f.comparison) for f in findings] == [(health_findings.INFO, "postcode")]


def test_closer_level_weighing_less_than_a_looser_one(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    exact = _level(edited, "surname", "Exact match on surname")
    looser = _level(edited, "surname", "Jaro-Winkler distance of surname >= 0.88")
    exact["m_probability"], exact["u_probability"] = 0.8, 0.2
    looser["m_probability"], looser["u_probability"] = 0.05, 0.0001
    findings = _found(check_levels(_loaded(edited, frames)), "order")
    assert [(f.comparison, f.level) for f in findings] == [("surname", "Exact match on surname")]
    assert findings[0].severity == health_findings.SERIOUS
    assert "0.88" in findings[0].message


def test_order_check_leaves_out_swaps_and_small_gaps(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    swap = _level(edited, "first_name", "Matches the other record")
    swap["m_probability"], swap["u_probability"] = 0.5, 1e-6
    exact = _level(edited, "dob", "Exact match on date")
    typo = _level(edited, "dob", "One character different")
    typo["m_probability"] = typo["u_probability"] * 2 ** (
        np.log2(exact["m_probability"] / exact["u_probability"]) + 0.3
    )
    assert not _found(check_levels(_loaded(edited, frames)), "order")


def test_extreme_weights(settings, frames) -> None:
    edited = copy.deepcopy(settings)
    _level(edited, "pnc_id", "Exact match on pnc_id")["u_probability"] = 1e-12
    other = _level(edited, "dob", "All other")
    other["m_probability"] = 1e-13
    findings = _found(check_levels(_loaded(edited, frames)), "extreme")
    assert {(f.comparison, f.level) for f in findings} == {
        ("pnc_id", "Exact match on pnc_id"),
        ("dob", "All other comparisons"),
    }
    assert all(f.severity == health_findings.SERIOUS for f in findings)
    assert any("alone links" in f.message for f in findings)
    assert any("keeps two records apart" in f.message for f in findings)


def _session_history(first: float, second: float) -> list[dict[str, Any]]:
    return [
        {
            "comparison": "postcode",
            "comparison_vector_value": 4,
            "m_or_u": "m",
            "probability": value,
            "description": description,
        }
        for value, description in (
            (first, 'EM, blocked on: l."dob" = r."dob"'),
            (second, 'EM, blocked on: (l."first_name" = r."first_name") AND (l."surname" = ...'),
        )
    ]


def test_sessions_that_disagree(settings, frames) -> None:
    model = _loaded(settings, frames)
    restore_parameter_history(model.linker, _session_history(0.9, 0.3))
    findings = _found(check_levels(model), "sessions")
    assert [(f.severity, f.comparison, f.level) for f in findings] == [
        (health_findings.SERIOUS, "postcode", "Exact match on full postcode")
    ]
    assert "blocked on dob" in findings[0].message
    assert "first_name + surname" in findings[0].message

    restore_parameter_history(model.linker, _session_history(0.8, 0.74))
    assert not _found(check_levels(model), "sessions")


# ------------------------------------------------------------------- redundant comparisons
@pytest.fixture(scope="module")
def redundant_model(frames: list[pd.DataFrame]) -> TrainedModel:
    extra = [ComparisonSpec("birth_year", "exact"), ComparisonSpec("town", "exact")]
    return train_model(frames, _spec(extra))


@pytest.fixture(scope="module")
def redundant_report(redundant_model: TrainedModel) -> tuple[HealthReport, list[tuple[str, float]]]:
    """The health check of the redundant model, and the progress it reported."""
    steps: list[tuple[str, float]] = []
    report = check_model(redundant_model, progress=lambda m, f: steps.append((m, f)))
    return report, steps


@pytest.fixture(scope="module")
def sound_report(model: TrainedModel) -> HealthReport:
    """The health check of the sound model."""
    return check_model(model)


def test_redundancy_table_measures_dependence(redundant_model: TrainedModel) -> None:
    table = redundancy.redundancy_table(redundant_model).set_index(["comparison_a", "comparison_b"])
    assert table.loc[("dob", "birth_year"), "ratio"] > redundancy.REDUNDANT_SERIOUS_RATIO
    town = table.loc[("postcode", "town"), "ratio"]
    assert redundancy.REDUNDANT_WARNING_RATIO < town < redundancy.REDUNDANT_SERIOUS_RATIO
    assert table.loc[("first_name", "sex"), "ratio"] < redundancy.REDUNDANT_WARNING_RATIO


def test_redundant_comparisons_are_reported(redundant_report) -> None:
    report = redundant_report[0]
    found = {f.comparison: f for f in _found(report.findings, "redundant")}
    assert found["dob + birth_year"].severity == health_findings.SERIOUS
    assert "keep dob" in found["dob + birth_year"].advice
    assert found["postcode + town"].severity == health_findings.WARNING
    assert not any("sex" in name for name in found), found


def test_no_redundancy_in_a_sound_model(sound_report: HealthReport) -> None:
    assert not _found(sound_report.findings, "redundant")


# ------------------------------------------------------------------------ blocking recall
def _true_recall(model: TrainedModel, people: list[pd.DataFrame]) -> float:
    truth = pd.concat(people, ignore_index=True)[["source_dataset", "unique_id", "person_id"]]
    rules = " OR ".join(
        f"({r['blocking_rule']})"
        for r in model.settings_dict()["blocking_rules_to_generate_predictions"]
    )
    con = model.data.connection()
    try:
        con.register("truth", truth)
        con.execute(
            "CREATE TABLE t AS SELECT r.*, truth.person_id FROM records r JOIN truth "
            "USING (source_dataset, unique_id)"
        )
        sql = (
            f"SELECT avg(CASE WHEN {rules} THEN 1.0 ELSE 0.0 END) FROM t l JOIN t r "
            "ON l.person_id = r.person_id "
            "AND l.source_dataset || '/' || l.unique_id < r.source_dataset || '/' || r.unique_id"
        )
        return float(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


def test_blocking_recall_of_a_sound_model(
    model: TrainedModel, people, sound_report: HealthReport
) -> None:
    estimate = recall.estimate_blocking_recall(model)
    assert estimate.recall is not None and estimate.recall >= recall.RECALL_WARNING
    assert abs(estimate.recall - _true_recall(model, people)) < 0.05
    findings = _found(sound_report.findings, "blocking_recall")
    assert [f.severity for f in findings] == [health_findings.INFO]


def test_narrow_blocking_is_serious(settings, frames, people) -> None:
    # The sound model's trained weights with one narrow rule to find pairs (blocking rules
    # decide which pairs are scored, not the weights) and without the identifier comparison.
    edited = copy.deepcopy(settings)
    edited["comparisons"] = [
        c for c in edited["comparisons"] if c["output_column_name"] != "pnc_id"
    ]
    narrow_rule = BlockingRuleSpec(["first_name", "surname", "dob"]).to_splink()
    edited["blocking_rules_to_generate_predictions"] = [
        narrow_rule.create_blocking_rule_dict("duckdb")
    ]
    narrow = _loaded(edited, frames)
    estimate = recall.estimate_blocking_recall(narrow)
    assert estimate.recall is not None
    assert abs(estimate.recall - _true_recall(narrow, people)) < 0.15
    findings = _found(check_model(narrow).findings, "blocking_recall")
    assert [f.severity for f in findings] == [health_findings.SERIOUS]
    assert "add a blocking rule" in findings[0].advice


# ------------------------------------------------------------------------------- clusters
def _graph(edges: list[tuple[int, int, float]], n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs and clusters (connected components at 0.9) of a small hand-drawn graph."""
    from linkage.model.predict import cluster_at_threshold

    nodes = pd.DataFrame({"source_dataset": "a", "unique_id": [str(i) for i in range(n)]})
    pairs = pd.DataFrame(
        {
            "source_dataset_l": "a",
            "unique_id_l": [str(a) for a, _, _ in edges],
            "source_dataset_r": "a",
            "unique_id_r": [str(b) for _, b, _ in edges],
            "match_weight": [w for _, _, w in edges],
        }
    )
    pairs["match_probability"] = 1 / (1 + 2 ** (-pairs["match_weight"]))
    return pairs, cluster_at_threshold(pairs, nodes, 0.9)


def _pairs_of_two(start: int, count: int) -> list[tuple[int, int, float]]:
    return [(start + 2 * k, start + 2 * k + 1, 12.0) for k in range(count)]


def test_cluster_far_larger_than_the_rest() -> None:
    chain = [(i, i + 1, 10.0) for i in range(59)]
    pairs, clusters = _graph(chain + _pairs_of_two(60, 30), 120)
    findings = check_clusters(pairs, clusters, 0.9)
    large = _found(findings, "large_clusters")
    assert [f.severity for f in large] == [health_findings.SERIOUS]
    assert "60 records" in large[0].message

    pairs, clusters = _graph(_pairs_of_two(0, 30), 60)
    assert not check_clusters(pairs, clusters, 0.9)


def test_large_tightly_knit_cluster_is_a_note_not_a_problem() -> None:
    # One person with 60 records, every pair of them linked directly (a repeat offender).
    clique = [(i, j, 15.0) for i in range(60) for j in range(i + 1, 60)]
    pairs, clusters = _graph(clique + _pairs_of_two(60, 30), 120)
    large = _found(check_clusters(pairs, clusters, 0.9), "large_clusters")
    assert [f.severity for f in large] == [health_findings.INFO]
    assert "tightly knit" in large[0].message


def _triangles(link_weight: float) -> list[tuple[int, int, float]]:
    strong = [(0, 1, 12.0), (1, 2, 12.0), (0, 2, 12.0), (3, 4, 12.0), (4, 5, 12.0), (3, 5, 12.0)]
    return [*strong, (2, 3, link_weight)]


def test_cluster_held_together_by_one_weak_link() -> None:
    pairs, clusters = _graph(_triangles(4.0), 6)
    findings = check_clusters(pairs, clusters, 0.9)
    weak = _found(findings, "weak_links")
    assert [f.severity for f in weak] == [health_findings.WARNING]
    assert "6 records" in weak[0].message
    assert _found(check_clusters(pairs, clusters), "weak_links"), "threshold inferred"

    pairs, clusters = _graph(_triangles(12.0), 6)
    assert not check_clusters(pairs, clusters, 0.9)
    pairs, clusters = _graph([*_triangles(4.0), (1, 4, 4.5)], 6)
    assert not check_clusters(pairs, clusters, 0.9), "two weak links: no single one splits it"


def test_check_model_reads_pairs_and_clusters(model: TrainedModel) -> None:
    chain = [(i, i + 1, 10.0) for i in range(59)]
    pairs, clusters = _graph(chain + _pairs_of_two(60, 30), 120)
    report = check_model(model, pairs, clusters, threshold=0.9)
    assert _found(report.findings, "large_clusters")
    assert not report.ok


# ------------------------------------------------------------------------------- the report
def test_report_round_trip_and_order(redundant_report) -> None:
    report, steps = redundant_report
    assert steps[0][1] == 0.0 and steps[-1][1] == 1.0
    order = [health_findings.SEVERITIES.index(f.severity) for f in report.findings]
    assert order == sorted(order)
    assert report.serious and not report.ok
    again = HealthReport.from_dict(report.to_dict())
    assert again.findings == report.findings
    assert again.summary() == report.summary() and "serious problem" in report.summary()
    assert health_findings.saved_report({"health": report.to_dict()}).findings == report.findings
    assert health_findings.saved_report({"threshold": 0.9}) is None
    assert list(report.table().columns) == ["severity", "comparison", "level", "message", "advice"]
    assert "blocking_recall" in report.measures
    assert HealthReport().summary() == "No problems found"


def test_a_failing_check_is_a_note_not_an_error(model: TrainedModel, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no such function: jaro_winkler_similarity")

    monkeypatch.setattr(health, "redundancy_table", broken)
    report = check_model(model)
    notes = _found(report.findings, "not_run")
    assert len(notes) == 1 and "jaro_winkler_similarity" in notes[0].message
    assert _found(report.findings, "blocking_recall")
