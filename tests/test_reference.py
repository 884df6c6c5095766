"""The shared domain terms agree with the modules that use them."""

from __future__ import annotations

from datetime import date

from workbench import reference
from workbench.analysis.journeys.matching import POLICE_ONLY_OUTCOMES
from workbench.persons import expressions
from workbench.sample import calibration, names


def test_the_lcjb_areas_are_the_42_boards_and_the_samples_areas() -> None:
    areas = reference.LCJB_AREAS
    assert len(areas) == len(set(areas)) == 42
    assert tuple(a.name for a in names.AREAS) == areas
    assert areas == calibration.AREA_NAMES
    assert reference.is_lcjb_area("North Wales")
    assert not reference.is_lcjb_area("north wales")
    assert not reference.is_lcjb_area("all")


def test_one_victim_does_not_support_label() -> None:
    label = reference.VICTIM_NOT_SUPPORT
    assert label in POLICE_ONLY_OUTCOMES
    assert label == calibration.OUTCOME_VICTIM_NO_SUPPORT
    assert label in calibration.OUTCOME_TYPES


def test_placeholder_dates_of_birth() -> None:
    assert set(reference.COMMON_PLACEHOLDER_DOBS) <= set(reference.PLACEHOLDER_DOBS)
    assert names.PLACEHOLDER_DOBS == ("1900-01-01", "1970-01-01")
    assert set(expressions.PLACEHOLDER_DOBS) == set(reference.PLACEHOLDER_DOBS)
    assert reference.is_placeholder_dob(date(1900, 1, 1))
    assert reference.is_placeholder_dob("1970-01-01")
    assert reference.is_placeholder_dob("1900-01-01 00:00:00")
    assert not reference.is_placeholder_dob(date(1985, 6, 2))
    assert not reference.is_placeholder_dob("not a date")
    assert not reference.is_placeholder_dob(None)
