"""Disclosure control of exported tables.

Pass ``protect`` (a function returning a :class:`~workbench.disclosure.control.Protected`, or
True for primary suppression of every integer column) to an export and it is applied before
anything is written; the export states what was done, on the cover sheet and as note 1 of a
spreadsheet, and in a CSV's metadata file. A table the app already protected, its hidden cells
written as ``suppressed``, is read back with :func:`marked_protection`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from workbench.disclosure.control import Protected, protect_frame

ProtectArg = Callable[[pd.DataFrame], Protected] | bool | None


def apply_protection(frame: pd.DataFrame, protect: ProtectArg) -> Protected | None:
    """Apply disclosure control as asked; None when ``protect`` is falsy.

    Args:
        frame: The aggregate table.
        protect: A function returning a :class:`Protected`, or True for primary suppression
            of every integer column with the default threshold.
    """
    if not protect:
        return None
    if protect is True:
        counts = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
        return protect_frame(frame, counts=counts)
    return protect(frame)


def marked_protection(
    frame: pd.DataFrame, marker: str = "suppressed", threshold: int = 10
) -> Protected:
    """A table already disclosure-controlled, its hidden cells written as ``marker``.

    The analysis pages show leaders tables whose hidden values read ``suppressed``; this turns
    them back into a :class:`Protected` so the export writes them as ``[c]`` and states that
    disclosure control was applied.

    Args:
        frame: The table as shown.
        marker: The text of a hidden cell.
        threshold: The threshold the table was protected with.
    """
    hidden = frame.apply(lambda col: col.astype("string").fillna("") == marker)
    hidden = hidden.astype(bool)
    table = frame.mask(hidden)
    count = int(hidden.to_numpy().sum())
    return Protected(table, hidden, count, 0, 0, threshold)
