"""Text of the in-app guide: the workflow, the CJS terms and the person roles."""

from __future__ import annotations

import pandas as pd

from workbench.persons.roles import ROLE_LABELS, Role

GUIDE_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "The workflow",
        """
1. **Bring the data.** Load the sample, or import police, CPS and court extracts (CSV, TSV,
   Parquet, Excel or JSON). A file either imports whole or not at all, and every problem is
   named by file, row and column.
2. **Read the catalogue.** Every dataset has a title, description, source system, owner, refresh
   date, a column dictionary, a quality profile (completeness, distinct values, top values,
   placeholder values, format problems) and its lineage (file, SHA-256, who imported it, when).
3. **Map the columns.** Say which columns hold the person's names, date of birth, sex, postcode
   and identifiers. The workbench suggests roles from the column names and the values.
4. **Link** the records of the same person across systems with Splink, then **analyse**
   attrition, timeliness and demand by local criminal justice board area.
""",
    ),
    (
        "Terms",
        """
- **LCJB** — local criminal justice board. There are 42 in England and Wales, one per police
  force area, with the Metropolitan and City of London forces together as London.
- **URN** — the police unique reference number of a case file, shared by police, CPS and courts.
  It identifies a case, not a person, and is often mistyped or missing.
- **PNC ID** — the Police National Computer person identifier, `YYYY/NNNNNNNL` with a check
  letter. Many records lack one.
- **CRO number** — the Criminal Records Office number, another person identifier.
- **Outcome type** — how police closed a crime under the Home Office outcomes framework, from
  charged/summonsed to "evidential difficulties — victim does not support action" and
  "investigation complete — no suspect identified".
- **Placeholder values** — values that stand for "unknown", such as the date of birth
  1900-01-01 or the no-fixed-abode postcode NF1 1NF. They are treated as missing, never as a
  match.
""",
    ),
    (
        "Why linkage is probabilistic",
        """
There is no person identifier shared by police, CPS and courts. The same person appears with
typing errors, nicknames, swapped forename and surname, a date of birth with day and month
swapped, or an old postcode. Probabilistic linkage weighs how much each agreement and
disagreement says about whether two records belong to the same person, instead of demanding an
exact match on everything.
""",
    ),
)

_EXAMPLES: dict[Role, str] = {
    Role.RECORD_ID: "crime_ref, case_number, id",
    Role.FIRST_NAME: "forename, first_name, fname, given_name",
    Role.MIDDLE_NAMES: "middle_names, other_forenames",
    Role.SURNAME: "surname, last_name, family_name",
    Role.FULL_NAME: "name, full_name, defendant_name",
    Role.DOB: "dob, date_of_birth, birth_date",
    Role.BIRTH_YEAR: "yob, birth_year",
    Role.BIRTH_MONTH: "birth_month",
    Role.BIRTH_DAY: "birth_day",
    Role.SEX: "sex, gender",
    Role.POSTCODE: "postcode, post_code, zipcode",
    Role.ADDRESS: "address_line_1, street",
    Role.TOWN: "town, city",
    Role.PNC_ID: "pnc_id, pnc_number",
    Role.CRO_NUMBER: "cro, cro_number",
    Role.URN: "urn, case_urn",
    Role.OTHER_ID: "email, phone, ni_number",
    Role.OTHER: "occupation, birth_place",
    Role.IGNORE: "offence_date, outcome_type, lcjb_area",
}


def roles_glossary() -> pd.DataFrame:
    """One row per person role: its label, canonical name and example column names."""
    return pd.DataFrame(
        {
            "role": [ROLE_LABELS[r] for r in Role],
            "canonical name": [r.value for r in Role],
            "typical column names": [_EXAMPLES[r] for r in Role],
        }
    )
