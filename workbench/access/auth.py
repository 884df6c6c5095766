"""Users, roles, areas, logins and sessions for the shared deployment (no Streamlit here).

The workbench runs in one of two modes:

- **local** (the default, ``make run``): one analyst on their own machine; no login and every
  page is available.
- **shared** (``workbench serve --shared --config PATH``): everybody logs in first, either with
  the identity provider configured for Streamlit's OIDC login or with a user name and password
  kept in the workspace (argon2 hashes). What each user sees follows their roles and areas.

Everything that decides who may do what lives in the workspace (the users, their sessions and
failed logins) and is checked on the server on every run; nothing the browser sends can
widen it. Sessions are stored server-side as the SHA-256 of a random token, so logging out
revokes the session and a copied token or cookie is refused afterwards. No password or token is
ever logged or written to the audit log, and a name typed at the login that is not a user's is
kept only as a keyed hash ("unknown user (…)"), so a password typed into the name box is not
stored either.

This module holds the mode and login settings and the user record (it alone reads and writes
``wb.users``); beside it are :mod:`~workbench.access.users` (user administration),
:mod:`~workbench.access.passwords` (hashing, password logins and lockout, keeping the failed
logins), :mod:`~workbench.access.sessions` (keeping the sessions) and
:mod:`~workbench.access.oidc` (identity-provider logins).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from workbench.config import ENV_AUTH_CONFIG, ENV_MODE, current_user
from workbench.errors import AuthError
from workbench.workspace import Workspace

MODE_LOCAL = "local"
MODE_SHARED = "shared"

ROLES: tuple[str, ...] = ("admin", "analyst", "trainer", "leader")
STAFF_ROLES: frozenset[str] = frozenset({"admin", "analyst", "trainer"})
ALL_AREAS = "all"

METHOD_PASSWORD = "password"
METHOD_OIDC = "oidc"


@dataclass(frozen=True)
class AuthSettings:
    """How the shared deployment logs people in.

    Attributes:
        mode: ``"local"`` or ``"shared"``.
        methods: The login kinds offered in shared mode: ``"oidc"`` and/or ``"password"``.
        max_failures: Failed password logins for one user name that lock it.
        lockout_minutes: The window in which failures count, and how long a lock lasts.
        session_hours: How long a login lasts before the user must log in again.
        config_path: The TOML file the settings came from, if any.
    """

    mode: str = MODE_LOCAL
    methods: tuple[str, ...] = (METHOD_PASSWORD,)
    max_failures: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    config_path: Path | None = None

    @property
    def shared(self) -> bool:
        """Whether login is required."""
        return self.mode == MODE_SHARED


def load_auth_settings(environ: Mapping[str, str] | None = None) -> AuthSettings:
    """Read the mode and login settings from the environment and the shared config file.

    ``WORKBENCH_MODE`` is ``local`` (default) or ``shared``; ``WORKBENCH_AUTH_CONFIG`` names a
    TOML file whose ``[workbench]`` table may set ``login`` (a list of ``"oidc"`` and
    ``"password"``), ``max_failures``, ``lockout_minutes`` and ``session_hours``. The same file
    is Streamlit's secrets file, so its ``[auth]`` table configures the OIDC login.

    Args:
        environ: The environment to read (default ``os.environ``).

    Returns:
        The settings.

    Raises:
        AuthError: When the mode is unknown or the config file is unreadable or invalid.
    """
    env = os.environ if environ is None else environ
    mode = (env.get(ENV_MODE) or MODE_LOCAL).strip().lower()
    if mode not in (MODE_LOCAL, MODE_SHARED):
        raise AuthError(f"{ENV_MODE}={mode!r} is not a mode.", hint="Use 'local' or 'shared'.")
    raw_path = env.get(ENV_AUTH_CONFIG)
    if not raw_path:
        return AuthSettings(mode=mode)
    path = Path(raw_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthError(f"Cannot read the login configuration {path}: {exc.strerror}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AuthError(f"The login configuration {path} is not valid TOML: {exc}.") from exc
    table = data.get("workbench", {})
    default_methods = (METHOD_OIDC,) if "auth" in data else (METHOD_PASSWORD,)
    methods = tuple(table.get("login", default_methods))
    unknown = [m for m in methods if m not in (METHOD_OIDC, METHOD_PASSWORD)]
    if unknown or not methods:
        raise AuthError(
            f"The login configuration {path} names unknown login kinds: {unknown}.",
            hint="Set [workbench] login to a list of 'oidc' and 'password'.",
        )
    if METHOD_OIDC in methods and "auth" not in data:
        raise AuthError(
            f"The login configuration {path} enables OIDC but has no [auth] table.",
            hint="See docs/deployment.md for the [auth] settings of your identity provider.",
        )
    try:
        return AuthSettings(
            mode=mode,
            methods=methods,
            max_failures=int(table.get("max_failures", 5)),
            lockout_minutes=int(table.get("lockout_minutes", 15)),
            session_hours=int(table.get("session_hours", 12)),
            config_path=path,
        )
    except (TypeError, ValueError) as exc:
        raise AuthError(f"The login configuration {path} has a non-number limit: {exc}.") from exc


# ---------------------------------------------------------------------------- users
@dataclass(frozen=True)
class User:
    """A workbench user as stored in the workspace.

    Attributes:
        username: The unique login name (also what the audit log records).
        roles: Some of ``admin``, ``analyst``, ``trainer``, ``leader``.
        areas: LCJB area names, or ``("all",)``.
        email: Matched against the identity provider's email claim for OIDC logins.
        display_name: The name shown in the app.
        active: False when the account is disabled.
    """

    username: str
    roles: tuple[str, ...]
    areas: tuple[str, ...]
    email: str | None = None
    display_name: str | None = None
    active: bool = True
    has_password: bool = field(default=False, compare=False)

    @property
    def is_admin(self) -> bool:
        """Whether the user may manage users and read the audit log."""
        return "admin" in self.roles

    @property
    def leader_view(self) -> bool:
        """Whether the user sees only published aggregates (a leader with no staff role)."""
        return not (set(self.roles) & STAFF_ROLES)

    @property
    def allowed_areas(self) -> list[str] | None:
        """The areas this user may see; None means every area."""
        if ALL_AREAS in self.areas:
            return None
        return sorted(self.areas)


def local_user() -> User:
    """The one analyst of local mode: every role, every area."""
    return User(current_user(), roles=("admin", "analyst", "trainer"), areas=(ALL_AREAS,))


def _row_to_user(row: tuple[Any, ...]) -> User:
    username, email, display_name, roles, areas, password_hash, active = row
    return User(
        username=username,
        roles=tuple(json.loads(roles)),
        areas=tuple(json.loads(areas)),
        email=email,
        display_name=display_name,
        active=bool(active),
        has_password=bool(password_hash),
    )


_SELECT_USERS = (
    "SELECT username, email, display_name, roles, areas, password_hash, active FROM wb.users "
)


def get_user(ws: Workspace, username: str) -> User | None:
    """The user of that name, or None."""
    rows = ws.query(_SELECT_USERS + "WHERE username = ?", [username])
    return _row_to_user(rows[0]) if rows else None


def find_user_by_email(ws: Workspace, email: str) -> User | None:
    """The user whose email matches (case-insensitively), or None."""
    rows = ws.query(
        _SELECT_USERS + "WHERE lower(email) = lower(?) ORDER BY username",
        [email.strip()],
    )
    return _row_to_user(rows[0]) if rows else None


def all_users(ws: Workspace) -> list[User]:
    """Every user, by name (no access check: callers check who is asking)."""
    return [_row_to_user(r) for r in ws.query(_SELECT_USERS + "ORDER BY username")]


def password_record(ws: Workspace, username: str) -> tuple[str | None, bool] | None:
    """A user's password hash (None without one) and whether they are active; None if no user."""
    rows = ws.query("SELECT password_hash, active FROM wb.users WHERE username = ?", [username])
    return (rows[0][0], bool(rows[0][1])) if rows else None


def set_password_hash(cur: duckdb.DuckDBPyConnection, username: str, password_hash: str) -> None:
    """Replace a user's stored password hash, in the caller's transaction."""
    cur.execute(
        "UPDATE wb.users SET password_hash = ? WHERE username = ?", [password_hash, username]
    )


def active_admins(cur: duckdb.DuckDBPyConnection) -> set[str]:
    """The names of the active users with the admin role, read in the caller's transaction."""
    rows = cur.execute("SELECT username, roles FROM wb.users WHERE active").fetchall()
    return {name for name, roles in rows if "admin" in json.loads(roles)}


def write_user(
    cur: duckdb.DuckDBPyConnection,
    user: User,
    password_hash: str | None,
    now: datetime,
    *,
    new: bool,
) -> None:
    """Add a user or change one, in the caller's transaction.

    Args:
        cur: The transaction's cursor.
        user: The user as it is to be stored (name, email, display name, roles, areas, active).
        password_hash: The new password's hash; None keeps the stored one (none for a new user).
        now: When the change was made (UTC).
        new: Whether to add the user (else the user of that name is changed).
    """
    roles, areas = json.dumps(list(user.roles)), json.dumps(list(user.areas))
    if new:
        cur.execute(
            "INSERT INTO wb.users (username, email, display_name, roles, areas, "
            "password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                user.username,
                user.email,
                user.display_name,
                roles,
                areas,
                password_hash,
                user.active,
                now,
                now,
            ],
        )
    else:
        cur.execute(
            "UPDATE wb.users SET email = ?, display_name = ?, roles = ?, areas = ?, "
            "active = ?, updated_at = ?, password_hash = coalesce(?, password_hash) "
            "WHERE username = ?",
            [
                user.email,
                user.display_name,
                roles,
                areas,
                user.active,
                now,
                password_hash,
                user.username,
            ],
        )


def remove_user(cur: duckdb.DuckDBPyConnection, username: str) -> None:
    """Delete a user's record, in the caller's transaction."""
    cur.execute("DELETE FROM wb.users WHERE username = ?", [username])
