"""Server-side sessions: stored as the SHA-256 of a random token, checked on every run, and revoked
at logout or when refused, so a copied token or cookie is refused afterwards.

This module alone reads and writes ``wb.sessions``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

import duckdb

from workbench.access.auth import METHOD_PASSWORD, AuthSettings, User, get_user
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a session token is stored (the token itself never is)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def store_session(
    ws: Workspace,
    token_hash: str,
    username: str,
    method: str,
    settings: AuthSettings,
    now: datetime,
    expires_at: datetime | None = None,
) -> None:
    """Record a new login session for ``username`` under its token hash."""
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


def session_known(ws: Workspace, token_hash: str) -> bool:
    """Whether a session (live or ended) is stored under this hash."""
    return bool(ws.query("SELECT 1 FROM wb.sessions WHERE token_hash = ?", [token_hash]))


def revoke_user_sessions(cur: duckdb.DuckDBPyConnection, username: str, now: datetime) -> None:
    """End every live session of a user, in the caller's transaction."""
    cur.execute(
        "UPDATE wb.sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
        [now, username],
    )


def session_user(
    ws: Workspace, token_hash: str, now: datetime, what: str
) -> tuple[User | None, str | None]:
    """The user a session token hash belongs to, or ``None`` with the reason it is not valid."""
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
    user, _reason = session_user(ws, hash_token(token), now or utcnow(), METHOD_PASSWORD)
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
    revoke_session(ws, hash_token(token), actor)


def refuse_session(ws: Workspace, token: str, reason: str) -> None:
    """End a password session presented where it does not belong; logged as ``session.refused``.

    Used when a session's token turns up on another browser connection than the one that
    logged in: the session is revoked for both, and the attempt is logged under its user.
    """
    token_hash = hash_token(token)
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
