"""Start the Streamlit server for ``app.py`` with every page routed through ``st.navigation``.

Streamlit treats a ``pages/`` folder beside the main script as a list of pages that can be run
directly, until the app first calls ``st.navigation``. On a freshly started server the first
request for a page's URL would run that page's script alone, without ``app.py``: no page
configuration, no navigation, and no checks that ``app.py`` applies. Starting the server here
switches that behaviour off before any session begins, so ``app.py`` always runs first.

In shared mode (``WORKBENCH_MODE=shared``) the server also closes what Streamlit offers before
any login, none of which a configuration option switches off:

- ``/_stcore/metrics`` answers 404 (Streamlit always serves it);
- a file upload (``/_stcore/upload_file/<session>/...``) is refused with 403 unless that session
  is logged in, so an anonymous visitor cannot make the server hold files in memory;
- the "clear cache" request a client can send over the WebSocket is ignored unless its session is
  logged in (it would empty every user's caches);

and it runs Streamlit with error details hidden from the browser (``client.showErrorDetails``),
the minimal toolbar, no static file serving, and an upload limit equal to the import limit.

Usage: ``python -m workbench.ui.server [streamlit options]``.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.config import load_settings, shared_mode

log = logging.getLogger(__name__)

APP = Path(__file__).resolve().parents[2] / "app.py"

DEFAULT_OPTIONS = ("--browser.gatherUsageStats=false",)

_METRICS = re.compile(r"^(?:/[^/]+)*/_stcore/metrics/?$")
_UPLOAD = re.compile(r"^(?:/[^/]+)*/_stcore/upload_file/(?P<session>[^/]+)(?:/|$)")


def shared_options() -> list[str]:
    """The Streamlit options the shared deployment always runs with."""
    upload_mb = max(1, math.ceil(load_settings().max_import_mb))
    return [
        "--client.showErrorDetails=none",
        "--client.toolbarMode=minimal",
        "--server.enableStaticServing=false",
        f"--server.maxUploadSize={upload_mb}",
    ]


def gate_request(path: str, session_logged_in: Callable[[str], bool]) -> int | None:
    """The HTTP status refusing a request before login, or None to let it through.

    Args:
        path: The request path (with any base URL).
        session_logged_in: Whether a Streamlit session id belongs to a logged-in user.

    Returns:
        404 for the metrics endpoint, 403 for an upload into a session that is not logged in,
        otherwise None.
    """
    if _METRICS.match(path):
        return 404
    upload = _UPLOAD.match(path)
    if upload and not session_logged_in(upload.group("session")):
        return 403
    return None


class SharedGate:
    """ASGI middleware applying :func:`gate_request` to every HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer a refused request with its status; pass everything else on."""
        if scope.get("type") == "http":
            from workbench.ui.login import is_logged_in_session

            status = gate_request(str(scope.get("path", "")), is_logged_in_session)
            if status is not None:
                log.warning("refused %s %s before login", scope.get("method"), scope.get("path"))
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": b"Not available."})
                return
        await self.app(scope, receive, send)


def install_shared_gate() -> None:
    """Close metrics, anonymous uploads and anonymous cache clearing in this server process."""
    from starlette.middleware import Middleware
    from streamlit.runtime.app_session import AppSession
    from streamlit.web.server.starlette import starlette_app

    original_middleware = starlette_app.create_streamlit_middleware
    if not getattr(original_middleware, "_workbench_gate", False):

        def middleware_with_gate() -> list[Any]:
            return [Middleware(SharedGate), *original_middleware()]

        middleware_with_gate._workbench_gate = True  # type: ignore[attr-defined]
        starlette_app.create_streamlit_middleware = middleware_with_gate

    original_clear = AppSession._handle_clear_cache_request
    if not getattr(original_clear, "_workbench_gate", False):

        def clear_cache_when_logged_in(self: AppSession) -> None:
            from workbench.ui.login import is_logged_in_session

            if not is_logged_in_session(self.id):
                log.warning("ignored a cache-clear request from session %s before login", self.id)
                return
            original_clear(self)

        clear_cache_when_logged_in._workbench_gate = True  # type: ignore[attr-defined]
        AppSession._handle_clear_cache_request = clear_cache_when_logged_in  # type: ignore[method-assign]


#: Modules every session uses, loaded before the server starts (see :func:`freeze_startup`).
#: None of them defines a Streamlit cache: one defined before the runtime starts would not use
#: the runtime's cache storage.
STARTUP_MODULES: tuple[str, ...] = (
    "altair",
    "duckdb",
    "pandas",
    "splink",
    "streamlit",
    "linkage.charts",
    "linkage.model.train",
    "workbench.analysis.charts",
    "workbench.publish.export.alt_text",
)


def freeze_startup() -> int:
    """Load :data:`STARTUP_MODULES` and leave their objects out of later garbage collections.

    Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``),
    so after each click. With the app's libraries loaded that walks some 200,000 objects, a
    tenth to a fifth of a second of CPU each time, though they live as long as the server.
    They are loaded here and frozen once (:func:`gc.freeze`), so each collection walks only
    what sessions made since.

    Returns:
        How many objects were frozen.
    """
    import atexit
    import gc
    import importlib

    for name in STARTUP_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    # Unfrozen again at exit, so the interpreter's shutdown frees them as usual (DuckDB's
    # bindings report frozen objects as leaked).
    atexit.register(gc.unfreeze)
    return gc.get_freeze_count()


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``streamlit run app.py`` in this process with page-folder routing disabled."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    freeze_startup()
    PagesManager.uses_pages_directory = False
    options = list(sys.argv[1:] if argv is None else argv)
    if shared_mode():
        install_shared_gate()
        options = [*options, *shared_options()]
    sys.argv = ["streamlit", "run", str(APP), *DEFAULT_OPTIONS, *options]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
