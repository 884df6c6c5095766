"""The shared app in a real browser: OIDC login against a local mock provider, a leader's view,
logout, and an old cookie refused after logout."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.oidc_mock import CLIENT_ID, mock_oidc_provider
from workbench import auth
from workbench.auth import User
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
        auth.save_user(ws, ADMIN, "root", ["admin"], ["all"])
        auth.save_user(ws, ADMIN, "kent", ["leader"], ["Kent"], email=LEADER_EMAIL)
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
