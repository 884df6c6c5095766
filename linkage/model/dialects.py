"""A model's settings in either backend's SQL dialect.

A model's settings JSON holds SQL in the dialect it was trained in; :func:`translate_settings`
rewrites it for the other backend, so a model trained on one can score pairs on the other.
"""

from __future__ import annotations

import weakref
from typing import Any

import sqlglot
from sqlglot import exp

from linkage.backends import BACKENDS, DEFAULT_BACKEND, normalise_backend
from workbench.errors import LinkageError, first_line

#: Function names that differ between the dialects (DuckDB name, Spark name).
_RENAMES = (
    ("jaro_winkler_similarity", "jaro_winkler"),
    ("jaro_similarity", "jaro_sim"),
)
#: strftime (DuckDB) and Java (Spark) date format pieces, longest first.
_FORMATS = (("%Y", "yyyy"), ("%m", "MM"), ("%d", "dd"), ("%H", "HH"), ("%M", "mm"), ("%S", "ss"))


def _convert_format(fmt: str, to_spark: bool) -> str:
    for py, java in _FORMATS:
        fmt = fmt.replace(py, java) if to_spark else fmt.replace(java, py)
    return fmt


def _rewrite(node: exp.Expr, target: str) -> exp.Expr:
    to_spark = target == "spark"
    if isinstance(node, exp.JarowinklerSimilarity) and to_spark:
        return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
    if isinstance(node, exp.StrToUnix) and not to_spark:
        # Spark's unix_timestamp(date) is DuckDB's epoch: sqlglot would parse a string.
        as_timestamp = exp.Cast(this=node.this, to=exp.DataType.build("TIMESTAMP"))
        return exp.Anonymous(this="epoch", expressions=[as_timestamp])
    if not isinstance(node, exp.Anonymous):
        return node
    name = str(node.name).lower()
    args = list(node.expressions)
    for duck, spark in _RENAMES:
        if to_spark and name == duck:
            return exp.Anonymous(this=spark, expressions=args)
        if not to_spark and name == spark:
            return exp.Anonymous(this=duck, expressions=args)
    if to_spark and name == "try_strptime" and len(args) == 2 and args[1].is_string:
        fmt = exp.Literal.string(_convert_format(args[1].name, to_spark=True))
        inner = exp.Anonymous(this="try_to_timestamp", expressions=[args[0], fmt])
        return exp.Anonymous(this="date", expressions=[inner])
    if not to_spark and name == "try_to_timestamp" and len(args) == 2 and args[1].is_string:
        fmt = exp.Literal.string(_convert_format(args[1].name, to_spark=False))
        return exp.Anonymous(this="try_strptime", expressions=[args[0], fmt])
    return node


def translate_sql(sql: str, source: str, target: str) -> str:
    """One Splink SQL condition or blocking rule rewritten from one dialect to another.

    Quoting, casts and date arithmetic are translated by sqlglot; the similarity functions
    whose names differ (Jaro-Winkler, Jaro) and date parsing are renamed here.

    Args:
        sql: The SQL text.
        source: Its dialect (``duckdb`` or ``spark``).
        target: The dialect wanted.

    Raises:
        LinkageError: When the SQL cannot be parsed.
    """
    if source == target or not sql.strip() or sql.strip().upper() == "ELSE":
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=source)
    except sqlglot.errors.ParseError as exc:
        raise LinkageError(
            f"The model's SQL {sql!r} cannot be read as {source} SQL: {first_line(exc)}",
            hint="Train the model again on this backend.",
        ) from exc
    tree = tree.transform(lambda node: _rewrite(node, target))
    return tree.sql(dialect=target)


def settings_dialect(settings: dict[str, Any]) -> str:
    """The dialect a settings dict was written in (``duckdb`` when it does not say)."""
    value = str(settings.get("sql_dialect") or DEFAULT_BACKEND).lower()
    return value if value in BACKENDS else DEFAULT_BACKEND


def translate_settings(settings: dict[str, Any], target: str) -> dict[str, Any]:
    """A Splink settings dict rewritten for another backend's SQL dialect.

    Every comparison level's ``sql_condition`` and every blocking rule is translated with
    :func:`translate_sql`; trained parameters (m, u, the prior) are kept as they are.

    Args:
        settings: The settings (as ``save_model_to_json`` wrote them).
        target: ``duckdb`` or ``spark``.

    Returns:
        A new dict with ``sql_dialect`` set to ``target``; the input is unchanged.
    """
    target = normalise_backend(target)
    source = settings_dialect(settings)
    out = _deep_copy(settings)
    out["sql_dialect"] = target
    if source == target:
        return out
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if isinstance(level.get("sql_condition"), str):
                level["sql_condition"] = translate_sql(level["sql_condition"], source, target)
    for key in ("blocking_rules_to_generate_predictions",):
        rules = out.get(key) or []
        for i, rule in enumerate(rules):
            if isinstance(rule, dict):
                rule["blocking_rule"] = translate_sql(rule["blocking_rule"], source, target)
                if "sql_dialect" in rule:
                    rule["sql_dialect"] = target
            elif isinstance(rule, str):
                rules[i] = translate_sql(rule, source, target)
    return out


#: The DuckDB settings a Spark linker was built from (see :func:`remember_source`).
_SOURCES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def remember_source(linker: Any, settings: dict[str, Any]) -> None:
    """Keep the settings (in their own dialect) a linker was built from by translation.

    :func:`settings_in_dialect` then gives the trained model back in that dialect with its
    original SQL, rather than translating the SQL back again.
    """
    _SOURCES[linker] = _deep_copy(settings)


def settings_in_dialect(linker: Any, target: str) -> dict[str, Any]:
    """A linker's trained settings in the ``target`` dialect.

    When the linker was built by translating settings from ``target`` (a model trained on
    Spark from the workbench's DuckDB model), the original SQL is put back beside the
    trained parameters; otherwise the SQL is translated (:func:`translate_settings`).
    """
    trained = linker.misc.save_model_to_json()
    source = _SOURCES.get(linker)
    if source is None or settings_dialect(source) != target:
        return translate_settings(trained, target)
    out = translate_settings(trained, target)
    comparisons = out.get("comparisons", [])
    originals = source.get("comparisons", [])
    same_shape = len(comparisons) == len(originals) and all(
        len(a.get("comparison_levels", [])) == len(b.get("comparison_levels", []))
        for a, b in zip(comparisons, originals, strict=True)
    )
    if same_shape:
        for comparison, original in zip(comparisons, originals, strict=True):
            for level, level0 in zip(
                comparison["comparison_levels"], original["comparison_levels"], strict=True
            ):
                level["sql_condition"] = level0["sql_condition"]
        rules = source.get("blocking_rules_to_generate_predictions")
        if rules is not None and len(rules) == len(
            out.get("blocking_rules_to_generate_predictions") or []
        ):
            out["blocking_rules_to_generate_predictions"] = _deep_copy(rules)
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
