"""Name evidence for column roles: what a column's name says about the role it plays.

Names are normalised (lower case, camelCase split, prefixes such as ``suspect_`` and suffixes
such as ``_clean`` removed) and matched against the known names of each role.
"""

from __future__ import annotations

import re

from workbench.persons.roles import Role

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

ROLE_WORDS: dict[Role, str] = {
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


def name_evidence(column: str) -> tuple[dict[Role, float], str]:
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
