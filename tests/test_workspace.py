"""The workspace file: creation, migration, version checks, transactions and the audit log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from workbench.errors import WorkspaceError
from workbench.workspace import MIGRATIONS, SCHEMA_VERSION, Workspace, load_migrations


def test_new_workspace_is_at_the_current_schema(tmp_path: Path) -> None:
    with Workspace(tmp_path / "w" / "ws.duckdb") as ws:
        assert ws.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
        assert ws.table_exists("wb", "datasets")


def test_old_workspace_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA wb")
    con.execute(
        "CREATE TABLE wb.schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO wb.schema_version VALUES (1, now())")
    con.execute("INSERT INTO wb.datasets (name) VALUES ('kept')")
    con.close()
    with Workspace(path) as ws:
        assert ws.schema_version() == SCHEMA_VERSION
        assert ws.query("SELECT name FROM wb.datasets") == [("kept",)]
        versions = [r[0] for r in ws.query("SELECT version FROM wb.schema_version ORDER BY 1")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_newer_workspace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    Workspace(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO wb.schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(WorkspaceError, match="newer workbench"):
        Workspace(path)


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE SCHEMA a;\n")
    (tmp_path / "0003_c.sql").write_text("CREATE SCHEMA c;\n")
    with pytest.raises(WorkspaceError, match="without gaps"):
        load_migrations(tmp_path)


def test_transaction_keeps_nothing_when_the_block_fails(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb") as ws:
        with pytest.raises(RuntimeError), ws.transaction() as cur:
            cur.execute("CREATE TABLE data.half AS SELECT 1 AS x")
            raise RuntimeError("boom")
        assert not ws.table_exists("data", "half")


def test_audit_log_is_appended_newest_first(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.audit("a.first", target="x", actor="ann")
        ws.audit("a.second", target="y", actor="bob", detail={"n": 1})
        log = ws.audit_log()
        assert list(log["action"]) == ["a.second", "a.first"]
        assert list(log["actor"]) == ["bob", "ann"]


def test_table_and_dataset_columns(tmp_path: Path) -> None:
    from workbench.errors import DatasetNotFoundError

    with Workspace(tmp_path / "ws.duckdb") as ws:
        with ws.transaction() as cur:
            cur.execute('CREATE TABLE data."people" (id INTEGER, "a""b" VARCHAR, dob DATE)')
        assert ws.dataset_columns("people") == {"id": "INTEGER", 'a"b': "VARCHAR", "dob": "DATE"}
        assert ws.table_columns("data", "nobody") == {}
        with pytest.raises(DatasetNotFoundError, match="nobody"):
            ws.dataset_columns("nobody")
