"""Page helpers for "inside the trained network": the digit picker, layer mosaics, pooling and heatmap figures.

A whole layer is drawn as ONE PNG mosaic (``cnnviz.inspect.tile_maps``), never as one figure per map:
64 plotly figures take seconds to render, one picture takes milliseconds. Everything a model computes
is cached with ``st.cache_data`` keyed by a fingerprint of the weights, so reruns only redraw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from torch import nn

from cnnviz import inspect as net_inspect
from cnnviz.images import encode_png
from cnnviz.inspect import PoolingWindows
from cnnviz_ui.plots import BLUE, DIVERGING, RED, WHITE, diverging_rgb
from cnnviz_ui.resources import dataset

GAP_RGB = (205, 208, 214)  # between maps: darker than the white of a zero activation
ZOOM, WINNER = "#f59e0b", "#16a34a"  # the zoomed region; the cell each window keeps
MOSAIC_WIDTH = 880  # px the mosaics are upscaled to (nearest neighbour: pixels stay square and sharp)
INPUTS = ("Test digit", "Upload an image", "Draw a digit")
PICK_BY = ("By index", "By class", "Random")


@dataclass(frozen=True)
class Digit:
    """The network's input: float32 (28, 28) in [0, 1], a caption, and the true label when known."""

    image: np.ndarray
    caption: str
    label: int | None = None


def model_fingerprint(model: nn.Module) -> str:
    """A short hash of the weights: the cache key for anything computed with ``model``."""
    digest = hashlib.blake2b(digest_size=12)
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()


def _test_digit(prefix: str) -> Digit | None:
    images, labels = dataset("MNIST", "test")
    count = len(images)
    how = st.radio("Choose the test digit", PICK_BY, key=f"{prefix}_pick_by", horizontal=True)
    if how == "By index":
        # No help icon: its "Help for ..." label would make the widget's label ambiguous for browser tests.
        index = st.number_input("Test digit index", value=0, step=1, key=f"{prefix}_index")
        if not 0 <= index < count:
            st.error(f"Test digit index must be between 0 and {count - 1:,} (the test set has {count:,} digits); "
                     f"got {int(index):,}.")  # fmt: skip
            return None
    elif how == "By class":
        digit = st.selectbox("Digit class", range(10), key=f"{prefix}_class")
        of_class = torch.nonzero(labels == digit).flatten()
        nth = st.number_input(f"Which {digit} (1 to {len(of_class):,})", value=1, step=1, key=f"{prefix}_nth")
        if not 1 <= nth <= len(of_class):
            st.error(f"There are {len(of_class):,} test digits labelled {digit}: choose 1 to {len(of_class):,}, "
                     f"got {int(nth):,}.")  # fmt: skip
            return None
        index = int(of_class[int(nth) - 1])
    else:
        chosen = f"{prefix}_random_index"
        if st.button("🎲 Another random digit", key=f"{prefix}_random") or chosen not in st.session_state:
            st.session_state[chosen] = int(np.random.default_rng().integers(count))
        index = st.session_state[chosen]
    label = int(labels[int(index)])
    pixels = images[int(index)].numpy().astype(np.float32) / 255.0
    return Digit(pixels, f"test digit #{int(index):,} (a {label})", label)


def _to_mnist(pixels: np.ndarray, caption: str) -> Digit | None:
    from cnnviz.preprocess import to_mnist

    try:
        return Digit(np.asarray(to_mnist(pixels), dtype=np.float32), caption)
    except ValueError as exc:
        st.error(f"{caption}: {exc}")
        return None


def digit_input(prefix: str) -> Digit | None:
    """The input picker: a test digit (by index, by class or random), an upload, or a drawing.

    Photos and drawings go through ``cnnviz.preprocess.to_mnist`` (crop, 20x20 box, centre of mass).
    Returns None, after explaining why, while there is no usable digit.
    """
    source = st.radio("Input", INPUTS, key=f"{prefix}_source", horizontal=True)
    if source == "Test digit":
        return _test_digit(prefix)
    if source == "Upload an image":
        from cnnviz_ui.images import upload_image

        picked = upload_image(f"{prefix}_upload", "Upload a photo of one digit")
        return None if picked is None else _to_mnist(picked.pixels, picked.caption)
    from streamlit_drawable_canvas import st_canvas

    canvas = st_canvas(stroke_width=18, stroke_color="#ffffff", background_color="#000000", height=224, width=224,
                       drawing_mode="freedraw", return_image_data=True, key=f"{prefix}_canvas")  # fmt: skip
    st.caption("Draw one digit, large, in the middle of the box (the bin icon clears it).")
    pixels = canvas.image_data
    if pixels is None or pixels[..., :3].max() == 0:
        st.info("Draw a digit in the black box to see how the network reacts.")
        return None
    return _to_mnist(pixels[..., :3], "your drawing")


def run_key(model: nn.Module, image: np.ndarray) -> str:
    """A cache key for "this model on this image": hashes of the weights and of the pixels."""
    pixels = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=8).hexdigest()
    return f"{model_fingerprint(model)}:{pixels}"


@st.cache_data(max_entries=64, show_spinner=False)
def run_network(key: str, _model: nn.Module, _image: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(every layer's output as numpy, class probabilities (10,)) for one digit, cached by ``run_key``."""
    acts = net_inspect.activations(_model, _image)
    probabilities = torch.softmax(list(acts.values())[-1], dim=0).numpy()
    return {name: a.numpy() for name, a in acts.items()}, probabilities


@st.cache_data(max_entries=128, show_spinner="Computing which pixels decide…")
def explanation(key: str, method: str, target: int, _model: nn.Module, _image: np.ndarray) -> np.ndarray:
    """(28, 28) heat in [0, 1]: SmoothGrad saliency (16 copies) or Grad-CAM on conv3, cached by ``run_key``."""
    if method == "Saliency":
        return net_inspect.saliency(_model, _image, target, samples=16, noise=0.1)
    return net_inspect.grad_cam(_model, _image, target)


@st.cache_resource(max_entries=256, show_spinner=False)
def figure_once(key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    """Build a plotly figure once per ``key``. Building validates every property and is the slow part;
    the cached figure is shared read-only (``st.plotly_chart`` only reads it)."""
    return _build()


def mosaic_rgb(
    maps: np.ndarray, limit: float, columns: int, width: int = MOSAIC_WIDTH, per_map: bool = False
) -> np.ndarray:
    """(C, H, W) maps -> one upscaled RGB mosaic, blue-white-red around 0 with the same ``limit`` for all maps.

    ``per_map`` stretches each map to its own largest |value| instead, to see the shape of weak maps.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if per_map:
        peaks = np.abs(maps).reshape(len(maps), -1).max(1)
        maps, limit = maps / np.where(peaks > 0, peaks, 1.0)[:, None, None], 1.0
    mosaic = net_inspect.tile_maps(maps, columns=columns, gap=1)
    gaps = np.isnan(mosaic)
    rgb, _ = diverging_rgb(np.nan_to_num(mosaic), limit=limit or 1.0)
    rgb[gaps] = GAP_RGB
    scale = max(1, width // mosaic.shape[1])
    return rgb.repeat(scale, 0).repeat(scale, 1)


@st.cache_data(max_entries=256, show_spinner=False)
def mosaic_png(key: str, layer: str, limit: float, columns: int, per_map: bool, _maps: np.ndarray) -> bytes:
    """``mosaic_rgb`` as PNG bytes, cached: one layer's picture for ``st.image``."""
    return encode_png(mosaic_rgb(_maps, limit, columns, per_map=per_map))


def show_layer(key: str, name: str, maps: np.ndarray, limit: float, per_map: bool) -> None:
    """Heading (name, shape, value range) and the layer's mosaic."""
    count, h, w = maps.shape
    st.markdown(f"**{name}** · {count} maps of {h}×{w} · values {maps.min():.2f} … {maps.max():.2f}",
                help=f"Output shape ({count}, {h}, {w}): {count} feature maps (channels), each {h}×{w} values.")
    columns = 8 if count <= 64 else 16
    native = columns * (w + 1) - 1
    # Small maps (conv3 is 3x3) would be blown up to the column's width: cap them at 14 px per value.
    st.image(mosaic_png(key, name, limit, columns, per_map, maps), width=min(MOSAIC_WIDTH, native * 14))


def legend(limit: float) -> None:
    """A one-line colour key for the mosaics."""
    st.markdown(
        f"<span style='background:rgb{BLUE};color:white;padding:1px 6px;border-radius:3px'>−{limit:.2f}</span>"
        f"<span style='background:rgb{WHITE};padding:1px 6px;border:1px solid #ddd'>0</span>"
        f"<span style='background:rgb{RED};color:white;padding:1px 6px;border-radius:3px'>+{limit:.2f}</span>"
        " &nbsp;colour key (negative blue, zero white, positive red; grey lines separate maps)",
        unsafe_allow_html=True,
    )


def grey_png(image: np.ndarray, size: int = 224) -> bytes:
    """A [0, 1] (H, W) image as a crisp upscaled grey PNG."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    scale = max(1, size // pixels.shape[0])
    return encode_png(pixels.repeat(scale, 0).repeat(scale, 1))


def heat_overlay_png(image: np.ndarray, heat: np.ndarray, size: int = 224) -> bytes:
    """The digit in grey with ``heat`` in [0, 1] laid over it in red-yellow (hot where the class is decided)."""
    base = np.clip(image, 0, 1)[..., None] * 0.55 * 255
    hot = np.stack([np.clip(heat * 2, 0, 1), np.clip(heat * 2 - 1, 0, 1), np.zeros_like(heat)], -1) * 255
    alpha = np.clip(heat, 0, 1)[..., None] ** 0.7
    rgb = np.round(base * (1 - alpha) + hot * alpha).astype(np.uint8)
    scale = max(1, size // rgb.shape[0])
    return encode_png(rgb.repeat(scale, 0).repeat(scale, 1))


def probability_chart(probabilities: np.ndarray, title: str = "", height: int = 260) -> go.Figure:
    """A bar per class, the top class highlighted, probabilities printed above the bars."""
    top = int(probabilities.argmax())
    colours = ["#2563eb" if c == top else "#9ca3af" for c in range(len(probabilities))]
    figure = go.Figure(go.Bar(x=[str(c) for c in range(len(probabilities))], y=probabilities, marker_color=colours,
                              text=[f"{p:.0%}" if p >= 0.005 else "" for p in probabilities], textposition="outside",
                              textfont={"size": 13}, constraintext="none", cliponaxis=False,
                              hovertemplate="class %{x}: %{y:.2%}<extra></extra>"))  # fmt: skip
    figure.update_layout(title={"text": title, "font": {"size": 14}}, height=height, dragmode=False,
                         margin={"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
                         plot_bgcolor="white")  # fmt: skip
    figure.update_yaxes(range=[0, 1.15], tickformat=".0%", gridcolor="#eee")
    figure.update_xaxes(type="category", title_text="class")
    return figure


def map_figure(values: np.ndarray, title: str, limit: float, numbers: bool = False, height: int = 330,
               scale: bool = True, gap: int = 1) -> go.Figure:  # fmt: skip
    """One feature map as a hoverable heatmap on the shared blue-white-red scale."""
    figure = go.Figure(go.Heatmap(z=values, colorscale=DIVERGING, zmin=-limit, zmax=limit, xgap=gap, ygap=gap,
                                  hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
                                  showscale=scale, colorbar={"thickness": 10, "len": 0.8}))  # fmt: skip
    if numbers:
        figure.data[0].update(texttemplate="%{z:.2f}", textfont={"size": 11})
    return _square(figure, title, height)


def _square(figure: go.Figure, title: str, height: int) -> go.Figure:
    figure.update_layout(title={"text": title, "x": 0.5, "xanchor": "center", "font": {"size": 14}}, height=height,
                         margin={"l": 10, "r": 10, "t": 36, "b": 10}, plot_bgcolor="white", dragmode=False)  # fmt: skip
    figure.update_xaxes(showgrid=False, zeroline=False, constrain="domain", showticklabels=False)
    figure.update_yaxes(showgrid=False, zeroline=False, scaleanchor="x", autorange="reversed", showticklabels=False)
    return figure


def _window_lines(figure: go.Figure, top: int, left: int, rows: int, cols: int, k: int, colour: str,
                  width: float) -> None:  # fmt: skip
    """Lines around every k x k pooling window of a region (cell centres at integer coordinates)."""
    xs, ys = [], []
    for r in range(0, rows + 1, k):
        ys += [top + r - 0.5] * 2 + [None]
        xs += [left - 0.5, left + cols - 0.5, None]
    for c in range(0, cols + 1, k):
        xs += [left + c - 0.5] * 2 + [None]
        ys += [top - 0.5, top + rows - 0.5, None]
    figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width},
                                hoverinfo="skip", showlegend=False))  # fmt: skip


def _box(figure: go.Figure, row: float, col: float, size: float, colour: str = ZOOM, width: int = 3) -> None:
    figure.add_shape(type="rect", x0=col - 0.5, x1=col + size - 0.5, y0=row - 0.5, y1=row + size - 0.5,
                     line={"color": colour, "width": width})  # fmt: skip


def pooling_figures(feature_map: np.ndarray, pooled: PoolingWindows, region: tuple[int, int, int], limit: float,
                    names: tuple[str, str]) -> tuple[go.Figure, go.Figure, go.Figure, go.Figure]:  # fmt: skip
    """Before/after pooling for the whole map, and a zoomed region with every number printed.

    ``region`` = (first window row, first window column, windows per side) of the zoom, outlined in orange.
    Winning cells are dotted in the overview (where the window is not all zero) and boxed in the zoom.
    """
    k, s = pooled.kernel, pooled.stride
    w_row, w_col, n = region
    winners = pooled.winners.reshape(-1, 2)
    positive = pooled.output.reshape(-1) > 0
    height = 440
    overview = map_figure(feature_map, f"{names[0]} ({feature_map.shape[0]}×{feature_map.shape[1]})", limit,
                          height=height, scale=False, gap=0)  # fmt: skip
    _window_lines(overview, 0, 0, pooled.output.shape[0] * s, pooled.output.shape[1] * s, s, "#9ca3af", 0.6)
    overview.add_trace(go.Scatter(x=winners[positive, 1], y=winners[positive, 0], mode="markers", showlegend=False,
                                  hoverinfo="skip", marker={"size": 4, "color": "black"}))  # fmt: skip
    top, left, side = w_row * s, w_col * s, (n - 1) * s + k
    _box(overview, top, left, side)
    after = map_figure(pooled.output, f"{names[1]} ({pooled.output.shape[0]}×{pooled.output.shape[1]})", limit,
                       height=height)  # fmt: skip
    _box(after, w_row, w_col, n)
    zoom = map_figure(feature_map[top : top + side, left : left + side], f"zoom on {names[0]}: {side}×{side} values",
                      limit, numbers=True, height=height, scale=False)  # fmt: skip
    zoom.data[0].update(x=np.arange(left, left + side), y=np.arange(top, top + side))
    zoom.data[0].textfont.size = 15
    _window_lines(zoom, top, left, side, side, s, "black", 2.5)
    for r in range(w_row, w_row + n):
        for c in range(w_col, w_col + n):
            win_r, win_c = pooled.winners[r, c]
            _box(zoom, win_r, win_c, 1, WINNER, 4)
    zoom_out = map_figure(pooled.output[w_row : w_row + n, w_col : w_col + n], f"{names[1]}: the {n}×{n} maxima",
                          limit, numbers=True, height=height)  # fmt: skip
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
    st.markdown("Each 2×2 window (grey lines) keeps only its largest value (black dot): the map halves in size, "
                "and a feature that moves by a pixel inside its window still gives the same output.")  # fmt: skip
    c1, c2, c3, c4 = st.columns(4)
    choices = {f"{before} → {after}": (before, after) for before, after in pools}
    source, pool = choices[c1.selectbox("Pooling layer", list(choices), key="fm_pool_layer")]
    maps = acts[source]
    count = maps.shape[0]
    strongest = int(maps.reshape(count, -1).max(1).argmax())
    index = c2.slider("Map to pool", 0, count - 1, strongest, key=f"fm_pool_map_{pool}")
    layer = getattr(model, pool)
    pooled = net_inspect.pooling_windows(maps[index], layer.kernel_size, layer.stride)
    out_h, out_w = pooled.output.shape
    n = min(3, out_h, out_w)
    best_r, best_c = np.unravel_index(pooled.output.argmax(), pooled.output.shape)
    row = c3.slider("Zoom: window row", 0, out_h - n, int(np.clip(best_r - 1, 0, out_h - n)), key=f"fm_pool_row_{pool}")
    col = c4.slider("Zoom: window column", 0, out_w - n, int(np.clip(best_c - 1, 0, out_w - n)),
                    key=f"fm_pool_col_{pool}")  # fmt: skip
    limit = float(np.abs(maps[index]).max()) or 1.0
    figures = figure_once((key, "pool", pool, index, row, col), lambda: pooling_figures(
        maps[index], pooled, (row, col, n), limit, (f"{source}, map {index}", f"{pool}")))
    overview, after, zoom, zoom_out = figures
    config = {"displayModeBar": False}
    left, right = st.columns(2)
    left.plotly_chart(overview, key="fm_pool_before", config=config)
    right.plotly_chart(after, key="fm_pool_after", config=config)
    st.markdown(f"**Zoom** (the orange square): black lines are the {pooled.kernel}×{pooled.kernel} windows; the "
                ":green[green box] in each marks the number that survives.")  # fmt: skip
    left, right = st.columns(2)
    left.plotly_chart(zoom, key="fm_pool_zoom", config=config)
    right.plotly_chart(zoom_out, key="fm_pool_zoom_out", config=config)
    kept = pooled.output[row : row + n, col : col + n]
    per_window = pooled.kernel * pooled.kernel
    st.caption(f"These {n * n} windows keep {', '.join(f'{v:.2f}' for v in kept.ravel())}; the other "
               f"{n * n * (per_window - 1)} values are thrown away. In an all-zero window every cell ties; like "
               "PyTorch, the first one in reading order counts as the winner.")  # fmt: skip


CONV_COLOUR, DENSE_COLOUR = "#2563eb", "#dc2626"


def shift_curves(steps: np.ndarray, curves: dict[str, np.ndarray], current: int, axis: str, target: int) -> go.Figure:
    """P(target) against a shift along one axis, one line per model, the current shift marked."""
    figure = go.Figure()
    for (name, values), colour in zip(curves.items(), (CONV_COLOUR, DENSE_COLOUR), strict=False):
        figure.add_trace(go.Scatter(x=steps, y=values, name=name, mode="lines+markers", line={"color": colour},
                                    hovertemplate=f"{axis}=%{{x}}: %{{y:.1%}}<extra>{name}</extra>"))  # fmt: skip
    figure.add_vline(x=current, line={"color": "#6b7280", "dash": "dot"})
    figure.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white",
                         title={"text": f"P(class {target}) as the digit moves {'right' if axis == 'dx' else 'down'}",
                                "font": {"size": 14}},
                         legend={"orientation": "h", "y": -0.25}, dragmode=False)  # fmt: skip
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", gridcolor="#eee")
    figure.update_xaxes(title_text=f"{axis} (pixels)", gridcolor="#eee", zeroline=False)
    return figure


def shift_grid(steps: np.ndarray, values: np.ndarray, title: str, current: tuple[int, int]) -> go.Figure:
    """P(target) over every (dx, dy) as a heatmap (row = dy, column = dx), the current shift boxed."""
    figure = go.Figure(go.Heatmap(x=steps, y=steps, z=values, zmin=0, zmax=1, colorscale="Viridis",
                                  colorbar={"thickness": 10, "tickformat": ".0%"},
                                  hovertemplate="dx=%{x}, dy=%{y}: %{z:.1%}<extra></extra>"))  # fmt: skip
    _box(figure, current[1], current[0], 1, "white", 3)
    figure = _square(figure, title, 360)
    figure.update_xaxes(showticklabels=True, title_text="dx (right)")
    figure.update_yaxes(showticklabels=True, title_text="dy (down)")
    return figure
