"""Linked journeys on a subset of the committed sample: completeness, join rules, agreement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from linkage.clusters.recluster import recluster
from linkage.model.datasets import suggest_for_datasets
from linkage.model.runs import train_and_save
from linkage.quality.sensitivity import JOIN_DEPENDENT, largest_area_gaps, linkage_sensitivity
from tests.journey_workspace import write_sample_subset
from workbench.analysis.journeys.accuracy import join_accuracy
from workbench.analysis.journeys.build import (
    build_info,
    build_journeys,
    build_truth_journeys,
    ensure_journeys,
    journeys_current,
)
from workbench.analysis.journeys.table import LINKED, TRUTH, load_journeys
from workbench.analysis.measures.attrition import attrition_funnel
from workbench.analysis.measures.timeliness import timeliness
from workbench.analysis.views.joins import sensitivity_table
from workbench.data.datasets import load_sample
from workbench.errors import JourneyError, SqlStepError
from workbench.workspace import Workspace

DATASETS = ["police", "cps", "courts"]
KEYS = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}
AREAS = [
    "Cumbria",
    "Gloucestershire",
    "Wiltshire",
    "Dorset",
    "North Wales",
    "Gwent",
    "Durham",
    "Bedfordshire",
    "Warwickshire",
]
RATE_TOLERANCE = 0.01  # one percentage point
MEDIAN_TOLERANCE = 3.0  # days


def _write_subset(folder: Path) -> None:
    """The committed sample cut down to a few LCJB areas (truth files cut to match), with the
    whole history: linkage across the lead-in years is part of what is checked."""
    folder.mkdir()
    write_sample_subset(folder, tuple(AREAS), since=None)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("journeys")
    _write_subset(root / "sample")
    workspace = Workspace(root / "workspace.duckdb")
    load_sample(workspace, sample_dir=root / "sample")
    spec = suggest_for_datasets(workspace, DATASETS)
    train_and_save(workspace, DATASETS, spec)
    build_journeys(workspace)
    build_truth_journeys(workspace)
    try:
        yield workspace
    finally:
        workspace.close()


def test_every_source_record_appears_exactly_once(ws: Workspace) -> None:
    for name in (LINKED, TRUTH):
        for source, key in KEYS.items():
            n_source = ws.query(f"SELECT count(*) FROM data.{source}")[0][0]
            n_out, n_distinct = ws.query(
                f"SELECT count({key}), count(DISTINCT {key}) FROM journeys.{name}"
            )[0]
            assert n_source == n_out == n_distinct, (name, source)
    info = build_info(ws)
    assert info is not None
    assert all(c["in"] == c["out"] for c in info["counts"]["counts"].values())


def test_join_rules_are_recorded_and_partial_journeys_kept(ws: Workspace) -> None:
    df = load_journeys(ws)
    assert set(df["join_rule_cps"].dropna()) <= {"urn", "urn_fuzzy", "person_dates"}
    assert (df.loc[df["cps_id"].notna() & df["crime_ref"].notna(), "join_rule_cps"].notna()).all()
    assert df.loc[df["cps_id"].isna(), "join_rule_cps"].isna().all()
    assert (df["join_rule_court"] == "urn").sum() > 0
    assert (df["join_rule_court"] == "person_dates").sum() > 0  # missing URNs still link
    partial = df[df["start_stage"] != "recorded"]
    assert partial["crime_ref"].isna().all()
    assert {"model_id", "threshold", "built_at"} <= set(df.columns)


def test_linked_pairs_agree_with_truth(ws: Workspace) -> None:
    cps = ws.query(
        "SELECT avg(CASE WHEN l.crime_ref IS NOT DISTINCT FROM t.crime_ref THEN 1 ELSE 0 END) "
        "FROM journeys.linked AS l JOIN journeys.truth AS t USING (cps_id)"
    )[0][0]
    court = ws.query(
        "SELECT avg(CASE WHEN l.cps_id IS NOT DISTINCT FROM t.cps_id THEN 1 ELSE 0 END) "
        "FROM journeys.linked AS l JOIN journeys.truth AS t USING (case_number)"
    )[0][0]
    assert cps > 0.98 and court > 0.97, f"CPS joins right {cps:.2%}, court joins {court:.2%}"


def test_person_dates_joins_are_rarely_wrong_with_a_trained_model(ws: Workspace) -> None:
    acc = join_accuracy(ws).set_index(["join", "rule"])
    for join in ("cps", "court"):
        dates = acc.loc[(join, "person_dates")]
        assert dates["joins"] == 0 or dates["share_wrong"] <= 0.03, (join, dates.to_dict())
        assert acc.loc[(join, "all"), "share_wrong"] <= 0.02, (join, acc.loc[(join, "all")])


def test_attrition_and_timeliness_agree_with_truth(ws: Workspace) -> None:
    linked = attrition_funnel(ws, LINKED).set_index("stage")["rate_of_recorded"]
    truth = attrition_funnel(ws, TRUTH).set_index("stage")["rate_of_recorded"]
    diff = (linked - truth).abs()
    assert diff.max() <= RATE_TOLERANCE, (
        f"attrition rates differ by up to {diff.max():.3%} (stage {diff.idxmax()}), "
        f"tolerance {RATE_TOLERANCE:.0%}: {diff.round(4).to_dict()}"
    )
    by = ["court_type"]
    lt = timeliness(ws, LINKED, by=by).set_index(["interval", *by])["median"]
    tt = timeliness(ws, TRUTH, by=by).set_index(["interval", *by])["median"]
    gap = (lt - tt.reindex(lt.index)).abs()
    assert gap.max() <= MEDIAN_TOLERANCE, (
        f"median stage times differ by up to {gap.max():.1f} days ({gap.idxmax()}), "
        f"tolerance {MEDIAN_TOLERANCE} days: {gap.to_dict()}"
    )


def test_sensitivity_leaves_active_journeys_alone(ws: Workspace) -> None:
    before = ws.query("SELECT built_at FROM wb.journey_builds WHERE name = 'linked'")
    table = linkage_sensitivity(ws, lower=0.5, higher=0.99)
    assert set(table["scenario"]) == {"active", "lower", "higher", "truth"}
    assert set(table["measure"]) >= {"charge_rate", "conviction_rate", "victim_not_support_share"}
    national = table[table["lcjb_area"] == "all"]
    assert set(national["measure"]) >= {"first_hearing_of_charged", "completed_of_first_hearing"}
    active = table[table["scenario"] == "active"]
    assert (active["difference"].dropna() == 0).all()
    shown = sensitivity_table(table)
    assert {"First hearing of charged", "Completed of first hearing"} <= set(shown["Measure"])
    gaps = largest_area_gaps(table)
    assert set(gaps["lcjb_area"]) == set(AREAS)  # one row per area, each with its worst measure
    assert set(gaps["measure"]) <= set(JOIN_DEPENDENT)
    assert gaps["gap_points"].abs().is_monotonic_decreasing
    assert ws.query("SELECT built_at FROM wb.journey_builds WHERE name = 'linked'") == before
    schemas = ws.query(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'journeys' ORDER BY 1"
    )
    assert schemas == [("linked",), ("truth",)]


def test_journeys_know_when_they_are_stale(ws: Workspace) -> None:
    assert journeys_current(ws)
    model_id = build_info(ws)["model_id"]
    recluster(ws, model_id, 0.95, store=True)
    assert not journeys_current(ws)
    build = ensure_journeys(ws)
    assert build is not None and build.threshold == pytest.approx(0.95) and build.complete
    assert journeys_current(ws)
    assert ensure_journeys(ws) is None


def test_missing_sources_are_reported(tmp_path: Path) -> None:
    with Workspace(tmp_path / "empty.duckdb") as empty, pytest.raises(JourneyError, match="cps"):
        build_journeys(empty)


def test_a_failing_build_step_is_named_with_its_sql(tmp_path: Path) -> None:
    clusters = pd.DataFrame(
        {"source_dataset": ["police"], "unique_id": ["P1"], "cluster_id": ["person-1"]}
    )
    with Workspace(tmp_path / "broken.duckdb") as ws:
        with ws.transaction() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS data")
            # The police extract lacks its urn column, so staging the police records fails.
            cur.execute("CREATE TABLE data.police (crime_ref VARCHAR, lcjb_area VARCHAR)")
            cur.execute("CREATE TABLE data.cps (cps_id VARCHAR, urn VARCHAR)")
            cur.execute("CREATE TABLE data.courts (case_number VARCHAR, urn VARCHAR)")
        with pytest.raises(JourneyError) as caught:
            build_journeys(ws, clusters=clusters)
        text = str(caught.value)
        assert "“stage the police records”" in text
        assert "SQL: CREATE OR REPLACE TEMP TABLE _jw_p AS SELECT" in text
        assert "p.urn" in text and "Check that the police, CPS and court datasets" in text
        assert isinstance(caught.value.__cause__, SqlStepError)
        assert caught.value.__cause__.step == "stage the police records"
        assert not ws.table_exists("journeys", "linked")
