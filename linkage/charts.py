"""Altair charts of a trained model, its predictions and its clusters.

Splink's own charts are returned as their ``.altair_chart`` (an Altair chart), never as the
``SplinkChart`` wrapper, so pages can pass them straight to ``st.altair_chart``.
"""

from __future__ import annotations

import threading
from typing import Any

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

from linkage.model.train import TrainedModel
from workbench.charts import COMPOUND_PARTS
from workbench.errors import LinkageError, first_line

# Splink draws one comparison level per 12 px row and cuts level names at 270 px, so names
# overprint and end in "..." once a page's fonts are larger; give each level a row and the
# names room.
LEVEL_STEP = 20
LEVEL_LABEL_LIMIT = 420


def _give_room(node: Any) -> None:
    """Widen every per-level row and label limit in a Splink spec (a dict, in place)."""
    if isinstance(node, list):
        for item in node:
            _give_room(item)
        return
    if not isinstance(node, dict):
        return
    for key in ("height", "width"):
        size = node.get(key)
        if isinstance(size, dict) and size.get("step", LEVEL_STEP) < LEVEL_STEP:
            size["step"] = LEVEL_STEP
    for key in ("x", "y"):
        channel = node.get("encoding", {}).get(key)
        if isinstance(channel, dict) and channel.get("type") in ("nominal", "ordinal"):
            axis = channel.setdefault("axis", {})
            if isinstance(axis, dict):
                axis["labelLimit"] = max(int(axis.get("labelLimit") or 0), LEVEL_LABEL_LIMIT)
                if "maxExtent" in axis:
                    axis["maxExtent"] = max(int(axis["maxExtent"]), LEVEL_LABEL_LIMIT + 20)
    for value in node.values():
        _give_room(value)


#: The Altair class of a top-level spec holding each key (a single view holds none).
_COMPOUND: tuple[tuple[str, type[alt.TopLevelMixin]], ...] = (
    ("vconcat", alt.VConcatChart),
    ("hconcat", alt.HConcatChart),
    ("concat", alt.ConcatChart),
    ("layer", alt.LayerChart),
    ("facet", alt.FacetChart),
    ("repeat", alt.RepeatChart),
)


def _spec(chart: Any) -> dict[str, Any] | None:
    """The Vega-Lite spec of a Splink chart (or an Altair chart), with room for level names;
    None for anything else.

    A Splink chart is read from its Vega-Lite spec: its ``altair_chart`` would check the
    spec against the Vega-Lite schema once for each kind of chart it tries, which costs more
    than drawing it (the page checks the finished chart once, as it draws it).
    """
    if isinstance(getattr(type(chart), "chart_dict", None), property):
        spec = chart.chart_dict
    else:
        built = chart.altair_chart if hasattr(chart, "altair_chart") else chart
        if not isinstance(built, alt.TopLevelMixin):
            return None
        spec = built.to_dict(validate=False)
    _give_room(spec)
    return spec


def from_spec(
    spec: dict[str, Any], kind: type[alt.TopLevelMixin] | None = None
) -> alt.TopLevelMixin:
    """An Altair chart of a Vega-Lite spec, unchecked (the page checks it as it draws it).

    The chart and its parts (layers, panels) are Altair charts; everything inside them (marks,
    encodings, transforms, data rows) is kept as the spec's own dictionaries and lists rather
    than turned into Altair objects one value at a time, which costs more than the rest (each
    value is tried against every schema it might match). The chart writes the same spec.

    Args:
        spec: A top-level Vega-Lite spec (it is not changed).
        kind: The chart's Altair class; by default the one its keys name (a layer, a facet,
            a concatenation, or a single view).
    """
    spec = dict(spec)
    kind = kind or _kind(spec)
    if kind in (alt.FacetChart, alt.RepeatChart):  # rare here: Altair's own reading
        return _from_dict(spec, kind)
    return _assemble(spec, kind)


def _kind(spec: dict[str, Any]) -> type[alt.TopLevelMixin]:
    """The Altair class of a (top-level or part) spec, by the keys it has."""
    return next((cls for key, cls in _COMPOUND if key in spec), alt.Chart)


#: Altair's switch for checking each object as it is made is one global: charts assembled by
#: several sessions at once take turns, so each puts back the setting it found.
_ASSEMBLING = threading.Lock()


def _assemble(spec: dict[str, Any], kind: type[alt.TopLevelMixin]) -> alt.TopLevelMixin:
    """``kind`` built from the spec's keys as they are, its parts as Vega-Lite view specs."""
    with _ASSEMBLING, debug_mode(False):  # no check per object: the page checks the chart
        return kind(**_parts_built(spec))


def _parts_built(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec's properties, with its parts and parameters as the objects Altair combines."""
    kwds: dict[str, Any] = {}
    for key, value in spec.items():
        if key in COMPOUND_PARTS and isinstance(value, list):
            value = [_view(part, layered=key == "layer") for part in value]
        elif key == "params" and isinstance(value, list):
            value = [_parameter(param) for param in value]
        kwds[key] = value
    return kwds


def _view(part: Any, layered: bool) -> Any:
    """A part of a compound chart as the view spec Altair reads it as: a layer of views, or
    one view (in a layer, or in a concatenation where it may be faceted), its encoding an
    object and everything inside it as written."""
    if not isinstance(part, dict):
        return part
    if "layer" in part:
        return alt.LayerSpec(**_parts_built(part))
    if any(key in part for key in ("facet", "repeat", *COMPOUND_PARTS)):
        return alt.NonNormalizedSpec.from_dict(part, validate=False)  # read in full
    kwds = _parts_built(part)
    if layered:
        if isinstance(kwds.get("encoding"), dict):
            kwds["encoding"] = alt.Encoding(**kwds["encoding"])
        return alt.UnitSpec(**kwds)
    if isinstance(kwds.get("encoding"), dict):
        kwds["encoding"] = alt.FacetedEncoding(**kwds["encoding"])
    return alt.FacetedUnitSpec(**kwds)


def _parameter(param: Any) -> Any:
    """A chart parameter as the Altair object that combining charts expects."""
    if not isinstance(param, dict):
        return param
    if "select" not in param:
        return alt.VariableParameter.from_dict(param, validate=False)
    if "views" in param:
        return alt.TopLevelSelectionParameter.from_dict(param, validate=False)
    return alt.SelectionParameter.from_dict(param, validate=False)


def _from_dict(spec: dict[str, Any], kind: type[alt.TopLevelMixin]) -> alt.TopLevelMixin:
    """Altair's own reading of the spec, unchecked, with its data rows kept as they are."""
    data = spec.get("data")
    values = None
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        values = data["values"]
        spec["data"] = {k: v for k, v in data.items() if k != "values"}
    datasets = spec.pop("datasets", None)
    built = kind.from_dict(spec, validate=False)
    if values is not None:
        built.data = {**spec["data"], "values": values}
    if datasets is not None:
        built.datasets = datasets
    return built


def _splink_spec(what: str, build: Any) -> dict[str, Any]:
    """The spec of the Splink chart ``build()`` makes; its failure as a :class:`LinkageError`."""
    try:
        spec = _spec(build())
        if spec is None:
            raise LinkageError(f"Splink did not draw the {what} chart.")
        return spec
    except LinkageError:
        raise
    except Exception as exc:
        raise LinkageError(
            f"The {what} chart could not be drawn: {first_line(exc)}",
            hint="Train the model (and score pairs) first.",
        ) from exc


def _splink_chart(what: str, build: Any) -> alt.TopLevelMixin:
    return from_spec(_splink_spec(what, build))


def match_weights_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Match weight of every comparison level."""
    return _splink_chart("match weights", model.linker.visualisations.match_weights_chart)


def m_u_parameters_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """m and u probabilities of every comparison level."""
    return _splink_chart("m and u", model.linker.visualisations.m_u_parameters_chart)


def parameter_estimates_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Parameter estimates from each EM session side by side (stability of training)."""
    return _splink_chart(
        "parameter estimates", model.linker.visualisations.parameter_estimate_comparisons_chart
    )


def tf_adjustment_chart(model: TrainedModel, column: str) -> alt.TopLevelMixin:
    """Term-frequency adjustment of a column's exact-match weight."""
    return _splink_chart(
        "term frequency", lambda: model.linker.visualisations.tf_adjustment_chart(column)
    )


def unlinkables_chart(model: TrainedModel) -> alt.TopLevelMixin:
    """Share of records that could not be linked even to themselves at each weight."""
    return _splink_chart("unlinkables", model.linker.evaluation.unlinkables_chart)


def waterfall_chart(model: TrainedModel, pairs: pd.DataFrame) -> alt.TopLevelMixin:
    """How each comparison adds to the match weight of the given pair rows.

    Args:
        model: The trained model.
        pairs: Rows of predictions scored with intermediate columns kept.
    """
    if pairs.empty:
        raise LinkageError("There are no pairs to explain.", hint="Choose at least one pair.")
    records = [
        {key: _date_text(value) for key, value in row.items()}
        for row in pairs.to_dict(orient="records")
    ]
    spec = _splink_spec(
        "waterfall",
        lambda: model.linker.visualisations.waterfall_chart(records, filter_nulls=False),
    )
    _wrap_column_names(spec)
    _drop_value_labels(spec)
    for param in spec.get("params", []):
        if param.get("name") == "record_number" and isinstance(param.get("bind"), dict):
            if len(records) == 1:
                del param["bind"]  # one pair: no slider to move between pairs
            else:
                param["bind"]["name"] = "Pair "
    bars = len({r.get("column_name") for r in _rows(spec) if r.get("record_number", 0) == 0})
    _fit_bars(spec, bars)
    return from_spec(spec)


def _rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The data rows of a spec: its inline values and its named datasets."""
    data = spec.get("data")
    rows = list(data.get("values") or []) if isinstance(data, dict) else []
    return rows + [row for values in (spec.get("datasets") or {}).values() for row in values]


#: The widest a waterfall's plot is drawn (px): it fits a page's main column at 1400 px.
WATERFALL_WIDTH = 800
WATERFALL_STEP = (58, 75)


def _fit_bars(spec: dict[str, Any], bars: int) -> None:
    """Size a waterfall's bands so its plot fits :data:`WATERFALL_WIDTH` (Splink draws 75 px
    a bar and 60 px bars, wider than a page once a model has a dozen columns), with bars and
    the connecting rules a share of the band."""
    low, high = WATERFALL_STEP
    step = max(low, min(high, WATERFALL_WIDTH // max(bars, 1)))
    spec["width"] = {"step": step}
    half = round(step * 0.4)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        mark = node.get("mark")
        if isinstance(mark, dict) and mark.get("type") == "bar" and "width" in mark:
            mark["width"] = 2 * half
        if isinstance(mark, dict) and mark.get("type") == "rule" and "xOffset" in mark:
            mark["xOffset"], mark["x2Offset"] = -half, half
        for key, value in node.items():
            if key not in ("data", "datasets"):
                visit(value)

    visit(spec)


#: The columns of :func:`waterfall_table`, in the words the pages use.
WATERFALL_COLUMNS: dict[str, str] = {
    "column_name": "Column",
    "value_l": "Left record",
    "value_r": "Right record",
    "label_for_charts": "Level reached",
    "log2_bayes_factor": "Match weight",
}


def waterfall_table(chart: alt.TopLevelMixin, record: int = 0) -> pd.DataFrame:
    """The bars of a waterfall chart as a table: each column, both records' values, the level
    reached and its weight (two decimals), for the pair ``record`` of the chart.

    The chart names each bar on its axis only; the values compared are read here (and in each
    bar's tooltip), so long values never overprint the bars beside them.
    """
    frame = pd.DataFrame(_rows(chart.to_dict(validate=False)))
    if frame.empty or not set(WATERFALL_COLUMNS) <= set(frame.columns):
        return pd.DataFrame(columns=list(WATERFALL_COLUMNS.values()))
    if "record_number" in frame.columns:
        frame = frame[frame["record_number"] == record]
    if "bar_sort_order" in frame.columns:
        frame = frame.sort_values("bar_sort_order")
    frame = frame[list(WATERFALL_COLUMNS)].rename(columns=WATERFALL_COLUMNS)
    frame["Column"] = frame["Column"].map(_waterfall_name)
    frame["Match weight"] = pd.to_numeric(frame["Match weight"], errors="coerce").map(
        lambda v: "" if pd.isna(v) else f"{v:+.2f}".replace("-", "−")
    )
    for side in ("Left record", "Right record", "Level reached"):
        frame[side] = frame[side].map(lambda v: "" if v is None or v != v else str(v))
    return frame.reset_index(drop=True)


def _waterfall_name(name: Any) -> str:
    text = str(name)
    if text.startswith("tf_"):
        return text[3:].replace("_", " ") + " (frequency)"
    return text.replace("_", " ")


def _drop_value_labels(node: Any) -> None:
    """Remove the small value texts Splink prints above each bar: at a readable size they
    overprint the bars beside them (the values are in the tooltip and the table view)."""
    if isinstance(node, list):
        for item in node:
            _drop_value_labels(item)
        return
    if not isinstance(node, dict):
        return
    layers = node.get("layer")
    if isinstance(layers, list):
        node["layer"] = [layer for layer in layers if not _is_value_label(layer)]
    for key, value in node.items():
        if key not in ("data", "datasets"):
            _drop_value_labels(value)


def _is_value_label(layer: Any) -> bool:
    if not isinstance(layer, dict):
        return False
    text = layer.get("encoding", {}).get("text")
    return isinstance(text, dict) and text.get("field") in ("value_l", "value_r")


def _date_text(value: Any) -> Any:
    """A date at midnight as ``YYYY-MM-DD`` (Splink would print ``00:00:00`` after it)."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return value


def _wrap_column_names(node: Any) -> None:
    """Name the waterfall's bars once, on the axis, broken at underscores, so neighbouring
    names (``tf_first_name``, ``middle_names``) never overprint."""
    if isinstance(node, list):
        for item in node:
            _wrap_column_names(item)
        return
    if not isinstance(node, dict):
        return
    encoding = node.get("encoding", {})
    text = encoding.get("text") if isinstance(encoding, dict) else None
    mark = node.get("mark")
    if isinstance(text, dict) and text.get("field") == "column_name" and isinstance(mark, dict):
        # the axis below names every bar; the same names above the bars overprint
        encoding["text"] = {"value": ""}
    x = encoding.get("x") if isinstance(encoding, dict) else None
    if isinstance(x, dict) and x.get("field") == "column_name":
        axis = x.setdefault("axis", {})
        if isinstance(axis, dict):
            axis["labelAngle"] = 0
            axis["labelAlign"] = "center"
            # "tf_first_name" (Splink's term-frequency adjustment) reads "first / name /
            # (frequency)"; other names break at underscores
            axis["labelExpr"] = (
                "datum.label == 'Prior' || datum.label == 'Final score' ? datum.label : "
                "indexof(datum.label, 'tf_') == 0 ? "
                "split(substring(datum.label, 3) + '_(frequency)', '_') : "
                "split(datum.label, '_')"
            )
            axis["labelOverlap"] = False
    y = encoding.get("y") if isinstance(encoding, dict) else None
    if (
        isinstance(y, dict)
        and isinstance(y.get("axis"), dict)
        and y["axis"].get("orient") == "right"
    ):
        # the probability axis: three figures, so 5 and 10 read 0.970 and 0.999, not "1.0"
        # twice; past a weight of 12 every probability rounds to 1, so those ticks are blank
        y["axis"]["labelExpr"] = (
            "abs(datum.value) > 12 ? '' : format(1 / (1 + pow(2, -1 * datum.value)), '.3~r')"
        )
    for key, value in node.items():
        if key not in ("data", "datasets"):
            _wrap_column_names(value)


def match_weight_histogram(pairs: pd.DataFrame, bins: int = 40) -> alt.Chart:
    """Histogram of the match weights of scored pairs."""
    return (
        alt.Chart(pairs[["match_weight"]])
        .mark_bar()
        .encode(
            x=alt.X("match_weight:Q", bin=alt.Bin(maxbins=bins), title="Match weight"),
            y=alt.Y("count():Q", title="Pairs"),
        )
        .properties(title="Match weights of scored pairs")
    )


SIZE_BANDS: tuple[tuple[str, int, float], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3–5", 3, 5),
    ("6–10", 6, 10),
    ("11–50", 11, 50),
    (">50", 51, float("inf")),
)


def cluster_size_bands(size_distribution: pd.DataFrame) -> pd.DataFrame:
    """Clusters counted in size bands ("1", "2", "3–5", "6–10", "11–50", ">50").

    Args:
        size_distribution: ``cluster_size`` and ``n_clusters`` per size.

    Returns:
        ``band``, ``n_clusters``, ``records`` and ``text`` (the count with thousands
        separators) for every band, empty ones included, smallest sizes first.
    """
    sizes = pd.to_numeric(size_distribution["cluster_size"], errors="coerce")
    counts = pd.to_numeric(size_distribution["n_clusters"], errors="coerce").fillna(0)
    rows = []
    for band, low, high in SIZE_BANDS:
        inside = (sizes >= low) & (sizes <= high)
        n = int(counts[inside].sum())
        rows.append((band, n, int((counts[inside] * sizes[inside]).sum()), f"{n:,}"))
    return pd.DataFrame(rows, columns=["band", "n_clusters", "records", "text"])


def cluster_size_chart(size_distribution: pd.DataFrame) -> alt.LayerChart:
    """Number of clusters in each size band (from ``ClusterSummary.size_distribution``), each
    bar labelled with its count, so bands of a few clusters beside tens of thousands of
    single records can still be read."""
    from workbench.charts import TEXT_COLOUR, accessible_palette

    data = cluster_size_bands(size_distribution)
    top = max(float(data["n_clusters"].max()), 1.0)
    order = [band for band, _, _ in SIZE_BANDS]
    base = alt.Chart(data).encode(
        x=alt.X("band:O", sort=order, title="Records in cluster", axis=alt.Axis(labelAngle=0)),
        tooltip=[
            alt.Tooltip("band:N", title="Records in cluster"),
            alt.Tooltip("n_clusters:Q", title="Clusters", format=","),
            alt.Tooltip("records:Q", title="Records", format=","),
        ],
    )
    y = alt.Y(
        "n_clusters:Q",
        title="Clusters (log scale)",
        scale=alt.Scale(type="symlog", domain=[0, top * 3], nice=False),
        axis=alt.Axis(values=_log_ticks(top), labelExpr="format(datum.value, ',')"),
    )
    bars = base.mark_bar(color=accessible_palette()[0]).encode(y=y)
    labels = base.mark_text(dy=-8, color=TEXT_COLOUR, fontSize=12).encode(y=y, text="text:N")
    return alt.layer(bars, labels).properties(title="Cluster sizes", height=300)


def _log_ticks(top: float) -> list[int]:
    ticks, tick = [0, 1], 10
    while tick <= top * 3:
        ticks.append(tick)
        tick *= 10
    return ticks
