"""Synthetic person records with known truth, for tests, benchmarks and training lessons.

People get names drawn from skewed (Zipf-like) pools, a date of birth, sex, postcode and
sometimes a PNC ID; each person appears in one to three records with realistic noise: typing
errors, forename/surname swaps, day/month swaps and typos in dates of birth, missing values and
house moves. Vectorised with NumPy, so a million records take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_FIRST = [
    "OLIVER",
    "GEORGE",
    "HARRY",
    "JACK",
    "JACOB",
    "NOAH",
    "CHARLIE",
    "MUHAMMAD",
    "THOMAS",
    "OSCAR",
    "WILLIAM",
    "JAMES",
    "LEO",
    "ALFIE",
    "HENRY",
    "JOSHUA",
    "FREDDIE",
    "ARCHIE",
    "ETHAN",
    "ISAAC",
    "ALEXANDER",
    "JOSEPH",
    "EDWARD",
    "SAMUEL",
    "MAX",
    "LOGAN",
    "LUCAS",
    "DANIEL",
    "THEO",
    "ARTHUR",
    "MOHAMMED",
    "HARRISON",
    "BENJAMIN",
    "MASON",
    "SEBASTIAN",
    "FINLEY",
    "ADAM",
    "DYLAN",
    "ZACHARY",
    "RILEY",
    "TEDDY",
    "DAVID",
    "TOBY",
    "JAKE",
    "LUCA",
    "ELIJAH",
    "MATTHEW",
    "REUBEN",
    "LEWIS",
    "JENSON",
    "OLIVIA",
    "AMELIA",
    "ISLA",
    "AVA",
    "EMILY",
    "ISABELLA",
    "MIA",
    "POPPY",
    "ELLA",
    "LILY",
    "SOPHIA",
    "GRACE",
    "EVIE",
    "SCARLETT",
    "RUBY",
    "CHLOE",
    "ISABELLE",
    "DAISY",
    "FREYA",
    "PHOEBE",
    "FLORENCE",
    "ALICE",
    "JESSICA",
    "SIENNA",
    "SOPHIE",
    "EVELYN",
    "MATILDA",
    "ELSIE",
    "ROSIE",
    "IVY",
    "CHARLOTTE",
    "EVA",
    "LUCY",
    "HOLLY",
    "ELEANOR",
    "ANNA",
    "ROSE",
    "MAYA",
    "HARPER",
    "ERIN",
    "MOLLY",
    "LOLA",
    "MILLIE",
    "IMOGEN",
    "LAYLA",
    "ESME",
    "BEATRICE",
    "DARCY",
    "HANNAH",
    "ZARA",
    "AMBER",
    "LEAH",
    "PAUL",
    "MARK",
    "STEVEN",
    "ANDREW",
    "KEVIN",
    "GARY",
    "CRAIG",
    "DEAN",
    "WAYNE",
    "LEE",
    "CARL",
    "KAREN",
    "SHARON",
    "TRACEY",
    "JULIE",
    "NICOLA",
    "DONNA",
]
_SYLLABLES = [
    "SMI",
    "TH",
    "JON",
    "ES",
    "WIL",
    "LI",
    "AMS",
    "BRO",
    "WN",
    "TAY",
    "LOR",
    "DAV",
    "IES",
    "EV",
    "ANS",
    "THOM",
    "AS",
    "JOHN",
    "SON",
    "ROB",
    "ERTS",
    "WAL",
    "KER",
    "WRI",
    "GHT",
    "HUG",
    "HES",
    "GREEN",
    "HALL",
    "WOOD",
    "HAR",
    "RIS",
    "MAR",
    "TIN",
    "JACK",
    "CLAR",
    "KE",
    "TUR",
    "NER",
    "HILL",
    "WARD",
    "MOOR",
    "KING",
    "PAT",
    "EL",
    "SCOT",
    "COOP",
    "ER",
    "MOR",
    "RIS",
    "BAK",
    "LEE",
    "ALL",
    "EN",
    "HUN",
    "ASH",
    "KHAN",
    "BELL",
    "MIL",
    "NEL",
    "SON",
]


def _surname_pool(rng: np.random.Generator, size: int) -> np.ndarray:
    parts = rng.choice(_SYLLABLES, size=(size * 2, 3))
    lengths = rng.integers(2, 4, size=size * 2)
    names = ["".join(p[:k]) for p, k in zip(parts, lengths, strict=True)]
    return np.array(list(dict.fromkeys(names))[:size])


def _zipf_choice(rng: np.random.Generator, pool: np.ndarray, n: int, a: float = 1.1) -> np.ndarray:
    ranks = np.arange(1, len(pool) + 1, dtype=float)
    p = ranks**-a
    return pool[rng.choice(len(pool), size=n, p=p / p.sum())]


def _typo(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    out = values.astype(object).copy()
    idx = np.flatnonzero(rng.random(len(out)) < rate)
    letters = np.array(list("ABCDEFGHIJKLMNOPRSTUVWY"))
    for i in idx:
        v = out[i]
        if not isinstance(v, str) or len(v) < 3:
            continue
        pos = int(rng.integers(1, len(v)))
        kind = rng.integers(0, 3)
        if kind == 0:
            v = v[:pos] + str(rng.choice(letters)) + v[pos + 1 :]
        elif kind == 1:
            v = v[:pos] + v[pos + 1 :]
        else:
            v = v[: pos - 1] + v[pos] + v[pos - 1] + v[pos + 1 :] if pos < len(v) else v
        out[i] = v
    return out


def make_people(
    n_records: int,
    seed: int = 42,
    n_datasets: int = 2,
    records_per_person: float = 2.0,
    noise: float = 1.0,
) -> list[pd.DataFrame]:
    """Synthetic standardised person records with a ``person_id`` truth column.

    Args:
        n_records: About how many records in total.
        seed: Random seed (same seed, same data).
        n_datasets: Inputs to split the records over (``police``, ``courts``, ``cps`` ...).
        records_per_person: Mean records per person (1 to 3 each).
        noise: Scale of every error rate (0 for clean copies).

    Returns:
        One DataFrame per dataset with canonical columns: ``unique_id``, ``first_name``,
        ``surname``, ``dob`` (date), ``sex``, ``postcode``, ``pnc_id`` and ``person_id``.
    """
    rng = np.random.default_rng(seed)
    n_people = max(1, int(n_records / records_per_person))
    first_pool = np.array(_FIRST)
    sur_pool = _surname_pool(rng, 6000)
    sex = rng.choice(np.array(["M", "F"]), size=n_people)
    first = _zipf_choice(rng, first_pool, n_people, a=0.8)
    surname = _zipf_choice(rng, sur_pool, n_people, a=0.9)
    dob = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, size=n_people).astype(
        "timedelta64[D]"
    )
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    areas = np.array(["ME", "CT", "TN", "DA", "BR", "SE", "LS", "M", "B", "BS", "CF", "NE"])
    postcode = (
        rng.choice(areas, n_people).astype(object)
        + rng.integers(1, 20, n_people).astype(str).astype(object)
        + " "
        + rng.integers(1, 10, n_people).astype(str).astype(object)
        + rng.choice(letters, n_people).astype(object)
        + rng.choice(letters, n_people).astype(object)
    )
    pnc = (
        rng.integers(1990, 2024, n_people).astype(str).astype(object)
        + "/"
        + np.char.zfill(rng.integers(0, 9_999_999, n_people).astype(str), 7).astype(object)
        + rng.choice(letters, n_people).astype(object)
    )
    counts = np.clip(rng.poisson(records_per_person - 1, n_people) + 1, 1, 3)
    pid = np.repeat(np.arange(n_people), counts)
    n = len(pid)
    r = rng.random
    fn = first[pid].astype(object)
    sn = surname[pid].astype(object)
    swap = r(n) < 0.02 * noise
    fn[swap], sn[swap] = sn[swap], first[pid][swap]
    fn = _typo(rng, fn, 0.08 * noise)
    sn = _typo(rng, sn, 0.08 * noise)
    d = dob[pid].copy()
    shift = r(n) < 0.04 * noise
    d[shift] = d[shift] + rng.choice([-1, 1, -10, 10, 30], size=int(shift.sum())).astype(
        "timedelta64[D]"
    )
    dser = pd.Series(pd.to_datetime(d))
    swap_dm = (r(n) < 0.02 * noise) & (dser.dt.day <= 12).to_numpy()
    swapped = pd.to_datetime(
        {
            "year": dser.dt.year[swap_dm],
            "month": dser.dt.day[swap_dm],
            "day": dser.dt.month[swap_dm],
        }
    )
    dser.loc[swap_dm] = swapped
    pc = postcode[pid].copy()
    moved = r(n) < 0.15 * noise
    pc[moved] = postcode[rng.integers(0, n_people, int(moved.sum()))]
    pn = pnc[pid].copy()
    has_pnc = r(n) < 0.5
    df = pd.DataFrame(
        {
            "unique_id": np.arange(n).astype(str),
            "first_name": fn,
            "surname": sn,
            "dob": dser.dt.date,
            "sex": sex[pid],
            "postcode": pc,
            "pnc_id": np.where(has_pnc, pn, None),
            "person_id": pid.astype(str),
        }
    )
    for col, rate in (("first_name", 0.03), ("surname", 0.01), ("dob", 0.03), ("postcode", 0.2)):
        blank = r(n) < rate * max(noise, 0.0)
        df.loc[blank, col] = None
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    names = ["police", "courts", "cps", "probation", "prisons"]
    part = rng.integers(0, n_datasets, len(df))
    out = []
    for k in range(n_datasets):
        sub = df[part == k].reset_index(drop=True)
        sub.insert(0, "source_dataset", names[k] if k < len(names) else f"dataset_{k + 1}")
        out.append(sub)
    return out


def load_fake_1000(path: str) -> pd.DataFrame:
    """Splink's ``fake_1000`` benchmark in canonical form (``cluster`` is the truth).

    ``city`` becomes ``town``, ``email`` an identifier ``other_id_email``, names upper case and
    ``dob`` a date.
    """
    df = pd.read_csv(path, dtype={"unique_id": str, "cluster": str})
    df = df.rename(columns={"city": "town", "email": "other_id_email"})
    for col in ("first_name", "surname", "town"):
        df[col] = df[col].str.upper().str.strip()
    df["dob"] = pd.to_datetime(df["dob"], errors="coerce").dt.date
    return df
