"""Model health check: what looks wrong with a trained model, in plain words, and what to change.

:func:`check_model` runs after every training (the app's Train page and ``workbench link``)
and reads only the trained model, its input and (when given) the scored pairs and clusters.
Each problem becomes a :class:`Finding` with a severity:

- ``serious``: the results are probably wrong (``workbench link --strict`` fails on these);
- ``warning``: worth a look before the results are used;
- ``info``: a measurement worth knowing (the estimated blocking recall, for example).

The checks, and the limits they use (module constants, so they are stated once):

- untrained levels: a level whose m (or u) probability no training step estimated, so Splink
  scores it with a default weight (:func:`check_levels`); serious when that made-up weight is
  extreme;
- weights out of order: a closer level weighing more than :data:`ORDER_TOLERANCE_BITS` less
  than a looser one in the same comparison (the ELSE level and levels of another kind, such
  as swapped names, are left out);
- extreme weights: a level beyond :data:`EXTREME_WEIGHT_BITS` either way;
- sessions that disagree: one level's m estimated in two EM sessions differing by more than
  :data:`SESSION_DIFFERENCE` (or by a factor over :data:`SESSION_RATIO` where it matters);
- redundant comparisons: two compared columns agreeing together among non-matching pairs far
  more often than independence predicts (:func:`redundancy_table`);
- blocking recall: the share of likely matches the blocking rules find
  (:func:`estimate_blocking_recall`);
- clusters: clusters far larger than the rest, or held together by one weak link
  (:func:`check_clusters`).

Every check is cheap: the two that read the data work on samples (a few hundred thousand
pairs), so the whole check takes seconds at 100,000 records and stays in seconds at a million.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkage.model.predict import edges_from_pairs
from linkage.model.train import TrainedModel
from workbench.sql import Sql, compose, quote_ident

log = logging.getLogger(__name__)

SERIOUS = "serious"
WARNING = "warning"
INFO = "info"
SEVERITIES = (SERIOUS, WARNING, INFO)

#: A closer level may weigh this many bits less than a looser one before it is reported.
ORDER_TOLERANCE_BITS = 0.5
#: A closer level weighing this many bits less than a looser one is a serious problem.
ORDER_SERIOUS_BITS = 4.0
#: A level weighing more than this (either sign) decides a pair on its own.
EXTREME_WEIGHT_BITS = 30.0
#: Two EM sessions' m for one level differing by more than this disagree.
SESSION_DIFFERENCE = 0.2
#: ... or differing by more than this factor, where the larger m is at least
#: :data:`SESSION_MIN_M` (rarer levels barely move any score).
SESSION_RATIO = 4.0
#: See :data:`SESSION_RATIO`.
SESSION_MIN_M = 0.05
#: Sessions whose m for one level differs by more than this disagree seriously.
SESSION_SERIOUS_DIFFERENCE = 0.5
#: Two comparisons agreeing together this many times more often than independence predicts
#: (among pairs the other comparisons call non-matches) count the same evidence twice. Eight
#: times is 3 bits of evidence counted twice: first name and sex (about 2) stay below it.
REDUNDANT_WARNING_RATIO = 8.0
#: ... and this many times is serious: 5 bits counted twice. A date of birth beside a birth
#: year (about 1 / the share of pairs born in one year: 40 to 60) is above it; a postcode
#: beside a town in one area's data (about 1 / the share of pairs in one town: 5 to 25) is not.
REDUNDANT_SERIOUS_RATIO = 32.0
#: Pairs agreeing on both columns needed before a ratio is trusted.
REDUNDANT_MIN_JOINT = 5
#: The ratio is judged when the commoner of the two agreements happens in at least this share
#: of pairs. When both are rarer (two identifying columns, such as a date of birth and a
#: postcode), the few true matches the model scores as non-matches would dominate the count of
#: pairs agreeing on both, so such a pair is reported only when it looks like a copy (next).
REDUNDANT_COMMON_RATE = 0.01
#: Two rarely-agreeing columns count as copies of each other when this share of the pairs
#: agreeing on the rarer one agree on the other too.
REDUNDANT_COPY_SHARE = 0.9
#: Random record pairs sampled for the redundancy check.
RANDOM_PAIRS = 300_000
#: Blocking rules finding fewer of the likely matches than this get a warning...
RECALL_WARNING = 0.95
#: ... and fewer than this are a serious problem.
RECALL_SERIOUS = 0.8
#: Records sampled as probes for the blocking recall estimate.
RECALL_PROBES = 1000
#: Most records one probe may be paired with by one candidate key...
RECALL_KEY_PARTNERS = 500.0
#: ... and at most this share of all records (so sex alone is never a key).
RECALL_KEY_SHARE = 0.05
#: Pairs the model gives less than this match probability count for nothing: thousands of
#: near-certain non-matches would otherwise add up to phantom matches.
RECALL_MIN_PROBABILITY = 0.01
#: Most records one probe may be paired with over all candidate keys.
RECALL_TOTAL_PARTNERS = 500.0
#: Likely matches needed in the recall sample before the estimate is given.
RECALL_MIN_MATCHES = 5.0
#: A cluster larger than this ...
LARGE_CLUSTER_RECORDS = 50
#: ... and this many times the median size of multi-record clusters is too large.
LARGE_CLUSTER_FACTOR = 20.0
#: Clusters of at least this many records are checked for a single weak link.
WEAK_LINK_MIN_SIZE = 4
#: A link scoring less than this many bits above the threshold's weight is weak.
WEAK_LINK_MARGIN_BITS = 3.0

_SIDE_LEVEL_WORDS = ("swap", "matches the other record", "initial")
_COLUMN_L = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)_l"?')
_RULE_COLUMN = re.compile(r'\bl\."?([A-Za-z_][A-Za-z0-9_]*)"?')


@dataclass
class Finding:
    """One problem (or measurement) found by the health check.

    Attributes:
        check: Which check found it (``untrained``, ``order``, ``extreme``, ``sessions``,
            ``redundant``, ``blocking_recall``, ``large_clusters``, ``weak_links``,
            ``not_run``).
        severity: ``serious``, ``warning`` or ``info``.
        message: What is wrong, in plain words.
        advice: The change to make.
        comparison: The comparison (output column) it names, or two joined by `` + ``.
        level: The comparison level it names, when it names one.
    """

    check: str
    severity: str
    message: str
    advice: str
    comparison: str | None = None
    level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            check=str(data.get("check", "")),
            severity=str(data.get("severity", INFO)),
            message=str(data.get("message", "")),
            advice=str(data.get("advice", "")),
            comparison=data.get("comparison"),
            level=data.get("level"),
        )

    def headline(self) -> str:
        """The message, prefixed with the comparison and level it names."""
        where = self.comparison or ""
        if self.level:
            where = f"{where}, {self.level}" if where else self.level
        return f"{where}: {self.message}" if where else self.message


@dataclass
class HealthReport:
    """What the health check found.

    Attributes:
        findings: Serious findings first, then warnings, then notes.
        measures: Figures the checks measured (``blocking_recall``, ``likely_matches``, ...).
        seconds: Time the check took.
    """

    findings: list[Finding] = field(default_factory=list)
    measures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def serious(self) -> list[Finding]:
        """The serious findings."""
        return [f for f in self.findings if f.severity == SERIOUS]

    @property
    def ok(self) -> bool:
        """Whether nothing serious was found."""
        return not self.serious

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def summary(self) -> str:
        """One line such as ``1 serious problem, 2 warnings and 1 note``."""
        c = self.counts()
        words = {
            SERIOUS: ("serious problem", "serious problems"),
            WARNING: ("warning", "warnings"),
            INFO: ("note", "notes"),
        }
        parts = [f"{c[s]} {words[s][c[s] != 1]}" for s in SEVERITIES if c[s]]
        if not parts:
            return "No problems found"
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " and " + parts[-1]

    def table(self) -> pd.DataFrame:
        """``severity``, ``comparison``, ``level``, ``message`` and ``advice`` per finding."""
        columns = ["severity", "comparison", "level", "message", "advice"]
        return pd.DataFrame(
            [{c: getattr(f, c) for c in columns} for f in self.findings], columns=columns
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (stored with a saved model)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "measures": dict(self.measures),
            "seconds": round(float(self.seconds), 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthReport:
        """Rebuild a report from :meth:`to_dict` output."""
        return cls(
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            measures=dict(data.get("measures") or {}),
            seconds=float(data.get("seconds") or 0.0),
        )


def saved_report(metrics: dict[str, Any] | None) -> HealthReport | None:
    """The health report stored in a saved model's metrics, if it has one.

    Args:
        metrics: The model's metrics (``linkage.clusters.registry.get_model(...)["metrics"]``).

    Returns:
        The report, or ``None`` for a model saved without one.
    """
    data = (metrics or {}).get("health")
    return HealthReport.from_dict(data) if isinstance(data, dict) else None


# ------------------------------------------------------------------------------ levels
@dataclass
class _Level:
    comparison: str
    position: int
    label: str
    sql: str
    is_null: bool
    is_else: bool
    m: float | None
    u: float | None
    m_trained: bool
    u_trained: bool
    weight: float | None
    history: list[dict[str, Any]]

    @property
    def is_side(self) -> bool:
        """Another kind of agreement (a swap, an initial), not a looser form of the above."""
        text = self.label.lower()
        if any(word in text for word in _SIDE_LEVEL_WORDS):
            return True
        return len(set(_COLUMN_L.findall(self.sql))) > 1


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(float(value)) else None


def _levels(model: TrainedModel, settings: dict[str, Any]) -> list[list[_Level]]:
    """Every comparison's levels, with the weights the linker scores them with."""
    objects = list(model.linker._settings_obj.comparisons)
    out: list[list[_Level]] = []
    for i, comp in enumerate(settings.get("comparisons", [])):
        name = str(comp.get("output_column_name") or f"comparison {i + 1}")
        raw_levels = comp.get("comparison_levels", [])
        obj_levels = objects[i].comparison_levels if i < len(objects) else []
        levels: list[_Level] = []
        for j, raw in enumerate(raw_levels):
            obj = obj_levels[j] if j < len(obj_levels) else None
            is_null = bool(raw.get("is_null_level"))
            sql = str(raw.get("sql_condition", ""))
            if obj is not None:
                weight = None if is_null else _number(obj._match_weight)
                m = None if is_null else _number(obj.m_probability)
                u = None if is_null else _number(obj.u_probability)
                m_trained = bool(obj._m_is_trained)
                u_trained = bool(obj._u_is_trained)
                history = list(obj._trained_m_probabilities)
            else:
                m = _number(raw.get("m_probability"))
                u = _number(raw.get("u_probability"))
                m_trained, u_trained = m is not None, u is not None
                weight = math.log2(m / u) if m and u else None
                history = []
            levels.append(
                _Level(
                    comparison=name,
                    position=j,
                    label=str(raw.get("label_for_charts") or sql),
                    sql=sql,
                    is_null=is_null,
                    is_else=sql.strip().upper() == "ELSE",
                    m=m,
                    u=u,
                    m_trained=m_trained or is_null,
                    u_trained=u_trained or is_null,
                    weight=weight,
                    history=history,
                )
            )
        out.append(levels)
    return out


def _is_em(entry: dict[str, Any]) -> bool:
    return str(entry.get("description", "")).startswith("EM")


def check_levels(model: TrainedModel) -> list[Finding]:
    """The checks on the trained weights: untrained, out of order, extreme, sessions disagreeing.

    Args:
        model: A trained (or loaded) model.

    Returns:
        The findings, in comparison order.
    """
    settings = model.settings_dict()
    findings: list[Finding] = []
    for levels in _levels(model, settings):
        findings += _untrained(levels)
        findings += _out_of_order(levels)
        findings += _extreme(levels)
        findings += _sessions_disagree(levels)
    return findings


def _untrained(levels: list[_Level]) -> list[Finding]:
    real = [lv for lv in levels if not lv.is_null]
    if not real:
        return []
    comp = real[0].comparison
    if not any(lv.m_trained for lv in real):
        return [
            Finding(
                "untrained",
                SERIOUS,
                f"No training session estimated m for any level of {comp}: every weight it "
                "gives is Splink's default, not learned from the data.",
                f"Add an EM training rule that does not use {comp} (a session cannot estimate "
                "the columns it blocks on), or leave the comparison out.",
                comparison=comp,
            )
        ]
    out: list[Finding] = []
    filled: list[str] = []
    for lv in real:
        shown = f" ({lv.weight:+.1f})" if lv.weight is not None else ""
        extreme = lv.weight is not None and abs(lv.weight) > EXTREME_WEIGHT_BITS
        severity = SERIOUS if extreme else WARNING
        if not lv.m_trained:
            out.append(
                Finding(
                    "untrained",
                    severity,
                    f"Training never saw a pair at this level, so its m probability is "
                    f"Splink's default and its weight{shown} is made up.",
                    "Merge the level into its neighbour (drop the threshold that makes it), or "
                    f"add an EM training rule that leaves {comp} free and yields pairs at "
                    "this level.",
                    comparison=comp,
                    level=lv.label,
                )
            )
        elif not lv.u_trained:
            out.append(
                Finding(
                    "untrained",
                    severity,
                    "No random pair agreed like this when u was estimated, so its u "
                    f"probability is Splink's default and its weight{shown} is made up.",
                    "Sample more random pairs for u in the training plan, or merge the level "
                    "into its neighbour.",
                    comparison=comp,
                    level=lv.label,
                )
            )
        elif any(_is_em(e) for e in lv.history) and not any(
            _is_em(e) and _number(e.get("probability")) for e in lv.history
        ):
            filled.append(lv.label)
    if filled:
        which = ", ".join(f"'{label}'" for label in filled)
        many = len(filled) > 1
        out.append(
            Finding(
                "untrained",
                INFO,
                f"No EM session saw a pair at {'the levels' if many else 'the level'} {which}; "
                f"{'their' if many else 'its'} m was set from the neighbouring levels.",
                "Nothing to change unless these levels matter; an EM rule that leaves "
                f"{comp} free on more pairs would estimate them.",
                comparison=comp,
            )
        )
    return out


def _out_of_order(levels: list[_Level]) -> list[Finding]:
    ordered = [
        lv
        for lv in levels
        if not (lv.is_null or lv.is_else or lv.is_side)
        and lv.m_trained
        and lv.u_trained
        and lv.weight is not None
    ]
    worst: tuple[float, _Level, _Level] | None = None
    violations = 0
    for i, closer in enumerate(ordered):
        later = ordered[i + 1 :]
        if not later:
            break
        looser = max(later, key=lambda lv: lv.weight or 0.0)
        gap = (looser.weight or 0.0) - (closer.weight or 0.0)
        if gap > ORDER_TOLERANCE_BITS:
            violations += 1
            if worst is None or gap > worst[0]:
                worst = (gap, closer, looser)
    if worst is None:
        return []
    gap, closer, looser = worst
    more = f" ({violations - 1} more levels are out of order too)" if violations > 1 else ""
    return [
        Finding(
            "order",
            SERIOUS if gap >= ORDER_SERIOUS_BITS else WARNING,
            f"This closer level weighs {closer.weight:+.1f} but the looser "
            f"'{looser.label}' weighs {looser.weight:+.1f}: closer agreement counts for "
            f"less{more}.",
            "Merge the two levels (drop the threshold between them), or train with an EM "
            f"rule that leaves {closer.comparison} free so more pairs reach these levels; "
            "weights should fall as agreement loosens.",
            comparison=closer.comparison,
            level=closer.label,
        )
    ]


def _extreme(levels: list[_Level]) -> list[Finding]:
    out: list[Finding] = []
    for lv in levels:
        if lv.is_null or lv.weight is None or abs(lv.weight) <= EXTREME_WEIGHT_BITS:
            continue
        if not (lv.m_trained and lv.u_trained):
            continue  # reported once, as an untrained level whose made-up weight is extreme
        comp = lv.comparison
        if lv.weight > 0:
            message = (
                f"This level weighs {lv.weight:+.0f} bits: on its own it outweighs every "
                "other comparison, so this agreement alone links two records."
            )
            advice = (
                f"Check that {comp} really belongs to one person (a shared case or household "
                "value links different people); if its u is near zero, sample more random "
                "pairs for u."
            )
        else:
            message = (
                f"This level weighs {lv.weight:+.0f} bits: one such disagreement keeps two "
                "records apart whatever else agrees (training saw almost no true matches "
                "here)."
            )
            advice = (
                f"If one person's records can differ on {comp} (typing errors, updates), "
                f"compare {comp} with fuzzy levels, or give this level a small m (such as "
                "0.001) in the model so the other evidence can still link them."
            )
        out.append(Finding("extreme", SERIOUS, message, advice, comparison=comp, level=lv.label))
    return out


def session_label(description: str) -> str:
    """A short name for an EM session from Splink's description of it.

    Args:
        description: Such as ``EM, blocked on: l."dob" = r."dob"``.

    Returns:
        The blocking columns (``dob``, ``first_name + surname``), else the description.
    """
    columns = list(dict.fromkeys(_RULE_COLUMN.findall(description)))
    if columns:
        return " + ".join(columns)
    return description.removeprefix("EM, blocked on: ").strip() or description


def _sessions_disagree(levels: list[_Level]) -> list[Finding]:
    worst: tuple[float, _Level, tuple[str, float], tuple[str, float]] | None = None
    for lv in levels:
        if lv.is_null:
            continue
        estimates: list[tuple[str, float]] = []
        for entry in lv.history:
            value = _number(entry.get("probability"))
            if _is_em(entry) and value is not None:
                estimates.append((str(entry.get("description", "")), value))
        for i, (d1, m1) in enumerate(estimates):
            for d2, m2 in estimates[i + 1 :]:
                diff = abs(m1 - m2)
                big = max(m1, m2)
                ratio = big / max(min(m1, m2), 1e-12)
                if diff > SESSION_DIFFERENCE or (big >= SESSION_MIN_M and ratio > SESSION_RATIO):
                    score = diff + (0.1 if big >= SESSION_MIN_M and ratio > SESSION_RATIO else 0)
                    if worst is None or score > worst[0]:
                        worst = (score, lv, (d1, m1), (d2, m2))
    if worst is None:
        return []
    _, lv, (d1, m1), (d2, m2) = worst
    comp = lv.comparison
    return [
        Finding(
            "sessions",
            SERIOUS if abs(m1 - m2) > SESSION_SERIOUS_DIFFERENCE else WARNING,
            f"The training sessions disagree: the session blocked on {session_label(d1)} "
            f"puts {m1:.1%} of true matches at this level, the one blocked on "
            f"{session_label(d2)} {m2:.1%}.",
            f"A session's blocking columns shape the pairs it sees; block EM sessions on "
            f"columns unrelated to {comp}, or add a session so the estimates are averaged "
            "over more kinds of pairs (compare them on the Inspect page's Training sessions "
            "tab).",
            comparison=comp,
            level=lv.label,
        )
    ]


# ------------------------------------------------------------------------- data checks
@dataclass
class _Scorer:
    """Scores record pairs in DuckDB with the model's level conditions (no TF adjustment)."""

    comparisons: list[str]
    columns: dict[str, str]
    conditions: list[list[str]]
    weights: list[np.ndarray]
    rules: list[str]
    prior_logit: float
    record_columns: list[str]
    link_type: str

    @classmethod
    def build(cls, model: TrainedModel, record_columns: list[str]) -> _Scorer:
        settings = model.settings_dict()
        levels = _levels(model, settings)
        comparisons, columns, conditions, weights = [], {}, [], []
        present = set(record_columns)
        for comp, lvs in zip(settings.get("comparisons", []), levels, strict=False):
            name = str(comp.get("output_column_name"))
            used = [c for c in _COLUMN_L.findall(" ".join(lv.sql for lv in lvs)) if c in present]
            if not used and name not in present:
                continue
            comparisons.append(name)
            columns[name] = name if name in present else used[0]
            conditions.append([lv.sql for lv in lvs])
            weights.append(np.array([0.0 if lv.is_null else (lv.weight or 0.0) for lv in lvs]))
        rules = []
        for rule in settings.get("blocking_rules_to_generate_predictions", []):
            text = rule.get("blocking_rule") if isinstance(rule, dict) else str(rule)
            if text:
                rules.append(str(text))
        prob = float(settings.get("probability_two_random_records_match") or 1e-4)
        prob = min(max(prob, 1e-12), 1 - 1e-12)
        return cls(
            comparisons=comparisons,
            columns=columns,
            conditions=conditions,
            weights=weights,
            rules=rules,
            prior_logit=math.log2(prob / (1 - prob)),
            record_columns=record_columns,
            link_type=str(settings.get("link_type", "dedupe_only")),
        )

    def sql(self, pairs_table: str, keys: Sequence[Sequence[str]] = ()) -> Sql:
        """SQL giving ``a``, ``b``, ``found``, each comparison's level and exact agreement."""
        inner = ["p.a", "p.b"]
        for c in self.record_columns:
            q = quote_ident(c)
            inner.append(f"l.{q} AS {quote_ident(c + '_l')}")
            inner.append(f"r.{q} AS {quote_ident(c + '_r')}")
        found = " OR ".join(f"({r})" for r in self.rules) or "FALSE"
        inner.append(f"coalesce({found}, FALSE) AS __found")
        for k, key in enumerate(keys):
            same = " AND ".join(f"l.{quote_ident(c)} = r.{quote_ident(c)}" for c in key)
            inner.append(f"coalesce({same}, FALSE) AS __key_{k}")
        outer = ["a", "b", "__found"] + [f"__key_{k}" for k in range(len(keys))]
        for i, (name, conds) in enumerate(zip(self.comparisons, self.conditions, strict=True)):
            whens = " ".join(
                f"WHEN {cond} THEN {j}"
                for j, cond in enumerate(conds)
                if cond.strip().upper() != "ELSE"
            )
            fallback = next(
                (j for j, cond in enumerate(conds) if cond.strip().upper() == "ELSE"), -1
            )
            outer.append(f"CAST(CASE {whens} ELSE {fallback} END AS SMALLINT) AS __g{i}")
            col = self.columns[name]
            left, right = quote_ident(col + "_l"), quote_ident(col + "_r")
            outer.append(
                f"CAST(CASE WHEN {left} IS NULL OR {right} IS NULL THEN -1 "
                f"WHEN {left} = {right} THEN 1 ELSE 0 END AS TINYINT) AS __e{i}"
            )
        return compose(
            "WITH j AS (SELECT {inner} FROM {pairs} p "
            "JOIN __health_rec l ON l.__rid = p.a JOIN __health_rec r ON r.__rid = p.b) "
            "SELECT {outer} FROM j",
            inner=Sql(", ".join(inner)),
            pairs=pairs_table,
            outer=Sql(", ".join(outer)),
        )

    def score(
        self, con: duckdb.DuckDBPyConnection, pairs_table: str, keys: Sequence[Sequence[str]] = ()
    ) -> dict[str, np.ndarray]:
        """Level weights, exact agreement and blocking per pair of ``pairs_table``."""
        data = con.execute(self.sql(pairs_table, keys)).fetchnumpy()
        n = len(data["a"])
        out: dict[str, np.ndarray] = {
            "found": np.asarray(data["__found"], dtype=bool),
            "weights": np.zeros((n, len(self.comparisons))),
            "exact": np.zeros((n, len(self.comparisons)), dtype=np.int8),
        }
        for i, w in enumerate(self.weights):
            g = np.asarray(data[f"__g{i}"], dtype=np.int64)
            out["weights"][:, i] = np.where(g >= 0, w[np.clip(g, 0, len(w) - 1)], 0.0)
            out["exact"][:, i] = np.asarray(data[f"__e{i}"], dtype=np.int8)
        for k in range(len(keys)):
            out[f"key_{k}"] = np.asarray(data[f"__key_{k}"], dtype=bool)
        return out


def _hash_sql(seed: int, n: int) -> str:
    """A pseudo-random row number in ``0 .. n - 1`` for each ``i`` (literal integers only)."""
    return f"CAST(hash(i, {int(seed)}) % {max(int(n), 1)} AS BIGINT)"


def _prepare_records(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """Number the records once per connection (table ``__health_rec``, column ``__rid``)."""
    columns = [str(r[0]) for r in con.execute("DESCRIBE records").fetchall()]
    made = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '__health_rec'"
    ).fetchall()[0][0]
    if not made:
        con.execute(
            "CREATE TEMP TABLE __health_rec AS SELECT CAST(row_number() OVER "
            "(ORDER BY source_dataset, unique_id) - 1 AS BIGINT) AS __rid, * FROM records"
        )
    n = int(con.execute("SELECT count(*) FROM __health_rec").fetchall()[0][0])
    return n, columns


def redundancy_table(
    model: TrainedModel,
    con: duckdb.DuckDBPyConnection | None = None,
    n_pairs: int = RANDOM_PAIRS,
    seed: int = 7,
) -> pd.DataFrame:
    """How much more often each two compared columns agree together than independence predicts.

    Random record pairs are sampled and scored with the model's comparison levels (no
    term-frequency adjustment). True matches agree on everything at once, so pairs the model
    scores as more likely a match than not, and pairs the *other* comparisons lean towards
    matching (their weights summing over zero), are set aside; among the rest, the
    exact-agreement rate of the two columns together is divided by the product of their
    separate rates. A ratio near 1 means independent evidence; a date of birth beside its own
    birth year gives about 1 / (share of pairs born in one year). Which ratios the check
    trusts is said at :data:`REDUNDANT_COMMON_RATE`.

    Args:
        model: The trained model.
        con: A connection holding the stacked records as ``records`` (by default
            ``model.data.connection()``, closed afterwards).
        n_pairs: Random pairs to sample.
        seed: Sampling seed.

    Returns:
        ``comparison_a``, ``comparison_b``, ``pairs`` (pairs judged), ``rate_a``, ``rate_b``,
        ``rate_both``, ``joint`` (pairs agreeing on both) and ``ratio``, highest ratio first.
    """
    own = con is None
    con = model.data.connection() if con is None else con
    columns = ["comparison_a", "comparison_b", "pairs", "rate_a", "rate_b", "rate_both"]
    columns += ["joint", "ratio"]
    try:
        n, record_columns = _prepare_records(con)
        scorer = _Scorer.build(model, record_columns)
        k = len(scorer.comparisons)
        if n < 2 or k < 2:
            return pd.DataFrame(columns=columns)
        a, b, size = _hash_sql(seed, n), _hash_sql(seed + 1, n), int(n_pairs)
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_random AS SELECT a, b FROM ("
                "SELECT {a} AS a, {b} AS b FROM range({size}) t(i)) WHERE a <> b",
                a=Sql(a),
                b=Sql(b),
                size=Sql(str(size)),
            )
        )
        scored = scorer.score(con, "__health_random")
    finally:
        if own:
            con.close()
    weights, exact = scored["weights"], scored["exact"]
    total = weights.sum(axis=1)
    apart = scorer.prior_logit + total < 0
    rows = []
    for i in range(k):
        for j in range(i + 1, k):
            others = total - weights[:, i] - weights[:, j]
            keep = apart & (others <= 0) & (exact[:, i] >= 0) & (exact[:, j] >= 0)
            pairs = int(keep.sum())
            if pairs == 0:
                continue
            a = exact[keep, i] == 1
            b = exact[keep, j] == 1
            n_a, n_b, n_ab = int(a.sum()), int(b.sum()), int((a & b).sum())
            ratio = n_ab * pairs / (n_a * n_b) if n_a and n_b else float("nan")
            rows.append(
                {
                    "comparison_a": scorer.comparisons[i],
                    "comparison_b": scorer.comparisons[j],
                    "pairs": pairs,
                    "rate_a": n_a / pairs,
                    "rate_b": n_b / pairs,
                    "rate_both": n_ab / pairs,
                    "joint": n_ab,
                    "ratio": ratio,
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("ratio", ascending=False, na_position="last").reset_index(drop=True)


def _judged(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`redundancy_table` whose ratio can be trusted."""
    common = table[["rate_a", "rate_b"]].max(axis=1) >= REDUNDANT_COMMON_RATE
    rarer = (table[["rate_a", "rate_b"]].min(axis=1) * table["pairs"]).clip(lower=1)
    copies = table["joint"] / rarer >= REDUNDANT_COPY_SHARE
    enough = table["joint"] >= REDUNDANT_MIN_JOINT
    return table[enough & (common | copies)].dropna(subset=["ratio"])


def _redundant(table: pd.DataFrame) -> list[Finding]:
    out: list[Finding] = []
    for row in _judged(table).itertuples(index=False):
        ratio = float(row.ratio)
        if ratio < REDUNDANT_WARNING_RATIO:
            continue
        a, b = str(row.comparison_a), str(row.comparison_b)
        keep, drop = (a, b) if row.rate_a <= row.rate_b else (b, a)
        serious = ratio >= REDUNDANT_SERIOUS_RATIO
        if serious:
            advice = (
                f"Compare only one of them: keep {keep} (it tells people apart better) and use "
                f"{drop} for blocking only, if at all."
            )
        else:
            advice = (
                "If one of them is worked out from the other (as a town is from a postcode), "
                f"compare only {keep}; if they are separate facts that often go together here "
                "(family names, local areas), scores are too sure when both agree: check such "
                "pairs on the Review page."
            )
        out.append(
            Finding(
                "redundant",
                SERIOUS if serious else WARNING,
                f"{a} and {b} agree together {ratio:.0f} times as often as independent "
                f"evidence would among pairs of different people (about "
                f"{math.log2(ratio):.1f} bits counted twice).",
                advice,
                comparison=f"{a} + {b}",
            )
        )
    return out


@dataclass
class RecallEstimate:
    """The share of likely matches the blocking rules find (see :func:`estimate_blocking_recall`).

    Attributes:
        recall: Estimated share of true matches the rules generate, or ``None`` when the sample
            held too few likely matches to say.
        likely_matches: Sum of match probabilities over the candidate pairs (expected matches).
        probes: Records sampled.
        pairs: Candidate pairs scored.
        keys: The candidate keys (column lists) that made the pairs.
        missed_by_key: Expected matches the rules miss, per candidate key they agree on.
    """

    recall: float | None
    likely_matches: float
    probes: int
    pairs: int
    keys: list[list[str]] = field(default_factory=list)
    missed_by_key: dict[str, float] = field(default_factory=dict)


def _partners(con: duckdb.DuckDBPyConnection, key: Sequence[str], n: int) -> float:
    filled = Sql(" AND ".join(compose("{c} IS NOT NULL", c=c) for c in key))
    sql = compose(
        "SELECT coalesce(sum(c * c), 0) FROM (SELECT count(*) AS c FROM __health_rec "
        "WHERE {filled} GROUP BY {cols})",
        filled=filled,
        cols=list(key),
    )
    return float(con.execute(sql).fetchall()[0][0]) / max(n, 1)


def _candidate_keys(con: duckdb.DuckDBPyConnection, columns: list[str], n: int) -> list[list[str]]:
    cap = min(RECALL_KEY_PARTNERS, max(RECALL_KEY_SHARE * n, 2.0))
    sizes = {c: _partners(con, [c], n) for c in columns}
    keys: list[tuple[float, list[str]]] = [(s, [c]) for c, s in sizes.items() if 0 < s <= cap]
    broad = [c for c, s in sizes.items() if s > cap]
    for i, a in enumerate(broad):
        for b in broad[i + 1 :]:
            s = _partners(con, [a, b], n)
            if 0 < s <= cap:
                keys.append((s, [a, b]))
    keys.sort(key=lambda item: item[0])
    chosen: list[list[str]] = []
    total = 0.0
    for size, key in keys:
        if total + size > RECALL_TOTAL_PARTNERS and chosen:
            continue
        chosen.append(key)
        total += size
    return chosen


def estimate_blocking_recall(
    model: TrainedModel,
    con: duckdb.DuckDBPyConnection | None = None,
    probes: int = RECALL_PROBES,
    seed: int = 11,
) -> RecallEstimate:
    """Estimate the share of true matches the blocking rules can find.

    Method: sample ``probes`` records; pair each with every record that agrees with it
    exactly on at least one candidate key (each compared column alone, or two broad columns
    together, limited so each probe meets at most a few hundred records and a key never
    pairs it with more than :data:`RECALL_KEY_SHARE` of the records); score those pairs
    with the model's levels and prior (no term-frequency adjustment) to get each pair's match
    probability (below :data:`RECALL_MIN_PROBABILITY` counted as none); and divide the
    expected matches among the pairs the blocking rules generate by the expected matches
    among all of them. True matches that agree on no candidate key are
    outside both counts, so the estimate is the recall among matches agreeing exactly on at
    least one compared column (an upper bound, close to the real recall on most data).

    Args:
        model: The trained model.
        con: A connection holding the stacked records as ``records`` (by default
            ``model.data.connection()``, closed afterwards).
        probes: Records sampled.
        seed: Sampling seed.

    Returns:
        The estimate.
    """
    own = con is None
    con = model.data.connection() if con is None else con
    try:
        n, record_columns = _prepare_records(con)
        scorer = _Scorer.build(model, record_columns)
        columns = list(dict.fromkeys(scorer.columns.values()))
        keys = _candidate_keys(con, columns, n)
        if not keys or n < 2:
            return RecallEstimate(None, 0.0, 0, 0, keys)
        # The seed stays an inlined integer literal: its type decides the hash, so the probes.
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_probes AS SELECT * FROM __health_rec "
                "ORDER BY hash(__rid, {seed}) LIMIT {probes}",
                seed=Sql(str(int(seed))),
                probes=Sql(str(int(probes))),
            )
        )
        other = (
            " AND p.source_dataset <> r.source_dataset" if scorer.link_type == "link_only" else ""
        )
        parts = []
        for key in keys:
            on = Sql(" AND ".join(compose("p.{c} = r.{c}", c=c) for c in key))
            parts.append(
                compose(
                    "SELECT p.__rid AS a, r.__rid AS b FROM __health_probes p "
                    "JOIN __health_rec r ON {on} WHERE p.__rid <> r.__rid{other}",
                    on=on,
                    other=Sql(other),
                )
            )
        con.execute(
            compose(
                "CREATE OR REPLACE TEMP TABLE __health_net AS SELECT DISTINCT least(a, b) AS a, "
                "greatest(a, b) AS b FROM ({union})",
                union=Sql(" UNION ALL ".join(parts)),
            )
        )
        n_probes = int(con.execute("SELECT count(*) FROM __health_probes").fetchall()[0][0])
        scored = scorer.score(con, "__health_net", keys)
    finally:
        if own:
            con.close()
    logit = scorer.prior_logit + scored["weights"].sum(axis=1)
    prob = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
    prob[prob < RECALL_MIN_PROBABILITY] = 0.0
    found = scored["found"]
    likely = float(prob.sum())
    missed = {
        " + ".join(key): float(prob[(~found) & scored[f"key_{k}"]].sum())
        for k, key in enumerate(keys)
    }
    recall = float(prob[found].sum() / likely) if likely >= RECALL_MIN_MATCHES else None
    return RecallEstimate(recall, likely, n_probes, len(prob), keys, missed)


def _recall_findings(estimate: RecallEstimate) -> list[Finding]:
    if estimate.recall is None:
        if not estimate.keys:
            return []
        return [
            Finding(
                "blocking_recall",
                INFO,
                f"Blocking recall could not be estimated: the {estimate.probes:,} sampled "
                f"records had only {estimate.likely_matches:.1f} likely matches.",
                "Nothing to change; with more duplicated records the estimate appears.",
            )
        ]
    recall = estimate.recall
    where = (
        f"(estimated from {estimate.likely_matches:,.0f} likely matches of "
        f"{estimate.probes:,} sampled records)"
    )
    if recall >= RECALL_WARNING:
        return [
            Finding(
                "blocking_recall",
                INFO,
                f"The blocking rules find about {recall:.0%} of the likely matches {where}.",
                "Nothing to change.",
            )
        ]
    top = max(estimate.missed_by_key.items(), key=lambda kv: kv[1], default=("", 0.0))
    hint = (
        f"Most of the missed matches agree on {top[0]}: add a blocking rule on {top[0]} "
        "(the Configure page counts the comparisons it makes first)."
        if top[1] > 0
        else "Add a blocking rule on columns true matches share."
    )
    return [
        Finding(
            "blocking_recall",
            SERIOUS if recall < RECALL_SERIOUS else WARNING,
            f"The blocking rules find only about {recall:.0%} of the likely matches {where}: "
            "the rest are never compared, so no threshold can link them.",
            hint,
        )
    ]


# ------------------------------------------------------------------------------ clusters
def _weight(probability: float) -> float:
    p = min(max(float(probability), 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def bridges(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether each edge is a bridge (its removal splits its component)."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e, (u, v) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    disc = [-1] * n
    low = [0] * n
    is_bridge = np.zeros(len(left), dtype=bool)
    timer = 0
    for root in range(n):
        if disc[root] != -1:
            continue
        disc[root] = low[root] = timer
        timer += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        while stack:
            node, via, k = stack[-1]
            if k < len(adjacency[node]):
                stack[-1] = (node, via, k + 1)
                nxt, e = adjacency[node][k]
                if e == via:
                    continue
                if disc[nxt] == -1:
                    disc[nxt] = low[nxt] = timer
                    timer += 1
                    stack.append((nxt, e, 0))
                else:
                    low[node] = min(low[node], disc[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        is_bridge[via] = True
    return is_bridge


def check_clusters(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    threshold: float | None = None,
) -> list[Finding]:
    """Clusters far larger than the rest, and clusters held together by one weak link.

    A cluster is too large when it holds more than :data:`LARGE_CLUSTER_RECORDS` records and
    more than :data:`LARGE_CLUSTER_FACTOR` times the median size of multi-record clusters. A
    cluster of :data:`WEAK_LINK_MIN_SIZE` or more records hangs on a weak link when one of its
    links scores less than :data:`WEAK_LINK_MARGIN_BITS` above the threshold's match weight
    and removing that link alone would split it.

    Args:
        pairs: The scored pairs (``source_dataset_l/_r``, ``unique_id_l/_r``,
            ``match_weight``, ``match_probability``).
        clusters: ``source_dataset``, ``unique_id`` and ``cluster_id`` per record.
        threshold: The match probability the clusters were made at; by default just above the
            best-scoring pair that links two different clusters.

    Returns:
        The findings (none when every cluster looks ordinary).
    """
    if clusters.empty:
        return []
    sizes = clusters.groupby("cluster_id").size()
    multi = sizes[sizes > 1]
    if multi.empty:
        return []
    out: list[Finding] = []
    median = float(multi.median())
    big = multi[(multi > LARGE_CLUSTER_RECORDS) & (multi > LARGE_CLUSTER_FACTOR * median)]
    density = _cluster_density(pairs, clusters, list(big.index), threshold)
    loose = big[density.reindex(big.index).fillna(0.0) < DENSE_CLUSTER_SHARE]
    tight = big.drop(loose.index)
    if not loose.empty:
        largest = int(loose.max())
        out.append(
            Finding(
                "large_clusters",
                SERIOUS,
                f"{len(loose):,} cluster{'s are' if len(loose) != 1 else ' is'} far larger than "
                f"the rest and loosely knit: the largest holds {largest:,} records, "
                f"{largest / median:.0f} times the typical linked cluster ({median:.0f} "
                "records), and fewer than half of its records are linked to each other directly. "
                "Chains of false links are likely.",
                "Raise the threshold (the Threshold and clusters page shows the effect), or make "
                "the model stricter on what these records share (a common name or placeholder "
                "value), then look at the cluster on the Threshold and clusters page.",
            )
        )
    if not tight.empty:
        largest = int(tight.max())
        out.append(
            Finding(
                "large_clusters",
                INFO,
                f"{len(tight):,} cluster{'s are' if len(tight) != 1 else ' is'} far larger than "
                f"the rest (the largest holds {largest:,} records) but tightly knit: most of "
                "their records are linked to each other directly, as the records of one person "
                "with many cases are.",
                "Nothing to change unless a look at the cluster on the Threshold and clusters "
                "page shows different people.",
            )
        )
    out += _weak_links(pairs, clusters, threshold)
    return out


#: A large cluster whose records are directly linked in at least this share of their pairs is
#: taken as one person with many records, not a chain of false links.
DENSE_CLUSTER_SHARE = 0.5


def _cluster_density(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    cluster_ids: list[Any],
    threshold: float | None,
) -> pd.Series:
    """Share of each cluster's record pairs that are linked directly (at the threshold)."""
    if not cluster_ids:
        return pd.Series(dtype=float)
    edges = edges_from_pairs(pairs)
    if threshold is not None:
        edges = edges[edges["match_probability"] >= threshold]
    keys = clusters["source_dataset"].astype(str) + "\x1f" + clusters["unique_id"].astype(str)
    cluster_of = pd.Series(clusters["cluster_id"].to_numpy(), index=keys.to_numpy())
    left = cluster_of.reindex(_node_key(edges, "l").to_numpy()).to_numpy()
    right = cluster_of.reindex(_node_key(edges, "r").to_numpy()).to_numpy()
    inside = pd.Series(left[(left == right)])
    wanted = set(cluster_ids)
    counts = inside[inside.isin(wanted)].value_counts()
    sizes = clusters[clusters["cluster_id"].isin(wanted)].groupby("cluster_id").size()
    return (counts.reindex(sizes.index).fillna(0) / (sizes * (sizes - 1) / 2)).astype(float)


def _node_key(edges: pd.DataFrame, side: str) -> pd.Series:
    return (
        edges[f"source_dataset_{side}"].astype(str)
        + "\x1f"
        + edges[f"unique_id_{side}"].astype(str)
    )


def _weak_links(
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation,
    clusters: pd.DataFrame,
    threshold: float | None,
) -> list[Finding]:
    edges = edges_from_pairs(pairs)
    if edges.empty:
        return []
    key = pd.Index(
        clusters["source_dataset"].astype(str) + "\x1f" + clusters["unique_id"].astype(str)
    )
    codes, names = pd.factorize(clusters["cluster_id"])
    left = key.get_indexer(_node_key(edges, "l"))
    right = key.get_indexer(_node_key(edges, "r"))
    known = (left >= 0) & (right >= 0)
    left, right = left[known], right[known]
    prob = edges["match_probability"].to_numpy(dtype=float)[known]
    weight = edges["match_weight"].to_numpy(dtype=float)[known]
    same = codes[left] == codes[right]
    if threshold is None:
        cross = prob[~same]
        if cross.size:
            threshold = float(cross.max())
            used = same & (prob > threshold)
        else:
            threshold = float(prob[same].min()) if same.any() else 0.5
            used = same
        threshold = min(max(threshold, 1e-6), 1 - 1e-6)
    else:
        used = same & (prob >= threshold)
    weak_weight = _weight(threshold) + WEAK_LINK_MARGIN_BITS
    size_of = np.bincount(codes, minlength=len(names))
    used &= size_of[codes[left]] >= WEAK_LINK_MIN_SIZE
    weak = used & (weight < weak_weight)
    if not weak.any():
        return []
    suspect = np.zeros(len(names), dtype=bool)
    suspect[codes[left[weak]]] = True
    in_suspect = used & suspect[codes[left]]
    sub_left, sub_right = left[in_suspect], right[in_suspect]
    nodes, inverse = np.unique(np.concatenate([sub_left, sub_right]), return_inverse=True)
    bridge = bridges(len(nodes), inverse[: len(sub_left)], inverse[len(sub_left) :])
    weak_bridge = bridge & (weight[in_suspect] < weak_weight)
    if not weak_bridge.any():
        return []
    hanging = np.unique(codes[sub_left[weak_bridge]])
    hanging_sizes = pd.Series(size_of[hanging])
    p_weak = 1.0 / (1.0 + 2.0 ** (-weak_weight))
    n = len(hanging)
    return [
        Finding(
            "weak_links",
            WARNING,
            f"{n:,} cluster{'s' if n != 1 else ''} of {WEAK_LINK_MIN_SIZE} or more records "
            f"{'are' if n != 1 else 'is'} held together by a single weak link (a pair scoring "
            f"under {weak_weight:.1f}, match probability {p_weak:.3f}); the largest has "
            f"{int(hanging_sizes.max()):,} records. One doubtful pair joins two groups of "
            "records into one person.",
            f"Review these clusters on the Threshold and clusters page; a threshold of about "
            f"{p_weak:.3f} would split them.",
        )
    ]


# ------------------------------------------------------------------------------ the check
def _run(name: str, findings: list[Finding], step: Callable[[], list[Finding]]) -> None:
    try:
        findings += step()
    except Exception as exc:  # one failing check must not hide the others
        log.warning("health check %s failed", name, exc_info=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        findings.append(
            Finding(
                "not_run",
                INFO,
                f"The {name} check could not run: {first}",
                "Nothing to change in the model; run with -v (or see the log) for details.",
            )
        )


def check_model(
    model: TrainedModel,
    pairs: pd.DataFrame | duckdb.DuckDBPyRelation | None = None,
    clusters: pd.DataFrame | None = None,
    threshold: float | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> HealthReport:
    """Check a trained model for the problems listed in this module's description.

    Args:
        model: The trained (or loaded) model.
        pairs: Its scored pairs, for the cluster checks.
        clusters: Its clusters (``source_dataset``, ``unique_id``, ``cluster_id``).
        threshold: The match probability the clusters were made at (inferred when omitted).
        progress: Called with a message and the fraction done before each check.

    Returns:
        The report: serious findings first, then warnings, then notes.
    """

    def report(message: str, fraction: float) -> None:
        if progress is not None:
            progress(message, fraction)

    start = time.perf_counter()
    findings: list[Finding] = []
    measures: dict[str, Any] = {}
    report("Checking the trained weights", 0.0)
    _run("trained weights", findings, lambda: check_levels(model))

    con = None

    def redundant() -> list[Finding]:
        table = redundancy_table(model, con)
        if not table.empty:
            top = _judged(table).head(1)
            if not top.empty:
                row = top.iloc[0]
                measures["most_dependent_pair"] = f"{row.comparison_a} + {row.comparison_b}"
                measures["most_dependent_ratio"] = round(float(row.ratio), 2)
        return _redundant(table)

    def recall() -> list[Finding]:
        estimate = estimate_blocking_recall(model, con)
        if estimate.recall is not None:
            measures["blocking_recall"] = round(estimate.recall, 4)
        measures["likely_matches_in_sample"] = round(estimate.likely_matches, 1)
        measures["recall_sample_records"] = estimate.probes
        return _recall_findings(estimate)

    try:
        report("Reading the records", 0.1)
        con = model.data.connection()
        report("Looking for comparisons that repeat each other", 0.2)
        _run("redundant comparisons", findings, redundant)
        report("Estimating the blocking recall", 0.55)
        _run("blocking recall", findings, recall)
    except Exception as exc:
        log.warning("the health check could not read the data: %s", exc)
    finally:
        if con is not None:
            con.close()
    if pairs is not None and clusters is not None:
        report("Checking the clusters", 0.9)
        _run("cluster", findings, lambda: check_clusters(pairs, clusters, threshold))
    report("Health check done", 1.0)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order.get(f.severity, len(order)))
    seconds = time.perf_counter() - start
    log.info("health check: %d findings in %.1f s", len(findings), seconds)
    return HealthReport(findings=findings, measures=measures, seconds=seconds)
