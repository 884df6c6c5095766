"""Settings read from the environment, with defaults that suit one analyst on one machine.

Also the name written to the audit log and lineage for each action (:func:`current_user`): in the
shared app that is the logged-in person, set for each run by the login check
(:func:`acting_as` / :func:`set_actor`), and otherwise the operating-system user.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

ENV_WORKSPACE = "WORKBENCH_WORKSPACE"
ENV_MAX_IMPORT_MB = "WORKBENCH_MAX_IMPORT_MB"
ENV_USER = "WORKBENCH_USER"
ENV_IMPORT_DIRS = "WORKBENCH_IMPORT_DIRS"
ENV_MODE = "WORKBENCH_MODE"
ENV_AUTH_CONFIG = "WORKBENCH_AUTH_CONFIG"
ENV_PUBLISH_CONTACT = "WORKBENCH_PUBLISH_CONTACT"
ENV_DUCKDB_MEMORY_LIMIT = "WORKBENCH_DUCKDB_MEMORY_LIMIT"
ENV_DUCKDB_TEMP_DIR = "WORKBENCH_DUCKDB_TEMP_DIR"
ENV_DUCKDB_THREADS = "WORKBENCH_DUCKDB_THREADS"
ENV_SPARK_REMOTE = "SPARK_REMOTE"
ENV_SPARK_MASTER = "WORKBENCH_SPARK_MASTER"
ENV_SPARK_DRIVER_MEMORY = "WORKBENCH_SPARK_DRIVER_MEMORY"
ENV_SPARK_SHUFFLE_PARTITIONS = "WORKBENCH_SPARK_SHUFFLE_PARTITIONS"
ENV_SPARK_TEMP_DIR = "WORKBENCH_SPARK_TEMP_DIR"
ENV_SPARK_BREAK_LINEAGE = "WORKBENCH_SPARK_BREAK_LINEAGE"
ENV_JAVA_HOME = "JAVA_HOME"
ENV_LESSON_WARM_UP = "WORKBENCH_LESSON_WARM_UP"
MODE_SHARED = "shared"


@dataclass(frozen=True)
class EnvironmentVariable:
    """One environment variable the workbench reads.

    Attributes:
        name: The variable's name.
        default: What applies when it is unset, in words.
        meaning: What it sets.
    """

    name: str
    default: str
    meaning: str


ENVIRONMENT: tuple[EnvironmentVariable, ...] = (
    EnvironmentVariable(ENV_WORKSPACE, "`workspace/workbench.duckdb`", "the workspace file"),
    EnvironmentVariable(ENV_MAX_IMPORT_MB, "`500`", "largest file, in MB, an import accepts"),
    EnvironmentVariable(
        ENV_USER,
        "the operating-system user",
        "who is recorded in lineage and the audit log when nobody is logged in (local mode)",
    ),
    EnvironmentVariable(
        ENV_MODE, "`local`", "`shared` requires login (set by `workbench serve --shared`)"
    ),
    EnvironmentVariable(
        ENV_AUTH_CONFIG,
        "none (local mode needs none)",
        "the TOML file of the shared deployment's login settings (see docs/deployment.md)",
    ),
    EnvironmentVariable(
        ENV_IMPORT_DIRS,
        "none",
        'folders (separated by `:`) that "import from a path" may read in the shared app',
    ),
    EnvironmentVariable(
        ENV_PUBLISH_CONTACT,
        "the analysis team's generic contact",
        "the contact printed on the cover sheet of every published table",
    ),
    EnvironmentVariable(
        ENV_DUCKDB_MEMORY_LIMIT, "`6GB`", "DuckDB memory limit for one linkage run"
    ),
    EnvironmentVariable(
        ENV_DUCKDB_TEMP_DIR,
        "`workbench_duckdb` in the system temporary folder",
        "where a linkage run spills beyond its memory limit",
    ),
    EnvironmentVariable(ENV_DUCKDB_THREADS, "every core", "threads for one linkage run"),
    EnvironmentVariable(
        ENV_SPARK_REMOTE,
        "unset",
        "a Spark Connect URL (`sc://host:15002`); when set, the Spark backend uses it",
    ),
    EnvironmentVariable(
        ENV_SPARK_MASTER, "`local[*]`", "the Spark master URL of a classic Spark session"
    ),
    EnvironmentVariable(ENV_SPARK_DRIVER_MEMORY, "`4g`", "driver heap of a local Spark session"),
    EnvironmentVariable(
        ENV_SPARK_SHUFFLE_PARTITIONS, "chosen from the data size", "Spark shuffle partitions"
    ),
    EnvironmentVariable(
        ENV_SPARK_TEMP_DIR,
        "the system temporary folder",
        "where Spark writes checkpoints and intermediate parquet",
    ),
    EnvironmentVariable(
        ENV_SPARK_BREAK_LINEAGE,
        "`parquet` (`persist` with Spark Connect)",
        "how Splink breaks Spark's lineage between steps",
    ),
    EnvironmentVariable(ENV_JAVA_HOME, "the `java` on `PATH`", "the Java 17 runtime for Spark"),
    EnvironmentVariable(
        ENV_LESSON_WARM_UP,
        "`on`",
        "`off`: the Learn page trains each step's models when the step is opened, not all of "
        "them in the background as soon as the page is (less CPU on a busy shared server)",
    ),
)
"""Every environment variable the workbench reads: the code reads no other (a test checks), and
``docs/configuration.md`` lists each."""

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


_ACTOR: ContextVar[str | None] = ContextVar("workbench_actor", default=None)
_ACTOR_SOURCES: list[Callable[[], str | None]] = []


def set_actor(name: str | None) -> None:
    """Record ``name`` as the person acting in this thread or task (None: nobody in particular).

    The shared app calls this at the start of every run with the logged-in user, so that every
    write and audit entry that does not name its actor is attributed to that person.
    """
    _ACTOR.set(name or None)


@contextmanager
def acting_as(name: str | None) -> Iterator[None]:
    """Attribute everything done inside the block to ``name``; restore the previous actor after.

    Args:
        name: The user name to record; None leaves the fallback (the local user) in force.
    """
    token = _ACTOR.set(name or None)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def register_actor_source(source: Callable[[], str | None]) -> None:
    """Add a function consulted when no actor is set in this context (once per function).

    The app registers one that reads the logged-in user of the Streamlit session running in this
    thread, which covers widget callbacks that run before the login check of a run.
    """
    if source not in _ACTOR_SOURCES:
        _ACTOR_SOURCES.append(source)


def current_user() -> str:
    """The name recorded in the audit log and lineage for the action being done now.

    In order: the actor set for this context (:func:`acting_as`, :func:`set_actor`; the
    logged-in user in the shared app), a registered actor source, ``WORKBENCH_USER``, the
    operating-system user.
    """
    name = _ACTOR.get()
    if name:
        return name
    for source in _ACTOR_SOURCES:
        found = source()
        if found:
            return found
    name = os.environ.get(ENV_USER)
    if name:
        return name
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "analyst"


def lesson_warm_up(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the Learn page trains the lesson's models ahead of the learner
    (``WORKBENCH_LESSON_WARM_UP``, on unless ``off``, ``0``, ``no`` or ``false``)."""
    env = os.environ if environ is None else environ
    return (env.get(ENV_LESSON_WARM_UP) or "").strip().lower() not in ("off", "0", "no", "false")


def shared_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app runs as the shared deployment (``WORKBENCH_MODE=shared``)."""
    env = os.environ if environ is None else environ
    return (env.get(ENV_MODE) or "").strip().lower() == MODE_SHARED


def import_folders(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The folders "import from a path" may read, resolved; empty when none are configured.

    Read from ``WORKBENCH_IMPORT_DIRS`` (folders separated by ``os.pathsep``) and from the
    ``folders`` list of the ``[import]`` table of the login configuration
    (``WORKBENCH_AUTH_CONFIG``). An unreadable configuration adds no folder.
    """
    env = os.environ if environ is None else environ
    raw = [p for p in (env.get(ENV_IMPORT_DIRS) or "").split(os.pathsep) if p.strip()]
    config = env.get(ENV_AUTH_CONFIG)
    if config:
        try:
            table = tomllib.loads(Path(config).read_text(encoding="utf-8")).get("import", {})
        except (OSError, tomllib.TOMLDecodeError):
            table = {}
        folders = table.get("folders", []) if isinstance(table, dict) else []
        raw += [str(f) for f in folders if isinstance(f, str) and f.strip()]
    return tuple(dict.fromkeys(Path(p.strip()).expanduser().resolve() for p in raw))
