"""Clerical labels: saved one at a time from the Review page, exported and imported as CSV.

This module owns ``wb.labels``: it stores the labels, checks what a reviewer or a file gives and
records who did it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import LinkageError, Problem, ValidationError, first_line
from workbench.safe_csv import frame_to_csv, unescape_cell
from workbench.sql import Sql, compose
from workbench.workspace import Workspace, utcnow

_LABEL_COLUMNS = [
    "source_dataset_l",
    "unique_id_l",
    "source_dataset_r",
    "unique_id_r",
    "label",
    "reviewer",
    "labelled_at",
    "model_id",
    "match_probability_shown",
    "note",
]
#: The columns a labels CSV must have: the pair and its label.
REQUIRED_LABEL_COLUMNS = _LABEL_COLUMNS[:5]


_LABEL_INSERT = (
    "INSERT INTO wb.labels (source_dataset_l, unique_id_l, source_dataset_r, unique_id_r, "
    "label, reviewer, labelled_at, model_id, match_probability_shown, note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def add_label(
    ws: Workspace,
    left: tuple[str, str],
    right: tuple[str, str],
    label: int | None,
    *,
    reviewer: str | None = None,
    model_id: str | None = None,
    match_probability_shown: float | None = None,
    note: str | None = None,
) -> None:
    """Record a clerical label for a pair (1 match, 0 non-match, ``None`` unsure).

    Args:
        ws: The workspace.
        left: ``(source_dataset, unique_id)`` of one record.
        right: The other record.
        label: 1, 0 or ``None``.
        reviewer: Who labelled it.
        model_id: The model whose pair was shown.
        match_probability_shown: The probability the reviewer saw.
        note: Free text.

    Raises:
        LinkageError: When the label is not 1, 0 or empty.
    """
    if label not in (0, 1, None):
        raise LinkageError("A label is 1 (match), 0 (non-match) or empty (unsure).")
    (sl, ul), (sr, ur) = sorted([left, right])
    with ws.transaction() as cur:
        cur.execute(
            _LABEL_INSERT,
            [sl, ul, sr, ur, label, reviewer, utcnow(), model_id, match_probability_shown, note],
        )


def load_labels(ws: Workspace) -> pd.DataFrame:
    """The latest clerical label of every labelled pair."""
    return ws.query_df(
        "SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY source_dataset_l, "
        "unique_id_l, source_dataset_r, unique_id_r ORDER BY labelled_at DESC) rn "
        "FROM wb.labels) WHERE rn = 1"
    )


def insert_labels(cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
    """Insert clerical labels in the caller's transaction.

    Args:
        cur: The transaction's cursor.
        rows: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``, ``unique_id_r``,
            ``label``, ``reviewer``, ``labelled_at``, ``model_id``, ``match_probability_shown``,
            ``note`` per label, the left record the lower.
    """
    cur.executemany(_LABEL_INSERT, [list(row) for row in rows])


def unlabelled_pairs(table: Sql) -> Sql:
    """SQL selecting the rows of a pairs table whose pair (either way round) has no label.

    Args:
        table: A quoted table (or parenthesised query) of pairs with ``source_dataset_l``,
            ``unique_id_l``, ``source_dataset_r`` and ``unique_id_r``.
    """
    return compose(
        "SELECT p.* FROM {table} p WHERE NOT EXISTS (SELECT 1 FROM wb.labels l WHERE "
        "(l.source_dataset_l = p.source_dataset_l AND l.unique_id_l = p.unique_id_l AND "
        "l.source_dataset_r = p.source_dataset_r AND l.unique_id_r = p.unique_id_r) OR "
        "(l.source_dataset_l = p.source_dataset_r AND l.unique_id_l = p.unique_id_r AND "
        "l.source_dataset_r = p.source_dataset_l AND l.unique_id_r = p.unique_id_l))",
        table=table,
    )


def save_label(
    ws: Workspace,
    model_id: str,
    pair_row: Mapping[str, Any] | pd.Series,
    label: int | None,
    reviewer: str,
    note: str = "",
) -> None:
    """Record a clerical label for a pair (1 match, 0 non-match, ``None`` unsure).

    Args:
        ws: The workspace.
        model_id: The model whose pair was shown.
        pair_row: A prediction row (``source_dataset_l``, ``unique_id_l``,
            ``source_dataset_r``, ``unique_id_r``, and ``match_probability`` if shown).
        label: 1, 0 or ``None``.
        reviewer: Who labelled it.
        note: Free text.

    Raises:
        LinkageError: When the row does not identify a pair or the label is not 1, 0 or empty.
    """
    row = dict(pair_row)
    try:
        left = (str(row["source_dataset_l"]), str(row["unique_id_l"]))
        right = (str(row["source_dataset_r"]), str(row["unique_id_r"]))
    except KeyError as exc:
        raise LinkageError(
            f"The pair has no {exc.args[0]} value.", hint="Label a row of scored pairs."
        ) from exc
    probability = row.get("match_probability")
    shown = None if probability is None or pd.isna(probability) else float(probability)
    add_label(
        ws,
        left,
        right,
        None if label is None or pd.isna(label) else int(label),
        reviewer=reviewer,
        model_id=model_id,
        match_probability_shown=shown,
        note=note or None,
    )
    ws.audit(
        "label.save",
        target=model_id,
        detail={"left": list(left), "right": list(right), "label": label},
        actor=reviewer,
    )


def export_labels(ws: Workspace) -> bytes:
    """The latest clerical label of every labelled pair, as UTF-8 CSV.

    Columns: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``, ``unique_id_r``,
    ``label`` (1, 0 or empty), ``reviewer``, ``labelled_at``, ``model_id``,
    ``match_probability_shown``, ``note``.
    """
    labels = load_labels(ws)
    labels = labels.reindex(columns=_LABEL_COLUMNS)
    labels["label"] = labels["label"].astype("Int64")
    return frame_to_csv(labels)


_LABEL_VALUES = {"1": 1, "1.0": 1, "0": 0, "0.0": 0, "": None}


def _parse_label_rows(frame: pd.DataFrame) -> tuple[list[list[Any]], list[Problem]]:
    problems: list[Problem] = []
    rows: list[list[Any]] = []
    now = utcnow()
    for i, rec in enumerate(frame.to_dict(orient="records")):
        line = i + 2
        ok = True
        for col in REQUIRED_LABEL_COLUMNS[:4]:
            if not str(rec.get(col, "")).strip():
                problems.append(Problem("is empty", file="labels CSV", row=line, column=col))
                ok = False
        raw = str(rec.get("label", "")).strip().lower()
        if raw not in _LABEL_VALUES:
            problems.append(
                Problem(
                    f"{raw!r} is not 1 (match), 0 (non-match) or empty (unsure)",
                    file="labels CSV",
                    row=line,
                    column="label",
                )
            )
            ok = False
        when: Any = now
        if str(rec.get("labelled_at", "")).strip():
            when = pd.to_datetime(rec["labelled_at"], errors="coerce")
            if pd.isna(when):
                problems.append(
                    Problem(
                        f"{rec['labelled_at']!r} is not a date and time",
                        file="labels CSV",
                        row=line,
                        column="labelled_at",
                    )
                )
                ok = False
            else:
                when = when.to_pydatetime().replace(tzinfo=None)
        shown: float | None = None
        if str(rec.get("match_probability_shown", "")).strip():
            try:
                shown = float(rec["match_probability_shown"])
                if not 0.0 <= shown <= 1.0:
                    raise ValueError
            except ValueError:
                problems.append(
                    Problem(
                        f"{rec['match_probability_shown']!r} is not a probability",
                        file="labels CSV",
                        row=line,
                        column="match_probability_shown",
                    )
                )
                ok = False
        if not ok:
            continue
        left = (rec["source_dataset_l"].strip(), rec["unique_id_l"].strip())
        right = (rec["source_dataset_r"].strip(), rec["unique_id_r"].strip())
        (sl, ul), (sr, ur) = sorted([left, right])
        text = {k: (str(rec.get(k, "")).strip() or None) for k in ("reviewer", "model_id", "note")}
        rows.append(
            [
                sl,
                ul,
                sr,
                ur,
                _LABEL_VALUES[raw],
                text["reviewer"],
                when,
                text["model_id"],
                shown,
                text["note"],
            ]
        )
    return rows, problems


def import_labels(ws: Workspace, csv_bytes: bytes, actor: str | None = None) -> int:
    """Import clerical labels from CSV (as written by :func:`export_labels`), all or nothing.

    Required columns: ``source_dataset_l``, ``unique_id_l``, ``source_dataset_r``,
    ``unique_id_r``, ``label``; the others of :func:`export_labels` are optional.

    Args:
        ws: The workspace.
        csv_bytes: The file's bytes.
        actor: Who imported them, for the audit log.

    Returns:
        The number of labels imported.

    Raises:
        ValidationError: Naming the row and column of every problem; nothing is written.
    """
    try:
        text = csv_bytes.decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        frame = frame.apply(lambda column: column.map(unescape_cell))
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The labels file is not UTF-8 text.", hint="Save it as CSV (UTF-8) and try again."
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(
            f"The labels file cannot be read as CSV: {first_line(exc)}.",
            hint="Use a file exported from the Review page.",
        ) from exc
    missing = [c for c in REQUIRED_LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            "The labels file lacks required columns.",
            [Problem("column is missing", file="labels CSV", row=1, column=c) for c in missing],
            hint="The header needs " + ", ".join(REQUIRED_LABEL_COLUMNS) + ".",
        )
    if frame.empty:
        raise ValidationError(
            "The labels file has a header but no labels.",
            [Problem("header only, no rows", file="labels CSV", row=1)],
        )
    rows, problems = _parse_label_rows(frame)
    if problems:
        raise ValidationError(
            f"The labels file has {len(problems)} problem(s); nothing was imported.",
            problems,
            hint="Fix the rows named and import the file again.",
        )
    with ws.transaction() as cur:
        insert_labels(cur, rows)
        ws.audit("label.import", detail={"labels": len(rows)}, actor=actor, cur=cur)
    return len(rows)


def model_labels(ws: Workspace, names: Sequence[str]) -> pd.DataFrame:
    """The latest label of every pair whose two records belong to the datasets ``names``."""
    labels = load_labels(ws)
    keep = labels["source_dataset_l"].isin(names) & labels["source_dataset_r"].isin(names)
    return labels[keep].reset_index(drop=True)
