"""The data and models of the guided linkage lesson, trained once and kept in-process.

The lesson data are the police and court records of two small LCJB areas from the committed
sample (at most three police records per person), standardised to canonical columns. Nothing is
read from a workspace, so the lesson works from a clean one.

Models are trained once per lesson configuration and kept in-process; prediction variants
(another prior, comparison left out, other blocking rules) are scored once and kept too, so a
change of threshold only re-counts stored predictions. :func:`start_warm_up` builds them ahead
of the learner (see :func:`linkage.lesson.course.warm_up`).
"""

from __future__ import annotations

import atexit
import copy
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkage.backends import get_backend
from linkage.data import PreparedInput, prepare_frames
from linkage.model.model_spec import BlockingRuleSpec, ComparisonSpec, ModelSpec, TrainingPlan
from linkage.model.train import TrainedModel, build_linker, train_model
from linkage.quality.evaluate import (
    count_true_pairs,
)
from workbench.config import lesson_warm_up
from workbench.errors import LinkageError
from workbench.persons.roles import Role
from workbench.persons.standardise import standardise_sql
from workbench.sample.calibration import FIRST_REPORTED_DATE
from workbench.sql import compose, quote_ident

log = logging.getLogger(__name__)

#: Where the lesson's linkers run: this machine's DuckDB with the workbench's memory, spill and
#: thread settings, like every other linkage run.
BACKEND = get_backend()

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
LESSON_AREAS: tuple[str, ...] = ("Cumbria", "Warwickshire")
MAX_POLICE_RECORDS_PER_PERSON = 3
LINK_TYPE = "link_and_dedupe"
COMPARED: tuple[str, ...] = ("first_name", "surname", "dob", "postcode")
NAME_THRESHOLDS: tuple[float, ...] = (0.95, 0.92, 0.88, 0.8, 0.7)
DEFAULT_NAME_THRESHOLD = 0.92
DEFAULT_THRESHOLD = 0.5
STRICT_THRESHOLD = 0.9
PRIOR_FACTORS: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0)
EXACT_FIELDS: tuple[str, ...] = ("first_name", "surname", "dob", "postcode")
DEFAULT_EXACT_FIELDS: tuple[str, ...] = ("first_name", "surname", "dob")

BLOCKING_CHOICES: dict[str, str] = {
    "surname + dob": "Same surname and date of birth",
    "first_name + dob": "Same first name and date of birth",
    "first_name + surname": "Same first and last name",
    "postcode": "Same postcode",
    "dob": "Same date of birth",
    "substr(surname,1,1) + year(dob)": "Same surname initial and year of birth",
}
DEFAULT_BLOCKING: tuple[str, ...] = ("surname + dob", "first_name + dob", "first_name + surname")

FIELD_LABELS: dict[str, str] = {
    "first_name": "First name",
    "surname": "Surname",
    "dob": "Date of birth",
    "postcode": "Postcode",
}

#: Joins a record's source and id into one key.
SEP = "\x1f"
#: Guards the lesson caches and the linkers (a Splink linker is not safe to share between threads).
LOCK = threading.RLock()
_ROLES_POLICE = {
    "crime_ref": Role.RECORD_ID,
    "suspect_forename": Role.FIRST_NAME,
    "suspect_surname": Role.SURNAME,
    "suspect_dob": Role.DOB,
    "suspect_postcode": Role.POSTCODE,
}
_ROLES_COURTS = {
    "case_number": Role.RECORD_ID,
    "defendant_forename": Role.FIRST_NAME,
    "defendant_surname": Role.SURNAME,
    "defendant_dob": Role.DOB,
    "defendant_postcode": Role.POSTCODE,
}
_POLICE_SLICE = """
CREATE TABLE police_slice AS
SELECT p.*, t.person_id
FROM read_parquet(?) AS p JOIN read_parquet(?) AS t USING (crime_ref)
WHERE list_contains(?::VARCHAR[], p.lcjb_area) AND p.suspect_surname IS NOT NULL
  AND p.recorded_date >= ?
QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY p.crime_ref) <= ?
ORDER BY p.crime_ref
"""
_COURTS_SLICE = """
CREATE TABLE courts_slice AS
SELECT c.*, t.person_id
FROM read_parquet(?) AS c JOIN read_parquet(?) AS t USING (case_number)
WHERE list_contains(?::VARCHAR[], c.lcjb_area) AND c.first_hearing_date >= ?
ORDER BY c.case_number
"""


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class LessonData:
    """The lesson's records and their truth.

    Attributes:
        prepared: The standardised police and court records, prepared for Splink.
        truth: ``source_dataset``, ``unique_id``, ``truth`` (the true person) per record.
        n_true_pairs: Pairs of records that belong to the same person.
    """

    prepared: PreparedInput
    truth: pd.DataFrame
    n_true_pairs: int

    @property
    def records(self) -> pd.DataFrame:
        """Every record, police then courts."""
        return self.prepared.combined()


def _slice(con: duckdb.DuckDBPyConnection, name: str, key: str) -> pd.DataFrame:
    """Standardise one slice table and attach its truth."""
    roles = _ROLES_POLICE if name == "police" else _ROLES_COURTS
    table = f"{name}_slice"
    columns = {
        str(r[0]): str(r[1])
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    }
    sql, params = standardise_sql(quote_ident(table), columns, roles, name)
    frame = con.execute(sql, params).df()
    truth_sql = compose(
        "SELECT CAST({key} AS VARCHAR) AS unique_id, person_id FROM {table}", key=key, table=table
    )
    truth = con.execute(truth_sql).df()
    return frame.merge(truth, on="unique_id", how="left")


@lru_cache(maxsize=2)
def lesson_data(sample_dir: Path = SAMPLE_DIR) -> LessonData:
    """Build (once per process) the lesson's slice of the committed sample (two small areas,
    records from its first reported period on).

    Args:
        sample_dir: The folder holding the sample parquet files.

    Returns:
        The standardised records and their truth.

    Raises:
        LinkageError: When the sample files are missing.
    """
    files = [sample_dir / f for f in ("police.parquet", "police_truth.parquet")]
    files += [sample_dir / f for f in ("courts.parquet", "courts_truth.parquet")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise LinkageError(
            f"The lesson data cannot be built: {', '.join(missing)} missing from {sample_dir}.",
            hint="Restore the committed sample_data folder.",
        )
    con = duckdb.connect()
    try:
        areas = list(LESSON_AREAS)
        con.execute(
            _POLICE_SLICE,
            [
                str(files[0]),
                str(files[1]),
                areas,
                FIRST_REPORTED_DATE,
                MAX_POLICE_RECORDS_PER_PERSON,
            ],
        )
        con.execute(_COURTS_SLICE, [str(files[2]), str(files[3]), areas, FIRST_REPORTED_DATE])
        police = _slice(con, "police", "crime_ref")
        courts = _slice(con, "courts", "case_number")
    finally:
        con.close()
    truth = pd.concat(
        [
            pd.DataFrame(
                {
                    "source_dataset": f["source_dataset"].astype(str).to_numpy(),
                    "unique_id": f["unique_id"].astype(str).to_numpy(),
                    "truth": f["person_id"].astype("string").to_numpy(),
                }
            )
            for f in (police, courts)
        ],
        ignore_index=True,
    )
    frames = [f.drop(columns=["person_id"]) for f in (police, courts)]
    prepared = prepare_frames(frames, names=["police", "courts"])
    log.info("lesson data: %s police, %s court records", len(police), len(courts))
    return LessonData(prepared, truth, count_true_pairs(truth, LINK_TYPE))


# --------------------------------------------------------------------------- models
def lesson_spec(
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    blocking: Sequence[str] = DEFAULT_BLOCKING,
) -> ModelSpec:
    """The lesson's model: names by Jaro-Winkler at one threshold, date of birth, postcode.

    Args:
        name_threshold: The Jaro-Winkler similarity at or above which names count as "close".
        blocking: Blocking rule labels (keys of :data:`BLOCKING_CHOICES`).
    """
    return ModelSpec(
        link_type=LINK_TYPE,
        comparisons=[
            ComparisonSpec("first_name", "jaro_winkler", [name_threshold]),
            ComparisonSpec("surname", "jaro_winkler", [name_threshold]),
            ComparisonSpec("dob", "dob"),
            ComparisonSpec("postcode", "postcode"),
        ],
        blocking_rules=[_rule(b) for b in blocking],
        training=TrainingPlan(
            prior_rules=[BlockingRuleSpec(["first_name", "surname", "dob"])],
            prior_recall=0.7,
            u_max_pairs=5e4,
            em_rules=[BlockingRuleSpec(["dob"]), BlockingRuleSpec(["surname"])],
        ),
    )


def _rule(label: str) -> BlockingRuleSpec:
    if label not in BLOCKING_CHOICES:
        raise LinkageError(f"{label!r} is not one of the lesson's blocking rules.")
    return BlockingRuleSpec([p.strip() for p in label.split("+")])


@dataclass
class Scored:
    """One scored variant of the lesson model.

    Attributes:
        model: The model that scored the pairs (used for waterfall charts).
        pairs: Every blocked pair with Splink's columns, plus ``pair_key`` and ``is_match``.
    """

    model: TrainedModel
    pairs: pd.DataFrame


def pair_keys(df: pd.DataFrame) -> np.ndarray:
    """One key per pair, the same whichever way round its two records come."""
    a = (df["source_dataset_l"].astype(str) + SEP + df["unique_id_l"].astype(str)).to_numpy()
    b = (df["source_dataset_r"].astype(str) + SEP + df["unique_id_r"].astype(str)).to_numpy()
    a, b = a.astype(object), b.astype(object)
    return np.where(a < b, a + "|" + b, b + "|" + a)


def _truth_lookup(data: LessonData) -> pd.Series:
    key = data.truth["source_dataset"] + SEP + data.truth["unique_id"]
    return pd.Series(data.truth["truth"].to_numpy(), index=key.to_numpy())


def label_pairs(pairs: pd.DataFrame, data: LessonData) -> pd.DataFrame:
    """Scored pairs with their ``pair_key`` and ``is_match`` (true by the lesson's truth)."""
    out = pairs.copy()
    lookup = _truth_lookup(data)
    left = lookup.reindex(
        out["source_dataset_l"].astype(str) + SEP + out["unique_id_l"].astype(str)
    )
    right = lookup.reindex(
        out["source_dataset_r"].astype(str) + SEP + out["unique_id_r"].astype(str)
    )
    out["pair_key"] = pair_keys(out)
    same = pd.Series(left.to_numpy()).eq(pd.Series(right.to_numpy())).fillna(False)
    out["is_match"] = same.to_numpy(dtype=bool)
    return out


def _score(model: TrainedModel, data: LessonData) -> Scored:
    sdf = model.linker.inference.predict()
    pairs = sdf.as_duckdbpyrelation().df()
    return Scored(model, label_pairs(pairs, data))


_CACHE: dict[tuple[Any, ...], Any] = {}
_BUILDING: dict[tuple[Any, ...], threading.Lock] = {}
_WARMING = threading.local()
_FOREGROUND = {"busy": 0}
_STOP = threading.Event()
WARM_UP_ENABLED = True
"""Set False (tests) to train configurations only when a step asks for them."""


def cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The cached value for ``key``, built once; builds of different keys run in parallel."""
    with LOCK:
        if key in _CACHE:
            return _CACHE[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    foreground = not getattr(_WARMING, "active", False)
    if foreground:
        with LOCK:
            _FOREGROUND["busy"] += 1
    try:
        with building:
            with LOCK:
                if key in _CACHE:
                    return _CACHE[key]
            value = build()
            with LOCK:
                _CACHE[key] = value
            return value
    finally:
        if foreground:
            with LOCK:
                _FOREGROUND["busy"] -= 1


def trained(name_threshold: float = DEFAULT_NAME_THRESHOLD) -> Scored:
    """The lesson model trained (once per name threshold) and its scored pairs.

    Args:
        name_threshold: The Jaro-Winkler threshold of the name comparisons.
    """

    def build() -> Scored:
        data = lesson_data()
        model = train_model(data.prepared, lesson_spec(name_threshold), backend=BACKEND)
        return _score(model, data)

    return cached(("trained", name_threshold), build)


def _variant(key: tuple[Any, ...], change: Callable[[dict[str, Any]], None]) -> Scored:
    """Score the default model with its settings changed (no retraining)."""

    def build() -> Scored:
        base = trained()
        settings = copy.deepcopy(base.model.settings_dict())
        change(settings)
        data = lesson_data()
        linker, api = build_linker(data.prepared, settings, backend=BACKEND)
        model = TrainedModel(linker=linker, db_api=api, spec=None, data=data.prepared)
        return _score(model, data)

    return cached(key, build)


def with_prior(factor: float) -> Scored:
    """The default model with its prior (chance two random records match) multiplied."""
    if factor == 1.0:
        return trained()

    def change(settings: dict[str, Any]) -> None:
        p = float(settings["probability_two_random_records_match"])
        odds = p / (1 - p) * factor
        settings["probability_two_random_records_match"] = odds / (1 + odds)

    return _variant(("prior", factor), change)


def without_comparison(column: str) -> Scored:
    """The default model with one comparison left out."""

    def change(settings: dict[str, Any]) -> None:
        settings["comparisons"] = [
            c for c in settings["comparisons"] if c["output_column_name"] != column
        ]

    return _variant(("without", column), change)


def with_blocking(rules: Sequence[str]) -> Scored:
    """The default model scoring the pairs that other blocking rules generate."""
    chosen = tuple(r for r in BLOCKING_CHOICES if r in set(rules))
    if not chosen:
        raise LinkageError("Choose at least one blocking rule.")
    if chosen == DEFAULT_BLOCKING:
        return trained()
    spec = lesson_spec(blocking=chosen)
    rules_json = spec.to_splink_settings().get_settings("duckdb").as_dict()

    def change(settings: dict[str, Any]) -> None:
        settings["blocking_rules_to_generate_predictions"] = rules_json[
            "blocking_rules_to_generate_predictions"
        ]

    return _variant(("blocking", chosen), change)


def start_warm_up(
    jobs: Sequence[Callable[[], Any]], background: bool = True
) -> threading.Thread | None:
    """Run lesson builds ahead of the learner, giving way whenever a step is being answered.

    Args:
        jobs: The builds, in order (each caches what it builds).
        background: Run in a daemon thread (returned) instead of now; not at all when
            :data:`WARM_UP_ENABLED` is False or the deployment switched the warm-up off
            (``WORKBENCH_LESSON_WARM_UP=off``).
    """

    def run() -> None:
        _WARMING.active = True
        try:
            for job in jobs:
                while _FOREGROUND["busy"] and not _STOP.is_set():
                    time.sleep(0.05)  # the learner's own request goes first
                if _STOP.is_set():
                    return
                job()
        except LinkageError as exc:  # pragma: no cover - shown again when the step runs
            log.warning("lesson warm-up stopped: %s", exc)

    if not background:
        run()
        return None
    if not WARM_UP_ENABLED or not lesson_warm_up():
        return None
    with LOCK:
        running = _CACHE.get(("warm-up",))
        if isinstance(running, threading.Thread) and running.is_alive():
            return running
        thread = threading.Thread(target=run, name="lesson-warm-up", daemon=True)
        _CACHE[("warm-up",)] = thread
    thread.start()
    return thread


@atexit.register
def _stop_warm_up() -> None:
    """Let a running warm-up finish its current job before the interpreter exits."""
    _STOP.set()
    thread = _CACHE.get(("warm-up",))
    if isinstance(thread, threading.Thread) and thread.is_alive():
        thread.join(timeout=60)


def clear_cache() -> None:
    """Forget trained models and scored variants (tests and benchmarks)."""
    with LOCK:
        _CACHE.clear()
