"""One owning module per workspace table: only a table's owner names ``wb.<table>`` in its source.

Every other module reads and writes the table by calling its owner. The map below declares the
owners; a table created by the migrations without an owner, or a module naming a table it does
not own, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "workbench" / "migrations"

#: Workspace table -> the module(s) allowed to name it. ``wb.models`` and ``wb.clusters`` have
#: two: the linkage registry writes them and the core reads them (the core never imports linkage).
OWNERS: dict[str, tuple[str, ...]] = {
    "audit_log": ("workbench/workspace.py",),
    "clusters": ("linkage/clusters/registry.py", "workbench/linked_models.py"),
    "column_roles": ("workbench/persons/roles.py",),
    "columns": ("workbench/data/catalogue.py",),
    "datasets": ("workbench/data/catalogue.py",),
    "forecast_cache": ("workbench/forecast/model/cache.py",),
    "forecast_scenarios": ("workbench/forecast/scenarios/storage.py",),
    "journey_builds": ("workbench/analysis/journeys/table.py",),
    "labels": ("linkage/review/labels.py",),
    "login_failures": ("workbench/access/passwords.py",),
    "models": ("linkage/clusters/registry.py", "workbench/linked_models.py"),
    "profiles": ("workbench/data/profile.py",),
    "schema_version": ("workbench/workspace.py",),
    "sessions": ("workbench/access/sessions.py",),
    "settings": ("workbench/workspace.py",),
    "stories": ("workbench/publish/stories/store.py",),
    "users": ("workbench/access/auth.py",),
}

#: Tables the workspace makes itself before any migration runs.
BOOTSTRAP_TABLES = {"schema_version"}

# ``wb.name``, also quoted (``"wb"."name"``); not part of a longer dotted name.
_TABLE_RE = re.compile(r'(?<![\w.])"?wb"?\."?([a-z_][a-z0-9_]*)')
_CREATE_RE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?wb\.(\w+)", re.I)
_RENAME_RE = re.compile(r"\bALTER\s+TABLE\s+wb\.(\w+)\s+RENAME\s+TO\s+(\w+)", re.I)
_DROP_RE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?wb\.(\w+)", re.I)


def named_tables(source: str) -> set[str]:
    """The workspace tables a module's source names."""
    return set(_TABLE_RE.findall(source))


def migration_tables() -> set[str]:
    """The ``wb`` tables that exist after every migration has run, in order."""
    tables: set[str] = set()
    parts = (_CREATE_RE, _RENAME_RE, _DROP_RE)
    statement = re.compile("|".join(f"(?:{r.pattern})" for r in parts), re.I)
    for path in sorted(MIGRATIONS.glob("*.sql")):
        for match in statement.finditer(path.read_text(encoding="utf-8")):
            text = match.group(0)
            if created := _CREATE_RE.match(text):
                tables.add(created.group(1))
            elif renamed := _RENAME_RE.match(text):
                tables.discard(renamed.group(1))
                tables.add(renamed.group(2))
            elif dropped := _DROP_RE.match(text):
                tables.discard(dropped.group(1))
    return tables


def source_modules() -> list[Path]:
    """Every Python module under ``workbench/`` and ``linkage/``."""
    return sorted([*(ROOT / "workbench").rglob("*.py"), *(ROOT / "linkage").rglob("*.py")])


def test_every_migrated_table_has_a_declared_owner() -> None:
    tables = migration_tables()
    assert {"datasets", "users", "stories"} <= tables, "the migrations could not be read"
    assert not tables - OWNERS.keys(), f"declare an owner for: {sorted(tables - OWNERS.keys())}"
    stale = OWNERS.keys() - tables - BOOTSTRAP_TABLES
    assert not stale, f"owners declared for tables no migration makes: {sorted(stale)}"


@pytest.mark.parametrize("path", source_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_owner_names_a_table(path: Path) -> None:
    module = str(path.relative_to(ROOT))
    named = named_tables(path.read_text(encoding="utf-8"))
    unknown = sorted(t for t in named if t not in OWNERS)
    assert not unknown, f"{module} names workspace tables with no declared owner: {unknown}"
    foreign = {t: OWNERS[t] for t in sorted(named) if module not in OWNERS[t]}
    assert not foreign, f"{module} names tables it does not own; call the owner: {foreign}"


@pytest.mark.parametrize("table", sorted(OWNERS))
def test_each_declared_owner_names_its_table(table: str) -> None:
    for module in OWNERS[table]:
        source = (ROOT / module).read_text(encoding="utf-8")
        assert table in named_tables(source), f"{module} is declared owner of wb.{table}"


def test_table_names_are_found_in_every_spelling() -> None:
    assert named_tables('SELECT * FROM wb.labels JOIN "wb"."users" u') == {"labels", "users"}
    assert named_tables("self.wb.labels, awb.users, wb_x.users") == set()
