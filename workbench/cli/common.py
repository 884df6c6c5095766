"""What every command shares: exit statuses, writing to stdout and stderr, opening the workspace
and reading dates from flags.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date

from workbench.config import load_settings
from workbench.errors import ValidationError

log = logging.getLogger("workbench")

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_BUG = 1


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _open(args: argparse.Namespace, read_only: bool = False):
    from workbench.workspace import Workspace

    return Workspace(load_settings(args.workspace).workspace, read_only=read_only)


def _err(text: str = "") -> None:
    sys.stderr.write(text + "\n")


def _exists(args: argparse.Namespace) -> bool:
    return load_settings(args.workspace).workspace.exists()


def _parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{flag} {text!r} is not a date.", hint="Use YYYY-MM-DD.") from exc
