"""Standardise person fields into canonical form for linkage, in DuckDB SQL.

:func:`standardise_sql` builds one statement that cleans every person column of a source with
the expressions of :mod:`workbench.persons.expressions`, reading the values as
:mod:`workbench.persons.value_formats` found them written; :func:`create_standardised_table`
writes the result to the ``std`` schema of the workspace. Placeholder values become NULL, so
that linkage treats them as missing rather than as strong evidence of a match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from workbench.errors import RoleError
from workbench.persons.expressions import (
    NAME_PREFIX,
    POSTCODE_IN_TEXT,
    TITLE_PATTERN,
    USE_ALL_PARAMS,
    address_line_expr,
    clean_text_expr,
    dob_expr,
    identifier_expr,
    int_range_expr,
    is_placeholder_text_expr,
    is_text_type,
    let,
    month_expr,
    name_expr,
    placeholder_params,
    pnc_expr,
    postcode_expr,
    sex_expr,
    source_query,
)
from workbench.persons.roles import MULTI_VALUED_ROLES, PERSON_ROLES, Role, load_roles
from workbench.persons.value_formats import ValueFormats, detect_value_formats
from workbench.sql import Sql, compose, qualified, quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)


STD_SCHEMA = "std"

NAME_ROLES: frozenset[Role] = frozenset(
    {Role.FIRST_NAME, Role.MIDDLE_NAMES, Role.SURNAME, Role.FULL_NAME}
)


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
                postcode_expr(f"nullif(regexp_extract({joined}, '{POSTCODE_IN_TEXT}', 2), '')"),
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
    sql = compose(
        "SELECT\n  {body}\nFROM ({source}) AS src\nWHERE {use_all_params}",
        body=Sql(body),
        source=source_query(source_sql),
        use_all_params=Sql(USE_ALL_PARAMS),
    )
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
    v = f"regexp_replace({v}, '{NAME_PREFIX}', '')"
    v = f"regexp_replace({v}, '[^\\p{{L}}\\p{{N}}''\\-, ]', ' ', 'g')"
    v = f"trim(regexp_replace({v}, '\\s+', ' ', 'g'))"
    v = f"regexp_replace({v}, '{TITLE_PATTERN}', '')"
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
        cur.execute(compose("CREATE SCHEMA IF NOT EXISTS {schema}", schema=STD_SCHEMA))
        cur.execute(
            compose("CREATE OR REPLACE TABLE {table} AS {query}", table=table, query=Sql(sql)),
            params,
        )
        count = int(
            cur.execute(compose("SELECT count(*) FROM {table}", table=table)).fetchall()[0][0]
        )
        ws.audit(
            "dataset.standardise",
            target=name,
            detail={"table": f"{STD_SCHEMA}.{target}", "rows": count},
            cur=cur,
        )
    log.info("standardised %s into %s.%s (%d rows)", name, STD_SCHEMA, target, count)
    return count
