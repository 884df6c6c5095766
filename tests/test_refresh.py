"""Refresh with stable ids: new extracts linked into a previous run, ids carried over relinks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.clusters.change_report import report_path
from linkage.clusters.linked_file import read_linked, read_linked_info
from linkage.clusters.stable_ids import carry_ids
from linkage.quality.evaluate import cluster_metrics
from linkage.synthetic import make_people
from workbench.cli import run

KEY = ["source_dataset", "unique_id"]


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A previous run on half the police records, then a refresh with the other half."""
    folder = tmp_path_factory.mktemp("refresh")
    police, courts = (f.drop(columns=["source_dataset"]) for f in make_people(2400, seed=21))
    order = np.random.default_rng(4).permutation(len(police))
    half = len(police) // 2
    first, second = police.iloc[np.sort(order[:half])], police.iloc[np.sort(order[half:])]
    paths = {
        "police_a": _write(first, folder / "a" / "police.parquet"),
        "police_b": _write(second, folder / "b" / "police.parquet"),
        "police_all": _write(police, folder / "all" / "police.parquet"),
        "courts": _write(courts, folder / "courts.parquet"),
        "model": folder / "model.json",
        "prev": folder / "prev.parquet",
        "refreshed": folder / "refreshed.parquet",
        "full": folder / "full.parquet",
    }
    code = run(
        [
            "link",
            str(paths["police_a"]),
            str(paths["courts"]),
            "--out",
            str(paths["prev"]),
            "--save-model",
            str(paths["model"]),
            "-q",
        ]
    )
    assert code == 0
    prev = pd.read_parquet(paths["prev"])
    # Replace court records of people with two or more records by versions that match
    # nobody: their earlier people lose them (splits).
    sizes = prev.groupby("cluster_id")["unique_id"].transform("size")
    pick = prev[(prev["source_dataset"] == "courts") & (sizes >= 2)].head(6)
    changed = courts[courts["unique_id"].astype(str).isin(pick["unique_id"])].copy()
    nonsense = ["zebedee", "quintus", "ozymandias", "barnabus", "thelonious", "eustace"]
    changed["first_name"] = nonsense[: len(changed)]
    changed["surname"] = [f"{n}ovski" for n in reversed(nonsense[: len(changed)])]
    changed["dob"] = pd.Timestamp("1901-02-03") + pd.to_timedelta(
        np.arange(len(changed)) * 400, unit="D"
    )
    changed["postcode"] = None
    changed["pnc_id"] = None
    paths["changed"] = _write(changed, folder / "fix" / "courts.parquet")
    paths["replaced"] = set(changed["unique_id"].astype(str))
    code = run(
        [
            "link",
            str(paths["police_b"]),
            str(paths["changed"]),
            "--model",
            str(paths["model"]),
            "--previous",
            str(paths["prev"]),
            "--out",
            str(paths["refreshed"]),
            "-q",
        ]
    )
    assert code == 0
    threshold = read_linked(paths["prev"]).meta["threshold"]
    code = run(
        [
            "link",
            str(paths["police_all"]),
            str(paths["courts"]),
            "--model",
            str(paths["model"]),
            "--threshold",
            str(threshold),
            "--out",
            str(paths["full"]),
            "-q",
        ]
    )
    assert code == 0
    return paths


def _f1(path: Path) -> float:
    table = pd.read_parquet(path)
    truth = table[KEY].assign(truth=table["person_id"].astype("string"))
    return cluster_metrics(table, truth)["pairwise_f1"]


def test_refresh_keeps_ids_holds_every_record_and_matches_a_full_relink(runs) -> None:
    prev = pd.read_parquet(runs["prev"])
    refreshed = pd.read_parquet(runs["refreshed"])
    police = pd.read_parquet(runs["police_all"])
    courts = pd.read_parquet(runs["courts"])
    assert len(refreshed) == len(police) + len(courts)
    assert not refreshed.duplicated(KEY).any()
    both = prev[[*KEY, "cluster_id"]].merge(refreshed[[*KEY, "cluster_id"]], on=KEY)
    kept = (both["cluster_id_x"] == both["cluster_id_y"]).mean()
    assert kept >= 0.99
    report = json.loads(report_path(runs["refreshed"]).read_text())
    assert report["counts"]["ids_kept"] >= 0.99 * report["counts"]["people_before"]
    assert report["counts"]["records_replaced"] == len(runs["replaced"])
    assert abs(_f1(runs["refreshed"]) - _f1(runs["full"])) <= 0.01
    # The refreshed run can itself be refreshed: it carries records, fields and links.
    again = read_linked(runs["refreshed"])
    assert again.refreshable and len(again.standardised) == len(refreshed)


def test_a_changed_extract_keeps_its_roles_and_is_refreshed(runs, tmp_path, caplog) -> None:
    """Name columns renamed in the new extract take their roles from their values, and a
    compared column it lacks is empty in its records (as a full link treats it): both refresh,
    each says what changed, and renaming changes no one's person."""
    police_b = pd.read_parquet(runs["police_b"])
    extracts = {
        "same": police_b,
        "renamed": police_b.rename(columns={"first_name": "forename", "surname": "last_name"}),
        "dropped": police_b.drop(columns=["postcode"]),
    }
    outs = {}
    for name, frame in extracts.items():
        out = tmp_path / f"{name}.parquet"
        path = _write(frame, tmp_path / name / "police.parquet")
        code = run(["link", str(path), "--previous", str(runs["prev"]), "--out", str(out)])
        assert code == 0
        outs[name] = out
    said = caplog.text
    assert "new columns read as forename as first_name, last_name as surname" in said
    assert "it lacks postcode" in said and "the new records lack postcode" in said
    same, renamed = (
        pd.read_parquet(outs[n]).set_index(KEY)["cluster_id"] for n in extracts if n != "dropped"
    )
    assert renamed.sort_index().equals(same.sort_index())
    dropped = pd.read_parquet(outs["dropped"])
    new_rows = dropped["unique_id"].isin(police_b["unique_id"].astype(str)) & (
        dropped["source_dataset"] == "police"
    )
    assert new_rows.sum() == len(police_b) and dropped.loc[new_rows, "postcode"].isna().all()
    assert (
        read_linked(outs["dropped"]).standardised.loc[new_rows.to_numpy(), "postcode"].isna().all()
    )
    # Without postcodes the new records still link on names, dates of birth and PNC ids.
    assert _f1(outs["dropped"]) >= _f1(outs["same"]) - 0.02, (
        _f1(outs["dropped"]),
        _f1(outs["same"]),
    )


def test_refresh_over_its_own_previous_file_is_whole_or_leaves_it_untouched(
    runs, tmp_path, monkeypatch
) -> None:
    """``--out`` may be the ``--previous`` file: a write that fails leaves that file as it was."""
    import shutil

    import pyarrow.parquet as pq

    own = tmp_path / "run.parquet"
    shutil.copy(runs["prev"], own)
    before = own.read_bytes()
    args = ["link", str(runs["police_b"]), "--previous", str(own), "--out", str(own), "-q"]
    real_write = pq.write_table

    def fail_halfway(table, where, **kwargs) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", fail_halfway)
    assert run(args) != 0
    assert own.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.parquet"]  # no temporary left
    monkeypatch.setattr(pq, "write_table", real_write)
    assert run(args) == 0
    refreshed = read_linked(own)
    assert len(refreshed.table) == len(pd.read_parquet(runs["refreshed"]))
    assert refreshed.refreshable


def test_refresh_report_lists_every_merge_and_split(runs) -> None:
    prev = pd.read_parquet(runs["prev"])[[*KEY, "cluster_id"]]
    now = pd.read_parquet(runs["refreshed"])[[*KEY, "cluster_id"]]
    report = json.loads(report_path(runs["refreshed"]).read_text())
    both = prev.merge(now, on=KEY, suffixes=("_old", "_new"))
    per_new = both.groupby("cluster_id_new")["cluster_id_old"].nunique()
    per_old = both.groupby("cluster_id_old")["cluster_id_new"].nunique()
    assert {m["cluster_id"] for m in report["merges"]} == set(per_new[per_new > 1].index)
    assert {s["previous_id"] for s in report["splits"]} == set(per_old[per_old > 1].index)
    assert report["splits"], "replacing records of multi-record people must split some"
    for split in report["splits"]:
        assert split["pairs"], split
        assert set(split["into"]) == set(
            both.loc[both["cluster_id_old"] == split["previous_id"], "cluster_id_new"]
        )
    new_refs = set(pd.read_parquet(runs["police_b"])["unique_id"].astype(str).radd("police:")) | {
        f"courts:{i}" for i in runs["replaced"]
    }
    for merge in report["merges"]:
        assert any(p["left"] in new_refs or p["right"] in new_refs for p in merge["pairs"])
        assert len(merge["merged_ids"]) >= 2
    # Every new record is accounted for: a new person or added to an earlier one.
    listed = {r for e in report["new_people"] + report["added"] for r in e["records"]}
    police_b = set(pd.read_parquet(runs["police_b"])["unique_id"].astype(str).radd("police:"))
    assert listed == police_b


def test_full_relink_carries_ids_and_says_how_many_moved(runs, capsys) -> None:
    out = runs["full"].with_name("relinked.parquet")
    code = run(
        [
            "link",
            str(runs["police_all"]),
            str(runs["courts"]),
            "--model",
            str(runs["model"]),
            "--threshold",
            "0.99",
            "--previous",
            str(runs["refreshed"]),
            "--full",
            "--out",
            str(out),
            "-q",
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    assert "earlier records changed id" in stdout
    prev = pd.read_parquet(runs["refreshed"])[[*KEY, "cluster_id"]]
    now = pd.read_parquet(out)[[*KEY, "cluster_id"]]
    both = prev.merge(now, on=KEY, suffixes=("_old", "_new"))
    report = json.loads(report_path(out).read_text())
    moved = int((both["cluster_id_old"] != both["cluster_id_new"]).sum())
    assert report["counts"]["records_moved"] == moved
    # Each earlier id names at most one cluster now, and it is the cluster holding most of
    # its records.
    inherited = both[both["cluster_id_old"] == both["cluster_id_new"]]
    for old_id in inherited["cluster_id_old"].unique()[:200]:
        shares = both[both["cluster_id_old"] == old_id]["cluster_id_new"].value_counts()
        assert shares.iloc[0] == shares.get(old_id)
    assert report["counts"]["people_after"] == now["cluster_id"].nunique()
    assert (
        report["counts"]["ids_kept"] + report["counts"]["ids_retired"]
        == both["cluster_id_old"].nunique()
    )


def test_carry_ids_rule_largest_overlap_ties_to_the_oldest_each_id_once() -> None:
    records = pd.DataFrame({"source_dataset": ["s"] * 7, "unique_id": [str(i) for i in range(7)]})
    old = pd.Series(["A", "A", "B", "B", "C", None, "A"], dtype=object)
    # new clusters: {0,1,2,3} merges A and B (A has 2 records there, B 2: tie -> older A);
    # {6} the rest of A; {4} is C; {5} is new.
    new = np.array([0, 0, 0, 0, 1, 2, 3])
    carried = carry_ids(records, new, old)
    ids = carried.cluster_id.tolist()
    assert ids[:4] == ["A"] * 4 and ids[4] == "C"
    assert ids[5] == "s-__-5" and ids[6] == "s-__-6"
    assert carried.ids_kept == 2 and carried.ids_retired == 1 and carried.ids_new == 2
    assert carried.records_moved == 3  # B's two records and A's record 6
    # A fresh name never reuses an earlier id.
    clash = carry_ids(records.head(2), np.array([0, 1]), pd.Series(["s-__-1", None], dtype=object))
    assert clash.cluster_id.tolist() == ["s-__-1", "s-__-1-2"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "There is no previous run"),
        ("csv", "lacks the standardised records and links"),
        ("model", "The model differs from the one the previous run was linked with"),
        ("threshold", "was clustered at"),
        ("full_alone", "--full relinks against a previous run"),
        ("not_linked", "is not an output of workbench link"),
        ("tampered", "was changed after workbench link wrote it"),
    ],
)
def test_refresh_errors_are_one_clear_line(runs, case, message, capsys, tmp_path) -> None:
    prev, model = runs["prev"], runs["model"]
    extra: list[str] = []
    if case == "missing":
        prev = tmp_path / "nowhere.parquet"
    elif case == "csv":
        prev = tmp_path / "prev.csv"
        pd.read_parquet(runs["prev"]).to_csv(prev, index=False)
    elif case == "model":
        settings = json.loads(Path(runs["model"]).read_text())
        settings["probability_two_random_records_match"] = 0.5
        model = tmp_path / "other.json"
        model.write_text(json.dumps(settings))
    elif case == "threshold":
        extra = ["--threshold", "0.123"]
    elif case == "not_linked":
        prev = runs["courts"]
    elif case == "tampered":  # a row deleted by hand: the metadata no longer fits the records
        import pyarrow.parquet as pq

        prev = tmp_path / "tampered.parquet"
        pq.write_table(pq.read_table(runs["prev"]).slice(1), prev)
    args = ["link", str(runs["police_b"]), "--model", str(model), "--out"]
    args += [str(tmp_path / "out.parquet"), *extra]
    args += ["--full"] if case == "full_alone" else ["--previous", str(prev)]
    code = run(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_linked_file_info_agrees_with_reading_the_whole_file(runs, tmp_path) -> None:
    """The schema-only read a refresh starts from says what the whole file says."""
    whole = read_linked(runs["prev"])
    info = read_linked_info(runs["prev"])
    assert info.refreshable and whole.refreshable
    assert info.meta == whole.meta
    csv = tmp_path / "prev.csv"
    pd.read_parquet(runs["prev"]).to_csv(csv, index=False)
    assert not read_linked_info(csv).refreshable and not read_linked(csv).refreshable


def test_app_clusters_keep_their_ids_across_reclusters_and_new_models(ws) -> None:
    from linkage.clusters.registry import write_clusters

    def clusters(groups: list[list[int]]) -> pd.DataFrame:
        rows = [(f"{k}", f"police-__-{g[0]}") for g in groups for k in g]
        return pd.DataFrame(
            {
                "source_dataset": "police",
                "unique_id": [r[0] for r in rows],
                "cluster_id": [r[1] for r in rows],
            }
        )

    first = clusters([[1, 2, 3], [4, 5], [6]])
    first.loc[:, "cluster_id"] = ["P-A", "P-A", "P-A", "P-B", "P-B", "P-C"]
    with ws.transaction() as cur:
        write_clusters(cur, "m1", first, 0.9, keep_ids=False)
    # A new model version splits record 1 off and joins 4, 5 and 6.
    second = clusters([[2, 3], [1], [4, 5, 6]])
    with ws.transaction() as cur:
        write_clusters(cur, "m2", second, 0.95)
    ids = dict(zip(second["unique_id"], second["cluster_id"], strict=True))
    assert ids["2"] == ids["3"] == "P-A"  # the larger part keeps the id
    assert ids["1"] == "police-__-1"  # the part split off gets a fresh id
    assert ids["4"] == ids["5"] == ids["6"] == "P-B"  # the merge keeps the larger id
    assert second.attrs["id_changes"]["records_moved"] == 2
    stored = ws.query_df("SELECT unique_id, cluster_id FROM wb.clusters WHERE model_id = 'm2'")
    assert dict(zip(stored["unique_id"], stored["cluster_id"], strict=True)) == ids


@pytest.fixture(scope="module")
def linked_workspace(tmp_path_factory: pytest.TempPathFactory):
    """A workspace whose model linked the sample with half the police records held back."""
    from linkage.model.datasets import suggest_for_datasets
    from linkage.model.linkers import forget_linkers
    from linkage.model.runs import train_and_save
    from tests.journey_workspace import write_sample_subset
    from workbench.data.datasets import load_sample
    from workbench.workspace import Workspace

    root = tmp_path_factory.mktemp("refresh_app")
    folder = write_sample_subset(root / "sample", ("Cumbria", "Dorset"))
    police = pd.read_parquet(folder / "police.parquet")
    held = police.sample(frac=0.5, random_state=3).sort_index()
    police.drop(held.index).to_parquet(folder / "police.parquet", index=False)
    workspace = Workspace(root / "workspace.duckdb")
    load_sample(workspace, sample_dir=folder)
    datasets = ["police", "cps", "courts"]
    run_ = train_and_save(workspace, datasets, suggest_for_datasets(workspace, datasets))
    try:
        yield workspace, run_.model_id, held
    finally:
        forget_linkers()
        workspace.close()


def test_add_extract_in_the_app_refreshes_clusters_and_keeps_the_report(linked_workspace) -> None:
    from linkage.clusters.extract import add_extract
    from linkage.clusters.registry import load_change_reports, load_clusters

    ws, model_id, held = linked_workspace
    before = load_clusters(ws, model_id)
    report = add_extract(ws, model_id, "police", held.reset_index(drop=True))
    after = load_clusters(ws, model_id)
    assert len(after) == len(before) + len(held)
    assert ws.query("SELECT count(*) FROM data.police")[0][0] == len(
        before[before["source_dataset"] == "police"]
    ) + len(held)
    both = before.merge(after, on=KEY, suffixes=("_old", "_new"))
    assert len(both) == len(before)
    assert (both["cluster_id_old"] == both["cluster_id_new"]).mean() >= 0.99
    per_new = both.groupby("cluster_id_new")["cluster_id_old"].nunique()
    assert {m["cluster_id"] for m in report.merges} == set(per_new[per_new > 1].index)
    assert report.counts["records_new"] == len(held)
    listed = {r for e in report.new_people + report.added for r in e["records"]}
    assert listed == {f"police:{i}" for i in held["crime_ref"].astype(str)}
    stored = load_change_reports(ws, model_id)
    assert stored and stored[0]["dataset"] == "police"
    assert stored[0]["report"]["counts"] == report.counts


def test_clusters_page_shows_a_change_report_in_words(linked_workspace, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from linkage.clusters.change_report import ChangeReport

    ws, model_id, _ = linked_workspace
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws.path))
    pair = {"left": "police:C1", "right": "courts:K9", "match_weight": 12.345}
    counts = dict.fromkeys(
        ["records_before", "records_after", "records_new", "records_replaced", "people_before"],
        1,
    )
    report = ChangeReport(
        mode="refresh",
        model_fingerprint="x",
        threshold=0.9,
        counts={**counts, "people_after": 1, "records_moved": 3},
        new_people=[{"cluster_id": "police-__-C2", "records": ["police:C2"], "pairs": []}],
        merges=[
            {
                "cluster_id": "police-__-C1",
                "merged_ids": ["courts-__-K9", "police-__-C1"],
                "pairs": [pair],
            }
        ],
        splits=[{"previous_id": "cps-__-P4", "into": ["cps-__-P4", "cps-__-P5"], "pairs": []}],
    )
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"))
    at.default_timeout = 120
    at.session_state["clusters_report"] = (model_id, report)
    at.run()
    at.switch_page("pages/link_clusters.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New people"] == "1" and metrics["Merges"] == "1" and metrics["Splits"] == "1"
    table = next(d.value for d in at.dataframe if "change" in d.value.columns)
    assert table["change"].tolist() == ["merge", "split"]
    assert table["person"].tolist() == ["police record C1", "cps record P4"]
    assert "police record C1 ~ courts record K9 (12.3)" in table["links that caused it"].iloc[0]
    assert "-__-" not in " ".join(table.astype(str).to_numpy().ravel())


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for row, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(row)
    return {frozenset(g) for g in groups.values()}


def _refresh_case(seed: int) -> dict[str, object]:
    """Earlier links and clusters, records replaced (splits) and new links (merges)."""
    from linkage.model.predict import connected_components

    rng = np.random.default_rng(seed)
    n_prev, n_new = 400, 120
    # Earlier links: chains inside small groups, so removing a middle record splits a group.
    group = np.sort(rng.integers(0, 150, n_prev))
    same = np.flatnonzero(group[1:] == group[:-1])
    prev_l, prev_r = same, same + 1
    prev_codes = pd.factorize(connected_components(n_prev, prev_l, prev_r))[0]
    replaced = np.zeros(n_prev, dtype=bool)
    replaced[rng.choice(n_prev, 25, replace=False)] = True
    keep = ~replaced
    n_keep = int(keep.sum())
    n_now = n_keep + int(replaced.sum()) + n_new
    row_now = np.cumsum(keep) - 1
    row_now[replaced] = n_keep + np.arange(int(replaced.sum()))
    still = keep[prev_l] & keep[prev_r]
    carried = (row_now[prev_l[still]], row_now[prev_r[still]])
    # New links: each involves a record that is new (or a new version); some join two earlier
    # clusters.
    fresh = np.arange(n_keep, n_now)
    new_l = rng.choice(fresh, 200)
    new_r = rng.integers(0, n_now, 200)
    ok = new_l != new_r
    new = (np.minimum(new_l, new_r)[ok], np.maximum(new_l, new_r)[ok])
    codes = np.full(n_now, -1, dtype=np.int64)
    codes[:n_keep] = prev_codes[keep]
    lost = np.zeros(int(prev_codes.max()) + 1, dtype=bool)
    lost[prev_codes[replaced]] = True
    old_codes = codes.copy()  # a new version keeps its earlier cluster for the ids
    old_codes[n_keep : n_keep + int(replaced.sum())] = prev_codes[replaced]
    return {
        "n": n_now,
        "codes": codes,
        "old_codes": old_codes,
        "lost": lost,
        "carried": carried,
        "new": new,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_clusters_equal_connected_components_over_every_link(seed) -> None:
    from linkage.clusters.incremental import update_components
    from linkage.model.predict import connected_components

    case = _refresh_case(seed)
    carried, new = case["carried"], case["new"]
    full = connected_components(
        case["n"], np.concatenate([carried[0], new[0]]), np.concatenate([carried[1], new[1]])
    )
    comp = update_components(case["codes"], case["lost"], carried, new)
    assert _partition(comp.labels) == _partition(full)
    # Untouched clusters are earlier clusters unchanged; every cluster with a new record, a
    # merge or a split is touched.
    codes = case["codes"]
    earlier = _partition(np.where(codes >= 0, codes, -1 - np.arange(case["n"])))
    for members in _partition(comp.labels):
        rows = np.array(sorted(members))
        if not comp.touched[rows].all():
            assert not comp.touched[rows].any()
            assert members in earlier and (codes[rows] >= 0).all()
        else:
            assert (codes[rows] < 0).any() or case["lost"][codes[rows]].any()
    assert comp.touched[codes < 0].all()
    changed = [m for m in _partition(comp.labels) if m not in earlier]
    assert len(changed) > 10  # the case holds merges and splits


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ids_over_touched_clusters_equal_ids_over_every_record(seed) -> None:
    from linkage.clusters.incremental import update_components
    from linkage.clusters.stable_ids import carry_ids_touched

    case = _refresh_case(seed)
    comp = update_components(case["codes"], case["lost"], case["carried"], case["new"])
    n = case["n"]
    # Earlier ids shaped like fresh names, so a fresh name can clash with an untouched one.
    old_ids = pd.Index([f"s-__-{i * 7}" for i in range(len(case["lost"]))])
    records = pd.DataFrame({"source_dataset": ["s"] * n, "unique_id": [str(i) for i in range(n)]})
    old_codes = case["old_codes"]
    old_cluster = pd.Series(
        np.where(old_codes >= 0, old_ids.to_numpy(dtype=object)[np.maximum(old_codes, 0)], None),
        dtype=object,
    )
    full = carry_ids(records, comp.labels, old_cluster)
    part = carry_ids_touched(records, comp.labels, old_codes, old_ids, comp.touched)
    assert part.cluster_id.tolist() == full.cluster_id.tolist()
    assert part.summary() == full.summary()
    assert full.ids_retired > 0 and full.ids_new > 0


def test_relink_of_a_source_without_ids_finds_earlier_records_by_their_values(
    tmp_path: Path, caplog
) -> None:
    """Records numbered by row keep their earlier numbers (and so their people) through a
    relink of a reordered, larger extract; a refresh with a repeating extract says so."""
    police, _ = make_people(900, seed=5)
    police = police.drop(columns=["source_dataset", "unique_id"])
    police = pd.concat([police, police.iloc[:3]], ignore_index=True)  # exact repeats too
    order = np.random.default_rng(3).permutation(len(police))
    earlier = police.iloc[np.sort(order[: len(police) * 7 // 10])]
    whole = police.iloc[np.random.default_rng(9).permutation(len(police))]  # another order
    for name, frame in (("earlier", earlier), ("whole", whole)):
        (tmp_path / name).mkdir()
        frame.to_csv(tmp_path / name / "police.csv", index=False)
    prev, model = tmp_path / "prev.parquet", tmp_path / "model.json"
    args = ["--labels-column", "person_id", "-q"]
    assert run(["link", str(tmp_path / "earlier" / "police.csv"), "--out", str(prev),
                "--save-model", str(model), *args]) == 0  # fmt: skip
    threshold = str(read_linked(prev).meta["threshold"])
    out = tmp_path / "relinked.parquet"
    assert run(["link", str(tmp_path / "whole" / "police.csv"), "--full", "--previous",
                str(prev), "--model", str(model), "--threshold", threshold, "--out", str(out),
                *args]) == 0  # fmt: skip
    values = [c for c in police.columns]
    before = pd.read_parquet(prev).astype({c: "string" for c in values})
    after = pd.read_parquet(out).astype({c: "string" for c in values})
    # Every earlier record is found by its values (repeats pair off: compare them as counts).
    key = [*values, "unique_id"]
    assert before[key].value_counts().sub(after[key].value_counts(), fill_value=0).max() == 0
    assert set(before["unique_id"]) < set(after["unique_id"])
    numbers = pd.to_numeric(after["unique_id"])
    assert numbers.is_unique and numbers.max() == len(police)  # new records numbered on
    # An earlier record changes person only in a merge or split the report lists.
    both = before.merge(after, on=["unique_id"], suffixes=("_old", "_new"))
    report = json.loads(report_path(out).read_text())
    moved = both[both["cluster_id_old"] != both["cluster_id_new"]]
    explained = {i for m in report["merges"] for i in m["merged_ids"]}
    explained |= {s["previous_id"] for s in report["splits"]}
    assert moved["cluster_id_old"].isin(explained).all()
    assert report["counts"]["records_moved"] == len(moved) < len(before) // 20

    cumulative = tmp_path / "cumulative" / "police.csv"
    cumulative.parent.mkdir()
    whole.to_csv(cumulative, index=False)
    refreshed = tmp_path / "refreshed.parquet"
    assert run(["link", str(cumulative), "--previous", str(prev), "--out", str(refreshed)]) == 0
    seen = set(earlier.astype("string").itertuples(index=False))
    repeats = sum(row in seen for row in whole.astype("string").itertuples(index=False))
    assert f"{repeats:,} records of the new extract of police equal earlier records" in (
        caplog.text
    )
