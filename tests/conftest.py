"""Shared test fixtures: a fresh workspace per test and a way to snapshot what it holds.

The suite runs on every core (pytest-xdist, one module per worker at a time). Each test process
gets its own scratch folder for the default workspace and for DuckDB's and Spark's spill files,
so workers never share a file, and the slowest modules are handed out first.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"

#: Modules that take longest (Spark first, then the browser tests), scheduled before the rest.
SLOW_MODULES = ("test_spark.py",)

#: Environment variables pointed into the test process's scratch folder.
SCRATCH_ENV = {
    "WORKBENCH_WORKSPACE": "workspace/workbench.duckdb",
    "WORKBENCH_DUCKDB_TEMP_DIR": "duckdb",
    "WORKBENCH_SPARK_TEMP_DIR": "spark",
}
_scratch: dict[str, Any] = {}


def _scan_installed_components_once() -> None:
    """Scan the installed packages for Streamlit components once per test process.

    Every ``AppTest`` scans every installed distribution for component manifests when it first
    runs (about a quarter of a second); the packages cannot change while the tests run, so the
    first scan's answer serves the rest.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    """Give this test process (controller or worker) a scratch folder of its own."""
    _scan_installed_components_once()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = Path(tempfile.mkdtemp(prefix=f"workbench-tests-{worker}-"))
    _scratch["folder"] = folder
    _scratch["saved"] = {name: os.environ.get(name) for name in SCRATCH_ENV}
    for name, relative in SCRATCH_ENV.items():
        os.environ[name] = str(folder / relative)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Restore the environment and remove the scratch folder."""
    for name, value in _scratch.pop("saved", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    folder = _scratch.pop("folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _schedule_rank(item: pytest.Item) -> int:
    name = item.path.name
    if name in SLOW_MODULES:
        return 0
    if item.get_closest_marker("browser"):
        return 1
    return 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow modules first (stable otherwise), so no worker starts one when the rest are done."""
    items.sort(key=_schedule_rank)


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
