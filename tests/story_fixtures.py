"""A small workspace for the publishing tests: hand-made journeys, a tiny dataset, two leaders."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from workbench.access.auth import User, local_user
from workbench.analysis.journeys.table import write_journeys
from workbench.analysis.measures.record_keys import KEY_SALT_SETTING
from workbench.data.datasets import add_file
from workbench.publish.stories.model import Annotation, Block, Story
from workbench.publish.stories.store import create_story
from workbench.workspace import Workspace


def journeys_frame(months: int = 6, per_month: int = 30, last: int = 36) -> pd.DataFrame:
    """Journeys with first hearings: ``per_month`` a month, ``last`` in the final month."""
    rows = []
    start = date(2024, 1, 1)
    for m in range(months):
        month = date(2024 + (m // 12), m % 12 + 1, 1)
        for i in range(last if m == months - 1 else per_month):
            offence = month - timedelta(days=60)
            rows.append(
                {
                    "journey_id": f"J{m}-{i}",
                    "lcjb_area": "Kent" if i % 2 else "Cumbria",
                    "start_stage": "recorded",
                    "offence_group": "theft offences",
                    "victim_based": True,
                    "start_date": offence,
                    "offence_date": offence,
                    "recorded_date": offence,
                    "suspect_identified": True,
                    "charged": True,
                    "charge_date": month - timedelta(days=20),
                    "referral_date": month - timedelta(days=30),
                    "first_hearing_date": month + timedelta(days=i % 20),
                    "court_type": "magistrates",
                    "completion_date": month + timedelta(days=40),
                    "convicted": i % 3 != 0,
                }
            )
    # a few crimes with no suspect, so the funnel narrows
    for i in range(25):
        rows.append(
            {
                "journey_id": f"N{i}",
                "lcjb_area": "Kent",
                "start_stage": "recorded",
                "offence_group": "theft offences",
                "victim_based": True,
                "start_date": start,
                "offence_date": start,
                "recorded_date": start,
                "suspect_identified": False,
                "charged": False,
            }
        )
    return pd.DataFrame(rows)


def small_workspace(folder: Path) -> Path:
    """A workspace file with journeys ``linked`` and a dataset ``events`` (one tiny month)."""
    path = folder / "stories.duckdb"
    with Workspace(path) as ws:
        # a fixed record-key salt, so the adjusted counts (and the headlines) are the same
        # on every run
        ws.set_setting(KEY_SALT_SETTING, "story-fixture-salt")
        write_journeys(ws, journeys_frame(), "linked")
        csv = folder / "events.csv"
        csv.write_text(
            "event_id,event_date,area\n"
            + "".join(f"{i},2024-0{1 + i % 3}-0{1 + i % 9},Kent\n" for i in range(45))
        )
        add_file(ws, csv, "events")
        create_story(ws, local_user(), demo_story())
    return path


def leader(area: str) -> User:
    """A leader of one LCJB area, named after it (``kent_leader``)."""
    return User(f"{area.lower()}_leader", roles=("leader",), areas=(area,))


def demo_story() -> Story:
    """A story with text, an annotated receipts chart, a funnel chart and a timeliness table."""
    return Story(
        "demo",
        "Courts in 2024",
        "What happened to cases in the first half of 2024.",
        [
            Block("text", text="## Summary\n\nCourt receipts **rose** in June."),
            Block(
                "chart",
                "receipts",
                {"stage": "first_hearing"},
                annotations=[
                    Annotation("range", "2024-02-01", "Pilot", "2024-03-01"),
                    Annotation("text", "2024-05-01", "New listing rule"),
                ],
            ),
            Block("chart", "attrition_funnel", {}),
            Block("table", "timeliness", {}),
        ],
    )
