"""Plain-language headlines: wording for up, down and no change, plurals and suppressed values."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from workbench.analysis import headlines as hl


def test_days_headline_with_change_and_national() -> None:
    text = hl.headline(
        "Median time from charge to completion",
        "Kent",
        "Q3 2026",
        182,
        "days",
        168,
        190,
        clear=True,
        base=412,
    )
    assert text == (
        "Median time from charge to completion in Kent was 182 days in Q3 2026 (from 412 "
        "cases), "
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
    assert hl.change_phrase(current, previous, unit, clear=True) == expected


def test_change_without_clear_evidence_has_no_direction() -> None:
    text = hl.change_phrase(0.075, 0.071, "rate")
    assert text == "no clear change on a year earlier (7.1%)"
    assert hl.change_phrase(101, 100, "days") == "no clear change on a year earlier (100 days)"
    for word in ("up", "down", "rose", "fell", "longer", "shorter"):
        assert word not in text.split()


def test_overlapping_intervals_give_no_clear_change() -> None:
    # Kent: 16 of 19 convicted (84.2%) against 13 of 17 (76.5%): the intervals overlap.
    now = {"low": 0.624, "high": 0.945, "numerator": 16, "base": 19}
    before = {"low": 0.527, "high": 0.904, "numerator": 13, "base": 17}
    clear = hl.clear_change(now, before, "rate")
    assert clear is False
    text = hl.headline("The conviction rate", "Kent", "2024", 16 / 19, "rate", 13 / 17, clear=clear)
    assert "no clear change" in text and " up " not in text


def test_clear_change_needs_separate_intervals_or_a_significant_test() -> None:
    apart = hl.clear_change({"low": 0.30, "high": 0.40}, {"low": 0.10, "high": 0.20}, "days")
    assert apart is True
    touching = hl.clear_change({"low": 100, "high": 150}, {"low": 140, "high": 200}, "days")
    assert touching is False
    # 700/10,000 against 800/10,000: intervals nearly touch but the z-test finds a difference.
    big = hl.clear_change(
        {"low": 0.065, "high": 0.075, "numerator": 700, "base": 10_000},
        {"low": 0.0749, "high": 0.0855, "numerator": 800, "base": 10_000},
        "rate",
    )
    assert big is True
    assert hl.rates_differ(7, 100, 8, 100) is False
    assert hl.clear_change({}, {}, "rate") is False  # unknown uncertainty: never a direction


def test_withheld_value_gives_its_reason() -> None:
    text = hl.headline(
        "The charge rate", "Kent", "2025", None, "rate", reason="withheld: fewer than 30 cases"
    )
    assert text == "The charge rate in Kent in 2025: withheld: fewer than 30 cases."


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
