"""Measures over a journey table: victim attrition, case timeliness, demand and headlines.

Every function reads one journey table (``journeys.linked`` by default; see
:mod:`workbench.analysis.journeys`) with DuckDB SQL and returns a small, tidy DataFrame. Groupings
are chosen from :data:`GROUPINGS`; filters from a :class:`JourneyFilter`. None of these results is
disclosure-controlled: pass them through :mod:`workbench.disclosure.control` before they leave the
analyst's own view.

Definitions:

- The attrition funnel counts journeys that start with a recorded crime. A step counts the cases
  that reached it and every step before: recorded, suspect identified, charged, first hearing,
  completed, convicted. The period of a case is the period of its offence (``start_date``).
- Timeliness intervals are whole days between two stage dates of the same case; intervals with a
  missing or reversed date are left out. The period of an interval is the period it ends in.
- Demand counts receipts at each stage (crimes recorded, CPS referrals, first hearings) by the
  period of the stage's date, with every period between the first and last filled (zero when
  nothing arrived).
- Outstanding caseload at a date: cases that had their first hearing on or before the date and
  were not completed by then (with ``include_awaiting_hearing``, charged cases awaiting their
  first hearing too).
- Uncertainty: rates carry Wilson 95% intervals (:func:`wilson_interval`); medians carry a
  95% order-statistic interval, the ranks chosen from the binomial distribution
  (:func:`median_rank_interval`).
- Cohort maturity (:func:`maturity`): the days within which 90% of eventually-charged cases
  were charged and 90% of completed cases were completed, counted from the offence; a cohort of
  offences is provisional until that long after its period ends.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd
from scipy.stats import binom

from workbench.analysis.journeys.table import LINKED, journey_table
from workbench.disclosure.control import KEY_SPACE, KEY_SUFFIX
from workbench.errors import MeasureError
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import Sql, compose, placeholders, quote_ident
from workbench.workspace import Workspace

Period = Literal["week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
GROUPINGS: tuple[str, ...] = ("lcjb_area", "offence_group", "victim_based", "court_type", "period")

FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("recorded", "Crime recorded", "true"),
    ("suspect_identified", "Suspect identified", "suspect_identified"),
    ("charged", "Charged or summonsed", "charged"),
    ("first_hearing", "First hearing", "first_hearing_date IS NOT NULL"),
    ("completed", "Completed at court", "completion_date IS NOT NULL"),
    ("convicted", "Convicted", "convicted"),
)

INTERVALS: dict[str, tuple[str, str, str]] = {
    "offence_to_charge": ("offence_date", "charge_date", "Offence to charge"),
    "charge_to_first_hearing": ("charge_date", "first_hearing_date", "Charge to first hearing"),
    "first_hearing_to_completion": (
        "first_hearing_date",
        "completion_date",
        "First hearing to completion",
    ),
    "offence_to_completion": ("offence_date", "completion_date", "Offence to completion"),
}

DEMAND_STAGES: dict[str, tuple[str, str]] = {
    "recorded": ("recorded_date", "Crimes recorded"),
    "referral": ("referral_date", "CPS referrals"),
    "first_hearing": ("first_hearing_date", "Court receipts (first hearings)"),
}

KEY_SALT_SETTING = "disclosure.record_key_salt"
# The two-sided 95% normal quantile, for Wilson intervals and rank intervals.
Z95 = 1.959963984540054
# Share of eventually-finished cases that defines the maturity window of a cohort.
MATURITY_SHARE = 0.9
# Cohorts used to measure maturity: offences at least this many days before the data end.
MATURITY_LOOKBACK_DAYS = 3 * 365

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 3 months", 0, 91),
    ("3 to 6 months", 91, 182),
    ("6 to 12 months", 182, 365),
    ("1 to 2 years", 365, 730),
    ("2 years or more", 730, 1_000_000),
)


@dataclass(frozen=True)
class JourneyFilter:
    """Which journeys a measure looks at. Empty tuples and None mean "all".

    Attributes:
        areas: LCJB areas.
        offence_groups: Offence groups.
        court_types: Court types (``magistrates``, ``Crown``).
        victim_based: Only victim-based (True) or only not victim-based (False) offences.
        start: First date of ``start_date`` (the offence, or the first stage known).
        end: Last date of ``start_date``.
    """

    areas: tuple[str, ...] = ()
    offence_groups: tuple[str, ...] = ()
    court_types: tuple[str, ...] = ()
    victim_based: bool | None = None
    start: date | None = None
    end: date | None = None

    def sql(self) -> tuple[Sql, list[Any]]:
        """The WHERE condition (never empty) and its bound parameters."""
        parts: list[str] = ["true"]
        params: list[Any] = []
        for column, values in (
            ("lcjb_area", self.areas),
            ("offence_group", self.offence_groups),
            ("court_type", self.court_types),
        ):
            if values:
                parts.append(compose("{c} IN ({marks})", c=column, marks=placeholders(len(values))))
                params.extend(values)
        if self.victim_based is not None:
            parts.append("victim_based = ?")
            params.append(bool(self.victim_based))
        if self.start is not None:
            parts.append("start_date >= ?")
            params.append(self.start)
        if self.end is not None:
            parts.append("start_date <= ?")
            params.append(self.end)
        return Sql(" AND ".join(parts)), params


ALL = JourneyFilter()


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise MeasureError(f"Unknown period {period!r}.", hint=f"Use one of {', '.join(PERIODS)}.")


def _groups(
    by: Sequence[str], period: str, period_date: str
) -> tuple[list[Sql], list[str], list[Any]]:
    """SELECT expressions, output names and bound parameters for the groupings asked for."""
    exprs: list[Sql] = []
    names: list[str] = []
    params: list[Any] = []
    for group in by:
        if group not in GROUPINGS:
            raise MeasureError(
                f"Unknown grouping {group!r}.", hint=f"Use any of {', '.join(GROUPINGS)}."
            )
        if group == "period":
            _check_period(period)
            exprs.append(compose("CAST(date_trunc(?, {c}) AS DATE) AS period", c=period_date))
            params.append(period)
        elif group == "victim_based":
            exprs.append(
                Sql(
                    "CASE WHEN victim_based THEN 'victim-based' WHEN NOT victim_based "
                    "THEN 'not victim-based' ELSE 'unknown' END AS victim_based"
                )
            )
        else:
            exprs.append(compose("coalesce({c}, 'unknown') AS {c}", c=group))
        names.append(group)
    return exprs, names, params


def _table(ws: Workspace, table: str, keys: bool = False) -> Sql:
    """The journey table to read; with ``keys``, a subquery adding each journey's record key."""
    if not ws.table_exists("journeys", table):
        raise MeasureError(
            f"There is no journey table {table!r}.",
            hint="Build the journeys (from the active linkage model) first.",
        )
    if not keys:
        return journey_table(table)
    return keyed_source(ws, journey_table(table))


def keyed_source(ws: Workspace, source: str) -> Sql:
    """``source`` with a ``_rk`` column: each journey's secret record key (0 to 2**32 - 1).

    The key is the MD5 of the journey id and the workspace's own secret salt (made on first
    use), so it stays the same across rebuilds and cannot be worked out from the journey id.
    Cell keys are sums of record keys (see :mod:`workbench.disclosure.control`).
    """
    ensure_key_salt(ws)
    return compose(
        "(SELECT j.*, md5_number_lower(j.journey_id || s.salt) % {space} AS _rk "
        "FROM {source} AS j CROSS JOIN (SELECT json_extract_string(value, '$') AS salt "
        "FROM wb.settings WHERE key = {salt_key}) AS s)",
        space=Sql(str(int(KEY_SPACE))),
        source=Sql(source),
        salt_key=Sql("'" + KEY_SALT_SETTING.replace("'", "''") + "'"),
    )


def ensure_key_salt(ws: Workspace) -> None:
    """Make the workspace's record-key salt if it has none yet."""
    if ws.get_setting(KEY_SALT_SETTING):
        return
    if ws.read_only:
        raise MeasureError(
            "This workspace has no disclosure-control key yet and is open read-only.",
            hint="Open it once with write access (for example `workbench init`).",
        )
    ws.set_setting(KEY_SALT_SETTING, secrets.token_hex(16))


def _key(condition: str | None = None) -> Sql:
    """The SQL of a cell key: the sum of record keys, optionally of the rows meeting a condition."""
    if condition is None:
        return compose("CAST(sum(_rk) % {space} AS BIGINT)", space=Sql(str(int(KEY_SPACE))))
    return compose(
        "CAST(sum(_rk) FILTER (WHERE {condition}) % {space} AS BIGINT)",
        condition=Sql(condition),
        space=Sql(str(int(KEY_SPACE))),
    )


def _key_as(name: str, keys: bool) -> Sql:
    """``, <cell key> AS name`` when ``keys``, else nothing."""
    return compose(", {key} AS {name}", key=_key(), name=name) if keys else Sql("")


def _select(exprs: Sequence[str]) -> Sql:
    """SELECT expressions, each followed by a comma (empty when there are none)."""
    return Sql("".join(f"{e}, " for e in exprs))


def _columns(names: Sequence[str], alias: str | None = None) -> Sql:
    """Quoted column names (qualified by a table alias when given), each followed by a comma."""
    if alias is None:
        return _select([quote_ident(n) for n in names])
    return _select([compose("{a}.{c}", a=alias, c=n) for n in names])


def _if(flag: bool, sql: str) -> Sql:
    """Constant SQL text when ``flag`` holds, else nothing."""
    return Sql(sql if flag else "")


# ------------------------------------------------------------------------------ uncertainty
def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% by default).

    Args:
        successes: Cases counted by the rate (the numerator).
        trials: Cases the rate is taken over (the base).
        z: The normal quantile of the confidence level.

    Returns:
        ``(low, high)`` as fractions, or None when the base is zero or unknown.
    """
    if trials is None or successes is None or pd.isna(trials) or pd.isna(successes):
        return None
    n, k = float(trials), float(successes)
    if n <= 0:
        return None
    p = min(max(k / n, 0.0), 1.0)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def median_rank_interval(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """The ranks (1-based, of the sorted values) bounding a distribution-free median interval.

    The number of values below the true median is Binomial(n, 1/2), so the ``j``-th and
    ``(n - j + 1)``-th smallest values cover the median with probability
    ``1 - 2 P(B <= j - 1)``; ``j`` is the largest rank keeping that at least ``confidence``.

    Returns:
        ``(j, n - j + 1)``, or None when ``n`` is too small for any interval at that level.
    """
    if n < 1:
        return None
    alpha = (1 - confidence) / 2
    j = int(binom.ppf(alpha, n, 0.5))  # smallest j with P(B <= j) >= alpha
    while j >= 1 and binom.cdf(j - 1, n, 0.5) > alpha:
        j -= 1
    while binom.cdf(j, n, 0.5) <= alpha:
        j += 1
    if j < 1:
        return None
    return j, n - j + 1


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[Any, Any]:
    """The order-statistic interval of the median of ``values`` ((None, None) when too few)."""
    ordered = sorted(float(v) for v in values)
    ranks = median_rank_interval(len(ordered), confidence)
    if ranks is None:
        return None, None
    return ordered[ranks[0] - 1], ordered[ranks[1] - 1]


@dataclass(frozen=True)
class Maturity:
    """How long a cohort of offences needs before its outcomes are (mostly) known.

    Attributes:
        charge_days: Days from offence within which ``share`` of eventually-charged cases
            were charged.
        completion_days: Days from offence within which ``share`` of completed cases were
            completed.
        share: The share used (0.9 by default).
        cases_charged: Charged cases the charge window is measured on.
        cases_completed: Completed cases the completion window is measured on.
    """

    charge_days: float | None
    completion_days: float | None
    share: float = MATURITY_SHARE
    cases_charged: int = 0
    cases_completed: int = 0


def maturity(
    ws: Workspace,
    table: str = LINKED,
    where: JourneyFilter = ALL,
    share: float = MATURITY_SHARE,
    lookback_days: int = MATURITY_LOOKBACK_DAYS,
) -> Maturity:
    """Measure from the journeys how long cohorts need to finish (see :class:`Maturity`).

    Only offences at least ``lookback_days`` before the last offence in the table are used,
    so slow cases have had time to finish; when there are none, every offence is used.
    """
    source = _table(ws, table)
    cond, params = where.sql()
    sql = compose(
        """
        WITH j AS (SELECT * FROM {source} WHERE offence_date IS NOT NULL AND {cond}),
        cut AS (SELECT max(offence_date) - CAST(? AS INTEGER) AS before FROM j),
        old AS (SELECT j.* FROM j, cut
                WHERE j.offence_date <= cut.before
                   OR (SELECT count(*) FROM j, cut AS c WHERE j.offence_date <= c.before) = 0)
        SELECT quantile_cont(date_diff('day', offence_date, charge_date), ?)
                   FILTER (WHERE charge_date >= offence_date),
               count(*) FILTER (WHERE charge_date >= offence_date),
               quantile_cont(date_diff('day', offence_date, completion_date), ?)
                   FILTER (WHERE completion_date >= offence_date),
               count(*) FILTER (WHERE completion_date >= offence_date)
        FROM old
    """,
        source=source,
        cond=cond,
    )
    row = ws.query(sql, [*params, int(lookback_days), float(share), float(share)])[0]
    return Maturity(
        charge_days=None if row[0] is None else float(row[0]),
        completion_days=None if row[2] is None else float(row[2]),
        share=share,
        cases_charged=int(row[1] or 0),
        cases_completed=int(row[3] or 0),
    )


# ------------------------------------------------------------------------------ attrition
def attrition_funnel(
    ws: Workspace,
    table: str = LINKED,
    by: Sequence[str] = (),
    period: Period = "year",
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """The attrition funnel from crime recorded to conviction.

    Args:
        ws: The workspace.
        table: The journey table.
        by: Groupings from :data:`GROUPINGS` (``period`` is the period of the offence).
        period: week, month, quarter or year, for the ``period`` grouping.
        where: Which journeys to count.
        keys: Add ``cases__key``, the cell key of each count, for disclosure control.

    Returns:
        One row per group and step: the groupings, ``step`` (order 1 to 6), ``stage``, ``label``,
        ``cases``, ``rate_of_previous`` and ``rate_of_recorded`` (fractions; None on a zero base).
    """
    source = _table(ws, table, keys)
    exprs, names, params = _groups(by, period, "start_date")
    cond, fparams = where.sql()
    running = "true"
    counts: list[Sql] = []
    for stage, _label, condition in FUNNEL_STEPS:
        running = f"{running} AND {condition}" if stage != "recorded" else "true"
        counts.append(
            compose(
                "count(*) FILTER (WHERE {running}) AS {stage}", running=Sql(running), stage=stage
            )
        )
        if keys:
            counts.append(
                compose("{key} AS {name}", key=_key(running), name=f"{stage}{KEY_SUFFIX}")
            )
    sql = compose(
        "SELECT {groups}{counts} FROM {source} "
        "WHERE recorded_date IS NOT NULL AND {cond} GROUP BY ALL",
        groups=_select(exprs),
        counts=Sql(", ".join(counts)),
        source=source,
        cond=cond,
    )
    wide = ws.query_df(sql, params + fparams)
    rows = []
    for record in wide.to_dict("records"):
        group_values = {n: record[n] for n in names}
        previous = None
        recorded = record["recorded"]
        for step, (stage, label, _) in enumerate(FUNNEL_STEPS, start=1):
            cases = int(record[stage])
            rows.append(
                {
                    **group_values,
                    "step": step,
                    "stage": stage,
                    "label": label,
                    "cases": cases,
                    "rate_of_previous": cases / previous if previous else None,
                    "rate_of_recorded": cases / recorded if recorded else None,
                    **({f"cases{KEY_SUFFIX}": record[f"{stage}{KEY_SUFFIX}"]} if keys else {}),
                }
            )
            previous = cases
    columns = [*names, "step", "stage", "label", "cases", "rate_of_previous", "rate_of_recorded"]
    columns += [f"cases{KEY_SUFFIX}"] if keys else []
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values([*names, "step"], ignore_index=True)


def attrition_reasons(
    ws: Workspace,
    table: str = LINKED,
    by: Sequence[str] = (),
    period: Period = "year",
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Why recorded crimes leave the journey before a conviction.

    Cases that are not charged leave with their police outcome type (so "evidential difficulties
    — victim does not support action" is its own line; a CPS decision stands in when the police
    outcome is missing; "investigation ongoing" when neither is known). Charged cases leave as
    "charged, not yet at court" or "case outstanding at court", or with their verdict when not
    convicted.

    Returns:
        The groupings, ``left_at`` (``before charge``, ``after charge``, ``at court``),
        ``reason``, ``cases`` and ``share_of_recorded`` (fraction of recorded crimes in the
        group), largest first; with ``keys``, ``cases__key`` too.
    """
    source = _table(ws, table, keys)
    exprs, names, params = _groups(by, period, "start_date")
    cond, fparams = where.sql()
    if names:
        join_totals = compose("JOIN totals AS t USING ({names})", names=list(names))
    else:
        join_totals = Sql("CROSS JOIN totals AS t")
    sql = compose(
        """
        WITH j AS (
            SELECT {groups}
                CASE WHEN NOT charged THEN 'before charge'
                     WHEN first_hearing_date IS NULL THEN 'after charge'
                     ELSE 'at court' END AS left_at,
                CASE WHEN NOT charged THEN coalesce(police_outcome_type, 'CPS: ' || decision,
                                                    'investigation ongoing')
                     WHEN first_hearing_date IS NULL THEN 'charged, not yet at court'
                     WHEN completion_date IS NULL THEN 'case outstanding at court'
                     ELSE coalesce(verdict, 'completed, verdict not recorded') END AS reason,
                convicted{rk}
            FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        ), totals AS (
            SELECT {names}count(*) AS recorded
            FROM j GROUP BY ALL
        )
        SELECT {j_names}j.left_at, j.reason,
               count(*) AS cases, count(*) / any_value(t.recorded) AS share_of_recorded
               {key}
        FROM j {join_totals}
        WHERE NOT j.convicted
        GROUP BY ALL
        ORDER BY {j_names}cases DESC, reason
    """,
        groups=_select(exprs),
        rk=_if(keys, ", _rk"),
        source=source,
        cond=cond,
        names=_columns(names),
        j_names=_columns(names, "j"),
        key=compose(", {key} AS {name}", key=_key(), name=f"cases{KEY_SUFFIX}")
        if keys
        else Sql(""),
        join_totals=join_totals,
    )
    return ws.query_df(sql, params + fparams)


def victim_not_support_share(
    ws: Workspace, table: str = LINKED, where: JourneyFilter = ALL
) -> float | None:
    """Share of recorded crimes closed because the victim does not support action."""
    source = _table(ws, table)
    cond, params = where.sql()
    row = ws.query(
        compose(
            "SELECT count(*) FILTER (WHERE police_outcome_type = ?), count(*) FROM {source} "
            "WHERE recorded_date IS NOT NULL AND {cond}",
            source=source,
            cond=cond,
        ),
        [VICTIM_NOT_SUPPORT, *params],
    )[0]
    return row[0] / row[1] if row[1] else None


# ------------------------------------------------------------------------------ timeliness
def _intervals(intervals: Sequence[str] | None) -> list[str]:
    chosen = list(intervals or INTERVALS)
    unknown = [i for i in chosen if i not in INTERVALS]
    if unknown:
        raise MeasureError(
            f"Unknown interval {unknown[0]!r}.", hint=f"Use any of {', '.join(INTERVALS)}."
        )
    return chosen


def _interval_rows(
    source: Sql,
    chosen: list[str],
    by: Sequence[str],
    period: str,
    cond: Sql,
    fparams: list[Any],
    keys: bool = False,
    ended: tuple[date, date] | None = None,
) -> tuple[Sql, list[str], list[Any]]:
    """A UNION ALL of (interval, groupings, days) rows, one part per interval."""
    parts: list[Sql] = []
    params: list[Any] = []
    names: list[str] = []
    for interval in chosen:
        start, end, _label = INTERVALS[interval]
        exprs, names, gparams = _groups(by, period, end)
        within = compose(" AND {b} BETWEEN ? AND ?", b=end) if ended else Sql("")
        parts.append(
            compose(
                "SELECT ? AS interval, {groups}date_diff('day', {a}, {b}) AS days{rk} "
                "FROM {source} WHERE {a} IS NOT NULL AND {b} IS NOT NULL AND {b} >= {a} "
                "AND {cond}{within}",
                groups=_select(exprs),
                a=start,
                b=end,
                rk=_if(keys, ", _rk"),
                source=source,
                cond=cond,
                within=within,
            )
        )
        params.extend([interval, *gparams, *fparams, *(ended or ())])
    return Sql(" UNION ALL ".join(parts)), names, params


def timeliness(
    ws: Workspace,
    table: str = LINKED,
    intervals: Sequence[str] | None = None,
    by: Sequence[str] = (),
    period: Period = "quarter",
    where: JourneyFilter = ALL,
    keys: bool = False,
    ended: tuple[date, date] | None = None,
    median_ci: bool = False,
) -> pd.DataFrame:
    """Days taken by each stage: n, mean, median (optionally with its 95% interval), percentiles.

    Args:
        ws: The workspace.
        table: The journey table.
        intervals: Names from :data:`INTERVALS`; all by default.
        by: Groupings (``period`` is the period each interval ends in), for trends.
        period: week, month, quarter or year.
        where: Which journeys to include.
        keys: Add ``n__key``, the cell key of each count, for disclosure control.
        ended: Only intervals that ended between these two dates (inclusive), for example a
            rolling 12 months.
        median_ci: Add ``median_low`` and ``median_high``, the order-statistic 95% interval of
            the median (missing under 6 cases). Protect them as statistics of ``n``.

    Returns:
        ``interval``, ``label``, the groupings, ``n``, ``mean``, ``median``, (``median_low``,
        ``median_high``), ``p25``, ``p75``, ``p90`` (days; percentiles interpolated); with
        ``keys``, ``n__key`` too.
    """
    source = _table(ws, table, keys)
    cond, fparams = where.sql()
    union, names, params = _interval_rows(
        source, _intervals(intervals), by, period, cond, fparams, keys, ended
    )
    group_cols = _columns(names)
    key = compose("{key} AS {name}, ", key=_key(), name=f"n{KEY_SUFFIX}") if keys else Sql("")
    sql = compose(
        """
        SELECT interval, {group_cols}count(*) AS n, {key}avg(days) AS mean,
               quantile_cont(days, 0.5) AS median, quantile_cont(days, 0.25) AS p25,
               quantile_cont(days, 0.75) AS p75, quantile_cont(days, 0.9) AS p90,
               {days} AS _days
        FROM ({union}) GROUP BY ALL ORDER BY interval, {group_cols}n
    """,
        group_cols=group_cols,
        key=key,
        days=Sql("list(days)" if median_ci else "NULL"),
        union=union,
    )
    out = ws.query_df(sql, params)
    if median_ci:
        bounds = [median_interval(list(days)) for days in out["_days"]]
        at = list(out.columns).index("median") + 1
        out.insert(at, "median_low", pd.array([b[0] for b in bounds], dtype="Float64"))
        out.insert(at + 1, "median_high", pd.array([b[1] for b in bounds], dtype="Float64"))
    out = out.drop(columns="_days")
    out.insert(1, "label", out["interval"].map(lambda i: INTERVALS[i][2]))
    return out


def timeliness_distribution(
    ws: Workspace,
    interval: str,
    table: str = LINKED,
    bin_days: int = 30,
    max_days: int = 1095,
    by: Sequence[str] = (),
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """A histogram of the days one stage takes.

    Args:
        ws: The workspace.
        interval: A name from :data:`INTERVALS`.
        table: The journey table.
        bin_days: Width of each bin in days.
        max_days: Intervals this long or longer go into one last, open bin.
        by: Groupings (not ``period``).
        where: Which journeys to include.

    Returns:
        The groupings, ``bin_start``, ``bin_end`` (None for the open last bin), ``cases`` and
        ``share`` (of the group's intervals). Empty bins are left out. With ``keys``,
        ``cases__key`` too.
    """
    if bin_days < 1 or max_days < bin_days:
        raise MeasureError("Bins need a width of at least a day and at most max_days.")
    source = _table(ws, table, keys)
    cond, fparams = where.sql()
    union, names, params = _interval_rows(
        source, _intervals([interval]), by, "month", cond, fparams, keys
    )
    key_name = f"cases{KEY_SUFFIX}"
    sql = compose(
        """
        WITH d AS (SELECT {group_cols}least(days, ?) // ? * ? AS bin_start{rk} FROM ({union})),
        c AS (SELECT {group_cols}bin_start, count(*) AS cases{key} FROM d GROUP BY ALL)
        SELECT {group_cols}bin_start,
               CASE WHEN bin_start + ? > ? THEN NULL ELSE bin_start + ? END AS bin_end,
               cases, cases / sum(cases) OVER ({partition}) AS share{key_column}
        FROM c ORDER BY {group_cols}bin_start
    """,
        group_cols=_columns(names),
        rk=_if(keys, ", _rk"),
        union=union,
        key=_key_as(key_name, keys),
        partition=compose("PARTITION BY {names}", names=names) if names else Sql(""),
        key_column=compose(", {name}", name=key_name) if keys else Sql(""),
    )
    bins = [int(max_days), int(bin_days), int(bin_days)]
    return ws.query_df(sql, bins + params + [int(bin_days), int(max_days), int(bin_days)])


def outstanding_caseload(
    ws: Workspace,
    at: date,
    table: str = LINKED,
    by: Sequence[str] = (),
    include_awaiting_hearing: bool = False,
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Open cases at a date and their age profile.

    Args:
        ws: The workspace.
        at: The date at which to count (cases completed on that date are closed).
        table: The journey table.
        by: Groupings (not ``period``).
        include_awaiting_hearing: Also count charged cases awaiting their first hearing.
        where: Which journeys to include.

    Returns:
        The groupings, ``age_band`` (age since first hearing, or since charge while awaiting
        it), ``band_order``, ``cases``, ``mean_age_days``; bands with no cases are left out.
        With ``keys``, ``cases__key`` too.
    """
    source = _table(ws, table, keys)
    if "period" in by:
        raise MeasureError("The outstanding caseload is at one date; group by area or court.")
    exprs, names, gparams = _groups(by, "month", "start_date")
    cond, fparams = where.sql()
    # The bands are constants of this module, inlined.
    bands = Sql(
        " ".join(
            f"WHEN age < {int(hi)} THEN '{label.replace(chr(39), chr(39) * 2)}'"
            for label, _lo, hi in AGE_BANDS
        )
    )
    orders = Sql(
        " ".join(
            f"WHEN age < {int(hi)} THEN {i}" for i, (_l, _lo, hi) in enumerate(AGE_BANDS, start=1)
        )
    )
    sql = compose(
        """
        WITH o AS (
            SELECT {groups}
                   date_diff('day', coalesce(CASE WHEN first_hearing_date <= ?
                                                  THEN first_hearing_date END, charge_date),
                             CAST(? AS DATE)) AS age{rk}
            FROM {source}
            WHERE ((first_hearing_date <= ?
                    AND (completion_date IS NULL OR completion_date > ?))
                   OR (? AND first_hearing_date IS NULL AND charge_date <= ?
                       AND completion_date IS NULL))
              AND {cond}
        )
        SELECT {group_cols}CASE {bands} END AS age_band, CASE {orders} END AS band_order,
               count(*) AS cases, avg(age) AS mean_age_days{key}
        FROM o GROUP BY ALL ORDER BY {group_cols}band_order
    """,
        groups=_select(exprs),
        rk=_if(keys, ", _rk"),
        source=source,
        cond=cond,
        group_cols=_columns(names),
        bands=bands,
        orders=orders,
        key=compose(", {key} AS {name}", key=_key(), name=f"cases{KEY_SUFFIX}")
        if keys
        else Sql(""),
    )
    params = [
        *gparams,
        at,
        at,
        at,
        at,
        bool(include_awaiting_hearing),
        at,
        *fparams,
    ]
    return ws.query_df(sql, params)


# ------------------------------------------------------------------------------ demand
def receipts(
    ws: Workspace,
    table: str = LINKED,
    freq: Literal["week", "month"] = "month",
    by: Sequence[str] = ("lcjb_area",),
    stages: Sequence[str] | None = None,
    where: JourneyFilter = ALL,
    keys: bool = False,
) -> pd.DataFrame:
    """Receipts at each stage per week or month: continuous series ready for forecasting.

    Every series runs from the first to the last period seen at its stage, with zeros where
    nothing arrived. ``court_type`` is ``all`` for the stages before court.

    Args:
        ws: The workspace.
        table: The journey table.
        freq: ``week`` (weeks start on Monday) or ``month``.
        by: ``lcjb_area``, ``offence_group`` and/or ``court_type``.
        stages: Names from :data:`DEMAND_STAGES`; all by default.
        where: Which journeys to include.

    Returns:
        ``stage``, the groupings, ``period`` (first day) and ``receipts``; with ``keys``,
        ``receipts__key`` too (missing where nothing arrived).
    """
    if freq not in ("week", "month"):
        raise MeasureError(f"Unknown frequency {freq!r}.", hint="Use week or month.")
    chosen = list(stages or DEMAND_STAGES)
    unknown = [s for s in chosen if s not in DEMAND_STAGES]
    bad = [g for g in by if g not in ("lcjb_area", "offence_group", "court_type")]
    if unknown or bad:
        raise MeasureError(
            f"Unknown stage or grouping: {(unknown + bad)[0]!r}.",
            hint=f"Stages: {', '.join(DEMAND_STAGES)}; groupings: lcjb_area, offence_group, "
            "court_type.",
        )
    source = _table(ws, table, keys)
    cond, fparams = where.sql()
    names = list(by)
    parts: list[Sql] = []
    params: list[Any] = []
    for stage in chosen:
        column = DEMAND_STAGES[stage][0]
        exprs: list[Sql] = []
        for g in names:
            if g == "court_type" and stage != "first_hearing":
                exprs.append(Sql("'all' AS court_type"))
            else:
                exprs.append(compose("coalesce({g}, 'unknown') AS {g}", g=g))
        parts.append(
            compose(
                "SELECT ? AS stage, {groups}CAST(date_trunc(?, {column}) AS DATE) AS period{rk} "
                "FROM {source} WHERE {column} IS NOT NULL AND {cond}",
                groups=_select(exprs),
                column=column,
                rk=_if(keys, ", _rk"),
                source=source,
                cond=cond,
            )
        )
        params.extend([stage, freq, *fparams])
    group_keys = _columns(names)
    key_name = f"receipts{KEY_SUFFIX}"
    sql = compose(
        """
        WITH ev AS ({union}),
        counts AS (SELECT stage, {group_keys}period, count(*) AS receipts{key}
                   FROM ev GROUP BY ALL),
        bounds AS (SELECT stage, min(period) AS lo, max(period) AS hi FROM counts GROUP BY 1),
        periods AS (
            SELECT stage, CAST(unnest(generate_series(lo, hi, CAST(? AS INTERVAL))) AS DATE)
                   AS period
            FROM bounds
        ),
        series AS (SELECT DISTINCT stage, {series_keys} FROM counts)
        SELECT s.stage, {s_keys}p.period,
               coalesce(c.receipts, 0) AS receipts{c_key}
        FROM series AS s JOIN periods AS p USING (stage)
        LEFT JOIN counts AS c USING ({using})
        ORDER BY s.stage, {s_keys}p.period
    """,
        union=Sql(" UNION ALL ".join(parts)),
        group_keys=group_keys,
        key=_key_as(key_name, keys),
        series_keys=compose("{names}", names=names) if names else Sql("NULL AS none_"),
        s_keys=_columns(names, "s"),
        c_key=compose(", c.{name}", name=key_name) if keys else Sql(""),
        using=compose("{cols}", cols=["stage", *names, "period"]),
    )
    out = ws.query_df(sql, [*params, f"1 {freq}"])
    out["receipts"] = out["receipts"].astype("int64")
    return out


# ------------------------------------------------------------------------------ headlines
def headline_measures(
    ws: Workspace, table: str = LINKED, where: JourneyFilter = ALL
) -> pd.DataFrame:
    """The headline measures used to compare journey tables (for example linkage thresholds).

    Returns:
        ``measure``, ``court_type`` (``all`` unless by court), ``value`` and ``base`` (cases the
        value is computed from): ``charge_rate`` (charged of recorded),
        ``victim_not_support_share`` (of recorded), ``conviction_rate`` (convicted of
        completed) and ``median_offence_to_completion`` (days) by court type.
    """
    source = _table(ws, table)
    cond, params = where.sql()
    sql = compose(
        """
        SELECT 'charge_rate' AS measure, 'all' AS court_type,
               count(*) FILTER (WHERE charged) / nullif(count(*), 0) AS value, count(*) AS base
        FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'victim_not_support_share', 'all',
               count(*) FILTER (WHERE police_outcome_type = ?) / nullif(count(*), 0), count(*)
        FROM {source} WHERE recorded_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'conviction_rate', 'all',
               count(*) FILTER (WHERE convicted) / nullif(count(*), 0), count(*)
        FROM {source} WHERE completion_date IS NOT NULL AND {cond}
        UNION ALL
        SELECT 'median_offence_to_completion', coalesce(court_type, 'unknown'),
               quantile_cont(date_diff('day', offence_date, completion_date), 0.5), count(*)
        FROM {source}
        WHERE completion_date IS NOT NULL AND offence_date IS NOT NULL
          AND completion_date >= offence_date AND {cond}
        GROUP BY 2
    """,
        source=source,
        cond=cond,
    )
    out = ws.query_df(sql, [*params, VICTIM_NOT_SUPPORT, *params, *params, *params])
    order = {"charge_rate": 0, "victim_not_support_share": 1, "conviction_rate": 2}
    out["_o"] = out["measure"].map(order).fillna(3)
    return out.sort_values(["_o", "court_type"]).drop(columns="_o").reset_index(drop=True)
