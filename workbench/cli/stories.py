"""``workbench export story``: render a saved story headless to an HTML or PDF file."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import EXIT_OK, open_workspace_arg, print_out
from workbench.errors import ValidationError


def cmd_export(args: argparse.Namespace) -> int:
    """Render a saved story (headless) to an HTML or PDF file; NAME may be ``owner/name``."""
    from workbench.access.auth import local_user
    from workbench.publish.stories.document import render_story
    from workbench.publish.stories.store import load_story

    out = Path(args.out)
    user = local_user()
    with open_workspace_arg(args, read_only=True) as ws:
        data = render_story(ws, user, load_story(ws, user, args.name), args.format)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise ValidationError(f"Cannot write {out}: {exc.strerror}.") from exc
    print_out(f"Wrote story {args.name} as {args.format.upper()} to {out} ({len(data):,} bytes).")
    return EXIT_OK
