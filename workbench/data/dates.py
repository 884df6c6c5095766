"""Date formats as systems record them, and reading them from text.

One list serves role suggestion (is this column dates?) and standardisation (which format is
this column in?), so both agree on what counts as a date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

#: Date formats recognised in text columns, in the order tried when a column's own format is not
#: known. Day-first (UK) orders come before month-first (US) ones.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%m/%d/%y",
)
MONTH_FIRST = frozenset({"%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%b %d %Y", "%B %d %Y"})
DAY_FIRST = frozenset({"%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y"})
UK_DEFAULT = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y/%m/%d",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d %B %Y",
)

#: Formats with a time, accepted when telling whether values are dates.
TIMESTAMP_FORMATS: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_date_text(text: str, fmt: str) -> date | None:
    """A date read from text in one ``strptime`` format (ISO by its first ten characters).

    Args:
        text: The text, trimmed.
        fmt: A format of :data:`DATE_FORMATS`.

    Returns:
        The date, or ``None`` when the text is not a date in that format.
    """
    try:
        if fmt == "%Y-%m-%d":
            return datetime.fromisoformat(text[:10]).date() if len(text) >= 10 else None
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def infer_date_format(values: Sequence[Any]) -> str | None:
    """The format a column of dates was recorded in, from a sample of its values.

    Every format of :data:`DATE_FORMATS` is tried on every value; the one that reads the most
    values wins. When day-first and month-first read the same share (every day and month is 12
    or less), day-first is chosen, as UK systems record; one value whose second field exceeds
    12 and none whose first does makes the column month-first.

    Args:
        values: Sample values (text or numbers); missing values are skipped.

    Returns:
        A ``strptime`` format, or ``None`` when no format reads at least half the values (or
        the values are already dates).
    """
    texts: list[str] = []
    for v in list(values)[:2000]:
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, date | datetime):
            return None
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(int(v))
        t = re.sub(r"\s+", " ", str(v).replace(",", " ")).strip()
        if t:
            texts.append(t)
    if not texts:
        return None
    today = date.today()
    best: tuple[float, int, str] | None = None
    for rank, fmt in enumerate(DATE_FORMATS):
        ok = 0
        for t in texts:
            d = parse_date_text(t, fmt)
            if d is not None and d.year >= 1000 and d <= today:
                ok += 1
        share = ok / len(texts)
        key = (share, -rank, fmt)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] < 0.5:
        return None
    return best[2]
