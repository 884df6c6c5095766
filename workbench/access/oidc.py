"""Logins through the identity provider (OIDC): the signed-in claims matched to a workspace user,
with a server-side session for each login.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from workbench.access.auth import METHOD_OIDC, AuthSettings, User, find_user_by_email
from workbench.access.sessions import (
    revoke_session,
    session_known,
    session_user,
    store_session,
)
from workbench.errors import AuthError
from workbench.workspace import Workspace, utcnow


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
    if session_known(ws, login_id):
        user, reason = session_user(ws, login_id, now, METHOD_OIDC)
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
    store_session(ws, login_id, user.username, METHOD_OIDC, settings, now, expires_at=expires)
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
    if not session_known(ws, login_id):
        store_session(ws, login_id, actor, METHOD_OIDC, AuthSettings(), utcnow())
    revoke_session(ws, login_id, actor)
