"""Expert Splink 5 linkage of police.csv, cps.csv and courts.csv (link and dedupe).

Cleaning: the CPS ``defendant_name`` (``SURNAME, Forename Middle``) and the courts'
``first_names`` split into forename and middle name; the police postcode taken from the end of
the address line; dates parsed from each system's format; names lower case; placeholder dates,
postcodes and names null. Forename and surname together (exact, swapped, Jaro-Winkler, either
name, with term frequencies), middle name, date of birth, postcode, PNC ID and sex; blocking on
name pairs, surname or forename with date of birth, postcode with surname, date of birth and
PNC ID; EM on date of birth and on names; clusters at match probability 0.95.
"""

from __future__ import annotations

import pandas as pd
import splink.comparison_library as cl
from _common import (
    clean_name,
    clean_postcode,
    iso_date,
    linker_for,
    parse_args,
    read_raw,
    write_clusters,
)
from splink import SettingsCreator, block_on

args = parse_args(__doc__)
raw = {path.stem: read_raw(path) for path in args.inputs}
POSTCODE = r"([A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2})\s*$"


def first_and_rest(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First word and the remaining words of a cleaned forenames column."""
    parts = clean_name(names).str.split(" ", n=1)
    return parts.str[0], parts.str[1]


police = raw["police"]
police = pd.DataFrame(
    {
        "unique_id": police["crime_ref"],
        "forename": clean_name(police["forename"]),
        "middle": clean_name(police["middle_name"]),
        "surname": clean_name(police["surname"]),
        "dob": iso_date(police["date_of_birth"], "%Y-%m-%d"),
        "postcode": clean_postcode(police["address"].str.extract(POSTCODE, expand=False)),
        "sex": police["sex"].where(police["sex"].isin(["M", "F"]), None),
        "pnc": police["pnc_id"],
    }
)
cps = raw["cps"]
name_parts = cps["defendant_name"].str.split(",", n=1)
surname, given = name_parts.str[0], name_parts.str[1]
forename, middle = first_and_rest(given)
cps = pd.DataFrame(
    {
        "unique_id": cps["cps_urn"],
        "forename": forename,
        "middle": middle,
        "surname": clean_name(surname),
        "dob": iso_date(cps["defendant_dob"], "%d/%m/%Y"),
        "postcode": clean_postcode(cps["defendant_postcode"]),
        "sex": None,
        "pnc": None,
    }
)
courts = raw["courts"]
forename, middle = first_and_rest(courts["first_names"])
courts = pd.DataFrame(
    {
        "unique_id": courts["case_number"],
        "forename": forename,
        "middle": middle,
        "surname": clean_name(courts["last_name"]),
        "dob": iso_date(courts["birth_date"], "%Y-%m-%d"),
        "postcode": clean_postcode(courts["post_code"]),
        "sex": None,
        "pnc": None,
    }
)

police["forename_surname"] = (police["forename"] + " " + police["surname"]).where(
    police["forename"].notna() & police["surname"].notna()
)
cps["forename_surname"] = (cps["forename"] + " " + cps["surname"]).where(
    cps["forename"].notna() & cps["surname"].notna()
)
courts["forename_surname"] = (courts["forename"] + " " + courts["surname"]).where(
    courts["forename"].notna() & courts["surname"].notna()
)

settings = SettingsCreator(
    link_type="link_and_dedupe",
    comparisons=[
        cl.ForenameSurnameComparison(
            "forename", "surname", forename_surname_concat_col_name="forename_surname"
        ),
        cl.JaroWinklerAtThresholds("middle", [0.9]).configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode"),
        cl.LevenshteinAtThresholds("pnc", [1]),
        cl.ExactMatch("sex"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname"),
        block_on("surname", "dob"),
        block_on("forename", "dob"),
        block_on("postcode", "surname"),
        block_on("dob"),
        block_on("pnc"),
        block_on("substr(forename,1,1)", "substr(surname,1,1)", "postcode"),
    ],
)
linker = linker_for({"police": police, "cps": cps, "courts": courts}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "dob"), block_on("pnc")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
