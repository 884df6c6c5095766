"""The known truth (true person ids) of workspace datasets, to measure models against.

Truth comes from a ``<name>_truth`` dataset or from a dataset's truth column (see
:func:`linkage.model.datasets.truth_column`); it is never a model input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import pandas as pd

from linkage.model.datasets import dataset_list, record_id_column, truth_column
from workbench.data.catalogue import dataset_kinds
from workbench.persons.roles import Role, load_roles
from workbench.sql import Sql, compose, qualified
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)

#: Columns of a truth dataset that are never its record key.
_TRUTH_VALUE_COLUMNS = {"person_id", "case_id", "cluster", "true_id"}


def truth_frame(truth: pd.DataFrame) -> pd.DataFrame:
    """:func:`truth_for` output in the shape :mod:`linkage.quality.evaluate` expects."""
    return truth.rename(columns={"person_id": "truth"})


def _truth_from_truth_dataset(
    ws: Workspace, name: str, truth_name: str, roles: Mapping[str, Role]
) -> pd.DataFrame | None:
    record_id = record_id_column(roles)
    columns = list(ws.table_columns(DATA_SCHEMA, truth_name))
    if record_id is None or "person_id" not in columns:
        log.info("truth dataset %s not usable for %s", truth_name, name)
        return None
    if record_id in columns:
        key = record_id
    else:
        keys = [c for c in columns if c not in _TRUTH_VALUE_COLUMNS]
        if len(keys) != 1:
            return None
        key = keys[0]
    sql = compose(
        "SELECT CAST(? AS VARCHAR) AS source_dataset, CAST({key} AS VARCHAR) "
        "AS unique_id, CAST(person_id AS VARCHAR) AS person_id FROM {table}",
        key=key,
        table=qualified(DATA_SCHEMA, truth_name),
    )
    return ws.query_df(sql, [name])


def _truth_from_column(
    ws: Workspace, name: str, column: str, roles: Mapping[str, Role]
) -> pd.DataFrame:
    record_id = record_id_column(roles)
    id_sql = (
        compose("CAST({record_id} AS VARCHAR)", record_id=record_id)
        if record_id
        else Sql("CAST(row_number() OVER () AS VARCHAR)")
    )
    sql = compose(
        "SELECT CAST(? AS VARCHAR) AS source_dataset, {id_sql} AS unique_id, "
        "CAST({column} AS VARCHAR) AS person_id FROM {table}",
        id_sql=id_sql,
        column=column,
        table=qualified(DATA_SCHEMA, name),
    )
    return ws.query_df(sql, [name])


def truth_for(ws: Workspace, datasets: Sequence[str]) -> pd.DataFrame | None:
    """The known truth for the datasets' records, where there is any.

    For each dataset ``<name>``, truth comes from a dataset ``<name>_truth`` holding the
    record key (the column with the ``record_id`` role, or the truth file's one key column) and
    ``person_id``; otherwise from the dataset's truth column (see
    :func:`linkage.model.datasets.truth_column`).

    Args:
        ws: The workspace.
        datasets: Dataset names.

    Returns:
        ``source_dataset``, ``unique_id``, ``person_id`` (rows with a null person are kept:
        they belong to no person), or ``None`` when no dataset has truth.
    """
    kinds = dataset_kinds(ws)
    parts: list[pd.DataFrame] = []
    for name in dataset_list(datasets):
        roles = load_roles(ws, name) if name in kinds else {}
        part = None
        truth_name = f"{name}_truth"
        if truth_name in kinds:
            part = _truth_from_truth_dataset(ws, name, truth_name, roles)
        if part is None and name in kinds:
            column = truth_column(ws, name)
            if column is not None:
                part = _truth_from_column(ws, name, column, roles)
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    truth = pd.concat(parts, ignore_index=True)
    if truth["person_id"].notna().sum() == 0:
        return None
    return truth
