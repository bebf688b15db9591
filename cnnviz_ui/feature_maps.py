"""The Feature maps page's views: every layer map by map, one map up close, and max pooling window by window.

A whole layer is drawn as one PNG mosaic (``layout.show_layer``), single maps and pooling as hoverable heatmaps.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from torch import nn

from cnnviz import inspect as net_inspect
from cnnviz.inspect import PoolingWindows
from cnnviz.render import conv_blocks, shared_limit, strongest_map
from cnnviz_ui.charts import draw_box, map_figure
from cnnviz_ui.layout import mosaic_legend, show_layer, show_picture, wrapping_columns
from cnnviz_ui.plots import CHART_MIN_WIDTH
from cnnviz_ui.resources import figure_once
from cnnviz_ui.state import lasting_args

WINNER = "#16a34a"  # the cell each pooling window keeps


def every_layer(key: str, model: nn.Module, acts: dict[str, np.ndarray], layers: list[str]) -> None:
    """Every layer's maps, block by block (conv → relu → pool share one colour scale), conv1's filters first."""
    st.header("Every layer, map by map")
    per_map = st.toggle(
        "Stretch each map to its own range (shows the shape of weak maps)", key="fm_per_map", persist_state="session"
    )
    for block in conv_blocks(layers):
        limit = shared_limit(*(acts[name] for name in block))
        st.subheader(" → ".join(block))
        mosaic_legend(limit)
        panels = (["filters"] if block[0] == "conv1" else []) + block
        for pair in (panels[i : i + 2] for i in range(0, len(panels), 2)):
            for column, name in zip(st.columns(2, gap="large"), pair, strict=False):
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
    figures = wrapping_columns(len(block) + 1, "fm_zoom_figures", CHART_MIN_WIDTH)
    weights = net_inspect.conv_filters(model, conv)[index].numpy()  # (C_in, 3, 3)
    peak = shared_limit(weights)
    with figures[0]:
        if len(weights) == 1:
            show_picture(
                st,
                figure_once(
                    (key, "filter", conv, index),
                    lambda: map_figure(weights[0], f"filter {index}", peak, numbers=True),
                ),
                "fm_zoom_filter",
                weights[0].shape,
            )
        else:
            show_layer(key, f"{conv} filter {index}", weights, peak, per_map=False, what="slices")
            st.caption(f"One 3×3 slice per input map: filter {index} adds up all {len(weights)} of them.")
    for column, name in zip(figures[1:], block, strict=True):
        figure = figure_once(
            (key, name, index),
            lambda name=name: map_figure(acts[name][index], f"{name}, map {index}", limit, scale=name == block[-1]),
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
) -> tuple[go.Figure, go.Figure, go.Figure, go.Figure]:
    """Before/after pooling for the whole map, and a zoomed region with every number printed.

    ``region`` = (first window row, first window column, windows per side) of the zoom, outlined in orange.
    Winning cells are dotted in the overview (where the window is not all zero) and boxed in the zoom.
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
    top, left, side = w_row * s, w_col * s, (n - 1) * s + k
    draw_box(overview, top, left, side)
    _fit_axes(overview, 0, 0, *feature_map.shape)
    after = map_figure(
        pooled.output, f"{names[1]} ({pooled.output.shape[0]}×{pooled.output.shape[1]})", limit, height=height
    )
    draw_box(after, w_row, w_col, n)
    zoom = map_figure(
        feature_map[top : top + side, left : left + side],
        f"zoom on {names[0]}: {side}×{side} values",
        limit,
        numbers=True,
        height=height,
        scale=False,
    )
    zoom.data[0].update(x=np.arange(left, left + side), y=np.arange(top, top + side))
    zoom.data[0].textfont.size = 15
    _window_lines(zoom, top, left, side, side, s, "black", 2.5)
    for r in range(w_row, w_row + n):
        for c in range(w_col, w_col + n):
            win_r, win_c = pooled.winners[r, c]
            draw_box(zoom, win_r, win_c, 1, WINNER, 4)
    _fit_axes(zoom, top, left, side, side)
    zoom_out = map_figure(
        pooled.output[w_row : w_row + n, w_col : w_col + n],
        f"{names[1]}: the {n}×{n} maxima",
        limit,
        numbers=True,
        height=height,
    )
    zoom_out.data[0].update(x=np.arange(w_col, w_col + n), y=np.arange(w_row, w_row + n))
    zoom_out.data[0].textfont.size = 15
    return overview, after, zoom, zoom_out


@st.fragment
def pooling_section(key: str, model: nn.Module, acts: dict[str, np.ndarray], layers: list[str]) -> None:
    """Max pooling of one map: windows drawn, winners circled, and a zoom with every number (a fragment)."""
    pools = [(layers[i - 1], name) for i, name in enumerate(layers) if name.startswith("pool") and i > 0]
    if not pools:
        return
    st.header("Max pooling, window by window")
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
    best_r, best_c = np.unravel_index(pooled.output.argmax(), pooled.output.shape)
    row = c3.slider(
        "Zoom: row",
        0,
        out_h - n,
        **lasting_args(f"fm_pool_row_{pool}", lambda v: v <= out_h - n, int(np.clip(best_r - 1, 0, out_h - n))),
    )
    col = c4.slider(
        "Zoom: column",
        0,
        out_w - n,
        **lasting_args(f"fm_pool_col_{pool}", lambda v: v <= out_w - n, int(np.clip(best_c - 1, 0, out_w - n))),
    )
    limit = shared_limit(maps[index])
    figures = figure_once(
        (key, "pool", pool, index, row, col),
        lambda: pooling_figures(maps[index], pooled, (row, col, n), limit, (f"{source}, map {index}", f"{pool}")),
    )
    overview, after, zoom, zoom_out = figures
    left, right = st.columns(2)
    show_picture(left, overview, "fm_pool_before", maps[index].shape)
    show_picture(right, after, "fm_pool_after", pooled.output.shape)
    dropped = dropped_note(source, maps[index].shape, pooled)
    if dropped:
        st.caption(dropped)
    st.markdown(
        f"**Zoom** (the orange square): black lines are the {pooled.kernel}×{pooled.kernel} windows; the "
        ":green[green box] in each marks the number that survives."
    )
    left, right = st.columns(2)
    show_picture(left, zoom, "fm_pool_zoom", zoom.data[0].z.shape)
    show_picture(right, zoom_out, "fm_pool_zoom_out", zoom_out.data[0].z.shape)
    kept = pooled.output[row : row + n, col : col + n]
    per_window = pooled.kernel * pooled.kernel
    st.caption(
        f"These {n * n} windows keep {', '.join(f'{v:.2f}' for v in kept.ravel())}; the other "
        f"{n * n * (per_window - 1)} values are thrown away. In an all-zero window every cell ties; like "
        "PyTorch, the first one in reading order counts as the winner."
    )
