"""Users, roles, areas, logins and sessions for the shared deployment (no Streamlit here).

The workbench runs in one of two modes:

- **local** (the default, ``make run``): one analyst on their own machine; no login and every
  page is available.
- **shared** (``workbench serve --shared --config PATH``): everybody logs in first, either with
  the identity provider configured for Streamlit's OIDC login or with a user name and password
  kept in the workspace (argon2 hashes). What each user sees follows their roles and areas.

Everything that decides who may do what lives in the workspace (``wb.users``, ``wb.sessions``,
``wb.login_failures``) and is checked on the server on every run; nothing the browser sends can
widen it. Sessions are stored server-side as the SHA-256 of a random token, so logging out
revokes the session and a copied token or cookie is refused afterwards. No password or token is
ever logged or written to the audit log, and a name typed at the login that is not a user's is
kept only as a keyed hash ("unknown user (…)"), so a password typed into the name box is not
stored either.

Lockout is counted before a password is checked: each attempt records its failure under a lock
first, so parallel guesses for one name can check at most ``max_failures`` passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workbench.config import ENV_AUTH_CONFIG, ENV_MODE, current_user
from workbench.errors import AccessDeniedError, AuthError, ValidationError
from workbench.reference import LCJB_AREAS
from workbench.safe_csv import frame_to_csv
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

MODE_LOCAL = "local"
MODE_SHARED = "shared"

ROLES: tuple[str, ...] = ("admin", "analyst", "trainer", "leader")
STAFF_ROLES: frozenset[str] = frozenset({"admin", "analyst", "trainer"})
ALL_AREAS = "all"

METHOD_PASSWORD = "password"
METHOD_OIDC = "oidc"

MIN_PASSWORD_LENGTH = 12

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so that a wrong name costs as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

_FAILED = "Unknown user name or wrong password."

# Held while a login attempt is counted (and while admins are changed), so that parallel
# requests see each other's writes: DuckDB's snapshot isolation alone would let them all pass.
_ATTEMPT_LOCK = threading.Lock()
_USERS_LOCK = threading.Lock()
NAME_KEY_SETTING = "auth.name_key"


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


def list_users(ws: Workspace, actor: User) -> list[User]:
    """Every user, by name. Admins only.

    Raises:
        AccessDeniedError: When ``actor`` is not an admin (the attempt is logged).
    """
    require_admin(ws, actor, "user.list")
    rows = ws.query(_SELECT_USERS + "ORDER BY username")
    return [_row_to_user(r) for r in rows]


def require_admin(ws: Workspace, actor: User | None, action: str) -> None:
    """Refuse (and log) anything but an active admin.

    Args:
        ws: The workspace whose audit log records a refusal.
        actor: Who is asking.
        action: What they asked to do, for the log.

    Raises:
        AccessDeniedError: When ``actor`` is missing, inactive or not an admin.
    """
    if actor is not None and actor.active and actor.is_admin:
        return
    who = actor.username if actor else "anonymous"
    ws.audit("access.denied", target=action, detail={"needs": "admin"}, actor=who)
    log.warning("access denied: %s tried %s", who, action)
    raise AccessDeniedError(f"Only an admin may do this ({action}).")


def _check_roles_areas(roles: Iterable[str], areas: Iterable[str]) -> tuple[list[str], list[str]]:
    roles_list = sorted(set(roles))
    areas_list = sorted({a.strip() for a in areas if a.strip()})
    problems = []
    if not roles_list:
        problems.append("Give the user at least one role.")
    problems += [f"{r!r} is not a role ({', '.join(ROLES)})." for r in roles_list if r not in ROLES]
    if not areas_list:
        problems.append("Give the user at least one area, or 'all'.")
    known = {*LCJB_AREAS, ALL_AREAS}
    problems += [f"{a!r} is not an LCJB area." for a in areas_list if a not in known]
    if ALL_AREAS in areas_list and len(areas_list) > 1:
        problems.append("'all' covers every area; give it alone.")
    if problems:
        raise ValidationError("The user cannot be saved.", hint=" ".join(problems))
    return roles_list, areas_list


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short.

    Raises:
        ValidationError: When the password has fewer than ``MIN_PASSWORD_LENGTH`` characters.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
        )


def hash_password(password: str) -> str:
    """The argon2id hash of a password (salted; safe to store)."""
    return _HASHER.hash(password)


def save_user(
    ws: Workspace,
    actor: User,
    username: str,
    roles: Iterable[str],
    areas: Iterable[str],
    email: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
    active: bool = True,
) -> User:
    """Create or change a user. Admins only; logged as ``user.create`` or ``user.update``.

    Args:
        ws: The workspace.
        actor: The admin making the change.
        username: The login name.
        roles: The user's roles.
        areas: LCJB areas or ``["all"]``.
        email: Email address the identity provider reports (for OIDC logins).
        display_name: Shown in the app.
        password: A new password (for password logins); None keeps the current one.
        active: False disables the account and ends its sessions.

    Returns:
        The saved user.

    Raises:
        AccessDeniedError: When ``actor`` is not an admin.
        ValidationError: For an empty name, unknown roles or areas, or a short password, and
            when the change would leave no active admin.
    """
    require_admin(ws, actor, "user.save")
    username = username.strip()
    if not username:
        raise ValidationError("The user name is empty.")
    roles_list, areas_list = _check_roles_areas(roles, areas)
    if password is not None:
        check_password_strength(password)
    now = utcnow()
    new_hash = hash_password(password) if password is not None else None
    email = email.strip() or None if email else None
    with _USERS_LOCK, ws.transaction() as cur:
        before = get_user(ws, username)
        if before is not None and not ("admin" in roles_list and active):
            _keep_an_admin(cur, username, "remove the admin role from" if active else "disable")
        if before is None:
            cur.execute(
                "INSERT INTO wb.users (username, email, display_name, roles, areas, "
                "password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    username,
                    email,
                    display_name,
                    json.dumps(roles_list),
                    json.dumps(areas_list),
                    new_hash,
                    active,
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
                    email,
                    display_name,
                    json.dumps(roles_list),
                    json.dumps(areas_list),
                    active,
                    now,
                    new_hash,
                    username,
                ],
            )
        if not active or password is not None:
            cur.execute(
                "UPDATE wb.sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                [now, username],
            )
        detail: dict[str, Any] = {"roles": roles_list, "areas": areas_list, "active": active}
        if before is not None:
            detail["before"] = {
                "roles": list(before.roles),
                "areas": list(before.areas),
                "active": before.active,
            }
        if password is not None:
            detail["password_changed"] = True
        ws.audit(
            "user.create" if before is None else "user.update",
            target=username,
            detail=detail,
            actor=actor.username,
            cur=cur,
        )
    saved = get_user(ws, username)
    assert saved is not None
    return saved


def delete_user(ws: Workspace, actor: User, username: str) -> None:
    """Remove a user and end their sessions. Admins only; logged as ``user.delete``.

    Raises:
        AccessDeniedError: When ``actor`` is not an admin.
        ValidationError: When an admin tries to delete their own account, or the last active
            admin.
    """
    require_admin(ws, actor, "user.delete")
    if username == actor.username:
        raise ValidationError("You cannot delete your own account.")
    with _USERS_LOCK, ws.transaction() as cur:
        _keep_an_admin(cur, username, "delete")
        cur.execute(
            "UPDATE wb.sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
            [utcnow(), username],
        )
        cur.execute("DELETE FROM wb.users WHERE username = ?", [username])
        ws.audit("user.delete", target=username, actor=actor.username, cur=cur)


def _keep_an_admin(cur: Any, username: str, change: str) -> None:
    """Refuse a change that would leave the workspace without an active admin."""
    rows = cur.execute("SELECT username, roles FROM wb.users WHERE active").fetchall()
    admins = {name for name, roles in rows if "admin" in json.loads(roles)}
    if username in admins and not admins - {username}:
        raise ValidationError(
            f"You cannot {change} {username}: they are the last active admin.",
            hint="Make another user an admin first.",
        )


# ------------------------------------------------------------------- password logins
def _name_key(ws: Workspace) -> bytes:
    """The workspace's secret key for hashing unknown user names (made on first use)."""
    key = ws.get_setting(NAME_KEY_SETTING)
    if not key:
        key = secrets.token_hex(32)
        ws.set_setting(NAME_KEY_SETTING, key)
    return bytes.fromhex(str(key))


def unknown_name_label(ws: Workspace, typed: str) -> str:
    """How a typed user name that is no user's is recorded: a keyed hash, never the text.

    The same text always gives the same label in one workspace (so repeated attempts can be
    counted and seen together), but the label does not reveal the text: people sometimes type
    their password into the name box.
    """
    digest = hmac.new(_name_key(ws), typed.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"unknown user ({digest[:12]})"


def login_subject(ws: Workspace, typed: str) -> str:
    """The name under which a login attempt is counted and logged.

    A known user's name as typed; anything else as :func:`unknown_name_label`.
    """
    typed = typed.strip()
    if typed and get_user(ws, typed) is not None:
        return typed
    return unknown_name_label(ws, typed)


def _recent_failures(ws: Workspace, subject: str, settings: AuthSettings, now: datetime) -> int:
    since = now - timedelta(minutes=settings.lockout_minutes)
    rows = ws.query(
        "SELECT count(*) FROM wb.login_failures WHERE username = ? AND failed_at > ?",
        [subject, since],
    )
    return int(rows[0][0])


def is_locked(
    ws: Workspace, username: str, settings: AuthSettings, now: datetime | None = None
) -> bool:
    """Whether too many recent failed logins lock this user name."""
    subject = login_subject(ws, username)
    return _recent_failures(ws, subject, settings, now or utcnow()) >= settings.max_failures


def login_with_password(
    ws: Workspace,
    username: str,
    password: str,
    settings: AuthSettings,
    now: datetime | None = None,
) -> str:
    """Check a user name and password; start a server-side session.

    A name that has failed ``max_failures`` times within ``lockout_minutes`` is locked until the
    oldest of those failures leaves the window, even for the right password. Each attempt is
    counted as a failure *before* its password is checked (under a lock), and the count is
    cleared only by a success, so parallel guesses check at most ``max_failures`` passwords.
    Unknown names and disabled accounts are treated like wrong passwords (same message, same
    work), and every outcome is logged; a name that is no user's is logged only as a keyed hash.

    Args:
        ws: The workspace.
        username: The login name typed.
        password: The password typed (never stored or logged).
        settings: Lockout and session limits.
        now: The current time (for tests).

    Returns:
        The session token to keep for this browser session.

    Raises:
        AuthError: When the login is refused (wrong name or password, locked, disabled).
    """
    now = now or utcnow()
    username = username.strip()
    with _ATTEMPT_LOCK:
        rows = ws.query(
            "SELECT password_hash, active FROM wb.users WHERE username = ?", [username or "\x00"]
        )
        subject = username if rows else unknown_name_label(ws, username)
        locked = _recent_failures(ws, subject, settings, now) >= settings.max_failures
        if not locked:
            with ws.cursor() as cur:
                cur.execute("INSERT INTO wb.login_failures VALUES (?, ?)", [subject, now])
    if locked:
        ws.audit("login.locked", target=subject, detail={"method": METHOD_PASSWORD}, actor=subject)
        raise AuthError(
            "Too many failed logins: this account is locked for now.",
            hint=f"Try again in {settings.lockout_minutes} minutes or ask an admin.",
        )
    stored = rows[0][0] if rows and rows[0][0] else None
    active = bool(rows[0][1]) if rows else False
    ok = False
    try:
        ok = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and active):
        # A disabled account gets the same answer whether or not the password was right.
        reason = "disabled" if rows and not active else "bad credentials"
        ws.audit(
            "login.failure",
            target=subject,
            detail={"method": METHOD_PASSWORD, "reason": reason},
            actor=subject,
        )
        log.info("password login refused for %s", subject)
        raise AuthError(_FAILED)
    assert stored is not None
    with ws.cursor() as cur:
        cur.execute("DELETE FROM wb.login_failures WHERE username = ?", [username])
        if _HASHER.check_needs_rehash(stored):
            cur.execute(
                "UPDATE wb.users SET password_hash = ? WHERE username = ?",
                [hash_password(password), username],
            )
    token = secrets.token_urlsafe(32)
    _store_session(ws, _token_hash(token), username, METHOD_PASSWORD, settings, now)
    ws.audit("login.success", target=username, detail={"method": METHOD_PASSWORD}, actor=username)
    return token


def unlock_user(ws: Workspace, actor: User, username: str) -> None:
    """Clear the failed logins of a user name. Admins only; logged as ``user.unlock``."""
    require_admin(ws, actor, "user.unlock")
    with ws.cursor() as cur:
        cur.execute("DELETE FROM wb.login_failures WHERE username = ?", [username])
    ws.audit("user.unlock", target=username, actor=actor.username)


# -------------------------------------------------------------------------- sessions
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _store_session(
    ws: Workspace,
    token_hash: str,
    username: str,
    method: str,
    settings: AuthSettings,
    now: datetime,
    expires_at: datetime | None = None,
) -> None:
    with ws.cursor() as cur:
        cur.execute(
            "INSERT INTO wb.sessions (token_hash, username, method, created_at, last_seen, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                token_hash,
                username,
                method,
                now,
                now,
                expires_at or now + timedelta(hours=settings.session_hours),
            ],
        )


def _session_user(
    ws: Workspace, token_hash: str, now: datetime, what: str
) -> tuple[User | None, str | None]:
    rows = ws.query(
        "SELECT username, expires_at, revoked_at FROM wb.sessions WHERE token_hash = ?",
        [token_hash],
    )
    if not rows:
        return None, "unknown"
    username, expires_at, revoked_at = rows[0]
    if revoked_at is not None:
        reason = "revoked"
    elif expires_at <= now:
        reason = "expired"
    else:
        user = get_user(ws, username)
        if user is None or not user.active:
            reason = "user disabled"
        else:
            with ws.cursor() as cur:
                cur.execute(
                    "UPDATE wb.sessions SET last_seen = ? WHERE token_hash = ?", [now, token_hash]
                )
            return user, None
    ws.audit(
        "session.refused", target=username, detail={"reason": reason, "kind": what}, actor=username
    )
    return None, reason


def check_session(ws: Workspace, token: str | None, now: datetime | None = None) -> User | None:
    """The user of a live password session, or None (refusals of a known token are logged).

    Args:
        ws: The workspace.
        token: The token returned by :func:`login_with_password`.
        now: The current time (for tests).

    Returns:
        The user, read fresh from the workspace, when the session is neither revoked nor
        expired and the account is active; otherwise None.
    """
    if not token:
        return None
    user, _reason = _session_user(ws, _token_hash(token), now or utcnow(), METHOD_PASSWORD)
    return user


def revoke_session(ws: Workspace, token_hash: str, actor: str) -> None:
    """End a session server-side (by its stored hash); logged as ``logout``."""
    with ws.cursor() as cur:
        cur.execute(
            "UPDATE wb.sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            [utcnow(), token_hash],
        )
    ws.audit("logout", target=actor, actor=actor)


def logout(ws: Workspace, token: str, actor: str) -> None:
    """End a password session: the token is refused from now on."""
    revoke_session(ws, _token_hash(token), actor)


def refuse_session(ws: Workspace, token: str, reason: str) -> None:
    """End a password session presented where it does not belong; logged as ``session.refused``.

    Used when a session's token turns up on another browser connection than the one that
    logged in: the session is revoked for both, and the attempt is logged under its user.
    """
    token_hash = _token_hash(token)
    rows = ws.query("SELECT username FROM wb.sessions WHERE token_hash = ?", [token_hash])
    username = rows[0][0] if rows else "anonymous"
    with ws.cursor() as cur:
        cur.execute(
            "UPDATE wb.sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            [utcnow(), token_hash],
        )
    ws.audit(
        "session.refused",
        target=username,
        detail={"reason": reason, "kind": METHOD_PASSWORD},
        actor=username,
    )
    log.warning("session of %s refused: %s", username, reason)


def audit_csv(frame: Any) -> bytes:
    """The audit log (or any table) as UTF-8 CSV with every text cell formula-escaped.

    Cells and headers starting with ``= + - @``, a tab or a carriage return get a leading
    apostrophe (:func:`workbench.safe_csv.escape_cell`), so a user name such as
    ``=HYPERLINK(...)`` stays text when the file is opened in a spreadsheet.
    """
    return frame_to_csv(frame)


# ---------------------------------------------------------------------- OIDC logins
def oidc_login_id(claims: Mapping[str, Any]) -> str:
    """A stable id of one OIDC login, from the ID token's issuer, subject, issue time and nonce.

    Streamlit keeps the ID token's claims in its signed cookie. The same cookie always carries
    the same claims, so the server can revoke one login without trusting the browser to forget
    its cookie.
    """
    parts = [str(claims.get(k, "")) for k in ("iss", "sub", "iat", "nonce")]
    return "oidc:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def login_with_oidc(
    ws: Workspace, claims: Mapping[str, Any], settings: AuthSettings, now: datetime | None = None
) -> User:
    """Match an identity provider's login to a workbench user; keep it as a server-side session.

    Called on every run while Streamlit reports a logged-in user. The first time a login is
    seen it is recorded (``login.success``); later runs check that it has not been revoked by
    logout, expired (``session_hours`` after the token was issued) or lost its account.

    Args:
        ws: The workspace.
        claims: ``st.user`` as a dict (the ID token's claims).
        settings: Session limits.
        now: The current time (for tests).

    Returns:
        The workbench user whose email matches the ``email`` claim.

    Raises:
        AuthError: When the login is unknown to the workbench, revoked, expired or disabled.
    """
    now = now or utcnow()
    email = str(claims.get("email") or "").strip()
    login_id = oidc_login_id(claims)
    known = ws.query("SELECT 1 FROM wb.sessions WHERE token_hash = ?", [login_id])
    if known:
        user, reason = _session_user(ws, login_id, now, METHOD_OIDC)
        if user is None:
            raise AuthError(
                "This login has ended (" + str(reason) + ").", hint="Log in again to continue."
            )
        return user
    user = find_user_by_email(ws, email) if email else None
    if user is None or not user.active:
        ws.audit(
            "login.failure",
            target=email or "(no email)",
            detail={
                "method": METHOD_OIDC,
                "reason": "no such user" if user is None else "disabled",
            },
            actor=email or "anonymous",
        )
        raise AuthError(
            f"{email or 'Your account'} has no access to this workbench.",
            hint="Ask an admin to add your email address.",
        )
    issued = claims.get("iat")
    try:
        expires = datetime.fromtimestamp(float(issued), UTC).replace(tzinfo=None) + timedelta(
            hours=settings.session_hours
        )
    except (TypeError, ValueError):
        expires = now + timedelta(hours=settings.session_hours)
    if expires <= now:
        ws.audit(
            "session.refused",
            target=user.username,
            detail={"reason": "expired", "kind": METHOD_OIDC},
            actor=user.username,
        )
        raise AuthError("This login has expired.", hint="Log in again to continue.")
    _store_session(ws, login_id, user.username, METHOD_OIDC, settings, now, expires_at=expires)
    ws.audit(
        "login.success",
        target=user.username,
        detail={"method": METHOD_OIDC, "email": email},
        actor=user.username,
    )
    return user


def logout_oidc(ws: Workspace, claims: Mapping[str, Any], actor: str) -> None:
    """End an OIDC login server-side: its cookie is refused from now on, even if kept."""
    login_id = oidc_login_id(claims)
    with ws.cursor() as cur:
        known = cur.execute("SELECT 1 FROM wb.sessions WHERE token_hash = ?", [login_id]).fetchall()
    if not known:
        _store_session(ws, login_id, actor, METHOD_OIDC, AuthSettings(), utcnow())
    revoke_session(ws, login_id, actor)
