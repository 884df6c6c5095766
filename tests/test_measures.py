"""Measures on tiny hand-made journey tables, against hand-computed expectations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from workbench.analysis.journeys.table import write_journeys
from workbench.analysis.measures.attrition import attrition_funnel, attrition_reasons
from workbench.analysis.measures.caseload import outstanding_caseload
from workbench.analysis.measures.demand import receipts
from workbench.analysis.measures.headline import headline_measures
from workbench.analysis.measures.maturity import maturity
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.measures.timeliness import timeliness, timeliness_distribution
from workbench.analysis.measures.uncertainty import (
    median_interval,
    median_rank_interval,
    wilson_interval,
)
from workbench.errors import MeasureError
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.workspace import Workspace

D = date.fromisoformat
NO_SUSPECT = "investigation complete — no suspect identified"


def _row(jid: str, area: str, **kw: object) -> dict[str, object]:
    base = {
        "journey_id": jid,
        "crime_ref": jid,
        "lcjb_area": area,
        "start_stage": "recorded",
        "offence_group": "theft offences",
        "victim_based": True,
        "suspect_identified": True,
        "charged": False,
        "convicted": False,
    }
    base.update(kw)
    base.setdefault("start_date", base.get("offence_date"))
    return base


ROWS = [
    # Kent: 6 recorded
    _row(
        "K1",
        "Kent",
        offence_date=D("2024-01-01"),
        recorded_date=D("2024-01-02"),
        suspect_identified=False,
        police_outcome_type=NO_SUSPECT,
    ),
    _row(
        "K2",
        "Kent",
        offence_date=D("2024-01-05"),
        recorded_date=D("2024-01-05"),
        police_outcome_type=VICTIM_NOT_SUPPORT,
    ),
    _row(
        "K3",
        "Kent",
        offence_date=D("2024-02-01"),
        recorded_date=D("2024-02-01"),
        charged=True,
        charge_date=D("2024-02-11"),
        referral_date=D("2024-02-05"),
        first_hearing_date=D("2024-03-02"),
        court_type="magistrates",
        completion_date=D("2024-03-02"),
        verdict="convicted",
        convicted=True,
    ),
    _row(
        "K4",
        "Kent",
        offence_date=D("2024-04-01"),
        recorded_date=D("2024-04-01"),
        charged=True,
        charge_date=D("2024-05-01"),
        referral_date=D("2024-04-20"),
        first_hearing_date=D("2024-05-21"),
        court_type="Crown",
        completion_date=D("2024-11-17"),
        verdict="acquitted",
        victim_based=False,
    ),
    _row(
        "K5",
        "Kent",
        offence_date=D("2024-04-10"),
        recorded_date=D("2024-04-11"),
        charged=True,
        charge_date=D("2024-04-30"),
        referral_date=D("2024-04-15"),
        first_hearing_date=D("2024-05-30"),
        court_type="Crown",
    ),
    _row(
        "K6",
        "Kent",
        offence_date=D("2024-07-01"),
        recorded_date=D("2024-07-02"),
        charged=True,
        charge_date=D("2024-07-31"),
    ),
    # Dorset: 2 recorded, 1 CPS-only partial journey
    _row(
        "D1",
        "Dorset",
        offence_date=D("2024-01-03"),
        recorded_date=D("2024-01-04"),
        charged=True,
        charge_date=D("2024-01-23"),
        first_hearing_date=D("2024-02-02"),
        court_type="magistrates",
        completion_date=D("2024-04-02"),
        verdict="convicted",
        convicted=True,
    ),
    _row(
        "D2",
        "Dorset",
        offence_date=D("2024-02-03"),
        recorded_date=D("2024-02-03"),
        police_outcome_type=VICTIM_NOT_SUPPORT,
    ),
    {
        "journey_id": "C9",
        "cps_id": "C9",
        "lcjb_area": "Dorset",
        "start_stage": "referral",
        "referral_date": D("2024-03-01"),
        "start_date": D("2024-03-01"),
        "charged": True,
        "convicted": False,
        "suspect_identified": True,
    },
]


@pytest.fixture
def ws() -> Iterator[Workspace]:
    workspace = Workspace(":memory:")
    write_journeys(workspace, pd.DataFrame(ROWS), "hand")
    try:
        yield workspace
    finally:
        workspace.close()


def test_funnel_counts_and_rates(ws: Workspace) -> None:
    f = attrition_funnel(ws, "hand").set_index("stage")
    assert f["cases"].tolist() == [8, 7, 5, 4, 3, 2]
    assert f.loc["charged", "rate_of_previous"] == pytest.approx(5 / 7)
    assert f.loc["charged", "rate_of_recorded"] == pytest.approx(5 / 8)
    assert f.loc["convicted", "rate_of_previous"] == pytest.approx(2 / 3)
    assert pd.isna(f.loc["recorded", "rate_of_previous"])


def test_funnel_by_area_period_and_filter(ws: Workspace) -> None:
    f = attrition_funnel(ws, "hand", by=["lcjb_area"])
    kent = f[f["lcjb_area"] == "Kent"].set_index("stage")["cases"]
    assert kent.tolist() == [6, 5, 4, 3, 2, 1]
    q = attrition_funnel(ws, "hand", by=["period"], period="quarter")
    q1 = q[(q["period"] == pd.Timestamp("2024-01-01")) & (q["stage"] == "recorded")]
    assert int(q1["cases"].iloc[0]) == 5  # K1, K2, K3, D1, D2
    only = attrition_funnel(ws, "hand", where=JourneyFilter(victim_based=False))
    assert only["cases"].tolist() == [1, 1, 1, 1, 1, 0]
    with pytest.raises(MeasureError):
        attrition_funnel(ws, "hand", by=["colour"])


def test_reasons_give_victim_not_support_its_own_line(ws: Workspace) -> None:
    r = attrition_reasons(ws, "hand").set_index("reason")
    assert r.loc[VICTIM_NOT_SUPPORT, "cases"] == 2
    assert r.loc[VICTIM_NOT_SUPPORT, "share_of_recorded"] == pytest.approx(2 / 8)
    assert r.loc[NO_SUSPECT, "left_at"] == "before charge"
    assert r.loc["charged, not yet at court", "cases"] == 1  # K6
    assert r.loc["case outstanding at court", "cases"] == 1  # K5
    assert r.loc["acquitted", "cases"] == 1
    assert r["cases"].sum() == 8 - 2  # everything but the two convictions


def test_timeliness_statistics(ws: Workspace) -> None:
    t = timeliness(ws, "hand").set_index("interval")
    # offence to charge: K3 10, K4 30, K5 20, K6 30, D1 20
    row = t.loc["offence_to_charge"]
    assert row["n"] == 5 and row["median"] == 20 and row["mean"] == pytest.approx(22)
    assert row["p25"] == 20 and row["p75"] == 30 and row["p90"] == 30
    # charge to first hearing: K3 20, K4 20, K5 30, D1 10
    assert t.loc["charge_to_first_hearing", "median"] == 20
    # first hearing to completion: K3 0, K4 180, D1 60
    assert t.loc["first_hearing_to_completion", "median"] == 60
    by = timeliness(ws, "hand", intervals=["offence_to_completion"], by=["court_type"])
    crown = by[by["court_type"] == "Crown"].iloc[0]
    assert crown["n"] == 1 and crown["median"] == 230  # K4: 2024-04-01 to 2024-11-17


def test_distribution_bins(ws: Workspace) -> None:
    d = timeliness_distribution(ws, "offence_to_charge", "hand", bin_days=15, max_days=30)
    assert d[["bin_start", "cases"]].values.tolist() == [[0, 1], [15, 2], [30, 2]]
    assert pd.isna(d["bin_end"].iloc[-1]) and d["share"].sum() == pytest.approx(1)


def test_outstanding_caseload(ws: Workspace) -> None:
    at = D("2024-08-01")
    o = outstanding_caseload(ws, at, "hand")
    # in court on 1 Aug: K4 (heard 21 May, done Nov) 72 days, K5 (30 May) 63 days
    assert o["cases"].sum() == 2 and o["age_band"].tolist() == ["under 3 months"]
    both = outstanding_caseload(ws, at, "hand", include_awaiting_hearing=True)
    assert both["cases"].sum() == 3  # plus K6 charged 31 July
    later = outstanding_caseload(ws, D("2024-12-01"), "hand", by=["court_type"])
    assert later.set_index("court_type")["cases"].to_dict() == {"Crown": 1}


def test_receipts_are_continuous_with_zeros(ws: Workspace) -> None:
    r = receipts(ws, "hand", freq="month", by=["lcjb_area", "court_type"])
    kent = r[(r["stage"] == "recorded") & (r["lcjb_area"] == "Kent")]
    assert kent["period"].min() == pd.Timestamp("2024-01-01")
    assert len(kent) == 7 and kent["receipts"].tolist() == [2, 1, 0, 2, 0, 0, 1]
    hearings = r[r["stage"] == "first_hearing"]
    assert set(hearings["court_type"]) == {"magistrates", "Crown"}
    assert hearings["receipts"].sum() == 4
    weekly = receipts(ws, "hand", freq="week", by=[], stages=["referral"])
    assert weekly["period"].diff().dropna().dt.days.eq(7).all()
    assert weekly["receipts"].sum() == 4  # K3, K4, K5 and the CPS-only C9


def test_headlines(ws: Workspace) -> None:
    h = headline_measures(ws, "hand").set_index(["measure", "court_type"])["value"]
    assert h[("charge_rate", "all")] == pytest.approx(5 / 8)
    assert h[("victim_not_support_share", "all")] == pytest.approx(2 / 8)
    assert h[("conviction_rate", "all")] == pytest.approx(2 / 3)
    assert h[("median_offence_to_completion", "magistrates")] == pytest.approx(60)  # 31, 90


def test_missing_table_is_reported(ws: Workspace) -> None:
    with pytest.raises(MeasureError, match="no journey table"):
        attrition_funnel(ws, "nothing")


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (7, 100, 0.03432, 0.13750),  # published Wilson interval for 7/100
        (0, 20, 0.0, 0.16113),
        (20, 20, 0.83887, 1.0),
        (84, 100, 0.75580, 0.89905),
    ],
)
def test_wilson_interval_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=1e-5)
    assert wilson_interval(1, 0) is None


def test_median_interval_ranks_are_binomial() -> None:
    assert median_rank_interval(5) is None  # 1 - 2/32 < 95%: no interval possible
    assert median_rank_interval(6) == (1, 6)
    assert median_rank_interval(10) == (2, 9)
    assert median_rank_interval(100) == (40, 61)
    assert median_interval([5, 1, 4, 2, 3, 9, 7, 8, 6, 10]) == (2.0, 9.0)
    assert median_interval([1, 2, 3]) == (None, None)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_median_rank_interval_is_the_exact_binomial_rank(confidence: float) -> None:
    """The rank is the j with P(B <= j - 1) <= alpha < P(B <= j), B ~ Binomial(n, 1/2), at
    every size (the search starts from a normal approximation)."""
    from scipy.stats import binom

    alpha = (1 - confidence) / 2
    for n in [*range(1, 400), 1_000, 4_999, 25_000, 250_001]:
        ranks = median_rank_interval(n, confidence)
        j = int(binom.ppf(alpha, n, 0.5))
        while j >= 1 and binom.cdf(j - 1, n, 0.5) > alpha:
            j -= 1
        while binom.cdf(j, n, 0.5) <= alpha:
            j += 1
        assert ranks == ((j, n - j + 1) if j >= 1 else None), n


def test_timeliness_median_interval_on_request(ws: Workspace) -> None:
    plain = timeliness(ws, "hand")
    assert "median_low" not in plain.columns  # only when asked, so it is protected
    t = timeliness(ws, "hand", median_ci=True).set_index("interval")
    assert pd.isna(t.loc["offence_to_charge", "median_low"])  # 5 cases: too few
    ended = timeliness(ws, "hand", ended=(D("2024-03-01"), D("2024-03-31")))
    assert ended.set_index("interval").loc["offence_to_completion", "n"] == 1  # K3 only


def test_maturity_windows_from_the_journeys(ws: Workspace) -> None:
    every = maturity(ws, "hand")  # no offence is 3 years old: every offence is used
    assert every.charge_days == pytest.approx(30)  # 90th of 10, 20, 20, 30, 30
    assert every.completion_days == pytest.approx(202)  # 90th of 30, 90, 230
    old = maturity(ws, "hand", lookback_days=100)  # offences up to 23 March 2024
    assert old.charge_days == pytest.approx(19) and old.cases_charged == 2
    assert old.completion_days == pytest.approx(84) and old.cases_completed == 2
