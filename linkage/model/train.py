"""Train a Splink model from a :class:`~linkage.model.model_spec.ModelSpec`.

Each training run gets its own ``DuckDBAPI`` (one cannot serve two threads at once). Progress
is reported per step, and every Splink failure is turned into a ``LinkageError`` with advice.
EM that does not converge is recorded on the session summary, not raised.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import splink.internals.em_training_session as _em_session_module
import splink.internals.expectation_maximisation as _em
from splink import DuckDBAPI, Linker

from linkage.backends import DEFAULT_BACKEND, Backend, backend_for, get_backend
from linkage.data import FrameLike, PreparedInput, prepare_frames
from linkage.model.dialects import (
    remember_source,
    settings_dialect,
    settings_in_dialect,
    translate_settings,
)
from linkage.model.model_spec import BlockingRuleSpec, ModelSpec, TrainingPlan
from linkage.model.parameters import fill_untrained, repair_weights, untrained_levels
from linkage.model.rule_choice import fixed_by
from workbench.errors import LinkageError, first_line

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


@dataclass
class EMSessionSummary:
    """What one expectation-maximisation session did.

    Attributes:
        blocking_rule: The session's blocking rule label.
        iterations: Iterations run.
        converged: Whether parameters settled before the iteration limit.
        seconds: Time taken.
    """

    blocking_rule: str
    iterations: int
    converged: bool
    seconds: float


@dataclass
class TrainedModel:
    """A trained model and what is known about its training.

    Attributes:
        linker: The Splink linker (holds the trained parameters).
        db_api: The DuckDBAPI the linker runs on.
        spec: The specification it was trained from.
        data: The prepared input.
        em_sessions: One summary per EM session.
        timings: Seconds per training step.
        warnings: Plain-language warnings (EM not converging, for example).
        em_session_objects: Splink's own EM session objects (for their charts).
        predictions: The last Splink predictions table scored with this model.
        adjustments: Parameters changed after training, each in plain words (levels no
            session observed, m values held off zero, levels pooled so weights never rise as
            agreement loosens).
    """

    linker: Linker
    db_api: DuckDBAPI
    spec: ModelSpec | None
    data: PreparedInput
    em_sessions: list[EMSessionSummary] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    em_session_objects: list[Any] = field(default_factory=list)
    predictions: Any = None
    adjustments: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """Whether every EM session converged."""
        return all(s.converged for s in self.em_sessions)

    @property
    def backend(self) -> str:
        """``duckdb`` or ``spark``: where the linker runs."""
        return self.engine.name

    @property
    def engine(self) -> Backend:
        """The backend the linker runs on."""
        return backend_for(self.db_api)

    def settings_dict(self, dialect: str | None = "duckdb") -> dict[str, Any]:
        """The trained model as Splink settings (what ``save_model_to_json`` writes).

        Args:
            dialect: The SQL dialect wanted: ``duckdb`` by default, so a model trained on
                Spark is stored like any other; ``None`` for the linker's own dialect.
        """
        if dialect is None or dialect == self.backend:
            return self.linker.misc.save_model_to_json()
        return settings_in_dialect(self.linker, dialect)


# ------------------------------------------------------------------------------ ordered EM sums
_EM_SUM = re.compile(r"sum\(((?:\(1-match_probability\)|match_probability) \* \w+|\w+)\)")
_EM_WINDOW_SUM = re.compile(r"sum\((m_count|u_count)\) over \((PARTITION BY output_column_name)\)")
#: The SQL dialect of the EM session running in this thread (see :func:`_em_in_dialect`).
_EM_DIALECT: ContextVar[str | None] = ContextVar("em_dialect", default=None)


def _ordered(sql: str, pattern: re.Pattern[str], replacement: str, what: str) -> str:
    new, n = pattern.subn(replacement, sql)
    if n == 0:
        log.warning("Splink's %s SQL has changed: its sums are left in arrival order", what)
    return new


def _ordered_new_parameters_sql(*args: Any, **kwargs: Any) -> str:
    """Splink's maximisation-step SQL, each sum taken in order of its values (on DuckDB)."""
    sql = _SPLINK_NEW_PARAMETERS_SQL(*args, **kwargs)
    if _EM_DIALECT.get() != DEFAULT_BACKEND:
        return sql
    return _ordered(sql, _EM_SUM, r"sum(\1 ORDER BY \1)", "EM maximisation")


def _ordered_proportions_sql(*args: Any, **kwargs: Any) -> str:
    """Splink's m and u proportions SQL (always run on DuckDB), its totals summed in order."""
    sql = _SPLINK_PROPORTIONS_SQL(*args, **kwargs)
    return _ordered(sql, _EM_WINDOW_SUM, r"list_sum(list_sort(list(\1) over (\2)))", "EM totals")


def _em_in_dialect(db_api: Any, *args: Any, **kwargs: Any) -> Any:
    """Splink's EM loop, with its database's dialect known to the SQL it builds."""
    token = _EM_DIALECT.set(backend_for(db_api).name)
    try:
        return _SPLINK_EM(db_api, *args, **kwargs)
    finally:
        _EM_DIALECT.reset(token)


def use_ordered_em_sums() -> None:
    """Make Splink's EM add its expected counts in a fixed order, so training is deterministic.

    EM's maximisation step sums each agreement pattern's match probability times its count.
    Floating-point addition is not associative, and DuckDB adds rows in whatever order its
    threads deliver them: two trainings on the same data and spec gave m values differing in
    the 16th significant digit, and EM's stopping rule (stop once the largest change is below
    ``em_convergence``) can turn that into one more iteration in one run than the other, so
    that m values differ in the 4th decimal and a few records cluster differently. On DuckDB
    each sum is taken in order of its values (``sum(x ORDER BY x)``: equal values commute, so
    the total is the same however the rows arrive) and the totals per comparison likewise,
    which gives the same model on every run, thread count and input order. The patterns
    table is small (one row per agreement pattern), so this costs next to nothing. Spark's
    sums are left as Spark takes them. Applied once, when this module is imported.
    """
    if _em.expectation_maximisation is not _em_in_dialect:
        _em.expectation_maximisation = _em_in_dialect
        _em.compute_new_parameters_sql = _ordered_new_parameters_sql
        _em.compute_proportions_for_new_parameters_sql = _ordered_proportions_sql
        _em_session_module.expectation_maximisation = _em_in_dialect


_SPLINK_EM = _em.expectation_maximisation
_SPLINK_NEW_PARAMETERS_SQL = _em.compute_new_parameters_sql
_SPLINK_PROPORTIONS_SQL = _em.compute_proportions_for_new_parameters_sql
use_ordered_em_sums()


def parameter_history(linker: Linker) -> list[dict[str, Any]]:
    """Every estimate of every m and u probability made in training, in order.

    Splink keeps these on the linker's comparison levels (they draw its parameter estimates
    chart) but not in the settings JSON; saving them with the model lets the chart be drawn
    for a model reloaded from its settings (see :func:`restore_parameter_history`).

    Args:
        linker: A trained linker.

    Returns:
        One record per estimate: ``comparison``, ``comparison_vector_value``, ``m_or_u``,
        ``probability`` and ``description``.
    """
    out: list[dict[str, Any]] = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            estimates = [*level._trained_u_probabilities, *level._trained_m_probabilities]
            for estimate in estimates:
                probability = estimate.get("probability")
                out.append(
                    {
                        "comparison": comparison.output_column_name,
                        "comparison_vector_value": level.comparison_vector_value,
                        "m_or_u": estimate.get("m_or_u"),
                        "probability": probability
                        if isinstance(probability, int | float)
                        else str(probability),
                        "description": estimate.get("description"),
                    }
                )
    return out


def restore_parameter_history(linker: Linker, history: list[dict[str, Any]]) -> int:
    """Put saved parameter estimates back on a linker rebuilt from settings.

    Args:
        linker: The rebuilt linker (no estimates of its own yet).
        history: Output of :func:`parameter_history` for the same model.

    Returns:
        The number of estimates restored (those whose comparison and level still exist).
    """
    levels: dict[tuple[str, int], Any] = {}
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if not level.is_null_level:
                key = (comparison.output_column_name, level.comparison_vector_value)
                levels[key] = level
                level._trained_m_probabilities = []
                level._trained_u_probabilities = []
    restored = 0
    for record in history:
        level = levels.get((record.get("comparison"), record.get("comparison_vector_value")))
        if level is None:
            continue
        entry = {
            "probability": record.get("probability"),
            "description": record.get("description") or "saved estimate",
            "m_or_u": record.get("m_or_u"),
        }
        if entry["m_or_u"] == "m":
            level._trained_m_probabilities.append(entry)
        elif entry["m_or_u"] == "u":
            level._trained_u_probabilities.append(entry)
        else:
            continue
        restored += 1
    return restored


def _report(progress: Progress | None, message: str, fraction: float) -> None:
    log.info("%s (%.0f%%)", message, fraction * 100)
    if progress is not None:
        progress(message, fraction)


def u_chunks(data: PreparedInput, plan: TrainingPlan) -> int:
    """How many pieces Splink's u estimate splits its random pairs into.

    Splink counts the sampled pairs in ten pieces (after a probe of one hundredth of them) so
    it can stop once every level has been seen often enough. When every pair of records fits
    in the sample, the sample is the whole data and small: one piece counts every pair with one
    query per comparison instead of up to eleven (on Spark, eleven jobs), and a comparison whose
    probe would have stopped early is estimated from all the pairs rather than a hundredth.
    """
    records = sum(len(frame) for frame in data.frames)
    return 1 if records * (records - 1) / 2 <= plan.u_max_pairs else 10


def register_inputs(db_api: Any, data: PreparedInput) -> list[Any]:
    """Register each prepared input on ``db_api`` under its dataset name.

    Returns:
        The Splink dataframes, one per input.
    """
    return backend_for(db_api).register(db_api, data.frames, data.names)


def _settings_for(settings: Any, backend: Backend) -> Any:
    """Settings ready for :func:`build_linker` to translate to ``backend``'s dialect.

    A model file is read into a dict (which holds SQL in the dialect it was trained in); a
    ``SettingsCreator`` is prepared by :meth:`Backend.settings_for_linker`.
    """
    if isinstance(settings, str | os.PathLike):
        try:
            with open(settings, encoding="utf-8") as handle:
                settings = json.load(handle)
        except (OSError, ValueError) as exc:
            raise LinkageError(
                f"The model file {settings} cannot be read: {first_line(exc)}",
                hint="Use a model saved by the workbench or by Splink's save_model_to_json.",
            ) from exc
    return backend.settings_for_linker(settings)


def build_linker(
    data: PreparedInput,
    settings: Any,
    db_api: DuckDBAPI | None = None,
    backend: str | Backend | None = None,
) -> tuple[Linker, DuckDBAPI]:
    """Register the inputs and build a Splink linker with the given settings.

    Args:
        data: The prepared input.
        settings: A ``SettingsCreator``, a settings dict or a path to a model JSON (in either
            backend's SQL dialect: it is translated for the backend used).
        db_api: The Splink database API to use; by default a fresh one for ``backend``.
        backend: ``duckdb`` (default), ``spark`` or a :class:`~linkage.backends.Backend`;
            ignored when ``db_api`` is given.

    Raises:
        LinkageError: When Splink rejects the settings for this data, or the backend is
            unavailable.
    """
    if db_api is not None:
        api = db_api
        engine = backend_for(api)
    else:
        engine = get_backend(backend)
        api = engine.make_api()

    settings = _settings_for(settings, engine)
    source = None
    if isinstance(settings, dict) and settings_dialect(settings) != engine.name:
        source = settings
        settings = translate_settings(settings, engine.name)
    sdfs = engine.register(api, data.frames, data.names)
    try:
        # log_level=None: Splink's messages go through the workbench's logging set-up instead
        # of Splink attaching its own INFO handler on every new linker.
        linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=None)
    except Exception as exc:
        raise LinkageError(
            f"The model does not fit the data: {first_line(exc)}",
            hint="Check every compared column exists in the data with the expected type.",
        ) from exc
    if source is not None:
        remember_source(linker, source)
    return linker, api


def train_model(
    frames: Sequence[FrameLike] | FrameLike | PreparedInput,
    spec: ModelSpec,
    progress: Progress | None = None,
    db_api: DuckDBAPI | None = None,
    backend: str | Backend | None = None,
    keep_intermediate: bool = True,
) -> TrainedModel:
    """Train the model: prior from deterministic rules, u by sampling, m by EM sessions.

    Args:
        frames: The standardised inputs (or an already prepared input).
        spec: The model specification.
        progress: Called with a message and the fraction done after each step.
        db_api: A Splink database API for this run only; a fresh one by default.
        backend: ``duckdb`` (default) or ``spark``, when ``db_api`` is not given.
        keep_intermediate: Score pairs with each comparison's level and Bayes factor (for
            waterfall charts); see :meth:`ModelSpec.to_splink_settings`.

    Returns:
        The trained model.

    Raises:
        LinkageError: When the spec does not fit the data or a training step fails.
    """
    data = frames if isinstance(frames, PreparedInput) else prepare_frames(frames)
    spec.validate(list(data.frames[0].columns))
    if spec.link_type != "dedupe_only" and len(data.frames) < 2:
        raise LinkageError(
            f"Link type {spec.link_type} needs at least two inputs.",
            hint="Use dedupe_only for one dataset.",
        )
    timings: dict[str, float] = {}
    warnings: list[str] = []
    plan = spec.training
    n_steps = 3 + len(plan.em_rules)

    _report(progress, "Preparing the model", 0.0)
    t0 = time.perf_counter()
    linker, api = build_linker(
        data, spec.to_splink_settings(keep_intermediate), db_api, backend=backend
    )
    timings["setup"] = time.perf_counter() - t0

    _report(progress, "Estimating how often two random records match", 1 / n_steps)
    t0 = time.perf_counter()
    try:
        linker.training.estimate_probability_two_random_records_match(
            [r.to_splink() for r in plan.prior_rules], recall=plan.prior_recall
        )
    except Exception as exc:
        raise LinkageError(
            f"The share of matching pairs could not be estimated: {first_line(exc)}",
            hint="The deterministic rules found no pairs; choose rules the data can satisfy "
            "(for example first_name + surname + dob) or lower the stated recall.",
        ) from exc
    timings["prior"] = time.perf_counter() - t0

    _report(progress, "Estimating u probabilities from random pairs", 2 / n_steps)
    t0 = time.perf_counter()
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=plan.u_max_pairs, seed=plan.u_seed, num_chunks=u_chunks(data, plan)
        )
    except Exception as exc:
        raise LinkageError(
            f"u probabilities could not be estimated: {first_line(exc)}",
            hint="Check the compared columns hold values of the expected type.",
        ) from exc
    timings["u"] = time.perf_counter() - t0

    sessions: list[EMSessionSummary] = []
    session_objects: list[Any] = []
    for i, rule in enumerate(plan.em_rules):
        _report(
            progress,
            f"Estimating m probabilities on pairs blocked by {rule.label()}",
            (3 + i) / n_steps,
        )
        ran = _run_em_session(linker, rule, plan, warnings)
        if ran is not None:
            sessions.append(ran[0])
            session_objects.append(ran[1])
            timings[f"em_{len(sessions)}"] = ran[0].seconds
    tried = {tuple(r.expressions) for r in plan.em_rules}
    if plan.em_rules and not sessions:
        # Every planned session failed (EM can break down on a small block): try the others.
        for rule in _extra_em_rules(spec, data, {c.column: [] for c in spec.comparisons}, tried):
            ran = _run_em_session(linker, rule, plan, warnings)
            if ran is not None:
                sessions.append(ran[0])
                session_objects.append(ran[1])
                timings[f"em_{len(sessions)}"] = ran[0].seconds
                break
    if plan.em_rules and not sessions:
        raise LinkageError(
            "Every EM training session failed, so the model has no m probabilities.",
            hint="Choose EM blocking rules that generate pairs (for example dob, or first_name "
            "+ surname) on this data.",
        )
    # A level no session observed gets a further session that leaves its comparison free;
    # a comparison an earlier further session has trained meanwhile gets none.
    for column in list(untrained_levels(linker)):
        if column not in untrained_levels(linker):
            continue
        for rule in _extra_em_rules(spec, data, {column: []}, tried):
            _report(
                progress,
                f"Estimating the remaining levels on pairs blocked by {rule.label()}",
                0.95,
            )
            ran = _run_em_session(linker, rule, plan, warnings)
            if ran is not None:
                sessions.append(ran[0])
                session_objects.append(ran[1])
                timings[f"em_{len(sessions)}"] = ran[0].seconds
    adjustments = fill_untrained(linker) + repair_weights(linker)
    for note in adjustments:
        log.info("parameter adjusted: %s", note)
    _check_untrained(linker, warnings)
    _report(progress, "Training finished", 1.0)
    return TrainedModel(
        linker=linker,
        db_api=api,
        spec=spec,
        data=data,
        em_sessions=sessions,
        timings=timings,
        warnings=warnings,
        em_session_objects=session_objects,
        adjustments=adjustments,
    )


def _run_em_session(
    linker: Linker, rule: BlockingRuleSpec, plan: TrainingPlan, warnings: list[str]
) -> tuple[EMSessionSummary, Any] | None:
    """Run one EM session; a failure becomes a warning and ``None``."""
    t0 = time.perf_counter()
    try:
        kwargs: dict[str, Any] = {}
        if plan.em_max_pairs:
            kwargs["max_pairs"] = plan.em_max_pairs
        session = _em_session(linker, rule, kwargs)
    except Exception as exc:
        message = first_line(exc)
        warnings.append(
            f"The EM session on {rule.label()} failed ({message}); its parameters keep "
            "their earlier estimates."
        )
        log.warning("EM session on %s failed: %s", rule.label(), message)
        return None
    seconds = time.perf_counter() - t0
    history = getattr(session, "_core_model_settings_history", [])
    iterations = max(len(history) - 1, 0)
    converged = iterations < plan.max_iterations
    if not converged:
        warnings.append(
            f"EM on {rule.label()} did not converge in {plan.max_iterations} iterations; "
            "the estimates may be unstable. Try another EM blocking rule or more iterations."
        )
    return EMSessionSummary(rule.label(), iterations, converged, seconds), session


def _em_session(linker: Linker, rule: BlockingRuleSpec, kwargs: dict[str, Any]) -> Any:
    """One EM session, counting comparison patterns once where that works.

    Without term frequencies, EM iterates over the counts of each comparison pattern instead
    of over every pair (term frequencies adjust weights when scoring, not the m estimates).
    On small samples that path can drive an m to exactly zero, which Splink refuses; the
    session then runs over the pairs.
    """
    saved = linker._settings_obj.core_model_settings.copy()
    try:
        return linker.training.estimate_parameters_using_expectation_maximisation(
            rule.to_splink(), estimate_without_term_frequencies=True, **kwargs
        )
    except Exception as exc:
        log.info("EM on %s over pattern counts failed (%s); over pairs", rule.label(), exc)
        _restore(linker, saved)
    try:
        return linker.training.estimate_parameters_using_expectation_maximisation(
            rule.to_splink(), **kwargs
        )
    except Exception:
        _restore(linker, saved)
        raise


def _restore(linker: Linker, saved: Any) -> None:
    """Put the model back as it was before a failed EM session.

    Splink's session narrows the linker's own comparison list to those it estimates and only
    puts the rest back when it succeeds; a failed session would leave the model without the
    comparisons its blocking rule held fixed.
    """
    linker._settings_obj.core_model_settings = saved.copy()


#: Rules tried, in order, for a further EM session when levels are left untrained.
_EXTRA_EM_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("first_name", "surname"),
    ("postcode",),
    ("surname", "year(dob)"),
    ("first_name", "year(dob)"),
    ("surname",),
    ("first_name",),
    ("birth_year",),
    ("town",),
)


def _extra_em_rules(
    spec: ModelSpec, data: PreparedInput, missing: dict[str, list[str]], tried: set[tuple[str, ...]]
) -> list[BlockingRuleSpec]:
    """Rules for further EM sessions that leave each untrained comparison free."""
    if not missing:
        return []
    filled = {
        c
        for c in data.model_columns
        if any(f[c].notna().any() for f in data.frames if c in f.columns)
    }
    out: list[BlockingRuleSpec] = []
    for column in missing:
        for exprs in _EXTRA_EM_OPTIONS:
            rule = BlockingRuleSpec(list(exprs))
            if exprs in tried or not set(rule.columns()) <= filled:
                continue
            if column in fixed_by(rule):
                continue
            tried.add(exprs)
            out.append(rule)
            break
    return out


def _check_untrained(linker: Linker, warnings: list[str]) -> None:
    """Warn about comparison levels left without an m or u estimate."""
    settings = linker.misc.save_model_to_json()
    for comp in settings.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            if level.get("m_probability") is None and level.get("sql_condition") != "ELSE":
                warnings.append(
                    f"The level {level.get('label_for_charts')!r} of "
                    f"{comp.get('output_column_name')} was never observed in training; it uses "
                    "a default weight."
                )
