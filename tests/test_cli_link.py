"""``workbench link``: files with unfamiliar column names in, one row per record and cluster out."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from linkage.synthetic import make_people
from workbench.cli import run


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli_link")
    left, right = make_people(800, seed=5)
    a = left.drop(columns=["source_dataset"]).rename(
        columns={
            "unique_id": "id",
            "first_name": "Given Name",
            "surname": "FAMILY_NAME",
            "dob": "birthDate",
            "sex": "gender",
            "postcode": "home_pc",
            "pnc_id": "pnc",
            "person_id": "truth",
        }
    )
    b = right.drop(columns=["source_dataset"]).rename(
        columns={
            "unique_id": "ref",
            "first_name": "forename",
            "surname": "lastname",
            "dob": "date_of_birth",
            "pnc_id": "pnc_number",
            "person_id": "truth",
        }
    )
    b["date_of_birth"] = pd.to_datetime(b["date_of_birth"]).dt.strftime("%d/%m/%Y")
    paths = {
        "a": folder / "custody.csv",
        "b": folder / "court_list.csv",
        "one": folder / "one.csv",
        "postcodes": folder / "postcodes.csv",
        "bad_model": folder / "bad_model.json",
        "dir": folder,
    }
    a.to_csv(paths["a"], index=False)
    b.to_csv(paths["b"], index=False)
    a.head(1).to_csv(paths["one"], index=False)
    a[["id", "home_pc"]].to_csv(paths["postcodes"], index=False)
    paths["bad_model"].write_text('{"link_type": "dedupe_only", "comparisons": "nope"')
    return paths


def _link(args: list[str], files: dict[str, Path], capsys) -> tuple[int, str, str]:
    code = run(["--workspace", str(files["dir"] / "ws.duckdb"), "link", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_link_two_csvs_with_labels_and_model_round_trip(files, told, capsys) -> None:
    out = files["dir"] / "told.parquet"
    model = told["model"]
    code, stdout, stderr = told["code"], str(told["out"]), str(told["err"])
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "Estimating u with" not in stderr and "-----" not in stderr, "Splink's own log stays out"
    assert "Clusters against truth: precision" in stdout and "F1" in stdout
    f1 = float(stdout.split("Clusters against truth:")[1].split("F1 ")[1].split()[0])
    assert f1 >= 0.95
    linked = pd.read_parquet(out)
    people = stdout.split("Clusters (people) among records with a person: ")[1]
    n_people = int(people.split(";")[0].replace(",", ""))
    assert n_people == linked["cluster_id"].nunique()  # every test record names a person
    assert "records without a person (no suspect): 0.\n" in stdout
    a = pd.read_csv(files["a"])
    b = pd.read_csv(files["b"])
    assert len(linked) == len(a) + len(b)
    assert list(linked.columns[:3]) == ["source_dataset", "unique_id", "cluster_id"]
    assert {"Given Name", "forename", "truth", "ref"} <= set(linked.columns)
    assert set(linked["source_dataset"]) == {"custody", "court_list"}
    custody = linked[linked["source_dataset"] == "custody"]
    assert sorted(custody["unique_id"].astype(int)) == sorted(a["id"])
    court = linked[linked["source_dataset"] == "court_list"]
    assert court["unique_id"].tolist() == [str(i) for i in range(1, len(b) + 1)]
    assert linked["cluster_id"].notna().all()

    again = files["dir"] / "again.csv"
    code, stdout, stderr = _link(
        [str(files["a"]), str(files["b"]), "--out", str(again), "--model", str(model)],
        files,
        capsys,
    )
    assert code == 0, stderr
    reloaded = pd.read_csv(again, dtype={"unique_id": str})
    key = ["source_dataset", "unique_id"]
    merged = linked[[*key, "cluster_id"]].merge(reloaded[[*key, "cluster_id"]], on=key)
    assert (merged["cluster_id_x"] == merged["cluster_id_y"]).all()


def test_role_override_threshold_and_dedupe_one_file(files, capsys) -> None:
    out = files["dir"] / "dedupe.parquet"
    code, stdout, stderr = _link(
        [str(files["a"]), "--out", str(out), "--role", "home_pc=postcode", "--threshold", "0.95"],
        files,
        capsys,
    )
    assert code == 0, stderr
    assert "at match probability 0.95" in stdout
    assert "Threshold: match probability 0.95" in stderr
    assert "\r" not in stderr, "no progress bar when stderr is not a terminal"
    assert "home_pc" in stderr and "postcode" in stderr
    assert len(pd.read_parquet(out)) == len(pd.read_csv(files["a"]))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad_model", "model"),
        ("missing", "There is no file"),
        ("mismatched", "too few person columns in common"),
        ("single", "only one record"),
        ("backend", "The backend 'flink' is not available"),
        ("threshold", "not a probability"),
        ("role", "not a known role"),
    ],
)
def test_errors_are_one_line_exit_2(files, capsys, case: str, message: str) -> None:
    out = str(files["dir"] / "x.parquet")
    a, b = str(files["a"]), str(files["b"])
    args = {
        "bad_model": [a, b, "--out", out, "--model", str(files["bad_model"])],
        "missing": [a, str(files["dir"] / "nope.csv"), "--out", out],
        "mismatched": [a, str(files["postcodes"]), "--out", out],
        "single": [str(files["one"]), "--out", out],
        "backend": [a, "--out", out, "--backend", "flink"],
        "threshold": [a, "--out", out, "--threshold", "7"],
        "role": [a, "--out", out, "--role", "pnc=passport"],
    }[case]
    code, _, stderr = _link(args, files, capsys)
    assert code == 2
    assert stderr.startswith("error: ") and message in stderr
    assert stderr.strip().count("\n") == 0, stderr
    assert "Traceback" not in stderr


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress bars are drawn."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def told(files: dict[str, Path]) -> dict[str, object]:
    """One strict run with labels on a terminal: its exit status, stdout, stderr and model."""
    model = files["dir"] / "told_model.json"
    args = [
        "--workspace",
        str(files["dir"] / "ws.duckdb"),
        "link",
        str(files["a"]),
        str(files["b"]),
        "--out",
        str(files["dir"] / "told.parquet"),
        "--labels-column",
        "truth",
        "--save-model",
        str(model),
        "--strict",
    ]
    out, err = io.StringIO(), _Terminal()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        code = run(args)
    return {"code": code, "out": out.getvalue(), "err": err.getvalue(), "model": model}


def test_link_says_what_it_did(told) -> None:
    err = str(told["err"])
    assert told["code"] == 0, err
    assert "Traceback" not in err
    assert "Input custody: " in err and "Input court_list: " in err
    assert "means first name" in err, "the reason for each role"
    assert "the truth column (--labels-column)" in err
    assert "Comparisons (" in err and "Exact match on date of birth" in err
    assert "Blocking rules (" in err and " comparisons" in err
    assert "EM session 1, blocked on " in err and "estimates m for " in err
    assert "Threshold: match probability " in err and "why: " in err
    assert "Health check (" in err
    out = str(told["out"])
    assert out.startswith("Linked ") and "Clusters against truth: precision" in out


def test_progress_bars_on_a_terminal(told) -> None:
    err = str(told["err"])
    for step in ("Standardising the inputs", "Linking", "Health check"):
        assert step in err
    assert "100%" in err and "\r" in err


def test_quiet_prints_only_the_result(files, told, capsys) -> None:
    out = files["dir"] / "quiet.parquet"
    code, stdout, stderr = _link(
        [str(files["a"]), str(files["b"]), "--out", str(out), "--model", str(told["model"]), "-q"],
        files,
        capsys,
    )
    assert code == 0
    assert stderr == ""
    assert stdout.startswith("Linked ") and stdout.count("\n") == 1
    assert out.exists()


def _extreme_model(told, files) -> Path:
    settings = json.loads(Path(told["model"]).read_text())
    comparison = next(c for c in settings["comparisons"] if c["output_column_name"] == "pnc_id")
    exact = next(lv for lv in comparison["comparison_levels"] if lv.get("u_probability"))
    exact["u_probability"] = 1e-12
    path = files["dir"] / "extreme_model.json"
    path.write_text(json.dumps(settings))
    return path


def test_strict_fails_on_a_serious_finding_after_writing(files, told, capsys) -> None:
    out = files["dir"] / "strict.parquet"
    model = _extreme_model(told, files)
    args = [str(files["a"]), str(files["b"]), "--out", str(out), "--model", str(model)]
    code, stdout, stderr = _link([*args, "--strict"], files, capsys)
    assert code == 1
    assert out.exists() and stdout.startswith("Linked ")
    assert "strict: the health check found 1 serious problem" in stderr
    assert "pnc_id" in stderr.split("strict:")[1]
    assert "Training:\n  none: the model was loaded from" in stderr

    code, _, stderr = _link([*args, "--strict", "-q"], files, capsys)
    assert code == 1
    assert stderr.startswith("strict: "), "-q keeps the reason for the failure"

    code, _, _ = _link(args, files, capsys)
    assert code == 0, "without --strict a serious finding is only reported"
