"""Expert Splink 5 deduplication of people.csv, which has derived columns.

``first_and_surname`` is ``first`` and ``surname`` joined, and ``birth_year`` is the year of
``dob``: counted once, not as extra evidence. The concatenated name serves the forename/surname
comparison (exact match on the whole name, and on the names swapped); ``birth_year`` only a
blocking rule. Cleaning: names lower case, placeholder dates, postcodes and names null.
Blocking on name pairs, surname or forename with date of birth, postcode with surname, and
birth year with initials; EM on date of birth and on names; clusters at 0.95.
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
        "unique_id": raw["id"],
        "first": clean_name(raw["first"]),
        "surname": clean_name(raw["surname"]),
        "first_and_surname": clean_name(raw["first_and_surname"]),
        "dob": iso_date(raw["dob"], "%Y-%m-%d"),
        "birth_year": raw["birth_year"],
        "postcode": clean_postcode(raw["postcode"]),
        "sex": raw["sex"],
    }
)

settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.ForenameSurnameComparison(
            "first", "surname", forename_surname_concat_col_name="first_and_surname"
        ),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode"),
        cl.ExactMatch("sex"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("first", "surname"),
        block_on("surname", "dob"),
        block_on("first", "dob"),
        block_on("postcode", "surname"),
        block_on("substr(first,1,1)", "substr(surname,1,2)", "birth_year"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("first", "surname", "dob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first", "surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
