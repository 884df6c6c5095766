"""The `workbench forecast` command: files written, notes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.forecast_data import write_demand_journeys
from workbench.cli import run
from workbench.workspace import Workspace


@pytest.fixture(scope="module")
def workspace_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli_forecast") / "ws.duckdb"
    with Workspace(path) as ws:
        # About three magistrates' receipts a week and one Crown: the Crown series is sparse.
        write_demand_journeys(ws, areas=("Kent",), weeks=150, per_week=3)
    return path


def test_forecast_writes_csv_with_metrics(workspace_path: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "kent.csv"
    code = run(
        [
            "--workspace",
            str(workspace_path),
            "forecast",
            "--area",
            "Kent",
            "--court",
            "crown",
            "--horizon",
            "4",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "truth journeys" in printed  # no linked model: the note says what was used
    assert "Kent Crown is too sparse to model weekly" in printed
    level = "as monthly counts" if "forecast as monthly counts" in printed else "monthly"
    assert f"(1 too sparse for weeks: 1 forecast {level})" in printed
    frame = pd.read_csv(out)
    future = frame[frame["kind"] == "forecast"]
    assert len(future) == 1 and set(frame["court_type"]) == {"Crown"}  # 4 weeks: one month
    assert set(frame["freq"]) == {"month"} and frame["freq_reason"].notna().all()
    columns = {"mase", "baseline_mase", "coverage", "raw_coverage", "beats_baseline", "lower"}
    assert columns <= set(frame.columns)
    assert future["baseline"].notna().all()


def test_forecast_writes_parquet_for_all(workspace_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.parquet"
    code = run(
        [
            "--workspace",
            str(workspace_path),
            "forecast",
            "--area",
            "all",
            "--court",
            "all",
            "--horizon",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_parquet(out)
    assert set(frame["court_type"]) == {"magistrates", "Crown"}
    freq = frame.groupby("court_type")["freq"].first()
    assert freq["magistrates"] == "week" and freq["Crown"] == "month"
    # Every series ends at the last whole week (or month) before the data end.
    history = frame[frame["kind"] == "history"]
    last = pd.to_datetime(history.groupby("court_type")["period"].max())
    assert last["magistrates"] > last["Crown"] - pd.Timedelta(days=31)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--area", "Atlantis", "--out", "x.csv"], "No court receipts for area 'Atlantis'"),
        (["--out", "x.xlsx"], ".csv or .parquet"),
        (["--horizon", "0", "--out", "x.csv"], "horizon"),
    ],
)
def test_forecast_errors_are_one_line(
    workspace_path: Path, tmp_path: Path, capsys, extra: list[str], words: str
) -> None:
    args = [a if a not in ("x.csv", "x.xlsx") else str(tmp_path / a) for a in extra]
    code = run(["--workspace", str(workspace_path), "forecast", "--court", "crown", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1


def test_forecast_without_any_journeys_is_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "empty.duckdb"
    code = run(["--workspace", str(path), "forecast", "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
