"""Differencing attacks on a leader's outputs find no hidden count.

The attacks are in :mod:`workbench.disclosure.attacks`.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace

import pandas as pd
import pytest

from tests.journey_workspace import AREAS, make_journey_workspace
from workbench.analysis.views.attrition import funnel_view
from workbench.analysis.views.scope import data_end, filter_options, scoped_filter
from workbench.analysis.views.view import View
from workbench.disclosure import control as sdc
from workbench.disclosure.attacks import (
    THRESHOLD,
    Tally,
    baseline_vs_history,
    complements,
    funnel_vs_reasons,
    periods_vs_total,
    rate_times_base,
)
from workbench.forecast.model.series import COURT_TYPES
from workbench.workspace import Workspace


@pytest.fixture(scope="module")
def attack_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = make_journey_workspace(tmp_path_factory.mktemp("attacks"))
    ws = Workspace(path)
    yield ws
    ws.close()


def _cases(view: View, stage: str) -> object:
    row = view.data[view.data["stage"] == stage]
    return row["cases"].iloc[0] if len(row) else 0


def test_no_hidden_count_is_recovered_by_differencing(attack_ws: Workspace) -> None:
    tallies = [
        complements(attack_ws, AREAS),
        funnel_vs_reasons(attack_ws, AREAS),
        periods_vs_total(attack_ws, AREAS),
    ]
    for tally in tallies:
        print(
            f"{tally.name}: {tally.attempts} attempts on hidden counts, {tally.certain} certain, "
            f"plain difference equal to the truth {tally.hit_rate:.0%}"
        )
    assert sum(t.attempts for t in tallies) >= 30
    for tally in tallies:
        assert tally.attempts > 0, f"{tally.name}: the attack found nothing to try"
        assert tally.certain == 0, f"{tally.name}: {tally.examples[:3]}"
    # Exact counts would make every difference equal the truth. Perturbation keys come from the
    # workspace's random salt, so one attack's ten-odd attempts are a noisy estimate: the rate
    # is judged over every attempt.
    hits = sum(t.hits for t in tallies)
    assert hits / sum(t.attempts for t in tallies) < 0.5, [(t.name, t.hit_rate) for t in tallies]


def test_rates_on_small_numerators_are_hidden(attack_ws: Workspace) -> None:
    tally, shown_small = rate_times_base(attack_ws, AREAS)
    print(f"{tally.name}: {shown_small} rates shown on a numerator under {THRESHOLD}")
    assert shown_small == 0
    assert tally.certain == 0 and tally.hits == 0


def test_baseline_never_repeats_a_hidden_count(attack_ws: Workspace) -> None:
    tally = baseline_vs_history(attack_ws, AREAS)
    print(f"{tally.name}: {tally.attempts} hidden months read back from the baseline")
    assert tally.attempts == 0 and tally.certain == 0


def test_exact_counts_would_be_recovered(
    attack_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: with the adjustment switched off, the same attack recovers hidden counts."""
    monkeypatch.setattr(sdc, "cell_noise", lambda keys: [0] * len(keys))
    tally = complements(attack_ws, AREAS[:1])
    assert tally.attempts > 10 and tally.hit_rate == 1.0
    # an attacker who knows the counts are exact is certain of every one
    exact = Tally("exact", **{})
    for _ in range(1):
        exact.attempt(3, [(1, 120), (-1, 117)], perturbed=False)
    assert exact.certain == 1


def test_same_cases_same_figure_whatever_the_filter(attack_ws: Workspace) -> None:
    """Asking for the same cases through another filter gives the same adjusted count."""
    options = filter_options(attack_ws, None)
    area = AREAS[0]
    plain = funnel_view(attack_ws, scoped_filter([area]), protect=True)
    spelled_out = funnel_view(
        attack_ws,
        scoped_filter([area], offence_groups=options["offence_groups"]),
        protect=True,
    )
    assert _cases(plain, "recorded") == _cases(spelled_out, "recorded")
    dated = dc_replace(scoped_filter([area]), start=pd.Timestamp("1900-01-01").date())
    assert _cases(funnel_view(attack_ws, dated, protect=True), "charged") == _cases(
        plain, "charged"
    )


def test_scenario_starting_state_never_shows_a_small_count(attack_ws: Workspace) -> None:
    """The outstanding caseload a leader's scenario starts from is adjusted, or withheld."""
    from workbench.forecast.scenarios.state import court_state

    at = data_end(attack_ws)
    seen = 0
    for areas in ([a] for a in AREAS):
        for court in COURT_TYPES:
            true = court_state(attack_ws, "linked", at, areas, court)
            shown = court_state(attack_ws, "linked", at, areas, court, protect=True)
            small = 0 < true.outstanding < THRESHOLD or 0 < true.disposals_per_week * 13 < THRESHOLD
            if small:
                seen += 1
                assert shown.hidden
            if not shown.hidden:
                assert shown.outstanding >= THRESHOLD or shown.outstanding == 0
    assert seen > 0
