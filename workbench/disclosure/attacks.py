"""Differencing attacks on what a leader sees, to check that no hidden count can be worked out.

Each attack reads only outputs a leader can reach, through the functions the Attrition,
Timeliness, LCJB dashboard and Demand pages call with disclosure control on, and combines them
the way an attacker would: a total minus the total of every group but one (complements across
every filter), a funnel step minus the next against the reasons for leaving, the periods against
their total, a rate times its base, and the seasonal baseline against the history it repeats.
The truth is the same views without disclosure control.

An attacker who knows the method knows that each adjusted count is within
:func:`workbench.disclosure.control.max_noise` of the true one and that a hidden count is between 1
and 9; a recovery is *certain* when only one value fits. :class:`Tally` also counts how often the
plain difference happens to equal the truth: with exact counts that is every time.

Run it on a workspace before opening a shared deployment (``bench/bench_disclosure.py`` runs it
on the whole sample); ``tests/test_disclosure_attacks.py`` runs it on three areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.measures.attrition import FUNNEL_STEPS
from workbench.analysis.measures.query import JourneyFilter
from workbench.analysis.views.attrition import funnel_view, reasons_view
from workbench.analysis.views.scope import (
    data_end,
    filter_options,
    scoped_filter,
)
from workbench.analysis.views.series import measure_series, trend_view
from workbench.analysis.views.view import View
from workbench.disclosure import control as sdc
from workbench.periods import latest_complete_period
from workbench.workspace import Workspace

THRESHOLD = sdc.DEFAULT_THRESHOLD


@dataclass
class Tally:
    """Attempts on hidden counts, certain recoveries and lucky guesses of one attack."""

    name: str
    attempts: int = 0
    certain: int = 0
    hits: int = 0
    examples: list[str] = field(default_factory=list)

    def attempt(self, truth: int, terms: Iterable[tuple[int, object]], perturbed: bool) -> None:
        """Work out a hidden count (1 to 9) from signed shown values, as an attacker would."""
        values = list(terms)
        if any(v is None or pd.isna(v) for _sign, v in values):
            return  # a term the attacker needs is itself hidden
        estimate = sum(sign * float(v) for sign, v in values)
        slack = sdc.max_noise() * len(values) if perturbed else 0
        feasible = [
            x for x in range(1, THRESHOLD) if estimate - slack - 0.5 <= x <= estimate + slack + 0.5
        ]
        self.attempts += 1
        if feasible == [truth]:
            self.certain += 1
            self.examples.append(f"{truth} from {values}")
        if round(estimate) == truth:
            self.hits += 1

    @property
    def hit_rate(self) -> float:
        """Share of attempts whose plain estimate equals the hidden count."""
        return self.hits / self.attempts if self.attempts else 0.0


def perturbed_note(note: str | None) -> bool:
    """Whether an output's disclosure note says its counts were adjusted."""
    return bool(note) and "adjusted" in note


def _cases(view: View, stage: str) -> object:
    row = view.data[view.data["stage"] == stage]
    return row["cases"].iloc[0] if len(row) else 0


def complements(ws: Workspace, areas: Sequence[str]) -> Tally:
    """A group's funnel as the funnel of all groups minus the funnel of all the others."""
    tally = Tally("complements across filters")
    options = filter_options(ws, None)
    for area in areas:
        everything = funnel_view(ws, scoped_filter([area]), protect=True)
        perturbed = perturbed_note(everything.note)
        for field_name, values in (
            ("offence_groups", options["offence_groups"]),
            ("court_types", options["court_types"]),
        ):
            for value in values:
                others = [v for v in values if v != value]
                rest = funnel_view(ws, scoped_filter([area], **{field_name: others}), protect=True)
                truth = funnel_view(
                    ws, scoped_filter([area], **{field_name: [value]}), protect=False
                )
                if field_name == "court_types":
                    # "all court types" also counts cases that never reached court: compare
                    # the court steps only
                    stages = ["first_hearing", "completed", "convicted"]
                else:
                    stages = [s for s, _l, _c in FUNNEL_STEPS]
                for stage in stages:
                    true = int(_cases(truth, stage))
                    if 0 < true < THRESHOLD:
                        tally.attempt(
                            true,
                            [(1, _cases(everything, stage)), (-1, _cases(rest, stage))],
                            perturbed,
                        )
        victim = funnel_view(ws, scoped_filter([area], victim_based=True), protect=True)
        truth = funnel_view(ws, scoped_filter([area], victim_based=False), protect=False)
        unknown = funnel_view(ws, scoped_filter([area]), protect=False)
        known = funnel_view(ws, scoped_filter([area], victim_based=True), protect=False)
        for stage, _label, _cond in FUNNEL_STEPS:
            true = int(_cases(truth, stage))
            exact_rest = int(_cases(unknown, stage)) - int(_cases(known, stage))
            if 0 < true < THRESHOLD and exact_rest == true:
                tally.attempt(
                    true, [(1, _cases(everything, stage)), (-1, _cases(victim, stage))], perturbed
                )
    return tally


def _reason(view: View, reason: str) -> object:
    row = view.data[view.data["reason"] == reason]
    return row["cases"].iloc[0] if len(row) else None


def funnel_vs_reasons(ws: Workspace, areas: Sequence[str]) -> Tally:
    """Reasons for leaving worked out from the gaps between funnel steps and other reasons."""
    tally = Tally("funnel steps against reasons")
    options = filter_options(ws, None)
    filters = [scoped_filter([a]) for a in areas]
    filters += [
        scoped_filter([a], offence_groups=[g]) for a in areas for g in options["offence_groups"]
    ]
    for where in filters:
        funnel = funnel_view(ws, where, protect=True)
        reasons = reasons_view(ws, where, protect=True)
        truth = reasons_view(ws, where, protect=False).data
        perturbed = perturbed_note(funnel.note)
        gaps = {
            "charged, not yet at court": ("charged", "first_hearing"),
            "case outstanding at court": ("first_hearing", "completed"),
        }
        for reason, (upper, lower) in gaps.items():
            true = _reason(View(truth, truth, None), reason)
            if true is not None and 0 < int(true) < THRESHOLD:
                tally.attempt(
                    int(true), [(1, _cases(funnel, upper)), (-1, _cases(funnel, lower))], perturbed
                )
        # before charge: recorded - charged - every other reason for leaving before charge
        before = truth[truth["left_at"] == "before charge"]
        shown = reasons.data[reasons.data["left_at"] == "before charge"]
        for _i, row in before.iterrows():
            if 0 < int(row["cases"]) < THRESHOLD:
                others = shown[shown["reason"] != row["reason"]]["cases"].tolist()
                terms = [(1, _cases(funnel, "recorded")), (-1, _cases(funnel, "charged"))]
                terms += [(-1, v) for v in others]
                tally.attempt(int(row["cases"]), terms, perturbed)
    return tally


def periods_vs_total(ws: Workspace, areas: Sequence[str]) -> Tally:
    """A period's recorded crimes as the total over the span minus the other periods."""
    tally = Tally("periods against their total")
    options = filter_options(ws, None)
    for period, offset in (("year", pd.offsets.YearEnd(0)),):
        end = latest_complete_period(data_end(ws), period)
        for area in areas:
            for group in [None, *options["offence_groups"]]:
                groups = [group] if group else []
                where = scoped_filter([area], offence_groups=groups)
                trend = trend_view(ws, where, "charge_rate", period, protect=True, label=area)
                truth = trend_view(ws, where, "charge_rate", period, protect=False, label=area)
                mine = trend.data[trend.data["series"] == area].set_index("period")
                true = truth.data[truth.data["series"] == area].set_index("period")
                if mine.empty:
                    continue
                span = JourneyFilter(
                    areas=(area,),
                    offence_groups=tuple(groups),
                    start=mine.index.min().date(),
                    end=(end + offset).date(),
                )
                total = _cases(funnel_view(ws, span, protect=True), "recorded")
                for when, row in true.iterrows():
                    if 0 < int(row["base"]) < THRESHOLD:
                        others = mine.drop(index=when)["base"].tolist()
                        tally.attempt(
                            int(row["base"]),
                            [(1, total), *((-1, v) for v in others)],
                            perturbed_note(trend.note),
                        )
    return tally


def rate_times_base(ws: Workspace, areas: Sequence[str]) -> tuple[Tally, int]:
    """A rate's numerator as the rate times its base; also counts rates shown on small ones."""
    tally = Tally("rate times base")
    shown_small = 0
    for area in areas:
        where = scoped_filter([area])
        for measure in ("charge_rate", "conviction_rate", "victim_not_support_share"):
            trend = trend_view(ws, where, measure, "quarter", protect=True, label=area)
            series = measure_series(ws, where, "quarter", [measure])
            true = series.set_index("period")
            mine = trend.data[trend.data["series"] == area].set_index("period")
            for period, row in true.iterrows():
                numerator = int(row["numerator"])
                if period not in mine.index or not 0 < numerator < THRESHOLD:
                    continue
                value, base = mine.loc[period, "value"], mine.loc[period, "base"]
                if not pd.isna(value):
                    shown_small += 1
                tally.attempt(
                    numerator, [(1, None if pd.isna(value) else float(value) * float(base))], True
                )
    return tally, shown_small


def baseline_vs_history(ws: Workspace, areas: Sequence[str]) -> Tally:
    """A hidden week of history read back from the seasonal naive baseline a season later."""
    from workbench.forecast.model.demand import forecast_demand
    from workbench.forecast.model.disclosure import protect_series
    from workbench.forecast.model.series import COURT_TYPES, ForecastSettings

    tally = Tally("baseline against history")
    settings = ForecastSettings(freq="month", horizon=6, folds=2)
    for area in areas:
        for result in forecast_demand(ws, [area], COURT_TYPES, settings, workers=1):
            if not result.ok:
                continue
            shown = protect_series(result)
            season = settings.season
            history = result.history.reset_index(drop=True)
            rows = pd.concat(
                [
                    shown.backtest[["period", "baseline"]],
                    shown.forecast[["period", "baseline"]],
                ]
            )
            baseline = rows.drop_duplicates("period").set_index("period")["baseline"]
            for i, row in history.iterrows():
                true = row["receipts"]
                if pd.isna(true) or not 0 < int(true) < THRESHOLD:
                    continue
                later = history["period"].iloc[i] + pd.DateOffset(months=season)
                if later in baseline.index:
                    tally.attempt(int(true), [(1, baseline.loc[later])], True)
    return tally


def run_attacks(ws: Workspace, areas: Sequence[str] | None = None) -> list[Tally]:
    """The differencing attacks on counts (complements, funnel against reasons, periods).

    Args:
        ws: A workspace with linked journeys.
        areas: The areas whose leaders attack (default: every area in the journeys).

    Returns:
        One tally per attack.
    """
    chosen = list(areas or filter_options(ws, None)["areas"])
    return [
        complements(ws, chosen),
        funnel_vs_reasons(ws, chosen),
        periods_vs_total(ws, chosen),
    ]
