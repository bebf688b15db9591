"""The Conv arithmetic page's "One layer" and "1-D" tabs: a layer's sizes, parameters, code and sliding window.

Layer types: convolution (grouped and depthwise too), transposed convolution, max, average and global average
pooling, and 1-D cross-correlation / convolution. Every diagram is described by a ``Drawing`` (hashable, so
its GIF and PNG are cached), drawn in the page by ``window_diagram.html`` and for slides by
``cnnviz.window_frames``: the same grid, numbers and colours. Everything computed comes from ``cnnviz``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnviz.conv1d import parse_numbers, signal_preset, slide_1d
from cnnviz.layer_code import (
    LayerCode,
    avg_pool_code,
    conv_code,
    conv_transpose_code,
    global_avg_pool_code,
    max_pool_code,
)
from cnnviz.render import DIAGRAM_LIMIT, drawable_size
from cnnviz.shapes import (
    ConvExplanation,
    conv_params,
    divisors_below,
    explain_conv,
    padding_that_fits,
    parse_padding,
    pool_output_size,
    whole_number,
)
from cnnviz.slides import gif_bytes, titled_png
from cnnviz.window_frames import window_frames
from cnnviz.windows import (
    LECTURE_POOL_INPUT,
    WindowGrid,
    avg_pool_with_windows,
    grouped_input_channels,
    max_pool_with_winners,
    transposed_axis,
    transposed_conv_diagram,
    transposed_window_grid,
    whole_input_grid,
    window_grid,
)
from cnnviz_ui.layout import friendly_errors
from cnnviz_ui.presenting import explanation, figure_font_px
from cnnviz_ui.slides import download_gif_button, download_png_button, plotly_config, slide_figure

_TEMPLATE = (Path(__file__).parent / "window_diagram.html").read_text(encoding="utf-8")

# Layer type -> the prefix of its widgets' keys (each type keeps its own numbers: pooling starts at the
# lecture's 4 x 4 example, the transposed convolution at conv_arithmetic's 3 x 3 one).
LAYER_TYPES = {
    "Convolution": "conv",
    "Transposed convolution": "tconv",
    "Max pooling": "pool",
    "Average pooling": "avg",
    "Global average pooling": "gap",
}
# (field, label, default per type, help); a type without a default has no such field.
FIELDS = {
    "h": ("Input height", {"conv": 28, "tconv": 3, "pool": 4, "avg": 4, "gap": 7}, None),
    "w": ("Input width", {"conv": 28, "tconv": 3, "pool": 4, "avg": 4, "gap": 7}, None),
    "k": ("Kernel size", {"conv": 3, "tconv": 3, "pool": 2, "avg": 2}, "F: the window is F x F"),
    "s": ("Stride", {"conv": 1, "tconv": 2, "pool": 2, "avg": 2}, "S: how far the window moves"),
    "p": ("Padding", {"conv": "0", "tconv": 1, "pool": "0", "avg": "0"}, None),
    "op": ("Output padding", {"tconv": 0}, "cells added at the end: picks one of the sizes a stride allows"),
    "d": ("Dilation", {"conv": 1, "tconv": 1}, "d: gap between kernel taps"),
    "cin": ("Input channels", {"conv": 1, "tconv": 16, "pool": 1, "avg": 1, "gap": 1280}, "C_in"),
    "cout": ("Filters", {"conv": 32, "tconv": 8}, "C_out: output channels, one per filter"),
    "g": ("Groups", {"conv": 1, "tconv": 1}, "1 to C_in: each filter reads C_in / groups channels; C_in = depthwise"),
}
PADDING_HELP = {
    "tconv": "P crops P cells from each side of the output",
    "default": "P zeros on each side, or valid or same",
}
SIGNAL_KEY, KERNEL_1D_KEY = "ar_1d_signal", "ar_1d_kernel"
ONE_D_DEFAULTS = {SIGNAL_KEY: "0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1", KERNEL_1D_KEY: "1, 0, -1", "ar_1d_s": 1.0}
ONE_D_DEFAULTS["ar_1d_p"] = 0.0
OPERATIONS = ("Cross-correlation", "Convolution")
DRAWN_SIGNAL = 32  # longest padded signal the 1-D diagram draws cell by cell
SLIDE_CELL = 40  # px per cell in the GIF and PNG


def widget_key(kind: str, field: str) -> str:
    return f"ar_{kind}_{field}"


def field_default(kind: str, field: str) -> object:
    default = FIELDS[field][1][kind]
    return default if isinstance(default, str) else float(default)


def number_input(label: str, key: str, value: float, help: str | None = None) -> float:
    """A number box that accepts anything (0, -1, 2.5, 10,000), so the library can explain what is wrong.

    Its default goes in through the session state, so a link (``restore_from_link``) may set it first."""
    st.session_state.setdefault(key, float(value))
    return st.number_input(label, step=1.0, format="%g", key=key, help=help, persist_state="session")


def text_input(label: str, key: str, value: str, help: str | None = None) -> str:
    st.session_state.setdefault(key, value)
    return st.text_input(label, key=key, help=help, persist_state="session")


# --- what a diagram draws ------------------------------------------------------------------------------------


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


# --- the "One layer" tab --------------------------------------------------------------------------------------


def too_big_to_draw(rows: ConvExplanation) -> str:
    """Why no input fits the diagram (``drawable_size`` None): the kernel's span, else the padding.

    A span and a padding that each fit always fit together (a smaller input is drawn), so it is one of them."""
    span, padding = rows.effective_kernel, rows.pad_before + rows.pad_after
    if span > DIAGRAM_LIMIT:
        return f"the kernel alone spans {span} cells" + (f" (dilation {rows.dilation})" if rows.dilation > 1 else "")
    return f"the padding alone adds {padding:,} cells ({rows.pad_before:,} + {rows.pad_after:,})"


def stride_note(rows: ConvExplanation, cols: ConvExplanation) -> str:
    """A warning when the stride leaves real input rows/columns unread, with the ways to fix it ("" if none).

    A stride longer than the window skips pixels between every two windows; a stride that does not
    divide W - F + 2P leaves the last pixels out.
    """
    axes = ((rows, "row"), (cols, "column"))
    gaps = [(e, axis) for e, axis in axes if e.stride > e.effective_kernel and e.output > 1]
    if gaps:
        e = gaps[0][0]
        skipped = e.stride - e.effective_kernel
        which = " and ".join(f"{axis}s" for _, axis in gaps)
        return (
            f"**Stride {e.stride} is longer than the {e.effective_kernel}-pixel window, so {skipped} of every "
            f"{e.stride} {which} are never read:** each window starts {e.stride} px after the last one, "
            f"{skipped} px past its end, and those pixels never reach the output. To read every pixel: stride "
            f"{e.effective_kernel} or less (pooling usually takes stride = window)."
        )
    unused = [f"{e.unused_input} {axis}{'s' if e.unused_input > 1 else ''}" for e, axis in axes if e.unused_input]
    if not unused:
        return ""
    e = rows if rows.unused_input else cols
    span = e.padded - e.effective_kernel
    # Only strides up to the window: a longer one would skip pixels between windows instead.
    strides = [str(s) for s in divisors_below(span, min(e.stride, e.effective_kernel + 1))][-2:]
    bare = e.size - e.effective_kernel  # W - F without padding; symmetric padding P adds 2P
    pad = padding_that_fits(bare, e.pad_before, e.stride)
    fixes = ([f"stride {' or '.join(strides)}"] if strides else []) + ([f"padding {pad}"] if pad is not None else [])
    return (
        f"**Stride {e.stride} leaves the last {' and the last '.join(unused)} of the input unused.** Windows start "
        f"every {e.stride} px and {span} (= W − F + 2P) is not a multiple of {e.stride}, so the last window stops "
        f"{e.leftover} px short of the edge and those pixels never reach the output: that is the floor in the formula. "
        f"CNN Explainer calls such a stride invalid; PyTorch and Keras simply drop the pixels."
        + (f" To use every pixel: {', or '.join(fixes)}." if fixes else "")
    )


# The boxes of each layer type, column by column (two to a column).
LAYOUT = {
    "conv": [("h", "w"), ("k", "s"), ("p", "d"), ("cin", "cout"), ("g",)],
    "tconv": [("h", "w"), ("k", "s"), ("p", "op"), ("d", "g"), ("cin", "cout")],
    "pool": [("h", "w"), ("k", "s"), ("p",), ("cin",)],
    "avg": [("h", "w"), ("k", "s"), ("p",), ("cin",)],
    "gap": [("h", "w"), ("cin",), (), ()],
}


def layer_controls(kind: str) -> dict[str, object]:
    """The number boxes of layer type ``kind`` (four or five columns, two rows), as typed."""
    typed = {}
    for column, fields in zip(st.columns(len(LAYOUT[kind])), LAYOUT[kind], strict=True):
        for field in fields:
            label, defaults, help_text = FIELDS[field]
            key = widget_key(kind, field)
            with column:
                if field == "p" and kind != "tconv":
                    typed[field] = text_input(label, key, defaults[kind], PADDING_HELP["default"])
                else:
                    help_text = PADDING_HELP["tconv"] if field == "p" else help_text
                    typed[field] = number_input(label, key, float(defaults[kind]), help_text)
    return typed


def one_layer() -> None:
    """The "One layer" tab: a layer's output size, parameters, code and its sliding-window diagram."""
    st.session_state.setdefault("ar_mode", "Convolution")
    name = st.segmented_control("Layer", list(LAYER_TYPES), key="ar_mode", persist_state="session")
    name = name or "Convolution"  # a second click on the chosen segment clears it
    kind = LAYER_TYPES[name]
    typed = layer_controls(kind)
    with friendly_errors():
        {"conv": show_conv, "tconv": show_transposed, "pool": show_pool, "avg": show_pool, "gap": show_global}[kind](
            kind, typed
        )
    if kind == "conv":
        slide_box()


def _channels(typed: dict, groups: bool = True) -> tuple[int, int, int]:
    in_ch = whole_number("input channels", typed["cin"], 1, "an image has at least one channel")
    out_ch = whole_number("filters", typed.get("cout", in_ch), 1, "a conv layer has at least one filter")
    count = whole_number("groups", typed.get("g", 1), 1, "1 means every filter reads every input channel")
    if groups:
        conv_params(1, in_ch, out_ch, groups=count)  # channels that do not divide by groups: its sentence
    return in_ch, out_ch, count


def params_text(kernel: int, in_ch: int, out_ch: int, groups: int) -> str:
    """The parameter count with its formula, and beside it the standard (groups 1) convolution's."""
    params = conv_params(kernel, in_ch, out_ch, groups=groups)
    per = f"{in_ch:,}/{groups}" if groups > 1 else f"{in_ch:,}"
    text = f"**Parameters: ({kernel}·{kernel}·{per} + 1)·{out_ch:,} = {params:,}**"
    if groups > 1:
        full = conv_params(kernel, in_ch, out_ch)
        what = "depthwise: one channel per filter" if groups == in_ch else f"{groups} groups"
        text += (
            f" ({what}). A standard convolution (groups 1) has ({kernel}·{kernel}·{in_ch:,} + 1)·{out_ch:,} = "
            f"**{full:,}**, {full / params:.1f} times as many."
        )
    return text


def show_conv(kind: str, typed: dict) -> None:
    in_ch, out_ch, groups = _channels(typed)
    padding = typed["p"]
    rows, cols = (explain_conv(n, typed["k"], typed["s"], padding, typed["d"]) for n in (typed["h"], typed["w"]))
    st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {out_ch:,}")
    st.markdown(params_text(rows.kernel, in_ch, out_ch, groups))
    show_conv_diagram(rows, cols, padding, "conv")
    formula_block(rows, cols)
    if note := stride_note(rows, cols):
        st.warning(note)
    if parse_padding(padding) == "same" and rows.stride > 1:
        st.info(
            f"PyTorch's `nn.Conv2d` refuses `padding='same'` with a stride above 1; these are the numbers "
            f"Keras and TensorFlow use (output ceil(W / S), the odd pixel of padding at the end). In PyTorch, "
            f"pad explicitly: `nn.ZeroPad2d(({cols.pad_before}, {cols.pad_after}, {rows.pad_before}, "
            f"{rows.pad_after}))` before a conv with `padding=0`."
        )
    else:
        pad = parse_padding(padding)
        code = conv_code(in_ch, out_ch, rows.kernel, rows.stride, pad, rows.dilation, groups)
        code_block(code, (in_ch, rows.size, cols.size), (out_ch, rows.output, cols.output))
    if 1 < in_ch <= 64 and out_ch <= 128:
        groups_figure(in_ch, out_ch, groups)


def formula_block(rows: ConvExplanation | object, cols: ConvExplanation | object) -> None:
    lines = [f"{axis:8}" + e.formula.replace("\n", "\n" + " " * 8) for axis, e in (("height:", rows), ("width:", cols))]
    st.code("\n".join(lines), language=None, wrap_lines=True)  # the result at the end stays in view


def show_conv_diagram(rows: ConvExplanation, cols: ConvExplanation, padding: object, kind: str) -> None:
    """The sliding-window diagram of a conv or pooling layer, on a smaller input when it is too big to draw."""
    dilation = rows.dilation
    args = (rows.kernel, rows.stride, padding, dilation)
    shape = (drawable_size(rows.size, *args), drawable_size(cols.size, *args))
    if None in shape:
        st.info(
            f"The diagram is drawn for inputs up to {DIAGRAM_LIMIT} x {DIAGRAM_LIMIT} cells, padding "
            f"included; {too_big_to_draw(rows)}. The numbers above hold at any size."
        )
        return
    if kind == "max" and rows.pad_before:
        st.info("The max-pooling diagram is drawn without padding (PyTorch pads it with −∞); set Padding to 0.")
        return
    if shape != (rows.size, cols.size):
        st.caption(
            f"Your {rows.size:,} x {cols.size:,} input is too big to draw cell by cell, so the diagram "
            f"uses a {shape[0]} x {shape[1]} input: the window moves exactly the same way."
        )
    pooling = kind in ("max", "mean")
    st.caption(
        "One channel shown. Pooling works on each channel on its own: C channels in, the same C out."
        if pooling
        else "One channel shown. With C_in channels the kernel is F x F x C_in/groups, one per output channel."
    )
    pad = rows.pad_before if kind == "mean" else padding
    show_drawing(Drawing(kind, *shape, rows.kernel, rows.stride, pad, dilation))


def show_pool(kind: str, typed: dict) -> None:
    in_ch, _, _ = _channels(typed, groups=False)
    padding = typed["p"]
    if parse_padding(padding) in ("valid", "same"):
        raise ValueError("PyTorch pooling takes a number of padding pixels, not 'valid' or 'same'")
    rows, cols = (explain_conv(n, typed["k"], typed["s"], padding) for n in (typed["h"], typed["w"]))
    for e in (rows, cols):  # PyTorch's pooling rules (padding at most half the window) on top of the formula
        pool_output_size(e.size, e.kernel, e.stride, e.pad_before)
    st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {in_ch:,}")
    if kind == "pool":
        st.markdown("**Parameters: 0**: pooling only picks the largest value; it learns nothing.")
    else:
        st.markdown("**Parameters: 0**: each output is the mean of its window (padding zeros count); nothing to learn.")
    show_conv_diagram(rows, cols, padding, "max" if kind == "pool" else "mean")
    formula_block(rows, cols)
    if note := stride_note(rows, cols):
        st.warning(note)
    code = (max_pool_code if kind == "pool" else avg_pool_code)(rows.kernel, rows.stride, rows.pad_before)
    code_block(code, (in_ch, rows.size, cols.size), (in_ch, rows.output, cols.output))


def show_global(kind: str, typed: dict) -> None:
    in_ch, _, _ = _channels(typed, groups=False)
    height = whole_number("input height", typed["h"], 1, "an image has at least one pixel")
    width = whole_number("input width", typed["w"], 1, "an image has at least one pixel")
    st.subheader(f"Output: 1 x 1 x {in_ch:,}")
    st.markdown(
        f"**Parameters: 0**: each of the {in_ch:,} channels becomes one number, the mean of its "
        f"{height:,} x {width:,} = {height * width:,} values. A classifier head (VGG-style, EfficientNet) then "
        "needs no Flatten of a huge map."
    )
    shape = (min(height, 12), min(width, 12))
    if shape != (height, width):
        st.caption(f"Your {height:,} x {width:,} input is drawn as {shape[0]} x {shape[1]}: one window covers it all.")
    show_drawing(Drawing("global", *shape))
    code_block(global_avg_pool_code(), (in_ch, height, width), (in_ch, 1, 1))


def show_transposed(kind: str, typed: dict) -> None:
    in_ch, out_ch, groups = _channels(typed)
    settings = {
        "kernel": whole_number("kernel size", typed["k"], 1, "a window covers at least one pixel"),
        "stride": typed["s"],
        "padding": typed["p"],
        "output_padding": typed["op"],
        "dilation": typed["d"],
    }
    rows, cols = (transposed_axis(n, **settings) for n in (typed["h"], typed["w"]))
    st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {out_ch:,}")
    st.markdown(params_text(rows.kernel, in_ch, out_ch, groups))
    drawn = min(rows.size, cols.size, 16)
    while drawn > 1 and transposed_axis(drawn, **settings).pad_after + transposed_axis(drawn, **settings).spread > 16:
        drawn -= 1
    shape = (min(rows.size, drawn), min(cols.size, drawn))
    if shape != (rows.size, cols.size):
        st.caption(
            f"Your {rows.size:,} x {cols.size:,} input is too big to draw cell by cell, so the diagram uses a "
            f"{shape[0]} x {shape[1]} input: the kernel moves exactly the same way."
        )
    with explanation("transposed"):
        st.caption(
            f"Drawn as the stride-1 convolution it equals (as in Dumoulin & Visin's conv_arithmetic): the input "
            f"spread out with stride − 1 = {rows.stride - 1} zeros between its cells, padded by d·(F − 1) − P = "
            f"{rows.pad_before} on each side{' (a negative pad crops)' if rows.pad_before < 0 else ''}"
            f"{' plus output_padding at the end' if rows.output_padding else ''}, and the kernel rotated 180°. "
            "The numbers are torch's `conv_transpose2d` of this one channel."
        )
    d = Drawing("transposed", *shape, rows.kernel, rows.stride, rows.padding, rows.dilation, rows.output_padding)
    spread = transposed_axis(shape[0], **settings)
    titles = {
        "inputTitle": f"Input {shape[0]} x {shape[1]} spread out",
        "inputSub": f"{rows.stride - 1} zero{'s' * (rows.stride != 2)} between cells, padding {spread.pad_before}",
        "kernelTitle": f"Kernel {rows.kernel} x {rows.kernel}, flipped",
        "kernelSub": "stride 1",
    }
    try:
        show_drawing(d, titles=titles)
    except ValueError as exc:
        st.info(f"Nothing to draw: {exc}.")
    formula_block(rows, cols)
    code = conv_transpose_code(
        in_ch, out_ch, rows.kernel, rows.stride, rows.padding, rows.output_padding, rows.dilation, groups
    )
    code_block(code, (in_ch, rows.size, cols.size), (out_ch, rows.output, cols.output))


def code_block(code: LayerCode, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
    """The layer's PyTorch line, run on a tensor of the shown input size, and its Keras spelling."""
    size = ", ".join(str(n) for n in in_shape)
    layout = "(N, C, L): one signal" if len(in_shape) == 2 else "(N, C, H, W): one image"
    torch_shape = ", ".join(str(n) for n in (1, *out_shape))
    st.code(
        f"layer = {code.pytorch}\nx = torch.zeros(1, {size})  # {layout}\n"
        f"print(layer(x).shape)  # torch.Size([{torch_shape}])",
        language="python",
        wrap_lines=True,
    )
    if code.keras:
        st.code(code.keras, language="python", wrap_lines=True)
        st.caption(
            "Above: PyTorch (`import torch; from torch import nn`). Below: Keras (`from keras import layers`), "
            "whose images are (H, W, C)."
        )
    else:
        st.caption(f"PyTorch (`import torch; from torch import nn`). No exact Keras spelling: {code.note}.")


def groups_figure(in_ch: int, out_ch: int, groups: int) -> None:
    """Which input channels each filter reads: a filter x channel grid, one colour per group."""
    reads = grouped_input_channels(in_ch, out_ch, groups)
    per_out = out_ch // groups
    # None (not NaN) where a filter does not read a channel: plotly leaves the cell empty.
    z = [[j // per_out if i in channels else None for i in range(in_ch)] for j, channels in enumerate(reads)]
    palette = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#475569"]
    scale = (
        [[i / max(groups - 1, 1), palette[i % 8]] for i in range(groups)]
        if groups > 1
        else [[0, palette[0]], [1, palette[0]]]
    )
    title = f"Which input channels each filter reads (groups {groups})"
    font = figure_font_px(14)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(in_ch)),
            y=list(range(out_ch)),
            colorscale=scale,
            zmin=0,
            zmax=max(groups - 1, 1),
            showscale=False,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            hovertemplate="filter %{y} reads input channel %{x} (group %{z})<extra></extra>",
        )
    )
    fig.update_yaxes(title="filter (output channel)", autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(title="input channel", showgrid=False, zeroline=False, side="top")
    fig.update_layout(
        title=dict(text=title, font=dict(size=font + 2)),
        height=int(np.clip(18 * out_ch + 140, 260, 560)),
        margin=dict(l=60, r=10, t=90, b=10),
        plot_bgcolor="#ffffff",
        font=dict(size=font),
    )
    with explanation("groups"):
        st.caption(
            f"Each filter reads C_in / groups = {in_ch // groups} of the {in_ch} input channels: those of its group. "
            + ("Depthwise (groups = C_in): every filter reads one channel." if groups == in_ch else "")
        )
    st.plotly_chart(slide_figure(fig), config=plotly_config(title), key="ar_groups_fig")


def set_slide_example() -> None:
    """The lecture slide's numbers: 28 x 28, a 5 x 5 kernel, stride 5."""
    for field, value in (("h", 28.0), ("w", 28.0), ("k", 5.0), ("s", 5.0), ("d", 1.0)):
        st.session_state[widget_key("conv", field)] = value
    st.session_state[widget_key("conv", "p")] = "0"


def slide_box() -> None:
    """The lecture slide's "23 x 23" (5 x 5 kernel, stride 5 on 28 x 28), and which slip it made."""
    with st.container(border=True, key="ar_slide_23"):
        st.button("The slide's 23 × 23", on_click=set_slide_example, help="Sets 28 x 28, kernel 5, stride 5")
        st.markdown(
            "A lecture slide puts a 5 × 5 kernel with stride 5 on a 28 × 28 image and gets **23 × 23**. The formula "
            "says **24 × 24** at stride 1 (floor((28 − 5)/1) + 1) and **5 × 5** at stride 5 (floor(23/5) + 1). "
            "The slide computed 28 − 5 = 23 and stopped: it forgot the **+ 1** (23 is how many steps the window "
            "takes; it stands in 24 places, counting the first) and it divided by stride 1, not 5."
        )


# --- the 1-D tab ----------------------------------------------------------------------------------------------


def _set_preset(name: str) -> None:
    st.session_state[SIGNAL_KEY] = ", ".join(f"{v:g}" for v in signal_preset(name, 12))


def one_d() -> None:
    """The "1-D" tab: a signal and a kernel, cross-correlation and convolution step by step, with its code."""
    for key, value in ONE_D_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault("ar_1d_op", OPERATIONS[0])
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.caption("Signal presets:")
        for name in ("step", "pulse", "noisy sine"):
            st.button(name.capitalize(), key=f"ar_1d_{name.replace(' ', '_')}", on_click=_set_preset, args=(name,))
    c1, c2 = st.columns([3, 2])
    signal_text = c1.text_input("Signal x (numbers)", key=SIGNAL_KEY, persist_state="session")
    kernel_text = c2.text_input("Kernel w", key=KERNEL_1D_KEY, persist_state="session")
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        stride = st.number_input("Stride", step=1.0, format="%g", key="ar_1d_s", persist_state="session")
    with c2:
        padding = st.number_input(
            "Padding", step=1.0, format="%g", key="ar_1d_p", persist_state="session", help="P zeros at each end"
        )
    with c3:
        operation = st.segmented_control("Compute", OPERATIONS, key="ar_1d_op", persist_state="session")
    flip = operation == "Convolution"
    with friendly_errors():
        signal, kernel = parse_numbers(signal_text, "signal"), parse_numbers(kernel_text, "kernel")
        stride = whole_number("stride", stride, 1, "the window must move forward by at least one sample")
        padding = whole_number("padding", padding, 0, "padding adds zeros at the ends, it cannot remove samples")
        sliding = slide_1d(signal, kernel, stride, padding, flip=flip)  # a kernel longer than the signal: its sentence
        other = slide_1d(signal, kernel, stride, padding, flip=not flip)
        length = explain_conv(len(signal), len(kernel), stride, padding)
        st.subheader(f"Output: {length.output} numbers")
        numbers = lambda values: ", ".join(f"{v:g}" for v in values)  # noqa: E731
        correlation, convolution = (sliding, other) if not flip else (other, sliding)
        st.markdown(
            f"**Cross-correlation** (kernel as typed, what `nn.Conv1d` computes): {numbers(correlation.output)}  \n"
            f"**Convolution** (kernel flipped to {numbers(kernel[::-1])}, as `numpy.convolve`): "
            f"{numbers(convolution.output)}"
        )
        note = f"flipped: {numbers(kernel[::-1])}" if flip else "as typed"
        if len(signal) + 2 * padding <= DRAWN_SIGNAL:
            show_drawing(
                Drawing(
                    "1d",
                    1,
                    len(signal),
                    len(kernel),
                    stride,
                    padding,
                    signal=tuple(signal),
                    weights=tuple(kernel),
                    flip=flip,
                ),
                kernel_note=note,
                titles={
                    "inputTitle": f"Signal x: {len(signal)} numbers",
                    "kernelTitle": f"Kernel w: {len(kernel)}",
                    "outputTitle": f"Output y: {length.output}",
                },
            )
        else:
            st.info(
                f"The diagram draws signals up to {DRAWN_SIGNAL} numbers, padding included; the numbers above hold."
            )
        st.code("length: " + length.formula.replace("W_o", "L_out").replace("W ", "L "), language=None, wrap_lines=True)
        code = conv_code(1, 1, len(kernel), stride, padding, dims=1)
        code_block(code, (1, len(signal)), (1, length.output))
        with explanation("one_d"):
            st.caption(
                "A CNN layer computes cross-correlation and still calls it convolution: it learns its weights, so "
                "whether they are stored flipped does not matter. For a fixed kernel it does: on a step, "
                "1, 0, −1 gives −1 at the edge as cross-correlation and +1 as convolution."
            )
