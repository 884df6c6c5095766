"""The command line: each command end to end, and errors as one clean line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import run

ROOT = Path(__file__).resolve().parent.parent


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    exe = Path(sys.executable).with_name("workbench")
    return subprocess.run(
        [str(exe), "--workspace", str(tmp_path / "ws.duckdb"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the command line in the test's process (no interpreter start): code, stdout, stderr.

    The console script itself is run as a user runs it by the tests above and below."""
    code = run(["--workspace", str(tmp_path / "ws.duckdb"), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_list_show_and_roles(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    data.write_text(
        "id,fname,lname,dob,zipcode\n"
        "1,Ann,Smith,1990-01-02,ME14 2XY\n"
        "2,Bob,Jones,1985-03-04,CT1 1AA\n",
        encoding="utf-8",
    )
    result = cli(tmp_path, "import", str(data), "--name", "people", "--title", "People")
    assert result.returncode == 0, result.stderr
    assert "Imported people.csv as people: 2 rows, 5 columns." in result.stdout

    listed = cli(tmp_path, "datasets", "--search", "peop")
    assert listed.returncode == 0
    assert "people" in listed.stdout and "People" in listed.stdout

    shown = cli(tmp_path, "show", "people")
    assert shown.returncode == 0, shown.stderr
    assert "zipcode" in shown.stdout

    roles = cli(tmp_path, "roles", "people")
    assert roles.returncode == 0, roles.stderr
    assert "first_name" in roles.stdout and "postcode" in roles.stdout

    changed = cli(tmp_path, "roles", "people", "--set", "zipcode=ignore", "--confirm")
    assert changed.returncode == 0, changed.stderr
    row = next(line for line in changed.stdout.splitlines() if line.strip().startswith("zipcode"))
    assert "ignore" in row

    audit = cli(tmp_path, "audit")
    assert "dataset.import" in audit.stdout and "roles.save" in audit.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import", "missing.csv", "--name", "x"], "missing.csv"),
        (["show", "nope"], "nope"),
        (["roles", "nope"], "nope"),
        (["sample", "--people", "0", "--out", "{tmp}/s"], "people"),
    ],
)
def test_errors_are_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = in_process(tmp_path, capsys, *args)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.strip().count("\n") <= 1
    assert expected in err


def test_duplicate_import_is_refused_then_versioned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "a.csv"
    data.write_text("x,y\n1,2\n", encoding="utf-8")
    assert in_process(tmp_path, capsys, "import", str(data), "--name", "a")[0] == 0
    code, _, err = in_process(tmp_path, capsys, "import", str(data), "--name", "a")
    assert code == 2 and "already" in err.lower()
    code, out, err = in_process(
        tmp_path, capsys, "import", str(data), "--name", "a", "--new-version"
    )
    assert code == 0, err
    assert "as a_v2" in out


def test_sample_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    code = run(
        [
            "--workspace",
            str(tmp_path / "w.duckdb"),
            "sample",
            "--people",
            "300",
            "--seed",
            "7",
            "--out",
            str(out),
            "--end-date",
            "2024-12-31",
        ]
    )
    assert code == 0
    for name in ("police", "cps", "courts", "police_truth", "cps_truth", "courts_truth"):
        assert (out / f"{name}.parquet").stat().st_size > 0
    assert (out / "manifest.json").exists()


def test_init_loads_the_sample_once(tmp_path: Path) -> None:
    first = cli(tmp_path, "init")
    assert first.returncode == 0, first.stderr
    assert "Loaded 6 sample datasets" in first.stdout
    second = cli(tmp_path, "init")
    assert second.returncode == 0
    assert "is ready (6 datasets)" in second.stdout


def test_locked_workspace_gives_clear_message(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "ws.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = cli(tmp_path, "datasets")
        assert result.returncode == 2
        assert "open in another program" in result.stderr
    finally:
        holder.kill()
    assert duckdb is not None


def test_cli_import_names_invalid_values_and_takes_the_choice(tmp_path: Path) -> None:
    """No traceback on awkward files; invalid dates are named; --invalid missing imports."""
    plus = tmp_path / "calls.csv"
    plus.write_text("id,phone,score\n1,+447700900123,+7\n2,+447700900456,+3\n")
    done = cli(tmp_path, "import", str(plus))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [f"{i},2001-01-{i % 28 + 1:02d}" for i in range(1, 21)] + ["21,2001-02-30"]
    dates = tmp_path / "dates.csv"
    dates.write_text("id,dob\n" + "\n".join(rows) + "\n")
    refused = cli(tmp_path, "import", str(dates))
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert "1 of 21 values are not dates (row 22 '2001-02-30')" in refused.stderr
    assert "--invalid missing" in refused.stderr
    done = cli(tmp_path, "import", str(dates), "--invalid", "missing")
    assert done.returncode == 0, done.stderr
    assert "21 rows" in done.stdout


def test_a_parquet_file_read_then_refused_exits_cleanly(tmp_path: Path) -> None:
    """Reading Parquet through a Python file object left Arrow's thread pool able to abort the
    process as it exited ("terminate called without an active exception", exit 134), most
    often when a command stopped right after the read: here an extract with no rows. Each run
    aborted about three times in four, so four runs in a row catch it."""
    import pandas as pd

    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"first_name": pd.Series([], dtype="str")}).to_parquet(empty, index=False)
    for k in range(4):
        done = cli(tmp_path, "link", str(empty), "--out", str(tmp_path / f"out{k}.parquet"))
        assert done.returncode == 2, done.stderr
        assert "no rows of data" in done.stderr and "terminate" not in done.stderr
