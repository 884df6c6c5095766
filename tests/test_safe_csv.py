"""CSV downloads are formula-escaped, and the workbench reads its own escaped files back intact."""

from __future__ import annotations

import io

import pandas as pd

from workbench.safe_csv import escape_cell, frame_to_csv, unescape_cell


def test_formulas_become_text_and_come_back() -> None:
    frame = pd.DataFrame(
        {"=cmd": ['=HYPERLINK("x")', "+44 1234", "plain", "@SUM(A1)"], "n": [1, 2, 3, 4]}
    )
    text = frame_to_csv(frame).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert list(back.columns) == ["'=cmd", "n"]
    assert back.iloc[:, 0].tolist() == ['\'=HYPERLINK("x")', "'+44 1234", "plain", "'@SUM(A1)"]
    assert [unescape_cell(v) for v in back.iloc[:, 0]] == frame["=cmd"].tolist()
    assert unescape_cell("'quoted") == "'quoted" and escape_cell(5) == 5
