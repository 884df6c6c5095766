"""Tables typed for publishing: disclosure control applied, every column given a kind and a format.

Numbers are stored as numbers with number formats (rates as fractions shown as percentages,
counts as whole numbers); hidden (suppressed) values are ``[c]``, values not available ``[x]``
and values that do not apply ``[z]``. Formula injection: any text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written with a leading apostrophe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from workbench.publish.export.disclosure import ProtectArg, apply_protection
from workbench.publish.export.meta import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOLS,
    TableMeta,
)
from workbench.safe_csv import escape_cell

PERCENT_FORMAT = "0.0%"


def capitalise(text: str) -> str:
    """The text with its first letter in upper case, the rest as it is."""
    return text[:1].upper() + text[1:]


def _cell(value: Any) -> Any:
    """One cell's value for a file: text escaped, missing as [x], dates as ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NOT_AVAILABLE
    if isinstance(value, pd.Timestamp | datetime):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and not value.strip():
        return NOT_AVAILABLE
    return escape_cell(value)


_PERCENT_TEXT = re.compile(r"^\s*(-?\d[\d,]*(?:\.\d+)?)\s*%\s*$")


_NUMBER_TEXT = re.compile(r"^\s*-?\d[\d,]*(?:\.\d+)?\s*$")


_RATE_NAME = re.compile(r"(rate|share|proportion|percent|pct|%)", re.IGNORECASE)


_PERIOD_NAME = re.compile(r"\b(period|year)\b", re.IGNORECASE)


_NEW_YEAR = re.compile(r"^\d{4}-01-01$")


_BARE_GAPS = ("n/a", "-", "–", "—", "..")


_WITHHELD = re.compile(
    r"^\s*'?((withheld|suppressed|not (available|shown))\b|(n/a|-|–|—|\.\.)\s*$)", re.IGNORECASE
)


def is_number(value: Any) -> bool:
    """Whether a value is an int or a float (True and False are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimals(values: list[float]) -> int:
    """The fewest decimal places (up to 3) that show every value exactly, else 2."""
    for places in range(4):
        if all(abs(round(v, places) - v) < 1e-9 for v in values):
            return places
    return 2


class Percent(float):
    """A fraction shown as a percentage, in a column that also holds other kinds of number."""


def _number_of(value: Any) -> float | int:
    """A number, or numeric text as a number ("61.2%" as :class:`Percent` 0.612)."""
    if not isinstance(value, str):
        return value
    if m := _PERCENT_TEXT.match(value):
        return Percent(float(m.group(1).replace(",", "")) / 100)
    return float(value.replace(",", "").strip())


def _is_numeric_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_PERCENT_TEXT.match(value) or _NUMBER_TEXT.match(value))


def _type_column(name: str, cells: list[Any]) -> tuple[str, list[Any], list[str]]:
    """A column's kind (integer, decimal, percent, year or text), its cells as stored, and the
    words that stood where a number of the column was withheld.

    Percentages written as text (``"61.2%"``) become fractions (0.612) shown with a percentage
    format; numbers written as text become numbers; symbols stay as they are. A cell saying its
    value is withheld ("withheld: fewer than 30 cases", "suppressed", "n/a", "-") becomes
    ``[x]`` and its words are returned, to be said once in a note, so that the column stays
    numeric; other words (such as "10+") keep the column as text.
    """
    values = [c for c in cells if c not in SYMBOLS]
    if (
        _PERIOD_NAME.search(name)
        and values
        and all(isinstance(v, str) and _NEW_YEAR.match(v) for v in values)
        and len(set(values)) > 1
    ):  # a yearly series: its periods are years ("2019"), not the 1 January of each
        return "year", [c if c in SYMBOLS else int(c[:4]) for c in cells], []
    words = [v for v in values if isinstance(v, str) and not _is_numeric_text(v)]
    reasons: list[str] = []
    # numbers with words where some are withheld, or a column withheld throughout (other
    # words, such as "10+", keep the column as text)
    if words and all(_WITHHELD.match(w) for w in words):
        said = (str(w).lstrip("'").strip() for w in words)  # a bare "-" needs no note
        reasons = list(dict.fromkeys(w for w in said if w.lower() not in _BARE_GAPS))
        cells = [NOT_AVAILABLE if c in words else c for c in cells]
        values = [c for c in cells if c not in SYMBOLS]
    if not values:
        return "text", cells, reasons
    if all(isinstance(v, str) and _PERCENT_TEXT.match(v) for v in values):
        out = [
            c if c in SYMBOLS else float(_PERCENT_TEXT.match(c).group(1).replace(",", "")) / 100  # type: ignore[union-attr]
            for c in cells
        ]
        return "percent", out, reasons
    if all(is_number(v) or _is_numeric_text(v) for v in values):
        cells = [c if c in SYMBOLS else _number_of(c) for c in cells]
        values = [c for c in cells if c not in SYMBOLS]
        if any(isinstance(v, Percent) for v in values):
            # rates and other measures in one column (a dashboard's "Value"): each cell keeps
            # its own format, rates as percentages
            return "decimal", cells, reasons
    if not all(is_number(v) for v in values):
        return "text", cells, []
    if _RATE_NAME.search(name) and all(0 <= float(v) <= 1 for v in values):
        return "percent", [c if c in SYMBOLS else float(c) for c in cells], reasons
    if all(float(v).is_integer() for v in values):
        kind = "year" if _PERIOD_NAME.search(name) else "integer"
        return kind, [c if c in SYMBOLS else int(c) for c in cells], reasons
    return "decimal", [c if c in SYMBOLS else float(c) for c in cells], reasons


HEADER_WORDS: dict[str, str] = {
    "n": "Cases",
    "mase": "Mean absolute scaled error (MASE)",
    "baseline_mase": "Baseline MASE",
    "freq": "Frequency",
    "freq_reason": "Why this frequency",
    "lcjb_area": "LCJB area",
    "court_type": "Court type",
}


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


_PERCENTILE = re.compile(r"[Pp](\d{1,2})")


def plain_header(name: str) -> str:
    """A column name as a reader expects it: ``court_type`` -> "Court type", ``P90`` -> "90th
    percentile", ``N`` -> "Cases"; names already in words are kept as they are."""
    if m := _PERCENTILE.fullmatch(name):
        n = int(m.group(1))
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix} percentile"
    if name.lower() in HEADER_WORDS and (name == "N" or _IDENTIFIER.fullmatch(name)):
        return HEADER_WORDS[name.lower()]
    if _IDENTIFIER.fullmatch(name):
        return capitalise(re.sub(r"_+", " ", name).strip())
    return name


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class PreparedTable:
    """A table ready to write: its header, typed cells and how each column is shown.

    Attributes:
        header: The column labels.
        kinds: Per column: ``integer``, ``year``, ``decimal``, ``percent`` or ``text``.
        formats: Per column: the spreadsheet number format (``#,##0``, ``0.0%`` …; ``@`` text).
        rows: The cells: numbers as numbers (percentages as fractions), text escaped, and
            ``[c]``, ``[x]`` or ``[z]`` where there is no value.
        meta: The completed :class:`TableMeta` (its disclosure note filled in).
    """

    header: list[str]
    kinds: list[str]
    formats: list[str]
    rows: list[list[Any]]
    meta: TableMeta

    def shown(self, row: int, col: int) -> str:
        """A cell as a reader sees it (``61.2%``, ``1,234``, ``[c]``)."""
        return show_value(self.rows[row][col], self.kinds[col], self.formats[col])


def show_value(value: Any, kind: str, fmt: str = "") -> str:
    """A typed cell as text the way its number format shows it."""
    if not is_number(value):
        return str(value)
    if kind == "percent" or isinstance(value, Percent):
        return f"{float(value):.1%}"
    if kind == "year":
        return str(int(value))
    if kind == "integer":
        return f"{int(value):,}"
    places = fmt.count("0") - 1 if "." in fmt else 0
    return f"{float(value):,.{max(places, 0)}f}"


def cell_format(value: Any, column_format: str) -> str:
    """A cell's number format: its column's, or a percentage for a :class:`Percent`."""
    return PERCENT_FORMAT if isinstance(value, Percent) else column_format


def _number_format(kind: str, values: list[Any]) -> str:
    if kind == "percent":
        return PERCENT_FORMAT
    if kind == "integer":
        return "#,##0"
    if kind == "year":
        return "0"
    if kind == "decimal":
        places = _decimals(
            [float(v) for v in values if is_number(v) and not isinstance(v, Percent)]
        )
        return "#,##0" + ("." + "0" * places if places else "")
    return "@"


def typed_table(frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None) -> PreparedTable:
    """Apply disclosure control and type every column, for the spreadsheet and CSV writers.

    Args:
        frame: The table (an index is written as the first columns).
        meta: Title, source and notes.
        protect: Disclosure control to apply first (see :func:`apply_protection`).

    Returns:
        The :class:`PreparedTable`: hidden cells ``[c]``, missing ones ``[x]``, cells the
        caller marked ``[z]`` kept; rates stored as fractions with a percentage format.
    """
    header, rows, meta = prepare_table(frame, meta, protect)
    columns = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in header]
    header = [plain_header(h) for h in header]
    kinds, formats = [], []
    withheld: dict[str, list[str]] = {}  # why -> the columns where [x] means it
    for j, name in enumerate(header):
        kind, cells, reasons = _type_column(name, columns[j])
        columns[j] = cells
        kinds.append(kind)
        formats.append(_number_format(kind, cells))
        for why in reasons:
            withheld.setdefault(why, []).append(name)
    if withheld:
        said = [
            f"{NOT_AVAILABLE} in the {_and(names)} column{'s' if len(names) > 1 else ''} "
            f"means {why}."
            for why, names in withheld.items()
        ]
        meta = replace(meta, notes=(*meta.notes, *said))
    typed = [list(r) for r in zip(*columns, strict=True)] if rows else []
    return PreparedTable(header, kinds, formats, typed, meta)


def prepare_table(
    frame: pd.DataFrame, meta: TableMeta, protect: ProtectArg = None
) -> tuple[list[str], list[list[Any]], TableMeta]:
    """The header, the rows of cells (escaped, suppressed as ``[c]``) and the completed meta."""
    result = apply_protection(frame, protect)
    table = result.table if result is not None else frame
    if result is not None:
        meta = replace(meta, disclosure_note=result.note)
    elif not meta.disclosure_note:
        meta = replace(meta, disclosure_note="No disclosure control was applied by this export.")
    mask = (
        result.hidden.reindex(columns=table.columns, fill_value=False)
        .fillna(False)
        .to_numpy(dtype=bool)
        if result is not None
        else None
    )
    if not isinstance(table.index, pd.RangeIndex):
        extra = table.index.nlevels
        if extra == frame.index.nlevels and not any(table.index.names):
            table = table.rename_axis(frame.index.names)
        table = table.reset_index()
        if mask is not None:
            mask = pd.concat(
                [
                    pd.DataFrame(False, index=range(len(mask)), columns=range(extra)),
                    pd.DataFrame(mask),
                ],
                axis=1,
            ).to_numpy(dtype=bool)
    header = [str(escape_cell(str(c))) for c in table.columns]
    rows = [
        [
            SUPPRESSED if mask is not None and mask[i, j] else _cell(value)
            for j, value in enumerate(record)
        ]
        for i, record in enumerate(table.itertuples(index=False, name=None))
    ]
    for i, column in meta.not_applicable:
        j = header.index(column) if column in header else -1
        if 0 <= i < len(rows) and j >= 0 and rows[i][j] == NOT_AVAILABLE:
            rows[i][j] = NOT_APPLICABLE
    return header, rows, meta
