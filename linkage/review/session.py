"""What a reviewer meets on the Review page: the next pairs to label, progress, case context."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from linkage.clusters.registry import get_model
from linkage.model.datasets import record_id_column
from linkage.model.linkers import model_threshold, stored_predictions
from linkage.review.labels import model_labels
from linkage.review.pairs import order_columns
from workbench.data.catalogue import dataset_kinds
from workbench.persons.roles import Role, load_roles
from workbench.sql import compose, qualified
from workbench.workspace import DATA_SCHEMA, Workspace


def next_pairs(ws: Workspace, model_id: str, n: int = 10, skip: Sequence[str] = ()) -> pd.DataFrame:
    """The unlabelled pairs whose labels would teach the model most, best first.

    Uncertainty sampling spread over comparison patterns (see
    :func:`linkage.review.active.select_pairs`): pairs nearest the model's threshold in match
    weight, each pattern's first pair before any pattern's second. Every label saved changes
    the next call's answer.

    Args:
        ws: The workspace.
        model_id: The model.
        n: How many pairs.
        skip: Pair ids (:func:`linkage.review.active.pair_id`) the reviewer skipped.

    Returns:
        Prediction rows (all columns) with ``pattern``, ``uncertainty`` and
        ``pattern_labels``.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    from linkage.review.active import select_pairs

    row = get_model(ws, model_id)
    pairs = stored_predictions(ws, model_id)
    labels = model_labels(ws, list(row.get("datasets") or []))
    chosen = select_pairs(pairs, labels, model_threshold(row), n=int(n), skip=skip)
    return order_columns(chosen)


@dataclass(frozen=True)
class ReviewProgress:
    """Labels stored for a model's datasets and what they say about the model.

    Attributes:
        n_labels: Pairs labelled (the latest label of each pair counts).
        n_matches: Labelled match.
        n_non_matches: Labelled not a match.
        n_unsure: Labelled unsure.
        estimate: Estimated precision and recall at the model's threshold with every label.
        before: The same without the latest label (``None`` when there is none).
    """

    n_labels: int
    n_matches: int
    n_non_matches: int
    n_unsure: int
    estimate: Any
    before: Any = None


def review_progress(ws: Workspace, model_id: str) -> ReviewProgress:
    """Counts of stored labels for a model's datasets, and the quality they estimate.

    Counts come from the workspace, never from the page, so a label is counted once it is
    stored. The estimate is :func:`linkage.review.active.estimate_quality` at the model's threshold.

    Raises:
        LinkageError: When the model has no stored predictions.
    """
    from linkage.review.active import estimate_quality

    row = get_model(ws, model_id)
    labels = model_labels(ws, list(row.get("datasets") or []))
    pairs = stored_predictions(ws, model_id)
    threshold = model_threshold(row)
    estimate = estimate_quality(pairs, labels, threshold)
    before = None
    known = labels.dropna(subset=["label"])
    if not known.empty:
        latest = known["labelled_at"].idxmax()
        before = estimate_quality(pairs, labels.drop(index=latest), threshold)
    values = labels["label"]
    return ReviewProgress(
        n_labels=len(labels),
        n_matches=int((values == 1).sum()),
        n_non_matches=int((values == 0).sum()),
        n_unsure=int(values.isna().sum()),
        estimate=estimate,
        before=before,
    )


_CONTEXT_NAMES = (
    ("area", ("lcjb_area", "area", "force")),
    ("offence", ("offence_group", "offence_description", "offence", "charges", "charge")),
    ("urn", ("urn",)),
)


def _context_columns(columns: Sequence[str], roles: Mapping[str, Role]) -> list[tuple[str, str]]:
    """(label, column) of a dataset's case context: area, offence, URN, then its dates."""
    lower = {c.lower(): c for c in columns}
    out: list[tuple[str, str]] = []
    for label, names in _CONTEXT_NAMES:
        found = [lower[n] for n in names if n in lower]
        if label == "urn":
            found = [c for c, r in roles.items() if r is Role.URN and c in columns] or found
        if found:
            out.append((label, found[0]))
    birth = {Role.DOB, Role.BIRTH_YEAR, Role.BIRTH_MONTH, Role.BIRTH_DAY}
    for column in columns:
        name = column.lower()
        dated = "date" in name and "dob" not in name and "birth" not in name
        if dated and roles.get(column) not in birth:
            out.append((name.removesuffix("_date").replace("_", " ") + " date", column))
    return out


def _source_record(ws: Workspace, dataset: str, unique_id: str) -> dict[str, Any]:
    """One record of a source dataset, by the id the model gave it."""
    if dataset not in dataset_kinds(ws):
        return {}
    roles = load_roles(ws, dataset)
    record_id = record_id_column(roles)
    table = qualified(DATA_SCHEMA, dataset)
    if record_id is not None:
        sql = compose(
            "SELECT * FROM {table} WHERE CAST({record_id} AS VARCHAR) = ? LIMIT 1",
            table=table,
            record_id=record_id,
        )
    else:
        sql = compose(
            "SELECT * EXCLUDE (_rn) FROM (SELECT *, CAST(row_number() OVER () AS VARCHAR) "
            "AS _rn FROM {table}) WHERE _rn = ? LIMIT 1",
            table=table,
        )
    found = ws.query_df(sql, [str(unique_id)])
    return found.iloc[0].to_dict() if len(found) else {}


def _context_text(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def case_context(ws: Workspace, pair_row: Mapping[str, Any] | pd.Series) -> pd.DataFrame:
    """The case context of a pair's two records, from their source datasets.

    Area, offence, URN and the key dates of each record (offence, referral, hearing,
    completion ...) help a reviewer judge whether two records are one person.

    Args:
        ws: The workspace.
        pair_row: A prediction row with the two records' ids.

    Returns:
        ``Field``, ``Left record``, ``Right record``: a row for the dataset and one for the
        record id, then each context field either record has (empty where a record has none).
    """
    row = dict(pair_row)
    sides = []
    for side in ("l", "r"):
        dataset = str(row.get(f"source_dataset_{side}", ""))
        record = _source_record(ws, dataset, str(row.get(f"unique_id_{side}", "")))
        roles = load_roles(ws, dataset) if record else {}
        fields = {"dataset": dataset, "record": str(row.get(f"unique_id_{side}", ""))}
        for label, column in _context_columns(list(record), roles):
            fields.setdefault(label, _context_text(record.get(column)))
        sides.append(fields)
    names = list(dict.fromkeys([*sides[0], *sides[1]]))
    return pd.DataFrame(
        {
            "Field": [n[:1].upper() + n[1:] if n != "urn" else "URN" for n in names],
            "Left record": [sides[0].get(n, "") for n in names],
            "Right record": [sides[1].get(n, "") for n in names],
        }
    )
