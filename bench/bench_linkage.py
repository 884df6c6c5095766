"""Benchmark the suggested linkage pipeline against a hand-written Splink 5 script.

Usage: ``python bench/bench_linkage.py [--records N] [--repeats R] [--skip-open] [--skip-sample]``

Generates N synthetic person records (default a million, about two a person, with noise) in two
datasets and times, alternately and R times each (default 2), the suggested pipeline (suggest +
train + predict + cluster, as the workspace workflow runs it) and a hand-written Splink 5 script
with equivalent settings (the same blocking rules and training plan, Splink's own comparisons
and clustering) on the same data. Each run is a forked child process, so its peak memory is its
own (the generated data, shared by both, is included). Prints both times, the ratio of the
medians and per-pair ratios, peak memory and pairwise and cluster precision, recall and F1.
Then times reclustering 100,000 records' stored predictions at a new threshold, scores the
suggested model on the open benchmarks (historical_figures_with_errors_50k and fake_1000; truth
column ``cluster``), and links the committed sample (police, CPS, courts) through the workspace
workflow against its truth files.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage.evaluate import cluster_metrics, pairwise_metrics, truth_from_frames
from linkage.predict import (
    cluster_at_threshold,
    edges_from_pairs,
    nodes_from_model,
    predict_pairs,
    summarise_clusters,
)
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
    """Suggest, train, predict and cluster as the workflow does; return seconds, metrics, spec.

    The scored pairs stay in DuckDB; only the columns clustering needs are fetched (the
    workflow then writes the full table to the workspace straight from DuckDB).
    """
    start = time.perf_counter()
    spec = suggest_model(frames)
    model = train_model(frames, spec)
    rel = predict_pairs(model, as_pandas=False)
    edges = edges_from_pairs(rel)
    clusters = cluster_at_threshold(edges, nodes_from_model(model), THRESHOLD)
    seconds = time.perf_counter() - start
    truth = truth_from_frames(model.data.frames, "person_id")
    pw = pairwise_metrics(edges, truth, [THRESHOLD], link_type=spec.link_type).iloc[0]
    metrics = {
        "pairs": len(edges),
        "pairwise": (pw["precision"], pw["recall"], pw["f1"]),
        "cluster": cluster_metrics(clusters, truth),
        "timings": dict(model.timings),
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
    linker = Linker(sdfs, settings, log_level=None)  # quiet: no per-step INFO output
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


def _child(target: str, frames: list[pd.DataFrame], spec: object, conn: object) -> None:
    """Run one pipeline in a forked child and send back seconds, metrics, spec and peak RSS."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    if target == "suggested":
        seconds, metrics, spec = run_suggested(frames)
    else:
        seconds, metrics = run_hand_written(frames, spec)
    conn.send((seconds, metrics, spec, peak_rss_gib()))
    conn.close()


def run_in_child(target: str, frames: list[pd.DataFrame], spec: object) -> tuple:
    """One pipeline run in a forked process, so its peak memory is measured on its own."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(target, frames, spec, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result


def time_recluster(n_records: int = 100_000) -> None:
    """Time moving the threshold on stored predictions of ``n_records`` records.

    Links synthetic records with the suggested model, stores the scored pairs in a DuckDB
    file as the workspace does, then times what the Threshold page does on a new threshold:
    fetch the edges at or above it, cluster, summarise.
    """
    import duckdb

    frames = make_people(n_records, seed=3)
    spec = suggest_model(frames)
    model = train_model(frames, spec)
    rel = predict_pairs(model, as_pandas=False)
    nodes = nodes_from_model(model)
    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect(str(Path(folder) / "pred.duckdb"))
        con.register("scored", rel.to_arrow_table())
        con.execute("CREATE TABLE pred AS SELECT * FROM scored")
        n_pairs = con.execute("SELECT count(*) FROM pred").fetchall()[0][0]
        times = []
        for threshold in (0.5, 0.8, 0.95, 0.99):
            t0 = time.perf_counter()
            edges = con.execute(
                "SELECT source_dataset_l, unique_id_l, source_dataset_r, unique_id_r, "
                "match_weight, match_probability FROM pred WHERE match_probability >= ?",
                [threshold],
            ).df()
            summary = summarise_clusters(cluster_at_threshold(edges, nodes, threshold))
            times.append(time.perf_counter() - t0)
        con.close()
    print(
        f"\nrecluster {len(nodes):,} records ({n_pairs:,} stored pairs) at a new threshold: "
        f"median {statistics.median(times):.2f} s, worst {max(times):.2f} s "
        f"(target < 1 s; {summary.n_clusters:,} clusters at 0.99)"
    )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each pipeline")
    parser.add_argument("--skip-open", action="store_true", help="skip the open benchmarks")
    parser.add_argument("--skip-sample", action="store_true", help="skip the sample data run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.ERROR)

    t0 = time.perf_counter()
    frames = make_people(args.records, seed=1)
    n = sum(len(f) for f in frames)
    print(f"generated {n:,} records in {time.perf_counter() - t0:.1f} s")

    # The hand-written script needs the suggested rules and plan; suggest once up front (the
    # suggestion is repeated, and timed, inside every suggested run).
    spec = suggest_model(frames)
    runs: dict[str, list[tuple]] = {"suggested": [], "hand-written": []}
    for i in range(max(1, args.repeats)):
        order = ["suggested", "hand-written"] if i % 2 == 0 else ["hand-written", "suggested"]
        for label in order:
            seconds, metrics, _, peak = run_in_child(label, frames, spec)
            runs[label].append((seconds, metrics, peak))
            print(f"  run {i + 1}: {label:<13} {seconds:6.1f} s  peak RSS {peak:.2f} GiB")

    def show(label: str) -> float:
        times = [r[0] for r in runs[label]]
        _, m, _ = runs[label][-1]
        peak = max(r[2] for r in runs[label])
        p, r, f = m["pairwise"]
        c = m["cluster"]
        print(
            f"{label:<13} median {statistics.median(times):6.1f} s (runs "
            f"{', '.join(f'{t:.1f}' for t in times)})  peak RSS {peak:.2f} GiB  "
            f"pairs {m['pairs']:,}\n"
            f"  pairwise  P {p:.4f} R {r:.4f} F1 {f:.4f}\n"
            f"  clusters  P {c['pairwise_precision']:.4f} R {c['pairwise_recall']:.4f} "
            f"F1 {c['pairwise_f1']:.4f}  B-cubed F1 {c['bcubed_f1']:.4f}"
        )
        if "timings" in m:
            steps = ", ".join(f"{k} {v:.1f}" for k, v in m["timings"].items())
            print(f"  training steps (s): {steps}")
        return statistics.median(times)

    print(f"\nblocking rules: {[r.label() for r in spec.blocking_rules]}")
    print(
        f"training: u max_pairs {spec.training.u_max_pairs:,.0f}, EM "
        f"{[r.label() for r in spec.training.em_rules]} max_pairs {spec.training.em_max_pairs}"
    )
    s_med = show("suggested")
    h_med = show("hand-written")
    pair_ratios = [
        s[0] / h[0] for s, h in zip(runs["suggested"], runs["hand-written"], strict=True)
    ]
    print(
        f"ratio suggested / hand-written: {s_med / h_med:.2f} (medians); per repeat "
        f"{', '.join(f'{r:.2f}' for r in pair_ratios)}"
    )

    time_recluster()
    if not args.skip_sample:
        score_sample()
    if not args.skip_open:
        if (BENCH / "fake_1000.csv").exists():
            score_open("fake_1000", load_fake_1000(str(BENCH / "fake_1000.csv")), [0.5, 0.9, 0.95])
        if (BENCH / "historical_figures_with_errors_50k.parquet").exists():
            score_open("historical_50k", load_historical(), [0.5, 0.9, 0.95])
    print(f"\npeak RSS of the parent process {peak_rss_gib():.2f} GiB")


if __name__ == "__main__":
    main()
