"""User administration: list, add, change, delete and unlock users (admins only), and the audit
log as a safe CSV file.

Every change is checked against the acting user's roles and logged; the last active admin cannot
be removed, disabled or demoted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from workbench.access.auth import (
    ALL_AREAS,
    ROLES,
    User,
    active_admins,
    all_users,
    get_user,
    remove_user,
    write_user,
)
from workbench.access.passwords import (
    check_password_strength,
    clear_login_failures,
    hash_password,
)
from workbench.access.sessions import revoke_user_sessions
from workbench.errors import AccessDeniedError, ValidationError
from workbench.reference import LCJB_AREAS
from workbench.safe_csv import frame_to_csv
from workbench.workspace import Workspace, utcnow

log = logging.getLogger(__name__)

# Held while users are changed, so that parallel requests see each other's writes: DuckDB's
# snapshot isolation alone would let two of them each remove one of the last two admins.
_USERS_LOCK = threading.Lock()


def list_users(ws: Workspace, actor: User) -> list[User]:
    """Every user, by name. Admins only.

    Raises:
        AccessDeniedError: When ``actor`` is not an admin (the attempt is logged).
    """
    require_admin(ws, actor, "user.list")
    return all_users(ws)


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
        stored = User(
            username=username,
            roles=tuple(roles_list),
            areas=tuple(areas_list),
            email=email,
            display_name=display_name,
            active=active,
        )
        write_user(cur, stored, new_hash, now, new=before is None)
        if not active or password is not None:
            revoke_user_sessions(cur, username, now)
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
        revoke_user_sessions(cur, username, utcnow())
        remove_user(cur, username)
        ws.audit("user.delete", target=username, actor=actor.username, cur=cur)


def _keep_an_admin(cur: Any, username: str, change: str) -> None:
    """Refuse a change that would leave the workspace without an active admin."""
    admins = active_admins(cur)
    if username in admins and not admins - {username}:
        raise ValidationError(
            f"You cannot {change} {username}: they are the last active admin.",
            hint="Make another user an admin first.",
        )


def unlock_user(ws: Workspace, actor: User, username: str) -> None:
    """Clear the failed logins of a user name. Admins only; logged as ``user.unlock``."""
    require_admin(ws, actor, "user.unlock")
    clear_login_failures(ws, username)
    ws.audit("user.unlock", target=username, actor=actor.username)


def audit_csv(frame: Any) -> bytes:
    """The audit log (or any table) as UTF-8 CSV with every text cell formula-escaped.

    Cells and headers starting with ``= + - @``, a tab or a carriage return get a leading
    apostrophe (:func:`workbench.safe_csv.escape_cell`), so a user name such as
    ``=HYPERLINK(...)`` stays text when the file is opened in a spreadsheet.
    """
    return frame_to_csv(frame)
