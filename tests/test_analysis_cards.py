"""KPI cards: the change between the values as displayed, coloured only when clear; bases."""

from __future__ import annotations

import pandas as pd

from workbench.analysis.views.cards import kpi_cards


def _kpi(measure: str, unit: str, value: float, previous: float) -> dict:
    return {
        "measure": measure,
        "label": measure,
        "unit": unit,
        "value": value,
        "previous": previous,
        "change": value - previous,
        "national": value,
        "area": "Kent",
        "period_label": "2025",
        "clear": True,
        "base": 412,
    }


def test_days_change_is_taken_between_rounded_values() -> None:
    # 20.4 shows as 20 and 24.6 as 25: the card must say -5, not the raw -4.2 rounded to -4.
    cards = kpi_cards(pd.DataFrame([_kpi("median_charge_to_first_hearing", "days", 20.4, 24.6)]))
    assert cards[0].value == "20 days"
    assert cards[0].delta == "-5 days"


def test_rate_change_is_taken_between_rounded_percentages() -> None:
    # 7.54% shows as 7.5% and 6.66% as 6.7%: +0.8 points, not the raw +0.88 rounded to +0.9.
    cards = kpi_cards(pd.DataFrame([_kpi("charge_rate", "rate", 0.0754, 0.0666)]))
    assert cards[0].value == "7.5%"
    assert cards[0].delta == "+0.8 pts"


def test_unknown_change_has_no_delta() -> None:
    row = _kpi("charge_rate", "rate", 0.07, 0.06)
    row["change"] = None
    assert kpi_cards(pd.DataFrame([row]))[0].delta is None


def test_unclear_change_is_uncoloured_and_says_so() -> None:
    row = _kpi("conviction_rate", "rate", 16 / 19, 13 / 17)
    row["clear"] = False
    card = kpi_cards(pd.DataFrame([row]))[0]
    assert card.delta == "+7.7 pts, no clear change"
    assert card.delta_color == "off" and card.delta_arrow == "off"


def test_card_shows_its_base_and_court_type() -> None:
    row = _kpi("median_offence_to_completion", "days", 372.5, 360.0)
    row["court_type"] = "Crown"
    card = kpi_cards(pd.DataFrame([row]))[0]
    assert card.base == "2025, from 412 cases"
    assert card.label == "Offence to completion, Crown"


def test_withheld_value_shows_its_reason() -> None:
    row = _kpi("charge_rate", "rate", 0.07, 0.06)
    row.update(value=None, change=None, reason="withheld: fewer than 30 cases", base=19)
    card = kpi_cards(pd.DataFrame([row]))[0]
    assert card.value == "withheld"
    assert card.base == "2025, from 19 cases (withheld: fewer than 30 cases)"
