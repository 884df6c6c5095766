"""What-if scenarios: receipts, disposals and the outstanding caseload projected forward.

A scenario starts from a receipts forecast (:mod:`workbench.forecast.model`) and the state of the
courts at the last period of history (open cases, recent disposals per week), and applies two
changes:

- **charge volumes**: charges change by ``charge_change_pct`` percent from ``change_from``.
  The change passes through the two measured stage lags of the series' areas and court type
  (:func:`stage_lags`):

  1. it reaches court **receipts** after the median charge to first hearing interval
     (:attr:`CourtState.charge_lag_days`), so receipts change from ``change_from + lag1``; a
     period that the lagged change starts inside changes by the share of its days on or after
     it;
  2. the added (or missing) receipts reach **disposals** after the first hearing to completion
     interval (:attr:`CourtState.completion_lag`): not its median alone but its whole
     distribution, measured by Kaplan-Meier from the journeys so that cases still open count as
     censored rather than being left out (leaving them out would make the courts look faster
     than they are). Each period's extra receipts are spread evenly over its days and complete
     ``d`` days later with the probability measured for ``d``. The outstanding caseload then
     settles at the change in receipts times the *mean* time to completion (Little's law), not
     the median, and not the unbounded growth of a change that never reaches disposals;
- **disposal capacity**: the courts dispose of ``capacity_per_week`` cases a week at today's
  charge volumes (None keeps the recent rate); the completions of the changed charges come on
  top of it.

The projection, period by period ``t`` (a month holds ``days / 7`` weeks of capacity)::

    receipts[t]    = forecast[t] × (1 + pct / 100 × share of period[t] on or after
                                     change_from + lag1)
    extra[t]       = Σ_s (receipts[s] - forecast[s]) × P(completed in period t | received in s)
    disposals[t]   = min(capacity × weeks[t] + extra[t], outstanding[t-1] + receipts[t])
    outstanding[t] = outstanding[t-1] + receipts[t] - disposals[t]

Without a measured completion lag (``completion_lag`` None) a change in charges never reaches
disposals: ``extra`` is zero, as when the courts cannot dispose of more than ``capacity``.

Intervals: the receipts interval of each period gives a standard deviation
``(upper - lower) / (2 z)``; errors are taken as independent, so cumulative receipts have the
square root of the summed variances, and the caseload bounds are the same recursion run on the
lower and upper cumulative receipts. The **baseline** is the same projection with no change.

Scenarios are saved in ``wb.forecast_scenarios`` with their projection, compared side by side
and exported as CSV. Each has an owner (names are unique per owner; saving never replaces one),
the areas it covers and the areas it is published to. A user lists, compares and downloads their
own scenarios and those published to their areas; analysts and admins with every area see every
scenario; a user with some areas never sees a scenario covering an area outside them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from io import StringIO
from statistics import NormalDist
from typing import NoReturn

import numpy as np
import pandas as pd

from workbench.access.auth import ALL_AREAS, User
from workbench.analysis.journeys import JOURNEY_SCHEMA
from workbench.analysis.measures import JourneyFilter, keyed_source, outstanding_caseload
from workbench.disclosure.control import KEY_SPACE, KEY_SUFFIX, protect_frame
from workbench.errors import AccessDeniedError, ForecastError, ValidationError
from workbench.forecast.model.series import SeriesForecast
from workbench.reference import LCJB_AREAS
from workbench.safe_csv import frame_to_csv
from workbench.sql import qualified
from workbench.workspace import Workspace, utcnow

BASELINE = "baseline"
MIN_COMPLETIONS = 10  # fewer completions than this measure no first hearing to completion lag
COURT_WORDS = {"magistrates": "magistrates' court", "Crown": "Crown Court"}
SCENARIO_REFUSED = "forecast.scenario.refused"
SCENARIO_READ_OTHER = "forecast.scenario.read_other"
PROJECTION_COLUMNS = [
    "scenario",
    "period",
    "receipts",
    "receipts_lower",
    "receipts_upper",
    "disposals",
    "outstanding",
    "outstanding_lower",
    "outstanding_upper",
]


@dataclass(frozen=True)
class Scenario:
    """A what-if: what changes, from when, for which series.

    Attributes:
        name: The scenario's name (unique among its owner's scenarios).
        area: The series' area label.
        court_type: The series' court type.
        freq: ``week`` or ``month``.
        horizon: Periods projected.
        charge_change_pct: Change in charge volumes, percent (-50 means half as many).
        change_from: First date the change applies (None: from the first projected period).
        capacity_per_week: Disposals a week at today's charge volumes (None: the recent rate);
            the completions of changed charges come on top (see the module notes).
    """

    name: str
    area: str
    court_type: str
    freq: str = "week"
    horizon: int = 13
    charge_change_pct: float = 0.0
    change_from: date | None = None
    capacity_per_week: float | None = None


@dataclass(frozen=True)
class CourtState:
    """Where the courts stand at the end of the history.

    Attributes:
        at: The date of the state.
        outstanding: Open cases (first hearing held, not completed).
        disposals_per_week: Mean completions a week over the 13 weeks to ``at``.
        hidden: True when disclosure control hides either count (fewer than 10 cases): the
            state must not be shown or projected from.
        charge_lag_days: Median days from charge to first hearing (0: a change in charges
            reaches court receipts at once); see :func:`charge_to_hearing_days`.
        completion_lag: Days from first hearing to completion (:func:`completion_lag`); None:
            a change in charges does not reach disposals.
    """

    at: date
    outstanding: float
    disposals_per_week: float
    hidden: bool = False
    charge_lag_days: float = 0.0
    completion_lag: LagDistribution | None = None


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


@dataclass(frozen=True)
class StageLags:
    """The two stage lags a change in charges passes through, measured for one series.

    Attributes:
        court_type: The court type they were measured at.
        charge_to_hearing: Median days from charge to first hearing (None: not measured).
        hearing_to_completion: The first hearing to completion distribution (None: too few
            completions, under :data:`MIN_COMPLETIONS`).
    """

    court_type: str
    charge_to_hearing: float | None
    hearing_to_completion: LagDistribution | None

    def apply(self, state: CourtState) -> CourtState:
        """The state with these lags (an unmeasured charge lag counts as none)."""
        return replace(
            state,
            charge_lag_days=self.charge_to_hearing or 0.0,
            completion_lag=self.hearing_to_completion,
        )

    def sentences(self) -> list[str]:
        """The lags in words, one sentence each, for the page and the downloads' notes."""
        court = COURT_WORDS.get(self.court_type, self.court_type)
        if self.charge_to_hearing is None:
            first = (
                "No charge to first hearing interval was measured: a change in charges reaches "
                "court receipts at once."
            )
        else:
            first = (
                f"A change in charges reaches {court} receipts {self.charge_to_hearing:.0f} days "
                "later (the median from charge to first hearing)."
            )
        lag = self.hearing_to_completion
        if lag is None:
            second = (
                "Too few completions were seen to measure the time from first hearing to "
                "completion: the changed receipts are not disposed of within the projection "
                "(disposals stay at the capacity set)."
            )
        else:
            median, upper = lag.median, lag.quantile(0.75)
            middle = "over half still open" if median is None else f"median {median:.0f} days"
            tail = "" if upper is None else f"; a quarter take longer than {upper:.0f} days"
            second = (
                f"It reaches disposals as those cases complete: first hearing to completion "
                f"{middle}{tail} (Kaplan-Meier, cases still open counted as censored), the "
                "whole distribution applied, not just the median."
            )
        return [first, second]


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
        "SELECT median(date_diff('day', charge_date, first_hearing_date)) "  # noqa: S608
        f"FROM {qualified(JOURNEY_SCHEMA, table)} WHERE charge_date IS NOT NULL "
        f"AND first_hearing_date >= charge_date AND {cond}",
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
        "SELECT date_diff('day', first_hearing_date, coalesce(completion_date, ?::DATE)) AS d, "  # noqa: S608
        "completion_date IS NOT NULL AS done, count(*) "
        f"FROM {qualified(JOURNEY_SCHEMA, table)} WHERE first_hearing_date IS NOT NULL "
        "AND first_hearing_date <= ? AND (completion_date IS NULL OR "
        f"completion_date >= first_hearing_date) AND {cond} GROUP BY ALL",
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


def stage_lags(
    ws: Workspace, table: str, areas: Sequence[str] | None, court_type: str
) -> StageLags:
    """Both stage lags of a series: charge to first hearing and first hearing to completion.

    Args:
        ws: The workspace.
        table: The journey table.
        areas: LCJB areas (None: all, as for England and Wales).
        court_type: ``magistrates`` or ``Crown``.
    """
    return StageLags(
        court_type,
        charge_to_hearing_days(ws, table, areas, court_type),
        completion_lag(ws, table, areas, court_type),
    )


def scenario_notes(state: CourtState, court_type: str) -> tuple[str, ...]:
    """The notes a scenario's downloads carry: the stage lags it used and how they act."""
    lags = StageLags(court_type, state.charge_lag_days or None, state.completion_lag)
    return (
        *lags.sentences(),
        "Disposals: the capacity set (cases a week at today's charge volumes) plus the "
        "completions of the changed charges; the outstanding caseload is open cases after "
        "their first hearing.",
    )


def court_state(
    ws: Workspace,
    table: str,
    at: date,
    areas: Sequence[str] | None,
    court_type: str,
    protect: bool = False,
) -> CourtState:
    """The outstanding caseload and recent disposal rate of areas at one court type.

    Args:
        ws: The workspace.
        table: The journey table.
        at: The date (usually the last day of the history).
        areas: LCJB areas (None: all).
        court_type: ``magistrates`` or ``Crown``.
        protect: Apply disclosure control (for a leader): both counts are adjusted by their
            cell keys, and the state is marked hidden when either is under the threshold.

    Returns:
        The state at ``at``.
    """
    where = JourneyFilter(areas=tuple(areas or ()), court_types=(court_type,))
    open_cases = outstanding_caseload(ws, at, table=table, where=where, keys=protect)
    cond, params = where.sql()
    start = at - timedelta(days=91)
    source = (
        keyed_source(ws, qualified(JOURNEY_SCHEMA, table))
        if protect
        else qualified(JOURNEY_SCHEMA, table)
    )
    key_sql = f", CAST(sum(_rk) % {KEY_SPACE} AS BIGINT)" if protect else ""
    done_row = ws.query(
        f"SELECT count(*){key_sql} FROM {source} "  # noqa: S608 - quoted name, constants
        f"WHERE completion_date > ? AND completion_date <= ? AND {cond}",
        [start, at, *params],
    )[0]
    outstanding, done = float(open_cases["cases"].sum()), float(done_row[0])
    if not protect:
        return CourtState(at, outstanding, done / 13.0)
    open_key = int(open_cases[f"cases{KEY_SUFFIX}"].fillna(0).astype("int64").sum()) % KEY_SPACE
    counts = pd.DataFrame(
        {
            "cases": [outstanding, done],
            f"cases{KEY_SUFFIX}": [open_key if outstanding else None, done_row[1]],
        }
    )
    shown = protect_frame(counts, counts=["cases"])
    values = shown.table["cases"]
    hidden = bool(shown.hidden["cases"].any())
    adjusted = [0.0 if pd.isna(v) else float(v) for v in values]
    return CourtState(at, adjusted[0], adjusted[1] / 13.0, hidden=hidden)


def _weeks(periods: pd.Series, freq: str) -> np.ndarray:
    if freq == "week":
        return np.ones(len(periods))
    return pd.DatetimeIndex(periods).days_in_month.to_numpy(dtype=float) / 7.0


def _share_after(periods: pd.Series, freq: str, start: pd.Timestamp) -> np.ndarray:
    """The share of each period's days on or after ``start`` (0 to 1)."""
    first = pd.DatetimeIndex(periods)
    days = _weeks(periods, freq) * 7.0
    after = (first + pd.to_timedelta(days, unit="D") - start) / pd.Timedelta(days=1)
    return np.clip(np.asarray(after, dtype=float) / days, 0.0, 1.0)


def _caseload(
    receipts: np.ndarray, capacity: np.ndarray, start: float
) -> tuple[np.ndarray, np.ndarray]:
    disposals = np.zeros(len(receipts))
    outstanding = np.zeros(len(receipts))
    level = float(start)
    for t, (r, c) in enumerate(zip(receipts, capacity, strict=True)):
        disposals[t] = min(max(c, 0.0), max(level + r, 0.0))
        level = max(level + r - disposals[t], 0.0)
        outstanding[t] = level
    return disposals, outstanding


def lagged_completions(
    extra: np.ndarray, periods: pd.Series, freq: str, lag: LagDistribution | None
) -> np.ndarray:
    """When extra receipts complete: each period's spread evenly over its days, then lagged.

    Args:
        extra: Receipts added (or, negative, removed) in each period.
        periods: The first day of each period.
        freq: ``week`` or ``month``.
        lag: Days from first hearing to completion (None: they do not complete here).

    Returns:
        The completions added in each period (the rest complete after the last period).
    """
    extra = np.asarray(extra, dtype=float)
    if lag is None or not extra.any():
        return np.zeros(len(extra))
    days = np.rint(_weeks(periods, freq) * 7.0).astype(int)
    daily = np.repeat(extra / days, days)
    done = np.convolve(daily, lag.pmf(len(daily)))[: len(daily)]
    starts = np.concatenate([[0], np.cumsum(days)[:-1]])
    return np.add.reduceat(done, starts)


def project(
    forecast: pd.DataFrame,
    state: CourtState,
    scenario: Scenario,
    interval_width: float = 0.8,
) -> pd.DataFrame:
    """Project receipts, disposals and the outstanding caseload under a scenario.

    Args:
        forecast: ``period``, ``forecast``, ``lower``, ``upper`` (a receipts forecast).
        state: The outstanding caseload, disposal rate and stage lags to start from (the
            change in charges reaches receipts ``charge_lag_days`` later, and disposals as
            those receipts complete, by ``completion_lag``).
        scenario: The changes; use ``charge_change_pct=0`` and no capacity for the baseline.
        interval_width: The coverage of the forecast's intervals.

    Returns:
        :data:`PROJECTION_COLUMNS`, one row per period.

    Raises:
        ForecastError: When the forecast is empty or the settings are impossible.
    """
    if forecast is None or forecast.empty:
        raise ForecastError("There is no receipts forecast to project from.")
    if scenario.charge_change_pct < -100:
        raise ForecastError("Charge volumes cannot fall by more than 100%.")
    if scenario.capacity_per_week is not None and scenario.capacity_per_week < 0:
        raise ForecastError("Disposal capacity cannot be negative.")
    periods = pd.to_datetime(forecast["period"]).reset_index(drop=True)
    factor = np.ones(len(periods))
    if scenario.charge_change_pct:
        start = pd.Timestamp(scenario.change_from) if scenario.change_from else periods.iloc[0]
        reaches = start + pd.Timedelta(days=float(state.charge_lag_days or 0.0))
        share = _share_after(periods, scenario.freq, reaches)
        factor = 1 + scenario.charge_change_pct / 100.0 * share
    mean = forecast["forecast"].to_numpy(dtype=float) * factor
    lower = forecast["lower"].to_numpy(dtype=float) * factor
    upper = forecast["upper"].to_numpy(dtype=float) * factor
    rate = (
        state.disposals_per_week
        if scenario.capacity_per_week is None
        else float(scenario.capacity_per_week)
    )
    extra = forecast["forecast"].to_numpy(dtype=float) * (factor - 1)
    done = lagged_completions(extra, periods, scenario.freq, state.completion_lag)
    capacity = rate * _weeks(periods, scenario.freq) + done
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    sd = (upper - lower) / (2 * z)
    spread = z * np.sqrt(np.cumsum(sd**2))
    cum = np.cumsum(mean)
    disposals, outstanding = _caseload(mean, capacity, state.outstanding)
    bounds = []
    for cum_bound in (np.maximum(cum - spread, 0), cum + spread):
        steps = np.diff(np.concatenate([[0.0], cum_bound]))
        bounds.append(_caseload(steps, capacity, state.outstanding)[1])
    return pd.DataFrame(
        {
            "scenario": scenario.name,
            "period": periods,
            "receipts": mean,
            "receipts_lower": lower,
            "receipts_upper": upper,
            "disposals": disposals,
            "outstanding": outstanding,
            "outstanding_lower": np.minimum(bounds[0], outstanding),
            "outstanding_upper": np.maximum(bounds[1], outstanding),
        }
    )[PROJECTION_COLUMNS]


def project_with_baseline(
    result: SeriesForecast, state: CourtState, scenario: Scenario
) -> pd.DataFrame:
    """The scenario's projection and the baseline's (no change) stacked, for charts."""
    base = Scenario(BASELINE, scenario.area, scenario.court_type, scenario.freq, scenario.horizon)
    width = result.settings.interval_width
    return pd.concat(
        [
            project(result.forecast, state, base, width),
            project(result.forecast, state, scenario, width),
        ],
        ignore_index=True,
    )


# ------------------------------------------------------------------------------ storage
_SETTINGS = (
    "name, area, court_type, freq, horizon, charge_change_pct, change_from, capacity_per_week"
)


def _sees_all(user: User) -> bool:
    return user.allowed_areas is None and bool({"admin", "analyst"} & set(user.roles))


def _published_to(user: User, audience: Sequence[str]) -> bool:
    allowed = user.allowed_areas
    if not audience:
        return False
    return ALL_AREAS in audience or allowed is None or bool(set(audience) & set(allowed))


def can_read_scenario(
    user: User, owner: str, areas: Sequence[str], audience: Sequence[str]
) -> bool:
    """Whether the user may see a saved scenario covering ``areas`` and published to ``audience``.

    A user with some areas sees a scenario only when it covers none but theirs; then they see
    their own, and those published to one of their areas. Analysts and admins with every area
    see every scenario.
    """
    allowed = user.allowed_areas
    if allowed is not None and (not areas or ALL_AREAS in areas or not set(areas) <= set(allowed)):
        return False
    return owner == user.username or _sees_all(user) or _published_to(user, audience)


def _refuse(ws: Workspace, user: User, action: str, target: str, message: str) -> NoReturn:
    ws.audit(SCENARIO_REFUSED, target, {"action": action}, actor=user.username)
    raise AccessDeniedError(message)


def _fetch(ws: Workspace, owner: str, name: str) -> tuple[list[str], list[str]] | None:
    rows = ws.query(
        "SELECT areas, audience FROM wb.forecast_scenarios WHERE owner = ? AND name = ?",
        [owner, name],
    )
    return (json.loads(rows[0][0]), json.loads(rows[0][1])) if rows else None


def _check_areas(areas: Sequence[str]) -> list[str]:
    names = sorted({a.strip() for a in areas if a.strip()})
    known = {*LCJB_AREAS, ALL_AREAS}
    if unknown := [a for a in names if a not in known]:
        raise ValidationError(f"{', '.join(map(repr, unknown))} is not an LCJB area.")
    return names


def save_scenario(
    ws: Workspace,
    user: User,
    scenario: Scenario,
    projection: pd.DataFrame,
    areas: Sequence[str] | None = None,
) -> None:
    """Save a new scenario and its projection, owned by the user; it never replaces one.

    Args:
        ws: The workspace.
        user: Who saves (the owner).
        scenario: The settings.
        projection: The projection (its rows for ``scenario.name`` are kept).
        areas: The LCJB areas the scenario's series covers (None or empty: every area).

    Raises:
        ForecastError: When the name is empty or reserved, or the user already has a scenario
            of that name.
        AccessDeniedError: (audited) When the scenario covers an area outside the user's.
    """
    name = scenario.name.strip()
    if not name or name == BASELINE:
        raise ForecastError(
            "A scenario needs a name other than 'baseline'.", hint="Type a name and save again."
        )
    covered = _check_areas(areas or ()) or [ALL_AREAS]
    target = f"{user.username}/{name}"
    allowed = user.allowed_areas
    if allowed is not None and (ALL_AREAS in covered or not set(covered) <= set(allowed)):
        _refuse(ws, user, "save", target, "You can only save scenarios for your own areas.")
    exists = ForecastError(
        f"You already have a scenario called {name!r}.",
        hint="Pick another name, or delete the saved one first.",
    )
    rows = projection[projection["scenario"] == scenario.name]
    payload = rows.to_json(orient="split", date_format="iso", index=False)
    with ws.transaction() as cur:
        if cur.execute(
            "SELECT 1 FROM wb.forecast_scenarios WHERE owner = ? AND name = ?",
            [user.username, name],
        ).fetchone():
            raise exists
        cur.execute(
            "INSERT INTO wb.forecast_scenarios (owner, name, area, court_type, freq, horizon, "
            "charge_change_pct, change_from, capacity_per_week, areas, audience, created_at, "
            "created_by, projection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                user.username,
                name,
                scenario.area,
                scenario.court_type,
                scenario.freq,
                int(scenario.horizon),
                float(scenario.charge_change_pct),
                scenario.change_from,
                scenario.capacity_per_week,
                json.dumps(covered),
                "[]",
                utcnow(),
                user.username,
                payload,
            ],
        )
        detail = {**asdict(scenario), "areas": covered}
        ws.audit("forecast.scenario.save", target, detail, actor=user.username, cur=cur)


def list_scenarios(ws: Workspace, user: User) -> pd.DataFrame:
    """The saved scenarios the user may see, newest first (without their projections).

    Returns:
        The settings plus ``owner``, ``created_at``, ``created_by``, ``areas`` (what the series
        covers), ``published_to`` and ``editable`` (whether the user may delete or publish it).
    """
    frame = ws.query_df(
        f"SELECT owner, {_SETTINGS}, created_at, created_by, areas, audience "  # noqa: S608
        "FROM wb.forecast_scenarios ORDER BY created_at DESC, owner, name"
    )
    areas = frame["areas"].map(json.loads)
    audience = frame["audience"].map(json.loads)
    keep = [
        can_read_scenario(user, owner, a, b)
        for owner, a, b in zip(frame["owner"], areas, audience, strict=True)
    ]
    out = frame.assign(
        areas=areas.map(", ".join),
        published_to=audience.map(", ".join),
        editable=[o == user.username or user.is_admin for o in frame["owner"]],
    ).drop(columns=["audience"])
    first = ["name", "owner"]
    out = out[first + [c for c in out.columns if c not in first]]
    return out[keep].reset_index(drop=True)


def load_scenario(
    ws: Workspace, user: User, name: str, owner: str | None = None
) -> tuple[Scenario, pd.DataFrame]:
    """A saved scenario the user may see, and its projection.

    Args:
        ws: The workspace.
        user: Who opens it.
        name: The scenario's name.
        owner: Whose scenario (default: the user's own).

    Raises:
        ForecastError: When the user has no scenario of that name.
        AccessDeniedError: (audited) When another owner's scenario is not the user's to see
            (whether it exists or not).
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    found = _fetch(ws, owner, name)
    if owner == user.username and found is None:
        raise ForecastError(f"There is no saved scenario called {name!r}.")
    if found is None or not can_read_scenario(user, owner, *found):
        _refuse(ws, user, "open", target, f"You cannot see the scenario {target}.")
    if owner != user.username:
        ws.audit(SCENARIO_READ_OTHER, target, {}, actor=user.username)
    rows = ws.query(
        f"SELECT {_SETTINGS}, projection FROM wb.forecast_scenarios "  # noqa: S608 - constant
        "WHERE owner = ? AND name = ?",
        [owner, name],
    )
    *fields, payload = rows[0]
    scenario = Scenario(*fields)
    frame = pd.read_json(StringIO(payload), orient="split")
    frame["period"] = pd.to_datetime(frame["period"]).dt.tz_localize(None)
    frame["scenario"] = frame["scenario"].astype(str)
    return scenario, frame[PROJECTION_COLUMNS]


def _may_change(ws: Workspace, user: User, owner: str, name: str, action: str) -> bool:
    """Whether the scenario exists and the user may change it; refuses another owner's."""
    found = _fetch(ws, owner, name)
    if owner == user.username:
        return found is not None
    if found is None or not (user.is_admin and can_read_scenario(user, owner, *found)):
        _refuse(ws, user, action, f"{owner}/{name}", f"You cannot {action} {owner}'s scenario.")
    return True


def delete_scenario(ws: Workspace, user: User, name: str, owner: str | None = None) -> None:
    """Delete a saved scenario: the user's own (nothing happens when there is none), or as admin.

    Raises:
        AccessDeniedError: (audited) When it is another owner's and the user is not an admin
            who can see it.
    """
    owner = owner or user.username
    if not _may_change(ws, user, owner, name, "delete"):
        return
    with ws.transaction() as cur:
        cur.execute("DELETE FROM wb.forecast_scenarios WHERE owner = ? AND name = ?", [owner, name])
        ws.audit("forecast.scenario.delete", f"{owner}/{name}", {}, actor=user.username, cur=cur)


def publish_scenario(
    ws: Workspace, user: User, name: str, audience: Sequence[str], owner: str | None = None
) -> None:
    """Let the users of some areas see a scenario (an empty list withdraws it).

    Users with some areas still see it only when it covers none but theirs.

    Raises:
        ForecastError: When the user has no scenario of that name.
        ValidationError: When an area is not an LCJB area.
        AccessDeniedError: (audited) When the user may not publish it, or not to those areas.
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    areas = _check_areas(audience)
    if not _may_change(ws, user, owner, name, "publish"):
        raise ForecastError(f"There is no saved scenario called {name!r}.")
    allowed = user.allowed_areas
    if allowed is not None and not set(areas) <= set(allowed):
        _refuse(ws, user, "publish", target, "You can only publish to your own areas.")
    with ws.transaction() as cur:
        cur.execute(
            "UPDATE wb.forecast_scenarios SET audience = ? WHERE owner = ? AND name = ?",
            [json.dumps(areas), owner, name],
        )
        detail = {"audience": areas}
        ws.audit("forecast.scenario.publish", target, detail, actor=user.username, cur=cur)


def compare_scenarios(
    ws: Workspace, user: User, refs: Sequence[str | tuple[str, str]]
) -> pd.DataFrame:
    """Saved scenarios side by side: their settings and projections in one long frame.

    Args:
        ws: The workspace.
        user: Who compares: every scenario must be one they may see.
        refs: The user's own scenarios by name, others' as ``(owner, name)``.

    Returns:
        :data:`PROJECTION_COLUMNS` plus ``owner``, ``area``, ``court_type``,
        ``charge_change_pct``, ``change_from`` and ``capacity_per_week``; another owner's
        scenario is labelled ``name (owner)`` in ``scenario``.

    Raises:
        AccessDeniedError: (audited) When one of them is not the user's to see.
    """
    frames = []
    for ref in refs:
        owner, name = (None, ref) if isinstance(ref, str) else ref
        scenario, frame = load_scenario(ws, user, name, owner)
        settings = {
            k: v
            for k, v in asdict(scenario).items()
            if k in ("area", "court_type", "charge_change_pct", "change_from", "capacity_per_week")
        }
        if owner not in (None, user.username):
            frame = frame.assign(scenario=f"{name} ({owner})")
        frames.append(frame.assign(owner=owner or user.username, **settings))
    if not frames:
        return pd.DataFrame(columns=PROJECTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def scenario_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: total receipts and disposals, and the caseload at the end."""
    if comparison.empty:
        return pd.DataFrame()
    last = comparison.sort_values("period").groupby("scenario").tail(1).set_index("scenario")
    sums = comparison.groupby("scenario")[["receipts", "disposals"]].sum()
    out = sums.join(last[["outstanding", "outstanding_lower", "outstanding_upper"]])
    return out.rename(columns={"outstanding": "outstanding_at_end"}).reset_index()


SUMMARY_HEADERS: dict[str, str] = {
    "scenario": "Scenario",
    "receipts": "Receipts over the horizon",
    "disposals": "Disposals over the horizon",
    "outstanding_at_end": "Outstanding at the end",
    "outstanding_lower": "Outstanding at the end, lower bound",
    "outstanding_upper": "Outstanding at the end, upper bound",
}


def readable_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`scenario_summary` for people: column names in words, whole numbers of cases.

    Projected counts carry fractions (a change spread over weeks); a table of cases shows them
    rounded.
    """
    if summary.empty:
        return summary
    out = summary.copy()
    for column in out.columns:
        if column != "scenario" and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].round().astype("Int64")
    return out.rename(columns=SUMMARY_HEADERS)


def scenarios_csv(comparison: pd.DataFrame) -> bytes:
    """A comparison as CSV bytes (UTF-8, formula-escaped), for downloads."""
    return frame_to_csv(comparison)
