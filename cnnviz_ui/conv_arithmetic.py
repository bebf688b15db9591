"""The Conv arithmetic page's views: one layer worked out, the tables, the builder, the receptive field.

Everything computed here comes from ``cnnviz``; this module only turns it into HTML, tables and figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.architectures import KINDS, LayerSpec
from cnnviz.receptive import AxisField, nested_windows
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
from cnnviz.summary import LayerRow, Summary
from cnnviz.windows import LECTURE_POOL_INPUT, WindowGrid, max_pool_with_winners, window_grid
from cnnviz_ui.layout import friendly_errors, show_picture
from cnnviz_ui.plots import INK, legend_html
from cnnviz_ui.state import lasting_args

_TEMPLATE = (Path(__file__).parent / "window_diagram.html").read_text(encoding="utf-8")


def number_input(label: str, key: str, value: float, help: str | None = None) -> float:
    """A number box that accepts anything (0, -1, 2.5, 10,000), so the library can explain what is wrong."""
    return st.number_input(
        label, value=float(value), step=1.0, format="%g", key=key, help=help, persist_state="session"
    )


def too_big_to_draw(rows: ConvExplanation) -> str:
    """Why no input fits the diagram (``drawable_size`` None): the kernel's span, else the padding.

    A span and a padding that each fit always fit together (a smaller input is drawn), so it is one of them."""
    span, padding = rows.effective_kernel, rows.pad_before + rows.pad_after
    if span > DIAGRAM_LIMIT:
        return f"the kernel alone spans {span} cells" + (f" (dilation {rows.dilation})" if rows.dilation > 1 else "")
    return f"the padding alone adds {padding:,} cells ({rows.pad_before:,} + {rows.pad_after:,})"


def diagram_html(
    grid: WindowGrid, values: np.ndarray | None = None, pooled: np.ndarray | None = None, winners=None
) -> str:
    """The sliding-window diagram (SVG + a little JavaScript) for one channel of one layer."""
    rows, cols = grid.rows, grid.cols
    height, width, (out_h, out_w) = rows.size, cols.size, grid.output_hw
    side = max(rows.padded + cols.padded, 2 * rows.effective_kernel) + out_w
    dilated = f", dilation {rows.dilation}\nspans {rows.effective_kernel} x {rows.effective_kernel}"
    pad = f"padding {rows.pad_before}"
    if not rows.pad_before == rows.pad_after == cols.pad_before == cols.pad_after:
        pad = f"padding top/bottom {rows.pad_before}/{rows.pad_after}, left/right {cols.pad_before}/{cols.pad_after}"
    data = {
        "mode": "pool" if values is not None else "conv",
        "H": height,
        "W": width,
        "pt": rows.pad_before,
        "pb": rows.pad_after,
        "pl": cols.pad_before,
        "pr": cols.pad_after,
        "eff": rows.effective_kernel,
        "dilation": rows.dilation,
        "outH": out_h,
        "outW": out_w,
        "cell": int(np.clip(1000 // max(side, 1), 18, 44)),
        "delay": int(np.clip(6000 / max(out_h * out_w, 1), 120, 700)),
        "taps": [grid.taps(i, j) for i in range(out_h) for j in range(out_w)],
        "never": grid.never_read().tolist(),
        "anyUnused": bool(rows.leftover or cols.leftover or rows.dilation > 1),
        "inputTitle": f"Input {height} x {width}",
        "inputSub": pad if (rows.padded, cols.padded) != (height, width) else "no padding",
        "kernelTitle": f"{'Window' if values is not None else 'Kernel'} {rows.kernel} x {rows.kernel}",
        "kernelSub": f"stride {rows.stride}" + (dilated if rows.dilation > 1 else ""),
        "outputTitle": f"Output {out_h} x {out_w}",
        "outputSub": "hover or click a cell",
        "values": None if values is None else values.tolist(),
        "outValues": None if pooled is None else pooled.tolist(),
        "winners": None if winners is None else winners.tolist(),
    }
    return _TEMPLATE.replace("__DATA__", json.dumps(data))


def show_layer(rows: ConvExplanation, cols: ConvExplanation, in_ch: int, out_ch: int, pooling: bool) -> None:
    """One layer's output shape, parameter count and worked formula (``rows``/``cols`` from ``explain_conv``)."""
    st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {out_ch:,}")
    if pooling:
        st.markdown("**Parameters: 0**: pooling only picks the largest value; it learns nothing.")
    else:
        params = conv_params(rows.kernel, in_ch, out_ch)
        st.markdown(f"**Parameters: ({rows.kernel}·{rows.kernel}·{in_ch:,} + 1)·{out_ch:,} = {params:,}**")
    lines = [f"{axis:8}" + e.formula.replace("\n", "\n" + " " * 8) for axis, e in (("height:", rows), ("width:", cols))]
    st.code("\n".join(lines), language=None, wrap_lines=True)  # the result at the end stays in view
    if note := stride_note(rows, cols):
        st.warning(note)


def show_receptive_field(name: str, summary: Summary, measured: Callable) -> None:
    """Pick a conv/pool layer of network ``name`` and one of its units; draw the input region it sees.

    ``summary``: the network's; ``measured(name, upto, hw, unit)``: the field measured by a gradient.
    """
    rows, hw = summary.rows, summary.input_shape[1:]
    spatial = [i for i, r in enumerate(rows) if r.kind in ("Conv2d", "MaxPool2d", "AvgPool2d")]
    if not spatial:
        st.info("This network has no conv or pool layers: every dense unit sees the whole input at once.")
        return
    # Per network (a row index means another layer in another net), and it comes back after a visit to
    # another network or page (``lasting_args``: Streamlit forgets a control that is not drawn).
    upto = st.select_slider(
        "Layer",
        spatial,
        format_func=lambda i: rows[i].name,
        **lasting_args(f"ar_rf_l_{name}", spatial.__contains__, spatial[-1]),
    )
    out_h, out_w = rows[upto].output_shape[1:]
    c1, c2 = st.columns(2)
    unit = (
        c1.slider("Unit row", 0, out_h - 1, out_h // 2, key=f"ar_rf_r_{name}_{upto}"),
        c2.slider("Unit column", 0, out_w - 1, out_w // 2, key=f"ar_rf_c_{name}_{upto}"),
    )
    layers = [(rows[i].name, rows[i].field, rows[i].output_shape[1:]) for i in spatial if i <= upto]
    windows = nested_windows(layers, unit, hw)
    gradient = measured(name, upto, hw, unit)
    st.markdown(field_caption(rows[upto], unit, windows, gradient))
    # The windows' legend is a line of text above the picture (plotly's, beside it, squeezed it on a phone).
    # The picture has the input's shape at any width up to 560 px.
    st.caption("Each layer's window on the input, the chosen layer's in black:")
    st.html("<style>.st-key-ar_rf_fig__box { max-width: 560px; }</style>" + legend_html(window_legend(windows)))
    show_picture(st, receptive_figure(gradient, windows), "ar_rf_fig", gradient.shape, {"displayModeBar": False})


def show_diagram(rows: ConvExplanation, cols: ConvExplanation, padding: object, pooling: bool) -> None:
    """The sliding-window diagram of one layer (``rows``/``cols`` from ``explain_conv``), or why it is not drawn.

    Inputs too big to draw cell by cell are drawn at ``drawable_size``: the window moves the same way.
    Pooling fills the cells with numbers (the lecture's 4 x 4 example when it fits) and marks each maximum.
    """
    args = (rows.kernel, rows.stride, padding, rows.dilation)
    shape = (drawable_size(rows.size, *args), drawable_size(cols.size, *args))
    if None in shape:
        st.info(
            f"The diagram is drawn for inputs up to {DIAGRAM_LIMIT} x {DIAGRAM_LIMIT} cells, padding "
            f"included; {too_big_to_draw(rows)}. The numbers above hold at any size."
        )
        return
    if pooling and rows.pad_before:
        st.info("The pooling diagram is drawn without padding; set Padding to 0 to see it.")
        return
    if shape != (rows.size, cols.size):
        st.caption(
            f"Your {rows.size:,} x {cols.size:,} input is too big to draw cell by cell, so the diagram "
            f"uses a {shape[0]} x {shape[1]} input: the window moves exactly the same way."
        )
    grid = window_grid(*shape, *args)
    values = pooled = winners = None
    if pooling:
        values = LECTURE_POOL_INPUT if shape == (4, 4) else np.random.default_rng(7).integers(0, 10, shape)
        pooled, winners = max_pool_with_winners(values, rows.kernel, rows.stride)
    st.caption(
        "One channel shown. Pooling works on each channel on its own: C channels in, the same C out."
        if pooling
        else "One channel shown. With C_in channels the kernel is F x F x C_in, one per output channel."
    )
    st.iframe(diagram_html(grid, values, pooled, winners), height="content")


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


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(f"{n:,}" for n in shape) + ")"


def _field_text(field: tuple[AxisField, AxisField] | None) -> tuple[str, str]:
    if field is None:
        return "whole input", "–"
    rows, cols = field
    return f"{rows.size} x {cols.size}", f"{rows.jump}" if rows.jump == cols.jump else f"{rows.jump} x {cols.jump}"


def summary_frame(summary: Summary) -> pd.DataFrame:
    """The summary as a table: Keras-style (H, W, C) shapes, parameters with their formula, receptive field."""
    records = []
    for row in summary.rows:
        field, jump = _field_text(row.field)
        records.append(
            {
                "Layer": row.name,
                "Type": row.kind + (f" + {row.activation}" if row.activation else ""),
                "Output shape (H, W, C)": _shape_text(row.keras_shape),
                "Param #": f"{row.params:,}",
                "= formula": row.params_formula,
                "Kernel": row.kernel,
                "Stride": row.stride,
                "Padding": row.padding,
                "Receptive field": field,
                "Jump": jump,
            }
        )
    return pd.DataFrame(records)


def totals_text(summary: Summary) -> str:
    """The three total lines Keras prints under its table."""
    return (
        f"Total params: {summary.total:,}  \nTrainable params: {summary.trainable:,}  \n"
        f"Non-trainable params: {summary.non_trainable:,}"
    )


# --- the layer builder's table <-> specs ------------------------------------------------------------

BUILDER_COLUMNS = ["type", "filters / units", "kernel", "stride", "padding", "dilation", "ReLU"]
NUMBER_COLUMNS = ("filters / units", "kernel", "stride", "dilation")


def specs_frame(specs: list[LayerSpec]) -> pd.DataFrame:
    """Specs as the rows the builder's data editor shows; cells that do not apply to a layer type stay empty."""
    rows = []
    for s in specs:
        spatial, conv = s.kind in ("conv", "max pool", "avg pool"), s.kind == "conv"
        stride = s.stride or s.kernel
        rows.append(
            [
                s.kind,
                s.width if s.kind in ("conv", "dense") else None,
                s.kernel if spatial else None,
                stride if spatial else None,
                str(s.padding) if spatial else None,
                s.dilation if conv else None,
                s.relu,
            ]
        )
    # Float columns: an integer column's cell takes no decimal point, so a typed 2.5 became 25, not an explanation.
    return pd.DataFrame(rows, columns=BUILDER_COLUMNS).astype({c: "float64" for c in NUMBER_COLUMNS})


def specs_from_frame(frame: pd.DataFrame) -> list[LayerSpec]:
    """The data editor's rows as specs; empty cells get the Keras defaults, nonsense is left for the builder to explain.

    Raises:
        ValueError: a row has no layer type.
    """
    specs = []
    for index, row in enumerate(frame.to_dict("records")):
        kind = row.get("type")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ValueError(f"row {index + 1} has no layer type: pick one of {', '.join(KINDS)}")

        def get(column: str, default: object, row: dict = row) -> object:
            value = row.get(column)
            return default if value is None or (isinstance(value, float) and np.isnan(value)) else value

        pooling = kind in ("max pool", "avg pool")
        specs.append(
            LayerSpec(
                kind,
                get("filters / units", 32 if kind == "conv" else 64),
                get("kernel", 2 if pooling else 3),
                get("stride", 0 if pooling else 1),
                get("padding", "0" if pooling else "valid"),
                get("dilation", 1),
                bool(get("ReLU", kind in ("conv", "dense"))),
            )
        )
    return specs


# --- receptive field picture --------------------------------------------------------------------------


def receptive_figure(gradient: np.ndarray, windows: list[tuple[str, tuple[int, int], tuple[int, int]]]) -> go.Figure:
    """The input with the chosen unit's measured gradient as a heat map and each layer's window as a box.

    ``windows`` holds (label, (first row, last row), (first col, last col)) from the first layer to the chosen one.
    """
    height, width = gradient.shape
    shown = np.where(gradient > 0, gradient / gradient.max(), np.nan)
    fig = go.Figure(
        go.Heatmap(
            z=shown,
            colorscale=[[0, "#fff7ed"], [1, "#c2410c"]],
            zmin=0,
            zmax=1,
            showscale=False,
            hoverongaps=False,
            hovertemplate="input row %{y}, column %{x}<br>influence %{z:.2f} of the maximum<extra></extra>",
        )
    )
    for (_, (r0, r1), (c0, c1)), (label, colour) in zip(windows, window_legend(windows), strict=True):
        fig.add_trace(
            go.Scatter(
                x=[c0 - 0.5, c1 + 0.5, c1 + 0.5, c0 - 0.5, c0 - 0.5],
                y=[r0 - 0.5, r0 - 0.5, r1 + 0.5, r1 + 0.5, r0 - 0.5],
                mode="lines",
                name=label,
                hoverinfo="name",
                line=dict(color=colour, width=3.5 if colour == INK else 2),
            )
        )
    fig.add_shape(type="rect", x0=-0.5, x1=width - 0.5, y0=-0.5, y1=height - 0.5, line=dict(color="#9ca3af", width=1))
    # The axes' labels in fixed margins (no automargin), so that ``show_picture`` can give the plot the input's shape.
    fig.update_yaxes(
        range=[height - 0.5, -0.5],
        showgrid=False,
        zeroline=False,
        title="input row",  # row 0 on top
        automargin=False,
    )
    fig.update_xaxes(showgrid=False, zeroline=False, title="input column", automargin=False, range=[-0.5, width - 0.5])
    fig.update_layout(height=520, margin=dict(l=55, r=10, t=10, b=50), plot_bgcolor="#ffffff", showlegend=False)
    return fig


def window_legend(windows: list[tuple[str, tuple[int, int], tuple[int, int]]]) -> list[tuple[str, str]]:
    """(label, colour) of each layer's window: "conv2: 5 x 5" in its own colour, the chosen layer's in ink."""
    palette = ["#2563eb", "#7c3aed", "#0d9488", "#db2777", "#65a30d", "#0891b2", "#4f46e5", "#475569"]
    return [
        (f"{name}: {r1 - r0 + 1} x {c1 - c0 + 1}", INK if index == len(windows) - 1 else palette[index % 8])
        for index, (name, (r0, r1), (c0, c1)) in enumerate(windows)
    ]


def field_caption(row: LayerRow, unit: tuple[int, int], windows: list, gradient: np.ndarray) -> str:
    """What the chosen unit sees, in words, and whether backprop agrees with the arithmetic."""
    rows, cols = row.field
    head = f"**{row.name}** unit {unit}: receptive field **{rows.size} x {cols.size}**, jump {rows.jump}."
    if not windows or windows[-1][0] != row.name:
        return head + " Its whole window lies in the padding: it sees no pixel at all."
    _, (r0, r1), (c0, c1) = windows[-1]
    area, reached = (r1 - r0 + 1) * (c1 - c0 + 1), int(np.count_nonzero(gradient))
    text = f"{head} On the image it reads rows {r0}–{r1} and columns {c0}–{c1}"
    text += (
        " (cut at the border; the rest is padding)." if (r1 - r0 + 1, c1 - c0 + 1) != (rows.size, cols.size) else "."
    )
    if reached == area:
        text += f" Backprop from this unit reaches exactly these **{reached:,}** pixels."
    else:
        text += (
            f" Backprop reaches **{reached:,}** of those {area:,} pixels: gaps from dilation or from a stride "
            "larger than the kernel, or windows hanging over padding, skip the rest."
        )
    return text + " Central pixels feed the unit through more paths (darker): its *effective* field is smaller."


def builder_columns() -> dict:
    """Column settings of the layer builder's data editor (any number allowed, so mistakes get explained:
    2.5 filters is refused in words, not read as 25)."""

    def number(label: str, help: str) -> st.column_config.NumberColumn:  # noqa: A002 - Streamlit's name
        return st.column_config.NumberColumn(label, help=help, format="%g")

    return {
        "type": st.column_config.SelectboxColumn("type", options=list(KINDS), required=True, width="small"),
        "filters / units": number("filters / units", "conv filters or dense units"),
        "kernel": number("kernel", "F (conv) or window size (pool)"),
        "stride": number("stride", "S; for pools 0 = same as the window"),
        "padding": st.column_config.TextColumn("padding", help="a number, valid or same"),
        "dilation": number("dilation", "1 = no gaps"),
        "ReLU": st.column_config.CheckboxColumn("ReLU"),
    }


def one_layer() -> None:
    """The "One layer" tab: a conv or pooling layer's sizes, parameters and its sliding-window diagram."""
    pooling = st.segmented_control(
        "Layer", ["Convolution", "Max pooling"], default="Convolution", key="ar_mode", persist_state="session"
    )
    pooling = pooling == "Max pooling"
    m = "pool" if pooling else "conv"  # separate widgets, so pooling starts at the lecture's 4 x 4 example
    cols = st.columns(4)
    with cols[0]:
        height = number_input("Input height", f"ar_{m}_h", 4 if pooling else 28)
        width = number_input("Input width", f"ar_{m}_w", 4 if pooling else 28)
    with cols[1]:
        kernel = number_input("Kernel size", f"ar_{m}_k", 2 if pooling else 3, "F: the window is F x F")
        stride = number_input("Stride", f"ar_{m}_s", 2 if pooling else 1, "S: how far the window moves")
    with cols[2]:
        padding = st.text_input(
            "Padding", "0", key=f"ar_{m}_p", persist_state="session", help="P zeros on each side, or valid or same"
        )
        dilation = 1.0 if pooling else number_input("Dilation", "ar_conv_d", 1, "d: gap between kernel taps")
    with cols[3]:
        in_ch = number_input("Input channels", f"ar_{m}_cin", 1 if pooling else 1, "C_in")
        out_ch = (
            in_ch if pooling else number_input("Filters", "ar_conv_cout", 32, "C_out: output channels, one per filter")
        )
    with friendly_errors():
        in_ch = whole_number("input channels", in_ch, 1, "an image has at least one channel")
        out_ch = whole_number("filters", out_ch, 1, "a conv layer has at least one filter")
        if pooling and parse_padding(padding) in ("valid", "same"):
            raise ValueError("PyTorch pooling takes a number of padding pixels, not 'valid' or 'same'")
        rows, cols = (explain_conv(n, kernel, stride, padding, dilation) for n in (height, width))
        if pooling:  # PyTorch's pooling rules (padding at most half the window) on top of the formula
            pool_output_size(rows.size, rows.kernel, rows.stride, rows.pad_before)
            pool_output_size(cols.size, cols.kernel, cols.stride, cols.pad_before)
        show_layer(rows, cols, in_ch, out_ch, pooling)
        if parse_padding(padding) == "same" and rows.stride > 1:
            st.info(
                f"PyTorch's `nn.Conv2d` refuses `padding='same'` with a stride above 1; these are the numbers "
                f"Keras and TensorFlow use (output ceil(W / S), the odd pixel of padding at the end). In PyTorch, "
                f"pad explicitly: `nn.ZeroPad2d(({cols.pad_before}, {cols.pad_after}, {rows.pad_before}, "
                f"{rows.pad_after}))` before a conv with `padding=0`."
            )
        show_diagram(rows, cols, padding, pooling)
