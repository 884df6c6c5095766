"""The story model: a story is a titled, ordered list of blocks; a chart can carry annotations.

A chart or table block stores its *recipe* — a source from
:data:`~workbench.publish.stories.sources.SOURCES` and its parameters — never a frozen image,
so reopening a story after the data is refreshed draws it from the new data.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from workbench.errors import ValidationError

BlockKind = Literal["chart", "table", "text"]


BLOCK_KINDS: tuple[str, ...] = ("chart", "table", "text")


STORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass
class Annotation:
    """A note drawn onto a chart.

    Attributes:
        kind: ``text`` (a label at ``x``) or ``range`` (a shaded band from ``x`` to ``x2``).
        x: Where: a date (``2020-03-23``) on a time axis, or a category on a bar chart.
        text: The label.
        x2: Where a range ends.
    """

    kind: Literal["text", "range"]
    x: str
    text: str
    x2: str | None = None


@dataclass
class Block:
    """One block of a story.

    Attributes:
        kind: ``chart``, ``table`` or ``text``.
        source: For charts and tables, a key of :data:`~workbench.publish.stories.sources.SOURCES`.
        params: The source's parameters.
        headline: The analyst's headline; empty means "generate it from the data".
        meta: Chart or table text overriding the defaults: ``subtitle``, ``source``, ``notes``
            (list) and ``alt_text``.
        annotations: Annotations drawn on a chart.
        text: Markdown, for text blocks.
        id: A stable identifier.
    """

    kind: BlockKind
    source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    text: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        """Rebuild a block from its saved JSON form."""
        anns = [Annotation(**a) for a in data.get("annotations", [])]
        return cls(**{**data, "annotations": anns})


@dataclass
class Story:
    """A titled, ordered list of blocks, saved in the workspace under its owner and name.

    Attributes:
        name: The name, unique among its owner's stories.
        title: The title.
        summary: A lead paragraph.
        blocks: The blocks, in order.
        revision: The saved revision this copy was read at (0: not saved yet).
        updated_at: When it was last saved.
        owner: The user who created it (empty until it is saved).
        audience: The areas it is published to, read-only (``all`` for every area).
    """

    name: str
    title: str
    summary: str = ""
    blocks: list[Block] = field(default_factory=list)
    revision: int = 0
    updated_at: datetime | None = None
    owner: str = ""
    audience: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """``owner/name``: how the story is named across owners (the CLI accepts it)."""
        return f"{self.owner}/{self.name}"


def move_block(story: Story, block_id: str, offset: int) -> Story:
    """The story with one block moved up (negative offset) or down; clamped at the ends."""
    blocks = list(story.blocks)
    index = next((i for i, b in enumerate(blocks) if b.id == block_id), None)
    if index is None:
        raise ValidationError(f"The story has no block {block_id!r}.")
    target = max(0, min(len(blocks) - 1, index + offset))
    blocks.insert(target, blocks.pop(index))
    return replace(story, blocks=blocks)


def remove_block(story: Story, block_id: str) -> Story:
    """The story without one block."""
    return replace(story, blocks=[b for b in story.blocks if b.id != block_id])
