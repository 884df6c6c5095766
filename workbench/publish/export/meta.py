"""What every published chart and table says about itself, and the symbols they use.

Every exported chart carries its headline title, a statistical subtitle, the source line, any
notes, and the date and data version (:class:`ChartMeta`). Every exported table carries a cover
sheet (:class:`TableMeta`): title, period covered, statistical status, source systems,
methodology, contact, disclosure method and symbols. Hidden (suppressed) values are shown as
``[c]``, values not available as ``[x]`` and values that do not apply as ``[z]``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from workbench.analysis.journeys.table import build_row
from workbench.charts import SOURCE_NOTE, TITLE_META, top_spec
from workbench.data.catalogue import find_dataset

if TYPE_CHECKING:
    from workbench.workspace import Workspace


SUPPRESSED = "[c]"


NOT_AVAILABLE = "[x]"


NOT_APPLICABLE = "[z]"


SYMBOLS: dict[str, str] = {
    SUPPRESSED: "confidential: the value is hidden to protect confidentiality (disclosure control)",
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
}


CONTACT_ENV = "WORKBENCH_PUBLISH_CONTACT"


DEFAULT_CONTACT = "the publishing team"


DEFAULT_STATUS = "management information"


STATUSES: tuple[str, ...] = ("official statistics", "management information", "experimental")


DATA_SOURCES = (
    "Police recorded crime, Crown Prosecution Service (CPS) case management and court "
    "(magistrates' and Crown Court) case records, linked into case journeys"
)


CHART_SOURCE = "Source: police, CPS and court records, linked into case journeys"


METHODOLOGY = (
    "Records of the same case in police, CPS and court systems are linked by probabilistic "
    "record linkage (Fellegi-Sunter) into one journey per case; the figures count linked "
    "journeys. Links are estimates: a small share may join records of different cases or miss "
    "a true match. Counts published to leaders are adjusted by a small random amount (cell key "
    "perturbation) and small counts are hidden."
)


@dataclass(frozen=True)
class ChartMeta:
    """What every published chart says about itself.

    Attributes:
        title: The headline: what the chart shows, in plain words.
        subtitle: The statistical description (measure, unit, coverage, period).
        source: The source line.
        notes: Further notes, each printed on its own line.
        alt_text: Text for readers who cannot see the chart; generated when empty.
        data_version: Which data it was drawn from (dataset version or journey build).
        created: When it was drawn.
    """

    title: str
    subtitle: str = ""
    source: str = SOURCE_NOTE
    notes: tuple[str, ...] = ()
    alt_text: str = ""
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    def footer(self) -> str:
        """The date and data version line."""
        made = f"Produced {self.created:%d %B %Y}"
        return f"{made}; data version: {self.data_version}" if self.data_version else made

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the date as ISO text)."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "source": self.source,
            "notes": list(self.notes),
            "alt_text": self.alt_text,
            "data_version": self.data_version,
            "created": self.created.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartMeta:
        """Rebuild from :meth:`to_dict` output; unknown keys are ignored."""
        created = data.get("created")
        return cls(
            title=str(data.get("title", "")),
            subtitle=str(data.get("subtitle", "")),
            source=str(data.get("source") or SOURCE_NOTE),
            notes=tuple(data.get("notes") or ()),
            alt_text=str(data.get("alt_text", "")),
            data_version=str(data.get("data_version", "")),
            created=datetime.fromisoformat(created) if created else datetime.now(),
        )


@dataclass(frozen=True)
class TableMeta:
    """What every published table says about itself (its cover sheet).

    Attributes:
        title: The table's title, in plain words.
        source: The source line; the default names the police, CPS and court systems.
        notes: Notes, referred to as ``[note 1]``, ``[note 2]``, … in order.
        definitions: Term -> definition, for the cover sheet.
        data_version: Which data it was computed from.
        created: When it was produced.
        disclosure_note: What disclosure control did; filled in by the export.
        period: The period covered; empty: read from the table's dates.
        status: The statistical status: one of :data:`STATUSES`.
        contact: Who to contact; empty: :func:`publish_contact`.
        methodology: How the figures were made (text, or a link).
        not_applicable: Cells that do not apply, as (row number, column label): written
            ``[z]`` where they have no value.
    """

    title: str
    source: str = f"Source: {DATA_SOURCES}"
    notes: tuple[str, ...] = ()
    definitions: tuple[tuple[str, str], ...] = ()
    data_version: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    disclosure_note: str = ""
    period: str = ""
    status: str = DEFAULT_STATUS
    contact: str = ""
    methodology: str = METHODOLOGY
    not_applicable: tuple[tuple[int, str], ...] = ()


def all_notes(meta: TableMeta) -> list[str]:
    """A table's notes in order: what disclosure control did (note 1), then its own."""
    return [meta.disclosure_note, *meta.notes]


def publish_contact() -> str:
    """Who readers contact about a published table: ``WORKBENCH_PUBLISH_CONTACT`` or a default."""
    return os.environ.get(CONTACT_ENV, "").strip() or DEFAULT_CONTACT


def period_covered(frame: pd.DataFrame) -> str:
    """The period a table covers, from its date or ``period`` column ("January to June 2024")."""
    table = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    for name in table.columns:
        col = table[name]
        if pd.api.types.is_datetime64_any_dtype(col) or str(name).lower() in (
            "period",
            "month",
            "week",
            "quarter",
            "date",
        ):
            when = pd.to_datetime(col, errors="coerce").dropna()
            if len(when):
                first, last = when.min(), when.max()
                if first == last:
                    return f"{first:%B %Y}"
                return f"{first:%B %Y} to {last:%B %Y}"
    return ""


def source_line(meta: TableMeta) -> str:
    """A table's source line, starting "Source:" (the app's own line names the source systems)."""
    source = meta.source if meta.source != SOURCE_NOTE else DATA_SOURCES
    return source if source.lower().startswith("source") else f"Source: {source}"


def cover_sections(meta: TableMeta, frame: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """The headed sections of the cover sheet (and of a CSV's metadata file)."""
    period = meta.period or period_covered(frame) or "All the records in the data version below."
    sections: list[tuple[str, list[str]]] = [
        ("Period covered", [period]),
        ("Statistical status", [meta.status.capitalize()]),
        ("Source", [source_line(meta)]),
        ("Methodology", [meta.methodology]),
        ("Contact", [meta.contact or publish_contact()]),
        ("Date produced", [f"{meta.created:%d %B %Y}"]),
    ]
    if meta.data_version:
        sections.append(("Data version", [meta.data_version]))
    sections.append(("Disclosure control", [meta.disclosure_note]))
    sections.append(("Symbols used", [f"{s} = {text}" for s, text in SYMBOLS.items()]))
    if meta.definitions:
        sections.append(("Definitions", [f"{term}: {text}" for term, text in meta.definitions]))
    return sections


def meta_from_chart(
    chart: alt.TopLevelMixin, data_version: str = "", notes: Sequence[str] = ()
) -> ChartMeta:
    """The :class:`ChartMeta` of a chart drawn with :func:`workbench.charts.titled`.

    The app's own source line (naming the workbench) becomes the systems the data came from
    (:data:`CHART_SOURCE`).

    Args:
        chart: A chart whose title holds the headline and whose subtitle lines are the
            statistical subtitle and the source line.
        data_version: Which data it was drawn from.
        notes: Further notes (for example, what disclosure control did).
    """
    spec = top_spec(chart)
    title = spec.get("title", "")
    if isinstance(title, dict):
        text, lines = title.get("text", ""), title.get("subtitle", [])
    else:
        text, lines = title, []
    lines = [lines] if isinstance(lines, str) else list(lines)
    text = " ".join(text) if isinstance(text, list) else str(text)
    kept = (spec.get("usermeta") or {}).get(TITLE_META)
    if kept:  # the whole subtitle and source, however many lines they were wrapped into
        subtitle, source = str(kept.get("subtitle", "")), str(kept.get("source", SOURCE_NOTE))
    else:
        subtitle = str(lines[0]) if lines else ""
        source = str(lines[1]) if len(lines) > 1 else SOURCE_NOTE
    return ChartMeta(
        title=text or "Chart",
        subtitle=subtitle,
        source=CHART_SOURCE if source == SOURCE_NOTE else source,
        notes=tuple(n for n in notes if n),
        data_version=data_version,
    )


def journey_version(ws: Workspace, table: str = "linked") -> str:
    """The data version of a journey table: its model, threshold and build time.

    Args:
        ws: The workspace.
        table: The journey table's name.
    """
    row = build_row(ws, table)
    if row is None:
        return f"journeys.{table}"
    model, threshold, built = row["model_id"], row["threshold"], row["built_at"]
    parts = [f"journeys.{table}", f"model {model}" if model else ""]
    parts.append(f"threshold {float(threshold):.3f}" if pd.notna(threshold) else "")
    parts.append(f"built {built:%Y-%m-%d %H:%M}" if built else "")
    return ", ".join(p for p in parts if p)


def dataset_version(ws: Workspace, name: str) -> str:
    """The data version of a dataset: its version number and refresh time (or file hash).

    Args:
        ws: The workspace.
        name: The dataset's name.
    """
    info = find_dataset(ws, name)
    if info is None:
        return name
    version, sha = info.version, info.source_sha256
    when = info.updated_at if info.updated_at is not None else info.imported_at
    stamp = f", refreshed {when:%Y-%m-%d %H:%M}" if when else ""
    digest = f", sha256 {sha[:12]}" if sha else ""
    return f"{name} v{version}{stamp}{digest}"
