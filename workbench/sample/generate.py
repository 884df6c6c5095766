"""Synthetic police, CPS and court extracts with known truth, for teaching and testing linkage.

The generator is person-centred: it draws a population of offenders, gives each a heavy-tailed
number of crimes, follows every crime through the police outcome, the CPS charging decision and
the courts, and then writes each system's view of the people involved with independent
identifier noise. Everything is vectorised with numpy, so a million people take about a minute.

History starts at :data:`START_DATE` (2015), four years before :data:`FIRST_REPORTED_DATE`
(2019): by the first reported period every cohort of offences has had time to be charged and
completed, and cases completing in it include those that began years earlier, as in real
extracts. Three pilot areas (:data:`PILOT_AREAS`) carry :data:`PILOT_SCALE` times their share
of crime, so their quarterly rates rest on hundreds of cases; the other areas stay small.

Three system frames (``police``, ``cps``, ``courts``) carry only what that system would hold.
Three truth frames (``police_truth``, ``cps_truth``, ``courts_truth``) give, for each record key,
the true ``person_id`` and ``case_id`` (the ``crime_ref`` of the police crime the record derives
from). Truth columns never appear in the system frames.

PNC check letter: the ID ``YYYY/NNNNNNNL`` has the check letter
``"ZABCDEFGHJKLMNPQRTUVWXY"[int(YY + NNNNNNN) % 23]`` where ``YY`` is the last two digits of the
year and ``NNNNNNN`` the seven-digit serial number.

This module validates the arguments and puts the steps together; the steps live beside it:
:mod:`~workbench.sample.calibration` (dates, areas, labels and rates),
:mod:`~workbench.sample.population` (the people), :mod:`~workbench.sample.crimes` (their crimes
and case paths), :mod:`~workbench.sample.noise` (identifier noise) and
:mod:`~workbench.sample.frames` (each system's extract and its truth).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.errors import Problem, ValidationError
from workbench.sample.arrays import day_numbers
from workbench.sample.calibration import FIRST_REPORTED_DATE, PILOT_AREAS, PILOT_SCALE, START_DATE
from workbench.sample.crimes import draw_crimes
from workbench.sample.frames import courts_frame, cps_frame, police_frame
from workbench.sample.noise import ErrorProfile
from workbench.sample.population import (
    build_forces,
    build_vocabulary,
    draw_people,
    finish_people,
)

log = logging.getLogger(__name__)


GENERATOR_VERSION = "2.0"
DEFAULT_PEOPLE = 49_000
"""People in the default sample: about 1,800 recorded crimes a quarter in the three pilot areas
together (400 to 730 in each) and about 1,850 in the other 39 areas."""
DEFAULT_END_DATE = date(2026, 10, 31)
EARLIEST_END_DATE = date(2019, 2, 1)
MAX_PEOPLE = 5_000_000
FRAME_KEYS = ("police", "cps", "courts", "police_truth", "cps_truth", "courts_truth")


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_sample` wrote.

    Attributes:
        out_dir: The folder written to.
        files: Frame key -> Parquet file (plus ``"manifest"`` -> manifest.json).
        rows: Frame key -> row count.
        people: Number of people in the population.
        seed: Random seed used.
        start_date: First day of the generated history (:data:`START_DATE`).
        end_date: Last day of the period.
        first_reported_date: First day of the first reported period
            (:data:`FIRST_REPORTED_DATE`).
        pilot_areas: The areas with scaled-up volumes (:data:`PILOT_AREAS`).
    """

    out_dir: Path
    files: dict[str, Path]
    rows: dict[str, int]
    people: int
    seed: int
    start_date: date
    end_date: date
    first_reported_date: date = FIRST_REPORTED_DATE
    pilot_areas: tuple[str, ...] = PILOT_AREAS


def _validate(people: Any, seed: Any, end_date: Any, errors: Any) -> date:
    problems: list[Problem] = []
    if isinstance(people, bool) or not isinstance(people, int | np.integer):
        problems.append(Problem(f"people must be a whole number, not {people!r}"))
    elif not 1 <= people <= MAX_PEOPLE:
        problems.append(Problem(f"people must be between 1 and {MAX_PEOPLE:,}, not {people:,}"))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(Problem(f"seed must be a whole number of 0 or more, not {seed!r}"))
    end = DEFAULT_END_DATE if end_date is None else end_date
    if hasattr(end, "date") and callable(end.date):
        end = end.date()
    if not isinstance(end, date):
        problems.append(Problem(f"end date must be a date, not {end_date!r}"))
    elif end < EARLIEST_END_DATE:
        problems.append(
            Problem(f"end date must be {EARLIEST_END_DATE.isoformat()} or later, not {end}")
        )
    if errors is not None and not isinstance(errors, ErrorProfile):
        problems.append(Problem("errors must be an ErrorProfile"))
    if problems:
        raise ValidationError(f"Cannot generate the sample: {'; '.join(map(str, problems))}.")
    return end


def generate_frames(
    people: int = DEFAULT_PEOPLE,
    seed: int = 42,
    end_date: date | None = None,
    errors: ErrorProfile | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic police, CPS and court frames and their truth frames.

    The result depends only on the arguments: the same arguments give identical frames.

    Args:
        people: Number of people who offend in the period (each has at least one crime).
        seed: Random seed.
        end_date: Last day of the period, which always starts on :data:`START_DATE`;
            defaults to :data:`DEFAULT_END_DATE`.
        errors: Identifier noise rates; defaults to ``ErrorProfile()``.

    Returns:
        Frames keyed ``police``, ``cps``, ``courts``, ``police_truth``, ``cps_truth`` and
        ``courts_truth``.

    Raises:
        ValidationError: If an argument is out of range.
    """
    end_day_date = _validate(people, seed, end_date, errors)
    profile = errors or ErrorProfile()
    started = time.perf_counter()
    start, end = day_numbers(START_DATE), day_numbers(end_day_date)
    rng_people, rng_crimes, rng_police, rng_cps, rng_courts = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5)
    )
    vocab = build_vocabulary()
    forces = build_forces()
    persons = draw_people(rng_people, int(people), vocab)
    crimes = draw_crimes(rng_crimes, persons, forces, start, end)

    suspect = crimes["has_suspect"]
    # Crimes of a person are contiguous, so first dates come from a segment minimum.
    starts = np.concatenate([[0], np.cumsum(persons["crimes"])[:-1]])
    first_offence = np.minimum.reduceat(crimes["offence_day"][suspect], starts)
    first_recorded = np.minimum.reduceat(crimes["recorded"][suspect], starts)
    finish_people(persons, first_offence, first_recorded, end)
    # No offence before the age of ten (historic reports can reach back a long way).
    min_offence = persons["dob"][np.maximum(crimes["person"], 0)] + 3653
    crimes["offence_day"] = np.where(
        suspect, np.maximum(crimes["offence_day"], min_offence), crimes["offence_day"]
    )
    # From here on crimes are in order of recording.
    order = np.lexsort((np.arange(len(suspect)), crimes["recorded"]))
    crimes = {key: value[order] for key, value in crimes.items()}

    police, police_truth, urn = police_frame(
        rng_police, crimes, persons, vocab, forces, profile, end
    )
    cps, cps_truth = cps_frame(rng_cps, crimes, persons, vocab, profile, urn, end)
    courts, courts_truth = courts_frame(rng_courts, crimes, persons, vocab, profile, urn, end)
    frames = {
        "police": police,
        "cps": cps,
        "courts": courts,
        "police_truth": police_truth,
        "cps_truth": cps_truth,
        "courts_truth": courts_truth,
    }
    log.info(
        "Generated %s people: %s police, %s CPS and %s court records in %.1f s",
        f"{people:,}",
        f"{len(police):,}",
        f"{len(cps):,}",
        f"{len(courts):,}",
        time.perf_counter() - started,
    )
    return frames


# --------------------------------------------------------------------------------------------
# writing


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.date32())
        elif pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def generate_sample(
    out_dir: Path,
    people: int = DEFAULT_PEOPLE,
    seed: int = 42,
    end_date: date | None = None,
    errors: ErrorProfile | None = None,
) -> SampleSummary:
    """Generate the sample and write each frame as ``<key>.parquet`` plus ``manifest.json``.

    Dates are stored as Parquet DATE columns. Files are written under temporary names and
    renamed once all are complete, so a failure leaves no half-written sample.

    Args:
        out_dir: Folder to write to; created if missing.
        people: Number of people who offend in the period.
        seed: Random seed.
        end_date: Last day of the period; defaults to :data:`DEFAULT_END_DATE`.
        errors: Identifier noise rates; defaults to ``ErrorProfile()``.

    Returns:
        What was written, with row counts.

    Raises:
        ValidationError: If an argument is out of range or the folder cannot be written.
    """
    end = _validate(people, seed, end_date, errors)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"Cannot create the output folder {out}: {exc.strerror or exc}.",
            hint="Choose a folder you can write to.",
        ) from exc
    if not os.access(out, os.W_OK):
        raise ValidationError(
            f"Cannot write to the output folder {out}.", hint="Choose a folder you can write to."
        )
    profile = errors or ErrorProfile()
    frames = generate_frames(people=people, seed=seed, end_date=end, errors=profile)
    files = {key: out / f"{key}.parquet" for key in FRAME_KEYS}
    rows = {key: len(frames[key]) for key in FRAME_KEYS}
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "people": int(people),
        "seed": int(seed),
        "start_date": START_DATE.isoformat(),
        "first_reported_date": FIRST_REPORTED_DATE.isoformat(),
        "end_date": end.isoformat(),
        "pilot_areas": list(PILOT_AREAS),
        "pilot_scale": PILOT_SCALE,
        "error_profile": profile.to_dict(),
        "rows": rows,
        "files": {key: path.name for key, path in files.items()},
    }
    pending: list[tuple[Path, Path]] = []
    try:
        for key in FRAME_KEYS:
            tmp = files[key].with_suffix(".parquet.tmp")
            pq.write_table(_to_arrow(frames[key]), tmp, compression="zstd", compression_level=9)
            pending.append((tmp, files[key]))
        manifest_path = out / "manifest.json"
        tmp = manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        pending.append((tmp, manifest_path))
        for src, dst in pending:
            os.replace(src, dst)
    except OSError as exc:
        for src, _ in pending:
            src.unlink(missing_ok=True)
        raise ValidationError(
            f"Cannot write the sample to {out}: {exc.strerror or exc}.",
            hint="Check the folder is writable and has space.",
        ) from exc
    log.info("Wrote the sample to %s", out)
    return SampleSummary(
        out_dir=out,
        files=files,
        rows=rows,
        people=int(people),
        seed=int(seed),
        start_date=START_DATE,
        end_date=end,
    )
