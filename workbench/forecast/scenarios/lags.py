"""How long cases take from one stage to the next, measured from the journeys.

A change in charges reaches court receipts after the median charge to first hearing interval
(:func:`charge_to_hearing_days`), and reaches disposals after the first hearing to completion
interval (:func:`completion_lag`): not its median alone but its whole distribution, measured by
Kaplan-Meier (:func:`kaplan_meier`) so that cases still open count as censored rather than being
left out (leaving them out would make the courts look faster than they are).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.analysis.journeys.table import JOURNEY_SCHEMA
from workbench.analysis.measures.query import JourneyFilter
from workbench.sql import compose, qualified
from workbench.workspace import Workspace

MIN_COMPLETIONS = 10  # fewer completions than this measure no first hearing to completion lag


@dataclass(frozen=True)
class LagDistribution:
    """How many days cases take from one stage to the next: a probability for each day count.

    Attributes:
        days: Whole days, ascending.
        probs: The probability of each (they sum to at most 1: the rest is the share of cases
            still open beyond the longest time followed).
        cases: Journeys measured.
        still_open: Of those, how many had not completed by the data end (censored).
    """

    days: tuple[int, ...]
    probs: tuple[float, ...]
    cases: int = 0
    still_open: int = 0

    @classmethod
    def fixed(cls, days: int) -> LagDistribution:
        """Every case takes exactly ``days`` (for tests and what-ifs)."""
        return cls((int(days),), (1.0,), 0, 0)

    def quantile(self, q: float) -> float | None:
        """The smallest day count by which a share ``q`` of cases has completed (None: never)."""
        cum = np.cumsum(self.probs)
        hit = np.nonzero(cum >= q - 1e-12)[0]
        return float(self.days[hit[0]]) if hit.size else None

    @property
    def median(self) -> float | None:
        """The median days (None when under half the cases were seen to complete)."""
        return self.quantile(0.5)

    def pmf(self, length: int) -> np.ndarray:
        """Probabilities for 0 … ``length - 1`` days (later days dropped)."""
        out = np.zeros(max(int(length), 0))
        for d, p in zip(self.days, self.probs, strict=True):
            if 0 <= d < length:
                out[d] += p
        return out


def charge_to_hearing_days(
    ws: Workspace, table: str, areas: Sequence[str] | None, court_type: str
) -> float | None:
    """The median days from charge to first hearing of areas at one court type, whole days.

    Args:
        ws: The workspace.
        table: The journey table.
        areas: LCJB areas (None: all).
        court_type: ``magistrates`` or ``Crown``.

    Returns:
        The median over journeys with both dates (first hearing not before charge), rounded to
        whole days; None when there are none.
    """
    where = JourneyFilter(areas=tuple(areas or ()), court_types=(court_type,))
    cond, params = where.sql()
    row = ws.query(
        compose(
            "SELECT median(date_diff('day', charge_date, first_hearing_date)) FROM {t} "
            "WHERE charge_date IS NOT NULL AND first_hearing_date >= charge_date AND {cond}",
            t=qualified(JOURNEY_SCHEMA, table),
            cond=cond,
        ),
        params,
    )
    if not row or row[0][0] is None:
        return None
    return float(round(float(row[0][0])))


def kaplan_meier(
    days: np.ndarray, done: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier probability of completing on each day count, open cases censored.

    Args:
        days: Days from the start stage to completion, or to the data end for open cases.
        done: Whether each case completed (False: still open at ``days``, censored).
        weight: How many cases each entry stands for (default one each).

    Returns:
        The distinct completion day counts (ascending) and the probability of each.
    """
    d = np.asarray(days, dtype=np.int64)
    e = np.asarray(done, dtype=bool)
    w = np.ones(len(d)) if weight is None else np.asarray(weight, dtype=float)
    if not len(d):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    order = np.unique(d)
    at = np.searchsorted(order, d)
    events = np.bincount(at, weights=w * e, minlength=len(order))
    leaving = np.bincount(at, weights=w, minlength=len(order))
    at_risk = leaving[::-1].cumsum()[::-1]  # cases followed at least this long
    hazard = np.divide(events, at_risk, out=np.zeros(len(order)), where=at_risk > 0)
    survival = np.cumprod(1 - hazard)
    before = np.concatenate([[1.0], survival[:-1]])
    probs = before - survival
    keep = events > 0
    return order[keep], probs[keep]


def completion_lag(
    ws: Workspace, table: str, areas: Sequence[str] | None, court_type: str
) -> LagDistribution | None:
    """How long cases take from first hearing to completion in areas at one court type.

    Every journey with a first hearing counts: a completed one at its days to completion, an
    open one as censored at the data end (Kaplan-Meier), so long-running open cases are not
    left out. Completions before the first hearing are data errors and are left out.

    Args:
        ws: The workspace.
        table: The journey table.
        areas: LCJB areas (None: all).
        court_type: ``magistrates`` or ``Crown``.

    Returns:
        The distribution; None when fewer than :data:`MIN_COMPLETIONS` cases completed.
    """
    from workbench.forecast.model.demand import data_span

    span = data_span(ws, table)
    if span is None:
        return None
    where = JourneyFilter(areas=tuple(areas or ()), court_types=(court_type,))
    cond, params = where.sql()
    rows = ws.query(
        compose(
            "SELECT date_diff('day', first_hearing_date, coalesce(completion_date, ?::DATE)) "
            "AS d, completion_date IS NOT NULL AS done, count(*) FROM {t} "
            "WHERE first_hearing_date IS NOT NULL AND first_hearing_date <= ? "
            "AND (completion_date IS NULL OR completion_date >= first_hearing_date) AND {cond} "
            "GROUP BY ALL",
            t=qualified(JOURNEY_SCHEMA, table),
            cond=cond,
        ),
        [span[1], span[1], *params],
    )
    if not rows:
        return None
    d, e, n = (np.array(col) for col in zip(*rows, strict=True))
    completed = int(n[e.astype(bool)].sum())
    if completed < MIN_COMPLETIONS:
        return None
    days, probs = kaplan_meier(d, e, n)
    return LagDistribution(
        tuple(int(x) for x in days),
        tuple(float(p) for p in probs),
        int(n.sum()),
        int(n.sum()) - completed,
    )
