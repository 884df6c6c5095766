"""CSV that is safe to open in a spreadsheet: formula injection neutralised, and undone on reading.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula, so a user name such as ``=HYPERLINK(...)`` typed into the app
would run when an exported file is opened. Every CSV the app offers for download goes through
:func:`frame_to_csv`, which gives such cells a leading apostrophe; :func:`unescape_cell` removes
it again when the workbench reads its own file back (clerical labels).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Neutralise formula injection: text starting with = + - @ tab or CR gets a leading '."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell` (for files the workbench wrote and reads back)."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:].startswith(DANGEROUS_PREFIXES)
    ):
        return value[1:]
    return value


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV with every text cell and header formula-escaped."""
    safe = frame.rename(columns=lambda c: escape_cell(str(c)))
    safe = safe.apply(lambda column: column.map(escape_cell))
    return safe.to_csv(index=False).encode("utf-8")
