"""Import memory: peak resident memory of ``workbench import`` against the size of the file.

A synthetic CSV like a police extract (crime references, forces, offence codes and texts, names,
dates of birth, postcodes, PNC ids, URNs, outcome dates: 19 columns, about 225 bytes a row) is
written to a temporary folder, then ``workbench import`` runs on it in a fresh process, as it
would from the command line (reading, typing, writing, profiling and role suggestion). The same
command on a ten-row file of the same shape gives the baseline: the interpreter, the libraries
and the workspace. The figure that matters is the peak above that baseline as a multiple of the
file's size; the goal is about 3x.

The peak is the process's own maximum resident set (``getrusage``, exact), cross-checked by
sampling its resident set every 10 ms from outside (``psutil``). The peak varies by some 10% from
run to run (DuckDB's threads), so the large file is imported three times and the median shown.

Run with ``make bench`` or ``.venv/bin/python bench/bench_import.py [--rows 342846] [--repeat 3]``
(``--keep DIR`` writes the files to DIR and keeps them; ``--file PATH`` imports another file).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
#: The goal: peak memory above the baseline at most this many times the file's size.
GOAL_RATIO = 3.0
#: Rows in the default run (a 77 MB file, twice the sample police extract).
DEFAULT_ROWS = 342_846
# Runs the CLI in a fresh process and reports that process's peak resident memory.
_RUNNER = (
    "import resource, sys; from workbench.cli import run; code = run(sys.argv[1:]); "
    "use = resource.getrusage(resource.RUSAGE_SELF); "
    "print('PEAK_KIB', use.ru_maxrss, file=sys.stderr); sys.exit(code)"
)

FORCES = [
    ("TV", "Thames Valley Police", "Thames Valley", "SL"),
    ("HU", "Humberside Police", "Humberside", "HU"),
    ("SY", "South Yorkshire Police", "South Yorkshire", "S"),
    ("WM", "West Mercia Police", "West Mercia", "WR"),
    ("MP", "Metropolitan Police Service", "London", "SE"),
    ("GM", "Greater Manchester Police", "Greater Manchester", "M"),
    ("WY", "West Yorkshire Police", "West Yorkshire", "LS"),
    ("DC", "Devon and Cornwall Police", "Devon and Cornwall", "PL"),
]
OFFENCES = [
    ("058/01", "Criminal damage to a dwelling", "criminal damage and arson", "True"),
    ("048/00", "Theft or unauthorised taking of a motor vehicle", "theft offences", "True"),
    ("105/01", "Common assault and battery", "violence against the person", "True"),
    ("010/01", "Possession of an article with a blade or point", "possession of weapons", "False"),
    ("092/00", "Possession of controlled drugs (cannabis)", "drug offences", "False"),
    ("030/01", "Burglary - residential - dwelling", "burglary", "True"),
]
OUTCOMES = [
    "charged/summonsed",
    "evidential difficulties — victim does not support action",
    "out-of-court (formal)",
    "investigation complete — no suspect identified",
    "",
]
FORENAMES = ["Jack", "Sarah", "Dean", "Billy", "Chloé", "Aisha", "Tomasz", "Mary", "Oliver", "Zoë"]
MIDDLE = ["", "", "", "Bartosz", "Ann", "James", "Louise"]
SURNAMES = ["Reid", "Robinson", "Wisniewski", "McDonald", "O'Neil", "Khan", "Smith", "Jones"]
HEADER = [
    "crime_ref",
    "force",
    "lcjb_area",
    "offence_date",
    "recorded_date",
    "offence_code",
    "offence_description",
    "offence_group",
    "victim_based",
    "suspect_forename",
    "suspect_middle_name",
    "suspect_surname",
    "suspect_dob",
    "suspect_sex",
    "suspect_postcode",
    "pnc_id",
    "urn",
    "outcome_type",
    "outcome_date",
]


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` synthetic police records (with a header) to ``path`` as UTF-8 CSV."""
    rng = random.Random(seed)
    start = date(2015, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        for i in range(1, rows + 1):
            code, force, area, prefix = FORCES[i % len(FORCES)]
            offence = OFFENCES[rng.randrange(len(OFFENCES))]
            happened = start + timedelta(days=i * 3650 // max(rows, 1))
            recorded = happened + timedelta(days=rng.randrange(3))
            suspect = rng.random() < 0.7
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
            outcome = OUTCOMES[rng.randrange(len(OUTCOMES))]
            out.writerow(
                [
                    f"{code}-{happened:%y}-{i:07d}",
                    force,
                    area,
                    happened.isoformat(),
                    recorded.isoformat(),
                    *offence,
                    rng.choice(FORENAMES) if suspect else "",
                    rng.choice(MIDDLE) if suspect else "",
                    rng.choice(SURNAMES) if suspect else "",
                    born.isoformat() if suspect else "",
                    rng.choice("MF") if suspect else "",
                    f"{prefix}{rng.randrange(1, 30)} {rng.randrange(10)}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    if suspect
                    else "",
                    f"{rng.randrange(1990, 2024)}/{rng.randrange(10**7):07d}"
                    f"{rng.choice('ABCDEFGHJKLMNPQRTUVWXYZ')}"
                    if suspect and rng.random() < 0.6
                    else "",
                    f"{rng.randrange(1, 99):02d}{code}{i % 10**7:07d}{happened:%y}"
                    if outcome.startswith("charged")
                    else "",
                    outcome,
                    (happened + timedelta(days=rng.randrange(200))).isoformat() if outcome else "",
                ]
            )


def run_import(workspace: Path, path: Path) -> tuple[float, float, float]:
    """Import ``path`` into a new workspace; return wall seconds and peak MiB (exact, sampled)."""
    args = [PYTHON, "-c", _RUNNER, "--workspace", str(workspace), "import", str(path)]
    args += ["--name", "extract", "--invalid", "missing"]
    start = time.perf_counter()
    proc = psutil.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampled = 0
    while proc.poll() is None:
        try:
            sampled = max(sampled, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.01)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"workbench import {path.name} failed:\n{out}\n{err[-3000:]}")
    line = next(line for line in err.splitlines() if line.startswith("PEAK_KIB"))
    return seconds, int(line.split()[1]) / 1024, sampled / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    """Write the files, import each in its own process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the large file")
    parser.add_argument("--keep", type=Path, help="write the files to this folder and keep them")
    parser.add_argument("--file", type=Path, help="import this file instead of a generated one")
    parser.add_argument("--repeat", type=int, default=3, help="imports of the large file (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        small = folder / "small.csv"
        write_csv(small, 10)
        large = args.file
        if large is None:
            large = folder / "extract.csv"
            started = time.perf_counter()
            write_csv(large, args.rows)
            print(f"wrote {large.name} in {time.perf_counter() - started:.1f} s")
        _, base, base_sampled = run_import(folder / "small.duckdb", small)
        runs = []
        for _ in range(args.repeat):
            (folder / "large.duckdb").unlink(missing_ok=True)
            (folder / "large.duckdb.wal").unlink(missing_ok=True)
            runs.append(run_import(folder / "large.duckdb", large))
        runs.sort(key=lambda run: run[1])
        seconds, peak, sampled = runs[len(runs) // 2]
        size = large.stat().st_size / 1024 / 1024
        above = peak - base
        ratio = above / size
        spread = ", ".join(f"{(run[1] - base) / size:.2f}" for run in runs)
        print(f"file size            {size:8.1f} MiB ({large.stat().st_size:,} bytes)")
        print(f"baseline (10 rows)   {base:8.1f} MiB (sampled {base_sampled:.1f})")
        print(f"peak (median of {len(runs)})   {peak:8.1f} MiB (sampled {sampled:.1f})")
        print(f"peak above baseline  {above:8.1f} MiB")
        print(f"ratio                {ratio:8.2f} x file size (goal <= {GOAL_RATIO:.0f}x)")
        print(f"ratio of each run     {spread}")
        print(f"wall time            {seconds:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
