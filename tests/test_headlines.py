"""Plain-language headlines: wording for up, down and no change, plurals and suppressed values."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from workbench import headlines as hl


def test_days_headline_with_change_and_national() -> None:
    text = hl.headline(
        "Median time from charge to completion", "Kent", "Q3 2026", 182, "days", 168, 190
    )
    assert text == (
        "Median time from charge to completion in Kent was 182 days in Q3 2026, "
        "14 days longer than a year earlier and 8 days shorter than nationally (190 days)."
    )


def test_rate_headline_below_national() -> None:
    text = hl.headline("The charge rate", "Kent", "2025", 0.071, "rate", national=0.074)
    assert text == "The charge rate in Kent was 7.1% in 2025, below the national 7.4%."


@pytest.mark.parametrize(
    ("current", "previous", "unit", "expected"),
    [
        (0.075, 0.071, "rate", "up 0.4 percentage points on a year earlier"),
        (0.061, 0.071, "rate", "down 1 percentage point on a year earlier"),
        (0.0712, 0.0709, "rate", "unchanged from a year earlier"),
        (101, 100, "days", "1 day longer than a year earlier"),
        (98, 100, "days", "2 days shorter than a year earlier"),
        (100.2, 99.9, "days", "the same as a year earlier"),
        (None, 100, "days", ""),
        (100, pd.NA, "days", ""),
    ],
)
def test_change_wording(current, previous, unit, expected) -> None:
    assert hl.change_phrase(current, previous, unit) == expected


def test_national_wording() -> None:
    assert hl.national_phrase(0.08, 0.074, "rate") == "above the national 7.4%"
    assert hl.national_phrase(0.0741, 0.0739, "rate") == "in line with the national 7.4%"
    assert hl.national_phrase(20, 19, "days") == "1 day longer than nationally (19 days)"


def test_suppressed_value_is_never_reported() -> None:
    text = hl.headline("The conviction rate", "Kent", "2025", pd.NA, "rate", 0.8, 0.85)
    assert text == "The conviction rate in Kent in 2025: too few cases to report."
    assert "%" not in text


def test_plural_and_formats() -> None:
    assert hl.plural(1, "day") == "1 day"
    assert hl.plural(1234, "case") == "1,234 cases"
    assert hl.format_value(1, "days") == "1 day"
    assert hl.format_value(0.0712, "rate") == "7.1%"
    assert hl.format_value(None, "rate") == hl.SUPPRESSED


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2025, 1, 1), "year", "2025"),
        (pd.Timestamp("2026-07-01"), "quarter", "Q3 2026"),
        (date(2026, 3, 1), "month", "March 2026"),
        (date(2026, 3, 2), "week", "the week starting 2 March 2026"),
    ],
)
def test_period_names(start, period, expected) -> None:
    assert hl.format_period(start, period) == expected


def test_headlines_from_a_kpi_frame() -> None:
    kpis = pd.DataFrame(
        {
            "subject": ["The charge rate", "Median time from offence to completion"],
            "area": ["Kent", "Kent"],
            "period_label": ["2025", "2025"],
            "value": [0.071, None],
            "unit": ["rate", "days"],
            "previous": [0.071, 300.0],
            "national": [0.074, 310.0],
        }
    )
    assert hl.headlines_from_kpis(kpis) == [
        "The charge rate in Kent was 7.1% in 2025, unchanged from a year earlier and below the "
        "national 7.4%.",
        "Median time from offence to completion in Kent in 2025: too few cases to report.",
    ]
