"""The Feature maps page's views: every layer map by map, one map up close, and max pooling window by window.

A whole layer is drawn as one PNG mosaic (``layout.show_layer``), single maps and pooling as hoverable heatmaps.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates
from torch import nn

from cnnviz import inspect as net_inspect
from cnnviz.images import encode_png
from cnnviz.inspect import PoolingWindows
from cnnviz.network_strip import Part, display_limit, network_strip
from cnnviz.pooling_region import PoolingRegion, busiest_region, pooling_region
from cnnviz.render import (
    GAP_RGB,
    clicked_pixel,
    conv_blocks,
    diverging_rgb,
    grey_picture,
    pick_picture,
    shared_limit,
    strongest_map,
)
from cnnviz.slides import gif_bytes, titled_png
from cnnviz.unit_paths import POOLS, PoolingFate, TraceStep, pooling_fate, strongest_unit, trace_unit
from cnnviz.unit_pictures import marked, numbered_pairs, pair_grid, vector_grid
from cnnviz.units import EXPLAINED, UnitExplanation, explain_unit
from cnnviz.view_links import LinkParam
from cnnviz.window_frames import window_frames
from cnnviz_ui.charts import draw_box, map_figure
from cnnviz_ui.conv_diagram import Prepared, diagram_html
from cnnviz_ui.layout import friendly_errors, mosaic_legend, show_layer, show_picture, wrapping_columns
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.plots import CHART_MIN_WIDTH
from cnnviz_ui.presenting import explanation, figure_font_px
from cnnviz_ui.resources import SHIPPED, figure_once
from cnnviz_ui.slides import download_gif_button, download_png_button
from cnnviz_ui.state import lasting_args

# The strip is drawn in two rows with labels at twice the figure's type size: about 910 px wide for the shipped
# convnet, its labels still read at >= 14 px in the 564 px column of a 1024 px screen with the sidebar open.
STRIP_ROWS = 2


def strip_font_px(font_px: int) -> int:
    """The strip's label size in its PNG for figure type of ``font_px``: 28 px drawn, 2x the usual 14, shown at
    about 0.6x in a 1024 px screen's column; presenting (no sidebar, a wider column), 1.6x the 18 px."""
    return max(28, round(font_px * 1.6))


LINK_PAGE = "feature_maps"
# The unit's layer and position default to values no view has, so a link always carries the whole unit.
LINK_PARAMS = [
    LinkParam("model", str, "Shipped convnet", choices=tuple(SHIPPED), key="fm_model"),
    LinkParam("digit", int, 0, low=0, high=9999, key="fm_index", label="test digit"),
    LinkParam("layer", str, "", key="fm_unit_layer"),
    LinkParam("map", int, -1, key="fm_unit_map"),
    LinkParam("row", int, -1, key="fm_unit_row"),
    LinkParam("col", int, -1, key="fm_unit_col", label="column"),
]


def every_layer(key: str, model: nn.Module, acts: dict[str, np.ndarray], layers: list[str]) -> None:
    """Every layer's maps, block by block (conv → relu → pool share one colour scale), conv1's filters first."""
    st.header("Every layer, map by map")
    per_map = st.toggle(
        "Stretch each map to its own range (shows the shape of weak maps)", key="fm_per_map", persist_state="session"
    )
    for number, block in enumerate(conv_blocks(layers)):
        # Full colour at the 99.5th percentile of the block's non-zero values, not at its single largest one:
        # with the maximum, most ReLU and pool values were a pale pink that vanished on a projector.
        limit = display_limit(np.concatenate([acts[name].ravel() for name in block]))
        st.subheader(" → ".join(block))
        mosaic_legend(limit)
        panels = (["filters"] if block[0] == "conv1" else []) + block
        for row, pair in enumerate(panels[i : i + 2] for i in range(0, len(panels), 2)):
            # Two mosaics side by side only where each gets 420 px: at 1024 px with the sidebar open they stack,
            # and each map is twice as big.
            columns = wrapping_columns(2, f"fm_every_{number}_{row}", 420, gap="large")
            for column, name in zip(columns, pair, strict=False):
                with column:
                    if name == "filters":  # filter k makes map k: same place in both grids
                        filters = net_inspect.conv_filters(model, "conv1")[:, 0].numpy()
                        show_layer(key, "conv1 filters", filters, shared_limit(filters), per_map=False, what="filters")
                        count, rows, cols = filters.shape
                        st.caption(
                            f"The {count} learned {rows}×{cols} filters of conv1 (own colour scale). Filter k "
                            "makes map k: same place in the grid."
                        )
                    else:
                        show_layer(key, name, acts[name], limit, per_map)
    flat = [name for name in acts if acts[name].ndim == 1]
    st.caption(
        f"Then {' → '.join(flat)}: {acts[flat[0]].size} numbers become {acts[flat[-1]].size} class scores "
        f"(the bar chart above, after softmax)."
    )


@st.fragment
def one_map(key: str, model: nn.Module, acts: dict[str, np.ndarray], layers: list[str]) -> None:
    """One conv map and its filter, before and after ReLU (and pooling), on the map's own colour scale."""
    st.header("One map up close: before and after ReLU")
    convs = [n for n in layers if n.startswith("conv")]
    c1, c2 = st.columns([1, 3])
    conv = c1.selectbox("Conv layer", convs, **lasting_args("fm_zoom_layer", convs.__contains__, 0, "index"))
    count = acts[conv].shape[0]
    strongest = strongest_map(acts[conv])
    index = c2.slider("Map number", 0, count - 1, **lasting_args(f"fm_zoom_map_{conv}", lambda v: v < count, strongest))
    block = next(b for b in conv_blocks(layers) if b[0] == conv)
    limit = shared_limit(acts[conv][index])
    font_px = figure_font_px(14)
    figures = wrapping_columns(len(block) + 1, "fm_zoom_figures", CHART_MIN_WIDTH)
    weights = net_inspect.conv_filters(model, conv)[index].numpy()  # (C_in, 3, 3)
    peak = shared_limit(weights)
    with figures[0]:
        if len(weights) == 1:
            show_picture(
                st,
                figure_once(
                    (key, "filter", conv, index, font_px),
                    lambda: readable(map_figure(weights[0], f"filter {index}", peak, numbers=True), font_px),
                ),
                "fm_zoom_filter",
                weights[0].shape,
            )
        else:
            show_layer(key, f"{conv} filter {index}", weights, peak, per_map=False, what="slices")
            st.caption(f"One 3×3 slice per input map: filter {index} adds up all {len(weights)} of them.")
    for column, name in zip(figures[1:], block, strict=True):
        figure = figure_once(
            (key, name, index, font_px),
            lambda name=name: readable(
                map_figure(acts[name][index], f"{name}, map {index}", limit, scale=name == block[-1]), font_px
            ),
        )
        show_picture(column, figure, f"fm_zoom_{name}", acts[name][index].shape)


def _window_lines(
    figure: go.Figure, top: int, left: int, rows: int, cols: int, k: int, colour: str, width: float
) -> None:
    """Lines around every k x k pooling window of a region (cell centres at integer coordinates)."""
    xs, ys = [], []
    for r in range(0, rows + 1, k):
        ys += [top + r - 0.5] * 2 + [None]
        xs += [left - 0.5, left + cols - 0.5, None]
    for c in range(0, cols + 1, k):
        xs += [left + c - 0.5] * 2 + [None]
        ys += [top - 0.5, top + rows - 0.5, None]
    figure.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width}, hoverinfo="skip", showlegend=False)
    )


def _fit_axes(figure: go.Figure, top: int, left: int, rows: int, cols: int) -> None:
    """Axes exactly around the cells: the lines and dots drawn over a map would otherwise widen its range
    (plotly pads markers), drawing the map smaller and lower than the one beside it."""
    figure.update_xaxes(autorangeoptions={"minallowed": left - 0.5, "maxallowed": left + cols - 0.5})
    figure.update_yaxes(autorangeoptions={"minallowed": top - 0.5, "maxallowed": top + rows - 0.5})


def dropped_note(name: str, shape: tuple[int, int], pooled: PoolingWindows) -> str | None:
    """A sentence on the rows and columns no pooling window reaches (relu2 is 11x11: 5 windows of 2 cover
    10), or None when the windows cover the map. They are drawn outside the grid and silently lost."""
    k, s = pooled.kernel, pooled.stride
    lost = []
    for axis, size, covered in zip(("row", "column"), shape, pooled.covered, strict=True):
        if covered < size:
            lost.append(
                f"the last {axis} ({axis} {covered}, counting from 0)"
                if size - covered == 1
                else f"the last {size - covered} {axis}s ({axis}s {covered}-{size - 1}, counting from 0)"
            )
    if not lost:
        return None
    return (
        f"{name} is {shape[0]}×{shape[1]}, but only floor(({shape[0]} - {k}) / {s}) + 1 = "
        f"{pooled.output.shape[0]} windows fit per side: {' and '.join(lost)} lie in no window and are dropped, "
        "as the output-size formula's floor says (PyTorch's MaxPool2d does the same)."
    )


def pooling_figures(
    feature_map: np.ndarray, pooled: PoolingWindows, region: tuple[int, int, int], limit: float, names: tuple[str, str]
) -> tuple[go.Figure, go.Figure]:
    """Before and after pooling for the whole map, the stepped region outlined in orange in both.

    ``region`` = (first window row, first window column, windows per side). Winning cells are dotted in the
    map before pooling (where the window is not all zero).
    """
    k, s = pooled.kernel, pooled.stride
    w_row, w_col, n = region
    winners = pooled.winners.reshape(-1, 2)
    positive = pooled.output.reshape(-1) > 0
    height = 440
    overview = map_figure(
        feature_map,
        f"{names[0]} ({feature_map.shape[0]}×{feature_map.shape[1]})",
        limit,
        height=height,
        scale=False,
        gap=0,
    )
    _window_lines(overview, 0, 0, pooled.output.shape[0] * s, pooled.output.shape[1] * s, s, "#9ca3af", 0.6)
    overview.add_trace(
        go.Scatter(
            x=winners[positive, 1],
            y=winners[positive, 0],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker={"size": 4, "color": "black"},
        )
    )
    draw_box(overview, w_row * s, w_col * s, (n - 1) * s + k)
    _fit_axes(overview, 0, 0, *feature_map.shape)
    after = map_figure(
        pooled.output, f"{names[1]} ({pooled.output.shape[0]}×{pooled.output.shape[1]})", limit, height=height
    )
    draw_box(after, w_row, w_col, n)
    return overview, after


def readable(figure: go.Figure, font_px: int) -> go.Figure:
    """The figure's titles, cell numbers, ticks and colour-bar numbers at ``font_px`` (>= 14, 18 presenting):
    plotly's own 11-12 px vanish on a projector."""
    figure.update_annotations(font_size=font_px)
    figure.update_traces(textfont_size=font_px, selector={"type": "heatmap"})
    figure.update_traces(colorbar_tickfont_size=font_px, selector={"type": "heatmap"})
    figure.update_xaxes(tickfont_size=font_px)
    figure.update_yaxes(tickfont_size=font_px)
    return figure


@st.cache_data(max_entries=16, show_spinner=False)
def pooling_gif(key: str, pool: str, index: int, row: int, col: int, title: str, _region: PoolingRegion) -> bytes:
    """The stepped pooling windows as a GIF, one frame per pooled cell (made when the button is pressed)."""
    return gif_bytes(_pooling_frames(_region, title), ms=800)  # the title in every frame: a GIF has no other


@st.cache_data(max_entries=16, show_spinner=False)
def pooling_png(key: str, pool: str, index: int, row: int, col: int, title: str, _region: PoolingRegion) -> bytes:
    """The last step of the pooling windows (every pooled cell filled in), at 2x with its title."""
    return titled_png(_pooling_frames(_region, "")[-1], title, scale=2)


def _pooling_frames(region: PoolingRegion, title: str) -> list:
    offset = (region.first_row, region.first_col, region.top, region.left)  # the steps name the map's own cells
    return window_frames(
        region.grid, region.values, None, region.outputs, region.winners, title=title, cell=48, offset=offset
    )


@st.fragment
def pooling_section(key: str, model: nn.Module, acts: dict[str, np.ndarray], layers: list[str]) -> None:
    """Max pooling of one map: windows drawn and winners dotted on the whole map, then a few windows of it
    stepped one by one with the real numbers (a fragment)."""
    pools = [(layers[i - 1], name) for i, name in enumerate(layers) if name.startswith("pool") and i > 0]
    if not pools:
        return
    st.header("Max pooling, window by window")
    with explanation("pooling"):
        st.markdown(
            "Each 2×2 window (grey lines) keeps only its largest value (black dot): the map halves in size, "
            "and a feature that moves by a pixel inside its window still gives the same output."
        )
    c1, c2, c3, c4 = wrapping_columns(4, "fm_pool_controls", 120)  # 3 + 1 rows at 150% zoom, not "relu1 → poo"
    choices = {f"{before} → {after}": (before, after) for before, after in pools}
    source, pool = choices[
        c1.selectbox("Pooling layer", list(choices), **lasting_args("fm_pool_layer", choices.__contains__, 0, "index"))
    ]
    maps = acts[source]
    count = maps.shape[0]
    strongest = strongest_map(maps)
    index = c2.slider(
        "Map to pool", 0, count - 1, **lasting_args(f"fm_pool_map_{pool}", lambda v: v < count, strongest)
    )
    layer = getattr(model, pool)
    pooled = net_inspect.pooling_windows(maps[index], layer.kernel_size, layer.stride)
    out_h, out_w = pooled.output.shape
    n = min(3, out_h, out_w)
    best_r, best_c = busiest_region(pooled.output, n)
    row = c3.slider("Zoom: row", 0, out_h - n, **lasting_args(f"fm_pool_row_{pool}", lambda v: v <= out_h - n, best_r))
    col = c4.slider(
        "Zoom: column", 0, out_w - n, **lasting_args(f"fm_pool_col_{pool}", lambda v: v <= out_w - n, best_c)
    )
    region = pooling_region(pooled, maps[index], row, col, n)
    font_px = figure_font_px(14)
    side = region.values.shape[0]
    where = f"rows {region.top}–{region.top + side - 1}, cols {region.left}–{region.left + side - 1}"
    st.markdown(
        f"**Window by window**: {n * n} windows of {source} map {index} (the orange square in the map below). "
        "Step with ◀ ▶ or **Play**; presenting, with ← → and Space."
    )
    titles = {
        "inputTitle": f"{source}, map {index}",
        "inputSub": where,
        "outputTitle": f"{pool}, map {index}",
        "outputSub": f"from cell ({row}, {col})",  # short: wider than its 3 cells, it would shrink the diagram
        "decimals": 2,
        "cell": round((font_px + 2) * 2.9),  # "2.80" fits its cell at any type size
        "offset": [row, col, region.top, region.left],
        "inName": f"{source} map {index}",
        "outName": pool,
    }
    prepared = Prepared(region.grid, "max", region.values, outputs=region.outputs, winners=region.winners)
    # Numbers 2 px above the figure size: the diagram writes its subtitles (the rows and columns) 2 px smaller.
    with st.container(key="fm_pool_steps"):
        st.iframe(diagram_html(prepared, font_px + 2, "max", titles), height="content")
    title = f"Max pooling of {source} map {index}, {where.replace('–', '-').replace('cols', 'columns')}"
    with st.container(horizontal=True, key="fm_pool_downloads"):
        download_gif_button(partial(pooling_gif, key, pool, index, row, col, title, region), title, key="fm_pool_gif")
        download_png_button(partial(pooling_png, key, pool, index, row, col, title, region), title, key="fm_pool_png")
    limit = shared_limit(maps[index])
    figures = figure_once(
        (key, "pool", pool, index, row, col, font_px),
        lambda: tuple(
            readable(f, font_px)
            for f in pooling_figures(maps[index], pooled, (row, col, n), limit, (f"{source}, map {index}", f"{pool}"))
        ),
    )
    overview, after = figures
    left, right = st.columns(2)
    show_picture(left, overview, "fm_pool_before", maps[index].shape)
    show_picture(right, after, "fm_pool_after", pooled.output.shape)
    dropped = dropped_note(source, maps[index].shape, pooled)
    if dropped:
        st.caption(dropped)
    per_window = pooled.kernel * pooled.kernel
    st.caption(
        f"The orange square's {n * n} windows keep {', '.join(f'{v:.2f}' for v in region.outputs.ravel())}; the "
        f"other {n * n * (per_window - 1)} values are thrown away. In an all-zero window every cell ties; like "
        "PyTorch, the first one in reading order counts as the winner."
    )


# ---- Inside one value (issue 24): any unit of any layer, with the real numbers, and the whole network ----

UNIT_KEYS = ("fm_unit_layer", "fm_unit_map", "fm_unit_row", "fm_unit_col")
CLICK_KEY = "fm_unit_click"
VECTOR_COLUMNS = 16  # a dense layer's values drawn as rows of 16 cells to click


def restore_link() -> None:
    """Put a link's model, test digit and unit into the widgets (call before they are drawn); a link with a
    digit also picks "Test digit" and "By index", or the digit's number would not be what is shown."""
    restore_from_link(LINK_PAGE, LINK_PARAMS)
    restored_now = st.session_state.get(f"_link_restored__{LINK_PAGE}", {}) is None  # see links.restore_from_link
    if restored_now and "digit" in st.query_params and st.session_state.get("fm_index") is not None:
        st.session_state["fm_source"], st.session_state["fm_pick_by"] = "Test digit", "By index"


LINK_NOTE = "fm_link_unit_note"


def link_note(box, model: nn.Module, acts: dict[str, np.ndarray]) -> None:
    """On a link's first run, a layer this model lacks or a unit outside its layer is replaced by what is shown
    (before the unit's widgets exist) and noted in ``box``, under the title where a student looks first: the
    same sentence further down, under the whole network, went unseen. The note stays until the unit changes."""
    if st.session_state.get(f"_link_restored__{LINK_PAGE}", {}) is None:  # see links.restore_from_link
        layers = unit_layers(model, acts)
        layer = st.session_state.get("fm_unit_layer")
        problem = None
        if layers and layer and layer not in layers:
            shown = default_layer(layers)
            problem = f"This model has no layer {layer}: showing {shown} instead."
            _set_unit(shown, strongest_unit(acts, shown))
        elif layers and layer:
            values = acts[layer]
            given = [st.session_state.get(k) for k in UNIT_KEYS[1 : 1 + (3 if values.ndim == 3 else 1)]]
            if all(isinstance(n, int) for n in given):
                unit, problem = checked_unit(layer, values, given)
                _set_unit(layer, unit)
        st.session_state[LINK_NOTE] = (problem, _unit_state())
    problem, noted = st.session_state.get(LINK_NOTE, (None, None))
    if problem and noted == _unit_state():
        box.caption(f"From the link: {problem}")


def _unit_state() -> tuple:
    return tuple(st.session_state.get(k) for k in UNIT_KEYS)


def unit_layers(model: nn.Module, acts: dict[str, np.ndarray]) -> list[str]:
    """The layers whose values can be explained one by one (every layer of ``acts`` but Flatten and the like)."""
    modules = dict(model.named_modules())
    return [name for name in acts if isinstance(modules.get(name), EXPLAINED)]


def strip_layers(model: nn.Module, acts: dict[str, np.ndarray]) -> list[str]:
    """The layers the whole-network strip draws: convs, pools and dense layers (activations are left out)."""
    modules = dict(model.named_modules())
    return [name for name in acts if isinstance(modules.get(name), (nn.Conv2d, nn.Linear, *POOLS))]


def default_layer(layers: list[str]) -> str:
    """conv2 (the issue's example: one value made of 32 maps) if the model has it, else its first layer."""
    return "conv2" if "conv2" in layers else layers[0]


@st.cache_data(max_entries=256, show_spinner=False)
def explained(
    key: str, layer: str, unit: tuple[int, ...], _model: nn.Module, _image: np.ndarray
) -> tuple[UnitExplanation, PoolingFate | None, list[TraceStep]]:
    """``explain_unit``, ``pooling_fate`` and ``trace_unit`` of one unit, cached by ``run_key``, layer and unit."""
    fate = pooling_fate(_model, _image, layer, unit) if len(unit) == 3 else None
    return explain_unit(_model, _image, layer, unit), fate, trace_unit(_model, _image, layer, unit)


@st.cache_data(max_entries=128, show_spinner=False)
def unit_pngs(key: str, layer: str, unit: tuple[int, ...], font_px: int, _e: UnitExplanation) -> tuple[bytes, bytes]:
    """(all pairs as a grid, the strongest four enlarged with numbers) as PNG bytes."""
    source = _e.source or "input"
    grid = pair_grid(_e.inputs, _e.weights, _e.partial_sums, _e.order, _e.channels, columns=4, font_px=font_px)
    top = numbered_pairs(_e.inputs, _e.weights, _e.partial_sums, _e.order, _e.channels, 4, font_px, source)
    return encode_png(grid), encode_png(top)


@st.cache_data(max_entries=64, show_spinner=False)
def strip_png(
    key: str, unit_layer: str, unit: tuple[int, ...], font_px: int, names: tuple | None, _layers, _probs, _trace
) -> bytes:
    """The whole-network strip with one unit's trace, as PNG bytes, cached by run, unit and type size."""
    return encode_png(
        network_strip(_layers, _probs, names, _trace, unit_layer, height=160, font_px=font_px, rows=STRIP_ROWS)
    )


def _set_unit(layer: str, unit: tuple[int, ...]) -> None:
    st.session_state["fm_unit_layer"] = layer
    st.session_state["fm_unit_map"] = unit[0]
    if len(unit) == 3:
        st.session_state["fm_unit_row"], st.session_state["fm_unit_col"] = unit[1], unit[2]


def _layer_changed(acts: dict[str, np.ndarray]) -> None:
    """A new layer picked by hand opens on its strongest unit (a link sets layer and unit together instead)."""
    layer = st.session_state["fm_unit_layer"]
    _set_unit(layer, strongest_unit(acts, layer))


def _strongest_of_map(acts: dict[str, np.ndarray]) -> None:
    layer = st.session_state["fm_unit_layer"]
    values = acts[layer]
    if values.ndim == 3:
        channel = int(np.clip(st.session_state.get("fm_unit_map", 0), 0, len(values) - 1))
        _set_unit(layer, strongest_unit(acts, layer, channel))
    else:
        _set_unit(layer, strongest_unit(acts, layer))


def _apply_click(values: np.ndarray) -> None:
    """A new click on the map (not one already applied) picks the unit under it."""
    click = st.session_state.get(CLICK_KEY)
    if not isinstance(click, dict) or click.get("unix_time") == st.session_state.get("fm_unit_clicked"):
        return
    st.session_state["fm_unit_clicked"] = click.get("unix_time")
    shape = values.shape[1:] if values.ndim == 3 else vector_grid(values, VECTOR_COLUMNS).shape
    try:
        row, col = clicked_pixel(click, shape)
    except (KeyError, TypeError, ValueError, OverflowError):
        return
    if values.ndim == 3:
        st.session_state["fm_unit_row"], st.session_state["fm_unit_col"] = row, col
    elif row * shape[1] + col < len(values):
        st.session_state["fm_unit_map"] = row * shape[1] + col


def checked_unit(layer: str, values: np.ndarray, numbers: list[int]) -> tuple[tuple[int, ...], str | None]:
    """The typed (map, row, col) or (j,) inside ``values``, clamped, with a sentence when it was outside."""
    limits = values.shape if values.ndim == 3 else values.shape[:1]
    names = ("map", "row", "column") if values.ndim == 3 else ("unit",)
    unit, problems = [], []
    for name, number, size in zip(names, numbers, limits, strict=False):
        kept = int(min(max(number, 0), size - 1))
        if kept != number:
            problems.append(f"{name} {number} is outside {layer} (0 to {size - 1}), so {name} {kept} is shown")
        unit.append(kept)
    return tuple(unit), ("; ".join(problems) + ".").capitalize() if problems else None


def _unit_name(layer: str, unit: tuple[int, ...], names: tuple[str, ...] | None = None) -> str:
    if len(unit) == 3:
        return f"{layer}, map {unit[0]}, row {unit[1]}, column {unit[2]}"
    if layer == "fc2" or (names is not None and len(unit) == 1):
        return f"{layer}, unit {unit[0]}" + (f" ({names[unit[0]]})" if names and unit[0] < len(names) else "")
    return f"{layer}, unit {unit[0]}"


def unit_controls(layers: list[str], acts: dict[str, np.ndarray]) -> tuple[str, tuple[int, ...], str | None]:
    """Layer, map (or unit) and row/column boxes and the strongest-unit button; returns the checked unit."""
    layer = st.session_state.get("fm_unit_layer")
    note = None
    if layer not in layers:
        if layer is not None:
            note = f"This model has no layer {layer}: showing {default_layer(layers)} instead."
        layer = default_layer(layers)
        _set_unit(layer, strongest_unit(acts, layer))
    values = acts[layer]
    if "fm_unit_map" not in st.session_state or (values.ndim == 3 and "fm_unit_row" not in st.session_state):
        _set_unit(layer, strongest_unit(acts, layer))
    _apply_click(values)
    spatial = values.ndim == 3
    boxes = wrapping_columns([1.4, 1, 1, 1], "fm_unit_controls", 110, vertical_alignment="bottom")
    boxes[0].selectbox(
        "Layer",
        layers,
        key="fm_unit_layer",
        on_change=_layer_changed,
        args=(acts,),
        format_func=lambda n: f"{n} ({' × '.join(map(str, acts[n].shape))})",
    )
    numbers = [int(boxes[1].number_input("Map" if spatial else "Unit", step=1, key="fm_unit_map"))]
    if spatial:
        numbers.append(int(boxes[2].number_input("Row", step=1, key="fm_unit_row")))
        numbers.append(int(boxes[3].number_input("Column", step=1, key="fm_unit_col")))
    unit, problem = checked_unit(layer, values, numbers)
    return layer, unit, " ".join(p for p in (note, problem) if p) or None


def _map_picture(values: np.ndarray, unit: tuple[int, ...]) -> np.ndarray:
    """The chosen map (or a dense layer's values in rows of 16) in colour, the unit outlined in red."""
    if values.ndim == 3:
        shown = values[unit[0]]
        row, col = unit[1], unit[2]
    else:
        shown = vector_grid(values, VECTOR_COLUMNS)
        row, col = divmod(unit[0], shown.shape[1])
    rgb, _ = diverging_rgb(np.nan_to_num(shown), display_limit(values))
    rgb[np.isnan(shown)] = GAP_RGB
    return pick_picture(rgb, row, col, side=300)


def _sum_table(e: UnitExplanation) -> pd.DataFrame:
    """The partial sums strongest first with the running total, then the bias and the value."""
    source = e.source or "input"
    vector = e.inputs.shape[1:] == (1, 1)
    what = f"{source} value" if vector else f"{source} map"
    order = e.order
    sums = e.partial_sums[order]
    rows = [f"{what} {int(c)}" for c in e.channels[order]]
    table = pd.DataFrame({"input": rows, "partial sum": sums, "running total": np.cumsum(sums)})
    tail = pd.DataFrame(
        {"input": ["bias", "= value"], "partial sum": [e.bias, np.nan], "running total": [e.total, e.total]}
    )
    return pd.concat([table, tail], ignore_index=True).set_index("input")  # names as row headers, no 0, 1, 2


def _fate_text(fate: PoolingFate | None, acts: dict[str, np.ndarray]) -> str | None:
    if fate is None:
        return None
    cells = ", ".join(f"(row {r}, column {c})" for _, r, c in fate.cells)
    if fate.kind == "average pool":
        return f"→ **{fate.pool}** averages it into cell {cells} of map {fate.cells[0][0]}."
    if fate.kept:
        return f"→ **{fate.pool}**: it falls in the window of cell {cells} and **wins**: {fate.value:.4f} is kept."
    kept = max(float(acts[fate.pool][cell]) for cell in fate.cells)
    return (
        f"→ **{fate.pool}**: it falls in the window of cell {cells} and **loses**: the window keeps {kept:.4f}, "
        f"so {fate.value:.4f} goes no further."
    )


def _formula(e: UnitExplanation, fate: PoolingFate | None, acts: dict[str, np.ndarray], title: str) -> list[str]:
    """The unit's computation in lines of markdown, with the real numbers."""
    lines = [f"**{title} = {e.value:.4f}**"]
    source = e.source or "the input"
    if e.kind in ("conv", "linear"):
        count = len(e.channels)
        what = "value" if e.inputs.shape[1:] == (1, 1) else "map"
        lines.append(
            f"= the sum of **{count} partial sum{'s' if count != 1 else ''}**, one per {what} of {source}: "
            f"{e.partial_sums.sum():.4f}, "
            f"+ **bias** {e.bias:.4f} = **{e.total:.4f}**"
        )
    elif e.kind == "max pool":
        _, row, col = e.winner
        lines.append(
            f"= the largest of the {e.padded.size} values in its window of {source} map {e.channels[0]} "
            f"(rows {e.window[0][0]}–{e.window[0][-1]}, columns {e.window[1][0]}–{e.window[1][-1]}): "
            f"the winner is at row {row}, column {col}."
        )
    elif e.kind == "average pool":
        lines.append(f"= the mean of its window in {source} map {e.channels[0]}: {e.total:.4f}")
    elif e.kind == "activation":
        lines.append(f"= {e.layer} of the value before it in {source}: {e.total:.4f} → **{e.value:.4f}**")
    else:
        lines.append(f"= {e.weights.ravel()[0]:.4f} × {e.inputs.ravel()[0]:.4f} + {e.bias:.4f}")
    if e.activation is not None and e.activated is not None:
        lines.append(
            f"→ **{e.activation}**: max(0, {e.value:.4f}) = **{e.activated:.4f}**"
            if "relu" in e.activation.lower()
            else f"→ **{e.activation}** = **{e.activated:.4f}**"
        )
    fate_line = _fate_text(fate, acts)
    if fate_line:
        lines.append(fate_line)
    return lines


def _strip_trace(steps: list[TraceStep], shown: set[str]) -> dict[str, Part]:
    parts = {}
    for step in steps:
        name = step.layer or "input"
        if name not in shown:
            continue
        spans = step.spans
        rows, cols = (None, None) if step.rows is None else (spans or ((0, 0), (0, 0)))
        parts[name] = Part(step.channels, rows, cols)
    return parts


@st.fragment
def inside_one_value(
    key: str,
    model: nn.Module,
    image: np.ndarray,
    acts: dict[str, np.ndarray],
    probs: np.ndarray,
    names: tuple[str, ...] | None,
    link: dict,
) -> None:
    """The whole network at a glance, then one value of any layer computed with the real numbers (a fragment:
    a click or a typed position reruns only this part). ``link``: the page's other linked settings."""
    layers = unit_layers(model, acts)
    if not layers:
        st.info("This model has no layer whose values can be explained one by one.")
        return
    font_px = figure_font_px(14)
    st.subheader("Whole network at a glance")
    strip_box = st.container(key="fm_strip")
    st.header("Inside one value: how it is computed")
    with explanation("unit"):
        st.markdown(
            "Click any value of the map below, or type its position. A conv value reads a small window in "
            "**every** map of the layer before: each window is multiplied by its own kernel slice and summed "
            "(a **partial sum**); the partial sums plus the **bias** give the value, then ReLU and pooling decide "
            "what goes on. A dense value reads all values of the layer before."
        )
    layer, unit, problem = unit_controls(layers, acts)
    values = acts[layer]
    if problem:
        st.caption(problem)
    with friendly_errors():
        e, fate, steps = explained(key, layer, unit, model, image)
        title = _unit_name(layer, unit, names)
        picked, receptive, formula = wrapping_columns([1, 1, 1.4], "fm_unit_top", 230, gap="medium")
        with picked:
            streamlit_image_coordinates(_map_picture(values, unit), key=CLICK_KEY, width="stretch", cursor="crosshair")
            shown = f"map {unit[0]} of {layer}" if values.ndim == 3 else f"{layer}'s {len(values)} values, 16 a row"
            st.caption(f"{shown}: click a value. The red square is {title} = {e.value:.4f}.")
            strongest = "Strongest unit of this map" if values.ndim == 3 else "Strongest unit of this layer"
            st.button(strongest, key="fm_unit_strongest", on_click=_strongest_of_map, args=(acts,))
        with receptive:
            field = steps[-1]
            grey = np.repeat(grey_picture(image, image.shape[0])[..., None], 3, axis=2)
            st.image(marked(grey, field.spans, side=300), width="stretch", output_format="PNG")
            reads = (
                "every pixel"
                if field.spans == ((0, image.shape[0] - 1), (0, image.shape[1] - 1))
                else (
                    f"rows {field.spans[0][0]}–{field.spans[0][1]}, columns {field.spans[1][0]}–{field.spans[1][1]}"
                    if field.spans
                    else "only padding"
                )
            )
            st.caption(f"Its receptive field on the input: {reads}.")
        with formula:
            st.markdown("  \n".join(_formula(e, fate, acts, title)))
        _draw_strip(strip_box, key, model, image, acts, probs, names, layer, unit, steps, font_px)
        if e.kind in ("conv", "linear", "max pool", "average pool"):
            _draw_pairs(key, layer, unit, e, font_px, title)
    values_now = {**link, "layer": layer, "map": unit[0]}
    if len(unit) == 3:
        values_now.update(row=unit[1], col=unit[2])
    write_link(values_now, LINK_PARAMS, page_key=LINK_PAGE)
    copy_link_button(values_now, LINK_PARAMS)


def _draw_strip(box, key, model, image, acts, probs, names, layer, unit, steps, font_px) -> None:
    shown = strip_layers(model, acts)
    drawn = [("input", image[None])] + [(name, acts[name]) for name in shown]
    trace = _strip_trace(steps, {"input", *shown})
    png = strip_png(key, layer, unit, strip_font_px(font_px), names, drawn, probs, trace)
    with box:
        st.image(png, width="stretch", output_format="PNG")
        with explanation("strip"):
            st.caption(
                "The input first, then every conv, pool and dense layer (each map is one small square; the ReLUs "
                "are left out), the class probabilities last. The red box is the value explained below; "
                "the orange boxes are the windows it reads, layer by layer, down to the pixels."
            )
        title = f"The whole network, tracing {_unit_name(layer, unit, names)}"
        download_png_button(titled_png(png, title, scale=2), title, key="fm_strip_png")


def _draw_pairs(key: str, layer: str, unit: tuple[int, ...], e: UnitExplanation, font_px: int, title: str) -> None:
    grid, top = unit_pngs(key, layer, unit, font_px, e)
    count = len(e.channels)
    source = e.source or "input"
    if e.kind in ("conv", "linear"):
        st.subheader(f"The {count} partial sums, strongest first" if count > 1 else "The one partial sum")
    left, right = wrapping_columns(2, "fm_unit_pairs", 300, gap="medium")  # 300: a phone's column holds one
    with left:
        if count > 1:
            st.image(grid, width="stretch", output_format="PNG")
            st.caption(
                f"Each of the {count} {source} windows (left) beside the kernel slice it meets (right); under "
                "each, its partial sum (window × slice, summed). Strongest first."
            )
            download_png_button(
                titled_png(grid, f"{title}: all {count} pairs"), f"{title}: all {count} pairs", key="fm_pairs_png"
            )
        with st.container(height=340, key="fm_unit_sums"):
            st.table(_sum_table(e).style.format({"partial sum": "{:.4f}", "running total": "{:.4f}"}, na_rep=""))
    with right:
        shown = min(4, count)
        st.image(top, width="stretch", output_format="PNG")
        st.caption(
            f"The {shown} strongest pair{'s' if shown > 1 else ''} with every number: window × kernel "
            "slice = products, and their sum Σ."
        )
        download_png_button(titled_png(top, f"{title}: strongest pairs"), f"{title}: strongest pairs", key="fm_top_png")
