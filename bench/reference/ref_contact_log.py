"""Expert Splink 5 deduplication of contacts.csv: name, year of birth and town only.

Cleaning: names lower case, placeholder names null, year of birth as a number. Names with
Jaro-Winkler levels and term frequencies, year of birth exact or one year apart, town with term
frequencies; blocking on name pairs, surname or forename with year of birth, surname with town;
EM on year of birth and on names; clusters at match probability 0.95 (with so few identifiers,
a high bar against merging namesakes).
"""

from __future__ import annotations

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from _common import clean_name, linker_for, parse_args, read_raw, write_clusters
from splink import SettingsCreator, block_on

args = parse_args(__doc__)
raw = read_raw(args.inputs[0])
df = pd.DataFrame(
    {
        "unique_id": raw["contact_id"],
        "forename": clean_name(raw["first_name"]),
        "surname": clean_name(raw["last_name"]),
        "yob": pd.to_numeric(raw["year_of_birth"], errors="coerce").astype("Int64"),
        "town": raw["town"].str.strip().str.lower(),
    }
)

year_of_birth = cl.CustomComparison(
    output_column_name="yob",
    comparison_levels=[
        cll.NullLevel("yob"),
        cll.ExactMatchLevel("yob"),
        cll.CustomLevel("abs(yob_l - yob_r) = 1", label_for_charts="One year apart"),
        cll.ElseLevel(),
    ],
)
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("forename").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        year_of_birth,
        cl.ExactMatch("town").configure(term_frequency_adjustments=True),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname"),
        block_on("surname", "yob"),
        block_on("forename", "yob"),
        block_on("surname", "town"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "yob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("yob"), max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
