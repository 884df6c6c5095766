"""Saved stories: create, save, publish, open, list and delete them in the workspace.

Stories are saved in the workspace (``wb.stories``; migrations 5 and 7) as JSON. Each story has
an owner; names are unique per owner. Every change is written to the audit log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import pandas as pd

from workbench.access.auth import ALL_AREAS, User
from workbench.errors import ValidationError
from workbench.publish.stories.access import (
    READ_OTHER,
    can_edit_story,
    can_read_story,
    check_blocks,
    refuse,
    story_areas,
)
from workbench.publish.stories.filters import area_phrase
from workbench.publish.stories.model import STORY_NAME, Block, Story
from workbench.reference import LCJB_AREAS
from workbench.sql import compose
from workbench.workspace import Workspace, utcnow

_COLUMNS = ("owner", "name", "title", "summary", "blocks", "revision", "updated_at", "audience")


def _check_story(story: Story) -> None:
    if not STORY_NAME.match(story.name or ""):
        raise ValidationError(
            f"{story.name!r} is not a valid story name.",
            hint="Use lower-case letters, digits and underscores, starting with a letter "
            "(for example attrition_2024).",
        )
    if not story.title.strip():
        raise ValidationError("A story needs a title.")


def _payload(blocks: list[Block]) -> str:
    return json.dumps([asdict(b) for b in blocks], default=str)


def _row_to_story(row: tuple[Any, ...]) -> Story:
    owner, name, title, summary, blocks, revision, updated, audience = row
    return Story(
        name,
        title,
        summary or "",
        [Block.from_dict(b) for b in json.loads(blocks)],
        int(revision),
        updated,
        owner,
        list(json.loads(audience or "[]")),
    )


def fetch_story(ws: Workspace, owner: str, name: str) -> Story | None:
    """The saved story of that owner and name, unchecked (None when there is none)."""
    rows = ws.query(
        compose(
            "SELECT {columns} FROM wb.stories WHERE owner = ? AND name = ?", columns=list(_COLUMNS)
        ),
        [owner, name],
    )
    return _row_to_story(rows[0]) if rows else None


def split_ref(ref: str) -> tuple[str | None, str]:
    """``owner/name`` -> (owner, name); a bare name -> (None, name)."""
    owner, slash, name = ref.rpartition("/")
    return (owner or None, name) if slash else (None, ref)


def create_story(ws: Workspace, user: User, story: Story) -> Story:
    """Save a new story owned by the user; it never replaces one.

    Returns:
        The story at revision 1, with its owner.

    Raises:
        ValidationError: When the name or title is not valid, or the user already has a story
            of that name.
        AccessDeniedError: (audited) When a block shows what the user may not see.
    """
    _check_story(story)
    blocks = check_blocks(ws, user, story.blocks)
    now = utcnow()
    exists = f"You already have a story called {story.name!r}."
    hint = "Open it to change it, or pick another name."
    with ws.transaction() as cur:
        if cur.execute(
            "SELECT 1 FROM wb.stories WHERE owner = ? AND name = ?", [user.username, story.name]
        ).fetchone():
            raise ValidationError(exists, hint=hint)
        cur.execute(
            "INSERT INTO wb.stories (owner, name, title, summary, blocks, areas, audience, "
            "created_at, created_by, updated_at, updated_by, revision) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                user.username,
                story.name,
                story.title,
                story.summary,
                _payload(blocks),
                json.dumps(story_areas(blocks)),
                "[]",
                now,
                user.username,
                now,
                user.username,
            ],
        )
        ws.audit(
            "story.create",
            f"{user.username}/{story.name}",
            {"revision": 1, "blocks": len(blocks)},
            actor=user.username,
            cur=cur,
        )
    return replace(
        story, blocks=blocks, revision=1, updated_at=now, owner=user.username, audience=[]
    )


def save_story(ws: Workspace, user: User, story: Story) -> Story:
    """Save changes to an existing story (its owner's, or any an admin may read).

    The story must be at the revision last saved: a copy opened before somebody else saved is
    refused rather than overwriting their changes. Publishing is :func:`publish_story`.

    Args:
        ws: The workspace.
        user: Who saves.
        story: The changed story; ``owner`` names whose it is (empty: the user's own).

    Returns:
        The story at its new revision.

    Raises:
        ValidationError: When the story is not valid, not saved yet, or changed since it was read.
        AccessDeniedError: (audited) When the user may not change it, or a block shows what the
            user may not see.
    """
    _check_story(story)
    owner = story.owner or user.username
    target = f"{owner}/{story.name}"
    saved = fetch_story(ws, owner, story.name)
    if saved is None or not can_edit_story(user, saved):
        if owner != user.username:
            refuse(ws, user, "save", target, f"You cannot change the story {target}.")
        raise ValidationError(
            f"You have no story called {story.name!r} to save.",
            hint="Create it first.",
        )
    blocks = check_blocks(ws, user, story.blocks)
    changed = ValidationError(
        f"The story {story.name!r} was saved by somebody else since you opened it.",
        hint="Open it again to see their changes, then make yours.",
    )
    now = utcnow()
    revision = saved.revision + 1
    with ws.transaction() as cur:
        row = cur.execute(
            "SELECT revision FROM wb.stories WHERE owner = ? AND name = ?", [owner, story.name]
        ).fetchone()
        if row is None or int(row[0]) != story.revision:
            raise changed
        cur.execute(
            "UPDATE wb.stories SET title = ?, summary = ?, blocks = ?, areas = ?, "
            "updated_at = ?, updated_by = ?, revision = ? WHERE owner = ? AND name = ?",
            [
                story.title,
                story.summary,
                _payload(blocks),
                json.dumps(story_areas(blocks)),
                now,
                user.username,
                revision,
                owner,
                story.name,
            ],
        )
        ws.audit(
            "story.save",
            target,
            {"revision": revision, "blocks": len(blocks)},
            actor=user.username,
            cur=cur,
        )
    return replace(
        story,
        blocks=blocks,
        revision=revision,
        updated_at=now,
        owner=owner,
        audience=saved.audience,
    )


def publish_story(
    ws: Workspace, user: User, name: str, audience: list[str], owner: str | None = None
) -> Story:
    """Publish a story, read-only, to the users of some areas (an empty list withdraws it).

    Args:
        ws: The workspace.
        user: Who publishes: the owner, or an admin.
        name: The story's name.
        audience: LCJB areas, or ``["all"]``. A user with some areas publishes only to those.
        owner: Whose story (default: the user's).

    Returns:
        The story as published.

    Raises:
        ValidationError: When an area is not an LCJB area, or there is no such story.
        AccessDeniedError: (audited) When the user may not publish it, or not to those areas.
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    areas = sorted({a.strip() for a in audience if a.strip()})
    known = {*LCJB_AREAS, ALL_AREAS}
    if unknown := [a for a in areas if a not in known]:
        raise ValidationError(f"{', '.join(map(repr, unknown))} is not an LCJB area.")
    story = fetch_story(ws, owner, name)
    if story is None or not can_edit_story(user, story):
        if owner != user.username:
            refuse(ws, user, "publish", target, f"You cannot publish the story {target}.")
        raise ValidationError(f"You have no story called {name!r}.")
    allowed = user.allowed_areas
    if allowed is not None and (outside := [a for a in areas if a not in allowed]):
        refuse(ws, user, "publish", target, f"You cannot publish to {area_phrase(outside)}.")
    with ws.transaction() as cur:
        cur.execute(
            "UPDATE wb.stories SET audience = ? WHERE owner = ? AND name = ?",
            [json.dumps(areas), owner, name],
        )
        ws.audit("story.publish", target, {"audience": areas}, actor=user.username, cur=cur)
    return replace(story, audience=areas)


def load_story(ws: Workspace, user: User, name: str, owner: str | None = None) -> Story:
    """Open a saved story the user may read.

    Args:
        ws: The workspace.
        user: Who opens it.
        name: The story's name, or ``owner/name``.
        owner: Whose story. None: the user's own of that name, else the one other story of that
            name the user may read.

    Raises:
        ValidationError: When the user has no story of that name and can read none.
        AccessDeniedError: (audited) When the story named with its owner is not the user's to
            read (whether it exists or not).
    """
    if owner is None:
        owner, name = split_ref(name)
    if owner is None:
        own = fetch_story(ws, user.username, name)
        if own is not None:
            return own
        readable = [s for s in _readable(ws, user) if s.name == name]
        if len(readable) > 1:
            refs = ", ".join(s.ref for s in readable)
            raise ValidationError(
                f"Several stories are called {name!r}: {refs}.", hint="Name one as owner/name."
            )
        if not readable:
            known = ", ".join(list_stories(ws, user)["ref"]) or "none yet"
            raise ValidationError(f"No story named {name!r} is saved.", hint=f"Stories: {known}.")
        owner = readable[0].owner
    story = fetch_story(ws, owner, name)
    if owner == user.username:
        if story is None:
            raise ValidationError(f"You have no story called {name!r}.")
        return story
    target = f"{owner}/{name}"
    if story is None or not can_read_story(user, story):
        refuse(ws, user, "open", target, f"You cannot open the story {target}.")
    # one entry per reading session: the page reloads the story on every click
    ws.audit_once(READ_OTHER, target, user.username, {"revision": story.revision})
    return story


def _readable(ws: Workspace, user: User) -> list[Story]:
    rows = ws.query(
        compose(
            "SELECT {columns} FROM wb.stories ORDER BY updated_at DESC, owner, name",
            columns=list(_COLUMNS),
        )
    )
    return [s for s in map(_row_to_story, rows) if can_read_story(user, s)]


def list_stories(ws: Workspace, user: User) -> pd.DataFrame:
    """The stories the user may open, newest first.

    Returns:
        ``name``, ``owner``, ``ref`` (``owner/name``), ``title``, ``blocks``, ``revision``,
        ``updated_at``, ``updated_by``, ``areas`` (what the charts cover), ``published_to`` and
        ``editable`` (whether the user may change it).
    """
    rows = ws.query(
        "SELECT owner, name, updated_by, areas FROM wb.stories "
        "ORDER BY updated_at DESC, owner, name"
    )
    extra = {(owner, name): (by, areas) for owner, name, by, areas in rows}
    records = []
    for story in _readable(ws, user):
        by, areas = extra.get((story.owner, story.name), (None, "[]"))
        records.append(
            {
                "name": story.name,
                "owner": story.owner,
                "ref": story.ref,
                "title": story.title,
                "blocks": len(story.blocks),
                "revision": story.revision,
                "updated_at": story.updated_at,
                "updated_by": by,
                "areas": ", ".join(json.loads(areas or "[]")),
                "published_to": ", ".join(story.audience),
                "editable": can_edit_story(user, story),
            }
        )
    columns = [
        "name",
        "owner",
        "ref",
        "title",
        "blocks",
        "revision",
        "updated_at",
        "updated_by",
        "areas",
        "published_to",
        "editable",
    ]
    return pd.DataFrame(records, columns=columns)


def delete_story(ws: Workspace, user: User, name: str, owner: str | None = None) -> None:
    """Delete a story the user may change (no error when the user has none of that name).

    Raises:
        AccessDeniedError: (audited) When the story is another owner's and the user is not an
            admin who can read it.
    """
    owner = owner or user.username
    target = f"{owner}/{name}"
    story = fetch_story(ws, owner, name)
    if owner != user.username and (story is None or not can_edit_story(user, story)):
        refuse(ws, user, "delete", target, f"You cannot delete the story {target}.")
    with ws.transaction() as cur:
        cur.execute("DELETE FROM wb.stories WHERE owner = ? AND name = ?", [owner, name])
        ws.audit("story.delete", target, {}, actor=user.username, cur=cur)
