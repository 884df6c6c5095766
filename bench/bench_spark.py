"""Benchmark the linkage's cost against size on DuckDB, and Spark local mode against DuckDB.

Usage: ``python bench/bench_spark.py [--sizes 100000,1000000] [--spark-records 100000]
[--no-spark] [--seed 42]``

For each size in ``--sizes`` (default 100k and 1M; add 5M with
``--sizes 100000,1000000,5000000`` or ``make bench-scale``: about six minutes and 7 GiB here),
generates that many synthetic person records in two datasets and runs the suggested pipeline
on DuckDB: suggest, train (prior, u, EM sessions), score, cluster at 0.9. Then, unless
``--no-spark``, the same on Spark local mode at ``--spark-records`` (default 100k) and on
DuckDB on the same data, reported as Spark time / DuckDB time per stage.

Each run is a child process started afresh (data generated in it from the seed), so its memory
is its own; peak memory is the largest resident size of the child and every process it starts
(the Spark JVM included), sampled every 0.2 s. Pairs scored per second = pairs at or above
match weight -4 / scoring seconds. DuckDB uses the workbench's defaults
(``linkage.engines.duckdb_api.make_db_api``: 6 GB memory limit, spilling to the temp directory,
every core) unless the ``WORKBENCH_DUCKDB_*`` variables say otherwise; Spark uses
``linkage.engines.spark`` defaults (driver 4g in local mode).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

THRESHOLD = 0.9
STAGES = ("data", "suggest", "setup", "prior", "u", "em", "score", "cluster")


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux ``/proc``)."""
    total = 0
    stack = [pid]
    seen: set[int] = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def _run(backend: str, n_records: int, seed: int, out: Any) -> None:
    """One pipeline run in this (child) process; puts a result dict on ``out``."""
    import logging

    logging.getLogger("splink").setLevel(logging.ERROR)
    logging.getLogger("py4j").setLevel(logging.ERROR)
    from linkage.backends import score_to_parquet
    from linkage.data import prepare_frames
    from linkage.engines.spark import spark_temp_dir, stop_spark
    from linkage.model.predict import (
        cluster_at_threshold,
        edges_from_pairs,
        nodes_from_model,
        predict_pairs,
    )
    from linkage.model.suggest import suggest_model
    from linkage.model.train import train_model
    from linkage.synthetic import make_people

    try:
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        frames = make_people(n_records, seed=seed)
        data = prepare_frames([f.drop(columns="person_id") for f in frames])
        times["data"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        spec = suggest_model(data)
        times["suggest"] = time.perf_counter() - t0
        model = train_model(data, spec, backend=backend)
        for key, value in model.timings.items():
            stage = "em" if key.startswith("em_") else key
            times[stage] = times.get(stage, 0.0) + value
        t0 = time.perf_counter()
        if backend == "spark":
            folder = spark_temp_dir(Path(tempfile.gettempdir()) / "workbench_bench_spark")
            rel, _ = score_to_parquet(model, folder)
        else:
            rel = predict_pairs(model, as_pandas=False)
        edges = edges_from_pairs(rel)
        times["score"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        clusters = cluster_at_threshold(edges, nodes_from_model(model), THRESHOLD)
        times["cluster"] = time.perf_counter() - t0
        out.put(
            {
                "ok": True,
                "records": sum(len(f) for f in data.frames),
                "pairs": len(edges),
                "clusters": int(clusters["cluster_id"].nunique()),
                "times": times,
                "em_sessions": len(model.em_sessions),
            }
        )
        if backend == "spark":
            stop_spark()
    except Exception as exc:  # report, never hang the parent
        out.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def measure(backend: str, n_records: int, seed: int) -> dict[str, Any]:
    """Run one pipeline in a fresh process; add wall time and peak memory of its process tree."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_run, args=(backend, n_records, seed, queue))
    start = time.perf_counter()
    child.start()
    peak = 0
    result: dict[str, Any] | None = None

    def sample() -> None:
        nonlocal peak
        while child.is_alive():
            peak = max(peak, _tree_rss_bytes(child.pid or 0))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    while result is None and child.is_alive():
        try:
            result = queue.get(timeout=1.0)
        except Exception:
            continue
    if result is None:
        try:
            result = queue.get(timeout=5.0)
        except Exception:
            result = {"ok": False, "error": f"the run died (exit code {child.exitcode})"}
    child.join(timeout=120)
    if child.is_alive():
        child.kill()
    sampler.join(timeout=1.0)
    result["wall"] = time.perf_counter() - start
    result["peak_gib"] = peak / 2**30
    result["backend"] = backend
    result["size"] = n_records
    return result


def _row(result: dict[str, Any]) -> str:
    if not result.get("ok"):
        return f"{result['backend']:<7} failed: {result.get('error')}"
    t = result["times"]
    stages = " ".join(f"{s} {t.get(s, 0.0):6.1f}" for s in STAGES)
    linkage = sum(t.get(s, 0.0) for s in STAGES if s != "data")
    rate = result["pairs"] / max(t.get("score", 0.0), 1e-9)
    return (
        f"{result['backend']:<7} {result['records']:>9,} records | {stages} | linkage "
        f"{linkage:7.1f} s | peak {result['peak_gib']:5.2f} GiB | {result['pairs']:>11,} pairs, "
        f"{rate:>10,.0f} scored/s | {result['clusters']:,} clusters"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one line per run (seconds per stage)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="DuckDB sizes, comma-separated")
    parser.add_argument("--spark-records", type=int, default=100_000)
    parser.add_argument("--no-spark", action="store_true", help="DuckDB scaling curve only")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: list[dict[str, Any]] = []
    print(f"DuckDB scaling curve (seconds per stage; {os.cpu_count()} cores)")
    for n in sizes:
        result = measure("duckdb", n, args.seed)
        results.append(result)
        print(_row(result), flush=True)
    if not args.no_spark:
        from linkage.engines.spark import spark_problem

        problem = spark_problem()
        if problem is not None:
            print(f"\nSpark comparison skipped: {problem}")
        else:
            n = args.spark_records
            print(f"\nSpark local mode against DuckDB on the same {n:,} records")
            duck = next((r for r in results if r.get("ok") and r["size"] == n), None)
            if duck is None:
                duck = measure("duckdb", n, args.seed)
                results.append(duck)
                print(_row(duck), flush=True)
            spark = measure("spark", n, args.seed)
            results.append(spark)
            print(_row(spark), flush=True)
            if spark.get("ok") and duck.get("ok"):
                ratios = []
                for stage in STAGES[1:]:
                    d, s = duck["times"].get(stage, 0.0), spark["times"].get(stage, 0.0)
                    ratios.append(f"{stage} {s / d:5.1f}x" if d > 0 else f"{stage} -")
                total_d = sum(duck["times"].get(s, 0.0) for s in STAGES[1:])
                total_s = sum(spark["times"].get(s, 0.0) for s in STAGES[1:])
                print(f"Spark / DuckDB: {' | '.join(ratios)} | linkage {total_s / total_d:.1f}x")
                print(f"same pairs scored: {spark['pairs'] == duck['pairs']} ({spark['pairs']:,})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if all(r.get("ok") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
