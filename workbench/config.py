"""Settings read from the environment, with defaults that suit one analyst on one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_WORKSPACE = "WORKBENCH_WORKSPACE"
ENV_MAX_IMPORT_MB = "WORKBENCH_MAX_IMPORT_MB"
ENV_USER = "WORKBENCH_USER"

DEFAULT_WORKSPACE = Path("workspace") / "workbench.duckdb"
DEFAULT_MAX_IMPORT_MB = 500.0


@dataclass(frozen=True)
class Settings:
    """Run-time settings.

    Attributes:
        workspace: Path of the DuckDB workspace file.
        max_import_mb: Largest file, in megabytes, that an import accepts.
    """

    workspace: Path
    max_import_mb: float = DEFAULT_MAX_IMPORT_MB

    @property
    def max_import_bytes(self) -> int:
        """The import size limit in bytes."""
        return int(self.max_import_mb * 1024 * 1024)


def load_settings(workspace: str | os.PathLike[str] | None = None) -> Settings:
    """Build settings from arguments, then the environment, then defaults.

    Args:
        workspace: An explicit workspace path (such as ``--workspace``); wins over the environment.
    """
    path = (
        Path(workspace) if workspace else Path(os.environ.get(ENV_WORKSPACE) or DEFAULT_WORKSPACE)
    )
    raw = os.environ.get(ENV_MAX_IMPORT_MB)
    try:
        max_mb = float(raw) if raw else DEFAULT_MAX_IMPORT_MB
    except ValueError:
        max_mb = DEFAULT_MAX_IMPORT_MB
    return Settings(workspace=path, max_import_mb=max_mb)


def current_user() -> str:
    """The name recorded in the audit log and lineage for local use."""
    name = os.environ.get(ENV_USER)
    if name:
        return name
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "analyst"
