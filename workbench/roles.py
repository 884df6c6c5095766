"""Standard person roles for columns, and their suggestion from column names and values."""

from __future__ import annotations

from enum import StrEnum


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
