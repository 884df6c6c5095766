"""Expert Splink 5 deduplication of people_1m.parquet (a million synthetic records).

Cleaning: names lower case, placeholder dates, postcodes and names null. Forename and surname
(swaps included), date of birth, postcode, PNC ID within one edit, sex; blocking on name pairs,
surname or forename with date of birth, postcode with surname or date of birth, swapped names
and PNC ID; u from 10 million random pairs; EM on date of birth and on names, each sampled to
two million pairs; clusters at match probability 0.95.
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
        "unique_id": raw["unique_id"],
        "forename": clean_name(raw["first_name"]),
        "surname": clean_name(raw["surname"]),
        "dob": iso_date(raw["dob"], "%Y-%m-%d"),
        "postcode": clean_postcode(raw["postcode"]),
        "pnc": raw["pnc_id"],
        "sex": raw["sex"],
    }
)
del raw

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
        cl.LevenshteinAtThresholds("pnc", [1]),
        cl.ExactMatch("sex"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname", "substr(dob,1,4)"),
        block_on("surname", "dob"),
        block_on("forename", "dob"),
        block_on("postcode", "surname"),
        block_on("dob"),
        block_on("pnc"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "dob"), block_on("pnc")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), max_pairs=2e6)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("forename", "surname"), max_pairs=2e6
)
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
