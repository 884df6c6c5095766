"""Identifier noise: the :class:`ErrorProfile` of per-record error rates, and the functions that
apply it independently to each system's copy of names, dates of birth, postcodes and IDs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

import numpy as np

from workbench.errors import Problem, ValidationError
from workbench.sample import names as ref
from workbench.sample.arrays import concat_str, day_numbers, from_ymd, ymd
from workbench.sample.population import Vocabulary


@dataclass(frozen=True)
class ErrorProfile:
    """Identifier noise applied independently to each record in each system.

    Every field is a probability between 0 and 1. Rates marked "applicable" apply only to
    records whose true value can carry that error (a nickname needs a formal forename that has
    one; Mc/Mac spacing needs a Mc, Mac or O' surname), so the realised share over all records
    is lower than the rate.

    Attributes:
        name_typo: A one-character substitution, transposition or deletion, applied to forename
            and surname independently.
        nickname: Forename written as a nickname (William -> Bill); applicable.
        transliteration: Name written in another transliteration (Mohammed -> Muhammad);
            applicable, forename and surname independently.
        mc_mac_spacing: Mc/Mac/O' surname written another way (McDonald -> Mc Donald,
            MacDonald; O'Brien -> OBrien); applicable.
        hyphen_variant: Hyphenated surname losing its hyphen or one of its parts; applicable.
        name_swap: Forename and surname swapped.
        alias: Surname replaced by the person's alias (an entirely different surname).
        forename_placeholder: Forename recorded as "NOT ENTERED".
        case_whitespace: Name in upper or lower case or with stray spaces, per name.
        middle_name_missing: Middle name not recorded although the person has one.
        dob_typo: One digit of the date of birth wrong.
        dob_day_month_swap: Day and month swapped (only where both are 12 or less and differ).
        dob_placeholder: Date of birth recorded as 1900-01-01 or 1970-01-01.
        postcode_no_fixed_abode: Postcode recorded as "NF1 1NF".
        postcode_missing: Postcode not recorded.
        postcode_typo: One character of the inward code wrong.
        sex_unknown: Police sex recorded as "U" or left empty.
        pnc_missing_police: PNC ID not recorded on a police suspect record.
        pnc_missing_courts: PNC ID not recorded on a court record.
        pnc_typo: One digit of a recorded PNC ID wrong.
        urn_missing_cps: URN missing from a CPS record.
        urn_missing_courts: URN missing from a court record.
        urn_typo: One digit of a recorded URN wrong (CPS and courts).
    """

    name_typo: float = 0.02
    nickname: float = 0.08
    transliteration: float = 0.25
    mc_mac_spacing: float = 0.2
    hyphen_variant: float = 0.25
    name_swap: float = 0.01
    alias: float = 0.01
    forename_placeholder: float = 0.003
    case_whitespace: float = 0.05
    middle_name_missing: float = 0.3
    dob_typo: float = 0.015
    dob_day_month_swap: float = 0.01
    dob_placeholder: float = 0.005
    postcode_no_fixed_abode: float = 0.015
    postcode_missing: float = 0.04
    postcode_typo: float = 0.01
    sex_unknown: float = 0.02
    pnc_missing_police: float = 0.25
    pnc_missing_courts: float = 0.5
    pnc_typo: float = 0.01
    urn_missing_cps: float = 0.03
    urn_missing_courts: float = 0.15
    urn_typo: float = 0.02

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem(f"{f.name} must be a number, not {value!r}"))
            elif not 0.0 <= float(value) <= 1.0 or value != value:
                problems.append(Problem(f"{f.name} must be between 0 and 1, not {value}"))
        if problems:
            raise ValidationError(
                f"The error profile is not valid: {'; '.join(map(str, problems))}.",
                hint="Give every rate as a probability between 0 and 1.",
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorProfile:
        """Build a profile from a mapping of rate names to values; missing rates keep defaults.

        Args:
            data: Rate names (the field names of this class) mapped to numbers in [0, 1].

        Raises:
            ValidationError: If a name is unknown or a value is not a number in [0, 1].
        """
        if not isinstance(data, dict):
            raise ValidationError(
                "The error profile must be an object of rate names to numbers.",
                hint='For example {"name_typo": 0.02}.',
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValidationError(
                f"The error profile has unknown rates: {', '.join(unknown)}.",
                hint=f"Known rates: {', '.join(sorted(known))}.",
            )
        return cls(**data)

    @classmethod
    def none(cls) -> ErrorProfile:
        """A profile with every rate 0: each system records the truth exactly."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def to_dict(self) -> dict[str, float]:
        """The rates as a plain dictionary, in field order."""
        return {k: float(v) for k, v in asdict(self).items()}


# --------------------------------------------------------------------------------------------
# identifier noise


def _variant(
    rng: np.random.Generator,
    idx: np.ndarray,
    table: tuple[np.ndarray, np.ndarray, np.ndarray],
    rate: float,
) -> np.ndarray:
    offsets, counts, flat = table
    u, v = rng.random((2, len(idx)))
    hit = (u < rate) & (counts[idx] > 0)
    choice = offsets[idx] + np.floor(v * counts[idx]).astype(np.int64)
    return np.where(hit, flat[np.minimum(choice, len(flat) - 1)], idx)


def _typo(rng: np.random.Generator, words: np.ndarray, rate: float) -> np.ndarray:
    """One substitution, transposition or deletion in a share ``rate`` of non-empty words."""
    n = len(words)
    u, op_u, pos_u, letter_u = rng.random((4, n))
    length = np.strings.str_len(words)
    hit = np.flatnonzero((u < rate) & (length >= 3))
    if len(hit) == 0:
        return words
    w = words[hit]
    size = length[hit]
    pos = 1 + np.floor(pos_u[hit] * (size - 2)).astype(np.int64)
    letters = np.asarray(list("abcdefghijklmnopqrstuvwxyz"), dtype="T")
    letter = letters[np.floor(letter_u[hit] * 26).astype(np.int64)]
    head = np.strings.slice(w, 0, pos)
    deletion = np.strings.add(head, np.strings.slice(w, pos + 1, None))
    substitution = concat_str(head, letter, np.strings.slice(w, pos + 1, None))
    transposition = concat_str(
        head,
        np.strings.slice(w, pos + 1, pos + 2),
        np.strings.slice(w, pos, pos + 1),
        np.strings.slice(w, pos + 2, None),
    )
    op = op_u[hit]
    out = words.copy()
    out[hit] = np.where(op < 0.4, substitution, np.where(op < 0.7, transposition, deletion))
    return out


def _case_whitespace(rng: np.random.Generator, words: np.ndarray, rate: float) -> np.ndarray:
    u, op = rng.random((2, len(words)))
    hit = np.flatnonzero((u < rate) & (words != ""))
    if len(hit) == 0:
        return words
    w = words[hit]
    o = op[hit]
    out = words.copy()
    out[hit] = np.select(
        [o < 0.55, o < 0.7, o < 0.85],
        [np.strings.upper(w), np.strings.lower(w), np.strings.add(w, " ")],
        np.strings.add(" ", w),
    )
    return out


def noisy_identity(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    vocab: Vocabulary,
    person: np.ndarray,
    day: np.ndarray,
    profile: ErrorProfile,
) -> dict[str, np.ndarray]:
    """One system's record of each person at each record date, with identifier noise.

    Returns forename, middle, surname (string arrays, "" for missing), dob (day numbers,
    placeholder dates included) and postcode ("" for missing).
    """
    n = len(person)
    p = profile
    fore = people["forename"][person]
    sur = people["surname"][person]
    mid = people["middle"][person]
    fore = _variant(rng, fore, vocab.nickname, p.nickname)
    fore = _variant(rng, fore, vocab.translit, p.transliteration)
    sur = _variant(rng, sur, vocab.translit, p.transliteration)
    sur = _variant(rng, sur, vocab.spacing, p.mc_mac_spacing)
    sur = _variant(rng, sur, vocab.hyphen, p.hyphen_variant)
    u_alias, u_swap, u_place, u_mid = rng.random((4, n))
    sur = np.where(u_alias < p.alias, people["alias"][person], sur)
    swap = u_swap < p.name_swap
    fore, sur = np.where(swap, sur, fore), np.where(swap, fore, sur)
    fore = np.where(u_place < p.forename_placeholder, vocab.placeholder, fore)
    mid = np.where(u_mid < p.middle_name_missing, 0, mid)

    names = {}
    for key, idx in (("forename", fore), ("surname", sur), ("middle", mid)):
        words = vocab.words[idx]
        typo_rate = p.name_typo if key != "middle" else p.name_typo / 2
        words = _typo(rng, words, typo_rate)
        names[key] = _case_whitespace(rng, words, p.case_whitespace)
    placeholder_mask = u_place < p.forename_placeholder
    names["forename"] = np.where(
        placeholder_mask, vocab.words[vocab.placeholder], names["forename"]
    )

    # Date of birth.
    dob = people["dob"][person]
    y, m, d = ymd(dob)
    u_typo, u_part, u_digit, u_swap_dob, u_ph, u_ph_pick = rng.random((6, n))
    digit = np.floor(u_digit * 9).astype(np.int64) + 1
    typo = u_typo < p.dob_typo
    day_typo = np.clip((d // 10) * 10 + (d % 10 + digit) % 10, 1, 28)
    day_typo = np.where(day_typo == d, d % 28 + 1, day_typo)
    new_d = np.where(typo & (u_part < 1 / 3), day_typo, d)
    new_m = np.where(typo & (u_part >= 1 / 3) & (u_part < 2 / 3), m % 12 + 1, m)
    new_y = np.where(typo & (u_part >= 2 / 3), y - y % 10 + (y % 10 + digit) % 10, y)
    new_d = np.where(new_m != m, np.minimum(new_d, 28), new_d)
    swap_dob = (u_swap_dob < p.dob_day_month_swap) & (new_d <= 12) & (new_d != new_m)
    new_d, new_m = np.where(swap_dob, new_m, new_d), np.where(swap_dob, new_d, new_m)
    dob_out = from_ymd(new_y, new_m, new_d)
    placeholders = np.asarray([day_numbers(date.fromisoformat(s)) for s in ref.PLACEHOLDER_DOBS])
    dob_out = np.where(
        u_ph < p.dob_placeholder, placeholders[(u_ph_pick < 0.5).astype(int)], dob_out
    )

    # Postcode at the record date.
    moved = day >= people["move_day"][person]
    postcode = np.where(moved, people["postcode_new"][person], people["postcode"][person])
    u_nfa, u_miss, u_pc_typo = rng.random((3, n))
    typo_pc = np.flatnonzero(u_pc_typo < p.postcode_typo)
    if len(typo_pc):
        postcode[typo_pc] = _inward_typo(rng, postcode[typo_pc])
    postcode = np.where(u_nfa < p.postcode_no_fixed_abode, ref.NO_FIXED_ABODE_POSTCODE, postcode)
    postcode = np.where(u_miss < p.postcode_missing, "", postcode)
    return {**names, "dob": dob_out, "postcode": postcode}


def _inward_typo(rng: np.random.Generator, postcodes: np.ndarray) -> np.ndarray:
    """Change the digit of the inward code (``ME14 2XY`` -> ``ME14 7XY``)."""
    length = np.strings.str_len(postcodes)
    return _replace_digit_at(rng, postcodes, length - 3)


def _replace_digit_at(rng: np.random.Generator, values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    bump = rng.integers(1, 10, len(values))
    current = np.strings.slice(values, pos, pos + 1)
    digit = np.where(np.strings.isdigit(current), current, "0").astype(np.int64)
    new = ((digit + bump) % 10).astype("T")
    return concat_str(
        np.strings.slice(values, 0, pos), new, np.strings.slice(values, pos + 1, None)
    )


def noisy_ids(
    rng: np.random.Generator,
    values: np.ndarray,
    missing: float,
    typo: float,
    digit_lo: int,
    digit_hi: int,
) -> np.ndarray:
    """Blank a share ``missing`` of identifiers and mistype one digit in a share ``typo``."""
    n = len(values)
    u_miss, u_typo = rng.random((2, n))
    hit = np.flatnonzero((u_typo < typo) & (values != ""))
    out = values.copy()
    if len(hit):
        pos = digit_lo + np.floor(rng.random(len(hit)) * (digit_hi - digit_lo)).astype(np.int64)
        out[hit] = _replace_digit_at(rng, values[hit], pos)
    return np.where(u_miss < missing, "", out)
