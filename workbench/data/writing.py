"""Writing imported data as a dataset: the table, its catalogue entry, columns and audit entry.

All are written in one transaction: every one of them is kept, or none is. A table read from a
text file is handed to DuckDB as a stream of Arrow record batches, each let go of once DuckDB has
copied it, so that the data is not held twice while it is written.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from workbench.config import current_user
from workbench.data.catalogue import (
    DatasetInfo,
    add_entry,
    catalogued_chain,
    get_dataset,
    is_catalogued,
    normalise_metadata,
)
from workbench.data.coltypes import POOL, InvalidColumn, ParsedFile
from workbench.data.headers import clean_column_names, original_header_description
from workbench.errors import (
    DataImportError,
    DatasetExistsError,
    Problem,
    ValidationError,
    first_line,
)
from workbench.sql import check_dataset_name, compose, qualified
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)

OnConflict = Literal["error", "version"]


def _versioned_name(cur: Any, name: str) -> tuple[str, int, str | None]:
    """Choose the next free name in the chain of ``name``: ``<base>_vN`` with N one more."""
    base = re.sub(r"_v[0-9]+$", "", name) or name
    rows = catalogued_chain(cur, base)
    chain = [(n, v) for n, v in rows if n == base or re.fullmatch(rf"{re.escape(base)}_v\d+", n)]
    tables = {
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [DATA_SCHEMA],
        ).fetchall()
    }
    latest = max(chain, key=lambda nv: (nv[1], nv[0]), default=(name, 1))
    number = max([v for _, v in chain] + [1]) + 1
    while True:
        suffix = f"_v{number}"
        candidate = base[: 63 - len(suffix)] + suffix
        taken = candidate in tables or any(n == candidate for n, _ in rows)
        if not taken:
            return candidate, number, latest[0]
        number += 1


def _name_taken(cur: Any, name: str) -> bool:
    in_data = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [DATA_SCHEMA, name],
    ).fetchall()[0]
    return is_catalogued(cur, name) or bool(in_data[0])


def _notes_on_invalid(attrs: dict[str, Any]) -> dict[str, str]:
    findings: list[InvalidColumn] = attrs.get("invalid_values") or []
    done = (
        "imported as missing"
        if attrs.get("invalid_policy") == "missing"
        else "the column was kept as text"
    )
    return {f.column: f"{f.describe()}; {done}." for f in findings}


def invalid_value_notes(frame: pd.DataFrame) -> dict[str, str]:
    """Column -> a sentence on its invalid values and what the import did with them.

    Args:
        frame: A frame from :func:`workbench.data.importer.read_file` (its ``attrs`` carry the
            findings and policy).
    """
    return _notes_on_invalid(frame.attrs)


def _column_notes(attrs: dict[str, Any], originals: dict[str, str]) -> dict[str, str]:
    """The column dictionary's description of each column: its original header, invalid values."""
    notes = {column: original_header_description(text) for column, text in originals.items()}
    for column, note in _notes_on_invalid(attrs).items():
        notes[column] = f"{notes[column]} {note}" if column in notes else note[0].upper() + note[1:]
    return notes


def _to_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    frame = frame.copy(deep=False)
    frame.attrs = {}  # findings and headers are stored in the catalogue, not in the table
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):
        log.debug("falling back to registering the DataFrame directly")
        return frame


def _stream(table: pa.Table) -> pa.RecordBatchReader:
    """The table's record batches as a stream that lets go of each batch once it is read.

    The caller must hold no other reference to the table for its memory to go as it is read.
    """
    batches = table.to_batches()
    schema = table.schema
    del table

    def drain() -> Iterator[pa.RecordBatch]:
        while batches:
            yield batches.pop(0)
            POOL.release_unused()  # batches DuckDB has copied go back to the system

    return pa.RecordBatchReader.from_batches(schema, drain())


def _check_request(
    name: str,
    label: str,
    on_conflict: str,
    columns: int,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Check the name, the conflict choice, the metadata and the width; the clean metadata."""
    problems: list[Problem] = []
    try:
        check_dataset_name(name)
    except ValidationError as exc:
        problems.append(Problem(f"{exc.message} {exc.hint or ''}".strip(), file=label))
    if on_conflict not in ("error", "version"):
        problems.append(Problem(f"on_conflict must be 'error' or 'version', not {on_conflict!r}"))
    try:
        clean = normalise_metadata(metadata)
    except ValidationError as exc:
        problems.extend(exc.problems or [Problem(exc.message)])
        clean = {}
    if columns == 0:
        problems.append(Problem("the data has no columns", file=label))
    if problems:
        raise DataImportError(f"{label} cannot be imported.", problems)
    return clean


def import_frame(
    ws: Workspace,
    df: pd.DataFrame,
    name: str,
    *,
    source_file: str | None = None,
    source_sha256: str | None = None,
    source_format: str = "dataframe",
    source_bytes: int | None = None,
    kind: str = "source",
    is_sample: bool = False,
    title: str | None = None,
    description: str | None = None,
    source_system: str | None = None,
    owner: str | None = None,
    refresh_date: date | str | None = None,
    on_conflict: OnConflict = "error",
    actor: str | None = None,
) -> DatasetInfo:
    """Store a DataFrame as a new dataset, in one transaction with its catalogue entry.

    Column names are cleaned to unique, non-empty names; where a name changed, the original
    header is kept in the column description.

    Args:
        ws: The workspace to write to.
        df: The data.
        name: The dataset name.
        source_file: The file it came from, for lineage.
        source_sha256: The SHA-256 of the file's bytes.
        source_format: The file format (``csv``, ``parquet``, ...), or ``dataframe``.
        source_bytes: The size of the file.
        kind: What the dataset is (``source`` for imports; other modules use their own kinds).
        is_sample: Whether it is bundled sample data.
        title: A human title for the catalogue.
        description: What the data is.
        source_system: Where it came from.
        owner: Who is responsible for it.
        refresh_date: When the extract was taken (a date or ISO ``YYYY-MM-DD``).
        on_conflict: ``"error"`` to refuse an existing name, ``"version"`` to write the next
            ``<name>_vN``.
        actor: Who is importing; defaults to the local user.

    Returns:
        The catalogue entry of the new dataset.

    Raises:
        DataImportError: When the name or the metadata is invalid, or the frame has no columns.
        DatasetExistsError: When the name is taken and ``on_conflict`` is ``"error"``.
    """
    label = source_file or name
    metadata = _check_request(
        name,
        label,
        on_conflict,
        len(df.columns),
        {
            "title": title,
            "description": description,
            "source_system": source_system,
            "owner": owner,
            "refresh_date": refresh_date,
        },
    )
    originals: dict[str, str] = dict(df.attrs.get("original_headers") or {})
    names, renamed = clean_column_names([str(c) for c in df.columns])
    if list(df.columns) != names:
        originals = {
            new: originals.get(str(old), renamed.get(new, str(old)))
            for old, new in zip(df.columns, names, strict=True)
            if new != str(old) or str(old) in originals
        }
        frame = df.copy()
        frame.columns = names
    else:
        frame = df
    return _write(
        ws,
        _to_arrow(frame),
        len(frame),
        name,
        notes=_column_notes(df.attrs, originals),
        metadata=metadata,
        label=label,
        lineage={
            "source_file": source_file,
            "source_sha256": source_sha256,
            "source_format": source_format,
            "source_bytes": source_bytes,
        },
        kind=kind,
        is_sample=is_sample,
        on_conflict=on_conflict,
        actor=actor,
    )


def import_parsed(
    ws: Workspace,
    parsed: ParsedFile,
    name: str,
    *,
    source_file: str,
    source_format: str,
    source_sha256: str,
    source_bytes: int,
    on_conflict: OnConflict = "error",
    actor: str | None = None,
    **metadata: Any,
) -> DatasetInfo:
    """Store a file read by the importer as a new dataset, as :func:`import_frame` does.

    An Arrow table is streamed into DuckDB and taken out of ``parsed`` (``parsed.data`` is
    emptied), so that its memory goes as it is written.

    Args:
        ws: The workspace to write to.
        parsed: The file as read (its columns already have clean names).
        name: The dataset name.
        source_file: The file's name, for lineage.
        source_format: The file format.
        source_sha256: The SHA-256 of the file's bytes.
        source_bytes: The size of the file.
        on_conflict: ``"error"`` or ``"version"``, as for :func:`import_frame`.
        actor: Who is importing; defaults to the local user.
        **metadata: ``title``, ``description``, ``source_system``, ``owner``, ``refresh_date``.

    Returns:
        The catalogue entry of the new dataset.
    """
    if isinstance(parsed.data, pd.DataFrame):
        return import_frame(
            ws,
            parsed.frame(),
            name,
            source_file=source_file,
            source_sha256=source_sha256,
            source_format=source_format,
            source_bytes=source_bytes,
            on_conflict=on_conflict,
            actor=actor,
            **metadata,
        )
    lineage: dict[str, Any] = {
        "source_file": source_file,
        "source_sha256": source_sha256,
        "source_format": source_format,
        "source_bytes": source_bytes,
    }
    table = parsed.data
    clean = _check_request(name, source_file, on_conflict, table.num_columns, metadata)
    rows = table.num_rows
    notes = _column_notes(parsed.attrs, dict(parsed.attrs.get("original_headers") or {}))
    parsed.data = pa.table({})
    stream = _stream(table)
    del table
    return _write(
        ws,
        stream,
        rows,
        name,
        notes=notes,
        metadata=clean,
        label=source_file,
        lineage=lineage,
        kind="source",
        is_sample=False,
        on_conflict=on_conflict,
        actor=actor,
    )


def _write(
    ws: Workspace,
    payload: pa.Table | pa.RecordBatchReader | pd.DataFrame,
    rows: int,
    name: str,
    *,
    notes: dict[str, str],
    metadata: dict[str, Any],
    label: str,
    lineage: dict[str, Any],
    kind: str,
    is_sample: bool,
    on_conflict: str,
    actor: str | None,
) -> DatasetInfo:
    """Write the table, its catalogue entry, column dictionary and audit entry in one go."""
    who = actor or current_user()
    now = utcnow()
    tmp = f"import_{uuid.uuid4().hex}"
    try:
        with ws.transaction() as cur:
            version, previous = 1, None
            if _name_taken(cur, name):
                if on_conflict == "error":
                    raise DatasetExistsError(
                        f"A dataset called {name!r} exists already.",
                        hint="Choose another name, or import it as a new version "
                        "(on_conflict='version').",
                    )
                name, version, previous = _versioned_name(cur, name)
            cur.register(tmp, payload)
            del payload
            try:
                cur.execute(
                    compose(
                        "CREATE TABLE {table} AS SELECT * FROM {source}",
                        table=qualified(DATA_SCHEMA, name),
                        source=tmp,
                    )
                )
            except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
                raise DataImportError(
                    f"{label} cannot be stored: a column holds values of mixed types.",
                    [Problem(first_line(exc), file=label)],
                    hint="Make each column hold one kind of value, or import the file as CSV.",
                ) from exc
            finally:
                cur.unregister(tmp)
            types = cur.execute(
                "SELECT column_name, data_type, ordinal_position FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [DATA_SCHEMA, name],
            ).fetchall()
            entry = DatasetInfo(
                name=name,
                kind=kind,
                title=metadata.get("title"),
                description=metadata.get("description"),
                source_system=metadata.get("source_system"),
                owner=metadata.get("owner"),
                refresh_date=metadata.get("refresh_date"),
                row_count=rows,
                column_count=len(types),
                source_file=lineage["source_file"],
                source_sha256=lineage["source_sha256"],
                source_format=lineage["source_format"],
                source_bytes=lineage["source_bytes"],
                imported_at=now,
                imported_by=who,
                is_sample=bool(is_sample),
                version=version,
                previous_version=previous,
                updated_at=now,
            )
            add_entry(
                cur,
                entry,
                [
                    (int(position), column, dtype, notes.get(column))
                    for column, dtype, position in types
                ],
            )
            ws.audit(
                "dataset.import",
                target=name,
                detail={
                    **lineage,
                    "rows": rows,
                    "columns": len(types),
                    "version": version,
                    "previous_version": previous,
                    "kind": kind,
                },
                actor=who,
                cur=cur,
            )
    except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
        raise DatasetExistsError(
            f"A dataset called {name!r} was created elsewhere while this import was running.",
            hint="Import again, choosing another name or asking for a new version.",
        ) from exc
    log.info("imported %s as %s (%s rows, %s columns)", label, name, rows, len(types))
    return get_dataset(ws, name)
