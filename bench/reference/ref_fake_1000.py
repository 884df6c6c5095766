"""Expert Splink 5 deduplication of fake_1000.csv.

Names with Jaro-Winkler levels and term frequencies, date of birth, city with term frequencies
and email; blocking on names, date of birth, city and email; EM on names and on date of birth;
clusters at match probability 0.9.
"""

from __future__ import annotations

import splink.comparison_library as cl
from _common import blank_to_null, linker_for, parse_args, read_raw, write_clusters
from splink import SettingsCreator, block_on

args = parse_args(__doc__)
df = blank_to_null(read_raw(args.inputs[0]).drop(columns=["cluster"]))
for column in ("first_name", "surname", "city"):
    df[column] = df[column].str.lower()
df["email"] = df["email"].str.lower()

settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.DamerauLevenshteinAtThresholds("city", 1).configure(term_frequency_adjustments=True),
        cl.EmailComparison("email"),
    ],
    blocking_rules_to_generate_predictions=[
        # A thousand records: generous blocks cost little.
        block_on("first_name"),
        block_on("surname"),
        block_on("dob"),
        block_on("email"),
        block_on("substr(dob,1,4)", "city"),
        block_on("substr(email,1,6)"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("first_name", "surname", "dob"), block_on("email")], recall=0.4
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("first_name", "surname")
)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
predictions = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.9
).as_pandas_dataframe()
write_clusters(clusters, args.out)
