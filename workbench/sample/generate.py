"""Synthetic police, CPS and court extracts with known truth, for teaching and testing linkage.

The generator is person-centred: it draws a population of offenders, gives each a heavy-tailed
number of crimes, follows every crime through the police outcome, the CPS charging decision and
the courts, and then writes each system's view of the people involved with independent
identifier noise. Everything is vectorised with numpy, so a million people take about a minute.

History starts at :data:`START_DATE` (2015), four years before :data:`FIRST_REPORTED_DATE`
(2019): by the first reported period every cohort of offences has had time to be charged and
completed, and cases completing in it include those that began years earlier, as in real
extracts. Three pilot areas (:data:`PILOT_AREAS`) carry :data:`PILOT_SCALE` times their share
of crime, so their quarterly rates rest on hundreds of cases; the other areas stay small.

Three system frames (``police``, ``cps``, ``courts``) carry only what that system would hold.
Three truth frames (``police_truth``, ``cps_truth``, ``courts_truth``) give, for each record key,
the true ``person_id`` and ``case_id`` (the ``crime_ref`` of the police crime the record derives
from). Truth columns never appear in the system frames.

PNC check letter: the ID ``YYYY/NNNNNNNL`` has the check letter
``"ZABCDEFGHJKLMNPQRTUVWXY"[int(YY + NNNNNNN) % 23]`` where ``YY`` is the last two digits of the
year and ``NNNNNNN`` the seven-digit serial number.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.errors import Problem, ValidationError
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sample import names as ref

log = logging.getLogger(__name__)

GENERATOR_VERSION = "2.0"
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
DEFAULT_PEOPLE = 49_000
"""People in the default sample: about 1,800 recorded crimes a quarter in the three pilot areas
together (400 to 730 in each) and about 1,850 in the other 39 areas."""
DEFAULT_END_DATE = date(2026, 10, 31)
EARLIEST_END_DATE = date(2019, 2, 1)
MAX_PEOPLE = 5_000_000
AREA_NAMES: tuple[str, ...] = tuple(a.name for a in ref.AREAS)
FRAME_KEYS = ("police", "cps", "courts", "police_truth", "cps_truth", "courts_truth")
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

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
_OTHER_OUTCOMES: tuple[tuple[int, float], ...] = (
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
_CROWN_MEDIAN_DAYS: dict[int, float] = {
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
_CROWN_MEDIAN_LATEST = 380.0
_FIRST_YEAR = min(_CROWN_MEDIAN_DAYS)
_CROWN_INVESTIGATION_FACTOR = 1.6
_MOVE_SHARE = 0.3
_AWAY_SHARE = 0.08
_MIDDLE_NAME_SHARE = 0.6
_PRIOR_PNC_SHARE = 0.45
_SECONDARY_CHARGE_SHARE = 0.15
_COURT_NAME_MISSING = 0.2


@dataclass(frozen=True)
class ErrorProfile:
    """Identifier noise applied independently to each record in each system.

    Every field is a probability between 0 and 1. Rates marked "applicable" apply only to
    records whose true value can carry that error (a nickname needs a formal forename that has
    one; Mc/Mac spacing needs a Mc, Mac or O' surname), so the realised share over all records
    is lower than the rate.

    Attributes:
        name_typo: A one-character substitution, transposition or deletion, applied to forename
            and surname independently.
        nickname: Forename written as a nickname (William -> Bill); applicable.
        transliteration: Name written in another transliteration (Mohammed -> Muhammad);
            applicable, forename and surname independently.
        mc_mac_spacing: Mc/Mac/O' surname written another way (McDonald -> Mc Donald,
            MacDonald; O'Brien -> OBrien); applicable.
        hyphen_variant: Hyphenated surname losing its hyphen or one of its parts; applicable.
        name_swap: Forename and surname swapped.
        alias: Surname replaced by the person's alias (an entirely different surname).
        forename_placeholder: Forename recorded as "NOT ENTERED".
        case_whitespace: Name in upper or lower case or with stray spaces, per name.
        middle_name_missing: Middle name not recorded although the person has one.
        dob_typo: One digit of the date of birth wrong.
        dob_day_month_swap: Day and month swapped (only where both are 12 or less and differ).
        dob_placeholder: Date of birth recorded as 1900-01-01 or 1970-01-01.
        postcode_no_fixed_abode: Postcode recorded as "NF1 1NF".
        postcode_missing: Postcode not recorded.
        postcode_typo: One character of the inward code wrong.
        sex_unknown: Police sex recorded as "U" or left empty.
        pnc_missing_police: PNC ID not recorded on a police suspect record.
        pnc_missing_courts: PNC ID not recorded on a court record.
        pnc_typo: One digit of a recorded PNC ID wrong.
        urn_missing_cps: URN missing from a CPS record.
        urn_missing_courts: URN missing from a court record.
        urn_typo: One digit of a recorded URN wrong (CPS and courts).
    """

    name_typo: float = 0.02
    nickname: float = 0.08
    transliteration: float = 0.25
    mc_mac_spacing: float = 0.2
    hyphen_variant: float = 0.25
    name_swap: float = 0.01
    alias: float = 0.01
    forename_placeholder: float = 0.003
    case_whitespace: float = 0.05
    middle_name_missing: float = 0.3
    dob_typo: float = 0.015
    dob_day_month_swap: float = 0.01
    dob_placeholder: float = 0.005
    postcode_no_fixed_abode: float = 0.015
    postcode_missing: float = 0.04
    postcode_typo: float = 0.01
    sex_unknown: float = 0.02
    pnc_missing_police: float = 0.25
    pnc_missing_courts: float = 0.5
    pnc_typo: float = 0.01
    urn_missing_cps: float = 0.03
    urn_missing_courts: float = 0.15
    urn_typo: float = 0.02

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem(f"{f.name} must be a number, not {value!r}"))
            elif not 0.0 <= float(value) <= 1.0 or value != value:
                problems.append(Problem(f"{f.name} must be between 0 and 1, not {value}"))
        if problems:
            raise ValidationError(
                f"The error profile is not valid: {'; '.join(map(str, problems))}.",
                hint="Give every rate as a probability between 0 and 1.",
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorProfile:
        """Build a profile from a mapping of rate names to values; missing rates keep defaults.

        Args:
            data: Rate names (the field names of this class) mapped to numbers in [0, 1].

        Raises:
            ValidationError: If a name is unknown or a value is not a number in [0, 1].
        """
        if not isinstance(data, dict):
            raise ValidationError(
                "The error profile must be an object of rate names to numbers.",
                hint='For example {"name_typo": 0.02}.',
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValidationError(
                f"The error profile has unknown rates: {', '.join(unknown)}.",
                hint=f"Known rates: {', '.join(sorted(known))}.",
            )
        return cls(**data)

    @classmethod
    def none(cls) -> ErrorProfile:
        """A profile with every rate 0: each system records the truth exactly."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def to_dict(self) -> dict[str, float]:
        """The rates as a plain dictionary, in field order."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_sample` wrote.

    Attributes:
        out_dir: The folder written to.
        files: Frame key -> Parquet file (plus ``"manifest"`` -> manifest.json).
        rows: Frame key -> row count.
        people: Number of people in the population.
        seed: Random seed used.
        start_date: First day of the generated history (:data:`START_DATE`).
        end_date: Last day of the period.
        first_reported_date: First day of the first reported period
            (:data:`FIRST_REPORTED_DATE`).
        pilot_areas: The areas with scaled-up volumes (:data:`PILOT_AREAS`).
    """

    out_dir: Path
    files: dict[str, Path]
    rows: dict[str, int]
    people: int
    seed: int
    start_date: date
    end_date: date
    first_reported_date: date = FIRST_REPORTED_DATE
    pilot_areas: tuple[str, ...] = PILOT_AREAS


# --------------------------------------------------------------------------------------------
# small vectorised helpers


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices with probability proportional to ``weights``."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    idx = np.searchsorted(cum, rng.random(size) * cum[-1], side="right")
    return np.minimum(idx, len(cum) - 1)


def _lognormal_days(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int
) -> np.ndarray:
    """Whole days from a lognormal with the given median and log-scale spread."""
    return np.rint(np.asarray(median) * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def _days(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = days.astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def _from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return (months.astype("datetime64[D]").astype(np.int64) + (d - 1)).astype(np.int64)


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(values).astype(np.int64).astype("T"), width)


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    out = parts[0] if not isinstance(parts[0], str) else np.asarray(parts[0], dtype="T")
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _take(labels: tuple[str, ...] | list[str], idx: np.ndarray) -> np.ndarray:
    return np.asarray(labels, dtype="T")[idx]


def _group_seq(keys: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """1-based running number of each row within its key group, counting in ``order``."""
    frame = pd.DataFrame({f"k{i}": k[order] for i, k in enumerate(keys)})
    seq = np.empty(len(order), dtype=np.int64)
    seq[order] = frame.groupby(list(frame.columns), sort=False).cumcount().to_numpy() + 1
    return seq


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return date(year, month, day)


def _bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England and Wales bank holidays (as day numbers), ignoring one-off extra days."""
    out: list[int] = []
    for year in range(first_year, last_year + 1):
        jan1 = np.datetime64(f"{year}-01-01")
        out.append(int(np.busday_offset(jan1, 0, roll="forward").astype(np.int64)))
        easter = _days(_easter(year))
        out += [easter - 2, easter + 1]
        for month, which in ((5, 0), (5, -1), (8, -1)):
            first = np.datetime64(f"{year}-{month:02d}", "M")
            if which == 0:
                day = np.busday_offset(first, 0, roll="forward", weekmask="Mon")
            else:
                day = np.busday_offset(first + 1, -1, roll="forward", weekmask="Mon")
            out.append(int(day.astype("datetime64[D]").astype(np.int64)))
        xmas = np.datetime64(f"{year}-12-25")
        out += [int(xmas.astype(np.int64)), int(xmas.astype(np.int64)) + 1]
    return np.asarray(out, dtype=np.int64)


def _recording_weights(start: int, end: int) -> np.ndarray:
    """Relative volume of crime recorded on each day from ``start`` to ``end`` inclusive."""
    days = np.arange(start, end + 1, dtype=np.int64)
    y, m, d = _ymd(days)
    weekday = (days + 3) % 7  # 0 = Monday
    w = np.array([1.08, 1.05, 1.04, 1.03, 1.02, 0.84, 0.78])[weekday]
    month = np.array([0.95, 0.93, 0.98, 0.98, 1.02, 1.04, 1.06, 0.88, 1.0, 1.02, 1.0, 0.95])
    w = w * month[m - 1]
    w = np.where(((m == 12) & (d >= 24)) | ((m == 1) & (d == 1)), w * 0.7, w)
    holidays = _bank_holidays(int(y.min()), int(y.max()))
    w = np.where(np.isin(days, holidays), w * 0.6, w)
    lockdown = [
        ("2020-03-01", "2020-03-22", 0.9),
        ("2020-03-23", "2020-05-31", 0.62),
        ("2020-06-01", "2020-06-30", 0.85),
        ("2020-11-05", "2020-12-01", 0.9),
        ("2021-01-05", "2021-03-07", 0.88),
    ]
    for lo, hi, factor in lockdown:
        inside = (days >= _days(date.fromisoformat(lo))) & (days <= _days(date.fromisoformat(hi)))
        w = np.where(inside, w * factor, w)
    return w * (1.0 + 0.025 * (days - start) / 365.25)


# --------------------------------------------------------------------------------------------
# reference tables


@dataclass(frozen=True)
class _Vocabulary:
    """All name spellings the generator can write, with variant tables over their indices."""

    words: np.ndarray
    male: np.ndarray
    female: np.ndarray
    surnames: np.ndarray
    nickname: tuple[np.ndarray, np.ndarray, np.ndarray]
    translit: tuple[np.ndarray, np.ndarray, np.ndarray]
    spacing: tuple[np.ndarray, np.ndarray, np.ndarray]
    hyphen: tuple[np.ndarray, np.ndarray, np.ndarray]
    placeholder: int


def _spacing_variants(name: str) -> tuple[str, ...]:
    if "-" in name:
        a, b = name.split("-", 1)
        return (f"{a} {b}", f"{a}{b}", a, b)
    if name.startswith("O'"):
        rest = name[2:]
        return (f"O{rest}", f"O {rest}", f"O{rest.lower()}")
    if name.startswith("Mac") and len(name) > 3:
        rest = name[3:]
        cap = rest[0].upper() + rest[1:]
        return (
            (f"Mc{cap}", f"Mac {cap}", f"Mc {cap}")
            if rest[0].isupper()
            else (
                f"Mac{cap}",
                f"Mc{cap}",
            )
        )
    if name.startswith("Mc") and len(name) > 2:
        rest = name[2:]
        return (f"Mc {rest}", f"Mac{rest}", f"Mc{rest.lower()}")
    return ()


def _build_vocabulary() -> _Vocabulary:
    male = list(dict.fromkeys(ref.MALE_FORENAMES))
    female = list(dict.fromkeys(ref.FEMALE_FORENAMES))
    surnames = list(dict.fromkeys(ref.SURNAMES))
    words: dict[str, int] = {"": 0}

    def add(word: str) -> int:
        return words.setdefault(word, len(words))

    for name in (*male, *female, *surnames):
        add(name)
    tables: dict[str, dict[int, list[int]]] = {
        "nick": {},
        "translit": {},
        "spacing": {},
        "hyphen": {},
    }
    for formal, nicks in ref.NICKNAMES.items():
        tables["nick"][add(formal)] = [add(n) for n in nicks]
    for group in ref.TRANSLITERATIONS:
        ids = [add(n) for n in group]
        for i in ids:
            tables["translit"][i] = [j for j in ids if j != i]
    for name in surnames:
        variants = _spacing_variants(name)
        if variants:
            kind = "hyphen" if "-" in name else "spacing"
            tables[kind][words[name]] = [add(v) for v in variants]
    placeholder = add(ref.PLACEHOLDER_FORENAME)
    size = len(words)

    def table(mapping: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        offsets = np.zeros(size, dtype=np.int64)
        counts = np.zeros(size, dtype=np.int64)
        flat: list[int] = []
        for key, targets in mapping.items():
            offsets[key] = len(flat)
            counts[key] = len(targets)
            flat.extend(targets)
        return offsets, counts, np.asarray(flat or [0], dtype=np.int64)

    return _Vocabulary(
        words=np.asarray(list(words), dtype="T"),
        male=np.asarray([words[n] for n in male], dtype=np.int64),
        female=np.asarray([words[n] for n in female], dtype=np.int64),
        surnames=np.asarray([words[n] for n in surnames], dtype=np.int64),
        nickname=table(tables["nick"]),
        translit=table(tables["translit"]),
        spacing=table(tables["spacing"]),
        hyphen=table(tables["hyphen"]),
        placeholder=placeholder,
    )


@dataclass(frozen=True)
class _Forces:
    """Police forces (London has two) with their area, codes and URN station codes."""

    names: tuple[str, ...]
    codes: tuple[str, ...]
    numbers: np.ndarray
    area: np.ndarray
    station_offsets: np.ndarray
    station_counts: np.ndarray
    stations: tuple[str, ...]


def _build_forces() -> _Forces:
    names: list[str] = []
    codes: list[str] = []
    numbers: list[int] = []
    area: list[int] = []
    offsets: list[int] = []
    counts: list[int] = []
    stations: list[str] = []
    for a, spec in enumerate(ref.AREAS):
        for name, code, number in zip(
            spec.forces, spec.force_codes, spec.force_numbers, strict=True
        ):
            own = (
                ["BS", "SN"]
                if name == "City of London Police"
                else list(dict.fromkeys(t.replace(" ", "")[:2].upper() for t in spec.court_towns))
            )
            names.append(name)
            codes.append(code)
            numbers.append(number)
            area.append(a)
            offsets.append(len(stations))
            counts.append(len(own))
            stations.extend(own)
    return _Forces(
        names=tuple(names),
        codes=tuple(codes),
        numbers=np.asarray(numbers),
        area=np.asarray(area),
        station_offsets=np.asarray(offsets),
        station_counts=np.asarray(counts),
        stations=tuple(stations),
    )


# --------------------------------------------------------------------------------------------
# the population


def _area_weights() -> np.ndarray:
    """Relative crime volume of each area: population times crime rate, pilots scaled up."""
    scale = np.asarray([PILOT_SCALE if a.name in PILOT_AREAS else 1.0 for a in ref.AREAS])
    return np.asarray([a.population * a.crime_factor for a in ref.AREAS]) * scale


def _draw_postcodes(rng: np.random.Generator, area: np.ndarray) -> np.ndarray:
    """A plausible postcode in each given LCJB area, such as ``ME14 2XY``."""
    n = len(area)
    pc_areas = sorted({p for a in ref.AREAS for p in a.postcode_areas})
    pc_index = {p: i for i, p in enumerate(pc_areas)}
    offsets = np.zeros(len(ref.AREAS), dtype=np.int64)
    counts = np.zeros(len(ref.AREAS), dtype=np.int64)
    flat: list[int] = []
    for i, spec in enumerate(ref.AREAS):
        offsets[i], counts[i] = len(flat), len(spec.postcode_areas)
        flat.extend(pc_index[p] for p in spec.postcode_areas)
    chosen = np.asarray(flat)[offsets[area] + (rng.random(n) * counts[area]).astype(np.int64)]
    max_district = np.asarray([ref.POSTCODE_DISTRICTS.get(p, 20) for p in pc_areas])
    # Low-numbered districts are the busier town centres.
    district = 1 + np.floor(max_district[chosen] * rng.random(n) ** 1.6).astype(np.int64)
    letters = np.asarray(list(ref.INWARD_LETTERS), dtype="T")
    inward = _cat(
        rng.integers(0, 10, n).astype("T"),
        letters[rng.integers(0, len(letters), n)],
        letters[rng.integers(0, len(letters), n)],
    )
    return _cat(_take(pc_areas, chosen), district.astype("T"), " ", inward)


def _draw_people(rng: np.random.Generator, n: int, vocab: _Vocabulary) -> dict[str, np.ndarray]:
    """Draw everything about each person that does not depend on their crimes."""
    male = rng.random(n) < 0.8
    fm = _pick(rng, 1.0 / np.arange(1, len(vocab.male) + 1) ** 0.9, n)
    ff = _pick(rng, 1.0 / np.arange(1, len(vocab.female) + 1) ** 0.9, n)
    forename = np.where(male, vocab.male[fm], vocab.female[ff])
    mm = _pick(rng, 1.0 / np.arange(1, len(vocab.male) + 1) ** 0.8, n)
    mf = _pick(rng, 1.0 / np.arange(1, len(vocab.female) + 1) ** 0.8, n)
    middle = np.where(male, vocab.male[mm], vocab.female[mf])
    middle = np.where((rng.random(n) < _MIDDLE_NAME_SHARE) & (middle != forename), middle, 0)
    zipf = 1.0 / np.arange(1, len(vocab.surnames) + 1) ** 0.85
    surname = vocab.surnames[_pick(rng, zipf, n)]
    alias = vocab.surnames[_pick(rng, zipf, n)]
    area = _pick(rng, _area_weights(), n)
    # Crimes per person: a discrete Pareto tail (most one, some 2-5, a few 10 or more).
    crimes = np.minimum(np.floor(rng.random(n) ** (-1.0 / 1.6)).astype(np.int64), 60)
    return {
        "male": male,
        "forename": forename,
        "middle": middle,
        "surname": surname,
        "alias": alias,
        "area": area,
        "crimes": crimes,
        "postcode": _draw_postcodes(rng, area),
        "postcode_new": _draw_postcodes(rng, area),
        "age_u": rng.random(n),
        "age_gamma": rng.gamma(2.0, 8.5, n),
        "move_u": rng.random(n),
        "move_frac": rng.random(n),
        "pnc_u": rng.random(n),
        "pnc_year_u": rng.random(n),
        "pnc_serial": rng.choice(10_000_000, size=n, replace=False),
    }


def _finish_people(
    people: dict[str, np.ndarray], first_offence: np.ndarray, first_recorded: np.ndarray, end: int
) -> None:
    """Add date of birth, move date and PNC ID, which depend on each person's first crime."""
    age_years = np.clip(10.0 + people["age_gamma"], 10.0, 80.0)
    dob = first_offence - np.floor(age_years * 365.25).astype(np.int64)
    people["dob"] = dob
    moves = people["move_u"] < _MOVE_SHARE
    move_day = first_recorded + np.floor(people["move_frac"] * (end - first_recorded)).astype(
        np.int64
    )
    people["move_day"] = np.where(moves, move_day, np.iinfo(np.int64).max)
    first_year = _ymd(first_recorded)[0]
    birth_year = _ymd(dob)[0]
    earliest = np.maximum(birth_year + 12, 1995)
    # Some people already had a PNC record before the generated history starts.
    before = START_DATE.year
    prior = (people["pnc_u"] < _PRIOR_PNC_SHARE) & (earliest <= before - 1)
    prior_year = earliest + np.floor(people["pnc_year_u"] * (before - earliest)).astype(np.int64)
    year = np.where(prior, np.minimum(prior_year, before - 1), first_year)
    serial = people["pnc_serial"]
    check = (year % 100 * 10_000_000 + serial) % 23
    people["pnc"] = _cat(
        year.astype("T"), "/", _zfill(serial, 7), _take(list(PNC_CHECK_LETTERS), check)
    )


# --------------------------------------------------------------------------------------------
# crimes and their path through the system


def _offence_arrays() -> dict[str, np.ndarray]:
    groups = list(ref.OFFENCE_GROUPS)
    group = np.asarray([groups.index(o.group) for o in ref.OFFENCES])
    weight = np.asarray([o.weight for o in ref.OFFENCES])
    cal = [GROUP_CALIBRATION[g] for g in groups]
    ns = np.asarray([c.no_suspect for c in cal])[group]
    return {
        "group": group,
        "victim": np.asarray([o.victim_based for o in ref.OFFENCES]),
        "crown": np.asarray([o.crown_share for o in ref.OFFENCES]),
        "suspect_weight": weight * (1 - ns),
        "no_suspect_weight": weight * ns,
        "referral": np.asarray([c.referral for c in cal]),
        "cps_charge": np.asarray([c.cps_charge for c in cal]),
        "victim_no_support": np.asarray([c.victim_no_support for c in cal]),
        "investigation_days": np.asarray([c.investigation_days for c in cal]),
        "decision_days": np.asarray([c.decision_days for c in cal]),
        "report_delay": np.asarray([c.report_delay for c in cal]),
        "report_delay_days": np.asarray([c.report_delay_days for c in cal]),
        "court_factor": np.asarray([c.court_factor for c in cal]),
    }


def _draw_crimes(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    forces: _Forces,
    start: int,
    end: int,
) -> dict[str, np.ndarray]:
    """Draw every recorded crime, with and without a suspect, and its path to a court outcome."""
    off = _offence_arrays()
    n_people = len(people["crimes"])
    person = np.repeat(np.arange(n_people, dtype=np.int64), people["crimes"])
    n_s = len(person)
    share_ns = off["no_suspect_weight"].sum() / (
        off["no_suspect_weight"].sum() + off["suspect_weight"].sum()
    )
    n_ns = round(n_s * share_ns / (1 - share_ns))
    n = n_s + n_ns
    has_suspect = np.arange(n) < n_s
    person = np.concatenate([person, np.full(n_ns, -1, dtype=np.int64)])

    weights = _recording_weights(start, end)
    recorded = start + _pick(rng, weights, n)
    away = rng.random(n) < _AWAY_SHARE
    random_area = _pick(rng, _area_weights(), n)
    home = people["area"][np.maximum(person, 0)]
    area = np.where(has_suspect & ~away, home, random_area)
    offence = np.where(
        has_suspect,
        _pick(rng, off["suspect_weight"], n),
        _pick(rng, off["no_suspect_weight"], n),
    )
    group = off["group"][offence]

    # Force: the area's force, except a small share of London crime for the City force.
    first_force = np.searchsorted(forces.area, area)
    is_london = np.asarray([ref.AREAS[a].name == "London" for a in range(len(ref.AREAS))])[area]
    force = np.where(
        is_london & (rng.random(n) < ref.CITY_OF_LONDON_SHARE), first_force + 1, first_force
    )

    # Offence date: mostly reported the same or next few days, some much later.
    late = rng.random(n) < off["report_delay"][group]
    short = np.where(rng.random(n) < 0.75, 0, rng.geometric(0.5, n))
    long_delay = _lognormal_days(rng, off["report_delay_days"][group], 1.2, n)
    offence_day = recorded - np.where(late, long_delay, short)

    # Outcome path.
    u_ref, u_dec, u_vds, u_other = rng.random((4, n))
    referred = has_suspect & (u_ref < off["referral"][group])
    charge_p = off["cps_charge"][group]
    decision = np.full(n, -1, dtype=np.int64)
    rest = (u_dec - charge_p) / np.maximum(1 - charge_p, 1e-9)
    decision = np.where(
        referred, np.select([u_dec < charge_p, rest < 0.62, rest < 0.75], [0, 1, 2], 3), decision
    )
    vds = (
        has_suspect & ~referred & off["victim"][offence] & (u_vds < off["victim_no_support"][group])
    )
    codes, probs = zip(*_OTHER_OUTCOMES, strict=True)
    other = np.asarray(codes)[_pick_from_uniform(u_other, np.asarray(probs))]
    from_decision = np.asarray([0, 4, 6, 1])
    outcome = np.select(
        [~has_suspect, referred, vds],
        [9, from_decision[np.maximum(decision, 0)], 5],
        other,
    )

    sexual = group == ref.OFFENCE_GROUPS.index(ref.SEX)
    crown = rng.random(n) < off["crown"][offence]
    investigation = off["investigation_days"][group] * np.where(
        crown, _CROWN_INVESTIGATION_FACTOR, 1.0
    )
    referral_day = recorded + _lognormal_days(rng, investigation, 1.0, n)
    decision_day = referral_day + _lognormal_days(rng, off["decision_days"][group], 1.1, n)
    closed_day = recorded + _lognormal_days(rng, np.where(sexual, 150.0, 25.0), 1.2, n)
    no_suspect_day = recorded + _lognormal_days(rng, 12.0, 1.0, n)
    outcome_day = np.select([~has_suspect, referred], [no_suspect_day, decision_day], closed_day)

    # Court stage for charged crimes.
    charged = referred & (decision == 0)
    first_hearing = decision_day + np.maximum(_lognormal_days(rng, 21.0, 0.7, n), 1)
    plea_probs = np.where(crown[:, None], [0.66, 0.30, 0.04], [0.72, 0.22, 0.06])
    plea = _pick_from_uniform(rng.random(n), plea_probs)
    verdict_probs = np.array(
        [[1.0, 0.0, 0.0, 0.0], [0.47, 0.35, 0.06, 0.12], [0.25, 0.0, 0.15, 0.60]]
    )
    verdict = _pick_from_uniform(rng.random(n), verdict_probs[plea])
    charge_year = _ymd(decision_day)[0]
    by_year = np.asarray(
        [_CROWN_MEDIAN_DAYS.get(y, _CROWN_MEDIAN_LATEST) for y in range(_FIRST_YEAR, 2041)]
    )
    crown_median = by_year[np.clip(charge_year, _FIRST_YEAR, 2040) - _FIRST_YEAR]
    plea_factor = np.array([0.55, 1.6, 1.0])[plea]
    crown_days = _lognormal_days(
        rng, crown_median * plea_factor * off["court_factor"][group], 0.6, n
    )
    at_first = (plea == 0) & (rng.random(n) < 0.3)
    mags_median = np.array([105.0, 210.0, 150.0])[plea]
    mags_days = np.where(at_first, 0, _lognormal_days(rng, mags_median, 0.9, n))
    completion = first_hearing + np.where(crown, crown_days, mags_days)
    sentence_mags = np.array([0.38, 0.2, 0.08, 0.06, 0.16, 0.12])
    sentence_crown = np.array([0.02, 0.18, 0.26, 0.46, 0.03, 0.05])
    u_sentence = rng.random(n)
    sentence = np.where(
        crown,
        _pick_from_uniform(u_sentence, sentence_crown),
        _pick_from_uniform(u_sentence, sentence_mags),
    )
    secondary = np.where(
        rng.random(n) < _SECONDARY_CHARGE_SHARE,
        rng.integers(0, len(ref.SECONDARY_CHARGES), n),
        -1,
    )
    station_pick = rng.random(n)
    court_town_u = rng.random(n)

    return {
        "person": person,
        "has_suspect": has_suspect,
        "recorded": recorded,
        "offence_day": offence_day,
        "area": area,
        "force": force,
        "offence": offence,
        "group": group,
        "outcome": outcome,
        "outcome_day": outcome_day,
        "referred": referred,
        "referral_day": referral_day,
        "decision": decision,
        "decision_day": decision_day,
        "charged": charged,
        "crown": crown,
        "first_hearing": first_hearing,
        "plea": plea,
        "verdict": verdict,
        "completion": completion,
        "sentence": sentence,
        "secondary": secondary,
        "station_pick": station_pick,
        "court_town_u": court_town_u,
    }


def _pick_from_uniform(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical draws from uniforms ``u``; ``probs`` is one row of weights or one per draw."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    if cum.shape[0] == 1:
        cum = np.broadcast_to(cum, (len(u), cum.shape[1]))
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


# --------------------------------------------------------------------------------------------
# identifier noise


def _variant(
    rng: np.random.Generator,
    idx: np.ndarray,
    table: tuple[np.ndarray, np.ndarray, np.ndarray],
    rate: float,
) -> np.ndarray:
    offsets, counts, flat = table
    u, v = rng.random((2, len(idx)))
    hit = (u < rate) & (counts[idx] > 0)
    choice = offsets[idx] + np.floor(v * counts[idx]).astype(np.int64)
    return np.where(hit, flat[np.minimum(choice, len(flat) - 1)], idx)


def _typo(rng: np.random.Generator, words: np.ndarray, rate: float) -> np.ndarray:
    """One substitution, transposition or deletion in a share ``rate`` of non-empty words."""
    n = len(words)
    u, op_u, pos_u, letter_u = rng.random((4, n))
    length = np.strings.str_len(words)
    hit = np.flatnonzero((u < rate) & (length >= 3))
    if len(hit) == 0:
        return words
    w = words[hit]
    size = length[hit]
    pos = 1 + np.floor(pos_u[hit] * (size - 2)).astype(np.int64)
    letters = np.asarray(list("abcdefghijklmnopqrstuvwxyz"), dtype="T")
    letter = letters[np.floor(letter_u[hit] * 26).astype(np.int64)]
    head = np.strings.slice(w, 0, pos)
    deletion = np.strings.add(head, np.strings.slice(w, pos + 1, None))
    substitution = _cat(head, letter, np.strings.slice(w, pos + 1, None))
    transposition = _cat(
        head,
        np.strings.slice(w, pos + 1, pos + 2),
        np.strings.slice(w, pos, pos + 1),
        np.strings.slice(w, pos + 2, None),
    )
    op = op_u[hit]
    out = words.copy()
    out[hit] = np.where(op < 0.4, substitution, np.where(op < 0.7, transposition, deletion))
    return out


def _case_whitespace(rng: np.random.Generator, words: np.ndarray, rate: float) -> np.ndarray:
    u, op = rng.random((2, len(words)))
    hit = np.flatnonzero((u < rate) & (words != ""))
    if len(hit) == 0:
        return words
    w = words[hit]
    o = op[hit]
    out = words.copy()
    out[hit] = np.select(
        [o < 0.55, o < 0.7, o < 0.85],
        [np.strings.upper(w), np.strings.lower(w), np.strings.add(w, " ")],
        np.strings.add(" ", w),
    )
    return out


def _noisy_identity(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    vocab: _Vocabulary,
    person: np.ndarray,
    day: np.ndarray,
    profile: ErrorProfile,
) -> dict[str, np.ndarray]:
    """One system's record of each person at each record date, with identifier noise.

    Returns forename, middle, surname (string arrays, "" for missing), dob (day numbers,
    placeholder dates included) and postcode ("" for missing).
    """
    n = len(person)
    p = profile
    fore = people["forename"][person]
    sur = people["surname"][person]
    mid = people["middle"][person]
    fore = _variant(rng, fore, vocab.nickname, p.nickname)
    fore = _variant(rng, fore, vocab.translit, p.transliteration)
    sur = _variant(rng, sur, vocab.translit, p.transliteration)
    sur = _variant(rng, sur, vocab.spacing, p.mc_mac_spacing)
    sur = _variant(rng, sur, vocab.hyphen, p.hyphen_variant)
    u_alias, u_swap, u_place, u_mid = rng.random((4, n))
    sur = np.where(u_alias < p.alias, people["alias"][person], sur)
    swap = u_swap < p.name_swap
    fore, sur = np.where(swap, sur, fore), np.where(swap, fore, sur)
    fore = np.where(u_place < p.forename_placeholder, vocab.placeholder, fore)
    mid = np.where(u_mid < p.middle_name_missing, 0, mid)

    names = {}
    for key, idx in (("forename", fore), ("surname", sur), ("middle", mid)):
        words = vocab.words[idx]
        typo_rate = p.name_typo if key != "middle" else p.name_typo / 2
        words = _typo(rng, words, typo_rate)
        names[key] = _case_whitespace(rng, words, p.case_whitespace)
    placeholder_mask = u_place < p.forename_placeholder
    names["forename"] = np.where(
        placeholder_mask, vocab.words[vocab.placeholder], names["forename"]
    )

    # Date of birth.
    dob = people["dob"][person]
    y, m, d = _ymd(dob)
    u_typo, u_part, u_digit, u_swap_dob, u_ph, u_ph_pick = rng.random((6, n))
    digit = np.floor(u_digit * 9).astype(np.int64) + 1
    typo = u_typo < p.dob_typo
    day_typo = np.clip((d // 10) * 10 + (d % 10 + digit) % 10, 1, 28)
    day_typo = np.where(day_typo == d, d % 28 + 1, day_typo)
    new_d = np.where(typo & (u_part < 1 / 3), day_typo, d)
    new_m = np.where(typo & (u_part >= 1 / 3) & (u_part < 2 / 3), m % 12 + 1, m)
    new_y = np.where(typo & (u_part >= 2 / 3), y - y % 10 + (y % 10 + digit) % 10, y)
    new_d = np.where(new_m != m, np.minimum(new_d, 28), new_d)
    swap_dob = (u_swap_dob < p.dob_day_month_swap) & (new_d <= 12) & (new_d != new_m)
    new_d, new_m = np.where(swap_dob, new_m, new_d), np.where(swap_dob, new_d, new_m)
    dob_out = _from_ymd(new_y, new_m, new_d)
    placeholders = np.asarray([_days(date.fromisoformat(s)) for s in ref.PLACEHOLDER_DOBS])
    dob_out = np.where(
        u_ph < p.dob_placeholder, placeholders[(u_ph_pick < 0.5).astype(int)], dob_out
    )

    # Postcode at the record date.
    moved = day >= people["move_day"][person]
    postcode = np.where(moved, people["postcode_new"][person], people["postcode"][person])
    u_nfa, u_miss, u_pc_typo = rng.random((3, n))
    typo_pc = np.flatnonzero(u_pc_typo < p.postcode_typo)
    if len(typo_pc):
        postcode[typo_pc] = _inward_typo(rng, postcode[typo_pc])
    postcode = np.where(u_nfa < p.postcode_no_fixed_abode, ref.NO_FIXED_ABODE_POSTCODE, postcode)
    postcode = np.where(u_miss < p.postcode_missing, "", postcode)
    return {**names, "dob": dob_out, "postcode": postcode}


def _inward_typo(rng: np.random.Generator, postcodes: np.ndarray) -> np.ndarray:
    """Change the digit of the inward code (``ME14 2XY`` -> ``ME14 7XY``)."""
    length = np.strings.str_len(postcodes)
    return _replace_digit_at(rng, postcodes, length - 3)


def _replace_digit_at(rng: np.random.Generator, values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    bump = rng.integers(1, 10, len(values))
    current = np.strings.slice(values, pos, pos + 1)
    digit = np.where(np.strings.isdigit(current), current, "0").astype(np.int64)
    new = ((digit + bump) % 10).astype("T")
    return _cat(np.strings.slice(values, 0, pos), new, np.strings.slice(values, pos + 1, None))


def _noisy_ids(
    rng: np.random.Generator,
    values: np.ndarray,
    missing: float,
    typo: float,
    digit_lo: int,
    digit_hi: int,
) -> np.ndarray:
    """Blank a share ``missing`` of identifiers and mistype one digit in a share ``typo``."""
    n = len(values)
    u_miss, u_typo = rng.random((2, n))
    hit = np.flatnonzero((u_typo < typo) & (values != ""))
    out = values.copy()
    if len(hit):
        pos = digit_lo + np.floor(rng.random(len(hit)) * (digit_hi - digit_lo)).astype(np.int64)
        out[hit] = _replace_digit_at(rng, values[hit], pos)
    return np.where(u_miss < missing, "", out)


# --------------------------------------------------------------------------------------------
# frames


def _str_col(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas string column from a numpy string array; empty strings become missing."""
    values = np.asarray(values, dtype="T")
    return pd.array(pa.array(values, mask=(values == "")), dtype="str")


def _label_col(
    labels: tuple[str, ...] | list[str], idx: np.ndarray, valid: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """A pandas string column of ``labels[idx]``; rows where ``valid`` is false are missing."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    indices = pa.array(np.asarray(idx, dtype=np.int32), mask=mask)
    return pd.array(pa.array(list(labels), pa.string()).take(indices), dtype="str")


def _date_col(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    out = days.astype("datetime64[D]").astype("datetime64[s]")
    if valid is not None:
        out = np.where(valid, out, np.datetime64("NaT", "s"))
    return out


def _validate(people: Any, seed: Any, end_date: Any, errors: Any) -> date:
    problems: list[Problem] = []
    if isinstance(people, bool) or not isinstance(people, int | np.integer):
        problems.append(Problem(f"people must be a whole number, not {people!r}"))
    elif not 1 <= people <= MAX_PEOPLE:
        problems.append(Problem(f"people must be between 1 and {MAX_PEOPLE:,}, not {people:,}"))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(Problem(f"seed must be a whole number of 0 or more, not {seed!r}"))
    end = DEFAULT_END_DATE if end_date is None else end_date
    if hasattr(end, "date") and callable(end.date):
        end = end.date()
    if not isinstance(end, date):
        problems.append(Problem(f"end date must be a date, not {end_date!r}"))
    elif end < EARLIEST_END_DATE:
        problems.append(
            Problem(f"end date must be {EARLIEST_END_DATE.isoformat()} or later, not {end}")
        )
    if errors is not None and not isinstance(errors, ErrorProfile):
        problems.append(Problem("errors must be an ErrorProfile"))
    if problems:
        raise ValidationError(f"Cannot generate the sample: {'; '.join(map(str, problems))}.")
    return end


def generate_frames(
    people: int = DEFAULT_PEOPLE,
    seed: int = 42,
    end_date: date | None = None,
    errors: ErrorProfile | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic police, CPS and court frames and their truth frames.

    The result depends only on the arguments: the same arguments give identical frames.

    Args:
        people: Number of people who offend in the period (each has at least one crime).
        seed: Random seed.
        end_date: Last day of the period, which always starts on :data:`START_DATE`;
            defaults to :data:`DEFAULT_END_DATE`.
        errors: Identifier noise rates; defaults to ``ErrorProfile()``.

    Returns:
        Frames keyed ``police``, ``cps``, ``courts``, ``police_truth``, ``cps_truth`` and
        ``courts_truth``.

    Raises:
        ValidationError: If an argument is out of range.
    """
    end_day_date = _validate(people, seed, end_date, errors)
    profile = errors or ErrorProfile()
    started = time.perf_counter()
    start, end = _days(START_DATE), _days(end_day_date)
    rng_people, rng_crimes, rng_police, rng_cps, rng_courts = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5)
    )
    vocab = _build_vocabulary()
    forces = _build_forces()
    persons = _draw_people(rng_people, int(people), vocab)
    crimes = _draw_crimes(rng_crimes, persons, forces, start, end)

    suspect = crimes["has_suspect"]
    # Crimes of a person are contiguous, so first dates come from a segment minimum.
    starts = np.concatenate([[0], np.cumsum(persons["crimes"])[:-1]])
    first_offence = np.minimum.reduceat(crimes["offence_day"][suspect], starts)
    first_recorded = np.minimum.reduceat(crimes["recorded"][suspect], starts)
    _finish_people(persons, first_offence, first_recorded, end)
    # No offence before the age of ten (historic reports can reach back a long way).
    min_offence = persons["dob"][np.maximum(crimes["person"], 0)] + 3653
    crimes["offence_day"] = np.where(
        suspect, np.maximum(crimes["offence_day"], min_offence), crimes["offence_day"]
    )
    # From here on crimes are in order of recording.
    order = np.lexsort((np.arange(len(suspect)), crimes["recorded"]))
    crimes = {key: value[order] for key, value in crimes.items()}

    police, police_truth, urn = _police_frame(
        rng_police, crimes, persons, vocab, forces, profile, end
    )
    cps, cps_truth = _cps_frame(rng_cps, crimes, persons, vocab, profile, urn, end)
    courts, courts_truth = _courts_frame(rng_courts, crimes, persons, vocab, profile, urn, end)
    frames = {
        "police": police,
        "cps": cps,
        "courts": courts,
        "police_truth": police_truth,
        "cps_truth": cps_truth,
        "courts_truth": courts_truth,
    }
    log.info(
        "Generated %s people: %s police, %s CPS and %s court records in %.1f s",
        f"{people:,}",
        f"{len(police):,}",
        f"{len(cps):,}",
        f"{len(courts):,}",
        time.perf_counter() - started,
    )
    return frames


def _person_ids(person: np.ndarray) -> np.ndarray:
    return np.where(person >= 0, _cat("P", _zfill(person + 1, 7)), "")


def _police_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: _Vocabulary,
    forces: _Forces,
    profile: ErrorProfile,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    n = len(c["person"])
    suspect = c["has_suspect"]
    year = _ymd(c["recorded"])[0]
    order = np.arange(n)
    seq = _group_seq([c["force"], year], order)
    crime_ref = _cat(
        _take(forces.codes, c["force"]), "-", _zfill(year % 100, 2), "-", _zfill(seq, 7)
    )

    # URN when a case file is built (referral to the CPS by the end of the period).
    has_urn = c["referred"] & (c["referral_day"] <= end)
    station = forces.station_offsets[c["force"]] + np.floor(
        c["station_pick"] * forces.station_counts[c["force"]]
    ).astype(np.int64)
    ref_year = _ymd(c["referral_day"])[0] % 100
    urn_seq = _group_seq(
        [station, ref_year, has_urn], np.lexsort((np.arange(n), c["referral_day"]))
    )
    urn = np.where(
        has_urn,
        _cat(
            _zfill(forces.numbers[c["force"]], 2),
            _take(forces.stations, station),
            _zfill(np.minimum(urn_seq, 99_999), 5),
            _zfill(ref_year, 2),
        ),
        "",
    )

    s = np.flatnonzero(suspect)
    ident = _noisy_identity(rng, people, vocab, c["person"][s], c["recorded"][s], profile)
    fore = np.full(n, "", dtype="T")
    mid, sur, postcode, pnc, sex = fore.copy(), fore.copy(), fore.copy(), fore.copy(), fore.copy()
    fore[s], mid[s], sur[s], postcode[s] = (
        ident["forename"],
        ident["middle"],
        ident["surname"],
        ident["postcode"],
    )
    dob = np.zeros(n, dtype=np.int64)
    dob[s] = ident["dob"]
    true_sex = np.where(people["male"][c["person"][s]], "M", "F")
    u_sex, u_sex2 = rng.random((2, len(s)))
    sex[s] = np.where(u_sex < profile.sex_unknown, np.where(u_sex2 < 0.5, "U", ""), true_sex)
    pnc[s] = _noisy_ids(
        rng, people["pnc"][c["person"][s]], profile.pnc_missing_police, profile.pnc_typo, 5, 12
    )

    closed = c["outcome_day"] <= end
    offences = ref.OFFENCES
    frame = pd.DataFrame(
        {
            "crime_ref": _str_col(crime_ref),
            "force": _label_col(forces.names, c["force"]),
            "lcjb_area": _label_col(AREA_NAMES, c["area"]),
            "offence_date": _date_col(c["offence_day"]),
            "recorded_date": _date_col(c["recorded"]),
            "offence_code": _label_col([o.code for o in offences], c["offence"]),
            "offence_description": _label_col([o.description for o in offences], c["offence"]),
            "offence_group": _label_col(ref.OFFENCE_GROUPS, c["group"]),
            "victim_based": np.asarray([o.victim_based for o in offences])[c["offence"]],
            "suspect_forename": _str_col(fore),
            "suspect_middle_name": _str_col(mid),
            "suspect_surname": _str_col(sur),
            "suspect_dob": _date_col(dob, suspect),
            "suspect_sex": _str_col(sex),
            "suspect_postcode": _str_col(postcode),
            "pnc_id": _str_col(pnc),
            "urn": _str_col(urn),
            "outcome_type": _label_col(OUTCOME_TYPES, c["outcome"], closed),
            "outcome_date": _date_col(c["outcome_day"], closed),
        }
    )
    truth = pd.DataFrame(
        {
            "crime_ref": frame["crime_ref"],
            "person_id": _str_col(_person_ids(c["person"])),
            "case_id": frame["crime_ref"],
        }
    )
    c["crime_ref"] = crime_ref
    return frame, truth, urn


def _cps_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: _Vocabulary,
    profile: ErrorProfile,
    urn: np.ndarray,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = np.flatnonzero(c["referred"] & (c["referral_day"] <= end))
    rows = rows[np.lexsort((rows, c["referral_day"][rows]))]
    person = c["person"][rows]
    referral = c["referral_day"][rows]
    ident = _noisy_identity(rng, people, vocab, person, referral, profile)
    year = _ymd(referral)[0]
    seq = _group_seq([year], np.arange(len(rows)))
    cps_id = _cat("CPS", year.astype("T"), _zfill(seq, 6))
    y, m, d = _ymd(ident["dob"])
    dob_text = _cat(_zfill(d, 2), "/", _zfill(m, 2), "/", y.astype("T"))
    decided = c["decision_day"][rows] <= end
    decision = c["decision"][rows]
    charged = decided & (decision == 0)
    in_court = charged & (c["first_hearing"][rows] <= end)
    completed = in_court & (c["completion"][rows] <= end)
    finalisation = np.select(
        [decided & (decision == 3), decided & (decision > 0), completed],
        [
            np.asarray("out-of-court disposal", dtype="T"),
            np.asarray("no further action", dtype="T"),
            _take(FINALISATION_BY_VERDICT, c["verdict"][rows]),
        ],
        np.asarray("", dtype="T"),
    )
    charge_text = _take([o.description for o in ref.OFFENCES], c["offence"][rows])
    secondary = c["secondary"][rows]
    charge_text = np.where(
        secondary >= 0,
        _cat(charge_text, "; ", _take(ref.SECONDARY_CHARGES, np.maximum(secondary, 0))),
        charge_text,
    )
    frame = pd.DataFrame(
        {
            "cps_id": _str_col(cps_id),
            "urn": _str_col(
                _noisy_ids(rng, urn[rows], profile.urn_missing_cps, profile.urn_typo, 4, 9)
            ),
            "defendant_forename": _str_col(ident["forename"]),
            "defendant_surname": _str_col(ident["surname"]),
            "defendant_dob": _str_col(dob_text),
            "defendant_postcode": _str_col(ident["postcode"]),
            "lcjb_area": _label_col(AREA_NAMES, c["area"][rows]),
            "referral_date": _date_col(referral),
            "decision": _str_col(
                np.where(decided, _take(CPS_DECISIONS, np.maximum(decision, 0)), "")
            ),
            "decision_date": _date_col(c["decision_day"][rows], decided),
            "charges": _str_col(np.where(charged, charge_text, "")),
            "finalisation_reason": _str_col(finalisation),
        }
    )
    truth = pd.DataFrame(
        {
            "cps_id": frame["cps_id"],
            "person_id": _str_col(_person_ids(person)),
            "case_id": _str_col(c["crime_ref"][rows]),
        }
    )
    return frame, truth


def _courts_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: _Vocabulary,
    profile: ErrorProfile,
    urn: np.ndarray,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    charged = c["charged"] & (c["decision_day"] <= end) & (c["first_hearing"] <= end)
    rows = np.flatnonzero(charged)
    rows = rows[np.lexsort((rows, c["first_hearing"][rows]))]
    person = c["person"][rows]
    hearing = c["first_hearing"][rows]
    crown = c["crown"][rows]
    area = c["area"][rows]
    ident = _noisy_identity(rng, people, vocab, person, hearing, profile)
    year = _ymd(hearing)[0]
    seq = _group_seq([crown, year, area], np.arange(len(rows)))
    case_number = _cat(
        np.where(crown, "T", "M"), year.astype("T"), _zfill(area + 1, 2), _zfill(seq, 6)
    )
    completed = c["completion"][rows] <= end
    verdict = c["verdict"][rows]
    convicted = completed & (verdict == 0)

    town_offsets = np.cumsum([0] + [len(a.court_towns) for a in ref.AREAS])[:-1]
    town_counts = np.asarray([len(a.court_towns) for a in ref.AREAS])
    towns = [t for a in ref.AREAS for t in a.court_towns]
    town = town_offsets[area] + np.where(
        crown, 0, np.floor(c["court_town_u"][rows] * town_counts[area]).astype(np.int64)
    )
    court_name = _cat(_take(towns, town), np.where(crown, " Crown Court", " Magistrates' Court"))
    court_name = np.where(rng.random(len(rows)) < _COURT_NAME_MISSING, "", court_name)
    frame = pd.DataFrame(
        {
            "case_number": _str_col(case_number),
            "urn": _str_col(
                _noisy_ids(rng, urn[rows], profile.urn_missing_courts, profile.urn_typo, 4, 9)
            ),
            "court_type": _str_col(np.where(crown, "Crown", "magistrates")),
            "court_name": _str_col(court_name),
            "lcjb_area": _label_col(AREA_NAMES, area),
            "defendant_forename": _str_col(ident["forename"]),
            "defendant_middle_name": _str_col(ident["middle"]),
            "defendant_surname": _str_col(ident["surname"]),
            "defendant_dob": _date_col(ident["dob"]),
            "defendant_postcode": _str_col(ident["postcode"]),
            "pnc_id": _str_col(
                _noisy_ids(
                    rng, people["pnc"][person], profile.pnc_missing_courts, profile.pnc_typo, 5, 12
                )
            ),
            "offence_group": _label_col(ref.OFFENCE_GROUPS, c["group"][rows]),
            "first_hearing_date": _date_col(hearing),
            "plea": _label_col(PLEAS, c["plea"][rows]),
            "verdict": _label_col(VERDICTS, verdict, completed),
            "completion_date": _date_col(c["completion"][rows], completed),
            "outcome": _label_col(SENTENCES, c["sentence"][rows], convicted),
        }
    )
    truth = pd.DataFrame(
        {
            "case_number": frame["case_number"],
            "person_id": _str_col(_person_ids(person)),
            "case_id": _str_col(c["crime_ref"][rows]),
        }
    )
    return frame, truth


# --------------------------------------------------------------------------------------------
# writing


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.date32())
        elif pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def generate_sample(
    out_dir: Path,
    people: int = DEFAULT_PEOPLE,
    seed: int = 42,
    end_date: date | None = None,
    errors: ErrorProfile | None = None,
) -> SampleSummary:
    """Generate the sample and write each frame as ``<key>.parquet`` plus ``manifest.json``.

    Dates are stored as Parquet DATE columns. Files are written under temporary names and
    renamed once all are complete, so a failure leaves no half-written sample.

    Args:
        out_dir: Folder to write to; created if missing.
        people: Number of people who offend in the period.
        seed: Random seed.
        end_date: Last day of the period; defaults to :data:`DEFAULT_END_DATE`.
        errors: Identifier noise rates; defaults to ``ErrorProfile()``.

    Returns:
        What was written, with row counts.

    Raises:
        ValidationError: If an argument is out of range or the folder cannot be written.
    """
    end = _validate(people, seed, end_date, errors)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"Cannot create the output folder {out}: {exc.strerror or exc}.",
            hint="Choose a folder you can write to.",
        ) from exc
    if not os.access(out, os.W_OK):
        raise ValidationError(
            f"Cannot write to the output folder {out}.", hint="Choose a folder you can write to."
        )
    profile = errors or ErrorProfile()
    frames = generate_frames(people=people, seed=seed, end_date=end, errors=profile)
    files = {key: out / f"{key}.parquet" for key in FRAME_KEYS}
    rows = {key: len(frames[key]) for key in FRAME_KEYS}
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "people": int(people),
        "seed": int(seed),
        "start_date": START_DATE.isoformat(),
        "first_reported_date": FIRST_REPORTED_DATE.isoformat(),
        "end_date": end.isoformat(),
        "pilot_areas": list(PILOT_AREAS),
        "pilot_scale": PILOT_SCALE,
        "error_profile": profile.to_dict(),
        "rows": rows,
        "files": {key: path.name for key, path in files.items()},
    }
    pending: list[tuple[Path, Path]] = []
    try:
        for key in FRAME_KEYS:
            tmp = files[key].with_suffix(".parquet.tmp")
            pq.write_table(_to_arrow(frames[key]), tmp, compression="zstd", compression_level=9)
            pending.append((tmp, files[key]))
        manifest_path = out / "manifest.json"
        tmp = manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        pending.append((tmp, manifest_path))
        for src, dst in pending:
            os.replace(src, dst)
    except OSError as exc:
        for src, _ in pending:
            src.unlink(missing_ok=True)
        raise ValidationError(
            f"Cannot write the sample to {out}: {exc.strerror or exc}.",
            hint="Check the folder is writable and has space.",
        ) from exc
    log.info("Wrote the sample to %s", out)
    return SampleSummary(
        out_dir=out,
        files=files,
        rows=rows,
        people=int(people),
        seed=int(seed),
        start_date=START_DATE,
        end_date=end,
    )
