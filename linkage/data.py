"""Input preparation: standardised person tables in, checked and aligned tables out.

Every linkage function takes a list of standardised tables (pandas DataFrames or DuckDB
relations), one per input dataset, with canonical column names (``unique_id``,
``first_name``, ``surname``, ``dob`` ...). :func:`prepare_frames` checks them once, gives each a
``source_dataset`` and aligns their columns, so later steps never meet the same problem twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import LinkageError
from workbench.sql import Sql, compose

log = logging.getLogger(__name__)

#: Canonical person columns that models may compare, in the order they are considered.
PERSON_COLUMNS = (
    "first_name",
    "middle_names",
    "surname",
    "full_name",
    "dob",
    "birth_year",
    "sex",
    "postcode",
    "address",
    "town",
    "pnc_id",
    "cro_number",
    "urn",
)
ID_COLUMNS = ("source_dataset", "unique_id")

FrameLike = pd.DataFrame | duckdb.DuckDBPyRelation


def is_model_column(name: str) -> bool:
    """Whether a column may take part in a model (a canonical or ``other_*`` column)."""
    return name in PERSON_COLUMNS or name.startswith("other_")


@dataclass
class PreparedInput:
    """Checked, aligned input tables.

    Attributes:
        frames: One DataFrame per input, each with ``source_dataset`` and ``unique_id`` (text)
            and the same columns in the same order.
        names: The ``source_dataset`` value of each input.
        model_columns: The canonical and ``other_*`` columns present.
        notes: Adjustments made (columns added as empty, for example).
    """

    frames: list[pd.DataFrame]
    names: list[str]
    model_columns: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def n_records(self) -> int:
        """Total records over all inputs."""
        return int(sum(len(f) for f in self.frames))

    def combined(self) -> pd.DataFrame:
        """All inputs stacked into one DataFrame."""
        return pd.concat(self.frames, ignore_index=True)

    def default_link_type(self) -> str:
        """``dedupe_only`` for one input, ``link_and_dedupe`` for several."""
        return "dedupe_only" if len(self.frames) == 1 else "link_and_dedupe"

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory DuckDB connection with the stacked input as table ``records``."""
        con = duckdb.connect()
        # Each input is scanned straight into one DuckDB table: no stacked pandas copy.
        parts = []
        for i, frame in enumerate(self.frames):
            con.register(f"records_df_{i}", frame)
            parts.append(compose("SELECT * FROM {t}", t=f"records_df_{i}"))
        con.execute(
            compose("CREATE TABLE records AS {union}", union=Sql(" UNION ALL ".join(parts)))
        )
        for i in range(len(self.frames)):
            con.unregister(f"records_df_{i}")
        return con


def empty_column(n: int, index: pd.Index, dtype: Any) -> pd.Series:
    """An all-null column of ``n`` rows and the dtype (its nullable form for NumPy ints and
    bools)."""
    try:
        return pd.Series([None] * n, index=index, dtype=dtype)
    except (TypeError, ValueError):
        kind = getattr(dtype, "kind", "")
        nullable = {"i": "Int64", "u": "Int64", "b": "boolean", "f": "Float64"}.get(kind, object)
        return pd.Series([None] * n, index=index, dtype=nullable)


def _to_pandas(frame: Any, index: int) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame.copy()
    if isinstance(frame, duckdb.DuckDBPyRelation):
        return frame.df()
    raise LinkageError(
        f"Input {index + 1} is a {type(frame).__name__}, not a table.",
        hint="Pass pandas DataFrames or DuckDB relations of standardised records.",
    )


def _dataset_name(frame: pd.DataFrame, index: int, given: str | None) -> str:
    if given:
        return given
    if "source_dataset" in frame.columns:
        values = frame["source_dataset"].dropna().unique()
        if len(values) == 1:
            return str(values[0])
    return f"dataset_{index + 1}"


def prepare_frames(
    frames: Sequence[FrameLike] | FrameLike,
    names: Sequence[str] | None = None,
    on_mismatch: str = "union",
) -> PreparedInput:
    """Check standardised inputs and align them for linkage.

    Args:
        frames: One table per input dataset (pandas DataFrame or DuckDB relation).
        names: The dataset name of each input; by default the single value of its
            ``source_dataset`` column, else ``dataset_1``, ``dataset_2`` ...
        on_mismatch: ``"union"`` adds columns missing from some inputs as empty (and notes it);
            ``"error"`` refuses inputs whose model columns differ.

    Returns:
        The prepared input.

    Raises:
        LinkageError: No inputs, an input without ``unique_id``, duplicate ids within an input,
            no usable person columns, or (with ``on_mismatch="error"``) differing columns.
    """
    if isinstance(frames, pd.DataFrame | duckdb.DuckDBPyRelation):
        frames = [frames]
    frames = list(frames)
    if not frames:
        raise LinkageError("There is nothing to link.", hint="Choose at least one dataset.")
    if names is not None and len(names) != len(frames):
        raise LinkageError(f"{len(names)} names were given for {len(frames)} inputs.")

    tables: list[pd.DataFrame] = []
    used_names: list[str] = []
    notes: list[str] = []
    for i, raw in enumerate(frames):
        df = _to_pandas(raw, i)
        name = _dataset_name(df, i, names[i] if names else None)
        if "unique_id" not in df.columns:
            raise LinkageError(
                f"Input {name!r} has no unique_id column.",
                hint="Standardise the dataset first: it gives every record a unique_id.",
            )
        if not re.match(r"^[A-Za-z0-9_\- ]{1,63}$", name):
            name = re.sub(r"[^A-Za-z0-9_]+", "_", name)[:63] or f"dataset_{i + 1}"
        if name in used_names:
            name = f"{name}_{i + 1}"
        used_names.append(name)
        df["unique_id"] = df["unique_id"].astype("string").astype(object)
        if df["unique_id"].isna().any():
            raise LinkageError(
                f"Input {name!r} has records without a unique_id.",
                hint="Every record needs an id; standardise the dataset again.",
            )
        duplicated = df["unique_id"].duplicated()
        if duplicated.any():
            example = df.loc[duplicated, "unique_id"].iloc[0]
            raise LinkageError(
                f"Input {name!r} has {int(duplicated.sum())} repeated unique_id values "
                f"(for example {example!r}).",
                hint="Ids must be unique within a dataset.",
            )
        df["source_dataset"] = name
        tables.append(df)

    total = sum(len(t) for t in tables)
    if total < 2:
        raise LinkageError(
            f"There {'is only one record' if total == 1 else 'are no records'} to link.",
            hint="Linkage needs at least two records; check the datasets are not empty.",
        )
    column_sets = [{c for c in t.columns if is_model_column(c)} for t in tables]
    all_columns = set().union(*column_sets)
    if not all_columns:
        raise LinkageError(
            "None of the inputs has a person column to compare.",
            hint="Map columns to roles such as first name, surname, date of birth or postcode "
            "and standardise the datasets.",
        )
    mismatched = {
        used_names[i]: sorted(all_columns - s)
        for i, s in enumerate(column_sets)
        if s != all_columns
    }
    if mismatched:
        described = "; ".join(f"{n} lacks {', '.join(c)}" for n, c in mismatched.items())
        if on_mismatch == "error":
            raise LinkageError(
                f"The inputs have different person columns: {described}.",
                hint="Map the same roles on every dataset, or allow missing columns as empty.",
            )
        notes.append(f"Columns missing from some inputs are treated as empty there: {described}.")

    ordered = [c for c in PERSON_COLUMNS if c in all_columns] + sorted(
        c for c in all_columns if c not in PERSON_COLUMNS
    )
    dtypes: dict[str, Any] = {}
    for t in tables:
        for c in ordered:
            if c in t.columns and c not in dtypes and t[c].notna().any():
                dtypes[c] = t[c].dtype
    aligned: list[pd.DataFrame] = []
    extra_all: list[str] = []
    for t in tables:
        for c in t.columns:
            if c not in ID_COLUMNS and c not in ordered and c not in extra_all:
                extra_all.append(c)
    for t in tables:
        for c in [*ordered, *extra_all]:
            if c not in t.columns:
                t[c] = empty_column(len(t), t.index, dtypes.get(c, object))
        aligned.append(t[["source_dataset", "unique_id", *ordered, *extra_all]])
    log.info("prepared %s inputs, %s records", len(aligned), sum(len(a) for a in aligned))
    return PreparedInput(frames=aligned, names=used_names, model_columns=ordered, notes=notes)
