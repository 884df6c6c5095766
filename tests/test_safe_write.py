"""An output file appears whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.safe_write import replacing


def test_a_finished_write_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with replacing(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv" and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # readers see the old file until the end
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    target.write_bytes(b"whole")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"ha")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_a_new_file_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("{")
        raise RuntimeError("interrupted")
    assert not target.exists() and not list(tmp_path.iterdir())
