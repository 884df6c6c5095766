"""Delimited text (CSV, TSV): the delimiter, rows read as a stream, and typed Arrow columns.

The text arrives a piece at a time (:func:`workbench.data.decoding.text_chunks`), is split into
lines and parsed by :mod:`csv`, and the rows move into Arrow string columns every
:data:`CHUNK_ROWS` rows. Neither the whole text nor Python lists of all the rows are ever held:
reading takes about the file's size in Arrow strings. Each column is then typed
(:func:`workbench.data.coltypes.type_column`) and its text let go.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import pyarrow as pa

from workbench.data.coltypes import POOL, InvalidColumn, InvalidValues, ParsedFile, type_column
from workbench.data.decoding import SNIFF_BYTES, text_chunks
from workbench.data.headers import check_width, clean_column_names
from workbench.errors import DataImportError, Problem

log = logging.getLogger(__name__)

DELIMITERS = (",", "\t", ";", "|")
MAX_PROBLEMS = 100
#: Rows of delimited text held as Python lists before they move into Arrow columns.
CHUNK_ROWS = 10_000


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


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of text arriving in pieces, each with its ending, split at line feeds.

    Text with no line feed at all but carriage returns (old Mac files) is split on those, by
    :class:`io.StringIO`, once all of it has arrived.
    """
    pending: list[str] = []
    split = False
    for piece in pieces:
        cut = piece.rfind("\n")
        if cut < 0:
            pending.append(piece)
            continue
        split = True
        block = "".join([*pending, piece[: cut + 1]]) if pending else piece[: cut + 1]
        pending = [piece[cut + 1 :]] if cut + 1 < len(piece) else []
        parts = block.split("\n")
        parts.pop()  # the block ends with a line feed
        for part in parts:
            yield part + "\n"
    rest = "".join(pending)
    if not split and "\r" in rest:
        yield from io.StringIO(rest, newline="")
    elif rest:
        yield rest


class _QuoteCount:
    """Pieces of text passed on unchanged while their quote characters are counted."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self.quotes = 0
        self._pieces = self._count(iter(pieces))

    def _count(self, pieces: Iterator[str]) -> Iterator[str]:
        for piece in pieces:
            self.quotes += piece.count('"')
            yield piece

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    def finish(self) -> None:
        """Count the quotes in the pieces not read yet."""
        for _ in self._pieces:
            pass


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
            values = [row[j] for row in self.pending]
            self.chunks[j].append(pa.array(values, type=pa.string(), memory_pool=POOL))
        self.pending = []

    def take(self, j: int) -> pa.ChunkedArray:
        """Column ``j`` as Arrow strings, let go of here."""
        self.flush()
        chunked = pa.chunked_array(self.chunks[j], type=pa.string())
        self.chunks[j] = []
        return chunked


def _empty(filename: str) -> DataImportError:
    return DataImportError(
        f"{filename} is empty.",
        [Problem("the file has no header and no rows", file=filename)],
        hint="Choose a file with a header row and at least one row of data.",
    )


def parse_delimited(
    pieces: Iterable[str], filename: str, preferred: str | None = None
) -> tuple[list[str], _Columns]:
    """Parse delimited text arriving in pieces into its header and its rows as Arrow strings.

    Args:
        pieces: The decoded text, in order.
        filename: Used in messages only.
        preferred: The delimiter to use when nothing splits the header.

    Raises:
        DataImportError: For an empty file, a header only, too many columns, rows with the
            wrong number of fields, a quote never closed, or text the reader cannot parse.
    """
    counted = _QuoteCount(pieces)
    stream = iter(counted)
    head: list[str] = []
    size = 0
    for piece in stream:
        head.append(piece)
        size += len(piece)
        if size >= SNIFF_BYTES:
            break
    delimiter = detect_delimiter("".join(head)[:SNIFF_BYTES], preferred)
    log.debug("%s: delimiter %r", filename, delimiter)
    reader = csv.reader(_lines(itertools.chain(head, stream)), delimiter=delimiter, quotechar='"')
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
                check_width(len(record), filename)
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
        raise _empty(filename)
    counted.finish()
    _check_closed_quotes(counted.quotes % 2 == 1, filename, header, record, line)
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


def _check_closed_quotes(
    odd: bool, filename: str, header: list[str], last: list[str], line: int
) -> None:
    """Refuse a file whose last record is a quoted value that runs to the end of the file.

    A quote that is opened and never closed makes the reader take the rest of the file as one
    value, so the file would import with its rows silently merged. Valid delimited text holds
    an even number of quote characters; an odd count (``odd``) with a last record spanning
    lines is the sign.
    """
    if not odd or not last:
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


def read_delimited(
    open_binary: Callable[[], BinaryIO],
    encoding: str,
    filename: str,
    fmt: str,
    invalid: InvalidValues = "text",
) -> ParsedFile:
    """Read delimited text from a binary stream into typed Arrow columns.

    Args:
        open_binary: Opens the file's bytes (the stream is read once, from the start).
        encoding: The text encoding (:func:`workbench.data.decoding.detect_encoding`).
        filename: Used in messages only.
        fmt: ``csv`` or ``tsv`` (tab is then the delimiter when nothing splits the header).
        invalid: What to do with values that do not fit their column's type
            (:func:`workbench.data.coltypes.type_column`).

    Returns:
        The typed table, with ``original_headers``, ``invalid_values`` and ``encoding``.
    """
    with open_binary() as stream:
        pieces = text_chunks(stream, encoding)
        header, rows = parse_delimited(pieces, filename, "\t" if fmt == "tsv" else None)
    names, originals = clean_column_names(header)
    typed: list[pa.ChunkedArray] = []
    findings: list[InvalidColumn] = []
    for j, name in enumerate(names):
        column, finding = type_column(rows.take(j), name, invalid, rows.lines)
        typed.append(column)
        if finding is not None:
            findings.append(finding)
        POOL.release_unused()  # hand the column's text and working arrays back to the system
    table = pa.Table.from_arrays(typed, names=names)
    attrs = {"invalid_values": findings, "original_headers": originals, "encoding": encoding}
    return ParsedFile(table, attrs)
