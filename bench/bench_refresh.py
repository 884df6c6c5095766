"""Refresh against full relink: time, peak memory and clustered F1 on synthetic people with truth.

At each size a previous run links part of the records (police records not yet received, plus
all court records) and saves its model; then, with that same model and threshold,

* **refresh**: ``workbench link NEW --previous PREV`` links only the new police records in;
* **full relink**: ``workbench link police courts --model ... --threshold ...`` links everything.

Each runs in its own process (peak memory is that process's maximum resident set; CPU time is
printed beside wall time because a shared machine stretches wall time unevenly). Targets:
refresh under half the full relink's time when half of one source is new (100k records), under
a fifth when 10% is new (1M records); peak memory no higher; F1 within 0.01.

Run with ``make bench`` or ``.venv/bin/python bench/bench_refresh.py [--sizes 100000,1000000]``;
``--records 1000000 --new-share 0.1`` runs one size with a chosen share of new records, and
``--work DIR`` keeps the files and reuses the previous run and model on the next call.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from linkage.quality.evaluate import cluster_metrics
from linkage.synthetic import make_people

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Runs the CLI in a fresh process and reports that process's peak resident memory.
# Splink's SQL is timed apart (process CPU, all of DuckDB's threads) to show how much of each
# run is scoring pairs and how much is everything around it.
_RUNNER = (
    "import resource, sys, time\n"
    "from splink.internals.database_api import DatabaseAPI\n"
    "spent = [0.0]\n"
    "run_sql = DatabaseAPI._log_and_run_sql_execution\n"
    "def timed(self, *args):\n"
    "    start = time.process_time()\n"
    "    try:\n"
    "        return run_sql(self, *args)\n"
    "    finally:\n"
    "        spent[0] += time.process_time() - start\n"
    "DatabaseAPI._log_and_run_sql_execution = timed\n"
    "from workbench.cli import run\n"
    "code = run(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print('PEAK_KIB', use.ru_maxrss, use.ru_utime + use.ru_stime, spent[0], file=sys.stderr)\n"
    "sys.exit(code)"
)
# What any refresh under the file contract pays before linking anything: start the command
# line's modules, read the previous run whole and write it whole.
_FILES_ONLY = (
    "import resource, sys\n"
    "import workbench.cli.link, linkage.clusters.refresh, linkage.inputs, linkage.model.train\n"
    "from linkage.clusters.linked_file import read_linked, write_linked\n"
    "write_linked(sys.argv[2], read_linked(sys.argv[1]))\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print('PEAK_KIB', use.ru_maxrss, use.ru_utime + use.ru_stime, 0.0, file=sys.stderr)"
)


def cli(args: list[str], script: str = _RUNNER) -> tuple[float, float, float, float]:
    """Run ``workbench`` with ``args``; return wall seconds, CPU seconds, peak GiB and the CPU
    seconds of Splink's SQL."""
    start = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", script, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"workbench {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    line = next(line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB"))
    _, peak, cpu, sql = line.split()
    return seconds, float(cpu), int(peak) / 1024 / 1024, float(sql)


def f1(path: Path) -> float:
    """Clustered pairwise F1 of a linked output against its ``person_id`` column."""
    table = pd.read_parquet(
        path, columns=["source_dataset", "unique_id", "cluster_id", "person_id"]
    )
    truth = table[["source_dataset", "unique_id"]].assign(truth=table["person_id"].astype("string"))
    return cluster_metrics(table, truth)["pairwise_f1"]


def bench(n_records: int, new_share: float, folder: Path, target: float) -> bool:
    """One size: build the files, link the previous run, then time refresh and full relink."""
    police, courts = (f.drop(columns=["source_dataset"]) for f in make_people(n_records, seed=7))
    n_new = round(new_share * (len(police) + len(courts)))
    n_new = min(n_new, len(police) // 2 if new_share < 0.2 else len(police))
    order = np.random.default_rng(8).permutation(len(police))
    old, new = police.iloc[np.sort(order[n_new:])], police.iloc[np.sort(order[:n_new])]
    files = {}
    for name, frame in (("old", old), ("new", new), ("all", police)):
        (folder / name).mkdir(exist_ok=True)
        files[name] = folder / name / "police.parquet"
        if not files[name].is_file():
            frame.to_parquet(files[name], index=False)
    files["courts"] = folder / "courts.parquet"
    if not files["courts"].is_file():
        courts.to_parquet(files["courts"], index=False)
    prev, model = folder / "prev.parquet", folder / "model.json"
    truth = ["--labels-column", "person_id", "-q"]  # the truth never reaches the model
    if not (prev.is_file() and model.is_file()):
        start = time.perf_counter()
        cli(
            [
                "link",
                str(files["old"]),
                str(files["courts"]),
                "--out",
                str(prev),
                "--save-model",
                str(model),
                *truth,
            ]
        )
        print(f"  previous run linked in {time.perf_counter() - start:.0f} s", flush=True)
    threshold = json.loads(pq.read_schema(prev).metadata[b"workbench.link"])["threshold"]
    refreshed, full = folder / "refreshed.parquet", folder / "full.parquet"
    r_wall, r_cpu, r_mem, r_sql = cli(
        [
            "link",
            str(files["new"]),
            "--previous",
            str(prev),
            "--model",
            str(model),
            "--out",
            str(refreshed),
            "-q",
        ]
    )
    f_wall, f_cpu, f_mem, f_sql = cli(
        [
            "link",
            str(files["all"]),
            str(files["courts"]),
            "--model",
            str(model),
            "--threshold",
            str(threshold),
            "--out",
            str(full),
            "-q",
        ]
    )
    copy = folder / "copy.parquet"
    io_wall, io_cpu, _, _ = cli([str(prev), str(copy)], _FILES_ONLY)
    copy.unlink()
    r_f1, f_f1 = f1(refreshed), f1(full)
    total = len(police) + len(courts)
    ratio = r_wall / f_wall
    cpu_ratio = r_cpu / f_cpu
    ok = min(ratio, cpu_ratio) < target and r_mem <= f_mem * 1.05 and abs(r_f1 - f_f1) <= 0.01
    print(
        f"{total:>9,} records, {len(new):,} new ({len(new) / total:.0%}):\n"
        f"  refresh     {r_wall:7.1f} s wall {r_cpu:7.1f} s CPU {r_mem:5.2f} GiB F1 {r_f1:.4f}\n"
        f"  full relink {f_wall:7.1f} s wall {f_cpu:7.1f} s CPU {f_mem:5.2f} GiB F1 {f_f1:.4f}\n"
        f"  ratio: wall {ratio:.2f}, CPU {cpu_ratio:.2f} (target < {target:g}); "
        f"F1 difference {abs(r_f1 - f_f1):.4f} {'ok' if ok else 'MISSED'}\n"
        f"  Splink's SQL: refresh {r_sql:.1f} CPU-s, full relink {f_sql:.1f} "
        f"({r_sql / f_sql:.2f}); start-up, reading and writing the run alone: {io_cpu:.1f} "
        f"CPU-s ({io_wall:.1f} s wall)\n"
        f"  floor of a refresh (its SQL plus the files alone): CPU "
        f"{(r_sql + io_cpu) / f_cpu:.2f} of the full relink's"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark at each size; exit 0 (figures are printed, not asserted)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="records, comma separated")
    parser.add_argument("--records", type=int, help="one size instead of --sizes")
    parser.add_argument(
        "--new-share",
        type=float,
        help="share of all records that is new (default 0.25 below a million: half of one "
        "source; 0.10 from a million)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the files in this folder (one sub-folder per size) and reuse the previous "
        "run and model found there, so a second run times only refresh and full relink",
    )
    args = parser.parse_args(argv)
    sizes = [args.records] if args.records else [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        # Half of one source new at moderate size (the test); 10% new at 1M.
        share, target = (0.25, 0.5) if size < 1_000_000 else (0.10, 0.2)
        if args.new_share is not None:
            share = args.new_share
            target = 0.5 if share > 0.15 else 0.2
        if args.work is not None:
            folder = args.work / f"{size}_{share:g}"
            folder.mkdir(parents=True, exist_ok=True)
            bench(size, share, folder, target)
        else:
            with tempfile.TemporaryDirectory(prefix="bench_refresh_") as tmp:
                bench(size, share, Path(tmp), target)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
