"""Model suggestion, blocking budget, spec round trip and bad input."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from linkage.data import prepare_frames
from linkage.model.blocking import check_rule_within_budget, count_rule_comparisons
from linkage.model.column_profile import profile_columns
from linkage.model.model_spec import BlockingRuleSpec, ModelSpec
from linkage.model.rule_choice import LARGE_INPUT, choose_blocking, suggested_budget
from linkage.model.suggest import suggest_model
from linkage.synthetic import make_people
from workbench.errors import LinkageError


@pytest.fixture(scope="module")
def people() -> list[pd.DataFrame]:
    return make_people(1500, seed=7)


def kinds(spec: ModelSpec) -> dict[str, str]:
    return {c.column: c.kind for c in spec.comparisons}


def test_person_columns_get_person_comparisons(people):
    frames = [f.assign(urn="URN" + f["unique_id"]) for f in people]
    spec = suggest_model(frames)
    k = kinds(spec)
    assert k["first_name"] == "name" and k["surname"] == "surname"
    assert k["dob"] == "dob" and k["postcode"] == "postcode"
    assert k["pnc_id"] == "identifier" and k["sex"] == "exact"
    assert "urn" not in k and any("URN" in n for n in spec.notes)
    assert "person_id" not in spec.columns()
    first = next(c for c in spec.comparisons if c.column == "first_name")
    assert first.term_frequency_adjustments and first.swap_column == "surname"
    assert spec.link_type == "link_and_dedupe"
    em_columns = [set(r.columns()) for r in spec.training.em_rules]
    assert len(em_columns) >= 2 and not (em_columns[0] & em_columns[1])


def test_other_columns_get_generic_comparisons():
    n = 300
    df = pd.DataFrame(
        {
            "unique_id": [str(i) for i in range(n)],
            "full_name": [f"PERSON {i % 120}" for i in range(n)],
            "other_id_email": [f"p{i % 120}@example.org" for i in range(n)],
            "other_id_nino": [f"AB{i % 150:06d}C" for i in range(n)],
            "other_eye_colour": [["BLUE", "BROWN", "GREEN"][i % 3] for i in range(n)],
            "other_height": [150.0 + (i % 97) * 0.5 for i in range(n)],
            "other_arrested": [dt.date(2020, 1, 1) + dt.timedelta(days=i % 200) for i in range(n)],
            "other_empty": [None] * n,
            "other_constant": ["X"] * n,
        }
    )
    spec = suggest_model([df])
    k = kinds(spec)
    assert spec.link_type == "dedupe_only"
    assert k["full_name"] == "full_name"
    assert k["other_id_email"] == "email"
    assert k["other_id_nino"] == "identifier"
    assert k["other_eye_colour"] == "exact"
    assert k["other_height"] == "numeric"
    assert k["other_arrested"] == "date"
    assert "other_empty" not in k and "other_constant" not in k
    assert any("other_empty" in n for n in spec.notes)
    assert any("other_constant" in n for n in spec.notes)


def test_blocking_within_budget_and_several_columns(people):
    spec = suggest_model(people, budget=40_000)
    total = sum(r.estimated_comparisons for r in spec.blocking_rules)
    assert total <= 40_000
    columns = {c for r in spec.blocking_rules for c in r.columns()}
    assert {"first_name", "surname", "dob"} <= columns
    assert len(spec.blocking_rules) >= 3


def test_budget_tightens_at_scale():
    assert suggested_budget(10_000) == 2_000_000
    assert suggested_budget(LARGE_INPUT) == 50_000_000
    assert suggested_budget(1_000_000) == 20_000_000
    assert suggested_budget(10_000_000) == 50_000_000


def test_rule_cap_leaves_out_a_loose_rule(people):
    data = prepare_frames(people)
    con = data.connection()
    usable = {"first_name", "surname", "dob", "postcode", "pnc_id", "sex"}
    dob = count_rule_comparisons(con, BlockingRuleSpec(["dob"]), "link_and_dedupe")
    notes: list[str] = []
    free = choose_blocking(con, usable, "link_and_dedupe", 10**9, [])
    capped = choose_blocking(con, usable, "link_and_dedupe", 10**9, notes, rule_cap=dob - 1)
    con.close()
    assert ["dob"] in [r.expressions for r in free]
    assert ["dob"] not in [r.expressions for r in capped]
    assert all(r.estimated_comparisons < dob for r in capped)
    assert any("dob left out" in n for n in notes)
    # Without the loose rule, the precise rules it implied are kept instead.
    assert ["surname", "dob"] in [r.expressions for r in capped]


def test_profile_on_a_sample_matches_the_whole(people):
    data = prepare_frames(people)
    con = data.connection()
    whole = profile_columns(con, ["first_name", "postcode", "dob"])
    sample = profile_columns(con, ["first_name", "postcode", "dob"], sample_rows=1500)
    con.close()
    for a, b in zip(whole, sample, strict=True):
        assert a.distinct == b.distinct
        assert abs(a.completeness - b.completeness) < 0.05
        assert abs(a.top_share - b.top_share) < 0.05


def test_rule_over_budget_refused_with_estimate(people):
    data = prepare_frames(people)
    con = data.connection()
    rule = BlockingRuleSpec(["sex"])
    count = count_rule_comparisons(con, rule, "link_and_dedupe")
    n = data.n_records
    by_sex = data.combined()["sex"].value_counts()
    assert count == int(sum(v * (v - 1) // 2 for v in by_sex))
    assert count > n
    with pytest.raises(LinkageError) as err:
        check_rule_within_budget(con, rule, "link_and_dedupe", budget=1000)
    assert f"{count:,}" in str(err.value) and "1,000" in str(err.value)
    assert check_rule_within_budget(con, BlockingRuleSpec(["pnc_id"]), "link_only", 10**9) >= 0
    con.close()


def test_spec_json_round_trip_builds_splink_settings(people):
    spec = suggest_model(people)
    again = ModelSpec.from_json(spec.to_json())
    assert again == spec
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f, dataset_display_name=f["source_dataset"][0]) for f in people]
    linker = Linker(sdfs, again.to_splink_settings())
    saved = linker.misc.save_model_to_json()
    assert len(saved["comparisons"]) == len(spec.comparisons)
    labels = [
        lv.get("label_for_charts") for c in saved["comparisons"] for lv in c["comparison_levels"]
    ]
    assert "Day and month swapped" in labels


def test_bad_blocking_expression():
    with pytest.raises(LinkageError, match="not understood"):
        BlockingRuleSpec(["drop table x"]).columns()


def test_no_usable_columns():
    df = pd.DataFrame({"unique_id": ["1", "2", "3"], "colour": ["a", "b", "c"]})
    with pytest.raises(LinkageError, match="person column"):
        suggest_model([df])


def test_all_columns_empty_or_constant():
    df = pd.DataFrame(
        {"unique_id": ["1", "2", "3"], "first_name": [None, None, None], "sex": ["M", "M", "M"]}
    )
    with pytest.raises(LinkageError, match="empty or constant"):
        suggest_model([df])


def test_single_record():
    df = pd.DataFrame({"unique_id": ["1"], "first_name": ["ANN"], "surname": ["LEE"]})
    with pytest.raises(LinkageError, match="only one record"):
        suggest_model([df])


def test_duplicate_ids_and_missing_id():
    with pytest.raises(LinkageError, match="repeated unique_id"):
        prepare_frames([pd.DataFrame({"unique_id": ["1", "1"], "surname": ["A", "B"]})])
    with pytest.raises(LinkageError, match="no unique_id"):
        prepare_frames([pd.DataFrame({"surname": ["A", "B"]})])


def test_mismatched_columns_union_or_error(people):
    a = people[0].drop(columns=["postcode"])
    b = people[1].drop(columns=["pnc_id"])
    data = prepare_frames([a, b])
    assert list(data.frames[0].columns) == list(data.frames[1].columns)
    assert data.frames[0]["postcode"].isna().all()
    assert any("postcode" in n and "pnc_id" in n for n in data.notes)
    with pytest.raises(LinkageError, match="different person columns"):
        prepare_frames([a, b], on_mismatch="error")


def test_link_only_needs_two_inputs(people):
    with pytest.raises(LinkageError, match="at least two"):
        suggest_model([people[0]], link_type="link_only")
