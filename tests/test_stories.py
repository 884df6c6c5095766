"""Stories: saved recipes re-rendered from the current data, to HTML and PDF; the CLI export."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pypdf
import pytest

from tests.story_fixtures import demo_story, journeys_frame, small_workspace
from tests.test_export import Links, external_urls
from workbench.access.auth import local_user
from workbench.analysis.journeys.table import write_journeys
from workbench.browser import chromium_available
from workbench.cli import run
from workbench.errors import ValidationError
from workbench.publish.stories.access import block_params
from workbench.publish.stories.document import story_html, story_pdf
from workbench.publish.stories.model import Annotation, Block, move_block, remove_block
from workbench.publish.stories.render import annotate, render_block
from workbench.publish.stories.sources import SOURCES
from workbench.publish.stories.store import list_stories, load_story, save_story
from workbench.workspace import Workspace

ME = local_user()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("stories"))


@pytest.fixture
def ws(template: Path, tmp_path: Path):
    path = tmp_path / "ws.duckdb"
    shutil.copy(template, path)
    with Workspace(path) as workspace:
        yield workspace


def test_save_reopen_reorder_delete(ws: Workspace) -> None:
    story = load_story(ws, ME, "demo")
    assert [b.kind for b in story.blocks] == ["text", "chart", "chart", "table"]
    assert story.blocks[1].annotations[0] == Annotation(
        "range", "2024-02-01", "Pilot", "2024-03-01"
    )
    moved = move_block(story, story.blocks[3].id, -10)
    saved = save_story(ws, ME, remove_block(moved, moved.blocks[1].id))
    assert saved.revision == story.revision + 1
    again = load_story(ws, ME, "demo")
    assert [b.kind for b in again.blocks] == ["table", "chart", "chart"]
    assert list(list_stories(ws, ME)["name"]) == ["demo"]


def test_bad_names_and_unknown_stories_are_user_errors(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="valid story name"):
        save_story(ws, ME, demo_story().__class__("Bad Name!", "T"))
    with pytest.raises(ValidationError, match="No story named 'nope'"):
        load_story(ws, ME, "nope")


def test_headlines_from_data_and_editable(ws: Workspace) -> None:
    story = load_story(ws, ME, "demo")
    receipts = render_block(ws, ME, story.blocks[1])
    # the story's counts are adjusted (true: 30 in May, 36 in June); the headline reads the
    # adjusted figures the chart shows
    computed = SOURCES["receipts"].compute(ws, block_params(ws, ME, story.blocks[1]))
    shown = computed.table.set_index("period")["receipts"]
    assert computed.perturbed and "adjusted" in receipts.meta.notes[-1]
    assert receipts.headline == (
        f"Court receipts (first hearings) rose by {shown.iloc[-1] / shown.iloc[-2] - 1:.0%} to "
        f"{shown.iloc[-1]} in June 2024 (from {shown.iloc[-2]} in May 2024)."
    )
    assert abs(shown.iloc[-1] - 36) <= 6 and abs(shown.iloc[-2] - 30) <= 6
    funnel = render_block(ws, ME, story.blocks[2])
    assert "of recorded crimes led to a charge" in funnel.headline
    story.blocks[1].headline = "Receipts up in June"
    save_story(ws, ME, story)
    assert (
        render_block(ws, ME, load_story(ws, ME, "demo").blocks[1]).headline == "Receipts up in June"
    )


def test_rerender_picks_up_refreshed_data(ws: Workspace) -> None:
    story = load_story(ws, ME, "demo")
    before = story_html(ws, ME, story)
    assert "rose by 27% to 38 in June 2024" in before  # 36 adjusted (fixed salt)
    write_journeys(ws, journeys_frame(last=15), "linked")  # the data is refreshed
    after = story_html(ws, ME, load_story(ws, ME, "demo"))
    assert "fell by 47% to 16 in June 2024" in after  # 15 adjusted


def test_a_month_the_data_end_within_is_marked_and_never_compared(ws: Workspace) -> None:
    import pandas as pd

    frame = journeys_frame()
    end = pd.Timestamp("2024-06-12")  # the extracts stop part-way through June
    frame = frame[~(pd.to_datetime(frame["first_hearing_date"]) > end)].copy()
    frame.loc[pd.to_datetime(frame["completion_date"]) > end, "completion_date"] = None
    write_journeys(ws, frame, "linked")
    chart = render_block(ws, ME, Block("chart", "receipts", {"stage": "first_hearing"}))
    assert "June 2024 is left out: the data end part-way through it." in chart.headline
    assert "in May 2024 (from" in chart.headline
    table = render_block(ws, ME, Block("table", "receipts", {"stage": "first_hearing"}))
    assert table.table is not None
    status = table.table.set_index("Month")["Period status"]
    assert status.iloc[-1] == "partial" and set(status.iloc[:-1]) == {"complete"}
    html = story_html(ws, ME, load_story(ws, ME, "demo"))
    assert "in June 2024 (from" not in html


def test_annotations_are_layers() -> None:
    import altair as alt
    import pandas as pd

    base = alt.Chart(pd.DataFrame({"period": ["2024-01-01"], "n": [1]})).mark_line()
    base = base.encode(x="period:T", y="n:Q")
    layered = annotate(
        base,
        [
            Annotation("range", "2024-01-01", "A", "2024-02-01"),
            Annotation("text", "2024-01-15", "B"),
        ],
    )
    marks = [layer["mark"]["type"] for layer in layered.to_dict()["layer"][1:]]
    assert marks == ["rect", "text", "rule", "text"]
    with pytest.raises(ValidationError, match="time axis"):
        annotate(base, [Annotation("range", "a", "x", "b")], "nominal")


def test_story_html_is_self_contained(ws: Workspace) -> None:
    page = story_html(ws, ME, load_story(ws, ME, "demo"))
    parser = Links()
    parser.feed(page)
    assert parser.tags.count("svg") == 2 and "table" in parser.tags
    assert "Courts in 2024" in page and "Source: police, CPS and court records" in page
    assert "Pilot" in page and "New listing rule" in page  # annotations drawn
    assert "<strong>rose</strong>" in page
    assert "Disclosure control" in page
    assert external_urls(page) == []


def test_suppressed_counts_stay_hidden_in_stories(ws: Workspace) -> None:
    story = load_story(ws, ME, "demo")
    story.blocks.append(
        Block("table", "period_counts", {"dataset": "events", "date_column": "event_date"})
    )
    save_story(ws, ME, story)
    block = render_block(ws, ME, load_story(ws, ME, "demo").blocks[-1])
    assert block.protected is not None and block.protected.applied is False
    write_journeys(ws, journeys_frame(last=5), "linked")
    receipts = render_block(ws, ME, story.blocks[1])
    assert (
        receipts.headline.endswith("(numbers too small to show).")
        or "5" not in (receipts.headline.split(" in June")[0][-3:])
    )
    page = story_html(ws, ME, load_story(ws, ME, "demo"))
    assert "to 5 in June" not in page


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed")
def test_story_pdf_and_cli_export(ws: Workspace, tmp_path: Path) -> None:
    reader = pypdf.PdfReader(io.BytesIO(story_pdf(ws, ME, load_story(ws, ME, "demo"))))
    assert 1 <= len(reader.pages) <= 4
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Courts in 2024" in text and "rose by 27%" in text
    ws.close()
    out = tmp_path / "out" / "demo.pdf"
    assert (
        run(
            [
                "--workspace",
                str(ws.path),
                "export",
                "story",
                "demo",
                "--format",
                "pdf",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_bytes().startswith(b"%PDF")


def test_cli_html_export_and_errors(ws: Workspace, tmp_path: Path, capsys) -> None:
    ws.close()
    out = tmp_path / "demo.html"
    code = run(["--workspace", str(ws.path), "export", "story", "demo", "--out", str(out)])
    assert code == 0 and "Courts in 2024" in out.read_text()
    code = run(["--workspace", str(ws.path), "export", "story", "nope", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "No story named 'nope'" in err
