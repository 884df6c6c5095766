"""The system frames and their truth.

The police, CPS and court extracts are built from the drawn people and crimes, each with its own
noisy view of the identifiers; the truth frames give each record's true person and case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.sample import names as ref
from workbench.sample.arrays import concat_str, group_seq, take_rows, ymd, zfill
from workbench.sample.calibration import (
    AREA_NAMES,
    COURT_NAME_MISSING,
    CPS_DECISIONS,
    FINALISATION_BY_VERDICT,
    OUTCOME_TYPES,
    PLEAS,
    SENTENCES,
    VERDICTS,
)
from workbench.sample.noise import ErrorProfile, noisy_identity, noisy_ids
from workbench.sample.population import Forces, Vocabulary


def _str_col(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas string column from a numpy string array; empty strings become missing."""
    values = np.asarray(values, dtype="T")
    return pd.array(pa.array(values, mask=(values == "")), dtype="str")


def _label_col(
    labels: tuple[str, ...] | list[str], idx: np.ndarray, valid: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """A pandas string column of ``labels[idx]``; rows where ``valid`` is false are missing."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    indices = pa.array(np.asarray(idx, dtype=np.int32), mask=mask)
    return pd.array(pa.array(list(labels), pa.string()).take(indices), dtype="str")


def _date_col(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    out = days.astype("datetime64[D]").astype("datetime64[s]")
    if valid is not None:
        out = np.where(valid, out, np.datetime64("NaT", "s"))
    return out


def _person_ids(person: np.ndarray) -> np.ndarray:
    return np.where(person >= 0, concat_str("P", zfill(person + 1, 7)), "")


def police_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: Vocabulary,
    forces: Forces,
    profile: ErrorProfile,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The police extract drawn from the crimes, with identity errors applied."""
    n = len(c["person"])
    suspect = c["has_suspect"]
    year = ymd(c["recorded"])[0]
    order = np.arange(n)
    seq = group_seq([c["force"], year], order)
    crime_ref = concat_str(
        take_rows(forces.codes, c["force"]), "-", zfill(year % 100, 2), "-", zfill(seq, 7)
    )

    # URN when a case file is built (referral to the CPS by the end of the period).
    has_urn = c["referred"] & (c["referral_day"] <= end)
    station = forces.station_offsets[c["force"]] + np.floor(
        c["station_pick"] * forces.station_counts[c["force"]]
    ).astype(np.int64)
    ref_year = ymd(c["referral_day"])[0] % 100
    urn_seq = group_seq([station, ref_year, has_urn], np.lexsort((np.arange(n), c["referral_day"])))
    urn = np.where(
        has_urn,
        concat_str(
            zfill(forces.numbers[c["force"]], 2),
            take_rows(forces.stations, station),
            zfill(np.minimum(urn_seq, 99_999), 5),
            zfill(ref_year, 2),
        ),
        "",
    )

    s = np.flatnonzero(suspect)
    ident = noisy_identity(rng, people, vocab, c["person"][s], c["recorded"][s], profile)
    fore = np.full(n, "", dtype="T")
    mid, sur, postcode, pnc, sex = fore.copy(), fore.copy(), fore.copy(), fore.copy(), fore.copy()
    fore[s], mid[s], sur[s], postcode[s] = (
        ident["forename"],
        ident["middle"],
        ident["surname"],
        ident["postcode"],
    )
    dob = np.zeros(n, dtype=np.int64)
    dob[s] = ident["dob"]
    true_sex = np.where(people["male"][c["person"][s]], "M", "F")
    u_sex, u_sex2 = rng.random((2, len(s)))
    sex[s] = np.where(u_sex < profile.sex_unknown, np.where(u_sex2 < 0.5, "U", ""), true_sex)
    pnc[s] = noisy_ids(
        rng, people["pnc"][c["person"][s]], profile.pnc_missing_police, profile.pnc_typo, 5, 12
    )

    closed = c["outcome_day"] <= end
    offences = ref.OFFENCES
    frame = pd.DataFrame(
        {
            "crime_ref": _str_col(crime_ref),
            "force": _label_col(forces.names, c["force"]),
            "lcjb_area": _label_col(AREA_NAMES, c["area"]),
            "offence_date": _date_col(c["offence_day"]),
            "recorded_date": _date_col(c["recorded"]),
            "offence_code": _label_col([o.code for o in offences], c["offence"]),
            "offence_description": _label_col([o.description for o in offences], c["offence"]),
            "offence_group": _label_col(ref.OFFENCE_GROUPS, c["group"]),
            "victim_based": np.asarray([o.victim_based for o in offences])[c["offence"]],
            "suspect_forename": _str_col(fore),
            "suspect_middle_name": _str_col(mid),
            "suspect_surname": _str_col(sur),
            "suspect_dob": _date_col(dob, suspect),
            "suspect_sex": _str_col(sex),
            "suspect_postcode": _str_col(postcode),
            "pnc_id": _str_col(pnc),
            "urn": _str_col(urn),
            "outcome_type": _label_col(OUTCOME_TYPES, c["outcome"], closed),
            "outcome_date": _date_col(c["outcome_day"], closed),
        }
    )
    truth = pd.DataFrame(
        {
            "crime_ref": frame["crime_ref"],
            "person_id": _str_col(_person_ids(c["person"])),
            "case_id": frame["crime_ref"],
        }
    )
    c["crime_ref"] = crime_ref
    return frame, truth, urn


def cps_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: Vocabulary,
    profile: ErrorProfile,
    urn: np.ndarray,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CPS extract drawn from the crimes it receives, with identity errors applied."""
    rows = np.flatnonzero(c["referred"] & (c["referral_day"] <= end))
    rows = rows[np.lexsort((rows, c["referral_day"][rows]))]
    person = c["person"][rows]
    referral = c["referral_day"][rows]
    ident = noisy_identity(rng, people, vocab, person, referral, profile)
    year = ymd(referral)[0]
    seq = group_seq([year], np.arange(len(rows)))
    cps_id = concat_str("CPS", year.astype("T"), zfill(seq, 6))
    y, m, d = ymd(ident["dob"])
    dob_text = concat_str(zfill(d, 2), "/", zfill(m, 2), "/", y.astype("T"))
    decided = c["decision_day"][rows] <= end
    decision = c["decision"][rows]
    charged = decided & (decision == 0)
    in_court = charged & (c["first_hearing"][rows] <= end)
    completed = in_court & (c["completion"][rows] <= end)
    finalisation = np.select(
        [decided & (decision == 3), decided & (decision > 0), completed],
        [
            np.asarray("out-of-court disposal", dtype="T"),
            np.asarray("no further action", dtype="T"),
            take_rows(FINALISATION_BY_VERDICT, c["verdict"][rows]),
        ],
        np.asarray("", dtype="T"),
    )
    charge_text = take_rows([o.description for o in ref.OFFENCES], c["offence"][rows])
    secondary = c["secondary"][rows]
    charge_text = np.where(
        secondary >= 0,
        concat_str(charge_text, "; ", take_rows(ref.SECONDARY_CHARGES, np.maximum(secondary, 0))),
        charge_text,
    )
    frame = pd.DataFrame(
        {
            "cps_id": _str_col(cps_id),
            "urn": _str_col(
                noisy_ids(rng, urn[rows], profile.urn_missing_cps, profile.urn_typo, 4, 9)
            ),
            "defendant_forename": _str_col(ident["forename"]),
            "defendant_surname": _str_col(ident["surname"]),
            "defendant_dob": _str_col(dob_text),
            "defendant_postcode": _str_col(ident["postcode"]),
            "lcjb_area": _label_col(AREA_NAMES, c["area"][rows]),
            "referral_date": _date_col(referral),
            "decision": _str_col(
                np.where(decided, take_rows(CPS_DECISIONS, np.maximum(decision, 0)), "")
            ),
            "decision_date": _date_col(c["decision_day"][rows], decided),
            "charges": _str_col(np.where(charged, charge_text, "")),
            "finalisation_reason": _str_col(finalisation),
        }
    )
    truth = pd.DataFrame(
        {
            "cps_id": frame["cps_id"],
            "person_id": _str_col(_person_ids(person)),
            "case_id": _str_col(c["crime_ref"][rows]),
        }
    )
    return frame, truth


def courts_frame(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    vocab: Vocabulary,
    profile: ErrorProfile,
    urn: np.ndarray,
    end: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The courts extract drawn from the cases that reach court, with identity errors applied."""
    charged = c["charged"] & (c["decision_day"] <= end) & (c["first_hearing"] <= end)
    rows = np.flatnonzero(charged)
    rows = rows[np.lexsort((rows, c["first_hearing"][rows]))]
    person = c["person"][rows]
    hearing = c["first_hearing"][rows]
    crown = c["crown"][rows]
    area = c["area"][rows]
    ident = noisy_identity(rng, people, vocab, person, hearing, profile)
    year = ymd(hearing)[0]
    seq = group_seq([crown, year, area], np.arange(len(rows)))
    case_number = concat_str(
        np.where(crown, "T", "M"), year.astype("T"), zfill(area + 1, 2), zfill(seq, 6)
    )
    completed = c["completion"][rows] <= end
    verdict = c["verdict"][rows]
    convicted = completed & (verdict == 0)

    town_offsets = np.cumsum([0] + [len(a.court_towns) for a in ref.AREAS])[:-1]
    town_counts = np.asarray([len(a.court_towns) for a in ref.AREAS])
    towns = [t for a in ref.AREAS for t in a.court_towns]
    town = town_offsets[area] + np.where(
        crown, 0, np.floor(c["court_town_u"][rows] * town_counts[area]).astype(np.int64)
    )
    court_name = concat_str(
        take_rows(towns, town), np.where(crown, " Crown Court", " Magistrates' Court")
    )
    court_name = np.where(rng.random(len(rows)) < COURT_NAME_MISSING, "", court_name)
    frame = pd.DataFrame(
        {
            "case_number": _str_col(case_number),
            "urn": _str_col(
                noisy_ids(rng, urn[rows], profile.urn_missing_courts, profile.urn_typo, 4, 9)
            ),
            "court_type": _str_col(np.where(crown, "Crown", "magistrates")),
            "court_name": _str_col(court_name),
            "lcjb_area": _label_col(AREA_NAMES, area),
            "defendant_forename": _str_col(ident["forename"]),
            "defendant_middle_name": _str_col(ident["middle"]),
            "defendant_surname": _str_col(ident["surname"]),
            "defendant_dob": _date_col(ident["dob"]),
            "defendant_postcode": _str_col(ident["postcode"]),
            "pnc_id": _str_col(
                noisy_ids(
                    rng, people["pnc"][person], profile.pnc_missing_courts, profile.pnc_typo, 5, 12
                )
            ),
            "offence_group": _label_col(ref.OFFENCE_GROUPS, c["group"][rows]),
            "first_hearing_date": _date_col(hearing),
            "plea": _label_col(PLEAS, c["plea"][rows]),
            "verdict": _label_col(VERDICTS, verdict, completed),
            "completion_date": _date_col(c["completion"][rows], completed),
            "outcome": _label_col(SENTENCES, c["sentence"][rows], convicted),
        }
    )
    truth = pd.DataFrame(
        {
            "case_number": frame["case_number"],
            "person_id": _str_col(_person_ids(person)),
            "case_id": _str_col(c["crime_ref"][rows]),
        }
    )
    return frame, truth
