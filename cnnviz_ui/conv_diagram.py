"""The Conv arithmetic page's sliding-window diagrams: what one draws (``Drawing``), in the page and for slides.

A ``Drawing`` is plain numbers (so its GIF and PNG are cached); ``prepare`` turns it into a grid and numbers
from ``cnnviz``, which ``window_diagram.html`` draws in the page and ``cnnviz.window_frames`` draws as frames
for a GIF: the same grid, numbers and colours. Used by ``conv_one_layer`` (every layer type) and ``conv_1d``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz.conv1d import slide_1d
from cnnviz.shapes import explain_conv
from cnnviz.slides import gif_bytes, titled_png
from cnnviz.window_frames import window_frames
from cnnviz.windows import (
    LECTURE_POOL_INPUT,
    WindowGrid,
    avg_pool_with_windows,
    max_pool_with_winners,
    transposed_conv_diagram,
    transposed_window_grid,
    whole_input_grid,
    window_grid,
)
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.slides import download_gif_button, download_png_button

_TEMPLATE = (Path(__file__).parent / "window_diagram.html").read_text(encoding="utf-8")
SLIDE_CELL = 40  # px per cell in the GIF and PNG


@dataclass(frozen=True)
class Drawing:
    """One sliding-window diagram, as plain numbers (the cache key of its GIF and PNG)."""

    kind: str  # "conv", "max", "mean", "global", "transposed" or "1d"
    height: int = 1
    width: int = 1
    kernel: int = 1
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    output_padding: int = 0
    signal: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    flip: bool = False

    @property
    def title(self) -> str:
        """The slide's title."""
        size = f"{self.height} x {self.width} input"
        if self.kind == "1d":
            operation = "Convolution (kernel flipped)" if self.flip else "Cross-correlation"
            sizes = f"signal of {len(self.signal)}, kernel {len(self.weights)}"
            return f"{operation}: {sizes}, stride {self.stride}, padding {self.padding}"
        if self.kind == "global":
            return f"Global average pooling: {size} -> 1 x 1"
        name = {"conv": "Convolution", "max": "Max pooling", "mean": "Average pooling"}.get(self.kind)
        name = name or "Transposed convolution"
        extra = f", output padding {self.output_padding}" if self.output_padding else ""
        extra += f", dilation {self.dilation}" if self.dilation > 1 else ""
        return f"{name}: {size}, kernel {self.kernel}, stride {self.stride}, padding {self.padding}{extra}"


@dataclass(frozen=True)
class Prepared:
    """A drawing's grid and numbers, as both the page's diagram and the slides' frames take them."""

    grid: WindowGrid
    mode: str  # the diagram's: "conv", "max", "mean" or "weighted"
    values: np.ndarray | None = None  # (H, W) real input cells
    kernel: np.ndarray | None = None  # (F_h, F_w) weights as applied (flipped where the layer flips them)
    outputs: np.ndarray | None = None
    winners: np.ndarray | None = None
    inserted: np.ndarray | None = None


def sample_values(shape: tuple[int, int]) -> np.ndarray:
    """Small whole numbers to pool (the lecture's 4 x 4 example when it fits)."""
    if shape == (4, 4):
        return LECTURE_POOL_INPUT
    return np.random.default_rng(7).integers(0, 10, shape)


def prepare(d: Drawing) -> Prepared:
    """The grid and numbers of drawing ``d``.

    Raises:
        ValueError: settings the layer refuses (the caller has checked them already, so this is rare).
    """
    if d.kind == "conv":
        return Prepared(window_grid(d.height, d.width, d.kernel, d.stride, d.padding, d.dilation), "conv")
    if d.kind == "max":
        values = sample_values((d.height, d.width))
        pooled, winners = max_pool_with_winners(values, d.kernel, d.stride)
        grid = window_grid(d.height, d.width, d.kernel, d.stride)
        return Prepared(grid, "max", values, outputs=pooled, winners=winners)
    if d.kind == "mean":
        values = sample_values((d.height, d.width))
        pooled = avg_pool_with_windows(values, d.kernel, d.stride, int(d.padding)).output
        grid = window_grid(d.height, d.width, d.kernel, d.stride, d.padding)
        return Prepared(grid, "mean", values, outputs=pooled)
    if d.kind == "global":
        values = sample_values((d.height, d.width))
        return Prepared(whole_input_grid(d.height, d.width), "mean", values, outputs=np.array([[values.mean()]]))
    if d.kind == "transposed":
        values = (np.arange(d.height * d.width) % 9 + 1).reshape(d.height, d.width)
        weights = np.arange(1, d.kernel * d.kernel + 1).reshape(d.kernel, d.kernel)
        diagram = transposed_conv_diagram(values, weights, d.stride, int(d.padding), d.output_padding, d.dilation)
        window = transposed_window_grid(diagram)
        spread = window.values
        return Prepared(window.grid, "weighted", spread, diagram.flipped_kernel, diagram.output, None, window.inserted)
    signal, weights = np.array(d.signal), np.array(d.weights)
    sliding = slide_1d(signal, weights, d.stride, int(d.padding), flip=d.flip)
    grid = WindowGrid(explain_conv(1, 1), explain_conv(len(signal), len(weights), d.stride, int(d.padding)))
    return Prepared(grid, "weighted", signal[None, :], sliding.weights[None, :], sliding.output[None, :])


def diagram_html(p: Prepared, num_px: int = 14, kernel_note: str = "", titles: dict | None = None) -> str:
    """The sliding-window diagram (SVG + a little JavaScript) of one channel of one layer."""
    grid = p.grid
    rows, cols = grid.rows, grid.cols
    height, width, (out_h, out_w) = rows.size, cols.size, grid.output_hw
    side = max(rows.padded + cols.padded, 2 * rows.effective_kernel) + out_w
    dilated = f", dilation {rows.dilation}\nspans {rows.effective_kernel} x {cols.effective_kernel}"
    pad = f"padding {rows.pad_before}"
    if not rows.pad_before == rows.pad_after == cols.pad_before == cols.pad_after:
        pad = f"padding top/bottom {rows.pad_before}/{rows.pad_after}, left/right {cols.pad_before}/{cols.pad_after}"
    pooling = p.mode in ("max", "mean")
    data = {
        "mode": p.mode,
        "H": height,
        "W": width,
        "pt": rows.pad_before,
        "pb": rows.pad_after,
        "pl": cols.pad_before,
        "pr": cols.pad_after,
        "eff": rows.effective_kernel,
        "effW": cols.effective_kernel,
        "dilation": rows.dilation,
        "dilW": cols.dilation,
        "outH": out_h,
        "outW": out_w,
        "cell": int(np.clip(1000 // max(side, 1), 18, 44)),
        "numPx": num_px,
        "delay": int(np.clip(6000 / max(out_h * out_w, 1), 120, 700)),
        "taps": [grid.taps(i, j) for i in range(out_h) for j in range(out_w)],
        "never": grid.never_read().tolist(),
        "anyUnused": bool(rows.leftover or cols.leftover or rows.dilation > 1),
        "inputTitle": f"Input {height} x {width}",
        "inputSub": pad if (rows.padded, cols.padded) != (height, width) else "no padding",
        "kernelTitle": f"{'Window' if pooling else 'Kernel'} {rows.kernel} x {cols.kernel}",
        "kernelSub": f"stride {rows.stride}" + (dilated if rows.dilation > 1 else ""),
        "kernelNote": kernel_note or {"max": "max", "mean": "mean"}.get(p.mode, ""),
        "outputTitle": f"Output {out_h} x {out_w}",
        "outputSub": "hover or click a cell",
        "values": None if p.values is None else p.values.tolist(),
        "kernelValues": None if p.kernel is None else p.kernel.tolist(),
        "kernelWeights": None if p.kernel is None else p.kernel.ravel().tolist(),
        "outValues": None if p.outputs is None else p.outputs.tolist(),
        "winners": None if p.winners is None else p.winners.tolist(),
        "inserted": None if p.inserted is None else p.inserted.tolist(),
        "oneD": height == 1 and p.mode == "weighted" and p.inserted is None,
        "stack": height == 1,
    }
    data.update(titles or {})
    return _TEMPLATE.replace("__DATA__", json.dumps(data))


@st.cache_data(max_entries=16, show_spinner=False)
def drawing_frames_gif(d: Drawing) -> bytes:
    """The drawing as an animated GIF, one frame per output cell."""
    return gif_bytes(_frames(d), ms=700)


@st.cache_data(max_entries=32, show_spinner=False)
def drawing_frame_png(d: Drawing, frame: int) -> bytes:
    """Frame ``frame`` (0-based) of the drawing as a PNG at 2x, with its title."""
    frames = _frames(d)
    return titled_png(frames[min(frame, len(frames) - 1)], f"{d.title} (step {frame + 1} of {len(frames)})", scale=2)


def _frames(d: Drawing) -> list:
    p = prepare(d)
    operation = "mean" if p.mode == "mean" else ""
    numbered = p.values is not None or p.kernel is not None
    return window_frames(
        p.grid,
        p.values,
        p.kernel,
        p.outputs,
        p.winners,
        p.inserted,
        cell=SLIDE_CELL if numbered else 28,
        operation=operation,
    )


def show_drawing(d: Drawing, kernel_note: str = "", titles: dict | None = None) -> None:
    """The diagram in the page and its downloads: the animation as a GIF, one chosen step as a PNG."""
    p = prepare(d)
    st.iframe(diagram_html(p, figure_font_px(14), kernel_note, titles), height="content")
    steps = p.grid.output_hw[0] * p.grid.output_hw[1]
    key = f"ar_{d.kind}"
    if st.session_state.get(f"{key}_frame", 1) > steps:  # fewer steps than before: keep the box in range
        st.session_state[f"{key}_frame"] = steps
    with st.container(horizontal=True, vertical_alignment="bottom", key=f"{key}_downloads"):
        download_gif_button(partial(drawing_frames_gif, d), d.title, key=f"{key}_gif")  # made on click, cached
        step = st.number_input(
            "Step for the PNG",
            min_value=1,
            max_value=steps,
            value=1,
            key=f"{key}_frame",
            help="The diagram's steps run in your browser; pick the one to save (1 = the first output cell).",
            width=150,
        )
        download_png_button(partial(drawing_frame_png, d, int(step) - 1), f"{d.title}, step {step}", key=f"{key}_png")
