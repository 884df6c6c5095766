"""Writing a file so that readers see the old file or the whole new one, never half of it.

An output is written beside its destination under a temporary name and moved over the
destination in one step (``os.replace``) once complete. A failure or an interruption leaves the
destination as it was, which matters when a command writes over its own input (``workbench link
NEW --previous RUN.parquet --out RUN.parquet``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    The temporary file keeps ``path``'s suffix (writers that choose a format by suffix still
    work) and is removed when the block raises.

    Args:
        path: The destination.

    Yields:
        Where to write.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
