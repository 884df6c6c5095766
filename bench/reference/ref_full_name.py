"""Expert Splink 5 deduplication of people.csv, whose name is one ``full_name`` column.

Cleaning: titles (Mr, Mrs, Ms, Miss, Dr) removed; the first word is the forename (an initial
such as ``D.`` kept as one letter), the last word the surname (with a preceding Mac, Mc, O,
Van or De joined to it), any words between the middle names; gender to M/F; placeholder
dates, postcodes and names null. The forename comparison has a level for an initial that
agrees with the other record's forename. Blocking on name pairs, surname or forename with date
of birth, postcode with surname, date of birth; EM on date of birth and on names; clusters at 0.95.
"""

from __future__ import annotations

import pandas as pd
import splink.comparison_level_library as cll
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
TITLES = {"mr", "mrs", "ms", "miss", "dr", "mx"}
PARTICLES = {"mac", "mc", "o", "van", "de", "le", "da"}


def split_name(full: object) -> tuple[str | None, str | None, str | None]:
    """Forename, middle names and surname of a cleaned ``Title Forename Middle Surname``."""
    if not isinstance(full, str):
        return None, None, None
    words = [w for w in full.split(" ") if w]
    while words and words[0] in TITLES:
        words = words[1:]
    if not words:
        return None, None, None
    if len(words) == 1:
        return None, None, words[0]
    surname = words.pop()
    if len(words) > 1 and words[-1] in PARTICLES:
        surname = words.pop() + surname
    return words[0], " ".join(words[1:]) or None, surname


names = clean_name(raw["full_name"].str.replace(".", " ", regex=False))
parts = pd.DataFrame(names.map(split_name).tolist(), columns=["forename", "middle", "surname"])
df = pd.DataFrame(
    {
        "unique_id": raw["ref"],
        "forename": parts["forename"],
        "middle": parts["middle"],
        "surname": parts["surname"],
        "dob": iso_date(raw["date_of_birth"], "%Y-%m-%d"),
        "postcode": clean_postcode(raw["postcode"]),
        "sex": raw["gender"].map({"Male": "M", "Female": "F"}),
    }
)

forename = cl.CustomComparison(
    output_column_name="forename",
    comparison_levels=[
        cll.NullLevel("forename"),
        cll.ExactMatchLevel("forename").configure(tf_adjustment_column="forename"),
        cll.JaroWinklerLevel("forename", 0.92),
        cll.JaroWinklerLevel("forename", 0.8),
        cll.CustomLevel(
            "(length(forename_l) = 1 or length(forename_r) = 1) "
            "and substr(forename_l, 1, 1) = substr(forename_r, 1, 1)",
            label_for_charts="Initial agrees",
        ),
        cll.ElseLevel(),
    ],
)
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        forename,
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
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
        block_on("substr(forename,1,1)", "surname", "substr(dob,1,4)"),
    ],
)
linker = linker_for({args.inputs[0].stem: df}, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "dob")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.95
).as_pandas_dataframe()
write_clusters(clusters, args.out)
