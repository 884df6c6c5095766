"""Apache Spark for linkage: whether it can run here, and the process's one Spark session.

Spark is reached through ``SPARK_REMOTE`` (a Spark Connect URL, such as Databricks Connect)
or ``WORKBENCH_SPARK_MASTER`` (a master URL; ``local[*]`` by default). It needs the optional
``spark`` extra (pyspark) and, except through Spark Connect, a Java 17 runtime.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from workbench.config import (
    ENV_JAVA_HOME,
    ENV_SPARK_BREAK_LINEAGE,
    ENV_SPARK_DRIVER_MEMORY,
    ENV_SPARK_MASTER,
    ENV_SPARK_REMOTE,
    ENV_SPARK_SHUFFLE_PARTITIONS,
    ENV_SPARK_TEMP_DIR,
)
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

#: What to do when Spark is not installed.
SPARK_INSTALL_HINT = (
    "Spark needs the optional extra: `uv sync --extra spark` (or "
    "`pip install 'cjs-linkage-workbench[spark]'`) and a Java 17 runtime."
)
DEFAULT_SPARK_MASTER = "local[*]"
#: Driver JVM heap in local mode: Splink's Spark runs used 3 to 5 GiB in all here, which
#: leaves most of a 24 GB machine to DuckDB and the app. Ignored on a cluster.
DEFAULT_SPARK_DRIVER_MEMORY = "4g"

_SESSION_LOCK = threading.Lock()
_SESSION: Any = None
_SESSION_DIR: Path | None = None


def java_version() -> str | None:
    """The first line of ``java -version`` (``JAVA_HOME`` first, then ``PATH``), or ``None``."""
    home = os.environ.get(ENV_JAVA_HOME)
    candidates = [str(Path(home) / "bin" / "java")] if home else []
    found = shutil.which("java")
    if found:
        candidates.append(found)
    for java in candidates:
        try:
            done = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        text = (done.stderr or done.stdout).strip()
        if done.returncode == 0 and text:
            return text.splitlines()[0]
    return None


def java_major(version_line: str | None) -> int | None:
    """The major version in a ``java -version`` line (``"17.0.15"`` gives 17, ``"1.8"`` 8)."""
    if not version_line:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_line)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def spark_problem() -> str | None:
    """Why Spark cannot run here, in one sentence; ``None`` when it can."""
    try:
        import pyspark  # noqa: F401
        from splink.backends.spark import SparkAPI  # noqa: F401
    except ImportError:
        return "pyspark is not installed."
    if os.environ.get(ENV_SPARK_REMOTE):
        return None  # Spark Connect: the JVM runs on the cluster
    line = java_version()
    if line is None:
        return "No Java runtime was found (set JAVA_HOME or put java on the PATH)."
    major = java_major(line)
    if major is not None and major < 17:
        return f"Spark needs Java 17 or later; this machine has {line}."
    return None


def require_spark() -> None:
    """Check Spark can run here.

    Raises:
        LinkageError: Saying what is missing and how to install it.
    """
    problem = spark_problem()
    if problem is not None:
        raise LinkageError(f"Spark is not available: {problem}", hint=SPARK_INSTALL_HINT)


# ------------------------------------------------------------------------------ sessions
def spark_temp_dir(base: str | Path | None = None) -> Path:
    """Spark's scratch folder (checkpoints, spill and scored pairs), created if missing.

    Args:
        base: The workspace file or folder; its folder's ``tmp/spark`` is used. Without it,
            ``WORKBENCH_SPARK_TEMP_DIR`` or the system temporary folder.
    """
    if base is not None and str(base) != ":memory:":
        path = Path(base)
        folder = path.parent if path.suffix else path
        target = folder / "tmp" / "spark"
    elif os.environ.get(ENV_SPARK_TEMP_DIR):
        target = Path(os.environ[ENV_SPARK_TEMP_DIR])
    else:
        target = Path(tempfile.gettempdir()) / "workbench_spark"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LinkageError(
            f"Cannot create Spark's temporary folder {target}: {exc.strerror}.",
            hint=f"Set {ENV_SPARK_TEMP_DIR} to a writable folder.",
        ) from exc
    return target


def _shuffle_partitions() -> int:
    value = os.environ.get(ENV_SPARK_SHUFFLE_PARTITIONS, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(4, 2 * (os.cpu_count() or 1))


def spark_session(base: str | Path | None = None) -> Any:
    """The process's Spark session, started on first use and reused after.

    ``SPARK_REMOTE`` set: a Spark Connect session on that URL (Splink's similarity jar must
    be installed on the cluster). Otherwise a classic session on ``WORKBENCH_SPARK_MASTER``
    (``local[*]`` by default) with Splink's similarity jar, a checkpoint folder under
    :func:`spark_temp_dir`, UTC session time and, in local mode,
    ``WORKBENCH_SPARK_DRIVER_MEMORY`` (4g) of driver heap and Spark's catalogue folder
    (``spark.sql.warehouse.dir``) there too.

    Args:
        base: The workspace file or folder, for the temporary folder.

    Raises:
        LinkageError: When Spark is missing or does not start.
    """
    global _SESSION, _SESSION_DIR
    require_spark()
    with _SESSION_LOCK:
        if _SESSION is not None and _session_alive(_SESSION):
            return _SESSION
        work = spark_temp_dir(base)
        try:
            _SESSION = _start_session(work)
        except LinkageError:
            raise
        except Exception as exc:
            raise LinkageError(
                f"Spark did not start: {first_line(exc)}",
                hint=f"Check {ENV_SPARK_REMOTE} or {ENV_SPARK_MASTER} and the Java runtime. "
                + SPARK_INSTALL_HINT,
            ) from exc
        _SESSION_DIR = work
        return _SESSION


def _session_alive(session: Any) -> bool:
    try:
        if os.environ.get(ENV_SPARK_REMOTE):
            return not getattr(session, "is_stopped", False)
        return session.sparkContext._jsc is not None
    except Exception:
        return False


def _start_session(work: Path) -> Any:
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    remote = os.environ.get(ENV_SPARK_REMOTE)
    if remote:
        session = SparkSession.builder.remote(remote).getOrCreate()
        try:
            session.addArtifacts(similarity_jar_location())
        except Exception as exc:  # the cluster may have the jar installed already
            log.warning("could not add Splink's similarity jar to the session: %s", exc)
        session.conf.set("spark.sql.session.timeZone", "UTC")
        return session
    master = os.environ.get(ENV_SPARK_MASTER) or DEFAULT_SPARK_MASTER
    builder = (
        SparkSession.builder.master(master)
        .appName("cjs-linkage-workbench")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(work / "local"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(_shuffle_partitions()))
        .config("spark.default.parallelism", str(_shuffle_partitions()))
    )
    if master.startswith("local"):
        memory = os.environ.get(ENV_SPARK_DRIVER_MEMORY) or DEFAULT_SPARK_DRIVER_MEMORY
        builder = builder.config("spark.driver.memory", memory)
        # Spark's catalogue would otherwise make a spark-warehouse folder wherever the user ran
        # the workbench.
        builder = builder.config("spark.sql.warehouse.dir", str(work / "warehouse"))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    return session


def stop_spark() -> None:
    """Stop the process's Spark session, if one was started."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            try:
                _SESSION.stop()
            except Exception as exc:
                log.warning("stopping Spark failed: %s", exc)
            _SESSION = None


def make_spark_api(base: str | Path | None = None) -> Any:
    """A Splink ``SparkAPI`` on :func:`spark_session`, its similarity functions registered.

    Intermediate tables break lineage as Parquet under the checkpoint folder (classic
    sessions) or by ``persist`` (Spark Connect, which has no checkpoint folder).

    Args:
        base: The workspace file or folder, for the temporary folder.

    Raises:
        LinkageError: When Spark is missing or does not start.
    """
    session = spark_session(base)
    from splink.backends.spark import SparkAPI

    method = os.environ.get(ENV_SPARK_BREAK_LINEAGE) or (
        "persist" if os.environ.get(ENV_SPARK_REMOTE) else "parquet"
    )
    try:
        api = SparkAPI(
            spark_session=session,
            break_lineage_method=method,
            num_partitions_on_repartition=_shuffle_partitions(),
        )
    except Exception as exc:
        raise LinkageError(
            f"Splink could not use the Spark session: {first_line(exc)}",
            hint=SPARK_INSTALL_HINT,
        ) from exc
    return api
