"""Saved scenarios (``wb.forecast_scenarios``) and who may see them.

Scenarios are saved with their projection. Each has an owner (names are unique per owner; saving
never replaces one), the areas it covers and the areas it is published to. A user lists, opens
and deletes their own scenarios and opens those published to their areas; analysts and admins
with every area see every scenario; a user with some areas never sees a scenario covering an
area outside them. Refusals are audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from io import StringIO
from typing import NoReturn

import pandas as pd

from workbench.access.auth import ALL_AREAS, User
from workbench.errors import AccessDeniedError, ForecastError, ValidationError
from workbench.forecast.scenarios.projection import BASELINE, PROJECTION_COLUMNS, Scenario
from workbench.reference import LCJB_AREAS
from workbench.sql import compose
from workbench.workspace import Workspace, utcnow

SCENARIO_REFUSED = "forecast.scenario.refused"
SCENARIO_READ_OTHER = "forecast.scenario.read_other"


_SETTINGS = [
    "name",
    "area",
    "court_type",
    "freq",
    "horizon",
    "charge_change_pct",
    "change_from",
    "capacity_per_week",
]


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
        compose(
            "SELECT owner, {settings}, created_at, created_by, areas, audience "
            "FROM wb.forecast_scenarios ORDER BY created_at DESC, owner, name",
            settings=_SETTINGS,
        )
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
        compose(
            "SELECT {settings}, projection FROM wb.forecast_scenarios WHERE owner = ? AND name = ?",
            settings=_SETTINGS,
        ),
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
