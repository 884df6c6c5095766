"""Linkage benchmark suite: the workbench's suggested model as a user meets it, beside experts.

Usage: ``python bench/bench_linkage_suite.py [--quick] [--only NAME ...] [--keep DIR]
[--build-only] [--repeats N]``

For every dataset (see ``bench/linkage_data.py``) the raw files are written to a folder, then
two programs run on them as subprocesses, alternately (the order swaps from one dataset to the
next and between repeats):

* the user's path: ``workbench link FILE [FILE ...] --out OUT.parquet --labels-column TRUTH``
  (no roles, the default threshold; the truth column is only for scoring);
* the expert reference: a hand-written Splink 5 script for that file in ``bench/reference``.

Each run is timed and its peak memory taken from the kernel's accounting of that child. Both
outputs are scored by one scorer (``bench/linkage_score.py``): clustered pairwise and B-cubed
precision, recall and F1 against the truth column. A row meets the goal when the workbench's
clustered pairwise F1 is at least the reference's minus 0.005. The exit status is 0 whatever
the scores and 1 when a run crashes.

``--build-only --keep DIR`` writes every dataset's files into DIR and prints the commands, so a
single dataset can be linked by hand. ``--quick`` leaves out the million-record dataset and the
reclustering timing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import linkage_data  # noqa: E402
import linkage_score  # noqa: E402

GOAL_MARGIN = 0.005
TIMEOUT_SECONDS = 3600


@dataclass
class Run:
    """One program's run on one dataset."""

    label: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    peak_gib: list[float] = field(default_factory=list)
    metrics: dict[str, float] | None = None
    error: str | None = None

    @property
    def median_seconds(self) -> float:
        """Median wall-clock seconds over the repeats."""
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def max_peak(self) -> float:
        """Largest peak resident memory over the repeats, in GiB."""
        return max(self.peak_gib) if self.peak_gib else float("nan")


def run_child(command: list[str], log_path: Path, cwd: Path) -> tuple[int, float, float]:
    """Run a command, its output to ``log_path``; return exit status, seconds, peak GiB.

    The peak resident memory is the child's own (``wait4``), not a running maximum over every
    child so far as ``RUSAGE_CHILDREN`` would give.
    """
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        timer = threading.Timer(TIMEOUT_SECONDS, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / (1024 * 1024)


def _tail(path: Path, lines: int = 12) -> str:
    text = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


def workbench_executable() -> str:
    """The ``workbench`` console script next to this Python, else the one on PATH."""
    local = Path(sys.executable).with_name("workbench")
    return str(local) if local.exists() else "workbench"


def commands(dataset: linkage_data.Dataset, folder: Path) -> dict[str, list[str]]:
    """The workbench and reference commands for a dataset whose files are in ``folder``."""
    wb = dataset.workbench_command(folder, folder / "out" / "workbench.parquet")
    ref = dataset.reference_command(folder, folder / "out" / "reference.parquet")
    return {
        "workbench": [workbench_executable(), *wb[1:]],
        "reference": [sys.executable, *ref[1:]],
    }


def bench_dataset(dataset: linkage_data.Dataset, folder: Path, first: int, repeats: int) -> dict:
    """Run both programs on one dataset (alternately, ``repeats`` times each) and score them."""
    cmds = commands(dataset, folder)
    (folder / "out").mkdir(exist_ok=True)
    runs = {label: Run(label, cmd) for label, cmd in cmds.items()}
    truth = linkage_data.truth_table(dataset, folder)
    labels = ["workbench", "reference"]
    for repeat in range(repeats):
        order = labels if (first + repeat) % 2 == 0 else labels[::-1]
        for label in order:
            run = runs[label]
            if run.error:
                continue
            out = folder / "out" / f"{label}.parquet"
            out.unlink(missing_ok=True)
            log_path = folder / "out" / f"{label}.log"
            code, seconds, peak = run_child(run.command, log_path, folder)
            print(
                f"  {label:<9} run {repeat + 1}: {seconds:7.1f} s, peak {peak:5.2f} GiB"
                + ("" if code == 0 else f", exit {code}"),
                flush=True,
            )
            if code != 0:
                run.error = f"exit {code}: {_tail(log_path)}"
                continue
            run.seconds.append(seconds)
            run.peak_gib.append(peak)
            try:
                output = linkage_score.read_output(out)
                if label == "workbench":
                    if len(output) != len(truth):
                        raise ValueError(f"{len(output):,} output rows for {len(truth):,} records")
                    run.metrics = linkage_score.score_with_truth_column(output, dataset.truth)
                else:
                    run.metrics = linkage_score.score_against(output, truth)
            except Exception as exc:  # a missing or malformed output is a crash of that run
                run.error = f"cannot score {out.name}: {exc}"
    return {"dataset": dataset, "records": len(truth), "runs": runs}


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def print_table(results: list[dict]) -> bool:
    """Print the comparison table; return whether every row meets the goal."""
    header = (
        f"{'dataset':<15} {'records':>9} | {'wb P':>5} {'wb R':>5} {'wb F1':>5} {'wb B3':>5} | "
        f"{'ref P':>5} {'ref R':>5} {'ref F1':>5} {'ref B3':>5} | {'gap':>6} | "
        f"{'wb s':>6} {'ref s':>6} {'x':>5} | {'wb GiB':>6} {'ref GiB':>7} {'x':>5} | "
        f"{'largest':>11} | goal"
    )
    print("\n" + header)
    print("-" * len(header))
    all_met = True
    for result in results:
        wb, ref = result["runs"]["workbench"], result["runs"]["reference"]
        name = result["dataset"].name
        cells = []
        for run in (wb, ref):
            m = run.metrics or {}
            cells.append(
                " ".join(
                    f"{_fmt(m.get(k, float('nan'))):>5}"
                    for k in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_f1")
                )
            )
        if wb.metrics and ref.metrics:
            gap = wb.metrics["pairwise_f1"] - ref.metrics["pairwise_f1"]
            met = gap >= -GOAL_MARGIN
            goal = "yes" if met else "NO"
        else:
            gap, met = float("nan"), False
            goal = "CRASH"
        all_met &= met
        largest = "/".join(str((r.metrics or {}).get("largest_cluster", "-")) for r in (wb, ref))
        ratio_s = wb.median_seconds / ref.median_seconds if ref.seconds else float("nan")
        ratio_m = wb.max_peak / ref.max_peak if ref.peak_gib else float("nan")
        print(
            f"{name:<15} {result['records']:>9,} | {cells[0]} | {cells[1]} | "
            f"{_fmt(gap):>6} | {_fmt(wb.median_seconds, 1):>6} {_fmt(ref.median_seconds, 1):>6} "
            f"{_fmt(ratio_s, 2):>5} | {_fmt(wb.max_peak, 2):>6} {_fmt(ref.max_peak, 2):>7} "
            f"{_fmt(ratio_m, 2):>5} | {largest:>11} | {goal}"
        )
    print(
        "\nP/R/F1: clustered pairwise precision, recall, F1; B3: B-cubed F1; gap: workbench F1 "
        f"minus reference F1; goal: gap >= -{GOAL_MARGIN}; x: workbench / reference; "
        "largest: largest cluster, workbench/reference."
    )
    for result in results:
        for run in result["runs"].values():
            if run.error:
                print(f"\n{result['dataset'].name} {run.label} failed: {shlex.join(run.command)}")
                print("  " + run.error.replace("\n", "\n  "))
    return all_met


def time_recluster(n_records: int = 100_000) -> None:
    """Time moving the threshold on stored predictions of ``n_records`` synthetic records.

    Links the records with the suggested model, stores the scored pairs in a DuckDB file as the
    workspace does, then times what the Threshold page does on a new threshold: fetch the edges
    at or above it, cluster, summarise.
    """
    import duckdb

    from linkage.model.predict import (
        cluster_at_threshold,
        nodes_from_model,
        predict_pairs,
        summarise_clusters,
    )
    from linkage.model.suggest import suggest_model
    from linkage.model.train import train_model
    from linkage.synthetic import make_people

    frames = make_people(n_records, seed=3)
    model = train_model(frames, suggest_model(frames))
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


def main() -> int:
    """Build the datasets, run and score both programs on each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the million-record dataset")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="only this dataset (repeatable)"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write data and outputs here")
    parser.add_argument(
        "--build-only", action="store_true", help="write the datasets and print the commands"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs of each program")
    args = parser.parse_args()

    names = [n for item in args.only or [] for n in item.split(",") if n]
    try:
        selected = (
            [linkage_data.by_name(n) for n in names] if names else list(linkage_data.DATASETS)
        )
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    if args.quick and not names:
        selected = [d for d in selected if not d.large]

    temp = None
    if args.keep:
        root = args.keep.resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.TemporaryDirectory(prefix="linkage-suite-")
        root = Path(temp.name)
    started = time.perf_counter()
    results = []
    crashed = False
    try:
        for i, dataset in enumerate(selected):
            folder = root / dataset.name
            t0 = time.perf_counter()
            linkage_data.build(dataset, folder)
            print(
                f"== {dataset.name}: {dataset.description} "
                f"(written in {time.perf_counter() - t0:.1f} s to {folder})",
                flush=True,
            )
            if args.build_only:
                for label, cmd in commands(dataset, folder).items():
                    print(f"  {label}: {shlex.join(cmd)}")
                continue
            try:
                result = bench_dataset(dataset, folder, i, max(1, args.repeats))
            except Exception as exc:  # the suite itself failed on this dataset
                print(f"  failed: {type(exc).__name__}: {exc}")
                crashed = True
                continue
            results.append(result)
            crashed |= any(r.error for r in result["runs"].values())
        if args.build_only:
            return 0
        all_met = print_table(results)
        if not args.quick and not names:
            time_recluster()
        verdict = "every row meets the goal" if all_met else "some rows miss the goal"
        print(f"\nverdict: {verdict}; suite took {time.perf_counter() - started:.0f} s")
        if crashed:
            print("a run crashed: exit 1")
    finally:
        if temp is not None:
            temp.cleanup()
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
