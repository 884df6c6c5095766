"""The password store, sessions, OIDC logins and the access model (no Streamlit)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from workbench.access import auth, oidc, passwords, sessions, users
from workbench.access.auth import AuthSettings, User
from workbench.errors import AccessDeniedError, AuthError, ValidationError
from workbench.ui.navigation import ADMIN_PAGES, LEADER_PAGES, PAGES, PageSpec, pages_for
from workbench.workspace import Workspace, utcnow

SECRET = "correct horse battery staple"
SETTINGS = AuthSettings(mode="shared", max_failures=3, lockout_minutes=15, session_hours=12)
ADMIN = User("root", roles=("admin",), areas=("all",))


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the algorithm is the same, the tests are quicker."""
    from argon2 import PasswordHasher

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", fast)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("dummy"))


def audit_actions(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.query("SELECT action FROM wb.audit_log ORDER BY id")]


@pytest.fixture
def people(ws: Workspace) -> Workspace:
    users.save_user(ws, ADMIN, "root", ["admin"], ["all"], password=SECRET)
    users.save_user(
        ws, ADMIN, "kent", ["leader"], ["Kent"], email="Lead@Kent.example", password=SECRET
    )
    users.save_user(ws, ADMIN, "ana", ["analyst"], ["all"], password=SECRET)
    return ws


def test_password_is_hashed_never_stored_or_logged(people: Workspace) -> None:
    stored = people.query("SELECT password_hash FROM wb.users WHERE username = 'kent'")[0][0]
    assert stored.startswith("$argon2id$") and SECRET not in stored
    log_text = json.dumps(people.query("SELECT * FROM wb.audit_log"), default=str)
    assert SECRET not in log_text


def test_right_password_gives_a_session_wrong_one_does_not(people: Workspace) -> None:
    token = passwords.login_with_password(people, "kent", SECRET, SETTINGS)
    user = sessions.check_session(people, token)
    assert user is not None and user.username == "kent" and user.allowed_areas == ["Kent"]
    assert user.leader_view
    with pytest.raises(AuthError, match="wrong password"):
        passwords.login_with_password(people, "kent", "not the password", SETTINGS)
    with pytest.raises(AuthError, match="wrong password"):
        passwords.login_with_password(people, "nobody", SECRET, SETTINGS)
    assert audit_actions(people)[-3:] == ["login.success", "login.failure", "login.failure"]
    # The token itself is never stored, only its hash.
    assert not people.query("SELECT 1 FROM wb.sessions WHERE token_hash = ?", [token])


def test_lockout_after_failures_and_unlock_after_the_window(people: Workspace) -> None:
    start = utcnow()
    for _ in range(3):
        with pytest.raises(AuthError, match="wrong password"):
            passwords.login_with_password(people, "kent", "guess", SETTINGS, now=start)
    with pytest.raises(AuthError, match="locked"):
        passwords.login_with_password(people, "kent", SECRET, SETTINGS, now=start)
    assert "login.locked" in audit_actions(people)
    later = start + timedelta(minutes=16)
    assert passwords.login_with_password(people, "kent", SECRET, SETTINGS, now=later)
    # A success clears the count.
    assert not passwords.is_locked(people, "kent", SETTINGS, now=later)


def test_admin_unlock(people: Workspace) -> None:
    for _ in range(3):
        with pytest.raises(AuthError):
            passwords.login_with_password(people, "ana", "guess", SETTINGS)
    assert passwords.is_locked(people, "ana", SETTINGS)
    users.unlock_user(people, ADMIN, "ana")
    assert passwords.login_with_password(people, "ana", SECRET, SETTINGS)


def test_logout_revokes_the_session_and_an_old_token_is_refused(people: Workspace) -> None:
    token = passwords.login_with_password(people, "kent", SECRET, SETTINGS)
    sessions.logout(people, token, "kent")
    assert sessions.check_session(people, token) is None
    assert audit_actions(people)[-2:] == ["logout", "session.refused"]
    assert sessions.check_session(people, "made-up-token") is None


def test_session_expires_and_ends_when_the_user_is_disabled(people: Workspace) -> None:
    token = passwords.login_with_password(people, "ana", SECRET, SETTINGS)
    assert sessions.check_session(people, token, now=utcnow() + timedelta(hours=13)) is None
    token = passwords.login_with_password(people, "ana", SECRET, SETTINGS)
    users.save_user(people, ADMIN, "ana", ["analyst"], ["all"], active=False)
    assert sessions.check_session(people, token) is None
    with pytest.raises(AuthError):
        passwords.login_with_password(people, "ana", SECRET, SETTINGS)


def claims(email: str, nonce: str = "n1") -> dict[str, object]:
    return {
        "iss": "http://idp",
        "sub": email,
        "email": email,
        "iat": int(utcnow().timestamp()),
        "nonce": nonce,
        "is_logged_in": True,
    }


def test_oidc_login_matched_by_email_and_revoked_at_logout(people: Workspace) -> None:
    c = claims("lead@kent.example")
    user = oidc.login_with_oidc(people, c, SETTINGS)
    assert user.username == "kent"
    assert oidc.login_with_oidc(people, c, SETTINGS).username == "kent"
    assert audit_actions(people).count("login.success") == 1
    oidc.logout_oidc(people, c, "kent")
    with pytest.raises(AuthError, match="ended"):
        oidc.login_with_oidc(people, c, SETTINGS)  # the same cookie again
    # A new login (new nonce and issue time) works.
    assert oidc.login_with_oidc(people, claims("lead@kent.example", "n2"), SETTINGS)
    with pytest.raises(AuthError, match="no access"):
        oidc.login_with_oidc(people, claims("stranger@example.org"), SETTINGS)
    assert "login.failure" in audit_actions(people)


def test_analyst_calling_admin_functions_is_refused_and_logged(people: Workspace) -> None:
    analyst = auth.get_user(people, "ana")
    assert analyst is not None
    calls = [
        lambda: users.save_user(people, analyst, "ana", ["admin"], ["all"]),
        lambda: users.list_users(people, analyst),
        lambda: users.delete_user(people, analyst, "root"),
        lambda: users.unlock_user(people, analyst, "kent"),
    ]
    for call in calls:
        with pytest.raises(AccessDeniedError):
            call()
    denied = people.query("SELECT actor, target FROM wb.audit_log WHERE action = 'access.denied'")
    assert [r[0] for r in denied] == ["ana"] * 4
    assert auth.get_user(people, "ana").roles == ("analyst",)


def test_user_changes_are_validated_and_audited(people: Workspace) -> None:
    with pytest.raises(ValidationError, match="not an LCJB area"):
        users.save_user(people, ADMIN, "x", ["leader"], ["Atlantis"])
    with pytest.raises(ValidationError, match="not a role"):
        users.save_user(people, ADMIN, "x", ["superuser"], ["Kent"])
    with pytest.raises(ValidationError, match="too short"):
        users.save_user(people, ADMIN, "x", ["leader"], ["Kent"], password="short")
    users.save_user(people, ADMIN, "kent", ["leader"], ["Kent", "Surrey"])
    row = people.query(
        "SELECT actor, target, detail FROM wb.audit_log WHERE action = 'user.update'"
    )[-1]
    assert row[0] == "root" and row[1] == "kent"
    assert json.loads(row[2])["before"]["areas"] == ["Kent"]


def test_pages_for_each_role() -> None:
    leader = User("l", roles=("leader",), areas=("Kent",))
    analyst = User("a", roles=("analyst",), areas=("all",))
    admin = User("r", roles=("admin",), areas=("all",))
    leader_pages = {p.script for p in pages_for(leader)}
    assert leader_pages <= LEADER_PAGES
    assert not any("link_" in s or "import" in s or "explore" in s for s in leader_pages)
    analyst_pages = {p.script for p in pages_for(analyst)}
    assert "pages/link_train.py" in analyst_pages and not analyst_pages & ADMIN_PAGES
    assert {p.script for p in pages_for(admin)} >= ADMIN_PAGES
    assert len(pages_for(None)) == len(PAGES)  # local mode: everything
    assert pages_for(User("x", ("leader",), ("Kent",), active=False)) == ()
    # A page added without an access decision is not shown to leaders.
    new = PageSpec("pages/new.py", "New", ":material/add:", "Analyse", "new")
    assert pages_for(leader, (new,)) == ()
    # Exactly one default page, even when the app's default is not allowed.
    for user in (leader, analyst, admin):
        allowed = pages_for(user)
        assert not allowed or sum(p.default for p in allowed) == 1


def test_area_scoping() -> None:
    assert User("l", ("leader",), ("Kent", "Essex")).allowed_areas == ["Essex", "Kent"]
    assert User("a", ("analyst",), ("all",)).allowed_areas is None
    assert not User("m", ("leader", "analyst"), ("Kent",)).leader_view


def test_settings_from_config(tmp_path: Path) -> None:
    path = tmp_path / "shared.toml"
    path.write_text('[workbench]\nlogin = ["password"]\nmax_failures = 4\n', encoding="utf-8")
    settings = auth.load_auth_settings(
        {"WORKBENCH_MODE": "shared", "WORKBENCH_AUTH_CONFIG": str(path)}
    )
    assert settings.shared and settings.max_failures == 4 and settings.methods == ("password",)
    path.write_text('[workbench]\nlogin = ["oidc"]\n', encoding="utf-8")
    with pytest.raises(AuthError, match=r"\[auth\]"):
        auth.load_auth_settings({"WORKBENCH_MODE": "shared", "WORKBENCH_AUTH_CONFIG": str(path)})
    assert not auth.load_auth_settings({}).shared


def test_serve_refuses_shared_mode_without_config(capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import run

    assert run(["serve", "--shared"]) == 2
    assert "--config" in capsys.readouterr().err
