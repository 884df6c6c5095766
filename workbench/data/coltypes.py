"""Typing imported text: whole numbers, decimals, booleans, ISO and UK dates and timestamps.

Columns are typed as Arrow string arrays with :mod:`pyarrow.compute` (trimming, regular
expressions, set membership, casts), never as Python objects, so that typing a column takes
little more memory than the column. Columns that look like identifiers with leading zeros or a
leading ``+`` (postcodes, PNC ids, URNs, phone numbers) stay text. A column whose values are
nearly all of one type is reported (:class:`InvalidColumn`) with the values that are not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import product
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

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
_DATES_RE = f"{_ISO_DATE_RE}|{_UK_DATE_RE}"
_STAMPS_RE = f"{_ISO_TS_RE}|{_UK_TS_RE}|{_ISO_DATE_RE}|{_UK_DATE_RE}"
_SHAPE_RE = f"{_DEC_RE}|{_ISO_TS_RE}|{_UK_TS_RE}|{_ISO_DATE_RE}|{_UK_DATE_RE}"
# Values beside numbers that mark the column as codes or formatted numbers, not invalid numbers.
_NUMBERISH = re.compile(r"[+0-9.,\s-]*$")
_CODE = re.compile(r"\+|0[0-9]")
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
_KIND_WORDS = {
    "int": "whole numbers",
    "dec": "numbers",
    "date": "dates",
    "timestamp": "dates and times",
}
#: Values looked at first, to reject a type before matching the whole column.
_SAMPLE = 1000
_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError, pa.ArrowException)


def _import_pool() -> pa.MemoryPool:
    """jemalloc where pyarrow has it, else the default pool.

    Importing allocates and frees many column-sized buffers; jemalloc gives freed memory back
    to the system within a second or so, where the default (mimalloc) keeps much of it, which
    left a 77 MB file's import holding about 100 MB more at its peak.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows)
        return pa.default_memory_pool()


#: The Arrow memory pool every buffer made while importing comes from.
POOL = _import_pool()


def _spellings(words: Iterable[str]) -> pa.Array:
    """Every upper/lower-case spelling of ASCII words: the strings whose lower case is a word.

    Lower-casing (``utf8_lower``) maps no character outside ASCII to these words' letters, so
    membership of this set is membership of the lower-cased value in ``words``.
    """
    spelled = {
        "".join(letters) for word in words for letters in product(*({c, c.upper()} for c in word))
    }
    return pa.array(sorted(spelled), type=pa.string())


_MISSING_SET = _spellings(_MISSING_TOKENS)
_BOOL_SET = _spellings(_TRUE | _FALSE)
_TRUE_SET = _spellings(_TRUE)


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


# ------------------------------------------------------------------ Arrow helpers


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    """How many entries of a boolean array are true."""
    return int(pc.sum(mask, memory_pool=POOL).as_py() or 0)


def _fullmatch(values: pa.ChunkedArray | pa.Array, pattern: str) -> Any:
    """Whether each whole value matches ``pattern`` (null for null values)."""
    return pc.match_substring_regex(values, f"^({pattern})$", memory_pool=POOL)


def _null_where(values: pa.ChunkedArray, mask: pa.ChunkedArray) -> pa.ChunkedArray:
    """``values`` with nulls where ``mask`` (which has no nulls) is true."""
    if not _count(mask):
        return values
    return pc.if_else(mask, pa.scalar(None, type=values.type), values, memory_pool=POOL)


def _head(values: pa.ChunkedArray, size: int) -> pa.Array:
    """The first ``size`` values that are not null."""
    taken: list[pa.Array] = []
    count = 0
    for chunk in values.chunks:
        present = pc.drop_null(chunk, memory_pool=POOL)
        taken.append(present.slice(0, size - count))
        count += len(taken[-1])
        if count >= size:
            break
    return pa.concat_arrays(taken, memory_pool=POOL) if taken else pa.array([], type=values.type)


def _first_true(mask: pa.ChunkedArray, limit: int) -> list[int]:
    """The positions of the first ``limit`` true entries."""
    positions: list[int] = []
    offset = 0
    for chunk in mask.chunks:
        if len(positions) >= limit:
            break
        found = pc.indices_nonzero(chunk, memory_pool=POOL).to_pylist()[: limit - len(positions)]
        positions.extend(offset + int(i) for i in found)
        offset += len(chunk)
    return positions


def _all_match(values: pa.ChunkedArray, sample: pa.Array, pattern: str, n: int) -> bool:
    """Whether all ``n`` present values match ``pattern`` (the sample is tried first)."""
    if _count(_fullmatch(sample, pattern)) < len(sample):
        return False
    return _count(_fullmatch(values, pattern)) == n


def _uniques(values: pa.ChunkedArray | pa.Array) -> list[str]:
    return [v for v in pc.unique(values, memory_pool=POOL).to_pylist() if v is not None]


def _parse_each(values: Iterable[str], formats: Iterable[str], kind: str) -> dict[str, Any]:
    """Parse each distinct value with the first format that fits; unparsed values are left out."""
    parsed: dict[str, Any] = {}
    formats = tuple(formats)
    for value in values:
        text = value[:-1] if value.endswith("Z") else value
        for fmt in formats:
            try:
                stamp = datetime.strptime(text, fmt)
            except ValueError:
                continue
            parsed[value] = stamp.date() if kind == "date" else stamp
            break
    return parsed


def _mapped(present: pa.ChunkedArray, kind: str, parsed: dict[str, Any]) -> pa.ChunkedArray:
    """Dates or timestamps looked up for each value (null where a value was not parsed)."""
    arrow_type = pa.date32() if kind == "date" else pa.timestamp("us")
    keys = pa.array(list(parsed), type=present.type)
    found = pa.array(list(parsed.values()), type=arrow_type)
    indices = pc.index_in(present, value_set=keys, memory_pool=POOL)
    return pc.take(found, indices, memory_pool=POOL)


def _typed(present: pa.ChunkedArray, kind: str, parsed: dict[str, Any] | None) -> Any:
    """Convert present values (others null) to ``kind``; raises on a value that does not fit."""
    if kind == "int":
        return pc.cast(present, pa.int64(), memory_pool=POOL)
    if kind == "dec":
        return pc.cast(present, pa.float64(), memory_pool=POOL)
    return _mapped(present, kind, parsed or {})


# ------------------------------------------------------------------------ typing


def _near_type(
    present: pa.ChunkedArray, sample: pa.Array, n: int
) -> tuple[str, pa.ChunkedArray, dict[str, Any] | None] | None:
    """The type nearly every value has, with a mask of the values that have it, or None.

    Values with a leading ``+`` or a leading zero mark identifiers and phone numbers, so a
    column holding them is text, not numbers with invalid values.
    """
    if n < 2:
        return None
    if _count(_fullmatch(sample, _SHAPE_RE)) / len(sample) < 0.5:
        return None
    need = NEAR_TYPED_SHARE * n
    numbers = _fullmatch(present, _DEC_RE)
    found = _count(numbers)
    if found >= need:
        bad = pc.filter(present, pc.invert(numbers), memory_pool=POOL).to_pylist()
        if any(_NUMBERISH.match(v) for v in bad) or any(_CODE.match(v) for v in bad):
            return None
        # every whole number is also a decimal, so equal counts mean all are whole
        kind = "int" if _count(_fullmatch(present, _INT_RE)) == found else "dec"
        return kind, numbers, None
    for kind, pattern, formats in (
        ("date", _DATES_RE, _DATE_FORMATS),
        ("timestamp", _STAMPS_RE, _TS_FORMATS),
    ):
        shaped = _fullmatch(present, pattern)
        if _count(shaped) < need:
            continue
        parsed = _parse_each(_uniques(pc.filter(present, shaped, memory_pool=POOL)), formats, kind)
        if not parsed:
            continue
        keys = pa.array(list(parsed), type=present.type)
        ok = pc.is_in(present, value_set=keys, memory_pool=POOL)
        if _count(ok) >= need:
            return kind, ok, parsed
    return None


def type_column(
    text: pa.ChunkedArray | pa.Array,
    name: str,
    invalid: InvalidValues = "text",
    rows: Sequence[int] | None = None,
) -> tuple[pa.ChunkedArray, InvalidColumn | None]:
    """Type one Arrow column of text, finding values that do not fit the type nearly all have.

    Missing values (blank, ``NA``, ``null``, ``-`` and the like) are null in a typed column; a
    column kept as text keeps its values as written, with blank ones null.

    Args:
        text: The values as text (missing values as null).
        name: The column name, for the finding.
        invalid: What to do with a column whose values are at least :data:`NEAR_TYPED_SHARE`
            of one type: ``"text"`` keeps the whole column as text, ``"missing"`` types it and
            makes the other values null, ``"refuse"`` keeps it as text (the caller refuses
            the file on the finding).
        rows: The file row of each value, for the finding's examples (default: position + 2,
            a table with a header row).

    Returns:
        The typed column (int64, float64, bool, date32, timestamp[us] or string) and the
        finding (None when every value fits or the column is text).
    """
    if isinstance(text, pa.Array):
        text = pa.chunked_array([text])
    if not pa.types.is_string(text.type):
        text = pc.cast(text, pa.string(), memory_pool=POOL)
    stripped = pc.utf8_trim_whitespace(text, memory_pool=POOL)
    blank = pc.coalesce(pc.equal(stripped, "", memory_pool=POOL), True, memory_pool=POOL)
    listed = pc.is_in(stripped, value_set=_MISSING_SET, memory_pool=POOL)
    missing = pc.or_(pc.is_null(stripped, memory_pool=POOL), listed, memory_pool=POOL)
    del listed
    n = len(text) - _count(missing)
    if n == 0:
        return _null_where(text, blank), None
    present = _null_where(stripped, missing)
    del stripped
    sample = _head(present, _SAMPLE)
    words = _count(pc.is_in(sample, value_set=_BOOL_SET, memory_pool=POOL)) == len(sample)
    if words and _count(pc.is_in(present, value_set=_BOOL_SET, memory_pool=POOL)) == n:
        return _null_where(pc.is_in(present, value_set=_TRUE_SET, memory_pool=POOL), missing), None
    try:
        if _all_match(present, sample, _INT_RE, n):
            return pc.cast(present, pa.int64(), memory_pool=POOL), None
        if _all_match(present, sample, _DEC_RE, n):
            return pc.cast(present, pa.float64(), memory_pool=POOL), None
        for kind, pattern, formats in (
            ("date", _DATES_RE, _DATE_FORMATS),
            ("timestamp", _STAMPS_RE, _TS_FORMATS),
        ):
            if _all_match(present, sample, pattern, n):
                uniques = _uniques(present)
                parsed = _parse_each(uniques, formats, kind)
                if len(parsed) == len(uniques):
                    return _mapped(present, kind, parsed), None
    except _CONVERSION_ERRORS:
        log.debug("column %s kept as text: a value did not convert", name)
        return _null_where(text, blank), None
    near = _near_type(present, sample, n)
    if near is None:
        return _null_where(text, blank), None
    kind, ok, found = near
    fits = pc.coalesce(ok, False, memory_pool=POOL)
    bad = pc.and_(pc.invert(missing), pc.invert(fits), memory_pool=POOL)
    positions = _first_true(bad, MAX_EXAMPLES)
    values = [str(present[i].as_py()) for i in positions]
    where = [rows[i] if rows is not None else i + 2 for i in positions]
    finding = InvalidColumn(
        column=str(name),
        kind=_KIND_WORDS[kind],
        invalid=_count(bad),
        present=n,
        examples=tuple(zip(where, values, strict=True)),
    )
    if invalid != "missing":
        return _null_where(text, blank), finding
    try:
        return _typed(_null_where(present, bad), kind, found), finding
    except _CONVERSION_ERRORS:
        return _null_where(text, blank), finding


# ------------------------------------------------------------------ pandas views


def to_series(column: pa.ChunkedArray, name: Any = None, index: Any = None) -> pd.Series:
    """A typed Arrow column as the pandas series the importer has always given.

    Text is a ``string`` series, whole numbers ``Int64``, decimals ``Float64``, booleans
    ``boolean``, dates Arrow ``date32`` and timestamps ``datetime64[us]``.

    Args:
        column: A column from :func:`type_column` (or any Arrow column).
        name: The series name.
        index: The series index (default a range).
    """
    kind = column.type
    values: Any
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = pd.array(column, dtype=pd.StringDtype("pyarrow"))
    elif pa.types.is_int64(kind):
        values = pd.Int64Dtype().__from_arrow__(column)
    elif pa.types.is_float64(kind):
        values = pd.Float64Dtype().__from_arrow__(column)
    elif pa.types.is_boolean(kind):
        values = pd.BooleanDtype().__from_arrow__(column)
    elif pa.types.is_date32(kind):
        values = pd.arrays.ArrowExtensionArray(column)
    elif pa.types.is_timestamp(kind):
        values = column.to_pandas().to_numpy(dtype="datetime64[us]")
    else:
        values = column.to_pandas()
    return pd.Series(values, name=name, index=index)


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
    column, finding = type_column(pa.array(text.array), str(raw.name), invalid, rows)
    return to_series(column, name=raw.name, index=raw.index), finding


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


@dataclass
class ParsedFile:
    """A file read into typed columns, with what was learnt reading it.

    Attributes:
        data: The columns: an Arrow table for text formats (CSV, TSV, Excel, JSON), a
            DataFrame for Parquet.
        attrs: ``original_headers``, ``invalid_values`` (:class:`InvalidColumn` items),
            ``invalid_policy``, and ``encoding`` or ``sheet`` where they apply.
        sha256: The SHA-256 of the file's bytes, where it was worked out while reading.
        size: How many bytes were read, with ``sha256``.
    """

    data: pa.Table | pd.DataFrame
    attrs: dict[str, Any]
    sha256: str | None = None
    size: int | None = None

    def frame(self) -> pd.DataFrame:
        """The data as a DataFrame, its ``attrs`` holding :attr:`attrs`."""
        if isinstance(self.data, pd.DataFrame):
            frame = self.data
        else:
            names = list(self.data.column_names)
            frame = pd.DataFrame(
                {name: to_series(self.data.column(i)) for i, name in enumerate(names)},
                columns=names,
            )
        frame.attrs.update(self.attrs)
        return frame
