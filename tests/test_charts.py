"""Chart conventions: time axes tick on whole periods and are labelled to match."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.charts import period_axis
from workbench.explore import period_chart


@pytest.mark.parametrize(
    ("period", "label", "interval"),
    [("month", "%b %Y", "month"), ("quarter", "%b %Y", "month"), ("year", "%Y", "year")],
)
def test_period_axis_ticks_on_whole_periods(period: str, label: str, interval: str) -> None:
    axis = period_axis(period).to_dict()
    assert axis["format"] == label
    assert axis["tickCount"] == {"interval": interval, "step": 1}


def test_explore_chart_uses_the_period_axis() -> None:
    counts = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=5, freq="MS"),
            "group": "All records",
            "records": [3, 4, 5, 6, 7],
        }
    )
    spec = period_chart(counts, "Records", "month").to_dict()
    assert spec["encoding"]["x"]["axis"]["format"] == "%b %Y"
