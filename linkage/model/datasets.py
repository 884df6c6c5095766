"""Workspace datasets as model inputs: which can be linked, standardised, suggested, drafted.

Each function takes a :class:`~workbench.workspace.Workspace` and dataset names. A dataset's
truth column (the true person id, marked or found by name) is kept out of every model input.
Failures reach the caller as :class:`~workbench.errors.WorkbenchError` with a hint; Splink and
DuckDB exceptions are translated by :func:`translated`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import pandas as pd

from linkage.model.model_spec import ModelSpec
from linkage.model.suggest import suggest_model
from workbench.data.catalogue import dataset_kinds
from workbench.errors import (
    DatasetNotFoundError,
    LinkageError,
    RoleError,
    ValidationError,
    WorkbenchError,
    first_line,
)
from workbench.persons.roles import PERSON_ROLES, Role, datasets_with_roles, load_roles
from workbench.persons.standardise import standardise_dataset
from workbench.workspace import DATA_SCHEMA, Workspace

log = logging.getLogger(__name__)

#: Column names taken as a truth (true person id) column when a dataset has one.
TRUTH_COLUMN_NAMES = ("cluster", "person_id", "true_id")

_DRAFT_PREFIX = "linkage.draft."
_TRUTH_SETTING_PREFIX = "linkage.truth_column."


# ------------------------------------------------------------------------------ helpers
@contextmanager
def translated(what: str, hint: str) -> Iterator[None]:
    """Turn any non-workbench exception raised in the block into a LinkageError.

    Args:
        what: The step, as the message starts ("Training", "Scoring pairs" ...).
        hint: What the user can do when it fails.
    """
    try:
        yield
    except WorkbenchError:
        raise
    except Exception as exc:
        log.exception("%s failed", what)
        raise LinkageError(f"{what} failed: {first_line(exc)}", hint=hint) from exc


def dataset_list(datasets: Sequence[str] | str) -> list[str]:
    """The chosen dataset names as a list; refuses none and repeats (raises LinkageError)."""
    names = [datasets] if isinstance(datasets, str) else list(datasets)
    if not names:
        raise LinkageError("No datasets were chosen.", hint="Choose at least one dataset to link.")
    if len(set(names)) != len(names):
        raise LinkageError(
            "A dataset was chosen twice.", hint="Choose each dataset once; one dataset is deduped."
        )
    return names


def record_id_column(roles: Mapping[str, Role]) -> str | None:
    """The column with the ``record_id`` role, or ``None``."""
    for column, role in roles.items():
        if role is Role.RECORD_ID:
            return column
    return None


def _model_roles(ws: Workspace, name: str) -> dict[str, Role]:
    """Stored roles of a dataset, with its truth column (if any) kept out of the model."""
    roles = dict(load_roles(ws, name))
    truth_col = truth_column(ws, name)
    if truth_col is not None and truth_col in roles and roles[truth_col] is not Role.IGNORE:
        roles[truth_col] = Role.IGNORE
    return roles


# ------------------------------------------------------------------------------ datasets
def linkable_datasets(ws: Workspace) -> list[str]:
    """Source datasets with at least one column stored with a person role.

    Args:
        ws: The workspace.

    Returns:
        Dataset names in alphabetical order.
    """
    kinds = dataset_kinds(ws)
    return [n for n in datasets_with_roles(ws, PERSON_ROLES) if kinds.get(n) == "source"]


def standardised_inputs(ws: Workspace, datasets: Sequence[str]) -> list[pd.DataFrame]:
    """Standardise each dataset with its stored column roles.

    A dataset's truth column (see :func:`truth_column`) is never passed to the model.

    Args:
        ws: The workspace.
        datasets: Dataset names.

    Returns:
        One standardised DataFrame per dataset, in the order given.

    Raises:
        DatasetNotFoundError: When a dataset does not exist.
        RoleError: When a dataset has no column with a usable person role.
    """
    frames = []
    for name in dataset_list(datasets):
        if name not in dataset_kinds(ws):
            raise DatasetNotFoundError(
                f"There is no dataset called {name!r} in the workspace.",
                hint="Import it first, or pick one from the catalogue.",
            )
        roles = _model_roles(ws, name)
        if not any(r in PERSON_ROLES for r in roles.values()):
            raise RoleError(
                f"Dataset {name!r} has no column with a person role, so it cannot be linked.",
                hint="Open the Roles page and confirm which columns hold names, date of birth, "
                "postcode or identifiers.",
            )
        with translated(f"Standardising {name}", "Check the column roles of the dataset."):
            frames.append(standardise_dataset(ws, name, roles))
    return frames


def suggest_for_datasets(
    ws: Workspace,
    datasets: Sequence[str],
    link_type: str | None = None,
    budget: float | None = None,
) -> ModelSpec:
    """Suggest a whole model (comparisons, blocking, training plan) for the datasets.

    Args:
        ws: The workspace.
        datasets: Dataset names.
        link_type: ``dedupe_only``, ``link_only`` or ``link_and_dedupe``; by default dedupe for
            one dataset and link and dedupe for several.
        budget: Most pairs blocking may generate; by default 200 a record (at most 50 million).

    Returns:
        The suggested spec.

    Raises:
        RoleError: When a dataset has no usable roles.
        LinkageError: When no model can be suggested (no comparable column, for example).
    """
    frames = standardised_inputs(ws, datasets)
    with translated("Suggesting a model", "Check the column roles of the datasets."):
        return suggest_model(frames, link_type=link_type, budget=int(budget) if budget else None)


def _draft_key(datasets: Sequence[str]) -> str:
    return _DRAFT_PREFIX + "+".join(sorted(dataset_list(datasets)))


def save_draft(ws: Workspace, datasets: Sequence[str], spec: ModelSpec) -> None:
    """Keep the Configure page's edited spec for this set of datasets in the workspace.

    Args:
        ws: The workspace.
        datasets: The dataset names (order does not matter).
        spec: The edited spec.
    """
    ws.set_setting(_draft_key(datasets), spec.to_dict())


def load_draft(ws: Workspace, datasets: Sequence[str]) -> ModelSpec | None:
    """The edited spec kept for this set of datasets.

    Args:
        ws: The workspace.
        datasets: The dataset names (order does not matter).

    Returns:
        The spec, or ``None`` when none was saved (or it can no longer be read).
    """
    data = ws.get_setting(_draft_key(datasets))
    if not data:
        return None
    try:
        return ModelSpec.from_dict(data)
    except LinkageError:
        log.warning("the saved draft for %s cannot be read; ignoring it", datasets)
        return None


# ------------------------------------------------------------------------------ truth
def mark_truth_column(ws: Workspace, dataset: str, column: str | None) -> None:
    """Mark (or with ``None`` unmark) a column of a dataset as its truth: the true person id.

    A truth column is used only to measure a model, never as a model input.

    Raises:
        ValidationError: When the dataset has no such column.
    """
    if column is not None and column not in ws.table_columns(DATA_SCHEMA, dataset):
        raise ValidationError(
            f"Dataset {dataset!r} has no column {column!r}.",
            hint="Choose one of its columns as the truth column.",
        )
    ws.set_setting(_TRUTH_SETTING_PREFIX + dataset, column or "")


def truth_column(ws: Workspace, dataset: str) -> str | None:
    """The truth column of a dataset: the one marked, else one named cluster/person_id/true_id.

    Returns:
        The column name, or ``None`` (also when the user unmarked it).
    """
    marked = ws.get_setting(_TRUTH_SETTING_PREFIX + dataset)
    if marked is not None:
        return marked or None
    columns = list(ws.table_columns(DATA_SCHEMA, dataset))
    for name in TRUTH_COLUMN_NAMES:
        if name in columns:
            return name
    return None
