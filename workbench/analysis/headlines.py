"""Plain-language headlines generated from measure values.

Each function takes numbers (or a KPI frame from
:func:`workbench.analysis.views.dashboard.dashboard_kpis`) and returns a sentence such as
"Median time from offence to completion at magistrates' courts in Kent was 182 days in Q3
2026 (from 412 cases), 14 days longer than a year earlier and 6 days shorter
than nationally." Values hidden by disclosure control or withheld for a small base (missing) are
reported as "too few cases to report", never guessed.

A change is described by direction ("up", "down", "longer", "shorter") only when it is larger
than its uncertainty (``clear``: the two 95% intervals do not overlap, or for rates a
two-proportion z-test at 95%, see :func:`clear_change`); otherwise it is "no clear change".
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Literal

import pandas as pd

Unit = Literal["rate", "days"]
Z95 = 1.959963984540054
SUPPRESSED = "too few cases to report"

# Values are compared as shown (rounded); these absorb floating-point error only.
RATE_TOLERANCE = 0.00001
DAYS_TOLERANCE = 0.01


def missing(value: Any) -> bool:
    """Whether a value is absent or hidden (None, NaN or ``pd.NA``)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plural(count: float, word: str, words: str | None = None) -> str:
    """``"1 day"``, ``"14 days"``: a whole number with its noun in the right number."""
    n = round(float(count))
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def format_value(value: Any, unit: Unit) -> str:
    """A measure value as shown in a headline: ``"7.1%"`` or ``"182 days"``."""
    if missing(value):
        return SUPPRESSED
    if unit == "rate":
        return f"{float(value) * 100:.1f}%"
    return plural(float(value), "day")


def format_period(start: Any, period: str) -> str:
    """The name of a period from its first day: ``"2025"``, ``"Q3 2026"``, ``"March 2026"``."""
    day = pd.Timestamp(start).date() if not isinstance(start, date) else start
    if period == "year":
        return str(day.year)
    if period == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if period == "month":
        return day.strftime("%B %Y")
    return f"the week starting {day.day} {day.strftime('%B %Y')}"


def _shown(value: Any, unit: Unit) -> float:
    """The value as a headline shows it (a rate to 0.1 percentage point, whole days)."""
    return round(float(value) * 100, 1) / 100 if unit == "rate" else float(round(float(value)))


def _same(a: float, b: float, unit: Unit) -> bool:
    return math.isclose(a, b, abs_tol=RATE_TOLERANCE if unit == "rate" else DAYS_TOLERANCE)


def intervals_overlap(low: Any, high: Any, other_low: Any, other_high: Any) -> bool | None:
    """Whether two intervals overlap (None when a bound is missing)."""
    if any(missing(v) for v in (low, high, other_low, other_high)):
        return None
    return float(low) <= float(other_high) and float(other_low) <= float(high)


def rates_differ(
    numerator: Any, base: Any, other_numerator: Any, other_base: Any, z: float = Z95
) -> bool | None:
    """A two-proportion z-test (pooled) at 95%: whether two rates differ (None if unknown)."""
    if any(missing(v) for v in (numerator, base, other_numerator, other_base)):
        return None
    k1, n1, k2, n2 = float(numerator), float(base), float(other_numerator), float(other_base)
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return k1 / n1 != k2 / n2
    return abs(k1 / n1 - k2 / n2) / spread > z


def clear_change(current: dict[str, Any], previous: dict[str, Any], unit: Unit) -> bool:
    """Whether a change is larger than its uncertainty.

    Args:
        current: ``low`` and ``high`` (the 95% interval) and, for rates, ``numerator`` and
            ``base``.
        previous: The same for the earlier value.
        unit: ``rate`` or ``days``.

    Returns:
        True when the intervals do not overlap, or (rates) a two-proportion z-test finds a
        difference at 95%; False otherwise, including when the uncertainty is unknown.
    """
    overlap = intervals_overlap(
        current.get("low"), current.get("high"), previous.get("low"), previous.get("high")
    )
    if overlap is False:
        return True
    if unit == "rate":
        differ = rates_differ(
            current.get("numerator"),
            current.get("base"),
            previous.get("numerator"),
            previous.get("base"),
        )
        return bool(differ)
    return False


def change_phrase(
    current: Any,
    previous: Any,
    unit: Unit,
    earlier: str = "a year earlier",
    clear: bool = False,
) -> str:
    """How a value moved: ``"14 days longer than a year earlier"``, ``"up 0.4 percentage points
    on a year earlier"``, ``"unchanged from a year earlier"``, or ``"no clear change on a year
    earlier (7.4%)"`` when the change is not ``clear`` (see :func:`clear_change`); empty when
    either value is missing."""
    if missing(current) or missing(previous):
        return ""
    current, previous = _shown(current, unit), _shown(previous, unit)
    if _same(current, previous, unit):
        return f"unchanged from {earlier}" if unit == "rate" else f"the same as {earlier}"
    if not clear:
        return f"no clear change on {earlier} ({format_value(previous, unit)})"
    diff = current - previous
    if unit == "rate":
        points = abs(diff) * 100
        size = (
            "1 percentage point" if f"{points:.1f}" == "1.0" else f"{points:.1f} percentage points"
        )
        return f"{'up' if diff > 0 else 'down'} {size} on {earlier}"
    return f"{plural(abs(diff), 'day')} {'longer' if diff > 0 else 'shorter'} than {earlier}"


def national_phrase(value: Any, national: Any, unit: Unit) -> str:
    """How a value compares with the national one: ``"below the national 7.4%"``."""
    if missing(value) or missing(national):
        return ""
    value, national = _shown(value, unit), _shown(national, unit)
    if _same(value, national, unit):
        return f"in line with the national {format_value(national, unit)}"
    if unit == "rate":
        side = "above" if value > national else "below"
        return f"{side} the national {format_value(national, unit)}"
    diff = abs(value - national)
    side = "longer" if value > national else "shorter"
    return f"{plural(diff, 'day')} {side} than nationally ({format_value(national, unit)})"


def headline(
    subject: str,
    area: str,
    period_label: str,
    value: Any,
    unit: Unit,
    previous: Any = None,
    national: Any = None,
    clear: bool = False,
    base: Any = None,
    reason: str | None = None,
) -> str:
    """One sentence about one measure in one area and period.

    Args:
        subject: What is measured, as the start of a sentence ("The charge rate").
        area: The LCJB area.
        period_label: The period, as from :func:`format_period`.
        value: The value (a fraction for rates, days otherwise); missing when hidden.
        unit: ``rate`` or ``days``.
        previous: The value a year earlier, if known.
        national: The national value for the same period, if known.
        clear: Whether the change on ``previous`` is larger than its uncertainty.
        base: The cases the value is computed from (shown as "from N cases").
        reason: Why a missing value is not shown (default: too few cases to report).

    Returns:
        The sentence, ending in a full stop.
    """
    if missing(value):
        return f"{subject} in {area} in {period_label}: {reason or SUPPRESSED}."
    parts = [
        p
        for p in (
            change_phrase(value, previous, unit, clear=clear),
            national_phrase(value, national, unit),
        )
        if p
    ]
    tail = ""
    if len(parts) == 2:
        tail = f", {parts[0]} and {parts[1]}"
    elif parts:
        tail = f", {parts[0]}"
    cases = "" if missing(base) else f" (from {plural(float(base), 'case')})"
    return f"{subject} in {area} was {format_value(value, unit)} in {period_label}{cases}{tail}."


def headlines_from_kpis(kpis: pd.DataFrame) -> list[str]:
    """One headline per row of a KPI frame.

    Args:
        kpis: Columns ``subject``, ``area``, ``period_label``, ``value``, ``unit``,
            ``previous`` and ``national``, and optionally ``clear`` (the change is larger than
            its uncertainty), ``base`` and ``reason`` (why a value is withheld), as from
            :func:`workbench.analysis.views.dashboard.dashboard_kpis`.

    Returns:
        The sentences, in the frame's order.
    """
    return [
        headline(
            r["subject"],
            r["area"],
            r["period_label"],
            r["value"],
            r["unit"],
            r.get("previous"),
            r.get("national"),
            clear=bool(r.get("clear")) if not missing(r.get("clear")) else False,
            base=r.get("base"),
            reason=None if missing(r.get("reason")) or not r.get("reason") else r["reason"],
        )
        for r in kpis.to_dict("records")
    ]
