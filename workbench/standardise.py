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
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from workbench.errors import RoleError
from workbench.roles import MULTI_VALUED_ROLES, PERSON_ROLES, Role, load_roles
from workbench.sql import qualified, quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)

STD_SCHEMA = "std"

PLACEHOLDER_DOBS: tuple[date, ...] = (
    date(1900, 1, 1),
    date(1901, 1, 1),
    date(1970, 1, 1),
    date(1800, 1, 1),
)
"""Dates of birth that systems record when the real one is unknown."""

PLACEHOLDER_POSTCODES: tuple[str, ...] = ("NF1 1NF", "ZZ99 3VZ", "ZZ99 3WZ")
"""Postcodes that stand for no fixed abode or an unknown address."""

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
    """Evaluate ``value`` once and use it as ``var`` inside ``body`` (an SQL expression)."""
    return f"list_transform([{value}], lambda {var}: {body})[1]"


def _guard_year(expr: str) -> str:
    return f"CASE WHEN year({expr}) >= 1800 THEN {expr} END"


def parse_date_expr(ref: str, dtype: str) -> str:
    """An expression parsing a column to DATE, whatever the usual UK format it was recorded in.

    Dates and timestamps are cast. Strings are tried as ISO (``1985-03-04``, with or without a
    time), ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY``, ``YYYYMMDD``, ``YYYY/MM/DD`` and
    two-digit years ``D/M/YY`` (a year that would fall in the future is taken as the previous
    century). Unparseable values give NULL.

    Args:
        ref: The quoted column reference or expression.
        dtype: Its DuckDB type.
    """
    if is_date_type(dtype):
        return f"CAST({ref} AS DATE)"
    s = f"trim(CAST({ref} AS VARCHAR))"
    tries = [_guard_year(f"TRY_CAST({s} AS DATE)")]
    tries += [
        _guard_year(f"CAST(try_strptime({s}, '{fmt}') AS DATE)") for fmt in _FOUR_DIGIT_YEAR_FORMATS
    ]
    for fmt in _TWO_DIGIT_YEAR_FORMATS:
        d = f"CAST(try_strptime({s}, '{fmt}') AS DATE)"
        tries.append(
            f"CASE WHEN {d} > current_date THEN CAST({d} - INTERVAL 100 YEAR AS DATE) ELSE {d} END"
        )
    return "coalesce(" + ", ".join(tries) + ")"


def dob_expr(ref: str, dtype: str) -> str:
    """Date of birth as DATE: placeholders, dates before 1900 and future dates become NULL."""
    d = parse_date_expr(ref, dtype)
    return let(
        d,
        "d",
        f"CASE WHEN list_contains({DOB_PARAM}, d) OR d < DATE '1900-01-01' "
        "OR d > current_date THEN NULL ELSE d END",
    )


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
        f"CASE WHEN {is_placeholder_text_expr(ref)} OR list_contains({TEXT_PARAM}, nm) "
        "THEN NULL ELSE nullif(nm, '') END",
    )


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
        f"CASE WHEN pc = '' OR {is_placeholder_text_expr(ref)} "
        f"OR list_contains({POSTCODE_PARAM}, pc) THEN NULL "
        "WHEN length(pc) BETWEEN 5 AND 7 THEN left(pc, length(pc) - 3) || ' ' || right(pc, 3) "
        "ELSE pc END",
    )


def pnc_expr(ref: str) -> str:
    """A PNC ID in canonical form ``YYYY/NNNNNNNL``.

    A two-digit year becomes 20yy when not after the current year, else 19yy; the serial is
    zero-padded to seven digits. Values that do not look like a PNC ID are kept upper-cased
    without spaces; placeholders become NULL.
    """
    s = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '\\s', '', 'g')"
    year = (
        "CASE WHEN length(m.y) = 4 THEN m.y "
        "WHEN CAST(m.y AS INTEGER) <= year(current_date) % 100 THEN '20' || m.y "
        "ELSE '19' || m.y END"
    )
    body = (
        f"CASE WHEN pn = '' OR {is_placeholder_text_expr(ref)} THEN NULL "
        f"WHEN m.y <> '' THEN ({year}) || '/' || lpad(m.n, 7, '0') || m.l ELSE pn END"
    )
    return let(s, "pn", let(f"regexp_extract(pn, '{_PNC_PARTS}', ['y', 'n', 'l'])", "m", body))


def pnc_check_ok_expr(ref: str) -> str:
    """TRUE when a PNC-shaped value has the right check letter, FALSE when wrong, else NULL."""
    s = f"regexp_replace(upper(CAST({ref} AS VARCHAR)), '\\s', '', 'g')"
    parts = f"regexp_extract({s}, '{_PNC_PARTS}', ['y', 'n', 'l'])"
    return let(
        parts,
        "m",
        "CASE WHEN m.y = '' THEN NULL ELSE "
        f"substr('{PNC_CHECK_LETTERS}', "
        "CAST(CAST(right(m.y, 2) || lpad(m.n, 7, '0') AS BIGINT) % 23 AS INTEGER) + 1, 1) = m.l "
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
) -> tuple[str, list[Any]]:
    """Build the SELECT that standardises a source into canonical person columns.

    Args:
        source_sql: A SELECT (without parameters) or a quoted table name giving the source rows.
        columns: Each source column name and its DuckDB type.
        roles: The role of each column that takes part; others are left out.
        source_dataset: The name recorded in the ``source_dataset`` output column.
        unique_id_column: The column giving ``unique_id`` when no column has the record id role;
            without either, the row number is used.

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

    full = one(Role.FULL_NAME)
    full_clean = name_expr(full) if full else None
    tokens = f"string_split({full_clean}, ' ')" if full_clean else None
    for role, join_mac in (
        (Role.FIRST_NAME, False),
        (Role.MIDDLE_NAMES, True),
        (Role.SURNAME, True),
    ):
        ref = one(role)
        if ref:
            select.append((role.value, name_expr(ref, join_mac=join_mac)))
        elif tokens:
            select.append((role.value, _derived_name(role, tokens)))
    if full_clean:
        select.append((Role.FULL_NAME.value, full_clean))

    dob_ref = one(Role.DOB)
    dob_sql = dob_expr(dob_ref, dtype(Role.DOB)) if dob_ref else None
    if dob_sql:
        select.append((Role.DOB.value, dob_sql))
    for role, low, high, part in (
        (Role.BIRTH_YEAR, 1900, "year(current_date)", "year"),
        (Role.BIRTH_MONTH, 1, "12", "month"),
        (Role.BIRTH_DAY, 1, "31", "day"),
    ):
        ref = one(role)
        if ref:
            select.append((role.value, int_range_expr(ref, low, high)))
        elif dob_sql and role is Role.BIRTH_YEAR:
            select.append((role.value, f"CAST({part}({dob_sql}) AS INTEGER)"))
    if ref := one(Role.SEX):
        select.append((Role.SEX.value, sex_expr(ref)))
    if ref := one(Role.POSTCODE):
        select.append((Role.POSTCODE.value, postcode_expr(ref)))
    if Role.ADDRESS in by_role:
        parts = ", ".join(clean_text_expr(quote_ident(c)) for c in by_role[Role.ADDRESS])
        select.append((Role.ADDRESS.value, f"nullif(concat_ws(', ', {parts}), '')"))
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


def _derived_name(role: Role, tokens: str) -> str:
    if role is Role.FIRST_NAME:
        return f"CASE WHEN len({tokens}) >= 2 THEN {tokens}[1] END"
    if role is Role.SURNAME:
        return f"{tokens}[-1]"
    return f"CASE WHEN len({tokens}) >= 3 THEN array_to_string({tokens}[2:-2], ' ') END"


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
    sql, params = standardise_sql(qualified(DATA_SCHEMA, name), columns, checked, name)
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
    sql, params = standardise_sql(qualified(DATA_SCHEMA, name), columns, checked, name)
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
