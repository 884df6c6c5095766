"""Passwords: strength rules, argon2 hashing and password logins with lockout.

Lockout is counted before a password is checked: each attempt records its failure under a lock
first, so parallel guesses for one name can check at most ``max_failures`` passwords. A name typed
at the login that is not a user's is kept only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workbench.access.auth import (
    METHOD_PASSWORD,
    AuthSettings,
    get_user,
    password_record,
    set_password_hash,
)
from workbench.access.sessions import hash_token, store_session
from workbench.errors import AuthError, ValidationError
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)


MIN_PASSWORD_LENGTH = 12

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so that a wrong name costs as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

_FAILED = "Unknown user name or wrong password."

# Held while a login attempt is counted, so that parallel requests see each other's writes:
# DuckDB's snapshot isolation alone would let them all pass.
_ATTEMPT_LOCK = threading.Lock()
NAME_KEY_SETTING = "auth.name_key"


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


def _clear_failures(cur: duckdb.DuckDBPyConnection, username: str) -> None:
    cur.execute("DELETE FROM wb.login_failures WHERE username = ?", [username])


def clear_login_failures(ws: Workspace, username: str) -> None:
    """Forget the failed logins of a user name, which unlocks it."""
    with ws.cursor() as cur:
        _clear_failures(cur, username)


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
        record = password_record(ws, username or "\x00")
        subject = username if record is not None else unknown_name_label(ws, username)
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
    stored = record[0] if record is not None and record[0] else None
    active = record[1] if record is not None else False
    ok = False
    try:
        ok = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and active):
        # A disabled account gets the same answer whether or not the password was right.
        reason = "disabled" if record is not None and not active else "bad credentials"
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
        _clear_failures(cur, username)
        if _HASHER.check_needs_rehash(stored):
            set_password_hash(cur, username, hash_password(password))
    token = secrets.token_urlsafe(32)
    store_session(ws, hash_token(token), username, METHOD_PASSWORD, settings, now)
    ws.audit("login.success", target=username, detail={"method": METHOD_PASSWORD}, actor=username)
    return token
