"""Structure rules: core packages never import Streamlit, pages stay thin, pages are registered."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.ui.navigation import PAGES, SECTIONS

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = ("workbench", "linkage")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_modules() -> list[Path]:
    files = []
    for package in CORE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT).parts[:2] == ("workbench", "ui"):
                continue
            files.append(path)
    return files


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_does_not_import_streamlit(path: Path) -> None:
    assert "streamlit" not in _imports(path), f"{path} imports streamlit"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted((ROOT / "workbench").rglob("*.py"))
        if p.relative_to(ROOT).parts[1] not in ("ui", "cli")
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_core_does_not_import_linkage(path: Path) -> None:
    """Dependencies run from linkage to the core, never back (the CLI and UI sit above both)."""
    assert "linkage" not in _imports(path), f"{path} imports the linkage package"


def test_importing_core_packages_loads_no_streamlit() -> None:
    code = (
        "import sys, importlib, pkgutil\n"
        "import workbench, linkage\n"
        "for pkg in (workbench, linkage):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not m.name.startswith('workbench.ui'):\n"
        "            importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.script)
def test_page_is_thin_and_exists(page) -> None:
    path = ROOT / page.script
    assert path.exists(), f"{page.script} is registered but missing"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"{page.script} has {len(lines)} lines; move logic to workbench/"
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\bSELECT\b[^\n]*\bFROM\b", source), "pages hold no SQL"


def test_every_page_file_is_registered() -> None:
    registered = {p.script for p in PAGES}
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert on_disk == registered


def test_sections_in_order_and_known() -> None:
    assert all(p.section in SECTIONS for p in PAGES)
    assert sum(p.default for p in PAGES) == 1


def test_public_core_functions_have_docstrings() -> None:
    missing = []
    for path in core_modules():
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module_name.endswith("__init__"):
            continue
        module = importlib.import_module(module_name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            missing.append(module_name)
        for node in tree.body:
            public = isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name[0] != "_"
            if public and not ast.get_docstring(node):
                missing.append(f"{module_name}.{node.name}")
        assert module is not None
    assert not missing, f"public names without docstrings: {missing}"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(command: list[str]) -> None:
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), *command, "."], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Longest module allowed, in lines: one idea per module.
MAX_MODULE_LINES = 620
#: Data tables (name lists), exempt from the length rule.
DATA_TABLES = {Path("workbench/sample/names.py")}


def test_every_module_holds_one_idea_of_readable_length() -> None:
    too_long = {}
    for package in CORE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if relative not in DATA_TABLES and lines > MAX_MODULE_LINES:
                too_long[str(relative)] = lines
    assert not too_long, f"split these by idea: {too_long}"


def test_each_import_names_the_module_that_defines_the_name() -> None:
    """``from workbench.x import name`` reaches the module defining ``name`` (or a submodule),
    never a package or module that only passes it on."""
    defined: dict[str, set[str]] = {}
    for package in CORE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            names: set[str] = set()
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
            defined[module] = names
    passed_on = []
    sources = [*core_modules(), *(ROOT / "pages").glob("*.py"), *(ROOT / "tests").glob("*.py")]
    sources += [*(ROOT / "workbench" / "ui").glob("*.py"), *(ROOT / "bench").glob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if node.module not in defined:
                continue
            for alias in node.names:
                if alias.name in defined[node.module] or f"{node.module}.{alias.name}" in defined:
                    continue
                passed_on.append(f"{path.relative_to(ROOT)}: {alias.name} from {node.module}")
    assert not passed_on, passed_on
