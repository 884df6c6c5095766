"""Start the Streamlit server for ``app.py`` with every page routed through ``st.navigation``.

Streamlit treats a ``pages/`` folder beside the main script as a list of pages that can be run
directly, until the app first calls ``st.navigation``. On a freshly started server the first
request for a page's URL would run that page's script alone, without ``app.py``: no page
configuration, no navigation, and no checks that ``app.py`` applies. Starting the server here
switches that behaviour off before any session begins, so ``app.py`` always runs first.

Usage: ``python -m workbench.ui.server [streamlit options]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"

DEFAULT_OPTIONS = ("--browser.gatherUsageStats=false",)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``streamlit run app.py`` in this process with page-folder routing disabled."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli as streamlit_cli

    PagesManager.uses_pages_directory = False
    options = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP), *DEFAULT_OPTIONS, *options]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
