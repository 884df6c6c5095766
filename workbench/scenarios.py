"""What-if scenarios: receipts, disposals and the outstanding caseload projected forward.

A scenario starts from a receipts forecast (:mod:`workbench.forecast`) and the state of the
courts at the last period of history (open cases, recent disposals per week), and applies two
changes:

- **charge volumes**: charges change by ``charge_change_pct`` percent from ``change_from``;
  they reach court receipts after the measured median charge to first hearing interval of the
  series' areas and court type (:func:`charge_to_hearing_days`, kept in
  :attr:`CourtState.charge_lag_days`), so receipts change from ``change_from + lag``; a period
  that the lagged change starts inside changes by the share of its days on or after it;
- **disposal capacity**: the courts dispose of ``capacity_per_week`` cases a week (None keeps
  the recent rate).

The projection, period by period ``t`` (a month holds ``days / 7`` weeks of capacity)::

    receipts[t]    = forecast[t] × (1 + pct / 100 × share of period[t] on or after
                                     change_from + lag)
    disposals[t]   = min(capacity × weeks[t], outstanding[t-1] + receipts[t])
    outstanding[t] = outstanding[t-1] + receipts[t] - disposals[t]

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
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from io import StringIO
from statistics import NormalDist
from typing import NoReturn

import numpy as np
import pandas as pd

from workbench.auth import ALL_AREAS, User
from workbench.disclosure import KEY_SPACE, KEY_SUFFIX, protect_frame
from workbench.errors import AccessDeniedError, ForecastError, ValidationError
from workbench.forecast import SeriesForecast
from workbench.journeys import JOURNEY_SCHEMA
from workbench.measures import JourneyFilter, keyed_source, outstanding_caseload
from workbench.safe_csv import frame_to_csv
from workbench.sql import qualified
from workbench.workspace import Workspace, utcnow

BASELINE = "baseline"
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
        capacity_per_week: Disposals a week (None: the recent rate).
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
    """

    at: date
    outstanding: float
    disposals_per_week: float
    hidden: bool = False
    charge_lag_days: float = 0.0


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
        disposals[t] = min(c, max(level + r, 0.0))
        level = max(level + r - disposals[t], 0.0)
        outstanding[t] = level
    return disposals, outstanding


def project(
    forecast: pd.DataFrame,
    state: CourtState,
    scenario: Scenario,
    interval_width: float = 0.8,
) -> pd.DataFrame:
    """Project receipts, disposals and the outstanding caseload under a scenario.

    Args:
        forecast: ``period``, ``forecast``, ``lower``, ``upper`` (a receipts forecast).
        state: The outstanding caseload, disposal rate and charge to first hearing lag to
            start from (the change in charges reaches receipts ``charge_lag_days`` later).
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
    capacity = rate * _weeks(periods, scenario.freq)
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
    from workbench.sample_names import AREAS

    names = sorted({a.strip() for a in areas if a.strip()})
    known = {a.name for a in AREAS} | {ALL_AREAS}
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


def scenarios_csv(comparison: pd.DataFrame) -> bytes:
    """A comparison as CSV bytes (UTF-8, formula-escaped), for downloads."""
    return frame_to_csv(comparison)
