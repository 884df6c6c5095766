"""The workspace: one DuckDB file holding datasets, catalogue metadata, roles and the audit log.

Datasets live as tables in the ``data`` schema; everything about them lives in the ``wb`` schema.
The schema version is recorded in ``wb.schema_version`` and migrations are applied in order when a
workspace is opened, so an older file is upgraded in place and a newer one is refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from workbench.config import current_user, load_settings
from workbench.errors import DatasetNotFoundError, WorkspaceBusyError, WorkspaceError, first_line
from workbench.sql import Sql, compose, qualified

log = logging.getLogger(__name__)

DATA_SCHEMA = "data"
META_SCHEMA = "wb"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# A new workspace file (and a folder made for it) is readable by its owner only: it holds
# record-level data, password hashes and the audit log.
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[list[str]]:
    """Read the numbered migration files (``0001_base.sql``, ...) in order.

    Migration ``n`` moves a workspace from schema ``n - 1`` to ``n``. A released file is never
    edited: a change to the schema is a new file with the next number. Statements are separated
    by a semicolon at the end of a line; lines starting with ``--`` are comments.

    Args:
        folder: Where the ``NNNN_name.sql`` files are.

    Returns:
        One list of SQL statements per migration, in order.

    Raises:
        WorkspaceError: When the numbering has a gap or a duplicate.
    """
    files = sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [int(f.name[:4]) for f in files]
    if numbers != list(range(1, len(files) + 1)):
        raise WorkspaceError(
            f"The migration files in {folder} are not numbered 1, 2, 3, … without gaps: "
            f"{[f.name for f in files]}.",
            hint="Number a new migration one past the last.",
        )
    migrations = []
    for path in files:
        text = "\n".join(
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("--")
        )
        statements = [part.strip() for part in re.split(r";\s*(?:\n|$)", text)]
        migrations.append([stmt for stmt in statements if stmt])
    return migrations


MIGRATIONS: list[list[str]] = load_migrations()

SCHEMA_VERSION = len(MIGRATIONS)


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (as DuckDB TIMESTAMP stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Workspace:
    """An open workspace file.

    One ``Workspace`` holds one DuckDB connection. Use :meth:`cursor` for each thread (Streamlit
    runs each session in its own thread) and :meth:`transaction` for all-or-nothing writes.

    Args:
        path: The DuckDB file; created with its folder when missing. ``":memory:"`` for tests.
        read_only: Open without taking the write lock.
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path) if str(path) != ":memory:" else Path(":memory:")
        self.read_only = read_only
        self._lock = threading.RLock()
        target = str(path)
        if target != ":memory:":
            if read_only and not self.path.exists():
                raise WorkspaceError(
                    f"There is no workspace at {self.path}.",
                    hint="Run `workbench init` first, or give the right --workspace path.",
                )
            try:
                if not self.path.parent.exists():
                    self.path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            except OSError as exc:
                raise WorkspaceError(
                    f"Cannot create the workspace folder {self.path.parent}: {exc.strerror}.",
                    hint="Choose a writable folder with --workspace or WORKBENCH_WORKSPACE.",
                ) from exc
        created = target != ":memory:" and not self.path.exists()
        try:
            self.con = duckdb.connect(target, read_only=read_only)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
                raise WorkspaceBusyError(
                    f"The workspace {self.path} is open in another program.",
                    hint="Close the other workbench (for example the running app) or use "
                    "--workspace to choose another file.",
                ) from exc
            raise WorkspaceError(
                f"The workspace {self.path} cannot be opened: {first_line(exc)}",
                hint="Check that it is a workbench workspace (a DuckDB file) and not damaged.",
            ) from exc
        if created:
            self._restrict_file_mode()
        if not read_only:
            self._migrate()
        else:
            self._check_version()
        if created:
            self._restrict_file_mode()

    def _restrict_file_mode(self) -> None:
        """Make a newly created workspace file (and its write-ahead log) owner-only."""
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                if path.exists():
                    os.chmod(path, FILE_MODE)
            except OSError as exc:  # e.g. a file system without permissions
                log.warning("cannot restrict the permissions of %s: %s", path, exc.strerror)

    # ------------------------------------------------------------------ schema
    def schema_version(self) -> int:
        """The schema version of the open file (0 for a new, empty file)."""
        if not self.table_exists(META_SCHEMA, "schema_version"):
            return 0
        row = self.query(
            compose("SELECT max(version) FROM {t}", t=qualified(META_SCHEMA, "schema_version"))
        )[0][0]
        return int(row or 0)

    def _check_version(self) -> int:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"The workspace {self.path} was written by a newer workbench "
                f"(schema {version}; this one reads up to {SCHEMA_VERSION}).",
                hint="Upgrade the workbench, or open another workspace.",
            )
        return version

    def _migrate(self) -> None:
        version = self._check_version()
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS wb")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS wb.schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for index in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[index]:
                    cur.execute(statement)
                cur.execute("INSERT INTO wb.schema_version VALUES (?, ?)", [index + 1, utcnow()])
        log.info("workspace %s migrated from schema %s to %s", self.path, version, SCHEMA_VERSION)

    # ------------------------------------------------------------- connections
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor (its own DuckDB connection to the same database) for one thread or task."""
        cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run the block in one transaction: everything it wrote is kept, or nothing is."""
        if self.read_only:
            raise WorkspaceError(
                f"The workspace {self.path} is open read-only.",
                hint="Open it without --read-only to change it.",
            )
        cur = self.con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            cur.close()
            raise
        else:
            cur.execute("COMMIT")
            cur.close()

    def query_df(self, sql: str, params: list[Any] | None = None):
        """Run a read query with bound parameters and return a pandas DataFrame."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query with bound parameters and return all rows."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def table_exists(self, schema: str, name: str) -> bool:
        """Whether ``schema.name`` (a table or view) exists in this workspace.

        Asked before most reads, so it binds an empty query to the name (a fraction of a
        millisecond) rather than searching the catalogue (a few).
        """
        with self.cursor() as cur:
            try:
                cur.execute(compose("SELECT 1 FROM {t} LIMIT 0", t=qualified(schema, name)))
            except duckdb.CatalogException:
                return False
        return True

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        """Column name -> DuckDB type of ``schema.name``, in column order; empty when missing."""
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        )
        return {str(c): str(t) for c, t in rows}

    def dataset_columns(self, name: str) -> dict[str, str]:
        """Column name -> DuckDB type of a dataset, in column order.

        Raises:
            DatasetNotFoundError: When the workspace holds no dataset of that name.
        """
        columns = self.table_columns(DATA_SCHEMA, name)
        if not columns:
            raise DatasetNotFoundError(
                f"There is no dataset called {name!r} in the workspace.",
                hint="Import it first, or pick one from the catalogue.",
            )
        return columns

    def dataset_table(self, name: str) -> str:
        """The quoted, schema-qualified table name of a dataset."""
        return qualified(DATA_SCHEMA, name)

    # ------------------------------------------------------------------- audit
    def audit(
        self,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
        data_version: str | None = None,
        cur: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Append one entry to the audit log.

        Args:
            action: What happened, as a short dotted verb (``dataset.import``).
            target: What it happened to (a dataset name, a user).
            detail: Anything else worth keeping, stored as JSON.
            actor: Who did it; defaults to :func:`workbench.config.current_user`: the logged-in
                user in the shared app, else the local user.
            data_version: The version of the data concerned, where one applies.
            cur: Write inside this transaction's cursor instead of a fresh one.
        """
        if self.read_only:
            return
        params = [
            utcnow(),
            actor or current_user(),
            action,
            target,
            json.dumps(detail or {}, default=str),
            data_version,
        ]
        sql = (
            "INSERT INTO wb.audit_log (occurred_at, actor, action, target, detail, data_version) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        if cur is not None:
            cur.execute(sql, params)
        else:
            with self.cursor() as own:
                own.execute(sql, params)

    def audit_once(
        self,
        action: str,
        target: str | None,
        actor: str,
        detail: dict[str, Any] | None = None,
        within_minutes: int = 30,
    ) -> bool:
        """Append an audit entry unless the same actor, action and target was logged recently.

        For reads that a page repeats on every interaction (opening another owner's story):
        one entry per reading session, not one per click.

        Returns:
            Whether an entry was written.
        """
        since = utcnow() - timedelta(minutes=within_minutes)
        seen = self.query(
            "SELECT 1 FROM wb.audit_log WHERE actor = ? AND action = ? "
            "AND target IS NOT DISTINCT FROM ? AND occurred_at >= ? LIMIT 1",
            [actor, action, target, since],
        )
        if seen:
            return False
        self.audit(action, target, detail, actor=actor)
        return True

    def audit_log(self, limit: int = 500):
        """The most recent audit entries, newest first, as a DataFrame."""
        return self.query_df(
            "SELECT id, occurred_at, actor, action, target, detail, data_version FROM wb.audit_log "
            "ORDER BY id DESC LIMIT ?",
            [int(limit)],
        )

    # ---------------------------------------------------------------- settings
    def get_setting(self, key: str, default: Any = None) -> Any:
        """Read one stored setting (JSON value)."""
        rows = self.query("SELECT value FROM wb.settings WHERE key = ?", [key])
        return json.loads(rows[0][0]) if rows and rows[0][0] is not None else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store one setting (any JSON-serialisable value)."""
        with self.cursor() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO wb.settings (key, value) VALUES (?, ?)",
                [key, json.dumps(value, default=str)],
            )

    @staticmethod
    def setting_rows(key: str) -> Sql:
        """SQL of a table holding one stored setting's JSON ``value`` (no row when it is unset).

        For reading a setting inside a larger query. The key is written into the SQL as a string
        literal, so it must be a constant of the code, never text from a user or the data.
        """
        literal = Sql("'" + key.replace("'", "''") + "'")
        return compose("(SELECT value FROM wb.settings WHERE key = {key})", key=literal)

    def summary(self) -> dict[str, Any]:
        """Path, size and schema version, for the Workspace page."""
        size = 0
        if str(self.path) != ":memory:" and self.path.exists():
            size = self.path.stat().st_size
            wal = self.path.with_name(self.path.name + ".wal")
            if wal.exists():
                size += wal.stat().st_size
        return {
            "path": self.path.resolve() if str(self.path) != ":memory:" else self.path,
            "size_mb": size / (1024 * 1024),
            "schema_version": self.schema_version(),
        }

    def close(self) -> None:
        """Close the connection and release the file lock."""
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(path: str | Path | None = None, read_only: bool = False) -> Workspace:
    """Open (creating and migrating if needed) the workspace at ``path`` or the configured one."""
    return Workspace(path or load_settings().workspace, read_only=read_only)
