"""“Add to story” on the analysis pages: the view shown, with its filters, as a story block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from workbench.analysis.measures.query import JourneyFilter
from workbench.errors import WorkbenchError
from workbench.forecast.model.series import NATIONAL, SeriesForecast
from workbench.publish.stories.add import add_to_story, own_stories, view_block
from workbench.publish.stories.demand import demand_selection
from workbench.publish.stories.filters import area_phrase, filter_params, filters_phrase
from workbench.publish.stories.model import BlockKind
from workbench.ui.login import acting_user
from workbench.workspace import Workspace

NEW_STORY = "New story…"
TWO: tuple[BlockKind, ...] = ("chart", "table")  # a view shown as a chart and as a table


def covers(params: dict[str, Any]) -> str:
    """The areas a block covers, in words; a Demand block may be England and Wales."""
    if "national" in params or "freq" in params:
        selection = demand_selection(params)
        areas = [a for a in selection if a != NATIONAL]
        parts = ["England and Wales"] if NATIONAL in selection else []
        return " and ".join([*parts, *([area_phrase(areas)] if areas else [])])
    return area_phrase(params.get("areas"))


def add_to_story_button(
    ws: Workspace,
    source: str,
    where: JourneyFilter,
    key: str,
    kind: BlockKind = "chart",
    label: str = "Add to story",
    kinds: tuple[BlockKind, ...] = (),
    **params: Any,
) -> None:
    """An “Add to story” popover: append the view (its source and the page's filters) to one
    of the user's stories, or start a new story with it.

    Args:
        ws: The workspace.
        source: The story source that draws the view (a key of
            ``workbench.publish.stories.sources.SOURCES``).
        where: The page's journey filter (areas, offence groups, court types, victims).
        key: A key unique on the page.
        kind: ``chart`` or ``table``.
        label: The popover's label.
        kinds: When the view is both a chart and a table (``("chart", "table")``), the user
            picks which to add; ``kind`` is the first choice.
        **params: Other parameters of the source.
    """
    with st.popover(label, icon=":material/post_add:", key=f"{key}_story"):
        try:
            user = acting_user()
            stories = own_stories(ws, user)
        except WorkbenchError as exc:
            st.warning(str(exc), icon=":material/warning:")
            return
        names = [*stories, NEW_STORY]
        choice = st.selectbox(
            "Story",
            names,
            key=f"{key}_story_pick",
            format_func=lambda n: stories.get(n, n),
        )
        title = ""
        if choice == NEW_STORY:
            title = st.text_input("Title of the new story", key=f"{key}_story_title")
        if len(kinds) > 1:
            kind = st.radio(
                "Add as",
                list(kinds),
                index=list(kinds).index(kind) if kind in kinds else 0,
                format_func=str.capitalize,
                horizontal=True,
                key=f"{key}_story_kind",
            )
        shown = {**params, **filter_params(where)}
        st.caption(
            f"Covers {covers(shown)}{filters_phrase(shown)}; redrawn from "
            "the current data every time the story is opened."
        )
        if st.button(
            "Add",
            key=f"{key}_story_add",
            type="primary",
            disabled=choice == NEW_STORY and not title.strip(),
        ):
            try:
                block = view_block(source, where, kind, **params)
                story = add_to_story(
                    ws, user, block, None if choice == NEW_STORY else choice, title
                )
            except WorkbenchError as exc:
                st.error(str(exc), icon=":material/error:")
                return
            st.session_state["_stories_select"] = story.name
            st.success(
                f"Added to “{story.title}” ({len(story.blocks)} "
                f"block{'s' if len(story.blocks) != 1 else ''}).",
                icon=":material/check_circle:",
            )
            st.page_link("pages/stories.py", label="Open the story", icon=":material/article:")


@dataclass(frozen=True)
class DemandChoice:
    """What the Demand page shows: the areas picked, court type, periods, horizon, whether the
    areas are combined, and the journey table.

    Attributes:
        selection: Areas picked (may include England and Wales).
        court: ``magistrates`` or ``Crown``.
        freq: ``week`` or ``month``.
        horizon: Periods ahead.
        combine: Whether the areas picked are summed into one series.
        table: The journey table forecast from.
    """

    selection: tuple[str, ...]
    court: str
    freq: str
    horizon: int
    combine: bool
    table: str

    def block(self, area: str | None = None) -> tuple[JourneyFilter, dict[str, Any]]:
        """The filter and parameters of a Demand block: the series of ``area`` (a result's
        area label), or every series shown (None).

        Returns:
            The journey filter (areas and court type) and the other parameters.
        """
        areas = tuple(a for a in self.selection if a != NATIONAL)
        params: dict[str, Any] = {"freq": self.freq, "horizon": self.horizon, "table": self.table}
        if area == NATIONAL:
            areas, params["national"] = (), True
        elif area in areas:
            areas = (area,)
        elif area is not None:  # the selected areas combined
            params["combine"] = True
        else:  # every series shown
            params["combine"] = self.combine and len(areas) > 1
            params["national"] = NATIONAL in self.selection
        return JourneyFilter(areas=areas, court_types=(self.court,)), params


def forecast_story_button(
    ws: Workspace, choice: DemandChoice, key: str, result: SeriesForecast | None = None
) -> None:
    """“Add to story” for one forecast chart (``result``), or the table of every forecast."""
    where, params = choice.block(None if result is None else result.area)
    if result is None:
        add_to_story_button(ws, "demand_forecast", where, key, kind="table", **params)
    else:
        add_to_story_button(ws, "demand_forecast", where, key, kinds=TWO, **params)


def scenario_story_button(
    ws: Workspace,
    choice: DemandChoice,
    result: SeriesForecast,
    areas: list[str],
    settings: dict[str, Any],
    key: str,
) -> None:
    """“Add to story” for a scenario's projection: the forecast it projects from (England and
    Wales, or ``areas`` summed) and the scenario's settings (change, from when, capacity)."""
    national = result.area == NATIONAL
    where = JourneyFilter(areas=() if national else tuple(areas), court_types=(choice.court,))
    params = {
        "freq": choice.freq,
        "horizon": choice.horizon,
        "table": choice.table,
        "national": national,
        "combine": len(areas) > 1 and not national,
        **settings,
    }
    add_to_story_button(ws, "demand_scenario", where, key, kinds=TWO, **params)
