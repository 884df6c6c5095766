"""The catalogue: what datasets the workspace holds, what they mean and where they came from.

Each dataset is a table in the ``data`` schema with one row in ``wb.datasets`` (title,
description, source system, owner, refresh date, lineage, version) and one row per column in
``wb.columns`` (the column dictionary).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from workbench.config import current_user
from workbench.data.profile import forget_profile
from workbench.errors import DatasetNotFoundError, Problem, ValidationError
from workbench.persons.roles import forget_roles, stored_roles_query
from workbench.sql import Sql, compose, placeholders, quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "description", "source_system", "owner", "refresh_date")
SOURCE_SYSTEMS = ("police", "cps", "courts", "other")
MAX_TEXT_LENGTH = 10_000
MAX_PREVIEW_ROWS = 10_000


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset's catalogue entry (a row of ``wb.datasets``)."""

    name: str
    kind: str
    title: str | None
    description: str | None
    source_system: str | None
    owner: str | None
    refresh_date: date | None
    row_count: int | None
    column_count: int | None
    source_file: str | None
    source_sha256: str | None
    source_format: str | None
    source_bytes: int | None
    imported_at: datetime | None
    imported_by: str | None
    is_sample: bool
    version: int
    previous_version: str | None
    updated_at: datetime | None

    @property
    def label(self) -> str:
        """The title when there is one, else the name."""
        return self.title or self.name


_FIELDS = tuple(f.name for f in fields(DatasetInfo))
_SELECT = compose("SELECT {fields} FROM wb.datasets", fields=list(_FIELDS))


def _info(row: tuple[Any, ...]) -> DatasetInfo:
    return DatasetInfo(**dict(zip(_FIELDS, row, strict=True)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_datasets(
    ws: Workspace,
    search: str | None = None,
    kind: str | None = None,
    source_system: str | None = None,
) -> list[DatasetInfo]:
    """List catalogued datasets, optionally filtered, ordered by name.

    Args:
        ws: The workspace.
        search: Text to find (case-insensitive) in the name, title, description, source system,
            owner, column names or column descriptions.
        kind: Only datasets of this kind (``source``, ...).
        source_system: Only datasets from this source system (case-insensitive).

    Returns:
        The matching catalogue entries.
    """
    where: list[str] = []
    params: list[Any] = []
    if search is not None and search.strip():
        pattern = f"%{_escape_like(search.strip())}%"
        text_fields = ("name", "title", "description", "source_system", "owner")
        checks = [f"{quote_ident(f)} ILIKE ? ESCAPE '\\'" for f in text_fields]
        checks.append(
            "EXISTS (SELECT 1 FROM wb.columns c WHERE c.dataset = wb.datasets.name AND "
            "(c.name ILIKE ? ESCAPE '\\' OR c.description ILIKE ? ESCAPE '\\'))"
        )
        where.append("(" + " OR ".join(checks) + ")")
        params.extend([pattern] * (len(text_fields) + 2))
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if source_system is not None:
        where.append("lower(source_system) = lower(?)")
        params.append(source_system)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY name"
    return [_info(row) for row in ws.query(sql, params)]


def dataset_names(ws: Workspace) -> list[str]:
    """The names of every catalogued dataset, sorted."""
    return [row[0] for row in ws.query("SELECT name FROM wb.datasets ORDER BY name")]


def dataset_kinds(ws: Workspace) -> dict[str, str]:
    """Every catalogued dataset's name and kind (``source``, ``derived`` ...)."""
    return {str(n): str(k) for n, k in ws.query("SELECT name, kind FROM wb.datasets")}


def catalogued_chain(cur: duckdb.DuckDBPyConnection, base: str) -> list[tuple[str, int]]:
    """Name and version of each entry called ``base`` or ``base_v...``, in the caller's transaction.

    The import uses it to choose the next version's name; entries whose name only starts like
    the chain (``base_vintage``) are among them, to be told apart by the caller.
    """
    rows = cur.execute(
        "SELECT name, version FROM wb.datasets WHERE name = ? OR name LIKE ? ESCAPE '\\'",
        [base, base.replace("_", "\\_") + "\\_v%"],
    ).fetchall()
    return [(n, v) for n, v in rows]


def is_catalogued(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the catalogue has an entry with this name, read in the caller's transaction."""
    rows = cur.execute("SELECT count(*) FROM wb.datasets WHERE name = ?", [name]).fetchall()
    return bool(rows[0][0])


def add_entry(
    cur: duckdb.DuckDBPyConnection,
    entry: DatasetInfo,
    columns: Sequence[tuple[int, str, str, str | None]],
) -> None:
    """Write a new dataset's catalogue entry and column dictionary in the caller's transaction.

    Args:
        cur: The cursor of the transaction that also writes the dataset's table.
        entry: The catalogue entry.
        columns: ``(position, name, dtype, description)`` of each column.
    """
    cur.execute(
        compose(
            "INSERT INTO wb.datasets ({fields}) VALUES ({values})",
            fields=list(_FIELDS),
            values=placeholders(len(_FIELDS)),
        ),
        [getattr(entry, f) for f in _FIELDS],
    )
    cur.executemany(
        "INSERT INTO wb.columns (dataset, position, name, dtype, description) "
        "VALUES (?, ?, ?, ?, ?)",
        [[entry.name, int(position), name, dtype, text] for position, name, dtype, text in columns],
    )


def _not_found(ws: Workspace, name: str) -> DatasetNotFoundError:
    names = dataset_names(ws)
    if not names:
        return DatasetNotFoundError(
            f"There is no dataset called {name!r}.",
            hint="The workspace has no datasets yet: import a file or load a sample first.",
        )
    close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.6)
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return DatasetNotFoundError(
        f"There is no dataset called {name!r}.", hint=f"{hint}Datasets here: {shown}."
    )


def get_dataset(ws: Workspace, name: str) -> DatasetInfo:
    """The catalogue entry of one dataset.

    Args:
        ws: The workspace.
        name: The dataset name.

    Raises:
        DatasetNotFoundError: When there is no such dataset, naming close matches.
    """
    info = find_dataset(ws, name)
    if info is None:
        raise _not_found(ws, name)
    return info


def find_dataset(ws: Workspace, name: str) -> DatasetInfo | None:
    """The catalogue entry of one dataset, or None when there is no such dataset."""
    rows = ws.query(_SELECT + " WHERE name = ?", [name])
    return _info(rows[0]) if rows else None


def dataset_count(ws: Workspace) -> int:
    """How many datasets (sources, truth files, derived tables) the catalogue holds."""
    return int(ws.query("SELECT count(*) FROM wb.datasets")[0][0])


def parse_refresh_date(value: Any) -> date | None:
    """Turn a refresh date given as a date, datetime or ISO (or DD/MM/YYYY) text into a date.

    Raises:
        ValidationError: When the value is not a date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ValidationError(
        f"{value!r} is not a date.",
        [Problem(f"{value!r} is not a date; give it as YYYY-MM-DD", column="refresh_date")],
        hint="Give the refresh date as YYYY-MM-DD (for example 2024-03-31).",
    )


def normalise_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Check and tidy catalogue metadata: only editable fields, text trimmed, dates parsed.

    Empty text becomes ``None``.

    Args:
        values: Field name to value.

    Returns:
        The tidied values.

    Raises:
        ValidationError: Listing every unknown field and bad value.
    """
    problems: list[Problem] = []
    tidy: dict[str, Any] = {}
    for key, value in values.items():
        if key not in EDITABLE_FIELDS:
            problems.append(
                Problem(
                    f"{key!r} cannot be edited; editable fields are {', '.join(EDITABLE_FIELDS)}",
                    column=key,
                )
            )
            continue
        if key == "refresh_date":
            try:
                tidy[key] = parse_refresh_date(value)
            except ValidationError as exc:
                problems.extend(exc.problems)
            continue
        if value is None:
            tidy[key] = None
        elif not isinstance(value, str):
            problems.append(Problem(f"must be text, not {type(value).__name__}", column=key))
        elif len(value) > MAX_TEXT_LENGTH:
            problems.append(Problem(f"is longer than {MAX_TEXT_LENGTH:,} characters", column=key))
        else:
            tidy[key] = value.strip() or None
    if problems:
        raise ValidationError("The catalogue details are not valid.", problems)
    return tidy


def update_metadata(
    ws: Workspace, name: str, actor: str | None = None, **fields_: Any
) -> DatasetInfo:
    """Change a dataset's catalogue details: title, description, source system, owner, refresh date.

    Args:
        ws: The workspace.
        name: The dataset name.
        actor: Who made the change; defaults to the local user.
        **fields_: The fields to change; only :data:`EDITABLE_FIELDS`. ``refresh_date`` accepts
            a date or ISO ``YYYY-MM-DD`` text; empty text clears a field.

    Returns:
        The updated catalogue entry.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
        ValidationError: When a field is not editable or a value is invalid.
    """
    before = get_dataset(ws, name)
    tidy = normalise_metadata(fields_)
    if not tidy:
        return before
    now = utcnow()
    assignments = Sql(", ".join(compose("{key} = ?", key=key) for key in tidy))
    with ws.transaction() as cur:
        cur.execute(
            compose(
                "UPDATE wb.datasets SET {assignments}, updated_at = ? WHERE name = ?",
                assignments=assignments,
            ),
            [*tidy.values(), now, name],
        )
        changes = {
            key: {"from": getattr(before, key), "to": value}
            for key, value in tidy.items()
            if getattr(before, key) != value
        }
        ws.audit("dataset.update", target=name, detail=changes, actor=actor, cur=cur)
    return get_dataset(ws, name)


def column_dictionary(ws: Workspace, name: str) -> pd.DataFrame:
    """The column dictionary of a dataset.

    Args:
        ws: The workspace.
        name: The dataset name.

    Returns:
        One row per column: ``position``, ``name``, ``dtype``, ``description``, ``role`` and
        ``confirmed`` (role columns empty where no role has been stored).

    Raises:
        DatasetNotFoundError: When there is no such dataset.
    """
    get_dataset(ws, name)
    return ws.query_df(
        compose(
            "SELECT c.position, c.name, c.dtype, c.description, r.role, r.confirmed "
            "FROM wb.columns c LEFT JOIN ({roles}) r "
            "ON r.dataset = c.dataset AND r.column_name = c.name "
            "WHERE c.dataset = ? ORDER BY c.position",
            roles=stored_roles_query(),
        ),
        [name],
    )


def set_column_description(
    ws: Workspace, name: str, column: str, text: str | None, actor: str | None = None
) -> None:
    """Describe one column of a dataset in the column dictionary.

    Args:
        ws: The workspace.
        name: The dataset name.
        column: The column name.
        text: The description; empty or ``None`` clears it.
        actor: Who made the change; defaults to the local user.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
        ValidationError: When there is no such column or the text is too long.
    """
    get_dataset(ws, name)
    columns = [r[0] for r in ws.query("SELECT name FROM wb.columns WHERE dataset = ?", [name])]
    if column not in columns:
        close = difflib.get_close_matches(str(column), columns, n=3, cutoff=0.6)
        hint = f"Did you mean {' or '.join(repr(c) for c in close)}?" if close else None
        raise ValidationError(
            f"Dataset {name!r} has no column {column!r}.",
            [Problem("no such column", column=str(column))],
            hint=hint or f"Its columns are: {', '.join(columns)}.",
        )
    if text is not None and not isinstance(text, str):
        raise ValidationError(
            "A column description must be text.", [Problem("not text", column=column)]
        )
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            f"A column description can be at most {MAX_TEXT_LENGTH:,} characters.",
            [Problem("description too long", column=column)],
        )
    value = text.strip() or None if text is not None else None
    with ws.transaction() as cur:
        cur.execute(
            "UPDATE wb.columns SET description = ? WHERE dataset = ? AND name = ?",
            [value, name, column],
        )
        cur.execute("UPDATE wb.datasets SET updated_at = ? WHERE name = ?", [utcnow(), name])
        ws.audit(
            "dataset.column_description",
            target=name,
            detail={"column": column, "description": value},
            actor=actor,
            cur=cur,
        )


def preview(ws: Workspace, name: str, limit: int = 100) -> pd.DataFrame:
    """The first rows of a dataset.

    Args:
        ws: The workspace.
        name: The dataset name.
        limit: How many rows, at most (capped at 10,000).

    Raises:
        DatasetNotFoundError: When there is no such dataset.
    """
    get_dataset(ws, name)
    rows = max(0, min(int(limit), MAX_PREVIEW_ROWS))
    return ws.query_df(compose("SELECT * FROM {t} LIMIT ?", t=Sql(ws.dataset_table(name))), [rows])


def delete_dataset(ws: Workspace, name: str, actor: str | None = None) -> None:
    """Delete a dataset: its table and every ``wb`` row about it, in one transaction.

    Its columns, profile and column roles go with it (each removed by the module that owns
    the table), and a later version that pointed to this one points to this one's
    predecessor instead. The audit log keeps its entries.

    Args:
        ws: The workspace.
        name: The dataset name.
        actor: Who deleted it; defaults to the local user.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
    """
    info = get_dataset(ws, name)
    with ws.transaction() as cur:
        forget_roles(cur, name)
        forget_profile(cur, name)
        cur.execute("DELETE FROM wb.columns WHERE dataset = ?", [name])
        cur.execute(
            "UPDATE wb.datasets SET previous_version = ? WHERE previous_version = ?",
            [info.previous_version, name],
        )
        cur.execute("DELETE FROM wb.datasets WHERE name = ?", [name])
        cur.execute(f"DROP TABLE IF EXISTS {ws.dataset_table(name)}")
        ws.audit(
            "dataset.delete",
            target=name,
            detail={
                "rows": info.row_count,
                "source_file": info.source_file,
                "source_sha256": info.source_sha256,
                "version": info.version,
            },
            actor=actor or current_user(),
            cur=cur,
        )
    log.info("deleted dataset %s from %s.%s", name, DATA_SCHEMA, name)


def base_name(name: str) -> str:
    """The name shared by every version of a dataset: the name without its ``_vN`` suffix."""
    return re.sub(r"_v[0-9]+$", "", name) or name


def dataset_versions(ws: Workspace, name: str) -> list[DatasetInfo]:
    """Every version of a dataset (those sharing its base name), oldest first.

    Args:
        ws: The workspace.
        name: The name of any version.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
    """
    get_dataset(ws, name)
    base = base_name(name)
    chain_re = re.compile(rf"{re.escape(base)}(?:_v[0-9]+)?")
    rows = ws.query(
        _SELECT + " WHERE name = ? OR starts_with(name, ?) ORDER BY version, name",
        [base, f"{base}_v"],
    )
    return [_info(row) for row in rows if chain_re.fullmatch(row[0])]


def datasets_table(items: list[DatasetInfo]) -> pd.DataFrame:
    """The catalogue listing as a table for display: one row per dataset."""
    return pd.DataFrame(
        {
            "name": [d.name for d in items],
            "title": [d.title or "" for d in items],
            "kind": [d.kind for d in items],
            "source system": [d.source_system or "" for d in items],
            "rows": [d.row_count or 0 for d in items],
            "columns": [d.column_count or 0 for d in items],
            "owner": [d.owner or "" for d in items],
            "refreshed": [d.refresh_date for d in items],
            "imported": [d.imported_at for d in items],
        }
    )


def lineage_table(ws: Workspace, name: str) -> pd.DataFrame:
    """Where a dataset came from and its version chain, one row per version (newest last)."""
    versions = dataset_versions(ws, name)
    return pd.DataFrame(
        {
            "dataset": [d.name for d in versions],
            "version": [d.version for d in versions],
            "source file": [d.source_file or "" for d in versions],
            "format": [d.source_format or "" for d in versions],
            "bytes": [d.source_bytes for d in versions],
            "sha256": [d.source_sha256 or "" for d in versions],
            "imported at (UTC)": [d.imported_at for d in versions],
            "imported by": [d.imported_by or "" for d in versions],
            "previous version": [d.previous_version or "" for d in versions],
        }
    )


def save_column_descriptions(
    ws: Workspace,
    name: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    actor: str | None = None,
) -> int:
    """Save the descriptions that differ between two copies of the column dictionary.

    Args:
        ws: The workspace.
        name: The dataset.
        before: The dictionary as shown (from :func:`column_dictionary`).
        after: The same table after the user edited the ``description`` column.
        actor: Who made the change.

    Returns:
        How many descriptions changed.
    """
    old = dict(zip(before["name"], before["description"].fillna(""), strict=True))
    changed = 0
    for column, text in zip(after["name"], after["description"].fillna(""), strict=True):
        if old.get(column, "") != text:
            set_column_description(ws, name, column, text, actor=actor)
            changed += 1
    return changed
