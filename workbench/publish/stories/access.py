"""Who may read, change and draw which stories and blocks.

A user lists, opens, edits, downloads and deletes only the stories they own, and reads (never
edits) the stories their owners published to their areas. Analysts and admins with every area
read every story; only admins change another owner's story. A leader's blocks draw only the
linked journeys of the leader's own areas, whatever the saved block says: the areas are checked
again on every save and every render. Refusals are written to the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

from workbench.access.auth import ALL_AREAS, User
from workbench.analysis.journeys.table import LINKED
from workbench.errors import AccessDeniedError, ValidationError
from workbench.publish.stories.filters import area_phrase
from workbench.publish.stories.model import BLOCK_KINDS, Block, Story
from workbench.publish.stories.sources import is_journey_source, source_of
from workbench.workspace import Workspace

REFUSED = "story.refused"


READ_OTHER = "story.read_other"


def sees_every_story(user: User) -> bool:
    """Whether the user reads every saved story: an analyst or admin with every area."""
    return user.allowed_areas is None and bool({"admin", "analyst"} & set(user.roles))


def published_to(user: User, audience: list[str] | tuple[str, ...]) -> bool:
    """Whether something published to ``audience`` (areas, or ``all``) reaches the user's areas."""
    if not audience:
        return False
    allowed = user.allowed_areas
    return ALL_AREAS in audience or allowed is None or bool(set(audience) & set(allowed))


def can_read_story(user: User, story: Story) -> bool:
    """Whether the user may open (and download) the story."""
    return (
        story.owner == user.username or sees_every_story(user) or published_to(user, story.audience)
    )


def can_edit_story(user: User, story: Story) -> bool:
    """Whether the user may change, publish or delete the story: its owner, or an admin."""
    return story.owner == user.username or (user.is_admin and can_read_story(user, story))


def refuse(ws: Workspace, user: User, action: str, target: str, message: str) -> NoReturn:
    """Write the refusal to the audit log under the user's name, then raise it."""
    ws.audit(REFUSED, target, {"action": action, "reason": message}, actor=user.username)
    raise AccessDeniedError(message)


def block_params(ws: Workspace, user: User, block: Block, action: str = "render") -> dict[str, Any]:
    """The parameters a chart or table block is drawn with for this user.

    The block's own parameters over the source's defaults, then confined to the user: a leader
    draws only from the linked journeys, with counts adjusted by their cell keys (as on the
    leaders' pages); a user with some areas sees only those areas (a block naming none gets all
    of the user's areas; one naming others is cut down to the user's).

    Args:
        ws: The workspace (for the audit log).
        user: Who the block is drawn or saved for.
        block: A chart or table block.
        action: What was tried, for the audit log (``render`` or ``save``).

    Raises:
        AccessDeniedError: (audited) When a leader's block counts a dataset, or the block covers
            none of the user's areas, or (``national``: England and Wales) every area while
            the user sees only some.
    """
    src = source_of(block)
    if user.leader_view and not src.leaders:
        refuse(
            ws,
            user,
            action,
            str(block.source),
            f"Leaders' stories cannot show “{src.label}”: it counts the records of a dataset.",
        )
    params = {**src.defaults, **block.params}
    if not is_journey_source(src):
        return params
    if user.leader_view:
        params["table"] = LINKED
    # a story is made to be published: whoever renders it, its counts are adjusted by their
    # cell keys, so no two stories (or a story and a leader's page) can be differenced
    params["cell_keys"] = True
    allowed = user.allowed_areas
    if allowed is not None and params.get("national"):
        refuse(
            ws,
            user,
            action,
            str(block.source),
            f"This block covers {area_phrase(())}, which you cannot see.",
        )
    if allowed is not None:
        asked = [a for a in params.get("areas") or () if a != ALL_AREAS]
        kept = [a for a in asked if a in allowed] if asked else list(allowed)
        if not kept:
            refuse(
                ws,
                user,
                action,
                str(block.source),
                f"This block covers {area_phrase(asked)}, which you cannot see.",
            )
        params["areas"] = kept
    return params


def check_blocks(ws: Workspace, user: User, blocks: list[Block]) -> list[Block]:
    """The blocks as saved by this user: valid kinds and sources, areas within the user's."""
    checked = []
    for block in blocks:
        if block.kind not in BLOCK_KINDS:
            raise ValidationError(f"Unknown block kind {block.kind!r}.")
        if block.kind == "text":
            checked.append(block)
            continue
        src = source_of(block)
        params = dict(block.params)
        allowed = user.allowed_areas
        if is_journey_source(src) and allowed is not None:
            asked = [a for a in params.get("areas") or () if a != ALL_AREAS]
            if outside := [a for a in asked if a not in allowed]:
                refuse(
                    ws,
                    user,
                    "save",
                    str(block.source),
                    f"A block of your story covers {area_phrase(outside)}, which you cannot see.",
                )
            params["areas"] = asked or list(allowed)
        block_params(ws, user, replace(block, params=params), "save")  # what a leader may not use
        if user.leader_view and is_journey_source(src):
            params["table"] = LINKED
        checked.append(replace(block, params=params))
    return checked


def story_areas(blocks: list[Block]) -> list[str]:
    """The areas a story's charts and tables cover (``all`` when one covers every area)."""
    areas: set[str] = set()
    for block in blocks:
        if block.kind == "text":
            continue
        named = [a for a in block.params.get("areas") or () if a != ALL_AREAS]
        if not named:
            return [ALL_AREAS]
        areas.update(named)
    return sorted(areas)
