"""Expert Splink 5 deduplication of records.parquet (names and date of birth over columns).

Cleaning: the date of birth built from ``birth_year``, ``birth_month`` and ``birth_day``; the
surname joined from ``surname_1`` and ``surname_2`` without a separator (so ``Mac Donald``,
``MacDonald`` and ``Smith-Jones``, ``Smith Jones`` agree); forename and middle name from
``forename_1`` and ``forename_2``; placeholder dates, postcodes and names null. Forename and
surname together (exact, swapped, Jaro-Winkler, either name), middle name, date of birth,
postcode, sex; blocking on name pairs, surname or forename with date of birth, postcode with
surname and date of birth; EM on date of birth and on names; clusters at 0.95.
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
ymd = (
    raw["birth_year"].astype("Int64").astype("string")
    + "-"
    + raw["birth_month"].astype("Int64").astype("string").str.zfill(2)
    + "-"
    + raw["birth_day"].astype("Int64").astype("string").str.zfill(2)
)
surname = clean_name(raw["surname_1"]).fillna("") + clean_name(raw["surname_2"]).fillna("")
surname = clean_name(surname.str.replace(r"[ '\-]", "", regex=True))
df = pd.DataFrame(
    {
        "unique_id": raw["record_id"],
        "forename": clean_name(raw["forename_1"]),
        "middle": clean_name(raw["forename_2"]),
        "surname": surname,
        "dob": iso_date(ymd, "%Y-%m-%d"),
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
        cl.JaroWinklerAtThresholds("middle", [0.9]).configure(term_frequency_adjustments=True),
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
