"""Import files (CSV, TSV, Parquet, Excel, JSON) into the workspace as catalogued datasets.

Reading and writing are separate steps. :func:`read_file` parses bytes or a path into a typed
DataFrame and touches no workspace; :func:`import_frame` writes a DataFrame as a dataset; and
:func:`import_file` does both. Every problem found while reading is collected and raised once as
a :class:`~workbench.errors.DataImportError` naming file, row and column. Writing happens in one
transaction: the data table, its catalogue entry, its column dictionary and the audit entry are
all kept, or none of them is.

Text formats are read as text first and typed column by column afterwards
(:mod:`workbench.data.coltypes`): integers, decimals, booleans, ISO and UK (DD/MM/YYYY) dates and
timestamps. Columns that look like identifiers with leading zeros or a leading ``+`` (postcodes,
PNC ids, URNs, phone numbers) stay text. Delimited files are decoded and parsed as a stream
(:mod:`workbench.data.decoding`, :mod:`workbench.data.delimited`) into Arrow columns, typed with
Arrow and written to DuckDB from Arrow (:mod:`workbench.data.writing`), so that importing takes a
few times the file's size in memory. Parquet, Excel and JSON are read by
:mod:`workbench.data.readers`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, cast

import pandas as pd

from workbench.config import (
    ENV_IMPORT_DIRS,
    ENV_MAX_IMPORT_MB,
    import_folders,
    load_settings,
    shared_mode,
)
from workbench.data.catalogue import DatasetInfo
from workbench.data.coltypes import (
    InvalidColumn,
    InvalidValues,
    ParsedFile,
)
from workbench.data.decoding import detect_encoding
from workbench.data.delimited import read_delimited
from workbench.data.readers import read_excel, read_json, read_parquet
from workbench.data.writing import OnConflict, import_parsed
from workbench.errors import (
    AccessDeniedError,
    DataImportError,
    InvalidValuesError,
    Problem,
    ValidationError,
)
from workbench.sql import check_dataset_name, suggest_dataset_name
from workbench.workspace import Workspace

__all__ = [
    "SUPPORTED_FORMATS",
    "check_import_path",
    "detect_format",
    "import_file",
    "read_file",
]

SUPPORTED_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xls": "excel",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def _format_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB ({n:,} bytes)"
    return f"{n:,} bytes"


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_FORMATS))


def detect_format(filename: str) -> str | None:
    """The format name for a file name, from its extension; ``None`` when not supported.

    Args:
        filename: A file name or path; only its extension is read.
    """
    return SUPPORTED_FORMATS.get(Path(filename).suffix.lower())


def check_import_path(
    source: Path | str,
    folders: Sequence[Path] | None = None,
    restricted: bool | None = None,
) -> Path:
    """Refuse a path outside the folders this server may import from.

    Paths are resolved (``..`` and symbolic links followed) before they are compared, so a link
    inside an allowed folder that points elsewhere is refused too.

    Args:
        source: The path asked for.
        folders: The allowed folders; default :func:`workbench.config.import_folders`.
        restricted: Whether to check at all; default: when folders are configured or the app
            runs in shared mode (where no folder configured means no path import at all).

    Returns:
        The resolved path.

    Raises:
        AccessDeniedError: When the path is not inside an allowed folder.
    """
    allowed = tuple(import_folders() if folders is None else folders)
    if restricted is None:
        restricted = bool(allowed) or shared_mode()
    resolved = Path(source).expanduser().resolve()
    if not restricted:
        return resolved
    if not allowed:
        raise AccessDeniedError(
            "Importing from a path on the server is switched off here.",
            hint=f"Upload the file instead, or ask the administrator to set {ENV_IMPORT_DIRS} or "
            "the [import] folders of the configuration.",
        )
    if not any(resolved.is_relative_to(Path(folder).resolve()) for folder in allowed):
        raise AccessDeniedError(
            f"{source} is outside the folders this server imports from.",
            hint="Use a file in " + ", ".join(str(f) for f in allowed) + ", or upload it.",
        )
    return resolved


class _HashingReader(io.RawIOBase):
    """A binary stream that works out the SHA-256 and size of what is read through it."""

    def __init__(self, stream: BinaryIO, sha: Any, counter: list[int]) -> None:
        super().__init__()
        self._stream = stream
        self._sha = sha
        self._counter = counter

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._sha.update(data)
        self._counter[0] += len(data)
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()


@dataclass
class _Source:
    """A file to import: its name and size, and either its bytes or its path."""

    name: str
    size: int
    data: bytes | None = None
    path: Path | None = None
    given: str = ""

    def open(self) -> BinaryIO:
        """Open the bytes for reading."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None  # a source has bytes or a path
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise self._unreadable(exc) from exc

    def read(self) -> bytes:
        """All the bytes."""
        if self.data is not None:
            return self.data
        assert self.path is not None  # a source has bytes or a path
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc: OSError) -> DataImportError:
        return DataImportError(
            f"{self.given} cannot be read: {exc.strerror}.",
            [Problem(str(exc.strerror), file=self.given)],
            hint="Check that you may read the file.",
        )


def _load_source(source: Path | str | bytes, filename: str | None, max_bytes: int) -> _Source:
    """The file of a source, its existence and size checked (its bytes are not read yet)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        loaded = _Source(filename or "upload", len(data), data=data)
    else:
        path = check_import_path(source)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise DataImportError(
                f"{path} {what}.",
                [Problem(what, file=str(path))],
                hint="Check the path and try again.",
            )
        size = path.stat().st_size
        loaded = _Source(filename or Path(source).name, size, path=Path(source), given=str(source))
    if loaded.size > max_bytes:
        size, name = loaded.size, loaded.name
        raise DataImportError(
            f"{name} is {_format_size(size)}, larger than the import limit of "
            f"{_format_size(max_bytes)}.",
            [Problem("file too large", file=name)],
            hint=f"Raise the limit with the {ENV_MAX_IMPORT_MB} environment variable (in "
            f"megabytes, for example {ENV_MAX_IMPORT_MB}={max(1, (size >> 20) * 2)}) and restart, "
            "or import a smaller extract.",
        )
    return loaded


def _parse(
    source: _Source, fmt: str, sheet: str | int | None, invalid: InvalidValues = "text"
) -> ParsedFile:
    parsed = _parse_format(source, fmt, sheet, invalid)
    parsed.attrs["invalid_policy"] = invalid
    findings: list[InvalidColumn] = parsed.attrs.get("invalid_values") or []
    if findings and invalid == "refuse":
        name = source.name
        raise InvalidValuesError(
            f"{name} has {len(findings)} column(s) whose values are nearly all of one type, "
            "with some that are not.",
            [Problem(f.describe(), file=name, column=f.column) for f in findings],
            hint="Correct those values and import again, import them as missing "
            "(--invalid missing), or keep the columns as text (--invalid text).",
            findings=findings,
        )
    return parsed


def _parse_format(
    source: _Source, fmt: str, sheet: str | int | None, invalid: InvalidValues
) -> ParsedFile:
    name = source.name
    if fmt in ("csv", "tsv"):
        # the bytes are read twice, a piece at a time: for their encoding, then for the rows
        encoding = detect_encoding(source.open, name)
        sha = hashlib.sha256()
        counter = [0]

        def opener() -> BinaryIO:
            return cast(BinaryIO, _HashingReader(source.open(), sha, counter))

        parsed = read_delimited(opener, encoding, name, fmt, invalid)
        parsed.sha256, parsed.size = sha.hexdigest(), counter[0]
        return parsed
    data = source.read()
    if not data:
        raise DataImportError(f"{name} is empty.", [Problem("the file has no bytes", file=name)])
    if fmt == "parquet":
        parsed = read_parquet(data, name)
    elif fmt == "excel":
        parsed = read_excel(data, name, sheet, invalid)
    else:
        parsed = read_json(data, name, fmt, invalid)
    parsed.sha256, parsed.size = hashlib.sha256(data).hexdigest(), len(data)
    return parsed


def _unsupported(name: str) -> Problem:
    suffix = Path(name).suffix
    if not suffix:
        return Problem(
            "has no extension, so its type is unknown; give a file name ending in one of "
            f"{_supported_list()}",
            file=name,
        )
    return Problem(
        f"extension {suffix} is not supported; use one of {_supported_list()}", file=name
    )


def read_file(
    source: Path | str | bytes,
    filename: str | None = None,
    max_bytes: int | None = None,
    sheet: str | int | None = None,
    invalid: InvalidValues = "text",
) -> pd.DataFrame:
    """Parse a file into a typed DataFrame without touching any workspace.

    Column names are cleaned (see :func:`clean_column_names`); ``DataFrame.attrs`` holds the
    original headers under ``"original_headers"``.

    Args:
        source: A path, or the bytes of an upload.
        filename: The file name (needed with bytes to know the format; overrides a path's name).
        max_bytes: Largest size accepted; defaults to the configured limit.
        sheet: For Excel, the sheet name or 0-based index (the first sheet by default).
        invalid: Columns whose values are nearly all dates or numbers but not all (see
            :func:`infer_column_checked`): ``"text"`` keeps them as text, ``"missing"`` types
            them with the other values missing, ``"refuse"`` raises
            :class:`~workbench.errors.InvalidValuesError`. The findings are in
            ``DataFrame.attrs["invalid_values"]``.

    Returns:
        The parsed data.

    Raises:
        DataImportError: Listing every problem found, with file, row and column.
    """
    limit = load_settings().max_import_bytes if max_bytes is None else int(max_bytes)
    name = filename or (None if isinstance(source, bytes | bytearray) else Path(source).name)
    fmt = detect_format(name or "")
    if fmt is None:
        problem = _unsupported(name or "upload")
        raise DataImportError(
            f"{name or 'The upload'} is not a supported file type.",
            [problem],
            hint="Save it as CSV (UTF-8) or one of the other supported types.",
        )
    return _parse(_load_source(source, filename, limit), fmt, sheet, invalid).frame()


def _source_name(source: Path | str | bytes, filename: str | None) -> str:
    if filename:
        return filename
    if isinstance(source, bytes | bytearray | memoryview):
        return "upload"
    return Path(source).name


def import_file(
    ws: Workspace,
    source: Path | str | bytes,
    name: str | None = None,
    *,
    filename: str | None = None,
    title: str | None = None,
    description: str | None = None,
    source_system: str | None = None,
    owner: str | None = None,
    refresh_date: date | str | None = None,
    on_conflict: OnConflict = "error",
    max_bytes: int | None = None,
    sheet: str | int | None = None,
    actor: str | None = None,
    invalid: InvalidValues = "refuse",
) -> DatasetInfo:
    """Read a file and store it as a new dataset with its catalogue entry and lineage.

    Args:
        ws: The workspace to write to.
        source: A path, or the bytes of an upload.
        name: The dataset name; by default one made from the file name.
        filename: The file name of an upload (its extension gives the format).
        title: A human title for the catalogue.
        description: What the data is.
        source_system: Where it came from (police, cps, courts, other or free text).
        owner: Who is responsible for it.
        refresh_date: When the extract was taken (a date or ISO ``YYYY-MM-DD``).
        on_conflict: ``"error"`` to refuse an existing name, ``"version"`` to write
            ``<name>_v2``, ``_v3``, ... linked to the previous version.
        max_bytes: Largest file accepted; defaults to the configured limit.
        sheet: For Excel, the sheet name or 0-based index.
        actor: Who is importing; defaults to the local user.
        invalid: What to do with values that do not fit the type nearly all others in their
            column have (a date column with "not known" or 30 February): ``"refuse"`` (the
            default) names them and writes nothing, ``"missing"`` imports them as missing,
            ``"text"`` keeps such columns as text. Whatever is chosen is noted in the column
            dictionary.

    Returns:
        The catalogue entry of the new dataset.

    Raises:
        InvalidValuesError: When ``invalid`` is ``"refuse"`` and such values are found.
        DataImportError: Listing every problem found; nothing was written.
        DatasetExistsError: When the name is taken and ``on_conflict`` is ``"error"``.
        AccessDeniedError: When a path lies outside the folders configured for imports
            (:func:`check_import_path`); the refusal is logged.
    """
    display = _source_name(source, filename)
    problems: list[Problem] = []
    target = name if name is not None else suggest_dataset_name(Path(display).name)
    try:
        check_dataset_name(target)
    except ValidationError as exc:
        problems.append(Problem(f"{exc.message} {exc.hint or ''}".strip(), file=display))
    fmt = detect_format(display)
    if fmt is None:
        problems.append(_unsupported(display))
    parsed: ParsedFile | None = None
    if fmt is not None:
        limit = load_settings().max_import_bytes if max_bytes is None else int(max_bytes)
        try:
            loaded = _load_source(source, filename, limit)
            display = loaded.name
            parsed = _parse(loaded, fmt, sheet, invalid)
        except AccessDeniedError:
            ws.audit("access.denied", target=str(source), detail={"route": "import.path"})
            raise
        except DataImportError as exc:
            if not problems:
                raise
            problems.extend(exc.problems or [Problem(exc.message, file=display)])
    if problems:
        raise DataImportError(
            f"{display} cannot be imported.",
            problems,
            hint=f"Supported file types: {_supported_list()}."
            if fmt is None
            else "Fix the problems listed and import again.",
        )
    assert parsed is not None and fmt is not None  # set whenever there were no problems
    return import_parsed(
        ws,
        parsed,
        target,
        source_file=display,
        source_sha256=parsed.sha256 or "",
        source_format=fmt,
        source_bytes=parsed.size or 0,
        title=title,
        description=description,
        source_system=source_system,
        owner=owner,
        refresh_date=refresh_date,
        on_conflict=on_conflict,
        actor=actor,
    )
