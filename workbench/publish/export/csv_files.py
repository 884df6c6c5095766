"""Tables as CSV files, with their metadata in a plain-text file beside them.

A CSV holds the header in its first line and the data below it, nothing else; its title,
source, period, status, disclosure note and symbols are in a plain-text metadata file downloaded
beside it (:func:`table_metadata`, ``<name>.metadata.txt``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.publish.export.disclosure import ProtectArg
from workbench.publish.export.meta import TableMeta, all_notes, cover_sections
from workbench.publish.export.tables import Percent, PreparedTable, is_number, typed_table


def _csv_value(value: Any, kind: str) -> Any:
    if not is_number(value):
        return value
    if isinstance(value, Percent):
        return f"{float(value) * 100:.10g}%"
    if kind == "percent":
        return f"{float(value) * 100:.10g}"
    return value


def csv_header(table: PreparedTable) -> list[str]:
    """The CSV's column names: a percentage column's name ends with ``(%)``."""
    return [
        f"{h} (%)" if kind == "percent" and "%" not in h else h
        for h, kind in zip(table.header, table.kinds, strict=True)
    ]


def table_to_csv(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """A CSV file whose first line is the header, then one line per row; nothing else.

    Numbers are plain numbers (no thousands separators); a percentage column holds percentages
    (61.2, not 0.612 or ``61.2%``) and its name ends with ``(%)``. Suppressed cells read
    ``[c]``, missing ones ``[x]``, not applicable ones ``[z]``. UTF-8 without a byte-order mark,
    so that every CSV reader sees the first column's name as written.

    The title, source, period, status, disclosure note, notes and symbols are not in the CSV
    (comment lines above the header break most readers): they are in the metadata file that is
    downloaded beside it (:func:`table_metadata`).
    """
    table = typed_table(frame, meta, protect)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_header(table))
    writer.writerows(
        [_csv_value(v, k) for v, k in zip(row, table.kinds, strict=True)] for row in table.rows
    )
    return buf.getvalue().encode("utf-8")


def table_metadata(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> bytes:
    """The plain-text metadata file downloaded beside a CSV (``<name>.metadata.txt``).

    A government statistics CSV is one header row and the data; what it is, where it came from,
    the period, its status, who to contact, how it was made, what disclosure control did and
    what the symbols mean is published beside it. A separate plain-text file, named after the
    CSV, opens in any program on any computer without unpacking (unlike a ZIP, which some
    managed desktops block or which users must extract first) and the CSV stays a file that
    every tool reads directly.

    Args:
        frame: The table.
        meta: Title, source, notes and definitions.
        protect: Disclosure control to apply first (the same as for the CSV).
    """
    table = typed_table(frame, meta, protect)
    lines = [meta.title, "=" * min(len(meta.title), 80), ""]
    for heading, text in cover_sections(table.meta, frame):
        lines += [heading, *text, ""]
    lines.append("Columns")
    for name, kind in zip(csv_header(table), table.kinds, strict=True):
        lines.append(f"{name}: {_KIND_WORDS[kind]}")
    lines.append("")
    lines.append("Notes")
    lines += [f"[note {i}] {n}" for i, n in enumerate(all_notes(table.meta), start=1)]
    return ("\r\n".join(" ".join(str(line).split()) if line else "" for line in lines)).encode(
        "utf-8"
    ) + b"\r\n"


_KIND_WORDS = {
    "integer": "whole numbers",
    "year": "years",
    "decimal": "numbers",
    "percent": "percentages",
    "text": "text",
}


def read_csv_export(data: bytes | str | Path) -> pd.DataFrame:
    """Read a CSV written by :func:`table_to_csv` back as text (every column as strings)."""
    raw = Path(data).read_bytes() if isinstance(data, Path) else data
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
