"""DuckDB set up for a linkage run: threads, memory limit and spill folder (:func:`make_db_api`)."""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

import duckdb

from workbench.config import ENV_DUCKDB_MEMORY_LIMIT, ENV_DUCKDB_TEMP_DIR, ENV_DUCKDB_THREADS

log = logging.getLogger(__name__)

#: DuckDB memory limit for one linkage run. The machine has 24 GB shared by several users
#: and the app; a million records train, score and cluster in under 2 GB, so 6 GB leaves
#: room for larger inputs while DuckDB spills to :data:`DUCKDB_TEMP_DIR` rather than take
#: the whole machine.
DUCKDB_MEMORY_LIMIT = os.environ.get(ENV_DUCKDB_MEMORY_LIMIT, "6GB")
#: Where DuckDB spills intermediate results beyond the memory limit.
DUCKDB_TEMP_DIR = os.environ.get(
    ENV_DUCKDB_TEMP_DIR, os.path.join(tempfile.gettempdir(), "workbench_duckdb")
)


def duckdb_threads() -> int:
    """Threads for one linkage run: every core (two here; two are 1.6 times faster than one).

    ``WORKBENCH_DUCKDB_THREADS`` overrides it.
    """
    value = os.environ.get(ENV_DUCKDB_THREADS)
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, os.cpu_count() or 1)


def make_db_api() -> Any:
    """A Splink ``DuckDBAPI`` on a fresh in-memory connection set up for linkage.

    Threads: every core (:func:`duckdb_threads`). Memory: :data:`DUCKDB_MEMORY_LIMIT` with
    spilling to :data:`DUCKDB_TEMP_DIR`. Insertion order is not preserved: Splink never relies
    on row order, and dropping it lets DuckDB stream large results with less memory.

    Returns:
        The API (one per run or session: it cannot serve two threads at once).
    """
    from splink import DuckDBAPI

    con = duckdb.connect(":memory:")
    try:
        os.makedirs(DUCKDB_TEMP_DIR, exist_ok=True)
        con.execute("SET temp_directory = ?", [DUCKDB_TEMP_DIR])
    except OSError:
        log.warning("cannot create %s; DuckDB will not spill to disk", DUCKDB_TEMP_DIR)
    con.execute("SET threads = ?", [duckdb_threads()])
    con.execute("SET memory_limit = ?", [DUCKDB_MEMORY_LIMIT])
    con.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=con)
