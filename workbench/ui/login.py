"""Login, logout and the per-run access check of the shared app.

:func:`require_login` runs at the top of ``app.py`` on every run. In local mode it does nothing.
In shared mode it finds the user from a server-side session (a password login) or from
Streamlit's OIDC login matched to a workbench user by email, refuses ended or revoked sessions,
and sets ``_allowed_areas`` and ``_leader_view`` in session state from the user record in the
workspace, overwriting anything else. Without a user it draws the login screen and stops the run,
so nothing else renders.

Each run also records who is acting (:func:`workbench.config.set_actor`), so every write and
audit entry names the logged-in person, and which Streamlit sessions are logged in (for the
server's checks of uploads and cache clearing, :func:`is_logged_in_session`).

A password login is bound to the browser connection that made it (a hash of the WebSocket
handshake key, which Streamlit reports in ``st.context.headers``). Streamlit lets any client
resume a session by presenting its id; a session resumed over another connection is refused,
revoked and logged, so a leaked session id does not log anyone in.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from workbench.access.auth import (
    METHOD_OIDC,
    METHOD_PASSWORD,
    AuthSettings,
    User,
    load_auth_settings,
    local_user,
)
from workbench.access.oidc import login_with_oidc, logout_oidc
from workbench.access.passwords import login_with_password
from workbench.access.sessions import check_session, logout, refuse_session
from workbench.config import register_actor_source, set_actor, shared_mode
from workbench.errors import AccessDeniedError, AuthError
from workbench.ui.navigation import PageSpec, is_sensitive
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

TOKEN_KEY = "_auth_token"
USER_KEY = "_auth_user"
NOTICE_KEY = "_auth_notice"
LAST_PAGE_KEY = "_auth_last_page"
REFUSED_KEY = "_auth_refused_urls"
CONNECTION_KEY = "_auth_connection"
ANONYMOUS = "anonymous"

_LIVE_LOCK = threading.Lock()
_LIVE_SESSIONS: dict[str, str] = {}


def _session_id() -> str | None:
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def _mark_session(username: str | None) -> None:
    """Record (or forget) that the Streamlit session of this run is logged in."""
    session_id = _session_id()
    if session_id is None:
        return
    with _LIVE_LOCK:
        if username:
            _LIVE_SESSIONS[session_id] = username
        else:
            _LIVE_SESSIONS.pop(session_id, None)


def is_logged_in_session(session_id: str) -> bool:
    """Whether the Streamlit session of that id had a logged-in user at its latest run."""
    with _LIVE_LOCK:
        return session_id in _LIVE_SESSIONS


def _session_actor() -> str | None:
    """The logged-in user of the Streamlit session running in this thread, if any.

    Covers widget callbacks, which run before ``app.py`` sets the actor of a run.
    """
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        return user.username
    return ANONYMOUS if shared_mode() else None


register_actor_source(_session_actor)


def _connection_id() -> str | None:
    """A hash identifying the browser connection of this run (None without one, as in tests)."""
    try:
        key = st.context.headers.get("Sec-Websocket-Key")
    except Exception:  # no browser context
        return None
    return hashlib.sha256(key.encode("utf-8")).hexdigest() if key else None


def _oidc_claims() -> dict[str, Any] | None:
    """``st.user`` as a dict when Streamlit reports an OIDC login, else None."""
    try:
        claims = st.user.to_dict()
    except Exception:  # no [auth] configuration: no OIDC login possible
        return None
    return claims if claims.get("is_logged_in") else None


def _restrict_to_nothing() -> None:
    st.session_state["_allowed_areas"] = []
    st.session_state["_leader_view"] = True
    st.session_state.pop(USER_KEY, None)


def require_login(ws: Workspace, settings: AuthSettings | None = None) -> User | None:
    """Return the logged-in user, or draw the login screen and stop the run.

    Args:
        ws: The workspace holding users and sessions.
        settings: The login settings (default: read from the environment).

    Returns:
        None in local mode (one analyst, everything allowed); the user in shared mode.
    """
    settings = settings or load_auth_settings()
    if not settings.shared:
        set_actor(None)
        return None
    set_actor(ANONYMOUS)
    _mark_session(None)
    _restrict_to_nothing()
    user: User | None = None
    token = st.session_state.get(TOKEN_KEY)
    if token and st.session_state.get(CONNECTION_KEY) != _connection_id():
        refuse_session(ws, token, "presented over another connection")
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[NOTICE_KEY] = "Your session has ended. Log in again."
        token = None
    if token:
        user = check_session(ws, token)
        if user is None:
            st.session_state.pop(TOKEN_KEY, None)
            st.session_state[NOTICE_KEY] = "Your session has ended. Log in again."
    if user is None and METHOD_OIDC in settings.methods:
        claims = _oidc_claims()
        if claims is not None:
            try:
                user = login_with_oidc(ws, claims, settings)
            except AuthError as exc:
                _render_refused(str(exc))
                st.stop()
    if user is None:
        _render_login(ws, settings)
        st.stop()
    st.session_state["_allowed_areas"] = user.allowed_areas
    st.session_state["_leader_view"] = user.leader_view
    st.session_state[USER_KEY] = user
    set_actor(user.username)
    _mark_session(user.username)
    return user


def acting_user() -> User:
    """The user on whose behalf a page acts: the logged-in user, or the local analyst.

    Raises:
        AccessDeniedError: In shared mode when nobody is logged in.
    """
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        return user
    if load_auth_settings().shared:
        raise AccessDeniedError("Log in first.")
    return local_user()


def _render_refused(message: str) -> None:
    st.title("CJS Linkage Workbench")
    st.error(message, icon=":material/lock:")
    left, right = st.columns(2)
    if left.button("Log in again", key="login_again", icon=":material/login:"):
        st.login()
    if right.button("Log out", key="login_refused_logout", icon=":material/logout:"):
        st.logout()


def _render_login(ws: Workspace, settings: AuthSettings) -> None:
    st.title("CJS Linkage Workbench")
    st.write("Log in to see the dashboards and data you are entitled to.")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/info:")
    if METHOD_OIDC in settings.methods and st.button(
        "Log in with your organisation account", key="login_oidc", icon=":material/login:"
    ):
        st.login()
    if METHOD_PASSWORD in settings.methods:
        with st.form("login_form", clear_on_submit=True):
            username = st.text_input("User name", key="login_username")
            password = st.text_input("Password", type="password", key="login_password")
            submitted = st.form_submit_button("Log in", key="login_submit")
        if submitted:
            try:
                token = login_with_password(ws, username, password, settings)
            except AuthError as exc:
                st.error(str(exc), icon=":material/lock:")
                return
            st.session_state[TOKEN_KEY] = token
            st.session_state[CONNECTION_KEY] = _connection_id()
            st.rerun()


def render_account(ws: Workspace, user: User | None) -> None:
    """Show who is logged in, their roles and areas, and a Log out button, in the sidebar."""
    if user is None:
        return
    with st.sidebar:
        st.divider()
        st.caption(f"Logged in as **{user.display_name or user.username}**")
        st.caption(f"Roles: {', '.join(user.roles)} · Areas: {', '.join(user.areas)}")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            end_session(ws, user)


def end_session(ws: Workspace, user: User) -> None:
    """Revoke the current session server-side, forget it here, and leave the app."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        logout(ws, token, user.username)
    claims = _oidc_claims()
    if claims is not None:
        logout_oidc(ws, claims, user.username)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    _mark_session(None)
    set_actor(ANONYMOUS)
    _restrict_to_nothing()
    st.session_state[NOTICE_KEY] = "You have logged out."
    if claims is not None:
        st.logout()
    else:
        st.rerun()


def audit_page_view(ws: Workspace, user: User | None, spec: PageSpec | None) -> None:
    """Log (once per visit) that a user opened a sensitive page in shared mode."""
    if user is None or spec is None or not is_sensitive(spec):
        st.session_state[LAST_PAGE_KEY] = spec.script if spec else None
        return
    if st.session_state.get(LAST_PAGE_KEY) == spec.script:
        return
    st.session_state[LAST_PAGE_KEY] = spec.script
    ws.audit("page.view", target=spec.script, actor=user.username)


def audit_refused_url(ws: Workspace, user: User | None, allowed: Sequence[PageSpec]) -> None:
    """Log (once per session and path) a request for a page URL the user may not open.

    Streamlit answers such a request with "Page not found" and the default page; this records
    the attempt as ``access.denied`` so that admins see who tried which page.
    """
    if user is None:
        return
    try:
        path = urlparse(st.context.url or "").path
    except Exception:  # no browser context (tests, bare mode)
        return
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    if not slug or slug == "oauth2callback" or slug in {p.url_path for p in allowed}:
        return
    seen: set[str] = st.session_state.setdefault(REFUSED_KEY, set())
    if slug in seen:
        return
    seen.add(slug)
    ws.audit(
        "access.denied",
        target=slug,
        detail={"route": "url", "path": path, "roles": list(user.roles)},
        actor=user.username,
    )
