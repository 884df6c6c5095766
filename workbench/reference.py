"""Domain terms shared across the workbench: LCJB areas, outcome labels and placeholder values.

One place for the terms that the data, the access rules, the measures and the pages must agree
on. The synthetic sample's richer lists (forces, populations, court towns, names) stay in
:mod:`workbench.sample.names`; its area list is this one.
"""

from __future__ import annotations

from datetime import date

LCJB_AREAS: tuple[str, ...] = (
    "Avon and Somerset",
    "Bedfordshire",
    "Cambridgeshire",
    "Cheshire",
    "Cleveland",
    "Cumbria",
    "Derbyshire",
    "Devon and Cornwall",
    "Dorset",
    "Durham",
    "Essex",
    "Gloucestershire",
    "Greater Manchester",
    "Hampshire",
    "Hertfordshire",
    "Humberside",
    "Kent",
    "Lancashire",
    "Leicestershire",
    "Lincolnshire",
    "London",
    "Merseyside",
    "Norfolk",
    "North Yorkshire",
    "Northamptonshire",
    "Northumbria",
    "Nottinghamshire",
    "South Yorkshire",
    "Staffordshire",
    "Suffolk",
    "Surrey",
    "Sussex",
    "Thames Valley",
    "Warwickshire",
    "West Mercia",
    "West Midlands",
    "West Yorkshire",
    "Wiltshire",
    "Dyfed-Powys",
    "Gwent",
    "North Wales",
    "South Wales",
)
"""The 42 local criminal justice board areas of England and Wales (English areas, then Welsh)."""

VICTIM_NOT_SUPPORT = "evidential difficulties — victim does not support action"
"""The police outcome for a crime closed because the victim does not support action."""

PLACEHOLDER_DOBS: tuple[date, ...] = (
    date(1900, 1, 1),
    date(1901, 1, 1),
    date(1970, 1, 1),
    date(1800, 1, 1),
)
"""Dates of birth that systems record when the real one is unknown."""

COMMON_PLACEHOLDER_DOBS: tuple[date, ...] = (date(1900, 1, 1), date(1970, 1, 1))
"""The two placeholder dates of birth seen most often (the synthetic sample writes these)."""


def is_lcjb_area(name: str) -> bool:
    """Whether ``name`` is one of :data:`LCJB_AREAS` (exact spelling)."""
    return name in LCJB_AREAS


def is_placeholder_dob(value: date | str | None) -> bool:
    """Whether a date of birth (a date or an ISO ``YYYY-MM-DD`` string) is a placeholder."""
    if value is None:
        return False
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError:
            return False
    return value in PLACEHOLDER_DOBS
