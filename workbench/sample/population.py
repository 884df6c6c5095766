"""The sample's people: name vocabularies, police forces and postcodes, and the drawn population
with each person's identity (names, date of birth, sex, address, PNC ID).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.sample import names as ref
from workbench.sample.arrays import concat_str, pick_weighted, take_rows, ymd, zfill
from workbench.sample.calibration import (
    MIDDLE_NAME_SHARE,
    MOVE_SHARE,
    PILOT_AREAS,
    PILOT_SCALE,
    PRIOR_PNC_SHARE,
    START_DATE,
)

PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


# --------------------------------------------------------------------------------------------
# reference tables


@dataclass(frozen=True)
class Vocabulary:
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


def build_vocabulary() -> Vocabulary:
    """The name and word vocabulary people are drawn from, deduplicated in order."""
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

    return Vocabulary(
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
class Forces:
    """Police forces (London has two) with their area, codes and URN station codes."""

    names: tuple[str, ...]
    codes: tuple[str, ...]
    numbers: np.ndarray
    area: np.ndarray
    station_offsets: np.ndarray
    station_counts: np.ndarray
    stations: tuple[str, ...]


def build_forces() -> Forces:
    """The police forces with their codes, numbers and LCJB areas."""
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
    return Forces(
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


def area_weights() -> np.ndarray:
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
    inward = concat_str(
        rng.integers(0, 10, n).astype("T"),
        letters[rng.integers(0, len(letters), n)],
        letters[rng.integers(0, len(letters), n)],
    )
    return concat_str(take_rows(pc_areas, chosen), district.astype("T"), " ", inward)


def draw_people(rng: np.random.Generator, n: int, vocab: Vocabulary) -> dict[str, np.ndarray]:
    """Draw everything about each person that does not depend on their crimes."""
    male = rng.random(n) < 0.8
    fm = pick_weighted(rng, 1.0 / np.arange(1, len(vocab.male) + 1) ** 0.9, n)
    ff = pick_weighted(rng, 1.0 / np.arange(1, len(vocab.female) + 1) ** 0.9, n)
    forename = np.where(male, vocab.male[fm], vocab.female[ff])
    mm = pick_weighted(rng, 1.0 / np.arange(1, len(vocab.male) + 1) ** 0.8, n)
    mf = pick_weighted(rng, 1.0 / np.arange(1, len(vocab.female) + 1) ** 0.8, n)
    middle = np.where(male, vocab.male[mm], vocab.female[mf])
    middle = np.where((rng.random(n) < MIDDLE_NAME_SHARE) & (middle != forename), middle, 0)
    zipf = 1.0 / np.arange(1, len(vocab.surnames) + 1) ** 0.85
    surname = vocab.surnames[pick_weighted(rng, zipf, n)]
    alias = vocab.surnames[pick_weighted(rng, zipf, n)]
    area = pick_weighted(rng, area_weights(), n)
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


def finish_people(
    people: dict[str, np.ndarray], first_offence: np.ndarray, first_recorded: np.ndarray, end: int
) -> None:
    """Add date of birth, move date and PNC ID, which depend on each person's first crime."""
    age_years = np.clip(10.0 + people["age_gamma"], 10.0, 80.0)
    dob = first_offence - np.floor(age_years * 365.25).astype(np.int64)
    people["dob"] = dob
    moves = people["move_u"] < MOVE_SHARE
    move_day = first_recorded + np.floor(people["move_frac"] * (end - first_recorded)).astype(
        np.int64
    )
    people["move_day"] = np.where(moves, move_day, np.iinfo(np.int64).max)
    first_year = ymd(first_recorded)[0]
    birth_year = ymd(dob)[0]
    earliest = np.maximum(birth_year + 12, 1995)
    # Some people already had a PNC record before the generated history starts.
    before = START_DATE.year
    prior = (people["pnc_u"] < PRIOR_PNC_SHARE) & (earliest <= before - 1)
    prior_year = earliest + np.floor(people["pnc_year_u"] * (before - earliest)).astype(np.int64)
    year = np.where(prior, np.minimum(prior_year, before - 1), first_year)
    serial = people["pnc_serial"]
    check = (year % 100 * 10_000_000 + serial) % 23
    people["pnc"] = concat_str(
        year.astype("T"), "/", zfill(serial, 7), take_rows(list(PNC_CHECK_LETTERS), check)
    )
