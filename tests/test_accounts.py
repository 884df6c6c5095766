"""Accounts and audit in the shared deployment: lockout under parallel guesses, what a refused
login reveals and stores, the last admin, who each action is recorded as, path imports, the
workspace file's permissions and the server's answers before login (no Streamlit script runs)."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import streamlit_server
from workbench.access import auth, passwords, users
from workbench.access.auth import AuthSettings, User
from workbench.config import acting_as, current_user, import_folders, set_actor
from workbench.data.importer import check_import_path, import_file
from workbench.errors import AccessDeniedError, AuthError, ValidationError, WorkspaceBusyError
from workbench.ui.server import gate_request
from workbench.workspace import Workspace

SECRET = "correct horse battery staple"
SETTINGS = AuthSettings(mode="shared", max_failures=5, lockout_minutes=15, session_hours=12)
ADMIN = User("root", roles=("admin",), areas=("all",))


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the algorithm is the same, the tests are quicker."""
    from argon2 import PasswordHasher

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", fast)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("dummy"))


@pytest.fixture
def people(ws: Workspace) -> Workspace:
    users.save_user(ws, ADMIN, "root", ["admin"], ["all"], password=SECRET)
    users.save_user(ws, ADMIN, "kent", ["leader"], ["Kent"], password=SECRET)
    return ws


def everything_stored(ws: Workspace) -> str:
    """The audit log and the failed-login table as one text."""
    rows = ws.query("SELECT * FROM wb.audit_log") + ws.query("SELECT * FROM wb.login_failures")
    return json.dumps(rows, default=str)


# ------------------------------------------------------------------------- lockout
class SlowHasher:
    """A password hasher that takes a while to verify and counts how often it is asked."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0
        self._lock = threading.Lock()

    def verify(self, stored: str, password: str) -> bool:
        with self._lock:
            self.calls += 1
        time.sleep(0.05)  # long enough for every thread to be past the lockout check
        return self.inner.verify(stored, password)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def test_parallel_wrong_passwords_check_at_most_max_failures(
    people: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = SlowHasher(passwords._HASHER)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    start = threading.Barrier(30)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        try:
            passwords.login_with_password(people, "kent", f"guess number {i}", SETTINGS)
            outcomes.append("in")
        except AuthError as exc:
            outcomes.append("locked" if "locked" in str(exc) else "wrong")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hasher.calls == SETTINGS.max_failures
    assert sorted(outcomes).count("wrong") == 5 and outcomes.count("locked") == 25
    logged = [r[0] for r in people.query("SELECT action FROM wb.audit_log")]
    assert logged.count("login.failure") == 5 and logged.count("login.locked") == 25
    # Locked for the right password too, and a success (after an unlock) clears the count.
    with pytest.raises(AuthError, match="locked"):
        passwords.login_with_password(people, "kent", SECRET, SETTINGS)
    users.unlock_user(people, ADMIN, "kent")
    assert passwords.login_with_password(people, "kent", SECRET, SETTINGS)
    assert not people.query("SELECT * FROM wb.login_failures WHERE username = 'kent'")


def test_a_disabled_account_does_not_confirm_the_password(people: Workspace) -> None:
    users.save_user(people, ADMIN, "kent", ["leader"], ["Kent"], active=False)
    messages = set()
    for password in (SECRET, "not the password"):
        with pytest.raises(AuthError) as refused:
            passwords.login_with_password(people, "kent", password, SETTINGS)
        messages.add(str(refused.value))
    with pytest.raises(AuthError) as unknown:
        passwords.login_with_password(people, "nobody", SECRET, SETTINGS)
    assert messages == {str(unknown.value)} == {"Unknown user name or wrong password."}


# ------------------------------------------------------------- what a login stores
def test_a_name_that_is_no_user_is_never_stored_in_clear(people: Workspace) -> None:
    typed = "my own password 123"
    for _ in range(SETTINGS.max_failures):
        with pytest.raises(AuthError, match="wrong password"):
            passwords.login_with_password(people, typed, SECRET, SETTINGS)
    with pytest.raises(AuthError, match="locked"):  # still counted, under its hash
        passwords.login_with_password(people, typed, SECRET, SETTINGS)
    stored = everything_stored(people)
    assert typed not in stored
    label = passwords.unknown_name_label(people, typed)
    assert label.startswith("unknown user (") and label in stored
    assert passwords.unknown_name_label(people, "another name") != label
    # A known user's name is kept as it is: the admin needs to see whose account is attacked.
    with pytest.raises(AuthError):
        passwords.login_with_password(people, "kent", "wrong password!", SETTINGS)
    row = people.query("SELECT actor, target FROM wb.audit_log ORDER BY id DESC LIMIT 1")[0]
    assert row == ("kent", "kent")
    assert passwords.is_locked(people, typed, SETTINGS)


def test_audit_csv_is_formula_escaped(people: Workspace) -> None:
    users.save_user(people, ADMIN, "=HYPERLINK(x)", ["leader"], ["Kent"])
    frame = people.audit_log()
    frame.loc[len(frame)] = [0, None, "@SUM(1)", "+1", "-1", "\tx", "\rx"]
    text = users.audit_csv(frame).decode("utf-8")
    cells = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    values = [v for column in cells.columns for v in cells[column]]
    assert "'=HYPERLINK(x)" in values
    assert {"'@SUM(1)", "'+1", "'-1", "'\tx"} <= set(values)
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r")]


# ------------------------------------------------------------------------ admins
def test_the_last_admin_cannot_be_removed_demoted_or_disabled(people: Workspace) -> None:
    with pytest.raises(ValidationError, match="last active admin"):
        users.save_user(people, ADMIN, "root", ["analyst"], ["all"])
    with pytest.raises(ValidationError, match="last active admin"):
        users.save_user(people, ADMIN, "root", ["admin"], ["all"], active=False)
    other = User("boss", roles=("admin",), areas=("all",))
    with pytest.raises(ValidationError, match="last active admin"):
        users.delete_user(people, other, "root")
    assert auth.get_user(people, "root").roles == ("admin",)
    # With a second admin both changes are allowed.
    users.save_user(people, ADMIN, "boss", ["admin"], ["all"])
    users.save_user(people, ADMIN, "root", ["analyst"], ["all"])
    with pytest.raises(ValidationError, match="last active admin"):
        users.delete_user(people, ADMIN, "boss")
    users.save_user(people, other, "root", ["admin"], ["all"])
    users.delete_user(people, ADMIN, "boss")
    assert auth.get_user(people, "boss") is None


# ------------------------------------------------------------------------- actors
def test_actions_are_recorded_as_the_acting_user(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("name,age\nAnn,3\n", encoding="utf-8")
    local = current_user()
    with acting_as("kent"):
        assert current_user() == "kent"
        info = import_file(ws, source, "people")
        ws.audit("story.open", target="someone else's")
    assert current_user() == local
    assert info.imported_by == "kent"
    rows = ws.query("SELECT actor, action FROM wb.audit_log ORDER BY id")
    assert ("kent", "dataset.import") in rows and ("kent", "story.open") in rows
    assert all(actor == "kent" for actor, _ in rows)
    # Another thread does not inherit the actor unless it is handed over.
    seen: list[str] = []
    with acting_as("kent"):
        worker = threading.Thread(target=lambda: seen.append(current_user()))
        worker.start()
        worker.join()
    assert seen == [local]
    set_actor("ana")
    try:
        assert current_user() == "ana"
    finally:
        set_actor(None)


# ------------------------------------------------------------------- path imports
def test_path_imports_only_inside_configured_folders(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed = tmp_path / "extracts"
    allowed.mkdir()
    inside = allowed / "a.csv"
    inside.write_text("x\n1\n", encoding="utf-8")
    outside = tmp_path / "secret.csv"
    outside.write_text("x\n2\n", encoding="utf-8")
    (allowed / "link.csv").symlink_to(outside)
    folders = (allowed.resolve(),)
    assert check_import_path(inside, folders) == inside.resolve()
    for sneaky in (outside, allowed / "link.csv", allowed / ".." / "secret.csv"):
        with pytest.raises(AccessDeniedError, match="outside the folders"):
            check_import_path(sneaky, folders)
    # Local mode without folders: anything; shared mode without folders: nothing.
    monkeypatch.delenv("WORKBENCH_IMPORT_DIRS", raising=False)
    monkeypatch.delenv("WORKBENCH_AUTH_CONFIG", raising=False)
    monkeypatch.setenv("WORKBENCH_MODE", "local")
    assert check_import_path(outside) == outside.resolve()
    monkeypatch.setenv("WORKBENCH_MODE", "shared")
    with pytest.raises(AccessDeniedError, match="switched off"):
        check_import_path(inside)
    # Folders from the configuration file; the refusal is logged.
    config = tmp_path / "shared.toml"
    config.write_text(f'[import]\nfolders = ["{allowed}"]\n', encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_AUTH_CONFIG", str(config))
    assert import_folders() == folders
    with pytest.raises(AccessDeniedError):
        import_file(ws, allowed / "link.csv", "leak")
    assert ws.query("SELECT action FROM wb.audit_log")[-1] == ("access.denied",)
    assert import_file(ws, inside, "fine").row_count == 1


# --------------------------------------------------------------- workspace file
def test_a_new_workspace_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "ws.duckdb"
    Workspace(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_workspace_held_by_another_process_is_reported_as_busy(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    Workspace(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceBusyError):
            Workspace(path)
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------ before login (server)
def test_gate_closes_metrics_and_anonymous_uploads() -> None:
    def logged_in(session: str) -> bool:
        return session == "s-in"

    assert gate_request("/_stcore/metrics", logged_in) == 404
    assert gate_request("/base/_stcore/metrics", logged_in) == 404
    assert gate_request("/_stcore/upload_file/s-out/f1", logged_in) == 403
    assert gate_request("/_stcore/upload_file/s-in/f1", logged_in) is None
    assert gate_request("/_stcore/health", logged_in) is None
    assert gate_request("/", logged_in) is None


def answer(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    """The status and body of one request."""
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.mark.parametrize("mode", ["shared", "local"])
def test_server_before_login(tmp_path: Path, mode: str) -> None:
    config = tmp_path / "shared.toml"
    config.write_text('[workbench]\nlogin = ["password"]\n', encoding="utf-8")
    env = {"WORKBENCH_MODE": mode, "WORKBENCH_AUTH_CONFIG": str(config)}
    with streamlit_server(tmp_path / "ws.duckdb", env) as base:
        metrics = answer(f"{base}/_stcore/metrics")
        upload = answer(f"{base}/_stcore/upload_file/made-up/file", "PUT", b"x" * 1024)
        health = answer(f"{base}/_stcore/health")
    assert health[0] == 200
    if mode == "shared":
        assert metrics == (404, "Not available.")
        assert upload == (403, "Not available.")
    else:  # local mode keeps Streamlit's own answers
        assert metrics[0] == 200
        assert upload[1] != "Not available."


def test_shared_server_hides_error_details_and_caps_uploads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workbench.ui import server

    monkeypatch.setenv("WORKBENCH_MAX_IMPORT_MB", "50.5")
    options = server.shared_options()
    assert "--client.showErrorDetails=none" in options
    assert "--server.maxUploadSize=51" in options
    assert os.environ["WORKBENCH_MAX_IMPORT_MB"] == "50.5"


def test_migration_removes_names_typed_in_clear(tmp_path: Path) -> None:
    from workbench.workspace import MIGRATIONS, utcnow

    path = tmp_path / "old.duckdb"
    with Workspace(path) as ws:
        ws.query("DELETE FROM wb.schema_version WHERE version = 8")
        users.save_user(ws, ADMIN, "kent", ["leader"], ["Kent"], password=SECRET)
        users.save_user(ws, ADMIN, "gone", ["leader"], ["Kent"])
        users.delete_user(ws, ADMIN, "gone")
        now = utcnow()
        for name in ("kent", "gone", "hunter2 my password"):
            ws.query("INSERT INTO wb.login_failures VALUES (?, ?)", [name, now])
            ws.audit("login.failure", target=name, detail={"method": "password"}, actor=name or "x")
        ws.audit("login.failure", target="lead@idp.example", detail={"method": "oidc"})
    assert MIGRATIONS[7]  # 0008 is the migration under test
    with Workspace(path) as ws:
        failures = {r[0] for r in ws.query("SELECT username FROM wb.login_failures")}
        logged = ws.query("SELECT target, actor FROM wb.audit_log WHERE action = 'login.failure'")
        stored = everything_stored(ws)
    assert failures == {"kent"}
    targets = [t for t, _ in logged]
    assert "hunter2 my password" not in stored
    assert targets == ["kent", "gone", "unknown user (name removed)", "lead@idp.example"]


def test_cache_clearing_needs_a_logged_in_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from streamlit.runtime.app_session import AppSession
    from streamlit.web.server.starlette import starlette_app

    from workbench.ui import login, server

    cleared: list[str] = []
    # Both patches are undone after the test (monkeypatch restores the values it set).
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request", lambda s: cleared.append(s.id))
    monkeypatch.setattr(
        starlette_app, "create_streamlit_middleware", starlette_app.create_streamlit_middleware
    )
    server.install_shared_gate()
    AppSession._handle_clear_cache_request(SimpleNamespace(id="s-anonymous"))
    assert cleared == []
    monkeypatch.setitem(login._LIVE_SESSIONS, "s-in", "kent")
    AppSession._handle_clear_cache_request(SimpleNamespace(id="s-in"))
    assert cleared == ["s-in"]
    middleware = starlette_app.create_streamlit_middleware()
    assert middleware[0].cls is server.SharedGate


def test_the_server_freezes_its_startup_objects_before_streamlit_starts() -> None:
    """Streamlit collects garbage after every script run; the libraries' objects are frozen
    first, so that collection does not walk them each time."""
    code = (
        "import gc, sys\n"
        "import streamlit.web.cli as cli\n"
        "seen = []\n"
        "cli.main = lambda: seen.append((gc.get_freeze_count(), list(sys.argv)))\n"
        "from workbench.ui.server import main\n"
        "main([])\n"
        "print(seen[0][0], 'altair' in sys.modules, seen[0][1][1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    frozen, altair_loaded, command = done.stdout.split()
    assert int(frozen) > 50_000 and altair_loaded == "True" and command == "run"
    assert "leaked" not in done.stderr  # unfrozen at exit, so shutdown frees them
