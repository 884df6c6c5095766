"""Standardise person fields into canonical form for linkage, in DuckDB SQL.

Every cleaning rule is an SQL expression built from a quoted column reference, so a million rows
are cleaned inside DuckDB without a Python loop. Placeholder values (a date of birth of
1900-01-01, the "no fixed abode" postcode NF1 1NF, "NOT ENTERED" and the like) become NULL, so
that linkage treats them as missing rather than as strong evidence of a match.

Statements use numbered parameters: ``$1`` the placeholder text values, ``$2`` the placeholder
dates of birth, ``$3`` the placeholder postcodes (without spaces) — see
:func:`placeholder_params` — and any further parameters after those.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from workbench.data.dates import (
    DATE_FORMATS,
    DAY_FIRST,
    MONTH_FIRST,
    UK_DEFAULT,
    infer_date_format,
    parse_date_text,
)
from workbench.errors import RoleError
from workbench.persons.roles import MULTI_VALUED_ROLES, PERSON_ROLES, Role, load_roles
from workbench.reference import PLACEHOLDER_DOBS
from workbench.sql import qualified, quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)

STD_SCHEMA = "std"


PLACEHOLDER_POSTCODES: tuple[str, ...] = ("NF1 1NF", "ZZ99 3VZ", "ZZ99 3WZ", "ZZ99 9ZZ")
"""Postcodes that stand for no fixed abode or an unknown address. Every ``ZZ99`` code (the
pseudo-postcodes for "no fixed abode" and "address not known") is treated as missing too."""

PLACEHOLDER_TEXT: tuple[str, ...] = (
    "NOT ENTERED",
    "NOT KNOWN",
    "UNKNOWN",
    "N/A",
    "NA",
    "NONE",
    "NULL",
    "-",
    "?",
    "XXX",
    "NFA",
    "N F A",
    "NO FIXED ABODE",
    "NO FIXED ADDRESS",
    "NK",
    "NOT STATED",
    "NOT RECORDED",
    "NOT GIVEN",
    "NOT SPECIFIED",
    "UNK",
    "UNKNOWN ADDRESS",
    "ADDRESS NOT KNOWN",
    "REFUSED",
    "NO NAME",
    "NAME NOT KNOWN",
    "ZZZ",
)
"""Upper-cased text values that mean "missing". Empty or blank strings are missing too."""

UK_POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"
"""A UK postcode, upper case, with or without the space before the inward code."""

PNC_PATTERN = r"^\d{2,4}/\d{1,7}[A-Z]$"
"""A PNC ID as recorded (the canonical form is ``YYYY/NNNNNNNL``)."""

PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
"""Check letter of a PNC ID: this string indexed by int(yy + 7-digit serial) mod 23."""

# Fixed SQL fragments: patterns and formats owned by this module, never user text.
_PNC_PARTS = r"^([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])$"
_FOUR_DIGIT_YEAR_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d")
_TWO_DIGIT_YEAR_FORMATS = ("%d/%m/%y", "%d-%m-%y")
_NAME_PREFIX = r"^(NOT ENTERED|NOT KNOWN|UNKNOWN) +"

_TEXT_TYPES = ("VARCHAR", "CHAR", "TEXT", "STRING", "BPCHAR")
_DATE_TYPES = ("DATE", "TIMESTAMP")

NAME_ROLES: frozenset[Role] = frozenset(
    {Role.FIRST_NAME, Role.MIDDLE_NAMES, Role.SURNAME, Role.FULL_NAME}
)


# --------------------------------------------------------------------------- parameters
def placeholder_params() -> list[Any]:
    """The first three parameters of every statement built with this module's expressions.

    Returns:
        ``[text placeholders, DOB placeholders, postcode placeholders without spaces]``.
    """
    return [
        list(PLACEHOLDER_TEXT),
        list(PLACEHOLDER_DOBS),
        [p.replace(" ", "") for p in PLACEHOLDER_POSTCODES],
    ]


TEXT_PARAM = "$1::VARCHAR[]"
USE_ALL_PARAMS = "len($1::VARCHAR[]) >= 0 AND len($2::DATE[]) >= 0 AND len($3::VARCHAR[]) >= 0"
"""A condition that is always true and mentions every placeholder parameter (DuckDB refuses
parameters that a statement does not use)."""
DOB_PARAM = "$2::DATE[]"
POSTCODE_PARAM = "$3::VARCHAR[]"


# --------------------------------------------------------------------------- type helpers
def is_text_type(dtype: str) -> bool:
    """Whether a DuckDB type name is a string type."""
    return dtype.upper().startswith(_TEXT_TYPES)


def is_date_type(dtype: str) -> bool:
    """Whether a DuckDB type name is a date or timestamp type."""
    return dtype.upper().startswith(_DATE_TYPES)


# --------------------------------------------------------------------------- expressions
def is_placeholder_text_expr(ref: str) -> str:
    """TRUE when the value is blank or a placeholder word such as NOT KNOWN."""
    v = f"CAST({ref} AS VARCHAR)"
    return (
        f"(trim({v}) = '' OR list_contains({TEXT_PARAM}, "
        f"upper(regexp_replace(trim({v}), '\\s+', ' ', 'g'))))"
    )


def let(value: str, var: str, body: str) -> str:
    """Evaluate ``value`` once and use it as ``wb_<var>`` inside ``body`` (an SQL expression).

    The prefix keeps the lambda variable from hiding a source column of the same name (a
    postcode column called ``pc``, a date column called ``d``).
    """
    return f"list_transform([{value}], lambda wb_{var}: {body})[1]"


def _guard_year(expr: str, min_year: int = 1800) -> str:
    return f"CASE WHEN year({expr}) >= {int(min_year)} THEN {expr} END"


_NUMERIC_PREFIXES = ("INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")
_FLOAT_PREFIXES = ("DOUBLE", "FLOAT", "DECIMAL", "REAL")


def _formats_to_try(fmt: str | None) -> list[str]:
    """The formats tried for a column: its own first, then those that cannot contradict it."""
    if fmt is None:
        return [*UK_DEFAULT, *(f for f in DATE_FORMATS if f.endswith("%y") and f in DAY_FIRST)]
    clash = DAY_FIRST if fmt in MONTH_FIRST else MONTH_FIRST
    return [fmt, *(f for f in DATE_FORMATS if f != fmt and f not in clash and f != "%Y-%m-%d")]


def _as_text(ref: str, dtype: str) -> str:
    """The value as trimmed text; whole numbers (19850304 read as a number) without decimals."""
    t = dtype.upper()
    if t.startswith(_NUMERIC_PREFIXES) or t.startswith(_FLOAT_PREFIXES):
        return f"CAST(TRY_CAST({ref} AS BIGINT) AS VARCHAR)"
    return f"trim(regexp_replace(CAST({ref} AS VARCHAR), '[,\\s]+', ' ', 'g'))"


def parse_date_expr(ref: str, dtype: str, fmt: str | None = None, min_year: int = 1800) -> str:
    """An expression parsing a column to DATE, in the format the column was recorded in.

    Dates and timestamps are cast. Text (and whole numbers such as ``19850304``) is tried in
    the column's own format when it is known (see :func:`infer_date_format`), then in the
    formats that cannot contradict it: a column found to be month-first (US, ``03/25/1985``) is
    never read day-first, and the reverse. Without a known format, ISO (``1985-03-04``, with or
    without a time), ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY``, ``YYYYMMDD``,
    ``YYYY/MM/DD``, ``4 Mar 1985`` and two-digit years ``D/M/YY`` are tried (a two-digit year
    that would fall in the future is taken as the previous century). Unparseable values give
    NULL.

    Args:
        ref: The quoted column reference or expression.
        dtype: Its DuckDB type.
        fmt: The column's own ``strptime`` format, when known.
        min_year: Dates before this year are taken as unparseable.
    """
    if is_date_type(dtype):
        return f"CAST({ref} AS DATE)"
    s = _as_text(ref, dtype)
    tries = [_guard_year(f"TRY_CAST({s} AS DATE)", min_year)]
    for f in _formats_to_try(fmt):
        d = f"CAST(try_strptime({s}, '{f}') AS DATE)"
        if f.endswith("%y"):
            tries.append(
                f"CASE WHEN {d} > current_date THEN CAST({d} - INTERVAL 100 YEAR AS DATE) "
                f"ELSE {d} END"
            )
        else:
            tries.append(_guard_year(d, min_year))
    # A CASE rather than coalesce(): DuckDB then tries a later format only on the rows every
    # earlier one failed to read (twenty-five times quicker on a million dates of one format).
    return "CASE " + " ".join(f"WHEN ({t}) IS NOT NULL THEN ({t})" for t in tries) + " END"


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
        words = [w for w in re.split(r"[^\w'-]+", str(v).upper()) if w and w not in _TITLES]
        words = [w for w in words if len(w) > 1]
        if len(words) >= 2:
            firsts.append(words[0])
            lasts.append(words[-1])
    if len(firsts) < 30:
        return "forename_first"
    return "surname_first" if len(set(lasts)) < 0.8 * len(set(firsts)) else "forename_first"


_TITLES = frozenset(
    {"MR", "MRS", "MS", "MISS", "MX", "DR", "SIR", "DAME", "LORD", "LADY", "REV", "REVD", "PROF"}
)
_TITLE_PATTERN = r"^((MR|MRS|MS|MISS|MX|DR|SIR|DAME|LORD|LADY|REV|REVD|PROF)\.? +)+"


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
    source = source_sql.strip()
    if not source.upper().startswith(("SELECT", "WITH", "FROM", "(")):
        source = "SELECT * FROM " + source  # noqa: S608 - a quoted table name
    select = ", ".join(quote_ident(c) for c in wanted)
    rows = con.execute(
        f"SELECT {select} FROM ({source}) AS src LIMIT {int(sample_rows)}"  # noqa: S608
    ).fetchall()
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


def dob_expr(ref: str, dtype: str, fmt: str | None = None, min_year: int = 1900) -> str:
    """Date of birth as DATE: placeholders, dates before ``min_year`` and future dates are NULL.

    Args:
        ref: The quoted column reference or expression.
        dtype: Its DuckDB type.
        fmt: The column's own date format, when known (:func:`infer_date_format`).
        min_year: Earlier dates are taken as errors (1900 for current records).
    """
    d = parse_date_expr(ref, dtype, fmt, min_year=min(min_year, 1800))
    return let(
        d,
        "d",
        f"CASE WHEN list_contains({DOB_PARAM}, wb_d) OR year(wb_d) < {int(min_year)} "
        "OR wb_d > current_date THEN NULL ELSE wb_d END",
    )


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def month_expr(ref: str) -> str:
    """A month as 1-12 from a number or a month name (``3``, ``03``, ``Mar``, ``March``)."""
    v = f"upper(trim(CAST({ref} AS VARCHAR)))"
    names = " ".join(f"WHEN left({v}, 3) = '{m}' THEN {i}" for i, m in enumerate(_MONTHS, 1))
    return f"CASE {names} ELSE {int_range_expr(ref, 1, '12')} END"


def name_expr(ref: str, join_mac: bool = True) -> str:
    """A name in canonical form for comparison.

    Upper case; placeholders and a leading "NOT ENTERED" become NULL or are removed; punctuation
    other than hyphens and apostrophes becomes a space; whitespace is collapsed; spaces around
    hyphens are removed; and "MC DONALD" / "MAC LEOD" become "MCDONALD" / "MACLEOD".

    Args:
        ref: The quoted column reference or expression.
        join_mac: Also join "MAC" to the next word (off for first names, where Mac is a name).
    """
    v = f"upper(CAST({ref} AS VARCHAR))"
    v = f"regexp_replace({v}, '[‘’`´]', '''', 'g')"
    v = f"regexp_replace({v}, '{_NAME_PREFIX}', '')"
    v = f"regexp_replace({v}, '[^\\p{{L}}\\p{{N}}''\\- ]', ' ', 'g')"
    v = f"regexp_replace({v}, '\\s+', ' ', 'g')"
    v = f"regexp_replace({v}, ' ?- ?', '-', 'g')"
    prefix = "MC|MAC" if join_mac else "MC"
    v = f"regexp_replace(trim({v}), '(^|[ -])({prefix}) ([A-Z])', '\\1\\2\\3', 'g')"
    return let(
        v,
        "nm",
        f"CASE WHEN {is_placeholder_text_expr(ref)} OR list_contains({TEXT_PARAM}, wb_nm) "
        "THEN NULL ELSE nullif(wb_nm, '') END",
    )


_POSTCODE_IN_TEXT = r"(^|[^A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})([^A-Z0-9]|$)"


def address_line_expr(ref: str) -> str:
    """An address line cleaned as text, with any postcode inside it taken out."""
    v = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '{_POSTCODE_IN_TEXT}', '\\1 \\3', 'g')"
    v = f"trim(regexp_replace(regexp_replace({v}, '\\s+', ' ', 'g'), '^[ ,]+|[ ,]+$', '', 'g'))"
    return f"CASE WHEN {is_placeholder_text_expr(ref)} THEN NULL ELSE nullif({v}, '') END"


def clean_text_expr(ref: str) -> str:
    """Upper case, trimmed, whitespace collapsed; placeholders and blanks become NULL."""
    v = f"upper(regexp_replace(trim(CAST({ref} AS VARCHAR)), '\\s+', ' ', 'g'))"
    return f"CASE WHEN {is_placeholder_text_expr(ref)} THEN NULL ELSE nullif({v}, '') END"


def identifier_expr(ref: str, keep: str = "A-Z0-9/") -> str:
    """An identifier: upper case, characters outside ``keep`` removed; placeholders become NULL."""
    v = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '[^{keep}]', '', 'g')"
    return f"CASE WHEN {is_placeholder_text_expr(ref)} THEN NULL ELSE nullif({v}, '') END"


def postcode_expr(ref: str) -> str:
    """A postcode as ``AB1 2CD``: upper case, one space before the last three characters.

    Placeholder postcodes (NF1 1NF, ZZ99 3VZ, ZZ99 3WZ) and placeholder text become NULL.
    """
    p = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '[^A-Z0-9]', '', 'g')"
    return let(
        p,
        "pc",
        f"CASE WHEN wb_pc = '' OR {is_placeholder_text_expr(ref)} "
        f"OR list_contains({POSTCODE_PARAM}, wb_pc) OR starts_with(wb_pc, 'ZZ99') THEN NULL "
        "WHEN length(wb_pc) BETWEEN 5 AND 7 "
        "THEN left(wb_pc, length(wb_pc) - 3) || ' ' || right(wb_pc, 3) "
        "ELSE wb_pc END",
    )


def pnc_expr(ref: str) -> str:
    """A PNC ID in canonical form ``YYYY/NNNNNNNL``.

    A two-digit year becomes 20yy when not after the current year, else 19yy; the serial is
    zero-padded to seven digits. Values that do not look like a PNC ID are kept upper-cased
    without spaces; placeholders become NULL.
    """
    s = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '\\s', '', 'g')"
    year = (
        "CASE WHEN length(wb_m.y) = 4 THEN wb_m.y "
        "WHEN CAST(wb_m.y AS INTEGER) <= year(current_date) % 100 THEN '20' || wb_m.y "
        "ELSE '19' || wb_m.y END"
    )
    body = (
        f"CASE WHEN wb_pn = '' OR {is_placeholder_text_expr(ref)} THEN NULL "
        f"WHEN wb_m.y <> '' THEN ({year}) || '/' || lpad(wb_m.n, 7, '0') || wb_m.l ELSE wb_pn END"
    )
    return let(s, "pn", let(f"regexp_extract(wb_pn, '{_PNC_PARTS}', ['y', 'n', 'l'])", "m", body))


def pnc_check_ok_expr(ref: str) -> str:
    """TRUE when a PNC-shaped value has the right check letter, FALSE when wrong, else NULL."""
    s = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '\\s', '', 'g')"
    parts = f"regexp_extract({s}, '{_PNC_PARTS}', ['y', 'n', 'l'])"
    return let(
        parts,
        "m",
        "CASE WHEN wb_m.y = '' THEN NULL ELSE "
        f"substr('{PNC_CHECK_LETTERS}', "
        "CAST(CAST(right(wb_m.y, 2) || lpad(wb_m.n, 7, '0') AS BIGINT) % 23 AS INTEGER) + 1, 1) "
        "= wb_m.l "
        "END",
    )


def sex_expr(ref: str) -> str:
    """Sex as 'M', 'F' or NULL (accepts M/F, Male/Female, and the codes 1/2)."""
    v = f"upper(trim(CAST({ref} AS VARCHAR)))"
    return (
        f"CASE WHEN {v} IN ('M', 'MALE', '1', 'MAN', 'BOY') THEN 'M' "
        f"WHEN {v} IN ('F', 'FEMALE', '2', 'WOMAN', 'GIRL') THEN 'F' END"
    )


def int_range_expr(ref: str, low: int, high_sql: str) -> str:
    """The value as INTEGER when within ``low`` and the SQL expression ``high_sql``, else NULL."""
    v = f"TRY_CAST(trim(CAST({ref} AS VARCHAR)) AS INTEGER)"
    return f"CASE WHEN {v} BETWEEN {int(low)} AND {high_sql} THEN {v} END"


# --------------------------------------------------------------------------- the statement
def clean_column_name(name: str) -> str:
    """A lower-case snake_case form of a column name, for ``other_<name>`` output columns."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug or "column"


def _check_roles(columns: Mapping[str, str], roles: Mapping[str, Role]) -> dict[str, Role]:
    checked: dict[str, Role] = {}
    seen: dict[Role, str] = {}
    for column, raw in roles.items():
        if column not in columns:
            raise RoleError(
                f"Column {column!r} has a role but is not in the data.",
                hint="Map only columns the dataset has.",
            )
        try:
            role = Role(raw)
        except ValueError as exc:
            raise RoleError(f"{raw!r} is not a known role (column {column!r}).") from exc
        if role not in MULTI_VALUED_ROLES:
            if role in seen:
                raise RoleError(
                    f"Columns {seen[role]!r} and {column!r} both have the role {role.value!r}, "
                    "which can be given to only one column."
                )
            seen[role] = column
        checked[column] = role
    return checked


def standardise_sql(
    source_sql: str,
    columns: Mapping[str, str],
    roles: Mapping[str, Role],
    source_dataset: str,
    unique_id_column: str | None = None,
    formats: ValueFormats | None = None,
) -> tuple[str, list[Any]]:
    """Build the SELECT that standardises a source into canonical person columns.

    Args:
        source_sql: A SELECT (without parameters) or a quoted table name giving the source rows.
        columns: Each source column name and its DuckDB type.
        roles: The role of each column that takes part; others are left out.
        source_dataset: The name recorded in the ``source_dataset`` output column.
        unique_id_column: The column giving ``unique_id`` when no column has the record id role;
            without either, the row number is used.
        formats: Date formats and full-name order found in the values
            (:func:`detect_value_formats`); without them UK date formats are tried and full
            names without a comma are read forename first.

    Returns:
        The SQL and its parameters. Output columns: ``source_dataset``, ``unique_id``, then one
        canonical column per role present (``first_name``, ``middle_names``, ``surname``,
        ``full_name``, ``dob``, ``birth_year``, ``birth_month``, ``birth_day``, ``sex``,
        ``postcode``, ``address``, ``town``, ``pnc_id``, ``cro_number``, ``urn``), then
        ``other_id_<column>`` and ``other_<column>`` for other identifiers and attributes.

    Raises:
        RoleError: For a column not in ``columns``, an unknown role, or a single-valued role
            given to two columns.
    """
    checked = _check_roles(columns, roles)
    by_role: dict[Role, list[str]] = {}
    for column, role in checked.items():
        by_role.setdefault(role, []).append(column)

    def one(role: Role) -> str | None:
        cols = by_role.get(role)
        return quote_ident(cols[0]) if cols else None

    def dtype(role: Role) -> str:
        return columns[by_role[role][0]]

    select: list[tuple[str, str]] = [("source_dataset", "CAST($4 AS VARCHAR)")]
    id_col = by_role.get(Role.RECORD_ID, [unique_id_column] if unique_id_column else [None])[0]
    if id_col is not None:
        if id_col not in columns:
            raise RoleError(f"The unique id column {id_col!r} is not in the data.")
        select.append(("unique_id", f"CAST({quote_ident(id_col)} AS VARCHAR)"))
    else:
        select.append(("unique_id", "CAST(row_number() OVER () AS VARCHAR)"))

    formats = formats or ValueFormats()
    full_col = (by_role.get(Role.FULL_NAME) or [None])[0]
    parts = (
        _full_name_parts(quote_ident(full_col), formats.name_order.get(full_col, ""))
        if full_col
        else None
    )
    own_first = one(Role.FIRST_NAME)
    for role, join_mac in (
        (Role.FIRST_NAME, False),
        (Role.MIDDLE_NAMES, True),
        (Role.SURNAME, True),
    ):
        ref = one(role)
        if len(by_role.get(role, [])) > 1:
            # A name written over several columns (surname_1, surname_2): its parts joined.
            cols = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in by_role[role])
            select.append((role.value, name_expr(f"concat_ws(' ', {cols})", join_mac=join_mac)))
        elif ref:
            select.append((role.value, name_expr(ref, join_mac=join_mac)))
        elif parts and (role is not Role.MIDDLE_NAMES or not own_first):
            # Middle names come from the full name only when the forename does: beside a
            # forename column of its own they would be whatever the full name adds (titles,
            # ranks, places), not middle names.
            select.append((role.value, _derived_name(role, parts)))
    if parts:
        select.append(
            (Role.FULL_NAME.value, name_expr(f"concat_ws(' ', ({parts}).g, ({parts}).s)"))
        )

    dob_sql = _dob_sql(by_role, columns, formats)
    if dob_sql:
        select.append((Role.DOB.value, dob_sql))
    for role, low, high, part in (
        (Role.BIRTH_YEAR, min(formats.min_birth_year, 1900), "year(current_date)", "year"),
        (Role.BIRTH_MONTH, 1, "12", "month"),
        (Role.BIRTH_DAY, 1, "31", "day"),
    ):
        ref = one(role)
        if ref:
            value = month_expr(ref) if role is Role.BIRTH_MONTH else int_range_expr(ref, low, high)
            select.append((role.value, value))
        elif dob_sql and role is Role.BIRTH_YEAR:
            select.append((role.value, f"CAST({part}({dob_sql}) AS INTEGER)"))
    if ref := one(Role.SEX):
        select.append((Role.SEX.value, sex_expr(ref)))
    address_cols = [quote_ident(c) for c in by_role.get(Role.ADDRESS, [])]
    if ref := one(Role.POSTCODE):
        select.append((Role.POSTCODE.value, postcode_expr(ref)))
    elif address_cols:
        # A postcode written inside an address line is the postcode.
        joined = f"upper(concat_ws(' ', {', '.join(address_cols)}))"
        select.append(
            (
                Role.POSTCODE.value,
                postcode_expr(f"nullif(regexp_extract({joined}, '{_POSTCODE_IN_TEXT}', 2), '')"),
            )
        )
    if address_cols:
        lines = ", ".join(address_line_expr(c) for c in address_cols)
        select.append((Role.ADDRESS.value, f"nullif(concat_ws(', ', {lines}), '')"))
    if ref := one(Role.TOWN):
        select.append((Role.TOWN.value, clean_text_expr(ref)))
    if ref := one(Role.PNC_ID):
        select.append((Role.PNC_ID.value, pnc_expr(ref)))
    if ref := one(Role.CRO_NUMBER):
        select.append((Role.CRO_NUMBER.value, identifier_expr(ref)))
    if ref := one(Role.URN):
        select.append((Role.URN.value, identifier_expr(ref, keep="A-Z0-9")))

    taken = {name for name, _ in select}
    for role, prefix in ((Role.OTHER_ID, "other_id_"), (Role.OTHER, "other_")):
        for column in by_role.get(role, []):
            out = prefix + clean_column_name(column)
            base, n = out, 2
            while out in taken:
                out, n = f"{base}_{n}", n + 1
            taken.add(out)
            ref = quote_ident(column)
            if role is Role.OTHER_ID:
                expr = identifier_expr(ref, keep="A-Z0-9@./+_\\-")
            elif is_text_type(columns[column]):
                expr = f"CASE WHEN {is_placeholder_text_expr(ref)} THEN NULL ELSE trim({ref}) END"
            else:
                expr = ref
            select.append((out, expr))

    body = ",\n  ".join(f"{expr} AS {quote_ident(name)}" for name, expr in select)
    source = source_sql.strip()
    if not source.upper().startswith(("SELECT", "WITH", "FROM", "(")):
        source = "SELECT * FROM " + source  # noqa: S608 - a quoted table name
    sql = "SELECT\n  " + body + "\nFROM (" + source + ") AS src\nWHERE " + USE_ALL_PARAMS
    return sql, [*placeholder_params(), source_dataset]


def _derived_name(role: Role, parts: str) -> str:
    """First name, middle names or surname taken from a full name's parts."""
    given = f"({parts}).g"
    if role is Role.FIRST_NAME:
        return name_expr(f"nullif(split_part({given}, ' ', 1), '')", join_mac=False)
    if role is Role.SURNAME:
        return name_expr(f"({parts}).s")
    return name_expr(f"nullif(trim(substr({given}, strpos({given} || ' ', ' ') + 1)), '')")


def _full_name_parts(ref: str, order: str) -> str:
    """A struct ``{g: given names, s: surname}`` from a full name.

    Titles (Mr, Mrs, Dr ...) are dropped and "Mc Donald" joined. A name with a comma is
    ``SURNAME, Forename Middle``; otherwise the surname is the last word (or the first, for
    ``order == "surname_first"``). A single word is taken as the surname.
    """
    v = f"upper(CAST({ref} AS VARCHAR))"
    v = f"regexp_replace({v}, '[‘’`´]', '''', 'g')"
    v = f"regexp_replace({v}, '{_NAME_PREFIX}', '')"
    v = f"regexp_replace({v}, '[^\\p{{L}}\\p{{N}}''\\-, ]', ' ', 'g')"
    v = f"trim(regexp_replace({v}, '\\s+', ' ', 'g'))"
    v = f"regexp_replace({v}, '{_TITLE_PATTERN}', '')"
    v = f"regexp_replace({v}, '([ -])(MC|MAC) ([A-Z])', '\\1\\2\\3', 'g')"
    if order == "surname_first":
        plain = (
            "CASE WHEN contains(wb_fn, ' ') THEN {'g': substr(wb_fn, strpos(wb_fn, ' ') + 1), "
            "'s': split_part(wb_fn, ' ', 1)} ELSE {'g': NULL, 's': wb_fn} END"
        )
    else:
        plain = (
            "CASE WHEN contains(wb_fn, ' ') THEN {'g': regexp_replace(wb_fn, ' [^ ]+$', ''), "
            "'s': regexp_extract(wb_fn, '([^ ]+)$', 1)} ELSE {'g': NULL, 's': wb_fn} END"
        )
    body = (
        "CASE WHEN contains(wb_fn, ',') THEN "
        "{'g': trim(replace(substr(wb_fn, strpos(wb_fn, ',') + 1), ',', ' ')), "
        "'s': trim(split_part(wb_fn, ',', 1))} "
        f"ELSE {plain} END"
    )
    return let(v, "fn", body)


def _dob_sql(
    by_role: Mapping[Role, list[str]], columns: Mapping[str, str], formats: ValueFormats
) -> str | None:
    """Date of birth from its own column, or assembled from year, month and day columns."""
    if Role.DOB in by_role:
        column = by_role[Role.DOB][0]
        return dob_expr(
            quote_ident(column),
            columns[column],
            formats.date_formats.get(column),
            formats.min_birth_year,
        )
    if all(r in by_role for r in (Role.BIRTH_YEAR, Role.BIRTH_MONTH, Role.BIRTH_DAY)):
        y = int_range_expr(quote_ident(by_role[Role.BIRTH_YEAR][0]), 1000, "year(current_date)")
        m = month_expr(quote_ident(by_role[Role.BIRTH_MONTH][0]))
        d = int_range_expr(quote_ident(by_role[Role.BIRTH_DAY][0]), 1, "31")
        made = f"try(make_date(CAST({y} AS BIGINT), CAST({m} AS BIGINT), CAST({d} AS BIGINT)))"
        return dob_expr(made, "DATE", min_year=formats.min_birth_year)
    return None


# --------------------------------------------------------------------------- workspace API
def _usable_roles(ws: Workspace, name: str, roles: Mapping[str, Role] | None) -> dict[str, Role]:
    if roles is None:
        roles = load_roles(ws, name)
    checked = {c: Role(r) for c, r in roles.items()}
    if not any(r in PERSON_ROLES for r in checked.values()):
        raise RoleError(
            f"Dataset {name!r} has no column mapped to a person role.",
            hint="Map at least one column to a name, date of birth, postcode or identifier role.",
        )
    return checked


def standardise_dataset(
    ws: Workspace, name: str, roles: Mapping[str, Role] | None = None
) -> pd.DataFrame:
    """Standardise a dataset and return the result as a DataFrame.

    Args:
        ws: The workspace.
        name: The dataset.
        roles: Column roles; the stored roles when None.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
        RoleError: When no column has a usable person role, or the roles are invalid.
    """
    columns = ws.dataset_columns(name)
    checked = _usable_roles(ws, name, roles)
    source = qualified(DATA_SCHEMA, name)
    with ws.cursor() as cur:
        formats = detect_value_formats(cur, source, columns, checked)
    sql, params = standardise_sql(source, columns, checked, name, formats=formats)
    return ws.query_df(sql, params)


def create_standardised_table(
    ws: Workspace, name: str, target: str, roles: Mapping[str, Role] | None = None
) -> int:
    """Write the standardised form of a dataset to ``std.<target>``, replacing any earlier one.

    Args:
        ws: The workspace.
        name: The source dataset.
        target: The table name in the ``std`` schema.
        roles: Column roles; the stored roles when None.

    Returns:
        The number of rows written.
    """
    columns = ws.dataset_columns(name)
    checked = _usable_roles(ws, name, roles)
    source = qualified(DATA_SCHEMA, name)
    with ws.cursor() as cur:
        formats = detect_value_formats(cur, source, columns, checked)
    sql, params = standardise_sql(source, columns, checked, name, formats=formats)
    table = qualified(STD_SCHEMA, target)
    with ws.transaction() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(STD_SCHEMA)}")
        cur.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}", params)
        count = int(cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: S608
        ws.audit(
            "dataset.standardise",
            target=name,
            detail={"table": f"{STD_SCHEMA}.{target}", "rows": count},
            cur=cur,
        )
    log.info("standardised %s into %s.%s (%d rows)", name, STD_SCHEMA, target, count)
    return count
