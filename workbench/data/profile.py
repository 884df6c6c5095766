"""Quality profile of a dataset: completeness, distinct values, placeholders and format problems.

Everything is computed in DuckDB: one grouped pass per column gives the counts, the most common
values, the placeholder values (such as a date of birth of 1900-01-01 or the postcode NF1 1NF)
and the values that break the rules for the column's role (postcodes that are not UK postcodes,
PNC IDs with a wrong check letter, dates of birth in the future, names with digits, ...).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from workbench.persons.expressions import (
    DOB_PARAM,
    PNC_PATTERN,
    POSTCODE_PARAM,
    UK_POSTCODE_PATTERN,
    USE_ALL_PARAMS,
    is_date_type,
    is_placeholder_text_expr,
    is_text_type,
    parse_date_expr,
    placeholder_params,
    pnc_check_ok_expr,
)
from workbench.persons.role_suggest import suggest_roles_for_dataset
from workbench.persons.roles import Role, load_roles
from workbench.persons.standardise import NAME_ROLES
from workbench.sql import Sql, compose
from workbench.workspace import Workspace, utcnow

if TYPE_CHECKING:
    import altair as alt

log = logging.getLogger(__name__)

EXAMPLES_PER_PROBLEM = 3

# Analysis Function palette colours, each at least 3:1 against white (tests/test_chart_access.py).
_BAND_COLOURS = {
    "95% or more": "#12436D",
    "80% to 95%": "#F46A25",
    "under 80%": "#801650",
}


@dataclass
class FormatProblem:
    """Values of a column that break a format rule.

    Attributes:
        description: The rule broken, in plain language.
        count: How many rows break it.
        examples: A few of the offending values, most common first.
    """

    description: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class ColumnProfile:
    """The quality profile of one column.

    Attributes:
        name: The column name.
        dtype: Its DuckDB type.
        rows: Rows in the dataset.
        non_null: Rows where the column is not NULL.
        completeness: ``non_null / rows`` (0 to 1; 0 for an empty dataset).
        distinct: Distinct non-NULL values.
        top_values: The most common values with their counts.
        placeholders: Placeholder values found (blank, NOT KNOWN, 1900-01-01, NF1 1NF, ...) with
            their counts.
        format_problems: Rules broken by some values.
        min_value: The smallest value, as text.
        max_value: The largest value, as text.
        mean_length: Mean length of the text values (None for other types).
    """

    name: str
    dtype: str
    rows: int
    non_null: int
    completeness: float
    distinct: int
    top_values: list[tuple[str, int]]
    placeholders: list[tuple[str, int]]
    format_problems: list[FormatProblem]
    min_value: str | None
    max_value: str | None
    mean_length: float | None

    @property
    def placeholder_count(self) -> int:
        """Rows holding any placeholder value."""
        return sum(n for _, n in self.placeholders)


@dataclass
class DatasetProfile:
    """The quality profile of a dataset.

    Attributes:
        dataset: The dataset name.
        rows: Its row count.
        columns: One profile per column, in column order.
        computed_at: When the profile was computed (UTC).
        not_profiled: Columns left out by the column or time limit, in column order.
        limit_reason: Why they were left out ("" when every column was profiled).
    """

    dataset: str
    rows: int
    columns: list[ColumnProfile]
    computed_at: datetime
    not_profiled: list[str] = field(default_factory=list)
    limit_reason: str = ""

    @property
    def note(self) -> str:
        """A sentence on the columns not profiled, or "" when every column was."""
        if not self.not_profiled:
            return ""
        shown = ", ".join(self.not_profiled[:5])
        more = f" and {len(self.not_profiled) - 5:,} more" if len(self.not_profiled) > 5 else ""
        return (
            f"{len(self.not_profiled):,} column(s) not profiled ({self.limit_reason}): "
            f"{shown}{more}."
        )

    def column(self, name: str) -> ColumnProfile:
        """The profile of one column, by name."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        data = asdict(self)
        data["computed_at"] = self.computed_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetProfile:
        """Rebuild a profile from :meth:`to_dict` output."""
        columns = [
            ColumnProfile(
                name=c["name"],
                dtype=c["dtype"],
                rows=int(c["rows"]),
                non_null=int(c["non_null"]),
                completeness=float(c["completeness"]),
                distinct=int(c["distinct"]),
                top_values=[(str(v), int(n)) for v, n in c["top_values"]],
                placeholders=[(str(v), int(n)) for v, n in c["placeholders"]],
                format_problems=[FormatProblem(**p) for p in c["format_problems"]],
                min_value=c.get("min_value"),
                max_value=c.get("max_value"),
                mean_length=c.get("mean_length"),
            )
            for c in data["columns"]
        ]
        return cls(
            dataset=data["dataset"],
            rows=int(data["rows"]),
            columns=columns,
            computed_at=datetime.fromisoformat(data["computed_at"]),
            not_profiled=[str(c) for c in data.get("not_profiled", [])],
            limit_reason=str(data.get("limit_reason", "")),
        )


# ---------------------------------------------------------------------------- the checks
def _checks(role: Role | None, dtype: str) -> list[tuple[str, str]]:
    """(description, SQL condition on ``v`` the value as VARCHAR) for each format rule."""
    checks: list[tuple[str, str]] = []
    not_missing = f"NOT {is_placeholder_text_expr('v')}"
    if is_text_type(dtype):
        checks.append(("leading or trailing spaces", "v <> trim(v)"))
    if role in NAME_ROLES or role is Role.TOWN:
        checks.append(("contains digits", "regexp_matches(v, '[0-9]')"))
    if role is Role.POSTCODE:
        checks.append(
            (
                "not a UK postcode",
                f"{not_missing} AND NOT regexp_matches("
                f"upper(regexp_replace(trim(v), '\\s+', ' ', 'g')), '{UK_POSTCODE_PATTERN}')",
            )
        )
    if role is Role.DOB:
        parsed = parse_date_expr("v", "VARCHAR") if not is_date_type(dtype) else "CAST(v AS DATE)"
        checks += [
            ("not a recognisable date", f"{not_missing} AND {parsed} IS NULL"),
            ("date of birth in the future", f"{parsed} > current_date"),
            (
                "implies an age over 110",
                f"{parsed} < current_date - INTERVAL 110 YEAR "
                f"AND NOT list_contains({DOB_PARAM}, {parsed})",
            ),
        ]
    if role is Role.PNC_ID:
        compact = "upper(regexp_replace(v, '\\s', '', 'g'))"
        checks += [
            (
                "not in PNC ID format (YYYY/NNNNNNNL)",
                f"{not_missing} AND NOT regexp_matches({compact}, '{PNC_PATTERN}')",
            ),
            ("wrong PNC check letter", f"{pnc_check_ok_expr('v')} = FALSE"),
        ]
    return checks


def _placeholder_condition(role: Role | None, dtype: str) -> str:
    parts = []
    if is_text_type(dtype):
        parts.append(is_placeholder_text_expr("v"))
        parts.append(f"list_contains({POSTCODE_PARAM}, upper(regexp_replace(v, '\\s', '', 'g')))")
    if is_date_type(dtype):
        parts.append(f"list_contains({DOB_PARAM}, CAST(raw AS DATE))")
    elif role is Role.DOB and is_text_type(dtype):
        parts.append(f"coalesce(list_contains({DOB_PARAM}, {parse_date_expr('v', dtype)}), FALSE)")
    return " OR ".join(f"({p})" for p in parts) or "FALSE"


def _profile_column(
    ws: Workspace, table: str, column: str, dtype: str, role: Role | None, rows: int, top_n: int
) -> ColumnProfile:
    checks = _checks(role, dtype)
    text = is_text_type(dtype)
    examples = Sql(str(int(EXAMPLES_PER_PROBLEM)))
    # One pass over the grouped values gives the counts, the placeholders and each rule's
    # count and examples (aggregates filtered by the rule); only the most common values (a
    # top-N) and case variants (a window) need passes of their own.
    problem_selects = [
        compose(
            "{'count': coalesce(sum(n) FILTER (WHERE {condition}), 0), 'examples': "
            "(list(v ORDER BY n DESC, v) FILTER (WHERE {condition}))[1:{examples}]}",
            examples=examples,
            condition=Sql(condition),
        )
        for _, condition in checks
    ]
    if text:
        problem_selects.append(
            compose(
                "(SELECT {'count': coalesce(sum(n), 0), 'examples': "
                "list(v ORDER BY n DESC, v)[1:{examples}]} FROM "
                "(SELECT v, n, min(trim(v)) OVER w <> max(trim(v)) OVER w AS k FROM g "
                "WINDOW w AS (PARTITION BY upper(trim(v)))) WHERE k)",
                examples=examples,
            )
        )
    mean_length = "sum(length(v) * n) / nullif(sum(n), 0)" if text else "NULL"
    sql = compose(
        "WITH g AS MATERIALIZED (SELECT raw, CAST(raw AS VARCHAR) AS v, n FROM "
        "(SELECT {ref} AS raw, count(*) AS n FROM {table} WHERE {ref} IS NOT NULL "
        "AND {use_all} GROUP BY 1))\n"
        "SELECT count(*), coalesce(sum(n), 0), CAST(min(raw) AS VARCHAR), "
        "CAST(max(raw) AS VARCHAR), {mean_length}, "
        "(SELECT list([v, CAST(n AS VARCHAR)] ORDER BY n DESC, v) FROM "
        "(SELECT v, n FROM g ORDER BY n DESC, v LIMIT $4)), "
        "list([v, CAST(n AS VARCHAR)] ORDER BY n DESC, v) FILTER (WHERE {placeholders})"
        "{problems} FROM g",
        ref=column,
        table=Sql(table),
        use_all=Sql(USE_ALL_PARAMS),
        mean_length=Sql(mean_length),
        placeholders=Sql(_placeholder_condition(role, dtype)),
        problems=Sql("".join(f", {s}" for s in problem_selects)),
    )
    row = ws.query(sql, [*placeholder_params(), int(top_n)])[0]
    distinct, non_null, min_value, max_value, mean_len, top, placeholders = row[:7]
    descriptions = [d for d, _ in checks]
    if text:
        descriptions.append("case variants of the same value")
    problems = [
        FormatProblem(desc, int(res["count"]), [str(x) for x in res["examples"] or []])
        for desc, res in zip(descriptions, row[7:], strict=True)
        if res and res["count"]
    ]
    return ColumnProfile(
        name=column,
        dtype=dtype,
        rows=rows,
        non_null=int(non_null),
        completeness=(int(non_null) / rows) if rows else 0.0,
        distinct=int(distinct),
        top_values=[(str(v), int(n)) for v, n in top or []],
        placeholders=[(str(v), int(n)) for v, n in placeholders or []],
        format_problems=problems,
        min_value=min_value,
        max_value=max_value,
        mean_length=float(mean_len) if mean_len is not None else None,
    )


# ------------------------------------------------------------------------------ public API
#: Most columns profiled; a wider dataset has its first columns profiled and the rest named.
MAX_PROFILE_COLUMNS = 300
#: Seconds profiling may take before the remaining columns are left out and named.
PROFILE_SECONDS = 120.0


def profile_dataset(
    ws: Workspace,
    name: str,
    roles: Mapping[str, Role] | None = None,
    top_n: int = 10,
    max_columns: int | None = None,
    seconds: float | None = None,
) -> DatasetProfile:
    """Compute the quality profile of a dataset, within a column limit and a time budget.

    Args:
        ws: The workspace.
        name: The dataset.
        roles: Column roles that decide the format checks; suggested from names and values when
            None.
        top_n: How many of the most common values to keep per column.
        max_columns: Most columns profiled (default :data:`MAX_PROFILE_COLUMNS`).
        seconds: Time budget (default :data:`PROFILE_SECONDS`); columns not reached in time
            are named in the profile's ``not_profiled``.

    Returns:
        The profile (not stored; see :func:`store_profile` and :func:`refresh_profile`).

    Raises:
        DatasetNotFoundError: When there is no such dataset.
    """
    columns = list(ws.dataset_columns(name).items())
    if roles is None:
        roles = {s.column: s.role for s in suggest_roles_for_dataset(ws, name)}
    table = ws.dataset_table(name)
    rows = int(ws.query(compose("SELECT count(*) FROM {t}", t=Sql(table)))[0][0])
    limit = MAX_PROFILE_COLUMNS if max_columns is None else max_columns
    budget = PROFILE_SECONDS if seconds is None else seconds
    started = time.monotonic()
    profiles: list[ColumnProfile] = []
    reason = ""
    for col, dtype in columns:
        if len(profiles) >= limit:
            reason = f"the profile covers the first {limit:,} columns"
            break
        if profiles and time.monotonic() - started > budget:
            reason = f"profiling stops after {budget:g} seconds"
            break
        profiles.append(
            _profile_column(ws, table, str(col), str(dtype), roles.get(str(col)), rows, top_n)
        )
    skipped = [str(col) for col, _ in columns[len(profiles) :]]
    log.info("profiled %s: %d rows, %d columns", name, rows, len(profiles))
    return DatasetProfile(
        dataset=name,
        rows=rows,
        columns=profiles,
        computed_at=utcnow(),
        not_profiled=skipped,
        limit_reason=reason if skipped else "",
    )


def store_profile(ws: Workspace, profile: DatasetProfile) -> None:
    """Store a profile in the workspace, replacing the dataset's previous one."""
    with ws.transaction() as cur:
        forget_profile(cur, profile.dataset)
        cur.execute(
            "INSERT INTO wb.profiles (dataset, computed_at, profile) VALUES (?, ?, ?)",
            [profile.dataset, profile.computed_at, json.dumps(profile.to_dict())],
        )


def forget_profile(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete the stored profile of dataset ``name`` inside the caller's transaction ``cur``."""
    cur.execute("DELETE FROM wb.profiles WHERE dataset = ?", [name])


def load_profile(ws: Workspace, name: str) -> DatasetProfile | None:
    """The stored profile of a dataset, or None when it has not been profiled."""
    rows = ws.query("SELECT profile FROM wb.profiles WHERE dataset = ?", [name])
    if not rows:
        return None
    return DatasetProfile.from_dict(json.loads(rows[0][0]))


def refresh_profile(ws: Workspace, name: str) -> DatasetProfile:
    """Compute a dataset's profile with its stored roles (suggested ones if none), store it.

    Returns:
        The new profile.
    """
    stored = load_roles(ws, name)
    profile = profile_dataset(ws, name, roles=stored or None)
    store_profile(ws, profile)
    return profile


# ------------------------------------------------------------------------------ display
def _pairs_text(pairs: list[tuple[str, int]], limit: int = 5) -> str:
    shown = [f"{v if v.strip() else repr(v)} ({n:,})" for v, n in pairs[:limit]]
    if len(pairs) > limit:
        shown.append(f"… {len(pairs) - limit} more")
    return "; ".join(shown)


def profile_table(profile: DatasetProfile) -> pd.DataFrame:
    """One row per column: column, type, completeness %, distinct, top values, placeholders
    and format problems, as text fit for a table on screen or in a report."""
    records = []
    for col in profile.columns:
        problems = "; ".join(
            f"{p.description}: {p.count:,}"
            + (f" (e.g. {', '.join(repr(x) for x in p.examples)})" if p.examples else "")
            for p in col.format_problems
        )
        records.append(
            {
                "column": col.name,
                "type": col.dtype,
                "completeness %": round(col.completeness * 100, 1),
                "distinct": col.distinct,
                "top values": _pairs_text(col.top_values),
                "placeholders": _pairs_text(col.placeholders),
                "format problems": problems,
            }
        )
    columns = [
        "column",
        "type",
        "completeness %",
        "distinct",
        "top values",
        "placeholders",
        "format problems",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _band(completeness: float) -> str:
    if completeness >= 0.95:
        return "95% or more"
    if completeness >= 0.8:
        return "80% to 95%"
    return "under 80%"


def completeness_chart(profile: DatasetProfile) -> alt.Chart:
    """Horizontal bars of completeness per column, coloured by band, with a tooltip."""
    import altair as alt

    frame = pd.DataFrame(
        {
            "column": [c.name for c in profile.columns],
            "completeness": [round(c.completeness * 100, 1) for c in profile.columns],
            "filled": [c.non_null for c in profile.columns],
            "placeholders": [c.placeholder_count for c in profile.columns],
            "band": [_band(c.completeness) for c in profile.columns],
        }
    )
    return (
        alt.Chart(frame, title=f"Completeness of each column in {profile.dataset}")
        .mark_bar()
        .encode(
            x=alt.X(
                "completeness:Q",
                title="Rows with a value (%)",
                scale=alt.Scale(domain=[0, 100]),
            ),
            y=alt.Y("column:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
            color=alt.Color(
                "band:N",
                title="Completeness",
                scale=alt.Scale(domain=list(_BAND_COLOURS), range=list(_BAND_COLOURS.values())),
            ),
            tooltip=[
                alt.Tooltip("column:N", title="Column"),
                alt.Tooltip("completeness:Q", title="Completeness (%)", format=".1f"),
                alt.Tooltip("filled:Q", title="Rows with a value", format=","),
                alt.Tooltip("placeholders:Q", title="Placeholder values", format=","),
            ],
        )
        .properties(height=alt.Step(20))
    )
