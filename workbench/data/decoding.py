"""Text encodings of imported files: detection, refusal of mixed encodings, streamed decoding.

Delimited files are decoded a piece at a time (:func:`text_chunks`) so that the whole decoded
text, which takes two or four bytes a character once any character is outside Latin-1, is never
held at once. :func:`detect_encoding` reads the file once beforehand, keeping nothing, and falls
back to the whole bytes only when they are not UTF-8 or UTF-16 (to name the problem, or to read
them as Windows-1252).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from workbench.errors import DataImportError, Problem

log = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024
#: Bytes read and decoded at a time.
READ_BYTES = 1024 * 1024
#: The Python codec for each encoding :func:`decode_text` names.
CODECS: dict[str, str] = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "cp1252": "cp1252"}


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


def detect_encoding(open_binary: Callable[[], BinaryIO], filename: str) -> str:
    """The encoding of a text file, as :func:`decode_text` would find it, without keeping its text.

    The bytes are decoded a piece at a time as UTF-16 (after a UTF-16 byte order mark) or UTF-8
    and the text thrown away. Only when that fails are the whole bytes read, for
    :func:`decode_text` to name the problem or find Windows-1252.

    Args:
        open_binary: Opens the file for reading bytes (called once, or twice on the fallback).
        filename: Used in messages only.

    Raises:
        DataImportError: When the bytes are none of the supported encodings.
    """
    with open_binary() as stream:
        piece = stream.read(READ_BYTES)
        utf16 = piece.startswith((b"\xff\xfe", b"\xfe\xff"))
        decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        try:
            while piece:
                decoder.decode(piece)
                piece = stream.read(READ_BYTES)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-16" if utf16 else "utf-8"
    with open_binary() as stream:
        data = stream.read()
    _, encoding = decode_text(data, filename)
    return encoding


def text_chunks(stream: BinaryIO, encoding: str) -> Iterator[str]:
    """The text of a binary stream in the given encoding, :data:`READ_BYTES` at a time.

    Args:
        stream: The bytes, read from where the stream stands.
        encoding: A name from :data:`CODECS` (a byte order mark is dropped).
    """
    decoder = codecs.getincrementaldecoder(CODECS[encoding])()
    while raw := stream.read(READ_BYTES):
        text = decoder.decode(raw)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


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
