"""The inputs of a link run as a refresh needs them: their roles and id columns for the output's
metadata, their standardised fields in the output's order, the roles a source had before, new
extracts numbered on after the earlier ones, and output tables stacked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from linkage.clusters.linked_file import LinkedFileInfo, LinkedRun
from linkage.model.predict import node_index, node_positions_of
from workbench.errors import LinkageError

log = logging.getLogger(__name__)


def sources_meta(inputs: Sequence[Any]) -> dict[str, Any]:
    """Each input's roles and id column (from :class:`linkage.inputs.LinkInput`), for metadata."""
    return {
        i.name: {
            "roles": {str(c): str(getattr(r, "value", r)) for c, r in i.roles.items()},
            "id_column": i.id_column,
        }
        for i in inputs
    }


def standardised_rows(inputs: Sequence[Any], table: pd.DataFrame) -> pd.DataFrame:
    """The inputs' standardised fields in the row order of ``table`` (their linked output)."""
    std = pd.concat([i.standardised for i in inputs], ignore_index=True)
    std["unique_id"] = std["unique_id"].astype(str).astype(object)
    positions = node_index(std["source_dataset"], std["unique_id"])
    order = node_positions_of(positions, table["source_dataset"], table["unique_id"])
    if (order < 0).any():
        raise LinkageError("Some output records have no standardised fields.")
    return std.take(order).reset_index(drop=True)


def stored_roles_for(
    previous: LinkedRun | LinkedFileInfo, name: str, frame: pd.DataFrame
) -> dict[str, Any]:
    """The roles of a new extract's columns: those its source had in the previous run.

    When the extract's columns changed (one renamed, one dropped, one added), the columns it
    still has keep their earlier roles and only its new columns get suggested roles (from
    their names and a sample of their values), taking no single-valued role a kept column
    holds; a role whose column is gone is said as a warning.

    Returns:
        ``{column: Role}``, empty when the source is new (roles are then suggested afresh).
    """
    from workbench.persons.role_suggest import suggest_roles
    from workbench.persons.roles import MULTI_VALUED_ROLES, Role

    source = previous.meta.get("sources", {}).get(name)
    if not source:
        return {}
    columns = [str(c) for c in frame.columns]
    stored = {c: Role(r) for c, r in source.get("roles", {}).items()}
    roles = {c: r for c, r in stored.items() if c in columns}
    gone = [c for c, r in stored.items() if c not in columns and r is not Role.IGNORE]
    fresh = [c for c in columns if c not in stored]
    if not gone and not fresh:
        return roles
    held = {r for r in roles.values() if r is not Role.IGNORE}
    given = []
    for suggestion in suggest_roles(fresh, frame.head(2000)) if fresh else []:
        role = suggestion.role
        if role is Role.IGNORE or (role in held and role not in MULTI_VALUED_ROLES):
            continue
        roles[suggestion.column] = role
        held.add(role)
        given.append(f"{suggestion.column} as {role.value}")
    said = [f"it lacks {', '.join(gone)}"] if gone else []
    said += [f"new columns read as {', '.join(given)}"] if given else []
    if said:
        log.warning("the columns of %s changed since the previous run: %s", name, "; ".join(said))
    return roles


def number_on(previous: LinkedRun, item: Any) -> Any:
    """Renumber a new extract whose records are numbered by row, after the earlier ones.

    Records of a source without an id column are numbered 1, 2, ... in each extract; numbering
    them on after the highest earlier number keeps them from replacing earlier records.
    """
    if item.id_column is not None:
        return item
    earlier = previous.table.loc[previous.table["source_dataset"] == item.name, "unique_id"]
    start = int(pd.to_numeric(earlier, errors="coerce").max()) if len(earlier) else 0
    start = max(start, 0) if start == start else 0
    mapping = {str(k): str(k + start) for k in range(1, len(item.raw) + 1)}
    item.raw["unique_id"] = item.raw["unique_id"].astype(str).map(mapping).astype(object)
    item.standardised["unique_id"] = (
        item.standardised["unique_id"].astype(str).map(mapping).astype(object)
    )
    return item


_KEY_COLUMNS = ("source_dataset", "unique_id", "cluster_id")


def content_keys(frame: pd.DataFrame) -> pd.Series:
    """One text per row holding every value of the row (a missing value written apart from
    any text), so rows with equal values, and only those, have equal keys."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] == 0:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    text = pa.large_string()
    parts = [
        pc.fill_null(pa.array(frame[c].astype("string")).cast(text), pa.scalar("\x00", text))
        for c in frame.columns
    ]
    keys = pc.binary_join_element_wise(*parts, pa.scalar("\x1f", text))
    return pd.Series(keys.to_pandas(), index=frame.index).astype(object)


def _earlier_records(previous: LinkedRun, item: Any) -> tuple[pd.DataFrame, list[str]]:
    """The previous run's records of the item's source, and the input columns both hold."""
    prev = previous.table
    earlier = prev.loc[prev["source_dataset"] == item.name]
    shared = set(earlier.columns) - set(_KEY_COLUMNS)
    return earlier, [c for c in item.raw.columns if c in shared]


def _numbered(keys: pd.Series) -> pd.Series:
    """Each key marked with its occurrence after the first (the first row with a key keeps it
    bare, the second gets a mark 1, and so on), so equal rows pair off in order."""
    occurrence = keys.groupby(keys, sort=False).cumcount()
    again = occurrence.to_numpy() > 0
    if not again.any():
        return keys
    keys = keys.copy()
    keys[again] = keys[again] + "\x1e" + occurrence[again].astype(str)
    return keys


def carry_row_numbers(previous: LinkedRun, item: Any) -> int:
    """Give a relinked source numbered by row its earlier numbers, finding records by content.

    A source without a record id column numbers its records 1, 2, ... by row, so in another
    extract of it (rows added, dropped or in another order) one number can name another
    record, and a relink would carry earlier person ids to the wrong records. Instead a record
    whose input columns all equal an earlier record's takes that record's number (equal records
    pair off in order), and the others are numbered on after the highest earlier number, as a
    refresh numbers new records.

    Returns:
        How many of the item's records (renumbered in place) matched an earlier record.
    """
    if item.id_column is not None:
        return 0
    earlier, columns = _earlier_records(previous, item)
    if earlier.empty:
        return 0
    if not columns:  # nothing to compare: every record is numbered on, as new
        number_on(previous, item)
        return 0
    old_keys = _numbered(content_keys(earlier[columns].reset_index(drop=True)))
    new_keys = _numbered(content_keys(item.raw[columns].reset_index(drop=True)))
    found = pd.Series(earlier["unique_id"].astype(str).to_numpy(dtype=object), index=old_keys)
    carried = new_keys.map(found)
    start = pd.to_numeric(earlier["unique_id"], errors="coerce").max()
    start = int(start) if start == start else 0
    fresh = carried.isna().to_numpy()
    numbers = carried.to_numpy(dtype=object)
    numbers[fresh] = [str(start + k) for k in range(1, int(fresh.sum()) + 1)]
    mapping = dict(zip(item.raw["unique_id"].astype(str).tolist(), numbers.tolist(), strict=True))
    item.raw["unique_id"] = pd.Series(numbers, index=item.raw.index, dtype=object)
    item.standardised["unique_id"] = (
        item.standardised["unique_id"].astype(str).map(mapping).astype(object)
    )
    return int((~fresh).sum())


def repeated_records(previous: LinkedRun, item: Any) -> int:
    """How many records of a new extract numbered by row equal an earlier record of its source
    (a refresh adds them as new records: without ids they cannot be told from repeats)."""
    if item.id_column is not None:
        return 0
    earlier, columns = _earlier_records(previous, item)
    if earlier.empty or not columns:
        return 0
    old_keys = set(content_keys(earlier[columns]).tolist())
    return int(content_keys(item.raw[columns]).isin(old_keys).sum())


def combine_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack output tables, turning a column typed differently in different tables into text."""
    kinds: dict[str, set[str]] = {}
    for t in tables:
        for c in t.columns:
            kinds.setdefault(str(c), set()).add(str(t[c].dtype))
    mixed = [c for c, k in kinds.items() if len(k) > 1]
    if mixed:
        tables = [
            t.assign(**{c: t[c].astype("string") for c in mixed if c in t.columns}) for t in tables
        ]
    return pd.concat(tables, ignore_index=True)
