"""Shared test fixtures: a fresh workspace per test and a way to snapshot what it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace file in the test's temporary folder."""
    workspace = Workspace(tmp_path / "workspace.duckdb")
    try:
        yield workspace
    finally:
        workspace.close()


def workspace_state(workspace: Workspace) -> dict[str, Any]:
    """What a workspace holds: catalogue rows, column rows and the tables of the data schema."""
    return {
        "datasets": workspace.query("SELECT * FROM wb.datasets ORDER BY name"),
        "columns": workspace.query("SELECT * FROM wb.columns ORDER BY dataset, position"),
        "tables": workspace.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'data' "
            "ORDER BY table_name"
        ),
    }


@pytest.fixture
def snapshot(ws: Workspace) -> Callable[[], dict[str, Any]]:
    """A function returning :func:`workspace_state` of the ``ws`` fixture, to compare later."""
    return lambda: workspace_state(ws)
