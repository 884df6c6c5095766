"""Benchmark the suggested linkage pipeline against a hand-written Splink 5 script.

Usage: ``python bench/bench_linkage.py [--records N] [--skip-open] [--skip-sample]``

Generates N synthetic person records (about two a person, with noise) in two datasets, times
suggest + train + predict + cluster end to end, then a hand-written Splink script with
equivalent settings on the same data, and prints both times, their ratio, peak memory and
pairwise and cluster precision, recall and F1. Then scores the suggested model on the open
benchmarks (historical_figures_with_errors_50k and fake_1000; truth column ``cluster``), and
links the committed sample (police, CPS, courts) through the workspace workflow against its
truth files.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage.evaluate import cluster_metrics, pairwise_metrics, truth_from_frames
from linkage.predict import cluster_at_threshold, nodes_from_model, predict_pairs
from linkage.service import link_frames
from linkage.suggest import suggest_model
from linkage.synthetic import load_fake_1000, make_people
from linkage.train import train_model

log = logging.getLogger("bench_linkage")
BENCH = Path("/work/shared/benchmarks")
THRESHOLD = 0.9


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far, in GiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def run_suggested(frames: list[pd.DataFrame]) -> tuple[float, dict, object]:
    """Suggest, train, predict and cluster; return seconds, metrics and the spec."""
    start = time.perf_counter()
    spec = suggest_model(frames)
    model = train_model(frames, spec)
    pairs = predict_pairs(model)
    clusters = cluster_at_threshold(pairs, nodes_from_model(model), THRESHOLD)
    seconds = time.perf_counter() - start
    truth = truth_from_frames(model.data.frames, "person_id")
    pw = pairwise_metrics(pairs, truth, [THRESHOLD], link_type=spec.link_type).iloc[0]
    metrics = {
        "pairs": len(pairs),
        "pairwise": (pw["precision"], pw["recall"], pw["f1"]),
        "cluster": cluster_metrics(clusters, truth),
    }
    return seconds, metrics, spec


def run_hand_written(frames: list[pd.DataFrame], spec) -> tuple[float, dict]:
    """The same model written directly against Splink 5."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f, dataset_display_name=f["source_dataset"][0]) for f in frames]
    settings = SettingsCreator(
        link_type="link_and_dedupe",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
            cl.LevenshteinAtThresholds("pnc_id", [1]),
        ],
        blocking_rules_to_generate_predictions=[r.to_splink() for r in spec.blocking_rules],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(sdfs, settings)
    plan = spec.training
    linker.training.estimate_probability_two_random_records_match(
        [r.to_splink() for r in plan.prior_rules], recall=plan.prior_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=plan.u_max_pairs, seed=1)
    kwargs = {"max_pairs": plan.em_max_pairs} if plan.em_max_pairs else {}
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), **kwargs)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"), **kwargs
    )
    pred = linker.inference.predict(threshold_match_weight=-4)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=THRESHOLD
    ).as_pandas_dataframe()
    seconds = time.perf_counter() - start
    pairs = pred.as_pandas_dataframe()
    truth = truth_from_frames(frames, "person_id")
    pw = pairwise_metrics(pairs, truth, [THRESHOLD], link_type="link_and_dedupe").iloc[0]
    cm = cluster_metrics(clusters[["source_dataset", "unique_id", "cluster_id"]], truth)
    return seconds, {
        "pairs": len(pairs),
        "pairwise": (pw["precision"], pw["recall"], pw["f1"]),
        "cluster": cm,
    }


def load_historical() -> pd.DataFrame:
    """historical_figures_with_errors_50k in canonical form (``cluster`` is the truth)."""
    df = pd.read_parquet(BENCH / "historical_figures_with_errors_50k.parquet")
    out = pd.DataFrame(
        {
            "unique_id": df["unique_id"].astype(str),
            "first_name": df["first_name"].str.upper(),
            "surname": df["surname"].str.upper(),
            "full_name": df["full_name"].str.upper(),
            "dob": pd.to_datetime(df["dob"], errors="coerce").dt.date,
            "town": df["birth_place"].str.upper(),
            "postcode": df["postcode_fake"].str.upper(),
            "sex": df["gender"].map({"male": "M", "female": "F"}),
            "other_occupation": df["occupation"].str.upper(),
            "cluster": df["cluster"].astype(str),
        }
    )
    return out


def score_open(name: str, df: pd.DataFrame, thresholds: list[float]) -> None:
    """Score the suggested model on an open benchmark at several thresholds."""
    start = time.perf_counter()
    result = link_frames([df], threshold=thresholds[0], labels_column="cluster")
    seconds = time.perf_counter() - start
    truth = truth_from_frames(result.model.data.frames, "cluster")
    pw = pairwise_metrics(result.pairs, truth, thresholds)
    nodes = nodes_from_model(result.model)
    print(f"\n{name}: {len(df):,} records, {seconds:.1f} s, {len(result.pairs):,} pairs scored")
    print(f"  blocking: {[r.label() for r in result.model.spec.blocking_rules]}")
    for t, row in zip(thresholds, pw.itertuples(), strict=True):
        cm = cluster_metrics(cluster_at_threshold(result.pairs, nodes, t), truth)
        print(
            f"  p>={t:<5} pairwise P {row.precision:.3f} R {row.recall:.3f} F1 {row.f1:.3f} | "
            f"cluster P {cm['pairwise_precision']:.3f} R {cm['pairwise_recall']:.3f} "
            f"F1 {cm['pairwise_f1']:.3f} | B-cubed F1 {cm['bcubed_f1']:.3f}"
        )


def score_sample() -> None:
    """Link the committed sample through the workspace workflow, as the app does; print quality.

    Loads police, CPS and courts into a fresh workspace, suggests the model (no tuning), trains,
    scores, clusters at 0.9 and measures against the truth files.
    """
    import tempfile

    from linkage import workflow
    from workbench.datasets import load_sample, sample_available
    from workbench.workspace import Workspace

    if not sample_available():
        print("\nsample: the committed sample data is missing; skipped")
        return
    names = ["police", "cps", "courts"]
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(Path(folder) / "bench.duckdb")
        try:
            t0 = time.perf_counter()
            load_sample(ws)
            loaded = time.perf_counter() - t0
            t0 = time.perf_counter()
            spec = workflow.suggest_for_datasets(ws, names)
            run = workflow.train_and_save(ws, names, spec, threshold=THRESHOLD)
            seconds = time.perf_counter() - t0
            m = run.metrics
            t0 = time.perf_counter()
            _, summary = workflow.recluster(ws, run.model_id, 0.5)
            moved = time.perf_counter() - t0
        finally:
            workflow.forget_linkers()
            ws.close()
    print(
        f"\nsample (workspace workflow): {run.summary.n_records:,} records, load {loaded:.1f} s, "
        f"suggest + train + score + cluster + save {seconds:.1f} s, {m['n_pairs']:,} pairs"
    )
    print(
        f"  p>={THRESHOLD} pairwise P {m['pairwise_precision']:.4f} R {m['pairwise_recall']:.4f} "
        f"F1 {m['pairwise_f1']:.4f} | cluster P {m['cluster_precision']:.4f} "
        f"R {m['cluster_recall']:.4f} F1 {m['cluster_f1']:.4f} | B-cubed F1 {m['bcubed_f1']:.4f}"
    )
    print(f"  recluster at 0.5 from stored pairs: {moved:.2f} s ({summary.n_clusters:,} clusters)")
    if m["cluster_f1"] < 0.97:
        print("  WARNING: sample cluster F1 is below the 0.97 target")


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-open", action="store_true", help="skip the open benchmarks")
    parser.add_argument("--skip-sample", action="store_true", help="skip the sample data run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.ERROR)

    t0 = time.perf_counter()
    frames = make_people(args.records, seed=1)
    n = sum(len(f) for f in frames)
    print(f"generated {n:,} records in {time.perf_counter() - t0:.1f} s")

    s_time, s_metrics, spec = run_suggested(frames)
    s_peak = peak_rss_gib()
    h_time, h_metrics = run_hand_written(frames, spec)
    h_peak = peak_rss_gib()

    def show(label: str, seconds: float, m: dict, peak: float) -> None:
        p, r, f = m["pairwise"]
        c = m["cluster"]
        print(
            f"{label:<13} {seconds:7.1f} s  peak RSS {peak:.2f} GiB  pairs {m['pairs']:,}\n"
            f"  pairwise  P {p:.4f} R {r:.4f} F1 {f:.4f}\n"
            f"  clusters  P {c['pairwise_precision']:.4f} R {c['pairwise_recall']:.4f} "
            f"F1 {c['pairwise_f1']:.4f}  B-cubed F1 {c['bcubed_f1']:.4f}"
        )

    print(f"blocking rules: {[r.label() for r in spec.blocking_rules]}")
    show("suggested", s_time, s_metrics, s_peak)
    show("hand-written", h_time, h_metrics, h_peak)
    print(f"ratio suggested / hand-written: {s_time / h_time:.2f}")

    if not args.skip_sample:
        score_sample()
    if not args.skip_open:
        if (BENCH / "fake_1000.csv").exists():
            score_open("fake_1000", load_fake_1000(str(BENCH / "fake_1000.csv")), [0.5, 0.9, 0.95])
        if (BENCH / "historical_figures_with_errors_50k.parquet").exists():
            score_open("historical_50k", load_historical(), [0.5, 0.9, 0.95])
    print(f"\npeak RSS overall {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
