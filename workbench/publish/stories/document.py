"""A story as one file: self-contained HTML (static or interactive) or a tagged PDF."""

from __future__ import annotations

import html
import re
from datetime import date

from workbench.access.auth import User
from workbench.browser import html_to_pdf
from workbench.errors import AccessDeniedError, ExportError
from workbench.publish.export.chart_files import (
    PAGE_CSS,
    chart_spec,
    chart_to_svg,
    embed_script,
    vega_bundle,
)
from workbench.publish.export.tables import typed_table
from workbench.publish.stories.model import Story
from workbench.publish.stories.render import RenderedBlock, render_block
from workbench.workspace import Workspace

_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<!\*)\*(?!\*)(.+?)\*"), r"<em>\1</em>"),
    (re.compile(r"`(.+?)`"), r"<code>\1</code>"),
]


_BULLET = re.compile(r"^\s*[-*] ")


def markdown_to_html(text: str) -> str:
    """A small, safe Markdown subset: headings, paragraphs, bullet lists, bold, italic, code.

    Everything is HTML-escaped first, and links are not turned into anchors, so a story never
    points outside itself.
    """
    out: list[str] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue

        def inline(s: str) -> str:
            s = html.escape(s)
            for pattern, repl in _INLINE:
                s = pattern.sub(repl, s)
            return s

        if all(re.match(r"^\s*[-*] ", line) for line in lines):
            items = "".join(f"<li>{inline(_BULLET.sub('', x))}</li>" for x in lines)
            out.append(f"<ul>{items}</ul>")
        elif m := re.match(r"^(#{1,4}) (.*)", lines[0]):
            level = min(len(m.group(1)) + 1, 5)
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            if lines[1:]:
                out.append(f"<p>{inline(' '.join(lines[1:]))}</p>")
        else:
            out.append(f"<p>{inline(' '.join(lines))}</p>")
    return "\n".join(out)


def _table_html(rendered: RenderedBlock) -> str:
    """A block's table as an accessible HTML table: caption, column and row headers, numbers
    formatted as in the spreadsheet (percentages, thousands), ``[c]``/``[x]``/``[z]`` symbols."""
    assert rendered.table is not None and rendered.table_meta is not None
    protected = rendered.protected
    table = typed_table(
        rendered.table, rendered.table_meta, (lambda _f: protected) if protected else None
    )
    meta = table.meta
    head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in table.header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{html.escape(table.shown(i, j))}</th>'
            if j == 0
            else f"<td>{html.escape(table.shown(i, j))}</td>"
            for j in range(len(table.header))
        )
        + "</tr>"
        for i in range(len(table.rows))
    )
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in (meta.disclosure_note, *meta.notes))
    return (
        f'<div class="figure"><table><caption>{html.escape(meta.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f'<div class="meta"><p>{html.escape(meta.source)}</p>'
        f"{notes}<p>[c] = hidden to protect confidentiality; [x] = not available; "
        "[z] = not applicable.</p>"
        f"<p>Data version: {html.escape(meta.data_version)}</p></div></div>"
    )


STORY_CSS = """
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.25rem; }
th[scope="row"] { font-weight: normal; text-align: left; }
"""


def story_html(ws: Workspace, user: User, story: Story, interactive: bool = False) -> str:
    """The story as one self-contained HTML page, drawn from the current data.

    Args:
        ws: The workspace.
        user: Who it is drawn for (see :func:`render_block`); a block covering none of their
            areas is left out with a note.
        story: The story.
        interactive: Draw charts with Vega (the library inlined once, about 0.9 MB) instead of
            static SVG.

    Returns:
        The page. It loads nothing from the network.
    """
    parts: list[str] = []
    for i, block in enumerate(story.blocks, start=1):
        try:
            r = render_block(ws, user, block)
        except AccessDeniedError as exc:
            parts.append(f'<section><p class="meta">{html.escape(exc.message)}</p></section>')
            continue
        if block.kind == "text":
            heading = f"<h2>{html.escape(r.headline)}</h2>" if r.headline else ""
            parts.append(f"<section>{heading}{markdown_to_html(block.text)}</section>")
        elif block.kind == "table":
            parts.append(f"<section><h2>{html.escape(r.headline)}</h2>{_table_html(r)}</section>")
        else:
            assert r.chart is not None and r.meta is not None
            alt_text = chart_spec(r.chart, r.meta).get("description", "")
            if interactive:
                figure = (
                    f'<div id="chart-{i}" class="chart" role="img" '
                    f'aria-label="{html.escape(alt_text)}"></div>'
                    f"{embed_script(f'chart-{i}', chart_spec(r.chart, r.meta))}"
                )
            else:
                figure = f'<div class="chart">{chart_to_svg(r.chart, r.meta)}</div>'
            parts.append(
                f'<section><h2 class="visually-hidden">{html.escape(r.headline)}</h2>'
                f'<div class="figure">{figure}<details open><summary>Description '
                f"of the chart</summary><p>{html.escape(alt_text)}</p></details></div></section>"
            )
    bundle = f"<script>{vega_bundle()}</script>" if interactive else ""
    summary = f'<p class="lead">{html.escape(story.summary)}</p>' if story.summary else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(story.title)}</title><style>{PAGE_CSS}{STORY_CSS}</style>{bundle}"
        "</head>"
        f"<body><header><h1>{html.escape(story.title)}</h1>{summary}"
        f'<p class="meta">Produced {date.today():%d %B %Y} from the CJS Linkage Workbench. '
        "Disclosure control applied: small numbers are hidden.</p></header>"
        f"<main>{''.join(parts)}</main></body></html>\n"
    )


def story_pdf(ws: Workspace, user: User, story: Story) -> bytes:
    """The story as a tagged (accessible) A4 PDF printed by headless Chromium.

    The PDF is printed from the static HTML of :func:`story_html`: it carries a structure tree
    (``StructTreeRoot``, ``MarkInfo`` marked) in the story's order, the story's title as the
    document title, English as its language, headings as bookmarks, and every chart as a figure
    whose alternative text is the chart's description.
    """
    return html_to_pdf(story_html(ws, user, story, interactive=False))


def render_story(ws: Workspace, user: User, story: Story, fmt: str) -> bytes:
    """Render a story as ``html`` (static), ``interactive`` HTML or ``pdf``; the file's bytes."""
    if fmt == "html":
        return story_html(ws, user, story).encode("utf-8")
    if fmt == "interactive":
        return story_html(ws, user, story, interactive=True).encode("utf-8")
    if fmt == "pdf":
        return story_pdf(ws, user, story)
    raise ExportError(f"Unknown story format {fmt!r}.", hint="Use html, interactive or pdf.")
