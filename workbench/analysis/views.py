"""What the Attrition, Timeliness, Journeys and LCJB dashboard pages show, without Streamlit.

Each ``*_view`` function computes one measure from :mod:`workbench.analysis.measures` for a
filter, applies
disclosure control when ``protect`` is true (always, for a leader) and returns a :class:`View`:
the data for the chart (hidden values missing), a readable table for the table view and the CSV
download (hidden values written as ``suppressed``) and the disclosure note.

"National" means every area in the workspace's journey table, with the same filters apart from
the area.

Every series shows bases beside its values and 95% intervals (Wilson for rates, order-statistic
for medians); values from fewer than :func:`min_base` cases are withheld for everyone, with the
reason. Periods are whole periods inside the data; offence cohorts still within their maturity
window are marked provisional, and headlines and changes use only complete periods. Timeliness
is always by court type.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from workbench.analysis.headlines import clear_change, format_period, headlines_from_kpis, plural
from workbench.analysis.journeys.build import active_model, build_info, model_name
from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED, journey_table
from workbench.analysis.measures.attrition import attrition_funnel, attrition_reasons
from workbench.analysis.measures.caseload import outstanding_caseload
from workbench.analysis.measures.maturity import Maturity, maturity
from workbench.analysis.measures.query import ALL, JourneyFilter
from workbench.analysis.measures.timeliness import INTERVALS, timeliness, timeliness_distribution
from workbench.analysis.measures.uncertainty import wilson_interval
from workbench.disclosure import control as sdc
from workbench.errors import AccessDeniedError, JourneyError
from workbench.formatting import format_date
from workbench.reference import VICTIM_NOT_SUPPORT
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

log = logging.getLogger(__name__)

NATIONAL = "National"
HIDDEN = "suppressed"
# Measure -> (short label, unit, headline subject).
MEASURES: dict[str, tuple[str, str, str]] = {
    "charge_rate": ("Charge rate", "rate", "The charge rate"),
    "victim_not_support_share": (
        "Victim does not support action",
        "rate",
        "The share of crimes closed because the victim did not support action",
    ),
    "conviction_rate": ("Conviction rate", "rate", "The conviction rate"),
    **{
        f"median_{k}": (f"Median days, {v[2].lower()}", "days", f"Median time from {v[2].lower()}")
        for k, v in INTERVALS.items()
    },
}
DASHBOARD_MEASURES = (
    "charge_rate",
    "victim_not_support_share",
    "conviction_rate",
    "median_charge_to_first_hearing",
    "median_offence_to_completion",
)
# How many periods a trend shows, ending with the last whole one.
SPAN = {"year": 8, "quarter": 16, "month": 36, "week": 104}
# Rates and medians from fewer cases than this are withheld for everyone (see min_base).
MIN_BASE = 30
MIN_BASE_SETTING = "analysis.min_base"
# Offence-cohort rates -> the maturity window (an attribute of measures.Maturity) they need.
COHORT_WINDOW = {
    "charge_rate": "charge_days",
    "victim_not_support_share": "charge_days",
    "conviction_rate": "completion_days",
}
# What the numerator of each rate counts, for tables.
NUMERATORS = {
    "charge_rate": "Charged",
    "victim_not_support_share": "Victim does not support",
    "conviction_rate": "Convicted",
}
COURT_NAMES = {"magistrates": "magistrates' courts", "Crown": "the Crown Court"}


def min_base(ws: Workspace) -> int:
    """The smallest base a rate or median is shown from: the workspace setting
    ``analysis.min_base``, or :data:`MIN_BASE`."""
    value = ws.get_setting(MIN_BASE_SETTING, MIN_BASE)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return MIN_BASE


def set_min_base(ws: Workspace, value: int) -> None:
    """Store the smallest base a rate or median is shown from (at least 1)."""
    if int(value) < 1:
        raise JourneyError("The minimum base must be a whole number of at least 1.")
    ws.set_setting(MIN_BASE_SETTING, int(value))


@dataclass(frozen=True)
class View:
    """One measure ready to show.

    Attributes:
        data: For the chart; values hidden by disclosure control are missing.
        table: For the table view and the CSV download, with readable column names.
        note: The disclosure note (None when disclosure control was not asked for).
        not_applicable: Cells of ``table`` that do not apply (row number, column name), such
            as the first funnel step's rate of the step before; published as ``[z]``.
    """

    data: pd.DataFrame
    table: pd.DataFrame
    note: str | None = None
    not_applicable: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class JourneyStatus:
    """Whether the journey table can be used.

    Attributes:
        state: ``no_model``, ``missing``, ``stale`` or ``current``.
        message: A sentence saying which.
        info: The recorded build, when there is one.
    """

    state: str
    message: str
    info: dict[str, Any] | None = None

    @property
    def usable(self) -> bool:
        """Whether there is a journey table to read (current or stale)."""
        return self.state in ("current", "stale")


# ------------------------------------------------------------------------------ scope
def journey_status(ws: Workspace) -> JourneyStatus:
    """Whether the linked journey table exists and matches the active model and threshold."""
    info = build_info(ws, LINKED)
    exists = info is not None and ws.table_exists(JOURNEY_SCHEMA, LINKED)
    active = active_model(ws)
    if active is None:
        if exists:
            return JourneyStatus(
                "stale", "The journeys were built from a model that is no longer active.", info
            )
        return JourneyStatus(
            "no_model",
            "There is no active linkage model yet, so there are no linked journeys to measure.",
        )
    if not exists:
        return JourneyStatus("missing", "The linked journey table has not been built yet.")
    model_id, threshold = active
    if info["model_id"] != model_id or info["threshold"] is None:
        return JourneyStatus(
            "stale",
            f"The journeys were built from the model {info['model_label']}; the active model is "
            f"{model_name(ws, model_id)}.",
            info,
        )
    if abs(float(info["threshold"]) - threshold) > 1e-9:
        return JourneyStatus(
            "stale",
            f"The journeys were built at threshold {info['threshold']:.3f}; the active model's "
            f"clusters are at {threshold:.3f}.",
            info,
        )
    return JourneyStatus(
        "current",
        f"Built on {format_date(info['built_at'])}, {pd.Timestamp(info['built_at']):%H:%M} UTC, "
        "from the model "
        f"{info['model_label']} at threshold {threshold:.3f}.",
        info,
    )


def _distinct(ws: Workspace, column: str) -> list[str]:
    rows = ws.query(
        compose(
            "SELECT DISTINCT {col} FROM {t} WHERE {col} IS NOT NULL ORDER BY 1",
            col=column,
            t=journey_table(LINKED),
        )
    )
    return [str(r[0]) for r in rows]


def filter_options(ws: Workspace, allowed: Sequence[str] | None) -> dict[str, list[str]]:
    """The choices for the filters: areas (only those allowed), offence groups, court types."""
    areas = _distinct(ws, "lcjb_area")
    if allowed is not None:
        areas = [a for a in areas if a in set(allowed)]
    return {
        "areas": areas,
        "offence_groups": _distinct(ws, "offence_group"),
        "court_types": _distinct(ws, "court_type"),
    }


def scoped_filter(
    allowed: Sequence[str] | None,
    areas: Sequence[str] = (),
    offence_groups: Sequence[str] = (),
    court_types: Sequence[str] = (),
    victim_based: bool | None = None,
) -> JourneyFilter:
    """A filter that never reaches past the areas a user is allowed to see.

    Args:
        allowed: The user's areas (None means every area).
        areas: Areas chosen; none chosen means all the allowed ones.
        offence_groups: Offence groups chosen (none: all).
        court_types: Court types chosen (none: all).
        victim_based: Only victim-based (True), only not (False), or both (None).

    Raises:
        AccessDeniedError: When the user may see no area, or chose one they may not see.
    """
    chosen = tuple(areas)
    if allowed is not None:
        if not allowed:
            raise AccessDeniedError("Your account is not allowed to see any area yet.")
        outside = [a for a in chosen if a not in set(allowed)]
        if outside:
            raise AccessDeniedError(f"Your account is not allowed to see {outside[0]}.")
        chosen = chosen or tuple(allowed)
    return JourneyFilter(
        areas=chosen,
        offence_groups=tuple(offence_groups),
        court_types=tuple(court_types),
        victim_based=victim_based,
    )


def data_end(ws: Workspace) -> date:
    """The last date any stage was recorded in the journey table."""
    sql = compose(
        "SELECT greatest(max(recorded_date), max(referral_date), max(first_hearing_date), "
        "max(completion_date)) FROM {t}",
        t=journey_table(LINKED),
    )
    row = ws.query(sql)
    if not row or row[0][0] is None:
        raise JourneyError("The journey table holds no dated stages.")
    return pd.Timestamp(row[0][0]).date()


def data_span(ws: Workspace) -> tuple[date, date]:
    """The first and last dates any stage was recorded in the journey table."""
    cols = ("recorded_date", "referral_date", "first_hearing_date", "completion_date")
    first = Sql(", ".join(compose("min({c})", c=c) for c in cols))
    sql = compose("SELECT least({first}) FROM {t}", first=first, t=journey_table(LINKED))
    row = ws.query(sql)
    if not row or row[0][0] is None:
        raise JourneyError("The journey table holds no dated stages.")
    return pd.Timestamp(row[0][0]).date(), data_end(ws)


def court_types(ws: Workspace, where: JourneyFilter) -> list[str]:
    """The court types a filter covers: those chosen, or every one in the journeys."""
    return list(where.court_types) or _distinct(ws, "court_type")


def court_filter(where: JourneyFilter, court_type: str) -> JourneyFilter:
    """The filter narrowed to one court type."""
    return replace(where, court_types=(court_type,))


def court_name(court_type: str) -> str:
    """``magistrates' courts`` or ``the Crown Court``."""
    return COURT_NAMES.get(court_type, court_type)


def court_title(court_type: str) -> str:
    """``Magistrates' courts`` or ``Crown Court``, for a heading or a tab."""
    return {"magistrates": "Magistrates' courts", "Crown": "Crown Court"}.get(
        court_type, court_type
    )


def latest_complete_period(end: date, period: str) -> pd.Timestamp:
    """The first day of the last whole period that ends on or before ``end``."""
    following = pd.Timestamp(end) + pd.Timedelta(days=1)
    if period == "week":
        start = following - pd.Timedelta(days=following.weekday())
    elif period == "month":
        start = pd.Timestamp(following.year, following.month, 1)
    elif period == "quarter":
        start = pd.Timestamp(following.year, 3 * ((following.month - 1) // 3) + 1, 1)
    else:
        start = pd.Timestamp(following.year, 1, 1)
    step = {"week": {"weeks": 1}, "month": {"months": 1}, "quarter": {"months": 3}}
    return start - pd.DateOffset(**step.get(period, {"years": 1}))


# ------------------------------------------------------------------------------ formatting
def _readable(
    frame: pd.DataFrame,
    hidden: pd.DataFrame | None = None,
    rates: Sequence[str] = (),
    days: Sequence[str] = (),
) -> pd.DataFrame:
    """Rates as percentages, days rounded; hidden values ``suppressed``, other gaps blank."""
    out = frame.copy()

    def show(col: str, fmt: Any) -> list[Any]:
        flags = (
            hidden[col].reindex(out.index, fill_value=False)
            if hidden is not None and col in hidden.columns
            else pd.Series(False, index=out.index)
        )
        return [
            (HIDDEN if flag else "") if pd.isna(v) else fmt(v)
            for v, flag in zip(out[col], flags, strict=True)
        ]

    for col in out.columns:
        if col in rates:
            out[col] = show(col, lambda v: f"{float(v) * 100:.1f}%")
        elif col in days:
            out[col] = show(col, lambda v: round(float(v), 1))
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date
        elif out[col].isna().any() and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = show(col, int)
    for col in out.columns:
        kinds = {isinstance(v, str) for v in out[col]}
        if kinds == {True, False}:
            out[col] = ["" if v is None else str(v) for v in out[col]]
    out.columns = [str(c).replace("_", " ").capitalize() for c in out.columns]
    return out


# ------------------------------------------------------------------------------ attrition
def funnel_view(
    ws: Workspace, where: JourneyFilter, protect: bool, minimum: int | None = None
) -> View:
    """The attrition funnel for the filter; a rate whose base (the step before, or the crimes
    recorded) is under the minimum base is withheld, with the reason in the table."""
    funnel = attrition_funnel(ws, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_funnel(funnel)
        funnel, note, hidden = result.table, result.note, result.hidden
    minimum = min_base(ws) if minimum is None else int(minimum)
    cases = pd.to_numeric(funnel["cases"], errors="coerce")
    bases = {
        "rate_of_previous": cases.shift(1),
        "rate_of_recorded": cases.iloc[:1].reindex(funnel.index, method="ffill"),
    }
    withheld = {}
    for col, base in bases.items():
        withheld[col] = (base < minimum).fillna(False) & funnel[col].notna()
        funnel[col] = pd.to_numeric(funnel[col], errors="coerce").astype("Float64")
        funnel.loc[withheld[col], col] = pd.NA
    table = _readable(
        funnel[["step", "label", "cases", "rate_of_previous", "rate_of_recorded"]],
        hidden,
        rates=("rate_of_previous", "rate_of_recorded"),
    )
    for col, mask in withheld.items():
        name = col.replace("_", " ").capitalize()
        table[name] = [
            f"withheld: fewer than {minimum} cases" if w else v
            for v, w in zip(table[name], mask, strict=True)
        ]
    return View(funnel, table, note, not_applicable=((0, "Rate of previous"),))


def reasons_view(ws: Workspace, where: JourneyFilter, protect: bool) -> View:
    """Why recorded crimes leave before a conviction, summed over the filter."""
    reasons = attrition_reasons(ws, where=where, keys=protect)
    funnel = attrition_funnel(ws, where=where, keys=protect)
    first = funnel.iloc[0] if len(reasons) and len(funnel) else None
    reasons = reasons.assign(recorded=int(first["cases"]) if first is not None else 0)
    if protect:
        key = f"cases{sdc.KEY_SUFFIX}"
        reasons[f"recorded{sdc.KEY_SUFFIX}"] = first[key] if first is not None else None
    reasons["victim_not_support"] = reasons["reason"] == VICTIM_NOT_SUPPORT
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(
            reasons,
            counts=["cases"],
            rates={"share_of_recorded": ("cases", "recorded")},
            bases=["recorded"],
        )
        reasons, note, hidden = result.table, result.note, result.hidden
    table = _readable(
        reasons[["left_at", "reason", "cases", "share_of_recorded"]],
        hidden,
        rates=("share_of_recorded",),
    )
    return View(reasons.drop(columns="recorded"), table, note)


# ------------------------------------------------------------------------------ series
def _rate_frame(
    measure: str, index: pd.Index, numerator: pd.DataFrame, base: pd.DataFrame, keys: bool
) -> pd.DataFrame:
    """One rate measure per group and period; ``numerator`` and ``base`` hold ``cases`` (and
    keys), indexed like ``index`` (groupings and period)."""
    key = f"cases{sdc.KEY_SUFFIX}"
    numerator = numerator.reindex(index)
    denominator = base["cases"].where(base["cases"] > 0)
    frame = index.to_frame(index=False)
    frame.insert(0, "measure", measure)
    frame["court_type"] = "all"
    frame["value"] = (numerator["cases"].fillna(0) / denominator).to_numpy()
    frame["base"] = base["cases"].to_numpy()
    frame["numerator"] = numerator["cases"].fillna(0).to_numpy()
    if keys:
        frame[f"base{sdc.KEY_SUFFIX}"] = base[key].to_numpy()
        frame[f"numerator{sdc.KEY_SUFFIX}"] = numerator[key].to_numpy()
    return frame


def measure_series(
    ws: Workspace,
    where: JourneyFilter,
    period: str,
    measures: Sequence[str] = DASHBOARD_MEASURES,
    keys: bool = False,
    groups: Sequence[str] = (),
) -> pd.DataFrame:
    """Measures per period: ``measure``, ``court_type``, ``period``, ``value``, ``low`` and
    ``high`` (medians: the order-statistic 95% interval; rates: filled by
    :func:`annotate_series`), ``base`` (cases behind it) and ``numerator`` (the cases counted by
    a rate; missing for medians).

    Rates are by the period of the offence (``court_type`` is ``all``); medians by the period
    the interval ends in, one row per court type, never across court types. ``groups`` adds
    groupings (for example ``lcjb_area``). With ``keys``, ``base__key`` and ``numerator__key``
    hold the cell keys for disclosure control.
    """
    frames = []
    extra = list(groups)
    idx = [*extra, "period"]
    if {"charge_rate", "conviction_rate", "victim_not_support_share"} & set(measures):
        funnel = attrition_funnel(ws, by=idx, period=period, where=where, keys=keys)
        step = {s: funnel[funnel["stage"] == s].set_index(idx) for s in funnel["stage"].unique()}
        if len(funnel):
            rec, done = step["recorded"], step["completed"]
            if "charge_rate" in measures:
                frames.append(_rate_frame("charge_rate", rec.index, step["charged"], rec, keys))
            if "conviction_rate" in measures:
                frames.append(
                    _rate_frame("conviction_rate", done.index, step["convicted"], done, keys)
                )
            if "victim_not_support_share" in measures:
                reasons = attrition_reasons(ws, by=idx, period=period, where=where, keys=keys)
                vns = reasons[reasons["reason"] == VICTIM_NOT_SUPPORT].set_index(idx)
                frames.append(_rate_frame("victim_not_support_share", rec.index, vns, rec, keys))
    intervals = [k.removeprefix("median_") for k in measures if k.startswith("median_")]
    if intervals:
        times = timeliness(
            ws,
            intervals=intervals,
            by=[*extra, "court_type", "period"],
            period=period,
            where=where,
            keys=keys,
            median_ci=True,
        )
        times = times[times["court_type"] != "unknown"]
        frame = times[[*extra, "court_type", "period"]].copy()
        frame.insert(0, "measure", "median_" + times["interval"])
        frame["value"] = times["median"]
        frame["low"] = times["median_low"]
        frame["high"] = times["median_high"]
        frame["base"] = times["n"]
        frame["numerator"] = pd.NA
        if keys:
            frame[f"base{sdc.KEY_SUFFIX}"] = times[f"n{sdc.KEY_SUFFIX}"]
        frames.append(frame)
    columns = ["measure", *extra, "court_type", "period", "value", "low", "high", "base"]
    if not frames:
        return pd.DataFrame(columns=[*columns, "numerator"])
    out = pd.concat([f for f in frames if len(f)] or frames, ignore_index=True)
    for col in ("low", "high"):
        if col not in out.columns:
            out[col] = pd.NA
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
    out["period"] = pd.to_datetime(out["period"])
    out["base"] = out["base"].astype("int64")
    return out.sort_values(["measure", *extra, "court_type", "period"], ignore_index=True)


def _protect_series(
    series: pd.DataFrame, protect: bool
) -> tuple[pd.DataFrame, str | None, pd.DataFrame | None]:
    """Disclosure control of a measure series: counts adjusted by their cell keys, rates from
    adjusted counts, hidden when their numerator or base is small; medians and their
    intervals hidden when their base is small."""
    if not protect:
        return series, None, None
    is_rate = series["measure"].map(lambda k: MEASURES[k][1] == "rate").astype(bool)
    parts, hiddens, notes = [], [], []
    for mask, kind in ((is_rate, "rate"), (~is_rate, "days")):
        part = series[mask]
        if part.empty:
            continue
        if kind == "rate":
            part = part.assign(numerator=pd.to_numeric(part["numerator"]).astype("int64"))
            result = sdc.protect_frame(
                part, counts=["base", "numerator"], rates={"value": ("numerator", "base")}
            )
        else:
            part = part.drop(columns=[f"numerator{sdc.KEY_SUFFIX}"], errors="ignore")
            result = sdc.protect_frame(
                part, counts=["base"], statistics=dict.fromkeys(("value", "low", "high"), "base")
            )
        parts.append(result.table)
        hiddens.append(result.hidden)
        notes.append(result.note)
    if not parts:
        empty = series.drop(columns=[c for c in series if c.endswith(sdc.KEY_SUFFIX)])
        return empty, None, None
    table = pd.concat(parts).sort_index()
    hidden = pd.concat(hiddens).sort_index().fillna(False).astype(bool)
    return table, notes[0], hidden


# ------------------------------------------------------------------------------ maturity
@dataclass(frozen=True)
class DataWindow:
    """Where the data starts and ends, and how long cohorts need to finish.

    Attributes:
        start: The first date any stage was recorded.
        end: The last date any stage was recorded.
        maturity: The maturity windows of offence cohorts (see
            :func:`workbench.analysis.measures.maturity.maturity`).
        interval_days: Interval name -> the 90th percentile of its days: a period ending an
            interval is only complete once that long after the data starts.
    """

    start: date
    end: date
    maturity: Maturity
    interval_days: dict[str, float]

    def window(self, measure: str) -> float:
        """Days a period of ``measure`` needs (after its end for offence cohorts, after the
        data start for periods of completion)."""
        attr = COHORT_WINDOW.get(measure)
        if attr is not None:
            return float(getattr(self.maturity, attr) or 0.0)
        return float(self.interval_days.get(measure.removeprefix("median_"), 0.0))


def data_window(ws: Workspace, where: JourneyFilter = ALL) -> DataWindow:
    """The data's span and maturity windows, measured on every area with the other filters."""
    national = replace(where, areas=())
    start, end = data_span(ws)
    spread = timeliness(ws, where=national)
    days = {r["interval"]: float(r["p90"]) for r in spread.to_dict("records") if pd.notna(r["p90"])}
    return DataWindow(start, end, maturity(ws, where=national), days)


def _period_end(starts: pd.Series, period: str) -> pd.Series:
    step = {"week": {"weeks": 1}, "month": {"months": 1}, "quarter": {"months": 3}}
    offset = pd.DateOffset(**step.get(period, {"years": 1}))
    return pd.to_datetime(starts) + offset - pd.Timedelta(days=1)


def cohort_status(series: pd.DataFrame, period: str, window: DataWindow) -> pd.Series:
    """``complete``, ``partial`` (the period began before the data starts), ``provisional``
    (an offence cohort whose cases are still open: the period ended within its maturity window
    of the data end) or ``early`` (a period of completion so close to the data start that slow
    cases, which began before it, are missing)."""
    end = pd.Timestamp(window.end)
    start = pd.Timestamp(window.start)
    status = []
    period_end = _period_end(series["period"], period)
    for measure, first, last in zip(series["measure"], series["period"], period_end, strict=True):
        days = pd.Timedelta(days=window.window(measure))
        if pd.Timestamp(first) < start or last > end:
            status.append("partial")
        elif measure in COHORT_WINDOW:
            status.append("provisional" if last + days > end else "complete")
        else:
            status.append("early" if pd.Timestamp(first) < start + days else "complete")
    return pd.Series(status, index=series.index, dtype="object")


def annotate_series(
    series: pd.DataFrame, period: str, window: DataWindow, minimum: int
) -> pd.DataFrame:
    """Add intervals, maturity and withholding to a (protected) measure series.

    Rates get Wilson 95% intervals from the counts shown; values and intervals from a base
    under ``minimum`` are withheld (``reason`` says why); ``status`` and ``provisional`` mark
    periods whose cases are still open or that started too close to the data start.
    """
    out = series.copy()
    is_rate = out["measure"].map(lambda k: MEASURES[k][1] == "rate").astype(bool)
    for i in out.index[is_rate]:
        ci = wilson_interval(out.at[i, "numerator"], out.at[i, "base"])
        shown = pd.notna(out.at[i, "value"]) and ci is not None
        out.at[i, "low"] = ci[0] if shown else pd.NA
        out.at[i, "high"] = ci[1] if shown else pd.NA
    base = pd.to_numeric(out["base"], errors="coerce")
    small = base.notna() & (base < minimum) & out["value"].notna()
    for col in ("value", "low", "high"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
        out.loc[small, col] = pd.NA
    out["reason"] = [f"withheld: fewer than {minimum} cases" if s else "" for s in small]
    out["status"] = cohort_status(out, period, window) if len(out) else []
    out["provisional"] = out["status"] != "complete"
    return out


def _in_span(series: pd.DataFrame, period: str, window: DataWindow) -> pd.DataFrame:
    """Periods up to the last that ends by the data end, at most :data:`SPAN` of them (a first
    period that began before the data is kept, and marked ``partial`` by
    :func:`cohort_status`)."""
    end = latest_complete_period(window.end, period)
    keep = (series["period"] <= end) & (series["period"] > _span_start(end, period))
    return series[keep]


def _series_table(series: pd.DataFrame, hidden: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    """The readable table of a trend: value, 95% interval, counts, status and reason."""
    cols = ["series", "court_type", "period", "value", "low", "high", "numerator", "base"]
    table = series[[*cols, "status"]].copy()
    if unit != "rate":
        table = table.drop(columns="numerator")
    if (table["court_type"] == "all").all():
        table = table.drop(columns="court_type")
    table = table.rename(columns={"base": "cases", "low": "95% low", "high": "95% high"})
    if hidden is not None:
        hidden = hidden.rename(columns={"base": "cases", "low": "95% low", "high": "95% high"})
    rates = ("value", "95% low", "95% high") if unit == "rate" else ()
    days = ("value", "95% low", "95% high") if unit != "rate" else ()
    out = _readable(table, hidden, rates=rates, days=days)
    reasons = series["reason"].tolist()
    out["Value"] = [r if r else str(v) for v, r in zip(out["Value"], reasons, strict=True)]
    return out


def trend_view(
    ws: Workspace,
    where: JourneyFilter,
    measure: str,
    period: str,
    protect: bool,
    label: str = "Selected",
    minimum: int | None = None,
) -> View:
    """One measure over time for the filter beside the national figure (same filters, all areas).

    With no area chosen the filter is already national, so the figure is drawn once.

    The unfinished last period is left out; a first period that began before the data starts
    is marked ``partial``. Medians come one line per court type; filter by court type to show
    one.

    Returns:
        A view whose data has ``series`` (``label`` or :data:`NATIONAL`), ``court_type``,
        ``period``, ``value``, ``low``, ``high`` (95% interval), ``base``, ``numerator``,
        ``status``, ``provisional`` and ``reason`` (why a value is withheld).
    """
    window = data_window(ws, where)
    minimum = min_base(ws) if minimum is None else int(minimum)
    parts = []
    series_filters = [(label, where)]
    if where.areas:
        series_filters.append((NATIONAL, replace(where, areas=())))
    for name, flt in series_filters:
        s = measure_series(ws, flt, period, [measure], keys=protect).assign(series=name)
        parts.append(_in_span(s, period, window))
    series = pd.concat(parts, ignore_index=True)
    series, note, hidden = _protect_series(series, protect)
    series = annotate_series(series, period, window, minimum)
    unit = MEASURES[measure][1]
    table = _series_table(series, hidden, unit)
    table = table.rename(columns={"Value": MEASURES[measure][0]})
    if measure in NUMERATORS:
        table = table.rename(columns={"Numerator": NUMERATORS[measure]})
    return View(series, table, note)


def national_line(where: JourneyFilter) -> str:
    """The subtitle's words for the dashed national line, or "" when no area is chosen."""
    return "; dashed line: national (all areas, same filters)" if where.areas else ""


def maturity_note(ws: Workspace, where: JourneyFilter, measure: str, period: str) -> str:
    """A sentence saying which periods of a measure are provisional and why."""
    window = data_window(ws, where)
    days = window.window(measure)
    if measure in COHORT_WINDOW:
        what = "charged" if COHORT_WINDOW[measure] == "charge_days" else "completed"
        return (
            f"Provisional (hollow points): {period}s of offence ending within "
            f"{days:.0f} days of the data end ({window.end:%d %b %Y}); 90% of cases that are "
            f"ever {what} are {what} within that time of the offence, so these figures will "
            "still change."
        )
    return (
        f"Early (hollow points): {period}s starting within {days:.0f} days of the data "
        f"start ({window.start:%d %b %Y}); 90% of these intervals take less than that, so slow "
        "cases that began before the data starts are missing from them."
    )


# ------------------------------------------------------------------------------ timeliness
def timeliness_view(
    ws: Workspace, where: JourneyFilter, protect: bool, minimum: int | None = None
) -> View:
    """Median (with its 95% interval), mean and percentiles of each stage, by court type.

    Court types are never mixed: cases not yet at court (offence to charge only) are their own
    row. Statistics from fewer than the minimum base are withheld, with the reason.
    """
    summary = timeliness(ws, by=["court_type"], where=where, keys=protect, median_ci=True)
    summary["court_type"] = summary["court_type"].replace({"unknown": "not yet at court"})
    summary = summary.sort_values(["court_type", "interval"], ignore_index=True)
    stats = ("mean", "median", "median_low", "median_high", "p25", "p75", "p90")
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(summary, counts=["n"], statistics=dict.fromkeys(stats, "n"))
        summary, note, hidden = result.table, result.note, result.hidden
    minimum = min_base(ws) if minimum is None else int(minimum)
    small = pd.to_numeric(summary["n"], errors="coerce").lt(minimum).fillna(False)
    summary = summary.copy()
    for col in stats:
        summary[col] = pd.to_numeric(summary[col], errors="coerce").astype("Float64")
        summary.loc[small, col] = pd.NA
    summary["reason"] = [f"withheld: fewer than {minimum} cases" if s else "" for s in small]
    shown = summary[["court_type", "label", "n", *stats, "reason"]].rename(
        columns={"median_low": "median 95% low", "median_high": "median 95% high", "label": "stage"}
    )
    shown["court_type"] = [
        court_title(c) if c in COURT_NAMES else str(c).capitalize() for c in shown["court_type"]
    ]
    if hidden is not None:
        hidden = hidden.rename(
            columns={"median_low": "median 95% low", "median_high": "median 95% high"}
        )
    days = ("mean", "median", "median 95% low", "median 95% high", "p25", "p75", "p90")
    table = _readable(shown, hidden, days=days)
    blank = [(i, "Reason") for i, r in enumerate(summary["reason"]) if not r]
    return View(summary, table, note, not_applicable=tuple(blank))


def distribution_view(
    ws: Workspace, interval: str, where: JourneyFilter, protect: bool
) -> tuple[View, float | None]:
    """The histogram of one interval and its median (None when hidden, empty or from fewer
    cases than the minimum base)."""
    dist = timeliness_distribution(ws, interval, where=where, keys=protect)
    summary = timeliness(ws, intervals=[interval], where=where, keys=protect)
    median = float(summary["median"].iloc[0]) if len(summary) else None
    n = int(summary["n"].iloc[0]) if len(summary) else 0
    note, hidden = None, None
    if protect:
        key = f"n{sdc.KEY_SUFFIX}"
        total_key = summary[key].iloc[0] if len(summary) else None
        dist = dist.assign(total=n, **{f"total{sdc.KEY_SUFFIX}": total_key})
        result = sdc.protect_frame(
            dist, counts=["cases"], rates={"share": ("cases", "total")}, bases=["total"]
        )
        dist, note, hidden = result.table.drop(columns="total"), result.note, result.hidden
        shown_n = sdc.protect_timeliness(summary).table["n"] if len(summary) else None
        if n < sdc.DEFAULT_THRESHOLD or shown_n is None or pd.isna(shown_n.iloc[0]):
            median = None
    if n < min_base(ws):
        median = None
    table = _readable(dist[["bin_start", "bin_end", "cases", "share"]], hidden, rates=("share",))
    return View(dist, table, note), median


def caseload_view(ws: Workspace, at: date, where: JourneyFilter, protect: bool) -> View:
    """Cases open at court at a date, by how long they have been open."""
    load = outstanding_caseload(ws, at, where=where, keys=protect)
    note, hidden = None, None
    if protect:
        result = sdc.protect_frame(load, counts=["cases"], statistics={"mean_age_days": "cases"})
        load, note, hidden = result.table, result.note, result.hidden
    table = _readable(load[["age_band", "cases", "mean_age_days"]], hidden, days=("mean_age_days",))
    return View(load, table, note)


# ------------------------------------------------------------------------------ dashboard
def _kpi_label(key: str, court_type: str) -> tuple[str, str]:
    """The label and headline subject of a KPI, naming the court type for timeliness."""
    label, _unit, subject = MEASURES[key]
    if court_type == "all":
        return label, subject
    return f"{label} ({court_type})", f"{subject} at {court_name(court_type)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_phrase(values: pd.Series, area: str, unit: str) -> str:
    """Where an area stands among all areas: ``"12th highest of 42 areas"`` (rates) or
    ``"3rd shortest of 40 areas"`` (days); empty when the area has no value. Areas whose
    value is hidden or withheld are left out of the count."""
    shown = pd.to_numeric(values, errors="coerce").dropna()
    if area not in shown.index:
        return ""
    higher = unit == "rate"
    position = int((shown > shown[area]).sum() if higher else (shown < shown[area]).sum()) + 1
    word = "highest" if higher else "shortest"
    return f"{_ordinal(position)} {word} of {len(shown)} areas"


def _window_rows(
    ws: Workspace,
    where: JourneyFilter,
    key: str,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    keys: bool,
) -> pd.DataFrame:
    """One measure over one window of dates (offences for rates, stage ends for medians), as
    rows like :func:`measure_series` (one per court type for medians)."""
    if key.startswith("median_"):
        times = timeliness(
            ws,
            intervals=[key.removeprefix("median_")],
            by=["court_type"],
            where=where,
            keys=keys,
            ended=(start.date(), stop.date()),
            median_ci=True,
        )
        frame = pd.DataFrame(
            {
                "measure": key,
                "court_type": times["court_type"],
                "period": start,
                "value": times["median"],
                "low": times["median_low"],
                "high": times["median_high"],
                "base": times["n"],
                "numerator": pd.NA,
            }
        )
        if keys:
            frame[f"base{sdc.KEY_SUFFIX}"] = times[f"n{sdc.KEY_SUFFIX}"]
        return frame
    flt = replace(where, start=start.date(), end=stop.date())
    funnel = attrition_funnel(ws, where=flt, keys=keys).set_index("stage")
    if funnel.empty:
        return pd.DataFrame()
    numerator_stage, base_stage = {
        "charge_rate": ("charged", "recorded"),
        "conviction_rate": ("convicted", "completed"),
        "victim_not_support_share": (None, "recorded"),
    }[key]
    base = funnel.loc[[base_stage]]
    if numerator_stage is None:
        reasons = attrition_reasons(ws, where=flt, keys=keys)
        numerator = reasons[reasons["reason"] == VICTIM_NOT_SUPPORT]
        numerator = numerator.assign(stage=base_stage).set_index("stage")
    else:
        numerator = funnel.loc[[numerator_stage]].rename(index={numerator_stage: base_stage})
    frame = _rate_frame(key, base.index, numerator, base, keys).drop(columns="stage")
    frame.insert(2, "period", start)
    return frame


def rolling_year(
    ws: Workspace,
    area: str,
    key: str,
    court_type: str,
    quarter: pd.Timestamp,
    protect: bool,
    minimum: int,
) -> tuple[Any, Any, str]:
    """A measure over the 12 months ending with ``quarter`` (its own cell, protected on its own).

    Returns:
        ``(value, base, reason)``; value missing when hidden or withheld.
    """
    start = pd.Timestamp(quarter) - pd.DateOffset(months=9)
    stop = pd.Timestamp(quarter) + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    where = JourneyFilter(areas=(area,))
    if court_type != "all":
        where = court_filter(where, court_type)
    rows = _window_rows(ws, where, key, start, stop, protect)
    if rows.empty:
        return None, None, ""
    rows, _note, _hidden = _protect_series(rows, protect)
    rows = rows[rows["court_type"] == court_type]
    if rows.empty:
        return None, None, ""
    r = rows.iloc[0]
    base = r["base"]
    if pd.notna(base) and int(base) < minimum:
        return None, base, f"withheld: fewer than {minimum} cases"
    return r["value"], base, ""


def dashboard_kpis(
    ws: Workspace,
    area: str,
    period: str,
    protect: bool,
    measures: Sequence[str] = DASHBOARD_MEASURES,
    minimum: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """Headline KPIs of one area: the latest complete period of each measure, with last year's,
    the national value, the area's rank among all areas and the rolling 12 months.

    Offence cohorts still within their maturity window are provisional and never used for a
    KPI or its change; each measure's KPI is its latest complete period. Timeliness is one KPI
    per court type. A change is ``clear`` only when larger than its uncertainty.

    Returns:
        The KPI frame (``measure``, ``court_type``, ``label``, ``unit``, ``subject``, ``area``,
        ``period_label``, ``value``, ``low``, ``high``, ``base``, ``reason``, ``previous``,
        ``change``, ``clear``, ``national``, ``national_reason``, ``rank``, ``rolling``,
        ``rolling_base``,
        ``rolling_reason``), the series behind it (``series`` = area or national,
        ``measure``, ``court_type``, ``label``, ``period``, ``value``, ``low``, ``high``,
        ``base``, ``status``, ``provisional``) and the disclosure note.
    """
    window = data_window(ws)
    minimum = min_base(ws) if minimum is None else int(minimum)
    every = measure_series(ws, ALL, period, measures, keys=protect, groups=["lcjb_area"])
    every, note, _hidden = _protect_series(_in_span(every, period, window), protect)
    every = annotate_series(every, period, window, minimum)
    national = measure_series(ws, ALL, period, measures, keys=protect)
    national, _n, _h = _protect_series(_in_span(national, period, window), protect)
    national = annotate_series(national, period, window, minimum).assign(series=NATIONAL)
    mine = every[every["lcjb_area"] == area].drop(columns="lcjb_area").assign(series=area)
    series = pd.concat([mine, national], ignore_index=True)
    series["label"] = [
        _kpi_label(k, c)[0] for k, c in zip(series["measure"], series["court_type"], strict=True)
    ]
    rows = []
    pairs = mine[["measure", "court_type"]].drop_duplicates()
    order = {k: i for i, k in enumerate(measures)}
    pairs = pairs.sort_values("measure", key=lambda s: s.map(order), kind="stable")
    for key, court in pairs.itertuples(index=False):
        label, subject = _kpi_label(key, court)
        unit = MEASURES[key][1]
        own = mine[(mine["measure"] == key) & (mine["court_type"] == court)].set_index("period")
        complete = own[~own["provisional"]]
        if complete.empty:
            continue
        at = complete.index.max()
        now = complete.loc[at]
        before_at = at - pd.DateOffset(**_lag(period))
        before = own.loc[before_at] if before_at in own.index else None
        nat = national[(national["measure"] == key) & (national["court_type"] == court)]
        nat = nat.set_index("period")
        peers = every[
            (every["measure"] == key) & (every["court_type"] == court) & (every["period"] == at)
        ].set_index("lcjb_area")["value"]
        previous = None if before is None or bool(before["provisional"]) else before["value"]
        change = (
            None
            if pd.isna(now["value"]) or previous is None or pd.isna(previous)
            else (float(now["value"]) - float(previous))
        )
        clear = change is not None and clear_change(dict(now), dict(before), unit)
        rolling, rolling_base, rolling_reason = (None, None, "")
        if period == "quarter":
            rolling, rolling_base, rolling_reason = rolling_year(
                ws, area, key, court, at, protect, minimum
            )
        rows.append(
            {
                "measure": key,
                "court_type": court,
                "label": label,
                "unit": unit,
                "subject": subject,
                "area": area,
                "period_label": format_period(at, period),
                "value": now["value"],
                "low": now["low"],
                "high": now["high"],
                "base": now["base"],
                "reason": now["reason"],
                "previous": previous,
                "change": change,
                "clear": bool(clear),
                "national": nat["value"].get(at),
                "national_reason": nat["reason"].get(at, "") if "reason" in nat else "",
                "rank": rank_phrase(peers, area, unit),
                "rolling": rolling,
                "rolling_base": rolling_base,
                "rolling_reason": rolling_reason,
            }
        )
    return pd.DataFrame(rows), series, note


def _span_start(end: pd.Timestamp, period: str) -> pd.Timestamp:
    n = SPAN[period]
    step = {"week": {"weeks": n}, "month": {"months": n}, "quarter": {"months": 3 * n}}
    return end - pd.DateOffset(**step.get(period, {"years": n}))


def _lag(period: str) -> dict[str, int]:
    return {"weeks": 52} if period == "week" else {"years": 1}


def dashboard_headlines(kpis: pd.DataFrame) -> list[str]:
    """The plain-language headlines of a KPI frame."""
    return headlines_from_kpis(kpis)


# ------------------------------------------------------------------------------ journeys page
JOIN_RULE_LABELS: dict[str, str] = {
    "urn": "Same case reference (URN)",
    "urn_fuzzy": "URN one character apart, same person",
    "person_dates": "Same person and area, dates in order",
    "unjoined": "Not joined",
    "none": "Not joined",
}
"""The join rules of a journey build, in words."""


def build_tables(info: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From a recorded build: records in and out per source, and joins per rule."""
    detail = info.get("counts") or {}
    counts = pd.DataFrame(
        [
            {"Source": s, "Records read": c["in"], "Records in a journey": c["out"]}
            for s, c in (detail.get("counts") or {}).items()
        ]
    )
    rules = pd.DataFrame(
        [
            {
                "Join": {"cps": "CPS to police", "court": "Court to CPS"}.get(j, j),
                "Rule": JOIN_RULE_LABELS.get(r, r),
                "Records": n,
            }
            for j, per in (detail.get("rules") or {}).items()
            for r, n in per.items()
        ]
    )
    return counts, rules


# The funnel steps the linkage sensitivity adds, which depend on the record joins.
JOIN_STEP_LABELS: dict[str, str] = {
    "first_hearing_of_charged": "First hearing of charged",
    "completed_of_first_hearing": "Completed of first hearing",
}


def _sensitivity_label(measure: str) -> tuple[str, bool]:
    """A sensitivity measure's readable name and whether it is a rate."""
    if measure in JOIN_STEP_LABELS:
        return JOIN_STEP_LABELS[measure], True
    name, unit = MEASURES.get(measure, (measure, "rate"))[:2]
    return name, unit == "rate"


def sensitivity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A linkage-sensitivity frame with one column per scenario, readable values.

    National rows only (``lcjb_area`` is ``all`` when the column is there): the headline
    measures, then the join-dependent steps. Per-area gaps are in :func:`area_gap_table`.
    """
    out = frame.copy()
    if "lcjb_area" in out.columns:
        out = out[out["lcjb_area"] == "all"]
    labels = {k: _sensitivity_label(k) for k in out["measure"].unique()}
    out["Measure"] = out["measure"].map(lambda k: labels[k][0]) + out["court_type"].map(
        lambda c: "" if c == "all" else f" ({c})"
    )
    out["shown"] = [
        "" if pd.isna(v) else f"{v * 100:.1f}%" if labels[k][1] else f"{v:.0f} days"
        for v, k in zip(out["value"], out["measure"], strict=True)
    ]
    out["_order"] = out["measure"].map({k: i for i, k in enumerate([*MEASURES, *JOIN_STEP_LABELS])})
    rows = out.drop_duplicates("Measure").sort_values(["_order", "Measure"])["Measure"]
    wide = out.pivot_table(index="Measure", columns="scenario", values="shown", aggfunc="first")
    order = [c for c in ("lower", "active", "higher", "truth") if c in wide.columns]
    return wide.loc[rows.tolist(), order].reset_index().rename_axis(columns=None)


def area_gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per area, the join-dependent measure furthest from the truth, readable.

    Args:
        gaps: A ``linkage.quality.sensitivity.largest_area_gaps`` frame.

    Returns:
        ``Area``, ``Measure``, ``Linked``, ``Truth`` (with their bases) and ``Gap (points)``,
        the largest gap first.
    """
    rows = [
        {
            "Area": g["lcjb_area"],
            "Measure": _sensitivity_label(g["measure"])[0],
            "Linked": f"{g['linked'] * 100:.1f}% of {g['linked_base']:,}",
            "Truth": f"{g['truth'] * 100:.1f}% of {g['truth_base']:,}",
            "Gap (points)": round(float(g["gap_points"]), 1),
        }
        for g in gaps.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Area", "Measure", "Linked", "Truth", "Gap (points)"])


# ------------------------------------------------------------------------------ KPI cards
# Whether a rise is good (normal: green up) or bad (inverse: red up) for each measure.
GOOD_WHEN_UP: dict[str, bool] = {
    "charge_rate": True,
    "victim_not_support_share": False,
    "conviction_rate": True,
}


# Short names that fit a metric card; the full definition is in the card's help.
CARD_LABELS: dict[str, str] = {
    "charge_rate": "Charge rate",
    "victim_not_support_share": "Victim not supporting",
    "conviction_rate": "Conviction rate",
    "median_offence_to_charge": "Offence to charge",
    "median_charge_to_first_hearing": "Charge to hearing",
    "median_first_hearing_to_completion": "Hearing to completion",
    "median_offence_to_completion": "Offence to completion",
}


@dataclass(frozen=True)
class KpiCard:
    """What one ``st.metric`` shows: label, value, delta (None when unknown) and notes.

    Attributes:
        label: The card's short name (with the court type for timeliness).
        value: The value as shown, or why it is not shown.
        delta: The change on a year earlier, with "no clear change" when it is within its
            uncertainty.
        delta_color: ``normal``, ``inverse`` or ``off`` (no colour when the change is unclear).
        delta_arrow: ``auto``, or ``off`` when the change is unclear (no arrow implies one).
        national: The national value.
        help: The full definition, period, interval and base.
        base: "from N cases" (or why there is no base).
        context: The area's rank among all areas and the rolling 12 months, when known.
        court_type: ``all``, ``magistrates`` or ``Crown``.
    """

    label: str
    value: str
    delta: str | None
    delta_color: str
    national: str
    help: str
    base: str = ""
    context: str = ""
    court_type: str = "all"
    delta_arrow: str = "auto"


def _fmt(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return HIDDEN
    return f"{float(value) * 100:.1f}%" if unit == "rate" else f"{float(value):.0f} days"


def _cases(base: Any) -> str:
    if base is None or pd.isna(base):
        return "base suppressed"
    return f"from {plural(float(base), 'case')}"


def _interval(low: Any, high: Any, unit: str) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f" (95% interval {_fmt(low, unit)} to {_fmt(high, unit)})"


def kpi_cards(kpis: pd.DataFrame) -> list[KpiCard]:
    """One card per KPI row: the value and its base, the change on a year earlier (uncoloured
    and marked "no clear change" unless larger than its uncertainty), the national value, the
    area's rank and the rolling 12 months."""
    cards = []
    for r in kpis.to_dict("records"):
        unit = r["unit"]
        change = r["change"]
        value, previous = r["value"], r["previous"]
        clear = bool(r.get("clear", False))
        if change is None or pd.isna(change):
            delta = None
        elif unit == "rate":
            # The change between the values as shown, so the card agrees with the headline.
            shown = round(float(value) * 100, 1) - round(float(previous) * 100, 1)
            delta = f"{shown:+.1f} pts"
        else:
            delta = f"{round(float(value)) - round(float(previous)):+.0f} days"
        if delta is not None and not clear:
            delta = f"{delta}, no clear change"
        good_up = GOOD_WHEN_UP.get(r["measure"], False)
        reason = r.get("reason") or ""
        court = r.get("court_type", "all") or "all"
        label = CARD_LABELS.get(r["measure"], r["label"])
        context = [r.get("rank") or ""]
        if r.get("rolling_base") is not None and not pd.isna(r.get("rolling_base")):
            rolling = (
                _fmt(r["rolling"], unit)
                if not pd.isna(r.get("rolling"))
                else (r.get("rolling_reason") or HIDDEN)
            )
            context.append(f"rolling 12 months: {rolling} ({_cases(r['rolling_base'])})")
        cards.append(
            KpiCard(
                label=label if court == "all" else f"{label}, {court}",
                value=_fmt(value, unit)
                if not pd.isna(value)
                else ("withheld" if reason else "too few cases"),
                delta=delta,
                delta_color=("normal" if good_up else "inverse") if clear else "off",
                national=f"National: {_fmt(r['national'], unit)}"
                if not r.get("national_reason") or not pd.isna(r["national"])
                else "National: withheld",
                help=(
                    f"{r['label']} in {r['area']}, {r['period_label']}"
                    f"{_interval(r.get('low'), r.get('high'), unit)}, {_cases(r.get('base'))}. "
                    f"A year earlier: {_fmt(r['previous'], unit)}. "
                    f"National: {_fmt(r['national'], unit)}."
                ),
                base=f"{r['period_label']}, {_cases(r.get('base'))}"
                + (f" ({reason})" if reason and pd.isna(value) else ""),
                context="; ".join(c for c in context if c),
                court_type=court,
                delta_arrow="auto" if clear else "off",
            )
        )
    return cards


def card_groups(cards: Sequence[KpiCard]) -> list[tuple[str, list[KpiCard]]]:
    """Cards in rows: the attrition rates, then timeliness for each court type apart."""
    titles = {"all": "Attrition (by period of offence)"}
    groups: dict[str, list[KpiCard]] = {}
    for card in cards:
        groups.setdefault(card.court_type, []).append(card)
    return [
        (titles.get(court, f"Timeliness: {court_title(court)}"), items)
        for court, items in groups.items()
    ]


def previous_label(period_label: str, period: str) -> str:
    """The name of the same period a year earlier: ``"2024"`` for 2025, ``"Q3 2025"``."""
    head, _, year = period_label.rpartition(" ")
    if period in ("year", "quarter") and year.isdigit():
        return f"{head} {int(year) - 1}".strip()
    return "a year earlier"


def series_table(series: pd.DataFrame) -> pd.DataFrame:
    """The dashboard's series as a readable table: one row per measure, series and period,
    with the 95% interval, the base, whether the period is provisional and any withholding."""
    rows = []
    for r in series.sort_values(["label", "series", "period"]).to_dict("records"):
        unit = MEASURES[r["measure"]][1]
        rows.append(
            {
                "Measure": r["label"],
                "Series": r["series"],
                "Period": pd.Timestamp(r["period"]).date(),
                "Value": r.get("reason") or _fmt(r["value"], unit),
                "95% low": "" if pd.isna(r.get("low")) else _fmt(r["low"], unit),
                "95% high": "" if pd.isna(r.get("high")) else _fmt(r["high"], unit),
                "Cases": HIDDEN if pd.isna(r["base"]) else int(r["base"]),
                "Status": r.get("status", "complete"),
            }
        )
    return pd.DataFrame(rows)
