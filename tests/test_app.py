"""Every page of the app, driven without a browser through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from linkage.lesson import models as lesson_models
from tests.journey_workspace import make_journey_workspace
from workbench.data.catalogue import get_dataset, list_datasets
from workbench.persons.roles import load_roles
from workbench.ui.navigation import PAGES
from workbench.workspace import Workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(scope="module")
def sample_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three areas of the sample, loaded as the app loads it (no model, no journeys yet)."""
    return make_journey_workspace(tmp_path_factory.mktemp("app"), build=False, model=False)


def open_app(monkeypatch: pytest.MonkeyPatch, workspace: Path, page: str | None = None) -> AppTest:
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("page", [p.script for p in PAGES])
def test_every_page_renders(monkeypatch, sample_workspace: Path, page: str) -> None:
    # The lesson's warm-up of its other models would go on in this test process afterwards.
    monkeypatch.setattr(lesson_models, "WARM_UP_ENABLED", False)
    at = open_app(monkeypatch, sample_workspace, page)
    assert at.title, f"{page} shows no title"
    assert not at.error, [e.value for e in at.error]


def test_empty_workspace_offers_the_sample(monkeypatch, tmp_path: Path) -> None:
    from tests.journey_workspace import write_sample_subset
    from workbench.data import datasets

    # The button loads the sample folder; one area of it is the same files, loaded sooner.
    monkeypatch.setattr(datasets, "SAMPLE_DIR", write_sample_subset(tmp_path / "s", ("Dorset",)))
    path = tmp_path / "empty.duckdb"
    at = open_app(monkeypatch, path)
    assert at.metric[0].value == "0"
    at.button(key="load_sample").click().run()
    assert not at.exception
    with Workspace(path) as ws:
        names = {d.name for d in list_datasets(ws)}
    assert {"police", "cps", "courts", "police_truth"} <= names


def test_catalogue_search_and_edit(monkeypatch, sample_workspace: Path) -> None:
    at = open_app(monkeypatch, sample_workspace, "pages/catalogue.py")
    at.text_input(key="catalogue_search").input("court").run()
    assert at.selectbox(key="catalogue_dataset").options == ["courts"]
    # A form sends its fields with the submit click, in one run.
    at.text_input(key="meta_courts_owner").input("HMCTS data team")
    at.button(key="FormSubmitter:meta_courts-Save details").click().run()
    assert not at.exception
    with Workspace(sample_workspace) as ws:
        assert get_dataset(ws, "courts").owner == "HMCTS data team"


def test_upload_import_and_bad_file(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    at = open_app(monkeypatch, path, "pages/import_data.py")
    body = b"forename,surname,dob\nAnn,Smith,1990-01-02\nBob,Jones,1985-03-04\n"
    at.file_uploader(key="upload_file").set_value(("people.csv", body, "text/csv")).run()
    at.text_input(key="upload_name").input("people").run()
    at.button(key="upload_import").click().run()
    assert not at.exception
    assert any("Imported people" in s.value for s in at.success)
    with Workspace(path) as ws:
        assert get_dataset(ws, "people").row_count == 2
        assert load_roles(ws, "people")["forename"] == "first_name"

    ragged = b"a,b\n1,2\n3,4,5\n"
    at.file_uploader(key="upload_file").set_value(("ragged.csv", ragged, "text/csv")).run()
    at.text_input(key="upload_name").input("ragged").run()
    at.button(key="upload_import").click().run()
    assert not at.exception
    assert at.error and "row 3" in at.error[0].value
    with Workspace(path) as ws:
        assert "ragged" not in {d.name for d in list_datasets(ws)}


def test_roles_page_confirms_changes(monkeypatch, sample_workspace: Path) -> None:
    at = open_app(monkeypatch, sample_workspace, "pages/roles.py")
    at.selectbox(key="roles_dataset").select("cps").run()
    key = "role_cps_defendant_postcode"
    at.selectbox(key=key).select("ignore").run()
    at.button(key="confirm_roles").click().run()
    assert not at.exception
    with Workspace(sample_workspace) as ws:
        roles = load_roles(ws, "cps")
    assert roles["defendant_postcode"] == "ignore"
    assert roles["defendant_surname"] == "surname"


def test_explore_splits_by_a_column(monkeypatch, sample_workspace: Path) -> None:
    at = open_app(monkeypatch, sample_workspace, "pages/explore.py")
    at.selectbox(key="explore_dataset").select("courts").run()
    at.selectbox(key="explore_by").select("court_type").run()
    assert not at.exception
    assert len(at.get("arrow_vega_lite_chart")) == 1 or at.get("vega_lite_chart")


def test_no_request_leaves_the_machine(tmp_path: Path) -> None:
    """The favicon and the sidebar's icons come from the app itself, never a font or CDN host."""
    from tests.browser import browser_page, require_chromium, streamlit_server, wait_idle

    require_chromium()
    requests: list[str] = []
    with streamlit_server(tmp_path / "ws.duckdb") as base, browser_page() as page:
        page.on("request", lambda request: requests.append(request.url))
        for path in ("", "/link-train"):
            page.goto(base + path)
            wait_idle(page)
        icons = page.evaluate(
            "() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)"
        )
    assert icons and all(i.startswith(base) for i in icons), icons
    outside = [u for u in requests if not u.startswith((base, "data:", "blob:"))]
    assert requests and not outside, outside
