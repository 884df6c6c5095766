"""How a source writes its values: date formats and the order of full names, read from a sample of
its rows before it is standardised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workbench.data.dates import (
    infer_date_format,
    parse_date_text,
)
from workbench.persons.expressions import TITLES, is_date_type, source_query
from workbench.persons.roles import Role
from workbench.sql import compose


def name_order(values: Sequence[Any]) -> str:
    """Whether full names without a comma put the forename or the surname first.

    Forenames repeat far more than surnames, so the word position with fewer distinct values
    (among names of two or more words) holds the forename. Names written ``SURNAME, Forename``
    are read by their comma whatever this returns.

    Args:
        values: Sample full names.

    Returns:
        ``"forename_first"`` or ``"surname_first"``.
    """
    firsts: list[str] = []
    lasts: list[str] = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v) or "," in str(v):
            continue
        words = [w for w in re.split(r"[^\w'-]+", str(v).upper()) if w and w not in TITLES]
        words = [w for w in words if len(w) > 1]
        if len(words) >= 2:
            firsts.append(words[0])
            lasts.append(words[-1])
    if len(firsts) < 30:
        return "forename_first"
    return "surname_first" if len(set(lasts)) < 0.8 * len(set(firsts)) else "forename_first"


@dataclass
class ValueFormats:
    """What the values of a source say about how to read them.

    Attributes:
        date_formats: The ``strptime`` format of each text date column, by column name.
        name_order: ``forename_first`` or ``surname_first`` for each full-name column without
            a comma (names with a comma are read as ``SURNAME, Forename Middle``).
        min_birth_year: Dates of birth before this year are taken as errors; 1900 unless
            the source holds many earlier ones (historical records).
        notes: What was detected, in plain words.
    """

    date_formats: dict[str, str] = field(default_factory=dict)
    name_order: dict[str, str] = field(default_factory=dict)
    min_birth_year: int = 1900
    notes: list[str] = field(default_factory=list)


_FORMAT_WORDS = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%b": "Mon", "%B": "Month"}


def describe_date_format(fmt: str) -> str:
    """A ``strptime`` format as people write it, such as ``MM/DD/YYYY``."""
    out = fmt
    for code, word in _FORMAT_WORDS.items():
        out = out.replace(code, word)
    return out


def detect_value_formats(
    con: Any,
    source_sql: str,
    columns: Mapping[str, str],
    roles: Mapping[str, Role],
    sample_rows: int = 5000,
) -> ValueFormats:
    """Read a sample of the source to learn its date formats and full-name order.

    Args:
        con: A DuckDB connection (or cursor) that can read ``source_sql``.
        source_sql: A quoted table name or a SELECT without parameters.
        columns: Each source column and its DuckDB type.
        roles: The role of each column.
        sample_rows: Rows read.

    Returns:
        The formats found (see :class:`ValueFormats`).
    """
    out = ValueFormats()
    wanted = [
        c
        for c, r in roles.items()
        if c in columns
        and (
            (r in (Role.DOB, Role.OTHER) and not is_date_type(columns[c]))
            or r is Role.FULL_NAME
            or r is Role.DOB
        )
    ]
    if not wanted:
        return out
    query = compose(
        "SELECT {columns} FROM ({source}) AS src LIMIT ?",
        columns=wanted,
        source=source_query(source_sql),
    )
    rows = con.execute(query, [int(sample_rows)]).fetchall()
    for i, column in enumerate(wanted):
        values = [r[i] for r in rows]
        role = Role(roles[column])
        if role is Role.FULL_NAME:
            order = name_order(values)
            out.name_order[column] = order
            if order == "surname_first":
                out.notes.append(f"{column}: names without a comma read as surname first.")
            continue
        dates: list[date] = []
        if is_date_type(columns[column]):
            dates = [v if isinstance(v, date) else v.date() for v in values if v is not None]
        else:
            fmt = infer_date_format(values)
            if fmt is None:
                continue
            if fmt != "%Y-%m-%d" or role is Role.DOB:
                out.date_formats[column] = fmt
                if fmt != "%Y-%m-%d":
                    out.notes.append(f"{column}: dates read as {describe_date_format(fmt)}.")
            texts = [str(int(v)) if isinstance(v, int | float) and v == v else v for v in values]
            dates = [d for d in (parse_date_text(str(t).strip(), fmt) for t in texts if t) if d]
        if role is Role.DOB and dates:
            early = sum(1 for d in dates if d.year < 1900) / len(dates)
            if early >= 0.05:
                out.min_birth_year = 1000
                out.notes.append(
                    f"{column}: {early:.0%} of dates of birth are before 1900, so they are kept."
                )
    return out
