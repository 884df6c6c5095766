"""Checks on a trained model's weights: untrained levels, weights out of order, extreme
weights and EM sessions that disagree (:func:`check_levels`).

They read only the trained model, never the data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from linkage.model.train import TrainedModel
from linkage.quality.findings import INFO, SERIOUS, WARNING, Finding

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

_SIDE_LEVEL_WORDS = ("swap", "matches the other record", "initial")
#: A left-hand column (``name_l``) in a level's SQL condition.
COLUMN_L = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)_l"?')
_RULE_COLUMN = re.compile(r'\bl\."?([A-Za-z_][A-Za-z0-9_]*)"?')


@dataclass
class Level:
    """One comparison level with the weight the trained linker scores it with."""

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
        return len(set(COLUMN_L.findall(self.sql))) > 1


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(float(value)) else None


def read_levels(model: TrainedModel, settings: dict[str, Any]) -> list[list[Level]]:
    """Every comparison's levels, with the weights the linker scores them with.

    Args:
        model: A trained (or loaded) model.
        settings: Its settings (``model.settings_dict()``).

    Returns:
        One list of levels per comparison, in the settings' order.
    """
    objects = list(model.linker._settings_obj.comparisons)
    out: list[list[Level]] = []
    for i, comp in enumerate(settings.get("comparisons", [])):
        name = str(comp.get("output_column_name") or f"comparison {i + 1}")
        raw_levels = comp.get("comparison_levels", [])
        obj_levels = objects[i].comparison_levels if i < len(objects) else []
        levels: list[Level] = []
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
                Level(
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
    for levels in read_levels(model, settings):
        findings += _untrained(levels)
        findings += _out_of_order(levels)
        findings += _extreme(levels)
        findings += _sessions_disagree(levels)
    return findings


def _untrained(levels: list[Level]) -> list[Finding]:
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


def _out_of_order(levels: list[Level]) -> list[Finding]:
    ordered = [
        lv
        for lv in levels
        if not (lv.is_null or lv.is_else or lv.is_side)
        and lv.m_trained
        and lv.u_trained
        and lv.weight is not None
    ]
    worst: tuple[float, Level, Level] | None = None
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


def _extreme(levels: list[Level]) -> list[Finding]:
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


def _sessions_disagree(levels: list[Level]) -> list[Finding]:
    worst: tuple[float, Level, tuple[str, float], tuple[str, float]] | None = None
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
