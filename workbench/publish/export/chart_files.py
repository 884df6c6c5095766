"""Charts as PNG, SVG, PDF and offline HTML files.

Charts are rendered by vl-convert with no network access. Every exported chart is finished with
its :class:`~workbench.publish.export.meta.ChartMeta` (headline, subtitle, source, notes, date,
data version) and its alt text, and drawn with labels no smaller than :data:`MIN_FONT_PX`.
"""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path
from typing import Any

import altair as alt

from workbench.charts import SUBTITLE_COLOUR, wrap_lines
from workbench.errors import ExportError
from workbench.publish.export.alt_text import describe_chart
from workbench.publish.export.meta import ChartMeta

FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts",)


EXPORT_WIDTH = 720


@functools.cache
def _register_fonts() -> None:
    import vl_convert as vlc

    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)


def finish_chart(chart: alt.TopLevelMixin, meta: ChartMeta) -> alt.TopLevelMixin:
    """Put the headline, subtitle, source, notes, date, data version and alt text on a chart.

    Args:
        chart: Any Altair chart; its own title is replaced.
        meta: What to print on it. Empty alt text is generated from the data.

    Returns:
        A new chart, ready to render.
    """
    alt_text = meta.alt_text or describe_chart(chart, meta.title)
    lines = wrap_lines([meta.subtitle, meta.source, *meta.notes, meta.footer()])
    return chart.properties(
        title=alt.TitleParams(
            text=meta.title,
            subtitle=lines,
            anchor="start",
            fontSize=16,
            subtitleColor=SUBTITLE_COLOUR,
            subtitleFontSize=12,
        ),
        description=alt_text,
    )


def chart_spec(chart: alt.TopLevelMixin, meta: ChartMeta) -> dict[str, Any]:
    """The Vega-Lite spec of a finished chart (data inlined).

    A chart that fills its container on the page (``width="container"``) has no width of its
    own in a file, so it is given :data:`EXPORT_WIDTH` pixels. Axis, legend and facet labels
    and titles and text marks without a size of their own are drawn at 12 px (Vega-Lite's
    default is 10 px), so no label of an exported chart is smaller than :data:`MIN_FONT_PX`.
    """
    try:
        spec = finish_chart(chart, meta).to_dict()
    except Exception as exc:  # altair validation or data transformer limits
        raise ExportError(f"The chart cannot be exported: {exc}") from exc
    for part in [spec, *spec.get("layer", [])]:
        if part.get("width") == "container":
            part["width"] = EXPORT_WIDTH
    config = spec.setdefault("config", {})
    legend = config.setdefault("legend", {})
    if not isinstance(legend.get("labelLimit"), int | float) or legend["labelLimit"] < 360:
        legend["labelLimit"] = 360  # Vega cuts legend labels at 160 px ("Victim does not su…")
    for group, sizes in READABLE_FONTS.items():
        config.setdefault(group, {})
        for key, size in sizes.items():
            own = config[group].get(key)
            config[group][key] = max(size, own) if isinstance(own, int | float) else size
    return spec


MIN_FONT_PX = 11


# Vega-Lite draws axis and legend labels at 10 px by default: exported charts draw every label,
# title and text mark at MIN_FONT_PX or more (a chart may ask for larger).
READABLE_FONTS: dict[str, dict[str, int]] = {
    "axis": {"labelFontSize": 12, "titleFontSize": 12},
    "legend": {"labelFontSize": 12, "titleFontSize": 12},
    "header": {"labelFontSize": 12, "titleFontSize": 12},
    "text": {"fontSize": 12},
    "title": {"fontSize": 16, "subtitleFontSize": 12},
}


def _convert(kind: str, spec: dict[str, Any], **kwargs: Any) -> Any:
    import vl_convert as vlc

    _register_fonts()
    func = getattr(vlc, f"vegalite_to_{kind}")
    try:
        return func(spec, allowed_base_urls=[], **kwargs)
    except Exception as exc:  # vl-convert raises plain ValueErrors
        raise ExportError(f"The chart could not be rendered as {kind.upper()}: {exc}") from exc


def chart_to_svg(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """Render a chart as SVG text, offline, labelled with its title and alt text for readers."""
    spec = chart_spec(chart, meta)
    svg = _convert("svg", spec)
    alt_text = html.escape(str(spec.get("description", "")), quote=True)
    head, sep, rest = svg.partition(">")
    if not head.startswith("<svg") or not sep:
        return svg
    return (
        f'{head} role="img" aria-label="{alt_text}">'
        f"<title>{html.escape(meta.title)}</title><desc>{alt_text}</desc>{rest}"
    )


def chart_to_png(chart: alt.TopLevelMixin, meta: ChartMeta, scale: float = 1.0) -> bytes:
    """Render a chart as PNG, offline; ``scale`` 2 doubles the width and height in pixels."""
    if not 0.25 <= scale <= 8:
        raise ExportError(f"A PNG scale of {scale} is out of range.", hint="Use 0.25 to 8.")
    return _convert("png", chart_spec(chart, meta), scale=scale)


def chart_to_pdf(chart: alt.TopLevelMixin, meta: ChartMeta) -> bytes:
    """Render a chart as a one-page PDF (vector), offline."""
    return _convert("pdf", chart_spec(chart, meta))


@functools.cache
def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed libraries as one script (about 0.9 MB), cached."""
    import vl_convert as vlc

    return vlc.javascript_bundle().replace("</script", "<\\/script")


PAGE_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #0b0c0c; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption, .meta { color: #505a5f; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f2f1; } td:first-child, th:first-child { text-align: left; }
.chart { overflow-x: auto; max-width: 100%; }
.chart svg { max-width: none; }
@media print { .chart { overflow: visible; } .chart svg { max-width: 100%; height: auto; } }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
"""


def embed_script(element_id: str, spec: dict[str, Any]) -> str:
    """A script tag drawing ``spec`` into the element with the id (needs :func:`vega_bundle`)."""
    payload = json.dumps(spec).replace("</", "<\\/")
    return (
        f"<script>vegaEmbed({json.dumps('#' + element_id)}, {payload}, "
        '{"renderer": "svg", "actions": false});</script>'
    )


def chart_to_html(chart: alt.TopLevelMixin, meta: ChartMeta) -> str:
    """A standalone HTML page drawing the chart interactively, with Vega inlined (no CDN)."""
    spec = chart_spec(chart, meta)
    alt_text = spec.get("description", "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(meta.title)}</title><style>{PAGE_CSS}</style>"
        f"<script>{vega_bundle()}</script></head><body>"
        f'<figure><div id="chart" class="chart" role="img" aria-label="{html.escape(alt_text)}">'
        f"</div><figcaption><p>{html.escape(meta.source)}</p>"
        + "".join(f"<p>{html.escape(n)}</p>" for n in meta.notes)
        + f"<p>{html.escape(meta.footer())}</p>"
        f"<details><summary>Description of the chart</summary><p>{html.escape(alt_text)}</p>"
        f"</details></figcaption></figure>{embed_script('chart', spec)}</body></html>\n"
    )
