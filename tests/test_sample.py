"""Tests of the sample generator: shape, calibration, truth, noise and the committed files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.errors import ValidationError
from workbench.sample import names as sample_names
from workbench.sample.calibration import FIRST_REPORTED_DATE, PILOT_AREAS, START_DATE
from workbench.sample.generate import (
    DEFAULT_END_DATE,
    DEFAULT_PEOPLE,
    FRAME_KEYS,
    GENERATOR_VERSION,
    generate_frames,
    generate_sample,
)
from workbench.sample.noise import ErrorProfile

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

LCJB_AREAS = {
    "Avon and Somerset", "Bedfordshire", "Cambridgeshire", "Cheshire", "Cleveland", "Cumbria",
    "Derbyshire", "Devon and Cornwall", "Dorset", "Durham", "Essex", "Gloucestershire",
    "Greater Manchester", "Hampshire", "Hertfordshire", "Humberside", "Kent", "Lancashire",
    "Leicestershire", "Lincolnshire", "London", "Merseyside", "Norfolk", "North Yorkshire",
    "Northamptonshire", "Northumbria", "Nottinghamshire", "South Yorkshire", "Staffordshire",
    "Suffolk", "Surrey", "Sussex", "Thames Valley", "Warwickshire", "West Mercia",
    "West Midlands", "West Yorkshire", "Wiltshire", "Dyfed-Powys", "Gwent", "North Wales",
    "South Wales",
}  # fmt: skip
OUTCOME_TYPES = {
    "charged/summonsed",
    "out-of-court (formal)",
    "out-of-court (informal)",
    "diversionary",
    "evidential difficulties — suspect identified, victim supports action",
    "evidential difficulties — victim does not support action",
    "prosecution prevented or not in the public interest",
    "further investigation not in the public interest",
    "transferred to another body",
    "investigation complete — no suspect identified",
}
OFFENCE_GROUPS = {
    "violence against the person", "sexual offences", "robbery", "theft offences",
    "criminal damage and arson", "drug offences", "possession of weapons",
    "public order offences", "miscellaneous crimes against society", "fraud offences",
    "summary non-motoring", "summary motoring",
}  # fmt: skip
NO_SUSPECT = "investigation complete — no suspect identified"
CHARGED = "charged/summonsed"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """The default sample (49,000 people, seed 42), as committed."""
    return generate_frames()


@pytest.fixture(scope="module")
def clean() -> dict[str, pd.DataFrame]:
    """A small sample with every noise rate set to 0."""
    return generate_frames(people=3_000, seed=3, errors=ErrorProfile.none())


@pytest.fixture(scope="module")
def court_journeys(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Court cases joined through the truth to the police crime they come from."""
    police = frames["police"][["crime_ref", "offence_date", "outcome_date", "offence_description"]]
    return (
        frames["courts"]
        .merge(frames["courts_truth"], on="case_number")
        .merge(police, left_on="case_id", right_on="crime_ref")
    )


def _share(mask: pd.Series) -> float:
    return float(mask.fillna(False).astype(bool).mean())


# -------------------------------------------------------------------------------------------
# shape


def test_frames_have_the_six_keys_and_documented_columns(frames):
    assert tuple(frames) == FRAME_KEYS
    assert list(frames["police"].columns) == [
        "crime_ref", "force", "lcjb_area", "offence_date", "recorded_date", "offence_code",
        "offence_description", "offence_group", "victim_based", "suspect_forename",
        "suspect_middle_name", "suspect_surname", "suspect_dob", "suspect_sex",
        "suspect_postcode", "pnc_id", "urn", "outcome_type", "outcome_date",
    ]  # fmt: skip
    assert list(frames["cps"].columns) == [
        "cps_id", "urn", "defendant_forename", "defendant_surname", "defendant_dob",
        "defendant_postcode", "lcjb_area", "referral_date", "decision", "decision_date",
        "charges", "finalisation_reason",
    ]  # fmt: skip
    assert list(frames["courts"].columns) == [
        "case_number", "urn", "court_type", "court_name", "lcjb_area", "defendant_forename",
        "defendant_middle_name", "defendant_surname", "defendant_dob", "defendant_postcode",
        "pnc_id", "offence_group", "first_hearing_date", "plea", "verdict", "completion_date",
        "outcome",
    ]  # fmt: skip
    for key in ("police", "cps", "courts"):
        assert not {"person_id", "case_id"} & set(frames[key].columns)


def test_keys_are_unique_and_well_formed(frames):
    police, cps, courts = frames["police"], frames["cps"], frames["courts"]
    assert police["crime_ref"].is_unique and cps["cps_id"].is_unique
    assert courts["case_number"].is_unique
    assert police["crime_ref"].str.fullmatch(r"[A-Z]{2}-\d{2}-\d{7}").all()
    urns = police["urn"].dropna()
    assert urns.is_unique
    assert urns.str.fullmatch(r"\d{2}[A-Z]{2}\d{5}\d{2}").all()
    assert cps["defendant_dob"].dropna().str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert set(courts["court_type"]) == {"magistrates", "Crown"}
    assert set(police["outcome_type"].dropna()) == OUTCOME_TYPES
    assert set(police["offence_group"]) == OFFENCE_GROUPS
    assert set(police["suspect_sex"].dropna()) == {"M", "F", "U"}
    assert police["offence_date"].dtype.kind == "M" and courts["defendant_dob"].dtype.kind == "M"


def test_every_lcjb_area_and_force_is_present(frames):
    police = frames["police"]
    assert set(police["lcjb_area"]) == LCJB_AREAS
    london = set(police.loc[police["lcjb_area"] == "London", "force"])
    assert london == {"Metropolitan Police", "City of London Police"}
    sizes = police["lcjb_area"].value_counts()
    # The pilot areas are scaled up past London; the others keep their national proportions.
    assert set(sizes.index[:3]) == set(PILOT_AREAS) and sizes.index[3] == "London"
    assert sizes["London"] > 2 * sizes["Kent"] > 2 * sizes["Cumbria"]


def test_postcodes_come_from_the_area(frames):
    police = frames["police"]
    kent = police.loc[police["lcjb_area"] == "Kent", "suspect_postcode"].dropna()
    kent = kent[kent != "NF1 1NF"]
    outward = kent.str.extract(r"^([A-Z]+)\d+ \d[A-Z]{2}$")[0]
    # Records after a move or for crimes away from home can have other postcodes.
    assert outward.isin(["ME", "CT", "TN", "DA"]).mean() > 0.85


def test_pnc_ids_carry_a_valid_check_letter(clean):
    pnc = clean["police"]["pnc_id"].dropna()
    assert len(pnc) > 1000
    parts = pnc.str.extract(r"^(\d{4})/(\d{7})([A-Z])$")
    assert parts.notna().all().all()
    value = (parts[0].str[2:] + parts[1]).astype("int64")
    expected = value.map(lambda v: PNC_LETTERS[v % 23])
    assert (expected == parts[2]).all()


# -------------------------------------------------------------------------------------------
# determinism and validation


def test_same_inputs_give_identical_frames():
    first = generate_frames(people=1_500, seed=11)
    second = generate_frames(people=1_500, seed=11)
    for key in FRAME_KEYS:
        pd.testing.assert_frame_equal(first[key], second[key])
    other = generate_frames(people=1_500, seed=12)
    assert not first["police"].equals(other["police"])


def test_end_date_limits_the_period():
    frames = generate_frames(people=1_000, seed=5, end_date=date(2021, 6, 30))
    limit = pd.Timestamp("2021-06-30")
    assert frames["police"]["recorded_date"].max() <= limit
    assert frames["police"]["recorded_date"].min() >= pd.Timestamp(START_DATE)
    assert frames["cps"]["decision_date"].max() <= limit
    assert frames["courts"]["completion_date"].max() <= limit
    assert date(2026, 10, 31) == DEFAULT_END_DATE


def test_error_profile_validates_rates():
    with pytest.raises(ValidationError):
        ErrorProfile(name_typo=1.5)
    with pytest.raises(ValidationError):
        ErrorProfile.from_dict({"dob_typo": 1.5})
    with pytest.raises(ValidationError):
        ErrorProfile.from_dict({"dob_typo": -0.1})
    with pytest.raises(ValidationError):
        ErrorProfile.from_dict({"no_such_rate": 0.1})
    with pytest.raises(ValidationError):
        ErrorProfile.from_dict({"alias": "often"})
    profile = ErrorProfile.from_dict({"alias": 0.2})
    assert profile.alias == 0.2 and profile.name_typo == ErrorProfile().name_typo
    assert ErrorProfile.from_dict(profile.to_dict()) == profile


def test_bad_arguments_raise_validation_error(tmp_path):
    with pytest.raises(ValidationError):
        generate_frames(people=0)
    with pytest.raises(ValidationError):
        generate_frames(people=10, end_date=date(2019, 1, 31))
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(ValidationError):
        generate_sample(blocker / "out", people=10)


# -------------------------------------------------------------------------------------------
# calibration against published magnitudes


def test_police_outcome_shares(frames):
    police = frames["police"]
    outcome = police["outcome_type"]
    assert 0.36 <= _share(outcome == NO_SUSPECT) <= 0.42
    victim_no_support = outcome == "evidential difficulties — victim does not support action"
    assert 0.22 <= _share(victim_no_support) <= 0.28
    assert not (victim_no_support & ~police["victim_based"]).any()
    assert 0.06 <= _share(outcome == CHARGED) <= 0.08
    sexual = police["offence_group"] == "sexual offences"
    assert 0.015 <= _share(outcome[sexual] == CHARGED) <= 0.045


def test_cps_and_court_rates(frames):
    cps, courts = frames["cps"], frames["courts"]
    decided = cps["decision"].dropna()
    assert 0.70 <= (decided == "charge").mean() <= 0.80
    # Police refer more cases than get charged.
    assert len(decided) > (frames["police"]["outcome_type"] == CHARGED).sum()
    completed = courts["verdict"].dropna()
    assert 0.80 <= (completed == "convicted").mean() <= 0.88
    assert 0.10 <= (courts["court_type"] == "Crown").mean() <= 0.15
    assert courts.loc[courts["verdict"] != "convicted", "outcome"].isna().all()


def test_timeliness_medians(frames, court_journeys):
    police = frames["police"]
    charged = police[police["outcome_type"] == CHARGED]
    assert 40 <= (charged["outcome_date"] - charged["offence_date"]).dt.days.median() <= 65
    j = court_journeys
    assert 16 <= (j["first_hearing_date"] - j["outcome_date"]).dt.days.median() <= 30
    done_2023 = j[j["completion_date"].dt.year == 2023]
    to_completion = (done_2023["completion_date"] - done_2023["offence_date"]).dt.days
    mags = to_completion[done_2023["court_type"] == "magistrates"].median()
    crown = to_completion[done_2023["court_type"] == "Crown"].median()
    assert 150 <= mags <= 210
    assert 330 <= crown <= 440
    sexual = j[
        (j["offence_group"] == "sexual offences")
        & (j["court_type"] == "Crown")
        & j["completion_date"].notna()
    ]
    assert (sexual["completion_date"] - sexual["outcome_date"]).dt.days.median() > 365


def test_crown_outstanding_caseload_grows(frames):
    crown = frames["courts"][frames["courts"]["court_type"] == "Crown"]

    def outstanding(day: str) -> int:
        t = pd.Timestamp(day)
        open_ = (crown["first_hearing_date"] <= t) & ~(crown["completion_date"] <= t)
        return int(open_.sum())

    assert outstanding("2024-06-30") > 1.8 * outstanding("2020-06-30") > 0
    assert outstanding(DEFAULT_END_DATE.isoformat()) > 0


def test_spring_2020_dip_and_weekly_pattern(frames):
    recorded = frames["police"]["recorded_date"]
    monthly = recorded.dt.to_period("M").value_counts()
    spring_2019 = sum(monthly[pd.Period(f"2019-{m:02d}", "M")] for m in (3, 4, 5))
    spring_2020 = sum(monthly[pd.Period(f"2020-{m:02d}", "M")] for m in (3, 4, 5))
    assert 0.55 <= spring_2020 / spring_2019 <= 0.78
    weekend = recorded.dt.dayofweek >= 5
    assert weekend.mean() < 0.9 * 2 / 7
    yearly = recorded.dt.year.value_counts()
    assert yearly[2025] > yearly[2019]


def test_repeat_offending_is_heavy_tailed(frames):
    per_person = frames["police_truth"]["person_id"].dropna().value_counts()
    assert len(per_person) == DEFAULT_PEOPLE
    assert 0.55 <= (per_person == 1).mean() <= 0.8
    assert (per_person >= 10).sum() > 100


# -------------------------------------------------------------------------------------------
# area volumes and the lead-in

MIN_PILOT_BASE = 200


def _mature_quarters(end: date) -> pd.PeriodIndex:
    """Offence quarters from the first reported one to the last that ended a year before ``end``
    (by then 90% of the cases ever charged have been charged)."""
    last = (pd.Timestamp(end) - pd.DateOffset(years=1)).to_period("Q") - 1
    return pd.period_range(pd.Timestamp(FIRST_REPORTED_DATE).to_period("Q"), last, freq="Q")


def _areas_with_large_bases(police: pd.DataFrame, end: date) -> set[str]:
    """Areas whose charge-rate base (recorded crimes by offence quarter) reaches
    :data:`MIN_PILOT_BASE` in every mature quarter."""
    quarter = pd.to_datetime(police["offence_date"]).dt.to_period("Q")
    bases = police.groupby([police["lcjb_area"], quarter]).size().unstack(fill_value=0)
    bases = bases.reindex(columns=_mature_quarters(end), fill_value=0)
    return set(bases.index[(bases >= MIN_PILOT_BASE).all(axis=1)])


def _reported(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[pd.to_datetime(frame[column]) >= pd.Timestamp(FIRST_REPORTED_DATE)]


def test_pilot_areas_rest_on_hundreds_of_cases_every_quarter(frames):
    assert len(PILOT_AREAS) >= 3
    assert set(PILOT_AREAS) <= {a.name for a in sample_names.AREAS}
    large = _areas_with_large_bases(frames["police"], DEFAULT_END_DATE)
    assert set(PILOT_AREAS) <= large
    # The other areas keep the volumes of a small national sample: only London is large.
    assert large - set(PILOT_AREAS) <= {"London"}
    police = _reported(frames["police"], "recorded_date")
    others = police[~police["lcjb_area"].isin(PILOT_AREAS)]
    per_year = others["recorded_date"].dt.year.value_counts()
    assert per_year[2019] >= 6_000 and per_year[2025] <= 9_500


def test_reported_period_rates_match_published_magnitudes(frames):
    police = _reported(frames["police"], "offence_date")
    cps = _reported(frames["cps"], "referral_date")
    courts = _reported(frames["courts"], "completion_date")
    outcome = police["outcome_type"]
    assert 0.06 <= _share(outcome == CHARGED) <= 0.08
    assert 0.36 <= _share(outcome == NO_SUSPECT) <= 0.42
    vds = "evidential difficulties — victim does not support action"
    assert 0.22 <= _share(outcome == vds) <= 0.28
    assert 0.70 <= (cps["decision"].dropna() == "charge").mean() <= 0.80
    assert 0.80 <= (courts["verdict"].dropna() == "convicted").mean() <= 0.88
    for area in PILOT_AREAS:
        in_area = police["lcjb_area"] == area
        assert 0.055 <= _share(outcome[in_area] == CHARGED) <= 0.085, area


def test_history_starts_years_before_the_first_reported_period(frames, court_journeys):
    lead_in = (FIRST_REPORTED_DATE - START_DATE).days
    assert lead_in >= 3 * 365
    recorded = frames["police"]["recorded_date"]
    assert recorded.min() == pd.Timestamp(START_DATE)
    assert (recorded < pd.Timestamp(FIRST_REPORTED_DATE)).mean() > 0.2
    # The lead-in is longer than 95% of Crown cases take from offence to completion, so cases
    # completing in the first reported period are there whenever they began.
    j = court_journeys
    crown = j[j["court_type"] == "Crown"]
    days = (crown["completion_date"] - crown["offence_date"]).dt.days.dropna()
    assert days.quantile(0.95) < lead_in
    first_year = j[j["completion_date"].dt.year == FIRST_REPORTED_DATE.year]
    began_before = first_year["offence_date"] < pd.Timestamp(FIRST_REPORTED_DATE)
    assert began_before.mean() > 0.3


def test_committed_sample_has_its_pilot_areas_and_lead_in():
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text("utf-8"))
    start = date.fromisoformat(manifest["start_date"])
    first = date.fromisoformat(manifest["first_reported_date"])
    assert (first - start).days >= 3 * 365
    assert len(manifest["pilot_areas"]) >= 3
    police = pd.read_parquet(SAMPLE_DIR / "police.parquet", columns=["lcjb_area", "offence_date"])
    large = _areas_with_large_bases(police, date.fromisoformat(manifest["end_date"]))
    assert set(manifest["pilot_areas"]) <= large


# -------------------------------------------------------------------------------------------
# truth


def test_truth_covers_every_record_once(frames):
    for key, record_key in (("police", "crime_ref"), ("cps", "cps_id"), ("courts", "case_number")):
        system, truth = frames[key], frames[f"{key}_truth"]
        assert list(truth.columns) == [record_key, "person_id", "case_id"]
        assert truth[record_key].is_unique
        assert set(truth[record_key]) == set(system[record_key])
        assert len(truth) == len(system)
    assert (frames["police_truth"]["crime_ref"] == frames["police"]["crime_ref"]).all()
    police = frames["police"].merge(frames["police_truth"], on="crime_ref")
    no_person = police["person_id"].isna()
    assert police.loc[police["outcome_type"] == NO_SUSPECT, "person_id"].isna().all()
    assert police.loc[no_person, "outcome_type"].isin([NO_SUSPECT]).mean() > 0.97
    assert police.loc[no_person, ["suspect_surname", "suspect_dob"]].isna().all().all()
    assert police.loc[~no_person, ["suspect_surname", "suspect_dob"]].notna().all().all()
    assert (police["case_id"] == police["crime_ref"]).all()
    assert frames["cps_truth"]["person_id"].notna().all()
    assert frames["courts_truth"]["person_id"].notna().all()


def test_case_ids_link_back_to_police_crimes(frames):
    police = frames["police"].merge(frames["police_truth"], on="crime_ref")
    by_crime = police.set_index("crime_ref")
    for key in ("cps", "courts"):
        truth = frames[f"{key}_truth"]
        assert truth["case_id"].isin(by_crime.index).all()
        linked = by_crime.loc[truth["case_id"]]
        assert (linked["person_id"].to_numpy() == truth["person_id"].to_numpy()).all()
        assert linked["urn"].notna().all()
    courts = frames["courts"].merge(frames["courts_truth"], on="case_number")
    crimes = by_crime.loc[courts["case_id"]]
    assert (crimes["outcome_type"].to_numpy() == CHARGED).all()
    assert (crimes["offence_group"].to_numpy() == courts["offence_group"].to_numpy()).all()


def test_people_recur_across_all_three_systems(frames):
    people = [set(frames[f"{k}_truth"]["person_id"].dropna()) for k in ("police", "cps", "courts")]
    everywhere = people[0] & people[1] & people[2]
    assert len(everywhere) > 1_000
    repeat_court = frames["courts_truth"]["person_id"].value_counts()
    assert (repeat_court >= 2).sum() > 200


# -------------------------------------------------------------------------------------------
# identifier noise


def test_noise_is_present_at_roughly_the_default_rates(frames):
    profile = ErrorProfile()
    police = frames["police"][frames["police_truth"]["person_id"].notna()]
    dob = police["suspect_dob"]
    placeholder = dob.isin([pd.Timestamp("1900-01-01"), pd.Timestamp("1970-01-01")])
    assert 0.4 * profile.dob_placeholder <= placeholder.mean() <= 2 * profile.dob_placeholder
    nfa = police["suspect_postcode"] == "NF1 1NF"
    assert (
        0.6 * profile.postcode_no_fixed_abode
        <= nfa.mean()
        <= 1.5 * (profile.postcode_no_fixed_abode)
    )
    assert 0.5 * profile.pnc_missing_police <= police["pnc_id"].isna().mean() <= 0.5
    assert (police["suspect_forename"] == "NOT ENTERED").any()
    surnames = set(police["suspect_surname"].dropna())
    assert {"Mc Donald", "MacDonald"} & surnames
    hyphenated = [n.split("-") for n in sample_names.SURNAMES if "-" in n]
    assert {f"{a} {b}" for a, b in hyphenated} & surnames
    assert {f"{a}{b}" for a, b in hyphenated} & surnames
    forenames = set(police["suspect_forename"].dropna())
    assert {"Muhammad", "Mohamed"} <= forenames
    assert {"Bill", "Bob", "Dave"} <= forenames
    assert police["suspect_surname"].str.isupper().mean() > 0.01
    courts = frames["courts"]
    assert 0.1 <= courts["urn"].isna().mean() <= 0.2


def test_configured_rates_are_honoured():
    profile = ErrorProfile(dob_placeholder=0.1, postcode_no_fixed_abode=0.2, urn_missing_cps=0.5)
    frames = generate_frames(people=3_000, seed=9, errors=profile)
    police = frames["police"][frames["police_truth"]["person_id"].notna()]
    placeholder = police["suspect_dob"].isin(
        [pd.Timestamp("1900-01-01"), pd.Timestamp("1970-01-01")]
    )
    assert 0.08 <= placeholder.mean() <= 0.12
    assert 0.17 <= (police["suspect_postcode"] == "NF1 1NF").mean() <= 0.23
    assert 0.4 <= frames["cps"]["urn"].isna().mean() <= 0.6


def test_noise_free_records_agree_exactly(clean):
    police = (
        clean["police"].merge(clean["police_truth"], on="crime_ref").dropna(subset=["person_id"])
    )
    cps = clean["cps"].merge(clean["cps_truth"], on="cps_id")
    courts = clean["courts"].merge(clean["courts_truth"], on="case_number")
    combined = pd.concat(
        [
            police[["person_id", "suspect_forename", "suspect_surname", "suspect_dob"]].set_axis(
                ["person_id", "forename", "surname", "dob"], axis=1
            ),
            cps[["person_id", "defendant_forename", "defendant_surname"]]
            .assign(dob=pd.to_datetime(cps["defendant_dob"], format="%d/%m/%Y"))
            .set_axis(["person_id", "forename", "surname", "dob"], axis=1),
            courts[
                ["person_id", "defendant_forename", "defendant_surname", "defendant_dob"]
            ].set_axis(["person_id", "forename", "surname", "dob"], axis=1),
        ]
    )
    assert combined[["forename", "surname", "dob"]].notna().all().all()
    variants = combined.groupby("person_id")[["forename", "surname", "dob"]].nunique()
    assert (variants == 1).all().all()
    assert police["pnc_id"].notna().all()
    assert police["suspect_sex"].isin(["M", "F"]).all()
    assert (police["suspect_postcode"] != "NF1 1NF").all()
    assert clean["cps"]["urn"].notna().all() and clean["courts"]["urn"].notna().all()
    by_crime = clean["police"].set_index("crime_ref")["urn"]
    cps_urn = by_crime.loc[clean["cps_truth"]["case_id"]].to_numpy()
    assert (cps_urn == clean["cps"]["urn"].to_numpy()).all()


def test_default_noise_keeps_most_records_matchable(frames):
    police = frames["police"].merge(frames["police_truth"], on="crime_ref")
    courts = frames["courts"].merge(frames["courts_truth"], on="case_number")
    pairs = courts.merge(police, left_on="case_id", right_on="crime_ref")
    same_name = (
        pairs["defendant_surname"].str.strip().str.lower()
        == pairs["suspect_surname"].str.strip().str.lower()
    )
    same_dob = pairs["defendant_dob"] == pairs["suspect_dob"]
    same_postcode = pairs["defendant_postcode"] == pairs["suspect_postcode"]
    agreeing = (
        same_name.astype(int) + same_dob.astype(int) + same_postcode.fillna(False).astype(int)
    )
    assert (agreeing >= 2).mean() > 0.85
    assert same_name.mean() < 1.0 and same_dob.mean() < 1.0


# -------------------------------------------------------------------------------------------
# writing and the committed sample


def test_generate_sample_writes_parquet_and_manifest(tmp_path):
    summary = generate_sample(tmp_path / "out", people=400, seed=4)
    assert set(summary.files) == set(FRAME_KEYS)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert manifest["people"] == 400 and manifest["seed"] == 4
    assert manifest["start_date"] == START_DATE.isoformat() == "2015-01-01"
    assert manifest["first_reported_date"] == FIRST_REPORTED_DATE.isoformat() == "2019-01-01"
    assert manifest["pilot_areas"] == list(PILOT_AREAS)
    assert manifest["end_date"] == DEFAULT_END_DATE.isoformat()
    assert manifest["error_profile"] == ErrorProfile().to_dict()
    for key, path in summary.files.items():
        table = pq.read_table(path)
        assert table.num_rows == summary.rows[key] == manifest["rows"][key]
    police = pq.read_table(summary.files["police"])
    assert police.schema.field("offence_date").type == pa.date32()
    assert police.schema.field("suspect_dob").type == pa.date32()
    assert not list(tmp_path.glob("out/*.tmp"))


def test_committed_sample_matches_its_manifest(frames):
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text("utf-8"))
    assert manifest["people"] == DEFAULT_PEOPLE and manifest["seed"] == 42
    assert manifest["generator_version"] == GENERATOR_VERSION
    assert manifest["end_date"] == DEFAULT_END_DATE.isoformat()
    total = 0
    for key in FRAME_KEYS:
        path = SAMPLE_DIR / f"{key}.parquet"
        assert path.exists()
        assert pq.ParquetFile(path).metadata.num_rows == manifest["rows"][key]
        # The committed files are what the current generator produces.
        assert manifest["rows"][key] == len(frames[key])
        total += path.stat().st_size
    assert total <= 8_000_000
    readme = (SAMPLE_DIR / "README.md").read_text("utf-8")
    for key in FRAME_KEYS:
        for column in frames[key].columns:
            assert f"`{column}`" in readme, f"{key}.{column} is not documented"
    for name in ErrorProfile().to_dict():
        assert f"`{name}`" in readme, f"error rate {name} is not documented"
    committed = pd.read_parquet(SAMPLE_DIR / "police.parquet")
    assert np.array_equal(
        committed["crime_ref"].to_numpy(dtype=object),
        frames["police"]["crime_ref"].to_numpy(dtype=object),
    )


def test_the_sample_readmes_python_imports_work() -> None:
    """The imports of sample_data/README.md's Python example name modules and names that exist."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "sample_data" / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S)
    assert block, "the README has a Python example"
    imports = [line for line in block[1].splitlines() if line.startswith(("from ", "import "))]
    assert any("generate_frames" in line for line in imports)
    exec("\n".join(imports), {})
