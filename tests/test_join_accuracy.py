"""Journey join rules on hand-built records, and their accuracy measured against the truth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from linkage.quality.sensitivity import largest_area_gaps
from workbench.analysis.journeys.accuracy import join_accuracy
from workbench.analysis.journeys.build import build_journeys
from workbench.analysis.journeys.matching import CHARGED_OUTCOME
from workbench.analysis.journeys.table import SOURCES, TRUTH_DATASETS, load_journeys, write_journeys
from workbench.analysis.views.joins import area_gap_table, sensitivity_table
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.workspace import Workspace

AREA = "Kent"
CHARGED = CHARGED_OUTCOME


def _police(ref: str, recorded: date, urn: str | None = None, outcome: str = CHARGED) -> dict:
    return {
        "crime_ref": ref,
        "urn": urn,
        "lcjb_area": AREA,
        "offence_group": "theft offences",
        "victim_based": True,
        "offence_date": recorded,
        "recorded_date": recorded,
        "suspect_surname": "Smith",
        "suspect_forename": "Jo",
        "pnc_id": None,
        "outcome_type": outcome,
        "outcome_date": recorded,
    }


def _cps(
    cps_id: str, referral: date, urn: str | None = None, decision: str | None = "charge"
) -> dict:
    return {
        "cps_id": cps_id,
        "urn": urn,
        "lcjb_area": AREA,
        "referral_date": referral,
        "decision": decision,
        "decision_date": referral if decision else None,
        "finalisation_reason": None,
    }


def _court(case_number: str, hearing: date, urn: str | None = None) -> dict:
    return {
        "case_number": case_number,
        "urn": urn,
        "lcjb_area": AREA,
        "offence_group": "theft offences",
        "court_type": "magistrates",
        "first_hearing_date": hearing,
        "plea": "guilty",
        "verdict": "convicted",
        "completion_date": hearing,
        "outcome": "fine",
    }


# Each record: (source, record, person, true case). Persons:
#   amb  two charged crimes a month apart, then a CPS file with no URN: ambiguous, unjoined.
#   one  one crime and a CPS file with no URN: joined on person and dates.
#   vns  a crime closed as "victim does not support action" and a CPS file awaiting its
#        decision: not joined.
#   pa   a crime with URN 01AA, and another crime (so the person is known).
#   pb   a CPS file with URN 01AA and its court case (known, another person): not joined to pa.
#   solo a CPS file with URN 02BB and a police record with it, which the model left apart in
#        clusters of their own (persons not known): joined by URN.
D = date
RECORDS: list[tuple[str, dict, str, str]] = [
    ("police", _police("P-AMB-1", D(2023, 1, 1)), "amb", "A1"),
    ("police", _police("P-AMB-2", D(2023, 2, 1)), "amb", "A2"),
    ("cps", _cps("C-AMB", D(2023, 3, 1)), "amb", "A2"),
    ("police", _police("P-ONE", D(2023, 1, 1)), "one", "O1"),
    ("cps", _cps("C-ONE", D(2023, 2, 1)), "one", "O1"),
    ("courts", _court("K-ONE", D(2023, 3, 1)), "one", "O1"),
    ("police", _police("P-VNS", D(2023, 1, 1), outcome=VICTIM_NOT_SUPPORT), "vns", "V1"),
    ("cps", _cps("C-VNS", D(2023, 2, 1), decision=None), "vns", "V2"),
    ("police", _police("P-PA-1", D(2023, 1, 1), urn="01AA"), "pa", "PA1"),
    ("police", _police("P-PA-2", D(2023, 6, 1)), "pa", "PA2"),
    ("cps", _cps("C-PB", D(2023, 2, 1), urn="01AA"), "pb", "PB1"),
    ("courts", _court("K-PB", D(2023, 3, 1), urn="01AA"), "pb", "PB1"),
    ("police", _police("P-SOLO", D(2023, 1, 1), urn="02BB"), "solo", "S1"),
    ("cps", _cps("C-SOLO", D(2023, 2, 1), urn="02BB"), "solo", "S1"),
]


def _write(ws: Workspace, schema_table: str, frame: pd.DataFrame) -> None:
    with ws.transaction() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS data")
        cur.register("_frame", frame)
        cur.execute(f"CREATE OR REPLACE TABLE {schema_table} AS SELECT * FROM _frame")
        cur.unregister("_frame")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path / "joins.duckdb")
    for source, key in SOURCES.items():
        rows = [r for s, r, _, _ in RECORDS if s == source]
        truth = [
            {key: r[key], "person_id": person, "case_id": case}
            for s, r, person, case in RECORDS
            if s == source
        ]
        if source == "police":  # a police record's case id is its own crime reference
            truth = [{**t, "case_id": t["crime_ref"]} for t in truth]
        _write(workspace, f"data.{source}", pd.DataFrame(rows))
        _write(workspace, f"data.{TRUTH_DATASETS[source]}", pd.DataFrame(truth))
    # true case ids of CPS and court records point at the police crime reference
    cases = {case: r["crime_ref"] for s, r, _, case in RECORDS if s == "police"}
    for source in ("cps", "courts"):
        table = f"data.{TRUTH_DATASETS[source]}"
        frame = workspace.query_df(f"SELECT * FROM {table}")
        frame["case_id"] = frame["case_id"].map(lambda c: cases.get(c, c))
        _write(workspace, table, frame)
    try:
        yield workspace
    finally:
        workspace.close()


def _clusters() -> pd.DataFrame:
    """Clusters as a model would give them: the true persons, but "solo" split in two."""
    rows = []
    for source, record, person, _ in RECORDS:
        key = record[SOURCES[source]]
        cluster = f"{source}:{key}" if person == "solo" else person
        rows.append({"source_dataset": source, "unique_id": key, "cluster_id": cluster})
    return pd.DataFrame(rows)


def _journey_of(frame: pd.DataFrame, column: str, key: str) -> pd.Series:
    return frame[frame[column] == key].iloc[0]


def test_ambiguous_person_dates_candidates_stay_unjoined(ws: Workspace) -> None:
    build_journeys(ws, "m", 0.9, clusters=_clusters())
    df = load_journeys(ws)
    amb = _journey_of(df, "cps_id", "C-AMB")
    assert pd.isna(amb["crime_ref"]) and pd.isna(amb["join_rule_cps"])
    one = _journey_of(df, "cps_id", "C-ONE")
    assert one["crime_ref"] == "P-ONE" and one["join_rule_cps"] == "person_dates"
    assert _journey_of(df, "case_number", "K-ONE")["cps_id"] == "C-ONE"


def test_police_only_outcome_is_not_joined_on_person_and_dates(ws: Workspace) -> None:
    build_journeys(ws, "m", 0.9, clusters=_clusters())
    df = load_journeys(ws)
    assert pd.isna(_journey_of(df, "cps_id", "C-VNS")["crime_ref"])


def test_urn_join_across_two_known_persons_is_refused(ws: Workspace) -> None:
    build_journeys(ws, "m", 0.9, clusters=_clusters())
    df = load_journeys(ws)
    pb = _journey_of(df, "cps_id", "C-PB")
    assert pd.isna(pb["crime_ref"]), "a URN join crossed two known persons"
    assert pb["case_number"] == "K-PB" and pb["join_rule_court"] == "urn"
    solo = _journey_of(df, "cps_id", "C-SOLO")  # persons not known: the URN and area decide
    assert solo["crime_ref"] == "P-SOLO" and solo["join_rule_cps"] == "urn"


def test_join_accuracy_counts_a_hand_built_table(ws: Workspace) -> None:
    rows = [
        # CPS to police: right by URN, right on dates, wrong on dates (same person), and a URN
        # join across two persons; court to CPS: one right, one wrong across persons.
        {"crime_ref": "P-SOLO", "cps_id": "C-SOLO", "join_rule_cps": "urn"},
        {"crime_ref": "P-ONE", "cps_id": "C-ONE", "join_rule_cps": "person_dates"},
        {
            "crime_ref": "P-AMB-1",
            "cps_id": "C-AMB",
            "join_rule_cps": "person_dates",
            "case_number": "K-ONE",
            "join_rule_court": "person_dates",
        },
        {
            "crime_ref": "P-PA-1",
            "cps_id": "C-PB",
            "join_rule_cps": "urn",
            "case_number": "K-PB",
            "join_rule_court": "urn",
        },
        {"crime_ref": "P-AMB-2"},
        {"crime_ref": "P-VNS"},
        {"cps_id": "C-VNS"},
    ]
    write_journeys(ws, pd.DataFrame(rows), "hand")
    acc = join_accuracy(ws, "hand").set_index(["join", "rule"])
    assert acc.loc[("cps", "urn"), ["joins", "right", "wrong", "cross_person"]].tolist() == [
        2,
        1,
        1,
        1,
    ]
    assert acc.loc[("cps", "person_dates"), ["joins", "right", "wrong"]].tolist() == [2, 1, 1]
    assert acc.loc[("cps", "person_dates"), "share_wrong"] == pytest.approx(0.5)
    assert acc.loc[("cps", "urn_fuzzy"), "joins"] == 0
    assert pd.isna(acc.loc[("cps", "urn_fuzzy"), "share_wrong"])
    total = acc.loc[("cps", "all")]
    assert [total["joins"], total["wrong"], total["true_links"], total["missed"]] == [4, 2, 3, 1]
    court = acc.loc[("court", "all")]
    assert [court["joins"], court["right"], court["cross_person"]] == [2, 1, 1]
    assert [court["true_links"], court["missed"]] == [2, 1]


def test_join_accuracy_of_built_journeys_has_no_wrong_joins(ws: Workspace) -> None:
    build_journeys(ws, "m", 0.9, clusters=_clusters())
    acc = join_accuracy(ws).set_index(["join", "rule"])
    assert acc["wrong"].sum() == 0
    assert acc.loc[("cps", "all"), "joins"] == 2  # C-ONE on dates, C-SOLO by URN


def test_sensitivity_table_shows_join_steps_and_largest_area_gap() -> None:
    rows = []
    values = {  # (measure, area) -> (active, truth)
        ("charge_rate", "all"): (0.07, 0.07),
        ("first_hearing_of_charged", "all"): (0.80, 0.82),
        ("completed_of_first_hearing", "all"): (0.90, 0.90),
        ("charge_rate", "Kent"): (0.07, 0.07),
        ("first_hearing_of_charged", "Kent"): (0.70, 0.80),
        ("completed_of_first_hearing", "Kent"): (0.90, 0.88),
        ("charge_rate", "Dorset"): (0.08, 0.05),
        ("first_hearing_of_charged", "Dorset"): (0.80, 0.81),
        ("completed_of_first_hearing", "Dorset"): (0.90, 0.90),
    }
    for (measure, area), pair in values.items():
        for scenario, value in zip(("active", "truth"), pair, strict=True):
            rows.append(
                {
                    "measure": measure,
                    "court_type": "all",
                    "lcjb_area": area,
                    "scenario": scenario,
                    "value": value,
                    "base": 100,
                }
            )
    frame = pd.DataFrame(rows)
    shown = sensitivity_table(frame)
    assert shown["Measure"].tolist() == [
        "Charge rate",
        "First hearing of charged",
        "Completed of first hearing",
    ]
    assert shown.set_index("Measure").loc["First hearing of charged", "truth"] == "82.0%"
    gaps = largest_area_gaps(frame)
    assert gaps["lcjb_area"].tolist() == ["Kent", "Dorset"]
    assert gaps["measure"].tolist() == ["first_hearing_of_charged", "charge_rate"]
    assert gaps["gap_points"].round(1).tolist() == [-10.0, 3.0]
    readable = area_gap_table(gaps)
    assert readable.iloc[0].to_dict() == {
        "Area": "Kent",
        "Measure": "First hearing of charged",
        "Linked": "70.0% of 100",
        "Truth": "80.0% of 100",
        "Gap (points)": -10.0,
    }
