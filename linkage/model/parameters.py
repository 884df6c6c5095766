"""Keep a trained model's parameters sensible before it is used.

Expectation maximisation estimates each level's m probability from the pairs one session
sees. Three things go wrong on real data, and each is put right here, in plain view (every
change is reported):

- A level is never observed in any session, so Splink would score it with a default m.
  :func:`untrained_levels` finds them; training runs a further session that leaves their
  comparison free, and :func:`fill_untrained` gives any still untrained a weight between its
  neighbours' instead of a default.
- A level's m collapses towards zero when the sessions saw no matching pair at that level
  (a date of birth "all other" weighing -52 bits). :func:`repair_weights` puts a floor under
  m, as a small prior that every kind of disagreement happens among true matches.
- A closer level weighs less than a looser one (postcode sector -10 bits, district +4).
  :func:`repair_weights` pools such levels (pool-adjacent-violators), so weights never rise
  as agreement loosens.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: Smallest m probability a level keeps: about one true match in ten thousand falls at any
#: level, so no single disagreement can outweigh all other evidence.
M_FLOOR = 1e-4
#: Largest match weight (in bits, either sign) a level may carry.
MAX_ABS_WEIGHT = 30.0
#: A closer level may weigh this much less than a looser one before it counts as out of order.
ORDER_TOLERANCE = 0.25

# Levels that are a different kind of agreement rather than a looser form of the one above
# them: they are left out of the ordering check.
_SIDE_LEVEL_WORDS = ("swap", "matches the other record", "initial")


@dataclass
class LevelRef:
    """One comparison level of a linker's settings.

    Attributes:
        comparison: The comparison's output column.
        index: The level's position among the comparison's non-null levels (0 = closest).
        label: The level's chart label.
        level: Splink's level object.
    """

    comparison: str
    index: int
    label: str
    level: Any

    @property
    def is_side_level(self) -> bool:
        """Whether the level is another kind of agreement (a swap, an initial)."""
        text = self.label.lower()
        return any(word in text for word in _SIDE_LEVEL_WORDS)

    @property
    def is_else(self) -> bool:
        """Whether this is the comparison's "all other comparisons" level."""
        return bool(self.level._is_else_level)


def _levels(linker: Any) -> dict[str, list[LevelRef]]:
    out: dict[str, list[LevelRef]] = {}
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        refs: list[LevelRef] = []
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            refs.append(LevelRef(name, len(refs), str(level.label_for_charts), level))
        out[name] = refs
    return out


def _has_m(level: Any) -> bool:
    return bool(level._has_estimated_m_values)


def _m(level: Any) -> float | None:
    value = level._m_probability
    return float(value) if isinstance(value, int | float) else None


def _u(level: Any) -> float | None:
    value = level._u_probability
    return float(value) if isinstance(value, int | float) and value > 0 else None


def untrained_levels(linker: Any) -> dict[str, list[str]]:
    """Levels whose m probability no training session estimated.

    Args:
        linker: A Splink linker after training.

    Returns:
        Each comparison with untrained levels and those levels' labels.
    """
    out: dict[str, list[str]] = {}
    for name, refs in _levels(linker).items():
        missing = [r.label for r in refs if not _has_m(r.level)]
        if missing:
            out[name] = missing
    return out


def fill_untrained(linker: Any) -> list[str]:
    """Give each level no session estimated a weight between its trained neighbours'.

    The level's Bayes factor becomes the geometric mean of the nearest trained levels above
    and below it (or the nearest one when it is first or last), and its m follows from its u.
    The comparison's other m values are scaled so they still sum to one.

    Args:
        linker: A Splink linker after training.

    Returns:
        One plain-language note per level filled.
    """
    notes: list[str] = []
    for name, refs in _levels(linker).items():
        seen = [u for u in (_u(r.level) for r in refs if r.level._has_estimated_u_values) if u]
        for ref in refs:
            if not ref.level._has_estimated_u_values and seen:
                # Rarer among random pairs than the rarest level seen there.
                u = min(seen) / 2
                ref.level.u_probability = u
                ref.level._add_trained_u_probability(
                    u, "set below the rarest level seen: not observed among random pairs"
                )
                notes.append(
                    f"{name}: no random pair agreed at {ref.label!r}; its u was set below the "
                    f"rarest level seen ({u:.2g})."
                )
        missing = [r for r in refs if not _has_m(r.level)]
        if not missing:
            continue
        trained = [r for r in refs if _has_m(r.level) and _m(r.level) and _u(r.level)]
        seen_u = [u for u in (_u(r.level) for r in refs) if u]
        for ref in missing:
            u = _u(ref.level)
            if u is None:
                # Not seen among random pairs either: rarer than the rarest level seen.
                u = min(seen_u) / 2 if seen_u else 1e-6
                ref.level.u_probability = u
            above = [r for r in trained if r.index < ref.index]
            below = [r for r in trained if r.index > ref.index]
            factors = [
                math.log2(_m(r.level) / _u(r.level))  # type: ignore[operator]
                for r in (above[-1:] + below[:1])
            ]
            weight = sum(factors) / len(factors) if factors else 0.0
            m = min(max(u * 2**weight, M_FLOOR), 0.5)
            ref.level.m_probability = m
            ref.level._add_trained_m_probability(
                m, "set between neighbouring levels: not observed in any training session"
            )
            notes.append(
                f"{name}: the level {ref.label!r} was not observed in any training session; "
                f"its weight was set between its neighbours' ({weight:+.1f} bits)."
            )
        _normalise_m(refs)
    return notes


def _normalise_m(refs: list[LevelRef]) -> None:
    values = [_m(r.level) for r in refs]
    if any(v is None for v in values):
        return
    total = sum(values)  # type: ignore[arg-type]
    if total <= 0 or abs(total - 1) < 1e-9:
        return
    for ref, value in zip(refs, values, strict=True):
        ref.level.m_probability = value / total  # type: ignore[operator]


def _weight(m: float, u: float) -> float:
    return math.log2(m / u)


def repair_weights(linker: Any) -> list[str]:
    """Floor every m, pool levels whose weights rise as agreement loosens, cap extreme weights.

    Args:
        linker: A Splink linker after training (changed in place).

    Returns:
        One plain-language note per change.
    """
    notes: list[str] = []
    for name, refs in _levels(linker).items():
        usable = [r for r in refs if _m(r.level) is not None and _u(r.level) is not None]
        if len(usable) != len(refs):
            continue
        for ref in usable:
            m, u = _m(ref.level), _u(ref.level)
            assert m is not None and u is not None
            low = max(M_FLOOR, u * 2**-MAX_ABS_WEIGHT)
            high = min(1.0, u * 2**MAX_ABS_WEIGHT)
            if m < low or m > high:
                new = min(max(m, low), high)
                notes.append(
                    f"{name}: {ref.label!r} weighed {_weight(m, u):+.1f} bits; held at "
                    f"{_weight(new, u):+.1f} (training saw almost no true matches there)."
                )
                ref.level.m_probability = new
        _normalise_m(usable)
        chain = [r for r in usable if not r.is_side_level]
        notes += _pool_violators(name, chain)
    return notes


def _pool_violators(name: str, chain: list[LevelRef]) -> list[str]:
    """Pool adjacent levels whose weights rise as agreement loosens (pool-adjacent-violators)."""
    blocks: list[list[LevelRef]] = []
    for ref in chain:
        blocks.append([ref])
        while len(blocks) >= 2 and _block_weight(blocks[-2]) < _block_weight(blocks[-1]) - (
            ORDER_TOLERANCE
        ):
            last = blocks.pop()
            blocks[-1].extend(last)
    notes = []
    for block in blocks:
        if len(block) < 2:
            continue
        before = ", ".join(f"{r.label} {_weight(_m(r.level), _u(r.level)):+.1f}" for r in block)  # type: ignore[arg-type]
        pooled = _block_weight(block)
        for ref in block:
            ref.level.m_probability = _u(ref.level) * 2**pooled  # type: ignore[operator]
        notes.append(
            f"{name}: weights rose as agreement loosened ({before} bits); these levels now "
            f"share one weight, {pooled:+.1f} bits."
        )
    return notes


def _block_weight(block: list[LevelRef]) -> float:
    m = sum(_m(r.level) or 0.0 for r in block)
    u = sum(_u(r.level) or 0.0 for r in block)
    return _weight(max(m, 1e-300), u)
