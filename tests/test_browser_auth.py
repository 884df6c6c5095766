"""The shared app in a real browser: OIDC login against a local mock provider, a leader's view,
logout, and an old cookie refused after logout."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import (
    POLL_MS,
    browser_page,
    require_chromium,
    screenshot,
    streamlit_server,
    wait_idle,
)
from tests.oidc_mock import CLIENT_ID, mock_oidc_provider
from workbench.access import users
from workbench.access.auth import User
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser

ADMIN = User("root", roles=("admin",), areas=("all",))
LEADER_EMAIL = "lead@kent.example"


def write_config(path: Path, base: str, metadata_url: str) -> None:
    """The shared-mode config and Streamlit secrets, with secrets made up for this run."""
    path.write_text(
        "[workbench]\n"
        'login = ["oidc", "password"]\n'
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "{metadata_url}"\n',
        encoding="utf-8",
    )


def sidebar_links(page) -> list[str]:
    return page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').all_inner_texts()


def test_oidc_login_leader_view_logout_and_old_cookie(tmp_path: Path) -> None:
    require_chromium()
    workspace = tmp_path / "ws.duckdb"
    with Workspace(workspace) as ws:
        users.save_user(ws, ADMIN, "root", ["admin"], ["all"])
        users.save_user(ws, ADMIN, "kent", ["leader"], ["Kent"], email=LEADER_EMAIL)
    config = tmp_path / "shared.toml"
    env = {
        "WORKBENCH_MODE": "shared",
        "WORKBENCH_AUTH_CONFIG": str(config),
        "STREAMLIT_SECRETS_FILES": str(config),
    }
    user = {"sub": "kent-lead", "email": LEADER_EMAIL, "name": "Kent Leader"}
    with (
        mock_oidc_provider(user) as provider,
        streamlit_server(workspace, extra_env=env) as base,
        browser_page() as page,
    ):
        # Streamlit reads its secrets when first needed, so they can name the port it got.
        write_config(config, base, provider.metadata_url)

        # Before login: a record-level page's URL shows only the login screen.
        page.goto(f"{base}/link-train")
        page.get_by_text("Log in to see the dashboards").wait_for()
        wait_idle(page)
        assert not sidebar_links(page)
        expect(page.get_by_role("heading", name="Train")).to_have_count(0)
        screenshot(page, "auth-login-screen")

        page.get_by_role("button", name="Log in with your organisation account").click()
        page.get_by_text("Logged in as").wait_for()
        wait_idle(page)
        assert provider.logins == 1
        links = sidebar_links(page)
        assert links, "a leader sees some pages"
        for record_level in ("Import", "Train", "Pairs", "Explore", "Audit log", "Catalogue"):
            assert not any(record_level == link.strip() for link in links), links
        page.get_by_text("Areas: Kent").wait_for()
        screenshot(page, "auth-leader-view")

        # A leader asking for a linkage page by URL gets none of it.
        page.goto(f"{base}/link-train")
        wait_idle(page)
        page.get_by_text("Page not found").wait_for()
        expect(page.get_by_role("heading", name="Train")).to_have_count(0)
        page.get_by_text("Logged in as").wait_for()
        screenshot(page, "auth-leader-direct-url")
        page.keyboard.press("Escape")
        expect(page.get_by_text("Page not found")).to_have_count(0)

        old_cookies = page.context.cookies()
        assert any(c["name"].startswith("_streamlit_user") for c in old_cookies)

        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
        page.get_by_text("Log in to see the dashboards").wait_for()
        wait_idle(page)
        assert not sidebar_links(page)
        screenshot(page, "auth-after-logout")

        # Someone who kept the old cookie is refused: the login was revoked server-side.
        page.context.clear_cookies()
        page.context.add_cookies(old_cookies)
        page.goto(base)
        page.get_by_text("This login has ended").wait_for()
        wait_idle(page)
        assert not sidebar_links(page)
        screenshot(page, "auth-old-cookie-refused")

    with Workspace(workspace) as ws:
        rows = ws.query("SELECT action, actor, detail FROM wb.audit_log ORDER BY id")
    actions = [(a, who) for a, who, _ in rows]
    assert ("login.success", "kent") in actions
    assert ("logout", "kent") in actions
    assert ("session.refused", "kent") in actions
    refused = [d for a, who, d in rows if a == "access.denied" and who == "kent"]
    assert any('"link-train"' in d or "link-train" in d for d in refused), rows
    assert actions.index(("logout", "kent")) < actions.index(("session.refused", "kent"))


# Records the protocols of every WebSocket the page opens; with a session id, presents that id
# (as Streamlit's client does when it reconnects) instead of this page's own.
WEBSOCKET_SPY = """
(() => {
  const Native = window.WebSocket;
  const target = %s;
  window.__wbProtocols = [];
  window.__wbSockets = [];
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      const chosen = protocols ? Array.from(protocols) : [];
      if (target && String(url).includes("_stcore/stream")) {
        while (chosen.length < 2) chosen.push("none");
        chosen[2] = target;
      }
      super(url, chosen);
      window.__wbProtocols.push(chosen);
      window.__wbSockets.push(this);
    }
  };
})();
"""


def test_a_live_session_id_from_another_browser_does_not_log_it_in(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    require_chromium()
    secret = "correct horse battery staple"
    workspace = tmp_path / "ws.duckdb"
    with Workspace(workspace) as ws:
        users.save_user(ws, ADMIN, "root", ["admin"], ["all"], password=secret)
        users.save_user(ws, ADMIN, "kent", ["leader"], ["Kent"], password=secret)
    config = tmp_path / "shared.toml"
    config.write_text('[workbench]\nlogin = ["password"]\n', encoding="utf-8")
    env = {"WORKBENCH_MODE": "shared", "WORKBENCH_AUTH_CONFIG": str(config)}
    with streamlit_server(workspace, extra_env=env) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            victim = browser.new_context(viewport={"width": 1400, "height": 1000})
            victim.add_init_script(WEBSOCKET_SPY % "null")
            page = victim.new_page()
            page.set_default_timeout(60_000)
            page.goto(base)
            page.get_by_text("Log in to see the dashboards").wait_for()
            wait_idle(page)
            # Before logging in, let the client reconnect once: it then presents its session id.
            page.evaluate("window.__wbSockets.at(-1).close()")
            page.wait_for_function(
                "window.__wbProtocols.length >= 2", timeout=30_000, polling=POLL_MS
            )
            session_id = page.evaluate("window.__wbProtocols.at(-1)[2]")
            assert session_id, page.evaluate("window.__wbProtocols")
            wait_idle(page)
            page.get_by_role("textbox", name="User name").fill("kent")
            page.get_by_role("textbox", name="Password").fill(secret)
            page.get_by_role("button", name="Log in").click()
            page.get_by_text("Logged in as").wait_for()
            wait_idle(page)
            # The victim keeps working: later runs on the same connection stay logged in.
            page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').first.click()
            wait_idle(page)
            page.get_by_text("Logged in as").wait_for()
            assert sidebar_links(page)
            victim.close()  # the session waits to be resumed

            thief = browser.new_context(viewport={"width": 1400, "height": 1000})
            thief.add_init_script(WEBSOCKET_SPY % json.dumps(session_id))
            other = thief.new_page()
            other.set_default_timeout(60_000)
            other.goto(base)
            other.get_by_text("Log in to see the dashboards").wait_for()
            wait_idle(other)
            assert other.evaluate("window.__wbProtocols.at(-1)[2]") == session_id
            expect(other.get_by_text("Logged in as")).to_have_count(0)
            assert not sidebar_links(other)
            screenshot(other, "auth-session-id-refused")
        finally:
            browser.close()
    with Workspace(workspace) as ws:
        refused = ws.query(
            "SELECT actor, detail FROM wb.audit_log WHERE action = 'session.refused'"
        )
    assert [r[0] for r in refused] == ["kent"], refused
    assert "another connection" in refused[0][1]
