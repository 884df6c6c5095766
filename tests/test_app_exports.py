"""Chart and table downloads on the Analyse pages: present, disclosure-controlled, audit-logged."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tests.forecast_data import write_demand_journeys
from tests.journey_workspace import make_journey_workspace
from workbench.access.auth import User
from workbench.publish.export.csv_files import read_csv_export
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CHART = ("png", "svg", "pdf", "html")
TABLE = ("csv", "xlsx", "ods", "metadata")
EXPECTED = {
    "pages/attrition.py": {
        "attrition_funnel": CHART + TABLE,
        "attrition_reasons": CHART + TABLE,
        "attrition_trend": CHART + TABLE,
    },
    "pages/timeliness.py": {
        "timeliness_summary": TABLE,
        "timeliness_distribution": CHART + TABLE,
        "timeliness_trend": CHART + TABLE,
        "timeliness_caseload": CHART + TABLE,
    },
    "pages/dashboard.py": {"dashboard_trends": CHART + TABLE},
    "pages/journeys.py": {"journeys_counts": TABLE, "journeys_rules": TABLE},
    "pages/explore.py": {"explore": CHART + TABLE},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kent, Cumbria and Dorset with an active model and a current journey table."""
    return make_journey_workspace(tmp_path_factory.mktemp("exports"))


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes | str]]:
    """The data callables of the download buttons drawn, by button key (AppTest cannot click)."""
    found: dict[str, Callable[[], bytes | str]] = {}
    original = MediaFileManager.add_deferred

    def record(self, data, mimetype, coordinates, file_name=None, element_id=""):
        found[element_id.rsplit("-", 1)[-1]] = data
        return original(self, data, mimetype, coordinates, file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return found


def open_page(
    monkeypatch: pytest.MonkeyPatch, workspace: Path, page: str, state: dict | None = None
) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def download_keys(at: AppTest) -> set[str]:
    return {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}


@pytest.mark.parametrize("page", list(EXPECTED))
def test_every_chart_and_table_offers_downloads(monkeypatch, built: Path, page: str) -> None:
    at = open_page(monkeypatch, built, page)
    keys = download_keys(at)
    wanted = {f"{key}_{fmt}" for key, formats in EXPECTED[page].items() for fmt in formats}
    assert wanted <= keys, sorted(wanted - keys)
    assert not [k for k in keys if k.endswith("_download")], "an ad-hoc CSV download is left"
    assert any(p.proto.popover.label == "Download" for p in at.get("popover"))


def test_leader_table_export_is_suppressed_and_audited(
    monkeypatch, built: Path, deferred: dict
) -> None:
    leader = User("kent_leader", ("leader",), ("Kent",))
    state = {"_leader_view": True, "_allowed_areas": ["Kent"], "_auth_user": leader}
    open_page(monkeypatch, built, "pages/attrition.py", state)

    book = openpyxl.load_workbook(io.BytesIO(deferred["attrition_reasons_xlsx"]()))
    assert book.sheetnames[0] == "Cover_sheet"
    cover = " ".join(str(c.value) for row in book["Cover_sheet"].iter_rows() for c in row)
    assert "Disclosure control applied" in cover
    assert "truth-model" in cover  # the data version: the journey build's model
    cells = [c.value for row in book["Table_1"].iter_rows() for c in row]
    assert "[c]" in cells and "suppressed" not in cells
    header = [c.value for c in book["Table_1"][4]]
    cases = [
        row[header.index("Cases")] for row in book["Table_1"].iter_rows(min_row=5, values_only=True)
    ]
    shown = [v for v in cases if isinstance(v, int | float)]
    assert shown and min(shown) >= 10
    shares = [
        row[header.index("Share of recorded")] for row in book["Table_1"].iter_rows(min_row=5)
    ]
    numbers = [c for c in shares if c.data_type == "n"]
    assert numbers and all(c.number_format == "0.0%" and 0 <= c.value <= 1 for c in numbers)
    assert all(c.value in ("[c]", "[x]") for c in shares if c.data_type != "n")

    csv = deferred["attrition_reasons_csv"]()
    assert not csv.startswith((b"#", b"\xef\xbb\xbf"))  # the header is the first line
    side = deferred["attrition_reasons_metadata"]().decode("utf-8")
    assert "Disclosure control applied" in side
    table = read_csv_export(csv)
    assert "[c]" in set(table["Cases"].astype(str))

    png = deferred["attrition_funnel_png"]()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    with Workspace(built) as ws:  # the app holds it open read-write in this process
        log = ws.audit_log(20)
    downloads = log[log["action"] == "export.download"]
    assert len(downloads) == 4
    assert set(downloads["actor"]) == {"kent_leader"}
    details = [json.loads(d) for d in downloads["detail"]]
    assert {d["format"] for d in details} == {"xlsx", "csv", "metadata", "png"}
    assert {d["page"] for d in details} == {"attrition"}
    assert all(d["rows"] > 0 for d in details)
    assert downloads["target"].str.startswith("Why recorded crimes").sum() == 3
    assert downloads["data_version"].str.contains("model truth-model").all()


def test_analyst_export_states_no_disclosure_control(
    monkeypatch, built: Path, deferred: dict
) -> None:
    open_page(monkeypatch, built, "pages/attrition.py")
    csv = deferred["attrition_reasons_csv"]()
    assert b"No disclosure control was applied" in deferred["attrition_reasons_metadata"]()
    assert "[c]" not in set(read_csv_export(csv)["Cases"].astype(str))


def test_demand_downloads(monkeypatch, tmp_path: Path, deferred: dict) -> None:
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        write_demand_journeys(ws, areas=("Kent",), weeks=150)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/demand.py").run()
    at.multiselect(key="demand_areas").set_value(["Kent"])
    at.radio(key="demand_freq").set_value("month")
    at.slider(key="demand_horizon").set_value(3)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    keys = download_keys(at)
    for key, formats in {
        "demand_forecast_kent_magistrates": CHART + TABLE,
        "demand_table": TABLE,
        "demand_table_metrics": TABLE,
        "demand_scenario": CHART + TABLE,
    }.items():
        assert {f"{key}_{f}" for f in formats} <= keys, (key, sorted(keys))
    book = openpyxl.load_workbook(io.BytesIO(deferred["demand_table_xlsx"]()))
    assert book.sheetnames[0] == "Cover_sheet"
    with Workspace(path) as ws:
        log = ws.audit_log(5)
    assert json.loads(log["detail"].iloc[0]) == {
        "format": "xlsx",
        "page": "demand",
        "rows": book["Table_1"].max_row - 4,
    }
