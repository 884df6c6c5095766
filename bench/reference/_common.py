"""Plumbing shared by the expert reference scripts: arguments, reading, registering, writing.

The linkage itself (cleaning, comparisons, blocking, training, threshold) is written out in
each script for its own file.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd
from splink import DuckDBAPI, Linker, SettingsCreator


def parse_args(doc: str | None) -> argparse.Namespace:
    """``INPUT [INPUT ...] --out OUT.parquet``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path, help="the raw file(s)")
    parser.add_argument("--out", required=True, type=Path, help="clusters (.parquet)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.ERROR)
    return args


def read_raw(path: Path) -> pd.DataFrame:
    """A raw CSV or Parquet file, every CSV column as text (empty cells missing)."""
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def blank_to_null(frame: pd.DataFrame) -> pd.DataFrame:
    """Trimmed text, with empty strings as missing."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string").str.strip()
            out[column] = text.where(text != "", None).astype(object)
    return out


def linker_for(frames: dict[str, pd.DataFrame], settings: SettingsCreator) -> Linker:
    """A DuckDB linker over the frames, each registered under its name (``source_dataset``)."""
    db_api = DuckDBAPI()
    tables = [db_api.register(f, dataset_display_name=name) for name, f in frames.items()]
    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.WARNING)


def write_clusters(clusters: pd.DataFrame, out: Path) -> None:
    """Write ``[source_dataset,] unique_id, cluster_id`` to a Parquet file."""
    columns = [c for c in ("source_dataset", "unique_id", "cluster_id") if c in clusters.columns]
    out.parent.mkdir(parents=True, exist_ok=True)
    clusters[columns].to_parquet(out, index=False)


# Values criminal justice systems write when they do not know: nulled before linking, or they
# link everyone who shares them.
PLACEHOLDER_DOBS = ("1900-01-01", "1901-01-01", "1970-01-01")
PLACEHOLDER_POSTCODES = ("NF1 1NF", "ZZ99 3VZ", "NFA")
PLACEHOLDER_NAMES = ("nfa", "not known", "unknown", "not entered")


def clean_name(values: pd.Series) -> pd.Series:
    """Lower case, letters, apostrophes, hyphens and single spaces only; placeholders null."""
    text = (
        values.astype("string")
        .str.lower()
        .str.replace(r"[^a-z' \-]", "", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    return text.where(~text.isin(PLACEHOLDER_NAMES) & (text != ""), None).astype(object)


def clean_postcode(values: pd.Series) -> pd.Series:
    """Upper case with one space before the inward code; placeholders null."""
    text = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    text = text.str[:-3] + " " + text.str[-3:]
    return text.where(~text.isin(PLACEHOLDER_POSTCODES) & (text.str.len() >= 5), None).astype(
        object
    )


def iso_date(values: pd.Series, fmt: str) -> pd.Series:
    """Dates written as ``fmt`` as ``yyyy-mm-dd`` text; unparseable and placeholders null."""
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    text = parsed.dt.strftime("%Y-%m-%d")
    return text.where(parsed.notna() & ~text.isin(PLACEHOLDER_DOBS), None).astype(object)
