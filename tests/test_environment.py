"""Every environment variable the code reads is registered in one place and documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from workbench import config

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "app.py", *sorted((ROOT / "workbench").rglob("*.py"))]
CODE += sorted((ROOT / "linkage").rglob("*.py")) + sorted((ROOT / "pages").rglob("*.py"))
NAMES = {v.name for v in config.ENVIRONMENT}
VARIABLE = re.compile(r"^(WORKBENCH_[A-Z0-9_]+|SPARK_REMOTE|JAVA_HOME)$")


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants, plus the config constants a module imports."""
    found = {
        n.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for n in node.targets
        if isinstance(n, ast.Name) and isinstance(node.value.value, str)
    }
    found.update({k: v for k, v in vars(config).items() if k.startswith("ENV_")})
    return found


def _environment_reads(path: Path) -> list[str]:
    """The variable names read through ``os.environ.get``, ``os.environ[...]`` and ``getenv``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _constants(tree)
    names: list[str] = []

    def resolve(arg: ast.expr) -> str:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name) and arg.id in constants:
            return constants[arg.id]
        return f"<unresolved {ast.unparse(arg)} in {path.name}>"

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get"):
                names.append(resolve(node.args[0]))
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.append(resolve(node.slice))
    return names


def test_every_variable_read_is_registered() -> None:
    reads = {name: path for path in CODE for name in _environment_reads(path)}
    assert len(reads) >= 12, reads
    unregistered = sorted(name for name in reads if name not in NAMES)
    assert not unregistered, f"read but not in config.ENVIRONMENT: {unregistered}"


def test_every_variable_named_in_code_is_registered() -> None:
    named = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.update(VARIABLE.findall(node.value))
    assert named - NAMES == set()


def test_every_registered_variable_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z0-9_]+)` \| (.+?) \|", doc, flags=re.M))
    assert set(rows) == NAMES, set(rows) ^ NAMES
    for variable in config.ENVIRONMENT:
        assert variable.default in rows[variable.name]
    assert "docs/configuration.md" in (ROOT / "README.md").read_text(encoding="utf-8")
