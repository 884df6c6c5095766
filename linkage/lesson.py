"""A guided, hands-on linkage lesson on a small slice of the sample data with known truth.

The lesson data are the police and court records of two small LCJB areas from the committed
sample (at most three police records per person), standardised to canonical columns. Nothing is
read from a workspace, so the lesson works from a clean one. Every step function runs real
Splink (DuckDB) computations on that slice and returns a small result dataclass: the numbers,
Altair charts and the pairs whose status changed compared with the step's starting setting.

Models are trained once per lesson configuration and kept in-process; prediction variants
(another prior, comparison left out, other blocking rules) are scored once and kept too, so a
change of threshold only re-counts stored predictions.
"""

from __future__ import annotations

import atexit
import copy
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import numpy as np
import pandas as pd

from linkage.backends import get_backend
from linkage.charts import match_weights_chart, waterfall_chart
from linkage.data import PreparedInput, prepare_frames
from linkage.model.model_spec import BlockingRuleSpec, ComparisonSpec, ModelSpec, TrainingPlan
from linkage.model.predict import cluster_at_threshold, nodes_from_model, summarise_clusters
from linkage.model.train import TrainedModel, build_linker, train_model
from linkage.quality.evaluate import (
    cluster_metrics,
    count_true_pairs,
    pairwise_metrics,
    threshold_chart,
)
from workbench.charts import accessible_palette, titled
from workbench.errors import LinkageError
from workbench.persons.roles import Role
from workbench.persons.standardise import standardise_sql
from workbench.sample.calibration import FIRST_REPORTED_DATE
from workbench.sql import quote_ident

log = logging.getLogger(__name__)

#: Where the lesson's linkers run: this machine's DuckDB with the workbench's memory, spill and
#: thread settings, like every other linkage run.
_BACKEND = get_backend()

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
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

_SEP = "\x1f"
_LOCK = threading.RLock()
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
    truth = con.execute(
        "SELECT CAST(" + quote_ident(key) + " AS VARCHAR) AS unique_id, person_id "
        "FROM " + quote_ident(table)
    ).df()
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


def _pair_keys(df: pd.DataFrame) -> np.ndarray:
    a = (df["source_dataset_l"].astype(str) + _SEP + df["unique_id_l"].astype(str)).to_numpy()
    b = (df["source_dataset_r"].astype(str) + _SEP + df["unique_id_r"].astype(str)).to_numpy()
    a, b = a.astype(object), b.astype(object)
    return np.where(a < b, a + "|" + b, b + "|" + a)


def _truth_lookup(data: LessonData) -> pd.Series:
    key = data.truth["source_dataset"] + _SEP + data.truth["unique_id"]
    return pd.Series(data.truth["truth"].to_numpy(), index=key.to_numpy())


def _label(pairs: pd.DataFrame, data: LessonData) -> pd.DataFrame:
    out = pairs.copy()
    lookup = _truth_lookup(data)
    left = lookup.reindex(
        out["source_dataset_l"].astype(str) + _SEP + out["unique_id_l"].astype(str)
    )
    right = lookup.reindex(
        out["source_dataset_r"].astype(str) + _SEP + out["unique_id_r"].astype(str)
    )
    out["pair_key"] = _pair_keys(out)
    same = pd.Series(left.to_numpy()).eq(pd.Series(right.to_numpy())).fillna(False)
    out["is_match"] = same.to_numpy(dtype=bool)
    return out


def _score(model: TrainedModel, data: LessonData) -> Scored:
    sdf = model.linker.inference.predict()
    pairs = sdf.as_duckdbpyrelation().df()
    return Scored(model, _label(pairs, data))


_CACHE: dict[tuple[Any, ...], Any] = {}
_BUILDING: dict[tuple[Any, ...], threading.Lock] = {}
_WARMING = threading.local()
_FOREGROUND = {"busy": 0}
_STOP = threading.Event()
WARM_UP_ENABLED = True
"""Set False (tests) to train configurations only when a step asks for them."""


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The cached value for ``key``, built once; builds of different keys run in parallel."""
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    foreground = not getattr(_WARMING, "active", False)
    if foreground:
        with _LOCK:
            _FOREGROUND["busy"] += 1
    try:
        with building:
            with _LOCK:
                if key in _CACHE:
                    return _CACHE[key]
            value = build()
            with _LOCK:
                _CACHE[key] = value
            return value
    finally:
        if foreground:
            with _LOCK:
                _FOREGROUND["busy"] -= 1


def trained(name_threshold: float = DEFAULT_NAME_THRESHOLD) -> Scored:
    """The lesson model trained (once per name threshold) and its scored pairs.

    Args:
        name_threshold: The Jaro-Winkler threshold of the name comparisons.
    """

    def build() -> Scored:
        data = lesson_data()
        model = train_model(data.prepared, lesson_spec(name_threshold), backend=_BACKEND)
        return _score(model, data)

    return _cached(("trained", name_threshold), build)


def _variant(key: tuple[Any, ...], change: Callable[[dict[str, Any]], None]) -> Scored:
    """Score the default model with its settings changed (no retraining)."""

    def build() -> Scored:
        base = trained()
        settings = copy.deepcopy(base.model.settings_dict())
        change(settings)
        data = lesson_data()
        linker, api = build_linker(data.prepared, settings, backend=_BACKEND)
        model = TrainedModel(linker=linker, db_api=api, spec=None, data=data.prepared)
        return _score(model, data)

    return _cached(key, build)


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


# --------------------------------------------------------------------------- shared pieces
@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 against the truth."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def scores_at(scored: Scored | pd.DataFrame, threshold: float) -> Scores:
    """Pairwise scores of stored predictions at a match probability threshold."""
    pairs = scored.pairs if isinstance(scored, Scored) else scored
    row = pairwise_metrics(pairs, lesson_data().truth, [threshold], LINK_TYPE).iloc[0]
    return Scores(
        float(row["precision"]),
        float(row["recall"]),
        float(row["f1"]),
        int(row["tp"]),
        int(row["fp"]),
        int(row["fn"]),
    )


def _scores_from_links(linked: pd.DataFrame) -> Scores:
    total = lesson_data().n_true_pairs
    tp = int(linked["is_match"].sum())
    fp = len(linked) - tp
    precision = tp / len(linked) if len(linked) else 1.0
    recall = tp / total if total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp, fp, total - tp)


def _records_side_by_side(pairs: pd.DataFrame) -> pd.DataFrame:
    """Readable ``left`` and ``right`` record descriptions of pairs."""
    records = lesson_data().records.copy()
    records["key"] = records["source_dataset"].astype(str) + _SEP + records["unique_id"]
    text = records.set_index("key").apply(_describe_record, axis=1)
    left = pairs["source_dataset_l"].astype(str) + _SEP + pairs["unique_id_l"].astype(str)
    right = pairs["source_dataset_r"].astype(str) + _SEP + pairs["unique_id_r"].astype(str)
    return pd.DataFrame(
        {
            "record_1": text.reindex(left).to_numpy(),
            "record_2": text.reindex(right).to_numpy(),
        },
        index=pairs.index,
    )


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if hasattr(value, "date"):
        return str(value.date())
    return str(value)


def _describe_record(row: pd.Series) -> str:
    show = _show
    dob_text = show(row.get("dob"))
    return (
        f"{row['source_dataset']}: {show(row.get('first_name'))} {show(row.get('surname'))}, "
        f"born {dob_text}, {show(row.get('postcode'))}"
    )


def changed_pairs(
    before: Scored, after: Scored, threshold_before: float, threshold_after: float
) -> pd.DataFrame:
    """Pairs linked under one setting and not the other, each with what the change means.

    A pair absent from a variant's predictions (blocking did not generate it) counts as not
    linked there.

    Args:
        before: The starting setting's scored pairs.
        after: The current setting's scored pairs.
        threshold_before: The starting match probability threshold.
        threshold_after: The current threshold.

    Returns:
        ``pair_key``, ``record_1``, ``record_2``, ``is_match``, ``probability_before``,
        ``probability_after``, ``linked_before``, ``linked_after`` and ``change`` (plain words),
        true matches first.
    """
    b = before.pairs.set_index("pair_key")["match_probability"]
    a = after.pairs.set_index("pair_key")["match_probability"]
    keys = b.index.union(a.index)
    pb = b.reindex(keys)
    pa = a.reindex(keys)
    linked_b = (pb >= threshold_before).fillna(False).to_numpy(dtype=bool)
    linked_a = (pa >= threshold_after).fillna(False).to_numpy(dtype=bool)
    differ = linked_b != linked_a
    if not differ.any():
        return pd.DataFrame(
            columns=[
                "pair_key",
                "record_1",
                "record_2",
                "is_match",
                "probability_before",
                "probability_after",
                "linked_before",
                "linked_after",
                "change",
            ]
        )
    source = pd.concat([after.pairs, before.pairs]).drop_duplicates("pair_key")
    rows = source.set_index("pair_key").loc[keys[differ]].reset_index()
    out = pd.concat(
        [rows[["pair_key", "is_match"]], _records_side_by_side(rows)], axis=1
    ).reset_index(drop=True)
    out["probability_before"] = pb.loc[keys[differ]].to_numpy()
    out["probability_after"] = pa.loc[keys[differ]].to_numpy()
    out["linked_before"] = linked_b[differ]
    out["linked_after"] = linked_a[differ]
    out["change"] = [
        _change_text(bool(m), bool(la))
        for m, la in zip(out["is_match"], out["linked_after"], strict=True)
    ]
    return out.sort_values(["is_match", "probability_after"], ascending=False).reset_index(
        drop=True
    )


def _change_text(is_match: bool, linked_now: bool) -> str:
    if linked_now:
        return "Now linked: a true match found" if is_match else "Now linked: a false match"
    return "No longer linked: a true match lost" if is_match else "No longer linked: error avoided"


def explain_pair(scored: Sequence[Scored], pair_key: str) -> alt.TopLevelMixin:
    """The waterfall chart of a pair: how each comparison moved its match weight.

    Args:
        scored: Variants to look in, in order of preference (the current setting first).
        pair_key: The pair's ``pair_key``.

    Raises:
        LinkageError: When no variant scored the pair (blocking never generated it).
    """
    for variant in scored:
        rows = variant.pairs[variant.pairs["pair_key"] == pair_key]
        if not rows.empty:
            with _LOCK:
                chart = waterfall_chart(variant.model, rows.drop(columns=["pair_key", "is_match"]))
            return chart
    raise LinkageError(
        "This pair was never compared, so it has no score to explain.",
        hint="Blocking did not generate it: no blocking rule puts its two records together.",
    )


def _scores_chart(rows: list[tuple[str, Scores]], title: str, subtitle: str) -> alt.Chart:
    """Grouped bars of precision, recall and F1 for each named setting."""
    data = pd.DataFrame(
        [
            {"setting": name, "measure": m, "value": getattr(s, m.lower())}
            for name, s in rows
            for m in ("Precision", "Recall", "F1")
        ]
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Score (1 is perfect)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("setting:N", title=None, sort=[n for n, _ in rows]),
            yOffset=alt.YOffset("measure:N", sort=["Precision", "Recall", "F1"]),
            color=alt.Color(
                "measure:N",
                title="Measure",
                sort=["Precision", "Recall", "F1"],
                scale=alt.Scale(range=accessible_palette()[:3]),
            ),
            tooltip=["setting:N", "measure:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    return titled(chart, title, subtitle)


# --------------------------------------------------------------------------- step 1
@dataclass
class ExactMatchStep:
    """Step 1: exact matching against the truth.

    Attributes:
        fields: The fields that had to agree exactly.
        exact: Scores of the exact join.
        model: Scores of the default probabilistic model at the default threshold.
        missed: True matches the exact join missed, with the fields that differ.
        changed: Pairs linked by one method and not the other.
        chart: Precision, recall and F1 of both methods.
    """

    fields: tuple[str, ...]
    exact: Scores
    model: Scores
    missed: pd.DataFrame
    changed: pd.DataFrame
    chart: alt.Chart


def _exact_pairs(fields: tuple[str, ...]) -> Scored:
    """Pairs agreeing exactly on every field, found by Splink's deterministic link."""

    def build() -> Scored:
        data = lesson_data()
        settings = {
            "link_type": LINK_TYPE,
            "blocking_rules_to_generate_predictions": [BlockingRuleSpec(list(fields)).to_splink()],
        }
        linker, api = build_linker(data.prepared, settings, backend=_BACKEND)
        pairs = linker.inference.deterministic_link().as_duckdbpyrelation().df()
        pairs["match_probability"] = 1.0
        pairs["match_weight"] = np.inf
        model = TrainedModel(linker=linker, db_api=api, spec=None, data=data.prepared)
        return Scored(model, _label(pairs, data))

    return _cached(("exact", fields), build)


def _true_pairs() -> pd.DataFrame:
    truth = lesson_data().truth.dropna(subset=["truth"])
    pairs = truth.merge(truth, on="truth", suffixes=("_l", "_r"))
    pairs["pair_key"] = _pair_keys(pairs)
    left = pairs["source_dataset_l"] + _SEP + pairs["unique_id_l"]
    right = pairs["source_dataset_r"] + _SEP + pairs["unique_id_r"]
    return pairs[left < right].reset_index(drop=True)


def _differences(pairs: pd.DataFrame) -> list[str]:
    records = lesson_data().records.copy()
    records["key"] = records["source_dataset"].astype(str) + _SEP + records["unique_id"]
    rec = records.set_index("key")
    out = []
    for _, p in pairs.iterrows():
        left = rec.loc[p["source_dataset_l"] + _SEP + p["unique_id_l"]]
        right = rec.loc[p["source_dataset_r"] + _SEP + p["unique_id_r"]]
        diffs = []
        for col in EXACT_FIELDS:
            lv, rv = left[col], right[col]
            if pd.isna(lv) or pd.isna(rv):
                diffs.append(f"{FIELD_LABELS[col].lower()} missing")
            elif lv != rv:
                diffs.append(f"{FIELD_LABELS[col].lower()} differs")
        out.append(", ".join(diffs) or "no difference")
    return out


def step_exact_match(fields: Sequence[str] = DEFAULT_EXACT_FIELDS) -> ExactMatchStep:
    """Step 1: link records that agree exactly on the chosen fields, and score it.

    Args:
        fields: Fields that must agree exactly (some of :data:`EXACT_FIELDS`).

    Raises:
        LinkageError: When no field is chosen.
    """
    chosen = tuple(f for f in EXACT_FIELDS if f in set(fields))
    if not chosen:
        raise LinkageError("Choose at least one field that must agree exactly.")
    exact = _exact_pairs(chosen)
    model = trained()
    exact_scores = _scores_from_links(exact.pairs)
    model_scores = scores_at(model, DEFAULT_THRESHOLD)
    truth_pairs = _true_pairs()
    missed = truth_pairs[~truth_pairs["pair_key"].isin(set(exact.pairs["pair_key"]))]
    missed = missed.sort_values("pair_key").head(8).reset_index(drop=True)
    shown = pd.concat([_records_side_by_side(missed), missed[["pair_key"]]], axis=1)
    shown["what_differs"] = _differences(missed)
    chart = _scores_chart(
        [("Exact match", exact_scores), ("Probabilistic model", model_scores)],
        "Exact matching misses true matches",
        f"Pairwise scores against the truth; exact on {', '.join(chosen)}",
    )
    changed = changed_pairs(exact, model, 0.5, DEFAULT_THRESHOLD)
    return ExactMatchStep(chosen, exact_scores, model_scores, shown, changed, chart)


# --------------------------------------------------------------------------- step 2
@dataclass
class MUStep:
    """Step 2: the m and u probabilities of one comparison.

    Attributes:
        column: The comparison's column.
        levels: ``level``, ``m_probability``, ``u_probability``, ``bayes_factor``,
            ``match_weight`` per level (null level left out).
        with_it: Scores of the full model.
        without_it: Scores of the model with this comparison left out.
        changed: Pairs whose status changes when the comparison is left out.
        chart: m and u side by side per level.
    """

    column: str
    levels: pd.DataFrame
    with_it: Scores
    without_it: Scores
    changed: pd.DataFrame
    chart: alt.Chart


def comparison_levels(scored: Scored, column: str) -> pd.DataFrame:
    """The trained m, u, Bayes factor and match weight of each level of a comparison."""
    settings = scored.model.settings_dict()
    comp = next(c for c in settings["comparisons"] if c["output_column_name"] == column)
    rows = []
    for level in comp["comparison_levels"]:
        if level.get("is_null_level"):
            continue
        m = level.get("m_probability")
        u = level.get("u_probability")
        bf = m / u if m and u else float("nan")
        rows.append(
            {
                "level": level.get("label_for_charts", level["sql_condition"]),
                "m_probability": m,
                "u_probability": u,
                "bayes_factor": bf,
                "match_weight": math.log2(bf) if bf and bf > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def step_m_u(column: str = "dob") -> MUStep:
    """Step 2: what m and u mean for one comparison, and what the comparison is worth.

    Args:
        column: One of :data:`COMPARED`.
    """
    if column not in COMPARED:
        raise LinkageError(f"{column!r} is not compared in the lesson model.")
    model = trained()
    levels = comparison_levels(model, column)
    without = without_comparison(column)
    long = levels.melt(
        id_vars=["level"], value_vars=["m_probability", "u_probability"], var_name="kind"
    )
    long["kind"] = long["kind"].map(
        {"m_probability": "m: share of true matches", "u_probability": "u: share of non-matches"}
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("level:N", title=None, sort=list(levels["level"])),
            yOffset="kind:N",
            x=alt.X("value:Q", title="Probability", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=accessible_palette()[:2])),
            tooltip=["level:N", "kind:N", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    chart = titled(
        chart,
        f"m and u for {FIELD_LABELS[column].lower()}",
        "Estimated by Splink from the lesson data, without looking at the truth",
    )
    return MUStep(
        column,
        levels,
        scores_at(model, DEFAULT_THRESHOLD),
        scores_at(without, DEFAULT_THRESHOLD),
        changed_pairs(model, without, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD),
        chart,
    )


# --------------------------------------------------------------------------- step 3
@dataclass
class LevelsStep:
    """Step 3: a name comparison's "close" level and its match weights.

    Attributes:
        name_threshold: The Jaro-Winkler threshold chosen.
        levels: Surname levels with m, u and match weight at that threshold.
        scores: Scores of the model trained with that threshold.
        baseline: Scores of the model trained with the default threshold.
        changed: Pairs whose status changed against the default threshold.
        chart: Splink's match weights chart of the model.
    """

    name_threshold: float
    levels: pd.DataFrame
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.TopLevelMixin


def step_levels(name_threshold: float = DEFAULT_NAME_THRESHOLD) -> LevelsStep:
    """Step 3: retrain (once per threshold) with another name similarity threshold.

    Args:
        name_threshold: One of :data:`NAME_THRESHOLDS`.
    """
    if name_threshold not in NAME_THRESHOLDS:
        raise LinkageError(f"{name_threshold} is not one of the lesson's name thresholds.")
    base = trained()
    model = trained(name_threshold)
    with _LOCK:
        chart = match_weights_chart(model.model)
    return LevelsStep(
        name_threshold,
        comparison_levels(model, "surname"),
        scores_at(model, STRICT_THRESHOLD),
        scores_at(base, STRICT_THRESHOLD),
        changed_pairs(base, model, STRICT_THRESHOLD, STRICT_THRESHOLD),
        chart,
    )


# --------------------------------------------------------------------------- step 4
@dataclass
class BlockingStep:
    """Step 4: blocking rules, the comparisons they generate and the matches they keep.

    Attributes:
        rules: The rules chosen.
        comparisons: Pairs the rules generate (and the model scores).
        all_pairs: Pairs without blocking.
        blocking_recall: Share of true pairs the rules generate at all.
        scores: Model scores at the default threshold.
        baseline: Scores with the default rules.
        changed: Pairs whose status changed against the default rules.
        chart: Comparisons and recall per rule chosen.
    """

    rules: tuple[str, ...]
    comparisons: int
    all_pairs: int
    blocking_recall: float
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.Chart


def step_blocking(rules: Sequence[str] = DEFAULT_BLOCKING) -> BlockingStep:
    """Step 4: score the pairs the chosen blocking rules generate.

    Args:
        rules: Keys of :data:`BLOCKING_CHOICES`.

    Raises:
        LinkageError: When no rule is chosen.
    """
    chosen = tuple(r for r in BLOCKING_CHOICES if r in set(rules))
    scored = with_blocking(chosen)
    base = trained()
    data = lesson_data()
    n = data.prepared.n_records
    blocked_true = int(scored.pairs["is_match"].sum())
    frame = _rule_contributions(scored.pairs, chosen, data.n_true_pairs)
    bars = (
        alt.Chart(frame)
        .mark_bar(color=accessible_palette()[0])
        .encode(
            y=alt.Y("rule:N", title=None, sort=list(frame["rule"])),
            x=alt.X("comparisons:Q", title="Pairs compared so far"),
            tooltip=["rule:N", "comparisons:Q", alt.Tooltip("true pairs kept:Q", format=".1%")],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("true pairs kept:Q", format=".0%")
    )
    chart = titled(
        bars + text,
        "Each rule adds comparisons and true pairs",
        "Bars: pairs compared after each rule in turn; labels: share of true pairs kept so far",
    )
    return BlockingStep(
        chosen,
        len(scored.pairs),
        n * (n - 1) // 2,
        blocked_true / data.n_true_pairs,
        scores_at(scored, DEFAULT_THRESHOLD),
        scores_at(base, DEFAULT_THRESHOLD),
        changed_pairs(base, scored, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD),
        chart,
    )


def _rule_contributions(pairs: pd.DataFrame, rules: tuple[str, ...], n_true: int) -> pd.DataFrame:
    """Comparisons and true pairs kept after each rule in turn (Splink's ``match_key``)."""
    key = pairs["match_key"].astype(int) if "match_key" in pairs.columns else 0
    rows = []
    total, kept = 0, 0
    for i, rule in enumerate(rules):
        mine = pairs[key == i]
        total += len(mine)
        kept += int(mine["is_match"].sum())
        rows.append(
            {
                "rule": f"+ {rule}" if i else rule,
                "comparisons": total,
                "true pairs kept": kept / n_true,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- step 5
@dataclass
class ThresholdStep:
    """Step 5: the prior and the threshold trade precision for recall.

    Attributes:
        prior_factor: How much the prior odds were multiplied.
        prior: The prior probability that two random records match.
        threshold: The match probability threshold.
        scores: Scores at that prior and threshold.
        baseline: Scores at the trained prior and the default threshold.
        changed: Pairs whose status changed against the baseline.
        chart: Precision, recall and F1 along thresholds, the chosen one marked.
    """

    prior_factor: float
    prior: float
    threshold: float
    scores: Scores
    baseline: Scores
    changed: pd.DataFrame
    chart: alt.TopLevelMixin


def step_threshold(
    prior_factor: float = 1.0, threshold: float = DEFAULT_THRESHOLD
) -> ThresholdStep:
    """Step 5: re-count stored predictions at a prior and a threshold.

    Args:
        prior_factor: One of :data:`PRIOR_FACTORS`.
        threshold: Match probability between 0 and 1.
    """
    if prior_factor not in PRIOR_FACTORS:
        raise LinkageError(f"{prior_factor} is not one of the lesson's prior factors.")
    if not 0.0 < threshold < 1.0:
        raise LinkageError("Choose a threshold between 0 and 1.")
    base = trained()
    scored = with_prior(prior_factor)
    grid = sorted({*np.round(np.linspace(0.05, 0.95, 19), 2).tolist(), round(threshold, 3)})
    metrics = pairwise_metrics(scored.pairs, lesson_data().truth, grid, LINK_TYPE)
    prior = float(scored.model.settings_dict()["probability_two_random_records_match"])
    chart = titled(
        threshold_chart(metrics, threshold),
        "Higher thresholds: fewer, surer links",
        f"Pairwise scores against the truth; prior 1 in {round(1 / prior):,}",
    )
    return ThresholdStep(
        prior_factor,
        prior,
        threshold,
        scores_at(scored, threshold),
        scores_at(base, DEFAULT_THRESHOLD),
        changed_pairs(base, scored, DEFAULT_THRESHOLD, threshold),
        chart,
    )


# --------------------------------------------------------------------------- step 6
@dataclass
class ClusterStep:
    """Step 6: clusters at a threshold and where they go wrong.

    Attributes:
        threshold: The match probability threshold.
        metrics: Output of :func:`linkage.quality.evaluate.cluster_metrics`.
        n_clusters: Clusters found (singletons included).
        n_people: True people in the data.
        over_merged: Records of one cluster holding several true people (empty when none).
        split: Records of one true person spread over several clusters (empty when none).
        chart: Cluster sizes found against true sizes.
    """

    threshold: float
    metrics: dict[str, float]
    n_clusters: int
    n_people: int
    over_merged: pd.DataFrame
    split: pd.DataFrame
    chart: alt.Chart


def step_clusters(threshold: float = DEFAULT_THRESHOLD) -> ClusterStep:
    """Step 6: cluster the stored predictions at a threshold and compare with the truth.

    Args:
        threshold: Match probability between 0 and 1.
    """
    scored = trained()
    data = lesson_data()
    clusters = cluster_at_threshold(scored.pairs, nodes_from_model(scored.model), threshold)
    metrics = cluster_metrics(clusters, data.truth)
    merged = clusters.merge(data.truth, on=["source_dataset", "unique_id"])
    people_per_cluster = merged.groupby("cluster_id")["truth"].nunique()
    clusters_per_person = merged.groupby("truth")["cluster_id"].nunique()
    records = data.records[["source_dataset", "unique_id", *COMPARED]]
    over = people_per_cluster[people_per_cluster > 1].sort_values(ascending=False)
    split = clusters_per_person[clusters_per_person > 1].sort_values(ascending=False)
    over_rows = merged[merged["cluster_id"] == over.index[0]] if len(over) else merged.iloc[0:0]
    split_rows = merged[merged["truth"] == split.index[0]] if len(split) else merged.iloc[0:0]
    cols = ["cluster_id", "truth", "source_dataset", "unique_id"]
    over_rows = over_rows[cols].merge(records, on=["source_dataset", "unique_id"])
    split_rows = split_rows[cols].merge(records, on=["source_dataset", "unique_id"])
    found = summarise_clusters(clusters).size_distribution.assign(kind="Found by the model")
    true_sizes = data.truth.groupby("truth").size().value_counts().sort_index()
    true = true_sizes.rename_axis("cluster_size").reset_index(name="n_clusters")
    true = true.assign(kind="True people")
    chart = (
        alt.Chart(pd.concat([found, true], ignore_index=True))
        .mark_bar()
        .encode(
            x=alt.X("cluster_size:O", title="Records in cluster"),
            xOffset="kind:N",
            y=alt.Y("n_clusters:Q", title="Clusters", scale=alt.Scale(type="symlog")),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=accessible_palette()[:2])),
            tooltip=["kind:N", "cluster_size:O", "n_clusters:Q"],
        )
    )
    chart = titled(
        chart,
        "Cluster sizes found against the true people",
        f"Clusters at match probability {threshold:.2f}; symmetric log scale",
    )
    return ClusterStep(
        threshold,
        metrics,
        int(metrics["n_clusters"]),
        int(metrics["n_true_clusters"]),
        over_rows.drop(columns=["cluster_id"]).rename(columns={"truth": "true_person"}),
        split_rows.rename(columns={"truth": "true_person"}),
        chart,
    )


# --------------------------------------------------------------------------- exercise
@dataclass
class ExercisePair:
    """One pair of the "you be the model" exercise."""

    pair_key: str
    record_1: str
    record_2: str
    is_match: bool
    match_probability: float
    match_weight: float


def exercise_pairs(n: int = 5) -> list[ExercisePair]:
    """A fixed set of instructive pairs: clear and borderline matches and non-matches.

    Args:
        n: How many pairs.
    """
    scored = trained()
    pairs = scored.pairs.sort_values("pair_key")
    bands = [
        pairs[pairs["is_match"] & (pairs["match_probability"] > 0.99)],
        pairs[~pairs["is_match"] & (pairs["match_probability"] > 0.5)],
        pairs[pairs["is_match"] & (pairs["match_probability"] < 0.5)],
        pairs[~pairs["is_match"] & pairs["match_probability"].between(0.01, 0.5)],
        pairs[pairs["is_match"] & pairs["match_probability"].between(0.5, 0.99)],
    ]
    chosen = [b.iloc[[0]] for b in bands if not b.empty]
    picked = pd.concat(chosen).head(n).reset_index(drop=True)
    side = _records_side_by_side(picked)
    return [
        ExercisePair(
            str(p["pair_key"]),
            str(side.loc[i, "record_1"]),
            str(side.loc[i, "record_2"]),
            bool(p["is_match"]),
            float(p["match_probability"]),
            float(p["match_weight"]),
        )
        for i, p in picked.iterrows()
    ]


@dataclass
class ExerciseResult:
    """How the learner's labels compare with the model and the truth."""

    table: pd.DataFrame
    learner_correct: int
    model_correct: int


def mark_exercise(labels: dict[str, bool]) -> ExerciseResult:
    """Compare the learner's labels with the model's verdict and the truth.

    Args:
        labels: ``pair_key`` -> the learner's "same person?" answer.
    """
    rows = []
    for pair in exercise_pairs():
        if pair.pair_key not in labels:
            continue
        model_says = pair.match_probability >= DEFAULT_THRESHOLD
        rows.append(
            {
                "pair_key": pair.pair_key,
                "record_1": pair.record_1,
                "record_2": pair.record_2,
                "you_said": "same person" if labels[pair.pair_key] else "different people",
                "model_probability": pair.match_probability,
                "model_said": "same person" if model_says else "different people",
                "truth": "same person" if pair.is_match else "different people",
                "you_right": labels[pair.pair_key] == pair.is_match,
                "model_right": model_says == pair.is_match,
            }
        )
    table = pd.DataFrame(rows)
    return ExerciseResult(
        table,
        int(table["you_right"].sum()) if rows else 0,
        int(table["model_right"].sum()) if rows else 0,
    )


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its key and title."""

    key: str
    title: str


STEPS: tuple[Step, ...] = (
    Step("exact", "1. Why exact matching fails"),
    Step("mu", "2. What m and u mean"),
    Step("levels", "3. From levels to match weights"),
    Step("blocking", "4. Blocking: speed against recall"),
    Step("threshold", "5. Prior and threshold"),
    Step("clusters", "6. Clusters and where they go wrong"),
    Step("exercise", "7. You be the model"),
)


def warm_up(background: bool = True) -> threading.Thread | None:
    """Train and score every configuration the lesson offers, so each step answers at once.

    The default model first, then the other name thresholds, priors and comparisons left out.
    Already cached configurations are skipped.

    Args:
        background: Run in a daemon thread (returned) instead of now.
    """

    def run() -> None:
        _WARMING.active = True
        jobs: list[Callable[[], Any]] = [trained, lambda: _exact_pairs(DEFAULT_EXACT_FIELDS)]
        jobs += [lambda c=c: without_comparison(c) for c in COMPARED]
        jobs += [lambda t=t: trained(t) for t in NAME_THRESHOLDS]
        jobs += [lambda f=f: with_prior(f) for f in PRIOR_FACTORS]
        jobs.append(lambda: with_blocking(list(BLOCKING_CHOICES)))
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
    if not WARM_UP_ENABLED:
        return None
    with _LOCK:
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
    with _LOCK:
        _CACHE.clear()
