"""Where a linkage runs: DuckDB on this machine (the default) or Apache Spark.

Both backends run the same Splink model. A model's settings JSON holds SQL in the dialect it
was trained in; :func:`linkage.model.dialects.translate_settings` rewrites it for the other
backend, so a model trained on one can score pairs on the other. Spark's scored pairs are
written as Parquet (:func:`predictions_to_parquet`) which DuckDB reads, so everything
downstream of scoring (clustering, evaluation, the analytics pages) is the same whichever
backend scored them.

The engines themselves are set up in :mod:`linkage.engines` (DuckDB's limits, Spark's
session).
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from linkage.engines import spark
from linkage.engines.duckdb_api import make_db_api
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

#: The backends a linkage can run on.
BACKENDS = ("duckdb", "spark")
DEFAULT_BACKEND = "duckdb"


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


def make_api(backend: str | None = None, base: str | Path | None = None) -> Any:
    """A fresh Splink database API for one run on the named backend.

    Args:
        backend: ``duckdb`` (default) or ``spark``.
        base: The workspace file or folder (Spark's temporary folder goes beside it).

    Raises:
        LinkageError: For an unknown backend, or Spark that is missing or does not start.
    """
    return get_backend(backend).make_api(base)


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
            f"The scored pairs could not be written as Parquet: {first_line(exc)}",
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
            f"The pairs could not be scored: {first_line(exc)}",
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
        """A fresh ``DuckDBAPI`` set up for linkage (see :mod:`linkage.engines.duckdb_api`)."""
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
    """Apache Spark: a local session or a cluster (see :mod:`linkage.engines.spark`)."""

    name = "spark"
    label = "Apache Spark"
    shared_session = True

    def problem(self) -> str | None:
        """Why Spark cannot run here (:func:`linkage.engines.spark.spark_problem`)."""
        return spark.spark_problem()

    def require(self) -> None:
        """Check Spark can run here (:func:`linkage.engines.spark.require_spark`)."""
        spark.require_spark()

    def make_api(self, base: str | Path | None = None) -> Any:
        """A ``SparkAPI`` on the process's Spark session (see :mod:`linkage.engines.spark`)."""
        return spark.make_spark_api(base)

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
        rel, folder = score_to_parquet(
            model, spark.spark_temp_dir(work_dir), threshold_match_weight
        )
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
