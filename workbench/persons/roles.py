"""Standard person roles for columns, and the roles stored for each dataset.

Roles are suggested from column names and values in :mod:`workbench.persons.role_suggest`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import duckdb
import pandas as pd

from workbench.config import current_user
from workbench.errors import RoleError
from workbench.sql import Sql
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)


class Role(StrEnum):
    """A standard role a column can play in person linkage.

    The value doubles as the canonical column name in standardised tables.
    """

    RECORD_ID = "record_id"
    FIRST_NAME = "first_name"
    MIDDLE_NAMES = "middle_names"
    SURNAME = "surname"
    FULL_NAME = "full_name"
    DOB = "dob"
    BIRTH_YEAR = "birth_year"
    BIRTH_MONTH = "birth_month"
    BIRTH_DAY = "birth_day"
    SEX = "sex"
    POSTCODE = "postcode"
    ADDRESS = "address"
    TOWN = "town"
    PNC_ID = "pnc_id"
    CRO_NUMBER = "cro_number"
    URN = "urn"
    OTHER_ID = "other_id"
    OTHER = "other"
    IGNORE = "ignore"


ROLE_LABELS: dict[Role, str] = {
    Role.RECORD_ID: "Record id (unique per row)",
    Role.FIRST_NAME: "First name",
    Role.MIDDLE_NAMES: "Middle names",
    Role.SURNAME: "Surname",
    Role.FULL_NAME: "Full name",
    Role.DOB: "Date of birth",
    Role.BIRTH_YEAR: "Birth year",
    Role.BIRTH_MONTH: "Birth month",
    Role.BIRTH_DAY: "Birth day",
    Role.SEX: "Sex",
    Role.POSTCODE: "Postcode",
    Role.ADDRESS: "Address line",
    Role.TOWN: "Town or city",
    Role.PNC_ID: "PNC ID",
    Role.CRO_NUMBER: "CRO number",
    Role.URN: "URN (police case reference)",
    Role.OTHER_ID: "Other person identifier",
    Role.OTHER: "Other person attribute",
    Role.IGNORE: "Not a person field",
}


MULTI_VALUED_ROLES: frozenset[Role] = frozenset(
    {Role.ADDRESS, Role.OTHER_ID, Role.OTHER, Role.IGNORE, Role.MIDDLE_NAMES, Role.SURNAME}
)
"""Roles that several columns of one dataset may share; every other role fits one column only.

Several address lines are joined; so are surname parts (``surname_1``, ``surname_2``) and
middle names written over several columns."""

SINGLE_VALUED_ROLES: frozenset[Role] = frozenset(set(Role) - MULTI_VALUED_ROLES)
"""Roles that at most one column of a dataset may have."""

PERSON_ROLES: frozenset[Role] = frozenset(
    {
        Role.FIRST_NAME,
        Role.MIDDLE_NAMES,
        Role.SURNAME,
        Role.FULL_NAME,
        Role.DOB,
        Role.BIRTH_YEAR,
        Role.POSTCODE,
        Role.ADDRESS,
        Role.PNC_ID,
        Role.CRO_NUMBER,
    }
)
"""Roles that describe the person well enough to link on."""


@dataclass(frozen=True)
class RoleSuggestion:
    """A suggested role for one column.

    Attributes:
        column: The column name as in the dataset.
        role: The suggested role.
        confidence: How sure the suggestion is, from 0 to 1.
        reason: Why, in plain language.
    """

    column: str
    role: Role
    confidence: float
    reason: str


# ------------------------------------------------------------------------------- storage
def _valid_roles_text() -> str:
    return ", ".join(r.value for r in Role)


def validate_roles(columns: Sequence[str], roles: Mapping[str, Role | str]) -> dict[str, Role]:
    """Check a role mapping against the dataset's columns and return it with Role values.

    Args:
        columns: The dataset's column names.
        roles: Column name to role (a Role or its value, such as ``"first_name"``).

    Raises:
        RoleError: Naming every unknown column, unknown role and single-valued role given to
            more than one column.
    """
    known = set(columns)
    problems: list[str] = []
    checked: dict[str, Role] = {}
    for column, raw in roles.items():
        if column not in known:
            problems.append(f"there is no column {column!r}")
            continue
        try:
            checked[column] = Role(raw.value if isinstance(raw, Role) else str(raw).strip().lower())
        except ValueError:
            problems.append(f"{raw!r} (column {column!r}) is not a known role")
    holders: dict[Role, list[str]] = {}
    for column, role in checked.items():
        holders.setdefault(role, []).append(column)
    for role, cols in holders.items():
        if role in SINGLE_VALUED_ROLES and len(cols) > 1:
            listed = ", ".join(repr(c) for c in cols)
            problems.append(
                f"the role {role.value!r} can go to one column only but is given to {listed}"
            )
    if problems:
        raise RoleError(
            "The column roles are not valid: " + "; ".join(problems) + ".",
            hint=f"Valid roles are: {_valid_roles_text()}.",
        )
    return checked


def save_roles(
    ws: Workspace,
    name: str,
    roles: Mapping[str, Role | str],
    confirmed: bool = True,
    suggestions: Sequence[RoleSuggestion] | None = None,
    actor: str | None = None,
) -> None:
    """Store the column roles of a dataset, replacing those stored before, in one transaction.

    Args:
        ws: The workspace.
        name: The dataset.
        roles: Column name to role for every column that should have one.
        confirmed: Whether a person has confirmed these roles (False for plain suggestions).
        suggestions: The suggestions, to keep the suggested role, confidence and reason beside
            the chosen role; when None, those stored before are kept.
        actor: Who made the change; the local user when None.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
        RoleError: For an unknown column, an unknown role, or a single-valued role given to
            several columns. Nothing is written.
    """
    columns = list(ws.dataset_columns(name))
    checked = validate_roles(columns, roles)
    by_column = {s.column: s for s in suggestions or []}
    now = utcnow()
    user = actor or current_user()
    with ws.transaction() as cur:
        previous = {
            row[0]: row[1:]
            for row in cur.execute(
                "SELECT column_name, suggested_role, confidence, reason FROM wb.column_roles "
                "WHERE dataset = ?",
                [name],
            ).fetchall()
        }
        forget_roles(cur, name)
        for column in columns:
            if column not in checked:
                continue
            s = by_column.get(column)
            if s is not None:
                kept: tuple[object, ...] = (s.role.value, float(s.confidence), s.reason)
            else:
                kept = previous.get(column, (None, None, None))
            cur.execute(
                "INSERT INTO wb.column_roles (dataset, column_name, role, suggested_role, "
                "confidence, reason, confirmed, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, column, checked[column].value, *kept, bool(confirmed), now, user],
            )
        ws.audit(
            "roles.save",
            target=name,
            detail={"roles": {c: r.value for c, r in checked.items()}, "confirmed": confirmed},
            actor=user,
            cur=cur,
        )
    log.info("saved %d column roles for %s (confirmed=%s)", len(checked), name, confirmed)


def forget_roles(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete the column roles of dataset ``name`` inside the caller's transaction ``cur``."""
    cur.execute("DELETE FROM wb.column_roles WHERE dataset = ?", [name])


def load_roles(ws: Workspace, name: str) -> dict[str, Role]:
    """The stored roles of a dataset, in column order (empty when none are stored)."""
    rows = ws.query(
        "SELECT r.column_name, r.role FROM wb.column_roles r "
        "LEFT JOIN information_schema.columns c ON c.table_schema = ? AND c.table_name = r.dataset "
        "AND c.column_name = r.column_name WHERE r.dataset = ? "
        "ORDER BY c.ordinal_position NULLS LAST, r.column_name",
        [DATA_SCHEMA, name],
    )
    out: dict[str, Role] = {}
    for column, role in rows:
        try:
            out[str(column)] = Role(role)
        except ValueError:
            log.warning("ignoring unknown stored role %r for %s.%s", role, name, column)
    return out


def datasets_with_roles(ws: Workspace, roles: Iterable[Role]) -> list[str]:
    """Datasets with at least one column stored with one of the roles, in name order."""
    wanted = sorted(Role(r).value for r in roles)
    rows = ws.query(
        "SELECT DISTINCT dataset FROM wb.column_roles WHERE list_contains(?, role) "
        "ORDER BY dataset",
        [wanted],
    )
    return [str(r[0]) for r in rows]


def roles_table(ws: Workspace, name: str) -> pd.DataFrame:
    """The stored roles of a dataset as a table for display and editing.

    Returns:
        One row per column with a stored role, in column order: ``column``, ``role``,
        ``suggested_role``, ``confidence``, ``reason``, ``confirmed``.
    """
    return ws.query_df(
        'SELECT r.column_name AS "column", r.role, r.suggested_role, r.confidence, r.reason, '
        "r.confirmed FROM wb.column_roles r "
        "LEFT JOIN information_schema.columns c ON c.table_schema = ? AND c.table_name = r.dataset "
        "AND c.column_name = r.column_name WHERE r.dataset = ? "
        "ORDER BY c.ordinal_position NULLS LAST, r.column_name",
        [DATA_SCHEMA, name],
    )


def roles_counts(ws: Workspace) -> dict[str, tuple[int, int]]:
    """Per dataset with stored roles: how many columns have a role and how many are confirmed."""
    rows = ws.query(
        "SELECT dataset, count(*), count_if(confirmed) FROM wb.column_roles GROUP BY dataset"
    )
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def stored_roles_query() -> Sql:
    """SQL selecting every stored role, to use as a sub-query in the same workspace.

    Returns:
        The query, with columns ``dataset``, ``column_name``, ``role`` and ``confirmed``.
    """
    return Sql("SELECT dataset, column_name, role, confirmed FROM wb.column_roles")


def roles_confirmed(ws: Workspace, name: str) -> bool:
    """Whether roles are stored for the dataset and a person has confirmed all of them."""
    rows = ws.query(
        "SELECT count(*), count_if(confirmed) FROM wb.column_roles WHERE dataset = ?", [name]
    )
    total, confirmed = rows[0]
    return bool(total) and total == confirmed
