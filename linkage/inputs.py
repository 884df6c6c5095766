"""Link inputs given by path or dataset name: read, assign roles, standardise.

What ``workbench link`` uses to turn CSV/Parquet files and workspace datasets into standardised
tables, and to write the linked output back beside the original columns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from linkage.data import is_model_column
from workbench.data.catalogue import dataset_names
from workbench.data.importer import detect_format, read_file
from workbench.errors import LinkageError, RoleError, ValidationError, first_line
from workbench.persons.role_suggest import suggest_roles
from workbench.persons.roles import (
    PERSON_ROLES,
    Role,
    RoleSuggestion,
    load_roles,
    validate_roles,
)
from workbench.persons.standardise import standardise_sql
from workbench.persons.value_formats import detect_value_formats
from workbench.sql import compose, qualified, quote_ident, suggest_dataset_name
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)

#: Column names taken as the record id when ``--unique-id`` is not given.
DEFAULT_ID_COLUMNS = ("unique_id", "id")
_OUTPUT_COLUMNS = ("source_dataset", "unique_id", "cluster_id")
_ROW = "__wb_row"


@dataclass
class LinkInput:
    """One input as read and standardised.

    Attributes:
        name: The ``source_dataset`` name.
        raw: The input as read, with ``unique_id`` (text) added at the front.
        roles: The role of each column used.
        standardised: The standardised person table.
        id_column: The column giving ``unique_id``, or ``None`` for the row number.
        notes: What the values showed (date formats, name order), in plain words.
        suggestions: The role suggested for each column and why (none for stored roles).
    """

    name: str
    raw: pd.DataFrame
    roles: dict[str, Role]
    standardised: pd.DataFrame
    id_column: str | None = None
    notes: list[str] = field(default_factory=list)
    suggestions: dict[str, RoleSuggestion] = field(default_factory=dict)


def parse_role_overrides(items: Sequence[str]) -> dict[str, str]:
    """Parse ``COLUMN=ROLE`` options.

    Raises:
        RoleError: For an item without ``=`` or with an unknown role.
    """
    out: dict[str, str] = {}
    valid = {r.value for r in Role}
    for item in items:
        column, sep, role = item.partition("=")
        column, role = column.strip(), role.strip().lower()
        if not sep or not column or not role:
            raise RoleError(
                f"--role {item!r} is not COLUMN=ROLE.", hint="For example --role fname=first_name."
            )
        if role not in valid:
            raise RoleError(
                f"--role {item!r}: {role!r} is not a known role.",
                hint="Valid roles are: " + ", ".join(sorted(valid)) + ".",
            )
        out[column] = role
    return out


def _with_original_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the columns back the headers the file had (the importer cleans them)."""
    originals = dict(frame.attrs.get("original_headers") or {})
    renamed = [originals.get(str(c), str(c)) for c in frame.columns]
    if not originals or len(set(renamed)) != len(renamed) or any(not c for c in renamed):
        return frame
    frame = frame.copy()
    frame.columns = renamed
    return frame


def read_input(spec: str, ws: Workspace | None) -> tuple[str, pd.DataFrame, dict[str, Role]]:
    """Read one input: a CSV/Parquet (or other importable) file, else a workspace dataset.

    File columns keep the headers as written in the file, so ``--role`` and the output use them.

    Returns:
        The dataset name, the data and the stored roles (empty for files).

    Raises:
        ValidationError: When the input is neither a readable file nor a dataset.
    """
    path = Path(spec)
    if path.is_file():
        return suggest_dataset_name(path.name), _with_original_headers(read_file(path)), {}
    if detect_format(path.name) is not None or path.suffix:
        raise ValidationError(
            f"There is no file {spec}.", hint="Check the path, or give a workspace dataset name."
        )
    if ws is not None and spec in dataset_names(ws):
        frame = ws.query_df(compose("SELECT * FROM {t}", t=qualified(DATA_SCHEMA, spec)))
        return spec, frame, dict(load_roles(ws, spec))
    raise ValidationError(
        f"{spec!r} is neither a file nor a dataset in the workspace.",
        hint="Give a CSV or Parquet path, or the name of an imported dataset.",
    )


def _id_column(frame: pd.DataFrame, unique_id: str | None, name: str) -> str | None:
    if unique_id is not None:
        if unique_id not in frame.columns:
            raise ValidationError(
                f"Input {name!r} has no column {unique_id!r} for --unique-id.",
                hint="Name a column present in every input, or leave --unique-id out.",
            )
        return unique_id
    for candidate in DEFAULT_ID_COLUMNS:
        if candidate in frame.columns:
            return candidate
    return None


def prepare_input(
    name: str,
    frame: pd.DataFrame,
    *,
    stored_roles: Mapping[str, Role] | None = None,
    overrides: Mapping[str, str] | None = None,
    unique_id: str | None = None,
    exclude: Sequence[str] = (),
) -> LinkInput:
    """Assign roles to one input and standardise it.

    Roles are the stored ones (workspace datasets) or suggested from names and values, then
    ``overrides`` applied. Columns in ``exclude`` (a truth column) are never given a role.
    The record id is ``unique_id``, else a column called unique_id or id, else the stored
    record id column, else the row number.

    Raises:
        ValidationError: For an empty input or an unknown id column.
        RoleError: For invalid roles, or when no column has a person role.
    """
    if frame.empty:
        raise ValidationError(
            f"Input {name!r} has no records.", hint="Give a file with at least one record."
        )
    columns = [str(c) for c in frame.columns]
    suggestions: dict[str, RoleSuggestion] = {}
    if stored_roles:
        roles: dict[str, Role] = dict(stored_roles)
    else:
        sample = frame.head(2000)
        candidates = [c for c in columns if c not in set(exclude)]
        suggestions = {s.column: s for s in suggest_roles(candidates, sample)}
        roles = {c: s.role for c, s in suggestions.items()}
    id_col = _id_column(frame, unique_id, name)
    stored_id = next((c for c, r in roles.items() if r is Role.RECORD_ID), None)
    if id_col is None and stored_roles and stored_id is not None:
        id_col = stored_id
    roles = {c: (Role.IGNORE if r is Role.RECORD_ID else r) for c, r in roles.items()}
    for column, role in (overrides or {}).items():
        if column in columns:
            roles[column] = Role(role)
    for column in exclude:
        roles[column] = Role.IGNORE
    if id_col is not None:
        roles[id_col] = Role.RECORD_ID
    roles = validate_roles(columns, roles)
    if not any(r in PERSON_ROLES for r in roles.values()):
        raise RoleError(
            f"No column of input {name!r} could be read as a name, date of birth, postcode or "
            "person identifier.",
            hint="Say which columns hold them with --role COLUMN=ROLE (for example "
            "--role fname=first_name).",
        )
    con = duckdb.connect()
    try:
        # Without an id column, records are numbered here, once, so the number names the same
        # record in the standardised table and in the output (a window over a parallel scan
        # would not).
        source = (
            frame.assign(**{_ROW: [str(i) for i in range(1, len(frame) + 1)]})
            if id_col is None
            else frame
        )
        con.register("link_input", source)
        types = {str(r[0]): str(r[1]) for r in con.execute("DESCRIBE link_input").fetchall()}
        formats = detect_value_formats(con, quote_ident("link_input"), types, roles)
        sql, params = standardise_sql(
            quote_ident("link_input"),
            types,
            roles,
            name,
            unique_id_column=_ROW if id_col is None else None,
            formats=formats,
        )
        standardised = con.execute(sql, params).df()
        raw = frame.copy()
        ids = (source[_ROW] if id_col is None else frame[id_col].astype("string")).to_numpy()
        # Standardised rows in the input's order, so columns kept beside them line up.
        if standardised["unique_id"].is_unique:
            order = pd.Index(standardised["unique_id"].astype(str)).get_indexer(
                pd.Index([str(i) for i in ids])
            )
            if len(order) == len(standardised) and (order >= 0).all():
                standardised = standardised.iloc[order].reset_index(drop=True)
    except (duckdb.Error, ValueError) as exc:
        raise LinkageError(
            f"Input {name!r} could not be standardised: {first_line(exc)}",
            hint="Check the roles given to its columns with --role COLUMN=ROLE.",
        ) from exc
    finally:
        con.close()
    raw = raw.drop(columns=[c for c in _OUTPUT_COLUMNS if c in raw.columns])
    raw.insert(0, "unique_id", pd.Series(ids, index=raw.index, dtype=object))
    raw.insert(0, "source_dataset", name)
    return LinkInput(
        name, raw, roles, standardised, id_col, notes=list(formats.notes), suggestions=suggestions
    )


def check_common_columns(inputs: Sequence[LinkInput]) -> list[str]:
    """Check several inputs have enough person columns in common to be linked.

    Returns:
        Notes on columns some inputs lack (they are treated as empty there).

    Raises:
        LinkageError: When the inputs share fewer than two filled person columns.
    """
    if len(inputs) < 2:
        return []
    filled = [
        {c for c, v in i.standardised.items() if is_model_column(str(c)) and v.notna().any()}
        for i in inputs
    ]
    common = set.intersection(*filled)
    if len(common) < 2:
        described = "; ".join(
            f"{i.name} has {', '.join(sorted(f)) or 'none'}"
            for i, f in zip(inputs, filled, strict=True)
        )
        raise LinkageError(
            f"The inputs have too few person columns in common to be linked ({described}).",
            hint="Give the same roles to matching columns in every input with --role "
            "COLUMN=ROLE, or link inputs that share names and dates of birth.",
        )
    everything = set.union(*filled)
    return [
        f"{i.name} lacks {', '.join(sorted(everything - f))}; treated as empty there."
        for i, f in zip(inputs, filled, strict=True)
        if everything - f
    ]


def linked_output(inputs: Sequence[LinkInput], clusters: pd.DataFrame) -> pd.DataFrame:
    """One row per input record: ``source_dataset``, ``unique_id``, ``cluster_id``, inputs."""
    raws = [i.raw for i in inputs]
    kinds: dict[str, set[str]] = {}
    for raw in raws:
        for column in raw.columns:
            kinds.setdefault(column, set()).add(str(raw[column].dtype))
    mixed = [c for c, k in kinds.items() if len(k) > 1]
    if mixed:
        raws = [
            r.assign(**{c: r[c].astype("string") for c in mixed if c in r.columns}) for r in raws
        ]
    combined = pd.concat(raws, ignore_index=True)
    ids = clusters[["source_dataset", "unique_id", "cluster_id"]].astype({"unique_id": object})
    out = combined.merge(ids, on=["source_dataset", "unique_id"], how="left", validate="1:1")
    head = list(_OUTPUT_COLUMNS)
    return out[head + [c for c in out.columns if c not in head]]
