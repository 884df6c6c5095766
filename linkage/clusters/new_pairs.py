"""Scoring only the pairs that involve a new record, with a model's blocking rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import LinkageError, first_line


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            col = level.get("tf_adjustment_column")
            if col and col not in cols:
                cols.append(str(col))
    return cols


def _fetch(result: Any, all_columns: bool) -> pd.DataFrame:
    """Splink's scored pairs as a DataFrame: every column, or only the ids and scores (a
    refresh needs no more, and fetching the comparison columns of every pair costs)."""
    from linkage.model.predict import EDGE_COLUMNS

    relation = result.as_duckdbpyrelation()
    if all_columns:
        return relation.df()
    wanted = [c for c in EDGE_COLUMNS if c in relation.columns]
    return relation.select(*wanted).df()  # column names, never parsed as SQL


def _with_text_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``source_dataset`` and ``unique_id`` as text for Splink. Text already (object or string
    dtype) stays as it is: converting a million ids costs."""
    for column in ("source_dataset", "unique_id"):
        kind = frame[column].dtype
        if not (pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)):
            frame = frame.assign(**{column: frame[column].astype(str)})
    return frame


def score_new_pairs(
    standardised: pd.DataFrame,
    is_new: np.ndarray,
    settings: dict[str, Any],
    threshold: float,
    *,
    min_match_weight: float | None = None,
    all_columns: bool = False,
) -> pd.DataFrame:
    """Score, with the model's blocking rules, only the pairs that involve a new record.

    Term frequencies are computed over every record, so scores equal a full link's.

    Args:
        standardised: Every record's standardised fields (with ``source_dataset``).
        is_new: Which records are new.
        settings: The model (Splink JSON).
        threshold: Pairs below this match probability are not returned.
        min_match_weight: Keep pairs down to this match weight instead (to store them for
            choosing another threshold later).
        all_columns: Return every column Splink gives (comparison levels and so on), not
            only the ids and scores.

    Returns:
        ``source_dataset_l/_r``, ``unique_id_l/_r``, ``match_weight``, ``match_probability``
        (and with ``all_columns`` the rest).

    Raises:
        LinkageError: When Splink cannot score the pairs.
    """
    frame = standardised.reset_index(drop=True)
    flags = np.asarray(is_new, dtype=bool)
    return score_new_against_old(
        frame.loc[flags].reset_index(drop=True),
        frame.loc[~flags].reset_index(drop=True),
        settings,
        threshold,
        min_match_weight=min_match_weight,
        all_columns=all_columns,
    )


def score_new_against_old(
    new_rows: pd.DataFrame,
    old_rows: pd.DataFrame,
    settings: dict[str, Any],
    threshold: float,
    *,
    min_match_weight: float | None = None,
    all_columns: bool = False,
) -> pd.DataFrame:
    """:func:`score_new_pairs` with the new and the earlier records given apart (as a refresh
    holds them), so a million earlier records are not copied to be split off again.

    Args:
        new_rows: The new records' standardised fields (with ``source_dataset``).
        old_rows: The earlier records' standardised fields, with the same columns.
        settings: As :func:`score_new_pairs`.
        threshold: As :func:`score_new_pairs`.
        min_match_weight: As :func:`score_new_pairs`.
        all_columns: As :func:`score_new_pairs`.

    Raises:
        LinkageError: When Splink cannot score the pairs.
    """
    from linkage.data import PreparedInput, is_model_column
    from linkage.model.predict import EDGE_COLUMNS
    from linkage.model.train import build_linker

    new_rows, old_rows = _with_text_keys(new_rows), _with_text_keys(old_rows)
    names = list(
        dict.fromkeys(
            [*pd.unique(new_rows["source_dataset"]), *pd.unique(old_rows["source_dataset"])]
        )
    )
    if settings.get("link_type", "dedupe_only") != "dedupe_only" and len(names) < 2:
        settings = {**settings, "link_type": "dedupe_only"}
    link_type = settings.get("link_type", "dedupe_only")
    n_new = len(new_rows)
    # The linker's input is every record once (term frequencies come from all of them): as
    # the new and the earlier records, which the scoring then registers again as views (no
    # copy). Each record keeps its own source_dataset column, so Splink uses it.
    split = link_type != "dedupe_only" and len(old_rows) > 0
    data = PreparedInput(
        frames=[new_rows, old_rows]
        if split
        else [pd.concat([new_rows, old_rows], ignore_index=True)],
        names=["__wb_refresh_in_new", "__wb_refresh_in_old"] if split else ["__wb_refresh_in"],
        model_columns=[str(c) for c in new_rows.columns if is_model_column(str(c))],
    )
    linker, api = build_linker(data, settings)
    try:
        for col in _tf_columns(settings):
            linker.table_management.compute_tf_table(col)
        new = api.register(new_rows, dataset_display_name="__wb_refresh_new")
        parts = []
        low = max(0.0, float(threshold) - 1e-9)
        cut: dict[str, float] = (
            {"threshold_match_probability": low}
            if min_match_weight is None
            else {"threshold_match_weight": float(min_match_weight)}
        )
        if len(old_rows):
            between = linker.inference.predict_between(
                new,
                api.register(old_rows, dataset_display_name="__wb_refresh_old"),
                **cut,
                warning_mode="never",
            )
            parts.append(_fetch(between, all_columns))
        n_new_sources = new_rows["source_dataset"].nunique()
        if n_new > 1 and not (link_type == "link_only" and n_new_sources < 2):
            within = linker.inference.predict_within(
                new,
                link_type=link_type,
                **cut,
                warning_mode="never",
            )
            parts.append(_fetch(within, all_columns))
    except LinkageError:
        raise
    except Exception as exc:
        raise LinkageError(
            f"The new records could not be scored: {first_line(exc)}",
            hint="Check the new extract has the columns the model compares.",
        ) from exc
    if not parts:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    pairs = pd.concat(parts, ignore_index=True)
    for side in ("l", "r"):
        if f"source_dataset_{side}" not in pairs.columns:
            pairs[f"source_dataset_{side}"] = names[0]
    return pairs if all_columns else pairs[EDGE_COLUMNS]
