"""A serialisable description of a whole linkage model, in workbench terms.

A :class:`ModelSpec` says which columns are compared and how, which blocking rules generate the
pairs to score, and how the model is trained. It is plain data (JSON round trip) so it can be
shown, edited and stored; :meth:`ModelSpec.to_splink_settings` turns it into real Splink objects.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

from workbench.errors import LinkageError

LINK_TYPES = ("dedupe_only", "link_only", "link_and_dedupe")

#: Comparison kinds and what each means.
COMPARISON_KINDS: dict[str, str] = {
    "name": "Name: exact (with term-frequency adjustment), then Jaro-Winkler levels.",
    "surname": "Surname: as a name.",
    "full_name": "Full name: exact, then Jaro-Winkler levels.",
    "dob": "Date of birth: exact, day/month swapped, one-character typo, within a month, "
    "a year, ten years.",
    "postcode": "Postcode: full, sector, district, area.",
    "email": "E-mail address: full, user name, fuzzy full, fuzzy user name.",
    "exact": "Exact match only.",
    "identifier": "Identifier: exact, then one character different (a typing error).",
    "jaro_winkler": "String similarity: Jaro-Winkler at the given thresholds.",
    "levenshtein": "String edit distance at the given thresholds.",
    "numeric": "Number: exact, then absolute difference within the given thresholds.",
    "date": "Date: exact, then within the given numbers of days.",
}

_DEFAULT_THRESHOLDS: dict[str, list[float]] = {
    "name": [0.92, 0.88, 0.7],
    "surname": [0.92, 0.88, 0.7],
    "full_name": [0.92, 0.8, 0.7],
    "jaro_winkler": [0.92, 0.8],
    "levenshtein": [1, 2],
    "identifier": [1],
    "numeric": [1],
    "date": [1, 30, 365],
}

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_EXPR_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^({_IDENT})$"), "column"),
    (re.compile(rf"^substr\(\s*({_IDENT})\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$", re.I), "substr"),
    (re.compile(rf"^year\(\s*({_IDENT})\s*\)$", re.I), "year"),
    (re.compile(rf"^month\(\s*({_IDENT})\s*\)$", re.I), "month"),
    (re.compile(rf"^lower\(\s*({_IDENT})\s*\)$", re.I), "lower"),
]


def parse_expression(expression: str) -> tuple[str, str, tuple[int, ...]]:
    """Parse one blocking expression.

    Accepted forms: ``col``, ``substr(col, start, length)``, ``year(col)``, ``month(col)``,
    ``lower(col)``.

    Args:
        expression: The expression text.

    Returns:
        ``(kind, column, arguments)``.

    Raises:
        LinkageError: When the expression is not one of the accepted forms.
    """
    text = expression.strip()
    for pattern, kind in _EXPR_PATTERNS:
        match = pattern.match(text)
        if match:
            args = tuple(int(g) for g in match.groups()[1:])
            return kind, match.group(1), args
    raise LinkageError(
        f"The blocking expression {expression!r} is not understood.",
        hint="Use a column name, substr(column, start, length), year(column), month(column) "
        "or lower(column).",
    )


def expression_sql(expression: str, side: str | None = None) -> str:
    """The SQL for a blocking expression, optionally on the ``l`` or ``r`` side of a pair.

    Args:
        expression: A blocking expression (see :func:`parse_expression`).
        side: ``"l"``, ``"r"`` or ``None`` for the bare column.

    Returns:
        DuckDB SQL with the column quoted.
    """
    from workbench.sql import quote_ident

    kind, column, args = parse_expression(expression)
    col = quote_ident(column) if side is None else f"{side}.{quote_ident(column)}"
    if kind == "column":
        return col
    if kind == "substr":
        return f"substr({col}, {args[0]}, {args[1]})"
    return f"{kind}({col})"


@dataclass
class ComparisonSpec:
    """How one column is compared.

    Attributes:
        column: The canonical column name.
        kind: One of :data:`COMPARISON_KINDS`.
        thresholds: Similarity or distance thresholds for the fuzzy levels; ``None`` for the
            kind's defaults.
        term_frequency_adjustments: Weight exact matches on rare values more than common ones.
        input_is_string: For ``dob``/``date``: the column holds text, not a DATE.
        swap_column: For names: the other name column (surname for first_name), so names
            recorded in each other's fields still count as agreement.
        initials: For names: some records hold only an initial, compared at its own level.
        note: Why this comparison was chosen.
    """

    column: str
    kind: str
    thresholds: list[float] | None = None
    term_frequency_adjustments: bool = False
    input_is_string: bool = False
    swap_column: str | None = None
    initials: bool = False
    note: str = ""

    def resolved_thresholds(self) -> list[float]:
        """The thresholds used: those given, or the kind's defaults."""
        if self.thresholds:
            return list(self.thresholds)
        return list(_DEFAULT_THRESHOLDS.get(self.kind, []))

    def to_splink(self) -> ComparisonCreator:
        """Build the Splink comparison.

        Raises:
            LinkageError: When the kind is unknown.
        """
        col = self.column
        kind = self.kind
        th = self.resolved_thresholds()
        tf = self.term_frequency_adjustments
        if kind in ("name", "surname", "full_name"):
            return _name_levels(
                col, th, tf=tf, swap_column=self.swap_column, initials=self.initials
            )
        if kind == "dob":
            return _dob_comparison(col, self.input_is_string)
        if kind == "postcode":
            return cl.PostcodeComparison(col)
        if kind == "email":
            return cl.EmailComparison(col)
        if kind == "exact":
            return cl.ExactMatch(col).configure(term_frequency_adjustments=tf)
        if kind == "identifier":
            return cl.LevenshteinAtThresholds(col, [int(t) for t in th]).configure(
                term_frequency_adjustments=tf
            )
        if kind == "jaro_winkler":
            return _jaro_winkler_levels(col, th, tf=tf)
        if kind == "levenshtein":
            return cl.LevenshteinAtThresholds(col, [int(t) for t in th]).configure(
                term_frequency_adjustments=tf
            )
        if kind == "numeric":
            levels = [cll.NullLevel(col), cll.ExactMatchLevel(col)]
            levels += [cll.AbsoluteDifferenceLevel(col, t) for t in th]
            levels.append(cll.ElseLevel())
            return cl.CustomComparison(comparison_levels=levels, output_column_name=col)
        if kind == "date":
            return cl.AbsoluteDateDifferenceAtThresholds(
                col,
                input_is_string=self.input_is_string,
                metrics=["day"] * len(th),
                thresholds=th,
            )
        raise LinkageError(
            f"The comparison kind {kind!r} on column {col!r} is unknown.",
            hint=f"Use one of: {', '.join(COMPARISON_KINDS)}.",
        )


def _jaro_winkler_levels(col: str, thresholds: list[float], tf: bool) -> ComparisonCreator:
    exact = cll.ExactMatchLevel(col)
    if tf:
        exact = exact.configure(tf_adjustment_column=col)
    levels = [cll.NullLevel(col), exact]
    levels += [cll.JaroWinklerLevel(col, t) for t in sorted(thresholds, reverse=True)]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


def _name_levels(
    col: str,
    thresholds: list[float],
    tf: bool,
    swap_column: str | None,
    initials: bool = False,
) -> ComparisonCreator:
    """Name: exact (term-frequency adjusted), close spellings, swapped fields, loose spelling.

    With ``initials``, a record holding only an initial is compared at its own level first.
    """
    exact = cll.ExactMatchLevel(col)
    if tf:
        exact = exact.configure(tf_adjustment_column=col)
    levels: list[ComparisonLevelCreator] = [cll.NullLevel(col)]
    if initials:
        levels.append(InitialLevel(ColumnExpression(col)))
    levels.append(exact)
    ordered = sorted(thresholds, reverse=True)
    levels += [cll.JaroWinklerLevel(col, t) for t in ordered if t >= 0.88]
    if swap_column:
        levels.append(SwappedColumnsLevel(ColumnExpression(col), ColumnExpression(swap_column)))
    levels += [cll.JaroWinklerLevel(col, t) for t in ordered if t < 0.88]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


def _dob_comparison(col: str, input_is_string: bool) -> ComparisonCreator:
    """Date of birth: Splink's DateOfBirthComparison plus a day/month swap level.

    Splink's own comparison catches one-character typos (Levenshtein on the text) and nearby
    dates, but a day/month swap (03/07 for 07/03) is two characters apart; it only lands in
    "within a year", which many wrong people share. A dedicated swap level gives it the weight
    of a near-exact match.
    """
    expr = ColumnExpression(col)
    date_expr = expr.try_parse_date() if input_is_string else expr
    as_text = expr if input_is_string else expr.cast_to_string()
    levels = [
        cll.NullLevel(date_expr),
        cll.ExactMatchLevel(expr).configure(label_for_charts="Exact match on date of birth"),
        DayMonthSwapLevel(date_expr),
        cll.LevenshteinLevel(as_text, 1).configure(label_for_charts="One character different"),
    ]
    for threshold, metric in ((1, "month"), (1, "year"), (10, "year")):
        levels.append(
            cll.AbsoluteDateDifferenceLevel(
                expr, threshold=threshold, metric=metric, input_is_string=input_is_string
            ).configure(
                label_for_charts=f"Within {threshold} {metric}{'s' if threshold > 1 else ''}"
            )
        )
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


class SwappedColumnsLevel(ComparisonLevelCreator):
    """Both names cross: each record's value in one column equals the other's in the other.

    For forename and surname swapped between systems. One name crossing alone (JOHN THOMAS
    against THOMAS EVANS) is not a swap and does not reach this level. Column names are quoted
    by Splink for the backend in use, so the condition reads the same on DuckDB and on Spark.
    """

    def __init__(self, column: ColumnExpression, other: ColumnExpression) -> None:
        self.column = column
        self.other = other

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        """The level's SQL condition."""
        self.column.sql_dialect = sql_dialect
        self.other.sql_dialect = sql_dialect
        return (
            f"({self.column.name_l} = {self.other.name_r} "
            f"AND {self.column.name_r} = {self.other.name_l})"
        )

    def create_label_for_charts(self) -> str:
        """The level's label in charts."""
        return f"Matches the other record's {self.other.raw_sql_expression}"


class _OneColumnLevel(ComparisonLevelCreator):
    """A custom level on one column, its SQL written by :meth:`condition` from both sides."""

    def __init__(self, col_expression: ColumnExpression) -> None:
        self.col_expression = col_expression

    def condition(self, left: str, right: str) -> str:
        """The SQL condition on the two sides' quoted column expressions."""
        raise NotImplementedError

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        """The level's SQL condition, in the dialect's quoting."""
        self.col_expression.sql_dialect = sql_dialect
        return self.condition(self.col_expression.name_l, self.col_expression.name_r)


class InitialLevel(_OneColumnLevel):
    """One record holds only an initial and it is the other record's initial.

    "D" against "DAVID" (or "D" against "D") is weak evidence: it sits at its own level, before
    the exact match, so an initial never earns the weight of a whole rare name and cannot chain
    different people who share a surname into one cluster.
    """

    def condition(self, left: str, right: str) -> str:
        """The level's SQL condition."""
        return (
            f"(length({left}) = 1 OR length({right}) = 1) "
            f"AND substr({left}, 1, 1) = substr({right}, 1, 1)"
        )

    def create_label_for_charts(self) -> str:
        """The level's label in charts."""
        return "Initial agrees"


class DayMonthSwapLevel(_OneColumnLevel):
    """Dates agree on the year with day and month exchanged (07/03 against 03/07)."""

    def condition(self, left: str, right: str) -> str:
        """The level's SQL condition."""
        return (
            f"year({left}) = year({right}) AND month({left}) = day({right}) "
            f"AND day({left}) = month({right}) AND month({left}) <> day({left})"
        )

    def create_label_for_charts(self) -> str:
        """The level's label in charts."""
        return "Day and month swapped"


@dataclass
class BlockingRuleSpec:
    """A blocking rule: pairs agree exactly on every expression.

    Attributes:
        expressions: Column expressions, e.g. ``["first_name", "substr(surname,1,3)", "dob"]``.
        estimated_comparisons: Measured number of pairs the rule generates on its own.
        note: Why the rule was chosen or refused.
    """

    expressions: list[str]
    estimated_comparisons: int | None = None
    note: str = ""

    def columns(self) -> list[str]:
        """The columns the rule reads."""
        return [parse_expression(e)[1] for e in self.expressions]

    def label(self) -> str:
        """A short human label such as ``first_name + year(dob)``."""
        return " + ".join(e.replace(" ", "") for e in self.expressions)

    def to_splink(self) -> BlockingRuleCreator:
        """Build the Splink blocking rule."""
        parts: list[str | ColumnExpression] = []
        for expression in self.expressions:
            kind, column, args = parse_expression(expression)
            if kind == "column":
                parts.append(column)
            elif kind == "substr":
                parts.append(ColumnExpression(column).substr(args[0], args[1]))
            elif kind == "lower":
                parts.append(ColumnExpression(column).lower())
            else:
                parts.append(f"{kind}({column})")
        return block_on(*parts)


@dataclass
class TrainingPlan:
    """How the model's parameters are estimated.

    Attributes:
        prior_rules: Deterministic rules that admit almost no false matches, used to estimate
            the probability that two random records match.
        prior_recall: The share of true matches those rules are believed to find.
        u_max_pairs: Random pairs sampled to estimate u probabilities.
        u_seed: Seed for that sample (reproducible models).
        em_rules: Blocking rules for expectation maximisation sessions; each must leave every
            compared column free in at least one session.
        em_max_pairs: Pairs sampled per EM session (``None`` for all pairs).
        max_iterations: EM iteration limit per session.
        em_convergence: Largest parameter change at which EM stops.
    """

    prior_rules: list[BlockingRuleSpec] = field(default_factory=list)
    prior_recall: float = 0.7
    u_max_pairs: float = 1e6
    u_seed: int = 1
    em_rules: list[BlockingRuleSpec] = field(default_factory=list)
    em_max_pairs: float | None = None
    max_iterations: int = 25
    em_convergence: float = 0.0001


@dataclass
class ModelSpec:
    """The whole linkage model in workbench terms.

    Attributes:
        link_type: ``dedupe_only``, ``link_only`` or ``link_and_dedupe``.
        comparisons: One per compared column.
        blocking_rules: Rules generating the pairs to score (OR-ed together).
        training: How parameters are estimated.
        comparison_budget: Most pairs blocking may generate.
        notes: Anything left out or adjusted, in plain language.
    """

    link_type: str
    comparisons: list[ComparisonSpec]
    blocking_rules: list[BlockingRuleSpec]
    training: TrainingPlan = field(default_factory=TrainingPlan)
    comparison_budget: int = 50_000_000
    notes: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- checks
    def columns(self) -> list[str]:
        """Every input column the model reads (comparisons and blocking)."""
        seen: dict[str, None] = {}
        for comp in self.comparisons:
            seen[comp.column] = None
        for rule in [*self.blocking_rules, *self.training.prior_rules, *self.training.em_rules]:
            for col in rule.columns():
                seen[col] = None
        return list(seen)

    def validate(self, available_columns: list[str] | None = None) -> None:
        """Check the spec, and that the data has every column it reads.

        Args:
            available_columns: Columns present in the data, when known.

        Raises:
            LinkageError: Listing every problem found.
        """
        problems: list[str] = []
        if self.link_type not in LINK_TYPES:
            problems.append(f"link type {self.link_type!r} is not one of {', '.join(LINK_TYPES)}")
        if not self.comparisons:
            problems.append("there are no comparisons")
        if not self.blocking_rules:
            problems.append("there are no blocking rules")
        for comp in self.comparisons:
            if comp.kind not in COMPARISON_KINDS:
                problems.append(f"comparison kind {comp.kind!r} on {comp.column!r} is unknown")
        for rule in [*self.blocking_rules, *self.training.prior_rules, *self.training.em_rules]:
            try:
                rule.columns()
            except LinkageError as exc:
                problems.append(exc.message)
        if available_columns is not None and not problems:
            missing = [c for c in self.columns() if c not in available_columns]
            if missing:
                problems.append("the data has no column " + ", ".join(repr(c) for c in missing))
        if problems:
            raise LinkageError(
                "The model does not fit: " + "; ".join(problems) + ".",
                hint="Edit the model or map the missing columns on the data.",
            )

    # ----------------------------------------------------------------- splink
    def to_splink_settings(self, keep_intermediate: bool = True) -> SettingsCreator:
        """Build Splink settings.

        Args:
            keep_intermediate: Keep each comparison's level, Bayes factor and the compared
                values on every scored pair (for waterfall charts and pair browsing); without
                them scoring is quicker and lighter.

        Returns:
            A ``splink.SettingsCreator``.
        """
        self.validate()
        return SettingsCreator(
            link_type=self.link_type,
            comparisons=[c.to_splink() for c in self.comparisons],
            blocking_rules_to_generate_predictions=[r.to_splink() for r in self.blocking_rules],
            retain_intermediate_calculation_columns=keep_intermediate,
            retain_matching_columns=keep_intermediate,
            max_iterations=self.training.max_iterations,
            em_convergence=self.training.em_convergence,
        )

    # ------------------------------------------------------------------- json
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-ready data."""
        return asdict(self)

    def to_json(self) -> str:
        """The spec as JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Rebuild a spec from :meth:`to_dict` output.

        Raises:
            LinkageError: When the data is not a model spec.
        """
        try:
            training = dict(data.get("training") or {})
            for key in ("prior_rules", "em_rules"):
                training[key] = [BlockingRuleSpec(**r) for r in training.get(key, [])]
            return cls(
                link_type=data["link_type"],
                comparisons=[ComparisonSpec(**c) for c in data["comparisons"]],
                blocking_rules=[BlockingRuleSpec(**r) for r in data["blocking_rules"]],
                training=TrainingPlan(**training),
                comparison_budget=int(data.get("comparison_budget", 50_000_000)),
                notes=list(data.get("notes", [])),
            )
        except (KeyError, TypeError) as exc:
            raise LinkageError(
                f"This is not a workbench model specification ({exc}).",
                hint="Use a file saved by the workbench, or a Splink model JSON.",
            ) from exc

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        """Rebuild a spec from :meth:`to_json` text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LinkageError(f"The model specification is not valid JSON: {exc}.") from exc
        return cls.from_dict(data)
