"""Standard person roles for columns, and their suggestion from column names and values."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import pandas as pd

from workbench.analysis.headlines import missing
from workbench.config import current_user
from workbench.data.dates import DATE_FORMATS, TIMESTAMP_FORMATS
from workbench.errors import RoleError
from workbench.sql import quote_ident
from workbench.workspace import DATA_SCHEMA, Workspace, utcnow

log = logging.getLogger(__name__)

PLACEHOLDER_TEXT_SET = frozenset(
    {"NOT ENTERED", "NOT KNOWN", "UNKNOWN", "N/A", "NA", "NONE", "NULL", "-", "?", "XXX"}
)


class Role(StrEnum):
    """A standard role a column can play in person linkage.

    The value doubles as the canonical column name in standardised tables.
    """

    RECORD_ID = "record_id"
    FIRST_NAME = "first_name"
    MIDDLE_NAMES = "middle_names"
    SURNAME = "surname"
    FULL_NAME = "full_name"
    DOB = "dob"
    BIRTH_YEAR = "birth_year"
    BIRTH_MONTH = "birth_month"
    BIRTH_DAY = "birth_day"
    SEX = "sex"
    POSTCODE = "postcode"
    ADDRESS = "address"
    TOWN = "town"
    PNC_ID = "pnc_id"
    CRO_NUMBER = "cro_number"
    URN = "urn"
    OTHER_ID = "other_id"
    OTHER = "other"
    IGNORE = "ignore"


ROLE_LABELS: dict[Role, str] = {
    Role.RECORD_ID: "Record id (unique per row)",
    Role.FIRST_NAME: "First name",
    Role.MIDDLE_NAMES: "Middle names",
    Role.SURNAME: "Surname",
    Role.FULL_NAME: "Full name",
    Role.DOB: "Date of birth",
    Role.BIRTH_YEAR: "Birth year",
    Role.BIRTH_MONTH: "Birth month",
    Role.BIRTH_DAY: "Birth day",
    Role.SEX: "Sex",
    Role.POSTCODE: "Postcode",
    Role.ADDRESS: "Address line",
    Role.TOWN: "Town or city",
    Role.PNC_ID: "PNC ID",
    Role.CRO_NUMBER: "CRO number",
    Role.URN: "URN (police case reference)",
    Role.OTHER_ID: "Other person identifier",
    Role.OTHER: "Other person attribute",
    Role.IGNORE: "Not a person field",
}


MULTI_VALUED_ROLES: frozenset[Role] = frozenset(
    {Role.ADDRESS, Role.OTHER_ID, Role.OTHER, Role.IGNORE, Role.MIDDLE_NAMES, Role.SURNAME}
)
"""Roles that several columns of one dataset may share; every other role fits one column only.

Several address lines are joined; so are surname parts (``surname_1``, ``surname_2``) and
middle names written over several columns."""

SINGLE_VALUED_ROLES: frozenset[Role] = frozenset(set(Role) - MULTI_VALUED_ROLES)
"""Roles that at most one column of a dataset may have."""

PERSON_ROLES: frozenset[Role] = frozenset(
    {
        Role.FIRST_NAME,
        Role.MIDDLE_NAMES,
        Role.SURNAME,
        Role.FULL_NAME,
        Role.DOB,
        Role.BIRTH_YEAR,
        Role.POSTCODE,
        Role.ADDRESS,
        Role.PNC_ID,
        Role.CRO_NUMBER,
    }
)
"""Roles that describe the person well enough to link on."""


@dataclass(frozen=True)
class RoleSuggestion:
    """A suggested role for one column.

    Attributes:
        column: The column name as in the dataset.
        role: The suggested role.
        confidence: How sure the suggestion is, from 0 to 1.
        reason: Why, in plain language.
    """

    column: str
    role: Role
    confidence: float
    reason: str


# ----------------------------------------------------------------------------- name evidence
_SYNONYMS: dict[Role, tuple[str, ...]] = {
    Role.FIRST_NAME: (
        "forename",
        "forenames",
        "first_name",
        "firstname",
        "fname",
        "given_name",
        "givenname",
        "given_names",
        "first",
        "christian_name",
        "first_forename",
        "f_name",
    ),
    Role.SURNAME: (
        "surname",
        "last_name",
        "lname",
        "family_name",
        "lastname",
        "sname",
        "last",
        "l_name",
        "familyname",
    ),
    Role.MIDDLE_NAMES: (
        "middle_name",
        "middle_names",
        "middlename",
        "middlenames",
        "other_forenames",
        "other_forename",
        "middle",
        "mname",
        "other_names",
        "second_forename",
    ),
    Role.FULL_NAME: (
        "name",
        "full_name",
        "fullname",
        "person_name",
        "defendant_name",
        "suspect_name",
        "offender_name",
        "victim_name",
        "subject_name",
        "complete_name",
    ),
    Role.DOB: (
        "dob",
        "date_of_birth",
        "birth_date",
        "birthdate",
        "d_o_b",
        "dateofbirth",
        "bday",
        "birthday",
        "born",
        "birth_dt",
        "dob_date",
        "dt_of_birth",
    ),
    Role.BIRTH_YEAR: ("yob", "birth_year", "year_of_birth", "birthyear", "byear"),
    Role.BIRTH_MONTH: ("birth_month", "month_of_birth", "mob"),
    Role.BIRTH_DAY: ("birth_day", "day_of_birth"),
    Role.SEX: ("sex", "gender", "sex_code", "gender_code", "sex_desc"),
    Role.POSTCODE: (
        "postcode",
        "post_code",
        "postal_code",
        "zip",
        "zipcode",
        "zip_code",
        "pcode",
        "postcode_fake",
        "post_cd",
        "pc",
        "home_postcode",
        "address_postcode",
    ),
    Role.ADDRESS: (
        "address",
        "address_line_1",
        "address_line_2",
        "address_line_3",
        "address_line1",
        "address_line2",
        "addr1",
        "addr2",
        "addr",
        "address1",
        "address2",
        "address3",
        "street",
        "street_address",
        "home_address",
        "house_number",
        "house_name",
    ),
    Role.TOWN: ("town", "city", "locality", "town_city", "post_town", "village"),
    Role.PNC_ID: ("pnc", "pnc_id", "pncid", "pnc_number", "pnc_no", "pnc_ref", "pnc_num"),
    Role.CRO_NUMBER: ("cro", "cro_no", "cro_number", "cro_num", "cro_id", "cro_ref"),
    Role.URN: ("urn", "case_urn", "police_urn", "urn_number", "urn_no"),
    Role.RECORD_ID: (
        "id",
        "unique_id",
        "record_id",
        "crime_ref",
        "case_number",
        "cps_id",
        "row_id",
        "uid",
        "crime_reference",
        "case_id",
        "rec_id",
        "person_id",
        "defendant_id",
        "suspect_id",
        "offender_id",
        "crime_id",
        "record_number",
        "ref",
        "reference",
        "pk",
        "court_case_id",
    ),
    Role.OTHER_ID: (
        "email",
        "email_address",
        "e_mail",
        "phone",
        "telephone",
        "phone_number",
        "mobile",
        "mobile_number",
        "tel",
        "nino",
        "ni_number",
        "ni_no",
        "national_insurance_number",
        "passport",
        "passport_number",
        "passport_no",
        "driving_licence",
        "licence_number",
        "nhs_number",
        "pnd_id",
    ),
    Role.OTHER: (
        "occupation",
        "ethnicity",
        "nationality",
        "birth_place",
        "place_of_birth",
        "birthplace",
        "religion",
        "job",
        "job_title",
        "age",
        "height",
        "eye_colour",
        "ethnic_group",
        "ethnic_appearance",
        "country_of_birth",
        "first_language",
        "alias",
        "aliases",
    ),
}

_SYNONYM_INDEX: dict[str, Role] = {}
for _role, _names in _SYNONYMS.items():
    for _name in _names:
        _SYNONYM_INDEX[_name] = _role
        _SYNONYM_INDEX.setdefault(_name.replace("_", ""), _role)

_PREFIXES = (
    "suspect",
    "defendant",
    "def",
    "person",
    "subject",
    "offender",
    "victim",
    "accused",
    "client",
    "individual",
    "witness",
    "src",
    "source",
    "cps",
    "police",
    "court",
    "crt",
    "pol",
    "the",
)
_SUFFIXES = ("raw", "clean", "cleaned", "fake", "std", "value", "txt", "text", "orig", "original")

_IGNORE_WORDS = frozenset(
    {
        "date",
        "dt",
        "time",
        "datetime",
        "timestamp",
        "outcome",
        "code",
        "area",
        "flag",
        "amount",
        "count",
        "offence",
        "offense",
        "court",
        "hearing",
        "force",
        "status",
        "type",
        "category",
        "group",
        "stage",
        "result",
        "verdict",
        "sentence",
        "plea",
        "lcjb",
        "region",
        "days",
        "cost",
        "fine",
        "charge",
        "charged",
        "decision",
        "disposal",
        "week",
        "month",
        "quarter",
        "period",
        "received",
        "recorded",
        "completed",
        "is",
        "has",
        "num",
        "total",
        "charges",
        "reason",
        "finalisation",
        "victim",
        "referral",
        "description",
        "based",
        "notes",
        "comment",
        "comments",
        "station",
        "officer",
        "team",
        "unit",
    }
)

_ROLE_WORDS: dict[Role, str] = {
    Role.RECORD_ID: "a record id",
    Role.FIRST_NAME: "first name",
    Role.MIDDLE_NAMES: "middle names",
    Role.SURNAME: "surname",
    Role.FULL_NAME: "full name",
    Role.DOB: "date of birth",
    Role.BIRTH_YEAR: "year of birth",
    Role.BIRTH_MONTH: "month of birth",
    Role.BIRTH_DAY: "day of birth",
    Role.SEX: "sex",
    Role.POSTCODE: "postcode",
    Role.ADDRESS: "address",
    Role.TOWN: "town or city",
    Role.PNC_ID: "PNC ID",
    Role.CRO_NUMBER: "CRO number",
    Role.URN: "case URN",
    Role.OTHER_ID: "another personal identifier",
    Role.OTHER: "another attribute of the person",
    Role.IGNORE: "not a person field",
}


def normalise_column_name(name: str) -> str:
    """Lower-case snake_case form of a column name (camelCase split, punctuation to ``_``).

    Args:
        name: The column name as in the file, such as ``suspectDOB`` or ``First Name``.

    Returns:
        For example ``suspect_dob`` or ``first_name``.
    """
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _name_variants(norm: str) -> list[str]:
    variants = [norm]
    tokens = norm.split("_")
    while len(tokens) > 1 and tokens[0] in _PREFIXES:
        tokens = tokens[1:]
        variants.append("_".join(tokens))
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens = tokens[:-1]
        variants.append("_".join(tokens))
    return variants


def _name_evidence(column: str) -> tuple[dict[Role, float], str]:
    """Roles the column name points to, with scores, and the normalised name used."""
    norm = normalise_column_name(column)
    for variant in _name_variants(norm):
        role = _SYNONYM_INDEX.get(variant) or _SYNONYM_INDEX.get(variant.replace("_", ""))
        if role is Role.FULL_NAME and set(norm.split("_")) & _IGNORE_WORDS:
            # court_name, station_name, team_name: the name of something, not someone
            return {Role.IGNORE: 0.7}, variant
        if role is not None:
            return {role: 0.9}, variant
    core = _name_variants(norm)[-1]
    tokens = set(core.split("_"))
    words = core.replace("_", " ")
    found: dict[Role, float] = {}

    def add(role: Role, score: float) -> None:
        found[role] = max(found.get(role, 0.0), score)

    if "birth" in tokens or "dob" in tokens:
        if tokens & {"year", "yr"}:
            add(Role.BIRTH_YEAR, 0.7)
        elif tokens & {"place", "country", "town", "city"}:
            add(Role.OTHER, 0.7)
        else:
            add(Role.DOB, 0.7)
    if "forename" in words or "given" in tokens or {"first", "name"} <= tokens:
        add(Role.FIRST_NAME, 0.65)
    if "surname" in words or "family" in tokens or {"last", "name"} <= tokens:
        add(Role.SURNAME, 0.65)
    if "middle" in tokens:
        add(Role.MIDDLE_NAMES, 0.65)
    if "postcode" in words or {"post", "code"} <= tokens or "zip" in tokens:
        add(Role.POSTCODE, 0.7)
    if "pnc" in tokens:
        add(Role.PNC_ID, 0.7)
    if "cro" in tokens:
        add(Role.CRO_NUMBER, 0.7)
    if "urn" in tokens:
        add(Role.URN, 0.7)
    if tokens & {"address", "addr", "street"}:
        add(Role.ADDRESS, 0.65)
    if tokens & {"town", "city"}:
        add(Role.TOWN, 0.65)
    if tokens & {"sex", "gender"}:
        add(Role.SEX, 0.7)
    if tokens & {"email", "phone", "mobile", "passport", "nino", "licence", "telephone"}:
        add(Role.OTHER_ID, 0.65)
    if "name" in tokens and not found:
        if tokens & _IGNORE_WORDS:
            add(Role.IGNORE, 0.7)  # the name of a court, station or team, not a person
        else:
            add(Role.FULL_NAME, 0.5)
    if tokens & {"id", "ref", "reference", "key"} and not found:
        add(Role.RECORD_ID, 0.45)
    if tokens & _IGNORE_WORDS and not (set(found) - {Role.RECORD_ID}):
        add(Role.IGNORE, 0.6)
    return found, core


# ---------------------------------------------------------------------------- value evidence
_FIRST_NAMES = frozenset(
    re.findall(
        r"[A-Z']+",
        """
    JOHN DAVID MICHAEL PAUL ANDREW JAMES PETER ROBERT MARK RICHARD STEPHEN WILLIAM THOMAS
    CHRISTOPHER DANIEL MATTHEW ANTHONY GEORGE IAN SIMON KEVIN GARY STEVEN JASON LEE CRAIG DARREN
    ADAM BEN BENJAMIN JACK JOSHUA LUKE RYAN SAMUEL JOSEPH HARRY CHARLIE OLIVER JACOB ALFIE NOAH
    LEO OSCAR ARTHUR HENRY EDWARD CHARLES FREDERICK ALBERT ALEXANDER LIAM CONNOR KYLE DEAN SCOTT
    NATHAN JORDAN CALLUM LEWIS JAKE DYLAN MOHAMMED MUHAMMAD ALI AHMED OMAR HASSAN IBRAHIM ROBERTO
    MARY SARAH EMMA LAURA LISA CLAIRE KAREN SUSAN HELEN JULIE NICOLA RACHEL AMANDA JANE ELIZABETH
    MARGARET PATRICIA LINDA BARBARA JENNIFER ANNE ANN JESSICA SOPHIE CHLOE EMILY OLIVIA AMELIA
    ISLA AVA MIA GRACE LILY ELLA RUBY HANNAH LUCY KATIE AMY REBECCA CHARLOTTE GEORGIA MEGAN LAUREN
    JADE SAMANTHA GEMMA DONNA TRACY TRACEY KELLY VICTORIA ALICE FLORENCE EVIE POPPY ISABELLA
    FATIMA AISHA ZARA MARIA ANNA CATHERINE KATHERINE JOAN DOROTHY JOYCE SHEILA PAULINE CAROL
    DEBORAH ANGELA JOANNE LOUISE STACEY DANIELLE NATALIE ZOE KIRSTY HAYLEY SOPHIA ISABEL MARIE
    FRANCIS HUGH WALTER ERNEST HAROLD EDWIN ARCHIBALD ISAAC JONATHAN TIMOTHY PHILIP NICHOLAS
    """,
    ),
)

_SURNAMES = frozenset(
    re.findall(
        r"[A-Z']+",
        """
    SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON
    THOMPSON WRIGHT WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON WOOD
    TURNER MARTIN COOPER HILL WARD MORRIS MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN JAMES
    SCOTT PHILLIPS WATSON DAVIS PARKER PRICE BENNETT YOUNG GRIFFITHS MITCHELL KELLY COOK CARTER
    RICHARDSON BAILEY COLLINS BELL SHAW MURPHY MILLER COX RICHARDS KHAN MARSHALL ANDERSON SIMPSON
    ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN POWELL WEBB ROGERS GRAY MASON ALI HUNT
    HUSSAIN CAMPBELL MATTHEWS OWEN PALMER HOLMES MILLS BARNES KNIGHT LLOYD BUTLER RUSSELL BARKER
    FISHER STEVENS JENKINS MURRAY DIXON HARVEY GRAHAM PEARSON AHMED FLETCHER WALSH KAUR GIBSON
    HOWARD ANDREWS STEWART ELLIOTT REYNOLDS SAUNDERS PAYNE FOX FORD PEARCE DAY BROOKS WEST
    LAWRENCE COLE ATKINSON BRADLEY SPENCER GILL DAWSON BALL BURTON O'BRIEN WATTS ROSE BOOTH PERRY
    RYAN GRANT WELLS ARMSTRONG FRANCIS REES HAYES HART HUDSON NEWMAN BARRETT WEBSTER HUNTER
    GREGORY CARR LOWE PAGE MARSH RILEY DUNN WOODS STONE PARSONS MCDONALD MACDONALD HERBERT CROSS
    """,
    ),
)

_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_PNC_RE = re.compile(r"^\d{2,4}/\d{1,7}[A-Z]$")
_URN_RE = re.compile(r"^\d{2}[A-Z]{2}\d{5,9}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_INT_RE = re.compile(r"^-?\d+$")
_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z'’\-]*$")
_MULTIWORD_RE = re.compile(r"^[A-Za-z][A-Za-z'’\-.]*((,\s*|\s+)[A-Za-z][A-Za-z'’\-.]*){1,4}$")
_ADDRESS_RE = re.compile(r"^(\d+[A-Za-z]?|flat|apartment)\b.*[A-Za-z]{3}", re.IGNORECASE)
_SEX_VALUES = frozenset({"M", "F", "MALE", "FEMALE", "U", "UNKNOWN", "X", "NOT KNOWN"})
_DATE_FORMATS = (*DATE_FORMATS, *TIMESTAMP_FORMATS)


#: Text that could be a date: digits and separators, or a day, a month name and a year.
_DATE_SHAPE = re.compile(
    r"^(\d{1,4}[-/. ]\d{1,2}[-/. ]\d{1,4}([ T].*)?|\d{8}|\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{4})$"
)


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    text = str(value).strip()
    if not text or not _DATE_SHAPE.match(text):
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and parsed > date.today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


@dataclass
class _ValueStats:
    n: int = 0
    unique: float = 0.0
    distinct: int = 0
    postcode: float = 0.0
    pnc: float = 0.0
    urn: float = 0.0
    email: float = 0.0
    date: float = 0.0
    median_year: int | None = None
    sex: float = 0.0
    integer: float = 0.0
    word: float = 0.0
    multiword: float = 0.0
    multiword_named: float = 0.0
    first: float = 0.0
    surname: float = 0.0
    address: float = 0.0
    year_like: float = 0.0


def _value_stats(series: pd.Series, uniqueness: float | None) -> _ValueStats:
    raw = [v for v in series.tolist() if not missing(v)]
    texts = [str(v).strip() for v in raw]
    keep = [
        (v, t)
        for v, t in zip(raw, texts, strict=True)
        if t and t.upper() not in PLACEHOLDER_TEXT_SET
    ]
    stats = _ValueStats(n=len(keep))
    if not keep:
        return stats
    values = [t for _, t in keep]
    n = len(values)
    upper = [t.upper() for t in values]
    stats.distinct = len(set(values))
    stats.unique = uniqueness if uniqueness is not None else stats.distinct / n

    def share(flags: Iterable[bool]) -> float:
        return sum(1 for f in flags if f) / n

    compact = [u.replace(" ", "") for u in upper]
    stats.postcode = share(_POSTCODE_RE.match(u) is not None for u in upper)
    stats.pnc = share(_PNC_RE.match(c) is not None for c in compact)
    stats.urn = share(_URN_RE.match(c) is not None for c in compact)
    stats.email = share(_EMAIL_RE.match(t) is not None for t in values)
    stats.sex = share(u in _SEX_VALUES for u in upper)
    stats.integer = share(_INT_RE.match(t) is not None for t in values)
    stats.word = share(_WORD_RE.match(t) is not None for t in values)
    stats.multiword = share(_MULTIWORD_RE.match(t) is not None for t in values)
    stats.address = share(_ADDRESS_RE.match(t) is not None for t in values)
    stats.first = share(u in _FIRST_NAMES for u in upper)
    stats.multiword_named = share(
        len(parts) > 1 and bool({parts[0], parts[-1]} & (_FIRST_NAMES | _SURNAMES))
        for parts in (u.replace(",", " ").split() for u in upper)
    )
    stats.surname = share(u in _SURNAMES for u in upper)
    if stats.integer > 0.9:
        stats.year_like = share(
            _INT_RE.match(t) is not None and 1900 <= int(t) <= date.today().year for t in values
        )
    else:
        dates = [_parse_date(v) for v, _ in keep]
        years = sorted(d.year for d in dates if d is not None)
        stats.date = len(years) / n
        if years:
            stats.median_year = years[len(years) // 2]
    return stats


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def _value_evidence(stats: _ValueStats) -> dict[Role, tuple[float, str]]:
    found: dict[Role, tuple[float, str]] = {}
    if stats.n == 0:
        return found

    def add(role: Role, score: float, reason: str) -> None:
        if score > found.get(role, (0.0, ""))[0]:
            found[role] = (min(score, 0.97), reason)

    if stats.postcode >= 0.5:
        add(
            Role.POSTCODE,
            0.5 + 0.45 * stats.postcode,
            f"{_pct(stats.postcode)} of values are UK postcodes",
        )
    if stats.pnc >= 0.5:
        add(Role.PNC_ID, 0.5 + 0.45 * stats.pnc, f"{_pct(stats.pnc)} of values are PNC IDs")
    if stats.urn >= 0.5:
        add(Role.URN, 0.5 + 0.4 * stats.urn, f"{_pct(stats.urn)} of values look like case URNs")
    if stats.email >= 0.5:
        add(
            Role.OTHER_ID,
            0.5 + 0.4 * stats.email,
            f"{_pct(stats.email)} of values are email addresses",
        )
    if stats.date >= 0.6 and stats.median_year is not None:
        if stats.median_year <= date.today().year - 16:
            add(
                Role.DOB,
                0.45 + 0.45 * stats.date,
                f"{_pct(stats.date)} of values are dates with plausible birth years "
                f"(median {stats.median_year})",
            )
        else:
            add(
                Role.IGNORE,
                0.4 + 0.4 * stats.date,
                f"{_pct(stats.date)} of values are recent dates (median year {stats.median_year}), "
                "more like event dates than dates of birth",
            )
    if stats.sex >= 0.8 and stats.distinct <= 8:
        add(
            Role.SEX,
            0.5 + 0.45 * stats.sex,
            f"{_pct(stats.sex)} of values are sex codes (M, F, ...)",
        )
    if stats.address >= 0.5:
        add(
            Role.ADDRESS,
            0.4 + 0.4 * stats.address,
            f"{_pct(stats.address)} of values look like street addresses",
        )
    if stats.word >= 0.6:
        add(
            Role.FIRST_NAME,
            0.2 + 0.25 * stats.word + 0.6 * stats.first,
            f"{_pct(stats.word)} of values look like names, "
            f"{_pct(stats.first)} are common first names",
        )
        add(
            Role.SURNAME,
            0.2 + 0.25 * stats.word + 0.6 * stats.surname,
            f"{_pct(stats.word)} of values look like names, "
            f"{_pct(stats.surname)} are common surnames",
        )
    # People's names are many: a column of a few repeated multi-word values ("West Yorkshire
    # Police", "Greater Manchester Police") names an organisation or a place, not a person.
    many = stats.distinct >= min(50, 0.5 * stats.n)
    if stats.multiword >= 0.6 and stats.address < 0.3 and stats.multiword_named >= 0.2 and many:
        add(
            Role.FULL_NAME,
            0.35 + 0.5 * stats.multiword,
            f"{_pct(stats.multiword)} of values are two or more words, like full names",
        )
    if (
        stats.unique >= 0.98
        and stats.n >= 2
        and stats.date < 0.5
        and (stats.integer > 0.9 or stats.word < 0.5)
    ):
        add(
            Role.RECORD_ID, 0.4 + 0.4 * stats.unique, f"{_pct(stats.unique)} of values are distinct"
        )
    if stats.year_like >= 0.9 and stats.unique < 0.9:
        add(Role.BIRTH_YEAR, 0.4, f"{_pct(stats.year_like)} of values are plausible years")
    return found


def _value_test(role: Role, stats: _ValueStats) -> tuple[float, str] | None:
    """How well values fit a role the name suggested: (share, description), or None if no test."""
    tests: dict[Role, tuple[float, str]] = {
        Role.POSTCODE: (stats.postcode, "look like UK postcodes"),
        Role.PNC_ID: (stats.pnc, "look like PNC IDs"),
        Role.DOB: (stats.date, "are dates"),
        Role.SEX: (stats.sex, "are sex codes"),
        Role.FIRST_NAME: (max(stats.word, stats.multiword), "look like names"),
        Role.SURNAME: (max(stats.word, stats.multiword), "look like names"),
        Role.MIDDLE_NAMES: (max(stats.word, stats.multiword), "look like names"),
        Role.FULL_NAME: (max(stats.multiword, stats.word), "look like names"),
        Role.RECORD_ID: (stats.unique, "are distinct"),
        Role.BIRTH_YEAR: (max(stats.year_like, stats.integer), "are years"),
    }
    return tests.get(role)


def _candidates(
    column: str, series: pd.Series | None, uniqueness: float | None
) -> list[tuple[float, Role, str]]:
    names, _ = _name_evidence(column)
    stats = _value_stats(series, uniqueness) if series is not None else None
    values = _value_evidence(stats) if stats is not None else {}
    out: list[tuple[float, Role, str]] = []
    for role in set(names) | set(values):
        n = names.get(role)
        v = values.get(role)
        name_reason = f"name {column!r} means {_ROLE_WORDS[role]}" if n is not None else ""
        if n is not None and v is not None:
            out.append((1 - (1 - n) * (1 - v[0]), role, f"{name_reason}; {v[1]}"))
        elif n is not None:
            score, reason = n, name_reason
            test = _value_test(role, stats) if stats is not None and stats.n else None
            if test is not None:
                fit, words = test
                if role is Role.RECORD_ID and fit < 0.95:
                    score = n * 0.4
                    reason += f", but only {_pct(fit)} of values are distinct"
                    out.append((0.5, Role.IGNORE, f"name {column!r} is a reference that repeats"))
                elif fit < 0.3:
                    score = n * 0.6
                    reason += f", but only {_pct(fit)} of values {words}"
                else:
                    reason += f"; {_pct(fit)} of values {words}"
            out.append((score, role, reason))
        elif v is not None:
            out.append((v[0], role, v[1]))
    if stats is not None and stats.n == 0:
        out.append((0.3, Role.IGNORE, "no values in the sample"))
    out.append((0.15, Role.OTHER, "no strong evidence for a person role"))
    out.append((0.1, Role.IGNORE, "no strong evidence for a person role"))
    return out


#: Roles a suggestion gives to one column only: besides the single-valued roles, surname and
#: middle names go to a second column only when it is a numbered part of the first.
_SUGGESTED_ONCE: frozenset[Role] = SINGLE_VALUED_ROLES | {Role.SURNAME, Role.MIDDLE_NAMES}


def suggest_roles(
    columns: Sequence[str],
    sample: pd.DataFrame | None = None,
    uniqueness: Mapping[str, float] | None = None,
) -> list[RoleSuggestion]:
    """Suggest a role for each column from its name and, when given, a sample of its values.

    Column names are normalised (lower case, camelCase split, prefixes such as ``suspect_`` or
    ``defendant_`` removed) and matched against known names for each role; values are tested
    for postcodes, PNC IDs, URNs, dates of birth, sex codes, names, emails and uniqueness. Name
    and value evidence that agree reinforce each other. A role that fits one column only goes to
    the column with the strongest evidence; the others get their next-best role.

    Args:
        columns: Column names in dataset order.
        sample: Some rows of the data (a few thousand are plenty); names alone when None.
        uniqueness: Share of distinct values per column over the whole dataset, where known;
            otherwise uniqueness is measured in the sample.

    Returns:
        One suggestion per column, in the order of ``columns``.
    """
    order = {role: i for i, role in enumerate(Role)}
    scored: list[tuple[float, int, int, Role, str]] = []
    for index, column in enumerate(columns):
        series = sample[column] if sample is not None and column in sample.columns else None
        unique = (uniqueness or {}).get(column)
        for score, role, reason in _candidates(column, series, unique):
            scored.append((-round(min(max(score, 0.0), 1.0), 4), index, order[role], role, reason))
    scored.sort(key=lambda item: item[:3])
    chosen: dict[int, RoleSuggestion] = {}
    taken: dict[Role, str] = {}
    wanted: dict[int, Role] = {}
    for neg, index, _, role, reason in scored:
        if index in chosen:
            continue
        if role in _SUGGESTED_ONCE and role in taken:
            if (role in PERSON_ROLES or role is Role.RECORD_ID) and -neg >= 0.4:
                wanted.setdefault(index, role)
            continue
        column = columns[index]
        if index in wanted and role in _SUGGESTED_ONCE | {Role.OTHER} and -neg < 0.5:
            part = _name_part_role(column, wanted[index], taken)
            if part is not None:
                holder = taken[wanted[index]]
                taken.setdefault(part, column)
                chosen[index] = RoleSuggestion(
                    column,
                    part,
                    0.7,
                    f"a further part of {holder!r} (the same name numbered): "
                    f"read as {_ROLE_WORDS[part]}",
                )
                continue
        if index in wanted and role is Role.OTHER and -neg < 0.5:
            # The column looks like a role another column holds (a second full name, a
            # copy of the date of birth): comparing it as well would count the same evidence
            # twice, so it is left out.
            first = wanted[index]
            chosen[index] = RoleSuggestion(
                column,
                Role.IGNORE,
                round(-neg, 2),
                f"looks like {_ROLE_WORDS[first]}, which {taken[first]!r} already holds; "
                "left out so the same evidence is not counted twice",
            )
            continue
        if role in _SUGGESTED_ONCE:
            taken[role] = column
        chosen[index] = RoleSuggestion(column, role, round(-neg, 2), reason)
    return [chosen[i] for i in range(len(columns))]


_NUMBERED = re.compile(r"^(.*?)_?(\d+)$")


def _name_part_role(column: str, wanted: Role, taken: Mapping[Role, str]) -> Role | None:
    """The role of a numbered further part of a name (``forename_2`` beside ``forename_1``).

    A second forename is a middle name; further surname or middle-name parts join the first.
    """
    holder = taken.get(wanted)
    if holder is None or wanted not in (Role.FIRST_NAME, Role.SURNAME, Role.MIDDLE_NAMES):
        return None
    mine = _NUMBERED.match(normalise_column_name(column))
    theirs = _NUMBERED.match(normalise_column_name(holder))
    base = normalise_column_name(holder) if theirs is None else theirs.group(1)
    if mine is None or mine.group(1) != base:
        return None
    if wanted is Role.FIRST_NAME:
        return Role.MIDDLE_NAMES
    return wanted


def _mostly_unique(series: pd.Series) -> bool:
    try:
        return bool(series.nunique() >= 0.95 * series.notna().sum() > 0)
    except TypeError:  # unhashable values such as lists
        return False


def suggest_roles_for_dataset(
    ws: Workspace, name: str, sample_rows: int = 2000
) -> list[RoleSuggestion]:
    """Suggest roles for the columns of a dataset in the workspace from a sample of its rows.

    Args:
        ws: The workspace.
        name: The dataset.
        sample_rows: How many rows to sample.

    Returns:
        One suggestion per column, in dataset order.
    """
    columns = list(ws.dataset_columns(name))
    table = ws.dataset_table(name)
    total = int(ws.query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608 - quoted name
    if total <= sample_rows:
        sample = ws.query_df(f"SELECT * FROM {table}")  # noqa: S608 - quoted name
    else:
        sample = ws.query_df(
            f"SELECT * FROM {table} USING SAMPLE reservoir({int(sample_rows)} ROWS) "  # noqa: S608
            "REPEATABLE (7)"
        )
    uniqueness: dict[str, float] = {}
    candidates = [c for c in columns if len(sample) and _mostly_unique(sample[c])]
    if candidates and total > len(sample):
        parts = ", ".join(
            f"count(DISTINCT {quote_ident(c)}) / greatest(count({quote_ident(c)}), 1)"
            for c in candidates
        )
        row = ws.query(f"SELECT {parts} FROM {table}")[0]  # noqa: S608 - quoted names
        uniqueness = {c: float(v or 0) for c, v in zip(candidates, row, strict=True)}
    return suggest_roles(columns, sample, uniqueness)


# ------------------------------------------------------------------------------- storage
def _valid_roles_text() -> str:
    return ", ".join(r.value for r in Role)


def validate_roles(columns: Sequence[str], roles: Mapping[str, Role | str]) -> dict[str, Role]:
    """Check a role mapping against the dataset's columns and return it with Role values.

    Args:
        columns: The dataset's column names.
        roles: Column name to role (a Role or its value, such as ``"first_name"``).

    Raises:
        RoleError: Naming every unknown column, unknown role and single-valued role given to
            more than one column.
    """
    known = set(columns)
    problems: list[str] = []
    checked: dict[str, Role] = {}
    for column, raw in roles.items():
        if column not in known:
            problems.append(f"there is no column {column!r}")
            continue
        try:
            checked[column] = Role(raw.value if isinstance(raw, Role) else str(raw).strip().lower())
        except ValueError:
            problems.append(f"{raw!r} (column {column!r}) is not a known role")
    holders: dict[Role, list[str]] = {}
    for column, role in checked.items():
        holders.setdefault(role, []).append(column)
    for role, cols in holders.items():
        if role in SINGLE_VALUED_ROLES and len(cols) > 1:
            listed = ", ".join(repr(c) for c in cols)
            problems.append(
                f"the role {role.value!r} can go to one column only but is given to {listed}"
            )
    if problems:
        raise RoleError(
            "The column roles are not valid: " + "; ".join(problems) + ".",
            hint=f"Valid roles are: {_valid_roles_text()}.",
        )
    return checked


def save_roles(
    ws: Workspace,
    name: str,
    roles: Mapping[str, Role | str],
    confirmed: bool = True,
    suggestions: Sequence[RoleSuggestion] | None = None,
    actor: str | None = None,
) -> None:
    """Store the column roles of a dataset, replacing those stored before, in one transaction.

    Args:
        ws: The workspace.
        name: The dataset.
        roles: Column name to role for every column that should have one.
        confirmed: Whether a person has confirmed these roles (False for plain suggestions).
        suggestions: The suggestions, to keep the suggested role, confidence and reason beside
            the chosen role; when None, those stored before are kept.
        actor: Who made the change; the local user when None.

    Raises:
        DatasetNotFoundError: When there is no such dataset.
        RoleError: For an unknown column, an unknown role, or a single-valued role given to
            several columns. Nothing is written.
    """
    columns = list(ws.dataset_columns(name))
    checked = validate_roles(columns, roles)
    by_column = {s.column: s for s in suggestions or []}
    now = utcnow()
    user = actor or current_user()
    with ws.transaction() as cur:
        previous = {
            row[0]: row[1:]
            for row in cur.execute(
                "SELECT column_name, suggested_role, confidence, reason FROM wb.column_roles "
                "WHERE dataset = ?",
                [name],
            ).fetchall()
        }
        cur.execute("DELETE FROM wb.column_roles WHERE dataset = ?", [name])
        for column in columns:
            if column not in checked:
                continue
            s = by_column.get(column)
            if s is not None:
                kept: tuple[object, ...] = (s.role.value, float(s.confidence), s.reason)
            else:
                kept = previous.get(column, (None, None, None))
            cur.execute(
                "INSERT INTO wb.column_roles (dataset, column_name, role, suggested_role, "
                "confidence, reason, confirmed, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, column, checked[column].value, *kept, bool(confirmed), now, user],
            )
        ws.audit(
            "roles.save",
            target=name,
            detail={"roles": {c: r.value for c, r in checked.items()}, "confirmed": confirmed},
            actor=user,
            cur=cur,
        )
    log.info("saved %d column roles for %s (confirmed=%s)", len(checked), name, confirmed)


def load_roles(ws: Workspace, name: str) -> dict[str, Role]:
    """The stored roles of a dataset, in column order (empty when none are stored)."""
    rows = ws.query(
        "SELECT r.column_name, r.role FROM wb.column_roles r "
        "LEFT JOIN information_schema.columns c ON c.table_schema = ? AND c.table_name = r.dataset "
        "AND c.column_name = r.column_name WHERE r.dataset = ? "
        "ORDER BY c.ordinal_position NULLS LAST, r.column_name",
        [DATA_SCHEMA, name],
    )
    out: dict[str, Role] = {}
    for column, role in rows:
        try:
            out[str(column)] = Role(role)
        except ValueError:
            log.warning("ignoring unknown stored role %r for %s.%s", role, name, column)
    return out


def datasets_with_roles(ws: Workspace, roles: Iterable[Role]) -> list[str]:
    """Datasets with at least one column stored with one of the roles, in name order."""
    wanted = sorted(Role(r).value for r in roles)
    rows = ws.query(
        "SELECT DISTINCT dataset FROM wb.column_roles WHERE list_contains(?, role) "
        "ORDER BY dataset",
        [wanted],
    )
    return [str(r[0]) for r in rows]


def roles_table(ws: Workspace, name: str) -> pd.DataFrame:
    """The stored roles of a dataset as a table for display and editing.

    Returns:
        One row per column with a stored role, in column order: ``column``, ``role``,
        ``suggested_role``, ``confidence``, ``reason``, ``confirmed``.
    """
    return ws.query_df(
        'SELECT r.column_name AS "column", r.role, r.suggested_role, r.confidence, r.reason, '
        "r.confirmed FROM wb.column_roles r "
        "LEFT JOIN information_schema.columns c ON c.table_schema = ? AND c.table_name = r.dataset "
        "AND c.column_name = r.column_name WHERE r.dataset = ? "
        "ORDER BY c.ordinal_position NULLS LAST, r.column_name",
        [DATA_SCHEMA, name],
    )


def roles_confirmed(ws: Workspace, name: str) -> bool:
    """Whether roles are stored for the dataset and a person has confirmed all of them."""
    rows = ws.query(
        "SELECT count(*), count_if(confirmed) FROM wb.column_roles WHERE dataset = ?", [name]
    )
    total, confirmed = rows[0]
    return bool(total) and total == confirmed
