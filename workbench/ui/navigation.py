"""The app's pages, grouped into the sections of the navigation."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script under ``pages/``, title, icon and section."""

    script: str
    title: str
    icon: str
    section: str
    url_path: str
    default: bool = False


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
    PageSpec("pages/explore.py", "Explore", ":material/query_stats:", "Analyse", "explore"),
    # -- Publish
    # -- Learn
    PageSpec("pages/guide.py", "Guide", ":material/school:", "Learn", "guide"),
    # -- Admin
    PageSpec("pages/audit.py", "Audit log", ":material/history:", "Admin", "audit"),
    PageSpec("pages/workspace_info.py", "Workspace", ":material/database:", "Admin", "workspace"),
)


def render_sidebar(sections: dict[str, list[st.Page]]) -> None:
    """Draw the navigation in the sidebar: one heading per section, one link per page."""
    with st.sidebar:
        st.markdown("### :material/hub: CJS Linkage Workbench")
        for section, members in sections.items():
            st.caption(section.upper())
            for page in members:
                st.page_link(page)


def build_pages(pages: tuple[PageSpec, ...] = PAGES) -> dict[str, list[st.Page]]:
    """The ``st.navigation`` structure: section title -> pages, sections in a fixed order."""
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
