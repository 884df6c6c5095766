"""Benchmark labels that teach: 50 labels chosen by the Review page against 50 at random.

Usage: ``python bench/bench_active.py [--records 6000] [--labels 50] [--seeds 5]
[--data synthetic,fake_1000,febrl2,historical_50k]`` (those four by default; ``sample`` too)

On data with truth the suggested model is trained: synthetic people, the committed sample cut
to a few areas, or data the project did not make (Splink's fake_1000 and
historical_figures_with_errors_50k, and FEBRL2), each imported as a user imports the file, with
the roles the workbench suggests and its truth column marked. Then each arm labels pairs from
the truth (as a perfect reviewer would) and lets the labels teach the model
(:func:`linkage.review.teach.teach_model`: m re-estimated, threshold chosen from the labels).
The selected arm asks the Review page's selector one pair at a time
(:func:`linkage.review.session.next_pairs`, as a reviewer meets them); the random arm draws
the pairs at random from the same scored pairs, once per seed. Printed: clustered (pairwise)
F1 of the starting model and of each taught model, against the truth, and for scale the model
taught by every true pair. The committed sample links almost perfectly already (F1 1.0 on a
few areas), so the default is synthetic people with more noise, where the suggested model
leaves room to improve.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linkage.model.datasets import mark_truth_column, suggest_for_datasets
from linkage.model.linkers import forget_linkers, stored_predictions
from linkage.model.runs import train_and_save
from linkage.quality.truth import truth_for
from linkage.review.active import pair_keys, random_pairs
from linkage.review.labels import save_label
from linkage.review.session import next_pairs
from linkage.review.teach import teach_model
from linkage.synthetic import make_people
from workbench.data.writing import import_frame
from workbench.persons.roles import save_roles
from workbench.workspace import Workspace

ROLES = {
    "unique_id": "record_id",
    "first_name": "first_name",
    "surname": "surname",
    "dob": "dob",
    "sex": "sex",
    "postcode": "postcode",
    "pnc_id": "pnc_id",
    "person_id": "ignore",
}
#: Datasets run by default: the project's synthetic people and three open files with truth.
DATA = ("synthetic", "fake_1000", "febrl2", "historical_50k")
SAMPLE_AREAS = ["Cumbria", "Gloucestershire", "Wiltshire", "Dorset", "North Wales", "Suffolk"]


def _synthetic(ws: Workspace, records: int) -> list[str]:
    frames = make_people(records, seed=11, n_datasets=2, noise=1.5)
    names = ["police", "courts"]
    for name, frame in zip(names, frames, strict=True):
        import_frame(ws, frame.drop(columns=["source_dataset"], errors="ignore"), name)
        save_roles(ws, name, {c: r for c, r in ROLES.items() if c in frame.columns}, True)
        mark_truth_column(ws, name, "person_id")
    return names


def _sample(ws: Workspace, folder: Path) -> list[str]:
    from workbench.data.datasets import SAMPLE_DIR, load_sample

    keys = {"police": "crime_ref", "cps": "cps_id", "courts": "case_number"}
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "manifest.json", folder / "manifest.json")
    for name, key in keys.items():
        source = pd.read_parquet(SAMPLE_DIR / f"{name}.parquet")
        source = source[source["lcjb_area"].isin(SAMPLE_AREAS)]
        truth = pd.read_parquet(SAMPLE_DIR / f"{name}_truth.parquet")
        source.to_parquet(folder / f"{name}.parquet", index=False)
        truth[truth[key].isin(source[key])].to_parquet(folder / f"{name}_truth.parquet")
    load_sample(ws, sample_dir=folder)
    return list(keys)


def _open(ws: Workspace, data: str, folder: Path) -> list[str]:
    """A dataset of the linkage suite (:mod:`linkage_data`: the file as published) imported as
    a user would: the suggested roles, the truth column marked."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import linkage_data

    from workbench.data.datasets import add_file

    dataset = linkage_data.by_name(data)
    (path,) = linkage_data.build(dataset, folder)
    info = add_file(ws, path, data)
    mark_truth_column(ws, info.name, dataset.truth)
    return [info.name]


def _truth_label(truth: pd.Series, row: pd.Series) -> int:
    left = truth.get(f"{row['source_dataset_l']}\x1f{row['unique_id_l']}")
    right = truth.get(f"{row['source_dataset_r']}\x1f{row['unique_id_r']}")
    return int(left is not None and right is not None and left == right)


def _label(ws: Workspace, model_id: str, truth: pd.Series, rows: pd.DataFrame) -> int:
    matches = 0
    for _, row in rows.iterrows():
        label = _truth_label(truth, row)
        matches += label
        save_label(ws, model_id, row, label, "bench")
    return matches


def _taught_f1(ws: Workspace, model_id: str) -> tuple[float, float, int]:
    taught = teach_model(ws, model_id, source="labels", actor="bench")
    return float(taught.metrics["cluster_f1"]), taught.threshold, taught.n_matches


def main() -> None:
    """Print, per dataset, the F1 of the starting model, the selected arm and each random
    seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--data",
        default=",".join(DATA),
        help=f"comma separated, from {', '.join(DATA)} (default: all but sample)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    wanted = [d.strip() for d in args.data.split(",") if d.strip()]
    unknown = [d for d in wanted if d not in (*DATA, "sample")]
    if unknown:
        parser.error(f"unknown --data {', '.join(unknown)}")
    for data in wanted:
        _bench(argparse.Namespace(**{**vars(args), "data": data}))
        sys.stdout.flush()


def _bench(args: argparse.Namespace) -> None:
    """One dataset: the starting model, the selected arm, the random arms, the truth."""
    root = Path(tempfile.mkdtemp(prefix="bench_active_"))
    try:
        with Workspace(root / "ws.duckdb") as ws:
            if args.data == "sample":
                names = _sample(ws, root / "sample")
            elif args.data != "synthetic":
                names = _open(ws, args.data, root / "open")
            else:
                names = _synthetic(ws, args.records)
            t0 = time.perf_counter()
            run = train_and_save(ws, names, suggest_for_datasets(ws, names))
            base = run.model_id
            truth_frame = truth_for(ws, names)
            truth = truth_frame.dropna(subset=["person_id"])
            truth = pd.Series(
                truth["person_id"].to_numpy(),
                index=truth["source_dataset"] + "\x1f" + truth["unique_id"],
            )
            print(
                f"data {args.data}: {run.summary.n_records:,} records, "
                f"{run.metrics['n_pairs']:,} scored pairs; suggested model trained in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            print(
                f"starting model: threshold {run.metrics['threshold']:.4g}, "
                f"clustered F1 {run.metrics['cluster_f1']:.4f}"
            )

            t0 = time.perf_counter()
            matches = 0
            for _ in range(args.labels):
                matches += _label(ws, base, truth, next_pairs(ws, base, n=1))
            f1, threshold, _ = _taught_f1(ws, base)
            print(
                f"selected {args.labels} labels ({matches} matches): threshold "
                f"{threshold:.4g}, clustered F1 {f1:.4f} ({time.perf_counter() - t0:.1f} s)"
            )

            pairs = stored_predictions(ws, base)
            randoms = []
            for seed in range(args.seeds):
                ws.query("DELETE FROM wb.labels")
                rows = random_pairs(pairs, None, args.labels, seed=seed)
                assert len(set(pair_keys(rows))) == len(rows)
                matches = _label(ws, base, truth, rows)
                try:
                    r_f1, r_threshold, _ = _taught_f1(ws, base)
                except Exception as exc:  # no match among the random labels
                    print(f"random seed {seed} ({matches} matches): cannot teach ({exc})")
                    r_f1 = float(run.metrics["cluster_f1"])
                    randoms.append(r_f1)
                    continue
                randoms.append(r_f1)
                print(
                    f"random seed {seed} ({matches} matches): threshold {r_threshold:.4g}, "
                    f"clustered F1 {r_f1:.4f}"
                )
            t0 = time.perf_counter()
            by_truth = teach_model(ws, base, source="truth", actor="bench")
            print(
                f"for scale, taught by the truth ({by_truth.n_matches:,} true pairs): threshold "
                f"{by_truth.threshold:.4g}, clustered F1 {by_truth.metrics['cluster_f1']:.4f} "
                f"({time.perf_counter() - t0:.1f} s)"
            )
            mean = statistics.mean(randoms)
            print(
                f"selected {f1:.4f} vs random mean {mean:.4f} (min {min(randoms):.4f}, max "
                f"{max(randoms):.4f}): selected "
                f"{'>' if f1 > mean else '=' if f1 == mean else '<'} random"
            )
    finally:
        forget_linkers()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
