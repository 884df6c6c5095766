"""Import files (CSV, TSV, Parquet, Excel, JSON) into the workspace as catalogued datasets.

Reading and writing are separate steps. :func:`read_file` parses bytes or a path into a typed
DataFrame and touches no workspace; :func:`import_frame` writes a DataFrame as a dataset; and
:func:`import_file` does both. Every problem found while reading is collected and raised once as
a :class:`~workbench.errors.DataImportError` naming file, row and column. Writing happens in one
transaction: the data table, its catalogue entry, its column dictionary and the audit entry are
all kept, or none of them is.

Text formats are read as text first and typed column by column afterwards: integers, decimals,
booleans, ISO and UK (DD/MM/YYYY) dates and timestamps. Columns that look like identifiers with
leading zeros or a leading ``+`` (postcodes, PNC ids, URNs, phone numbers) stay text. Delimited
rows move into Arrow string columns a chunk at a time, so reading takes a few times the file's
size in memory rather than many.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import uuid
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from workbench.config import (
    ENV_IMPORT_DIRS,
    ENV_MAX_IMPORT_MB,
    current_user,
    import_folders,
    load_settings,
    shared_mode,
)
from workbench.data.catalogue import DatasetInfo, get_dataset, normalise_metadata
from workbench.errors import (
    AccessDeniedError,
    DataImportError,
    DatasetExistsError,
    InvalidValuesError,
    Problem,
    ValidationError,
)
from workbench.sql import check_dataset_name, quote_ident, suggest_dataset_name
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)

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

DELIMITERS = (",", "\t", ";", "|")
MAX_PROBLEMS = 100
#: Most columns a file may have (wider files are almost always transposed or malformed).
MAX_IMPORT_COLUMNS = 5_000
#: Rows of delimited text held as Python lists before they move into Arrow columns.
CHUNK_ROWS = 10_000
#: Deepest nesting of objects and arrays accepted in a JSON file (a record is depth 1).
MAX_JSON_DEPTH = 32
SNIFF_BYTES = 64 * 1024

OnConflict = Literal["error", "version"]

# Tokens that mean "no value" when a column is otherwise numeric, boolean or a date.
_MISSING_TOKENS = frozenset({"", "na", "n/a", "null", "none", "nan", "#n/a", "-"})
_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})
_INT_RE = r"-?(?:0|[1-9][0-9]{0,17})"
# A decimal has a point or an exponent; bare digit runs are integers (long ones stay text).
_DEC_RE = (
    r"-?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][+-]?[0-9]+)"
    rf"|{_INT_RE}"
)
_ISO_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_UK_DATE_RE = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
_ISO_TS_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?Z?"
_UK_TS_RE = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{2}:[0-9]{2}(?::[0-9]{2})?"
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_TS_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y",
)


# --------------------------------------------------------------------------- helpers


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


def clean_column_names(headers: Sequence[Any]) -> tuple[list[str], dict[str, str]]:
    """Turn headers into unique, non-empty lower-case column names.

    Blank headers become ``column_N`` (N being the 1-based position) and repeats get ``_2``,
    ``_3`` and so on.

    Args:
        headers: The headers as found in the file.

    Returns:
        The cleaned names, and a mapping from each cleaned name that differs from its header to
        that original header.
    """
    names: list[str] = []
    originals: dict[str, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        text = "" if header is None or (isinstance(header, float) and pd.isna(header)) else header
        original = str(text)
        base = re.sub(r"\W+", "_", original.strip().lower()).strip("_")
        if not base:
            base = f"column_{position}"
        candidate = base
        suffix = 2
        while candidate in seen:
            candidate = f"{base}_{suffix}"
            suffix += 1
        seen.add(candidate)
        names.append(candidate)
        if candidate != original:
            originals[candidate] = original
    return names, originals


def _original_header_description(original: str) -> str:
    return f"Original header: {original!r}" if original.strip() else "Original header: (blank)"


# ---------------------------------------------------------------------- decoding


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting UTF-8 (with or without BOM), UTF-16 or cp1252.

    Args:
        data: The raw bytes.
        filename: Used in messages only.

    Returns:
        The text and the name of the encoding used.

    Raises:
        DataImportError: When the bytes are none of the supported encodings.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataImportError(
                f"{filename} cannot be read: it starts like UTF-16 text but is not valid UTF-16.",
                [Problem(f"invalid UTF-16 at byte {exc.start}", file=filename)],
                hint="Save it again as CSV UTF-8 and import that.",
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error
    _refuse_mixed_encoding(data, filename, first_bad.start)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_like_text(text):
        log.info("%s is not UTF-8; read as Windows-1252 (cp1252)", filename)
        return text, "cp1252"
    row = data[: first_bad.start].count(b"\n") + 1
    byte = data[first_bad.start : first_bad.start + 1].hex()
    raise DataImportError(
        f"{filename} cannot be read as text: it is not UTF-8, UTF-8 with BOM, UTF-16 or "
        "Windows-1252 (cp1252).",
        [Problem(f"byte 0x{byte} cannot be decoded", file=filename, row=row)],
        hint="Check that it is a text file (not a binary or a damaged file) and save it again "
        "as CSV UTF-8.",
    )


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _refuse_mixed_encoding(data: bytes, filename: str, bad_at: int) -> None:
    """Refuse bytes that hold UTF-8 text on some rows and another encoding on others.

    Read as one encoding, such a file would garble the other rows' accented letters. A
    multi-byte UTF-8 sequence (such as ``é`` written as ``C3 A9``) besides bytes that are not
    UTF-8 is the sign; two such characters in a row written in Windows-1252 (``Ã©``) are rare
    enough in names and places to be taken as UTF-8.
    """
    found = _UTF8_SEQUENCE.search(data)
    if found is None:
        return
    utf8_row = data[: found.start()].count(b"\n") + 1
    bad_row = data[:bad_at].count(b"\n") + 1
    line_start = data.rfind(b"\n", 0, found.start()) + 1
    line_end = data.find(b"\n", found.start())
    example = data[line_start : line_end if line_end >= 0 else None].decode("utf-8", "replace")
    raise DataImportError(
        f"{filename} mixes text encodings: some rows are UTF-8 and others are not, so any one "
        "reading would garble accented letters.",
        [
            Problem(f"is UTF-8 ({example.strip()[:40]!r})", file=filename, row=utf8_row),
            Problem(
                f"byte 0x{data[bad_at : bad_at + 1].hex()} is not UTF-8 (probably Windows-1252)",
                file=filename,
                row=bad_row,
            ),
        ],
        hint="Open the file in the program that made it and save it again as CSV UTF-8, then "
        "import that.",
    )


def _looks_like_text(text: str) -> bool:
    """Whether decoded text is plausible text rather than binary decoded by accident."""
    if "\x00" in text:
        return False
    sample = text[:SNIFF_BYTES]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls <= max(1, len(sample) // 1000)


# ----------------------------------------------------------------- delimited text


def detect_delimiter(sample: str, preferred: str | None = None) -> str:
    """Choose the delimiter of delimited text among comma, tab, semicolon and pipe.

    ``csv.Sniffer`` proposes one; it is kept only when it splits the header into more than one
    field and most sample rows have as many fields as the header. Otherwise each candidate is
    scored on those two checks and the best is used.

    Args:
        sample: The start of the text.
        preferred: The delimiter to use when nothing splits the header (a ``.tsv`` file: tab).
    """
    lines = sample.splitlines()
    if len(sample) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    lines = [line for line in lines if line.strip()][:50]
    if not lines:
        return preferred or ","

    def score(delimiter: str) -> tuple[float, int]:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter, quotechar='"'))
        except csv.Error:
            return (0.0, 0)
        if not rows or len(rows[0]) < 2:
            return (0.0, 0)
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(1 for row in body if len(row) == width) / len(body)
        return (consistent, width)

    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in DELIMITERS and score(sniffed)[0] >= 0.9:
        return sniffed
    scores = {d: score(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (scores[d], d == preferred))
    if scores[best][1] < 2:
        return preferred or ","
    return best


def _text_lines(text: str) -> Iterable[str]:
    """The lines of ``text`` with their endings, one at a time (no copy of the whole text).

    Text whose lines end in a bare carriage return (old Mac files) is read through
    :class:`io.StringIO`, which splits on it.
    """
    if "\n" not in text and "\r" in text:
        yield from io.StringIO(text, newline="")
        return
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


class _Columns:
    """Rows of delimited text gathered column by column as Arrow strings, a chunk at a time.

    Python lists of row lists take many times the size of the file; Arrow string arrays take
    about its size, so rows are moved into them every :data:`CHUNK_ROWS` rows.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.chunks: list[list[pa.Array]] = [[] for _ in range(width)]
        self.pending: list[list[str]] = []
        self.lines: array[int] = array("q")
        self.count = 0

    def add(self, record: list[str], line: int) -> None:
        """Add one row and the file line it starts on."""
        self.pending.append(record)
        self.lines.append(line)
        self.count += 1
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Move the pending rows into the Arrow columns."""
        if not self.pending:
            return
        for j in range(self.width):
            self.chunks[j].append(pa.array([row[j] for row in self.pending], type=pa.string()))
        self.pending = []

    def columns(self) -> list[pd.Series]:
        """The columns as pandas text series backed by Arrow."""
        self.flush()
        dtype = pd.StringDtype("pyarrow")
        out = []
        for j in range(self.width):
            chunked = pa.chunked_array(self.chunks[j], type=pa.string())
            self.chunks[j] = []
            out.append(pd.Series(pd.array(chunked, dtype=dtype)))
        return out


def _parse_delimited(text: str, filename: str, preferred: str | None) -> tuple[list[str], _Columns]:
    if not text.strip():
        raise DataImportError(
            f"{filename} is empty.",
            [Problem("the file has no header and no rows", file=filename)],
            hint="Choose a file with a header row and at least one row of data.",
        )
    delimiter = detect_delimiter(text[:SNIFF_BYTES], preferred)
    log.debug("%s: delimiter %r", filename, delimiter)
    reader = csv.reader(_text_lines(text), delimiter=delimiter, quotechar='"')
    header: list[str] | None = None
    rows: _Columns | None = None
    problems: list[Problem] = []
    ragged = 0
    start_line = line = 1
    record: list[str] = []
    try:
        for record in reader:
            line = start_line
            start_line = reader.line_num + 1
            if not record or not "".join(record).strip():
                continue  # blank lines carry no data
            if header is None or rows is None:
                _check_width(len(record), filename)
                header = record
                rows = _Columns(len(header))
                continue
            width = len(header)
            if len(record) > width and not any(f.strip() for f in record[width:]):
                record = record[:width]
            if len(record) != width:
                ragged += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(
                        Problem(
                            f"has {len(record)} fields but the header has {width}",
                            file=filename,
                            row=line,
                        )
                    )
                continue
            rows.add(record, line)
    except csv.Error as exc:
        problems.append(
            Problem(f"cannot be parsed: {exc}", file=filename, row=reader.line_num or None)
        )
    if header is None or rows is None:
        raise DataImportError(
            f"{filename} is empty.",
            [Problem("the file has no header and no rows", file=filename)],
            hint="Choose a file with a header row and at least one row of data.",
        )
    _check_closed_quotes(text, filename, header, record, line)
    if ragged:
        if ragged > len(problems):
            problems.append(
                Problem(f"{ragged} rows in all have the wrong number of fields", file=filename)
            )
        sep = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delimiter]
        raise DataImportError(
            f"{filename} has {ragged} row(s) with a different number of fields from the header "
            f"(fields separated by {sep}).",
            problems,
            hint="Fix those rows (often an unquoted delimiter inside a value, or a missing "
            "field) and import again.",
        )
    if problems:
        raise DataImportError(f"{filename} cannot be parsed as delimited text.", problems)
    if not rows.count:
        raise DataImportError(
            f"{filename} has a header but no rows of data.",
            [Problem("header only, no rows", file=filename, row=1)],
            hint="Choose a file with at least one row of data below the header.",
        )
    return header, rows


def _check_width(columns: int, filename: str) -> None:
    """Refuse a file with more than :data:`MAX_IMPORT_COLUMNS` columns before reading its rows."""
    if columns > MAX_IMPORT_COLUMNS:
        raise DataImportError(
            f"{filename} has {columns:,} columns; the workbench imports files of up to "
            f"{MAX_IMPORT_COLUMNS:,}.",
            [Problem(f"{columns:,} columns in the header", file=filename, row=1)],
            hint="Check the file is not transposed (one record per column), or keep only the "
            "columns needed and import that.",
        )


def _check_closed_quotes(
    text: str, filename: str, header: list[str], last: list[str], line: int
) -> None:
    """Refuse a file whose last record is a quoted value that runs to the end of the file.

    A quote that is opened and never closed makes the reader take the rest of the file as one
    value, so the file would import with its rows silently merged. Valid delimited text holds
    an even number of quote characters; an odd count with a last record spanning lines is the
    sign.
    """
    if text.count('"') % 2 == 0 or not last:
        return
    spanning = [i for i, field in enumerate(last) if "\n" in field or "\r" in field]
    if not spanning:
        return
    index = spanning[0]
    column = header[index] if index < len(header) else None
    swallowed = len(last[index].splitlines())
    raise DataImportError(
        f"{filename} has a quote that is opened and never closed, so the rest of the file "
        f"({swallowed:,} lines) would be read as one value.",
        [
            Problem(
                "a quoted value starts here and is never closed",
                file=filename,
                row=line,
                column=column,
            )
        ],
        hint='Close the quote (or double a quote inside a value: "") and import again.',
    )


# -------------------------------------------------------------------- type inference


def _full(pattern: str, values: pd.Series) -> bool:
    return bool(values.str.fullmatch(pattern).all())


def _parse_unique(values: pd.Series, formats: Iterable[str], kind: str) -> dict[str, Any] | None:
    """Parse each distinct value with the first format that fits; ``None`` if any does not."""
    parsed = _parse_each(values, formats, kind)
    return parsed if len(parsed) == values.nunique() else None


#: Share of a column's values that must read as one type before the rest count as invalid
#: values of that type (rather than the column simply being text).
NEAR_TYPED_SHARE = 0.9
#: Examples of invalid values named per column.
MAX_EXAMPLES = 5

InvalidValues = Literal["refuse", "missing", "text"]
#: The choices for such values, in words.
INVALID_LABELS: dict[str, str] = {
    "refuse": "Refuse the file and name them",
    "missing": "Import them as missing",
    "text": "Keep such columns as text",
}


@dataclass(frozen=True)
class InvalidColumn:
    """A column whose values are nearly all of one type, with the values that are not.

    Attributes:
        column: The column name.
        kind: What the other values are, in words ("dates", "numbers", "dates and times").
        invalid: How many values are not of that kind.
        present: How many values are present (not missing).
        examples: Up to :data:`MAX_EXAMPLES` (row, value) pairs; rows count the header as row 1
            for tables and records from 1 for JSON.
    """

    column: str
    kind: str
    invalid: int
    present: int
    examples: tuple[tuple[int, str], ...]

    def describe(self) -> str:
        """One line: the count, the kind and the examples with their rows."""
        shown = ", ".join(f"row {row} {value!r}" for row, value in self.examples)
        more = "" if self.invalid <= len(self.examples) else ", …"
        return f"{self.invalid:,} of {self.present:,} values are not {self.kind} ({shown}{more})"


def _parse_each(values: pd.Series, formats: Iterable[str], kind: str) -> dict[str, Any]:
    """Parse each distinct value with the first format that fits; unparsed values are left out."""
    parsed: dict[str, Any] = {}
    formats = tuple(formats)
    for value in values.unique():
        text = value[:-1] if value.endswith("Z") else value
        for fmt in formats:
            try:
                stamp = datetime.strptime(text, fmt)
            except ValueError:
                continue
            parsed[value] = stamp.date() if kind == "date" else stamp
            break
    return parsed


def _as_text(text: pd.Series, stripped: pd.Series) -> pd.Series:
    return text.where(~(stripped.isna() | (stripped == "")), None)


def _typed(present: pd.Series, kind: str, parsed: dict[str, Any] | None) -> pd.Series:
    """Convert present values (others missing) to ``kind``; raises on a value that does not fit."""
    if kind == "int":
        return present.astype("Int64")
    if kind == "dec":
        return present.astype("Float64")
    mapped = present.astype(object).map(parsed or {})
    if kind == "date":
        return mapped.astype(pd.ArrowDtype(pa.date32()))
    return pd.to_datetime(mapped).astype("datetime64[us]")


def _near_type(values: pd.Series) -> tuple[str, pd.Series, dict[str, Any] | None] | None:
    """The type nearly every value has, with a mask of the values that have it, or None.

    Values with a leading ``+`` or a leading zero mark identifiers and phone numbers, so a
    column holding them is text, not numbers with invalid values.
    """
    n = len(values)
    if n < 2:
        return None
    sample = values.iloc[:1000]
    shape = f"{_DEC_RE}|{_ISO_TS_RE}|{_UK_TS_RE}|{_ISO_DATE_RE}|{_UK_DATE_RE}"
    if sample.str.fullmatch(shape).mean() < 0.5:
        return None
    need = NEAR_TYPED_SHARE * n
    numbers = values.str.fullmatch(_DEC_RE)
    if numbers.sum() >= need:
        bad = values[~numbers]
        if bad.str.match(r"[+0-9.,\s-]*$").any() or bad.str.match(r"\+|0[0-9]").any():
            return None
        kind = "int" if values[numbers].str.fullmatch(_INT_RE).all() else "dec"
        return kind, numbers, None
    dates = values.str.fullmatch(f"{_ISO_DATE_RE}|{_UK_DATE_RE}")
    if dates.sum() >= need:
        parsed = _parse_each(values[dates], _DATE_FORMATS, "date")
        ok = values.isin(list(parsed))
        if ok.sum() >= need:
            return "date", ok, parsed
    stamps = values.str.fullmatch(f"{_ISO_TS_RE}|{_UK_TS_RE}|{_ISO_DATE_RE}|{_UK_DATE_RE}")
    if stamps.sum() >= need:
        parsed = _parse_each(values[stamps], _TS_FORMATS, "timestamp")
        ok = values.isin(list(parsed))
        if ok.sum() >= need:
            return "timestamp", ok, parsed
    return None


_KIND_WORDS = {
    "int": "whole numbers",
    "dec": "numbers",
    "date": "dates",
    "timestamp": "dates and times",
}


def infer_column_checked(
    raw: pd.Series,
    invalid: InvalidValues = "text",
    rows: Sequence[int] | None = None,
) -> tuple[pd.Series, InvalidColumn | None]:
    """Type one column of text, and find values that do not fit the type nearly all others have.

    Args:
        raw: The values as text (missing values as ``None``).
        invalid: What to do with a column whose values are at least :data:`NEAR_TYPED_SHARE`
            of one type: ``"text"`` keeps the whole column as text, ``"missing"`` types it and
            makes the other values missing, ``"refuse"`` keeps it as text (the caller refuses
            the file on the finding).
        rows: The file row of each value, for the finding's examples (default: position + 2,
            a table with a header row).

    Returns:
        The typed column and the finding (None when every value fits or the column is text).
    """
    text = raw.astype("string")
    stripped = text.str.strip()
    missing = stripped.isna() | stripped.str.lower().isin(_MISSING_TOKENS)
    values = stripped[~missing]
    if values.empty:
        return _as_text(text, stripped), None
    present = stripped.where(~missing)
    lowered = values.str.lower()
    if lowered.isin(_TRUE | _FALSE).all():
        flags = pd.Series(present.str.lower().isin(_TRUE), dtype="boolean")
        flags[missing] = pd.NA
        return flags, None
    try:
        if _full(_INT_RE, values):
            return present.astype("Int64"), None
        if _full(_DEC_RE, values):
            return present.astype("Float64"), None
        if _full(f"{_ISO_DATE_RE}|{_UK_DATE_RE}", values):
            parsed = _parse_unique(values, _DATE_FORMATS, "date")
            if parsed is not None:
                return _typed(present, "date", parsed), None
        pattern = f"{_ISO_TS_RE}|{_UK_TS_RE}|{_ISO_DATE_RE}|{_UK_DATE_RE}"
        if _full(pattern, values):
            parsed = _parse_unique(values, _TS_FORMATS, "timestamp")
            if parsed is not None:
                return _typed(present, "timestamp", parsed), None
    except (TypeError, ValueError, OverflowError, pa.ArrowException):
        log.debug("column %s kept as text: a value did not convert", raw.name)
        return _as_text(text, stripped), None
    near = _near_type(values)
    if near is None:
        return _as_text(text, stripped), None
    kind, ok, parsed = near
    bad = values[~ok]
    positions = [raw.index.get_loc(i) for i in bad.index[:MAX_EXAMPLES]]
    where = [rows[i] if rows is not None else i + 2 for i in positions]
    finding = InvalidColumn(
        column=str(raw.name),
        kind=_KIND_WORDS[kind],
        invalid=len(bad),
        present=len(values),
        examples=tuple(zip(where, (str(v) for v in bad.iloc[:MAX_EXAMPLES]), strict=True)),
    )
    if invalid != "missing":
        return _as_text(text, stripped), finding
    try:
        return _typed(present.where(~present.index.isin(bad.index)), kind, parsed), finding
    except (TypeError, ValueError, OverflowError, pa.ArrowException):
        return _as_text(text, stripped), finding


def infer_column(raw: pd.Series) -> pd.Series:
    """Give one column of text its most specific type.

    Args:
        raw: The values as text (missing values as ``None``).

    Returns:
        The column as nullable integers, decimals, booleans, dates, timestamps or text.
    """
    return infer_column_checked(raw)[0]


def infer_types(
    frame: pd.DataFrame,
    invalid: InvalidValues = "text",
    rows: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Apply :func:`infer_column_checked` to every column of an all-text DataFrame.

    The findings (columns with values that do not fit their type) are in
    ``DataFrame.attrs["invalid_values"]`` as :class:`InvalidColumn` items.
    """
    columns: dict[str, pd.Series] = {}
    findings: list[InvalidColumn] = []
    for name in frame.columns:
        column, finding = infer_column_checked(frame[name], invalid, rows)
        columns[name] = column
        if finding is not None:
            findings.append(finding)
    typed = pd.DataFrame(columns, columns=list(frame.columns))
    typed.attrs["invalid_values"] = findings
    return typed


def _cell_to_text(value: Any) -> str | None:
    """Canonical text for a value from Excel or JSON, so that typing is the same for all."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if pd.isna(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, pd.Timestamp | datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _frame_from_rows(
    header: Sequence[Any],
    rows: list[list[Any]],
    convert: bool,
    invalid: InvalidValues = "text",
    lines: Sequence[int] | None = None,
    filename: str = "The file",
) -> pd.DataFrame:
    _check_width(len(header), filename)
    names, originals = clean_column_names(header)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data = {}
    for name, values in zip(names, columns, strict=True):
        cells = [_cell_to_text(v) for v in values] if convert else list(values)
        data[name] = pd.Series(cells, dtype="object")
    frame = infer_types(pd.DataFrame(data, columns=names), invalid, lines)
    frame.attrs["original_headers"] = originals
    return frame


# ---------------------------------------------------------------- format readers


def _read_delimited(
    data: bytes, filename: str, fmt: str, invalid: InvalidValues = "text"
) -> pd.DataFrame:
    text, encoding = decode_text(data, filename)
    log.debug("%s decoded as %s", filename, encoding)
    header, rows = _parse_delimited(text, filename, "\t" if fmt == "tsv" else None)
    del text
    names, originals = clean_column_names(header)
    # typed one column at a time, letting go of each text column once typed
    texts = dict(zip(names, rows.columns(), strict=True))
    typed: dict[str, pd.Series] = {}
    findings: list[InvalidColumn] = []
    for name in names:
        text = texts.pop(name).rename(name)
        typed[name], finding = infer_column_checked(text, invalid, rows.lines)
        if finding is not None:
            findings.append(finding)
    frame = pd.DataFrame(typed, columns=names)
    frame.attrs["invalid_values"] = findings
    frame.attrs["original_headers"] = originals
    frame.attrs["encoding"] = encoding
    return frame


def _read_parquet(data: bytes, filename: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataImportError(
            f"{filename} cannot be read as Parquet.",
            [Problem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, file=filename)],
            hint="Check that the file is a complete Parquet file.",
        ) from exc
    if table.num_columns == 0:
        raise DataImportError(
            f"{filename} is empty.", [Problem("the Parquet file has no columns", file=filename)]
        )
    if table.num_rows == 0:
        raise DataImportError(
            f"{filename} has columns but no rows of data.",
            [Problem("no rows", file=filename)],
            hint="Choose a file with at least one row of data.",
        )
    frame = table.to_pandas(types_mapper=_arrow_types_mapper)
    names, originals = clean_column_names(list(table.column_names))
    frame.columns = names
    frame.attrs["original_headers"] = originals
    return frame


def _arrow_types_mapper(arrow_type: pa.DataType) -> Any:
    if pa.types.is_date32(arrow_type) or pa.types.is_date64(arrow_type):
        return pd.ArrowDtype(pa.date32())
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def _read_excel(
    data: bytes, filename: str, sheet: str | int | None, invalid: InvalidValues = "text"
) -> pd.DataFrame:
    try:
        sheets = pd.ExcelFile(io.BytesIO(data), engine="calamine")
    except Exception as exc:  # any reader failure means an unreadable workbook
        raise DataImportError(
            f"{filename} cannot be read as an Excel workbook.",
            [Problem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, file=filename)],
            hint="Check that the file is a complete .xlsx or .xls workbook, or save it as CSV.",
        ) from exc
    with sheets:
        names = [str(n) for n in sheets.sheet_names]
        target: str | int = 0 if sheet is None else sheet
        if isinstance(target, int) and not 0 <= target < len(names):
            target = -1
        if (isinstance(target, str) and target not in names) or target == -1:
            raise DataImportError(
                f"{filename} has no sheet {sheet!r}.",
                [Problem(f"sheet {sheet!r} not found", file=filename)],
                hint=f"Choose one of its sheets: {', '.join(names)}.",
            )
        sheet_name = names[target] if isinstance(target, int) else target
        try:
            raw = sheets.parse(sheet_name, header=None, dtype=object)
        except Exception as exc:  # any reader failure means an unreadable sheet
            raise DataImportError(
                f"{filename} cannot be read: sheet {sheet_name!r} is unreadable.",
                [Problem(str(exc).splitlines()[0], file=filename)],
            ) from exc
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise DataImportError(
            f"{filename} is empty: sheet {sheet_name!r} has no header and no rows.",
            [Problem("empty sheet", file=filename)],
            hint="Choose a sheet with a header row and at least one row of data.",
        )
    sheet_rows = [int(i) + 1 for i in raw.index[1:]]
    records = raw.to_numpy(dtype=object).tolist()
    header, rows = records[0], records[1:]
    if not rows:
        raise DataImportError(
            f"{filename} has a header but no rows of data in sheet {sheet_name!r}.",
            [Problem("header only, no rows", file=filename, row=1)],
            hint="Choose a sheet with at least one row of data below the header.",
        )
    header = [_cell_to_text(h) for h in header]
    frame = _frame_from_rows(
        header, rows, convert=True, invalid=invalid, lines=sheet_rows, filename=filename
    )
    frame.attrs["sheet"] = sheet_name
    return frame


def _records_to_frame(
    records: list[dict[str, Any]],
    invalid: InvalidValues = "text",
    numbers: Sequence[int] | None = None,
    filename: str = "The file",
) -> pd.DataFrame:
    keys: dict[str, None] = {}
    for record in records:
        for key in record:
            keys.setdefault(key, None)
    header = list(keys)
    rows = [[record.get(key) for key in header] for record in records]
    lines = numbers if numbers is not None else range(1, len(records) + 1)
    return _frame_from_rows(
        header, rows, convert=True, invalid=invalid, lines=list(lines), filename=filename
    )


def _read_json(
    data: bytes, filename: str, fmt: str, invalid: InvalidValues = "text"
) -> pd.DataFrame:
    text, _ = decode_text(data, filename)
    if not text.strip():
        raise DataImportError(
            f"{filename} is empty.",
            [Problem("the file has no records", file=filename)],
            hint="Choose a file with at least one record.",
        )
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(f"is not valid JSON: {exc.msg}", file=filename, row=number))
                continue
            except RecursionError as exc:
                raise _too_deep(filename, number) from exc
            if _json_depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                raise _too_deep(filename, number)
            if not isinstance(value, dict):
                problems.append(
                    Problem(
                        f"is a JSON {type(value).__name__}, not an object (a record)",
                        file=filename,
                        row=number,
                    )
                )
                continue
            records.append(value)
            numbers.append(number)
            if len(problems) >= MAX_PROBLEMS:
                break
    else:
        try:
            value = json.loads(text)
        except RecursionError as exc:
            raise _too_deep(filename, None) from exc
        except json.JSONDecodeError as exc:
            raise DataImportError(
                f"{filename} is not valid JSON.",
                [Problem(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", file=filename)],
                hint="Check the file is complete JSON: a list of records such as "
                '[{"id": 1, "name": "..."}].',
            ) from exc
        if not isinstance(value, list):
            raise DataImportError(
                f"{filename} is not a list of records.",
                [Problem(f"the top level is a JSON {_json_kind(value)}", file=filename)],
                hint='Import JSON as a list of records such as [{"id": 1, "name": "..."}], or '
                "as JSON Lines with one record per line.",
            )
        for number, item in enumerate(value, start=1):
            if _json_depth(item, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                raise _too_deep(filename, number)
            if isinstance(item, dict):
                records.append(item)
                numbers.append(number)
            elif len(problems) < MAX_PROBLEMS:
                problems.append(
                    Problem(
                        f"is a JSON {_json_kind(item)}, not an object (a record)",
                        file=filename,
                        row=number,
                    )
                )
    if problems:
        raise DataImportError(
            f"{filename} is not a list of records.",
            problems,
            hint='Every item must be an object such as {"id": 1, "name": "..."}.',
        )
    if not records:
        raise DataImportError(
            f"{filename} has no records.",
            [Problem("no records", file=filename)],
            hint="Choose a file with at least one record.",
        )
    return _records_to_frame(records, invalid, numbers, filename)


def _json_depth(value: Any, limit: int) -> int:
    """The nesting depth of a JSON value (a scalar is 0), counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _too_deep(filename: str, row: int | None) -> DataImportError:
    return DataImportError(
        f"{filename} nests objects or arrays more than {MAX_JSON_DEPTH} levels deep.",
        [Problem(f"nested more than {MAX_JSON_DEPTH} levels deep", file=filename, row=row)],
        hint="Flatten the records (one object per record, with values or shallow lists) and "
        "import again.",
    )


def _json_kind(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
    }.get(type(value), "null")


# ------------------------------------------------------------------- public API


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


def _load_source(
    source: Path | str | bytes, filename: str | None, max_bytes: int
) -> tuple[bytes, str]:
    """Get the bytes and the file name of a source, checking existence and size first."""
    if isinstance(source, bytes | bytearray | memoryview):
        name = filename or "upload"
        data = bytes(source)
        size = len(data)
    else:
        path = check_import_path(source)
        name = filename or Path(source).name
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise DataImportError(
                f"{path} {what}.",
                [Problem(what, file=str(path))],
                hint="Check the path and try again.",
            )
        size = path.stat().st_size
        data = b""
    if size > max_bytes:
        raise DataImportError(
            f"{name} is {_format_size(size)}, larger than the import limit of "
            f"{_format_size(max_bytes)}.",
            [Problem("file too large", file=name)],
            hint=f"Raise the limit with the {ENV_MAX_IMPORT_MB} environment variable (in "
            f"megabytes, for example {ENV_MAX_IMPORT_MB}={max(1, (size >> 20) * 2)}) and restart, "
            "or import a smaller extract.",
        )
    if not data and not isinstance(source, bytes | bytearray | memoryview):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise DataImportError(
                f"{source} cannot be read: {exc.strerror}.",
                [Problem(str(exc.strerror), file=str(source))],
                hint="Check that you may read the file.",
            ) from exc
    return data, name


def _parse(
    data: bytes, name: str, fmt: str, sheet: str | int | None, invalid: InvalidValues = "text"
) -> pd.DataFrame:
    frame = _parse_format(data, name, fmt, sheet, invalid)
    frame.attrs["invalid_policy"] = invalid
    findings: list[InvalidColumn] = frame.attrs.get("invalid_values") or []
    if findings and invalid == "refuse":
        raise InvalidValuesError(
            f"{name} has {len(findings)} column(s) whose values are nearly all of one type, "
            "with some that are not.",
            [Problem(f.describe(), file=name, column=f.column) for f in findings],
            hint="Correct those values and import again, import them as missing "
            "(--invalid missing), or keep the columns as text (--invalid text).",
            findings=findings,
        )
    return frame


def _parse_format(
    data: bytes, name: str, fmt: str, sheet: str | int | None, invalid: InvalidValues
) -> pd.DataFrame:
    if fmt in ("csv", "tsv"):
        if not data.strip():
            raise DataImportError(
                f"{name} is empty.",
                [Problem("the file has no header and no rows", file=name)],
                hint="Choose a file with a header row and at least one row of data.",
            )
        return _read_delimited(data, name, fmt, invalid)
    if not data:
        raise DataImportError(f"{name} is empty.", [Problem("the file has no bytes", file=name)])
    if fmt == "parquet":
        return _read_parquet(data, name)
    if fmt == "excel":
        return _read_excel(data, name, sheet, invalid)
    return _read_json(data, name, fmt, invalid)


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
    data, name = _load_source(source, filename, limit)
    return _parse(data, name, fmt, sheet, invalid)


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
    frame: pd.DataFrame | None = None
    data = b""
    if fmt is not None:
        limit = load_settings().max_import_bytes if max_bytes is None else int(max_bytes)
        try:
            data, display = _load_source(source, filename, limit)
            frame = _parse(data, display, fmt, sheet, invalid)
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
    assert frame is not None  # set whenever there were no problems
    return import_frame(
        ws,
        frame,
        target,
        source_file=display,
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_format=fmt,
        source_bytes=len(data),
        title=title,
        description=description,
        source_system=source_system,
        owner=owner,
        refresh_date=refresh_date,
        on_conflict=on_conflict,
        actor=actor,
    )


def _versioned_name(cur: Any, name: str) -> tuple[str, int, str | None]:
    """Choose the next free name in the chain of ``name``: ``<base>_vN`` with N one more."""
    base = re.sub(r"_v[0-9]+$", "", name) or name
    rows = cur.execute(
        "SELECT name, version FROM wb.datasets WHERE name = ? OR name LIKE ? ESCAPE '\\'",
        [base, base.replace("_", "\\_") + "\\_v%"],
    ).fetchall()
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
    in_catalogue = cur.execute(
        "SELECT count(*) FROM wb.datasets WHERE name = ?", [name]
    ).fetchall()[0]
    in_data = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [DATA_SCHEMA, name],
    ).fetchall()[0]
    return bool(in_catalogue[0] or in_data[0])


def invalid_value_notes(frame: pd.DataFrame) -> dict[str, str]:
    """Column -> a sentence on its invalid values and what the import did with them.

    Args:
        frame: A frame from :func:`read_file` (its ``attrs`` carry the findings and policy).
    """
    findings: list[InvalidColumn] = frame.attrs.get("invalid_values") or []
    done = (
        "imported as missing"
        if frame.attrs.get("invalid_policy") == "missing"
        else "the column was kept as text"
    )
    return {f.column: f"{f.describe()}; {done}." for f in findings}


def _column_notes(df: pd.DataFrame, originals: dict[str, str]) -> dict[str, str]:
    """The column dictionary's description of each column: its original header, invalid values."""
    notes = {column: _original_header_description(text) for column, text in originals.items()}
    for column, note in invalid_value_notes(df).items():
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
    problems: list[Problem] = []
    try:
        check_dataset_name(name)
    except ValidationError as exc:
        problems.append(Problem(f"{exc.message} {exc.hint or ''}".strip(), file=label))
    if on_conflict not in ("error", "version"):
        problems.append(Problem(f"on_conflict must be 'error' or 'version', not {on_conflict!r}"))
    try:
        metadata = normalise_metadata(
            {
                "title": title,
                "description": description,
                "source_system": source_system,
                "owner": owner,
                "refresh_date": refresh_date,
            }
        )
    except ValidationError as exc:
        problems.extend(exc.problems or [Problem(exc.message)])
        metadata = {}
    if len(df.columns) == 0:
        problems.append(Problem("the data has no columns", file=label))
    if problems:
        raise DataImportError(f"{label} cannot be imported.", problems)

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
    notes = _column_notes(df, originals)
    payload = _to_arrow(frame)
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
            try:
                cur.execute(
                    f"CREATE TABLE {ws.dataset_table(name)} AS SELECT * FROM {quote_ident(tmp)}"  # noqa: S608 - identifiers quoted
                )
            except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
                raise DataImportError(
                    f"{label} cannot be stored: a column holds values of mixed types.",
                    [Problem(str(exc).splitlines()[0], file=label)],
                    hint="Make each column hold one kind of value, or import the file as CSV.",
                ) from exc
            finally:
                cur.unregister(tmp)
            types = cur.execute(
                "SELECT column_name, data_type, ordinal_position FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [DATA_SCHEMA, name],
            ).fetchall()
            cur.execute(
                "INSERT INTO wb.datasets (name, kind, title, description, source_system, owner, "
                "refresh_date, row_count, column_count, source_file, source_sha256, source_format, "
                "source_bytes, imported_at, imported_by, is_sample, version, previous_version, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    kind,
                    metadata.get("title"),
                    metadata.get("description"),
                    metadata.get("source_system"),
                    metadata.get("owner"),
                    metadata.get("refresh_date"),
                    len(frame),
                    len(types),
                    source_file,
                    source_sha256,
                    source_format,
                    source_bytes,
                    now,
                    who,
                    bool(is_sample),
                    version,
                    previous,
                    now,
                ],
            )
            cur.executemany(
                "INSERT INTO wb.columns (dataset, position, name, dtype, description) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    [
                        name,
                        int(position),
                        column,
                        dtype,
                        notes.get(column),
                    ]
                    for column, dtype, position in types
                ],
            )
            ws.audit(
                "dataset.import",
                target=name,
                detail={
                    "source_file": source_file,
                    "source_sha256": source_sha256,
                    "source_format": source_format,
                    "source_bytes": source_bytes,
                    "rows": len(frame),
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
    log.info("imported %s as %s (%s rows, %s columns)", label, name, len(frame), len(types))
    return get_dataset(ws, name)
