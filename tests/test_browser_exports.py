"""Downloads from an Analyse page in a real browser: a PNG chart and an XLSX table, audit-logged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from tests.browser import browser_page, require_chromium, screenshot, streamlit_server, wait_idle
from tests.journey_workspace import make_journey_workspace
from workbench.workspace import Workspace

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_download_png_and_xlsx_from_attrition(tmp_path: Path) -> None:
    require_chromium()
    workspace = make_journey_workspace(tmp_path)
    with streamlit_server(workspace) as base, browser_page() as page:
        page.goto(f"{base}/attrition")
        page.get_by_role("heading", name="Victim attrition").wait_for()
        wait_idle(page)
        screenshot(page, "exports-attrition")
        page.locator('[data-testid="stPopover"]').first.get_by_role("button").click()
        popover = page.locator('[data-testid="stPopoverBody"]')
        popover.get_by_role("button", name="PNG").wait_for()
        screenshot(page, "exports-attrition-popover")

        with page.expect_download() as info:
            popover.get_by_role("button", name="PNG").click()
        assert info.value.suggested_filename == "attrition_funnel.png"
        png = Path(info.value.path()).read_bytes()
        assert png[:8] == PNG_SIGNATURE
        width, height = Image.open(info.value.path()).size
        assert width > 600 and height > 300  # 2x by default

        with page.expect_download() as info:
            popover.get_by_role("button", name="XLSX").click()
        assert info.value.suggested_filename == "attrition_funnel.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert book.sheetnames[0] == "Cover_sheet"
        assert "Attrition funnel" in str(book["Cover_sheet"]["A1"].value)
        assert book["Table_1"].max_row > 4

    with Workspace(workspace, read_only=True) as ws:
        log = ws.audit_log(10)
    downloads = log[log["action"] == "export.download"]
    assert sorted(json.loads(d)["format"] for d in downloads["detail"]) == ["png", "xlsx"]
    assert downloads["data_version"].str.contains("truth-model").all()
