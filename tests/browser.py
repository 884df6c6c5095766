"""Browser-test harness: a real Streamlit server and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from workbench.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
#: How often a wait re-checks the page, in milliseconds. Playwright's default checks on every
#: animation frame, which keeps the browser drawing 60 frames a second for as long as it waits.
POLL_MS = 100


def require_chromium() -> None:
    """Fail in CI, skip elsewhere, when Chromium is missing."""
    if chromium_available():
        return
    message = "Debian's chromium is not installed (run `make browser`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _listening_port(pid: int) -> int | None:
    """The TCP port process ``pid`` listens on, or None while it listens on none."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return None
    ports = [c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN]
    return ports[0] if ports else None


@contextmanager
def streamlit_server(workspace: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the app against ``workspace`` on a port the system picks; yield its base URL.

    The server binds port 0 itself and the port is read back from the process, so servers
    started at the same time (by parallel test workers or other runs) never race for a port.
    """
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace), **(extra_env or {})}
    fd, name = tempfile.mkstemp(prefix="streamlit-", suffix=".log", dir=workspace.parent)
    log_path = Path(name)
    with os.fdopen(fd, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.ui.server",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                "--server.port=0",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            port = _listening_port(proc.pid)
            if port is not None:
                base = f"http://127.0.0.1:{port}"
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def browser_page() -> Iterator:
    """A fresh Chromium page at a laptop-sized viewport."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    const state = app.getAttribute('data-test-script-state');
    return state === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished the script run and drawn its result."""
    page.wait_for_timeout(300)
    page.wait_for_function(_IDLE, timeout=timeout_ms, polling=POLL_MS)
    page.wait_for_timeout(300)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
