"""``workbench serve``: start the app in local mode, or in shared mode with login required."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import print_out
from workbench.errors import ValidationError


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the app: local mode (no login), or shared mode with login required."""
    import os
    import subprocess

    from workbench.access.auth import MODE_LOCAL, MODE_SHARED, load_auth_settings
    from workbench.config import ENV_AUTH_CONFIG, ENV_MODE

    env = {**os.environ, ENV_MODE: MODE_SHARED if args.shared else MODE_LOCAL}
    env.pop(ENV_AUTH_CONFIG, None)
    command = [sys.executable, "-m", "workbench.ui.server", f"--server.port={args.port}"]
    command.append(f"--server.address={args.address}")
    if args.workspace:
        env["WORKBENCH_WORKSPACE"] = str(Path(args.workspace).resolve())
    if args.config:
        config = Path(args.config).resolve()
        env[ENV_AUTH_CONFIG] = str(config)
        command.append(f"--secrets.files={config}")
    elif args.shared:
        raise ValidationError(
            "Shared mode needs --config PATH.", hint="See docs/deployment.md for its contents."
        )
    settings = load_auth_settings(env)  # refuse a bad config before starting the server
    print_out(f"Serving in {settings.mode} mode on http://{args.address}:{args.port}")
    if settings.shared:
        print_out(f"Login: {', '.join(settings.methods)}")
    return subprocess.call(command, env=env)
