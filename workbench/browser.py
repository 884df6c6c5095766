"""Headless Chromium (Debian's package) driven by Playwright: print HTML pages to PDF offline.

The same binary and flags serve the browser tests (``tests/browser.py``) and the PDF export of
stories. Every request a page makes to the network is refused, so a PDF shows only what the
HTML carries inside itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

from workbench.errors import ExportError, first_line

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_available() -> bool:
    """Whether Debian's Chromium is installed where the workbench looks for it."""
    return Path(CHROMIUM).exists()


def html_to_pdf(html: str, timeout_ms: int = 60_000) -> bytes:
    """Print a self-contained HTML page to a tagged A4 PDF with headless Chromium.

    The PDF carries a structure tree in reading order (headings, paragraphs, tables, figures
    with the alt text of their images), the page's language and title, and bookmarks, so a
    screen reader can follow it.

    Args:
        html: The whole page (set ``lang`` and ``<title>``). Network requests are blocked:
            inline everything it needs.
        timeout_ms: How long to wait for the page to load and print.

    Returns:
        The PDF file's bytes.

    Raises:
        ExportError: When Chromium or Playwright is missing or the page cannot be printed.
    """
    if not chromium_available():
        raise ExportError(
            f"Cannot make a PDF: Chromium is not installed at {CHROMIUM}.",
            hint="Install it with `make browser` (scripts/install-browser.sh), or export HTML.",
        )
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dependency
        raise ExportError("Cannot make a PDF: Playwright is not installed.") from exc
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--export-tagged-pdf"]
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(timeout_ms)
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(("data:", "about:"))
                        else route.abort()
                    ),
                )
                page.set_content(html, wait_until="load")
                page.emulate_media(media="print")
                pdf = page.pdf(
                    format="A4",
                    print_background=True,
                    margin={"top": "18mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
                    tagged=True,
                    outline=True,
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        log.debug("PDF printing failed", exc_info=True)
        first = first_line(exc)
        raise ExportError(f"Chromium could not print the PDF: {first}") from exc
    log.info("printed a PDF of %s bytes", len(pdf))
    return pdf
