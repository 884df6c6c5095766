"""The app's pages, grouped into the sections of the navigation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.progress import STATUS_LABELS, workflow_steps

if TYPE_CHECKING:
    from workbench.access.auth import User
    from workbench.workspace import Workspace

log = logging.getLogger(__name__)

#: The browser tab's icon, served by the app itself (a Material icon or an emoji as the page
#: icon would make the browser fetch it from a font or image host outside the network).
FAVICON: Path = Path(__file__).with_name("favicon.png")

#: Who may open a page that does not say otherwise: staff, never leaders.
STAFF: frozenset[str] = frozenset({"admin", "analyst", "trainer"})


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script under ``pages/``, title, icon and section.

    ``access`` is the set of roles that may open the page in shared mode. It defaults to staff
    (admin, analyst, trainer), so a page added without thought is never shown to leaders;
    :data:`LEADER_PAGES` and :data:`ADMIN_PAGES` set it by script name.
    """

    script: str
    title: str
    icon: str
    section: str
    url_path: str
    default: bool = False
    access: frozenset[str] = STAFF


SECTIONS: tuple[str, ...] = ("Data", "Link", "Analyse", "Publish", "Learn", "Admin")

PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "Start", ":material/home:", "Data", "start", default=True),
    PageSpec("pages/catalogue.py", "Catalogue", ":material/dataset:", "Data", "catalogue"),
    PageSpec("pages/import_data.py", "Import", ":material/upload:", "Data", "import"),
    PageSpec("pages/roles.py", "Column roles", ":material/badge:", "Data", "roles"),
    PageSpec("pages/link_configure.py", "Configure", ":material/tune:", "Link", "link-configure"),
    PageSpec("pages/link_train.py", "Train", ":material/model_training:", "Link", "link-train"),
    PageSpec("pages/link_inspect.py", "Inspect", ":material/insights:", "Link", "link-inspect"),
    PageSpec("pages/link_pairs.py", "Pairs", ":material/compare_arrows:", "Link", "link-pairs"),
    PageSpec(
        "pages/link_clusters.py",
        "Threshold and clusters",
        ":material/workspaces:",
        "Link",
        "link-clusters",
    ),
    PageSpec("pages/link_evaluate.py", "Evaluate", ":material/verified:", "Link", "link-evaluate"),
    PageSpec("pages/link_review.py", "Review", ":material/rule:", "Link", "link-review"),
    PageSpec("pages/link_models.py", "Models", ":material/inventory_2:", "Link", "link-models"),
    # -- Analyse
    PageSpec("pages/journeys.py", "Journeys", ":material/route:", "Analyse", "journeys"),
    PageSpec("pages/attrition.py", "Attrition", ":material/filter_alt:", "Analyse", "attrition"),
    PageSpec("pages/timeliness.py", "Timeliness", ":material/timer:", "Analyse", "timeliness"),
    PageSpec(
        "pages/dashboard.py", "LCJB dashboard", ":material/dashboard:", "Analyse", "dashboard"
    ),
    PageSpec("pages/demand.py", "Demand", ":material/trending_up:", "Analyse", "demand"),
    PageSpec("pages/explore.py", "Explore", ":material/query_stats:", "Analyse", "explore"),
    # -- Publish
    PageSpec("pages/stories.py", "Stories", ":material/article:", "Publish", "stories"),
    # -- Learn
    PageSpec(
        "pages/learn.py", "Linkage lesson", ":material/cast_for_education:", "Learn", "lesson"
    ),
    PageSpec("pages/guide.py", "Guide", ":material/school:", "Learn", "guide"),
    # -- Admin
    PageSpec("pages/users.py", "Users and roles", ":material/group:", "Admin", "users"),
    PageSpec("pages/audit.py", "Audit log", ":material/history:", "Admin", "audit"),
    PageSpec("pages/workspace_info.py", "Workspace", ":material/database:", "Admin", "workspace"),
)


#: Published aggregate pages: the only pages leaders see (with disclosure control on).
LEADER_PAGES: frozenset[str] = frozenset(
    {
        "pages/dashboard.py",
        "pages/attrition.py",
        "pages/timeliness.py",
        "pages/demand.py",
        "pages/stories.py",
    }
)

#: Pages only admins see in shared mode: users and roles, the audit log, the workspace file.
ADMIN_PAGES: frozenset[str] = frozenset(
    {"pages/users.py", "pages/audit.py", "pages/workspace_info.py"}
)


def access_for(spec: PageSpec) -> frozenset[str]:
    """The roles that may open a page in shared mode."""
    if spec.script in ADMIN_PAGES:
        return frozenset({"admin"})
    if spec.script in LEADER_PAGES:
        return spec.access | STAFF | {"leader"}
    return spec.access


def is_sensitive(spec: PageSpec) -> bool:
    """Whether viewing the page is written to the audit log (anything but leader aggregates)."""
    return spec.script not in LEADER_PAGES


def pages_for(user: User | None, pages: tuple[PageSpec, ...] | None = None) -> tuple[PageSpec, ...]:
    """The pages a user may open; exactly these are registered with ``st.navigation``.

    Args:
        user: The logged-in user in shared mode; None in local mode (every page).
        pages: The pages to choose from (default: :data:`PAGES`).

    Returns:
        The allowed pages in their order, one of them marked as the default page.
    """
    pages = PAGES if pages is None else pages
    if user is None:
        allowed = tuple(pages)
    elif not user.active:
        allowed = ()
    else:
        roles = set(user.roles)
        allowed = tuple(p for p in pages if roles & access_for(p))
    if allowed and not any(p.default for p in allowed):
        allowed = (replace(allowed[0], default=True), *allowed[1:])
    return allowed


def shows_progress(user: User | None) -> bool:
    """Whether the user works through the linkage steps (staff and local mode; never leaders)."""
    return user is None or bool(set(user.roles) & STAFF)


#: The sidebar icon of a workflow step's page by its status (a step not yet due keeps its own).
STATUS_ICONS: dict[str, str] = {
    "done": ":material/check_circle:",
    "stale": ":material/warning:",
    "next": ":material/arrow_forward:",
}


#: The tooltip of a marked page.
STATUS_HELP: dict[str, str] = {
    "done": f"Workflow step: {STATUS_LABELS['done'].lower()}",
    "stale": f"Workflow step: {STATUS_LABELS['stale'].lower()}",
    "next": "Workflow step: do this next",
}


def progress_marks(ws: Workspace) -> dict[str, str]:
    """The status of each workflow step's page, by URL path (``link-train`` -> ``next``).

    Empty when the workspace cannot be read: the sidebar is then drawn without marks.
    """
    try:
        steps = workflow_steps(ws)
    except (WorkbenchError, duckdb.Error):
        log.exception("reading the workflow status failed")
        return {}
    paths = {p.script: p.url_path for p in PAGES}
    return {paths[s.page]: s.status for s in steps if s.page in paths}


def render_sidebar(
    sections: dict[str, list[st.Page]], marks: Mapping[str, str] | None = None
) -> None:
    """Draw the navigation in the sidebar: one heading per section, one link per page.

    Args:
        sections: Output of :func:`build_pages`.
        marks: The workflow status per page URL path (from :func:`progress_marks`): a step's
            page shows a tick when done, an arrow when next and a warning when out of date,
            with the status in its tooltip. None or empty for no marks.
    """
    marks = marks or {}
    with st.sidebar:
        st.markdown("### :material/hub: CJS Linkage Workbench")
        for section, members in sections.items():
            st.caption(section.upper())
            for page in members:
                status = marks.get(page.url_path)
                icon = STATUS_ICONS.get(status or "")
                if icon is None:
                    st.page_link(page)
                else:
                    st.page_link(page, icon=icon, help=STATUS_HELP[status])


def build_pages(pages: tuple[PageSpec, ...] | None = None) -> dict[str, list[st.Page]]:
    """The ``st.navigation`` structure: section title -> pages, sections in a fixed order."""
    pages = PAGES if pages is None else pages
    grouped: dict[str, list[st.Page]] = {}
    for section in SECTIONS:
        members = [p for p in pages if p.section == section]
        if not members:
            continue
        grouped[section] = [
            st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
            for p in members
        ]
    return grouped
