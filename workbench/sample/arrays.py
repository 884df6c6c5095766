"""Small vectorised helpers of the sample generator: weighted draws, day numbers and dates,
string columns built from numpy arrays, and the recording calendar (weekdays, bank holidays).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def pick_weighted(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices with probability proportional to ``weights``."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    idx = np.searchsorted(cum, rng.random(size) * cum[-1], side="right")
    return np.minimum(idx, len(cum) - 1)


def lognormal_days(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int
) -> np.ndarray:
    """Whole days from a lognormal with the given median and log-scale spread."""
    return np.rint(np.asarray(median) * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def day_numbers(d: date) -> int:
    """Days since 1970-01-01 of one date."""
    return int(np.datetime64(d, "D").astype(np.int64))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day arrays of an array of day numbers."""
    dt = days.astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers of year, month and day arrays (the inverse of :func:`ymd`)."""
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return (months.astype("datetime64[D]").astype(np.int64) + (d - 1)).astype(np.int64)


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Integers as strings left-padded with zeros to ``width``."""
    return np.strings.zfill(np.asarray(values).astype(np.int64).astype("T"), width)


def concat_str(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays (and plain strings)."""
    out = parts[0] if not isinstance(parts[0], str) else np.asarray(parts[0], dtype="T")
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def take_rows(labels: tuple[str, ...] | list[str], idx: np.ndarray) -> np.ndarray:
    """The labels at positions ``idx``, as a string array."""
    return np.asarray(labels, dtype="T")[idx]


def group_seq(keys: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """1-based running number of each row within its key group, counting in ``order``."""
    frame = pd.DataFrame({f"k{i}": k[order] for i, k in enumerate(keys)})
    seq = np.empty(len(order), dtype=np.int64)
    seq[order] = frame.groupby(list(frame.columns), sort=False).cumcount().to_numpy() + 1
    return seq


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return date(year, month, day)


def _bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England and Wales bank holidays (as day numbers), ignoring one-off extra days."""
    out: list[int] = []
    for year in range(first_year, last_year + 1):
        jan1 = np.datetime64(f"{year}-01-01")
        out.append(int(np.busday_offset(jan1, 0, roll="forward").astype(np.int64)))
        easter = day_numbers(_easter(year))
        out += [easter - 2, easter + 1]
        for month, which in ((5, 0), (5, -1), (8, -1)):
            first = np.datetime64(f"{year}-{month:02d}", "M")
            if which == 0:
                day = np.busday_offset(first, 0, roll="forward", weekmask="Mon")
            else:
                day = np.busday_offset(first + 1, -1, roll="forward", weekmask="Mon")
            out.append(int(day.astype("datetime64[D]").astype(np.int64)))
        xmas = np.datetime64(f"{year}-12-25")
        out += [int(xmas.astype(np.int64)), int(xmas.astype(np.int64)) + 1]
    return np.asarray(out, dtype=np.int64)


def recording_weights(start: int, end: int) -> np.ndarray:
    """Relative volume of crime recorded on each day from ``start`` to ``end`` inclusive."""
    days = np.arange(start, end + 1, dtype=np.int64)
    y, m, d = ymd(days)
    weekday = (days + 3) % 7  # 0 = Monday
    w = np.array([1.08, 1.05, 1.04, 1.03, 1.02, 0.84, 0.78])[weekday]
    month = np.array([0.95, 0.93, 0.98, 0.98, 1.02, 1.04, 1.06, 0.88, 1.0, 1.02, 1.0, 0.95])
    w = w * month[m - 1]
    w = np.where(((m == 12) & (d >= 24)) | ((m == 1) & (d == 1)), w * 0.7, w)
    holidays = _bank_holidays(int(y.min()), int(y.max()))
    w = np.where(np.isin(days, holidays), w * 0.6, w)
    lockdown = [
        ("2020-03-01", "2020-03-22", 0.9),
        ("2020-03-23", "2020-05-31", 0.62),
        ("2020-06-01", "2020-06-30", 0.85),
        ("2020-11-05", "2020-12-01", 0.9),
        ("2021-01-05", "2021-03-07", 0.88),
    ]
    for lo, hi, factor in lockdown:
        inside = (days >= day_numbers(date.fromisoformat(lo))) & (
            days <= day_numbers(date.fromisoformat(hi))
        )
        w = np.where(inside, w * factor, w)
    return w * (1.0 + 0.025 * (days - start) / 365.25)
