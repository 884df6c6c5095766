"""The linked file ``workbench link`` writes, as a refresh reads and writes it.

A Parquet output carries what a refresh needs beside the records and their cluster ids: each
record's standardised fields (columns named ``__std__<field>``), the links at or above the
threshold (list columns ``__links`` and ``__link_weights`` on the record with the lower row
number, naming the other record by row), and in the file's metadata the model, its
fingerprint, the threshold and each source's column roles (:func:`link_metadata`). A CSV output
holds the table only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkage.model.predict import node_index, node_positions_of
from workbench.errors import LinkageError, ValidationError, first_line
from workbench.safe_write import replacing

META_KEY = b"workbench.link"
FORMAT_VERSION = 1
STD_PREFIX = "__std__"
LINKS = "__links"
LINK_WEIGHTS = "__link_weights"
HIDDEN = (LINKS, LINK_WEIGHTS)


@dataclass
class LinkedRun:
    """A linked run as a refresh reads and writes it.

    Attributes:
        table: One row per record: ``source_dataset``, ``unique_id``, ``cluster_id``, then the
            input columns.
        standardised: Per row of ``table``, its standardised fields (``None`` for a file from
            an older version, which only a full relink can use).
        edges: The links at or above the threshold: row positions ``l`` < ``r`` and
            ``match_weight`` (``None`` for an older file).
        meta: ``threshold``, ``model`` (Splink JSON), ``model_fingerprint``, ``sources``
            (each source's ``roles`` and ``id_column``).
    """

    table: pd.DataFrame
    standardised: pd.DataFrame | None = None
    edges: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def refreshable(self) -> bool:
        """Whether the run carries what a refresh needs."""
        return self.standardised is not None and self.edges is not None and bool(self.meta)


def model_fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of what decides a model's scores: comparisons, blocking, prior, link type."""
    keys = (
        "link_type",
        "comparisons",
        "blocking_rules_to_generate_predictions",
        "probability_two_random_records_match",
    )
    core = {k: settings.get(k) for k in keys}
    text = json.dumps(core, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def edges_to_rows(
    pairs: pd.DataFrame,
    records: pd.DataFrame | None,
    threshold: float,
    *,
    drop_unknown: bool = False,
    locate: Callable[[pd.Series, pd.Series], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Scored pairs at or above the threshold as row positions ``l`` < ``r`` in ``records``.

    Args:
        pairs: Scored pairs (``source_dataset_l/_r``, ``unique_id_l/_r``, ``match_weight``,
            ``match_probability``).
        records: ``source_dataset`` and ``unique_id`` per row (unused with ``locate``).
        threshold: The match probability links start at.
        drop_unknown: Leave out pairs naming a record not in ``records`` (instead of failing).
        locate: Gives the row of each ``(source_dataset, unique_id)`` (``-1`` if none), in
            place of indexing every record of ``records``.

    Raises:
        LinkageError: When a pair names a record that is not in ``records``.
    """
    pairs = pairs[pairs["match_probability"].to_numpy() >= threshold]
    if locate is None:
        assert records is not None
        positions = node_index(records["source_dataset"], records["unique_id"])

        def locate(source: pd.Series, uid: pd.Series) -> np.ndarray:
            return node_positions_of(positions, source, uid)

    left = locate(pairs["source_dataset_l"], pairs["unique_id_l"])
    right = locate(pairs["source_dataset_r"], pairs["unique_id_r"])
    ok = (left >= 0) & (right >= 0)
    if not drop_unknown and not ok.all():
        raise LinkageError("Some scored pairs name records that are not in the run.")
    return pd.DataFrame(
        {
            "l": np.minimum(left, right)[ok],
            "r": np.maximum(left, right)[ok],
            "match_weight": pairs["match_weight"].to_numpy(dtype=float)[ok],
        }
    )


def write_linked(path: str | Path, run: LinkedRun) -> None:
    """Write a linked run: CSV holds the table only; Parquet holds everything a refresh needs.

    The file appears whole or not at all (:func:`workbench.safe_write.replacing`), so ``path``
    may be the previous run being refreshed.

    Raises:
        ValidationError: When the file cannot be written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            with replacing(path) as tmp:
                run.table.to_csv(tmp, index=False)
            return
        table = pa.Table.from_pandas(run.table, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        if run.standardised is not None and run.edges is not None:
            std = run.standardised.drop(
                columns=[c for c in ("source_dataset", "unique_id") if c in run.standardised]
            )
            std_table = pa.Table.from_pandas(
                std.rename(columns=lambda c: f"{STD_PREFIX}{c}"), preserve_index=False
            )
            for name in std_table.column_names:
                table = table.append_column(name, std_table.column(name))
            links, weights = _link_lists(run.edges, len(run.table))
            table = table.append_column(LINKS, links).append_column(LINK_WEIGHTS, weights)
            meta[META_KEY] = json.dumps(
                {**run.meta, "format": FORMAT_VERSION, "n_records": len(run.table)},
                default=str,
            ).encode("utf-8")
        with replacing(path) as tmp:
            pq.write_table(table.replace_schema_metadata(meta), tmp)
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def _link_lists(edges: pd.DataFrame, n: int) -> tuple[Any, Any]:
    import pyarrow as pa

    order = np.lexsort((edges["r"].to_numpy(), edges["l"].to_numpy()))
    left = edges["l"].to_numpy()[order]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(left, minlength=n), out=offsets[1:])
    links = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(edges["r"].to_numpy()[order].astype(np.int64))
    )
    weights = pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(edges["match_weight"].to_numpy()[order].astype(float))
    )
    return links, weights


@dataclass
class LinkedFileInfo:
    """What a linked file's schema says, read without its records.

    Attributes:
        meta: As :attr:`LinkedRun.meta` (empty for a CSV or an older file).
        refreshable: Whether the file carries what a refresh needs.
    """

    meta: dict[str, Any] = field(default_factory=dict)
    refreshable: bool = False


def read_linked_info(path: str | Path) -> LinkedFileInfo:
    """Read a linked file's metadata only (its schema), so work that needs only the model,
    threshold and roles can start while the records are read.

    Raises:
        ValidationError: As :func:`read_linked`, for a missing or unreadable file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    _check_exists(path)
    try:
        if path.suffix.lower() == ".csv":
            _check_columns(path, [str(c) for c in pd.read_csv(path, nrows=0).columns])
            return LinkedFileInfo()
        schema = pq.read_schema(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ValidationError(
            f"The previous run {path} cannot be read: {first_line(exc)}",
            hint="Give --previous an output file written by workbench link.",
        ) from exc
    _check_columns(path, schema.names)
    meta = _meta_of(schema)
    return LinkedFileInfo(meta=meta, refreshable=_carries_refresh(meta, schema.names))


def _meta_of(schema: Any) -> dict[str, Any]:
    """The workbench's metadata in a Parquet schema (empty when it has none)."""
    raw = (schema.metadata or {}).get(META_KEY)
    return json.loads(raw) if raw else {}


def _carries_refresh(meta: dict[str, Any], names: list[str]) -> bool:
    """Whether a file with this metadata and these columns holds what a refresh needs."""
    return bool(meta) and LINKS in names


def _check_columns(path: Path, names: list[str]) -> None:
    missing = sorted({"source_dataset", "unique_id", "cluster_id"} - set(names))
    if missing:
        raise ValidationError(
            f"{path} is not an output of workbench link: it lacks {', '.join(missing)}.",
            hint="Give --previous an output file written by workbench link.",
        )


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise ValidationError(
            f"There is no previous run {path}.",
            hint="Give --previous an output file written by workbench link.",
        )


def read_linked(path: str | Path) -> LinkedRun:
    """Read an output of ``workbench link`` (CSV or Parquet, of this version or an older one).

    Raises:
        ValidationError: When the file is missing, unreadable or lacks the record ids and
            cluster ids.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    _check_exists(path)
    try:
        if path.suffix.lower() == ".csv":
            table = pa.Table.from_pandas(
                pd.read_csv(path, dtype={"unique_id": str}), preserve_index=False
            )
        else:
            table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ValidationError(
            f"The previous run {path} cannot be read: {first_line(exc)}",
            hint="Give --previous an output file written by workbench link.",
        ) from exc
    _check_columns(path, table.column_names)
    meta = _meta_of(table.schema)
    if meta and (meta.get("format") != FORMAT_VERSION or meta.get("n_records") != len(table)):
        raise ValidationError(
            f"{path} was changed after workbench link wrote it, or comes from another version.",
            hint="Refresh from the file as workbench link wrote it, or relink with --full.",
        )
    std_cols = [c for c in table.column_names if c.startswith(STD_PREFIX)]
    plain = [c for c in table.column_names if c not in std_cols and c not in HIDDEN]
    frame = table.select(plain).to_pandas()
    frame["unique_id"] = frame["unique_id"].astype(str).astype(object)
    if not _carries_refresh(meta, table.column_names):
        return LinkedRun(table=frame)
    std = table.select(std_cols).to_pandas().rename(columns=lambda c: c[len(STD_PREFIX) :])
    std.insert(0, "unique_id", frame["unique_id"].to_numpy())
    std.insert(0, "source_dataset", frame["source_dataset"].to_numpy())
    links = table.column(LINKS).combine_chunks()
    weights = table.column(LINK_WEIGHTS).combine_chunks()
    import pyarrow.compute as pc

    edges = pd.DataFrame(
        {
            "l": pc.list_parent_indices(links).to_numpy().astype(np.int64),
            "r": pc.list_flatten(links).to_numpy().astype(np.int64),
            "match_weight": pc.list_flatten(weights).to_numpy(),
        }
    )
    return LinkedRun(table=frame, standardised=std, edges=edges, meta=meta)


def link_metadata(
    settings: dict[str, Any], threshold: float, sources: dict[str, Any]
) -> dict[str, Any]:
    """The metadata a linked Parquet output carries for later refreshes."""
    return {
        "threshold": float(threshold),
        "model": settings,
        "model_fingerprint": model_fingerprint(settings),
        "link_type": settings.get("link_type", "dedupe_only"),
        "sources": sources,
    }
