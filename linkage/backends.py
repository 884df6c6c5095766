"""Where a linkage runs: DuckDB on this machine (the default) or Apache Spark.

Both backends run the same Splink model. A model's settings JSON holds SQL in the dialect it
was trained in; :func:`translate_settings` rewrites it for the other backend, so a model
trained on one can score pairs on the other. Spark's scored pairs are written as Parquet
(:func:`predictions_to_parquet`) which DuckDB reads, so everything downstream of scoring
(clustering, evaluation, the analytics pages) is the same whichever backend scored them.

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
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from workbench.config import (
    ENV_DUCKDB_MEMORY_LIMIT,
    ENV_DUCKDB_TEMP_DIR,
    ENV_DUCKDB_THREADS,
    ENV_JAVA_HOME,
    ENV_SPARK_BREAK_LINEAGE,
    ENV_SPARK_DRIVER_MEMORY,
    ENV_SPARK_MASTER,
    ENV_SPARK_REMOTE,
    ENV_SPARK_SHUFFLE_PARTITIONS,
    ENV_SPARK_TEMP_DIR,
)
from workbench.errors import LinkageError

log = logging.getLogger(__name__)

#: The backends a linkage can run on.
BACKENDS = ("duckdb", "spark")
DEFAULT_BACKEND = "duckdb"
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


def normalise_backend(name: str | None) -> str:
    """The backend's canonical name.

    Args:
        name: ``duckdb`` or ``spark`` in any case; ``None`` or empty for the default.

    Raises:
        LinkageError: For any other name.
    """
    value = (name or DEFAULT_BACKEND).strip().lower()
    if value not in BACKENDS:
        raise LinkageError(
            f"The backend {name!r} is not available.",
            hint="Choose duckdb (this machine) or spark (a Spark cluster or local Spark).",
        )
    return value


def backend_of(db_api: Any) -> str:
    """``duckdb`` or ``spark``: the backend a Splink database API runs on."""
    return str(db_api.sql_dialect.sql_dialect_str)


# ------------------------------------------------------------------------------ DuckDB
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
        con.execute(f"SET temp_directory = '{DUCKDB_TEMP_DIR}'")
    except OSError:
        log.warning("cannot create %s; DuckDB will not spill to disk", DUCKDB_TEMP_DIR)
    con.execute(f"SET threads = {duckdb_threads()}")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=con)


# ------------------------------------------------------------------------------ availability
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
    ``WORKBENCH_SPARK_DRIVER_MEMORY`` (4g) of driver heap.

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
                f"Spark did not start: {_first_line(exc)}",
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
            f"Splink could not use the Spark session: {_first_line(exc)}",
            hint=SPARK_INSTALL_HINT,
        ) from exc
    return api


def make_api(backend: str | None = None, base: str | Path | None = None) -> Any:
    """A fresh Splink database API for one run on the named backend.

    Args:
        backend: ``duckdb`` (default) or ``spark``.
        base: The workspace file or folder (Spark's temporary folder goes beside it).

    Raises:
        LinkageError: For an unknown backend, or Spark that is missing or does not start.
    """
    return get_backend(backend).make_api(base)


# ------------------------------------------------------------------------------ settings
#: Function names that differ between the dialects (DuckDB name, Spark name).
_RENAMES = (
    ("jaro_winkler_similarity", "jaro_winkler"),
    ("jaro_similarity", "jaro_sim"),
)
#: strftime (DuckDB) and Java (Spark) date format pieces, longest first.
_FORMATS = (("%Y", "yyyy"), ("%m", "MM"), ("%d", "dd"), ("%H", "HH"), ("%M", "mm"), ("%S", "ss"))


def _convert_format(fmt: str, to_spark: bool) -> str:
    for py, java in _FORMATS:
        fmt = fmt.replace(py, java) if to_spark else fmt.replace(java, py)
    return fmt


def _rewrite(node: exp.Expr, target: str) -> exp.Expr:
    to_spark = target == "spark"
    if isinstance(node, exp.JarowinklerSimilarity) and to_spark:
        return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
    if isinstance(node, exp.StrToUnix) and not to_spark:
        # Spark's unix_timestamp(date) is DuckDB's epoch: sqlglot would parse a string.
        as_timestamp = exp.Cast(this=node.this, to=exp.DataType.build("TIMESTAMP"))
        return exp.Anonymous(this="epoch", expressions=[as_timestamp])
    if not isinstance(node, exp.Anonymous):
        return node
    name = str(node.name).lower()
    args = list(node.expressions)
    for duck, spark in _RENAMES:
        if to_spark and name == duck:
            return exp.Anonymous(this=spark, expressions=args)
        if not to_spark and name == spark:
            return exp.Anonymous(this=duck, expressions=args)
    if to_spark and name == "try_strptime" and len(args) == 2 and args[1].is_string:
        fmt = exp.Literal.string(_convert_format(args[1].name, to_spark=True))
        inner = exp.Anonymous(this="try_to_timestamp", expressions=[args[0], fmt])
        return exp.Anonymous(this="date", expressions=[inner])
    if not to_spark and name == "try_to_timestamp" and len(args) == 2 and args[1].is_string:
        fmt = exp.Literal.string(_convert_format(args[1].name, to_spark=False))
        return exp.Anonymous(this="try_strptime", expressions=[args[0], fmt])
    return node


def translate_sql(sql: str, source: str, target: str) -> str:
    """One Splink SQL condition or blocking rule rewritten from one dialect to another.

    Quoting, casts and date arithmetic are translated by sqlglot; the similarity functions
    whose names differ (Jaro-Winkler, Jaro) and date parsing are renamed here.

    Args:
        sql: The SQL text.
        source: Its dialect (``duckdb`` or ``spark``).
        target: The dialect wanted.

    Raises:
        LinkageError: When the SQL cannot be parsed.
    """
    if source == target or not sql.strip() or sql.strip().upper() == "ELSE":
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=source)
    except sqlglot.errors.ParseError as exc:
        raise LinkageError(
            f"The model's SQL {sql!r} cannot be read as {source} SQL: {_first_line(exc)}",
            hint="Train the model again on this backend.",
        ) from exc
    tree = tree.transform(lambda node: _rewrite(node, target))
    return tree.sql(dialect=target)


def settings_dialect(settings: dict[str, Any]) -> str:
    """The dialect a settings dict was written in (``duckdb`` when it does not say)."""
    value = str(settings.get("sql_dialect") or DEFAULT_BACKEND).lower()
    return value if value in BACKENDS else DEFAULT_BACKEND


def translate_settings(settings: dict[str, Any], target: str) -> dict[str, Any]:
    """A Splink settings dict rewritten for another backend's SQL dialect.

    Every comparison level's ``sql_condition`` and every blocking rule is translated with
    :func:`translate_sql`; trained parameters (m, u, the prior) are kept as they are.

    Args:
        settings: The settings (as ``save_model_to_json`` wrote them).
        target: ``duckdb`` or ``spark``.

    Returns:
        A new dict with ``sql_dialect`` set to ``target``; the input is unchanged.
    """
    target = normalise_backend(target)
    source = settings_dialect(settings)
    out = _deep_copy(settings)
    out["sql_dialect"] = target
    if source == target:
        return out
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if isinstance(level.get("sql_condition"), str):
                level["sql_condition"] = translate_sql(level["sql_condition"], source, target)
    for key in ("blocking_rules_to_generate_predictions",):
        rules = out.get(key) or []
        for i, rule in enumerate(rules):
            if isinstance(rule, dict):
                rule["blocking_rule"] = translate_sql(rule["blocking_rule"], source, target)
                if "sql_dialect" in rule:
                    rule["sql_dialect"] = target
            elif isinstance(rule, str):
                rules[i] = translate_sql(rule, source, target)
    return out


#: The DuckDB settings a Spark linker was built from (see :func:`remember_source`).
_SOURCES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def remember_source(linker: Any, settings: dict[str, Any]) -> None:
    """Keep the settings (in their own dialect) a linker was built from by translation.

    :func:`settings_in_dialect` then gives the trained model back in that dialect with its
    original SQL, rather than translating the SQL back again.
    """
    _SOURCES[linker] = _deep_copy(settings)


def settings_in_dialect(linker: Any, target: str) -> dict[str, Any]:
    """A linker's trained settings in the ``target`` dialect.

    When the linker was built by translating settings from ``target`` (a model trained on
    Spark from the workbench's DuckDB model), the original SQL is put back beside the
    trained parameters; otherwise the SQL is translated (:func:`translate_settings`).
    """
    trained = linker.misc.save_model_to_json()
    source = _SOURCES.get(linker)
    if source is None or settings_dialect(source) != target:
        return translate_settings(trained, target)
    out = translate_settings(trained, target)
    comparisons = out.get("comparisons", [])
    originals = source.get("comparisons", [])
    same_shape = len(comparisons) == len(originals) and all(
        len(a.get("comparison_levels", [])) == len(b.get("comparison_levels", []))
        for a, b in zip(comparisons, originals, strict=True)
    )
    if same_shape:
        for comparison, original in zip(comparisons, originals, strict=True):
            for level, level0 in zip(
                comparison["comparison_levels"], original["comparison_levels"], strict=True
            ):
                level["sql_condition"] = level0["sql_condition"]
        rules = source.get("blocking_rules_to_generate_predictions")
        if rules is not None and len(rules) == len(
            out.get("blocking_rules_to_generate_predictions") or []
        ):
            out["blocking_rules_to_generate_predictions"] = _deep_copy(rules)
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# ------------------------------------------------------------------------------ outputs
def predictions_to_parquet(sdf: Any, folder: str | Path) -> Path:
    """Write a Splink predictions table as Parquet files in a new folder under ``folder``.

    Args:
        sdf: The Splink dataframe from ``linker.inference.predict`` (either backend).
        folder: Where to put the run's folder (Spark's temporary folder, for instance).

    Returns:
        The new folder of Parquet files (read it with :func:`read_parquet_folder`).

    Raises:
        LinkageError: When the files cannot be written.
    """
    target = Path(folder) / f"predictions_{uuid.uuid4().hex[:12]}"
    try:
        backend_for(sdf.db_api).write_predictions(sdf, target)
    except Exception as exc:
        raise LinkageError(
            f"The scored pairs could not be written as Parquet: {_first_line(exc)}",
            hint=f"Check there is space in {folder}.",
        ) from exc
    return target


def read_parquet_folder(
    folder: str | Path, con: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyRelation:
    """The Parquet files of a folder as one DuckDB relation."""
    pattern = str(Path(folder) / "*.parquet")
    connection = con if con is not None else duckdb.connect()
    return connection.read_parquet(pattern)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def score_to_parquet(
    model: Any,
    folder: str | Path,
    threshold_match_weight: float = -4.0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[duckdb.DuckDBPyRelation, Path]:
    """Score every blocked pair on the model's backend and land the pairs as Parquet.

    The same rows as :func:`linkage.model.predict.predict_pairs` (intermediate columns kept, and
    ``source_dataset_l``/``_r`` added for a single dataset), read back by DuckDB.

    Args:
        model: A :class:`~linkage.model.train.TrainedModel` on either backend.
        folder: Where the run's Parquet folder goes.
        threshold_match_weight: Pairs scoring below this are dropped.
        con: The DuckDB connection to read the files with; a new one by default.

    Returns:
        The pairs as a DuckDB relation, and the Parquet folder (delete it when done).

    Raises:
        LinkageError: When the pairs cannot be scored or written.
    """
    sdf = _predict(model, threshold_match_weight)
    target = predictions_to_parquet(sdf, folder)
    return _with_source_columns(read_parquet_folder(target, con), model), target


# ------------------------------------------------------------------------------ backends
@dataclass
class ScoredPairs:
    """A model's scored pairs as a DuckDB relation, whichever backend scored them.

    Attributes:
        relation: Every pair kept, with ``source_dataset_l``/``_r`` always present and
            Splink's intermediate columns when the model keeps them.
        folder: The Parquet folder the pairs were read from (Spark), or ``None``.
    """

    relation: duckdb.DuckDBPyRelation
    folder: Path | None = None

    def discard(self) -> None:
        """Delete the Parquet folder, if there is one (after the pairs are read)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _predict(model: Any, threshold_match_weight: float) -> Any:
    """Splink's predictions for ``model`` (kept on it as ``model.predictions``)."""
    try:
        sdf = model.linker.inference.predict(threshold_match_weight=threshold_match_weight)
    except Exception as exc:
        raise LinkageError(
            f"The pairs could not be scored: {_first_line(exc)}",
            hint="Retrain the model on this data, or check the blocking rules.",
        ) from exc
    model.predictions = sdf
    return sdf


def _with_source_columns(rel: duckdb.DuckDBPyRelation, model: Any) -> duckdb.DuckDBPyRelation:
    """Add ``source_dataset_l``/``_r`` (one dataset's name) when Splink left them out."""
    if "source_dataset_l" in rel.columns:
        return rel
    name = str(model.data.names[0]).replace("'", "''")
    return rel.project(f"'{name}' AS source_dataset_l, '{name}' AS source_dataset_r, *")


class Backend:
    """Where a linkage runs: what callers need from DuckDB or Spark, behind one interface.

    Use :func:`get_backend` (by name) or :func:`backend_for` (from a Splink database API)
    rather than comparing names.

    Attributes:
        name: ``duckdb`` or ``spark`` (also the Splink SQL dialect).
        label: The name shown to people.
        shared_session: Registered tables outlive one run (a Spark session serves every run),
            so each run's tables are given their own names.
        keeps_linker_in_process: A trained linker can be kept in this process for the pages
            (a DuckDB linker is; a Spark model is rebuilt on DuckDB when a page needs it).
    """

    name: str = ""
    label: str = ""
    shared_session: bool = False
    keeps_linker_in_process: bool = False

    def problem(self) -> str | None:
        """Why this backend cannot run here, in one sentence; ``None`` when it can."""
        return None

    def require(self) -> None:
        """Check the backend can run here.

        Raises:
            LinkageError: Saying what is missing and how to install it.
        """

    def make_api(self, base: str | Path | None = None) -> Any:
        """A fresh Splink database API for one run.

        Args:
            base: The workspace file or folder (for temporary files).
        """
        raise NotImplementedError

    def register(self, api: Any, frames: Any, names: Any) -> list[Any]:
        """Register each input frame on ``api`` under its dataset name.

        Args:
            api: A database API made by :meth:`make_api`.
            frames: The prepared input frames.
            names: Their dataset names, one per frame.

        Returns:
            The Splink dataframes, one per input.
        """
        registered = getattr(api, "_registered_table_names", set())
        run = uuid.uuid4().hex[:8]
        out = []
        for frame, name in zip(frames, names, strict=True):
            display = name
            k = 1
            while display in registered:
                k += 1
                display = f"{name}_{k}"
            if self.shared_session:
                table = f"__wb_{run}_{re.sub(r'[^0-9A-Za-z_]', '_', display)}"
                out.append(api.register(frame, dataset_display_name=display, table_name=table))
            else:
                out.append(api.register(frame, dataset_display_name=display))
        return out

    def settings_for_linker(self, settings: Any) -> Any:
        """Settings ready to translate to this backend's dialect.

        A ``SettingsCreator`` is written out in DuckDB SQL for any other backend, so custom
        SQL levels (written in DuckDB SQL) mean the same on both once translated.
        """
        if self.name != DEFAULT_BACKEND and hasattr(settings, "create_settings_dict"):
            return settings.create_settings_dict(DEFAULT_BACKEND)
        return settings

    def write_predictions(self, sdf: Any, target: Path) -> None:
        """Write a Splink predictions table as Parquet files in the new folder ``target``."""
        raise NotImplementedError

    def score(
        self,
        model: Any,
        threshold_match_weight: float = -4.0,
        work_dir: str | Path | None = None,
    ) -> ScoredPairs:
        """Score every blocked pair scoring at least ``threshold_match_weight``.

        Args:
            model: A :class:`~linkage.model.train.TrainedModel` on this backend.
            threshold_match_weight: Pairs scoring below this are dropped.
            work_dir: The workspace file or folder (for temporary files).

        Returns:
            The pairs, readable by DuckDB (call :meth:`ScoredPairs.discard` when done).

        Raises:
            LinkageError: When the pairs cannot be scored.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.label} backend>"


class DuckDBBackend(Backend):
    """DuckDB on this machine: the workbench's memory, spill and thread settings."""

    name = "duckdb"
    label = "This machine (DuckDB)"
    keeps_linker_in_process = True

    def make_api(self, base: str | Path | None = None) -> Any:
        """A fresh ``DuckDBAPI`` set up for linkage (:func:`make_db_api`)."""
        return make_db_api()

    def write_predictions(self, sdf: Any, target: Path) -> None:
        """Write the predictions as one Parquet file in ``target``."""
        target.mkdir(parents=True, exist_ok=True)
        sdf.as_duckdbpyrelation().write_parquet(str(target / "part-0.parquet"))

    def score(
        self,
        model: Any,
        threshold_match_weight: float = -4.0,
        work_dir: str | Path | None = None,
    ) -> ScoredPairs:
        """The pairs as a relation on the model's own connection (nothing is written)."""
        sdf = _predict(model, threshold_match_weight)
        return ScoredPairs(_with_source_columns(sdf.as_duckdbpyrelation(), model))


class SparkBackend(Backend):
    """Apache Spark: a local session or a cluster (see :func:`spark_session`)."""

    name = "spark"
    label = "Apache Spark"
    shared_session = True

    def problem(self) -> str | None:
        """Why Spark cannot run here (:func:`spark_problem`)."""
        return spark_problem()

    def require(self) -> None:
        """Check Spark can run here (:func:`require_spark`)."""
        require_spark()

    def make_api(self, base: str | Path | None = None) -> Any:
        """A ``SparkAPI`` on the process's Spark session (:func:`make_spark_api`)."""
        return make_spark_api(base)

    def write_predictions(self, sdf: Any, target: Path) -> None:
        """Write the predictions as Parquet files in ``target``, from Spark."""
        sdf.as_spark_dataframe().write.mode("overwrite").parquet(str(target))

    def score(
        self,
        model: Any,
        threshold_match_weight: float = -4.0,
        work_dir: str | Path | None = None,
    ) -> ScoredPairs:
        """The pairs land as Parquet under Spark's temporary folder and are read by DuckDB."""
        rel, folder = score_to_parquet(model, spark_temp_dir(work_dir), threshold_match_weight)
        return ScoredPairs(rel, folder)


_BACKENDS: dict[str, Backend] = {b.name: b for b in (DuckDBBackend(), SparkBackend())}


def get_backend(backend: str | Backend | None = None) -> Backend:
    """The backend of that name (``duckdb`` by default, any case).

    Args:
        backend: ``duckdb``, ``spark``, ``None`` for the default, or a backend (returned as is).

    Raises:
        LinkageError: For any other name.
    """
    if isinstance(backend, Backend):
        return backend
    return _BACKENDS[normalise_backend(backend)]


def backend_for(db_api: Any) -> Backend:
    """The backend a Splink database API runs on."""
    return get_backend(backend_of(db_api))
