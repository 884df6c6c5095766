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
    PageSpec("pages/explore.py", "Explore", ":material/query_stats:", "Analyse", "explore"),
    PageSpec("pages/guide.py", "Guide", ":material/school:", "Learn", "guide"),
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
