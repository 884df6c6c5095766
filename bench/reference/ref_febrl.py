"""Expert Splink 5 deduplication of a FEBRL file (febrl1.csv, febrl2.csv).

Cleaning: names and addresses trimmed and lower case, the yyyymmdd date of birth parsed, the
social security number and postcode kept as text. Names with Jaro-Winkler levels and term
frequencies, date of birth, social security number, street number, first address line,
suburb and postcode with term frequencies, state; blocking on name pairs, date of birth,
social security number and address; EM on names and on date of birth; clusters at match
probability 0.9.
"""

from __future__ import annotations

import pandas as pd
import splink.comparison_library as cl
from _common import blank_to_null, linker_for, parse_args, read_raw, write_clusters
from splink import SettingsCreator, block_on

args = parse_args(__doc__)
df = blank_to_null(read_raw(args.inputs[0]).drop(columns=["person_id"]))
df = df.rename(columns={"rec_id": "unique_id"})
for column in ("given_name", "surname", "address_1", "address_2", "suburb", "state"):
    df[column] = df[column].str.lower()
dob = pd.to_datetime(df["date_of_birth"], format="%Y%m%d", errors="coerce")
df["dob"] = dob.dt.strftime("%Y-%m-%d").where(dob.notna(), None)

settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9]).configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        cl.ExactMatch("state").configure(term_frequency_adjustments=True),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("given_name", "surname"),
        block_on("surname", "dob"),
        block_on("given_name", "dob"),
        block_on("soc_sec_id"),
        block_on("postcode", "street_number"),
        block_on("substr(given_name,1,2)", "substr(surname,1,2)", "postcode"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "dob"), block_on("soc_sec_id")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
predictions = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.9
).as_pandas_dataframe()
write_clusters(clusters, args.out)
