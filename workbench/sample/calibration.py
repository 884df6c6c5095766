"""Calendar, areas, outcome labels and per-group calibration of the synthetic sample.

The constants here fix the shape of the generated history: when it starts and when reporting
starts, which areas are pilots and how much crime they carry, the labels of police outcomes, CPS
decisions and court results, and the per-offence-group rates and delays that the generator draws
from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sample import names as ref

START_DATE = date(2015, 1, 1)
"""First day of the generated history (crimes are recorded from this day)."""
FIRST_REPORTED_DATE = date(2019, 1, 1)
"""First day of the first reported period: from here on cohorts and completion periods are
complete; the years before it are a lead-in."""
PILOT_AREAS: tuple[str, ...] = ("Greater Manchester", "West Midlands", "West Yorkshire")
"""LCJB areas whose crime volume is scaled up so that their area figures rest on hundreds of
cases a quarter."""
PILOT_SCALE = 4.5
"""How many times its share of national crime a pilot area carries."""
AREA_NAMES: tuple[str, ...] = tuple(a.name for a in ref.AREAS)

OUTCOME_CHARGED = "charged/summonsed"
OUTCOME_OOC_FORMAL = "out-of-court (formal)"
OUTCOME_OOC_INFORMAL = "out-of-court (informal)"
OUTCOME_DIVERSIONARY = "diversionary"
OUTCOME_EVIDENTIAL_SUPPORTS = "evidential difficulties — suspect identified, victim supports action"
OUTCOME_VICTIM_NO_SUPPORT = VICTIM_NOT_SUPPORT
OUTCOME_PROSECUTION_PREVENTED = "prosecution prevented or not in the public interest"
OUTCOME_FURTHER_INVESTIGATION = "further investigation not in the public interest"
OUTCOME_TRANSFERRED = "transferred to another body"
OUTCOME_NO_SUSPECT = "investigation complete — no suspect identified"
OUTCOME_TYPES: tuple[str, ...] = (
    OUTCOME_CHARGED,
    OUTCOME_OOC_FORMAL,
    OUTCOME_OOC_INFORMAL,
    OUTCOME_DIVERSIONARY,
    OUTCOME_EVIDENTIAL_SUPPORTS,
    OUTCOME_VICTIM_NO_SUPPORT,
    OUTCOME_PROSECUTION_PREVENTED,
    OUTCOME_FURTHER_INVESTIGATION,
    OUTCOME_TRANSFERRED,
    OUTCOME_NO_SUSPECT,
)
"""The ten Home Office outcome types, as spelt in the sample."""

CPS_DECISIONS: tuple[str, ...] = (
    "charge",
    "no further action — evidential",
    "no further action — public interest",
    "out-of-court disposal",
)
PLEAS: tuple[str, ...] = ("guilty", "not guilty", "no plea")
VERDICTS: tuple[str, ...] = ("convicted", "acquitted", "dismissed", "withdrawn")
SENTENCES: tuple[str, ...] = (
    "fine",
    "community order",
    "suspended sentence",
    "immediate custody",
    "discharge",
    "otherwise dealt with",
)
FINALISATION_BY_VERDICT: tuple[str, ...] = ("conviction", "acquittal", "dismissed", "discontinued")

# Outcome of suspect-identified crimes that are not referred to the CPS and are not closed
# because the victim does not support action, in the order of OUTCOME_TYPES indices.
OTHER_OUTCOMES: tuple[tuple[int, float], ...] = (
    (4, 0.40),  # evidential difficulties, victim supports
    (2, 0.25),  # out-of-court (informal)
    (1, 0.12),  # out-of-court (formal)
    (3, 0.05),  # diversionary
    (6, 0.07),  # prosecution prevented
    (7, 0.06),  # further investigation not in the public interest
    (8, 0.05),  # transferred
)


@dataclass(frozen=True)
class GroupCalibration:
    """How crimes of one offence group move through the system.

    Attributes:
        no_suspect: Share of recorded crimes closed with no suspect identified.
        referral: Share of suspect-identified crimes referred to the CPS for a decision.
        cps_charge: Share of CPS decisions that are to charge.
        victim_no_support: Share of non-referred victim-based suspect crimes closed because the
            victim does not support action.
        investigation_days: Median days from recording to referral to the CPS.
        decision_days: Median days from referral to the CPS decision.
        report_delay: Share of crimes reported long after the offence (historic reports).
        report_delay_days: Median delay of those late reports.
        court_factor: Multiplier on time from first hearing to completion.
    """

    no_suspect: float
    referral: float
    cps_charge: float
    victim_no_support: float
    investigation_days: float = 28.0
    decision_days: float = 6.0
    report_delay: float = 0.08
    report_delay_days: float = 20.0
    court_factor: float = 1.0


GROUP_CALIBRATION: dict[str, GroupCalibration] = {
    ref.VAP: GroupCalibration(0.22, 0.11, 0.72, 0.68),
    ref.SEX: GroupCalibration(
        0.20,
        0.08,
        0.58,
        0.55,
        investigation_days=200.0,
        decision_days=70.0,
        report_delay=0.35,
        report_delay_days=700.0,
        court_factor=2.6,
    ),
    ref.ROB: GroupCalibration(0.50, 0.35, 0.78, 0.50, investigation_days=30.0),
    ref.THEFT: GroupCalibration(0.64, 0.17, 0.76, 0.58),
    ref.DAMAGE: GroupCalibration(0.60, 0.12, 0.74, 0.60),
    ref.DRUGS: GroupCalibration(0.02, 0.20, 0.80, 0.0, investigation_days=45.0),
    ref.WEAPONS: GroupCalibration(0.05, 0.45, 0.80, 0.0),
    ref.PUBLIC_ORDER: GroupCalibration(0.30, 0.06, 0.72, 0.0),
    ref.MISC: GroupCalibration(0.05, 0.35, 0.80, 0.0),
    ref.FRAUD: GroupCalibration(
        0.60,
        0.20,
        0.70,
        0.40,
        investigation_days=90.0,
        decision_days=20.0,
        report_delay=0.40,
        report_delay_days=60.0,
    ),
    ref.SUMMARY: GroupCalibration(0.0, 0.30, 0.90, 0.0),
    ref.MOTORING: GroupCalibration(0.0, 0.45, 0.90, 0.0, investigation_days=40.0),
}

# Crown Court median days from first hearing to completion, by year of charge.
CROWN_MEDIAN_DAYS: dict[int, float] = {
    2015: 165.0,
    2016: 165.0,
    2017: 165.0,
    2018: 170.0,
    2019: 170.0,
    2020: 260.0,
    2021: 300.0,
    2022: 335.0,
    2023: 375.0,
    2024: 370.0,
}
CROWN_MEDIAN_LATEST = 380.0
FIRST_YEAR = min(CROWN_MEDIAN_DAYS)
CROWN_INVESTIGATION_FACTOR = 1.6
MOVE_SHARE = 0.3
AWAY_SHARE = 0.08
MIDDLE_NAME_SHARE = 0.6
PRIOR_PNC_SHARE = 0.45
SECONDARY_CHARGE_SHARE = 0.15
COURT_NAME_MISSING = 0.2
