"""Crimes and their path through the system: offences drawn per person, the police outcome, the CPS
charging decision, and the court hearings, pleas, verdicts and sentences with their dates.
"""

from __future__ import annotations

import numpy as np

from workbench.sample import names as ref
from workbench.sample.arrays import lognormal_days, pick_weighted, recording_weights, ymd
from workbench.sample.calibration import (
    AWAY_SHARE,
    CROWN_INVESTIGATION_FACTOR,
    CROWN_MEDIAN_DAYS,
    CROWN_MEDIAN_LATEST,
    FIRST_YEAR,
    GROUP_CALIBRATION,
    OTHER_OUTCOMES,
    SECONDARY_CHARGE_SHARE,
)
from workbench.sample.population import Forces, area_weights


def _offence_arrays() -> dict[str, np.ndarray]:
    groups = list(ref.OFFENCE_GROUPS)
    group = np.asarray([groups.index(o.group) for o in ref.OFFENCES])
    weight = np.asarray([o.weight for o in ref.OFFENCES])
    cal = [GROUP_CALIBRATION[g] for g in groups]
    ns = np.asarray([c.no_suspect for c in cal])[group]
    return {
        "group": group,
        "victim": np.asarray([o.victim_based for o in ref.OFFENCES]),
        "crown": np.asarray([o.crown_share for o in ref.OFFENCES]),
        "suspect_weight": weight * (1 - ns),
        "no_suspect_weight": weight * ns,
        "referral": np.asarray([c.referral for c in cal]),
        "cps_charge": np.asarray([c.cps_charge for c in cal]),
        "victim_no_support": np.asarray([c.victim_no_support for c in cal]),
        "investigation_days": np.asarray([c.investigation_days for c in cal]),
        "decision_days": np.asarray([c.decision_days for c in cal]),
        "report_delay": np.asarray([c.report_delay for c in cal]),
        "report_delay_days": np.asarray([c.report_delay_days for c in cal]),
        "court_factor": np.asarray([c.court_factor for c in cal]),
    }


def draw_crimes(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    forces: Forces,
    start: int,
    end: int,
) -> dict[str, np.ndarray]:
    """Draw every recorded crime, with and without a suspect, and its path to a court outcome."""
    off = _offence_arrays()
    n_people = len(people["crimes"])
    person = np.repeat(np.arange(n_people, dtype=np.int64), people["crimes"])
    n_s = len(person)
    share_ns = off["no_suspect_weight"].sum() / (
        off["no_suspect_weight"].sum() + off["suspect_weight"].sum()
    )
    n_ns = round(n_s * share_ns / (1 - share_ns))
    n = n_s + n_ns
    has_suspect = np.arange(n) < n_s
    person = np.concatenate([person, np.full(n_ns, -1, dtype=np.int64)])

    weights = recording_weights(start, end)
    recorded = start + pick_weighted(rng, weights, n)
    away = rng.random(n) < AWAY_SHARE
    random_area = pick_weighted(rng, area_weights(), n)
    home = people["area"][np.maximum(person, 0)]
    area = np.where(has_suspect & ~away, home, random_area)
    offence = np.where(
        has_suspect,
        pick_weighted(rng, off["suspect_weight"], n),
        pick_weighted(rng, off["no_suspect_weight"], n),
    )
    group = off["group"][offence]

    # Force: the area's force, except a small share of London crime for the City force.
    first_force = np.searchsorted(forces.area, area)
    is_london = np.asarray([ref.AREAS[a].name == "London" for a in range(len(ref.AREAS))])[area]
    force = np.where(
        is_london & (rng.random(n) < ref.CITY_OF_LONDON_SHARE), first_force + 1, first_force
    )

    # Offence date: mostly reported the same or next few days, some much later.
    late = rng.random(n) < off["report_delay"][group]
    short = np.where(rng.random(n) < 0.75, 0, rng.geometric(0.5, n))
    long_delay = lognormal_days(rng, off["report_delay_days"][group], 1.2, n)
    offence_day = recorded - np.where(late, long_delay, short)

    # Outcome path.
    u_ref, u_dec, u_vds, u_other = rng.random((4, n))
    referred = has_suspect & (u_ref < off["referral"][group])
    charge_p = off["cps_charge"][group]
    decision = np.full(n, -1, dtype=np.int64)
    rest = (u_dec - charge_p) / np.maximum(1 - charge_p, 1e-9)
    decision = np.where(
        referred, np.select([u_dec < charge_p, rest < 0.62, rest < 0.75], [0, 1, 2], 3), decision
    )
    vds = (
        has_suspect & ~referred & off["victim"][offence] & (u_vds < off["victim_no_support"][group])
    )
    codes, probs = zip(*OTHER_OUTCOMES, strict=True)
    other = np.asarray(codes)[_pick_from_uniform(u_other, np.asarray(probs))]
    from_decision = np.asarray([0, 4, 6, 1])
    outcome = np.select(
        [~has_suspect, referred, vds],
        [9, from_decision[np.maximum(decision, 0)], 5],
        other,
    )

    sexual = group == ref.OFFENCE_GROUPS.index(ref.SEX)
    crown = rng.random(n) < off["crown"][offence]
    investigation = off["investigation_days"][group] * np.where(
        crown, CROWN_INVESTIGATION_FACTOR, 1.0
    )
    referral_day = recorded + lognormal_days(rng, investigation, 1.0, n)
    decision_day = referral_day + lognormal_days(rng, off["decision_days"][group], 1.1, n)
    closed_day = recorded + lognormal_days(rng, np.where(sexual, 150.0, 25.0), 1.2, n)
    no_suspect_day = recorded + lognormal_days(rng, 12.0, 1.0, n)
    outcome_day = np.select([~has_suspect, referred], [no_suspect_day, decision_day], closed_day)

    # Court stage for charged crimes.
    charged = referred & (decision == 0)
    first_hearing = decision_day + np.maximum(lognormal_days(rng, 21.0, 0.7, n), 1)
    plea_probs = np.where(crown[:, None], [0.66, 0.30, 0.04], [0.72, 0.22, 0.06])
    plea = _pick_from_uniform(rng.random(n), plea_probs)
    verdict_probs = np.array(
        [[1.0, 0.0, 0.0, 0.0], [0.47, 0.35, 0.06, 0.12], [0.25, 0.0, 0.15, 0.60]]
    )
    verdict = _pick_from_uniform(rng.random(n), verdict_probs[plea])
    charge_year = ymd(decision_day)[0]
    by_year = np.asarray(
        [CROWN_MEDIAN_DAYS.get(y, CROWN_MEDIAN_LATEST) for y in range(FIRST_YEAR, 2041)]
    )
    crown_median = by_year[np.clip(charge_year, FIRST_YEAR, 2040) - FIRST_YEAR]
    plea_factor = np.array([0.55, 1.6, 1.0])[plea]
    crown_days = lognormal_days(
        rng, crown_median * plea_factor * off["court_factor"][group], 0.6, n
    )
    at_first = (plea == 0) & (rng.random(n) < 0.3)
    mags_median = np.array([105.0, 210.0, 150.0])[plea]
    mags_days = np.where(at_first, 0, lognormal_days(rng, mags_median, 0.9, n))
    completion = first_hearing + np.where(crown, crown_days, mags_days)
    sentence_mags = np.array([0.38, 0.2, 0.08, 0.06, 0.16, 0.12])
    sentence_crown = np.array([0.02, 0.18, 0.26, 0.46, 0.03, 0.05])
    u_sentence = rng.random(n)
    sentence = np.where(
        crown,
        _pick_from_uniform(u_sentence, sentence_crown),
        _pick_from_uniform(u_sentence, sentence_mags),
    )
    secondary = np.where(
        rng.random(n) < SECONDARY_CHARGE_SHARE,
        rng.integers(0, len(ref.SECONDARY_CHARGES), n),
        -1,
    )
    station_pick = rng.random(n)
    court_town_u = rng.random(n)

    return {
        "person": person,
        "has_suspect": has_suspect,
        "recorded": recorded,
        "offence_day": offence_day,
        "area": area,
        "force": force,
        "offence": offence,
        "group": group,
        "outcome": outcome,
        "outcome_day": outcome_day,
        "referred": referred,
        "referral_day": referral_day,
        "decision": decision,
        "decision_day": decision_day,
        "charged": charged,
        "crown": crown,
        "first_hearing": first_hearing,
        "plea": plea,
        "verdict": verdict,
        "completion": completion,
        "sentence": sentence,
        "secondary": secondary,
        "station_pick": station_pick,
        "court_town_u": court_town_u,
    }


def _pick_from_uniform(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical draws from uniforms ``u``; ``probs`` is one row of weights or one per draw."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    if cum.shape[0] == 1:
        cum = np.broadcast_to(cum, (len(u), cum.shape[1]))
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
