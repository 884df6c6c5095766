"""Expert Splink 5 deduplication of records.csv, full of placeholder values.

Cleaning: dates of birth 1900-01-01, 1901-01-01 and 1970-01-01, postcodes NF1 1NF, ZZ99 3VZ
and NFA, and names NFA, NOT KNOWN, UNKNOWN and NOT ENTERED are set to null before anything
else, so they neither block nor match; names lower case. Forename and surname together (exact,
swapped, Jaro-Winkler, either name), date of birth, postcode, sex; blocking on name pairs,
surname or forename with date of birth, postcode with surname and date of birth; EM on date of
birth and on names; clusters at 0.95.
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
raw = read_raw(args.inputs[0])
df = pd.DataFrame(
    {
        "unique_id": raw["record_id"],
        "forename": clean_name(raw["forename"]),
        "surname": clean_name(raw["surname"]),
        "dob": iso_date(raw["dob"], "%Y-%m-%d"),
        "postcode": clean_postcode(raw["postcode"]),
        "sex": raw["sex"],
    }
)

df["forename_surname"] = (df["forename"] + " " + df["surname"]).where(
    df["forename"].notna() & df["surname"].notna()
)

settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.ForenameSurnameComparison(
            "forename", "surname", forename_surname_concat_col_name="forename_surname"
        ),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode"),
        cl.ExactMatch("sex"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname"),
        block_on("surname", "dob"),
        block_on("forename", "dob"),
        block_on("postcode", "surname"),
        block_on("dob"),
        block_on("substr(forename,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "dob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
