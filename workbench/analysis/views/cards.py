"""The dashboard's KPIs as metric cards, and its series as a readable table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.analysis.headlines import plural
from workbench.analysis.views.scope import court_title
from workbench.analysis.views.view import HIDDEN, MEASURES

# Whether a rise is good (normal: green up) or bad (inverse: red up) for each measure.
GOOD_WHEN_UP: dict[str, bool] = {
    "charge_rate": True,
    "victim_not_support_share": False,
    "conviction_rate": True,
}


# Short names that fit a metric card; the full definition is in the card's help.
CARD_LABELS: dict[str, str] = {
    "charge_rate": "Charge rate",
    "victim_not_support_share": "Victim not supporting",
    "conviction_rate": "Conviction rate",
    "median_offence_to_charge": "Offence to charge",
    "median_charge_to_first_hearing": "Charge to hearing",
    "median_first_hearing_to_completion": "Hearing to completion",
    "median_offence_to_completion": "Offence to completion",
}


@dataclass(frozen=True)
class KpiCard:
    """What one ``st.metric`` shows: label, value, delta (None when unknown) and notes.

    Attributes:
        label: The card's short name (with the court type for timeliness).
        value: The value as shown, or why it is not shown.
        delta: The change on a year earlier, with "no clear change" when it is within its
            uncertainty.
        delta_color: ``normal``, ``inverse`` or ``off`` (no colour when the change is unclear).
        delta_arrow: ``auto``, or ``off`` when the change is unclear (no arrow implies one).
        national: The national value.
        help: The full definition, period, interval and base.
        base: "from N cases" (or why there is no base).
        context: The area's rank among all areas and the rolling 12 months, when known.
        court_type: ``all``, ``magistrates`` or ``Crown``.
    """

    label: str
    value: str
    delta: str | None
    delta_color: str
    national: str
    help: str
    base: str = ""
    context: str = ""
    court_type: str = "all"
    delta_arrow: str = "auto"


def _fmt(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return HIDDEN
    return f"{float(value) * 100:.1f}%" if unit == "rate" else f"{float(value):.0f} days"


def _cases(base: Any) -> str:
    if base is None or pd.isna(base):
        return "base suppressed"
    return f"from {plural(float(base), 'case')}"


def _interval(low: Any, high: Any, unit: str) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f" (95% interval {_fmt(low, unit)} to {_fmt(high, unit)})"


def kpi_cards(kpis: pd.DataFrame) -> list[KpiCard]:
    """One card per KPI row: the value and its base, the change on a year earlier (uncoloured
    and marked "no clear change" unless larger than its uncertainty), the national value, the
    area's rank and the rolling 12 months."""
    cards = []
    for r in kpis.to_dict("records"):
        unit = r["unit"]
        change = r["change"]
        value, previous = r["value"], r["previous"]
        clear = bool(r.get("clear", False))
        if change is None or pd.isna(change):
            delta = None
        elif unit == "rate":
            # The change between the values as shown, so the card agrees with the headline.
            shown = round(float(value) * 100, 1) - round(float(previous) * 100, 1)
            delta = f"{shown:+.1f} pts"
        else:
            delta = f"{round(float(value)) - round(float(previous)):+.0f} days"
        if delta is not None and not clear:
            delta = f"{delta}, no clear change"
        good_up = GOOD_WHEN_UP.get(r["measure"], False)
        reason = r.get("reason") or ""
        court = r.get("court_type", "all") or "all"
        label = CARD_LABELS.get(r["measure"], r["label"])
        context = [r.get("rank") or ""]
        if r.get("rolling_base") is not None and not pd.isna(r.get("rolling_base")):
            rolling = (
                _fmt(r["rolling"], unit)
                if not pd.isna(r.get("rolling"))
                else (r.get("rolling_reason") or HIDDEN)
            )
            context.append(f"rolling 12 months: {rolling} ({_cases(r['rolling_base'])})")
        cards.append(
            KpiCard(
                label=label if court == "all" else f"{label}, {court}",
                value=_fmt(value, unit)
                if not pd.isna(value)
                else ("withheld" if reason else "too few cases"),
                delta=delta,
                delta_color=("normal" if good_up else "inverse") if clear else "off",
                national=f"National: {_fmt(r['national'], unit)}"
                if not r.get("national_reason") or not pd.isna(r["national"])
                else "National: withheld",
                help=(
                    f"{r['label']} in {r['area']}, {r['period_label']}"
                    f"{_interval(r.get('low'), r.get('high'), unit)}, {_cases(r.get('base'))}. "
                    f"A year earlier: {_fmt(r['previous'], unit)}. "
                    f"National: {_fmt(r['national'], unit)}."
                ),
                base=f"{r['period_label']}, {_cases(r.get('base'))}"
                + (f" ({reason})" if reason and pd.isna(value) else ""),
                context="; ".join(c for c in context if c),
                court_type=court,
                delta_arrow="auto" if clear else "off",
            )
        )
    return cards


def card_groups(cards: Sequence[KpiCard]) -> list[tuple[str, list[KpiCard]]]:
    """Cards in rows: the attrition rates, then timeliness for each court type apart."""
    titles = {"all": "Attrition (by period of offence)"}
    groups: dict[str, list[KpiCard]] = {}
    for card in cards:
        groups.setdefault(card.court_type, []).append(card)
    return [
        (titles.get(court, f"Timeliness: {court_title(court)}"), items)
        for court, items in groups.items()
    ]


def previous_label(period_label: str, period: str) -> str:
    """The name of the same period a year earlier: ``"2024"`` for 2025, ``"Q3 2025"``."""
    head, _, year = period_label.rpartition(" ")
    if period in ("year", "quarter") and year.isdigit():
        return f"{head} {int(year) - 1}".strip()
    return "a year earlier"


def series_table(series: pd.DataFrame) -> pd.DataFrame:
    """The dashboard's series as a readable table: one row per measure, series and period,
    with the 95% interval, the base, whether the period is provisional and any withholding."""
    rows = []
    for r in series.sort_values(["label", "series", "period"]).to_dict("records"):
        unit = MEASURES[r["measure"]][1]
        rows.append(
            {
                "Measure": r["label"],
                "Series": r["series"],
                "Period": pd.Timestamp(r["period"]).date(),
                "Value": r.get("reason") or _fmt(r["value"], unit),
                "95% low": "" if pd.isna(r.get("low")) else _fmt(r["low"], unit),
                "95% high": "" if pd.isna(r.get("high")) else _fmt(r["high"], unit),
                "Cases": HIDDEN if pd.isna(r["base"]) else int(r["base"]),
                "Status": r.get("status", "complete"),
            }
        )
    return pd.DataFrame(rows)
