"""Scoring sampled record pairs in DuckDB with a model's level conditions.

The data checks (:mod:`linkage.quality.redundancy`, :mod:`linkage.quality.recall`) number the
records once per connection (:func:`prepare_records`) and score pairs of record numbers with
:class:`PairScorer` (no term-frequency adjustment).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from linkage.model.train import TrainedModel
from linkage.quality.weight_checks import COLUMN_L, read_levels
from workbench.sql import Sql, compose, quote_ident


@dataclass
class PairScorer:
    """Scores record pairs in DuckDB with the model's level conditions (no TF adjustment)."""

    comparisons: list[str]
    columns: dict[str, str]
    conditions: list[list[str]]
    weights: list[np.ndarray]
    rules: list[str]
    prior_logit: float
    record_columns: list[str]
    link_type: str

    @classmethod
    def build(cls, model: TrainedModel, record_columns: list[str]) -> PairScorer:
        """The scorer for ``model`` over records with ``record_columns``."""
        settings = model.settings_dict()
        levels = read_levels(model, settings)
        comparisons, columns, conditions, weights = [], {}, [], []
        present = set(record_columns)
        for comp, lvs in zip(settings.get("comparisons", []), levels, strict=False):
            name = str(comp.get("output_column_name"))
            used = [c for c in COLUMN_L.findall(" ".join(lv.sql for lv in lvs)) if c in present]
            if not used and name not in present:
                continue
            comparisons.append(name)
            columns[name] = name if name in present else used[0]
            conditions.append([lv.sql for lv in lvs])
            weights.append(np.array([0.0 if lv.is_null else (lv.weight or 0.0) for lv in lvs]))
        rules = []
        for rule in settings.get("blocking_rules_to_generate_predictions", []):
            text = rule.get("blocking_rule") if isinstance(rule, dict) else str(rule)
            if text:
                rules.append(str(text))
        prob = float(settings.get("probability_two_random_records_match") or 1e-4)
        prob = min(max(prob, 1e-12), 1 - 1e-12)
        return cls(
            comparisons=comparisons,
            columns=columns,
            conditions=conditions,
            weights=weights,
            rules=rules,
            prior_logit=math.log2(prob / (1 - prob)),
            record_columns=record_columns,
            link_type=str(settings.get("link_type", "dedupe_only")),
        )

    def sql(self, pairs_table: str, keys: Sequence[Sequence[str]] = ()) -> Sql:
        """SQL giving ``a``, ``b``, ``found``, each comparison's level and exact agreement."""
        inner = ["p.a", "p.b"]
        for c in self.record_columns:
            q = quote_ident(c)
            inner.append(f"l.{q} AS {quote_ident(c + '_l')}")
            inner.append(f"r.{q} AS {quote_ident(c + '_r')}")
        found = " OR ".join(f"({r})" for r in self.rules) or "FALSE"
        inner.append(f"coalesce({found}, FALSE) AS __found")
        for k, key in enumerate(keys):
            same = " AND ".join(f"l.{quote_ident(c)} = r.{quote_ident(c)}" for c in key)
            inner.append(f"coalesce({same}, FALSE) AS __key_{k}")
        outer = ["a", "b", "__found"] + [f"__key_{k}" for k in range(len(keys))]
        for i, (name, conds) in enumerate(zip(self.comparisons, self.conditions, strict=True)):
            whens = " ".join(
                f"WHEN {cond} THEN {j}"
                for j, cond in enumerate(conds)
                if cond.strip().upper() != "ELSE"
            )
            fallback = next(
                (j for j, cond in enumerate(conds) if cond.strip().upper() == "ELSE"), -1
            )
            outer.append(f"CAST(CASE {whens} ELSE {fallback} END AS SMALLINT) AS __g{i}")
            col = self.columns[name]
            left, right = quote_ident(col + "_l"), quote_ident(col + "_r")
            outer.append(
                f"CAST(CASE WHEN {left} IS NULL OR {right} IS NULL THEN -1 "
                f"WHEN {left} = {right} THEN 1 ELSE 0 END AS TINYINT) AS __e{i}"
            )
        return compose(
            "WITH j AS (SELECT {inner} FROM {pairs} p "
            "JOIN __health_rec l ON l.__rid = p.a JOIN __health_rec r ON r.__rid = p.b) "
            "SELECT {outer} FROM j",
            inner=Sql(", ".join(inner)),
            pairs=pairs_table,
            outer=Sql(", ".join(outer)),
        )

    def score(
        self, con: duckdb.DuckDBPyConnection, pairs_table: str, keys: Sequence[Sequence[str]] = ()
    ) -> dict[str, np.ndarray]:
        """Level weights, exact agreement and blocking per pair of ``pairs_table``."""
        data = con.execute(self.sql(pairs_table, keys)).fetchnumpy()
        n = len(data["a"])
        out: dict[str, np.ndarray] = {
            "found": np.asarray(data["__found"], dtype=bool),
            "weights": np.zeros((n, len(self.comparisons))),
            "exact": np.zeros((n, len(self.comparisons)), dtype=np.int8),
        }
        for i, w in enumerate(self.weights):
            g = np.asarray(data[f"__g{i}"], dtype=np.int64)
            out["weights"][:, i] = np.where(g >= 0, w[np.clip(g, 0, len(w) - 1)], 0.0)
            out["exact"][:, i] = np.asarray(data[f"__e{i}"], dtype=np.int8)
        for k in range(len(keys)):
            out[f"key_{k}"] = np.asarray(data[f"__key_{k}"], dtype=bool)
        return out


def prepare_records(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """Number the records once per connection (table ``__health_rec``, column ``__rid``)."""
    columns = [str(r[0]) for r in con.execute("DESCRIBE records").fetchall()]
    made = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '__health_rec'"
    ).fetchall()[0][0]
    if not made:
        con.execute(
            "CREATE TEMP TABLE __health_rec AS SELECT CAST(row_number() OVER "
            "(ORDER BY source_dataset, unique_id) - 1 AS BIGINT) AS __rid, * FROM records"
        )
    n = int(con.execute("SELECT count(*) FROM __health_rec").fetchall()[0][0])
    return n, columns
