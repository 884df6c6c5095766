"""What every command shares: exit statuses, writing to stdout and stderr, opening the workspace
and reading dates from flags.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from workbench.config import load_settings
from workbench.errors import ValidationError

log = logging.getLogger("workbench")

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_BUG = 1


def print_out(text: str = "") -> None:
    """Write one line to standard output."""
    sys.stdout.write(text + "\n")


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch command.

    A link builds and drops millions of short-lived objects; with the collector on, each of
    its passes walks every container alive (most of them the run's own tables), which costs
    seconds at a million records and frees almost nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def open_workspace_arg(args: argparse.Namespace, read_only: bool = False):
    """Open the workspace named by ``--workspace`` (or the configured default)."""
    from workbench.workspace import Workspace

    return Workspace(load_settings(args.workspace).workspace, read_only=read_only)


def say_error(text: str = "") -> None:
    """Write one line to standard error."""
    sys.stderr.write(text + "\n")


def workspace_exists(args: argparse.Namespace) -> bool:
    """Whether the workspace named by ``--workspace`` (or the default) exists on disk."""
    return load_settings(args.workspace).workspace.exists()


def parse_date(text: str, flag: str) -> date:
    """Parse an ISO date given with ``flag``.

    Raises:
        ValidationError: When ``text`` is not a YYYY-MM-DD date.
    """
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{flag} {text!r} is not a date.", hint="Use YYYY-MM-DD.") from exc
