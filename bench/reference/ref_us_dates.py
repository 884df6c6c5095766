"""Expert Splink 5 link-only linkage of system_a.csv and system_b.csv (US-style dates).

Cleaning: both systems' columns mapped to one schema; dates parsed as mm/dd/yyyy; names lower
case; placeholder dates, postcodes and names null. Each system holds a person once, so the
link type is link only. Forename and surname together (exact, swapped, Jaro-Winkler, either
name), date of birth, postcode; blocking on name pairs, surname or forename with date of birth,
postcode with either name and date of birth; EM on date of birth and on names; clusters at
match probability 0.9.
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
a, b = raw["system_a"], raw["system_b"]
a = pd.DataFrame(
    {
        "unique_id": a["AId"],
        "forename": clean_name(a["FirstName"]),
        "surname": clean_name(a["LastName"]),
        "dob": iso_date(a["DOB"], "%m/%d/%Y"),
        "postcode": clean_postcode(a["PostalCode"]),
    }
)
b = pd.DataFrame(
    {
        "unique_id": b["b_ref"],
        "forename": clean_name(b["given_name"]),
        "surname": clean_name(b["family_name"]),
        "dob": iso_date(b["date_of_birth"], "%m/%d/%Y"),
        "postcode": clean_postcode(b["post_code"]),
    }
)

a["forename_surname"] = (a["forename"] + " " + a["surname"]).where(
    a["forename"].notna() & a["surname"].notna()
)
b["forename_surname"] = (b["forename"] + " " + b["surname"]).where(
    b["forename"].notna() & b["surname"].notna()
)

settings = SettingsCreator(
    link_type="link_only",
    comparisons=[
        cl.ForenameSurnameComparison(
            "forename", "surname", forename_surname_concat_col_name="forename_surname"
        ),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname"),
        block_on("surname", "dob"),
        block_on("forename", "dob"),
        block_on("postcode", "surname"),
        block_on("dob"),
        block_on("postcode", "forename"),
        block_on("substr(forename,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
    ],
)
linker = linker_for({"system_a": a, "system_b": b}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "dob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.9
).as_pandas_dataframe()
write_clusters(clusters, args.out)
