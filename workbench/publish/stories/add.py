"""Add a block to a story from an analysis page (“Add to story”)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from workbench.access.auth import User
from workbench.analysis.measures.query import JourneyFilter
from workbench.errors import ValidationError
from workbench.publish.stories.filters import filter_params
from workbench.publish.stories.model import Block, BlockKind, Story
from workbench.publish.stories.sources import is_journey_source, source_of
from workbench.publish.stories.store import create_story, fetch_story, list_stories, save_story
from workbench.workspace import Workspace


def view_block(
    source: str, where: JourneyFilter, kind: BlockKind = "chart", **params: Any
) -> Block:
    """A chart or table block showing what an analysis page shows: its source, with the page's
    area and other journey filters.

    Args:
        source: A key of :data:`~workbench.publish.stories.sources.SOURCES` drawn from the journeys.
        where: The page's filter.
        kind: ``chart`` or ``table``.
        **params: Other parameters of the source (``table``, ``stage``, ...).

    Raises:
        ValidationError: When the source is unknown, not drawn from the journeys, or the kind
            is text.
    """
    block = Block(kind, source, {**params, **filter_params(where)})
    src = source_of(block)
    if not is_journey_source(src) or kind not in ("chart", "table"):
        raise ValidationError(f"“{src.label}” cannot be added from an analysis page as {kind}.")
    return block


def own_stories(ws: Workspace, user: User) -> dict[str, str]:
    """The stories a block can be added to by this user (their own), ``name`` -> title, newest
    first."""
    stories = list_stories(ws, user)
    mine = stories.loc[stories["owner"] == user.username]
    return dict(zip(mine["name"], mine["title"], strict=True))


def story_name_for(ws: Workspace, user: User, title: str) -> str:
    """A free story name for a title: lower case words joined by ``_`` (``Kent briefing`` ->
    ``kent_briefing``, then ``kent_briefing_2`` if that is taken)."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "story"
    if not base[0].isalpha():
        base = f"story_{base}"
    name, n = base, 1
    while fetch_story(ws, user.username, name) is not None:
        n += 1
        name = f"{base}_{n}"
    return name


def add_to_story(
    ws: Workspace, user: User, block: Block, name: str | None = None, title: str | None = None
) -> Story:
    """Append a block to one of the user's stories, or start a new story with it.

    The block goes through the same checks as any saved block: a leader's block is confined
    to the linked journeys of their areas, and a block covering only areas the user cannot see
    is refused (and audited).

    Args:
        ws: The workspace.
        user: Who adds it.
        block: The block (see :func:`view_block`).
        name: The user's story to add to; None starts a new one.
        title: The new story's title (when ``name`` is None).

    Returns:
        The saved story.

    Raises:
        ValidationError: When neither a story nor a title is given, or the story is not the
            user's.
        AccessDeniedError: (audited) When the block shows what the user may not see.
    """
    if name:
        story = fetch_story(ws, user.username, name)
        if story is None:
            raise ValidationError(
                f"You have no story called {name!r}.", hint="Pick one of yours or start one."
            )
        return save_story(ws, user, replace(story, blocks=[*story.blocks, block]))
    if not title or not title.strip():
        raise ValidationError("Give the new story a title.")
    story = Story(story_name_for(ws, user, title), title.strip(), blocks=[block])
    return create_story(ws, user, story)
