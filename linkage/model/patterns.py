"""Splink's comparison viewer, drawn from a model's stored predictions.

The comparison viewer groups scored pairs by their comparison pattern (the level every column
reached: the ``gamma_*`` vector), counts each pattern, and opens example pairs of a pattern.
Record columns and comparison levels get the names a reader uses (:func:`field_title`,
:func:`short_level`).

Everything here reads the model (:mod:`linkage.clusters.registry`) and its predictions table
and returns DataFrames, dataclasses or Altair charts; pages only draw them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from linkage.clusters.registry import PREDICTIONS_SCHEMA, get_model, predictions_table
from workbench.errors import LinkageError
from workbench.formatting import MISSING, format_count
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

# The commonest patterns drawn; the rest are counted in the caption.
MAX_PATTERNS = 25

_TITLES = {
    "dob": "Date of birth",
    "pnc_id": "PNC ID",
    "cro_number": "CRO number",
    "urn": "URN",
    "source_dataset": "Source",
    "unique_id": "Record id",
    "match_weight": "Match weight",
    "match_probability": "Match probability",
}
#: Record columns that name a record in labels (name and date of birth).
LABEL_FIELDS = ("first_name", "surname", "dob")
#: Match weights coloured red (against a match) to blue (for one), white at zero.
WEIGHT_SCALE = alt.Scale(scheme="redblue", domainMid=0)


def field_title(column: str) -> str:
    """A record column as a reader names it: ``first_name`` -> ``First name``, ``dob`` ->
    ``Date of birth``, ``pnc_id`` -> ``PNC ID``."""
    if column in _TITLES:
        return _TITLES[column]
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def short_level(label: str, column: str) -> str:
    """A comparison level's chart label cut to a few words for a matrix cell.

    ``Jaro-Winkler distance of first_name >= 0.92`` -> ``JW ≥ 0.92``; ``Exact match on
    surname`` -> ``exact``; ``All other comparisons`` -> ``different``; a null level ->
    ``missing``.
    """
    text = str(label).strip()
    lower = text.lower()
    if lower.endswith("is null") or lower == "null":
        return MISSING
    if lower == "all other comparisons":
        return "different"
    names = {column.lower(), field_title(column).lower(), column.lower().replace("_", " ")}
    if column == "dob":
        names.add("date of birth")
    exact = re.match(r"exact match on (.*)$", lower)
    if exact:
        rest = exact.group(1).strip()
        for name in names:
            rest = rest.replace(name, "").strip()
        return f"exact {rest}".strip()
    other = re.match(r"matches the other record's (.*)$", lower)
    if other:
        return f"= {field_title(other.group(1))}"
    text = re.sub(r"Jaro-Winkler( distance| similarity)?( of \S+)?", "JW", text, flags=re.I)
    text = re.sub(r"Levenshtein( distance)?( of \S+)?", "Lev.", text, flags=re.I)
    text = re.sub(r"Damerau-Levenshtein( distance)?( of \S+)?", "D-Lev.", text, flags=re.I)
    text = re.sub(r"Jaccard( distance| similarity)?( of \S+)?", "Jaccard", text, flags=re.I)
    text = text.replace(">=", "≥").replace("<=", "≤")
    text = re.sub(r"^Within ", "≤ ", text)
    text = re.sub(r"\bcharacters?\b", "char.", text)
    first = text.split(" ", 1)[0]
    if first.isalpha() and not first.isupper():
        text = text[:1].lower() + text[1:]
    return text if len(text) <= 16 else text[:15] + "…"


@dataclass(frozen=True)
class Comparison:
    """One comparison of a model: its output column and the label of each level.

    Attributes:
        column: The comparison's output column (``gamma_<column>`` holds its level).
        title: The column as a reader names it.
        labels: Level value (``-1`` for missing) -> the level's chart label.
    """

    column: str
    title: str
    labels: dict[int, str]

    def label(self, value: int) -> str:
        """The chart label of a level value (the value itself when unknown)."""
        return self.labels.get(int(value), str(value))


def model_comparisons(settings: Mapping[str, Any]) -> list[Comparison]:
    """Each comparison in a model's settings with its levels numbered as Splink numbers them
    (the null level ``-1``, the last level ``0``, the first non-null level highest)."""
    out = []
    for comp in settings.get("comparisons", []):
        column = str(comp.get("output_column_name"))
        levels = comp.get("comparison_levels", [])
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        labels: dict[int, str] = {-1: f"{column} is NULL"}
        for i, level in enumerate(non_null):
            labels[len(non_null) - 1 - i] = str(
                level.get("label_for_charts") or level.get("sql_condition")
            )
        out.append(Comparison(column, field_title(column), labels))
    return out


# ------------------------------------------------------------------------------ patterns
@dataclass(frozen=True)
class Patterns:
    """The comparison patterns of a model's stored pairs.

    Attributes:
        table: One row per pattern, commonest first: ``pattern`` (its number, 1 = commonest),
            ``n_pairs``, ``mean_weight``, ``min_weight``, ``max_weight``, ``description``
            (every level in words), then ``gamma_<column>`` and ``mw_<column>`` (the mean
            weight the column added) for each comparison.
        comparisons: The model's comparisons, in settings order.
        n_pairs: All stored pairs.
        n_patterns: All distinct patterns (``table`` may hold only the commonest).
    """

    table: pd.DataFrame
    comparisons: list[Comparison]
    n_pairs: int
    n_patterns: int

    def levels(self, pattern: int) -> dict[str, int]:
        """The level of each comparison (``gamma_<column>`` -> value) in a pattern."""
        row = self.table.loc[self.table["pattern"] == int(pattern)]
        if row.empty:
            raise LinkageError(f"There is no comparison pattern {pattern}.")
        return {
            f"gamma_{c.column}": int(row.iloc[0][f"gamma_{c.column}"]) for c in self.comparisons
        }

    def choice_label(self, pattern: int) -> str:
        """A one-line label of a pattern for a picker."""
        row = self.table.loc[self.table["pattern"] == int(pattern)].iloc[0]
        return (
            f"{int(pattern)} · {format_count(row['n_pairs'])} pairs · weight "
            f"{row['mean_weight']:.1f} · {row['description']}"
        )


def stored_pair_columns(ws: Workspace, model_id: str) -> tuple[Sql, list[str]]:
    """A model's quoted predictions table and its columns, which must hold comparison levels.

    Raises:
        LinkageError: When the model has no stored pairs or they lack ``gamma_*`` columns.
    """
    table = predictions_table(model_id)
    if not ws.table_exists(PREDICTIONS_SCHEMA, f"pred_{model_id}"):
        raise LinkageError(
            "This model has no stored pairs.",
            hint="Train the model again from the Train page to score its pairs.",
        )
    columns = ws.table_columns(PREDICTIONS_SCHEMA, f"pred_{model_id}")
    gammas = [c for c in columns if c.startswith("gamma_")]
    if not gammas:
        raise LinkageError(
            "The stored pairs lack comparison levels.",
            hint="Train the model again: intermediate columns are kept from now on.",
        )
    return table, list(columns)


def comparison_patterns(ws: Workspace, model_id: str, limit: int = MAX_PATTERNS) -> Patterns:
    """Count a model's stored pairs by comparison pattern (Splink's comparison viewer).

    Args:
        ws: The workspace.
        model_id: The model.
        limit: The most patterns returned (the commonest).

    Returns:
        The patterns, commonest first (ties: higher mean weight first).

    Raises:
        LinkageError: When the model has no stored pairs or they lack comparison levels.
    """
    settings = get_model(ws, model_id)["settings"]
    table, columns = stored_pair_columns(ws, model_id)
    known = {c.column: c for c in model_comparisons(settings)}
    comparisons = [
        known.get(g[len("gamma_") :])
        or Comparison(g[len("gamma_") :], field_title(g[len("gamma_") :]), {})
        for g in columns
        if g.startswith("gamma_")
    ]
    group = compose("{gammas}", gammas=[f"gamma_{c.column}" for c in comparisons])
    weights = Sql(
        ", ".join(
            compose("avg({mw}) AS {mw}", mw=f"mw_{c.column}")
            if f"mw_{c.column}" in columns
            else compose("NULL::DOUBLE AS {mw}", mw=f"mw_{c.column}")
            for c in comparisons
        )
    )
    sql = compose(
        "SELECT {group}, count(*) AS n_pairs, avg(match_weight) AS mean_weight, "
        "min(match_weight) AS min_weight, max(match_weight) AS max_weight, {weights} "
        "FROM {table} GROUP BY {group} ORDER BY n_pairs DESC, mean_weight DESC, {group}",
        group=group,
        weights=weights,
        table=table,
    )
    df = ws.query_df(sql)
    n_patterns = len(df)
    n_pairs = int(df["n_pairs"].sum()) if n_patterns else 0
    df = df.head(int(limit)).reset_index(drop=True)
    df.insert(0, "pattern", np.arange(1, len(df) + 1))
    df["description"] = [
        "; ".join(
            f"{c.title}: {short_level(c.label(row[f'gamma_{c.column}']), c.column)}"
            for c in comparisons
        )
        for _, row in df.iterrows()
    ]
    for column in ("n_pairs",):
        df[column] = df[column].astype("int64")
    return Patterns(df, comparisons, n_pairs, n_patterns)


def patterns_caption(patterns: Patterns) -> str:
    """What the pattern chart covers: how many patterns of how many, and their share of pairs."""
    shown = int(patterns.table["n_pairs"].sum()) if len(patterns.table) else 0
    share = shown / patterns.n_pairs if patterns.n_pairs else 0.0
    if len(patterns.table) == patterns.n_patterns:
        return (
            f"All {patterns.n_patterns:,} comparison patterns of the {patterns.n_pairs:,} "
            "stored pairs."
        )
    return (
        f"The {len(patterns.table):,} commonest of {patterns.n_patterns:,} comparison patterns "
        f"(a cap): {shown:,} of the {patterns.n_pairs:,} stored pairs ({share:.0%})."
    )


def patterns_chart(patterns: Patterns) -> alt.HConcatChart:
    """The comparison viewer chart: each pattern's levels as a row of cells, beside a bar of
    how many pairs share it, coloured by its mean match weight.

    Cells are coloured by the mean weight their column added (blue: evidence for a match, red:
    against) and labelled with the level in a few words; tooltips hold the full level labels.
    """
    table = patterns.table
    if table.empty:
        raise LinkageError("There are no scored pairs to group.")
    cells = []
    for _, row in table.iterrows():
        for c in patterns.comparisons:
            level = int(row[f"gamma_{c.column}"])
            weight = row.get(f"mw_{c.column}")
            cells.append(
                {
                    "pattern": int(row["pattern"]),
                    "column": c.title,
                    "level": short_level(c.label(level), c.column),
                    "level_full": c.label(level),
                    "column_weight": None if weight is None or pd.isna(weight) else float(weight),
                }
            )
    cell_frame = pd.DataFrame(cells)
    order = [c.title for c in patterns.comparisons]
    y = alt.Y(
        "pattern:O",
        title="Pattern (commonest first)",
        sort="ascending",
        axis=alt.Axis(labelFontSize=11),
    )
    height = max(180, 22 * len(table))
    width = max(360, 100 * len(order))
    base = alt.Chart(cell_frame).encode(
        y=y,
        x=alt.X(
            "column:N",
            sort=order,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, labelLimit=96, labelFontSize=11),
        ),
        tooltip=[
            alt.Tooltip("pattern:O", title="Pattern"),
            alt.Tooltip("column:N", title="Column"),
            alt.Tooltip("level_full:N", title="Level"),
            alt.Tooltip("column_weight:Q", title="Weight added", format=".2f"),
        ],
    )
    matrix = alt.layer(
        base.mark_rect(stroke="white", strokeWidth=1, opacity=0.55).encode(
            color=alt.Color(
                "column_weight:Q",
                scale=WEIGHT_SCALE,
                title="Weight the column added",
                legend=alt.Legend(orient="bottom", gradientLength=200, titleLimit=260),
            )
        ),
        base.mark_text(fontSize=11, color="#0b0c0c", limit=96).encode(text="level:N"),
    ).properties(width=width, height=height, title="Level each column reached")
    bars_base = alt.Chart(table).encode(
        y=alt.Y("pattern:O", sort="ascending", axis=None),
        tooltip=[
            alt.Tooltip("pattern:O", title="Pattern"),
            alt.Tooltip("n_pairs:Q", title="Pairs", format=","),
            alt.Tooltip("mean_weight:Q", title="Mean match weight", format=".2f"),
            alt.Tooltip("min_weight:Q", title="Lowest", format=".2f"),
            alt.Tooltip("max_weight:Q", title="Highest", format=".2f"),
        ],
    )
    top = float(table["n_pairs"].max())
    x = alt.X(
        "n_pairs:Q",
        title=None,
        scale=alt.Scale(domain=[0, top * 1.25]),
        axis=alt.Axis(orient="top", format=",", tickCount=4),
    )
    bars = alt.layer(
        bars_base.mark_bar().encode(
            x=x,
            color=alt.Color(
                "mean_weight:Q",
                scale=WEIGHT_SCALE,
                title="Mean match weight of the pattern",
                legend=alt.Legend(orient="bottom", gradientLength=160, titleLimit=260),
            ),
        ),
        bars_base.mark_text(align="left", dx=3, fontSize=11, color="#0b0c0c").encode(
            x=x, text=alt.Text("n_pairs:Q", format=",")
        ),
    ).properties(width=230, height=height, title="Pairs with the pattern")
    return (
        alt.hconcat(matrix, bars, spacing=8)
        .resolve_scale(color="independent")
        .configure_view(stroke=None)
        .configure_title(fontSize=13, anchor="start")
    )


def pattern_examples(
    ws: Workspace, model_id: str, levels: Mapping[str, int], limit: int = 5
) -> pd.DataFrame:
    """Example pairs of one comparison pattern: every prediction column, a spread-out sample.

    Args:
        ws: The workspace.
        model_id: The model.
        levels: ``gamma_<column>`` -> level, as :meth:`Patterns.levels` returns.
        limit: The most pairs returned.

    Returns:
        Prediction rows, highest weight first.
    """
    table, columns = stored_pair_columns(ws, model_id)
    unknown = [g for g in levels if g not in columns]
    if unknown:
        raise LinkageError(f"The stored pairs have no comparison {unknown[0]!r}.")
    where = Sql(" AND ".join(compose("{g} = ?", g=g) for g in levels) or "true")
    sql = compose(
        "SELECT * FROM {table} WHERE {where} "
        "ORDER BY hash(source_dataset_l, unique_id_l, source_dataset_r, unique_id_r) LIMIT ?",
        table=table,
        where=where,
    )
    df = ws.query_df(sql, [*(int(v) for v in levels.values()), int(limit)])
    return df.sort_values("match_weight", ascending=False, ignore_index=True)


def cell_text(value: Any) -> str:
    """A record value as text for a table cell (dates without a time; missing as a dash)."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return str(value)


def examples_view(examples: pd.DataFrame, comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Example pairs for reading: one row per pair, its weight, then each record column's left
    and right values side by side under readable names (``First name (left)``...)."""
    out = pd.DataFrame(index=examples.index)
    out["Example"] = np.arange(1, len(examples) + 1)
    out["Match weight"] = examples["match_weight"].round(2)
    out["Match probability"] = examples["match_probability"].round(3)
    fields = ["source_dataset", "unique_id"]
    compared = [c.column for c in comparisons]
    fields += [c for c in compared if f"{c}_l" in examples.columns]
    fields += [
        c[:-2]
        for c in examples.columns
        if c.endswith("_l")
        and c[:-2] not in fields
        and not c.startswith(("gamma_", "mw_", "bf_", "tf_"))
    ]
    for name in fields:
        for side, word in (("l", "left"), ("r", "right")):
            column = f"{name}_{side}"
            if column in examples.columns:
                out[f"{field_title(name)} ({word})"] = examples[column].map(cell_text)
    return out.reset_index(drop=True)


def example_label(row: Mapping[str, Any]) -> str:
    """A one-line label of an example pair: weight, then each record as source and name."""
    return f"{row['match_weight']:.1f} · {_record_label(row, 'l')} ↔ {_record_label(row, 'r')}"


def _record_label(row: Mapping[str, Any], side: str) -> str:
    parts = [row.get(f"{f}_{side}") for f in LABEL_FIELDS]
    words = [cell_text(p) for p in parts if cell_text(p) != MISSING]
    name = " ".join(words[:2]) if len(words) >= 2 else " ".join(words)
    if len(words) == 3:
        name = f"{' '.join(words[:2])}, {words[2]}"
    return f"{row.get(f'source_dataset_{side}')}: {name or 'no name'}"
