"""Role suggestions: name and value evidence weighed together into one role per column, for a
list of columns or for a dataset in the workspace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from workbench.persons.role_names import ROLE_WORDS, name_evidence, normalise_column_name
from workbench.persons.role_values import percent, value_evidence, value_stats, value_test
from workbench.persons.roles import PERSON_ROLES, SINGLE_VALUED_ROLES, Role, RoleSuggestion
from workbench.sql import compose, int_literal, qualified
from workbench.workspace import DATA_SCHEMA, Workspace


def _candidates(
    column: str, series: pd.Series | None, uniqueness: float | None
) -> list[tuple[float, Role, str]]:
    names, _ = name_evidence(column)
    stats = value_stats(series, uniqueness) if series is not None else None
    values = value_evidence(stats) if stats is not None else {}
    out: list[tuple[float, Role, str]] = []
    for role in set(names) | set(values):
        n = names.get(role)
        v = values.get(role)
        name_reason = f"name {column!r} means {ROLE_WORDS[role]}" if n is not None else ""
        if n is not None and v is not None:
            out.append((1 - (1 - n) * (1 - v[0]), role, f"{name_reason}; {v[1]}"))
        elif n is not None:
            score, reason = n, name_reason
            test = value_test(role, stats) if stats is not None and stats.n else None
            if test is not None:
                fit, words = test
                if role is Role.RECORD_ID and fit < 0.95:
                    score = n * 0.4
                    reason += f", but only {percent(fit)} of values are distinct"
                    out.append((0.5, Role.IGNORE, f"name {column!r} is a reference that repeats"))
                elif fit < 0.3:
                    score = n * 0.6
                    reason += f", but only {percent(fit)} of values {words}"
                else:
                    reason += f"; {percent(fit)} of values {words}"
            out.append((score, role, reason))
        elif v is not None:
            out.append((v[0], role, v[1]))
    if stats is not None and stats.n == 0:
        out.append((0.3, Role.IGNORE, "no values in the sample"))
    out.append((0.15, Role.OTHER, "no strong evidence for a person role"))
    out.append((0.1, Role.IGNORE, "no strong evidence for a person role"))
    return out


#: Roles a suggestion gives to one column only: besides the single-valued roles, surname and
#: middle names go to a second column only when it is a numbered part of the first.
_SUGGESTED_ONCE: frozenset[Role] = SINGLE_VALUED_ROLES | {Role.SURNAME, Role.MIDDLE_NAMES}


def suggest_roles(
    columns: Sequence[str],
    sample: pd.DataFrame | None = None,
    uniqueness: Mapping[str, float] | None = None,
) -> list[RoleSuggestion]:
    """Suggest a role for each column from its name and, when given, a sample of its values.

    Column names are normalised (lower case, camelCase split, prefixes such as ``suspect_`` or
    ``defendant_`` removed) and matched against known names for each role; values are tested
    for postcodes, PNC IDs, URNs, dates of birth, sex codes, names, emails and uniqueness. Name
    and value evidence that agree reinforce each other. A role that fits one column only goes to
    the column with the strongest evidence; the others get their next-best role.

    Args:
        columns: Column names in dataset order.
        sample: Some rows of the data (a few thousand are plenty); names alone when None.
        uniqueness: Share of distinct values per column over the whole dataset, where known;
            otherwise uniqueness is measured in the sample.

    Returns:
        One suggestion per column, in the order of ``columns``.
    """
    order = {role: i for i, role in enumerate(Role)}
    scored: list[tuple[float, int, int, Role, str]] = []
    for index, column in enumerate(columns):
        series = sample[column] if sample is not None and column in sample.columns else None
        unique = (uniqueness or {}).get(column)
        for score, role, reason in _candidates(column, series, unique):
            scored.append((-round(min(max(score, 0.0), 1.0), 4), index, order[role], role, reason))
    scored.sort(key=lambda item: item[:3])
    chosen: dict[int, RoleSuggestion] = {}
    taken: dict[Role, str] = {}
    wanted: dict[int, Role] = {}
    for neg, index, _, role, reason in scored:
        if index in chosen:
            continue
        if role in _SUGGESTED_ONCE and role in taken:
            if (role in PERSON_ROLES or role is Role.RECORD_ID) and -neg >= 0.4:
                wanted.setdefault(index, role)
            continue
        column = columns[index]
        if index in wanted and role in _SUGGESTED_ONCE | {Role.OTHER} and -neg < 0.5:
            part = _name_part_role(column, wanted[index], taken)
            if part is not None:
                holder = taken[wanted[index]]
                taken.setdefault(part, column)
                chosen[index] = RoleSuggestion(
                    column,
                    part,
                    0.7,
                    f"a further part of {holder!r} (the same name numbered): "
                    f"read as {ROLE_WORDS[part]}",
                )
                continue
        if index in wanted and role is Role.OTHER and -neg < 0.5:
            # The column looks like a role another column holds (a second full name, a
            # copy of the date of birth): comparing it as well would count the same evidence
            # twice, so it is left out.
            first = wanted[index]
            chosen[index] = RoleSuggestion(
                column,
                Role.IGNORE,
                round(-neg, 2),
                f"looks like {ROLE_WORDS[first]}, which {taken[first]!r} already holds; "
                "left out so the same evidence is not counted twice",
            )
            continue
        if role in _SUGGESTED_ONCE:
            taken[role] = column
        chosen[index] = RoleSuggestion(column, role, round(-neg, 2), reason)
    return [chosen[i] for i in range(len(columns))]


_NUMBERED = re.compile(r"^(.*?)_?(\d+)$")


def _name_part_role(column: str, wanted: Role, taken: Mapping[Role, str]) -> Role | None:
    """The role of a numbered further part of a name (``forename_2`` beside ``forename_1``).

    A second forename is a middle name; further surname or middle-name parts join the first.
    """
    holder = taken.get(wanted)
    if holder is None or wanted not in (Role.FIRST_NAME, Role.SURNAME, Role.MIDDLE_NAMES):
        return None
    mine = _NUMBERED.match(normalise_column_name(column))
    theirs = _NUMBERED.match(normalise_column_name(holder))
    base = normalise_column_name(holder) if theirs is None else theirs.group(1)
    if mine is None or mine.group(1) != base:
        return None
    if wanted is Role.FIRST_NAME:
        return Role.MIDDLE_NAMES
    return wanted


def _mostly_unique(series: pd.Series) -> bool:
    try:
        return bool(series.nunique() >= 0.95 * series.notna().sum() > 0)
    except TypeError:  # unhashable values such as lists
        return False


def suggest_roles_for_dataset(
    ws: Workspace, name: str, sample_rows: int = 2000
) -> list[RoleSuggestion]:
    """Suggest roles for the columns of a dataset in the workspace from a sample of its rows.

    Args:
        ws: The workspace.
        name: The dataset.
        sample_rows: How many rows to sample.

    Returns:
        One suggestion per column, in dataset order.
    """
    columns = list(ws.dataset_columns(name))
    table = qualified(DATA_SCHEMA, name)
    total = int(ws.query(compose("SELECT count(*) FROM {table}", table=table))[0][0])
    if total <= sample_rows:
        sample = ws.query_df(compose("SELECT * FROM {table}", table=table))
    else:
        sample = ws.query_df(
            compose(
                "SELECT * FROM {table} USING SAMPLE reservoir({rows} ROWS) REPEATABLE (7)",
                table=table,
                rows=int_literal(int(sample_rows)),
            )
        )
    uniqueness: dict[str, float] = {}
    candidates = [c for c in columns if len(sample) and _mostly_unique(sample[c])]
    if candidates and total > len(sample):
        parts = [compose("count(DISTINCT {c}) / greatest(count({c}), 1)", c=c) for c in candidates]
        row = ws.query(compose("SELECT {parts} FROM {table}", parts=parts, table=table))[0]
        uniqueness = {c: float(v or 0) for c, v in zip(candidates, row, strict=True)}
    return suggest_roles(columns, sample, uniqueness)
