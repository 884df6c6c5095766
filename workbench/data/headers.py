"""Column headers of imported files: cleaned names, the original headers and the width limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from workbench.errors import DataImportError, Problem

#: Most columns a file may have (wider files are almost always transposed or malformed).
MAX_IMPORT_COLUMNS = 5_000


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


def original_header_description(original: str) -> str:
    """The column dictionary's note on a header that was cleaned into another name."""
    return f"Original header: {original!r}" if original.strip() else "Original header: (blank)"


def check_width(columns: int, filename: str) -> None:
    """Refuse a file with more than :data:`MAX_IMPORT_COLUMNS` columns before reading its rows.

    Args:
        columns: How many columns the header has.
        filename: Used in messages only.

    Raises:
        DataImportError: When the file is wider than the limit.
    """
    if columns > MAX_IMPORT_COLUMNS:
        raise DataImportError(
            f"{filename} has {columns:,} columns; the workbench imports files of up to "
            f"{MAX_IMPORT_COLUMNS:,}.",
            [Problem(f"{columns:,} columns in the header", file=filename, row=1)],
            hint="Check the file is not transposed (one record per column), or keep only the "
            "columns needed and import that.",
        )
