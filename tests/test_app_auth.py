"""The shared app through AppTest: nothing before login, leaders scoped to their areas."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from workbench.access import auth, passwords, sessions, users
from workbench.access.auth import User
from workbench.ui import navigation
from workbench.ui.navigation import PageSpec
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PROBE = str(Path(__file__).resolve().parent / "auth_pages" / "area_probe.py")
SECRET = "correct horse battery staple"
ADMIN = User("root", roles=("admin",), areas=("all",))


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A shared-mode workspace with an admin, a leader of Kent and an analyst."""
    from streamlit.runtime.pages_manager import PagesManager

    # As workbench.ui.server does for the real server, every run goes through app.py: pages/
    # scripts are never run on their own. (AppTest re-enables that routing before each run.)
    original_init = PagesManager.__init__

    def init_without_page_folder(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_page_folder)
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", fast)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("dummy"))
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        users.save_user(ws, ADMIN, "root", ["admin"], ["all"], password=SECRET)
        users.save_user(
            ws, ADMIN, "kent", ["leader"], ["Kent"], email="lead@kent.example", password=SECRET
        )
        users.save_user(ws, ADMIN, "ana", ["analyst"], ["all"], password=SECRET)
    config = tmp_path / "shared.toml"
    config.write_text('[workbench]\nlogin = ["password"]\nmax_failures = 3\n', encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    monkeypatch.setenv("WORKBENCH_MODE", "shared")
    monkeypatch.setenv("WORKBENCH_AUTH_CONFIG", str(config))
    # A leader page of our own that reports the areas the app allows.
    probe = PageSpec(PROBE, "Area probe", ":material/science:", "Analyse", "area-probe")
    monkeypatch.setattr(navigation, "PAGES", (*navigation.PAGES, probe))
    monkeypatch.setattr(navigation, "LEADER_PAGES", navigation.LEADER_PAGES | {PROBE})
    return path


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def log_in(at: AppTest, username: str, password: str = SECRET) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_links(at: AppTest) -> set[str]:
    """The titles of the pages offered in the sidebar."""
    return {str(el.proto.label) for el in at.sidebar.get("page_link")}


def titles_of(scripts: set[str] | frozenset[str]) -> set[str]:
    return {p.title for p in navigation.PAGES if p.script in scripts}


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(t.value for t in at.title)


def actions(path: Path) -> list[tuple[str, str]]:
    with Workspace(path) as ws:
        return [
            (r[0], r[1]) for r in ws.query("SELECT action, actor FROM wb.audit_log ORDER BY id")
        ]


def test_nothing_renders_before_login(shared: Path) -> None:
    at = start()
    assert [t.value for t in at.title] == ["CJS Linkage Workbench"]
    assert not page_links(at)
    assert at.session_state["_allowed_areas"] == []
    # A page path cannot skip the login either.
    at.switch_page("pages/explore.py").run()
    assert [t.value for t in at.title] == ["CJS Linkage Workbench"]
    assert not page_links(at)


def test_wrong_passwords_until_lockout(shared: Path) -> None:
    at = start()
    for _ in range(3):
        log_in(at, "kent", "wrong password")
        assert "wrong password" in at.error[0].value
    log_in(at, "kent")
    assert "locked" in at.error[0].value
    assert not page_links(at)
    assert [a for a, _ in actions(shared)][-4:] == ["login.failure"] * 3 + ["login.locked"]


def test_leader_of_kent_sees_only_leader_pages_and_only_kent(shared: Path) -> None:
    at = log_in(start(), "kent")
    links = page_links(at)
    assert "Area probe" in links and links <= titles_of(navigation.LEADER_PAGES), links
    at.switch_page(PROBE).run()
    assert "areas=['Kent']" in texts(at)
    assert "leader_view=True" in texts(at)
    # Session state tricks and query parameters cannot widen the areas.
    at.session_state["_allowed_areas"] = None
    at.session_state["_leader_view"] = False
    at.query_params["area"] = "Surrey"
    at.run()
    assert "areas=['Kent']" in texts(at)
    assert "leader_view=True" in texts(at)


@pytest.mark.parametrize("page", ["pages/link_train.py", "pages/import_data.py", "pages/users.py"])
def test_leader_cannot_switch_to_record_level_pages(shared: Path, page: str) -> None:
    at = log_in(start(), "kent")
    try:
        at.switch_page(page).run()
    except ValueError as exc:  # AppTest: not a registered page
        assert "Could not find a navigation page" in str(exc)
    titles = [t.value for t in at.title]
    assert not {"Train", "Import", "Import data", "Users and roles"} & set(titles), titles


def test_logout_ends_the_session_and_the_old_token_is_refused(shared: Path) -> None:
    at = log_in(start(), "kent")
    token = at.session_state["_auth_token"]
    at.sidebar.button(key="logout").click().run()
    assert not page_links(at)
    assert "You have logged out." in [i.value for i in at.info]
    at.session_state["_auth_token"] = token  # replay the old session
    at.run()
    assert not page_links(at)
    assert "Your session has ended. Log in again." in [i.value for i in at.info]
    done = [a for a, _ in actions(shared)]
    assert done[-3:] == ["login.success", "logout", "session.refused"]


def test_admin_manages_users_analyst_cannot(shared: Path) -> None:
    at = log_in(start(), "ana")
    assert "Train" in page_links(at)
    assert not page_links(at) & titles_of(navigation.ADMIN_PAGES)
    at = log_in(start(), "root")
    assert page_links(at) >= titles_of(navigation.ADMIN_PAGES)
    at.switch_page("pages/users.py").run()
    at.text_input(key="users_name_(new user)").input("essex")
    at.multiselect(key="users_roles_(new user)").set_value(["leader"])
    at.multiselect(key="users_areas_(new user)").set_value(["Essex"])
    at.button(key="users_save").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(shared) as ws:
        assert auth.get_user(ws, "essex").areas == ("Essex",)
    assert ("user.create", "root") in actions(shared)
    assert ("page.view", "root") in actions(shared)


def test_oidc_user_matched_by_email(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = shared.parent / "oidc.toml"
    config.write_text(
        '[workbench]\nlogin = ["oidc"]\n[auth]\nredirect_uri = "http://x/oauth2callback"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("WORKBENCH_AUTH_CONFIG", str(config))
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {
        "is_logged_in": True,
        "email": "LEAD@kent.example",
        "sub": "k",
        "iat": 2**31,
        "nonce": "abc",
        "iss": "http://idp",
    }
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page(PROBE).run()
    assert "areas=['Kent']" in texts(at)
    at.user = {"is_logged_in": True, "email": "stranger@example.org", "sub": "s", "iat": 2**31}
    at.run()
    assert "has no access" in at.error[0].value
    assert not page_links(at)


def test_a_session_resumed_over_another_connection_is_refused(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ui import login

    connection = ["first browser"]
    monkeypatch.setattr(login, "_connection_id", lambda: connection[0])
    at = log_in(start(), "kent")
    token = at.session_state["_auth_token"]
    assert "Area probe" in page_links(at)
    at.run()
    assert "Area probe" in page_links(at)
    # Another client presents this Streamlit session's id: same session state, new connection.
    connection[0] = "second browser"
    at.run()
    assert not page_links(at)
    assert "Your session has ended. Log in again." in [i.value for i in at.info]
    with Workspace(shared) as ws:
        assert sessions.check_session(ws, token) is None  # revoked for the first browser too
        refused = ws.query(
            "SELECT actor, detail FROM wb.audit_log WHERE action = 'session.refused' ORDER BY id"
        )
    assert refused[0][0] == "kent" and "another connection" in refused[0][1]


def test_an_import_is_recorded_as_the_logged_in_user(shared: Path) -> None:
    at = log_in(start(), "ana")
    at.switch_page("pages/import_data.py").run()
    at.file_uploader(key="upload_file").set_value(("people.csv", b"name,age\nAnn,3\n", "text/csv"))
    at.run()
    at.text_input(key="upload_name").input("people")
    at.button(key="upload_import").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(shared) as ws:
        imported_by = ws.query("SELECT imported_by FROM wb.datasets WHERE name = 'people'")
        actors = {r[0] for r in ws.query("SELECT actor FROM wb.audit_log WHERE target = 'people'")}
    assert imported_by == [("ana",)]
    assert actors == {"ana"}


def test_path_import_is_off_in_shared_mode_without_folders(shared: Path) -> None:
    at = log_in(start(), "ana")
    at.switch_page("pages/import_data.py").run()
    assert at.text_input(key="path_file").disabled
    assert any("switched off" in i.value for i in at.info)


def test_deleting_a_user_asks_first(shared: Path) -> None:
    at = log_in(start(), "root")
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_pick").select("ana").run()
    at.button(key="users_delete").click().run()
    with Workspace(shared) as ws:
        assert auth.get_user(ws, "ana") is not None  # one click deletes nothing
    assert any("Delete ana?" in w.value for w in at.warning)
    at.button(key="users_delete_confirm").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Workspace(shared) as ws:
        assert auth.get_user(ws, "ana") is None
    assert ("user.delete", "root") in actions(shared)


def test_a_busy_workspace_gets_one_plain_message(shared: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(shared)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
    finally:
        holder.kill()
        holder.wait()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "busy" in errors[0]
    assert str(shared.parent) not in errors[0] and ".duckdb" not in errors[0]
    assert not at.text_input  # no login form either
